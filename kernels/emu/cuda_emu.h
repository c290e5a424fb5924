/* Host emulation of the CUDA execution model, so that the CUDA kernel headers
 * (kernels/cuda/ops_*.cuh) run unchanged on a machine with no GPU and no CUDA
 * toolkit, under ordinary debuggers and ThreadSanitizer.
 *
 * Model: blocks of a grid run one after another; the threads of one block run
 * as real OS threads taken from a persistent pool, so __syncthreads is a real
 * barrier, __shared__ can be plain `static` storage (only one block is alive
 * at a time) and a missing barrier is a data race that TSAN reports. Warp
 * shuffles exchange values among the (up to) 32 threads of a warp through a
 * per-warp mailbox between two warp barriers: a genuine warp-synchronous
 * exchange, not a sequential imitation. Launches are synchronous.
 *
 * Only the subset of CUDA C++ the project's kernels use is provided. This
 * header must not include cuda_runtime.h: it has to build without a toolkit. */
#ifndef SSSD_KERNELS_EMU_CUDA_EMU_H
#define SSSD_KERNELS_EMU_CUDA_EMU_H

#if defined(__CUDACC__)
#error "cuda_emu.h is the host emulation; nvcc builds use the real runtime"
#endif

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

/* ---- built-in types and variables ---- */
struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

/* Per OS thread: the emulated thread's coordinates inside the current launch.
 * __thread rather than thread_local: constant-initialised, so no TLS wrapper
 * call (which UBSan's null check misreports under gcc). */
extern __thread uint3 threadIdx;
extern __thread uint3 blockIdx;
extern __thread dim3 blockDim;
extern __thread dim3 gridDim;

constexpr int warpSize = 32;

/* Launches are synchronous, so a stream is only a token. */
typedef struct emu_stream_token *cudaStream_t;

/* ---- qualifiers ---- */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __launch_bounds__(...)
/* One block alive at a time: function-local static storage is block-shared. */
#define __shared__ static
/* Dynamic shared memory (`extern __shared__ T name[]` in CUDA cannot be spelt
 * with `static`): kernels use SSSD_DYNAMIC_SHARED from cuda_compat.cuh. */

namespace emu {

/* Runtime entry points (cuda_emu.cpp). */
void launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const std::function<void()> &body);
void sync_block();
void sync_warp();
void *dynamic_shared();
/* Warp-synchronous exchange: every live lane of the calling warp deposits
 * `bytes` bytes from `in`, then reads lane `src_lane`'s deposit into `out`
 * (its own value when src_lane names no live thread). */
void warp_exchange(const void *in, void *out, int src_lane, size_t bytes);
int lane_id();
/* Number of threads the calling thread's warp really has (partial last warp). */
int warp_live_lanes();
/* Launches run so far (tests use it to see that work ran on "the device"). */
unsigned long long launch_count();

}  // namespace emu

/* ---- synchronisation ---- */
inline void __syncthreads() { emu::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    (void)mask;
    emu::sync_warp();
}
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

/* ---- warp shuffles (whole-warp participation is assumed, as the kernels do) ---- */
template <class T>
inline T __shfl_sync(unsigned mask, T v, int src_lane, int width = warpSize) {
    (void)mask;
    static_assert(std::is_trivially_copyable<T>::value, "shuffle of a non-trivial type");
    int lane = emu::lane_id();
    int base = lane - lane % width;
    int src = base + ((src_lane % width) + width) % width;
    T out;
    emu::warp_exchange(&v, &out, src, sizeof(T));
    return out;
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
    (void)mask;
    int lane = emu::lane_id();
    int in_seg = lane % width;
    /* Out of the segment: CUDA returns the caller's own value. */
    int src = (in_seg + (int)delta < width) ? lane + (int)delta : lane;
    T out;
    emu::warp_exchange(&v, &out, src, sizeof(T));
    return out;
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
    (void)mask;
    int lane = emu::lane_id();
    int in_seg = lane % width;
    int src = (in_seg - (int)delta >= 0) ? lane - (int)delta : lane;
    T out;
    emu::warp_exchange(&v, &out, src, sizeof(T));
    return out;
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
    (void)mask;
    int lane = emu::lane_id();
    int base = lane - lane % width;
    int src = base + ((lane % width) ^ lane_mask);
    if (src - base >= width) src = lane;
    T out;
    emu::warp_exchange(&v, &out, src, sizeof(T));
    return out;
}

/* ---- atomics (through the compiler's atomic builtins, which TSAN understands) ---- */
inline int atomicAdd(int *addr, int v) { return __atomic_fetch_add(addr, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned *addr, unsigned v) { return __atomic_fetch_add(addr, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicAdd(unsigned long long *addr, unsigned long long v) {
    return __atomic_fetch_add(addr, v, __ATOMIC_SEQ_CST);
}
template <class F, class U>
inline F emu_atomic_add_float(F *addr, F v) {
    static_assert(sizeof(F) == sizeof(U), "bit-width mismatch");
    U *bits = reinterpret_cast<U *>(addr);
    U old_bits = __atomic_load_n(bits, __ATOMIC_SEQ_CST);
    for (;;) {
        F old_val, new_val;
        std::memcpy(&old_val, &old_bits, sizeof old_val);
        new_val = old_val + v;
        U new_bits;
        std::memcpy(&new_bits, &new_val, sizeof new_bits);
        if (__atomic_compare_exchange_n(bits, &old_bits, new_bits, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return old_val;
    }
}
inline float atomicAdd(float *addr, float v) { return emu_atomic_add_float<float, uint32_t>(addr, v); }
inline double atomicAdd(double *addr, double v) { return emu_atomic_add_float<double, uint64_t>(addr, v); }

/* ---- loads and math intrinsics ---- */
template <class T>
inline T __ldg(const T *p) {
    return *p;
}
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float sinpif(float x) { return (float)sin(M_PI * (double)x); }
inline float cospif(float x) { return (float)cos(M_PI * (double)x); }
inline void sincospif(float x, float *s, float *c) {
    *s = sinpif(x);
    *c = cospif(x);
}
inline double sinpi(double x) { return sin(M_PI * x); }
inline double cospi(double x) { return cos(M_PI * x); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline int __float_as_int(float x) {
    int i;
    std::memcpy(&i, &x, sizeof i);
    return i;
}

/* ---- launch: emu_launch(kernel, grid, block, dynamic_shared_bytes, args...) ---- */
template <class... P, class... A>
inline void emu_launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t shared_bytes, A &&...args) {
    static_assert(sizeof...(P) == sizeof...(A), "wrong number of kernel arguments");
    /* Converted once to the kernel's parameter types, as a real launch does;
     * each emulated thread then receives its own by-value copy. */
    const std::tuple<typename std::decay<P>::type...> params(std::forward<A>(args)...);
    emu::launch(grid, block, shared_bytes, [&params, kernel]() { std::apply(kernel, params); });
}

#endif
