/* Gap search for the n-gram infill (see ngram_beam.h). Each step extends every
 * live hypothesis by every event, merges the extensions that end in the same
 * n-1 events through a hash table (keeping the better), and keeps the `width`
 * best states with a bounded heap. The right context is scored once the gap is
 * complete: it is observed, so it never branches. */
#include "ngram_beam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Extensions at least this likely are scored first (see ngram_beam_fill). */
#define LIKELY 5e-2

struct ngram_beam {
    const ngram_model *m;
    int max_gap, width, s;       /* s = n - 1, the events a state remembers */
    int32_t vocab;
    double *score, *next_score;  /* (width) */
    int32_t *seq, *next_seq;     /* (width, max_gap) */
    int64_t cap;                 /* width * vocab candidates at most */
    int32_t *c_parent, *c_word, *c_state;  /* c_state: (cap, s), -1 where the history is shorter */
    double *c_score;
    int32_t *table;              /* hash of candidate states, -1 = empty */
    uint64_t table_mask;
    int32_t *heap;               /* (width) */
    double *p;                   /* (width, vocab) P(. | each live hypothesis) */
};

ngram_beam *ngram_beam_create(const ngram_model *m, int max_gap, int width) {
    ngram_beam *b = xcalloc(1, sizeof *b);
    b->m = m;
    b->max_gap = max_gap > 0 ? max_gap : 1;
    b->width = width > 0 ? width : 1;
    b->s = m->order - 1;
    b->vocab = m->vocab;
    size_t w = (size_t)b->width, g = (size_t)b->max_gap, v = (size_t)(m->vocab > 0 ? m->vocab : 1);
    b->score = xmalloc(w * sizeof *b->score);
    b->next_score = xmalloc(w * sizeof *b->next_score);
    b->seq = xmalloc(w * g * sizeof *b->seq);
    b->next_seq = xmalloc(w * g * sizeof *b->next_seq);
    b->cap = (int64_t)(w * v);
    b->c_parent = xmalloc((size_t)b->cap * sizeof *b->c_parent);
    b->c_word = xmalloc((size_t)b->cap * sizeof *b->c_word);
    b->c_state = xmalloc((size_t)b->cap * (size_t)(b->s > 0 ? b->s : 1) * sizeof *b->c_state);
    b->c_score = xmalloc((size_t)b->cap * sizeof *b->c_score);
    uint64_t size = 16;
    while (size < 2 * (uint64_t)b->cap) size *= 2;
    b->table_mask = size - 1;
    b->table = xmalloc(size * sizeof *b->table);
    b->heap = xmalloc(w * sizeof *b->heap);
    b->p = xmalloc(w * v * sizeof *b->p);
    return b;
}

void ngram_beam_free(ngram_beam *b) {
    if (!b) return;
    free(b->score);
    free(b->next_score);
    free(b->seq);
    free(b->next_seq);
    free(b->c_parent);
    free(b->c_word);
    free(b->c_state);
    free(b->c_score);
    free(b->table);
    free(b->heap);
    free(b->p);
    free(b);
}

/* The last (up to s) events of left ++ seq[0..t) into out; returns how many. */
static int history(const ngram_beam *b, const int32_t *left, int nl, const int32_t *seq, int t, int32_t *out) {
    int n = nl + t < b->s ? nl + t : b->s;
    for (int i = 0; i < n; i++) {
        int at = nl + t - n + i;
        out[i] = at < nl ? left[at] : seq[at - nl];
    }
    return n;
}

/* Is candidate i better than j at step t: higher score, or the same score and
 * a lexicographically smaller filling? */
static inline int better(const ngram_beam *b, int32_t i, int32_t j, int t) {
    if (b->c_score[i] != b->c_score[j]) return b->c_score[i] > b->c_score[j];
    if (b->c_parent[i] != b->c_parent[j]) {
        const int32_t *x = b->seq + (size_t)b->c_parent[i] * (size_t)b->max_gap;
        const int32_t *y = b->seq + (size_t)b->c_parent[j] * (size_t)b->max_gap;
        for (int k = 0; k < t; k++)
            if (x[k] != y[k]) return x[k] < y[k];
    }
    return b->c_word[i] < b->c_word[j];
}

static uint64_t state_hash(const int32_t *st, int s) {
    uint64_t h = 0x243f6a8885a308d3ull;
    for (int i = 0; i < s; i++) {
        h ^= (uint64_t)(uint32_t)st[i];
        h *= 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    return h;
}

/* Add candidate (parent, w, score); merged with an earlier one in the same state. */
static void offer(ngram_beam *b, int64_t *n, int32_t parent, int32_t w, double score, const int32_t *hist, int hl,
                  int t) {
    int s = b->s;
    int32_t st[NGRAM_MAX_ORDER];
    /* State = last s events of hist ++ w, left-padded with -1. */
    for (int i = 0; i < s; i++) {
        int from_end = s - 1 - i; /* 0 = w itself */
        st[i] = from_end == 0 ? w : from_end <= hl ? hist[hl - from_end] : -1;
    }
    int32_t id = (int32_t)*n;
    b->c_parent[id] = parent;
    b->c_word[id] = w;
    b->c_score[id] = score;
    for (uint64_t slot = state_hash(st, s) & b->table_mask;; slot = (slot + 1) & b->table_mask) {
        int32_t e = b->table[slot];
        if (e < 0) {
            memcpy(b->c_state + (size_t)id * (size_t)s, st, (size_t)s * sizeof *st);
            b->table[slot] = id;
            (*n)++;
            return;
        }
        if (memcmp(b->c_state + (size_t)e * (size_t)s, st, (size_t)s * sizeof *st) == 0) {
            if (better(b, id, e, t)) {
                b->c_parent[e] = parent;
                b->c_word[e] = w;
                b->c_score[e] = score;
            }
            return;
        }
    }
}

/* Min-heap by quality: the root is the worst kept candidate. */
static void sift_down(ngram_beam *b, int n, int i, int t) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && better(b, b->heap[worst], b->heap[l], t)) worst = l;
        if (r < n && better(b, b->heap[worst], b->heap[r], t)) worst = r;
        if (worst == i) return;
        int32_t tmp = b->heap[i];
        b->heap[i] = b->heap[worst];
        b->heap[worst] = tmp;
        i = worst;
    }
}

static void sift_up(ngram_beam *b, int i, int t) {
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!better(b, b->heap[parent], b->heap[i], t)) return;
        int32_t tmp = b->heap[i];
        b->heap[i] = b->heap[parent];
        b->heap[parent] = tmp;
        i = parent;
    }
}

/* Heap-select the `width` best of candidates 0..n-1 into b->heap (root =
 * worst kept); returns how many were kept. */
static int select_best(ngram_beam *b, int64_t n, int t) {
    int kept = 0;
    for (int32_t c = 0; c < (int32_t)n; c++) {
        if (kept < b->width) {
            b->heap[kept] = c;
            sift_up(b, kept++, t);
        } else if (b->c_score[c] >= b->c_score[b->heap[0]] && better(b, c, b->heap[0], t)) {
            b->heap[0] = c;
            sift_down(b, kept, 0, t);
        }
    }
    return kept;
}

int ngram_beam_fill(ngram_beam *b, const int32_t *left, int nl, int g, const int32_t *right, int nr, int32_t *out) {
    if (g <= 0) return 0;
    if (g > b->max_gap) die("n-gram infill: gap of %d events exceeds the workspace (%d)", g, b->max_gap);
    if (nl > b->s) {
        left += nl - b->s;
        nl = b->s;
    }
    if (nr > b->s) nr = b->s;
    int nh = 1, cut = 0;
    b->score[0] = 0.0;
    int32_t hist[NGRAM_MAX_ORDER];
    for (int t = 0; t < g; t++) {
        memset(b->table, 0xff, (b->table_mask + 1) * sizeof *b->table);
        int64_t n = 0;
        /* First the likely extensions: they fill the beam, and the score of its
         * worst state then bounds what the others must reach, which a
         * comparison of probabilities settles without a logarithm each. */
        for (int h = 0; h < nh; h++) {
            const int32_t *seq = b->seq + (size_t)h * (size_t)b->max_gap;
            double *p = b->p + (size_t)h * (size_t)b->vocab;
            int hl = history(b, left, nl, seq, t, hist);
            ngram_model_dist(b->m, hist, hl, p);
            for (int32_t w = 0; w < b->vocab; w++)
                if (p[w] >= LIKELY) offer(b, &n, h, w, b->score[h] + log(p[w]), hist, hl, t);
        }
        int kept = select_best(b, n, t);
        double bound = kept == b->width ? b->c_score[b->heap[0]] : -INFINITY;
        for (int h = 0; h < nh; h++) {
            const int32_t *seq = b->seq + (size_t)h * (size_t)b->max_gap;
            const double *p = b->p + (size_t)h * (size_t)b->vocab;
            /* A state scoring below the bound cannot displace any kept one; the
             * margin keeps exact ties (settled by the filling) in play. */
            double need = isinf(bound) ? 0.0 : exp(bound - b->score[h]) * (1.0 - 1e-9);
            int hl = -1;
            for (int32_t w = 0; w < b->vocab; w++) {
                if (p[w] >= LIKELY) continue;
                if (p[w] < need) { cut = 1; continue; }
                if (hl < 0) hl = history(b, left, nl, seq, t, hist);
                offer(b, &n, h, w, b->score[h] + log(p[w]), hist, hl, t);
            }
        }
        kept = select_best(b, n, t);
        if (n > b->width) cut = 1;
        for (int k = 0; k < kept; k++) {
            int32_t c = b->heap[k];
            int32_t *dst = b->next_seq + (size_t)k * (size_t)b->max_gap;
            memcpy(dst, b->seq + (size_t)b->c_parent[c] * (size_t)b->max_gap, (size_t)t * sizeof *dst);
            dst[t] = b->c_word[c];
            b->next_score[k] = b->c_score[c];
        }
        double *ts = b->score;
        b->score = b->next_score;
        b->next_score = ts;
        int32_t *tq = b->seq;
        b->seq = b->next_seq;
        b->next_seq = tq;
        nh = kept;
    }
    /* The observed events after the gap, scored under each complete filling. */
    int best = -1;
    double best_total = -INFINITY;
    for (int h = 0; h < nh; h++) {
        const int32_t *seq = b->seq + (size_t)h * (size_t)b->max_gap;
        double total = b->score[h];
        for (int j = 0; j < nr; j++) {
            int hl = history(b, left, nl, seq, g, hist);
            /* Events of the right context already passed join the history. */
            int32_t full[2 * NGRAM_MAX_ORDER];
            memcpy(full, hist, (size_t)hl * sizeof *full);
            memcpy(full + hl, right, (size_t)j * sizeof *full);
            total += log(ngram_model_prob(b->m, full, hl + j, right[j]));
        }
        int wins = best < 0 || total > best_total;
        if (!wins && total == best_total) {
            const int32_t *bs = b->seq + (size_t)best * (size_t)b->max_gap;
            for (int k = 0; k < g; k++)
                if (seq[k] != bs[k]) {
                    wins = seq[k] < bs[k];
                    break;
                }
        }
        if (wins) {
            best = h;
            best_total = total;
        }
    }
    memcpy(out, b->seq + (size_t)best * (size_t)b->max_gap, (size_t)g * sizeof *out);
    return cut;
}
