/* The seam between the kernel headers (ops_*.cuh) and whatever runs them:
 * nvcc and the CUDA runtime on a GPU, or the host emulation in kernels/emu/
 * on a machine without one. Kernels and their launchers are written once, in
 * the common subset of CUDA C++, against the few macros defined here. */
#ifndef SSSD_KERNELS_CUDA_COMPAT_CUH
#define SSSD_KERNELS_CUDA_COMPAT_CUH

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__CUDACC__)
#include <cuda_runtime.h>

/* Every runtime call is checked with the caller's file and line, so a failure
 * names the operation that caused it rather than a later, unrelated call. */
static inline void sssd_cuda_check(cudaError_t err, const char *file, int line) {
    if (err != cudaSuccess) {
        fprintf(stderr, "CUDA error at %s:%d: %s (%s)\n", file, line, cudaGetErrorString(err),
                cudaGetErrorName(err));
        if (err == cudaErrorMemoryAllocation)
            fprintf(stderr, "the GPU ran out of memory: reduce the batch size or the model (channels, layers)\n");
        exit(EXIT_FAILURE);
    }
}
#define cudaCheck(call) sssd_cuda_check((call), __FILE__, __LINE__)

/* Launch on `stream` and check the launch itself (configuration errors). */
#define SSSD_LAUNCH(kernel, grid, block, shared, stream, ...)            \
    do {                                                                 \
        kernel<<<(grid), (block), (shared), (stream)>>>(__VA_ARGS__);    \
        cudaCheck(cudaGetLastError());                                   \
    } while (0)

#define SSSD_DYNAMIC_SHARED(type, name)                     \
    extern __shared__ __align__(16) unsigned char name##_raw_[]; \
    type *name = reinterpret_cast<type *>(name##_raw_)

#define SSSD_FULL_MASK 0xffffffffu

#else /* host emulation */
#include "cuda_emu.h"

#define SSSD_LAUNCH(kernel, grid, block, shared, stream, ...) \
    do {                                                      \
        (void)(stream);                                       \
        emu_launch(kernel, (grid), (block), (shared), __VA_ARGS__); \
    } while (0)

#define SSSD_DYNAMIC_SHARED(type, name) type *name = reinterpret_cast<type *>(emu::dynamic_shared())

#define SSSD_FULL_MASK 0xffffffffu
#endif

/* Launch geometry shared by both builds. */
#define SSSD_BLOCK 256
/* Grid-stride kernels never need more blocks than this to fill an H100
 * (132 SMs x 16 resident blocks of 256 threads, rounded up). */
#define SSSD_MAX_GRID 4096

static inline unsigned sssd_grid_for(long long n, int block) {
    long long g = (n + block - 1) / block;
    if (g < 1) g = 1;
    if (g > SSSD_MAX_GRID) g = SSSD_MAX_GRID;
    return (unsigned)g;
}

#endif
