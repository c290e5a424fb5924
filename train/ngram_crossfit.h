/* Cross-fitted n-gram priors for training as a product of experts
 * (`train --ngram-prior W`, diffusion_set_train_prior).
 *
 * Why cross-fitted: an n-gram fitted on every training window has counted
 * the very window it is asked about, so on training windows it is right far
 * more often than it will be on new ones, and a network trained beside it
 * would learn to lean on it. Here the training windows, in trace order, are
 * cut into K contiguous folds; fold k's windows are scored by an n-gram
 * fitted on the others, less every window that shares an event with fold k
 * (overlapping windows are cut from one trace at a stride). Each training
 * window thus meets an n-gram that has not seen it, as a test window does
 * in `generate`, where the n-gram is fitted on every training window. That
 * full fit also scores the validation windows here. */
#ifndef SSSD_TRAIN_NGRAM_CROSSFIT_H
#define SSSD_TRAIN_NGRAM_CROSSFIT_H

#include <stdint.h>

#include "ngram_prior.h"
#include "windows.h"

#define NGRAM_CROSSFIT_FOLDS 5

typedef struct ngram_crossfit {
    int folds;
    ngram_prior *fold;      /* (folds) fold k's n-gram, blind to fold k */
    ngram_prior full;       /* every training window: validation */
    int64_t windows;        /* training windows */
    int64_t *fold_start;    /* (folds + 1) fold k is windows [fold_start[k], fold_start[k+1]) */
    int64_t excluded;       /* windows left out of some fold's fit for overlapping that fold */
    const int64_t *batch;   /* the training windows of the current iteration's batch, set by the caller */
} ngram_crossfit;

/* Fit on training windows of IDs 1..V in trace order; every prior floors its
 * probabilities at min_prob. Fewer windows than folds: one fold per window. */
void ngram_crossfit_fit(ngram_crossfit *cf, const window_set *train, int V, int folds, double min_prob);
void ngram_crossfit_free(ngram_crossfit *cf);
/* The fold of training window i. */
int ngram_crossfit_fold_of(const ngram_crossfit *cf, int64_t i);

/* diffusion_train_prior_fn; user is an ngram_crossfit whose `batch` holds the
 * iteration's windows. window -1 (validation): the full fit. */
void ngram_crossfit_logp(void *user, int slot, long long window, const int32_t *symbols, int l, double *logp);

#endif
