/* Worked examples for the per-event-type figures (macro and tail accuracy,
 * distinct events, recall, precision, most frequent wrong answer), the row
 * filter shared with the reconstruction metrics, and the unseen subset of a
 * whole evaluation run. Every expected value is derived in the comments. */
#include "evaluation.h"
#include "metrics_recon.h"
#include "metrics_types.h"
#include "test_util.h"

static void set_rows(window_set *ws, int64_t n, int L, const int32_t *v) {
    window_set_init(ws, n, L);
    memcpy(ws->ids, v, (size_t)(n * L) * sizeof *v);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* L = 6, mask 1 1 0 0 0 1: positions 2, 3, 4 generated in each of 3 windows.
 *   real w0  5 5 [1 1 2] 5     gen [1 2 2]   right: 1, wrong 1->2, right: 2
 *   real w1  5 1 [3 1 4] 5     gen [3 1 7]   right: 3, right: 1, wrong 4->7
 *   real w2  5 5 [2 6 1] 5     gen [1 6 3]   wrong 2->1, right: 6, wrong 1->3
 * REAL over all positions: 5 x8, 1 x5, 2 x2, 3 x1, 4 x1, 6 x1.
 * Head K = 4: 5 1 2, then 3, 4, 6 tie at one and the smallest, 3, goes in.
 * Per type at the 9 generated positions:
 *   id real correct recall predicted precision  most frequent wrong
 *    1    4    2      50      3      66.67      2 and 3 once each -> 2 (smaller)
 *    2    2    1      50      2      50         1 (once)
 *    3    1    1     100      2      50         none
 *    4    1    0       0      0      NaN        7 (once)
 *    6    1    1     100      1     100         none
 *    7    0    0     NaN      1       0         none (never real)
 * macro = (50 + 50 + 100 + 0 + 100) / 5 = 60; distinct real 5 (1 2 3 4 6),
 * distinct generated 5 (1 2 3 6 7).
 * Tail, K = 4 (head 5 1 2 3): real 4 (wrong) and 6 (right) -> 2 positions, 50%.
 * Tail, K = 2 (head 5 1): real 2 2 3 4 6 -> 5 positions, 3 right, 60%.
 * K = 6 puts every real event in the head: no tail position, NaN. */
static const int32_t REAL[] = {5, 5, 1, 1, 2, 5, 5, 1, 3, 1, 4, 5, 5, 5, 2, 6, 1, 5};
static const int32_t GEN[] = {5, 5, 1, 2, 2, 5, 5, 1, 3, 1, 7, 5, 5, 5, 1, 6, 3, 5};
static uint8_t MASK_ROW[] = {1, 1, 0, 0, 0, 1};

static void test_head(void) {
    window_set r;
    set_rows(&r, 3, 6, REAL);
    int32_t head[10];
    CHECK(types_head(&r, 4, head) == 4);
    CHECK(head[0] == 5 && head[1] == 1 && head[2] == 2 && head[3] == 3);
    /* More than the 6 distinct events asked for: all six, ties (3 4 6) by ID. */
    CHECK(types_head(&r, 10, head) == 6);
    CHECK(head[3] == 3 && head[4] == 4 && head[5] == 6);
    window_set_free(&r);
}

static void test_types(void) {
    window_set r, g;
    set_rows(&r, 3, 6, REAL);
    set_rows(&g, 3, 6, GEN);
    eval_mask m = {1, 6, MASK_ROW, ""};
    type_metrics t;
    types_compute(&g, &r, &m, 4, NULL, &t);
    CHECK(t.positions == 9 && t.n_head == 4 && t.head[3] == 3);
    CHECK_CLOSE(t.macro_accuracy, 60.0, 1e-9, 0);
    CHECK(t.tail_positions == 2 && t.tail_correct == 1);
    CHECK_CLOSE(t.tail_accuracy, 50.0, 1e-9, 0);
    CHECK(t.distinct_real == 5 && t.distinct_generated == 5);
    CHECK(t.n_types == 6 && types_real_rows(&t) == 5);
    /* Order: real count descending, then ID; the generated-only 7 last. */
    int order[6] = {1, 2, 3, 4, 6, 7};
    for (int i = 0; i < 6; i++) CHECK_MSG(t.rows[i].id == order[i], "row %d is %d", i, t.rows[i].id);
    const type_row *one = types_find(&t, 1), *two = types_find(&t, 2), *three = types_find(&t, 3);
    const type_row *four = types_find(&t, 4), *six = types_find(&t, 6), *seven = types_find(&t, 7);
    CHECK(one && one->real == 4 && one->correct == 2 && one->predicted == 3);
    CHECK_CLOSE(one->recall, 50.0, 1e-9, 0);
    CHECK_CLOSE(one->precision, 200.0 / 3.0, 1e-9, 0);
    CHECK(one->top_wrong == 2 && one->top_wrong_count == 1);
    CHECK(two && two->top_wrong == 1 && two->top_wrong_count == 1 && two->predicted == 2);
    CHECK_CLOSE(two->precision, 50.0, 1e-9, 0);
    CHECK(three && three->top_wrong_count == 0 && three->predicted == 2);
    CHECK_CLOSE(three->recall, 100.0, 1e-9, 0);
    CHECK_CLOSE(three->precision, 50.0, 1e-9, 0);
    CHECK(four && four->correct == 0 && four->predicted == 0 && isnan(four->precision));
    CHECK(four->top_wrong == 7 && four->top_wrong_count == 1);
    CHECK_CLOSE(four->recall, 0.0, 1e-9, 0);
    CHECK(six && six->real == 1 && six->correct == 1);
    CHECK(seven && seven->real == 0 && seven->predicted == 1 && isnan(seven->recall));
    CHECK_CLOSE(seven->precision, 0.0, 1e-9, 0);
    CHECK(types_find(&t, 5) == NULL);
    types_free(&t);

    types_compute(&g, &r, &m, 2, NULL, &t);
    CHECK(t.tail_positions == 5 && t.tail_correct == 3);
    CHECK_CLOSE(t.tail_accuracy, 60.0, 1e-9, 0);
    CHECK_CLOSE(t.macro_accuracy, 60.0, 1e-9, 0);
    types_free(&t);

    types_compute(&g, &r, &m, 6, NULL, &t);
    CHECK(t.tail_positions == 0 && isnan(t.tail_accuracy));
    types_free(&t);
    window_set_free(&r);
    window_set_free(&g);
}

/* Windows 0 and 2 only: real 1 1 2 | 2 6 1, gen 1 2 2 | 1 6 3.
 *   1: real 3, right once -> 33.33%; 2: real 2, right once -> 50%; 6: 100%.
 *   macro = (100/3 + 50 + 100) / 3 = 61.11%; distinct real 3, generated 4 (1 2 6 3).
 *   The head still comes from all of REAL (5 1 2 3): tail = the 6 alone, right.
 * Reconstruction on the same rows: window accuracies 2/3 and 1/3 -> 50%;
 * no window perfect. No row at all: nothing measured, NaN. */
static void test_row_filter(void) {
    window_set r, g;
    set_rows(&r, 3, 6, REAL);
    set_rows(&g, 3, 6, GEN);
    eval_mask m = {1, 6, MASK_ROW, ""};
    uint8_t rows[3] = {1, 0, 1}, none[3] = {0, 0, 0};
    type_metrics t;
    types_compute(&g, &r, &m, 4, rows, &t);
    CHECK(t.positions == 6 && t.distinct_real == 3 && t.distinct_generated == 4);
    CHECK_CLOSE(t.macro_accuracy, (100.0 / 3 + 50 + 100) / 3, 1e-9, 0);
    CHECK(t.n_head == 4 && t.head[3] == 3 && t.tail_positions == 1);
    CHECK_CLOSE(t.tail_accuracy, 100.0, 1e-9, 0);
    types_free(&t);
    recon_metrics rm;
    recon_compute_rows(&g, &r, &m, rows, &rm);
    CHECK(rm.windows == 2 && rm.generated_positions == 6);
    CHECK_CLOSE(rm.accuracy, 50.0, 1e-9, 0);
    CHECK_CLOSE(rm.perfect, 0.0, 1e-9, 0);
    recon_free(&rm);
    recon_compute_rows(&g, &r, &m, none, &rm);
    CHECK(rm.windows == 0 && isnan(rm.accuracy) && isnan(rm.rouge_event));
    recon_free(&rm);
    types_compute(&g, &r, &m, 4, none, &t);
    CHECK(t.positions == 0 && isnan(t.macro_accuracy) && isnan(t.tail_accuracy) && t.distinct_real == 0);
    types_free(&t);
    window_set_free(&r);
    window_set_free(&g);
}

/* Training 1 2 3 4 | 5 6 7 8 (no overlap: the trace is 1..8). Test windows,
 * gap mid:2 = positions 2, 3:
 *   3 4 5 6  occurs in the trace (across the two windows): seen
 *   1 3 5 7  occurs nowhere: unseen
 * The model answers 5 6 (right) and 9 7 (half right): accuracy 75% overall,
 * 50% on the unseen window alone. On the unseen window the context lookup
 * finds no "1 3" in the trace, backs off to "3" and copies 4 5: none right;
 * the mode (every event once, ties to ID 1) gets none right either. */
static void test_unseen_run(void) {
    write_file("types_train.txt", "1,2,3,4\n5,6,7,8\n");
    write_file("types_real.txt", "3,4,5,6\n1,3,5,7\n");
    write_file("types_gen.txt", "3,4,5,6\n1,3,9,7\n");
    eval_config cfg = {.generated = "types_gen.txt", .real = "types_real.txt", .mask = "mid:2",
                       .train = "types_train.txt", .threads = 1, .skip_nn = 1};
    eval_result res;
    error_info err;
    CHECK(eval_run(&cfg, &res, &err) == 0);
    CHECK(res.has_recon && res.has_unseen && res.unseen_windows == 1);
    CHECK(res.unseen_rows[0] == 0 && res.unseen_rows[1] == 1);
    CHECK(res.head_k == TYPES_DEFAULT_HEAD && res.n_baselines == 4);
    CHECK_CLOSE(res.model.recon.accuracy, 75.0, 1e-9, 0);
    CHECK_CLOSE(res.model.unseen_recon.accuracy, 50.0, 1e-9, 0);
    CHECK(res.model.unseen_recon.windows == 1 && res.model.unseen_types.positions == 2);
    CHECK(!strcmp(res.baselines[0].key, "context_lookup") && !strcmp(res.baselines[1].key, "ngram_infill") &&
          !strcmp(res.baselines[2].key, "ngram_marginal") && !strcmp(res.baselines[3].key, "most_frequent_event"));
    CHECK_CLOSE(res.baselines[0].unseen_recon.accuracy, 0.0, 1e-9, 0);
    CHECK_CLOSE(res.baselines[3].unseen_recon.accuracy, 0.0, 1e-9, 0);
    CHECK(res.baselines[1].unseen_recon.windows == 1 && res.ngram.gaps == 2);
    CHECK(res.baselines[0].types.positions == 4 && res.baselines[0].unseen_types.positions == 2);
    const eval_system *sys[1 + EVAL_MAX_BASELINES];
    CHECK(eval_systems(&res, sys) == 5 && sys[0] == &res.model);
    eval_result_free(&res);

    /* A leaking test set: both test windows are training windows, so the
     * unseen subset is empty and its figures are NaN (nothing measured). */
    write_file("types_real2.txt", "1,2,3,4\n5,6,7,8\n");
    write_file("types_gen2.txt", "1,2,3,3\n5,6,7,7\n");
    cfg.real = "types_real2.txt";
    cfg.generated = "types_gen2.txt";
    CHECK(eval_run(&cfg, &res, &err) == 0);
    CHECK(res.has_unseen && res.unseen_windows == 0);
    CHECK(isnan(res.model.unseen_recon.accuracy) && isnan(res.model.unseen_types.macro_accuracy));
    CHECK(isnan(res.baselines[0].unseen_recon.accuracy));
    CHECK(!isnan(res.model.recon.accuracy));
    eval_result_free(&res);
}

int main(void) {
    test_head();
    test_types();
    test_row_filter();
    test_unseen_run();
    return test_finish("test_eval_types");
}
