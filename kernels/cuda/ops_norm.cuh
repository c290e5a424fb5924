/* Normalisation kernels: LayerNorm over the channel dimension of (B, C, L)
 * (S4Layer's post-residual norm) forward and backward, and PyTorch's
 * weight_norm (dim 0) forward and backward.
 *
 * LayerNorm reduces over channels, which are L elements apart, so a block
 * takes 32 consecutive positions (coalesced reads along l) and 8 channel
 * groups; the 8 partial sums per position are added in a fixed order. Mean
 * and variance are two passes over x (x stays in L1/L2), which avoids the
 * cancellation of E[x^2] - E[x]^2. Parameter gradients are per-channel block
 * reductions in double, in a fixed order (no atomics); weight norm reduces
 * each row within one warp. */
#ifndef SSSD_KERNELS_CUDA_OPS_NORM_CUH
#define SSSD_KERNELS_CUDA_OPS_NORM_CUH

#include "cuda_compat.cuh"
#include "ops_reduce.cuh"

#define LN_TX 32  /* positions per block */
#define LN_TY 8   /* channel groups per block */
#define LN_EPS 1e-5f

/* Sum over the LN_TY channel groups of column tx, same order in every thread. */
__device__ __forceinline__ float ln_column_sum(float v, float (*part)[LN_TX + 1]) {
    part[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    float total = 0.0f;
    for (int j = 0; j < LN_TY; j++) total += part[j][threadIdx.x];
    __syncthreads();
    return total;
}

__global__ void __launch_bounds__(LN_TX *LN_TY)
    k_layernorm_forward(const float *__restrict__ x, const float *__restrict__ gamma, const float *__restrict__ beta,
                        float *__restrict__ y, float *__restrict__ mean_out, float *__restrict__ rstd_out, int C, int L) {
    __shared__ float part[LN_TY][LN_TX + 1];
    int b = (int)blockIdx.y, l = (int)blockIdx.x * LN_TX + (int)threadIdx.x;
    bool live = l < L;
    const float *xb = x + (long long)b * C * L;
    float s = 0.0f;
    if (live)
        for (int c = (int)threadIdx.y; c < C; c += LN_TY) s += xb[(long long)c * L + l];
    float mean = ln_column_sum(s, part) / (float)C;
    float sq = 0.0f;
    if (live)
        for (int c = (int)threadIdx.y; c < C; c += LN_TY) {
            float d = xb[(long long)c * L + l] - mean;
            sq += d * d;
        }
    float var = ln_column_sum(sq, part) / (float)C;
    float rstd = rsqrtf(var + LN_EPS);
    if (!live) return;
    float *yb = y + (long long)b * C * L;
    for (int c = (int)threadIdx.y; c < C; c += LN_TY) {
        long long idx = (long long)c * L + l;
        yb[idx] = (xb[idx] - mean) * rstd * gamma[c] + beta[c];
    }
    if (threadIdx.y == 0) {
        mean_out[(long long)b * L + l] = mean;
        rstd_out[(long long)b * L + l] = rstd;
    }
}

/* dx = rstd (g - mean_c(g) - xhat mean_c(g xhat)), g = dy gamma. */
__global__ void __launch_bounds__(LN_TX *LN_TY)
    k_layernorm_backward_dx(const float *__restrict__ x, const float *__restrict__ gamma,
                            const float *__restrict__ mean_in, const float *__restrict__ rstd_in,
                            const float *__restrict__ dy, float *__restrict__ dx, int C, int L) {
    __shared__ float part[LN_TY][LN_TX + 1];
    int b = (int)blockIdx.y, l = (int)blockIdx.x * LN_TX + (int)threadIdx.x;
    bool live = l < L;
    long long base = (long long)b * C * L;
    float mean = live ? mean_in[(long long)b * L + l] : 0.0f;
    float rstd = live ? rstd_in[(long long)b * L + l] : 0.0f;
    float sg = 0.0f, sgx = 0.0f;
    if (live)
        for (int c = (int)threadIdx.y; c < C; c += LN_TY) {
            long long idx = base + (long long)c * L + l;
            float g = dy[idx] * gamma[c];
            sg += g;
            sgx += g * (x[idx] - mean) * rstd;
        }
    float mg = ln_column_sum(sg, part) / (float)C;
    float mgx = ln_column_sum(sgx, part) / (float)C;
    if (!live) return;
    for (int c = (int)threadIdx.y; c < C; c += LN_TY) {
        long long idx = base + (long long)c * L + l;
        float xhat = (x[idx] - mean) * rstd;
        dx[idx] = rstd * (dy[idx] * gamma[c] - mg - xhat * mgx);
    }
}

/* dgamma[c] += sum_{b,l} dy xhat, dbeta[c] += sum_{b,l} dy; one block per channel. */
__global__ void k_layernorm_backward_params(const float *__restrict__ x, const float *__restrict__ mean_in,
                                            const float *__restrict__ rstd_in, const float *__restrict__ dy,
                                            float *__restrict__ dgamma, float *__restrict__ dbeta, int B, int C,
                                            int L) {
    __shared__ double scratch[32];
    int c = (int)blockIdx.x;
    double sg = 0.0, sb = 0.0;
    long long count = (long long)B * L;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long b = i / L, l = i % L;
        long long idx = (b * C + c) * L + l;
        float xhat = (x[idx] - mean_in[b * L + l]) * rstd_in[b * L + l];
        sg += (double)dy[idx] * (double)xhat;
        sb += (double)dy[idx];
    }
    sg = block_sum(sg, scratch);
    sb = block_sum(sb, scratch);
    if (threadIdx.x == 0) {
        dgamma[c] += (float)sg;
        dbeta[c] += (float)sb;
    }
}

/* Weight norm: one warp per row, 8 rows per block. Rows are short (3C or C
 * elements), so a warp covers one in a few strided passes and needs no
 * block barrier; whole warps leave together past the last row. */
#define WN_ROWS_PER_BLOCK (SSSD_BLOCK / 32)

/* w[o, :] = g[o] v[o, :] / ||v[o, :]|| */
__global__ void k_weight_norm_forward(const float *__restrict__ v, const float *__restrict__ g, float *__restrict__ w,
                                      float *__restrict__ norms, int O, int inner) {
    int o = (int)blockIdx.x * WN_ROWS_PER_BLOCK + (int)threadIdx.x / 32, lane = (int)threadIdx.x % 32;
    if (o >= O) return;
    const float *vr = v + (long long)o * inner;
    double sq = 0.0;
    for (int i = lane; i < inner; i += 32) sq += (double)vr[i] * (double)vr[i];
    sq = warp_sum(sq);
    float norm = (float)sqrt(sq);
    float scale = g[o] / norm;
    for (int i = lane; i < inner; i += 32) w[(long long)o * inner + i] = scale * vr[i];
    if (lane == 0) norms[o] = norm;
}

/* dg[o] += (dw . v) / n; dv[o, :] += (g / n) (dw - (dw . v) v / n^2). */
__global__ void k_weight_norm_backward(const float *__restrict__ v, const float *__restrict__ g,
                                       const float *__restrict__ norms, const float *__restrict__ dw,
                                       float *__restrict__ dv, float *__restrict__ dg, int O, int inner) {
    int o = (int)blockIdx.x * WN_ROWS_PER_BLOCK + (int)threadIdx.x / 32, lane = (int)threadIdx.x % 32;
    if (o >= O) return;
    const float *vr = v + (long long)o * inner, *dwr = dw + (long long)o * inner;
    double dot = 0.0;
    for (int i = lane; i < inner; i += 32) dot += (double)dwr[i] * (double)vr[i];
    dot = warp_sum(dot);
    float n = norms[o];
    float proj = (float)(dot / ((double)n * (double)n));
    float scale = g[o] / n;
    for (int i = lane; i < inner; i += 32) dv[(long long)o * inner + i] += scale * (dwr[i] - proj * vr[i]);
    if (lane == 0) dg[o] += (float)(dot / (double)n);
}

/* ---- launchers ---- */

static inline void launch_layernorm_forward(cudaStream_t s, const float *x, const float *gamma, const float *beta,
                                            float *y, float *mean, float *rstd, int B, int C, int L) {
    if (B <= 0 || C <= 0 || L <= 0) return;
    dim3 grid((unsigned)((L + LN_TX - 1) / LN_TX), (unsigned)B);
    SSSD_LAUNCH(k_layernorm_forward, grid, dim3(LN_TX, LN_TY), 0, s, x, gamma, beta, y, mean, rstd, C, L);
}

static inline void launch_layernorm_backward(cudaStream_t s, const float *x, const float *gamma, const float *mean,
                                             const float *rstd, const float *dy, float *dx, float *dgamma,
                                             float *dbeta, int B, int C, int L) {
    if (B <= 0 || C <= 0 || L <= 0) return;
    dim3 grid((unsigned)((L + LN_TX - 1) / LN_TX), (unsigned)B);
    SSSD_LAUNCH(k_layernorm_backward_dx, grid, dim3(LN_TX, LN_TY), 0, s, x, gamma, mean, rstd, dy, dx, C, L);
    SSSD_LAUNCH(k_layernorm_backward_params, dim3((unsigned)C), dim3(SSSD_REDUCE_BLOCK), 0, s, x, mean, rstd, dy,
                dgamma, dbeta, B, C, L);
}

static inline void launch_weight_norm_forward(cudaStream_t s, const float *v, const float *g, float *w, float *norms,
                                              int O, int inner) {
    if (O <= 0) return;
    SSSD_LAUNCH(k_weight_norm_forward, dim3((unsigned)((O + WN_ROWS_PER_BLOCK - 1) / WN_ROWS_PER_BLOCK)),
                dim3(SSSD_BLOCK), 0, s, v, g, w, norms, O, inner);
}

static inline void launch_weight_norm_backward(cudaStream_t s, const float *v, const float *g, const float *norms,
                                               const float *dw, float *dv, float *dg, int O, int inner) {
    if (O <= 0) return;
    SSSD_LAUNCH(k_weight_norm_backward, dim3((unsigned)((O + WN_ROWS_PER_BLOCK - 1) / WN_ROWS_PER_BLOCK)),
                dim3(SSSD_BLOCK), 0, s, v, g, norms, dw, dv, dg, O, inner);
}

#endif
