/* The n-gram prior of the masked unmasking (see ngram_prior.h). */
#include "ngram_prior.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "trace_pieces.h"

void ngram_prior_fit(ngram_prior *np, const window_set *train, int V) {
    memset(np, 0, sizeof *np);
    np->V = V;
    np->L = train->length;
    np->min_prob = 1e-300;
    trace_pieces t;
    trace_pieces_stitch(train, &t);
    /* IDs 1..V to classes 0..V-1, the symbols the sampler works with. */
    for (int64_t i = 0; i < t.length; i++) t.events[i] -= 1;
    np->trace_events = t.length;
    np->pieces = t.pieces;
    ngram_model heldout;
    int64_t scored;
    int order = ngram_model_choose_order(t.events, t.piece_end, t.pieces, V, &heldout, np->heldout_loglik, &scored);
    ngram_model_free(&heldout);
    ngram_model_fit(&np->model, t.events, t.piece_end, t.pieces, V, order);
    trace_pieces_free(&t);
    np->marginals = ngram_marginals_create(&np->model, np->L, NGRAM_PRIOR_WIDTH);
}

void ngram_prior_free(ngram_prior *np) {
    ngram_model_free(&np->model);
    ngram_marginals_free(np->marginals);
    for (int i = 0; i < np->n_windows; i++) {
        ngram_prior_window *w = &np->windows[i];
        free(w->post);
        free(w->run_start);
        free(w->run_end);
        free(w->signature);
    }
    free(np->windows);
    memset(np, 0, sizeof *np);
}

/* Window i's store, created (empty) on its first use. */
static ngram_prior_window *window_store(ngram_prior *np, int i) {
    if (i < 0) die("ngram_prior: window index %d", i);
    if (i >= np->n_windows) {
        np->windows = xrealloc(np->windows, sizeof *np->windows * (size_t)(i + 1));
        for (int k = np->n_windows; k <= i; k++) {
            ngram_prior_window *w = &np->windows[k];
            w->post = xmalloc(sizeof(double) * (size_t)np->L * (size_t)np->V);
            w->run_start = xmalloc(sizeof(int) * (size_t)np->L);
            w->run_end = xmalloc(sizeof(int) * (size_t)np->L);
            w->signature = xmalloc(sizeof(int32_t) * (size_t)np->L * NGRAM_PRIOR_SIGNATURE);
            for (int l = 0; l < np->L; l++) w->run_start[l] = -1;
        }
        np->n_windows = i + 1;
    }
    return &np->windows[i];
}

void ngram_prior_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    ngram_prior *np = user;
    int V = np->V, L = np->L, side = np->model.order - 1;
    int a = l, e = l + 1;
    while (a > 0 && symbols[a - 1] >= V) a--;
    while (e < L && symbols[e] >= V) e++;
    int nl = 0, nr = 0;
    while (nl < side && a - nl - 1 >= 0 && symbols[a - nl - 1] < V) nl++;
    while (nr < side && e + nr < L && symbols[e + nr] < V) nr++;
    if (nl == 0 && nr == 0) { /* nothing visible in the window: no opinion */
        memset(logp, 0, sizeof(double) * (size_t)V);
        return;
    }
    /* The run's marginals are a function of its extent and these neighbours. */
    int32_t sig[NGRAM_PRIOR_SIGNATURE] = {nl, nr};
    memcpy(sig + 2, symbols + a - nl, sizeof(int32_t) * (size_t)nl);
    memcpy(sig + 2 + nl, symbols + e, sizeof(int32_t) * (size_t)nr);
    ngram_prior_window *w = window_store(np, window);
    const int32_t *kept = w->signature + (size_t)l * NGRAM_PRIOR_SIGNATURE;
    if (!(w->run_start[l] == a && w->run_end[l] == e && memcmp(kept, sig, sizeof sig) == 0)) {
        ngram_marginals_compute(np->marginals, symbols + a - nl, nl, e - a, symbols + e, nr,
                                w->post + (size_t)a * V);
        np->runs_computed++;
        for (int k = a; k < e; k++) {
            w->run_start[k] = a;
            w->run_end[k] = e;
            memcpy(w->signature + (size_t)k * NGRAM_PRIOR_SIGNATURE, sig, sizeof sig);
        }
    }
    const double *row = w->post + (size_t)l * V;
    for (int v = 0; v < V; v++) logp[v] = log(fmax(row[v], np->min_prob));
}
