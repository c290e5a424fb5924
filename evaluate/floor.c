/* Real-against-real floor of the distribution figures (see floor.h). */
#include "floor.h"

#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "philox.h"

/* Keeps these draws apart from every other philox stream of the project. */
#define FLOOR_STREAM 0x0F100Du

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void floor_sample_rows(int64_t n, int64_t k, uint64_t seed, int64_t *rows) {
    floor_sample_rows_draw(n, k, seed, 0, rows);
}

void floor_sample_rows_draw(int64_t n, int64_t k, uint64_t seed, int draw, int64_t *rows) {
    if (k > n) k = n;
    uint64_t stream = FLOOR_STREAM + ((uint64_t)draw << 32);
    int64_t *perm = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = 0; i < k; i++) {
        uint64_t r = ((uint64_t)philox_u32(seed, stream, 2 * (uint64_t)i) << 32) |
                     philox_u32(seed, stream, 2 * (uint64_t)i + 1);
        int64_t j = i + (int64_t)(r % (uint64_t)(n - i));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(rows, perm, sizeof(int64_t) * (size_t)k);
    qsort(rows, (size_t)k, sizeof *rows, cmp_i64);
    free(perm);
}

double floor_figure(const dist_metrics *d, int which) {
    switch (which) {
    case FLOOR_JS_EVENTS: return d->js_event;
    case FLOOR_JS_BIGRAMS: return d->js_bigram;
    case FLOOR_JS_TRIGRAMS: return d->js_trigram;
    case FLOOR_KL_GEN_REAL: return d->kl_gen_real;
    case FLOOR_KL_REAL_GEN: return d->kl_real_gen;
    case FLOOR_COMPOSITION_GEN_REAL: return d->composition.gen_to_real;
    case FLOOR_COMPOSITION_REAL_GEN: return d->composition.real_to_gen;
    default: return d->unique_gen;
    }
}

/* The drawn rows' windows, as a window set. */
static void gather_rows(const window_set *train, const int64_t *rows, int64_t k, window_set *sample) {
    int L = train->length;
    window_set_init(sample, k, L);
    for (int64_t i = 0; i < k; i++)
        memcpy(sample->ids + i * L, train->ids + rows[i] * L, sizeof(int32_t) * (size_t)L);
}

void floor_compute(const window_set *train, const window_set *real, const eval_mask *mask, int64_t size,
                   uint64_t seed, int draws, int vocab_max, int nn_threads, real_floor *out) {
    memset(out, 0, sizeof *out);
    out->of_windows = train->count;
    out->windows = size < train->count ? size : train->count;
    out->seed = seed;
    out->rows = xmalloc(sizeof(int64_t) * (size_t)(out->windows ? out->windows : 1));
    floor_sample_rows(train->count, out->windows, seed, out->rows);
    window_set sample;
    gather_rows(train, out->rows, out->windows, &sample);
    dist_compute(&sample, mask, real, mask, vocab_max, &out->dist);
    if (nn_threads > 0) {
        nn_rouge_compute(&sample, real, nn_threads, &out->nn);
        out->has_nn = 1;
    }
    window_set_free(&sample);
    /* Every draw of the whole training set is the same sample. */
    out->draws = draws < 1 || out->windows == train->count ? 1 : draws;
    double *values = xmalloc(sizeof(double) * (size_t)out->draws * FLOOR_SPREAD_FIGURES); /* (figure, draw) */
    for (int f = 0; f < FLOOR_SPREAD_FIGURES; f++) values[(size_t)f * out->draws] = floor_figure(&out->dist, f);
    int64_t *rows = xmalloc(sizeof(int64_t) * (size_t)(out->windows ? out->windows : 1));
    for (int d = 1; d < out->draws; d++) {
        floor_sample_rows_draw(train->count, out->windows, seed, d, rows);
        gather_rows(train, rows, out->windows, &sample);
        dist_metrics m;
        dist_compute(&sample, mask, real, mask, vocab_max, &m);
        for (int f = 0; f < FLOOR_SPREAD_FIGURES; f++) values[(size_t)f * out->draws + d] = floor_figure(&m, f);
        dist_free(&m);
        window_set_free(&sample);
    }
    for (int f = 0; f < FLOOR_SPREAD_FIGURES; f++) {
        double *v = values + (size_t)f * out->draws;
        qsort(v, (size_t)out->draws, sizeof *v, cmp_double);
        int n = out->draws;
        out->lo[f] = v[0];
        out->hi[f] = v[n - 1];
        out->median[f] = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
    free(values);
    free(rows);
}

void floor_free(real_floor *f) {
    free(f->rows);
    dist_free(&f->dist);
    if (f->has_nn) nn_free(&f->nn);
    memset(f, 0, sizeof *f);
}
