/* Long traces window by window (see long_trace.h). */
#include "long_trace.h"

#include <stdlib.h>
#include <string.h>

int long_trace_plan_make(int64_t length, int window, int overlap, long_trace_plan *plan, error_info *err) {
    memset(plan, 0, sizeof *plan);
    if (window < 2) return error_set(err, "a window of %d events cannot be continued (need 2 or more)", window);
    if (overlap < 1 || overlap >= window)
        return error_set(err, "an overlap of %d events does not fit windows of %d (use 1..%d)", overlap, window,
                         window - 1);
    if (length < 1 || length > LONG_TRACE_MAX_LENGTH)
        return error_set(err, "a trace of %lld events is outside 1..%lld", (long long)length,
                         (long long)LONG_TRACE_MAX_LENGTH);
    plan->length = length;
    plan->window = window;
    plan->overlap = overlap;
    int64_t stride = window - overlap;
    plan->rounds = length <= window ? 1 : 1 + (length - window + stride - 1) / stride;
    return 0;
}

void long_trace_window(const long_trace_plan *plan, int64_t round, int64_t *start, int *observed) {
    if (round == 0) {
        *start = 0;
        *observed = 0;
        return;
    }
    int64_t stride = plan->window - plan->overlap;
    int64_t s = round * stride, last = plan->length - plan->window;
    if (s > last) s = last;
    int64_t prev = (round - 1) * stride;
    if (prev > last) prev = last;
    *start = s;
    *observed = (int)(prev + plan->window - s);
}

uint64_t long_trace_noise_id(int64_t trace, int64_t round) {
    return (uint64_t)trace + ((uint64_t)round << 32);
}

int64_t long_trace_generate(const long_trace_plan *plan, int64_t first, int64_t count, int batch,
                            long_trace_sampler sampler, void *user, int32_t *out) {
    int L = plan->window;
    if (count < 1) return 0;
    if (batch < 1) batch = 1;
    int B = count < batch ? (int)count : batch;
    float *x0 = xmalloc(sizeof(float) * (size_t)B * L), *mask = xmalloc(sizeof(float) * (size_t)B * L);
    int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)B * L);
    uint64_t *noise = xmalloc(sizeof(uint64_t) * (size_t)B);
    int64_t calls = 0, done = 0, total = plan->rounds * count;
    for (int64_t r = 0; r < plan->rounds; r++) {
        int64_t start;
        int observed;
        long_trace_window(plan, r, &start, &observed);
        for (int64_t n0 = 0; n0 < count; n0 += B) {
            int b_n = (int)(count - n0 < B ? count - n0 : B);
            for (int b = 0; b < b_n; b++) {
                const int32_t *trace = out + (size_t)(n0 + b) * (size_t)plan->length;
                noise[b] = long_trace_noise_id(first + n0 + b, r);
                for (int l = 0; l < L; l++) {
                    size_t i = (size_t)b * L + l;
                    /* The overlap: the previous window's last events, given. */
                    x0[i] = l < observed ? (float)trace[start + l] : 0.0f;
                    mask[i] = l < observed ? 1.0f : 0.0f;
                }
            }
            sampler(user, b_n, x0, mask, noise, done, total, ids);
            calls++;
            done += b_n;
            for (int b = 0; b < b_n; b++) {
                int32_t *trace = out + (size_t)(n0 + b) * (size_t)plan->length;
                for (int l = observed; l < L && start + l < plan->length; l++) trace[start + l] = ids[(size_t)b * L + l];
            }
        }
    }
    free(x0);
    free(mask);
    free(ids);
    free(noise);
    return calls;
}
