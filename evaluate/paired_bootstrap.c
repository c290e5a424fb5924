/* Paired bootstrap intervals for model-minus-baseline differences (see paired_bootstrap.h). */
#include "paired_bootstrap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "error.h"
#include "philox.h"

/* One window's generated positions, summed per real event type. */
typedef struct type_count {
    int32_t type;            /* dense index of the real event */
    int32_t n, a_right, b_right;
} type_count;

typedef struct window_stats {
    int32_t k, a_right, b_right;  /* generated positions; right in a, in b */
    int32_t tail, a_tail, b_tail; /* of which tail positions; right there */
    int32_t first, count;         /* its type_counts */
} window_stats;

/* Figures of one draw: [0] for a, [1] for b. */
typedef struct draw_figures {
    double accuracy[2], perfect[2], macro[2], tail[2];
} draw_figures;

/* Figures of the windows picked (pick[i] counts how often window i was drawn). */
static void figures(const window_stats *ws, int64_t nw, const type_count *tc, const int32_t *pick, int32_t n_types,
                    int64_t *type_n, int64_t *type_a, int64_t *type_b, draw_figures *f) {
    double acc[2] = {0, 0}, perfect[2] = {0, 0};
    int64_t tail = 0, tail_right[2] = {0, 0}, windows = 0;
    memset(type_n, 0, sizeof(int64_t) * (size_t)n_types);
    memset(type_a, 0, sizeof(int64_t) * (size_t)n_types);
    memset(type_b, 0, sizeof(int64_t) * (size_t)n_types);
    for (int64_t w = 0; w < nw; w++) {
        int32_t m = pick[w];
        if (!m) continue;
        const window_stats *s = &ws[w];
        windows += m;
        acc[0] += m * (double)s->a_right / s->k;
        acc[1] += m * (double)s->b_right / s->k;
        perfect[0] += m * (s->a_right == s->k);
        perfect[1] += m * (s->b_right == s->k);
        tail += (int64_t)m * s->tail;
        tail_right[0] += (int64_t)m * s->a_tail;
        tail_right[1] += (int64_t)m * s->b_tail;
        for (int32_t i = s->first; i < s->first + s->count; i++) {
            type_n[tc[i].type] += (int64_t)m * tc[i].n;
            type_a[tc[i].type] += (int64_t)m * tc[i].a_right;
            type_b[tc[i].type] += (int64_t)m * tc[i].b_right;
        }
    }
    double recall[2] = {0, 0};
    int64_t present = 0;
    for (int32_t t = 0; t < n_types; t++) {
        if (!type_n[t]) continue;
        present++;
        recall[0] += (double)type_a[t] / (double)type_n[t];
        recall[1] += (double)type_b[t] / (double)type_n[t];
    }
    for (int s = 0; s < 2; s++) {
        f->accuracy[s] = windows ? 100.0 * acc[s] / (double)windows : NAN;
        f->perfect[s] = windows ? 100.0 * perfect[s] / (double)windows : NAN;
        f->macro[s] = present ? 100.0 * recall[s] / (double)present : NAN;
        f->tail[s] = tail ? 100.0 * (double)tail_right[s] / (double)tail : NAN;
    }
}

/* The 2.5th and 97.5th percentiles of n differences (NaNs, from draws where
 * the figure is undefined, left out). */
static void interval(double *d, int n, double full, diff_interval *out) {
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(d[i])) d[m++] = d[i];
    out->difference = full;
    if (m == 0 || isnan(full)) {
        out->low = out->high = NAN;
        return;
    }
    qsort(d, (size_t)m, sizeof *d, cmp_double);
    int lo = (int)floor(0.025 * (m - 1)), hi = (int)ceil(0.975 * (m - 1));
    out->low = d[lo];
    out->high = d[hi];
}

void paired_bootstrap(const window_set *a, const window_set *b, const window_set *real, const eval_mask *mask,
                      const int32_t *head, int n_head, int block, int resamples, uint64_t seed, paired_diff *out) {
    memset(out, 0, sizeof *out);
    out->resamples = resamples;
    out->block = block = block < 1 ? 1 : block;
    int L = real->length;
    int64_t N = real->count;
    /* Dense type indices: the distinct real events at generated positions, sorted. */
    int32_t *types = xmalloc(sizeof(int32_t) * (size_t)(N * L + 1));
    int64_t nt = 0;
    for (int64_t w = 0; w < N; w++)
        for (int j = 0; j < L; j++)
            if (!mask_is_observed(mask, w, j)) types[nt++] = real->ids[w * L + j];
    qsort(types, (size_t)nt, sizeof *types, cmp_i32);
    int32_t n_types = 0;
    for (int64_t i = 0; i < nt; i++)
        if (n_types == 0 || types[i] != types[n_types - 1]) types[n_types++] = types[i];

    window_stats *ws = xcalloc((size_t)(N ? N : 1), sizeof *ws);
    type_count *tc = xmalloc(sizeof *tc * (size_t)(nt ? nt : 1));
    int32_t *slot = xmalloc(sizeof(int32_t) * (size_t)(n_types ? n_types : 1));
    for (int32_t t = 0; t < n_types; t++) slot[t] = -1;
    int64_t nw = 0, ntc = 0;
    for (int64_t w = 0; w < N; w++) {
        window_stats s = {0};
        s.first = (int32_t)ntc;
        for (int j = 0; j < L; j++) {
            if (mask_is_observed(mask, w, j)) continue;
            int32_t r = real->ids[w * L + j];
            int ar = a->ids[w * L + j] == r, br = b->ids[w * L + j] == r;
            int in_head = 0;
            for (int h = 0; h < n_head; h++) in_head |= head[h] == r;
            s.k++;
            s.a_right += ar;
            s.b_right += br;
            if (!in_head) {
                s.tail++;
                s.a_tail += ar;
                s.b_tail += br;
            }
            int32_t t = (int32_t)((const int32_t *)bsearch(&r, types, (size_t)n_types, sizeof *types, cmp_i32) - types);
            if (slot[t] < 0) {
                slot[t] = (int32_t)ntc;
                tc[ntc++] = (type_count){t, 0, 0, 0};
            }
            tc[slot[t]].n++;
            tc[slot[t]].a_right += ar;
            tc[slot[t]].b_right += br;
        }
        for (int64_t i = s.first; i < ntc; i++) slot[tc[i].type] = -1;
        s.count = (int32_t)(ntc - s.first);
        if (s.k == 0) { /* nothing generated: not scored, as in metrics_recon */
            ntc = s.first;
            continue;
        }
        ws[nw++] = s;
    }
    out->windows = nw;

    int64_t *type_n = xmalloc(sizeof(int64_t) * 3 * (size_t)(n_types ? n_types : 1));
    int64_t *type_a = type_n + n_types, *type_b = type_a + n_types;
    int32_t *pick = xmalloc(sizeof(int32_t) * (size_t)(nw ? nw : 1));
    draw_figures full;
    for (int64_t w = 0; w < nw; w++) pick[w] = 1;
    figures(ws, nw, tc, pick, n_types, type_n, type_a, type_b, &full);
    double *d = xmalloc(sizeof(double) * 4 * (size_t)(resamples > 0 ? resamples : 1));
    int64_t nb = (nw + block - 1) / block; /* blocks; the last may be short */
    for (int r = 0; r < resamples; r++) {
        memset(pick, 0, sizeof(int32_t) * (size_t)(nw ? nw : 1));
        for (int64_t i = 0; i < nb; i += 4) {
            philox_u32x4 c = {{(uint32_t)i, (uint32_t)((uint64_t)i >> 32), (uint32_t)r, 0xB007u}};
            philox_u32x4 x = philox4x32(c, (uint32_t)seed, (uint32_t)(seed >> 32));
            for (int q = 0; q < 4 && i + q < nb; q++) {
                int64_t first = (int64_t)((uint64_t)x.v[q] * (uint64_t)nb >> 32) * block;
                for (int64_t w = first; w < first + block && w < nw; w++) pick[w]++;
            }
        }
        draw_figures f;
        figures(ws, nw, tc, pick, n_types, type_n, type_a, type_b, &f);
        d[r] = f.accuracy[0] - f.accuracy[1];
        d[resamples + r] = f.perfect[0] - f.perfect[1];
        d[2 * resamples + r] = f.macro[0] - f.macro[1];
        d[3 * resamples + r] = f.tail[0] - f.tail[1];
    }
    interval(d, resamples, full.accuracy[0] - full.accuracy[1], &out->accuracy);
    interval(d + resamples, resamples, full.perfect[0] - full.perfect[1], &out->perfect);
    interval(d + 2 * resamples, resamples, full.macro[0] - full.macro[1], &out->macro);
    interval(d + 3 * resamples, resamples, full.tail[0] - full.tail[1], &out->tail);
    free(d);
    free(pick);
    free(type_n);
    free(slot);
    free(tc);
    free(ws);
    free(types);
}
