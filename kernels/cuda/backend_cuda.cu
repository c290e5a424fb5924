/* The CUDA backend (backend_cuda_create): device memory on one stream,
 * cuBLAS for GEMM, hand-written kernels (ops_*.cuh, shared with the host
 * emulation) for everything else. Every runtime and cuBLAS call is checked
 * with file and line. Memory is allocated only by alloc and by scratch that
 * grows the first time an operation needs more (during the first step): no
 * operation allocates once a training step has run. cuBLAS gets a
 * preallocated workspace so it does not allocate either. */
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "backend.h"
}

#include "cuda_compat.cuh"

static const char *cublas_status_name(cublasStatus_t s) {
    switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED (out of GPU memory)";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "unknown cuBLAS status";
    }
}

static void cublas_check(cublasStatus_t s, const char *file, int line) {
    if (s != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cuBLAS error at %s:%d: %s\n", file, line, cublas_status_name(s));
        exit(EXIT_FAILURE);
    }
}
#define cublasCheck(call) cublas_check((call), __FILE__, __LINE__)

/* cuBLAS workspace, preallocated (NVIDIA recommends 32 MiB on Hopper). */
#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

typedef struct cuda_ctx {
    int device;
    cudaStream_t stream;
    cublasHandle_t cublas;
    void *cublas_workspace;
    void *scratch;
    size_t scratch_bytes;
    double *host_result;   /* pinned, for reductions returned to the host */
    char device_name[256];
} cuda_ctx;

static cuda_ctx *ctx_of(backend *be) { return (cuda_ctx *)be->ctx; }

/* cudaMalloc with a message that says how much was asked and how much is free. */
static void *device_malloc(size_t bytes, const char *what) {
    void *p = NULL;
    cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
    if (err == cudaErrorMemoryAllocation) {
        size_t free_b = 0, total_b = 0;
        cudaGetLastError();
        cudaMemGetInfo(&free_b, &total_b);
        fprintf(stderr,
                "CUDA backend: out of GPU memory allocating %zu bytes for %s (%zu of %zu bytes free); "
                "reduce the batch size, the number of channels or layers\n",
                bytes, what, free_b, total_b);
        exit(EXIT_FAILURE);
    }
    cudaCheck(err);
    return p;
}

static cudaStream_t gpu_stream(backend *be) { return ctx_of(be)->stream; }

static void *gpu_scratch(backend *be, size_t bytes) {
    cuda_ctx *c = ctx_of(be);
    if (bytes > c->scratch_bytes) {
        /* Earlier kernels may still read the old scratch: wait for them. */
        cudaCheck(cudaStreamSynchronize(c->stream));
        if (c->scratch) cudaCheck(cudaFree(c->scratch));
        c->scratch = device_malloc(bytes, "operation scratch");
        c->scratch_bytes = bytes;
    }
    return c->scratch;
}

static void gpu_read_sync(backend *be, void *host, const void *dev, size_t bytes) {
    cuda_ctx *c = ctx_of(be);
    cudaCheck(cudaMemcpyAsync(c->host_result, dev, bytes, cudaMemcpyDeviceToHost, c->stream));
    cudaCheck(cudaStreamSynchronize(c->stream));
    memcpy(host, c->host_result, bytes);
}

static void gpu_gemm_colmajor(backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                              const float *A, int lda, long long stride_a, const float *B, int ldb,
                              long long stride_b, float beta, float *C, int ldc, long long stride_c, int batch) {
    cublasCheck(cublasSgemmStridedBatched(ctx_of(be)->cublas, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A, lda, stride_a, B,
                                          ldb, stride_b, &beta, C, ldc, stride_c, batch));
}

#include "backend_gpu_ops.cuh"

static void *cuda_alloc(backend *be, size_t bytes) {
    void *p = device_malloc(bytes, "a tensor");
    cudaCheck(cudaMemsetAsync(p, 0, bytes ? bytes : 1, ctx_of(be)->stream));
    cudaCheck(cudaStreamSynchronize(ctx_of(be)->stream));
    return p;
}
static void cuda_free(backend *be, void *ptr) {
    (void)be;
    if (ptr) cudaCheck(cudaFree(ptr));
}
static void cuda_upload(backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx_of(be)->stream));
    /* The caller may reuse its host buffer as soon as we return. */
    cudaCheck(cudaStreamSynchronize(ctx_of(be)->stream));
}
static void cuda_download(backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx_of(be)->stream));
    cudaCheck(cudaStreamSynchronize(ctx_of(be)->stream));
}
static void cuda_copy(backend *be, void *dst, const void *src, size_t bytes) {
    if (!bytes) return;
    cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx_of(be)->stream));
}
static void cuda_zero(backend *be, void *dst, size_t bytes) {
    if (!bytes) return;
    cudaCheck(cudaMemsetAsync(dst, 0, bytes, ctx_of(be)->stream));
}
static void cuda_synchronize(backend *be) { cudaCheck(cudaStreamSynchronize(ctx_of(be)->stream)); }
static void cuda_destroy(backend *be) {
    cuda_ctx *c = ctx_of(be);
    cudaCheck(cudaStreamSynchronize(c->stream));
    if (c->scratch) cudaCheck(cudaFree(c->scratch));
    cublasCheck(cublasDestroy(c->cublas));
    cudaCheck(cudaFree(c->cublas_workspace));
    cudaCheck(cudaFreeHost(c->host_result));
    cudaCheck(cudaStreamDestroy(c->stream));
    free(c);
    free(be);
}

static backend_ops make_ops(void) {
    backend_ops o;
    memset(&o, 0, sizeof o);
    o.name = "cuda";
    o.alloc = cuda_alloc;
    o.free = cuda_free;
    o.upload = cuda_upload;
    o.download = cuda_download;
    o.copy = cuda_copy;
    o.zero = cuda_zero;
    o.synchronize = cuda_synchronize;
    o.destroy = cuda_destroy;
    gpu_fill_compute_ops(&o);
    return o;
}

extern "C" backend *backend_cuda_create(char *why, size_t why_size) {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        cudaGetLastError();
        if (why && why_size)
            snprintf(why, why_size, "no CUDA device: %s (%s)", cudaGetErrorString(err), cudaGetErrorName(err));
        return NULL;
    }
    if (count == 0) {
        if (why && why_size) snprintf(why, why_size, "no CUDA device: the driver reports none");
        return NULL;
    }
    static const backend_ops ops = make_ops();
    cuda_ctx *c = (cuda_ctx *)calloc(1, sizeof *c);
    backend *be = (backend *)calloc(1, sizeof *be);
    if (!c || !be) {
        fprintf(stderr, "CUDA backend: out of host memory\n");
        exit(EXIT_FAILURE);
    }
    /* The current device: 0 unless the process was given another (one GPU
     * per process when several share a machine, parallel/collectives.h). */
    cudaCheck(cudaGetDevice(&c->device));
    cudaCheck(cudaSetDevice(c->device));
    cudaDeviceProp prop;
    cudaCheck(cudaGetDeviceProperties(&prop, c->device));
    snprintf(c->device_name, sizeof c->device_name, "%s", prop.name);
    cudaCheck(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    cublasCheck(cublasCreate(&c->cublas));
    cublasCheck(cublasSetStream(c->cublas, c->stream));
    /* Plain FP32 (no TF32), so results stay comparable with the CPU backend. */
    cublasCheck(cublasSetMathMode(c->cublas, CUBLAS_DEFAULT_MATH));
    c->cublas_workspace = device_malloc(CUBLAS_WORKSPACE_BYTES, "the cuBLAS workspace");
    cublasCheck(cublasSetWorkspace(c->cublas, c->cublas_workspace, CUBLAS_WORKSPACE_BYTES));
    cudaCheck(cudaMallocHost((void **)&c->host_result, 4 * sizeof(double)));
    be->ops = &ops;
    be->ctx = c;
    be->threads = 1;
    /* Reductions' scratch now, so the first step does not allocate it. */
    gpu_scratch(be, sssd_reduce_scratch_bytes());
    return be;
}
