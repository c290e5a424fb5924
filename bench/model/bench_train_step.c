/* Training-iteration benchmark of the network on the CPU backend: ms per
 * iteration (forward + backward + Adam on a random d_eps), achieved GFLOP/s,
 * the time split between GEMM, the S4 operations and everything else (timed
 * by wrapping the backend's operation table, in wall time and in process CPU
 * time: the CPU split is the one to trust on a shared, loaded machine), peak
 * RSS and the model's own memory accounting.
 *   bench_train_step [--preset tiny|small|paper|all] [--threads 2] [--iters N] [--batch B] [--length L] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "backend.h"
#include "philox.h"
#include "sssd.h"
#include "timer.h"

/* ---- op-class timing: the CPU table with GEMM and S4 entries wrapped ---- */
static const backend_ops *inner;
static backend_ops timed;
static double t_gemm, t_s4, c_gemm, c_s4, gemm_flops;

/* CPU time of all threads of the process (the backend's pools included) */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall and CPU time of one wrapped call, added to (*wall, *cpu). */
#define TIMED_CALL(wall, cpu, call)                      \
    do {                                                 \
        double w0_ = now_seconds(), c0_ = cpu_seconds(); \
        call;                                            \
        *(cpu) += cpu_seconds() - c0_;                   \
        *(wall) += now_seconds() - w0_;                  \
    } while (0)

static void timed_gemm(backend *be, int ta, int tb, int m, int n, int k, double alpha, const real_t *A, int lda,
                       long long sa, const real_t *B, int ldb, long long sb, double beta, real_t *C, int ldc,
                       long long sc, int batch) {
    TIMED_CALL(&t_gemm, &c_gemm, inner->gemm(be, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch));
    gemm_flops += 2.0 * m * n * k * batch;
}
static void timed_s4_kf(backend *be, s4_frozen fz, const real_t *C, real_t *K) {
    TIMED_CALL(&t_s4, &c_s4, inner->s4_kernel_forward(be, fz, C, K));
}
static void timed_s4_kb(backend *be, s4_frozen fz, const real_t *dK, real_t *dC) {
    TIMED_CALL(&t_s4, &c_s4, inner->s4_kernel_backward(be, fz, dK, dC));
}
static void timed_s4_cf(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B, int H, int L) {
    TIMED_CALL(&t_s4, &c_s4, inner->s4_conv_forward(be, u, K, D, y, B, H, L));
}
static void timed_s4_cb(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy, real_t *du,
                        real_t *dK, real_t *dD, int B, int H, int L) {
    TIMED_CALL(&t_s4, &c_s4, inner->s4_conv_backward(be, u, K, D, dy, du, dK, dD, B, H, L));
}

static void bench(const char *preset, int threads, int iters, int batch, int length) {
    sssd_config cfg;
    error_info err;
    if (sssd_config_preset(preset, length, &cfg, &err)) die("%s", err.message);
    backend *be = backend_cpu_create(threads);
    inner = be->ops;
    timed = *inner;
    timed.gemm = timed_gemm;
    timed.s4_kernel_forward = timed_s4_kf;
    timed.s4_kernel_backward = timed_s4_kb;
    timed.s4_conv_forward = timed_s4_cf;
    timed.s4_conv_backward = timed_s4_cb;
    be->ops = &timed;

    double t0 = now_seconds();
    sssd_model *m = sssd_model_create(&cfg, be, batch, 1);
    double t_create = now_seconds() - t0;
    int L = cfg.s4_lmax;
    long long n = (long long)batch * L, np = sssd_model_num_params(m);
    real_t *noisy = be->ops->alloc(be, (size_t)n * sizeof(real_t)), *cond = be->ops->alloc(be, 2 * (size_t)n * sizeof(real_t));
    real_t *eps = be->ops->alloc(be, (size_t)n * sizeof(real_t)), *deps = be->ops->alloc(be, (size_t)n * sizeof(real_t));
    int32_t *t = be->ops->alloc(be, (size_t)batch * sizeof(int32_t));
    for (long long i = 0; i < n; i++) {
        noisy[i] = philox_normal(1, 1, (uint64_t)i);
        deps[i] = 1e-3f * philox_normal(1, 2, (uint64_t)i);
    }
    for (int b = 0; b < batch; b++) {
        t[b] = (int32_t)(philox_u32(1, 3, (uint64_t)b) % (uint32_t)cfg.T);
        for (int l = 0; l < L; l++) {
            real_t mask = (l >= L / 2 && l < L / 2 + 10) ? 0 : 1;
            cond[(long long)(2 * b) * L + l] = mask * (real_t)(1 + l % 17);
            cond[(long long)(2 * b + 1) * L + l] = mask;
        }
    }
    adam_params ap = {2e-4, 0.9, 0.999, 1e-8, 0.0, 0};
    double tf = 0, tb = 0, ta = 0, cpu0 = 0;
    for (int it = -1; it < iters; it++) { /* iteration -1 warms caches and FFT plans */
        if (it == 0) {
            t_gemm = t_s4 = c_gemm = c_s4 = gemm_flops = tf = tb = ta = 0;
            cpu0 = cpu_seconds();
        }
        double a = now_seconds();
        sssd_zero_grads(m);
        sssd_forward(m, batch, noisy, cond, t, eps);
        double b = now_seconds();
        sssd_backward(m, deps);
        double c = now_seconds();
        ap.step = it + 2;
        be->ops->adam_update(be, sssd_model_params(m), sssd_model_grads(m), sssd_model_adam_m(m), sssd_model_adam_v(m),
                             np, ap);
        double d = now_seconds();
        tf += b - a;
        tb += c - b;
        ta += d - c;
    }
    double total = tf + tb + ta, per = total / iters, cpu_per = (cpu_seconds() - cpu0) / iters;
    /* training FLOPs: forward + backward (2 x forward for the GEMMs and about that for the rest) */
    double flops = 3.0 * sssd_forward_flops(&cfg, batch);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-6s C=%d x %d layers, N=%d, L=%d, batch %d, %d threads, %lld params (model built in %.2f s)\n", preset,
           cfg.res_channels, cfg.num_res_layers, cfg.s4_d_state, L, batch, threads, np, t_create);
    printf("  %.2f ms/iteration (forward %.2f, backward %.2f, adam %.2f) over %d iterations\n", 1e3 * per,
           1e3 * tf / iters, 1e3 * tb / iters, 1e3 * ta / iters, iters);
    printf("  process CPU time %.2f ms/iteration (%.2f cores busy on average; compare with %d threads)\n",
           1e3 * cpu_per, cpu_per / per, threads);
    printf("  %.1f GFLOP/s overall (%.2f GFLOP per iteration); GEMM alone %.1f GFLOP/s\n", flops / per * 1e-9,
           flops * 1e-9, gemm_flops / t_gemm * 1e-9);
    double other = total - t_gemm - t_s4;
    printf("  wall-time share: GEMM %.1f%%, S4 ops %.1f%%, everything else %.1f%% (non-GEMM / GEMM = %.2f)\n",
           100 * t_gemm / total, 100 * t_s4 / total, 100 * other / total, (total - t_gemm) / t_gemm);
    double cpu_total = cpu_per * iters, cpu_other = cpu_total - c_gemm - c_s4;
    printf("  CPU-time share: GEMM %.1f%% (%.1f ms/it), S4 ops %.1f%% (%.1f), everything else %.1f%% (%.1f) "
           "(non-GEMM / GEMM = %.2f)\n",
           100 * c_gemm / cpu_total, 1e3 * c_gemm / iters, 100 * c_s4 / cpu_total, 1e3 * c_s4 / iters,
           100 * cpu_other / cpu_total, 1e3 * cpu_other / iters, (cpu_total - c_gemm) / c_gemm);
    printf("  memory: model %.1f MiB (backend accounting), peak RSS %.1f MiB\n",
           sssd_model_memory_bytes(m) / 1048576.0, ru.ru_maxrss / 1024.0);
    be->ops->free(be, noisy);
    be->ops->free(be, cond);
    be->ops->free(be, eps);
    be->ops->free(be, deps);
    be->ops->free(be, t);
    sssd_model_free(m);
    be->ops = inner;
    backend_free(be);
}

int main(int argc, char **argv) {
    backend_cpu_choose_blas_kernels("bench_train_step", argv); /* first: it may execute the program again */
    const char *preset = "all";
    int threads = 2, iters = 0, batch = 0, length = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--preset")) preset = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--length")) length = atoi(argv[i + 1]);
        else die("unknown option %s", argv[i]);
    }
    const char *all[] = {"tiny", "small"};
    for (int k = 0; k < 2; k++) {
        const char *p = !strcmp(preset, "all") ? all[k] : preset;
        bench(p, threads, iters ? iters : (!strcmp(p, "tiny") ? 10 : 3), batch ? batch : 32, length);
        if (strcmp(preset, "all")) break;
    }
    return 0;
}
