/* What an n-gram model (ngram_model.h) believes about each event of a gap
 * given the observed events on both sides: P(gap event t = v | left, right),
 * by a forward-backward pass over the gap's states (the last n-1 events).
 *
 * Exact forward-backward holds V^(n-1) states per position; here each step
 * keeps the `width` states with the largest forward mass (hypotheses ending
 * in the same n-1 events merged by adding their probabilities), and the
 * backward pass runs over the states kept, so the marginals are exact
 * whenever no more than `width` states are alive and sum over the likeliest
 * ones otherwise. The right context is scored once the gap is complete (it
 * is observed, so it never branches); only its first n-1 events depend on
 * the gap. */
#ifndef SSSD_DATASETS_NGRAM_MARGINALS_H
#define SSSD_DATASETS_NGRAM_MARGINALS_H

#include <stdint.h>
#include "ngram_model.h"

typedef struct ngram_marginals ngram_marginals;

/* Workspace for gaps of up to max_gap events; the model must stay alive and
 * keep its order while the workspace is used. */
ngram_marginals *ngram_marginals_create(const ngram_model *m, int max_gap, int width);
void ngram_marginals_free(ngram_marginals *g);

/* post (gap, V): the marginals of a gap of `gap` events (1..max_gap) between
 * left (nl events just before it) and right (nr just after); events are dense
 * indices < V, or V for unknown. Each row sums to 1. Returns 1 when a step
 * had more than `width` states alive (the marginals are then approximate). */
int ngram_marginals_compute(ngram_marginals *g, const int32_t *left, int nl, int gap, const int32_t *right, int nr,
                            double *post);

#endif
