/* Nearest-neighbour ROUGE-L: each generated window against its best real match
 * and each real window against its best generated match, over whole windows.
 * High gen->real means plausible windows; high real->gen means the generated
 * set covers the real one (low = mode collapse). */
#ifndef SSSD_EVALUATE_NN_ROUGE_H
#define SSSD_EVALUATE_NN_ROUGE_H

#include <stdint.h>
#include "windows.h"

typedef struct nn_result {
    double mean_gen_to_real;  /* %: mean over generated windows of the best ROUGE-L F1 */
    double mean_real_to_gen;  /* %: mean over real windows of the best ROUGE-L F1 */
    double *best_gen;         /* (gen count) best F1 in [0,1] */
    double *best_real;        /* (real count) */
    int64_t gen_exact;        /* generated windows equal to some real window (F1 = 1) */
    int64_t pairs;            /* LCS computations */
    double seconds;
    int threads;
} nn_result;

/* Both sets must have the same length. threads >= 1. */
void nn_rouge_compute(const window_set *gen, const window_set *real, int threads, nn_result *out);
void nn_free(nn_result *r);

/* Map the IDs of several sets to dense symbols 0..A-1 (sorted order); returns
 * A and fills dense[s] (same shape as sets[s]). */
int dense_symbols(const window_set *const *sets, int nsets, int32_t **dense);

#endif
