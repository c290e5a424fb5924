/* The CPU backend's worker pool (kernels/cpu/cpu_parallel.c): every item of
 * every job runs exactly once, share s always covers the same items and runs
 * with tid = s, what the workers wrote is visible when cpu_parallel_for
 * returns, and no wake-up is lost when jobs come back to back, after a pause
 * long enough for the workers to sleep, or when one share takes far longer
 * than the others. Also built with ThreadSanitizer (scripts/test-emu-tsan.sh),
 * where a missing ordering between the caller and a worker is a reported
 * race. A lost wake-up shows as a hang, which ctest's timeout reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "cpu_internal.h"

static int failures;
#define CHECK(c, ...)                                            \
    do {                                                         \
        if (!(c)) {                                              \
            if (failures++ < 10) {                               \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
                fprintf(stderr, __VA_ARGS__);                    \
                fputc('\n', stderr);                             \
            }                                                    \
        }                                                        \
    } while (0)

#define MAX_ITEMS 4096

typedef struct job {
    long long n;
    int threads;
    int slow_share;        /* this share spins a while (-1: none) */
    int hits[MAX_ITEMS];   /* plain ints: each item belongs to one share */
    int share_of[MAX_ITEMS];
    int bad_range;         /* written by the share that saw a wrong range */
} job;

static void busy_wait_us(int us) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000LL + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

static void record(void *p, long long begin, long long end, int tid) {
    job *j = p;
    long long per = (j->n + j->threads - 1) / j->threads;
    if (tid < 0 || tid >= j->threads || begin != per * tid || end != (begin + per < j->n ? begin + per : j->n))
        j->bad_range = 1;
    if (tid == j->slow_share) busy_wait_us(200);
    for (long long i = begin; i < end; i++) {
        j->hits[i]++;
        j->share_of[i] = tid;
    }
}

/* Runs `jobs` jobs on a pool of `threads`, sleeping `pause_us` between them,
 * and checks each one as soon as cpu_parallel_for returns. */
static void run_jobs(backend *be, int threads, int jobs, int pause_us, int slow) {
    static job j;
    for (int k = 0; k < jobs; k++) {
        memset(&j, 0, sizeof j);
        j.threads = threads;
        j.n = threads + (k * 7919) % (MAX_ITEMS - threads);
        j.slow_share = slow ? k % threads : -1;
        cpu_parallel_for(be, j.n, 1, record, &j);
        long long per = (j.n + threads - 1) / threads;
        int ok = !j.bad_range;
        for (long long i = 0; i < j.n && ok; i++) ok = j.hits[i] == 1 && j.share_of[i] == (int)(i / per);
        for (long long i = j.n; i < MAX_ITEMS && ok; i++) ok = j.hits[i] == 0;
        CHECK(ok, "threads %d, job %d (n %lld, pause %d us, slow share %d): an item ran other than once, "
                  "or in the wrong share", threads, k, j.n, pause_us, j.slow_share);
        if (pause_us) {
            struct timespec d = {0, pause_us * 1000L};
            nanosleep(&d, NULL);
        }
    }
}

int main(void) {
    for (int threads = 2; threads <= 4; threads++) {
        /* The pool alone, without the rest of the CPU backend (whose
         * libraries and function clones ThreadSanitizer cannot take). */
        static cpu_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        cpu_pool_start(&ctx, threads);
        backend pool = {.ops = NULL, .ctx = &ctx, .threads = threads}, *be = &pool;
        run_jobs(be, threads, 20000, 0, 0);   /* back to back: the workers spin */
        run_jobs(be, threads, 300, 300, 0);   /* the workers fall asleep between jobs */
        run_jobs(be, threads, 300, 0, 1);     /* one share far slower than the rest */
        run_jobs(be, threads, 100, 300, 1);
        cpu_pool_stop(&ctx);
        printf("pool of %d threads: every item once, in its own share\n", threads);
    }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("cpu pool: ok\n");
    return 0;
}
