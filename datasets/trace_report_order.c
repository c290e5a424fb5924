/* Order in a trace report: the most frequent transitions (consecutive calls
 * inside one trace), the transition heat map of the most frequent calls, and
 * how predictable the next call is.
 *
 * Prediction: for n = 1..4, a table of what followed each context of the
 * previous n calls, counted on the first 80% of the calls (in order), predicts
 * each call of the last 20% as the context's most frequent successor (ties:
 * the call more frequent in training, then the lower name index). A context
 * never seen in training backs off to the previous n - 1 calls, down to the
 * most frequent call overall (n = 0). Contexts never reach across the start
 * of a trace. Entropy: plug-in estimate over the whole trace, in bits, of the
 * call (n = 0) and of the next call given the previous n. */
#include "trace_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Contexts are packed exactly, 16 bits a call, while names fit; beyond that
 * (datasets with huge vocabularies) they are hashed. */
static uint64_t context_key(const report_call *c, int64_t i, int n, int packed) {
    uint64_t k = 0;
    for (int j = 1; j <= n; j++) {
        uint64_t v = (uint64_t)(c[i - j].name + 1);
        if (packed) k |= v << (16 * (j - 1));
        else {
            k ^= v + 0x9e3779b97f4a7c15ULL + (k << 6) + (k >> 2);
            k *= 0xff51afd7ed558ccdULL;
        }
    }
    return k;
}

typedef struct pair_key {
    uint64_t ctx;
    int32_t next;
} pair_key;

static int cmp_pair(const void *a, const void *b) {
    const pair_key *x = a, *y = b;
    if (x->ctx != y->ctx) return x->ctx < y->ctx ? -1 : 1;
    return (x->next > y->next) - (x->next < y->next);
}

/* Most frequent first; ties in (from, to) order, which the sort above made stable. */
static int cmp_transition(const void *a, const void *b) {
    const report_transition *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

typedef struct ctx_table {
    int64_t n;
    uint64_t *ctx;      /* sorted */
    int32_t *best;      /* most frequent successor */
} ctx_table;

static int32_t table_find(const ctx_table *t, uint64_t k) {
    int64_t lo = 0, hi = t->n;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (t->ctx[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->n && t->ctx[lo] == k ? t->best[lo] : -1;
}

/* Positions [a, b) of the stream whose trace has n calls before them. */
static int64_t collect(const trace_report *r, int64_t a, int64_t b, int n, int packed, pair_key *out) {
    int64_t m = 0;
    for (int tr = 0; tr < r->n_traces; tr++) {
        int64_t s = r->trace_start[tr], e = r->trace_start[tr + 1];
        int64_t lo = s + n > a ? s + n : a, hi = e < b ? e : b;
        for (int64_t i = lo; i < hi; i++) {
            out[m].ctx = context_key(r->calls, i, n, packed);
            out[m].next = r->calls[i].name;
            m++;
        }
    }
    return m;
}

/* Entropy (bits) of next given context over sorted pairs. */
static double conditional_entropy(const pair_key *p, int64_t m) {
    if (m == 0) return NAN;
    double h = 0;
    int64_t i = 0;
    while (i < m) {
        int64_t j = i, ctx_n;
        while (j < m && p[j].ctx == p[i].ctx) j++;
        ctx_n = j - i;
        for (int64_t k = i; k < j;) {
            int64_t l = k;
            while (l < j && p[l].next == p[k].next) l++;
            double c = (double)(l - k);
            h -= c * log2(c / (double)ctx_n);
            k = l;
        }
        i = j;
    }
    return h / (double)m;
}

void trace_report_order(trace_report *r) {
    int64_t N = r->n_calls;
    int V = r->names.count;
    int packed = V < 65535;
    /* transitions */
    int64_t *from_total = xcalloc((size_t)(V ? V : 1), sizeof *from_total);
    pair_key *pairs = xmalloc(sizeof *pairs * (size_t)(N + 1));
    int64_t m = collect(r, 0, N, 1, 1, pairs);
    for (int64_t i = 0; i < m; i++) {
        pairs[i].ctx -= 1; /* n = 1 packs name + 1: back to the previous call's name */
        from_total[pairs[i].ctx]++;
    }
    r->transition_total = m;
    qsort(pairs, (size_t)m, sizeof *pairs, cmp_pair);
    {
        int64_t distinct = 0;
        report_transition *all = xmalloc(sizeof *all * (size_t)(m + 1));
        for (int64_t i = 0; i < m;) {
            int64_t j = i;
            while (j < m && pairs[j].ctx == pairs[i].ctx && pairs[j].next == pairs[i].next) j++;
            report_transition t = {(int32_t)pairs[i].ctx, pairs[i].next, j - i, 0};
            t.prob = (double)t.count / (double)from_total[t.from];
            all[distinct++] = t;
            i = j;
        }
        qsort(all, (size_t)distinct, sizeof *all, cmp_transition);
        r->n_transitions = distinct < REPORT_TOP_TRANSITIONS ? (int)distinct : REPORT_TOP_TRANSITIONS;
        memcpy(r->transitions, all, sizeof *all * (size_t)r->n_transitions);
        free(all);
    }
    /* heat map of the most frequent calls: P(next | previous) */
    r->n_heat = V < REPORT_HEAT_CALLS ? V : REPORT_HEAT_CALLS;
    int *heat_of = xmalloc(sizeof *heat_of * (size_t)(V ? V : 1));
    for (int v = 0; v < V; v++) heat_of[v] = -1;
    for (int k = 0; k < r->n_heat; k++) {
        r->heat_names[k] = r->by_count[k];
        heat_of[r->by_count[k]] = k;
    }
    memset(r->heat_counts, 0, sizeof r->heat_counts);
    for (int64_t i = 0; i < m; i++) {
        int a = heat_of[pairs[i].ctx], b = heat_of[pairs[i].next];
        if (a >= 0 && b >= 0) r->heat_counts[a * REPORT_HEAT_CALLS + b]++;
    }
    for (int a = 0; a < r->n_heat; a++)
        for (int b = 0; b < r->n_heat; b++) {
            int64_t tot = from_total[r->heat_names[a]];
            r->heat_prob[a * REPORT_HEAT_CALLS + b] = tot ? (double)r->heat_counts[a * REPORT_HEAT_CALLS + b] / (double)tot : 0;
        }
    free(heat_of);
    free(from_total);

    /* entropy of the call, and of the next call given 1..4 previous ones */
    {
        int64_t *cnt = xcalloc((size_t)(V ? V : 1), sizeof *cnt);
        for (int64_t i = 0; i < N; i++) cnt[r->calls[i].name]++;
        double h = 0;
        for (int v = 0; v < V; v++)
            if (cnt[v]) h -= (double)cnt[v] / (double)N * log2((double)cnt[v] / (double)N);
        r->entropy[0] = N ? h : NAN;
        free(cnt);
    }
    for (int n = 1; n <= REPORT_MAX_N; n++) {
        int64_t k = collect(r, 0, N, n, packed, pairs);
        qsort(pairs, (size_t)k, sizeof *pairs, cmp_pair);
        r->entropy[n] = conditional_entropy(pairs, k);
    }

    /* prediction: tables from the first 80% */
    int64_t split = (int64_t)floor(0.8 * (double)N);
    r->train_calls = split;
    r->test_calls = N - split;
    int64_t *train_cnt = xcalloc((size_t)(V ? V : 1), sizeof *train_cnt);
    for (int64_t i = 0; i < split; i++) train_cnt[r->calls[i].name]++;
    int32_t mode = -1;
    for (int v = 0; v < V; v++)
        if (train_cnt[v] > 0 && (mode < 0 || train_cnt[v] > train_cnt[mode])) mode = v;
    ctx_table tables[REPORT_MAX_N + 1];
    memset(tables, 0, sizeof tables);
    for (int n = 1; n <= REPORT_MAX_N; n++) {
        int64_t k = collect(r, 0, split, n, packed, pairs);
        qsort(pairs, (size_t)k, sizeof *pairs, cmp_pair);
        ctx_table *t = &tables[n];
        t->ctx = xmalloc(sizeof *t->ctx * (size_t)(k + 1));
        t->best = xmalloc(sizeof *t->best * (size_t)(k + 1));
        for (int64_t i = 0; i < k;) {
            int64_t j = i, best_n = 0;
            int32_t best = -1;
            while (j < k && pairs[j].ctx == pairs[i].ctx) {
                int64_t l = j;
                while (l < k && pairs[l].ctx == pairs[i].ctx && pairs[l].next == pairs[j].next) l++;
                int32_t nx = pairs[j].next;
                if (l - j > best_n || (l - j == best_n && train_cnt[nx] > train_cnt[best])) {
                    best_n = l - j;
                    best = nx;
                }
                j = l;
            }
            t->ctx[t->n] = pairs[i].ctx;
            t->best[t->n] = best;
            t->n++;
            i = j;
        }
    }
    memset(r->predict_correct, 0, sizeof r->predict_correct);
    memset(r->predict_seen, 0, sizeof r->predict_seen);
    int tr = 0;
    for (int64_t i = split; i < N; i++) {
        while (tr + 1 < r->n_traces && r->trace_start[tr + 1] <= i) tr++;
        int64_t before = i - r->trace_start[tr];
        int32_t actual = r->calls[i].name;
        r->predict_correct[0] += mode == actual;
        for (int n = 1; n <= REPORT_MAX_N; n++) {
            int32_t guess = -1;
            for (int j = n; j >= 1 && guess < 0; j--) {
                if (before < j) continue;
                guess = table_find(&tables[j], context_key(r->calls, i, j, packed));
                if (guess >= 0 && j == n) r->predict_seen[n]++;
            }
            if (guess < 0) guess = mode;
            r->predict_correct[n] += guess == actual;
        }
    }
    for (int n = 0; n <= REPORT_MAX_N; n++) {
        r->predict_accuracy[n] = r->test_calls ? (double)r->predict_correct[n] / (double)r->test_calls : NAN;
        free(tables[n].ctx);
        free(tables[n].best);
    }
    free(train_cnt);
    free(pairs);
}
