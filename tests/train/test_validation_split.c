/* train's validation windows held out of the training windows: how many, the
 * windows left out because they share events with the held-out block (found
 * from the overlap, at any stride, and not across a break in the trace), and
 * that no event of a validation window is ever in a training window. */
#include "test_util.h"
#include "validation_split.h"

/* Windows of length L cut with stride s from a trace whose event at position
 * p is p + 1, so a window's events name the positions it covers. A break
 * (the next window starting L + 7 events on instead of s) follows window
 * break_after, when it is >= 0. */
static void cut(int64_t count, int L, int s, int64_t break_after, window_set *ws) {
    window_set_init(ws, count, L);
    int64_t start = 0;
    for (int64_t w = 0; w < count; w++) {
        for (int j = 0; j < L; j++) ws->ids[w * L + j] = (int32_t)(start + j + 1);
        start += w == break_after ? L + 7 : s;
    }
}

/* Whether any event (position) of a validation window occurs in a training window. */
static int shares_events(const validation_split *v) {
    int L = v->training.length;
    int32_t lo = INT32_MAX;
    for (int64_t i = 0; i < v->validation.count * L; i++)
        if (v->validation.ids[i] < lo) lo = v->validation.ids[i];
    for (int64_t i = 0; i < v->training.count * L; i++)
        if (v->training.ids[i] >= lo) return 1;
    return 0;
}

static void test_strides(void) {
    /* Stride s < L: the ceil(L/s) - 1 windows before the block reach into it. */
    int cases[][2] = {{20, 5}, {20, 7}, {20, 1}, {20, 19}, {20, 20}, {20, 40}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int L = cases[k][0], s = cases[k][1];
        window_set all;
        cut(200, L, s, -1, &all);
        validation_split v;
        error_info err;
        CHECK(validation_split_make(&all, 0.05, 8, &v, &err) == 0);
        int64_t expect_left = s < L ? (L + s - 1) / s - 1 : 0;
        CHECK_MSG(v.validation.count == 10, "L %d s %d: %lld held out", L, s, (long long)v.validation.count);
        CHECK_MSG(v.left_out == expect_left, "L %d s %d: %lld left out, expected %lld", L, s, (long long)v.left_out,
                  (long long)expect_left);
        CHECK(v.training.count == 190 - expect_left);
        CHECK(v.stride == (s < L ? s : L));
        CHECK_MSG(!shares_events(&v), "L %d s %d", L, s);
        /* The validation block is the last windows, in order; training the first. */
        CHECK(v.validation.ids[0] == all.ids[190 * L] && v.training.ids[0] == all.ids[0]);
        validation_split_free(&v);
        window_set_free(&all);
    }
}

static void test_break_before_block(void) {
    /* A break in the trace two windows before the block: only the one window
     * after the break shares events with the block. */
    enum { L = 20, S = 5 };
    window_set all;
    cut(200, L, S, 187, &all);
    validation_split v;
    error_info err;
    CHECK(validation_split_make(&all, 0.05, 8, &v, &err) == 0);
    CHECK_MSG(v.left_out == 2, "%lld left out", (long long)v.left_out); /* windows 188 and 189 */
    CHECK(!shares_events(&v));
    validation_split_free(&v);
    window_set_free(&all);
}

static void test_sizes_and_errors(void) {
    window_set all;
    cut(40, 20, 5, -1, &all);
    validation_split v;
    error_info err;
    /* At least one window, even when the fraction rounds to none. */
    CHECK(validation_split_make(&all, 0.001, 4, &v, &err) == 0);
    CHECK(v.validation.count == 1 && v.left_out == 3 && v.training.count == 36);
    validation_split_free(&v);
    /* 40 - 10 held out - 3 left out = 27 < 32. */
    CHECK(validation_split_make(&all, 0.25, 32, &v, &err) != 0);
    CHECK_STR_CONTAINS(err.message, "--val-split 0.25 holds out 10 of 40");
    CHECK_STR_CONTAINS(err.message, "leaves 27 to train on, fewer than 32");
    window_set_free(&all);
}

int main(void) {
    test_strides();
    test_break_before_block();
    test_sizes_and_errors();
    fprintf(stderr, "%d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}
