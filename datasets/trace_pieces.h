/* Training windows seen as the trace they were cut from: windows that overlap
 * their predecessor by L - s events (s = the stride `dataset build` used) are
 * stitched back together, so that anything counted on the trace (substrings,
 * n-grams) counts each event once rather than L/s times, and nothing is
 * counted across the join of two unrelated windows. */
#ifndef SSSD_DATASETS_TRACE_PIECES_H
#define SSSD_DATASETS_TRACE_PIECES_H

#include <stdint.h>
#include "windows.h"

typedef struct trace_pieces {
    int stride;            /* detected step between consecutive windows; L when none overlaps */
    int64_t pieces;        /* contiguous pieces of trace (1 when every window overlaps the next) */
    int64_t length;        /* events in all pieces */
    int32_t *events;       /* pieces back to back */
    int64_t *piece_end;    /* (pieces) end offset of each piece */
} trace_pieces;

/* The stride is the step that makes the most of the first 64 consecutive
 * pairs overlap (ties: the smallest), L when no step works for at least half
 * of them. Without one, the windows are taken as consecutive pieces of one
 * trace; with one, a window that does not overlap its predecessor starts a
 * new piece. */
void trace_pieces_stitch(const window_set *windows, trace_pieces *out);
void trace_pieces_free(trace_pieces *t);

/* The stride as described above, alone. */
int trace_windows_stride(const window_set *windows);
/* Whether window b continues window a by s events (a's last L - s events
 * are b's first); never for s >= L. */
int trace_windows_overlap(const int32_t *a, const int32_t *b, int L, int s);

#endif
