/* The training data seen as what it came from: stride-overlapping windows are
 * stitched back into the trace(s) they were cut from, and every length-L
 * substring of that trace is indexed, so that memorisation (a window occurring
 * verbatim in training) and the context baseline can look things up. */
#ifndef SSSD_EVALUATE_TRAINING_INDEX_H
#define SSSD_EVALUATE_TRAINING_INDEX_H

#include <stdint.h>
#include "windows.h"

typedef struct training_index {
    int window_length;        /* L */
    int stride;               /* detected step between consecutive windows; L when none overlaps */
    int64_t segments;         /* contiguous pieces of trace (1 when every window overlaps the next) */
    int64_t length;           /* events in all pieces */
    int32_t *events;          /* pieces back to back */
    int64_t *segment_end;     /* (segments) end offset of each piece */
    /* Sorted (hash, offset) of every length-L substring lying inside one piece. */
    int64_t n_substrings;
    uint64_t *sub_hash;
    int64_t *sub_pos;
    /* Sorted (hash, row) of the training windows themselves. */
    const window_set *windows;
    uint64_t *win_hash;
    int64_t *win_row;
} training_index;

void training_index_build(const window_set *train, training_index *ix);
void training_index_free(training_index *ix);
/* Does w (length L) equal one of the training windows? */
int training_has_window(const training_index *ix, const int32_t *w);
/* Does w occur as a contiguous run anywhere in the stitched trace? */
int training_has_substring(const training_index *ix, const int32_t *w);
/* Hash of n events, as used by the index (exposed for the baselines). */
uint64_t events_hash(const int32_t *x, int n);

typedef struct memo_result {
    int64_t gen_count, real_count;
    int64_t gen_in_windows, gen_in_trace;     /* generated windows found verbatim */
    int64_t real_in_windows, real_in_trace;   /* real test windows found verbatim (leakage) */
} memo_result;

void memorisation_compute(const training_index *ix, const window_set *gen, const window_set *real, memo_result *out);

#endif
