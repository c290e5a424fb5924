/* The paired bootstrap of model-minus-baseline differences: the differences
 * on all windows equal those of the metric functions the reports print, two
 * identical systems give zero intervals, a system right on strictly more
 * events in every window gets an interval above zero, a difference carried by
 * one window is one the interval cannot rule out, and the same seed gives
 * the same intervals. */
#include <math.h>
#include "metrics_recon.h"
#include "metrics_types.h"
#include "paired_bootstrap.h"
#include "test_util.h"

enum { N = 300, L = 20 };

static uint64_t lcg_state = 99;
static uint32_t lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(lcg_state >> 33);
}

/* Real windows with a skewed event distribution (1 frequent, up to 12 rare). */
static void make_real(window_set *real) {
    window_set_init(real, N, L);
    for (int64_t i = 0; i < (int64_t)N * L; i++) {
        uint32_t u = lcg() % 100;
        real->ids[i] = u < 50 ? 1 : u < 75 ? 2 : u < 88 ? 3 : (int32_t)(4 + lcg() % 9);
    }
}

/* A copy of real with each generated position wrong with probability p_wrong %. */
static void make_guess(const window_set *real, int p_wrong, window_set *out) {
    window_set_init(out, real->count, real->length);
    for (int64_t i = 0; i < real->count * real->length; i++)
        out->ids[i] = (int)(lcg() % 100) < p_wrong ? 1 + (real->ids[i] % 12) : real->ids[i];
}

static void test_matches_metrics(void) {
    window_set real, a, b;
    make_real(&real);
    make_guess(&real, 20, &a);
    make_guess(&real, 30, &b);
    eval_mask m;
    error_info err;
    CHECK(mask_from_shorthand("mid:10", L, &m, &err) == 0);
    recon_metrics ra, rb;
    type_metrics ta, tb;
    recon_compute(&a, &real, &m, &ra);
    recon_compute(&b, &real, &m, &rb);
    types_compute(&a, &real, &m, 2, NULL, &ta);
    types_compute(&b, &real, &m, 2, NULL, &tb);
    paired_diff d;
    paired_bootstrap(&a, &b, &real, &m, ta.head, ta.n_head, 1, 400, 1, &d);
    CHECK(d.windows == N && d.resamples == 400);
    CHECK_CLOSE(d.accuracy.difference, ra.accuracy - rb.accuracy, 1e-9, 0);
    CHECK_CLOSE(d.perfect.difference, ra.perfect - rb.perfect, 1e-9, 0);
    CHECK_CLOSE(d.macro.difference, ta.macro_accuracy - tb.macro_accuracy, 1e-9, 0);
    CHECK_CLOSE(d.tail.difference, ta.tail_accuracy - tb.tail_accuracy, 1e-9, 0);
    /* About 10 points apart on accuracy, with 3,000 positions: clearly above 0,
     * and the interval holds the difference. */
    const diff_interval *iv[4] = {&d.accuracy, &d.perfect, &d.macro, &d.tail};
    for (int i = 0; i < 4; i++) CHECK_MSG(iv[i]->low <= iv[i]->difference && iv[i]->difference <= iv[i]->high, "%d", i);
    CHECK_MSG(d.accuracy.low > 5 && d.accuracy.high < 15, "[%g, %g]", d.accuracy.low, d.accuracy.high);
    /* Same seed, same intervals; another seed, other (but close) ones. */
    paired_diff d2, d3;
    paired_bootstrap(&a, &b, &real, &m, ta.head, ta.n_head, 1, 400, 1, &d2);
    paired_bootstrap(&a, &b, &real, &m, ta.head, ta.n_head, 1, 400, 2, &d3);
    CHECK(d2.accuracy.low == d.accuracy.low && d2.macro.high == d.macro.high);
    CHECK(d3.accuracy.low != d.accuracy.low || d3.accuracy.high != d.accuracy.high);
    CHECK(fabs(d3.accuracy.low - d.accuracy.low) < 1.5);
    /* Swapping the systems negates everything. */
    paired_diff s;
    paired_bootstrap(&b, &a, &real, &m, ta.head, ta.n_head, 1, 400, 1, &s);
    CHECK_CLOSE(s.accuracy.difference, -d.accuracy.difference, 1e-9, 0);
    CHECK_CLOSE(s.accuracy.low, -d.accuracy.high, 1e-9, 0);
    mask_free(&m);
    recon_free(&ra);
    recon_free(&rb);
    types_free(&ta);
    types_free(&tb);
    window_set_free(&a);
    window_set_free(&b);
    window_set_free(&real);
}

static void test_identical_and_one_window(void) {
    window_set real, a, b;
    make_real(&real);
    make_guess(&real, 25, &a);
    window_set_init(&b, N, L);
    memcpy(b.ids, a.ids, sizeof(int32_t) * N * L);
    eval_mask m;
    mask_all_generated(&m, L);
    int32_t head[1] = {1};
    paired_diff d;
    paired_bootstrap(&a, &b, &real, &m, head, 1, 1, 200, 7, &d);
    CHECK(d.accuracy.difference == 0 && d.accuracy.low == 0 && d.accuracy.high == 0);
    CHECK(d.macro.low == 0 && d.macro.high == 0 && d.tail.low == 0 && d.perfect.high == 0);
    /* b now wrong on one more position, in one window: a is better on all
     * windows, but a draw without that window (about 37% of draws) sees no
     * difference, so the interval reaches 0. */
    int64_t w = 17;
    for (int j = 0; j < L; j++)
        if (b.ids[w * L + j] == real.ids[w * L + j]) {
            b.ids[w * L + j] = real.ids[w * L + j] + 1;
            break;
        }
    paired_bootstrap(&a, &b, &real, &m, head, 1, 1, 200, 7, &d);
    CHECK_CLOSE(d.accuracy.difference, 100.0 / L / N, 1e-9, 0);
    CHECK(d.accuracy.low == 0 && d.accuracy.high > 0);
    mask_free(&m);
    window_set_free(&a);
    window_set_free(&b);
    window_set_free(&real);
}

static void test_blocks(void) {
    /* Every window twice in a row, as overlapping windows score the same
     * events twice: drawn one by one, the copies look like independent
     * evidence; drawn in blocks of 2, they count once, and the interval
     * widens by about sqrt(2). One block of all windows: every draw is the
     * whole set, so the interval is the difference itself. */
    window_set real, a, b, real2, a2, b2;
    make_real(&real);
    make_guess(&real, 20, &a);
    make_guess(&real, 25, &b);
    window_set *src[3] = {&real, &a, &b}, *dst[3] = {&real2, &a2, &b2};
    for (int k = 0; k < 3; k++) {
        window_set_init(dst[k], 2 * N, L);
        for (int w = 0; w < 2 * N; w++)
            memcpy(dst[k]->ids + (size_t)w * L, src[k]->ids + (size_t)(w / 2) * L, sizeof(int32_t) * L);
    }
    eval_mask m;
    error_info err;
    CHECK(mask_from_shorthand("mid:10", L, &m, &err) == 0);
    int32_t head[2] = {1, 2};
    paired_diff one, single, pairs, all;
    paired_bootstrap(&a, &b, &real, &m, head, 2, 1, 1000, 3, &one);
    paired_bootstrap(&a2, &b2, &real2, &m, head, 2, 1, 1000, 3, &single);
    paired_bootstrap(&a2, &b2, &real2, &m, head, 2, 2, 1000, 3, &pairs);
    paired_bootstrap(&a2, &b2, &real2, &m, head, 2, 2 * N, 100, 3, &all);
    double w_one = one.accuracy.high - one.accuracy.low, w_single = single.accuracy.high - single.accuracy.low;
    double w_pairs = pairs.accuracy.high - pairs.accuracy.low;
    CHECK_CLOSE(pairs.accuracy.difference, one.accuracy.difference, 1e-9, 0);
    CHECK_MSG(w_single < 0.85 * w_pairs, "one by one %g, in blocks %g", w_single, w_pairs);
    CHECK_MSG(fabs(w_pairs - w_one) < 0.15 * w_one, "in blocks %g, the windows once %g", w_pairs, w_one);
    CHECK(pairs.block == 2 && all.block == 2 * N);
    CHECK(all.accuracy.low == all.accuracy.difference && all.accuracy.high == all.accuracy.difference);
    mask_free(&m);
    for (int k = 0; k < 3; k++) {
        window_set_free(src[k]);
        window_set_free(dst[k]);
    }
}

int main(void) {
    test_matches_metrics();
    test_blocks();
    test_identical_and_one_window();
    fprintf(stderr, "%d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}
