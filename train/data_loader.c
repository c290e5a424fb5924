/* Deterministic shuffled batches (see data_loader.h). */
#include "data_loader.h"

#include <stdlib.h>

#include "diffusion.h"
#include "philox.h"

void data_loader_permutation(uint64_t seed, int64_t epoch, int64_t n, int64_t *perm) {
    uint64_t stream = diffusion_stream(DIFFUSION_STREAM_SHUFFLE, (uint64_t)epoch);
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    /* Fisher-Yates from the top; 64-bit draws so that any N is uniform enough. */
    for (int64_t i = n - 1; i > 0; i--) {
        uint64_t bits = ((uint64_t)philox_u32(seed, stream, 2 * (uint64_t)i) << 32) |
                        philox_u32(seed, stream, 2 * (uint64_t)i + 1);
        int64_t j = (int64_t)(bits % (uint64_t)(i + 1));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

int data_loader_init(data_loader *dl, const window_set *windows, int batch, uint64_t seed, error_info *err) {
    dl->windows = windows;
    dl->batch = batch;
    dl->seed = seed;
    dl->epoch = -1;
    dl->perm = NULL;
    if (windows->count < 1) return error_set(err, "the dataset has no training windows");
    if (batch > windows->count)
        return error_set(err, "--batch %d is larger than the %lld training windows; use --batch %lld or fewer "
                              "(windows are never repeated within a batch)",
                         batch, (long long)windows->count, (long long)windows->count);
    dl->batches_per_epoch = windows->count / batch;
    dl->perm = xmalloc(sizeof(int64_t) * (size_t)windows->count);
    return 0;
}

void data_loader_free(data_loader *dl) {
    free(dl->perm);
    dl->perm = NULL;
}

void data_loader_batch(data_loader *dl, int64_t index, float *x0, int64_t *which) {
    int64_t epoch = index / dl->batches_per_epoch, j = index % dl->batches_per_epoch;
    if (epoch != dl->epoch) {
        data_loader_permutation(dl->seed, epoch, dl->windows->count, dl->perm);
        dl->epoch = epoch;
    }
    int L = dl->windows->length;
    for (int b = 0; b < dl->batch; b++) {
        int64_t w = dl->perm[j * dl->batch + b];
        if (which) which[b] = w;
        const int32_t *src = dl->windows->ids + w * L;
        for (int l = 0; l < L; l++) x0[(size_t)b * L + l] = (float)src[l];
    }
}
