/* The n-gram generator baseline for synthesis (see ngram_synthesis.h). */
#include "ngram_synthesis.h"

#include <stdlib.h>

#include "baselines.h"
#include "philox.h"

/* Keeps these draws apart from every other philox stream of the project. */
#define NGRAM_SYNTHESIS_STREAM 0x5E9A7Eu

/* The index of the event a uniform u in [0, 1) falls on in p (V values
 * summing to 1); rounding that leaves u past the total gives the last event
 * with probability above 0. */
static int32_t draw_event(const double *p, int32_t V, double u) {
    double acc = 0;
    int32_t last = 0;
    for (int32_t v = 0; v < V; v++) {
        if (p[v] <= 0) continue;
        acc += p[v];
        last = v;
        if (u < acc) return v;
    }
    return last;
}

void ngram_synthesis_draw(const training_index *ix, int64_t count, int L, uint64_t seed, window_set *out, int *order) {
    window_set_init(out, count, L);
    ngram_model m;
    ngram_stats stats;
    int32_t *ids, *x, V = ngram_training_model(ix, &m, &ids, &x, &stats);
    *order = stats.order;
    if (!V) {
        int32_t mode = training_mode_event(ix);
        for (int64_t i = 0; i < count * L; i++) out->ids[i] = mode;
        return;
    }
    int s = stats.order - 1;
    int32_t *hist = xmalloc(sizeof(int32_t) * (size_t)(s + L + 1));
    double *p = xmalloc(sizeof(double) * (size_t)V);
    for (int64_t w = 0; w < count; w++) {
        /* index 0: the start; 1 + j: event j */
        uint64_t base = (uint64_t)w * (uint64_t)(L + 1);
        uint64_t r = ((uint64_t)philox_u32(seed, NGRAM_SYNTHESIS_STREAM, 2 * base) << 32) |
                     philox_u32(seed, NGRAM_SYNTHESIS_STREAM, 2 * base + 1);
        int64_t start = (int64_t)(r % (uint64_t)ix->length), piece_begin = 0;
        for (int64_t q = 0; q < ix->segments && ix->segment_end[q] <= start; q++) piece_begin = ix->segment_end[q];
        int h = 0;
        for (int64_t i = start - s < piece_begin ? piece_begin : start - s; i < start; i++) hist[h++] = x[i];
        for (int j = 0; j < L; j++) {
            ngram_model_dist(&m, hist, h, p);
            double u = philox_uniform(philox_u32(seed, NGRAM_SYNTHESIS_STREAM, 2 * (base + 1 + (uint64_t)j)));
            int32_t e = draw_event(p, V, u);
            out->ids[w * L + j] = ids[e];
            hist[h++] = e;
        }
    }
    free(p);
    free(hist);
    ngram_model_free(&m);
    free(x);
    free(ids);
}
