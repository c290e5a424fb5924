/* The n-gram infill baseline (see ngram_infill.h): event IDs mapped to dense
 * indices, the order chosen on a held-out tail of every training piece, then
 * each gap of each window searched with ngram_beam. */
#include "ngram_infill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "ngram_beam.h"

#define HELDOUT_FRACTION 10   /* the last 1/10 of each piece */
#define PROBE_SIDE 10         /* held-out probe windows: 10 observed, 10 generated, 10 observed */
#define PROBE_GAP 10
#define PROBE_MAX 100         /* probe windows at most, to bound the time spent choosing */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

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

/* Fill every gap of one window (dense events x, observed flags obs) into y;
 * returns the number of gaps and adds those where the beam cut to *cut. */
static int64_t fill_window(ngram_beam *b, int s, const int32_t *x, const uint8_t *obs, int L, int32_t *y,
                           int64_t *cut) {
    int64_t gaps = 0;
    memcpy(y, x, (size_t)L * sizeof *y);
    for (int a = 0; a < L;) {
        if (obs[a]) { a++; continue; }
        int e = a;
        while (e < L && !obs[e]) e++;
        int nl = 0, nr = 0;
        while (nl < s && a - nl - 1 >= 0 && obs[a - nl - 1]) nl++;
        while (nr < s && e + nr < L && obs[e + nr]) nr++;
        *cut += ngram_beam_fill(b, x + a - nl, nl, e - a, x + e, nr, y + a);
        gaps++;
        a = e;
    }
    return gaps;
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

/* Fit on all but the last tenth of every piece and score orders 1..6 on that
 * tenth; returns the order with the best mean held-out log-likelihood. */
static int choose_order(const int32_t *x, const training_index *ix, int32_t vocab, ngram_stats *st) {
    int64_t pieces = ix->segments;
    int32_t *fit = xmalloc((size_t)(ix->length ? ix->length : 1) * sizeof *fit);
    int64_t *fit_end = xmalloc((size_t)(pieces ? pieces : 1) * sizeof *fit_end);
    const int L = 2 * PROBE_SIDE + PROBE_GAP;
    int32_t *probes = xmalloc((size_t)PROBE_MAX * (size_t)L * sizeof *probes);
    int64_t n_fit = 0, n_probes = 0, begin = 0;
    for (int64_t p = 0; p < pieces; p++) {
        int64_t end = ix->segment_end[p], hold = (end - begin) / HELDOUT_FRACTION;
        memcpy(fit + n_fit, x + begin, (size_t)(end - begin - hold) * sizeof *fit);
        n_fit += end - begin - hold;
        fit_end[p] = n_fit;
        for (int64_t q = end - hold; q + L <= end && n_probes < PROBE_MAX; q += L)
            memcpy(probes + n_probes++ * L, x + q, (size_t)L * sizeof *probes);
        begin = end;
    }
    ngram_model m;
    ngram_model_fit(&m, fit, fit_end, pieces, vocab, NGRAM_MAX_ORDER);
    int best = 0;
    st->heldout_gaps = n_probes;
    for (int n = 1; n <= NGRAM_MAX_ORDER; n++) {
        m.order = n;
        double ll = 0.0;
        int64_t scored = 0;
        begin = 0;
        for (int64_t p = 0; p < pieces; p++) {
            int64_t end = ix->segment_end[p];
            for (int64_t i = end - (end - begin) / HELDOUT_FRACTION; i < end; i++) {
                int64_t h = i - begin < n - 1 ? i - begin : n - 1;
                ll += log(ngram_model_prob(&m, x + i - h, (int)h, x[i]));
                scored++;
            }
            begin = end;
        }
        st->heldout_events = scored;
        st->heldout_loglik[n] = scored ? ll / (double)scored : NAN;
        st->heldout_accuracy[n] = n_probes ? probe_accuracy(&m, probes, n_probes) : NAN;
        if (scored && (best == 0 || st->heldout_loglik[n] > st->heldout_loglik[best])) best = n;
    }
    ngram_model_free(&m);
    free(fit);
    free(fit_end);
    free(probes);
    /* Too short a trace to hold anything out: a trigram is the usual middle ground. */
    return best ? best : 3;
}

void baseline_ngram_fill(const training_index *ix, const window_set *real, const eval_mask *mask, window_set *out,
                         ngram_stats *stats) {
    memset(stats, 0, sizeof *stats);
    for (int n = 0; n <= NGRAM_MAX_ORDER; n++) stats->heldout_loglik[n] = stats->heldout_accuracy[n] = NAN;
    int L = real->length;
    window_set_init(out, real->count, L);
    memcpy(out->ids, real->ids, (size_t)(real->count * L) * sizeof(int32_t));
    int32_t *ids;
    int32_t vocab = build_vocab(ix, &ids);
    stats->vocabulary = vocab;
    if (vocab == 0) {
        /* Nothing to learn from: the same answer as the mode baseline. */
        int32_t mode = training_mode_event(ix);
        for (int64_t w = 0; w < real->count; w++)
            for (int j = 0; j < L; j++)
                if (!mask_is_observed(mask, w, j)) out->ids[w * L + j] = mode;
        free(ids);
        return;
    }
    int32_t *x = xmalloc((size_t)ix->length * sizeof *x);
    for (int64_t i = 0; i < ix->length; i++) x[i] = dense_of(ids, vocab, ix->events[i]);
    stats->order = choose_order(x, ix, vocab, stats);
    ngram_model m;
    ngram_model_fit(&m, x, ix->segment_end, ix->segments, vocab, stats->order);
    ngram_beam *b = ngram_beam_create(&m, L, NGRAM_BEAM);
    int32_t *wx = xmalloc((size_t)(L ? L : 1) * sizeof *wx), *wy = xmalloc((size_t)(L ? L : 1) * sizeof *wy);
    uint8_t *obs = xmalloc((size_t)(L ? L : 1));
    for (int64_t w = 0; w < real->count; w++) {
        for (int j = 0; j < L; j++) {
            wx[j] = dense_of(ids, vocab, real->ids[w * L + j]);
            obs[j] = (uint8_t)mask_is_observed(mask, w, j);
        }
        stats->gaps += fill_window(b, stats->order - 1, wx, obs, L, wy, &stats->beam_cut);
        for (int j = 0; j < L; j++)
            if (!obs[j]) out->ids[w * L + j] = ids[wy[j]];
    }
    free(wx);
    free(wy);
    free(obs);
    ngram_beam_free(b);
    ngram_model_free(&m);
    free(x);
    free(ids);
}
