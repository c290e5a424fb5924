/* Timeline and phases of a trace report.
 *
 * Timeline: calls per category in REPORT_SLICES equal slices of the trace's
 * time (one trace with timestamps) or of the call index (otherwise).
 *
 * Phases: binary segmentation on the Jensen-Shannon divergence of adjacent
 * windows. For a segment, every position t with a full window of w calls on
 * each side is a candidate; its score is the JS divergence between the call
 * mix of [t - w, t) and that of [t, t + w). The best candidate splits the
 * segment when its score exceeds both 0.1 bits and what chance gives for two
 * windows of w calls drawn from one mix: G = 4 w ln2 JS is chi-squared with
 * k - 1 degrees of freedom for k distinct calls, and the best of a segment's
 * positions is the best of about (length / w) independent tries, so the
 * quantile is taken at 0.001 / (length / w) (Bonferroni). The
 * segment whose best split scores highest is split first, until no segment
 * has a split or REPORT_MAX_PHASES phases exist. With several traces (runs),
 * each starts a phase of its own and is segmented inside. Phases are at least w calls
 * long, so w, about a fortieth of the trace (20..5000 calls), is the
 * resolution: a boundary is found within a window's width of the change. */
#include "trace_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_EFFECT_BITS 0.1

double report_js_bits(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int k) {
    if (na <= 0 || nb <= 0) return 0;
    double js = 0;
    for (int i = 0; i < k; i++) {
        if (!a[i] && !b[i]) continue;
        double p = (double)a[i] / (double)na, q = (double)b[i] / (double)nb, m = 0.5 * (p + q);
        if (p > 0) js += 0.5 * p * log2(p / m);
        if (q > 0) js += 0.5 * q * log2(q / m);
    }
    return js < 0 ? 0 : js;
}

/* One name's share of the divergence of two windows of w calls each, with
 * l and r occurrences of it. */
static inline double js_term(int64_t l, int64_t r, int w) {
    if (!l && !r) return 0;
    double p = (double)l / w, q = (double)r / w, m = 0.5 * (p + q), s = 0;
    if (p > 0) s += 0.5 * p * log2(p / m);
    if (q > 0) s += 0.5 * q * log2(q / m);
    return s;
}

/* Upper standard normal quantile for a small tail probability p
 * (Abramowitz and Stegun 26.2.23). */
static double normal_upper_quantile(double p) {
    double t = sqrt(-2.0 * log(p));
    return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/* Chi-squared quantile (Wilson-Hilferty) for df degrees of freedom at z. */
static double chi2_quantile(double df, double z) {
    if (df <= 0) return 0;
    double a = 2.0 / (9.0 * df), t = 1 - a + z * sqrt(a);
    return df * t * t * t;
}

typedef struct split {
    double js;       /* score of the best split, 0 when none passes */
    int64_t at;
} split;

/* The best split of [a, b) whose score passes the threshold, over the names
 * of the trace (V of them). */
static split best_split(const trace_report *r, int64_t a, int64_t b, int w, int V, int64_t *L, int64_t *R) {
    split best = {0, -1};
    if (b - a < 2 * (int64_t)w) return best;
    const report_call *c = r->calls;
    memset(L, 0, sizeof *L * (size_t)V);
    memset(R, 0, sizeof *R * (size_t)V);
    int64_t t = a + w;
    for (int64_t i = a; i < t; i++) L[c[i].name]++;
    for (int64_t i = t; i < t + w; i++) R[c[i].name]++;
    /* Both windows hold w calls, so the divergence is a sum of one term per
     * name and a slide changes at most three terms: O(1) a position. */
    double js = 0;
    for (int i = 0; i < V; i++) js += js_term(L[i], R[i], w);
    double top = -1;
    int64_t top_at = -1;
    for (int64_t step = 0;; step++) {
        if (js > top) {
            top = js;
            top_at = t;
        }
        if (t + w >= b) break;
        int32_t touched[3] = {c[t - w].name, c[t].name, c[t + w].name};
        for (int k = 0; k < 3; k++)
            if ((k < 1 || touched[k] != touched[0]) && (k < 2 || touched[k] != touched[1]))
                js -= js_term(L[touched[k]], R[touched[k]], w);
        L[c[t - w].name]--;
        L[c[t].name]++;
        R[c[t].name]--;
        R[c[t + w].name]++;
        for (int k = 0; k < 3; k++)
            if ((k < 1 || touched[k] != touched[0]) && (k < 2 || touched[k] != touched[1]))
                js += js_term(L[touched[k]], R[touched[k]], w);
        t++;
        if ((step & 8191) == 8191) { /* no drift from the running sum */
            js = 0;
            for (int i = 0; i < V; i++) js += js_term(L[i], R[i], w);
        }
    }
    /* Significance at the best position. */
    memset(L, 0, sizeof *L * (size_t)V);
    memset(R, 0, sizeof *R * (size_t)V);
    for (int64_t i = top_at - w; i < top_at; i++) L[c[i].name]++;
    for (int64_t i = top_at; i < top_at + w; i++) R[c[i].name]++;
    int k = 0;
    for (int i = 0; i < V; i++) k += L[i] || R[i];
    double tries = (double)(b - a) / w;
    double chance = chi2_quantile(k - 1, normal_upper_quantile(0.001 / (tries > 1 ? tries : 1))) / (4.0 * w * log(2.0));
    if (top > MIN_EFFECT_BITS && top > chance) {
        best.js = top;
        best.at = top_at;
    }
    return best;
}

static void describe_phase(const trace_report *r, report_phase *ph, int V, int64_t *cnt) {
    memset(cnt, 0, sizeof *cnt * (size_t)V);
    int64_t cat[CAT_COUNT] = {0};
    for (int64_t i = ph->start; i < ph->end; i++) {
        cnt[r->calls[i].name]++;
        cat[r->sys_category[r->calls[i].name]]++;
    }
    int64_t n = ph->end - ph->start;
    ph->n_top = 0;
    for (int k = 0; k < 3; k++) {
        int32_t best = -1;
        for (int v = 0; v < V; v++)
            if (cnt[v] > 0 && (best < 0 || cnt[v] > cnt[best])) best = v;
        if (best < 0) break;
        ph->top[k] = best;
        ph->top_share[k] = (double)cnt[best] / (double)n;
        cnt[best] = 0;
        ph->n_top++;
    }
    ph->category = 0;
    for (int c = 1; c < CAT_COUNT; c++)
        if (cat[c] > cat[ph->category]) ph->category = c;
    ph->t_start = r->timeline_by_time ? r->calls[ph->start].time : NAN;
    ph->t_end = r->timeline_by_time ? r->calls[ph->end - 1].time : NAN;
}

void trace_report_phases(trace_report *r) {
    int64_t N = r->n_calls;
    r->timeline_by_time = r->has_time && r->n_traces == 1 && N > 0;
    r->span = r->timeline_by_time ? r->calls[N - 1].time - r->calls[0].time : (double)N;
    if (r->timeline_by_time && !(r->span > 0)) r->timeline_by_time = 0, r->span = (double)N;
    r->n_slices = N < REPORT_SLICES ? (int)N : REPORT_SLICES;
    memset(r->slice_counts, 0, sizeof r->slice_counts);
    for (int64_t i = 0; i < N; i++) {
        double x = r->timeline_by_time ? (r->calls[i].time - r->calls[0].time) / r->span : (double)i / (double)N;
        int s = (int)(x * r->n_slices);
        if (s >= r->n_slices) s = r->n_slices - 1;
        if (s < 0) s = 0;
        r->slice_counts[r->sys_category[r->calls[i].name]][s]++;
    }
    /* phases */
    int V = r->names.count;
    int w = (int)(N / 40);
    if (w < 20) w = 20;
    if (w > 5000) w = 5000;
    r->window = w;
    r->js_threshold = MIN_EFFECT_BITS;
    r->n_phases = 0;
    if (N == 0) return;
    int64_t *L = xmalloc(sizeof *L * (size_t)(V + 1)), *R = xmalloc(sizeof *R * (size_t)(V + 1));
    int64_t start[REPORT_MAX_PHASES + 1];
    double js_at[REPORT_MAX_PHASES];
    split cand[REPORT_MAX_PHASES];
    /* Each trace starts a phase (a run's start is a change no window should
     * straddle), unless there are too many traces: then one stream. */
    int n = r->n_traces <= REPORT_MAX_PHASES / 2 ? r->n_traces : 1;
    for (int k = 0; k < n; k++) {
        start[k] = r->trace_start[k];
        js_at[k] = k ? -1 : 0;
    }
    start[n] = N;
    for (int k = 0; k < n; k++) cand[k] = best_split(r, start[k], start[k + 1], w, V, L, R);
    while (n < REPORT_MAX_PHASES) {
        int pick = -1;
        for (int k = 0; k < n; k++)
            if (cand[k].at >= 0 && (pick < 0 || cand[k].js > cand[pick].js)) pick = k;
        if (pick < 0) break;
        /* split segment pick into [start, at) and [at, end) */
        for (int k = n; k > pick; k--) {
            start[k + 1] = start[k];
            js_at[k] = js_at[k - 1];
            cand[k] = cand[k - 1];
        }
        start[pick + 1] = cand[pick].at;
        js_at[pick + 1] = cand[pick].js;
        n++;
        cand[pick] = best_split(r, start[pick], start[pick + 1], w, V, L, R);
        cand[pick + 1] = best_split(r, start[pick + 1], start[pick + 2], w, V, L, R);
    }
    r->n_phases = n;
    for (int k = 0; k < n; k++) {
        report_phase *ph = &r->phases[k];
        ph->start = start[k];
        ph->end = start[k + 1];
        ph->boundary_js = js_at[k];
        describe_phase(r, ph, V, L);
    }
    free(L);
    free(R);
}
