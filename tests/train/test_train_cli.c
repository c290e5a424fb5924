/* End-to-end tests of the `train` tool on a tiny dataset made here: it
 * learns without error, resumes exactly, stops on NaN keeping the last good
 * checkpoint, refuses mismatched data and bad options, reads both
 * configuration layouts, saves a checkpoint on SIGINT and SIGTERM, keeps
 * a moving average of the weights, trains and validates on a mix of
 * tasks, and trains as a product of experts with an n-gram.
 * argv[1] is the train binary. */
#include <math.h>
#include <signal.h>
#include <time.h>

#include "checkpoint.h"
#include "cli_util.h"
#include "test_util.h"

static const char *train_bin;
static char cmd[16384];

/* A model small enough for tests: 8 channels, 1 layer, T 20. */
static const char *tiny_config =
    "{\"preset\": \"tiny\", \"model\": {\"res_channels\": 8, \"skip_channels\": 8, \"num_res_layers\": 1,\n"
    " \"s4_d_state\": 8, \"emb_in\": 16, \"emb_mid\": 16, \"emb_out\": 16, \"T\": 20}}\n";

/* A constant learning rate: the resume tests extend runs to more iterations,
 * which a cosine schedule (the default) would stretch. */
#define COMMON "--config tt/tiny.json --device cpu --threads 1 --batch 4 --val-windows 4 --val-steps 2 --decay none"

/* The "loss" values of the train entries of a log, as text, in order. */
static void losses(const char *log_path, char *out, size_t size) {
    char *s = cli_slurp(log_path);
    out[0] = 0;
    for (char *p = s; (p = strstr(p, "\"type\":\"train\"")); p++) {
        char *l = strstr(p, "\"loss\":");
        if (!l) break;
        char *e = strchr(l, ',');
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%.*s;", (int)(e - l), l);
    }
    free(s);
}

/* The two runs' logs hold the same losses, more than min_chars of text of them. */
static void check_same_losses(const char *log_a, const char *log_b, size_t min_chars) {
    char a[4096], b[4096];
    losses(log_a, a, sizeof a);
    losses(log_b, b, sizeof b);
    CHECK_MSG(strcmp(a, b) == 0 && strlen(a) > min_chars, "%s: %s\n%s: %s", log_a, a, log_b, b);
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

/* The model's weights of a checkpoint (its tensors) into *model and, when
 * it keeps them apart (train --ema), its trained weights into *trained
 * (else NULL); malloc'ed, n set. 0 on success. */
static int checkpoint_weights(const char *path, float **model, float **trained, long long *n) {
    backend *be = backend_cpu_create(1);
    error_info err;
    sssd_model *m = checkpoint_load(path, be, 1, NULL, &err);
    *model = *trained = NULL;
    if (!m) {
        fprintf(stderr, "%s\n", err.message);
        backend_free(be);
        return -1;
    }
    *n = sssd_model_num_params(m);
    *model = malloc(sizeof(float) * (size_t)*n);
    be->ops->download(be, *model, sssd_model_params(m), sizeof(float) * (size_t)*n);
    real_t *dev = be->ops->alloc(be, sizeof(real_t) * (size_t)*n);
    int rc = checkpoint_load_trained_weights(path, m, dev, &err);
    if (rc == 1) {
        *trained = malloc(sizeof(float) * (size_t)*n);
        be->ops->download(be, *trained, dev, sizeof(float) * (size_t)*n);
    }
    be->ops->free(be, dev);
    sssd_model_free(m);
    backend_free(be);
    return rc < 0 ? -1 : 0;
}

/* The largest |a - b| over n floats, relative to max(1, |b|). */
static double max_rel_diff(const float *a, const float *b, long long n) {
    double worst = 0;
    for (long long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
        if (d > worst || d != d) worst = d != d ? INFINITY : d;
    }
    return worst;
}

static void test_train_and_resume(void) {
    /* Straight: 6 iterations. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 6 --val-every 3 --ckpt-every 2 --out tt/straight",
             train_bin, COMMON);
    int rc = cli_run(cmd, "tt/straight.log");
    char *log = cli_slurp("tt/straight.log");
    CHECK_MSG(rc == 0, "train failed: %s", log);
    CHECK_STR_CONTAINS(log, "step 6/6");
    CHECK_STR_CONTAINS(log, "val  step 3");
    CHECK_STR_CONTAINS(log, "unmasking");
    free(log);
    CHECK(access("tt/straight/last.ckpt", F_OK) == 0);
    CHECK(access("tt/straight/best.ckpt", F_OK) == 0);
    CHECK(checkpoint_step("tt/straight/last.ckpt") == 6);
    /* The dataset's facts are checkpoint fields: its absolute path, its
     * vocabulary size, and its event kind (unknown for the paper layout). */
    sssd_config cfg;
    checkpoint_meta facts;
    error_info err;
    CHECK(checkpoint_read_config_meta("tt/straight/best.ckpt", &cfg, &facts, &err) == 0);
    CHECK_MSG(facts.dataset[0] == '/' && strstr(facts.dataset, "/tt/data") != NULL, "dataset %s", facts.dataset);
    CHECK(facts.vocab_size == 6 && cfg.vocab_size == 6 && strcmp(facts.events, "unknown") == 0);
    checkpoint_meta_free(&facts);

    /* 3, then resume to 6: the same losses, and the log keeps one entry per step. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 3 --val-every 3 --ckpt-every 2 --out tt/resumed",
             train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/r1.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/resumed --iters 6 --device cpu --threads 1", train_bin);
    rc = cli_run(cmd, "tt/r2.log");
    log = cli_slurp("tt/r2.log");
    CHECK_MSG(rc == 0, "resume failed: %s", log);
    CHECK_STR_CONTAINS(log, "resuming");
    free(log);
    check_same_losses("tt/straight/log.jsonl", "tt/resumed/log.jsonl", 20);
    /* The moving average (on by default) resumes exactly too, and so do the trained weights beside it. */
    float *sm, *st, *rm, *rt;
    long long n = 0, n2 = 0;
    CHECK(checkpoint_weights("tt/straight/last.ckpt", &sm, &st, &n) == 0);
    CHECK(checkpoint_weights("tt/resumed/last.ckpt", &rm, &rt, &n2) == 0);
    CHECK(n == n2 && n > 0 && st && rt);
    if (n == n2 && st && rt) {
        CHECK(memcmp(sm, rm, sizeof(float) * (size_t)n) == 0);
        CHECK(memcmp(st, rt, sizeof(float) * (size_t)n) == 0);
        CHECK(memcmp(sm, st, sizeof(float) * (size_t)n) != 0);
    }
    free(sm), free(st), free(rm), free(rt);

    /* A log with entries past the checkpoint (as after kill -9) is cut back on resume. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 5 --val-every 0 --ckpt-every 4 --out tt/killed",
             train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/k1.log") == 0);
    /* Pretend the process died after step 5 but before saving it: restore the step-4 checkpoint. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 4 --val-every 0 --ckpt-every 4 --out tt/killed4",
             train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/k2.log") == 0);
    CHECK(system("cp tt/killed4/last.ckpt tt/killed/last.ckpt") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/killed --iters 6 --device cpu --threads 1", train_bin);
    CHECK(cli_run(cmd, "tt/k3.log") == 0);
    check_same_losses("tt/straight/log.jsonl", "tt/killed/log.jsonl", 20);

    /* A fresh run refuses to overwrite a run directory. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 2 --out tt/straight", train_bin, COMMON);
    rc = cli_run(cmd, "tt/o.log");
    log = cli_slurp("tt/o.log");
    CHECK(rc != 0);
    CHECK_STR_CONTAINS(log, "--resume");
    free(log);
}

/* --ema: the checkpoint's tensors are the average of the trained weights,
 * which sit beside it; its decay ramps as (t - 1) / (t + 8) up to D, so
 * iteration 1's weights start it; 0 keeps only the trained weights. The
 * trained weights of runs of 1, 2 and 3 iterations without an average give
 * the averages expected. */
static void test_ema(void) {
    float *w[4] = {NULL}, *none = NULL;
    long long n = 0;
    for (int it = 1; it <= 3; it++) {
        char out[64];
        snprintf(out, sizeof out, "tt/ema0_%d", it);
        snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters %d --val-every 0 --ema 0 --out %s", train_bin,
                 COMMON, it, out);
        CHECK(cli_run(cmd, "tt/ema0.log") == 0);
        snprintf(out, sizeof out, "tt/ema0_%d/last.ckpt", it);
        CHECK(checkpoint_weights(out, &w[it], &none, &n) == 0);
        CHECK_MSG(none == NULL, "%s keeps trained weights apart without --ema", out);
        free(none);
    }
    if (!w[1] || !w[2] || !w[3]) return;
    /* D below the ramp: iteration 2's decay is D = 0.05. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 2 --val-every 2 --ema 0.05 --out tt/ema_cap", train_bin,
             COMMON);
    CHECK(cli_run(cmd, "tt/ema1.log") == 0);
    float *avg = NULL, *trained = NULL, *best = NULL, *best_trained = NULL;
    long long n2 = 0;
    float *want = malloc(sizeof(float) * (size_t)n);
    CHECK(checkpoint_weights("tt/ema_cap/last.ckpt", &avg, &trained, &n2) == 0);
    CHECK(n2 == n && avg && trained);
    if (n2 == n && avg && trained) {
        CHECK(memcmp(trained, w[2], sizeof(float) * (size_t)n) == 0);
        for (long long i = 0; i < n; i++) want[i] = (float)(0.05 * w[1][i] + 0.95 * w[2][i]);
        double d = max_rel_diff(avg, want, n);
        CHECK_MSG(d < 1e-6, "the average of 2 iterations (D 0.05) is off by %g", d);
        /* best.ckpt (validated on the average at iteration 2) holds the average alone. */
        CHECK(checkpoint_weights("tt/ema_cap/best.ckpt", &best, &best_trained, &n2) == 0);
        CHECK(best && !best_trained && memcmp(best, avg, sizeof(float) * (size_t)n) == 0);
    }
    free(avg), free(trained), free(best), free(best_trained);
    /* The default D (0.999) is above the ramp: 1/10 at iteration 2, 2/11 at 3. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 3 --val-every 0 --out tt/ema_ramp", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/ema2.log") == 0);
    char *log = cli_slurp("tt/ema2.log");
    CHECK_STR_CONTAINS(log, "--ema 0.999");
    free(log);
    CHECK(checkpoint_weights("tt/ema_ramp/last.ckpt", &avg, &trained, &n2) == 0);
    CHECK(n2 == n && avg && trained);
    if (n2 == n && avg && trained) {
        CHECK(memcmp(trained, w[3], sizeof(float) * (size_t)n) == 0);
        for (long long i = 0; i < n; i++) {
            double two = 0.1 * w[1][i] + 0.9 * w[2][i];
            want[i] = (float)(2.0 / 11.0 * two + 9.0 / 11.0 * w[3][i]);
        }
        double d = max_rel_diff(avg, want, n);
        CHECK_MSG(d < 1e-6, "the average of 3 iterations is off by %g", d);
    }
    free(avg), free(trained), free(want);
    for (int i = 1; i <= 3; i++) free(w[i]);

    /* Resumed with --ema 0, a run with an average goes on from its trained
     * weights, not the average: the losses and final weights of a straight
     * run of 6 (test_train_and_resume's, whose losses no average changes). */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 3 --val-every 3 --ckpt-every 2 --out tt/ema_off", train_bin,
             COMMON);
    CHECK(cli_run(cmd, "tt/ema3.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/ema_off --iters 6 --ema 0 --device cpu --threads 1", train_bin);
    CHECK(cli_run(cmd, "tt/ema4.log") == 0);
    check_same_losses("tt/straight/log.jsonl", "tt/ema_off/log.jsonl", 20);
    float *straight_avg = NULL, *straight_trained = NULL;
    CHECK(checkpoint_weights("tt/ema_off/last.ckpt", &avg, &trained, &n2) == 0);
    CHECK(checkpoint_weights("tt/straight/last.ckpt", &straight_avg, &straight_trained, &n) == 0);
    CHECK(avg && !trained && straight_trained && n2 == n);
    if (avg && straight_trained && n2 == n) CHECK(memcmp(avg, straight_trained, sizeof(float) * (size_t)n) == 0);
    free(avg), free(trained), free(straight_avg), free(straight_trained);
}

static void test_nan(void) {
    snprintf(cmd, sizeof cmd,
             "SSSD_TRAIN_FAKE_NAN_AT=5 %s --dataset tt/data %s --iters 8 --val-every 0 --ckpt-every 2 --out tt/nan",
             train_bin, COMMON);
    int rc = cli_run(cmd, "tt/nan.log");
    char *log = cli_slurp("tt/nan.log");
    CHECK(rc == 1);
    CHECK_STR_CONTAINS(log, "NaN at iteration 5");
    CHECK_STR_CONTAINS(log, "iteration 4");
    free(log);
    CHECK(checkpoint_step("tt/nan/last.ckpt") == 4);
}

static void test_mismatch(void) {
    /* Another window length, and another vocabulary, against the straight run's checkpoint. */
    snprintf(cmd, sizeof cmd, "%s --resume --dataset tt/data12 --out tt/straight --iters 8 --device cpu", train_bin);
    int rc = cli_run(cmd, "tt/m1.log");
    char *log = cli_slurp("tt/m1.log");
    CHECK(rc != 0);
    CHECK_STR_CONTAINS(log, "windows of 12 events");
    free(log);
    snprintf(cmd, sizeof cmd, "%s --resume --dataset tt/data9 --out tt/straight --iters 8 --device cpu", train_bin);
    rc = cli_run(cmd, "tt/m2.log");
    log = cli_slurp("tt/m2.log");
    CHECK(rc != 0);
    CHECK_STR_CONTAINS(log, "vocabulary");
    free(log);
}

static void test_bad_options(void) {
    struct { const char *args, *needle; } cases[] = {
        {"--dataset tt/data --batch 0", "--batch 0"},
        {"--dataset tt/data --iters -3", "--iters -3"},
        {"--dataset tt/data --lr 0", "--lr 0"},
        {"--dataset tt/data --mask mid:0", "mid:0"},
        {"--dataset tt/data --mask mid:40", "larger than the window length"},
        {"--dataset tt/data --batch 500", "--batch 500 is larger than the 40 training windows"},
        {"--dataset tt/data --preset huge", "--preset huge"},
        {"--dataset tt/data --device tpu", "--device tpu"},
        {"--dataset tt/nowhere", "tt/nowhere"},
        {"--dataset tt/data --frobnicate 1", "--frobnicate"},
        {"--iters 3", "--dataset is required"},
        {"--dataset tt/data --config tt/bad.json", "tt/bad.json:2:"},
        {"--dataset tt/data --config tt/unknown.json", "\"layers\""},
        {"--dataset tt/data --config tt/encoding.json", "unknown model setting \"encoding\""},
        {"--dataset tt/data --config tt/half.json", "res_channels = 8.5 must be an integer"},
        {"--dataset tt/data --config tt/resume.json", "unknown training setting \"resume\""},
        {"--dataset tt/data --config tt/twice.json", "duplicate"},
        {"--dataset tt/data --quiet=1", "--quiet takes no value"},
        {"--dataset tt/data --decay linear", "expected none or cosine"},
        {"--dataset tt/data --encoding onehot", "expected masked, bits or id"},
        {"--dataset tt/data --dropout 1", "--dropout 1"},
        {"--dataset tt/data --config tt/dropout.json", "s4_dropout must be at least 0 and below 1 (got 1)"},
    };
    cli_write("tt/dropout.json", "{\"model\": {\"s4_dropout\": 1}}");
    cli_write("tt/encoding.json", "{\"model\": {\"encoding\": 1}}");
    cli_write("tt/half.json", "{\"model\": {\"res_channels\": 8.5}}");
    cli_write("tt/resume.json", "{\"train\": {\"resume\": 1}}");
    cli_write("tt/twice.json", "{\"train\": {\"lr\": 1e-3, \"lr\": 2e-4}}");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s %s --out tt/bad%zu --device cpu", train_bin, cases[i].args, i);
        int rc = cli_run(cmd, "tt/bad.log");
        char *log = cli_slurp("tt/bad.log");
        CHECK_MSG(rc != 0, "'%s' accepted", cases[i].args);
        CHECK_MSG(strstr(log, cases[i].needle) != NULL, "'%s': message \"%s\" lacks \"%s\"", cases[i].args, log,
                  cases[i].needle);
        free(log);
    }
}

static void test_sssd_config(void) {
    /* SSSD's layout (config_SSSDS4.json's keys), with sizes made tiny. */
    cli_write("tt/sssd.json",
              "{\"diffusion_config\": {\"T\": 20, \"beta_0\": 0.0001, \"beta_T\": 0.02},\n"
              " \"wavenet_config\": {\"in_channels\": 14, \"out_channels\": 14, \"num_res_layers\": 1,\n"
              "   \"res_channels\": 8, \"skip_channels\": 8, \"diffusion_step_embed_dim_in\": 16,\n"
              "   \"diffusion_step_embed_dim_mid\": 16, \"diffusion_step_embed_dim_out\": 16, \"s4_lmax\": 100,\n"
              "   \"s4_d_state\": 8, \"s4_dropout\": 0.0, \"s4_bidirectional\": 1, \"s4_layernorm\": 1},\n"
              " \"train_config\": {\"output_directory\": \"./results\", \"ckpt_iter\": \"max\", \"iters_per_ckpt\": 2,\n"
              "   \"iters_per_logging\": 100, \"n_iters\": 3, \"learning_rate\": 0.0002, \"only_generate_missing\": 1,\n"
              "   \"use_model\": 2, \"masking\": \"bm\", \"missing_k\": 4},\n"
              " \"trainset_config\": {\"train_data_path\": \"x.npy\"}}\n");
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data --config tt/sssd.json --device cpu --threads 1 --batch 4 "
             "--val-every 0 --out tt/sssd", train_bin);
    int rc = cli_run(cmd, "tt/sssd.log");
    char *log = cli_slurp("tt/sssd.log");
    CHECK_MSG(rc == 0, "SSSD config refused: %s", log);
    CHECK_STR_CONTAINS(log, "random-gap:4");
    /* SSSD's configuration asks for SSSD's model: float IDs. */
    CHECK_STR_CONTAINS(log, "8 channels x 1 layers, id encoding, T 20");
    CHECK_STR_CONTAINS(log, "step 3/3");
    free(log);
    /* ... and SSSD's recipe: constant lr, no warm-up, no average of the weights. */
    log = cli_slurp("tt/sssd/log.jsonl");
    CHECK_STR_CONTAINS(log, "\"warmup\":0,\"decay\":\"none\",\"clip\":0,\"ema\":0,");
    free(log);
    /* masking rm: k random points of the data's window (16 here), not of s4_lmax. */
    cli_write("tt/sssd_rm.json",
              "{\"wavenet_config\": {\"num_res_layers\": 1, \"res_channels\": 8, \"skip_channels\": 8,\n"
              "   \"diffusion_step_embed_dim_in\": 16, \"diffusion_step_embed_dim_mid\": 16,\n"
              "   \"diffusion_step_embed_dim_out\": 16, \"s4_lmax\": 100, \"s4_d_state\": 8},\n"
              " \"diffusion_config\": {\"T\": 20, \"beta_0\": 0.0001, \"beta_T\": 0.02},\n"
              " \"train_config\": {\"n_iters\": 1, \"use_model\": 2, \"masking\": \"rm\", \"missing_k\": 4}}\n");
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data --config tt/sssd_rm.json --device cpu --threads 1 --batch 4 "
             "--val-every 0 --out tt/sssd_rm", train_bin);
    rc = cli_run(cmd, "tt/sssd_rm.log");
    log = cli_slurp("tt/sssd_rm.log");
    CHECK_MSG(rc == 0, "SSSD rm config refused: %s", log);
    CHECK_STR_CONTAINS(log, "--mask missing:0.25 (4 of 16 events)");
    free(log);
}

/* Every reader of the option table: --help lists each option and model
 * setting; the "train" object of --config takes option names with '_' or
 * '-'; the kept options are logged and kept in the checkpoint in one layout. */
static void test_option_table(void) {
    snprintf(cmd, sizeof cmd, "%s --help", train_bin);
    CHECK(cli_run(cmd, "tt/help.log") == 0);
    char *log = cli_slurp("tt/help.log");
    const char *lines[] = {"  --dataset SPEC      shipped name", "  --weight-decay W    L2 weight decay",
                           "  --val-steps S       DDIM steps", "  --dropout P         drop each channel",
                           " s4_dropout\n", "  --quiet             no per-step lines",
                           "emb_in (diffusion_step_embed_dim_in)", " beta_T ", "data and model:\n  --dataset",
                           "optimisation:\n  --iters N", "run:\n  --device"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) CHECK_STR_CONTAINS(log, lines[i]);
    free(log);

    cli_write("tt/table.json", "{\"preset\": \"tiny\", \"model\": {\"res_channels\": 8, \"skip_channels\": 8,\n"
                               " \"num_res_layers\": 1, \"s4_d_state\": 8, \"diffusion_step_embed_dim_in\": 16, \"emb_mid\": 16,\n"
                               " \"emb_out\": 16, \"T\": 20, \"beta_T\": 0.03, \"s4_dropout\": 0.1},\n"
                               " \"train\": {\"val_every\": 1, \"ckpt-every\": 1, \"weight_decay\": 0.5, \"seed\": 7}}\n");
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data --config=tt/table.json --device cpu --threads 1 --batch 4 "
             "--val-windows 2 --val-steps 2 --iters 2 --quiet --out tt/table", train_bin);
    int rc = cli_run(cmd, "tt/table.log");
    log = cli_slurp("tt/table.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "8 channels x 1 layers, masked encoding, T 20");
    /* 40 training windows: 2 held out for validation, so 38 to train on. */
    CHECK_STR_CONTAINS(log, "38 training windows of");
    CHECK_STR_CONTAINS(log, "validation windows: the last 2 training windows (--val-split 0.05)");
    CHECK_STR_CONTAINS(log, "on 2 held-out windows");
    free(log);
    /* --val-split 0: every training window trained on, the test windows validated on, and said so. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data --config=tt/table.json --device cpu --threads 1 --batch 4 "
             "--val-windows 2 --val-steps 2 --iters 1 --val-split 0 --dropout 0.2 --quiet --out tt/table0", train_bin);
    rc = cli_run(cmd, "tt/table0.log");
    log = cli_slurp("tt/table0.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "40 training windows of");
    CHECK_STR_CONTAINS(log, "best.ckpt is chosen on test data");
    CHECK_STR_CONTAINS(log, "on 2 test windows");
    free(log);
    log = cli_slurp("tt/table/log.jsonl");
    CHECK_STR_CONTAINS(log, "{\"type\":\"start\",\"step\":0,\"options\":{\"tool\":\"train\",\"dataset\":\"tt/data\","
                            "\"preset\":\"tiny\",\"encoding\":\"masked\",\"events\":\"unknown\",\"iters\":2,\"batch\":4,"
                            "\"lr\":0.001,\"weight_decay\":0.5,\"dropout\":0.10000000000000001,\"ngram_prior\":0,\"ngram_input\":\"off\",\"seed\":\"7\",\"mask\":\"mix\",\"warmup\":0,"
                            "\"decay\":\"cosine\",\"clip\":0,\"ema\":0.999,\"val_every\":1,\"val_split\":0.050000000000000003,\"val_windows\":2,\"val_steps\":2,"
                            "\"ckpt_every\":1}}\n");
    free(log);
    sssd_config cfg;
    checkpoint_meta meta;
    error_info err;
    CHECK(checkpoint_read_config_meta("tt/table/last.ckpt", &cfg, &meta, &err) == 0);
    CHECK(cfg.res_channels == 8 && cfg.emb_in == 16 && cfg.T == 20 && cfg.beta_T == 0.03 && cfg.s4_lmax == 16);
    CHECK(cfg.s4_dropout == 0.1);
    CHECK_STR_CONTAINS(meta.extra_json, "\"weight_decay\":0.5,\"dropout\":0.10000000000000001,\"ngram_prior\":0,\"ngram_input\":\"off\",\"seed\":\"7\"");
    checkpoint_meta_free(&meta);
    /* --dropout over the configuration's s4_dropout */
    CHECK(checkpoint_read_config_meta("tt/table0/last.ckpt", &cfg, &meta, &err) == 0);
    CHECK_MSG(cfg.s4_dropout == 0.2, "s4_dropout %g", cfg.s4_dropout);
    checkpoint_meta_free(&meta);
}

static void test_signal(int sig) {
    char out[64];
    snprintf(out, sizeof out, "tt/sig%d", sig);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen("tt/int.log", "w", stderr);
        (void)f;
        execl(train_bin, train_bin, "--dataset", "tt/data", "--config", "tt/tiny.json", "--device", "cpu",
              "--threads", "1", "--batch", "4", "--iters", "100000", "--val-every", "0", "--ckpt-every", "100000",
              "--out", out, (char *)NULL);
        _exit(127);
    }
    /* Wait until it has done a few steps (at most ~60 s). */
    int steps = 0;
    for (int i = 0; i < 600 && steps < 3; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        char path[128];
        snprintf(path, sizeof path, "%s/log.jsonl", out);
        char *s = cli_slurp(path);
        steps = 0;
        for (char *p = s; (p = strstr(p, "\"type\":\"train\"")); p++) steps++;
        free(s);
    }
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig);
    char *log = cli_slurp("tt/int.log");
    CHECK_STR_CONTAINS(log, sig == SIGINT ? "interrupted at iteration" : "terminated at iteration");
    free(log);
    char ck[128];
    snprintf(ck, sizeof ck, "%s/last.ckpt", out);
    CHECK(checkpoint_step(ck) >= steps);
}

/* The three commands as users type them, in another directory: train on a
 * dataset, `generate --checkpoint best.ckpt` with no mode (the checkpoint's
 * dataset, test windows, training task), `evaluate generated.txt DATASET`. */
static void test_three_commands(const char *generate_bin, const char *evaluate_bin) {
    char here[4096];
    CHECK(getcwd(here, sizeof here) != NULL);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 4 --val-every 0 --out tt/three", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/three.log") == 0);
    CHECK(system("mkdir -p tt/elsewhere") == 0);
    snprintf(cmd, sizeof cmd, "(cd tt/elsewhere && %s --checkpoint ../three/best.ckpt --device cpu --threads 1)", generate_bin);
    int rc = cli_run(cmd, "tt/three-gen.log");
    char *log = cli_slurp("tt/three-gen.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "no mode given");
    /* train's default task is a mix; its gaps are at most a quarter of these 16-event windows */
    CHECK_STR_CONTAINS(log, "the checkpoint trained on mix; reconstructing mid:4");
    free(log);
    CHECK(access("tt/elsewhere/generated.txt", F_OK) == 0 && access("tt/elsewhere/generated.txt.mask", F_OK) == 0);
    snprintf(cmd, sizeof cmd, "(cd tt/elsewhere && %s generated.txt %s/tt/data --no-nn)", evaluate_bin, here);
    rc = cli_run(cmd, "tt/three-eval.log");
    log = cli_slurp("tt/three-eval.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "accuracy");
    free(log);
    /* The dataset moved away: the message says how to pass the windows. */
    CHECK(system("mv tt/data tt/data-moved") == 0);
    snprintf(cmd, sizeof cmd, "(cd tt/elsewhere && %s --checkpoint ../three/best.ckpt --device cpu --threads 1)", generate_bin);
    CHECK(cli_run(cmd, "tt/three-gone.log") != 0);
    log = cli_slurp("tt/three-gone.log");
    CHECK_STR_CONTAINS(log, "--input");
    free(log);
    CHECK(system("mv tt/data-moved tt/data") == 0);
}

/* --mask mix: one task drawn per window; runs resume exactly (the draws
 * follow the window's place in the run), the checkpoint records the mix, and
 * generate warns only for tasks outside it. */
static void test_mix(const char *generate_bin) {
    const char *mix = "--mask mix:gap=0.5,none=0.5,max=8 --val-every 2";
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s %s --iters 4 --out tt/mix", train_bin, COMMON, mix);
    int rc = cli_run(cmd, "tt/mix.log");
    char *log = cli_slurp("tt/mix.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "--mask mix:gap=0.5,forecast=0,missing=0,none=0.5,max=8");
    free(log);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s %s --iters 2 --out tt/mix2", train_bin, COMMON, mix);
    CHECK(cli_run(cmd, "tt/mix2.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/mix2 --iters 4 --device cpu --threads 1", train_bin);
    CHECK(cli_run(cmd, "tt/mix3.log") == 0);
    check_same_losses("tt/mix/log.jsonl", "tt/mix2/log.jsonl", 10);
    /* Another mix draws other tasks: other losses. */
    char a[4096], b[4096];
    losses("tt/mix/log.jsonl", a, sizeof a);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --mask mix:gap=1,max=8 --iters 4 --out tt/mixg", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/mixg.log") == 0);
    losses("tt/mixg/log.jsonl", b, sizeof b);
    CHECK(strcmp(a, b) != 0);
    if (!generate_bin) return;
    struct { const char *args; int warns; } asks[] = {
        {"--input tt/data --mask mid:4", 0}, {"--input tt/data --forecast 4", 0}, {"--num 2", 0},
        {"--input tt/data --mask gap:0:12", 1}, {"--input tt/data --mask tt/mixmask.txt", 0}};
    cli_write("tt/mixmask.txt", "1,1,0,0,1,1,1,1,1,1,1,1,1,1,1,1\n");
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s --checkpoint tt/mix/last.ckpt --device cpu --threads 1 --out tt/mixgen.txt %s",
                 generate_bin, asks[i].args);
        rc = cli_run(cmd, "tt/mixgen.log");
        log = cli_slurp("tt/mixgen.log");
        int warned = strstr(log, "warning: the checkpoint trained on the task mix:") != NULL;
        CHECK_MSG(rc == 0 && warned == asks[i].warns, "generate %s: exit %d, %s", asks[i].args, rc, log);
        free(log);
    }
}

/* --dropout: the channels dropped follow the run's seed and iteration, so a
 * resumed run has the losses of a straight one; a run without dropout has
 * other losses. */
static void test_dropout(void) {
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --dropout 0.3 --iters 4 --out tt/drop", train_bin, COMMON);
    int rc = cli_run(cmd, "tt/drop.log");
    char *log = cli_slurp("tt/drop.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "parameters, channel dropout 0.3; device cpu");
    free(log);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --dropout 0.3 --iters 2 --out tt/drop2", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/drop2.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/drop2 --iters 4 --dropout 0.5 --device cpu --threads 1", train_bin);
    CHECK(cli_run(cmd, "tt/drop3.log") == 0);
    log = cli_slurp("tt/drop3.log");
    CHECK_STR_CONTAINS(log, "--dropout 0.5 is ignored on --resume: the checkpoint's model uses 0.3");
    free(log);
    check_same_losses("tt/drop/log.jsonl", "tt/drop2/log.jsonl", 10);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 4 --out tt/nodrop", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/nodrop.log") == 0);
    char a[4096], b[4096];
    losses("tt/drop/log.jsonl", a, sizeof a);
    losses("tt/nodrop/log.jsonl", b, sizeof b);
    CHECK_MSG(strcmp(a, b) != 0, "dropout 0.3 changed no loss: %s", a);
}

/* --ngram-prior: a product of experts with cross-fitted n-grams. Its losses
 * are the product's (other than the network's alone), a resumed run repeats
 * them, the id encoding refuses it, and generate uses the product with the
 * trained weight by default. */
static void test_ngram_prior(const char *generate_bin) {
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --ngram-prior 1 --iters 4 --val-every 2 --out tt/poe", train_bin,
             COMMON);
    int rc = cli_run(cmd, "tt/poe.log");
    char *log = cli_slurp("tt/poe.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "a product of experts with an order-");
    CHECK_STR_CONTAINS(log, "weight 1 (--ngram-prior): each of 5 folds");
    free(log);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --ngram-prior 1 --iters 2 --val-every 2 --out tt/poe2", train_bin,
             COMMON);
    CHECK(cli_run(cmd, "tt/poe2.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/poe2 --iters 4 --device cpu --threads 1", train_bin);
    CHECK(cli_run(cmd, "tt/poe3.log") == 0);
    check_same_losses("tt/poe/log.jsonl", "tt/poe2/log.jsonl", 10);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --iters 4 --val-every 2 --out tt/nopoe", train_bin, COMMON);
    CHECK(cli_run(cmd, "tt/nopoe.log") == 0);
    char a[4096], b[4096];
    losses("tt/poe/log.jsonl", a, sizeof a);
    losses("tt/nopoe/log.jsonl", b, sizeof b);
    CHECK_MSG(strcmp(a, b) != 0, "the n-gram expert changed no loss: %s", a);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --encoding id --ngram-prior 1 --iters 1 --out tt/poeid", train_bin,
             COMMON);
    rc = cli_run(cmd, "tt/poeid.log");
    log = cli_slurp("tt/poeid.log");
    CHECK_MSG(rc != 0, "%s", log);
    CHECK_STR_CONTAINS(log, "--ngram-prior applies to the masked encoding");
    free(log);
    if (!generate_bin) return;
    snprintf(cmd, sizeof cmd, "%s --checkpoint tt/poe/last.ckpt --input tt/data --mask mid:4 --device cpu --threads 1 "
             "--out tt/poegen.txt", generate_bin);
    rc = cli_run(cmd, "tt/poegen.log");
    log = cli_slurp("tt/poegen.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "weight 1 (the weight the network was trained with)");
    free(log);
    /* Its network is no model without the n-gram: the prior stays in every pass. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint tt/poe/last.ckpt --num 1 --refine 1 --ngram-prior-in refine "
             "--device cpu --threads 1 --out tt/poesyn.txt", generate_bin);
    rc = cli_run(cmd, "tt/poesyn.log");
    log = cli_slurp("tt/poesyn.log");
    CHECK_MSG(rc != 0, "%s", log);
    CHECK_STR_CONTAINS(log, "trained inside the product");
    free(log);
    /* --ngram-input on: the n-gram's probabilities as an input; generate
     * feeds them, and with --ngram-prior 0 uses no product. */
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s --ngram-input on --iters 2 --val-every 2 --out tt/ngin", train_bin,
             COMMON);
    rc = cli_run(cmd, "tt/ngin.log");
    log = cli_slurp("tt/ngin.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "n-gram of the training windows as an input (--ngram-input)");
    free(log);
    /* Resumed, the network's input stays what the checkpoint's model takes. */
    snprintf(cmd, sizeof cmd, "%s --resume --out tt/ngin --iters 3 --ngram-input off --device cpu --threads 1", train_bin);
    rc = cli_run(cmd, "tt/ngin2.log");
    log = cli_slurp("tt/ngin2.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "--ngram-input is ignored on --resume");
    CHECK_STR_CONTAINS(log, "as an input (--ngram-input)");
    free(log);
    losses("tt/ngin/log.jsonl", b, sizeof b);
    losses("tt/nopoe/log.jsonl", a, sizeof a);
    CHECK_MSG(strncmp(a, b, strlen(b)) != 0, "the n-gram input changed no loss: %s", b);
    snprintf(cmd, sizeof cmd, "%s --checkpoint tt/ngin/last.ckpt --input tt/data --mask mid:4 --ngram-prior 0 "
             "--device cpu --threads 1 --out tt/ngingen.txt", generate_bin);
    rc = cli_run(cmd, "tt/ngingen.log");
    log = cli_slurp("tt/ngingen.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "takes the n-gram's probabilities as input; no product with it");
    free(log);
}

/* The "windows_scored" of the first validation record of a log; -1 if none. */
static int first_windows_scored(const char *log_path) {
    char *s = cli_slurp(log_path);
    char *p = strstr(s, "\"windows_scored\":");
    int n = p ? atoi(p + strlen("\"windows_scored\":")) : -1;
    free(s);
    return n;
}

/* Validation of a mix scores accuracy on the windows with something
 * observed only; a window synthesised from nothing is not a reconstruction.
 * When no window has anything observed, the loss chooses best.ckpt. */
static void test_mix_validation(void) {
    const char *val = "--val-split 0 --val-windows 8 --val-every 2 --iters 2";
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s %s --mask mix:gap=0.5,none=0.5,max=8 --out tt/mixval", train_bin,
             COMMON, val);
    int rc = cli_run(cmd, "tt/mixval.log");
    char *log = cli_slurp("tt/mixval.log");
    CHECK_MSG(rc == 0, "%s", log);
    int scored = first_windows_scored("tt/mixval/log.jsonl");
    CHECK_MSG(scored > 0 && scored < 8, "windows_scored %d of 8 (half the windows draw synthesis)", scored);
    char phrase[96];
    snprintf(phrase, sizeof phrase, "(accuracy and perfect: the %d with events observed)", scored);
    CHECK_STR_CONTAINS(log, phrase);
    CHECK_STR_CONTAINS(log, "(error %");
    free(log);
    snprintf(cmd, sizeof cmd, "%s --dataset tt/data %s %s --mask mix:none=1 --out tt/mixnone", train_bin, COMMON, val);
    rc = cli_run(cmd, "tt/mixnone.log");
    log = cli_slurp("tt/mixnone.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK(first_windows_scored("tt/mixnone/log.jsonl") == 0);
    CHECK_STR_CONTAINS(log, "best validation at iteration 2 (loss ");
    CHECK(checkpoint_step("tt/mixnone/best.ckpt") == 2);
    free(log);
}

/* --iters not given, preset small: 20 epochs of the batches the run prints,
 * within 1,500..8,000, said in the log; the run is stopped once it has said
 * so. The test data at batch 1 (38 batches) meet the lower bound, the shipped
 * sqlite-cli at batch 32 (about 190) the 20 epochs. */
static void test_default_iters(const char *dataset, const char *batch, int bounded) {
    system("rm -rf tt/defiters");
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen("tt/defiters.log", "w", stderr);
        (void)f;
        execl(train_bin, train_bin, "--dataset", dataset, "--device", "cpu", "--threads", "1", "--batch", batch,
              "--val-every", "0", "--out", "tt/defiters", (char *)NULL);
        _exit(127);
    }
    char *log = NULL;
    for (int i = 0; i < 600; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        free(log);
        log = cli_slurp("tt/defiters.log");
        if (strstr(log, "iterations (the default")) break;
    }
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    const char *per_epoch = strstr(log, "batches per epoch");
    const char *line = strstr(log, "iterations (the default: 20 epochs, at least 1500 and at most 8000");
    CHECK_MSG(per_epoch && line, "%s", log);
    if (per_epoch && line) {
        const char *p = per_epoch;
        while (p > log && p[-1] != ',') p--; /* ", batch 1, N batches per epoch" */
        long long batches = atoll(p + 1), iters = 0;
        const char *q = line;
        while (q > log && q[-1] != ':') q--; /* "train: N iterations (the default..." */
        iters = atoll(q + 1);
        long long want = 20 * batches < 1500 ? 1500 : 20 * batches > 8000 ? 8000 : 20 * batches;
        CHECK_MSG(batches > 0 && iters == want, "%lld batches per epoch, %lld iterations", batches, iters);
        CHECK_MSG(bounded == (iters == 1500 || iters == 8000), "%s: %lld iterations", dataset, iters);
    }
    free(log);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_train_cli TRAIN_BINARY\n");
        return 2;
    }
    train_bin = argv[1];
    cli_scratch("tt");
    cli_make_dataset("tt/data", 16, 40, 8, 6);
    cli_make_dataset("tt/data12", 12, 40, 8, 6);
    cli_make_dataset("tt/data9", 16, 40, 8, 9);
    cli_write("tt/tiny.json", tiny_config);
    cli_write("tt/bad.json", "{\"preset\": \"tiny\",\n \"model\": {\"T\": }\n}\n");
    cli_write("tt/unknown.json", "{\"model\": {\"layers\": 3}}\n");
    test_train_and_resume();
    test_ema();
    test_nan();
    test_mismatch();
    test_bad_options();
    test_sssd_config();
    test_option_table();
    test_signal(SIGINT);
    test_signal(SIGTERM);
    test_default_iters("tt/data", "1", 1);
    test_default_iters("sqlite-cli", "32", 0);
    test_mix(argc >= 3 ? argv[2] : NULL);
    test_mix_validation();
    test_dropout();
    test_ngram_prior(argc >= 3 ? argv[2] : NULL);
    if (argc >= 4) test_three_commands(argv[2], argv[3]);
    return test_finish("test_train_cli");
}
