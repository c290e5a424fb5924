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
    np->post = xmalloc(sizeof(double) * (size_t)np->L * (size_t)V);
    np->cached_symbols = xmalloc(sizeof(int32_t) * (size_t)np->L);
    np->cached_run_start = -1;
}

void ngram_prior_free(ngram_prior *np) {
    ngram_model_free(&np->model);
    ngram_marginals_free(np->marginals);
    free(np->post);
    free(np->cached_symbols);
    memset(np, 0, sizeof *np);
}

void ngram_prior_logp(void *user, const int32_t *symbols, int l, double *logp) {
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
    /* The run's marginals serve all its positions until a symbol changes. */
    if (!(np->cached_run_start == a && np->cached_run_end == e &&
          memcmp(np->cached_symbols, symbols, sizeof(int32_t) * (size_t)L) == 0)) {
        ngram_marginals_compute(np->marginals, symbols + a - nl, nl, e - a, symbols + e, nr, np->post);
        memcpy(np->cached_symbols, symbols, sizeof(int32_t) * (size_t)L);
        np->cached_run_start = a;
        np->cached_run_end = e;
    }
    const double *row = np->post + (size_t)(l - a) * V;
    for (int v = 0; v < V; v++) logp[v] = log(fmax(row[v], 1e-300));
}
