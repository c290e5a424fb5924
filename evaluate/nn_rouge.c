/* Nearest-neighbour ROUGE-L with the bit-parallel LCS (see nn_rouge.h). Every
 * (generated, real) pair is scored once: a thread profiles one generated window
 * and scans all real windows, keeping the row best and its own column bests,
 * which are merged at the end. */
#include "nn_rouge.h"
#include "compare.h"
#include "lcs.h"
#include "timer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int dense_symbols(const window_set *const *sets, int nsets, int32_t **dense) {
    int64_t total = 0;
    for (int s = 0; s < nsets; s++) total += sets[s]->count * sets[s]->length;
    int32_t *all = xmalloc((size_t)(total ? total : 1) * sizeof *all);
    int64_t n = 0;
    for (int s = 0; s < nsets; s++) {
        memcpy(all + n, sets[s]->ids, (size_t)(sets[s]->count * sets[s]->length) * sizeof *all);
        n += sets[s]->count * sets[s]->length;
    }
    qsort(all, (size_t)n, sizeof *all, cmp_i32);
    int64_t a = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || all[i] != all[a - 1]) all[a++] = all[i];
    for (int s = 0; s < nsets; s++) {
        int64_t m = sets[s]->count * sets[s]->length;
        dense[s] = xmalloc((size_t)(m ? m : 1) * sizeof(int32_t));
        for (int64_t i = 0; i < m; i++) {
            const int32_t *hit = bsearch(&sets[s]->ids[i], all, (size_t)a, sizeof *all, cmp_i32);
            dense[s][i] = (int32_t)(hit - all);
        }
    }
    free(all);
    return (int)a;
}

typedef struct nn_job {
    const int32_t *gen, *real;
    int64_t n_gen, n_real;
    int length, alphabet, tid, threads;
    int *row_best;   /* (n_gen), shared; each row written by one thread */
    int *col_best;   /* (n_real), this thread's own */
} nn_job;

static void *nn_worker(void *arg) {
    nn_job *j = arg;
    lcs_profile prof;
    lcs_profile_create(&prof, j->length, j->alphabet);
    int L = j->length;
    for (int64_t i = j->tid; i < j->n_gen; i += j->threads) {
        lcs_profile_set(&prof, j->gen + i * L, L);
        int best = 0;
        for (int64_t r = 0; r < j->n_real; r++) {
            int l = lcs_bitparallel(&prof, j->real + r * L, L);
            if (l > best) best = l;
            if (l > j->col_best[r]) j->col_best[r] = l;
        }
        j->row_best[i] = best;
    }
    lcs_profile_free(&prof);
    return NULL;
}

void nn_rouge_compute(const window_set *gen, const window_set *real, int threads, nn_result *out) {
    memset(out, 0, sizeof *out);
    double t0 = now_seconds();
    const window_set *sets[2] = {gen, real};
    int32_t *dense[2];
    int alphabet = dense_symbols(sets, 2, dense);
    if (threads < 1) threads = 1;
    if (threads > gen->count) threads = gen->count > 0 ? (int)gen->count : 1;
    int *row_best = xcalloc((size_t)gen->count, sizeof(int));
    nn_job *jobs = xcalloc((size_t)threads, sizeof *jobs);
    pthread_t *tids = xcalloc((size_t)threads, sizeof *tids);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (nn_job){dense[0], dense[1], gen->count, real->count, gen->length, alphabet, t, threads, row_best,
                           xcalloc((size_t)real->count, sizeof(int))};
        if (t > 0 && pthread_create(&tids[t], NULL, nn_worker, &jobs[t]) != 0)
            die("cannot start a worker thread for nearest-neighbour ROUGE-L");
    }
    nn_worker(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(tids[t], NULL);
    double L = gen->length;
    out->best_gen = xcalloc((size_t)gen->count, sizeof(double));
    out->best_real = xcalloc((size_t)real->count, sizeof(double));
    double sg = 0, sr = 0;
    for (int64_t i = 0; i < gen->count; i++) {
        out->best_gen[i] = row_best[i] / L;
        sg += out->best_gen[i];
        out->gen_exact += row_best[i] == gen->length;
    }
    for (int64_t r = 0; r < real->count; r++) {
        int best = 0;
        for (int t = 0; t < threads; t++)
            if (jobs[t].col_best[r] > best) best = jobs[t].col_best[r];
        out->best_real[r] = best / L;
        sr += out->best_real[r];
    }
    out->mean_gen_to_real = gen->count ? 100.0 * sg / gen->count : 0;
    out->mean_real_to_gen = real->count ? 100.0 * sr / real->count : 0;
    out->pairs = gen->count * real->count;
    out->threads = threads;
    for (int t = 0; t < threads; t++) free(jobs[t].col_best);
    free(jobs);
    free(tids);
    free(row_best);
    free(dense[0]);
    free(dense[1]);
    out->seconds = now_seconds() - t0;
}

void nn_free(nn_result *r) {
    free(r->best_gen);
    free(r->best_real);
    memset(r, 0, sizeof *r);
}
