/* The CPU backend's worker pool: a fixed set of threads started with the
 * backend that split range jobs with the calling thread, plus per-thread
 * scratch memory. Persistent threads because a pointwise op on a training
 * batch takes ~0.1-1 ms, comparable to creating a thread. */
#include "cpu_internal.h"
#include "cpu_denormals.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

static void run_share(cpu_ctx *ctx, int tid) {
    long long n = ctx->n, per = (n + ctx->nthreads - 1) / ctx->nthreads;
    long long begin = per * tid, end = begin + per < n ? begin + per : n;
    if (begin < end) ctx->fn(ctx->arg, begin, end, tid);
}

static void *worker_main(void *p) {
    cpu_worker_arg *wa = p;
    cpu_ctx *ctx = wa->ctx;
    unsigned long seen = 0;
    cpu_flush_denormals_begin(); /* for the worker's whole life: it runs backend jobs only */
    pthread_mutex_lock(&ctx->lock);
    for (;;) {
        while (!ctx->stop && ctx->generation == seen) pthread_cond_wait(&ctx->wake, &ctx->lock);
        if (ctx->stop) break;
        seen = ctx->generation;
        pthread_mutex_unlock(&ctx->lock);
        run_share(ctx, wa->tid);
        pthread_mutex_lock(&ctx->lock);
        if (--ctx->pending == 0) pthread_cond_signal(&ctx->done);
    }
    pthread_mutex_unlock(&ctx->lock);
    return NULL;
}

void cpu_pool_start(cpu_ctx *ctx, int nthreads) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > CPU_MAX_THREADS) nthreads = CPU_MAX_THREADS;
    ctx->nthreads = nthreads;
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->wake, NULL);
    pthread_cond_init(&ctx->done, NULL);
    for (int t = 1; t < nthreads; t++) {
        cpu_worker_arg *wa = &ctx->worker_args[t];
        wa->ctx = ctx;
        wa->tid = t;
        if (pthread_create(&ctx->workers[t], NULL, worker_main, wa) != 0)
            die("cannot start CPU worker thread %d (resource limits?)", t);
    }
}

void cpu_pool_stop(cpu_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    ctx->stop = 1;
    pthread_cond_broadcast(&ctx->wake);
    pthread_mutex_unlock(&ctx->lock);
    for (int t = 1; t < ctx->nthreads; t++) pthread_join(ctx->workers[t], NULL);
    pthread_mutex_destroy(&ctx->lock);
    pthread_cond_destroy(&ctx->wake);
    pthread_cond_destroy(&ctx->done);
    for (int t = 0; t < CPU_MAX_THREADS; t++) free(ctx->scratch[t]);
}

void cpu_parallel_for(backend *be, long long n, long long min_parallel, cpu_range_fn fn, void *arg) {
    cpu_ctx *ctx = be->ctx;
    if (n <= 0) return;
    cpu_fp_mode caller_mode = cpu_flush_denormals_begin();
    if (ctx->nthreads <= 1 || n < min_parallel || n < ctx->nthreads) {
        fn(arg, 0, n, 0);
        cpu_flush_denormals_end(caller_mode);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->fn = fn;
    ctx->arg = arg;
    ctx->n = n;
    ctx->pending = ctx->nthreads - 1;
    ctx->generation++;
    pthread_cond_broadcast(&ctx->wake);
    pthread_mutex_unlock(&ctx->lock);
    run_share(ctx, 0);
    pthread_mutex_lock(&ctx->lock);
    while (ctx->pending > 0) pthread_cond_wait(&ctx->done, &ctx->lock);
    pthread_mutex_unlock(&ctx->lock);
    cpu_flush_denormals_end(caller_mode);
}

void *cpu_scratch(backend *be, int tid, size_t bytes) {
    cpu_ctx *ctx = be->ctx;
    if (ctx->scratch_size[tid] < bytes) {
        free(ctx->scratch[tid]);
        ctx->scratch[tid] = xmalloc(bytes);
        ctx->scratch_size[tid] = bytes;
    }
    return ctx->scratch[tid];
}
