/* The floor of the distribution figures (real against real) and the copies
 * of training, on a worked example whose figures are computed by hand; the
 * draw of training windows (seeded, without replacement, draws apart); the
 * scope follows the mask; the median and range over several draws equal
 * those of the draws computed by hand; and the figures in the text, JSON and
 * HTML views. argv[1] is the evaluate tool. */
#include "evaluation.h"
#include "floor.h"
#include "test_util.h"
#include "train/cli_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static void test_sample_rows(void) {
    int64_t rows[10], again[10], other[10];
    floor_sample_rows(10, 10, 1, rows);
    int all = 1;
    for (int i = 0; i < 10; i++) all &= rows[i] == i; /* every row once, ascending */
    CHECK(all);
    floor_sample_rows(1000, 10, 7, rows);
    floor_sample_rows(1000, 10, 7, again);
    floor_sample_rows(1000, 10, 8, other);
    int ascending = 1, in_range = 1;
    for (int i = 0; i < 10; i++) {
        in_range &= rows[i] >= 0 && rows[i] < 1000;
        if (i) ascending &= rows[i] > rows[i - 1]; /* no row twice */
    }
    CHECK(ascending && in_range);
    CHECK(memcmp(rows, again, sizeof rows) == 0);
    CHECK(memcmp(rows, other, sizeof rows) != 0);
    /* Every row can be drawn: 2 of 3, over many seeds, covers all three. */
    int seen[3] = {0, 0, 0};
    for (uint64_t s = 0; s < 50; s++) {
        int64_t two[2];
        floor_sample_rows(3, 2, s, two);
        seen[two[0]]++;
        seen[two[1]]++;
    }
    CHECK(seen[0] > 10 && seen[1] > 10 && seen[2] > 10);
    /* Draw 0 is the floor's first sample; other draws differ from it and from each other. */
    int64_t d0[10], d1[10], d2[10];
    floor_sample_rows(1000, 10, 7, rows);
    floor_sample_rows_draw(1000, 10, 7, 0, d0);
    floor_sample_rows_draw(1000, 10, 7, 1, d1);
    floor_sample_rows_draw(1000, 10, 7, 2, d2);
    CHECK(memcmp(rows, d0, sizeof rows) == 0);
    CHECK(memcmp(d0, d1, sizeof d0) != 0 && memcmp(d1, d2, sizeof d1) != 0);
}

/* TRAIN: five windows 1,2,1,2 (whatever is drawn, the floor's windows are
 * 1,2,1,2). REAL: 1,1,2,2 and 1,2,1,2. GENERATED: 1,2,1,2 (a copy of
 * training) and 3,3,3,3. Two windows are drawn (as many as GENERATED):
 *   events   floor {1: 4, 2: 4}, REAL {1: 4, 2: 4}: JS 0;
 *   bigrams  floor {12: 4, 21: 2}, REAL {11, 12 x3, 21, 22}: JS 0.1957096288;
 *   trigrams floor {121: 2, 212: 2}, REAL {112, 122, 121, 212}: JS 0.3112781245;
 *   distinct events: floor 2, generated 3, REAL 2;
 *   copies: 1 of 2 generated windows, 1 of 2 real windows. */
static void test_worked_example(void) {
    cli_write("fl_train.txt", "1,2,1,2\n1,2,1,2\n1,2,1,2\n1,2,1,2\n1,2,1,2");
    cli_write("fl_real.txt", "1,1,2,2\n1,2,1,2");
    cli_write("fl_gen.txt", "1,2,1,2\n3,3,3,3");
    eval_config cfg = {0};
    cfg.generated = "fl_gen.txt";
    cfg.real = "fl_real.txt";
    cfg.train = "fl_train.txt";
    cfg.threads = 1;
    cfg.seed = 5;
    eval_result r;
    error_info err;
    int rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(r.has_floor && r.floor.windows == 2 && r.floor.of_windows == 5 && r.floor.seed == 5);
    /* 20 draws by default; every training window is 1,2,1,2, so every draw scores the same. */
    CHECK(r.floor.draws == FLOOR_DEFAULT_DRAWS);
    CHECK_CLOSE(r.floor.lo[FLOOR_JS_BIGRAMS], 0.1957096288, 1e-9, 0);
    CHECK_CLOSE(r.floor.median[FLOOR_JS_BIGRAMS], 0.1957096288, 1e-9, 0);
    CHECK_CLOSE(r.floor.hi[FLOOR_JS_BIGRAMS], 0.1957096288, 1e-9, 0);
    CHECK(!r.floor.dist.generated_only);
    CHECK_CLOSE(r.floor.dist.js_event, 0.0, 1e-12, 0);
    CHECK_CLOSE(r.floor.dist.js_bigram, 0.1957096288, 1e-9, 0);
    CHECK_CLOSE(r.floor.dist.js_trigram, 0.3112781245, 1e-9, 0);
    CHECK(r.floor.dist.unique_gen == 2 && r.dist.unique_gen == 3 && r.dist.unique_real == 2);
    /* The generator's own figures are larger: its 3,3,3,3 is nowhere in REAL. */
    CHECK(r.dist.js_event > r.floor.dist.js_event && r.dist.js_bigram > r.floor.dist.js_bigram);
    /* Nearest neighbours: the floor's windows are all in REAL (F1 = 1 each). */
    CHECK(r.floor.has_nn);
    CHECK_CLOSE(r.floor.nn.mean_gen_to_real, 100.0, 1e-9, 0);
    CHECK(r.has_memo && r.memo.gen_in_trace == 1 && r.memo.real_in_trace == 1);
    eval_result_free(&r);

    /* Without --train there is no floor. */
    cfg.train = NULL;
    CHECK(eval_run(&cfg, &r, &err) == 0 && !r.has_floor);
    eval_result_free(&r);
}

/* With a mask the floor is scored on the generated positions, as the
 * generator is, and equals that computation done by hand on the drawn rows. */
static void test_scope(void) {
    char train[4096] = "";
    for (int w = 0; w < 40; w++) {
        char line[64];
        snprintf(line, sizeof line, "%s%d,%d,%d,%d,%d,%d", w ? "\n" : "", 1 + w % 3, 1 + w % 5, 2 + w % 2, 1 + w % 4,
                 3, 1 + w % 7);
        strcat(train, line);
    }
    cli_write("fs_train.txt", train);
    cli_write("fs_real.txt", "1,2,3,4,3,1\n2,2,2,1,3,5\n3,1,2,4,3,7");
    cli_write("fs_gen.txt", "1,2,2,2,3,1\n2,2,1,1,3,5\n3,1,1,4,3,7");
    eval_config cfg = {0};
    cfg.generated = "fs_gen.txt";
    cfg.real = "fs_real.txt";
    cfg.train = "fs_train.txt";
    cfg.mask = "mid:2"; /* positions 2 and 3 of 6 */
    cfg.threads = 1;
    cfg.skip_nn = 1;
    cfg.seed = 3;
    eval_result r;
    error_info err;
    int rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(r.has_floor && r.floor.windows == 3 && r.floor.dist.generated_only && !r.floor.has_nn);
    int64_t rows[3];
    floor_sample_rows(40, 3, 3, rows);
    CHECK(memcmp(rows, r.floor.rows, sizeof rows) == 0);
    window_set sample;
    window_set_init(&sample, 3, 6);
    for (int i = 0; i < 3; i++) memcpy(sample.ids + i * 6, r.train_ws.ids + rows[i] * 6, sizeof(int32_t) * 6);
    dist_metrics want;
    dist_compute(&sample, &r.mask, &r.real_ws, &r.mask, r.vocab_max, &want);
    CHECK_CLOSE(r.floor.dist.js_event, want.js_event, 1e-12, 0);
    CHECK_CLOSE(r.floor.dist.js_bigram, want.js_bigram, 1e-12, 0);
    CHECK_CLOSE(r.floor.dist.js_trigram, want.js_trigram, 1e-12, 0);
    CHECK(r.floor.dist.events_gen == 6); /* 2 generated positions x 3 windows */
    dist_free(&want);
    window_set_free(&sample);
    eval_result_free(&r);

    /* Five draws: each figure's smallest, median and largest value are those
     * of the five samples scored by hand (draw 0 the one above). */
    cfg.floor_draws = 5;
    rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(r.floor.draws == 5);
    double v[FLOOR_SPREAD_FIGURES][5];
    for (int d = 0; d < 5; d++) {
        floor_sample_rows_draw(40, 3, 3, d, rows);
        window_set_init(&sample, 3, 6);
        for (int i = 0; i < 3; i++) memcpy(sample.ids + i * 6, r.train_ws.ids + rows[i] * 6, sizeof(int32_t) * 6);
        dist_compute(&sample, &r.mask, &r.real_ws, &r.mask, r.vocab_max, &want);
        for (int f = 0; f < FLOOR_SPREAD_FIGURES; f++) v[f][d] = floor_figure(&want, f);
        dist_free(&want);
        window_set_free(&sample);
    }
    int spread = 0;
    for (int f = 0; f < FLOOR_SPREAD_FIGURES; f++) {
        /* sort five values by insertion */
        for (int i = 1; i < 5; i++)
            for (int j = i; j > 0 && v[f][j] < v[f][j - 1]; j--) {
                double t = v[f][j];
                v[f][j] = v[f][j - 1];
                v[f][j - 1] = t;
            }
        CHECK_CLOSE(r.floor.lo[f], v[f][0], 1e-12, 0);
        CHECK_CLOSE(r.floor.median[f], v[f][2], 1e-12, 0);
        CHECK_CLOSE(r.floor.hi[f], v[f][4], 1e-12, 0);
        spread += v[f][4] > v[f][0];
    }
    CHECK(spread > 0); /* the draws differ, or the test would not test the ranges */
    CHECK(r.floor.lo[FLOOR_JS_EVENTS] <= r.floor.dist.js_event && r.floor.dist.js_event <= r.floor.hi[FLOOR_JS_EVENTS]);
    eval_result_free(&r);

    /* A sample as large as the training set: every draw is the same, so one is made. */
    cfg.generated = "fs_train.txt";
    cfg.mask = NULL;
    cfg.floor_draws = 0;
    rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(r.floor.windows == 40 && r.floor.draws == 1);
    CHECK(r.floor.lo[FLOOR_JS_TRIGRAMS] == r.floor.hi[FLOOR_JS_TRIGRAMS]);
    eval_result_free(&r);
}

/* evaluate with bad options fails, saying why. */
static void expect_refused(const char *tool, const char *args, const char *needle) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s fl_gen.txt fl_real.txt %s > fl_refused.txt 2>&1", tool, args);
    int st = system(cmd);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) != 0, "%s accepted", args);
    char *text = cli_slurp("fl_refused.txt");
    CHECK_STR_CONTAINS(text, needle);
    free(text);
}

static void test_views(const char *tool) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s fl_gen.txt fl_real.txt --train fl_train.txt --seed 9 --json fl.json --html fl.html "
             "--ngram-out fl_ngram.txt > fl_out.txt 2>&1", tool);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *text = cli_slurp("fl_out.txt");
    CHECK_STR_CONTAINS(text, "Real against real: the floor");
    CHECK_STR_CONTAINS(text, "2 of 5 training windows drawn (seed 9)");
    CHECK_STR_CONTAINS(text, "0.1957");
    CHECK_STR_CONTAINS(text, "50.00% of generated windows; 50.00% of real test windows");
    CHECK_STR_CONTAINS(text, "over 20 such draws: median and range");
    CHECK_STR_CONTAINS(text, "A baseline generator: n-gram of order");
    CHECK_STR_CONTAINS(text, "of the n-gram's windows");
    char *json = cli_slurp("fl.json");
    CHECK_STR_CONTAINS(json, "\"floor\": {");
    CHECK_STR_CONTAINS(json, "\"js_bigrams_bits\": 0.1957");
    CHECK_STR_CONTAINS(json, "\"js_trigrams_bits\": 0.3112");
    CHECK_STR_CONTAINS(json, "\"unique_events\": 2");
    CHECK_STR_CONTAINS(json, "\"seed\": 9");
    CHECK_STR_CONTAINS(json, "\"copies\": {");
    CHECK_STR_CONTAINS(json, "\"generated_percent\": 50");
    CHECK_STR_CONTAINS(json, "\"real_test_percent\": 50");
    CHECK_STR_CONTAINS(json, "\"draws\": 20");
    CHECK_STR_CONTAINS(json, "\"range\": {");
    CHECK_STR_CONTAINS(json, "\"js_bigrams_bits\": [0.1957096288, 0.1957096288]");
    CHECK_STR_CONTAINS(json, "\"median\": {");
    CHECK_STR_CONTAINS(json, "\"ngram_synthesis\": {");
    CHECK_STR_CONTAINS(json, "\"copies_percent\": ");
    char *html = cli_slurp("fl.html");
    CHECK_STR_CONTAINS(html, "Real against real: the floor");
    CHECK_STR_CONTAINS(html, "Copies of training: 50.00%");
    CHECK_STR_CONTAINS(html, "<th>floor: median</th>");
    CHECK_STR_CONTAINS(html, "A baseline generator: n-gram of order");
    /* The n-gram's windows: as many as GENERATED, as long, of training's events. */
    char *ngram = cli_slurp("fl_ngram.txt");
    int a[8], got = ngram ? sscanf(ngram, "%d,%d,%d,%d\n%d,%d,%d,%d", a, a + 1, a + 2, a + 3, a + 4, a + 5, a + 6,
                                   a + 7) : 0;
    int lines = ngram ? 1 : 0;
    for (const char *c = ngram; c && *c; c++) lines += *c == '\n';
    CHECK_MSG(got == 8 && lines == 2, "n-gram windows: %s", ngram ? ngram : "-");
    for (int i = 0; i < got; i++) CHECK(a[i] == 1 || a[i] == 2);
    free(ngram);
    free(text);
    free(json);
    free(html);
    /* Without --train: null in the JSON, no section in the text. */
    snprintf(cmd, sizeof cmd, "%s fl_gen.txt fl_real.txt --json fl2.json > fl_out2.txt 2>&1", tool);
    st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    json = cli_slurp("fl2.json");
    text = cli_slurp("fl_out2.txt");
    CHECK_STR_CONTAINS(json, "\"floor\": null");
    CHECK_STR_CONTAINS(json, "\"ngram_synthesis\": null");
    CHECK(!strstr(text, "Real against real"));
    free(json);
    free(text);
    expect_refused(tool, "--seed -1", "--seed");
    expect_refused(tool, "--ngram-out fl_none.txt", "--ngram-out: no n-gram windows");
    expect_refused(tool, "--train fl_train.txt --floor-draws 0", "--floor-draws 0: expected an integer from 1");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_eval_floor EVALUATE_BINARY\n");
        return 2;
    }
    test_sample_rows();
    test_worked_example();
    test_scope();
    test_views(argv[1]);
    return test_finish("test_eval_floor");
}
