/* Command-line tests of the evaluate tool: clear errors (file, line, what is
 * wrong; non-zero exit) for bad inputs, the GENERATED.mask convention, and the
 * content of the JSON and HTML outputs. argv[1] is the tool. */
#include "dataset_h5.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static const char *tool;
static char out_text[1 << 16];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path) {
    static char buf[1 << 20];
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Run the tool with arguments; stdout and stderr go to out_text. Returns the exit code. */
static int run(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > cli_out.txt 2>&1", tool, args);
    int st = system(cmd);
    snprintf(out_text, sizeof out_text, "%s", read_file("cli_out.txt"));
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_errors(void) {
    write_file("real.txt", "1,2,3,4\n5,6,7,8\n1,1,2,2");
    write_file("ragged.txt", "1,2,3,4\n5,6,7\n");
    CHECK(run("ragged.txt real.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "ragged.txt:2");
    CHECK_STR_CONTAINS(out_text, "ragged");
    write_file("short.txt", "1,2,3\n");
    CHECK(run("short.txt real.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "3 events");
    CHECK(run("missing.txt real.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "missing.txt");
    write_file("badmask.txt", "1,1,2,1");
    CHECK(run("real.txt real.txt --mask badmask.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "badmask.txt:1");
    write_file("shape.txt", "1,1,0,1\n1,1,0,1");
    CHECK(run("real.txt real.txt --mask shape.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "2 x 4");
    CHECK(run("real.txt real.txt --mask mid:9") != 0);
    CHECK_STR_CONTAINS(out_text, "mid:9");
    CHECK(run("real.txt") != 0);
    CHECK(run("real.txt real.txt --bogus") != 0);
    CHECK_STR_CONTAINS(out_text, "--bogus");
    write_file("bad.txt", "1,2,x,4\n");
    CHECK(run("bad.txt real.txt") != 0);
    CHECK_STR_CONTAINS(out_text, "bad.txt:1: token 3");
}

static void test_json(void) {
    /* Reconstruction of the middle two events (mid:2 on L = 4 -> chunks 0-1, 2-3;
     * middle = chunk 1 -> positions 2, 3):
     *   real 1 2 3 4 / 5 6 7 8 / 1 1 2 2, gen 1 2 3 4 / 5 6 8 7 / 1 1 2 9
     *   window accuracies 1, 0, 1/2 -> 50%; perfect 1/3 -> 33.33%;
     *   LCS: 2, 1 (8 7 vs 7 8), 1 -> (1 + 1/2 + 1/2)/3 = 66.67%. */
    write_file("gen.txt", "1,2,3,4\n5,6,8,7\n1,1,2,9");
    CHECK(run("gen.txt real.txt --mask mid:2 --json out.json --html out.html") == 0);
    char *j = read_file("out.json");
    CHECK_STR_CONTAINS(j, "\"accuracy\": 50,");
    CHECK_STR_CONTAINS(j, "\"perfect\": 33.33333333");
    CHECK_STR_CONTAINS(j, "\"rougeL_event\": 66.66666667");
    CHECK_STR_CONTAINS(j, "\"accuracy_by_position\": [null,null,66.66666667,33.33333333]");
    CHECK_STR_CONTAINS(j, "\"observed_mismatches\": 0");
    CHECK_STR_CONTAINS(j, "\"kl_smoothing\"");
    CHECK_STR_CONTAINS(j, "\"js_events_bits\"");
    CHECK_STR_CONTAINS(j, "\"unique_only_generated\": 1");
    CHECK_STR_CONTAINS(j, "\"out_of_vocabulary_generated\": 1");
    CHECK_STR_CONTAINS(j, "\"baselines\": null");
    CHECK_STR_CONTAINS(out_text, "accuracy");
    char *h = read_file("out.html");
    CHECK_STR_CONTAINS(h, "<svg");
    CHECK_STR_CONTAINS(h, "</html>");
    CHECK(strstr(h, "http") == NULL && strstr(h, "src=") == NULL && strstr(h, "<script") == NULL);

    /* GENERATED.mask beside GENERATED is used when --mask is absent. */
    write_file("gen.txt.mask", "1,1,0,0");
    CHECK(run("gen.txt real.txt --json out2.json") == 0);
    CHECK_STR_CONTAINS(read_file("out2.json"), "\"accuracy\": 50,");
    CHECK_STR_CONTAINS(read_file("out2.json"), "gen.txt.mask");
    remove("gen.txt.mask");

    /* No mask: unconditional, so no reconstruction block. */
    CHECK(run("gen.txt real.txt --json out3.json") == 0);
    j = read_file("out3.json");
    CHECK_STR_CONTAINS(j, "\"reconstruction\": null");
    CHECK_STR_CONTAINS(j, "\"unconditional\": true");
    CHECK_STR_CONTAINS(j, "\"scope\": \"whole windows\"");

    /* An all-ones mask: nothing generated, said so; whole windows compared. */
    write_file("ones.txt", "1,1,1,1");
    CHECK(run("gen.txt real.txt --mask ones.txt --json out8.json") == 0);
    CHECK_STR_CONTAINS(out_text, "nothing was generated");
    CHECK_STR_CONTAINS(read_file("out8.json"), "\"reconstruction\": null");

    /* Observed positions that differ from REAL are counted and warned about. */
    write_file("broken.txt", "9,2,3,4\n5,6,7,8\n1,1,2,2");
    CHECK(run("broken.txt real.txt --mask mid:2 --json out4.json") == 0);
    CHECK_STR_CONTAINS(read_file("out4.json"), "\"observed_mismatches\": 1");
    CHECK_STR_CONTAINS(out_text, "WARNING");

    /* With training data that contains every test window: leakage warning and
     * a context baseline that beats a model generating garbage. */
    write_file("train.txt", "1,2,3,4\n5,6,7,8\n1,1,2,2\n3,3,3,3");
    write_file("garbage.txt", "1,2,9,9\n5,6,9,9\n1,1,9,9");
    CHECK(run("garbage.txt real.txt --mask mid:2 --train train.txt --json out5.json") == 0);
    j = read_file("out5.json");
    CHECK_STR_CONTAINS(j, "\"real_in_training_windows\": 3");
    CHECK_STR_CONTAINS(j, "\"context_lookup\"");
    CHECK_STR_CONTAINS(j, "test set leaks");
    CHECK_STR_CONTAINS(j, "beats the model");
    CHECK_STR_CONTAINS(out_text, "WARNING");
}

static void test_npy_input(void) {
    /* A float (N, L, 1) .npy of generated values, rounded half to even: 2.5 -> 2. */
    static const unsigned char header[] = "\x93NUMPY\x01\x00";
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 1), }";
    char hdr[128];
    int len = (int)strlen(dict);
    int total = 10 + len + 1;
    int pad = (64 - total % 64) % 64;
    snprintf(hdr, sizeof hdr, "%s%*s\n", dict, pad, "");
    FILE *f = fopen("gen.npy", "wb");
    fwrite(header, 1, 8, f);
    unsigned short hl = (unsigned short)strlen(hdr);
    fwrite(&hl, 2, 1, f);
    fwrite(hdr, 1, hl, f);
    float v[4] = {1.0f, 2.0f, 2.5f, 4.2f};
    fwrite(v, sizeof v, 1, f);
    fclose(f);
    write_file("one.txt", "1,2,3,4");
    CHECK(run("gen.npy one.txt --mask mid:2 --json out6.json") == 0);
    CHECK_STR_CONTAINS(read_file("out6.json"), "\"accuracy_by_position\": [null,null,0,100]");
}

static void test_dataset_h5(void) {
    /* A dataset .h5 as REAL and TRAIN: its testing split, its training split, and
     * its vocabulary size (5) bound the valid IDs, so the generated 7 is outside. */
    error_info err;
    dataset ds = {0};
    snprintf(ds.name, sizeof ds.name, "toy");
    ds.length = 4;
    ds.stride = 4;
    snprintf(ds.events, sizeof ds.events, "call");
    snprintf(ds.split, sizeof ds.split, "run");
    window_set_init(&ds.training, 2, 4);
    window_set_init(&ds.testing, 1, 4);
    int32_t tr[8] = {1, 2, 1, 3, 2, 1, 1, 1}, te[4] = {3, 2, 1, 1};
    memcpy(ds.training.ids, tr, sizeof tr);
    memcpy(ds.testing.ids, te, sizeof te);
    char *names[5] = {"read", "write", "openat", "close", "mmap"};
    int64_t counts[5] = {6, 3, 1, 1, 1};
    ds.vocab.size = 5;
    ds.vocab.names = names;
    ds.vocab.counts = counts;
    CHECK(dataset_h5_write("toy.h5", &ds, &err) == 0);
    window_set_free(&ds.training);
    window_set_free(&ds.testing);
    write_file("gen1.txt", "3,2,7,1");
    CHECK(run("gen1.txt toy.h5 --train toy.h5 --mask mid:2 --json out7.json") == 0);
    char *j = read_file("out7.json");
    CHECK_STR_CONTAINS(j, "\"vocab_max\": 5");
    CHECK_STR_CONTAINS(j, "dataset vocabulary");
    CHECK_STR_CONTAINS(j, "\"out_of_vocabulary_generated\": 1");
    CHECK_STR_CONTAINS(j, "\"training_windows\": 2");
    /* Gap 1 1 vs generated 7 1: accuracy 1/2. */
    CHECK_STR_CONTAINS(j, "\"accuracy\": 50,");
}

/* The per-type figures through the tool: the worked example of
 * test_eval_types.c (L = 6, gap at positions 2-4; macro 60%, tail 50% with
 * the default head of 4, 60% with --head 2), the exact JSON keys, and the
 * unseen subset: training holds window 0 verbatim, so windows 1 and 2 are
 * unseen. */
static void test_types(void) {
    write_file("t_real.txt", "5,5,1,1,2,5\n5,1,3,1,4,5\n5,5,2,6,1,5\n");
    write_file("t_gen.txt", "5,5,1,2,2,5\n5,1,3,1,7,5\n5,5,1,6,3,5\n");
    write_file("t_mask.txt", "1,1,0,0,0,1\n");
    write_file("t_train.txt", "5,5,1,1,2,5\n9,9,9,9,9,9\n");
    CHECK(run("t_gen.txt t_real.txt --mask t_mask.txt --train t_train.txt --no-nn --json t1.json --html t1.html") == 0);
    char *j = read_file("t1.json");
    const char *model = strstr(j, "\"reconstruction\": {");
    CHECK(model != NULL);
    if (model) {
        CHECK_STR_CONTAINS(model, "\"macro_accuracy\": 60,");
        CHECK_STR_CONTAINS(model, "\"tail_accuracy\": 50,");
        CHECK_STR_CONTAINS(model, "\"tail_positions\": 2,");
        CHECK_STR_CONTAINS(model, "\"distinct_generated\": 5,");
        CHECK_STR_CONTAINS(model, "\"distinct_real\": 5");
        CHECK_STR_CONTAINS(model, "\"head_events\": [5,1,2,3]");
        CHECK_STR_CONTAINS(model, "\"per_type\": [");
        CHECK_STR_CONTAINS(model, "{\"id\": 1, \"real\": 4, \"correct\": 2, \"recall\": 50, \"predicted\": 3, "
                                  "\"precision\": 66.66666667, \"most_frequent_wrong\": 2, \"most_frequent_wrong_count\": 1}");
        CHECK_STR_CONTAINS(model, "{\"id\": 7, \"real\": 0, \"correct\": 0, \"recall\": null");
    }
    const char *base = strstr(j, "\"context_lookup\": {");
    CHECK(base != NULL);
    if (base) {
        CHECK_STR_CONTAINS(base, "\"macro_accuracy\"");
        CHECK_STR_CONTAINS(base, "\"per_type\": [");
        /* Model minus this baseline, with its interval. */
        CHECK_STR_CONTAINS(base, "\"model_minus_baseline\": {");
        CHECK_STR_CONTAINS(base, "\"resamples\": 1000,");
        CHECK_STR_CONTAINS(base, "\"difference\": ");
    }
    const char *unseen = strstr(j, "\"unseen\": {");
    CHECK(unseen != NULL);
    if (unseen) {
        CHECK_STR_CONTAINS(unseen, "\"windows\": 2,");
        CHECK_STR_CONTAINS(unseen, "\"model\": {");
        CHECK_STR_CONTAINS(unseen, "\"most_frequent_event\": {");
    }
    CHECK_STR_CONTAINS(out_text, "macro accuracy");
    CHECK_STR_CONTAINS(out_text, "head (4 most frequent real events, all positions): 5 1 2 3");
    CHECK_STR_CONTAINS(out_text, "Unseen test windows");
    CHECK_STR_CONTAINS(out_text, "model minus baseline, points, with 95% intervals");
    char *h = read_file("t1.html");
    CHECK_STR_CONTAINS(h, "Model minus each baseline");
    CHECK_STR_CONTAINS(h, "Recall per event type");
    CHECK_STR_CONTAINS(h, "Unseen test windows");

    CHECK(run("t_gen.txt t_real.txt --mask t_mask.txt --head 2 --no-nn --json t2.json") == 0);
    j = read_file("t2.json");
    model = strstr(j, "\"reconstruction\": {");
    CHECK(model != NULL);
    if (model) {
        CHECK_STR_CONTAINS(model, "\"tail_accuracy\": 60,");
        CHECK_STR_CONTAINS(model, "\"tail_positions\": 5,");
    }
    CHECK_STR_CONTAINS(j, "\"unseen\": null");

    /* --head 6 covers every real event: no tail, tail_accuracy null. */
    CHECK(run("t_gen.txt t_real.txt --mask t_mask.txt --head 6 --no-nn --json t3.json") == 0);
    CHECK_STR_CONTAINS(read_file("t3.json"), "\"tail_accuracy\": null,");

    const char *bad[3] = {"0", "-1", "x"};
    for (int i = 0; i < 3; i++) {
        char args[256];
        snprintf(args, sizeof args, "t_gen.txt t_real.txt --mask t_mask.txt --head %s", bad[i]);
        CHECK(run(args) != 0);
        CHECK_STR_CONTAINS(out_text, "--head");
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_eval_cli PATH_TO_EVALUATE\n");
        return 2;
    }
    tool = argv[1];
    test_errors();
    test_json();
    test_npy_input();
    test_dataset_h5();
    test_types();
    return test_finish("test_eval_cli");
}
