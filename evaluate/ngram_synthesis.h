/* A non-neural generator beside the model's synthesis: windows drawn from the
 * n-gram model of the training trace that the infill baselines use
 * (ngram_infill.h: interpolated Kneser-Ney, order chosen on held-out training
 * data), each event drawn from P(. | the n-1 events before it).
 *
 * A window starts where a training position drawn uniformly from the
 * stitched trace starts, after the n-1 events before it in its piece (fewer
 * at the start of a piece), so that it begins mid-trace as a training window
 * does rather than from the model's idea of a first event. Draws come from
 * philox(seed, NGRAM_SYNTHESIS_STREAM, ...): the windows are a function of
 * the training data, their count, their length and the seed.
 *
 * Such a generator knows exactly the local statistics the bigram and trigram
 * divergences measure and nothing beyond n-1 events: a model that does not
 * come closer to REAL than this has learnt no more than an n-gram table. */
#ifndef SSSD_EVALUATE_NGRAM_SYNTHESIS_H
#define SSSD_EVALUATE_NGRAM_SYNTHESIS_H

#include <stdint.h>

#include "ngram_infill.h"
#include "training_index.h"
#include "windows.h"

/* count windows of L events into out (allocated here); *order receives the
 * model's order (0 for an empty training trace, whose windows are all the
 * mode event). */
void ngram_synthesis_draw(const training_index *ix, int64_t count, int L, uint64_t seed, window_set *out, int *order);

#endif
