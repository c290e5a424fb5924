/* The n-gram infill baseline (see ngram_infill.h): event IDs mapped to dense
 * indices, the order chosen on a held-out tail of every training piece, then
 * each gap of each window searched with ngram_beam. */
#include "ngram_infill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "compare.h"
#include "ngram_beam.h"
#include "ngram_marginals.h"

#define PROBE_SIDE 10         /* held-out probe windows: 10 observed, 10 generated, 10 observed */
#define PROBE_GAP 10
#define PROBE_MAX 100         /* probe windows at most, to bound the time spent choosing */

/* Sorted distinct training events: dense index = rank, so smaller dense
 * indices are smaller IDs and ties broken on indices are broken on IDs. */
static int32_t build_vocab(const training_index *ix, int32_t **ids) {
    int32_t *v = xmalloc((size_t)(ix->length ? ix->length : 1) * sizeof *v);
    memcpy(v, ix->events, (size_t)ix->length * sizeof *v);
    qsort(v, (size_t)ix->length, sizeof *v, cmp_i32);
    int32_t n = 0;
    for (int64_t i = 0; i < ix->length; i++)
        if (n == 0 || v[i] != v[n - 1]) v[n++] = v[i];
    *ids = v;
    return n;
}

/* Dense index of an ID; vocab (the unknown index) when training never saw it. */
static int32_t dense_of(const int32_t *ids, int32_t vocab, int32_t id) {
    int32_t lo = 0, hi = vocab;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < vocab && ids[lo] == id ? lo : vocab;
}

/* What both decodings start with: out = real, with the generated positions
 * given the mode baseline's answer when there is nothing to learn from (an
 * empty training trace). */
static void start_fill(const training_index *ix, const window_set *real, const eval_mask *mask, window_set *out,
                       int have_model) {
    int L = real->length;
    window_set_init(out, real->count, L);
    memcpy(out->ids, real->ids, (size_t)(real->count * L) * sizeof(int32_t));
    if (have_model) return;
    int32_t mode = training_mode_event(ix);
    for (int64_t w = 0; w < real->count; w++)
        for (int j = 0; j < L; j++)
            if (!mask_is_observed(mask, w, j)) out->ids[w * L + j] = mode;
}

/* The next gap of a window at or after *a: a maximal run [*a, *e) of
 * generated positions, with *nl observed events before it and *nr after it
 * taken as context (at most s each). Returns 0 when no gap is left. */
static int next_gap(const uint8_t *obs, int L, int s, int *a, int *e, int *nl, int *nr) {
    while (*a < L && obs[*a]) (*a)++;
    if (*a == L) return 0;
    *e = *a;
    while (*e < L && !obs[*e]) (*e)++;
    *nl = *nr = 0;
    while (*nl < s && *a - *nl - 1 >= 0 && obs[*a - *nl - 1]) (*nl)++;
    while (*nr < s && *e + *nr < L && obs[*e + *nr]) (*nr)++;
    return 1;
}

/* Fill every gap of one window (dense events x, observed flags obs) into y;
 * returns the number of gaps and adds those where the beam cut to *cut. */
static int64_t fill_window(ngram_beam *b, int s, const int32_t *x, const uint8_t *obs, int L, int32_t *y,
                           int64_t *cut) {
    int64_t gaps = 0;
    memcpy(y, x, (size_t)L * sizeof *y);
    for (int a = 0, e, nl, nr; next_gap(obs, L, s, &a, &e, &nl, &nr); a = e) {
        *cut += ngram_beam_fill(b, x + a - nl, nl, e - a, x + e, nr, y + a);
        gaps++;
    }
    return gaps;
}

/* Fill every gap of one window with the event of largest marginal
 * probability at each position (post: L x vocab doubles of scratch). */
static void fill_window_marginal(ngram_marginals *g, int s, const int32_t *x, const uint8_t *obs, int L,
                                 int32_t vocab, double *post, int32_t *y) {
    memcpy(y, x, (size_t)L * sizeof *y);
    for (int a = 0, e, nl, nr; next_gap(obs, L, s, &a, &e, &nl, &nr); a = e) {
        ngram_marginals_compute(g, x + a - nl, nl, e - a, x + e, nr, post);
        for (int j = a; j < e; j++) {
            const double *row = post + (size_t)(j - a) * (size_t)vocab;
            int32_t best = 0;
            for (int32_t v = 1; v < vocab; v++)
                if (row[v] > row[best]) best = v;
            y[j] = best;
        }
    }
}

/* Accuracy (%) of the infill on probe windows cut from the held-out tails. */
static double probe_accuracy(const ngram_model *m, const int32_t *probes, int64_t n_probes) {
    const int L = 2 * PROBE_SIDE + PROBE_GAP;
    uint8_t obs[2 * PROBE_SIDE + PROBE_GAP];
    for (int j = 0; j < L; j++) obs[j] = j < PROBE_SIDE || j >= PROBE_SIDE + PROBE_GAP;
    ngram_beam *b = ngram_beam_create(m, L, NGRAM_BEAM);
    int32_t y[2 * PROBE_SIDE + PROBE_GAP];
    int64_t right = 0, cut = 0;
    for (int64_t w = 0; w < n_probes; w++) {
        const int32_t *x = probes + w * L;
        fill_window(b, m->order - 1, x, obs, L, y, &cut);
        for (int j = PROBE_SIDE; j < PROBE_SIDE + PROBE_GAP; j++) right += y[j] == x[j];
    }
    ngram_beam_free(b);
    return 100.0 * (double)right / (double)(n_probes * PROBE_GAP);
}

/* The order with the best held-out log-likelihood (ngram_model.h), and the
 * infill's accuracy at every order on probes cut from the held-out tenths. */
static int choose_order(const int32_t *x, const training_index *ix, int32_t vocab, ngram_stats *st) {
    const int L = 2 * PROBE_SIDE + PROBE_GAP;
    int32_t *probes = xmalloc((size_t)PROBE_MAX * (size_t)L * sizeof *probes);
    int64_t n_probes = 0, begin = 0;
    for (int64_t p = 0; p < ix->segments; p++) {
        int64_t end = ix->segment_end[p], hold = (end - begin) / NGRAM_HELDOUT_FRACTION;
        for (int64_t q = end - hold; q + L <= end && n_probes < PROBE_MAX; q += L)
            memcpy(probes + n_probes++ * L, x + q, (size_t)L * sizeof *probes);
        begin = end;
    }
    ngram_model m;
    int best = ngram_model_choose_order(x, ix->segment_end, ix->segments, vocab, &m, st->heldout_loglik,
                                        &st->heldout_events);
    st->heldout_gaps = n_probes;
    for (int n = 1; n <= NGRAM_MAX_ORDER; n++) {
        m.order = n;
        st->heldout_accuracy[n] = n_probes ? probe_accuracy(&m, probes, n_probes) : NAN;
    }
    ngram_model_free(&m);
    free(probes);
    return best;
}

int32_t ngram_training_model(const training_index *ix, ngram_model *m, int32_t **ids, int32_t **trace,
                             ngram_stats *stats) {
    memset(stats, 0, sizeof *stats);
    for (int n = 0; n <= NGRAM_MAX_ORDER; n++) stats->heldout_loglik[n] = stats->heldout_accuracy[n] = NAN;
    memset(m, 0, sizeof *m);
    int32_t vocab = build_vocab(ix, ids);
    stats->vocabulary = vocab;
    *trace = NULL;
    if (vocab == 0) {
        free(*ids);
        *ids = NULL;
        return 0;
    }
    int32_t *x = xmalloc((size_t)ix->length * sizeof *x);
    for (int64_t i = 0; i < ix->length; i++) x[i] = dense_of(*ids, vocab, ix->events[i]);
    stats->order = choose_order(x, ix, vocab, stats);
    ngram_model_fit(m, x, ix->segment_end, ix->segments, vocab, stats->order);
    *trace = x;
    return vocab;
}

void baseline_ngram_fills(const training_index *ix, const window_set *real, const eval_mask *mask,
                          window_set *joint, window_set *marginal, ngram_stats *stats) {
    int L = real->length;
    ngram_model m;
    int32_t *ids, *x, vocab = ngram_training_model(ix, &m, &ids, &x, stats);
    start_fill(ix, real, mask, joint, vocab > 0);
    window_set_init(marginal, real->count, L);
    memcpy(marginal->ids, joint->ids, (size_t)(real->count * L) * sizeof(int32_t));
    if (!vocab) return;
    int s = stats->order - 1;
    ngram_beam *b = ngram_beam_create(&m, L, NGRAM_BEAM);
    ngram_marginals *g = ngram_marginals_create(&m, L, NGRAM_BEAM);
    size_t n = (size_t)(L ? L : 1);
    int32_t *wx = xmalloc(n * sizeof *wx), *wy = xmalloc(n * sizeof *wy);
    uint8_t *obs = xmalloc(n);
    double *post = xmalloc(n * (size_t)vocab * sizeof *post);
    for (int64_t w = 0; w < real->count; w++) {
        for (int j = 0; j < L; j++) {
            wx[j] = dense_of(ids, vocab, real->ids[w * L + j]);
            obs[j] = (uint8_t)mask_is_observed(mask, w, j);
        }
        stats->gaps += fill_window(b, s, wx, obs, L, wy, &stats->beam_cut);
        for (int j = 0; j < L; j++)
            if (!obs[j]) joint->ids[w * L + j] = ids[wy[j]];
        fill_window_marginal(g, s, wx, obs, L, vocab, post, wy);
        for (int j = 0; j < L; j++)
            if (!obs[j]) marginal->ids[w * L + j] = ids[wy[j]];
    }
    free(post);
    free(obs);
    free(wy);
    free(wx);
    ngram_marginals_free(g);
    ngram_beam_free(b);
    ngram_model_free(&m);
    free(x);
    free(ids);
}
