/* Traces longer than the model's window, built window by window: each new
 * window is conditioned on its overlap with the previous one (those events
 * observed, the rest generated), so consecutive windows join where the model
 * itself would continue the trace. Several traces advance in lockstep, their
 * windows of one round sampled in shared batches. */
#ifndef SSSD_GENERATE_LONG_TRACE_H
#define SSSD_GENERATE_LONG_TRACE_H

#include <stdint.h>

#include "error.h"

/* The longest trace: window noise is keyed by (trace, round), with the round
 * in bits 32.. of a 56-bit stream index (long_trace_noise_id). */
#define LONG_TRACE_MAX_LENGTH (1LL << 24)

/* Where the windows of one trace lie. Window 0 covers events [0, window);
 * window r > 0 starts at min(r * (window - overlap), length - window), so
 * every window is whole and the last one ends exactly at the trace's end (its
 * overlap is then larger). A trace no longer than the window is one window,
 * cut to length. */
typedef struct long_trace_plan {
    int64_t length;   /* events per trace */
    int window;       /* the model's window, L */
    int overlap;      /* events each window shares with the previous one, 1..L-1 */
    int64_t rounds;   /* windows per trace */
} long_trace_plan;

/* Checks the figures (overlap in 1..window-1, length in 1..LONG_TRACE_MAX_LENGTH). */
int long_trace_plan_make(int64_t length, int window, int overlap, long_trace_plan *plan, error_info *err);

/* Window r: its first event's position in the trace, and how many of its
 * leading events are given (the overlap with window r-1; 0 for r = 0). */
void long_trace_window(const long_trace_plan *plan, int64_t round, int64_t *start, int *observed);

/* The noise key of window `round` of trace `trace`: trace + round * 2^32,
 * so a trace's windows do not depend on the batch, and window 0 of trace n
 * uses the noise of window n of plain synthesis (`generate --num`). */
uint64_t long_trace_noise_id(int64_t trace, int64_t round);

/* Samples B windows: x0 (B, L) event IDs at observed positions (anything
 * elsewhere), mask (B, L) 1 = observed, 0 = generated; writes ids (B, L)
 * with the observed events unchanged. done/total: windows finished before
 * this call and in all (progress). */
typedef void (*long_trace_sampler)(void *user, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                                   int64_t done, int64_t total, int32_t *ids);

/* Generates traces first..first+count-1 (out: count rows of plan->length
 * events) with up to `batch` windows per sampler call: round r of every
 * trace before round r+1 of any. Trace n depends on n and the plan only, not
 * on `batch`, `first` or `count`, so the traces may be shared out among
 * callers (processes) freely. Returns the number of sampler calls. */
int64_t long_trace_generate(const long_trace_plan *plan, int64_t first, int64_t count, int batch,
                            long_trace_sampler sampler, void *user, int32_t *out);

#endif
