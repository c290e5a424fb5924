/* Elementwise kernels of the backend table: activations (ReLU, exact GELU,
 * swish, the tanh-sigmoid gate) forward and backward, axpby, broadcasts over
 * (B, C, L) (bias, step-embedding vector) and the kernel-3 im2col/col2im used
 * by the 3-tap convolution. All are grid-stride loops, correct for any block
 * size (the tests run them with partial warps too). col2im gathers instead of
 * scattering so it needs no atomics and stays deterministic. */
#ifndef SSSD_KERNELS_CUDA_OPS_POINTWISE_CUH
#define SSSD_KERNELS_CUDA_OPS_POINTWISE_CUH

#include "cuda_compat.cuh"

#define SSSD_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

__device__ __forceinline__ float sssd_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void k_relu_forward(const float *__restrict__ x, float *__restrict__ y, long long n) {
    SSSD_GRID_STRIDE(i, n) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void k_relu_backward(const float *__restrict__ y, const float *__restrict__ dy, float *__restrict__ dx,
                                long long n) {
    SSSD_GRID_STRIDE(i, n) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* Exact GELU, x * Phi(x), as PyTorch's default (not the tanh approximation). */
__global__ void k_gelu_forward(const float *__restrict__ x, float *__restrict__ y, long long n) {
    SSSD_GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

/* d/dx [x Phi(x)] = Phi(x) + x phi(x). */
__global__ void k_gelu_backward(const float *__restrict__ x, const float *__restrict__ dy, float *__restrict__ dx,
                                long long n) {
    SSSD_GRID_STRIDE(i, n) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * v * v);
        dx[i] = dy[i] * (cdf + v * pdf);
    }
}

__global__ void k_swish_forward(const float *__restrict__ x, float *__restrict__ y, long long n) {
    SSSD_GRID_STRIDE(i, n) y[i] = x[i] * sssd_sigmoid(x[i]);
}

/* d/dx [x s(x)] = s(x) (1 + x (1 - s(x))). */
__global__ void k_swish_backward(const float *__restrict__ x, const float *__restrict__ dy, float *__restrict__ dx,
                                 long long n) {
    SSSD_GRID_STRIDE(i, n) {
        float s = sssd_sigmoid(x[i]);
        dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

/* out[b, c, l] = tanh(h[b, c, l]) * sigmoid(h[b, C + c, l]). */
__global__ void k_gate_forward(const float *__restrict__ h, float *__restrict__ out, int B, int C, int L) {
    long long per = (long long)C * L, n = (long long)B * per;
    SSSD_GRID_STRIDE(i, n) {
        long long b = i / per, r = i % per;
        const float *hb = h + b * 2 * per;
        out[i] = tanhf(hb[r]) * sssd_sigmoid(hb[per + r]);
    }
}

__global__ void k_gate_backward(const float *__restrict__ h, const float *__restrict__ dout, float *__restrict__ dh,
                                int B, int C, int L) {
    long long per = (long long)C * L, n = (long long)B * per;
    SSSD_GRID_STRIDE(i, n) {
        long long b = i / per, r = i % per;
        const float *hb = h + b * 2 * per;
        float *db = dh + b * 2 * per;
        float t = tanhf(hb[r]), s = sssd_sigmoid(hb[per + r]);
        float g = dout[i];
        db[r] = g * s * (1.0f - t * t);
        db[per + r] = g * t * s * (1.0f - s);
    }
}

__global__ void k_axpby(long long n, float a, const float *__restrict__ x, float b, float *__restrict__ y) {
    SSSD_GRID_STRIDE(i, n) y[i] = a * x[i] + b * y[i];
}

/* y[b, c, l] += bias[c] */
__global__ void k_add_bias(float *__restrict__ y, const float *__restrict__ bias, int B, int C, int L) {
    long long n = (long long)B * C * L;
    SSSD_GRID_STRIDE(i, n) y[i] += bias[(i / L) % C];
}

/* y[b, c, l] = x[b, c, l] + v[b, c] (x and y may alias) */
__global__ void k_add_channel_vector(const float *x, const float *__restrict__ v, float *y, int B, int C, int L) {
    long long n = (long long)B * C * L;
    SSSD_GRID_STRIDE(i, n) y[i] = x[i] + v[i / L];
}

/* y[b, c, l] = x[b, c, l] * s[b, c] (x and y may alias) */
__global__ void k_scale_channels(const float *x, const float *__restrict__ s, float *y, int B, int C, int L) {
    long long n = (long long)B * C * L;
    SSSD_GRID_STRIDE(i, n) y[i] = x[i] * s[i / L];
}

/* cols[b, ci*3 + j, l] = x[b, ci, l + j - 1], zero outside [0, L). */
__global__ void k_im2col_k3(const float *__restrict__ x, float *__restrict__ cols, int B, int Ci, int L) {
    long long n = (long long)B * Ci * 3 * L;
    SSSD_GRID_STRIDE(i, n) {
        int l = (int)(i % L);
        long long r = i / L;       /* (b, ci, j) */
        int j = (int)(r % 3);
        long long bci = r / 3;     /* b * Ci + ci */
        int src = l + j - 1;
        cols[i] = (src >= 0 && src < L) ? x[bci * L + src] : 0.0f;
    }
}

/* dx[b, ci, l] += sum_j dcols[b, ci*3 + j, l - j + 1]: each output gathers
 * its three taps, so no two threads write the same element. */
__global__ void k_col2im_k3(const float *__restrict__ dcols, float *__restrict__ dx, int B, int Ci, int L) {
    long long n = (long long)B * Ci * L;
    SSSD_GRID_STRIDE(i, n) {
        int l = (int)(i % L);
        long long bci = i / L;
        const float *base = dcols + bci * 3 * L;
        float acc = 0.0f;
        for (int j = 0; j < 3; j++) {
            int src = l - j + 1;
            if (src >= 0 && src < L) acc += base[(long long)j * L + src];
        }
        dx[i] += acc;
    }
}

/* ---- launchers: one grid-stride launch each ---- */
#define SSSD_POINTWISE_LAUNCH(kernel, s, n, ...)                                                       \
    do {                                                                                               \
        if ((n) > 0) SSSD_LAUNCH(kernel, dim3(sssd_grid_for((n), SSSD_BLOCK)), dim3(SSSD_BLOCK), 0, s, __VA_ARGS__); \
    } while (0)

static inline void launch_relu_forward(cudaStream_t s, const float *x, float *y, long long n) {
    SSSD_POINTWISE_LAUNCH(k_relu_forward, s, n, x, y, n);
}
static inline void launch_relu_backward(cudaStream_t s, const float *y, const float *dy, float *dx, long long n) {
    SSSD_POINTWISE_LAUNCH(k_relu_backward, s, n, y, dy, dx, n);
}
static inline void launch_gelu_forward(cudaStream_t s, const float *x, float *y, long long n) {
    SSSD_POINTWISE_LAUNCH(k_gelu_forward, s, n, x, y, n);
}
static inline void launch_gelu_backward(cudaStream_t s, const float *x, const float *dy, float *dx, long long n) {
    SSSD_POINTWISE_LAUNCH(k_gelu_backward, s, n, x, dy, dx, n);
}
static inline void launch_swish_forward(cudaStream_t s, const float *x, float *y, long long n) {
    SSSD_POINTWISE_LAUNCH(k_swish_forward, s, n, x, y, n);
}
static inline void launch_swish_backward(cudaStream_t s, const float *x, const float *dy, float *dx, long long n) {
    SSSD_POINTWISE_LAUNCH(k_swish_backward, s, n, x, dy, dx, n);
}
static inline void launch_gate_forward(cudaStream_t s, const float *h, float *out, int B, int C, int L) {
    long long n = (long long)B * C * L;
    SSSD_POINTWISE_LAUNCH(k_gate_forward, s, n, h, out, B, C, L);
}
static inline void launch_gate_backward(cudaStream_t s, const float *h, const float *dout, float *dh, int B, int C,
                                        int L) {
    long long n = (long long)B * C * L;
    SSSD_POINTWISE_LAUNCH(k_gate_backward, s, n, h, dout, dh, B, C, L);
}
static inline void launch_axpby(cudaStream_t s, long long n, float a, const float *x, float b, float *y) {
    SSSD_POINTWISE_LAUNCH(k_axpby, s, n, n, a, x, b, y);
}
static inline void launch_add_bias(cudaStream_t s, float *y, const float *bias, int B, int C, int L) {
    long long n = (long long)B * C * L;
    SSSD_POINTWISE_LAUNCH(k_add_bias, s, n, y, bias, B, C, L);
}
static inline void launch_add_channel_vector(cudaStream_t s, const float *x, const float *v, float *y, int B, int C,
                                             int L) {
    long long n = (long long)B * C * L;
    SSSD_POINTWISE_LAUNCH(k_add_channel_vector, s, n, x, v, y, B, C, L);
}
static inline void launch_scale_channels(cudaStream_t s, const float *x, const float *f, float *y, int B, int C,
                                         int L) {
    long long n = (long long)B * C * L;
    SSSD_POINTWISE_LAUNCH(k_scale_channels, s, n, x, f, y, B, C, L);
}
static inline void launch_im2col_k3(cudaStream_t s, const float *x, float *cols, int B, int Ci, int L) {
    long long n = (long long)B * Ci * 3 * L;
    SSSD_POINTWISE_LAUNCH(k_im2col_k3, s, n, x, cols, B, Ci, L);
}
static inline void launch_col2im_k3(cudaStream_t s, const float *dcols, float *dx, int B, int Ci, int L) {
    long long n = (long long)B * Ci * L;
    SSSD_POINTWISE_LAUNCH(k_col2im_k3, s, n, dcols, dx, B, Ci, L);
}

#endif
