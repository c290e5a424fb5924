/* Kernels of the diffusion loop: SSSD's sinusoidal step embedding, Philox
 * normal noise (the same pure function of (seed, stream, index) as the CPU
 * backend, so both draw the same noise), the training input x_t, keeping
 * observed values, the DDPM and DDIM sampler updates, and fused Adam.
 * Scalar coefficients are computed once on the host in double. */
#ifndef SSSD_KERNELS_CUDA_OPS_DIFFUSION_CUH
#define SSSD_KERNELS_CUDA_OPS_DIFFUSION_CUH

#include "cuda_compat.cuh"
#include "ops_pointwise.cuh"
#include "philox.h"

/* out[b, j] = sin(t_b f_j), out[b, half + j] = cos(t_b f_j),
 * f_j = exp(-j ln(10000) / (half - 1)). In double: t f reaches 200 and a float
 * argument would lose five digits; the cost is B * dim/2 evaluations. */
__global__ void k_step_embedding(const int32_t *__restrict__ t, float *__restrict__ out, int B, int dim) {
    int half = dim / 2;
    long long n = (long long)B * half;
    double scale = half > 1 ? -log(10000.0) / (double)(half - 1) : 0.0;
    SSSD_GRID_STRIDE(i, n) {
        long long b = i / half;
        int j = (int)(i % half);
        double a = (double)t[b] * exp((double)j * scale);
        out[b * dim + j] = (float)sin(a);
        out[b * dim + half + j] = (float)cos(a);
    }
}

__global__ void k_normal_fill(float *__restrict__ out, long long n, uint64_t seed, uint64_t stream,
                              unsigned long long offset) {
    SSSD_GRID_STRIDE(i, n) out[i] = philox_normal(seed, stream, (uint64_t)(offset + (unsigned long long)i));
}

/* z = eps (1 - m) + x0 m; x_t = sqrt(abar[t_b]) x0 + sqrt(1 - abar[t_b]) z. */
__global__ void k_diffusion_noise(const float *__restrict__ x0, const float *__restrict__ eps,
                                  const float *__restrict__ m, const int32_t *__restrict__ t,
                                  const float *__restrict__ abar, float *__restrict__ z, float *__restrict__ x_t, int B,
                                  int L) {
    long long n = (long long)B * L;
    SSSD_GRID_STRIDE(i, n) {
        float ab = abar[t[i / L]];
        float zi = eps[i] * (1.0f - m[i]) + x0[i] * m[i];
        z[i] = zi;
        x_t[i] = sqrtf(ab) * x0[i] + sqrtf(1.0f - ab) * zi;
    }
}

/* x = x (1 - m) + x0 m */
__global__ void k_apply_observed(float *__restrict__ x, const float *__restrict__ x0, const float *__restrict__ m,
                                 long long n) {
    SSSD_GRID_STRIDE(i, n) x[i] = x[i] * (1.0f - m[i]) + x0[i] * m[i];
}

/* x = (x - c_eps eps) * inv_sqrt_alpha + sigma noise, c_eps = beta / sqrt(1 - abar). */
__global__ void k_ddpm_step(float *__restrict__ x, const float *__restrict__ eps, const float *__restrict__ noise,
                            float c_eps, float inv_sqrt_alpha, float sigma, long long n) {
    SSSD_GRID_STRIDE(i, n) {
        float v = (x[i] - c_eps * eps[i]) * inv_sqrt_alpha;
        if (noise) v += sigma * noise[i];
        x[i] = v;
    }
}

/* x0_hat = (x - s1_t eps) / s_t; x = s_prev x0_hat + c_dir eps + sigma noise. */
__global__ void k_ddim_step(float *__restrict__ x, const float *__restrict__ eps, const float *__restrict__ noise,
                            float s_t, float s1_t, float s_prev, float c_dir, float sigma, long long n) {
    SSSD_GRID_STRIDE(i, n) {
        float x0_hat = (x[i] - s1_t * eps[i]) / s_t;
        float v = s_prev * x0_hat + c_dir * eps[i];
        if (noise) v += sigma * noise[i];
        x[i] = v;
    }
}

/* PyTorch Adam with L2 weight decay folded into the gradient:
 * g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= step_size m / (sqrt(v) / sqrt_bc2 + eps), step_size = lr / (1 - b1^t). */
__global__ void k_adam_update(float *__restrict__ p, const float *__restrict__ grad, float *__restrict__ m,
                              float *__restrict__ v, long long n, float beta1, float beta2, float eps, float wd,
                              float step_size, float sqrt_bc2) {
    SSSD_GRID_STRIDE(i, n) {
        float g = grad[i] + wd * p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step_size * mi / (sqrtf(vi) / sqrt_bc2 + eps);
    }
}

/* ---- launchers ---- */

static inline void launch_step_embedding(cudaStream_t s, const int32_t *t, float *out, int B, int dim) {
    long long n = (long long)B * (dim / 2);
    SSSD_POINTWISE_LAUNCH(k_step_embedding, s, n, t, out, B, dim);
}
static inline void launch_normal_fill(cudaStream_t s, float *out, long long n, uint64_t seed, uint64_t stream,
                                      unsigned long long offset) {
    SSSD_POINTWISE_LAUNCH(k_normal_fill, s, n, out, n, seed, stream, offset);
}
static inline void launch_diffusion_noise(cudaStream_t s, const float *x0, const float *eps, const float *m,
                                          const int32_t *t, const float *abar, float *z, float *x_t, int B, int L) {
    long long n = (long long)B * L;
    SSSD_POINTWISE_LAUNCH(k_diffusion_noise, s, n, x0, eps, m, t, abar, z, x_t, B, L);
}
static inline void launch_apply_observed(cudaStream_t s, float *x, const float *x0, const float *m, long long n) {
    SSSD_POINTWISE_LAUNCH(k_apply_observed, s, n, x, x0, m, n);
}
static inline void launch_ddpm_step(cudaStream_t s, float *x, const float *eps, const float *noise, double beta_t,
                                    double abar_t, double alpha_t, double sigma_t, long long n) {
    float c_eps = (float)(beta_t / sqrt(1.0 - abar_t));
    float inv_sqrt_alpha = (float)(1.0 / sqrt(alpha_t));
    SSSD_POINTWISE_LAUNCH(k_ddpm_step, s, n, x, eps, noise, c_eps, inv_sqrt_alpha, (float)sigma_t, n);
}
static inline void launch_ddim_step(cudaStream_t s, float *x, const float *eps, const float *noise, double abar_t,
                                    double abar_prev, double sigma, long long n) {
    double dir2 = 1.0 - abar_prev - sigma * sigma;
    /* Rounding can push 1 - abar_prev - sigma^2 a hair below zero at the last step. */
    float c_dir = (float)sqrt(dir2 > 0.0 ? dir2 : 0.0);
    SSSD_POINTWISE_LAUNCH(k_ddim_step, s, n, x, eps, noise, (float)sqrt(abar_t), (float)sqrt(1.0 - abar_t),
                          (float)sqrt(abar_prev), c_dir, (float)sigma, n);
}
static inline void launch_adam_update(cudaStream_t s, float *p, const float *grad, float *m, float *v, long long n,
                                      double lr, double beta1, double beta2, double eps, double wd, int step) {
    double bc1 = 1.0 - pow(beta1, step), bc2 = 1.0 - pow(beta2, step);
    SSSD_POINTWISE_LAUNCH(k_adam_update, s, n, p, grad, m, v, n, (float)beta1, (float)beta2, (float)eps, (float)wd,
                          (float)(lr / bc1), (float)sqrt(bc2));
}

#endif
