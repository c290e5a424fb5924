/* Softmax cross-entropy of a categorical head on the CPU: loss and gradient
 * over the channel (class) dimension of (B, V, L) logits at weighted positions. */
#include <stdlib.h>

#include "cpu_internal.h"
#include "error.h"

typedef struct xent_job {
    backend *be;
    const real_t *logits, *w;
    const int32_t *target;
    real_t *dlogits;
    double *item_loss; /* (B): weighted loss sum of each batch item */
    double sum_w;
    int V, L;
} xent_job;

/* One batch item per task. Classes are strided by L, so every pass runs over
 * v outside and l inside: contiguous rows of L instead of V jumps of L per
 * column. Per-column max and sum live in the thread's scratch. Everything is
 * in double; the item's loss is kept apart so the total does not depend on
 * how the items were split over threads. */
static void xent_range(void *p, long long begin, long long end, int tid) {
    xent_job *j = p;
    int V = j->V, L = j->L;
    double *mx = cpu_scratch(j->be, tid, 2 * (size_t)L * sizeof(double)), *rs = mx + L;
    for (long long b = begin; b < end; b++) {
        const real_t *x = j->logits + b * V * L, *w = j->w + b * L;
        const int32_t *t = j->target + b * L;
        real_t *d = j->dlogits + b * V * L;
        for (int l = 0; l < L; l++) mx[l] = (double)x[l];
        for (int v = 1; v < V; v++)
            for (int l = 0; l < L; l++) mx[l] = fmax(mx[l], (double)x[(long long)v * L + l]);
        for (int l = 0; l < L; l++) rs[l] = 0;
        for (int v = 0; v < V; v++)
            for (int l = 0; l < L; l++) rs[l] += exp((double)x[(long long)v * L + l] - mx[l]);
        double loss = 0;
        for (int l = 0; l < L; l++) {
            if (!(w[l] > 0)) continue;
            double lse = mx[l] + log(rs[l]);
            int has_class = t[l] >= 0 && t[l] < V;
            loss += (double)w[l] * (has_class ? lse - (double)x[(long long)t[l] * L + l] : lse);
            rs[l] = 1.0 / rs[l];
        }
        j->item_loss[b] = loss;
        for (int v = 0; v < V; v++) {
            const real_t *xv = x + (long long)v * L;
            real_t *dv = d + (long long)v * L;
            for (int l = 0; l < L; l++) {
                if (!(w[l] > 0)) {
                    dv[l] = 0;
                    continue;
                }
                double prob = exp((double)xv[l] - mx[l]) * rs[l];
                dv[l] = (real_t)((double)w[l] / j->sum_w * (prob - (t[l] == v ? 1.0 : 0.0)));
            }
        }
    }
}

double cpu_softmax_xent(backend *be, const real_t *logits, const int32_t *target, const real_t *w, real_t *dlogits,
                        int B, int V, int L) {
    long long n = (long long)B * L;
    if (n <= 0 || V <= 0) return 0.0;
    double sum_w = 0;
    for (long long i = 0; i < n; i++)
        if (w[i] > 0) sum_w += (double)w[i];
    if (!(sum_w > 0)) {
        for (long long i = 0; i < n * V; i++) dlogits[i] = 0;
        return 0.0;
    }
    xent_job j = {be, logits, w, target, dlogits, xcalloc((size_t)B, sizeof(double)), sum_w, V, L};
    cpu_parallel_for(be, B, CPU_PARALLEL_MIN / ((long long)V * L + 1) + 1, xent_range, &j);
    double total = 0;
    for (int b = 0; b < B; b++) total += j.item_loss[b];
    free(j.item_loss);
    return total / sum_w;
}
