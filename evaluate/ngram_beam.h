/* The search behind the n-gram infill: the most likely filling of one gap
 * given the observed events on both sides, by a beam search whose hypotheses
 * are merged when they end in the same n-1 events (Viterbi states). */
#ifndef SSSD_EVALUATE_NGRAM_BEAM_H
#define SSSD_EVALUATE_NGRAM_BEAM_H

#include <stdint.h>
#include "ngram_model.h"

typedef struct ngram_beam ngram_beam;

/* Workspace for gaps of up to max_gap events with the given beam width; the
 * model must stay alive (and keep its order) while it is used. */
ngram_beam *ngram_beam_create(const ngram_model *m, int max_gap, int width);
void ngram_beam_free(ngram_beam *b);

/* Fill out[0..g) (dense indices < V) maximising log P(out ++ right | left);
 * left holds the nl observed events just before the gap, right the nr just
 * after (either may be 0; events may be the unknown index V). Ties go to the
 * lexicographically smaller filling. Returns 1 when the beam had to drop
 * states (the result may then not be the exact argmax), else 0. */
int ngram_beam_fill(ngram_beam *b, const int32_t *left, int nl, int g, const int32_t *right, int nr, int32_t *out);

#endif
