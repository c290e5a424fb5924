/* Nearest-window distance between event histograms (see composition.h). */
#include "composition.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "error.h"

/* The distinct histograms of one side, sparse: histogram i holds the events
 * ids[start[i] .. start[i+1]) ascending, with their counts; weight: windows
 * sharing it; total: its positions in scope. */
typedef struct histograms {
    int64_t n;
    int64_t *start, *weight, *total;
    int32_t *ids, *counts;
} histograms;

/* A histogram's hash and its window's place, sorted so that equal histograms sit together. */
typedef struct keyed {
    uint64_t hash;
    int64_t window;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return (x->window > y->window) - (x->window < y->window);
}

static uint64_t fnv(uint64_t h, uint32_t v) {
    h ^= v;
    return h * 1099511628211ull;
}

/* Every window's histogram (CSR over windows: wstart, wids, wcounts), then
 * the distinct ones into h. */
static void histograms_build(const window_set *ws, const eval_mask *mask, histograms *h) {
    int L = ws->length;
    size_t cap = (size_t)(ws->count * L) + 1, rows = (size_t)ws->count + 1;
    int64_t *wstart = xmalloc(sizeof(int64_t) * rows);
    int32_t *wids = xmalloc(sizeof(int32_t) * cap), *wcounts = xmalloc(sizeof(int32_t) * cap);
    int32_t *scratch = xmalloc(sizeof(int32_t) * (size_t)(L ? L : 1));
    keyed *keys = xmalloc(sizeof(keyed) * rows);
    int64_t used = 0, kept = 0;
    for (int64_t w = 0; w < ws->count; w++) {
        int n = 0;
        for (int j = 0; j < L; j++)
            if (!mask || !mask_is_observed(mask, w, j)) scratch[n++] = ws->ids[w * L + j];
        if (!n) continue;
        qsort(scratch, (size_t)n, sizeof *scratch, cmp_i32);
        wstart[kept] = used;
        uint64_t hash = 1469598103934665603ull; /* FNV-1a over (id, count) pairs */
        for (int j = 0; j < n;) {
            int k = j;
            while (k < n && scratch[k] == scratch[j]) k++;
            wids[used] = scratch[j];
            wcounts[used] = k - j;
            hash = fnv(fnv(hash, (uint32_t)scratch[j]), (uint32_t)(k - j));
            used++;
            j = k;
        }
        keys[kept] = (keyed){hash, kept};
        kept++;
    }
    wstart[kept] = used;
    qsort(keys, (size_t)kept, sizeof *keys, cmp_keyed);
    h->start = xmalloc(sizeof(int64_t) * (size_t)(kept + 1));
    h->weight = xmalloc(sizeof(int64_t) * (size_t)(kept ? kept : 1));
    h->total = xmalloc(sizeof(int64_t) * (size_t)(kept ? kept : 1));
    h->ids = xmalloc(sizeof(int32_t) * (size_t)(used ? used : 1));
    h->counts = xmalloc(sizeof(int32_t) * (size_t)(used ? used : 1));
    h->n = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < kept; i++) {
        int64_t w = keys[i].window, a = wstart[w], len = wstart[w + 1] - a;
        /* Equal histograms have equal hashes and sit together; a collision only costs a repeat. */
        if (h->n && keys[i].hash == keys[i - 1].hash) {
            int64_t pa = h->start[h->n - 1];
            if (at - pa == len && !memcmp(h->ids + pa, wids + a, sizeof(int32_t) * (size_t)len) &&
                !memcmp(h->counts + pa, wcounts + a, sizeof(int32_t) * (size_t)len)) {
                h->weight[h->n - 1]++;
                continue;
            }
        }
        h->start[h->n] = at;
        memcpy(h->ids + at, wids + a, sizeof(int32_t) * (size_t)len);
        memcpy(h->counts + at, wcounts + a, sizeof(int32_t) * (size_t)len);
        int64_t t = 0;
        for (int64_t k = 0; k < len; k++) t += wcounts[a + k];
        h->total[h->n] = t;
        h->weight[h->n++] = 1;
        at += len;
    }
    h->start[h->n] = at;
    free(keys);
    free(scratch);
    free(wcounts);
    free(wids);
    free(wstart);
}

static void histograms_free(histograms *h) {
    free(h->start);
    free(h->weight);
    free(h->total);
    free(h->ids);
    free(h->counts);
}

/* The L1 distance between histogram i of a and k of b (both normalised), by
 * a merge of their sorted events; stops once past `stop`. */
static double l1_distance(const histograms *a, int64_t i, const histograms *b, int64_t k, double stop) {
    int64_t p = a->start[i], pe = a->start[i + 1], q = b->start[k], qe = b->start[k + 1];
    double ta = (double)a->total[i], tb = (double)b->total[k], l1 = 0;
    while ((p < pe || q < qe) && l1 < stop) {
        if (q == qe || (p < pe && a->ids[p] < b->ids[q])) l1 += a->counts[p++] / ta;
        else if (p == pe || b->ids[q] < a->ids[p]) l1 += b->counts[q++] / tb;
        else l1 += fabs(a->counts[p++] / ta - b->counts[q++] / tb);
    }
    return l1;
}

/* The weighted mean over a's histograms of the total variation distance (in
 * [0, 1]) to the closest of b's. */
static double mean_nearest(const histograms *a, const histograms *b) {
    double sum = 0, weights = 0;
    for (int64_t i = 0; i < a->n; i++) {
        double best = 2.0;
        for (int64_t k = 0; k < b->n && best > 0; k++) {
            double l1 = l1_distance(a, i, b, k, best);
            if (l1 < best) best = l1;
        }
        double tv = 0.5 * best;
        sum += (double)a->weight[i] * (tv > 1.0 ? 1.0 : tv);
        weights += (double)a->weight[i];
    }
    return weights > 0 ? sum / weights : NAN;
}

void composition_compute(const window_set *gen, const eval_mask *gen_mask, const window_set *real,
                         const eval_mask *real_mask, composition_metrics *out) {
    histograms g, r;
    histograms_build(gen, gen_mask, &g);
    histograms_build(real, real_mask, &r);
    int empty = g.n == 0 || r.n == 0;
    out->gen_to_real = empty ? NAN : 100.0 * mean_nearest(&g, &r);
    out->real_to_gen = empty ? NAN : 100.0 * mean_nearest(&r, &g);
    histograms_free(&g);
    histograms_free(&r);
}
