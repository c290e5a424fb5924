/* The gap marginals of datasets/ngram_marginals.h against brute force: every
 * filling of the gap enumerated, its probability P(filling, right | left)
 * multiplied out of ngram_model_prob, summed per position and event, in
 * double. With room for every state the two must agree to rounding; with a
 * narrow beam the result is flagged as pruned and still a distribution. Also
 * the trace stitching of trace_pieces.h, which the n-gram is fitted on. */
#include <math.h>

#include "ngram_marginals.h"
#include "ngram_model.h"
#include "test_util.h"
#include "trace_pieces.h"

enum { V = 4 };

/* Sum over all V^g fillings; post (g, V). */
static void brute_force(const ngram_model *m, const int32_t *left, int nl, int g, const int32_t *right, int nr,
                        double *post) {
    int32_t seq[32];
    memset(post, 0, sizeof(double) * (size_t)g * V);
    long total = 1;
    for (int i = 0; i < g; i++) total *= V;
    double z = 0;
    for (long code = 0; code < total; code++) {
        memcpy(seq, left, sizeof(int32_t) * (size_t)nl);
        long c = code;
        for (int i = 0; i < g; i++, c /= V) seq[nl + i] = (int32_t)(c % V);
        memcpy(seq + nl + g, right, sizeof(int32_t) * (size_t)nr);
        double p = 1;
        for (int j = nl; j < nl + g + nr; j++) p *= ngram_model_prob(m, seq, j, seq[j]);
        z += p;
        for (int i = 0; i < g; i++) post[i * V + seq[nl + i]] += p;
    }
    for (int i = 0; i < g * V; i++) post[i] /= z;
}

int main(void) {
    /* A trace with structure at several orders: a noisy cycle 0 1 2 3 with
     * repeats, from a fixed generator. */
    enum { N = 3000 };
    int32_t x[N];
    uint32_t r = 7;
    int32_t cur = 0;
    for (int i = 0; i < N; i++) {
        r = r * 1664525u + 1013904223u;
        unsigned u = r >> 24;
        cur = u < 150 ? (cur + 1) % V : u < 220 ? cur : (int32_t)(u % V);
        x[i] = cur;
    }
    int64_t ends[2] = {N / 2, N};
    double got[8 * V], want[8 * V];
    for (int order = 1; order <= 4; order++) {
        ngram_model m;
        ngram_model_fit(&m, x, ends, 2, V, order);
        ngram_marginals *g = ngram_marginals_create(&m, 8, 4096);
        struct { int32_t left[3]; int nl; int gap; int32_t right[3]; int nr; } cases[] = {
            {{0, 1, 2}, 3, 3, {1, 2, 3}, 3},
            {{3, 3, 0}, 3, 5, {0, 0, 1}, 3},
            {{0}, 0, 4, {2, 3, 0}, 3},     /* gap at the window's start */
            {{2, 3, 0}, 3, 4, {0}, 0},     /* at its end */
            {{1}, 1, 6, {3}, 1},
            {{0}, 0, 3, {0}, 0},           /* nothing on either side */
        };
        double worst = 0;
        int any_cut = 0;
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            any_cut |= ngram_marginals_compute(g, cases[k].left, cases[k].nl, cases[k].gap, cases[k].right,
                                               cases[k].nr, got);
            brute_force(&m, cases[k].left, cases[k].nl, cases[k].gap, cases[k].right, cases[k].nr, want);
            for (int i = 0; i < cases[k].gap * V; i++) worst = fmax(worst, fabs(got[i] - want[i]));
        }
        CHECK_MSG(worst < 1e-12, "order %d: marginals off brute force by %g", order, worst);
        CHECK(!any_cut);
        ngram_marginals_free(g);
        /* A beam of 2 states cannot hold every order-3/4 state: flagged, rows still sum to 1. */
        if (order >= 3) {
            g = ngram_marginals_create(&m, 8, 2);
            int cut = ngram_marginals_compute(g, cases[1].left, 3, 5, cases[1].right, 3, got);
            CHECK(cut == 1);
            int sums = 1;
            for (int i = 0; i < 5; i++) {
                double s = 0;
                for (int v = 0; v < V; v++) s += got[i * V + v];
                sums &= fabs(s - 1) < 1e-12;
            }
            CHECK(sums);
            ngram_marginals_free(g);
        }
        ngram_model_free(&m);
    }

    /* Stitching: windows of 6 at stride 2 over 0..13, then a window that
     * does not continue them, start a second piece. */
    window_set ws;
    window_set_init(&ws, 6, 6);
    for (int w = 0; w < 5; w++)
        for (int j = 0; j < 6; j++) ws.ids[w * 6 + j] = 2 * w + j;
    for (int j = 0; j < 6; j++) ws.ids[5 * 6 + j] = 100 + j;
    trace_pieces t;
    trace_pieces_stitch(&ws, &t);
    CHECK(t.stride == 2);
    CHECK(t.pieces == 2);
    CHECK(t.length == 14 + 6);
    int in_order = 1;
    for (int i = 0; i < 14; i++) in_order &= t.events[i] == i;
    CHECK(in_order);
    CHECK(t.piece_end[0] == 14 && t.piece_end[1] == 20);
    trace_pieces_free(&t);
    window_set_free(&ws);
    printf("test_ngram_marginals: %d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}
