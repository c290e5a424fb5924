/* The CPU backend: memory operations, creation and the operation table that
 * points at the kernels in the other cpu_*.c files. It is the reference every
 * other backend is tested against. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "cpu_s4.h"
#include "error.h"

/* OpenBLAS's own thread count (declared by its cblas.h in most builds; kept
 * here so that a reference CBLAS header also compiles). */
void openblas_set_num_threads(int num_threads);

static void *cpu_alloc(backend *be, size_t bytes) {
    /* 64-byte alignment for AVX-512 loads; the size rounded up as aligned_alloc requires. */
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (!p) die("out of memory allocating %zu bytes on the CPU backend", bytes);
    memset(p, 0, rounded);
    return p;
}

static void cpu_free(backend *be, void *ptr) { free(ptr); }

static void cpu_memcpy(backend *be, void *dst, const void *src, size_t bytes) {
    if (bytes && dst != src) memmove(dst, src, bytes);
}

static void cpu_zero(backend *be, void *dst, size_t bytes) {
    if (bytes) memset(dst, 0, bytes);
}

static void cpu_synchronize(backend *be) {}

static void cpu_destroy(backend *be) {
    cpu_s4_release(be);
    cpu_pool_stop(be->ctx);
    free(be->ctx);
    free(be);
}

static const backend_ops cpu_ops = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_memcpy,
    .download = cpu_memcpy,
    .copy = cpu_memcpy,
    .zero = cpu_zero,
    .synchronize = cpu_synchronize,
    .destroy = cpu_destroy,
    .gemm = cpu_gemm,
    .im2col_k3 = cpu_im2col_k3,
    .col2im_k3 = cpu_col2im_k3,
    .add_bias = cpu_add_bias,
    .bias_grad = cpu_bias_grad,
    .add_channel_vector = cpu_add_channel_vector,
    .scale_channels = cpu_scale_channels,
    .sum_over_length = cpu_sum_over_length,
    .axpby = cpu_axpby,
    .sum_squares = cpu_sum_squares,
    .relu_forward = cpu_relu_forward,
    .relu_backward = cpu_relu_backward,
    .gelu_forward = cpu_gelu_forward,
    .gelu_backward = cpu_gelu_backward,
    .swish_forward = cpu_swish_forward,
    .swish_backward = cpu_swish_backward,
    .gate_forward = cpu_gate_forward,
    .gate_backward = cpu_gate_backward,
    .layernorm_forward = cpu_layernorm_forward,
    .layernorm_backward = cpu_layernorm_backward,
    .weight_norm_forward = cpu_weight_norm_forward,
    .weight_norm_backward = cpu_weight_norm_backward,
    .s4_kernel_forward = cpu_s4_kernel_forward,
    .s4_kernel_backward = cpu_s4_kernel_backward,
    .s4_conv_forward = cpu_s4_conv_forward,
    .s4_conv_backward = cpu_s4_conv_backward,
    .step_embedding = cpu_step_embedding,
    .normal_fill = cpu_normal_fill,
    .diffusion_noise = cpu_diffusion_noise,
    .masked_mse = cpu_masked_mse,
    .softmax_xent = cpu_softmax_xent,
    .apply_observed = cpu_apply_observed,
    .ddpm_step = cpu_ddpm_step,
    .ddim_step = cpu_ddim_step,
    .adam_update = cpu_adam_update,
};

backend *backend_cpu_create(int threads) {
    if (threads < 1) threads = 1;
    if (threads > CPU_MAX_THREADS) threads = CPU_MAX_THREADS;
    backend *be = xcalloc(1, sizeof *be);
    cpu_ctx *ctx = xcalloc(1, sizeof *ctx);
    be->ops = &cpu_ops;
    be->ctx = ctx;
    be->threads = threads;
    cpu_pool_start(ctx, threads);
    /* GEMMs are spread over our pool with single-threaded OpenBLAS calls (cpu_gemm.c). */
    openblas_set_num_threads(1);
    return be;
}
