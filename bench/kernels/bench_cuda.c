/* GPU benchmark of the CUDA backend: time of one training iteration
 * (forward, masked loss, backward, Adam) and sampling throughput in generated
 * events per second (T network passes per batch of windows, every position
 * generated), for the "small" and "paper" presets at L = 200. Prints
 * "no CUDA device" and exits 0 on machines without one.
 * Usage: bench_cuda [iterations (default 10)] [preset ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "diffusion.h"
#include "sssd.h"
#include "timer.h"

typedef struct bench_case {
    const char *preset;
    int batch;
} bench_case;

static void run_case(backend *be, const bench_case *bc, int iters) {
    sssd_config cfg;
    error_info err;
    int L = 200;
    if (sssd_config_preset(bc->preset, L, &cfg, &err) != 0) {
        fprintf(stderr, "preset %s: %s\n", bc->preset, err.message);
        exit(1);
    }
    int B = bc->batch;
    sssd_model *m = sssd_model_create(&cfg, be, B, 1);
    size_t n = (size_t)B * L;
    real_t *x0 = be->ops->alloc(be, n * sizeof(real_t)), *eps = be->ops->alloc(be, n * sizeof(real_t));
    real_t *mask = be->ops->alloc(be, n * sizeof(real_t)), *z = be->ops->alloc(be, n * sizeof(real_t));
    real_t *x_t = be->ops->alloc(be, n * sizeof(real_t)), *pred = be->ops->alloc(be, n * sizeof(real_t));
    real_t *dpred = be->ops->alloc(be, n * sizeof(real_t)), *cond = be->ops->alloc(be, 2 * n * sizeof(real_t));
    real_t *abar = be->ops->alloc(be, (size_t)cfg.T * sizeof(real_t));
    int32_t *t = be->ops->alloc(be, (size_t)B * sizeof(int32_t));
    diffusion_schedule sch;
    diffusion_schedule_init(&sch, cfg.T, cfg.beta_0, cfg.beta_T);
    real_t *abar_h = malloc((size_t)cfg.T * sizeof *abar_h);
    int32_t *t_h = malloc((size_t)B * sizeof *t_h);
    for (int i = 0; i < cfg.T; i++) abar_h[i] = (real_t)sch.abar[i];
    for (int b = 0; b < B; b++) t_h[b] = (b * 37) % cfg.T;
    be->ops->upload(be, abar, abar_h, (size_t)cfg.T * sizeof(real_t));
    be->ops->upload(be, t, t_h, (size_t)B * sizeof(int32_t));
    be->ops->normal_fill(be, x0, (long long)n, 1, 1, 0);
    long long np = sssd_model_num_params(m);
    adam_params ap = {2e-4, 0.9, 0.999, 1e-8, 0.0, 1};

    /* training: the first iteration warms up (scratch, cuBLAS heuristics) */
    double t_train = 0;
    for (int it = 0; it <= iters; it++) {
        be->ops->synchronize(be);
        double t0 = now_seconds();
        be->ops->normal_fill(be, eps, (long long)n, 1, 2, (unsigned long long)it * n);
        be->ops->diffusion_noise(be, x0, eps, mask, t, abar, z, x_t, B, L);
        sssd_zero_grads(m);
        sssd_forward(m, B, x_t, cond, t, pred);
        be->ops->masked_mse(be, pred, z, mask, dpred, B, L);
        sssd_backward(m, dpred);
        ap.step = it + 1;
        be->ops->adam_update(be, sssd_model_params(m), sssd_model_grads(m), sssd_model_adam_m(m),
                             sssd_model_adam_v(m), np, ap);
        be->ops->synchronize(be);
        if (it > 0) t_train += now_seconds() - t0;
    }
    t_train /= iters;

    /* sampling: time network passes plus the DDPM update; extrapolate to T */
    int passes = iters < 5 ? 5 : iters;
    double t_pass = 0;
    for (int p = 0; p <= passes; p++) {
        be->ops->synchronize(be);
        double t0 = now_seconds();
        be->ops->apply_observed(be, x_t, x0, mask, (long long)n);
        sssd_forward(m, B, x_t, cond, t, pred);
        be->ops->normal_fill(be, eps, (long long)n, 1, 3, (unsigned long long)p * n);
        be->ops->ddpm_step(be, x_t, pred, eps, sch.beta[10], sch.abar[10], sch.alpha[10], sch.sigma[10], (long long)n);
        be->ops->synchronize(be);
        if (p > 0) t_pass += now_seconds() - t0;
    }
    t_pass /= passes;
    double t_sample = t_pass * cfg.T;
    printf("%-6s C=%-3d layers=%-2d B=%-3d L=%d params=%lld | train %.2f ms/iter (%.1f GFLOP/s fwd) | sample %.3f s per "
           "batch of %d windows (T=%d) = %.0f events/s\n",
           bc->preset, cfg.res_channels, cfg.num_res_layers, B, L, np, 1e3 * t_train,
           sssd_forward_flops(&cfg, B) / t_pass * 1e-9, t_sample, B, cfg.T, (double)n / t_sample);
    fflush(stdout);
    real_t *bufs[] = {x0, eps, mask, z, x_t, pred, dpred, cond, abar};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->ops->free(be, bufs[i]);
    be->ops->free(be, t);
    free(abar_h), free(t_h);
    diffusion_schedule_free(&sch);
    sssd_model_free(m);
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 10;
    if (iters < 1) iters = 1;
    char why[512] = "";
    backend *be = backend_cuda_create(why, sizeof why);
    if (!be) {
        printf("no CUDA device: nothing to measure (%s)\n", why);
        return 0;
    }
    bench_case cases[] = {{"small", 32}, {"paper", 64}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int wanted = argc <= 2;
        for (int a = 2; a < argc; a++) wanted |= strcmp(argv[a], cases[i].preset) == 0;
        if (wanted) run_case(be, &cases[i], iters);
    }
    backend_free(be);
    return 0;
}
