/* How sure is a difference between the model and a baseline? Both fill the
 * same gaps of the same REAL windows, so the windows are resampled in pairs
 * (a paired bootstrap): each resample draws REAL's scored windows with
 * replacement, recomputes every figure for both systems on the draw, and
 * keeps the difference. The 2.5th and 97.5th percentiles of the differences
 * are a 95% interval. An interval that holds 0 says the test split cannot
 * tell the two apart on that figure: on a set whose rare types occur a few
 * times each, macro accuracy can move by a point on one event.
 *
 * Test windows cut from a trace with a stride s < L share events (with
 * L = 200, s = 5 and a 10-event gap, each gap event is scored in two
 * windows, and its context in forty), so windows are not independent draws:
 * resampling them one by one would make the intervals too narrow. They are
 * drawn in blocks instead: runs of `block` consecutive scored windows (the
 * caller passes ceil(L/s), the windows that can share an event; 1 for
 * windows that do not overlap), as many blocks as make up the windows.
 *
 * The figures are those of metrics_recon.h and metrics_types.h, recomputed
 * on each draw: accuracy (mean over windows of each window's share right),
 * perfect rate, macro accuracy (mean recall over the event types present at
 * generated positions of the draw) and tail accuracy (pooled over positions
 * whose real event is outside the head, the head fixed from all of REAL).
 * The draws are Philox draws of (seed, resample, index): the same seed gives
 * the same intervals. */
#ifndef SSSD_EVALUATE_PAIRED_BOOTSTRAP_H
#define SSSD_EVALUATE_PAIRED_BOOTSTRAP_H

#include <stdint.h>
#include "mask.h"
#include "windows.h"

#define BOOTSTRAP_RESAMPLES 1000

typedef struct diff_interval {
    double difference;       /* a's figure minus b's on all scored windows (percentage points) */
    double low, high;        /* the 95% interval; NAN when the figure is undefined */
} diff_interval;

typedef struct paired_diff {
    int64_t windows;         /* scored windows (at least one generated position) */
    int block;               /* consecutive windows drawn together */
    int resamples;
    diff_interval accuracy, perfect, macro, tail;
} paired_diff;

/* a and b fill real's generated positions (same count and length as real;
 * mask rows 1 or count). head: the n_head events that are not the tail. */
void paired_bootstrap(const window_set *a, const window_set *b, const window_set *real, const eval_mask *mask,
                      const int32_t *head, int n_head, int block, int resamples, uint64_t seed, paired_diff *out);

#endif
