/* A non-neural baseline that fills each gap with the sequence an n-gram model
 * of the training trace finds jointly most likely given both sides of the gap.
 *
 * Model: interpolated Kneser-Ney (ngram_model.h) over the stitched training
 * trace, n-grams never crossing a piece boundary. The order n (1..6) is chosen
 * on the training data alone: the last 10% of each piece is held out, levels
 * 1..6 are fitted on the rest, and the order with the highest mean held-out
 * log-likelihood wins (ties: the smaller n). Log-likelihood rather than
 * held-out gap-fill accuracy because it scores every held-out event, so it
 * does not flip between orders on a handful of gaps; the accuracy per order is
 * reported beside it. The model is then refitted on the whole trace.
 *
 * Infill: a gap (maximal run of generated positions) is filled with the
 * sequence maximising log P(gap events, then up to n-1 observed events after
 * the gap | up to n-1 observed events before it), so the right context weighs
 * in. The search is a beam search of width NGRAM_BEAM over every event of the
 * vocabulary at each position, where hypotheses ending in the same n-1 events
 * are merged (their futures score alike, so keeping the better is exact): it is
 * Viterbi whenever no more than NGRAM_BEAM such states are alive, and drops the
 * least likely states otherwise. Gaps at either edge, or a window with nothing
 * observed, use whatever context exists (none: the unigram start). Ties go to
 * the sequence with the smaller IDs, first position first. */
#ifndef SSSD_EVALUATE_NGRAM_INFILL_H
#define SSSD_EVALUATE_NGRAM_INFILL_H

#include <stdint.h>
#include "mask.h"
#include "ngram_model.h"
#include "training_index.h"
#include "windows.h"

#define NGRAM_BEAM 256

typedef struct ngram_stats {
    int order;                 /* n chosen (0 when training is empty: every gap gets the mode) */
    int32_t vocabulary;        /* distinct training events */
    int64_t heldout_events;    /* held-out events scored when choosing n */
    /* [n], n = 1..6: mean natural-log likelihood per held-out event (the criterion) */
    double heldout_loglik[NGRAM_MAX_ORDER + 1];
    /* [n]: accuracy (%) filling 10-event gaps cut from the held-out trace with
     * 10 observed events each side; NaN when the held-out part is too short */
    double heldout_accuracy[NGRAM_MAX_ORDER + 1];
    int64_t heldout_gaps;
    int64_t gaps;              /* gaps filled in `real` */
    int64_t beam_cut;          /* of which the beam dropped states at some position */
} ngram_stats;

/* The model both decodings use (and the n-gram generator, ngram_synthesis.h):
 * the training events as dense indices (*ids: the vocab distinct IDs,
 * ascending; *trace: the stitched trace in those indices), the order chosen
 * as above (into stats), and the model fitted on the whole trace at that
 * order. Returns the vocabulary size; 0 for an empty training trace, with
 * nothing allocated. The caller frees *ids, *trace and the model. */
int32_t ngram_training_model(const training_index *ix, ngram_model *m, int32_t **ids, int32_t **trace,
                             ngram_stats *stats);

/* joint = real with every generated position (mask 0) replaced by the
 * infill; observed positions copied unchanged. marginal = the same n-gram
 * model decoded per position instead of jointly: each generated position gets
 * the event with the largest marginal probability given both sides of its gap
 * (ngram_marginals.h, NGRAM_BEAM states per position). The joint filling
 * maximises the chance of getting a whole gap right (perfect rate); the
 * marginal one the expected number of right events (accuracy), so it is the
 * stronger baseline on accuracy and the weaker on perfect rate. One model
 * serves both. */
void baseline_ngram_fills(const training_index *ix, const window_set *real, const eval_mask *mask,
                          window_set *joint, window_set *marginal, ngram_stats *stats);

#endif
