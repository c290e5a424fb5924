/* Training trace stitching and substring index (see training_index.h). */
#include "training_index.h"

#include <stdlib.h>
#include <string.h>

#include "trace_pieces.h"

uint64_t events_hash(const int32_t *x, int n) {
    uint64_t h = 0xCBF29CE484222325ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= (uint32_t)x[i];
        h *= 0x100000001B3ull;
        h ^= h >> 29;
    }
    return h;
}

/* Rolling hash for the substring index: sum of x[i] * B^(n-1-i) mod 2^64 on
 * values offset away from zero. Any hit is confirmed by comparing events. */
#define ROLL_BASE 0x100000001B3ull
static uint64_t roll_value(int32_t v) { return (uint64_t)(uint32_t)v * 0x9E3779B97F4A7C15ull + 1; }

static uint64_t roll_hash(const int32_t *x, int n) {
    uint64_t h = 0;
    for (int i = 0; i < n; i++) h = h * ROLL_BASE + roll_value(x[i]);
    return h;
}

typedef struct hash_pos { uint64_t h; int64_t pos; } hash_pos;

static int cmp_hash_pos(const void *a, const void *b) {
    const hash_pos *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static void sort_pairs(hash_pos *pairs, int64_t n, uint64_t **hashes, int64_t **positions) {
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_hash_pos);
    *hashes = xmalloc((size_t)(n ? n : 1) * sizeof **hashes);
    *positions = xmalloc((size_t)(n ? n : 1) * sizeof **positions);
    for (int64_t i = 0; i < n; i++) {
        (*hashes)[i] = pairs[i].h;
        (*positions)[i] = pairs[i].pos;
    }
}

void training_index_build(const window_set *train, training_index *ix) {
    memset(ix, 0, sizeof *ix);
    int L = train->length;
    ix->window_length = L;
    ix->windows = train;
    /* The substrings and baselines see the training trace, not its windows. */
    trace_pieces t;
    trace_pieces_stitch(train, &t);
    ix->stride = t.stride;
    ix->segments = t.pieces;
    ix->length = t.length;
    ix->events = t.events;
    ix->segment_end = t.piece_end;
    int64_t n = t.length;

    /* Every length-L substring inside one piece. */
    hash_pos *pairs = xmalloc((size_t)(n ? n : 1) * sizeof *pairs);
    int64_t m = 0, begin = 0;
    uint64_t top = 1; /* ROLL_BASE^(L-1) */
    for (int i = 0; i < L - 1; i++) top *= ROLL_BASE;
    for (int64_t seg = 0; seg < ix->segments; seg++) {
        int64_t end = ix->segment_end[seg];
        if (end - begin >= L) {
            uint64_t h = roll_hash(ix->events + begin, L);
            for (int64_t p = begin;; p++) {
                pairs[m++] = (hash_pos){h, p};
                if (p + L >= end) break;
                h = (h - roll_value(ix->events[p]) * top) * ROLL_BASE + roll_value(ix->events[p + L]);
            }
        }
        begin = end;
    }
    ix->n_substrings = m;
    sort_pairs(pairs, m, &ix->sub_hash, &ix->sub_pos);
    free(pairs);

    pairs = xmalloc((size_t)(train->count ? train->count : 1) * sizeof *pairs);
    for (int64_t i = 0; i < train->count; i++) pairs[i] = (hash_pos){events_hash(train->ids + i * L, L), i};
    sort_pairs(pairs, train->count, &ix->win_hash, &ix->win_row);
    free(pairs);
}

void training_index_free(training_index *ix) {
    free(ix->events);
    free(ix->segment_end);
    free(ix->sub_hash);
    free(ix->sub_pos);
    free(ix->win_hash);
    free(ix->win_row);
    memset(ix, 0, sizeof *ix);
}

/* First index with hashes[i] >= h. */
static int64_t lower_bound(const uint64_t *hashes, int64_t n, uint64_t h) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (hashes[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int training_has_window(const training_index *ix, const int32_t *w) {
    int L = ix->window_length;
    uint64_t h = events_hash(w, L);
    for (int64_t i = lower_bound(ix->win_hash, ix->windows->count, h); i < ix->windows->count && ix->win_hash[i] == h; i++)
        if (memcmp(ix->windows->ids + ix->win_row[i] * L, w, (size_t)L * sizeof *w) == 0) return 1;
    return 0;
}

int training_has_substring(const training_index *ix, const int32_t *w) {
    int L = ix->window_length;
    uint64_t h = roll_hash(w, L);
    for (int64_t i = lower_bound(ix->sub_hash, ix->n_substrings, h); i < ix->n_substrings && ix->sub_hash[i] == h; i++)
        if (memcmp(ix->events + ix->sub_pos[i], w, (size_t)L * sizeof *w) == 0) return 1;
    return 0;
}

void memorisation_compute(const training_index *ix, const window_set *gen, const window_set *real, memo_result *out) {
    memset(out, 0, sizeof *out);
    int L = ix->window_length;
    out->gen_count = gen ? gen->count : 0;
    out->real_count = real ? real->count : 0;
    for (int64_t i = 0; gen && i < gen->count; i++) {
        out->gen_in_windows += training_has_window(ix, gen->ids + i * L);
        out->gen_in_trace += training_has_substring(ix, gen->ids + i * L);
    }
    for (int64_t i = 0; real && i < real->count; i++) {
        out->real_in_windows += training_has_window(ix, real->ids + i * L);
        out->real_in_trace += training_has_substring(ix, real->ids + i * L);
    }
}
