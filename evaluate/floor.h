/* Real against real: the distribution figures of a random sample of
 * training windows, as many as GENERATED, against REAL. Real data drawn
 * from the same program is as close to REAL as a generator can be expected
 * to come with that many windows (a smaller sample is further from REAL by
 * chance alone), so these figures are the floor beside the generator's. */
#ifndef SSSD_EVALUATE_FLOOR_H
#define SSSD_EVALUATE_FLOOR_H

#include <stdint.h>

#include "mask.h"
#include "metrics_dist.h"
#include "nn_rouge.h"
#include "windows.h"

/* The default seed of the sample (evaluate --seed). */
#define FLOOR_DEFAULT_SEED 1

typedef struct real_floor {
    int64_t windows;         /* training windows in the sample: min(GENERATED, TRAIN) */
    int64_t of_windows;      /* training windows there were */
    uint64_t seed;
    int64_t *rows;           /* (windows) the training rows drawn, ascending */
    dist_metrics dist;       /* the sample against REAL, in the generator's scope */
    int has_nn;
    nn_result nn;            /* nearest-neighbour ROUGE-L of the sample against REAL */
} real_floor;

/* k of n row indices without replacement, ascending: a partial Fisher-Yates
 * shuffle driven by philox(seed, FLOOR_STREAM, i), so the sample is a
 * function of (n, k, seed) only. */
void floor_sample_rows(int64_t n, int64_t k, uint64_t seed, int64_t *rows);

/* The floor for `size` generated windows. mask: the scope of the generator's
 * figures (NULL: whole windows); row i of the mask applies to the i-th drawn
 * window as it applies to generated window i. nn_threads 0: no
 * nearest-neighbour ROUGE-L. */
void floor_compute(const window_set *train, const window_set *real, const eval_mask *mask, int64_t size,
                   uint64_t seed, int vocab_max, int nn_threads, real_floor *out);
void floor_free(real_floor *f);

#endif
