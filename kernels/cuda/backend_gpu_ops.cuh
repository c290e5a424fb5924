/* The compute half of the backend table (kernels/backend.h) for the CUDA
 * backend, written once and included by both kernels/cuda/backend_cuda.cu
 * (real GPU) and kernels/emu/backend_emu.cpp (host emulation), so the tests
 * that run on the emulation exercise the very launch code the GPU runs:
 * grid sizes, scratch layouts, multi-pass reductions, the row/column-major
 * swap of GEMM.
 *
 * Before including, the platform defines these (static) hooks:
 *   cudaStream_t gpu_stream(backend *be);
 *   void *gpu_scratch(backend *be, size_t bytes);  device scratch of at least
 *        `bytes`, reused across calls (grows only when a larger size is first
 *        needed, i.e. during the first training step, never afterwards);
 *   void gpu_read_sync(backend *be, void *host, const void *dev, size_t bytes);
 *   void gpu_gemm_colmajor(backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
 *        const float *A, int lda, long long stride_a, const float *B, int ldb, long long stride_b,
 *        float beta, float *C, int ldc, long long stride_c, int batch);   cuBLAS semantics. */
#ifndef SSSD_KERNELS_CUDA_BACKEND_GPU_OPS_CUH
#define SSSD_KERNELS_CUDA_BACKEND_GPU_OPS_CUH

#include "ops_diffusion.cuh"
#include "ops_norm.cuh"
#include "ops_pointwise.cuh"
#include "ops_reduce.cuh"
#include "ops_s4.cuh"
#include "ops_xent.cuh"

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the
 * operands and m/n, keep the transpose flags and leading dimensions. */
static void gpu_gemm(backend *be, int trans_a, int trans_b, int m, int n, int k, double alpha, const real_t *A,
                     int lda, long long stride_a, const real_t *B, int ldb, long long stride_b, double beta,
                     real_t *C, int ldc, long long stride_c, int batch) {
    if (m <= 0 || n <= 0 || batch <= 0) return;
    gpu_gemm_colmajor(be, trans_b, trans_a, n, m, k, (float)alpha, B, ldb, stride_b, A, lda, stride_a, (float)beta,
                      C, ldc, stride_c, batch);
}

static void gpu_im2col_k3(backend *be, const real_t *x, real_t *cols, int B, int Ci, int L) {
    launch_im2col_k3(gpu_stream(be), x, cols, B, Ci, L);
}
static void gpu_col2im_k3(backend *be, const real_t *dcols, real_t *dx, int B, int Ci, int L) {
    launch_col2im_k3(gpu_stream(be), dcols, dx, B, Ci, L);
}
static void gpu_add_bias(backend *be, real_t *y, const real_t *bias, int B, int C, int L) {
    launch_add_bias(gpu_stream(be), y, bias, B, C, L);
}
static void gpu_bias_grad(backend *be, const real_t *dy, real_t *dbias, int B, int C, int L) {
    launch_bias_grad(gpu_stream(be), dy, dbias, B, C, L);
}
static void gpu_add_channel_vector(backend *be, const real_t *x, const real_t *v, real_t *y, int B, int C, int L) {
    launch_add_channel_vector(gpu_stream(be), x, v, y, B, C, L);
}
static void gpu_scale_channels(backend *be, const real_t *x, const real_t *s, real_t *y, int B, int C, int L) {
    launch_scale_channels(gpu_stream(be), x, s, y, B, C, L);
}
static void gpu_sum_over_length(backend *be, const real_t *dy, real_t *dv, int B, int C, int L) {
    launch_sum_over_length(gpu_stream(be), dy, dv, B, C, L);
}
static void gpu_axpby(backend *be, long long n, double a, const real_t *x, double b, real_t *y) {
    launch_axpby(gpu_stream(be), n, (float)a, x, (float)b, y);
}
static double gpu_sum_squares(backend *be, const real_t *x, long long n) {
    if (n <= 0) return 0.0;
    double *scratch = (double *)gpu_scratch(be, sssd_reduce_scratch_bytes());
    double *out = scratch + 2 * SSSD_REDUCE_MAX_PARTIALS;
    launch_sum_squares(gpu_stream(be), x, n, scratch, out);
    double result;
    gpu_read_sync(be, &result, out, sizeof result);
    return result;
}
static void gpu_relu_forward(backend *be, const real_t *x, real_t *y, long long n) {
    launch_relu_forward(gpu_stream(be), x, y, n);
}
static void gpu_relu_backward(backend *be, const real_t *y, const real_t *dy, real_t *dx, long long n) {
    launch_relu_backward(gpu_stream(be), y, dy, dx, n);
}
static void gpu_gelu_forward(backend *be, const real_t *x, real_t *y, long long n) {
    launch_gelu_forward(gpu_stream(be), x, y, n);
}
static void gpu_gelu_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n) {
    launch_gelu_backward(gpu_stream(be), x, dy, dx, n);
}
static void gpu_swish_forward(backend *be, const real_t *x, real_t *y, long long n) {
    launch_swish_forward(gpu_stream(be), x, y, n);
}
static void gpu_swish_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n) {
    launch_swish_backward(gpu_stream(be), x, dy, dx, n);
}
static void gpu_gate_forward(backend *be, const real_t *h, real_t *out, int B, int C, int L) {
    launch_gate_forward(gpu_stream(be), h, out, B, C, L);
}
static void gpu_gate_backward(backend *be, const real_t *h, const real_t *dout, real_t *dh, int B, int C, int L) {
    launch_gate_backward(gpu_stream(be), h, dout, dh, B, C, L);
}
static void gpu_layernorm_forward(backend *be, const real_t *x, const real_t *gamma, const real_t *beta, real_t *y,
                                  real_t *mean, real_t *rstd, int B, int C, int L) {
    launch_layernorm_forward(gpu_stream(be), x, gamma, beta, y, mean, rstd, B, C, L);
}
static void gpu_layernorm_backward(backend *be, const real_t *x, const real_t *gamma, const real_t *mean,
                                   const real_t *rstd, const real_t *dy, real_t *dx, real_t *dgamma, real_t *dbeta,
                                   int B, int C, int L) {
    launch_layernorm_backward(gpu_stream(be), x, gamma, mean, rstd, dy, dx, dgamma, dbeta, B, C, L);
}
static void gpu_weight_norm_forward(backend *be, const real_t *v, const real_t *g, real_t *w, real_t *norms, int O,
                                    int inner) {
    launch_weight_norm_forward(gpu_stream(be), v, g, w, norms, O, inner);
}
static void gpu_weight_norm_backward(backend *be, const real_t *v, const real_t *g, const real_t *norms,
                                     const real_t *dw, real_t *dv, real_t *dg, int O, int inner) {
    launch_weight_norm_backward(gpu_stream(be), v, g, norms, dw, dv, dg, O, inner);
}

static s4_frozen_dev gpu_frozen(s4_frozen fz) {
    s4_frozen_dev d;
    d.H = fz.H;
    d.N2 = fz.N2;
    d.L = fz.L;
    d.log_dt = fz.log_dt;
    d.w = fz.w;
    d.B = fz.B;
    d.P = fz.P;
    d.Q = fz.Q;
    return d;
}
static void gpu_s4_kernel_forward(backend *be, s4_frozen fz, const real_t *C, real_t *K) {
    if (fz.H <= 0 || fz.L <= 0) return;
    float *scratch = (float *)gpu_scratch(be, s4_kernel_scratch_bytes(fz.H, fz.L));
    launch_s4_kernel_forward(gpu_stream(be), gpu_frozen(fz), C, K, scratch);
}
static void gpu_s4_kernel_backward(backend *be, s4_frozen fz, const real_t *dK, real_t *dC) {
    if (fz.H <= 0 || fz.L <= 0) return;
    float *scratch = (float *)gpu_scratch(be, s4_kernel_scratch_bytes(fz.H, fz.L));
    launch_s4_kernel_backward(gpu_stream(be), gpu_frozen(fz), dK, dC, scratch);
}
static void gpu_s4_conv_forward(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B,
                                int H, int L) {
    launch_s4_conv_forward(gpu_stream(be), u, K, D, y, B, H, L);
}
static void gpu_s4_conv_backward(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy,
                                 real_t *du, real_t *dK, real_t *dD, int B, int H, int L) {
    launch_s4_conv_backward(gpu_stream(be), u, K, D, dy, du, dK, dD, B, H, L);
}
static void gpu_step_embedding(backend *be, const int32_t *t, real_t *out, int B, int dim) {
    launch_step_embedding(gpu_stream(be), t, out, B, dim);
}
static void gpu_normal_fill(backend *be, real_t *out, long long n, uint64_t seed, uint64_t stream,
                            unsigned long long offset) {
    launch_normal_fill(gpu_stream(be), out, n, seed, stream, offset);
}
static void gpu_diffusion_noise(backend *be, const real_t *x0, const real_t *eps, const real_t *m, const int32_t *t,
                                const real_t *abar, real_t *z, real_t *x_t, int B, int L) {
    launch_diffusion_noise(gpu_stream(be), x0, eps, m, t, abar, z, x_t, B, L);
}
static double gpu_masked_mse(backend *be, const real_t *pred, const real_t *z, const real_t *m, real_t *dpred, int B,
                             int L) {
    long long n = (long long)B * L;
    if (n <= 0) return 0.0;
    double *scratch = (double *)gpu_scratch(be, sssd_reduce_scratch_bytes());
    double *out = scratch + 2 * SSSD_REDUCE_MAX_PARTIALS;
    launch_masked_mse(gpu_stream(be), pred, z, m, dpred, n, scratch, out);
    double sums[2];
    gpu_read_sync(be, sums, out, sizeof sums);
    return sums[1] > 0.0 ? sums[0] / sums[1] : 0.0;
}
static double gpu_softmax_xent(backend *be, const real_t *logits, const int32_t *target, const real_t *w,
                               real_t *dlogits, int B, int V, int L) {
    long long n = (long long)B * L;
    if (n <= 0 || V <= 0) return 0.0;
    /* The reduction's scratch (partials, then the two sums), then the per-column statistics. */
    size_t reduce_bytes = sssd_reduce_scratch_bytes();
    char *scratch = (char *)gpu_scratch(be, reduce_bytes + softmax_xent_column_bytes(n));
    double *partial = (double *)scratch, *out = partial + 2 * SSSD_REDUCE_MAX_PARTIALS;
    launch_softmax_xent(gpu_stream(be), logits, target, w, dlogits, B, V, L, partial, out,
                        (float *)(scratch + reduce_bytes));
    double sums[2];
    gpu_read_sync(be, sums, out, sizeof sums);
    return sums[1] > 0.0 ? sums[0] / sums[1] : 0.0;
}
static void gpu_apply_observed(backend *be, real_t *x, const real_t *x0, const real_t *m, long long n) {
    launch_apply_observed(gpu_stream(be), x, x0, m, n);
}
static void gpu_ddpm_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double beta_t, double abar_t,
                          double alpha_t, double sigma_t, long long n) {
    launch_ddpm_step(gpu_stream(be), x, eps, noise, beta_t, abar_t, alpha_t, sigma_t, n);
}
static void gpu_ddim_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double abar_t,
                          double abar_prev, double sigma, long long n) {
    launch_ddim_step(gpu_stream(be), x, eps, noise, abar_t, abar_prev, sigma, n);
}
static void gpu_adam_update(backend *be, real_t *param, const real_t *grad, real_t *m, real_t *v, long long n,
                            adam_params p) {
    launch_adam_update(gpu_stream(be), param, grad, m, v, n, p.lr, p.beta1, p.beta2, p.eps, p.weight_decay, p.step);
}

/* Fills every compute entry of the table (the platform fills memory ones). */
static void gpu_fill_compute_ops(backend_ops *o) {
    o->gemm = gpu_gemm;
    o->im2col_k3 = gpu_im2col_k3;
    o->col2im_k3 = gpu_col2im_k3;
    o->add_bias = gpu_add_bias;
    o->bias_grad = gpu_bias_grad;
    o->add_channel_vector = gpu_add_channel_vector;
    o->scale_channels = gpu_scale_channels;
    o->sum_over_length = gpu_sum_over_length;
    o->axpby = gpu_axpby;
    o->sum_squares = gpu_sum_squares;
    o->relu_forward = gpu_relu_forward;
    o->relu_backward = gpu_relu_backward;
    o->gelu_forward = gpu_gelu_forward;
    o->gelu_backward = gpu_gelu_backward;
    o->swish_forward = gpu_swish_forward;
    o->swish_backward = gpu_swish_backward;
    o->gate_forward = gpu_gate_forward;
    o->gate_backward = gpu_gate_backward;
    o->layernorm_forward = gpu_layernorm_forward;
    o->layernorm_backward = gpu_layernorm_backward;
    o->weight_norm_forward = gpu_weight_norm_forward;
    o->weight_norm_backward = gpu_weight_norm_backward;
    o->s4_kernel_forward = gpu_s4_kernel_forward;
    o->s4_kernel_backward = gpu_s4_kernel_backward;
    o->s4_conv_forward = gpu_s4_conv_forward;
    o->s4_conv_backward = gpu_s4_conv_backward;
    o->step_embedding = gpu_step_embedding;
    o->normal_fill = gpu_normal_fill;
    o->diffusion_noise = gpu_diffusion_noise;
    o->masked_mse = gpu_masked_mse;
    o->softmax_xent = gpu_softmax_xent;
    o->apply_observed = gpu_apply_observed;
    o->ddpm_step = gpu_ddpm_step;
    o->ddim_step = gpu_ddim_step;
    o->adam_update = gpu_adam_update;
}

#endif
