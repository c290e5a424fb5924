/* Real-against-real floor of the distribution figures (see floor.h). */
#include "floor.h"

#include <stdlib.h>
#include <string.h>

#include "philox.h"

/* Keeps these draws apart from every other philox stream of the project. */
#define FLOOR_STREAM 0x0F100Du

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void floor_sample_rows(int64_t n, int64_t k, uint64_t seed, int64_t *rows) {
    if (k > n) k = n;
    int64_t *perm = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = 0; i < k; i++) {
        uint64_t r = ((uint64_t)philox_u32(seed, FLOOR_STREAM, 2 * (uint64_t)i) << 32) |
                     philox_u32(seed, FLOOR_STREAM, 2 * (uint64_t)i + 1);
        int64_t j = i + (int64_t)(r % (uint64_t)(n - i));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(rows, perm, sizeof(int64_t) * (size_t)k);
    qsort(rows, (size_t)k, sizeof *rows, cmp_i64);
    free(perm);
}

void floor_compute(const window_set *train, const window_set *real, const eval_mask *mask, int64_t size,
                   uint64_t seed, int vocab_max, int nn_threads, real_floor *out) {
    memset(out, 0, sizeof *out);
    int L = train->length;
    out->of_windows = train->count;
    out->windows = size < train->count ? size : train->count;
    out->seed = seed;
    out->rows = xmalloc(sizeof(int64_t) * (size_t)(out->windows ? out->windows : 1));
    floor_sample_rows(train->count, out->windows, seed, out->rows);
    window_set sample;
    window_set_init(&sample, out->windows, L);
    for (int64_t i = 0; i < out->windows; i++)
        memcpy(sample.ids + i * L, train->ids + out->rows[i] * L, sizeof(int32_t) * (size_t)L);
    dist_compute(&sample, mask, real, mask, vocab_max, &out->dist);
    if (nn_threads > 0) {
        nn_rouge_compute(&sample, real, nn_threads, &out->nn);
        out->has_nn = 1;
    }
    window_set_free(&sample);
}

void floor_free(real_floor *f) {
    free(f->rows);
    dist_free(&f->dist);
    if (f->has_nn) nn_free(&f->nn);
    memset(f, 0, sizeof *f);
}
