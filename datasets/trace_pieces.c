/* Stitching overlapping windows back into pieces of trace (see trace_pieces.h). */
#include "trace_pieces.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

int trace_windows_overlap(const int32_t *a, const int32_t *b, int L, int s) {
    return s < L && memcmp(a + s, b, (size_t)(L - s) * sizeof *a) == 0;
}

int trace_windows_stride(const window_set *w) {
    int L = w->length;
    int64_t pairs = w->count - 1 < 64 ? w->count - 1 : 64;
    if (pairs < 1) return L;
    int best = L;
    int64_t best_hits = 0;
    for (int s = 1; s < L; s++) {
        int64_t hits = 0;
        for (int64_t i = 0; i < pairs; i++) hits += trace_windows_overlap(w->ids + i * L, w->ids + (i + 1) * L, L, s);
        if (hits > best_hits) { best_hits = hits; best = s; }
    }
    return 2 * best_hits >= pairs ? best : L;
}

void trace_pieces_stitch(const window_set *windows, trace_pieces *t) {
    memset(t, 0, sizeof *t);
    int L = windows->length;
    int s = t->stride = trace_windows_stride(windows);
    int64_t count = windows->count;
    size_t total = (size_t)count * (size_t)L;
    t->events = xmalloc((total ? total : 1) * sizeof(int32_t));
    t->piece_end = xmalloc((size_t)(count ? count : 1) * sizeof(int64_t));
    int64_t n = 0;
    for (int64_t i = 0; i < count; i++) {
        const int32_t *w = windows->ids + i * L;
        if (i > 0 && s < L && trace_windows_overlap(w - L, w, L, s)) {
            memcpy(t->events + n, w + L - s, (size_t)s * sizeof(int32_t));
            n += s;
        } else {
            if (i > 0 && s < L) t->piece_end[t->pieces++] = n;
            memcpy(t->events + n, w, (size_t)L * sizeof(int32_t));
            n += L;
        }
    }
    t->piece_end[t->pieces++] = n;
    t->length = n;
}

void trace_pieces_free(trace_pieces *t) {
    free(t->events);
    free(t->piece_end);
    memset(t, 0, sizeof *t);
}
