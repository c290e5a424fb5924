/* The n-gram prior of generate --ngram-prior (datasets/ngram_prior.h): on
 * traces whose next event is decided by the right-hand context, the prior
 * must use both sides; with no visible neighbour it has no opinion; its
 * values are normalised log-probabilities; windows cut at a stride are
 * stitched so that the model counts the trace, not its copies; the marginals
 * a window keeps between calls are exactly those computed afresh. */
#include <math.h>

#include "ngram_prior.h"
#include "test_util.h"

/* Windows of length L at stride s over trace x (IDs 1..V). */
static void cut_windows(const int32_t *x, int64_t n, int L, int s, window_set *ws) {
    int64_t count = (n - L) / s + 1;
    window_set_init(ws, count, L);
    for (int64_t w = 0; w < count; w++) memcpy(ws->ids + w * L, x + w * s, sizeof(int32_t) * (size_t)L);
}

static double logsumexp(const double *a, int n) {
    double mx = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) mx = fmax(mx, a[i]);
    for (int i = 0; i < n; i++) s += exp(a[i] - mx);
    return mx + log(s);
}

int main(void) {
    /* A trace of blocks "7 1 8" and "7 2 9" (classes 6 0 7 and 6 1 8) in an
     * irregular order, with 3 4 5 between: after 7, 1 and 2 are equally
     * likely; only the event after the gap tells them apart. */
    enum { N = 6000, V = 9, L = 20 };
    int32_t *x = malloc(sizeof(int32_t) * N);
    int64_t n = 0;
    uint32_t r = 12345;
    while (n + 6 <= N) {
        r = r * 1103515245u + 12345u;
        int a = (r >> 16) & 1;
        x[n++] = 7, x[n++] = a ? 1 : 2, x[n++] = a ? 8 : 9;
        x[n++] = 3, x[n++] = 4, x[n++] = 5;
    }
    window_set ws;
    cut_windows(x, n, L, 4, &ws);
    ngram_prior np;
    ngram_prior_fit(&np, &ws, V);
    CHECK(np.trace_events == (ws.count - 1) * 4 + L); /* each event counted once */
    CHECK(np.pieces == 1); /* stride 4 windows stitched into one trace */
    CHECK(np.model.order >= 2);

    /* symbols: classes, V = hidden. Window "... 5 7 [?] 8 3 4 ..." */
    int32_t sym[L];
    for (int l = 0; l < L; l++) sym[l] = V;
    double logp[V];
    /* Nothing visible near position 10: no opinion. */
    ngram_prior_logp(&np, 0, sym, 10, logp);
    int zeros = 1;
    for (int v = 0; v < V; v++) zeros &= logp[v] == 0.0;
    CHECK(zeros);

    int32_t ctx8[] = {4, 6, -1, 7, 2, 3}, ctx9[] = {4, 6, -1, 8, 2, 3};
    for (int k = 0; k < 2; k++) {
        const int32_t *c = k ? ctx9 : ctx8;
        for (int j = 0; j < 6; j++) sym[8 + j] = c[j] < 0 ? V : c[j];
        ngram_prior_logp(&np, 0, sym, 10, logp);
        CHECK_CLOSE(logsumexp(logp, V), 0.0, 1e-12, 0);
        int want = k ? 1 : 0; /* class of 2 before 9, of 1 before 8 */
        CHECK_MSG(exp(logp[want]) > 0.95, "right context %d: P(class %d) = %.4f", k ? 9 : 8, want, exp(logp[want]));
    }
    /* Left context only ("5 7 [?]" then hidden): both 1 and 2 stay likely. */
    for (int l = 0; l < L; l++) sym[l] = V;
    sym[8] = 4, sym[9] = 6;
    ngram_prior_logp(&np, 0, sym, 10, logp);
    CHECK_MSG(exp(logp[0]) > 0.3 && exp(logp[1]) > 0.3, "P(1) = %.3f, P(2) = %.3f", exp(logp[0]), exp(logp[1]));
    /* Right context only ("[?] 8 3"): the event before 8 is 1. */
    for (int l = 0; l < L; l++) sym[l] = V;
    sym[11] = 7, sym[12] = 2;
    ngram_prior_logp(&np, 0, sym, 10, logp);
    CHECK_MSG(exp(logp[0]) > 0.9, "P(1 | right 8 3) = %.3f", exp(logp[0]));
    /* The edges of the window: position 0 with its right side visible. */
    for (int l = 0; l < L; l++) sym[l] = V;
    sym[1] = 7, sym[2] = 2;
    ngram_prior_logp(&np, 0, sym, 0, logp);
    CHECK_CLOSE(logsumexp(logp, V), 0.0, 1e-12, 0);
    CHECK(exp(logp[0]) > 0.9);

    /* The sampler's pattern: every pass asks for each hidden position, then
     * one position is revealed (here with the trace's own event). The answers
     * of window 0, which keeps its runs' marginals from pass to pass, must be
     * those of a window asking for the first time (a new index each call),
     * bit for bit; and window 0 must have run fewer forward-backward passes. */
    for (int l = 0; l < L; l++) sym[l] = V;
    const int32_t *truth = ws.ids + 3 * L;
    uint32_t rr = 777;
    long long warm_runs = 0, cold_runs = 0, mismatches = 0, queries = 0;
    int fresh = 1, hidden = L;
    while (hidden > 0) {
        for (int l = 0; l < L; l++) {
            if (sym[l] != V) continue;
            double warm[V], cold[V];
            long long before = np.runs_computed;
            ngram_prior_logp(&np, 0, sym, l, warm);
            warm_runs += np.runs_computed - before;
            before = np.runs_computed;
            ngram_prior_logp(&np, fresh++, sym, l, cold);
            cold_runs += np.runs_computed - before;
            mismatches += memcmp(warm, cold, sizeof warm) != 0;
            queries++;
        }
        rr = rr * 1103515245u + 12345u;
        int k = (int)((rr >> 16) % (uint32_t)hidden), l = 0;
        for (;; l++)
            if (sym[l] == V && k-- == 0) break;
        sym[l] = truth[l] - 1;
        hidden--;
    }
    CHECK_MSG(mismatches == 0, "%lld of %lld answers from kept marginals differ from fresh ones", mismatches, queries);
    CHECK_MSG(cold_runs == queries - L, "every fresh answer but the first pass's (no opinion) computes a run: %lld of %lld",
              cold_runs, queries);
    CHECK_MSG(warm_runs * 3 < cold_runs, "kept marginals: %lld runs computed where fresh answers took %lld", warm_runs,
              cold_runs);

    ngram_prior_free(&np);
    window_set_free(&ws);
    free(x);
    printf("test_ngram_prior: %d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}
