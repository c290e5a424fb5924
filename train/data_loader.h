/* Training batches: every epoch is a permutation of the training windows
 * drawn from philox(seed, SHUFFLE | epoch), cut into floor(N / B) batches.
 * Batch number s is a pure function of (seed, s), so a resumed run sees
 * exactly the batches an uninterrupted one would. Never pads or repeats
 * windows inside an epoch: the N mod B windows left over by an epoch's
 * permutation sit that epoch out (different ones each epoch). */
#ifndef SSSD_TRAIN_DATA_LOADER_H
#define SSSD_TRAIN_DATA_LOADER_H

#include <stdint.h>

#include "windows.h"

typedef struct data_loader {
    const window_set *windows;
    int batch;
    uint64_t seed;
    int64_t batches_per_epoch;
    int64_t epoch;        /* the epoch whose permutation is cached, -1 none */
    int64_t *perm;        /* (N) */
} data_loader;

/* Returns -1 with a message when batch > number of windows. */
int data_loader_init(data_loader *dl, const window_set *windows, int batch, uint64_t seed, error_info *err);
void data_loader_free(data_loader *dl);

/* Batch number `index` (0-based) as floats (B, L); window indices into
 * `which` (may be NULL). */
void data_loader_batch(data_loader *dl, int64_t index, float *x0, int64_t *which);

/* The permutation of epoch e (exposed for tests). */
void data_loader_permutation(uint64_t seed, int64_t epoch, int64_t n, int64_t *perm);

#endif
