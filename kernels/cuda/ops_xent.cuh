/* Softmax cross-entropy of a categorical head over the class dimension of
 * (B, V, L) logits at weighted positions: loss and gradient, deterministic
 * (fixed-order block sums as in ops_reduce.cuh, no floating-point atomics). */
#ifndef SSSD_KERNELS_CUDA_OPS_XENT_CUH
#define SSSD_KERNELS_CUDA_OPS_XENT_CUH

#include "cuda_compat.cuh"
#include "ops_reduce.cuh"

/* Pass 1: one thread per (b, l) column, grid-stride. Consecutive threads take
 * consecutive l, so each class row is read coalesced. Per block: the weighted
 * loss sum and the weight sum, in double. Each weighted column's max and
 * 1/sum exp(x - max) go to col_max/col_rsum for pass 3, which then needs one
 * exp per element and no second scan of the column. Columns of weight <= 0
 * are skipped entirely (their logits may be anything). */
__global__ void k_softmax_xent_partial(const float *__restrict__ logits, const int32_t *__restrict__ target,
                                       const float *__restrict__ w, int V, int L, long long n,
                                       float *__restrict__ col_max, float *__restrict__ col_rsum,
                                       double *__restrict__ partial) {
    __shared__ double scratch[32];
    double loss = 0.0, wsum = 0.0;
    for (long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x; c < n; c += (long long)blockDim.x * gridDim.x) {
        float wc = w[c];
        if (!(wc > 0.0f)) continue;
        const float *x = logits + (c / L) * V * L + c % L;
        float mx = x[0];
        for (int v = 1; v < V; v++) mx = fmaxf(mx, x[(long long)v * L]);
        double s = 0.0;
        for (int v = 0; v < V; v++) s += (double)expf(x[(long long)v * L] - mx);
        double lse = (double)mx + log(s);
        int t = target[c];
        loss += (double)wc * ((t >= 0 && t < V) ? lse - (double)x[(long long)t * L] : lse);
        wsum += (double)wc;
        col_max[c] = mx;
        col_rsum[c] = (float)(1.0 / s);
    }
    loss = block_sum(loss, scratch);
    wsum = block_sum(wsum, scratch);
    if (threadIdx.x == 0) {
        partial[2 * blockIdx.x] = loss;
        partial[2 * blockIdx.x + 1] = wsum;
    }
}

/* Pass 3: one thread per element of dlogits. The weight sum is read on the
 * device (sums[1]) so the host never waits between passes; zero total
 * weight leaves every column unweighted, hence all zeros, not 0/0. */
__global__ void k_softmax_xent_grad(const float *__restrict__ logits, const int32_t *__restrict__ target,
                                    const float *__restrict__ w, float *__restrict__ dlogits, int V, int L,
                                    long long total, const float *__restrict__ col_max,
                                    const float *__restrict__ col_rsum, const double *__restrict__ sums) {
    double sum_w = sums[1];
    float inv = sum_w > 0.0 ? (float)(1.0 / sum_w) : 0.0f;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long)blockDim.x * gridDim.x) {
        long long row = i / L;
        int v = (int)(row % V);
        long long c = (row / V) * L + i % L;
        float wc = w[c], g = 0.0f;
        if (wc > 0.0f) {
            float p = expf(logits[i] - col_max[c]) * col_rsum[c];
            if (target[c] == v) p -= 1.0f;
            g = wc * inv * p;
        }
        dlogits[i] = g;
    }
}

/* Device scratch bytes after the reduction scratch: per-column max and 1/sum. */
static inline size_t softmax_xent_column_bytes(long long n) { return 2 * (size_t)n * sizeof(float); }

/* out[0] = weighted loss sum, out[1] = weight sum (device memory, double);
 * dlogits written. `partial` holds SSSD_REDUCE_MAX_PARTIALS pairs of doubles,
 * `columns` softmax_xent_column_bytes(B * L). */
static inline void launch_softmax_xent(cudaStream_t s, const float *logits, const int32_t *target, const float *w,
                                       float *dlogits, int B, int V, int L, double *partial, double *out,
                                       float *columns) {
    long long n = (long long)B * L;
    float *col_max = columns, *col_rsum = columns + n;
    unsigned g = sssd_reduce_grid(n);
    SSSD_LAUNCH(k_softmax_xent_partial, dim3(g), dim3(SSSD_REDUCE_BLOCK), 0, s, logits, target, w, V, L, n, col_max,
                col_rsum, partial);
    SSSD_LAUNCH(k_sum_partials, dim3(1), dim3(SSSD_REDUCE_BLOCK), 0, s, (const double *)partial, (int)g, 2, out);
    long long total = n * V;
    SSSD_LAUNCH(k_softmax_xent_grad, dim3(sssd_grid_for(total, SSSD_BLOCK)), dim3(SSSD_BLOCK), 0, s, logits, target,
                w, dlogits, V, L, total, (const float *)col_max, (const float *)col_rsum, (const double *)out);
}

#endif
