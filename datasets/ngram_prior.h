/* An n-gram model of the training trace as a prior for the masked encoding's
 * unmasking (diffusion_sample_options.prior): the network proposes, and the
 * n-gram's view of each hidden position is multiplied in (a product of
 * experts, `generate --ngram-prior W`).
 *
 * Why: the network sees the whole window but learns exact local statistics
 * slowly; an interpolated Kneser-Ney model of the training trace has them
 * exactly, but sees no further than n-1 events. Their errors differ.
 *
 * The prior for hidden position l: the n-gram's marginal probability of each
 * event at l given the visible events on both sides of the run of hidden
 * positions around l (up to n-1 each side, ngram_marginals.h), so that a
 * position in the middle of a gap still hears from both edges. The
 * marginals of a run depend on its length and its visible neighbours alone,
 * so each window keeps those of its runs and recomputes a run only when its
 * extent or its neighbours changed: a pass that reveals one event in a
 * window of many runs recomputes the one or two runs around it, not all of
 * them (synthesis of L events then costs about L ln L position-steps of the
 * forward-backward pass instead of L^2/2). A run with nothing
 * visible on either side (synthesis from nothing, before the first pass
 * reveals anything) gets no opinion (all zeros), so that the prior does not
 * pull every position toward the frequent events. The order n is chosen on
 * the training trace alone, by held-out log-likelihood (ngram_model.h). */
#ifndef SSSD_GENERATE_NGRAM_PRIOR_H
#define SSSD_GENERATE_NGRAM_PRIOR_H

#include <stdint.h>
#include "ngram_marginals.h"
#include "ngram_model.h"
#include "windows.h"

#define NGRAM_PRIOR_WIDTH 64  /* states kept per position of a run (ngram_marginals.h) */

/* The smallest probability the prior gives an event of a checkpoint trained
 * with it (`train --ngram-prior`), in training and in `generate` alike. The
 * marginals keep NGRAM_PRIOR_WIDTH states, so an event outside them gets 0,
 * and a cross-fitted n-gram has never seen some of the events it is asked
 * about: unfloored, such a target's loss would be hundreds of nats and would
 * swamp a batch's gradient. With the floor, the network can still overrule
 * the prior by a logit margin of about w ln(1/floor). Without training, the
 * prior's floor stays at 1e-300 (a product that only reorders ties). */
#define NGRAM_PRIOR_TRAINED_MIN_PROB 1e-5

/* What a run's marginals were computed from: nl, nr, then the nl visible
 * events on its left and the nr on its right (unused entries 0). */
#define NGRAM_PRIOR_SIGNATURE (2 + 2 * (NGRAM_MAX_ORDER - 1))

/* The marginals kept for one window of the sampler's batch. */
typedef struct ngram_prior_window {
    double *post;             /* (L, V): at each hidden position, from the run it was last computed in */
    int *run_start, *run_end; /* (L): that run's extent [start, end); start -1: nothing kept */
    int32_t *signature;       /* (L, NGRAM_PRIOR_SIGNATURE): that run's neighbours */
} ngram_prior_window;

typedef struct ngram_prior {
    ngram_model model;
    int V, L;                 /* events are classes 0..V-1; V marks a hidden position */
    int64_t trace_events, pieces;
    double heldout_loglik[NGRAM_MAX_ORDER + 1];
    ngram_marginals *marginals;
    ngram_prior_window *windows; /* (n_windows), grown as the sampler asks for windows */
    int n_windows;
    long long runs_computed;  /* forward-backward passes run so far (for tests and benchmarks) */
    double min_prob;          /* probabilities below are raised to it (1e-300 after fitting) */
} ngram_prior;

/* Fit on training windows of length L holding IDs 1..V (the model's
 * vocabulary; 0 or larger IDs are refused by the caller). */
void ngram_prior_fit(ngram_prior *np, const window_set *train, int V);
void ngram_prior_free(ngram_prior *np);
/* The callback of diffusion_sample_options.prior; user is an ngram_prior.
 * The answer depends on symbols alone; window only says where to keep it. */
void ngram_prior_logp(void *user, int window, const int32_t *symbols, int l, double *logp);

#endif
