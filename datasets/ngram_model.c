/* Interpolated Kneser-Ney n-gram model (see ngram_model.h). Each level's
 * k-grams are sorted with an LSD radix sort over the dense event indices, so
 * fitting is linear in the trace length whatever the ID range; contexts are
 * found through a per-level hash table and events within a context by binary
 * search. */
#include "ngram_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static uint64_t context_hash(const int32_t *c, int n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= (uint64_t)(uint32_t)c[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h;
}

static int64_t find_context(const ngram_level *lv, int k, const int32_t *c) {
    int n = k - 1;
    for (uint64_t s = context_hash(c, n) & lv->table_mask;; s = (s + 1) & lv->table_mask) {
        int64_t i = lv->table[s];
        if (i < 0) return -1;
        if (memcmp(lv->ctx_events + i * n, c, (size_t)n * sizeof *c) == 0) return i;
    }
}

static int64_t find_gram(const ngram_level *lv, int64_t ctx, int32_t w) {
    int64_t lo = lv->ctx_first[ctx], hi = lv->ctx_first[ctx + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (lv->last[mid] < w) lo = mid + 1;
        else hi = mid;
    }
    return lo < lv->ctx_first[ctx + 1] && lv->last[lo] == w ? lo : -1;
}

/* Starts of every k-gram lying inside one piece, sorted lexicographically by
 * the k-gram (stable LSD radix sort, one counting pass per column). */
static int64_t sorted_starts(const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab, int k,
                             int64_t **out) {
    int64_t total = piece_end[pieces - 1], n = 0;
    int64_t *a = xmalloc((size_t)(total ? total : 1) * sizeof *a), *b = xmalloc((size_t)(total ? total : 1) * sizeof *b);
    int64_t begin = 0;
    for (int64_t s = 0; s < pieces; s++) {
        for (int64_t p = begin; p + k <= piece_end[s]; p++) a[n++] = p;
        begin = piece_end[s];
    }
    int64_t *count = xmalloc((size_t)(vocab + 1) * sizeof *count);
    for (int col = k - 1; col >= 0; col--) {
        memset(count, 0, (size_t)(vocab + 1) * sizeof *count);
        for (int64_t i = 0; i < n; i++) count[x[a[i] + col] + 1]++;
        for (int32_t v = 0; v < vocab; v++) count[v + 1] += count[v];
        for (int64_t i = 0; i < n; i++) b[count[x[a[i] + col]]++] = a[i];
        int64_t *t = a;
        a = b;
        b = t;
    }
    free(count);
    free(b);
    *out = a;
    return n;
}

/* Absolute discount D = n1 / (n1 + 2 n2) from the counts of counts, kept in
 * [0.1, 0.9]: a deterministic trace has no singletons, and D = 0 would give
 * unseen continuations probability zero. */
static double discount(const int64_t *counts, int64_t n) {
    int64_t n1 = 0, n2 = 0;
    for (int64_t i = 0; i < n; i++) {
        n1 += counts[i] == 1;
        n2 += counts[i] == 2;
    }
    double d = n1 + 2 * n2 > 0 ? (double)n1 / (double)(n1 + 2 * n2) : 0.5;
    return d < 0.1 ? 0.1 : d > 0.9 ? 0.9 : d;
}

static void build_level(ngram_level *lv, const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab,
                        int k) {
    int64_t *st;
    int64_t n = sorted_starts(x, piece_end, pieces, vocab, k, &st);
    size_t cap = (size_t)(n ? n : 1);
    lv->last = xmalloc(cap * sizeof *lv->last);
    lv->raw = xmalloc(cap * sizeof *lv->raw);
    lv->cont = xcalloc(cap, sizeof *lv->cont);
    lv->ctx_first = xmalloc((cap + 1) * sizeof *lv->ctx_first);
    lv->ctx_events = xmalloc(cap * (size_t)(k > 1 ? k - 1 : 1) * sizeof *lv->ctx_events);
    lv->grams = lv->contexts = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && memcmp(x + st[j], x + st[i], (size_t)k * sizeof *x) == 0) j++;
        int new_context = lv->grams == 0 ||
                          memcmp(x + st[i], x + st[i - 1], (size_t)(k - 1) * sizeof *x) != 0;
        if (new_context) {
            memcpy(lv->ctx_events + lv->contexts * (k - 1), x + st[i], (size_t)(k - 1) * sizeof *x);
            lv->ctx_first[lv->contexts++] = lv->grams;
        }
        lv->last[lv->grams] = x[st[i] + k - 1];
        lv->raw[lv->grams++] = j - i;
        i = j;
    }
    lv->ctx_first[lv->contexts] = lv->grams;
    free(st);
    uint64_t size = 16;
    while (size < 2 * (uint64_t)lv->contexts) size *= 2;
    lv->table_mask = size - 1;
    lv->table = xmalloc(size * sizeof *lv->table);
    memset(lv->table, 0xff, size * sizeof *lv->table);
    for (int64_t c = 0; c < lv->contexts; c++) {
        uint64_t s = context_hash(lv->ctx_events + c * (k - 1), k - 1) & lv->table_mask;
        while (lv->table[s] >= 0) s = (s + 1) & lv->table_mask;
        lv->table[s] = c;
    }
}

/* Totals, type counts and discounts of a level once its continuation counts are in. */
static void finish_level(ngram_level *lv) {
    int64_t c = lv->contexts;
    lv->raw_total = xcalloc((size_t)(c ? c : 1), sizeof(int64_t));
    lv->cont_total = xcalloc((size_t)(c ? c : 1), sizeof(int64_t));
    lv->raw_types = xcalloc((size_t)(c ? c : 1), sizeof(int64_t));
    lv->cont_types = xcalloc((size_t)(c ? c : 1), sizeof(int64_t));
    for (int64_t i = 0; i < c; i++)
        for (int64_t g = lv->ctx_first[i]; g < lv->ctx_first[i + 1]; g++) {
            lv->raw_total[i] += lv->raw[g];
            lv->raw_types[i] += lv->raw[g] > 0;
            lv->cont_total[i] += lv->cont[g];
            lv->cont_types[i] += lv->cont[g] > 0;
        }
    lv->discount_raw = discount(lv->raw, lv->grams);
    lv->discount_cont = discount(lv->cont, lv->grams);
}

void ngram_model_fit(ngram_model *m, const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab,
                     int max_order) {
    memset(m, 0, sizeof *m);
    if (max_order < 1) max_order = 1;
    if (max_order > NGRAM_MAX_ORDER) max_order = NGRAM_MAX_ORDER;
    m->fitted = m->order = max_order;
    m->vocab = vocab;
    int64_t zero_end = 0;
    if (pieces == 0) {
        piece_end = &zero_end;
        pieces = 1;
    }
    for (int k = 1; k <= max_order; k++) build_level(&m->level[k], x, piece_end, pieces, vocab, k);
    /* The continuation count of a k-gram is the number of distinct (k+1)-grams
     * ending with it; the top level keeps zeros (it is only read raw). */
    for (int k = 1; k < max_order; k++) {
        const ngram_level *up = &m->level[k + 1];
        ngram_level *lv = &m->level[k];
        for (int64_t c = 0; c < up->contexts; c++) {
            int64_t sub = find_context(lv, k, up->ctx_events + c * k + 1);
            for (int64_t g = up->ctx_first[c]; g < up->ctx_first[c + 1]; g++) lv->cont[find_gram(lv, sub, up->last[g])]++;
        }
    }
    for (int k = 1; k <= max_order; k++) finish_level(&m->level[k]);
}

void ngram_model_free(ngram_model *m) {
    for (int k = 1; k <= m->fitted; k++) {
        ngram_level *lv = &m->level[k];
        free(lv->last);
        free(lv->raw);
        free(lv->cont);
        free(lv->ctx_first);
        free(lv->ctx_events);
        free(lv->raw_total);
        free(lv->cont_total);
        free(lv->raw_types);
        free(lv->cont_types);
        free(lv->table);
    }
    memset(m, 0, sizeof *m);
}

/* Walks the levels from the longest usable context down. At each level whose
 * context was seen: every k-gram there gets coef * (c - D) / total, and coef
 * shrinks to coef * D * types / total, the mass left for the shorter context;
 * a context never seen passes coef on untouched. Whatever is left at the end
 * is spread uniformly over the vocabulary. If p is NULL only w is scored. */
static double walk(const ngram_model *m, const int32_t *hist, int hl, int32_t w, double *p) {
    int top = m->order, use = hl < top - 1 ? hl : top - 1;
    hist += hl - use;
    if (p) memset(p, 0, (size_t)m->vocab * sizeof *p);
    double coef = 1.0, pw = 0.0;
    for (int k = use + 1; k >= 1; k--) {
        const ngram_level *lv = &m->level[k];
        const int32_t *c = hist + use - (k - 1);
        int known = 1;
        for (int i = 0; i < k - 1; i++) known &= c[i] >= 0 && c[i] < m->vocab;
        int64_t ctx = known ? find_context(lv, k, c) : -1;
        if (ctx < 0) continue;
        /* Raw counts at the longest context the history allows: a history cut
         * short by a window edge is not the start of a trace, so the (hl+1)-gram
         * marginal applies, not the continuation counts meant for backing off. */
        int raw = k == use + 1;
        int64_t total = raw ? lv->raw_total[ctx] : lv->cont_total[ctx];
        if (total == 0) continue;
        int64_t types = raw ? lv->raw_types[ctx] : lv->cont_types[ctx];
        const int64_t *cnt = raw ? lv->raw : lv->cont;
        double d = raw ? lv->discount_raw : lv->discount_cont, scale = coef / (double)total;
        if (p) {
            for (int64_t g = lv->ctx_first[ctx]; g < lv->ctx_first[ctx + 1]; g++)
                if (cnt[g] > 0) p[lv->last[g]] += scale * ((double)cnt[g] - d);
        } else if (w >= 0 && w < m->vocab) {
            int64_t g = find_gram(lv, ctx, w);
            if (g >= 0 && cnt[g] > 0) pw += scale * ((double)cnt[g] - d);
        }
        coef *= d * (double)types / (double)total;
    }
    double floor = coef / (double)(m->vocab > 0 ? m->vocab : 1);
    if (p)
        for (int32_t v = 0; v < m->vocab; v++) p[v] += floor;
    return pw + floor;
}

double ngram_model_prob(const ngram_model *m, const int32_t *hist, int hl, int32_t w) {
    return walk(m, hist, hl, w, NULL);
}

void ngram_model_dist(const ngram_model *m, const int32_t *hist, int hl, double *p) {
    walk(m, hist, hl, -1, p);
}

int ngram_model_choose_order(const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab,
                             ngram_model *heldout, double loglik[NGRAM_MAX_ORDER + 1], int64_t *scored) {
    int64_t length = pieces ? piece_end[pieces - 1] : 0;
    int32_t *fit = xmalloc((size_t)(length ? length : 1) * sizeof *fit);
    int64_t *fit_end = xmalloc((size_t)(pieces ? pieces : 1) * sizeof *fit_end);
    int64_t n_fit = 0, begin = 0;
    for (int64_t p = 0; p < pieces; p++) {
        int64_t end = piece_end[p], hold = (end - begin) / NGRAM_HELDOUT_FRACTION;
        memcpy(fit + n_fit, x + begin, (size_t)(end - begin - hold) * sizeof *fit);
        n_fit += end - begin - hold;
        fit_end[p] = n_fit;
        begin = end;
    }
    ngram_model_fit(heldout, fit, fit_end, pieces, vocab, NGRAM_MAX_ORDER);
    free(fit);
    free(fit_end);
    int best = 0;
    *scored = 0;
    loglik[0] = NAN;
    for (int n = 1; n <= NGRAM_MAX_ORDER; n++) {
        heldout->order = n;
        double ll = 0.0;
        int64_t count = 0;
        begin = 0;
        for (int64_t p = 0; p < pieces; p++) {
            int64_t end = piece_end[p];
            for (int64_t i = end - (end - begin) / NGRAM_HELDOUT_FRACTION; i < end; i++) {
                int64_t h = i - begin < n - 1 ? i - begin : n - 1;
                ll += log(ngram_model_prob(heldout, x + i - h, (int)h, x[i]));
                count++;
            }
            begin = end;
        }
        *scored = count;
        loglik[n] = count ? ll / (double)count : NAN;
        if (count && (best == 0 || loglik[n] > loglik[best])) best = n;
    }
    heldout->order = NGRAM_MAX_ORDER;
    return best ? best : 3;
}
