/* Baselines (see baselines.h). The context lookup indexes, for each gap shape
 * (gap length g, left context cl, right context cr) met, every trace offset p
 * by the hash of trace[p-cl..p) ++ trace[p+g..p+g+cr); a query verifies its
 * candidates event by event and counts their fillers trace[p..p+g). */
#include "baselines.h"
#include "compare.h"

#include <stdlib.h>
#include <string.h>

int32_t training_mode_event(const training_index *ix) {
    /* Counting via a sort keeps this independent of the ID range. */
    int32_t *copy = xmalloc((size_t)(ix->length ? ix->length : 1) * sizeof *copy);
    memcpy(copy, ix->events, (size_t)ix->length * sizeof *copy);
    qsort(copy, (size_t)ix->length, sizeof *copy, cmp_i32);
    int32_t best = 1;
    int64_t best_n = 0;
    for (int64_t i = 0; i < ix->length;) {
        int64_t j = i;
        while (j < ix->length && copy[j] == copy[i]) j++;
        if (j - i > best_n) { best_n = j - i; best = copy[i]; }
        i = j;
    }
    free(copy);
    return best;
}

void baseline_mode_fill(const window_set *real, const eval_mask *mask, int32_t mode, window_set *out) {
    window_set_init(out, real->count, real->length);
    memcpy(out->ids, real->ids, (size_t)(real->count * real->length) * sizeof(int32_t));
    for (int64_t w = 0; w < real->count; w++)
        for (int j = 0; j < real->length; j++)
            if (!mask_is_observed(mask, w, j)) out->ids[w * real->length + j] = mode;
}

typedef struct ctx_key_pos { uint64_t h; int64_t pos; } ctx_key_pos;

typedef struct ctx_index {
    int g, cl, cr;
    int64_t n;
    ctx_key_pos *entries; /* sorted by (h, pos) */
} ctx_index;

#define CTX_CACHE 64

typedef struct ctx_cache {
    ctx_index idx[CTX_CACHE];
    int used, next_evict;
} ctx_cache;

static int cmp_key_pos(const void *a, const void *b) {
    const ctx_key_pos *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static uint64_t context_hash(const int32_t *left, int cl, const int32_t *right, int cr) {
    int32_t buf[2 * BASELINE_MAX_CONTEXT];
    memcpy(buf, left, (size_t)cl * sizeof *buf);
    memcpy(buf + cl, right, (size_t)cr * sizeof *buf);
    return events_hash(buf, cl + cr) ^ ((uint64_t)cl << 56);
}

static const ctx_index *ctx_get(ctx_cache *cache, const training_index *ix, int g, int cl, int cr) {
    for (int i = 0; i < cache->used; i++)
        if (cache->idx[i].g == g && cache->idx[i].cl == cl && cache->idx[i].cr == cr) return &cache->idx[i];
    ctx_index *c;
    if (cache->used < CTX_CACHE) c = &cache->idx[cache->used++];
    else {
        c = &cache->idx[cache->next_evict];
        cache->next_evict = (cache->next_evict + 1) % CTX_CACHE;
        free(c->entries);
    }
    c->g = g;
    c->cl = cl;
    c->cr = cr;
    c->n = 0;
    c->entries = xmalloc((size_t)(ix->length ? ix->length : 1) * sizeof *c->entries);
    int64_t begin = 0;
    for (int64_t s = 0; s < ix->segments; s++) {
        int64_t end = ix->segment_end[s];
        for (int64_t p = begin + cl; p + g + cr <= end; p++)
            c->entries[c->n++] = (ctx_key_pos){context_hash(ix->events + p - cl, cl, ix->events + p + g, cr), p};
        begin = end;
    }
    qsort(c->entries, (size_t)c->n, sizeof *c->entries, cmp_key_pos);
    return c;
}

/* Most common filler among verified matches (ties: the one seen first in the
 * trace); returns its trace offset, or -1 when the context never occurs. */
static int64_t best_filler(const ctx_index *c, const training_index *ix, const int32_t *left, const int32_t *right) {
    uint64_t h = context_hash(left, c->cl, right, c->cr);
    int64_t lo = 0, hi = c->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->entries[mid].h < h) lo = mid + 1;
        else hi = mid;
    }
    int64_t cap = 0, n = 0;
    ctx_key_pos *fillers = NULL;
    for (int64_t i = lo; i < c->n && c->entries[i].h == h; i++) {
        int64_t p = c->entries[i].pos;
        if (memcmp(ix->events + p - c->cl, left, (size_t)c->cl * sizeof *left) != 0) continue;
        if (memcmp(ix->events + p + c->g, right, (size_t)c->cr * sizeof *right) != 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            fillers = xrealloc(fillers, (size_t)cap * sizeof *fillers);
        }
        fillers[n++] = (ctx_key_pos){events_hash(ix->events + p, c->g), p};
    }
    if (n == 0) return -1;
    qsort(fillers, (size_t)n, sizeof *fillers, cmp_key_pos);
    int64_t best_pos = -1, best_n = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && fillers[j].h == fillers[i].h) j++;
        /* fillers[i] is the earliest occurrence of this filler (sorted by pos within a hash). */
        if (j - i > best_n || (j - i == best_n && fillers[i].pos < best_pos)) {
            best_n = j - i;
            best_pos = fillers[i].pos;
        }
        i = j;
    }
    free(fillers);
    return best_pos;
}

void baseline_context_fill(const training_index *ix, const window_set *real, const eval_mask *mask, int max_context,
                           window_set *out, context_stats *stats) {
    memset(stats, 0, sizeof *stats);
    if (max_context > BASELINE_MAX_CONTEXT) max_context = BASELINE_MAX_CONTEXT;
    int32_t mode = training_mode_event(ix);
    int L = real->length;
    window_set_init(out, real->count, L);
    memcpy(out->ids, real->ids, (size_t)(real->count * L) * sizeof(int32_t));
    ctx_cache *cache = xcalloc(1, sizeof *cache);
    for (int64_t w = 0; w < real->count; w++) {
        const int32_t *x = real->ids + w * L;
        int32_t *y = out->ids + w * L;
        for (int a = 0; a < L;) {
            if (mask_is_observed(mask, w, a)) { a++; continue; }
            int b = a;
            while (b < L && !mask_is_observed(mask, w, b)) b++;
            int g = b - a, avail_l = 0, avail_r = 0;
            while (avail_l < max_context && a - avail_l - 1 >= 0 && mask_is_observed(mask, w, a - avail_l - 1)) avail_l++;
            while (avail_r < max_context && b + avail_r < L && mask_is_observed(mask, w, b + avail_r)) avail_r++;
            stats->gaps++;
            int64_t found = -1;
            int level = 0, last_cl = -1, last_cr = -1;
            for (int c = max_context; c >= 1 && found < 0; c--) {
                int cl = c < avail_l ? c : avail_l, cr = c < avail_r ? c : avail_r;
                if (cl + cr == 0) break;
                if (cl == last_cl && cr == last_cr) continue;
                last_cl = cl;
                last_cr = cr;
                const ctx_index *ci = ctx_get(cache, ix, g, cl, cr);
                found = best_filler(ci, ix, x + a - cl, x + b);
                if (found >= 0) level = cl > cr ? cl : cr;
            }
            if (found >= 0) memcpy(y + a, ix->events + found, (size_t)g * sizeof *y);
            else for (int j = a; j < b; j++) y[j] = mode;
            stats->filled_at[found >= 0 ? level : 0]++;
            a = b;
        }
    }
    for (int i = 0; i < cache->used; i++) free(cache->idx[i].entries);
    free(cache);
}
