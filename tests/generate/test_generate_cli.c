/* End-to-end tests of the `generate` tool with a tiny random checkpoint made
 * here: observed events copied exactly, determinism by seed, independence
 * from --batch, forecast and synthesis shapes, output formats read back,
 * --samples/--top, --snap, the dataset facts read from the checkpoint (and
 * their absence in older ones), and clear refusals. Also unit tests of the
 * entry/exit repair. argv[1] is the generate binary. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <hdf5_hl.h>
#include <stdint.h>

#include "../train/cli_util.h"
#include "checkpoint.h"
#include "encoding.h"
#include "gen_output.h"
#include "random_checkpoint.h"
#include "snap.h"
#include "test_util.h"
#include "window_source.h"

static const char *gen_bin;
static char cmd[16384];
#define L 16
#define V 6

/* A tiny model with random (non-zero) weights, vocabulary "ev1".."ev6",
 * data of event kind `events`, task mid:4, events encoded as `encoding`. */
static void make_checkpoint_of(const char *path, int encoding, const char *events) {
    make_random_checkpoint(path, encoding, L, V, "mid:4", events, 0.05);
}

static void make_checkpoint(const char *path, int encoding) { make_checkpoint_of(path, encoding, "entry-exit"); }

/* A copy of a checkpoint as written before its dataset's event kind and
 * vocabulary size were recorded: without those two attributes. */
static void copy_without_dataset_facts(const char *from, const char *to) {
    test_copy_prefix(from, to, -1);
    hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0 || H5Adelete(f, "dataset_events") < 0 || H5Adelete(f, "dataset_vocab_size") < 0)
        die("test: cannot remove the dataset facts from %s", to);
    H5Fclose(f);
}

static int load_text(const char *path, window_set *ws) {
    error_info err;
    int rc = windows_read_text(path, ws, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    return rc;
}

static int gen(const char *args, const char *log) {
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/model.ckpt --device cpu --threads 1 %s", gen_bin, args);
    return cli_run(cmd, log);
}

static void test_reconstruct(void) {
    int rc = gen("--input tg/data --sampler ddim --steps 5 --out tg/a.txt --batch 3", "tg/a.log");
    char *log = cli_slurp("tg/a.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "mid:4"); /* the checkpoint's task is the default mask */
    CHECK(!strstr(log, "warning"));   /* and it trained on it */
    free(log);
    window_set in, out, mask;
    CHECK(load_text("tg/data/testing", &in) == 0);
    CHECK(load_text("tg/a.txt", &out) == 0);
    CHECK(load_text("tg/a.txt.mask", &mask) == 0);
    CHECK(out.count == in.count && out.length == L && mask.count == in.count);
    int exact = 1, in_vocab = 1, gap_ok = 1;
    for (int64_t i = 0; i < in.count * L; i++) {
        int l = (int)(i % L), gen_pos = l >= 8 && l < 12; /* mid:4 of 16: chunk 2 of 4 */
        if (mask.ids[i] != (gen_pos ? 0 : 1)) gap_ok = 0;
        if (!gen_pos && out.ids[i] != in.ids[i]) exact = 0;
        if (out.ids[i] < 1 || out.ids[i] > V) in_vocab = 0;
    }
    CHECK(exact);
    CHECK(gap_ok);
    CHECK(in_vocab);

    /* Determinism and independence from --batch; another seed differs. */
    CHECK(gen("--input tg/data --sampler ddim --steps 5 --out tg/b.txt --batch 1", "tg/b.log") == 0);
    char *a = cli_slurp("tg/a.txt"), *b = cli_slurp("tg/b.txt");
    CHECK(strlen(a) > 0 && strcmp(a, b) == 0);
    free(b);
    CHECK(gen("--input tg/data --sampler ddim --steps 5 --out tg/c.txt --batch 3 --seed 2 --eta 1", "tg/c.log") == 0);
    b = cli_slurp("tg/c.txt");
    CHECK(strcmp(a, b) != 0);
    free(a);
    free(b);

    /* DDPM with an explicit gap, a mask file, --limit. */
    CHECK(gen("--input tg/data --mask gap:2:3 --limit 3 --out tg/d.txt --batch 2", "tg/d.log") == 0);
    window_set d;
    CHECK(load_text("tg/d.txt", &d) == 0 && d.count == 3);
    exact = 1;
    for (int64_t i = 0; i < d.count * L; i++) {
        int l = (int)(i % L);
        if ((l < 2 || l > 4) && d.ids[i] != in.ids[i]) exact = 0;
    }
    CHECK(exact);
    window_set_free(&d);
    /* --save-input writes the windows used, for evaluate to pair with. */
    CHECK(gen("--input tg/data --limit 2 --sampler ddim --steps 2 --out tg/si.txt --save-input tg/si.real", "tg/si.log") == 0);
    window_set si;
    CHECK(load_text("tg/si.real", &si) == 0 && si.count == 2 && memcmp(si.ids, in.ids, sizeof(int32_t) * 2 * L) == 0);
    window_set_free(&si);
    cli_write("tg/mask.txt", "1,1,1,1,1,0,0,1,1,1,1,1,1,1,0,1");
    CHECK(gen("--input tg/data --mask tg/mask.txt --limit 2 --sampler ddim --steps 3 --out tg/e.txt", "tg/e.log") == 0);
    char *e = cli_slurp("tg/e.txt.mask");
    CHECK(strncmp(e, "1,1,1,1,1,0,0,1,1,1,1,1,1,1,0,1\n1,1,1,1,1,0,0,", 46) == 0);
    free(e);
    window_set_free(&in);
    window_set_free(&out);
    window_set_free(&mask);
}

static void test_forecast_synthesise(void) {
    CHECK(gen("--input tg/data --forecast 5 --sampler ddim --steps 4 --out tg/f.txt", "tg/f.log") == 0);
    window_set m;
    CHECK(load_text("tg/f.txt.mask", &m) == 0 && m.count == 6);
    int ok = 1;
    for (int64_t i = 0; i < m.count * L; i++) ok &= m.ids[i] == ((i % L) >= L - 5 ? 0 : 1);
    CHECK(ok);
    window_set_free(&m);
    /* The checkpoint trained on mid:4 only: asking for other tasks warns. */
    char *log = cli_slurp("tg/f.log");
    CHECK_STR_CONTAINS(log, "warning: the checkpoint trained on the task mid:4 and never on forecast:5");
    free(log);
    CHECK(gen("--num 5 --sampler ddim --steps 4 --out tg/s.txt --batch 2", "tg/s.log") == 0);
    log = cli_slurp("tg/s.log");
    CHECK_STR_CONTAINS(log, "never on none");
    free(log);
    window_set s;
    CHECK(load_text("tg/s.txt", &s) == 0 && s.count == 5 && s.length == L);
    window_set_free(&s);
    CHECK(load_text("tg/s.txt.mask", &m) == 0 && m.count == 5);
    ok = 1;
    for (int64_t i = 0; i < m.count * L; i++) ok &= m.ids[i] == 0;
    CHECK(ok);
    window_set_free(&m);
}

static void test_formats(void) {
    CHECK(gen("--input tg/data --sampler ddim --steps 3 --out tg/r.txt", "tg/r.log") == 0);
    CHECK(gen("--input tg/data --sampler ddim --steps 3 --out tg/r.npy", "tg/rn.log") == 0);
    CHECK(gen("--input tg/data --sampler ddim --steps 3 --out tg/r.h5", "tg/rh.log") == 0);
    CHECK(gen("--input tg/data --sampler ddim --steps 3 --out tg/r.out --format names", "tg/rs.log") == 0);
    window_set t, n, h, hm, mask;
    error_info err;
    CHECK(load_text("tg/r.txt", &t) == 0);
    CHECK(load_text("tg/r.txt.mask", &mask) == 0);
    CHECK(windows_read_npy("tg/r.npy", &n, &err) == 0);
    CHECK(n.count == t.count && memcmp(n.ids, t.ids, sizeof(int32_t) * (size_t)t.count * L) == 0);
    CHECK(gen_read_h5("tg/r.h5", &h, &hm, &err) == 0);
    CHECK(h.count == t.count && memcmp(h.ids, t.ids, sizeof(int32_t) * (size_t)t.count * L) == 0);
    CHECK(hm.count == t.count && memcmp(hm.ids, mask.ids, sizeof(int32_t) * (size_t)t.count * L) == 0);
    /* windows_load reads the h5's /windows too (what evaluate uses). */
    window_set w2;
    CHECK(windows_load("tg/r.h5", NULL, 0, &w2, &err) == 0 && w2.count == t.count);
    window_set_free(&w2);
    char *names = cli_slurp("tg/r.out");
    char expect[256] = "";
    for (int l = 0; l < L; l++) {
        size_t k = strlen(expect);
        snprintf(expect + k, sizeof expect - k, "%sev%d", l ? " " : "", t.ids[l]);
    }
    CHECK_MSG(strncmp(names, expect, strlen(expect)) == 0, "names: %.80s, expected %s", names, expect);
    free(names);
    window_set_free(&t);
    window_set_free(&n);
    window_set_free(&h);
    window_set_free(&hm);
    window_set_free(&mask);
}

static void test_samples_top_snap(void) {
    int rc = gen("--input tg/data --limit 2 --sampler ddim --steps 3 --eta 1 --samples 5 --top 2 --snap --out tg/v.txt",
                 "tg/v.log");
    char *log = cli_slurp("tg/v.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "window 1 position 8:");
    CHECK_STR_CONTAINS(log, "5 samples per window");
    CHECK_STR_CONTAINS(log, "--snap changed");
    CHECK_STR_CONTAINS(log, "wrote tg/v.txt, tg/v.txt.mask, tg/v.txt.confidence");
    free(log);
    char *conf = cli_slurp("tg/v.txt.confidence");
    CHECK(strncmp(conf, "1.000,", 6) == 0);
    free(conf);
    /* --samples 1 equals the first of several samples' noise: sample 0's output with one sample. */
    CHECK(gen("--input tg/data --limit 2 --sampler ddim --steps 3 --eta 1 --out tg/v1.txt", "tg/v1.log") == 0);
    CHECK(gen("--input tg/data --limit 2 --sampler ddim --steps 3 --eta 1 --out tg/v1b.txt --batch 1", "tg/v1b.log") == 0);
    char *x = cli_slurp("tg/v1.txt"), *y = cli_slurp("tg/v1b.txt");
    CHECK(strcmp(x, y) == 0);
    free(x);
    free(y);
    /* The repaired output pairs up. */
    window_set v;
    CHECK(load_text("tg/v.txt", &v) == 0);
    for (int64_t w = 0; w < v.count; w++) {
        uint8_t obs[L];
        for (int l = 0; l < L; l++) obs[l] = 1;
        int32_t copy[L];
        memcpy(copy, v.ids + w * L, sizeof copy);
        CHECK(snap_window(copy, obs, NULL, L) == 0); /* nothing left to repair */
    }
    window_set_free(&v);
}

/* A reconstruction of the checkpoint's task mid:4 (positions 8..11 of 16):
 * observed events exact, every event in the vocabulary. */
static void check_mid4_output(const window_set *in, const window_set *out) {
    int exact = out->count == in->count, in_vocab = 1;
    for (int64_t i = 0; out->count == in->count && i < in->count * L; i++) {
        int l = (int)(i % L);
        if ((l < 8 || l >= 12) && out->ids[i] != in->ids[i]) exact = 0;
        if (out->ids[i] < 1 || out->ids[i] > V) in_vocab = 0;
    }
    CHECK(exact);
    CHECK(in_vocab);
}

/* Models with the masked and bits encodings through the tool. */
static void test_encodings(void) {
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --device cpu --threads 1 --input tg/data --out tg/m.txt --batch 3",
             gen_bin);
    int rc = cli_run(cmd, "tg/m.log");
    char *log = cli_slurp("tg/m.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "unmasking one event per pass");
    CHECK_STR_CONTAINS(log, "revealing every position at least 0.9999 sure at once"); /* the default */
    free(log);
    window_set in, out;
    CHECK(load_text("tg/data/testing", &in) == 0);
    CHECK(load_text("tg/m.txt", &out) == 0);
    check_mid4_output(&in, &out);
    window_set_free(&out);
    /* The same with another batch size. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --device cpu --threads 1 --input tg/data --out tg/m1.txt --batch 1",
             gen_bin);
    CHECK(cli_run(cmd, "tg/m1.log") == 0);
    char *a = cli_slurp("tg/m.txt"), *b = cli_slurp("tg/m1.txt");
    CHECK(strlen(a) > 0 && strcmp(a, b) == 0);
    free(a);
    free(b);
    /* --top with one sample prints the model's probabilities, most likely first. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --device cpu --threads 1 --input tg/data --limit 1 --top 2 "
             "--out tg/mt.txt", gen_bin);
    CHECK(cli_run(cmd, "tg/mt.log") == 0);
    log = cli_slurp("tg/mt.log");
    const char *line = strstr(log, "window 1 position 9:");
    CHECK(line != NULL);
    if (line) {
        int e1 = 0, e2 = 0;
        char n1[16], n2[16];
        double p1 = -1, p2 = -1;
        CHECK(sscanf(line, "window 1 position 9: %d:%15s %lf %d:%15s %lf", &e1, n1, &p1, &e2, n2, &p2) == 6);
        CHECK(e1 >= 1 && e1 <= V && e2 >= 1 && e2 <= V && e1 != e2);
        CHECK(p1 >= p2 && p2 > 0 && p1 + p2 <= 1.0 + 1e-6);
    }
    free(log);
    /* Several samples drawn at temperature 1 vote; fewer passes; forecast; synthesis. */
    const char *modes[] = {"--input tg/data --samples 3 --top 1", "--input tg/data --steps 2",
                           "--input tg/data --forecast 3", "--num 2", "--input tg/data --temperature 0.5",
                           "--num 2 --order confidence", "--input tg/data --order random",
                           "--input tg/data --confident 0", "--input tg/data --confident 0.5",
                           "--num 2 --refine 2", "--input tg/data --refine 1"};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --device cpu --threads 1 %s --out tg/mm.txt", gen_bin,
                 modes[i]);
        rc = cli_run(cmd, "tg/mm.log");
        log = cli_slurp("tg/mm.log");
        CHECK_MSG(rc == 0, "%s: %s", modes[i], log);
        /* Synthesis reveals in a random order unless told otherwise; reconstruction surest first. */
        int random = strstr(modes[i], "--order random") || (strstr(modes[i], "--num") && !strstr(modes[i], "--order"));
        CHECK_STR_CONTAINS(log, random ? "(random order)" : "(surest first)");
        if (strstr(modes[i], "--refine 2")) CHECK_STR_CONTAINS(log, "2 refinement sweeps");
        if (strstr(modes[i], "--refine 1")) CHECK_STR_CONTAINS(log, "1 refinement sweep");
        free(log);
        CHECK(load_text("tg/mm.txt", &out) == 0);
        int in_vocab = 1;
        for (int64_t j = 0; j < out.count * L; j++)
            if (out.ids[j] < 1 || out.ids[j] > V) in_vocab = 0;
        CHECK_MSG(in_vocab, "%s", modes[i]);
        window_set_free(&out);
    }
    /* A bits model samples with DDIM and decodes to valid IDs. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/bits.ckpt --device cpu --threads 1 --input tg/data --sampler ddim "
             "--steps 3 --out tg/bb.txt", gen_bin);
    rc = cli_run(cmd, "tg/bb.log");
    log = cli_slurp("tg/bb.log");
    CHECK_MSG(rc == 0, "%s", log);
    free(log);
    CHECK(load_text("tg/bb.txt", &out) == 0);
    check_mid4_output(&in, &out);
    window_set_free(&out);
    window_set_free(&in);
    /* Options of the other kind of sampler are refused with the reason. */
    struct { const char *ck, *args, *needle; } bad[] = {
        {"tg/masked.ckpt", "--input tg/data --sampler ddim", "masked encoding"},
        {"tg/masked.ckpt", "--input tg/data --eta 0.5", "masked encoding"},
        {"tg/bits.ckpt", "--input tg/data --temperature 1", "bits encoding"},
        {"tg/bits.ckpt", "--input tg/data --top 2", "--samples"},
        {"tg/bits.ckpt", "--input tg/data --ngram-prior 1", "bits encoding"},
        {"tg/bits.ckpt", "--input tg/data --order random", "bits encoding"},
        {"tg/masked.ckpt", "--input tg/data --order sideways", "expected confidence or random"},
        {"tg/masked.ckpt", "--input tg/data --ngram-prior 1", "does not record the dataset"},
        {"tg/masked.ckpt", "--input tg/data --ngram-prior -1", "--ngram-prior"},
        {"tg/masked.ckpt", "--input tg/data --confident 1.5", "--confident"},
        {"tg/masked.ckpt", "--input tg/data --order random --confident 0.9", "surest-first order"},
        {"tg/masked.ckpt", "--num 2 --confident 0.9", "surest-first order"},
        {"tg/bits.ckpt", "--input tg/data --confident 0.9", "bits encoding"},
        {"tg/bits.ckpt", "--input tg/data --refine 1", "bits encoding"},
        {"tg/masked.ckpt", "--num 2 --refine 0 --ngram-prior-in refine", "needs --refine"},
        {"tg/masked.ckpt", "--num 2 --refine 1 --ngram-prior-in sometimes", "expected all or refine"},
        {"tg/masked.ckpt", "--num 2 --refine -1", "--refine"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "%s --checkpoint %s --device cpu --threads 1 %s --out tg/x.txt", gen_bin, bad[i].ck,
                 bad[i].args);
        CHECK_MSG(cli_run(cmd, "tg/x.log") != 0, "'%s' accepted", bad[i].args);
        log = cli_slurp("tg/x.log");
        CHECK_MSG(strstr(log, bad[i].needle) != NULL, "'%s': \"%s\" lacks \"%s\"", bad[i].args, log, bad[i].needle);
        free(log);
    }
}

static void test_refusals(void) {
    struct { const char *args, *needle; } cases[] = {
        {"--input tg/data12", "12 events"},
        {"--input tg/data --mask mid:0", "mid:0"},
        {"--input tg/data --mask mid:40", "larger than the window length"},
        {"--input tg/data --mask random-gap:3", "random masks are for training"},
        {"--input tg/data --mask tg/badmask.txt", "rows of 3 positions"},
        {"--input tg/data --forecast 4 --mask mid:2", "--forecast"},
        {"--num 3 --length 20 --overlap 16", "--overlap 16"},
        {"--num 3 --length 12 --overlap 4", "fits in one window"},
        {"--input tg/data --overlap 4", "--overlap"},
        {"--num 3 --length 40 --samples 2", "--samples"},
        {"--num 0", "--num 0"},
        {"--input tg/data --steps 5", "--sampler ddim"},
        {"--input tg/data --sampler ddim --eta 2", "--eta 2"},
        {"--input tg/data --top 3", "--samples"},
        {"--input tg/data --format xml", "--format xml"},
        {"--input tg/data --batch 0", "--batch 0"},
        {"--input tg/nowhere", "tg/nowhere"},
        {"--input tg/data9", "outside the model's vocabulary"},
        {"", "choose a mode"},
    };
    cli_write("tg/badmask.txt", "1,0,1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = gen(cases[i].args, "tg/bad.log");
        char *log = cli_slurp("tg/bad.log");
        CHECK_MSG(rc != 0, "'%s' accepted", cases[i].args);
        CHECK_MSG(strstr(log, cases[i].needle) != NULL, "'%s': \"%s\" lacks \"%s\"", cases[i].args, log,
                  cases[i].needle);
        free(log);
    }
    snprintf(cmd, sizeof cmd, "%s --input tg/data", gen_bin);
    CHECK(cli_run(cmd, "tg/bad.log") != 0);
}

/* --ensemble: a checkpoint joined by its own copy fills every gap as it does
 * alone, with the same probabilities, and says so in the output's
 * provenance; a network of other weights changes the probabilities;
 * checkpoints that do not model the same windows the same way are refused,
 * naming the file. */
static void test_ensemble(void) {
    const char *base = "--device cpu --threads 1 --input tg/data --batch 3 --top 2";
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt %s --out tg/e0.txt", gen_bin, base);
    CHECK(cli_run(cmd, "tg/e0.log") == 0);
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --ensemble tg/masked.ckpt %s --out tg/e1.txt", gen_bin,
             base);
    int rc = cli_run(cmd, "tg/e1.log");
    char *log0 = cli_slurp("tg/e0.log"), *log1 = cli_slurp("tg/e1.log");
    CHECK_MSG(rc == 0, "%s", log1);
    CHECK_STR_CONTAINS(log1, "the geometric mean of 2 networks");
    /* The --top lines (the probabilities) are the same. */
    const char *t0 = strstr(log0, "window 1 position"), *t1 = strstr(log1, "window 1 position");
    CHECK(t0 && t1);
    if (t0 && t1) {
        size_t n0 = strcspn(t0, "g"), n1 = strcspn(t1, "g"); /* up to "generate: ..." */
        CHECK(n0 == n1 && n0 > 40 && !strncmp(t0, t1, n0));
    }
    window_set a, b;
    CHECK(load_text("tg/e0.txt", &a) == 0 && load_text("tg/e1.txt", &b) == 0);
    CHECK(a.count == b.count && !memcmp(a.ids, b.ids, sizeof(int32_t) * (size_t)a.count * L));
    window_set_free(&a);
    window_set_free(&b);
    /* An HDF5 output records the ensemble in its provenance. */
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --ensemble tg/masked.ckpt %s --limit 1 --out tg/e1.h5",
             gen_bin, base);
    CHECK(cli_run(cmd, "tg/e1h5.log") == 0);
    char provenance[8192] = "";
    hid_t f = H5Fopen("tg/e1.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0 && H5LTget_attribute_string(f, "/", "provenance", provenance) >= 0);
    if (f >= 0) H5Fclose(f);
    CHECK_STR_CONTAINS(provenance, "ensemble with tg/masked.ckpt");
    free(log1);

    make_random_checkpoint("tg/masked-other.ckpt", ENCODING_MASKED, L, V, "mid:4", "entry-exit", 1.0);
    snprintf(cmd, sizeof cmd, "%s --checkpoint tg/masked.ckpt --ensemble tg/masked-other.ckpt %s --out tg/e2.txt",
             gen_bin, base);
    CHECK(cli_run(cmd, "tg/e2.log") == 0);
    char *log2 = cli_slurp("tg/e2.log");
    const char *t2 = strstr(log2, "window 1 position");
    CHECK(t0 && t2 && strncmp(t0, t2, strcspn(t0, "g")) != 0);
    free(log0);
    free(log2);

    make_random_checkpoint("tg/masked9.ckpt", ENCODING_MASKED, L, 9, "mid:4", "entry-exit", 0.05);
    make_random_checkpoint("tg/masked-l12.ckpt", ENCODING_MASKED, 12, V, "mid:4", "entry-exit", 0.05);
    struct { const char *checkpoint, *member, *needle; } cases[] = {
        {"tg/masked.ckpt", "tg/masked9.ckpt", "tg/masked9.ckpt: 9 event types"},
        {"tg/masked.ckpt", "tg/masked-l12.ckpt", "windows of 12"},
        {"tg/masked.ckpt", "tg/bits.ckpt", "masked encoding"},
        {"tg/bits.ckpt", "tg/masked.ckpt", "--ensemble applies to the masked encoding"},
        {"tg/masked.ckpt", "tg/nowhere.ckpt", "tg/nowhere.ckpt"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd,
                 "%s --checkpoint %s --ensemble %s --device cpu --threads 1 --input tg/data --out tg/eb.txt", gen_bin,
                 cases[i].checkpoint, cases[i].member);
        rc = cli_run(cmd, "tg/eb.log");
        char *log = cli_slurp("tg/eb.log");
        CHECK_MSG(rc != 0, "--ensemble %s accepted beside %s", cases[i].member, cases[i].checkpoint);
        CHECK_MSG(strstr(log, cases[i].needle) != NULL, "\"%s\" lacks \"%s\"", log, cases[i].needle);
        free(log);
    }
}

/* The dataset's event kind and vocabulary size come from the checkpoint's
 * own fields; an older checkpoint without them still generates, its
 * vocabulary size taken from the stored vocabulary and its event kind unknown. */
static void test_dataset_facts(void) {
    make_checkpoint_of("tg/calls.ckpt", ENCODING_ID, "call");
    copy_without_dataset_facts("tg/model.ckpt", "tg/old.ckpt");
    struct { const char *ck, *args, *needle; int ok; } cases[] = {
        {"tg/calls.ckpt", "--input tg/data --snap", "events = call", 0},
        {"tg/old.ckpt", "--input tg/data --sampler ddim --steps 2", "wrote tg/x.txt", 1},
        {"tg/old.ckpt", "--input tg/data9", "outside the model's vocabulary 1..6", 0},
        {"tg/old.ckpt", "--num 2 --sampler ddim --steps 2 --snap", "the checkpoint does not say", 0},
        {"tg/model.ckpt", "--num 2 --sampler ddim --steps 2 --snap", "wrote tg/x.txt", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(cmd, sizeof cmd, "%s --checkpoint %s --device cpu --threads 1 %s --out tg/x.txt", gen_bin,
                 cases[i].ck, cases[i].args);
        int rc = cli_run(cmd, "tg/x.log");
        char *log = cli_slurp("tg/x.log");
        CHECK_MSG((rc == 0) == cases[i].ok, "%s %s: exit status %d: %s", cases[i].ck, cases[i].args, rc, log);
        CHECK_MSG(strstr(log, cases[i].needle) != NULL, "%s %s: \"%s\" lacks \"%s\"", cases[i].ck, cases[i].args,
                  log, cases[i].needle);
        free(log);
    }
}

static void test_snap_unit(void) {
    uint8_t obs[8] = {1, 1, 1, 0, 0, 1, 1, 1};
    int32_t w1[8] = {1, 1, 2, 5, 3, 3, 4, 4}; /* position 3 should be 2 */
    CHECK(snap_window(w1, obs, NULL, 8) == 1);
    int32_t want1[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    CHECK(memcmp(w1, want1, sizeof want1) == 0);
    int32_t w2[8] = {1, 1, 2, 2, 3, 3, 4, 4}; /* already paired */
    CHECK(snap_window(w2, obs, NULL, 8) == 0);
    /* Two generated events of one pair disagree: the less confident one yields. */
    uint8_t obs3[8] = {1, 1, 0, 0, 1, 1, 1, 1};
    int32_t w3[8] = {1, 1, 5, 6, 3, 3, 4, 4};
    float conf[8] = {1, 1, 0.4f, 0.9f, 1, 1, 1, 1};
    CHECK(snap_window(w3, obs3, conf, 8) == 1);
    CHECK(w3[2] == 6 && w3[3] == 6);
    /* Observed events are never changed, even when they do not pair. */
    uint8_t all[6] = {1, 1, 1, 1, 1, 1};
    int32_t w4[6] = {1, 2, 3, 3, 4, 5};
    int32_t c4[6];
    memcpy(c4, w4, sizeof c4);
    CHECK(snap_window(w4, all, NULL, 6) == 0 && memcmp(w4, c4, sizeof c4) == 0);
    /* Pairing score: entry-exit runs are even. */
    int32_t ids[12] = {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 4, 4};
    int64_t runs;
    CHECK(snap_pairing_score(ids, NULL, 1, 12, &runs) == 1.0 && runs == 4);
    int32_t odd[12] = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3};
    CHECK(snap_pairing_score(odd, NULL, 1, 12, &runs) == 0.0 && runs == 10);
}

/* A copy of a checkpoint that says it was trained on `dataset`. */
static void copy_with_dataset(const char *from, const char *to, const char *dataset) {
    test_copy_prefix(from, to, -1);
    hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0 || (H5Aexists(f, "dataset") > 0 && H5Adelete(f, "dataset") < 0) ||
        H5LTset_attribute_string(f, ".", "dataset", dataset) < 0)
        die("test: cannot set the dataset of %s", to);
    H5Fclose(f);
}

/* --ngram-prior: fitted on the checkpoint's dataset, observed events kept;
 * a dataset that is gone is an error that says so. */
static void test_ngram_prior(void) {
    char where[4096];
    if (!realpath("tg/data", where)) die("test: realpath tg/data");
    copy_with_dataset("tg/masked.ckpt", "tg/masked_ds.ckpt", where);
    snprintf(cmd, sizeof cmd,
             "%s --checkpoint tg/masked_ds.ckpt --device cpu --threads 1 --input tg/data --ngram-prior 1 --out tg/p.txt",
             gen_bin);
    int rc = cli_run(cmd, "tg/p.log");
    char *log = cli_slurp("tg/p.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "n-gram prior: order");
    CHECK_STR_CONTAINS(log, "n-gram prior weight 1");
    /* The whole description of the sampler, prior and default --confident together. */
    CHECK_STR_CONTAINS(log, "n-gram prior weight 1, revealing every position at least 0.9999 sure at once in ");
    free(log);
    window_set in, out;
    CHECK(load_text("tg/data/testing", &in) == 0);
    CHECK(load_text("tg/p.txt", &out) == 0);
    check_mid4_output(&in, &out);
    window_set_free(&in);
    window_set_free(&out);
    copy_with_dataset("tg/masked.ckpt", "tg/masked_gone.ckpt", "/nonexistent/dataset");
    snprintf(cmd, sizeof cmd,
             "%s --checkpoint tg/masked_gone.ckpt --device cpu --threads 1 --input tg/data --ngram-prior 1 --out tg/q.txt",
             gen_bin);
    CHECK(cli_run(cmd, "tg/q.log") != 0);
    log = cli_slurp("tg/q.log");
    CHECK_STR_CONTAINS(log, "--ngram-prior: the checkpoint's dataset cannot be found");
    free(log);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_generate_cli GENERATE_BINARY\n");
        return 2;
    }
    gen_bin = argv[1];
    test_snap_unit();
    cli_scratch("tg");
    cli_make_dataset("tg/data", L, 12, 6, V);
    cli_make_dataset("tg/data12", 12, 12, 6, V);
    cli_make_dataset("tg/data9", L, 12, 6, 9);
    make_checkpoint("tg/model.ckpt", ENCODING_ID);
    make_checkpoint("tg/masked.ckpt", ENCODING_MASKED);
    make_checkpoint("tg/bits.ckpt", ENCODING_BITS);
    test_reconstruct();
    test_forecast_synthesise();
    test_formats();
    test_samples_top_snap();
    test_encodings();
    test_dataset_facts();
    test_refusals();
    test_ngram_prior();
    test_ensemble();
    return test_finish("test_generate_cli");
}
