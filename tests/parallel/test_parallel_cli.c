/* `train` and `generate` under mpirun with 2 (and 3) processes on a tiny
 * dataset, against one process: the same losses and validation figures up
 * to float summation order, for the masked and the bits encodings; one log
 * and one set of checkpoints; a batch that does not split is refused; a
 * process that fails ends the run with its message; a signal reaching one
 * process stops all of them with a checkpoint that one process resumes (and
 * the other way round), and so does SIGUSR1 sent to mpirun; generate writes
 * what one process writes.
 * argv: MPIRUN TRAIN GENERATE. */
#include <math.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli_util.h"
#include "test_util.h"

static const char *mpirun, *train_bin, *gen_bin;
static char cmd[16384];
static char launcher[4200]; /* "mpirun --oversubscribe [--allow-run-as-root]" */

static const char *tiny_config =
    "{\"preset\": \"tiny\", \"model\": {\"res_channels\": 8, \"skip_channels\": 8, \"num_res_layers\": 1,\n"
    " \"s4_d_state\": 8, \"emb_in\": 16, \"emb_mid\": 16, \"emb_out\": 16, \"T\": 20}}\n";

/* Batch 4 (2 windows per process); 6 validation windows go in groups of 4
 * and 2, so the last group is split 1 and 1. */
#define COMMON "--config pt/tiny.json --device cpu --threads 1 --batch 4 --val-windows 6 --val-steps 2 --decay none"

/* The values of `key` in the log entries of `type`, in order; returns how many. */
static int log_values(const char *path, const char *type, const char *key, double *out, int max) {
    char *s = cli_slurp(path);
    char want_type[64], want_key[64];
    snprintf(want_type, sizeof want_type, "\"type\":\"%s\"", type);
    snprintf(want_key, sizeof want_key, "\"%s\":", key);
    int n = 0;
    for (char *line = s; line && *line && n < max;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        char *k;
        if (strstr(line, want_type) && (k = strstr(line, want_key))) out[n++] = atof(k + strlen(want_key));
        line = end ? end + 1 : NULL;
    }
    free(s);
    return n;
}

static long long checkpoint_step(const char *path) {
    backend *be = backend_cpu_create(1);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    error_info err;
    sssd_model *m = checkpoint_load(path, be, 1, &meta, &err);
    long long step = m ? meta.step : -1;
    if (m) sssd_model_free(m);
    checkpoint_meta_free(&meta);
    backend_free(be);
    return step;
}

/* The entries `key` of two logs agree to a relative `tol` (and there are `want` of them). */
static void check_logs_agree(const char *a, const char *b, const char *type, const char *key, int want, double tol) {
    double x[64], y[64];
    int n = log_values(a, type, key, x, 64), m = log_values(b, type, key, y, 64);
    CHECK_MSG(n == want && m == want, "%s %s: %d and %d entries, expected %d", type, key, n, m, want);
    double worst = 0;
    for (int i = 0; i < n && i < m; i++) worst = fmax(worst, fabs(x[i] - y[i]) / fmax(fabs(x[i]), 1e-30));
    CHECK_MSG(worst <= tol, "%s %s of %s and %s differ by %g (relative)", type, key, a, b, worst);
}

static int run(const char *command, const char *log_path) { return cli_run(command, log_path); }

/* `extra`: more options for both runs (channel dropout must drop the same
 * rows however the batch is split). */
static void test_same_as_one_process(const char *encoding, const char *extra) {
    char one[256], two[256];
    snprintf(one, sizeof one, "pt/%s1", encoding);
    snprintf(two, sizeof two, "pt/%s2", encoding);
    snprintf(cmd, sizeof cmd, "%s --dataset pt/data %s --encoding %s %s --iters 6 --val-every 3 --out %s", train_bin,
             COMMON, encoding, extra, one);
    CHECK(run(cmd, "pt/one.log") == 0);
    snprintf(cmd, sizeof cmd, "%s -np 2 %s --dataset pt/data %s --encoding %s %s --iters 6 --val-every 3 --out %s",
             launcher, train_bin, COMMON, encoding, extra, two);
    int rc = run(cmd, "pt/two.log");
    char *log = cli_slurp("pt/two.log");
    CHECK_MSG(rc == 0, "2 processes failed: %s", log);
    CHECK_STR_CONTAINS(log, "2 processes (mpi collectives), 2 windows of each batch on each");
    /* Rank 0 speaks for both: one line per step, nothing from rank 1. */
    CHECK(strstr(log, "step 6/6") && strstr(strstr(log, "step 6/6") + 1, "step 6/6") == NULL);
    CHECK(strstr(log, "train[1]") == NULL);
    free(log);
    char la[300], lb[300];
    snprintf(la, sizeof la, "%s/log.jsonl", one);
    snprintf(lb, sizeof lb, "%s/log.jsonl", two);
    check_logs_agree(la, lb, "train", "loss", 6, 1e-5);
    check_logs_agree(la, lb, "train", "grad_norm", 6, 1e-4);
    check_logs_agree(la, lb, "val", "val_loss", 2, 1e-5);
    check_logs_agree(la, lb, "val", "val_accuracy", 2, 0);
    double procs[4];
    CHECK(log_values(lb, "start", "processes", procs, 4) == 1 && procs[0] == 2);
    CHECK(log_values(la, "start", "processes", procs, 4) == 0);
    char ck[300];
    snprintf(ck, sizeof ck, "%s/last.ckpt", two);
    CHECK(checkpoint_step(ck) == 6);
    snprintf(ck, sizeof ck, "%s/best.ckpt", two);
    CHECK(access(ck, F_OK) == 0);
}

static void test_refusals(void) {
    snprintf(cmd, sizeof cmd, "%s -np 2 %s --dataset pt/data %s --batch 5 --iters 2 --out pt/odd", launcher, train_bin,
             COMMON);
    int rc = run(cmd, "pt/odd.log");
    char *log = cli_slurp("pt/odd.log");
    CHECK(rc != 0);
    CHECK_STR_CONTAINS(log, "--batch 5 does not split evenly over 2 processes");
    free(log);
    CHECK(access("pt/odd/last.ckpt", F_OK) != 0);

    /* Rank 1 alone fails (its dataset is missing) while rank 0 is ready to
     * train: the run ends, with rank 1's message, instead of waiting for it. */
    snprintf(cmd, sizeof cmd,
             "%s -np 1 %s --dataset pt/data %s --iters 50 --val-every 0 --out pt/half : -np 1 %s --dataset pt/none %s "
             "--iters 50 --val-every 0 --out pt/half",
             launcher, train_bin, COMMON, train_bin, COMMON);
    rc = run(cmd, "pt/half.log");
    log = cli_slurp("pt/half.log");
    CHECK(rc != 0);
    /* (rank 0's lines may come between the two, as each process writes its own) */
    CHECK_STR_CONTAINS(log, "train[1]: ");
    CHECK_STR_CONTAINS(log, "--dataset: pt/none: no such file");
    free(log);
    CHECK(access("pt/half/last.ckpt", F_OK) != 0);
}

static void test_stop_and_resume(void) {
    /* Uninterrupted, one process: 7 iterations. */
    snprintf(cmd, sizeof cmd, "%s --dataset pt/data %s --iters 7 --val-every 0 --ckpt-every 100 --out pt/straight",
             train_bin, COMMON);
    CHECK(run(cmd, "pt/straight.log") == 0);

    /* Two processes; SIGTERM reaches rank 1 alone as iteration 4 starts. Both
     * stop after iteration 4, which rank 0 saves. */
    snprintf(cmd, sizeof cmd,
             "SSSD_TRAIN_SIGTERM_AT=4:1 %s -np 2 %s --dataset pt/data %s --iters 7 --val-every 0 --ckpt-every 100 "
             "--out pt/stopped",
             launcher, train_bin, COMMON);
    int rc = run(cmd, "pt/stopped.log");
    char *log = cli_slurp("pt/stopped.log");
    CHECK_MSG(rc == 128 + 15, "exit status %d: %s", rc, log);
    CHECK_STR_CONTAINS(log, "terminated at iteration 4");
    free(log);
    CHECK(checkpoint_step("pt/stopped/last.ckpt") == 4);

    /* One process continues to 7: the losses of the uninterrupted run. */
    snprintf(cmd, sizeof cmd, "%s --resume --out pt/stopped --iters 7 --device cpu --threads 1", train_bin);
    rc = run(cmd, "pt/resumed.log");
    log = cli_slurp("pt/resumed.log");
    CHECK_MSG(rc == 0, "resume with one process failed: %s", log);
    free(log);
    check_logs_agree("pt/straight/log.jsonl", "pt/stopped/log.jsonl", "train", "loss", 7, 1e-5);

    /* And the other way: one process to 3, two processes from there to 7. */
    snprintf(cmd, sizeof cmd, "%s --dataset pt/data %s --iters 3 --val-every 0 --out pt/grown", train_bin, COMMON);
    CHECK(run(cmd, "pt/grown1.log") == 0);
    snprintf(cmd, sizeof cmd, "%s -np 2 %s --resume --out pt/grown --iters 7 --device cpu --threads 1", launcher,
             train_bin);
    rc = run(cmd, "pt/grown2.log");
    log = cli_slurp("pt/grown2.log");
    CHECK_MSG(rc == 0, "resume with two processes failed: %s", log);
    CHECK_STR_CONTAINS(log, "resuming");
    free(log);
    check_logs_agree("pt/straight/log.jsonl", "pt/grown/log.jsonl", "train", "loss", 7, 1e-5);
}

/* The documented way to stop a multi-process run: SIGUSR1 to mpirun, which
 * forwards it; every process stops after the same iteration and rank 0 saves. */
static void test_usr1_to_mpirun(void) {
    snprintf(cmd, sizeof cmd,
             "exec %s -np 2 %s --dataset pt/data %s --iters 1000000 --val-every 0 --ckpt-every 1000000 --quiet "
             "--out pt/usr1 >pt/usr1.log 2>&1",
             launcher, train_bin, COMMON);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* Wait until it has done a few steps (at most ~60 s). */
    double steps[4];
    for (int i = 0; i < 600 && log_values("pt/usr1/log.jsonl", "train", "loss", steps, 4) < 3; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGUSR1);
    int status = 0;
    waitpid(pid, &status, 0);
    char *log = cli_slurp("pt/usr1.log");
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGUSR1, "status %d: %s", status, log);
    CHECK_STR_CONTAINS(log, "stopped at iteration");
    free(log);
    CHECK(checkpoint_step("pt/usr1/last.ckpt") >= 3);
}

static void check_same_file(const char *a, const char *b) {
    char *x = cli_slurp(a), *y = cli_slurp(b);
    CHECK_MSG(x[0] && strcmp(x, y) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

static void test_generate(void) {
    const char *opts = "--checkpoint pt/masked1/last.ckpt --input pt/data --mask mid:4 --device cpu --threads 1 "
                       "--batch 2 --samples 2 --top 2";
    snprintf(cmd, sizeof cmd, "(%s %s --out pt/g1.txt > pt/g1.top)", gen_bin, opts);
    CHECK(run(cmd, "pt/g1.log") == 0);
    snprintf(cmd, sizeof cmd, "(%s -np 2 %s %s --out pt/g2.txt > pt/g2.top)", launcher, gen_bin, opts);
    int rc = run(cmd, "pt/g2.log");
    char *log = cli_slurp("pt/g2.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK(strstr(log, "generate[1]") == NULL);
    free(log);
    check_same_file("pt/g1.txt", "pt/g2.txt");
    check_same_file("pt/g1.txt.mask", "pt/g2.txt.mask");
    check_same_file("pt/g1.txt.confidence", "pt/g2.txt.confidence");
    check_same_file("pt/g1.top", "pt/g2.top");

    /* More processes than windows: the third has none. */
    snprintf(cmd, sizeof cmd, "(%s -np 3 %s %s --limit 2 --out pt/g3.txt > pt/g3.top)", launcher, gen_bin, opts);
    CHECK(run(cmd, "pt/g3.log") == 0);
    snprintf(cmd, sizeof cmd, "(%s %s --limit 2 --out pt/g3one.txt > pt/g3one.top)", gen_bin, opts);
    CHECK(run(cmd, "pt/g3one.log") == 0);
    check_same_file("pt/g3.txt", "pt/g3one.txt");
    check_same_file("pt/g3.top", "pt/g3one.top");

    /* Bad input stops every process with the message (whichever process
     * reaches it first says it). */
    snprintf(cmd, sizeof cmd, "%s -np 2 %s --checkpoint pt/masked1/last.ckpt --input pt/none --device cpu", launcher,
             gen_bin);
    rc = run(cmd, "pt/gbad.log");
    log = cli_slurp("pt/gbad.log");
    CHECK(rc != 0);
    CHECK_STR_CONTAINS(log, "--input: pt/none");
    free(log);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: test_parallel_cli MPIRUN TRAIN GENERATE\n");
        return 2;
    }
    mpirun = argv[1];
    train_bin = argv[2];
    gen_bin = argv[3];
    /* --oversubscribe: more processes than this machine's cores; Open MPI
     * refuses to run as root unless told to (CI runs as root). */
    snprintf(launcher, sizeof launcher, "%s --oversubscribe%s", mpirun, geteuid() == 0 ? " --allow-run-as-root" : "");
    cli_scratch("pt");
    cli_make_dataset("pt/data", 16, 40, 8, 6);
    cli_write("pt/tiny.json", tiny_config);
    test_same_as_one_process("masked", "--dropout 0.3");
    test_same_as_one_process("bits", "");
    test_refusals();
    test_stop_and_resume();
    test_usr1_to_mpirun();
    test_generate();
    return test_finish("test_parallel_cli");
}
