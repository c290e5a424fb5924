/* Window composition: how alike the event mix of single windows is.
 *
 * The n-gram divergences (metrics_dist.h) pool the events of every window, so
 * they cannot tell a generator whose windows each look like some real window
 * from one whose every window is an average of them: a trace that runs in
 * long phases (tar creating an archive, then extracting it) has real windows
 * of one phase each, and a generator that mixes the phases inside every
 * window can match the pooled frequencies exactly. Here each window's event
 * histogram (over its positions in scope: generated positions under a mask)
 * is compared with every window of the other set by total variation
 * distance, half the L1 distance of the two normalised histograms (0: the
 * same mix, 1: no event in common), and the closest one counts:
 *   gen_to_real: the mean over generated windows of the distance to the
 *                closest real window (are generated windows realistic?);
 *   real_to_gen: the mean over real windows of the distance to the closest
 *                generated window (do the generated windows cover REAL?).
 * Both in %. Windows with no position in scope are left out; NaN when a side
 * has none. Every ID is an event of its own; histograms are kept sparse, so
 * any IDs will do, and identical ones are compared once (gaps of a few
 * events repeat a lot). */
#ifndef SSSD_EVALUATE_COMPOSITION_H
#define SSSD_EVALUATE_COMPOSITION_H

#include "mask.h"
#include "windows.h"

typedef struct composition_metrics {
    double gen_to_real, real_to_gen;  /* %, lower is closer */
} composition_metrics;

void composition_compute(const window_set *gen, const eval_mask *gen_mask, const window_set *real,
                         const eval_mask *real_mask, composition_metrics *out);

#endif
