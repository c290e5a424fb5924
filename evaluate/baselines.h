/* Two trivial reconstructions scored on the same task as the model, so that a
 * score can be read against what no learning at all achieves:
 *   mode     every generated position gets the most frequent training event;
 *   context  each gap gets the filler seen most often in training between the
 *            same (up to 8) left and (up to 8) right observed events, backing
 *            off to shorter contexts and finally to the mode.
 * On test sets that overlap training the context lookup is near perfect. */
#ifndef SSSD_EVALUATE_BASELINES_H
#define SSSD_EVALUATE_BASELINES_H

#include <stdint.h>
#include "mask.h"
#include "training_index.h"
#include "windows.h"

#define BASELINE_MAX_CONTEXT 8

/* Most frequent event of the stitched training trace (ties: smallest ID). */
int32_t training_mode_event(const training_index *ix);

/* out = real with every generated position replaced by `mode`. */
void baseline_mode_fill(const window_set *real, const eval_mask *mask, int32_t mode, window_set *out);

typedef struct context_stats {
    int64_t gaps;
    /* filled_at[c]: gaps filled from a context of c events per side (the longer
     * side when one is cut short by the window edge); [0]: fell back to the mode */
    int64_t filled_at[BASELINE_MAX_CONTEXT + 1];
} context_stats;

/* out = real with every gap filled by the context lookup. max_context <= 8. */
void baseline_context_fill(const training_index *ix, const window_set *real, const eval_mask *mask, int max_context,
                           window_set *out, context_stats *stats);

#endif
