/* Prints (1) bit-parallel LCS pairs per second at L = 200 on one core, next to
 * the plain dynamic program, and (2) the wall time of a full evaluation of
 * 1,000 generated against 10,000 real windows: synthetic traces over a 60-event
 * Zipf alphabet (entry/exit pairs, as in the ICSE'25 data), or, given a
 * directory in the paper layout, its testing windows against its training
 * windows.
 *   bench_evaluate [DATASET_DIR] */
#include "error.h"
#include "evaluation.h"
#include "lcs.h"
#include "philox.h"
#include "timer.h"
#include "windows.h"

#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define L 200

/* CPU time of this thread: on a machine shared with other work, wall time
 * understates what one core does; both are printed. */
static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#define ALPHABET 60

/* A trace of `n` events: Zipf(1.1) event IDs 1..60, each emitted twice (entry and exit). */
static int32_t *zipf_trace(int64_t n, uint64_t seed) {
    double cdf[ALPHABET], total = 0;
    for (int i = 0; i < ALPHABET; i++) total += 1.0 / pow(i + 1, 1.1);
    double acc = 0;
    for (int i = 0; i < ALPHABET; i++) cdf[i] = (acc += 1.0 / pow(i + 1, 1.1) / total);
    int32_t *t = xmalloc((size_t)n * sizeof *t);
    for (int64_t i = 0; i < n; i += 2) {
        double u = philox_u32(seed, 0, (uint64_t)i) / 4294967296.0;
        int id = 0;
        while (id < ALPHABET - 1 && cdf[id] < u) id++;
        t[i] = id + 1;
        if (i + 1 < n) t[i + 1] = id + 1;
    }
    return t;
}

static void windows_from_trace(const int32_t *trace, int64_t count, int stride, window_set *ws) {
    window_set_init(ws, count, L);
    for (int64_t i = 0; i < count; i++) memcpy(ws->ids + i * L, trace + i * stride, L * sizeof(int32_t));
}

static void bench_lcs(void) {
    int n_rows = 200, n_cols = 5000;
    int32_t *a = zipf_trace((int64_t)n_rows * L, 1), *b = zipf_trace((int64_t)n_cols * L, 2);
    lcs_profile p;
    lcs_profile_create(&p, L, ALPHABET + 1);
    long long sum = 0;
    double t0 = now_seconds(), c0 = thread_cpu_seconds();
    for (int i = 0; i < n_rows; i++) {
        lcs_profile_set(&p, a + (int64_t)i * L, L);
        for (int j = 0; j < n_cols; j++) sum += lcs_bitparallel(&p, b + (int64_t)j * L, L);
    }
    double dt = now_seconds() - t0, dc = thread_cpu_seconds() - c0;
    double pairs = (double)n_rows * n_cols;
    printf("bit-parallel LCS, L=%d, one core: %.0f pairs in %.3f s wall = %.2f million pairs/s "
           "(%.2f million per CPU-second; checksum %lld)\n",
           L, pairs, dt, pairs / dt / 1e6, pairs / dc / 1e6, sum);
    int dp_pairs = 2000;
    t0 = now_seconds();
    sum = 0;
    for (int j = 0; j < dp_pairs; j++) sum += lcs_dp(a, L, b + (int64_t)j * L, L);
    dt = now_seconds() - t0;
    printf("plain DP LCS,     L=%d, one core: %.0f pairs/s (for comparison)\n", L, dp_pairs / dt);
    lcs_profile_free(&p);
    free(a);
    free(b);
}

static void bench_full(const char *dir) {
    char gen_path[4200], real_path[4200], tmpdir[] = "/tmp/bench_evaluate.XXXXXX";
    if (!mkdtemp(tmpdir)) die("cannot create a temporary directory");
    if (dir) {
        snprintf(gen_path, sizeof gen_path, "%s/testing", dir);
        snprintf(real_path, sizeof real_path, "%s/training", dir);
    } else {
        window_set gen, real;
        int32_t *tg = zipf_trace(1000LL * 5 + L, 3), *tr = zipf_trace(10000LL * 5 + L, 4);
        windows_from_trace(tg, 1000, 5, &gen);
        windows_from_trace(tr, 10000, 5, &real);
        snprintf(gen_path, sizeof gen_path, "%s/generated.txt", tmpdir);
        snprintf(real_path, sizeof real_path, "%s/real.txt", tmpdir);
        error_info err;
        if (windows_write_text(gen_path, &gen, &err) || windows_write_text(real_path, &real, &err)) die("%s", err.message);
        window_set_free(&gen);
        window_set_free(&real);
        free(tg);
        free(tr);
    }
    eval_config cfg = {.generated = gen_path, .real = real_path, .threads = 2};
    eval_result res;
    error_info err;
    struct timespec c;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    double t0 = now_seconds(), c0 = (double)c.tv_sec + 1e-9 * (double)c.tv_nsec;
    if (eval_run(&cfg, &res, &err)) die("%s", err.message);
    double dt = now_seconds() - t0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    double dc = (double)c.tv_sec + 1e-9 * (double)c.tv_nsec - c0;
    printf("full evaluation (%s): %lld generated x %lld real windows, L=%d: %.2f s wall, %.2f CPU-s in all "
           "(nearest-neighbour ROUGE-L %.2f s on %d threads = %.2f million pairs/s); NN gen->real %.2f%%\n",
           dir ? dir : "synthetic Zipf", (long long)res.gen.count, (long long)res.real_ws.count, res.gen.length, dt, dc,
           res.nn.seconds, res.nn.threads, res.nn.pairs / res.nn.seconds / 1e6, res.nn.mean_gen_to_real);
    eval_result_free(&res);
    if (!dir) {
        unlink(gen_path);
        unlink(real_path);
    }
    rmdir(tmpdir);
}

int main(int argc, char **argv) {
    error_set_program_name("bench_evaluate");
    bench_lcs();
    bench_full(argc > 1 ? argv[1] : NULL);
    return 0;
}
