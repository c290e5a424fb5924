/* Private declarations shared by the CPU backend's source files: the backend
 * context (worker threads, scratch memory, S4 plans), the parallel-for helper
 * and the prototypes of every operation the table in backend_cpu.c points at. */
#ifndef SSSD_KERNELS_CPU_INTERNAL_H
#define SSSD_KERNELS_CPU_INTERNAL_H

#include <math.h>
#include <pthread.h>

#include "backend.h"

/* Math functions of the element type, so one source serves float and double. */
#ifdef SSSD_REAL_DOUBLE
#define R_EXP exp
#define R_ERF erf
#define R_TANH tanh
#define R_SQRT sqrt
#define R_SIN sin
#define R_COS cos
#else
#define R_EXP expf
#define R_ERF erff
#define R_TANH tanhf
#define R_SQRT sqrtf
#define R_SIN sinf
#define R_COS cosf
#endif

#define CPU_MAX_THREADS 64

/* Hot loops are compiled three times, for the x86-64 baseline (SSE2), AVX2
 * and AVX-512, and the loader picks one by CPU (GCC function multiversioning;
 * on a 2-core EPYC the exact-GELU loops run 9x faster than the scalar libm
 * version with AVX-512, 5.5x with AVX2). The library is compiled with
 * -ffp-contract=off, so no clone fuses a multiply-add, and the loops so marked
 * never rely on the compiler to reorder a sum (reductions are written with
 * explicit lanes): every clone gives bit-identical results. */
#if defined(__x86_64__) && defined(__GNUC__)
#define CPU_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* The same without the AVX-512 clone, for loops that gcc 12 would fuse into
 * multiply-adds there even with -ffp-contract=off (see cpu_s4_conv.c). */
#define CPU_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CPU_SIMD_CLONES
#define CPU_AVX2_CLONES
#endif

/* A range task: process items [begin, end) of a job; `tid` selects per-thread scratch. */
typedef void (*cpu_range_fn)(void *arg, long long begin, long long end, int tid);

struct s4_entry;

/* One backend serves one calling thread at a time (like a CUDA stream); every
 * piece of state of a backend lives here, so backends are independent. */
typedef struct cpu_ctx {
    int nthreads;                       /* pool size including the calling thread */
    pthread_t workers[CPU_MAX_THREADS];
    /* The current job (cpu_parallel.c): written by the caller before it
     * publishes the job, read by a thread only after it claimed a share. */
    cpu_range_fn fn;
    void *arg;
    long long n;
    _Atomic unsigned long long claim;   /* job number << 32 | next share to claim */
    _Atomic int shares_done;            /* shares of the current job finished */
    _Atomic unsigned long generation;   /* the job number, bumped for every job */
    _Atomic int stop;
    _Atomic int sleepers;               /* workers asleep on `wake` (or about to be) */
    _Atomic int caller_asleep;          /* the caller asleep on `done` (or about to be) */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    void *scratch[CPU_MAX_THREADS];     /* per-thread scratch, grown on demand */
    size_t scratch_size[CPU_MAX_THREADS];
    struct s4_entry *s4_entries;        /* S4 FFT plans and workspaces per length (cpu_s4_state.c) */
    int s4_conv_route;                  /* S4_CONV_ROUTE_* (cpu_s4_internal.h) */
} cpu_ctx;

/* Split [0, n) over the pool when n >= min_parallel (below that a thread
 * wake-up costs more than it saves), else run fn on the calling thread. */
void cpu_parallel_for(backend *be, long long n, long long min_parallel, cpu_range_fn fn, void *arg);
/* Scratch memory of at least `bytes` for thread `tid` (grows once, reused). */
void *cpu_scratch(backend *be, int tid, size_t bytes);
void cpu_pool_start(cpu_ctx *ctx, int nthreads);
void cpu_pool_stop(cpu_ctx *ctx);

/* Elements per call below which pointwise operations stay single-threaded. */
#define CPU_PARALLEL_MIN 65536

/* dense algebra and convolution helpers (cpu_gemm.c) */
void cpu_gemm(backend *be, int trans_a, int trans_b, int m, int n, int k, double alpha, const real_t *A, int lda,
              long long stride_a, const real_t *B, int ldb, long long stride_b, double beta, real_t *C, int ldc,
              long long stride_c, int batch);
void cpu_im2col_k3(backend *be, const real_t *x, real_t *cols, int B, int Ci, int L);
void cpu_col2im_k3(backend *be, const real_t *dcols, real_t *dx, int B, int Ci, int L);

/* broadcasts and reductions (cpu_reduce.c) */
void cpu_add_bias(backend *be, real_t *y, const real_t *bias, int B, int C, int L);
void cpu_bias_grad(backend *be, const real_t *dy, real_t *dbias, int B, int C, int L);
void cpu_add_channel_vector(backend *be, const real_t *x, const real_t *v, real_t *y, int B, int C, int L);
void cpu_scale_channels(backend *be, const real_t *x, const real_t *s, real_t *y, int B, int C, int L);
void cpu_sum_over_length(backend *be, const real_t *dy, real_t *dv, int B, int C, int L);
void cpu_axpby(backend *be, long long n, double a, const real_t *x, double b, real_t *y);
double cpu_sum_squares(backend *be, const real_t *x, long long n);

/* activations (cpu_pointwise.c) */
void cpu_relu_forward(backend *be, const real_t *x, real_t *y, long long n);
void cpu_relu_backward(backend *be, const real_t *y, const real_t *dy, real_t *dx, long long n);
void cpu_gelu_forward(backend *be, const real_t *x, real_t *y, long long n);
void cpu_gelu_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n);
void cpu_swish_forward(backend *be, const real_t *x, real_t *y, long long n);
void cpu_swish_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n);
void cpu_gate_forward(backend *be, const real_t *h, real_t *out, int B, int C, int L);
void cpu_gate_backward(backend *be, const real_t *h, const real_t *dout, real_t *dh, int B, int C, int L);

/* normalisations (cpu_norm.c) */
void cpu_layernorm_forward(backend *be, const real_t *x, const real_t *gamma, const real_t *beta, real_t *y,
                           real_t *mean, real_t *rstd, int B, int C, int L);
void cpu_layernorm_backward(backend *be, const real_t *x, const real_t *gamma, const real_t *mean, const real_t *rstd,
                            const real_t *dy, real_t *dx, real_t *dgamma, real_t *dbeta, int B, int C, int L);
void cpu_weight_norm_forward(backend *be, const real_t *v, const real_t *g, real_t *w, real_t *norms, int O,
                             int inner);
void cpu_weight_norm_backward(backend *be, const real_t *v, const real_t *g, const real_t *norms, const real_t *dw,
                              real_t *dv, real_t *dg, int O, int inner);

/* diffusion (cpu_diffusion.c) */
void cpu_step_embedding(backend *be, const int32_t *t, real_t *out, int B, int dim);
void cpu_normal_fill(backend *be, real_t *out, long long n, uint64_t seed, uint64_t stream, unsigned long long offset);
void cpu_diffusion_noise(backend *be, const real_t *x0, const real_t *eps, const real_t *m, const int32_t *t,
                         const real_t *abar, real_t *z, real_t *x_t, int B, int L);
double cpu_masked_mse(backend *be, const real_t *pred, const real_t *z, const real_t *m, real_t *dpred, int B, int L);
void cpu_apply_observed(backend *be, real_t *x, const real_t *x0, const real_t *m, long long n);
void cpu_ddpm_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double beta_t, double abar_t,
                   double alpha_t, double sigma_t, long long n);
void cpu_ddim_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double abar_t, double abar_prev,
                   double sigma, long long n);

/* categorical loss (cpu_xent.c) */
double cpu_softmax_xent(backend *be, const real_t *logits, const int32_t *target, const real_t *w, real_t *dlogits,
                        int B, int V, int L);

/* optimiser (cpu_adam.c) */
void cpu_adam_update(backend *be, real_t *param, const real_t *grad, real_t *m, real_t *v, long long n,
                     adam_params p);

#endif
