/* Real against real: the distribution figures of a random sample of
 * training windows, as many as GENERATED, against REAL. Real data drawn
 * from the same program is as close to REAL as a generator can be expected
 * to come with that many windows (a smaller sample is further from REAL by
 * chance alone), so these figures are the floor beside the generator's.
 *
 * One sample is itself a draw: with 64 windows its figures move from draw to
 * draw about as much as a generator's would. So the floor is drawn several
 * times more, and the median and range of each figure over the draws are
 * reported beside the first draw's value: a generator within that range is
 * as close to REAL as real data of its size can be, and its ratio to the
 * median is steadier than its ratio to one draw. */
#ifndef SSSD_EVALUATE_FLOOR_H
#define SSSD_EVALUATE_FLOOR_H

#include <stdint.h>

#include "mask.h"
#include "metrics_dist.h"
#include "nn_rouge.h"
#include "windows.h"

/* The default seed of the sample (evaluate --seed). */
#define FLOOR_DEFAULT_SEED 1
/* Draws of the floor whose range is reported (evaluate --floor-draws). */
#define FLOOR_DEFAULT_DRAWS 20

/* The figures whose range over the draws is kept, in report order. */
enum { FLOOR_JS_EVENTS, FLOOR_JS_BIGRAMS, FLOOR_JS_TRIGRAMS, FLOOR_KL_GEN_REAL, FLOOR_KL_REAL_GEN,
       FLOOR_COMPOSITION_GEN_REAL, FLOOR_COMPOSITION_REAL_GEN, FLOOR_DISTINCT,
       FLOOR_SPREAD_FIGURES };

typedef struct real_floor {
    int64_t windows;         /* training windows in the sample: min(GENERATED, TRAIN) */
    int64_t of_windows;      /* training windows there were */
    uint64_t seed;
    int64_t *rows;           /* (windows) the training rows drawn, ascending */
    dist_metrics dist;       /* the sample against REAL, in the generator's scope */
    int has_nn;
    nn_result nn;            /* nearest-neighbour ROUGE-L of the sample against REAL */
    int draws;               /* samples drawn: the first above, then draws-1 more */
    /* Each figure's smallest, median and largest value over the draws. */
    double lo[FLOOR_SPREAD_FIGURES], median[FLOOR_SPREAD_FIGURES], hi[FLOOR_SPREAD_FIGURES];
} real_floor;

/* k of n row indices without replacement, ascending: a partial Fisher-Yates
 * shuffle driven by philox(seed, FLOOR_STREAM, i), so the sample is a
 * function of (n, k, seed) only. */
void floor_sample_rows(int64_t n, int64_t k, uint64_t seed, int64_t *rows);
/* The same for draw d of the floor: draw 0 is floor_sample_rows's, the
 * others come from streams of their own. */
void floor_sample_rows_draw(int64_t n, int64_t k, uint64_t seed, int draw, int64_t *rows);
/* Figure FLOOR_* of a set of distribution figures. */
double floor_figure(const dist_metrics *d, int which);

/* The floor for `size` generated windows. mask: the scope of the generator's
 * figures (NULL: whole windows); row i of the mask applies to the i-th drawn
 * window as it applies to generated window i. nn_threads 0: no
 * nearest-neighbour ROUGE-L (computed on the first draw only). draws: how
 * many samples the ranges come from (at least 1); when the sample is the
 * whole training set every draw is the same, and one is made. */
void floor_compute(const window_set *train, const window_set *real, const eval_mask *mask, int64_t size,
                   uint64_t seed, int draws, int vocab_max, int nn_threads, real_floor *out);
void floor_free(real_floor *f);

#endif
