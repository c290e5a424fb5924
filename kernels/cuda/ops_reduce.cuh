/* Deterministic reductions: warp and block sums with a fixed combination
 * order (no floating-point atomics anywhere), so the same inputs always give
 * bit-identical results on the same GPU. Used for bias gradients, sums over
 * length, sum of squares (gradient norm) and the masked MSE loss. */
#ifndef SSSD_KERNELS_CUDA_OPS_REDUCE_CUH
#define SSSD_KERNELS_CUDA_OPS_REDUCE_CUH

#include "cuda_compat.cuh"

/* Butterfly sum over the 32 lanes of a full warp: every lane gets the total. */
template <class T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(SSSD_FULL_MASK, v, off);
    return v;
}

/* Sum over a 1-D block whose size is a multiple of 32 (at most 1024);
 * `scratch` holds 32 values in shared memory. Every thread gets the total.
 * The trailing barrier lets the caller reuse `scratch` at once. */
template <class T>
__device__ __forceinline__ T block_sum(T v, T *scratch) {
    int lane = (int)threadIdx.x % 32, warp = (int)threadIdx.x / 32, nwarps = (int)blockDim.x / 32;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    T total = lane < nwarps ? scratch[lane] : (T)0;
    total = warp_sum(total);
    __syncthreads();
    return total;
}

#define SSSD_REDUCE_BLOCK 256
/* Partial sums per block; fixed, so results do not depend on the device. */
#define SSSD_REDUCE_MAX_PARTIALS 1024

static inline unsigned sssd_reduce_grid(long long n) {
    long long g = (n + SSSD_REDUCE_BLOCK - 1) / SSSD_REDUCE_BLOCK;
    if (g < 1) g = 1;
    if (g > SSSD_REDUCE_MAX_PARTIALS) g = SSSD_REDUCE_MAX_PARTIALS;
    return (unsigned)g;
}

/* dbias[c] += sum over (b, l) of dy[b, c, l]: one block per channel. */
__global__ void k_bias_grad(const float *__restrict__ dy, float *__restrict__ dbias, int B, int C, int L) {
    __shared__ double scratch[32];
    int c = (int)blockIdx.x;
    double acc = 0.0;
    long long count = (long long)B * L;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long b = i / L, l = i % L;
        acc += (double)dy[(b * C + c) * L + l];
    }
    acc = block_sum(acc, scratch);
    if (threadIdx.x == 0) dbias[c] += (float)acc;
}

/* dv[row] = sum_l dy[row, l]: one warp per row, 8 rows per block. */
__global__ void k_sum_over_length(const float *__restrict__ dy, float *__restrict__ dv, long long rows, int L) {
    long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = (int)threadIdx.x % 32;
    if (row >= rows) return;  /* whole warps leave together: no shuffle is left waiting */
    double acc = 0.0;
    for (int l = lane; l < L; l += 32) acc += (double)dy[row * L + l];
    acc = warp_sum(acc);
    if (lane == 0) dv[row] = (float)acc;
}

/* Pass 1 of sum of squares: partial[block] over a block-strided slice. */
__global__ void k_sumsq_partial(const float *__restrict__ x, long long n, double *__restrict__ partial) {
    __shared__ double scratch[32];
    double acc = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        double v = (double)x[i];
        acc += v * v;
    }
    acc = block_sum(acc, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

/* Pass 2: one block adds `count` partials of `width` interleaved sums each
 * (partial[p * width + j]) into out[j]. */
__global__ void k_sum_partials(const double *__restrict__ partial, int count, int width, double *__restrict__ out) {
    __shared__ double scratch[32];
    for (int j = 0; j < width; j++) {
        double acc = 0.0;
        for (int p = (int)threadIdx.x; p < count; p += (int)blockDim.x) acc += partial[(long long)p * width + j];
        acc = block_sum(acc, scratch);
        if (threadIdx.x == 0) out[j] = acc;
    }
}

/* Masked MSE pass 1: per block, sum (pred-z)^2 (1-m) and sum (1-m). */
__global__ void k_masked_mse_partial(const float *__restrict__ pred, const float *__restrict__ z,
                                     const float *__restrict__ m, long long n, double *__restrict__ partial) {
    __shared__ double scratch[32];
    double se = 0.0, cnt = 0.0;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        double keep = 1.0 - (double)m[i];
        double d = (double)pred[i] - (double)z[i];
        se += d * d * keep;
        cnt += keep;
    }
    se = block_sum(se, scratch);
    cnt = block_sum(cnt, scratch);
    if (threadIdx.x == 0) {
        partial[2 * blockIdx.x] = se;
        partial[2 * blockIdx.x + 1] = cnt;
    }
}

/* Masked MSE pass 3: dpred = 2 (pred - z)(1 - m) / count, count read on the
 * device (sums[1]) so the host never waits in the middle. A mask with no
 * generated position gives zero gradient instead of 0/0. */
__global__ void k_masked_mse_grad(const float *__restrict__ pred, const float *__restrict__ z,
                                  const float *__restrict__ m, float *__restrict__ dpred, long long n,
                                  const double *__restrict__ sums) {
    double count = sums[1];
    float scale = count > 0.0 ? (float)(2.0 / count) : 0.0f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
        dpred[i] = scale * (pred[i] - z[i]) * (1.0f - m[i]);
}

/* ---- launchers ---- */

static inline void launch_bias_grad(cudaStream_t s, const float *dy, float *dbias, int B, int C, int L) {
    if (C <= 0) return;
    SSSD_LAUNCH(k_bias_grad, dim3((unsigned)C), dim3(SSSD_REDUCE_BLOCK), 0, s, dy, dbias, B, C, L);
}

static inline void launch_sum_over_length(cudaStream_t s, const float *dy, float *dv, int B, int C, int L) {
    long long rows = (long long)B * C;
    if (rows <= 0) return;
    const int rows_per_block = SSSD_BLOCK / 32;
    SSSD_LAUNCH(k_sum_over_length, dim3((unsigned)((rows + rows_per_block - 1) / rows_per_block)), dim3(SSSD_BLOCK),
                0, s, dy, dv, rows, L);
}

/* Scratch (device) bytes the two-pass reductions need. */
static inline size_t sssd_reduce_scratch_bytes(void) { return (2 * SSSD_REDUCE_MAX_PARTIALS + 2) * sizeof(double); }

/* Writes the sum of squares to out[0] (device memory, double). scratch:
 * sssd_reduce_scratch_bytes(). */
static inline void launch_sum_squares(cudaStream_t s, const float *x, long long n, double *scratch, double *out) {
    unsigned g = sssd_reduce_grid(n);
    SSSD_LAUNCH(k_sumsq_partial, dim3(g), dim3(SSSD_REDUCE_BLOCK), 0, s, x, n, scratch);
    SSSD_LAUNCH(k_sum_partials, dim3(1), dim3(SSSD_REDUCE_BLOCK), 0, s, (const double *)scratch, (int)g, 1, out);
}

/* out[0] = sum of squared errors on generated positions, out[1] = their
 * count (device memory); dpred written. */
static inline void launch_masked_mse(cudaStream_t s, const float *pred, const float *z, const float *m, float *dpred,
                                     long long n, double *scratch, double *out) {
    unsigned g = sssd_reduce_grid(n);
    SSSD_LAUNCH(k_masked_mse_partial, dim3(g), dim3(SSSD_REDUCE_BLOCK), 0, s, pred, z, m, n, scratch);
    SSSD_LAUNCH(k_sum_partials, dim3(1), dim3(SSSD_REDUCE_BLOCK), 0, s, (const double *)scratch, (int)g, 2, out);
    SSSD_LAUNCH(k_masked_mse_grad, dim3(sssd_grid_for(n, SSSD_BLOCK)), dim3(SSSD_BLOCK), 0, s, pred, z, m, dpred, n,
                (const double *)out);
}

#endif
