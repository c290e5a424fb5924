/* Data-parallel training: every process holds the whole model, computes its
 * share of each iteration's batch, and the gradients are summed over the
 * processes before clipping and the optimizer step, which then run
 * identically everywhere. Shares are contiguous runs of the batch, and every
 * random draw of a window is indexed by its place in the whole batch, so N
 * processes compute what one process computes, up to the order of float sums. */
#ifndef SSSD_PARALLEL_DATA_PARALLEL_H
#define SSSD_PARALLEL_DATA_PARALLEL_H

#include <stdint.h>

#include "collectives.h"
#include "diffusion.h"

/* -1 with a message when a global batch of B windows does not split evenly
 * over c->size processes. */
int data_parallel_check_batch(const collectives *c, int B, error_info *err);

/* The windows each process takes from a global batch of B. */
static inline int data_parallel_local_batch(const collectives *c, int B) { return B / c->size; }

/* One training pass over the global batch x0 (B, L) with one mask (L), or
 * with mask_per_window one per window (B, L):
 * this process runs its share, then the gradients (in the model's gradient
 * buffer) are summed with each share weighted by its number of loss
 * positions, so they and the returned loss are those of the whole batch.
 * flags (n_flags <= 8 host values, e.g. a request to stop) are summed over
 * the processes in the same exchange. With one process this is exactly
 * diffusion_train_step (or _windows), and flags are left as they are. */
double data_parallel_train_step(collectives *c, diffusion_context *d, sssd_model *m, int B, const float *x0,
                                const float *mask, int mask_per_window, uint64_t seed, uint64_t iteration, double *flags,
                                int n_flags);

/* Every process must hold the same parameters: the same sums reach all of
 * them and the optimizer is deterministic. Returns how many processes'
 * parameters differ from rank 0's (a fingerprint: their sum of squares),
 * the same number on every process; 0 with one process. */
int data_parallel_replicas_differ(collectives *c, sssd_model *m);

#endif
