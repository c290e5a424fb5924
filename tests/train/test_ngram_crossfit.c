/* The cross-fitted n-gram priors of `train --ngram-prior` (train/ngram_crossfit.h):
 * folds are contiguous and cover every training window; each fold's n-gram
 * is blind to its own windows and to those that share events with them, so
 * a pattern that occurs only inside one fold is news to that fold's n-gram
 * and known to the others and to the full fit; validation (window -1) asks
 * the full fit, and a training window the n-gram of its own fold; every
 * answer is floored at the probability given. */
#include <math.h>

#include "ngram_crossfit.h"
#include "test_util.h"

enum { V = 8, L = 20, STRIDE = 4 };

/* A trace cycling 1 2 3 4 5 6, with "7 8" in place of "5 6" inside [lo, hi). */
static int32_t event_at(int64_t i, int64_t lo, int64_t hi) {
    int32_t e = (int32_t)(1 + i % 6);
    if (i >= lo && i < hi && e >= 5) e += 2;
    return e;
}

int main(void) {
    const int64_t n_windows = 500, events = (n_windows - 1) * STRIDE + L;
    /* The pattern lies inside fold 2 of 5 (windows 200..299): events 900..1000. */
    const int64_t lo = 900, hi = 1000;
    window_set ws;
    window_set_init(&ws, n_windows, L);
    for (int64_t w = 0; w < n_windows; w++)
        for (int l = 0; l < L; l++) ws.ids[w * L + l] = event_at(w * STRIDE + l, lo, hi);
    CHECK(events == 2016);

    ngram_crossfit cf;
    ngram_crossfit_fit(&cf, &ws, V, 5, 1e-5);
    CHECK(cf.folds == 5);
    int contiguous = 1;
    for (int64_t i = 1; i < n_windows; i++)
        contiguous &= ngram_crossfit_fold_of(&cf, i) - ngram_crossfit_fold_of(&cf, i - 1) <= 1 &&
                      ngram_crossfit_fold_of(&cf, i) >= ngram_crossfit_fold_of(&cf, i - 1);
    CHECK(contiguous);
    CHECK(ngram_crossfit_fold_of(&cf, 0) == 0 && ngram_crossfit_fold_of(&cf, n_windows - 1) == 4);
    CHECK(ngram_crossfit_fold_of(&cf, 200) == 2 && ngram_crossfit_fold_of(&cf, 199) == 1);
    /* Windows overlapping a fold: ceil(L/s) - 1 = 4 on each inner side: 3 inner
     * boundaries seen from both sides, the two ends from one. */
    CHECK_MSG(cf.excluded == 4 * 8, "%lld windows excluded", (long long)cf.excluded);
    /* Fold 2's n-gram never saw event 7 (class 6); fold 1's did. */
    CHECK(cf.fold[2].trace_events < cf.full.trace_events);

    /* Ask about the event after a 7 (class 6), nothing visible after it:
     * 8 always follows 7 in the trace, which fold 2's n-gram never saw. */
    int32_t sym[L];
    for (int l = 0; l < L; l++) sym[l] = V;
    sym[8] = 3, sym[9] = 6; /* ... 4 7 [?] */
    double full[V], own[V], other[V];
    int64_t batch[2] = {250, 50}; /* fold 2, fold 0 */
    cf.batch = batch;
    ngram_crossfit_logp(&cf, 0, -1, sym, 10, full);
    ngram_crossfit_logp(&cf, 0, 0, sym, 10, own);
    ngram_crossfit_logp(&cf, 1, 1, sym, 10, other);
    printf("P(8 | 4 7 _): full %.3g, own fold %.3g, another fold %.3g\n", exp(full[7]), exp(own[7]), exp(other[7]));
    CHECK(exp(full[7]) > 0.5); /* the full fit and fold 0's saw "7 8" */
    CHECK(exp(other[7]) > 0.5);
    CHECK(exp(own[7]) < 0.2);  /* fold 2's never saw a 7 or an 8 */
    /* Floored: nothing below 1e-5, and still (close to) a distribution. */
    double total = 0, least = 1;
    for (int v = 0; v < V; v++) {
        total += exp(own[v]);
        least = fmin(least, exp(own[v]));
    }
    CHECK(least >= 1e-5 * (1 - 1e-12));
    CHECK_CLOSE(total, 1.0, V * 1e-5, 0);
    /* The same question, the answers kept per fold: asking fold 2 again in
     * slot 1 (where fold 0 answered) gives fold 2's answer, not fold 0's. */
    batch[1] = 260;
    double again[V];
    ngram_crossfit_logp(&cf, 1, 1, sym, 10, again);
    CHECK(memcmp(again, own, sizeof own) == 0);

    ngram_crossfit_free(&cf);
    window_set_free(&ws);
    return test_finish("test_ngram_crossfit");
}
