/* Micro-benchmark of the CPU S4 operations (float build): SSM kernel
 * generation forward/backward and the bidirectional convolution
 * forward/backward by both routes (FFT of length s4_conv_length(L), direct Toeplitz GEMM),
 * at the small preset (H = 256, L = 200, B = 32) and the paper's width
 * (H = 512). Prints the minimum wall time of several repetitions in ms.
 *
 *   bench_s4 [threads] [reps]        (defaults: 2 threads, 7 repetitions)
 *   bench_s4 threads reps sweep      convolution routes over L at B = 32, H = 256
 *                                    (the figures behind S4_CONV_DIRECT_MAX_L)
 * Figures are the minimum over the repetitions: on shared cores it is the
 * least disturbed by other load.
 *
 * H here is the width of one S4 layer (the layer acts on 2C channels: the
 * small preset's C = 128 gives H = 256, the paper's C = 256 gives H = 512). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "compare.h"
#include "cpu_s4.h"
#include "cpu_s4_internal.h"
#include "s4_init.h"
#include "timer.h"

typedef struct bench_ctx {
    backend *be;
    s4_frozen fz;
    real_t *C, *K, *dK, *dC, *u, *D, *y, *dy, *du, *dD;
    int B, H, L;
} bench_ctx;

enum { OP_KFWD, OP_KBWD, OP_CFWD, OP_CBWD };

static void run_op(bench_ctx *c, int op) {
    switch (op) {
    case OP_KFWD: cpu_s4_kernel_forward(c->be, c->fz, c->C, c->K); break;
    case OP_KBWD: cpu_s4_kernel_backward(c->be, c->fz, c->dK, c->dC); break;
    case OP_CFWD: cpu_s4_conv_forward(c->be, c->u, c->K, c->D, c->y, c->B, c->H, c->L); break;
    default: cpu_s4_conv_backward(c->be, c->u, c->K, c->D, c->dy, c->du, c->dK, c->dD, c->B, c->H, c->L); break;
    }
}

/* Minimum ms of `reps` timed runs after one warm-up run (plans, workspaces):
 * the minimum is the figure least disturbed by other load on shared cores. */
static double time_op(bench_ctx *c, int op, int reps) {
    double t[64];
    if (reps > 64) reps = 64;
    run_op(c, op);
    for (int r = 0; r < reps; r++) {
        double t0 = now_seconds();
        run_op(c, op);
        t[r] = 1e3 * (now_seconds() - t0);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    return t[0];
}

static real_t *alloc_fill(size_t n, unsigned seed) {
    real_t *p = malloc(sizeof(real_t) * n);
    if (!p) {
        fprintf(stderr, "bench_s4: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (real_t)((seed >> 8) / 8388608.0 - 1.0);
    }
    return p;
}

static void bench_config(int B, int H, int L, int threads, int reps) {
    const int N = 64, N2 = 32;
    size_t nh = (size_t)H * N;
    double *ld = malloc(sizeof(double) * H), *w = malloc(sizeof(double) * nh), *Bm = malloc(sizeof(double) * nh),
           *P = malloc(sizeof(double) * nh), *Q = malloc(sizeof(double) * nh), *C = malloc(sizeof(double) * 2 * nh);
    double t0 = now_seconds();
    if (s4_init_layer(H, N, L, 1e-3, 1e-1, 1, 0, ld, w, Bm, P, Q, C) != 0) {
        fprintf(stderr, "bench_s4: s4_init_layer failed\n");
        exit(1);
    }
    double t_init = 1e3 * (now_seconds() - t0);
    real_t *rl = malloc(sizeof(real_t) * H), *rw = malloc(sizeof(real_t) * nh), *rB = malloc(sizeof(real_t) * nh),
           *rP = malloc(sizeof(real_t) * nh), *rQ = malloc(sizeof(real_t) * nh), *rC = malloc(sizeof(real_t) * 2 * nh);
    for (int h = 0; h < H; h++) rl[h] = (real_t)ld[h];
    for (size_t i = 0; i < nh; i++) {
        rw[i] = (real_t)w[i];
        rB[i] = (real_t)Bm[i];
        rP[i] = (real_t)P[i];
        rQ[i] = (real_t)Q[i];
    }
    for (size_t i = 0; i < 2 * nh; i++) rC[i] = (real_t)C[i];
    backend *be = backend_cpu_create(threads);
    size_t nu = (size_t)B * H * L, nK = (size_t)2 * H * L;
    bench_ctx c = {.be = be, .B = B, .H = H, .L = L, .C = rC};
    c.fz = (s4_frozen){.H = H, .N2 = N2, .L = L, .log_dt = rl, .w = rw, .B = rB, .P = rP, .Q = rQ};
    c.K = alloc_fill(nK, 1);
    c.dK = alloc_fill(nK, 2);
    c.dC = alloc_fill(2 * nh, 3);
    c.u = alloc_fill(nu, 4);
    c.D = alloc_fill(H, 5);
    c.y = alloc_fill(nu, 6);
    c.dy = alloc_fill(nu, 7);
    c.du = alloc_fill(nu, 8);
    c.dD = alloc_fill(H, 9);
    printf("B=%d H=%d L=%d N=%d threads=%d (s4_init_layer %.1f ms)\n", B, H, L, N, threads, t_init);
    printf("  kernel forward   %8.3f ms\n", time_op(&c, OP_KFWD, reps));
    printf("  kernel backward  %8.3f ms\n", time_op(&c, OP_KBWD, reps));
    const char *names[2] = {"fft", "direct"};
    const int routes[2] = {S4_CONV_ROUTE_FFT, S4_CONV_ROUTE_DIRECT};
    for (int r = 0; r < 2; r++) {
        cpu_s4_set_conv_route(be, routes[r]);
        printf("  conv forward  %-6s %8.3f ms\n", names[r], time_op(&c, OP_CFWD, reps));
        printf("  conv backward %-6s %8.3f ms\n", names[r], time_op(&c, OP_CBWD, reps));
    }
    cpu_s4_set_conv_route(be, S4_CONV_ROUTE_AUTO);
    printf("  conv forward  auto   %8.3f ms\n", time_op(&c, OP_CFWD, reps));
    printf("  conv backward auto   %8.3f ms\n", time_op(&c, OP_CBWD, reps));
    backend_free(be);
    free(ld);
    free(w);
    free(Bm);
    free(P);
    free(Q);
    free(C);
    free(rl);
    free(rw);
    free(rB);
    free(rP);
    free(rQ);
    free(rC);
    free(c.K);
    free(c.dK);
    free(c.dC);
    free(c.u);
    free(c.D);
    free(c.y);
    free(c.dy);
    free(c.du);
    free(c.dD);
}

/* Convolution forward + backward time of both routes over a range of L. */
static void sweep(int threads, int reps) {
    const int B = 32, H = 256;
    const int lengths[] = {8, 16, 32, 48, 64, 96, 128, 200, 256};
    backend *be = backend_cpu_create(threads);
    printf("conv route sweep, B=%d H=%d threads=%d (ms, forward + backward)\n", B, H, threads);
    printf("   L      fft   direct\n");
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        const int L = lengths[i];
        size_t nu = (size_t)B * H * L, nK = (size_t)2 * H * L;
        bench_ctx c = {.be = be, .B = B, .H = H, .L = L};
        c.K = alloc_fill(nK, 1);
        c.dK = alloc_fill(nK, 2);
        c.u = alloc_fill(nu, 4);
        c.D = alloc_fill(H, 5);
        c.y = alloc_fill(nu, 6);
        c.dy = alloc_fill(nu, 7);
        c.du = alloc_fill(nu, 8);
        c.dD = alloc_fill(H, 9);
        double t[2];
        const int routes[2] = {S4_CONV_ROUTE_FFT, S4_CONV_ROUTE_DIRECT};
        for (int r = 0; r < 2; r++) {
            cpu_s4_set_conv_route(be, routes[r]);
            t[r] = time_op(&c, OP_CFWD, reps) + time_op(&c, OP_CBWD, reps);
        }
        printf("%4d %8.3f %8.3f\n", L, t[0], t[1]);
        free(c.K);
        free(c.dK);
        free(c.u);
        free(c.D);
        free(c.y);
        free(c.dy);
        free(c.du);
        free(c.dD);
    }
    backend_free(be);
}

int main(int argc, char **argv) {
    backend_cpu_choose_blas_kernels("bench_s4", argv); /* first: it may execute the program again */
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    if (threads < 1) threads = 1;
    if (reps < 1) reps = 1;
    /* Single-threaded OpenBLAS calls, as the CPU backend sets up
     * (kernels/cpu/backend_cpu.c): the direct route's GEMMs run inside our threads. */
    openblas_set_num_threads(1);
    if (argc > 3 && strcmp(argv[3], "sweep") == 0) {
        sweep(threads, reps);
        return 0;
    }
    bench_config(32, 256, 200, threads, reps);
    bench_config(32, 512, 200, threads, reps);
    return 0;
}
