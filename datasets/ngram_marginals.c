/* Pruned forward-backward over a gap of an n-gram chain (see ngram_marginals.h).
 * A state is the last s = n-1 events, padded in front with -1 while the
 * history is shorter; states of a step are kept sorted by key so that the
 * backward pass finds a successor by binary search. */
/* qsort_r (GNU; the build defines _GNU_SOURCE): comparators that know the key length */
#include "ngram_marginals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct ngram_marginals {
    const ngram_model *m;
    int max_gap, width, s;
    int32_t V;
    /* per step t = 0..max_gap: states kept (count[t]), their keys (width, s),
     * forward and backward log-masses */
    int *count;
    int32_t *keys;
    double *alpha, *beta;
    double *dist;          /* (V): P(. | one state), recomputed in the backward pass rather than kept for
                              every state of every step, which would take max_gap width V doubles */
    /* candidates of one step: (width V) */
    int32_t *c_key;
    double *c_score;
    int *order;
    int32_t *hist;         /* (s + n) scratch for the right context */
    /* merging candidates that end in the same state: an open-addressing table
     * of candidate indices (-1 empty), hash_mask + 1 slots, at most half full */
    int *slot, *slot_of;   /* (hash_mask + 1), (width V): the slot each kept candidate took */
    unsigned hash_mask;
};

static int32_t *key_at(ngram_marginals *g, int t, int i) {
    return g->keys + ((size_t)t * g->width + (size_t)i) * (size_t)(g->s > 0 ? g->s : 1);
}

ngram_marginals *ngram_marginals_create(const ngram_model *m, int max_gap, int width) {
    ngram_marginals *g = xcalloc(1, sizeof *g);
    g->m = m;
    g->max_gap = max_gap > 0 ? max_gap : 1;
    g->width = width > 0 ? width : 1;
    g->s = m->order - 1;
    g->V = m->vocab > 0 ? m->vocab : 1;
    size_t steps = (size_t)g->max_gap + 1, w = (size_t)g->width, s = (size_t)(g->s > 0 ? g->s : 1), V = (size_t)g->V;
    g->count = xcalloc(steps, sizeof *g->count);
    g->keys = xmalloc(steps * w * s * sizeof *g->keys);
    g->alpha = xmalloc(steps * w * sizeof *g->alpha);
    g->beta = xmalloc(steps * w * sizeof *g->beta);
    g->dist = xmalloc(V * sizeof *g->dist);
    g->c_key = xmalloc(w * V * s * sizeof *g->c_key);
    g->c_score = xmalloc(w * V * sizeof *g->c_score);
    g->order = xmalloc(w * V * sizeof *g->order);
    g->hist = xmalloc((2 * s + 1) * sizeof *g->hist);
    size_t slots = 2;
    while (slots < 2 * w * V) slots *= 2;
    g->hash_mask = (unsigned)(slots - 1);
    g->slot = xmalloc(slots * sizeof *g->slot);
    for (size_t i = 0; i < slots; i++) g->slot[i] = -1;
    g->slot_of = xmalloc(w * V * sizeof *g->slot_of);
    return g;
}

void ngram_marginals_free(ngram_marginals *g) {
    if (!g) return;
    free(g->count);
    free(g->keys);
    free(g->alpha);
    free(g->beta);
    free(g->dist);
    free(g->c_key);
    free(g->c_score);
    free(g->order);
    free(g->hist);
    free(g->slot);
    free(g->slot_of);
    free(g);
}

static double log_add(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

/* The history a key stands for: its events after the -1 padding. */
static int key_history(const int32_t *key, int s, const int32_t **hist) {
    int pad = 0;
    while (pad < s && key[pad] < 0) pad++;
    *hist = key + pad;
    return s - pad;
}

typedef struct sort_ctx {
    const int32_t *keys;
    const double *score;
    int s;
} sort_ctx;

static int by_key(const void *a, const void *b, void *ctx) {
    const sort_ctx *c = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    int r = c->s ? memcmp(c->keys + (size_t)i * c->s, c->keys + (size_t)j * c->s, (size_t)c->s * sizeof(int32_t)) : 0;
    return r ? r : (i > j) - (i < j);
}

/* Larger score first; ties in key order, so the states kept do not depend on
 * the order the candidates were made in. */
static int by_score(const void *a, const void *b, void *ctx) {
    const sort_ctx *c = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    if (c->score[i] != c->score[j]) return c->score[i] > c->score[j] ? -1 : 1;
    return by_key(a, b, ctx);
}

static unsigned key_hash(const int32_t *key, int s) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < s; i++) h = (h ^ (uint32_t)key[i]) * 0xff51afd7ed558ccdull;
    return (unsigned)(h >> 32);
}

/* by_score's order as a predicate: candidate i ranks before j. */
static int ranks_before(const sort_ctx *c, int i, int j) { return by_score(&i, &j, (void *)c) < 0; }

/* The root of heap[0..n) is its lowest-ranked candidate; restore that below k. */
static void heap_sift_down(const sort_ctx *c, int *heap, int n, int k) {
    for (;;) {
        int low = k, l = 2 * k + 1, r = l + 1;
        if (l < n && ranks_before(c, heap[low], heap[l])) low = l;
        if (r < n && ranks_before(c, heap[low], heap[r])) low = r;
        if (low == k) return;
        int t = heap[k];
        heap[k] = heap[low];
        heap[low] = t;
        k = low;
    }
}

/* Merge candidates [0, n) that end in the same state (keys of s >= 1
 * events: a unigram model never gets here), adding their masses in candidate
 * order into the first one's score; the survivors go to g->order in
 * candidate order. Returns how many survive. (The same numbers as sorting by
 * key and merging neighbours, at linear cost.) */
static int merge_candidates(ngram_marginals *g, int n, int s, size_t ks) {
    int m = 0;
    for (int a = 0; a < n; a++) {
        const int32_t *key = g->c_key + (size_t)a * ks;
        unsigned h = key_hash(key, s) & g->hash_mask;
        for (;; h = (h + 1) & g->hash_mask) {
            int b = g->slot[h];
            if (b < 0) {
                g->slot[h] = a;
                g->slot_of[m] = (int)h;
                g->order[m++] = a;
                break;
            }
            if (memcmp(g->c_key + (size_t)b * ks, key, (size_t)s * sizeof(int32_t)) == 0) {
                g->c_score[b] = log_add(g->c_score[b], g->c_score[a]);
                break;
            }
        }
    }
    for (int i = 0; i < m; i++) g->slot[g->slot_of[i]] = -1;
    return m;
}

/* Keep the W highest-ranked of the m candidates in g->order (by_score's
 * order, so the same set as a full sort would keep), in g->order[0, W). */
static void keep_best(ngram_marginals *g, const sort_ctx *c, int m, int W) {
    int *heap = g->order;
    for (int k = W / 2 - 1; k >= 0; k--) heap_sift_down(c, heap, W, k);
    for (int i = W; i < m; i++)
        if (ranks_before(c, g->order[i], heap[0])) {
            heap[0] = g->order[i];
            heap_sift_down(c, heap, W, 0);
        }
}

/* Index of key among step t's states (sorted), or -1. */
static int find_state(ngram_marginals *g, int t, const int32_t *key) {
    int lo = 0, hi = g->count[t];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int r = memcmp(key_at(g, t, mid), key, (size_t)g->s * sizeof *key);
        if (r == 0) return mid;
        if (r < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

int ngram_marginals_compute(ngram_marginals *g, const int32_t *left, int nl, int gap, const int32_t *right, int nr,
                            double *post) {
    int s = g->s, V = g->V, W = g->width, cut = 0;
    size_t ks = (size_t)(s > 0 ? s : 1);
    if (gap > g->max_gap) gap = g->max_gap;
    if (s == 0) { /* a unigram model: every position alike, whatever the sides */
        for (int t = 0; t < gap; t++) ngram_model_dist(g->m, g->hist, 0, post + (size_t)t * V);
        return 0;
    }
    if (nr > s) nr = s; /* later right events do not depend on the gap */
    if (nl > s) {
        left += nl - s;
        nl = s;
    }
    /* Step 0: the left context. */
    int32_t *k0 = key_at(g, 0, 0);
    for (int i = 0; i < s; i++) k0[i] = i < s - nl ? -1 : left[i - (s - nl)];
    g->count[0] = 1;
    g->alpha[0] = 0.0;
    for (int t = 1; t <= gap; t++) {
        int n = 0, prev = g->count[t - 1];
        for (int i = 0; i < prev; i++) {
            const int32_t *key = key_at(g, t - 1, i), *hist;
            int hl = key_history(key, s, &hist);
            double *p = g->dist;
            ngram_model_dist(g->m, hist, hl, p);
            for (int v = 0; v < V; v++) {
                if (!(p[v] > 0)) continue;
                int32_t *c = g->c_key + (size_t)n * ks;
                if (s > 0) {
                    memcpy(c, key + 1, (size_t)(s - 1) * sizeof *c);
                    c[s - 1] = v;
                }
                g->c_score[n] = g->alpha[(size_t)(t - 1) * W + (size_t)i] + log(p[v]);
                n++;
            }
        }
        /* Merge hypotheses that end in the same state; keep the likeliest W,
         * sorted by key for the backward pass's lookups. */
        sort_ctx ctx = {g->c_key, g->c_score, s};
        int m = merge_candidates(g, n, s, ks);
        if (m > W) {
            cut = 1;
            keep_best(g, &ctx, m, W);
            m = W;
        }
        qsort_r(g->order, (size_t)m, sizeof *g->order, by_key, &ctx);
        for (int i = 0; i < m; i++) {
            memcpy(key_at(g, t, i), g->c_key + (size_t)g->order[i] * ks, (size_t)s * sizeof(int32_t));
            g->alpha[(size_t)t * W + (size_t)i] = g->c_score[g->order[i]];
        }
        g->count[t] = m;
    }
    /* Backward: the right context, then step by step. */
    for (int i = 0; i < g->count[gap]; i++) {
        const int32_t *key = key_at(g, gap, i), *hist;
        int hl = key_history(key, s, &hist);
        memcpy(g->hist, hist, (size_t)hl * sizeof *g->hist);
        memcpy(g->hist + hl, right, (size_t)nr * sizeof *g->hist);
        double b = 0.0;
        for (int j = 0; j < nr; j++) b += log(ngram_model_prob(g->m, g->hist, hl + j, right[j]));
        g->beta[(size_t)gap * W + (size_t)i] = b;
    }
    int32_t *next = g->hist; /* s events: a successor's key */
    for (int t = gap - 1; t >= 1; t--) {
        for (int i = 0; i < g->count[t]; i++) {
            const int32_t *key = key_at(g, t, i), *hist;
            int hl = key_history(key, s, &hist);
            double *p = g->dist;
            ngram_model_dist(g->m, hist, hl, p);
            double b = -INFINITY;
            if (s > 0) memcpy(next, key + 1, (size_t)(s - 1) * sizeof *next);
            for (int v = 0; v < V; v++) {
                if (!(p[v] > 0)) continue;
                if (s > 0) next[s - 1] = v;
                int j = s > 0 ? find_state(g, t + 1, next) : 0;
                if (j < 0) continue;
                b = log_add(b, log(p[v]) + g->beta[(size_t)(t + 1) * W + (size_t)j]);
            }
            g->beta[(size_t)t * W + (size_t)i] = b;
        }
    }
    /* Marginals: the mass of the states whose last event is v. */
    for (int t = 1; t <= gap; t++) {
        double *row = post + (size_t)(t - 1) * V, top = -INFINITY;
        for (int v = 0; v < V; v++) row[v] = -INFINITY;
        for (int i = 0; i < g->count[t]; i++) {
            int32_t v = s > 0 ? key_at(g, t, i)[s - 1] : -1;
            if (v < 0 || v >= V) continue;
            row[v] = log_add(row[v], g->alpha[(size_t)t * W + (size_t)i] + g->beta[(size_t)t * W + (size_t)i]);
        }
        for (int v = 0; v < V; v++) top = fmax(top, row[v]);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += row[v] = top > -INFINITY ? exp(row[v] - top) : 1.0;
        for (int v = 0; v < V; v++) row[v] /= sum;
    }
    return cut;
}
