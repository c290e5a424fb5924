/* Cross-fitted n-gram priors for product-of-experts training (see ngram_crossfit.h). */
#include "ngram_crossfit.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "trace_pieces.h"

int ngram_crossfit_fold_of(const ngram_crossfit *cf, int64_t i) {
    int k = (int)(i * cf->folds / cf->windows);
    while (k > 0 && i < cf->fold_start[k]) k--;
    while (k < cf->folds - 1 && i >= cf->fold_start[k + 1]) k++;
    return k;
}

void ngram_crossfit_fit(ngram_crossfit *cf, const window_set *train, int V, int folds, double min_prob) {
    memset(cf, 0, sizeof *cf);
    int64_t n = train->count;
    int L = train->length;
    if (n < 1) die("ngram_crossfit: no training windows");
    if (folds > n) folds = (int)n;
    if (folds < 2) folds = 1;
    cf->folds = folds;
    cf->windows = n;
    cf->fold_start = xmalloc(sizeof(int64_t) * (size_t)(folds + 1));
    for (int k = 0; k <= folds; k++) cf->fold_start[k] = (int64_t)k * n / folds;
    /* Windows within ceil(L/s) places of a fold share events with it. */
    int s = trace_windows_stride(train);
    int64_t margin = s < L ? (L + s - 1) / s - 1 : 0;
    ngram_prior_fit(&cf->full, train, V);
    cf->full.min_prob = min_prob;
    cf->fold = xcalloc((size_t)folds, sizeof *cf->fold);
    window_set rest;
    window_set_init(&rest, n, L);
    for (int k = 0; k < folds; k++) {
        int64_t lo = cf->fold_start[k] - margin, hi = cf->fold_start[k + 1] + margin, kept = 0;
        for (int64_t i = 0; i < n; i++) {
            if (i >= lo && i < hi) continue;
            memcpy(rest.ids + kept * L, train->ids + i * L, sizeof(int32_t) * (size_t)L);
            kept++;
        }
        cf->excluded += n - kept - (cf->fold_start[k + 1] - cf->fold_start[k]);
        if (folds == 1 || kept == 0) { /* nothing to fit on: the full fit, blind to nothing */
            ngram_prior_fit(&cf->fold[k], train, V);
        } else {
            window_set part = {kept, L, rest.ids};
            ngram_prior_fit(&cf->fold[k], &part, V);
        }
        cf->fold[k].min_prob = min_prob;
    }
    window_set_free(&rest);
}

void ngram_crossfit_free(ngram_crossfit *cf) {
    for (int k = 0; k < cf->folds; k++) ngram_prior_free(&cf->fold[k]);
    free(cf->fold);
    ngram_prior_free(&cf->full);
    free(cf->fold_start);
    memset(cf, 0, sizeof *cf);
}

void ngram_crossfit_logp(void *user, int slot, long long window, const int32_t *symbols, int l, double *logp) {
    ngram_crossfit *cf = user;
    if (window < 0) {
        ngram_prior_logp(&cf->full, slot, symbols, l, logp);
        return;
    }
    if (!cf->batch) die("ngram_crossfit: no batch given");
    int64_t i = cf->batch[window];
    if (i < 0 || i >= cf->windows) die("ngram_crossfit: window %lld out of range", (long long)i);
    /* Each fold keeps its own per-slot marginals, so a slot reused by
     * another fold's window never sees this fold's cached runs. */
    ngram_prior_logp(&cf->fold[ngram_crossfit_fold_of(cf, i)], slot, symbols, l, logp);
}
