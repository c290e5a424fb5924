/* The compute-backend boundary: a small table of operations (ggml-style) that
 * the CPU and CUDA backends each implement. Model, training and sampling code
 * call only these, so they never know which backend runs.
 *
 * Conventions for every operation:
 * - elements are real_t; pointers are backend memory (from backend->alloc);
 *   scalars and small parameter structs travel by value from the host.
 * - activations are (B, C, L) row-major, as in PyTorch's Conv1d.
 * - "accumulate" means += into the output (gradients), otherwise overwrite.
 * - the elementwise operations (relu/gelu/swish forward and backward, axpby)
 *   may run in place: their output may be the very same buffer as an input of
 *   the same shape (the model relies on it, e.g. relu_forward(x, x),
 *   gelu_backward(x, d, d)); partial overlaps are not allowed.
 * - a backend serves one host thread at a time (like a CUDA stream); CPU
 *   backends share no state, so several may each serve a thread of their own.
 * - the CPU backend is the reference: every other backend is tested against it. */
#ifndef SSSD_KERNELS_BACKEND_H
#define SSSD_KERNELS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* The element type of every tensor. float in every real build; the model and
 * CPU backend sources are also compiled with SSSD_REAL_DOUBLE (libraries
 * sssd_model64, sssd_cpu64) so tests can check gradients by finite
 * differences in double precision. The CUDA backend is float only. */
#ifdef SSSD_REAL_DOUBLE
typedef double real_t;
#else
typedef float real_t;
#endif

typedef struct backend backend;

/* Frozen S4 kernel parameters of one S4 layer (H channels, N2 = N/2 complex
 * modes, rank 1), as SSSD stores them. Complex numbers are interleaved
 * (re, im) floats, exactly PyTorch's view_as_real layout. */
typedef struct s4_frozen {
    int H, N2, L;
    const real_t *log_dt;  /* (H) */
    const real_t *w;       /* (H, N2, 2)  diagonal of A in the eigenbasis */
    const real_t *B;       /* (1, H, N2, 2) */
    const real_t *P;       /* (1, H, N2, 2) low-rank term */
    const real_t *Q;       /* (1, H, N2, 2) (= conj(P) at initialisation) */
} s4_frozen;

typedef struct adam_params {
    double lr, beta1, beta2, eps, weight_decay;
    int step;             /* 1-based, for bias correction */
} adam_params;

typedef struct backend_ops {
    const char *name;     /* "cpu", "cuda" */

    /* ---- memory ---- */
    void *(*alloc)(backend *be, size_t bytes);                    /* zeroed; never NULL (exits with a message) */
    void (*free)(backend *be, void *ptr);
    void (*upload)(backend *be, void *dst, const void *src_host, size_t bytes);
    void (*download)(backend *be, void *dst_host, const void *src, size_t bytes);
    void (*copy)(backend *be, void *dst, const void *src, size_t bytes);
    void (*zero)(backend *be, void *dst, size_t bytes);
    void (*synchronize)(backend *be);
    void (*destroy)(backend *be);                                 /* frees ctx and be itself */

    /* ---- dense algebra ---- */
    /* Row-major strided-batched GEMM: for i < batch,
     * C_i (m x n) = alpha * op(A_i) (m x k) * op(B_i) (k x n) + beta * C_i,
     * op(X) = X or X^T (trans_x). lda/ldb/ldc are row strides of the stored
     * matrices; stride_* is the distance between batch items (0 = shared).
     * k = 0 gives C = beta C. The model never passes stride_c = 0 with
     * batch > 1 (batch items may run concurrently); the CPU backend then sums
     * the products: C = alpha sum_i op(A_i) op(B_i) + beta C. */
    void (*gemm)(backend *be, int trans_a, int trans_b, int m, int n, int k, double alpha,
                 const real_t *A, int lda, long long stride_a, const real_t *B, int ldb, long long stride_b,
                 double beta, real_t *C, int ldc, long long stride_c, int batch);

    /* ---- convolution helpers (kernel 3, padding 1) ---- */
    /* cols (B, Ci*3, L): cols[b, ci*3+j, l] = x[b, ci, l+j-1] (0 outside). */
    void (*im2col_k3)(backend *be, const real_t *x, real_t *cols, int B, int Ci, int L);
    /* Adjoint of im2col_k3: dx[b, ci, l] += sum_j dcols[b, ci*3+j, l-j+1]. accumulate */
    void (*col2im_k3)(backend *be, const real_t *dcols, real_t *dx, int B, int Ci, int L);

    /* ---- broadcasts and reductions over (B, C, L) ---- */
    /* y[b,c,l] += bias[c] */
    void (*add_bias)(backend *be, real_t *y, const real_t *bias, int B, int C, int L);
    /* dbias[c] += sum_{b,l} dy[b,c,l]   accumulate */
    void (*bias_grad)(backend *be, const real_t *dy, real_t *dbias, int B, int C, int L);
    /* y[b,c,l] = x[b,c,l] + v[b,c]  (diffusion-step embedding added per channel) */
    void (*add_channel_vector)(backend *be, const real_t *x, const real_t *v, real_t *y, int B, int C, int L);
    /* y[b,c,l] = x[b,c,l] * s[b,c]  (channel dropout's keep-and-rescale factors; y may be x) */
    void (*scale_channels)(backend *be, const real_t *x, const real_t *s, real_t *y, int B, int C, int L);
    /* dv[b,c] = sum_l dy[b,c,l]   overwrite */
    void (*sum_over_length)(backend *be, const real_t *dy, real_t *dv, int B, int C, int L);
    /* y = a*x + b*y over n elements */
    void (*axpby)(backend *be, long long n, double a, const real_t *x, double b, real_t *y);
    /* sum of squares of x (n elements), returned to the host in double */
    double (*sum_squares)(backend *be, const real_t *x, long long n);

    /* ---- pointwise activations (n elements) ---- */
    void (*relu_forward)(backend *be, const real_t *x, real_t *y, long long n);
    /* dx = dy * (y > 0), from the output y   overwrite */
    void (*relu_backward)(backend *be, const real_t *y, const real_t *dy, real_t *dx, long long n);
    /* exact GELU: x * Phi(x) (erf form, PyTorch's default) */
    void (*gelu_forward)(backend *be, const real_t *x, real_t *y, long long n);
    void (*gelu_backward)(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n);
    /* swish: x * sigmoid(x) */
    void (*swish_forward)(backend *be, const real_t *x, real_t *y, long long n);
    void (*swish_backward)(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n);
    /* Gated unit: h (B, 2C, L) -> out (B, C, L) = tanh(h[:, :C]) * sigmoid(h[:, C:]) */
    void (*gate_forward)(backend *be, const real_t *h, real_t *out, int B, int C, int L);
    void (*gate_backward)(backend *be, const real_t *h, const real_t *dout, real_t *dh, int B, int C, int L);

    /* ---- LayerNorm over the channel dimension of (B, C, L) ---- */
    /* y = (x - mean_c) * rstd * gamma[c] + beta[c]; mean, rstd (B, L) saved for backward. eps 1e-5 */
    void (*layernorm_forward)(backend *be, const real_t *x, const real_t *gamma, const real_t *beta, real_t *y,
                              real_t *mean, real_t *rstd, int B, int C, int L);
    /* dx overwrite; dgamma, dbeta accumulate */
    void (*layernorm_backward)(backend *be, const real_t *x, const real_t *gamma, const real_t *mean,
                               const real_t *rstd, const real_t *dy, real_t *dx, real_t *dgamma, real_t *dbeta,
                               int B, int C, int L);

    /* ---- weight normalisation (PyTorch weight_norm, dim 0) ---- */
    /* w[o, :] = g[o] * v[o, :] / ||v[o, :]||, rows of length `inner`; norms (O) saved */
    void (*weight_norm_forward)(backend *be, const real_t *v, const real_t *g, real_t *w, real_t *norms, int O,
                                int inner);
    /* from dw: dv, dg accumulate */
    void (*weight_norm_backward)(backend *be, const real_t *v, const real_t *g, const real_t *norms,
                                 const real_t *dw, real_t *dv, real_t *dg, int O, int inner);

    /* ---- S4 ---- */
    /* Bidirectional SSM kernel of one layer from trainable C (2, H, N2, 2):
     * K (2, H, L) (K[0] forward, K[1] backward). Cauchy sums include the
     * conjugate term; Woodbury rank-1 correction; bilinear factor 2/(1+omega);
     * inverse real FFT of length L (any L, odd too). */
    void (*s4_kernel_forward)(backend *be, s4_frozen fz, const real_t *C, real_t *K);
    /* dC += d(sum K*dK)/dC   accumulate (K is linear in C) */
    void (*s4_kernel_backward)(backend *be, s4_frozen fz, const real_t *dK, real_t *dC);
    /* y[b,h,t] = sum_{s<=t} K0[h,s] u[b,h,t-s] + sum_{m=1}^{L-1-t} K1[h,m-1] u[b,h,t+m] + D[h] u[b,h,t]
     * (SSSD's FFT convolution of length 2L, done any way that gives these numbers). */
    void (*s4_conv_forward)(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B, int H,
                            int L);
    /* du overwrite; dK (2, H, L) and dD (H) accumulate */
    void (*s4_conv_backward)(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy,
                             real_t *du, real_t *dK, real_t *dD, int B, int H, int L);

    /* ---- diffusion ---- */
    /* SSSD's step embedding: out[b, j] = sin(t_b f_j), out[b, half+j] = cos(t_b f_j),
     * f_j = exp(-j ln(10000)/(half-1)), half = dim/2; t (B) int32 backend memory */
    void (*step_embedding)(backend *be, const int32_t *t, real_t *out, int B, int dim);
    /* Standard normal noise: out[i] = philox_normal(seed, stream, offset + i) (common/philox.h) */
    void (*normal_fill)(backend *be, real_t *out, long long n, uint64_t seed, uint64_t stream,
                        unsigned long long offset);
    /* Training input: z = eps*(1-m) + x0*m; x_t = sqrt(abar[t_b]) x0 + sqrt(1-abar[t_b]) z.
     * x0, eps, m, z, x_t (B, L) (one channel); m is (B, L); t (B) int32; abar (T) */
    void (*diffusion_noise)(backend *be, const real_t *x0, const real_t *eps, const real_t *m, const int32_t *t,
                            const real_t *abar, real_t *z, real_t *x_t, int B, int L);
    /* Masked MSE on generated positions (m == 0): loss = sum (pred-z)^2 (1-m) / sum (1-m);
     * dpred = 2 (pred-z)(1-m) / sum(1-m) (overwrite). Returns the loss to the host. */
    double (*masked_mse)(backend *be, const real_t *pred, const real_t *z, const real_t *m, real_t *dpred, int B,
                         int L);
    /* Softmax cross-entropy over the channel dimension of logits (B, V, L) at the
     * positions with weight w[b,l] > 0 (weights (B, L)); target (B, L) int32 class
     * indices in 0..V-1 (ignored where w == 0).
     * loss = sum_{b,l} w[b,l] * (logsumexp_v logits[b,:,l] - logits[b,target,l]) / sum w
     * dlogits[b,v,l] = w[b,l] * (softmax(logits[b,:,l])_v - [v == target]) / sum w   (overwrite; 0 where w == 0)
     * Returns the loss to the host (0 and dlogits all 0 when sum w == 0). Numerically stable (max subtracted).
     * Weights <= 0 count as 0 (also in sum w); logits there do not affect the result. A target outside 0..V-1
     * at a weighted position matches no class: that position adds w * logsumexp and w * softmax. */
    double (*softmax_xent)(backend *be, const real_t *logits, const int32_t *target, const real_t *w,
                           real_t *dlogits, int B, int V, int L);
    /* Keep observed values: x = x*(1-m) + x0*m */
    void (*apply_observed)(backend *be, real_t *x, const real_t *x0, const real_t *m, long long n);
    /* DDPM update at step t (same for all items):
     * x = (x - beta_t / sqrt(1-abar_t) * eps) / sqrt(alpha_t) + sigma_t * noise  (noise may be NULL: t = 0) */
    void (*ddpm_step)(backend *be, real_t *x, const real_t *eps, const real_t *noise, double beta_t, double abar_t,
                      double alpha_t, double sigma_t, long long n);
    /* DDIM update from abar_t to abar_prev:
     * x0_hat = (x - sqrt(1-abar_t) eps)/sqrt(abar_t);
     * x = sqrt(abar_prev) x0_hat + sqrt(1-abar_prev-sigma^2) eps + sigma * noise (noise may be NULL) */
    void (*ddim_step)(backend *be, real_t *x, const real_t *eps, const real_t *noise, double abar_t, double abar_prev,
                      double sigma, long long n);

    /* ---- optimiser ---- */
    /* Adam (PyTorch semantics, L2 weight decay added to the gradient) over n parameters */
    void (*adam_update)(backend *be, real_t *param, const real_t *grad, real_t *m, real_t *v, long long n,
                        adam_params p);
} backend_ops;

struct backend {
    const backend_ops *ops;
    void *ctx;            /* backend-private state (threads, FFT plans, cuBLAS handle, workspace) */
    int threads;          /* CPU threads in use */
};

/* Create a backend by name: "cpu", "cuda", or "auto" (CUDA when a device
 * exists, else CPU). Returns NULL and fills `why` when it cannot. */
backend *backend_create(const char *name, int threads, char *why, size_t why_size);
void backend_free(backend *be);

/* The CPU backend (always available) and the CUDA backend (NULL with a reason
 * when the build has no CUDA or the machine no device). */
backend *backend_cpu_create(int threads);
backend *backend_cuda_create(char *why, size_t why_size);

/* Call first in main, before MPI starts: when OpenBLAS fell back to its
 * generic kernels on a CPU it does not know but that has AVX2 or AVX-512,
 * sets OPENBLAS_CORETYPE to the widest set the CPU runs, says so on stderr
 * (as `program`) and executes the program again with the same argv. Does
 * nothing when OPENBLAS_CORETYPE is set already (cpu/cpu_blas_kernels.c). */
void backend_cpu_choose_blas_kernels(const char *program, char **argv);

#endif
