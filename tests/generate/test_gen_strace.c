/* `generate --format strace` read back by our own strace reader: awkward
 * event sequences (lone entries, runs of three, calls that never return,
 * signals and exits between calls, several traces as processes) come back
 * as the same events in entry-exit and call mode; the header says the trace
 * is synthetic; vocabularies without call names and IDs outside the
 * vocabulary are refused; and end to end, generate's strace output gives
 * `dataset build --strict` the events of its text output. argv[1] is the
 * generate binary, argv[2] the dataset binary. */
#include <stdint.h>

#include "../train/cli_util.h"
#include "dataset_h5.h"
#include "gen_strace.h"
#include "random_checkpoint.h"
#include "test_util.h"
#include "trace_input.h"

static char cmd[16384];

static void make_vocab(vocabulary *v, const char *const *names, int n) {
    v->size = n;
    v->names = calloc((size_t)n + 1, sizeof(char *));
    v->counts = calloc((size_t)n + 1, sizeof(int64_t));
    for (int i = 0; i < n; i++) v->names[i] = strdup(names[i]);
}

/* Reads `path` as `dataset build` would and compares the event names with
 * the IDs of `traces`, concatenated (one log is one trace to the reader). */
static void check_read_back(const char *path, const window_set *traces, const vocabulary *v, event_mode mode,
                            int signals) {
    trace_set ts;
    trace_set_init(&ts, mode, signals);
    input_report rep;
    memset(&rep, 0, sizeof rep);
    error_info err;
    int rc = trace_set_add(&ts, path, INPUT_AUTO, &rep, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    CHECK(rep.format == INPUT_STRACE);
    CHECK_MSG(rep.unparsed == 0, "%s: %lld unparsed lines, first: %s", path, (long long)rep.unparsed,
              rep.problem_count ? rep.problems[0].text : "");
    CHECK(rep.note_lines >= 3); /* the header */
    int64_t n = traces->count * traces->length;
    CHECK_MSG(ts.seq_count == 1 && ts.seqs[0].count == n, "%s: %lld events read, %lld written", path,
              (long long)(ts.seq_count ? ts.seqs[0].count : -1), (long long)n);
    if (ts.seq_count == 1 && ts.seqs[0].count == n) {
        int64_t bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++)
            if (strcmp(string_table_get(&ts.names, ts.seqs[0].tokens[i]), v->names[traces->ids[i] - 1])) bad = i;
        CHECK_MSG(bad < 0, "%s: event %lld reads back as %s, written as %s", path, (long long)bad,
                  string_table_get(&ts.names, ts.seqs[0].tokens[bad]), v->names[traces->ids[bad] - 1]);
    }
    trace_set_free(&ts);
}

static void test_round_trip(void) {
    const char *names[] = {"read", "openat", "close", "exit_group", "mmap", "SIGCHLD", "+++exited", "no_such_call",
                           "pipe2", "stopped:SIGSTOP", "+++killed:SIGKILL", "<detached>", "+++superseded", "execve"};
    vocabulary v;
    make_vocab(&v, names, 14);
    /* Entry-exit: pairs, a lone entry, three in a row, exit_group as a pair and
     * alone, signals between an entry and an exit, an unknown call. */
    int32_t seq[] = {2, 2, 1, 1, 1, 3, 3, 6, 5, 5, 8, 8, 8, 4, 4, 9, 9, 1, 6, 1, 10, 14, 14, 11, 12, 13, 4, 7, 1};
    int T = (int)(sizeof seq / sizeof *seq);
    window_set one = {1, T, seq};
    error_info err;
    CHECK(gen_write_strace("ts/ee.strace", &one, &v, "entry-exit", "test provenance", &err) == 0);
    check_read_back("ts/ee.strace", &one, &v, EVENTS_ENTRY_EXIT, 1);
    char *text = cli_slurp("ts/ee.strace");
    CHECK(strncmp(text, "# SYNTHETIC system-call trace", 29) == 0);
    CHECK_STR_CONTAINS(text, "# test provenance\n");
    CHECK_STR_CONTAINS(text, "openat(AT_FDCWD, \"/tmp/synthetic/file1\", O_RDONLY|O_CLOEXEC) = 3\n");
    CHECK_STR_CONTAINS(text, "read(3, ");                   /* the descriptor just opened */
    CHECK_STR_CONTAINS(text, "close(3) = 0\n");
    CHECK_STR_CONTAINS(text, "exit_group(0) = 0\n");        /* a pair: it returned */
    CHECK_STR_CONTAINS(text, "exit_group(0) = ?\n");        /* alone: it did not */
    CHECK_STR_CONTAINS(text, "--- SIGCHLD {");
    CHECK_STR_CONTAINS(text, "+++ exited with 0 +++\n");
    CHECK_STR_CONTAINS(text, "no_such_call() = 0\n");
    CHECK_STR_CONTAINS(text, "pipe2([3, 4], O_CLOEXEC) = 0\n"); /* close freed 3 */
    free(text);
    /* One event per call. */
    CHECK(gen_write_strace("ts/call.strace", &one, &v, "call", NULL, &err) == 0);
    check_read_back("ts/call.strace", &one, &v, EVENTS_CALL, 1);
    /* Several traces: processes one after the other, read as one sequence. */
    int32_t two[] = {2, 2, 1, 1, 3, 3, 5, 5, 1, 1, 1, 1, 6, 4, 4, 1};
    window_set pair = {2, 8, two};
    CHECK(gen_write_strace("ts/two.strace", &pair, &v, "entry-exit", NULL, &err) == 0);
    check_read_back("ts/two.strace", &pair, &v, EVENTS_ENTRY_EXIT, 1);
    text = cli_slurp("ts/two.strace");
    CHECK_STR_CONTAINS(text, "\n1001 openat(");
    CHECK_STR_CONTAINS(text, "\n1002 read(");
    free(text);
    /* Refusals: an ID without a name, numbered events, no names. */
    int32_t outside[] = {1, 1, 15, 15};
    window_set bad = {1, 4, outside};
    CHECK(gen_write_strace("ts/bad.strace", &bad, &v, "entry-exit", NULL, &err) != 0);
    CHECK_STR_CONTAINS(err.message, "ID 15");
    vocabulary numeric;
    vocabulary_numeric(&numeric, 5);
    CHECK(gen_strace_check_vocabulary(&numeric, &err) != 0);
    CHECK_STR_CONTAINS(err.message, "'1'");
    vocabulary empty = {0, NULL, NULL};
    CHECK(gen_strace_check_vocabulary(&empty, &err) != 0);
    vocabulary_free(&numeric);
    vocabulary_free(&v);
}

/* The tool: --format strace beside --format text with the same seed; the
 * dataset built from the log holds the same events (by name). */
static void test_tool(const char *gen_bin, const char *dataset_bin) {
    make_random_checkpoint("ts/masked.ckpt", ENCODING_MASKED, 16, 6, "mix", "entry-exit", 0.05);
    const char *outs[] = {"--out ts/g.txt", "--format strace --out ts/g.log", "--out ts/g.strace"};
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd, "%s --checkpoint ts/masked.ckpt --device cpu --threads 1 --num 1 --length 60 %s",
                 gen_bin, outs[k]);
        int rc = cli_run(cmd, "ts/gen.log");
        char *log = cli_slurp("ts/gen.log");
        CHECK_MSG(rc == 0, "%s", log);
        free(log);
    }
    char *a = cli_slurp("ts/g.log"), *b = cli_slurp("ts/g.strace");
    CHECK(strlen(a) > 0 && strcmp(a, b) == 0); /* the .strace extension chooses the format */
    free(a);
    free(b);
    snprintf(cmd, sizeof cmd,
             "%s build --name rt --from ts/g.strace --events entry-exit --length 60 --stride 60 --split window "
             "--test-fraction 0 --strict --out ts/rt",
             dataset_bin);
    int rc = cli_run(cmd, "ts/build.log");
    char *log = cli_slurp("ts/build.log");
    CHECK_MSG(rc == 0, "%s", log);
    free(log);
    dataset ds;
    error_info err;
    window_set g;
    CHECK(windows_read_text("ts/g.txt", &g, &err) == 0 && g.count == 1 && g.length == 60);
    rc = dataset_h5_read("ts/rt/rt.h5", &ds, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc == 0) {
        CHECK(ds.training.count == 1 && ds.training.length == 60);
        int same = ds.training.count == 1;
        for (int l = 0; same && l < 60; l++) {
            char want[16];
            snprintf(want, sizeof want, "ev%d", g.ids[l]);
            same = !strcmp(ds.vocab.names[ds.training.ids[l] - 1], want);
        }
        CHECK(same);
        dataset_free(&ds);
    }
    window_set_free(&g);
    /* An unknown format is refused, naming the formats there are. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint ts/masked.ckpt --device cpu --threads 1 --num 1 --format xml --out x",
             gen_bin);
    CHECK(cli_run(cmd, "ts/x.log") != 0);
    log = cli_slurp("ts/x.log");
    CHECK_STR_CONTAINS(log, "strace");
    free(log);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_gen_strace GENERATE_BINARY DATASET_BINARY\n");
        return 2;
    }
    cli_scratch("ts");
    test_round_trip();
    test_tool(argv[1], argv[2]);
    return test_finish("test_gen_strace");
}
