/* Backend table of the CUDA kernels under host emulation: memory operations
 * on host RAM, GEMM by a plain column-major loop with cuBLAS's argument
 * semantics (so the row/column-major swap in backend_gpu_ops.cuh is tested),
 * and every other operation through the shared launch code of the CUDA
 * backend (kernels/cuda/backend_gpu_ops.cuh) running on the emulator. */
#include "backend_emu.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cuda_compat.cuh"

namespace {

struct emu_ctx {
    void *scratch = nullptr;
    size_t scratch_bytes = 0;
};

emu_ctx *ctx_of(backend *be) { return static_cast<emu_ctx *>(be->ctx); }

[[noreturn]] void out_of_memory(size_t bytes) {
    std::fprintf(stderr, "cuda-emu backend: out of host memory allocating %zu bytes\n", bytes);
    std::exit(EXIT_FAILURE);
}

}  // namespace

static cudaStream_t gpu_stream(backend *be) {
    (void)be;
    return nullptr;
}

static void *gpu_scratch(backend *be, size_t bytes) {
    emu_ctx *c = ctx_of(be);
    if (bytes > c->scratch_bytes) {
        std::free(c->scratch);
        c->scratch = std::malloc(bytes);
        if (!c->scratch) out_of_memory(bytes);
        /* Device scratch is garbage: NaN bytes make a read-before-write visible. */
        std::memset(c->scratch, 0xff, bytes);
        c->scratch_bytes = bytes;
    }
    return c->scratch;
}

static void gpu_read_sync(backend *be, void *host, const void *dev, size_t bytes) {
    (void)be;
    std::memcpy(host, dev, bytes);
}

/* Column-major C_i = alpha op(A_i) op(B_i) + beta C_i, as cublasSgemmStridedBatched;
 * with beta == 0 C is not read (it may hold NaN), as in cuBLAS. */
static void gpu_gemm_colmajor(backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                              const float *A, int lda, long long stride_a, const float *B, int ldb,
                              long long stride_b, float beta, float *C, int ldc, long long stride_c, int batch) {
    (void)be;
    /* The argument checks cuBLAS makes (it would return CUBLAS_STATUS_INVALID_VALUE). */
    int rows_a = trans_a ? k : m, rows_b = trans_b ? n : k;
    if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < (rows_a > 1 ? rows_a : 1) || ldb < (rows_b > 1 ? rows_b : 1) ||
        ldc < (m > 1 ? m : 1)) {
        std::fprintf(stderr,
                     "cuda-emu: cublasSgemmStridedBatched(m=%d n=%d k=%d lda=%d ldb=%d ldc=%d batch=%d) would fail "
                     "with CUBLAS_STATUS_INVALID_VALUE\n",
                     m, n, k, lda, ldb, ldc, batch);
        std::abort();
    }
    for (int bi = 0; bi < batch; bi++) {
        const float *Ab = A + (long long)bi * stride_a, *Bb = B + (long long)bi * stride_b;
        float *Cb = C + (long long)bi * stride_c;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double acc = 0.0;
                for (int p = 0; p < k; p++) {
                    double a = trans_a ? Ab[p + (long long)i * lda] : Ab[i + (long long)p * lda];
                    double b = trans_b ? Bb[j + (long long)p * ldb] : Bb[p + (long long)j * ldb];
                    acc += a * b;
                }
                float *c = &Cb[i + (long long)j * ldc];
                *c = beta == 0.0f ? (float)(alpha * acc) : (float)(alpha * acc + (double)beta * *c);
            }
    }
}

/* The kernels and launch code get a namespace of their own: a program may
 * link this emulation and the real CUDA backend together (the backend-operation
 * checker does), and their kernels have the same names. Headers they include
 * come first, outside it. */
#include "philox.h"
namespace cuda_emu_kernels {
#include "backend_gpu_ops.cuh"
}  // namespace cuda_emu_kernels
using namespace cuda_emu_kernels;

static void *emu_alloc(backend *be, size_t bytes) {
    (void)be;
    void *p = std::calloc(1, bytes ? bytes : 1);
    if (!p) out_of_memory(bytes);
    return p;
}
static void emu_free(backend *be, void *ptr) {
    (void)be;
    std::free(ptr);
}
static void emu_upload(backend *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    if (bytes) std::memcpy(dst, src, bytes);
}
static void emu_download(backend *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    if (bytes) std::memcpy(dst, src, bytes);
}
static void emu_copy(backend *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    if (bytes) std::memmove(dst, src, bytes);
}
static void emu_zero(backend *be, void *dst, size_t bytes) {
    (void)be;
    if (bytes) std::memset(dst, 0, bytes);
}
static void emu_synchronize(backend *be) { (void)be; }
static void emu_destroy(backend *be) {
    emu_ctx *c = ctx_of(be);
    std::free(c->scratch);
    delete c;
    delete be;
}

static backend_ops make_ops() {
    backend_ops o;
    std::memset(&o, 0, sizeof o);
    o.name = "cuda-emu";
    o.alloc = emu_alloc;
    o.free = emu_free;
    o.upload = emu_upload;
    o.download = emu_download;
    o.copy = emu_copy;
    o.zero = emu_zero;
    o.synchronize = emu_synchronize;
    o.destroy = emu_destroy;
    gpu_fill_compute_ops(&o);
    return o;
}

extern "C" backend *backend_cuda_emu_create(void) {
    static const backend_ops ops = make_ops();
    backend *be = new backend;
    be->ops = &ops;
    be->ctx = new emu_ctx;
    be->threads = 1;
    return be;
}

extern "C" unsigned long long backend_cuda_emu_launches(void) { return emu::launch_count(); }
