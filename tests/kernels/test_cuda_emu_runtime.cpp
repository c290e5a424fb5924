/* Tests of the host CUDA emulation itself (kernels/emu/cuda_emu.h): thread
 * and block coordinates for 3-D launches, __syncthreads as a real barrier,
 * warp shuffles (down, up, xor, indexed) on full and partial warps, dynamic
 * shared memory, atomics, threads that leave early, and the project's
 * grid-stride kernels launched with odd block sizes (partial warps), which
 * must give the same bits as their regular launchers. Also run under
 * ThreadSanitizer (scripts/test-emu-tsan.sh). */
#include <cstdio>
#include <cstring>
#include <vector>

#include "cuda_compat.cuh"
#include "ops_diffusion.cuh"
#include "ops_pointwise.cuh"
#include "ops_reduce.cuh"

static int passed = 0, failed = 0;
#define EXPECT(cond, ...)                                                    \
    do {                                                                     \
        if (cond) passed++;                                                  \
        else {                                                               \
            failed++;                                                        \
            std::fprintf(stderr, "%s:%d: failed: %s: ", __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                               \
            std::fputc('\n', stderr);                                        \
        }                                                                    \
    } while (0)

/* out[global linear id] += 1 and records coordinates. */
__global__ void k_coords(int *count, unsigned *coords) {
    unsigned bx = blockDim.x, by = blockDim.y, bz = blockDim.z;
    unsigned tid = threadIdx.x + bx * (threadIdx.y + by * threadIdx.z);
    unsigned bid = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    unsigned g = bid * (bx * by * bz) + tid;
    atomicAdd(&count[g], 1);
    coords[g] = blockIdx.z * 1000000u + blockIdx.y * 10000u + blockIdx.x * 100u + threadIdx.z * 10u + threadIdx.y;
}

/* Needs the barrier: each thread reads its neighbour's write. */
__global__ void k_rotate(const int *in, int *out) {
    __shared__ int s[1024];
    int t = (int)threadIdx.x, n = (int)blockDim.x;
    s[t] = in[blockIdx.x * n + t];
    __syncthreads();
    out[blockIdx.x * n + t] = s[(t + 1) % n];
}

__global__ void k_shuffles(int *down, int *up, int *xr, int *idx, float *sum) {
    int t = (int)threadIdx.x;
    down[t] = __shfl_down_sync(SSSD_FULL_MASK, t * 10, 3);
    up[t] = __shfl_up_sync(SSSD_FULL_MASK, t * 10, 2);
    xr[t] = __shfl_xor_sync(SSSD_FULL_MASK, t * 10, 5);
    idx[t] = __shfl_sync(SSSD_FULL_MASK, t * 10, 7);
    float v = (float)(t + 1);
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(SSSD_FULL_MASK, v, off);
    sum[t] = v;
}

__global__ void k_reverse_dynamic(const float *in, float *out, int n) {
    SSSD_DYNAMIC_SHARED(float, s);
    int t = (int)threadIdx.x;
    if (t < n) s[t] = in[t];
    __syncthreads();
    if (t < n) out[t] = s[n - 1 - t];
}

/* Threads past n leave before the barrier the others still use. */
__global__ void k_early_exit(int *out, int n) {
    __shared__ int s[256];
    int t = (int)threadIdx.x;
    if (t >= n) return;
    s[t] = t;
    __syncthreads();
    out[t] = s[n - 1 - t];
}

__global__ void k_atomics(int *ci, float *cf) {
    atomicAdd(ci, 1);
    atomicAdd(cf, 0.5f);
}

__global__ void k_block_sum(const double *in, double *out) {
    __shared__ double scratch[32];
    double v = block_sum(in[threadIdx.x], scratch);
    out[threadIdx.x] = v;
}

int main() {
    /* coordinates of a 3-D grid of 3-D blocks, each thread exactly once */
    {
        dim3 grid(3, 2, 2), block(5, 3, 2);
        int total = 3 * 2 * 2 * 5 * 3 * 2;
        std::vector<int> count((size_t)total, 0);
        std::vector<unsigned> coords((size_t)total, 0);
        emu_launch(k_coords, grid, block, 0, count.data(), coords.data());
        int bad = 0;
        for (int c : count) bad += c != 1;
        EXPECT(bad == 0, "%d threads ran a wrong number of times", bad);
        /* thread (x=4, y=2, z=1) of block (2, 1, 1) */
        unsigned tid = 4 + 5 * (2 + 3 * 1), bid = 2 + 3 * (1 + 2 * 1);
        EXPECT(coords[bid * 30 + tid] == 1u * 1000000 + 1 * 10000 + 2 * 100 + 1 * 10 + 2, "coords %u",
               coords[bid * 30 + tid]);
    }
    /* barriers, with partial warps */
    for (int n : {1, 32, 45, 100, 256}) {
        int blocks = 3;
        std::vector<int> in((size_t)(n * blocks)), out((size_t)(n * blocks), -1);
        for (int i = 0; i < n * blocks; i++) in[(size_t)i] = i * 7 + 1;
        emu_launch(k_rotate, dim3((unsigned)blocks), dim3((unsigned)n), 0, in.data(), out.data());
        int bad = 0;
        for (int b = 0; b < blocks; b++)
            for (int t = 0; t < n; t++) bad += out[(size_t)(b * n + t)] != in[(size_t)(b * n + (t + 1) % n)];
        EXPECT(bad == 0, "rotate n=%d: %d wrong", n, bad);
    }
    /* shuffles: a full warp plus a partial one of 13 lanes (block of 45) */
    {
        int n = 45;
        std::vector<int> down((size_t)n), up((size_t)n), xr((size_t)n), idx((size_t)n);
        std::vector<float> sum((size_t)n);
        emu_launch(k_shuffles, dim3(1), dim3((unsigned)n), 0, down.data(), up.data(), xr.data(), idx.data(), sum.data());
        int bad = 0;
        for (int t = 0; t < n; t++) {
            int lane = t % 32, warp_base = t - lane, live = t < 32 ? 32 : n - 32;
            int src_down = lane + 3 < 32 && lane + 3 < live ? t + 3 : t;
            int src_up = lane >= 2 ? t - 2 : t;
            int src_xor = (lane ^ 5) < live ? warp_base + (lane ^ 5) : t;
            bad += down[(size_t)t] != src_down * 10;
            bad += up[(size_t)t] != src_up * 10;
            bad += xr[(size_t)t] != src_xor * 10;
            bad += idx[(size_t)t] != (warp_base + 7) * 10;
        }
        EXPECT(bad == 0, "%d wrong shuffle results", bad);
        /* lane 0 of the full warp holds 1 + 2 + ... + 32 */
        EXPECT(sum[0] == 528.0f, "warp sum %g", (double)sum[0]);
    }
    /* dynamic shared memory */
    {
        int n = 77;
        std::vector<float> in((size_t)n), out((size_t)n);
        for (int i = 0; i < n; i++) in[(size_t)i] = (float)i;
        emu_launch(k_reverse_dynamic, dim3(1), dim3(96), (size_t)n * sizeof(float), in.data(), out.data(), n);
        int bad = 0;
        for (int i = 0; i < n; i++) bad += out[(size_t)i] != (float)(n - 1 - i);
        EXPECT(bad == 0, "dynamic shared: %d wrong", bad);
    }
    /* early exit does not deadlock the barrier */
    {
        int n = 50;
        std::vector<int> out(256, -1);
        emu_launch(k_early_exit, dim3(2), dim3(128), 0, out.data(), n);
        int bad = 0;
        for (int t = 0; t < n; t++) bad += out[(size_t)t] != n - 1 - t;
        EXPECT(bad == 0, "early exit: %d wrong", bad);
    }
    /* atomics */
    {
        int ci = 0;
        float cf = 0;
        emu_launch(k_atomics, dim3(4), dim3(100), 0, &ci, &cf);
        EXPECT(ci == 400 && cf == 200.0f, "atomics %d %g", ci, (double)cf);
    }
    /* block_sum over 1, 2 and 8 warps */
    for (int n : {32, 64, 256}) {
        std::vector<double> in((size_t)n), out((size_t)n);
        double ref = 0;
        for (int i = 0; i < n; i++) in[(size_t)i] = 0.5 * i - 3, ref += 0.5 * i - 3;
        emu_launch(k_block_sum, dim3(1), dim3((unsigned)n), 0, in.data(), out.data());
        int bad = 0;
        for (int i = 0; i < n; i++) bad += out[(size_t)i] != ref;
        EXPECT(bad == 0, "block_sum n=%d: %d threads wrong", n, bad);
    }
    /* grid-stride kernels with odd block sizes give the launchers' bits */
    {
        long long n = 1001;
        std::vector<float> x((size_t)n), y1((size_t)n), y2((size_t)n);
        for (long long i = 0; i < n; i++) x[(size_t)i] = (float)((i * 37) % 101) / 25.0f - 2.0f;
        launch_gelu_forward(nullptr, x.data(), y1.data(), n);
        launch_normal_fill(nullptr, y2.data(), n, 3, 4, 5);
        for (unsigned block : {1u, 33u, 45u, 100u}) {
            std::vector<float> a((size_t)n), b((size_t)n);
            emu_launch(k_gelu_forward, dim3(3), dim3(block), 0, (const float *)x.data(), a.data(), n);
            emu_launch(k_normal_fill, dim3(2), dim3(block), 0, b.data(), n, (uint64_t)3, (uint64_t)4, 5ull);
            EXPECT(std::memcmp(a.data(), y1.data(), sizeof(float) * (size_t)n) == 0, "gelu block %u differs", block);
            EXPECT(std::memcmp(b.data(), y2.data(), sizeof(float) * (size_t)n) == 0, "normal_fill block %u differs",
                   block);
        }
    }
    std::printf("cuda_emu_runtime: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
