/* Entry/exit pair repair (see snap.h). */
#include "snap.h"

#include <stdlib.h>

#include "error.h"

double snap_pairing_score(const int32_t *ids, const uint8_t *observed, int64_t n, int length, int64_t *runs_out) {
    int64_t even = 0, runs = 0;
    for (int64_t w = 0; w < n; w++) {
        const int32_t *x = ids + w * length;
        const uint8_t *o = observed ? observed + w * length : NULL;
        int start = 0;
        while (start < length) {
            int end = start;
            int clean = !o || o[start];
            while (end + 1 < length && x[end + 1] == x[start]) {
                end++;
                if (o && !o[end]) clean = 0;
            }
            /* Runs touching the window edges or a generated position say nothing. */
            int inner = start > 0 && end < length - 1 && (!o || (o[start - 1] && o[end + 1]));
            if (inner && clean) {
                runs++;
                even += ((end - start + 1) % 2) == 0;
            }
            start = end + 1;
        }
    }
    if (runs_out) *runs_out = runs;
    return runs ? (double)even / (double)runs : 0.0;
}

/* Costs in half-changes: changing one generated event = 2. */
#define COST_CHANGE 2
#define COST_OBSERVED_SINGLE 1
#define COST_GENERATED_SINGLE 5
#define COST_INF 1000000000

static int pair_cost(const int32_t *ids, const uint8_t *obs, int i) {
    if (ids[i] == ids[i + 1]) return 0;
    if (obs[i] && obs[i + 1]) return COST_INF;
    return COST_CHANGE;
}

static int single_cost(const uint8_t *obs, int i, int length) {
    if (i == 0 || i == length - 1) return 0;
    return obs[i] ? COST_OBSERVED_SINGLE : COST_GENERATED_SINGLE;
}

int snap_window(int32_t *ids, const uint8_t *observed, const float *confidence, int length) {
    if (length < 2) return 0;
    int *dp = xmalloc(sizeof(int) * (size_t)(length + 1));
    char *choice = xmalloc((size_t)length + 1); /* 1: position i-1 ended a single, 2: a pair */
    dp[0] = 0;
    for (int i = 1; i <= length; i++) {
        dp[i] = dp[i - 1] + single_cost(observed, i - 1, length);
        choice[i] = 1;
        if (i >= 2) {
            int pc = pair_cost(ids, observed, i - 2);
            if (pc < COST_INF && dp[i - 2] + pc <= dp[i]) {
                dp[i] = dp[i - 2] + pc;
                choice[i] = 2;
            }
        }
    }
    int changed = 0;
    for (int i = length; i > 0;) {
        if (choice[i] == 1) { i -= 1; continue; }
        int a = i - 2, b = i - 1;
        if (ids[a] != ids[b]) {
            if (observed[a]) ids[b] = ids[a];
            else if (observed[b]) ids[a] = ids[b];
            else if (confidence && confidence[a] < confidence[b]) ids[a] = ids[b];
            else ids[b] = ids[a];
            changed++;
        }
        i -= 2;
    }
    free(dp);
    free(choice);
    return changed;
}
