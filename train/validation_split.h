/* The validation windows of a training run, held out of its training data so
 * that choosing best.ckpt never looks at the test split.
 *
 * The held-out part is the last F of the training windows (in the dataset's
 * order, which is the trace's order): a block at the end of the trace, as a
 * forecaster would be validated, rather than windows scattered through it.
 * Windows are usually cut with a stride s < L, so the training windows just
 * before the block share events with its first window; those (at most
 * ceil(L/s) - 1 of them, found by the overlap itself, not assumed) are left
 * out of both sets, so that no event of a validation window is ever trained
 * on. */
#ifndef SSSD_TRAIN_VALIDATION_SPLIT_H
#define SSSD_TRAIN_VALIDATION_SPLIT_H

#include <stdint.h>
#include "error.h"
#include "windows.h"

typedef struct validation_split {
    window_set training;    /* what the run trains on */
    window_set validation;  /* what it validates on */
    int64_t left_out;       /* training windows overlapping the validation block, in neither */
    int stride;             /* the step between consecutive windows (L when they do not overlap) */
} validation_split;

/* Hold out ceil(fraction x N) windows (at least 1) of `all` (fraction in
 * (0, 1)). Returns -1 with a message when fewer than min_training windows
 * would be left to train on. */
int validation_split_make(const window_set *all, double fraction, int64_t min_training, validation_split *out,
                          error_info *err);
void validation_split_free(validation_split *v);

#endif
