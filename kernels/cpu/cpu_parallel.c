/* The CPU backend's worker pool: a fixed set of threads started with the
 * backend that split range jobs with the calling thread, plus per-thread
 * scratch memory. Persistent threads because a pointwise op on a training
 * batch takes ~0.1-1 ms, comparable to creating a thread.
 *
 * A training step of `small` runs about two thousand jobs, most of them
 * 0.1-1 ms long. Waking a sleeping thread through the kernel takes tens of
 * microseconds (more under a hypervisor), and with a fixed thread per share
 * the caller then sat idle, having done its own share, until the late
 * worker finished: 12-14% of a 2-thread step's CPU time went idle that way.
 * So a job is cut into one share per thread, as before, but any thread may
 * claim any share, and threads spin a short while after a job before they
 * sleep, so that the next job finds them awake.
 *
 * Share s always covers the same items and runs with tid = s, so results do
 * not depend on which thread ran it: the per-share partial sums of the
 * reductions are the same on every run. */
#include "cpu_internal.h"
#include "cpu_denormals.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#include "error.h"

/* How long a thread spins for the next job (a worker) or for the others to
 * finish (the caller) before it sleeps. Long enough to bridge the caller's
 * own work between two jobs of a step, short enough that an idle pool costs
 * nothing noticeable. */
#define CPU_SPIN_NS 50000

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Spins until done(ctx, v) holds or CPU_SPIN_NS pass; returns whether it holds. */
static int spin_until(cpu_ctx *ctx, unsigned long v, int (*done)(cpu_ctx *, unsigned long)) {
    long long deadline = 0;
    for (int i = 0;; i++) {
        if (done(ctx, v)) return 1;
        CPU_RELAX();
        if ((i & 63) == 63) {
            long long t = now_ns();
            if (!deadline) deadline = t + CPU_SPIN_NS;
            else if (t >= deadline) return 0;
        }
    }
}

/* Waits until done(ctx, v) holds: spins first, then sleeps on `cv`,
 * counted in `asleep` while it does. The count goes up before the last look
 * at the condition, and the thread that makes the condition true changes it
 * before it looks at the count, so one of the two sees the other (both are
 * sequentially consistent) and no wake-up is lost. */
static void wait_until(cpu_ctx *ctx, unsigned long v, int (*done)(cpu_ctx *, unsigned long), _Atomic int *asleep,
                       pthread_cond_t *cv) {
    if (spin_until(ctx, v, done)) return;
    pthread_mutex_lock(&ctx->lock);
    atomic_fetch_add(asleep, 1);
    while (!done(ctx, v)) pthread_cond_wait(cv, &ctx->lock);
    atomic_fetch_sub(asleep, 1);
    pthread_mutex_unlock(&ctx->lock);
}

static int new_job(cpu_ctx *ctx, unsigned long seen) {
    return atomic_load(&ctx->generation) != seen || atomic_load(&ctx->stop);
}

static int job_finished(cpu_ctx *ctx, unsigned long shares) {
    return atomic_load(&ctx->shares_done) == (int)shares;
}

/* Claims and runs shares of job `job` until none is left; a thread that saw
 * the job late claims nothing, because the counter names the job. */
static void run_shares(cpu_ctx *ctx, unsigned long job) {
    const int shares = ctx->nthreads;
    unsigned long long c = atomic_load(&ctx->claim);
    for (;;) {
        if ((c >> 32) != (job & 0xffffffffUL) || (int)(c & 0xffffffffULL) >= shares) return;
        if (!atomic_compare_exchange_weak(&ctx->claim, &c, c + 1)) continue;
        int s = (int)(c & 0xffffffffULL);
        /* The claim succeeded, so the caller waits for this share: the job's
         * fields stay as it published them. */
        long long n = ctx->n, per = (n + shares - 1) / shares;
        long long begin = per * s, end = begin + per < n ? begin + per : n;
        if (begin < end) ctx->fn(ctx->arg, begin, end, s);
        if (atomic_fetch_add(&ctx->shares_done, 1) + 1 == shares && atomic_load(&ctx->caller_asleep)) {
            pthread_mutex_lock(&ctx->lock);
            pthread_cond_signal(&ctx->done);
            pthread_mutex_unlock(&ctx->lock);
        }
        c = atomic_load(&ctx->claim);
    }
}

static void *worker_main(void *p) {
    cpu_ctx *ctx = p;
    unsigned long seen = 0;
    cpu_flush_denormals_begin(); /* for the worker's whole life: it runs backend jobs only */
    for (;;) {
        wait_until(ctx, seen, new_job, &ctx->sleepers, &ctx->wake);
        if (atomic_load(&ctx->stop)) break;
        seen = atomic_load(&ctx->generation);
        run_shares(ctx, seen);
    }
    return NULL;
}

void cpu_pool_start(cpu_ctx *ctx, int nthreads) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > CPU_MAX_THREADS) nthreads = CPU_MAX_THREADS;
    ctx->nthreads = nthreads;
    atomic_init(&ctx->claim, 0);
    atomic_init(&ctx->shares_done, 0);
    atomic_init(&ctx->generation, 0);
    atomic_init(&ctx->stop, 0);
    atomic_init(&ctx->sleepers, 0);
    atomic_init(&ctx->caller_asleep, 0);
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->wake, NULL);
    pthread_cond_init(&ctx->done, NULL);
    for (int t = 1; t < nthreads; t++)
        if (pthread_create(&ctx->workers[t], NULL, worker_main, ctx) != 0)
            die("cannot start CPU worker thread %d (resource limits?)", t);
}

void cpu_pool_stop(cpu_ctx *ctx) {
    pthread_mutex_lock(&ctx->lock);
    atomic_store(&ctx->stop, 1);
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
    /* Every thread of the last job has finished its shares, so nobody reads
     * these fields now; the job number published below orders them. */
    unsigned long job = atomic_load(&ctx->generation) + 1;
    ctx->fn = fn;
    ctx->arg = arg;
    ctx->n = n;
    atomic_store(&ctx->shares_done, 0);
    atomic_store(&ctx->claim, (unsigned long long)(job & 0xffffffffUL) << 32);
    atomic_store(&ctx->generation, job);
    if (atomic_load(&ctx->sleepers) > 0) {
        pthread_mutex_lock(&ctx->lock);
        pthread_cond_broadcast(&ctx->wake);
        pthread_mutex_unlock(&ctx->lock);
    }
    run_shares(ctx, job);
    wait_until(ctx, (unsigned long)ctx->nthreads, job_finished, &ctx->caller_asleep, &ctx->done);
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
