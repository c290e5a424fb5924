/* Dense algebra on the CPU: strided-batched GEMM through OpenBLAS (sgemm for
 * float, dgemm for the double twin) and the kernel-3 im2col/col2im that turn
 * the block's 3-tap convolution into one GEMM. */
#include <cblas.h>

#include "cpu_internal.h"

/* One BLAS call on rows [r0, r1) of C (and the matching rows of op(A)). */
static void gemm_rows(int trans_a, int trans_b, int r0, int r1, int n, int k, double alpha, const real_t *a, int lda,
                      const real_t *b, int ldb, double beta, real_t *c, int ldc) {
    int m = r1 - r0;
    if (m <= 0) return;
    const real_t *ar = trans_a ? a + r0 : a + (long long)r0 * lda;
    real_t *cr = c + (long long)r0 * ldc;
    if (k <= 0) {
        /* Empty inner dimension: C = beta C (BLAS may not touch C at all). */
        for (int r = 0; r < m; r++)
            for (int q = 0; q < n; q++) cr[(long long)r * ldc + q] = beta == 0 ? 0 : (real_t)(beta * cr[(long long)r * ldc + q]);
        return;
    }
#ifdef SSSD_REAL_DOUBLE
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                ar, lda, b, ldb, beta, cr, ldc);
#else
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                (float)alpha, ar, lda, b, ldb, (float)beta, cr, ldc);
#endif
}

typedef struct gemm_job {
    int trans_a, trans_b, m, n, k, lda, ldb, ldc, batch, row_blocks;
    double alpha, beta;
    const real_t *A, *B;
    real_t *C;
    long long stride_a, stride_b, stride_c;
} gemm_job;

/* Task = (batch item, block of rows). With a shared output (stride_c 0) the
 * items accumulate in order, so a task is a row block over every item. */
static void gemm_range(void *p, long long begin, long long end, int tid) {
    gemm_job *j = p;
    int shared = j->stride_c == 0 && j->batch > 1;
    for (long long task = begin; task < end; task++) {
        int item = shared ? 0 : (int)(task / j->row_blocks), rb = (int)(task % j->row_blocks);
        int per = (j->m + j->row_blocks - 1) / j->row_blocks, r0 = rb * per, r1 = r0 + per < j->m ? r0 + per : j->m;
        int last = shared ? j->batch : item + 1;
        for (int i = item; i < last; i++)
            gemm_rows(j->trans_a, j->trans_b, r0, r1, j->n, j->k, j->alpha, j->A + j->stride_a * i, j->lda,
                      j->B + j->stride_b * i, j->ldb, shared && i > 0 ? 1.0 : j->beta, j->C + j->stride_c * i, j->ldc);
    }
}

/* OpenBLAS runs single-threaded inside each task and the pool spreads batch
 * items (or row blocks) over the threads: the model's GEMMs are batches of
 * modest matrices, where OpenBLAS's own threading splits poorly and its
 * spinning workers compete with the pool. */
void cpu_gemm(backend *be, int trans_a, int trans_b, int m, int n, int k, double alpha, const real_t *A, int lda,
              long long stride_a, const real_t *B, int ldb, long long stride_b, double beta, real_t *C, int ldc,
              long long stride_c, int batch) {
    if (m <= 0 || n <= 0 || batch <= 0) return;
    cpu_ctx *ctx = be->ctx;
    int threads = ctx->nthreads;
    double work = 2.0 * m * n * (k > 0 ? k : 1) * batch;
    int shared = stride_c == 0 && batch > 1;
    int row_blocks = 1;
    if (threads > 1 && work >= 2e5 && (shared || batch < 2 * threads)) row_blocks = m >= 2 * threads ? threads : 1;
    gemm_job j = {trans_a, trans_b, m, n, k, lda, ldb, ldc, batch, row_blocks, alpha, beta, A, B, C,
                  stride_a, stride_b, stride_c};
    long long tasks = shared ? row_blocks : (long long)batch * row_blocks;
    cpu_parallel_for(be, tasks, work >= 2e5 ? 1 : tasks + 1, gemm_range, &j);
}

typedef struct cols_job {
    const real_t *src;
    real_t *dst;
    int Ci, L;
} cols_job;

/* One (b, ci) row of x per item: three shifted copies with zero padding. */
static void im2col_range(void *p, long long begin, long long end, int tid) {
    cols_job *j = p;
    int L = j->L;
    for (long long r = begin; r < end; r++) {
        const real_t *x = j->src + r * L;
        real_t *c = j->dst + r * 3 * L;
        real_t *c0 = c, *c1 = c + L, *c2 = c + 2 * L;
        c0[0] = 0;
        for (int l = 1; l < L; l++) c0[l] = x[l - 1];
        for (int l = 0; l < L; l++) c1[l] = x[l];
        for (int l = 0; l < L - 1; l++) c2[l] = x[l + 1];
        c2[L - 1] = 0;
    }
}

void cpu_im2col_k3(backend *be, const real_t *x, real_t *cols, int B, int Ci, int L) {
    cols_job j = {x, cols, Ci, L};
    cpu_parallel_for(be, (long long)B * Ci, CPU_PARALLEL_MIN / (3 * L + 1) + 1, im2col_range, &j);
}

static void col2im_range(void *p, long long begin, long long end, int tid) {
    cols_job *j = p;
    int L = j->L;
    for (long long r = begin; r < end; r++) {
        const real_t *c = j->src + r * 3 * L;
        const real_t *c0 = c, *c1 = c + L, *c2 = c + 2 * L;
        real_t *dx = j->dst + r * L;
        /* cols[j][l] read x[l+j-1], so dx[l] collects c0[l+1], c1[l], c2[l-1]. */
        for (int l = 0; l < L; l++) {
            real_t s = c1[l];
            if (l + 1 < L) s += c0[l + 1];
            if (l >= 1) s += c2[l - 1];
            dx[l] += s;
        }
    }
}

void cpu_col2im_k3(backend *be, const real_t *dcols, real_t *dx, int B, int Ci, int L) {
    cols_job j = {dcols, dx, Ci, L};
    cpu_parallel_for(be, (long long)B * Ci, CPU_PARALLEL_MIN / (3 * L + 1) + 1, col2im_range, &j);
}
