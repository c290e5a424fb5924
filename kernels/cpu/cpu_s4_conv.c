/* CPU bidirectional long convolution of the S4 layer (kernels/cpu/cpu_s4.h),
 * forward and backward. Compiled for real_t = float (sssd_cpu) and double
 * (sssd_cpu64). Channels are split over the backend's thread pool; FFT plans
 * and workspaces come from the backend's own cache (cpu_s4_state.c).
 *
 * The full circular kernel of length NC >= 2L - 1 (s4_conv_length) is
 * kf[s] = K0[s] (s < L), kf[NC - m] = K1[m - 1] (m = 1..L-1), 0 elsewhere -
 * SSSD's pad(k0) + pad(flip(k1)) with NC = 2L; K1[L-1] only ever multiplies
 * zero padding, so it gets zero gradient. Two implementations give the same
 * numbers: FFT (real FFTs of length NC) and
 * direct (per channel an L x L Toeplitz matrix and one GEMM over the batch).
 * Which one runs is chosen per call from L and B by measured thresholds
 * (S4_CONV_DIRECT_MAX_L below, figures from bench/model/bench_s4). */
#include "cpu_s4.h"
#include "cpu_s4_internal.h"
#include "cpu_s4_state.h"

#include <cblas.h>
#include <string.h>

/* Convolution route: direct (GEMM) when L <= S4_CONV_DIRECT_MAX_L and the
 * per-channel GEMM is small enough (B L L <= S4_CONV_DIRECT_MAX_MNK) that
 * OpenBLAS runs it on the calling thread, else FFT. Measured (with FFTs of
 * length 2L, before s4_conv_length) with
 * `bench_s4 <threads> 7 sweep` (B = 32, H = 256, forward + backward, ms, min of 7,
 * 2 shared cores, OpenBLAS 0.3.21 pthread, FFTW 3.3.10):
 *     L       8     16     32     48     64     96    128    200    256
 *   1 thread: fft 1.35  3.02  6.47  10.1  10.0  14.1  17.7  24.7  38.3
 *          direct 0.42  0.55  1.41  2.95  4.54  10.0  17.8  38.0  60.8
 *   2 threads: fft 0.73 1.62  3.94  5.14  4.71  7.05  9.55  12.5  19.1
 *          direct 0.27  0.34  0.85  1.62  2.37  6.52  9.57  23.0  37.1 (OPENBLAS_NUM_THREADS=1)
 *          direct 0.51  0.70  1.03  1.68  2.33  12.4  17.3   768   931 (OpenBLAS default threads)
 * The last row is why the size cap exists: once OpenBLAS threads a GEMM
 * (above 2^18 multiply-adds in 0.3.21) while our own threads also call it,
 * its busy-waiting workers and ours fight for the cores. */
#ifndef S4_CONV_DIRECT_MAX_L
#define S4_CONV_DIRECT_MAX_L 64
#endif
#ifndef S4_CONV_DIRECT_MAX_MNK
#define S4_CONV_DIRECT_MAX_MNK (1LL << 18)
#endif

typedef struct conv_job {
    const real_t *u, *K, *D, *dy;
    real_t *y, *du, *dK, *dD;
    int B, H, L;
    s4_entry *e;
} conv_job;

/* Spectrum products over n complex numbers stored as interleaved (re, im)
 * reals, written out so they vectorise: C99 complex multiplication checks
 * every product for NaN and calls a library routine, which kept these loops
 * scalar. Without NaNs the numbers are the same. No AVX-512 clone here: gcc 12
 * turns this pattern into fused multiply-adds (vfmaddsub) even with
 * -ffp-contract=off, which would change the last bits on AVX-512 machines.
 * The AVX2 clone (no FMA in that target) gives the same bits as SSE2 with
 * vectors twice as wide. */
CPU_AVX2_CLONES static void spec_mul(real_t *restrict a, const real_t *restrict b, int n) { /* a *= b */
    for (int k = 0; k < n; k++) {
        real_t ar = a[2 * k], ai = a[2 * k + 1], br = b[2 * k], bi = b[2 * k + 1];
        a[2 * k] = ar * br - ai * bi;
        a[2 * k + 1] = ar * bi + ai * br;
    }
}

/* acc += d conj(u); d *= kc (the backward pass's two products of one frequency) */
CPU_AVX2_CLONES static void spec_corr_mul(real_t *restrict acc, real_t *restrict d, const real_t *restrict u,
                          const real_t *restrict kc, int n) {
    for (int k = 0; k < n; k++) {
        real_t dr = d[2 * k], di = d[2 * k + 1], ur = u[2 * k], ui = u[2 * k + 1];
        real_t kr = kc[2 * k], ki = kc[2 * k + 1];
        acc[2 * k] += dr * ur + di * ui;
        acc[2 * k + 1] += di * ur - dr * ui;
        d[2 * k] = dr * kr - di * ki;
        d[2 * k + 1] = dr * ki + di * kr;
    }
}

/* Full circular kernel of length NC for channel h into buf. */
static void full_kernel(const real_t *K, int H, int L, int NC, int h, real_t *buf) {
    const real_t *k0 = K + (size_t)h * L, *k1 = K + ((size_t)H + h) * L;
    for (int s = 0; s < L; s++) buf[s] = k0[s];
    for (int s = L; s <= NC - L; s++) buf[s] = 0;
    for (int m = 1; m < L; m++) buf[NC - m] = k1[m - 1];
}

/* Transposed Toeplitz matrix of channel h: y[b, :] = u[b, :] M, i.e.
 * M[s, t] = K0[t - s] for s <= t (plus D on the diagonal), K1[s - t - 1] for s > t. */
static void toeplitz_matrix(const real_t *K, const real_t *D, int H, int L, int h, real_t *M) {
    const real_t *k0 = K + (size_t)h * L, *k1 = K + ((size_t)H + h) * L;
    for (int s = 0; s < L; s++) {
        real_t *row = M + (size_t)s * L;
        for (int t = 0; t < s; t++) row[t] = k1[s - t - 1];
        for (int t = s; t < L; t++) row[t] = k0[t - s];
        row[s] += D[h];
    }
}

/* Into out: the spectrum of channel h's full circular kernel, scaled by
 * 1/NC for the unnormalised inverse FFT; conjugated for the correlations of
 * the backward pass. */
static void kernel_spectrum(const conv_job *j, s4_thread_ws *w, int h, int conjugate, rcomplex *out) {
    const int NC = j->e->NC;
    const real_t scale = (real_t)(1.0 / NC);
    full_kernel(j->K, j->H, j->L, NC, h, w->rbuf);
    RFFTW(execute_dft_r2c)(j->e->c_r2c, w->rbuf, out);
    for (int k = 0; k <= NC / 2; k++) out[k] = (conjugate ? RCONJ(out[k]) : out[k]) * scale;
}

/* The spectrum of L samples x zero-padded to NC (a linear, not circular,
 * convolution), through w->rin, whose zeros past L the real-to-complex
 * transform leaves alone. */
static void padded_spectrum(const conv_job *j, s4_thread_ws *w, const real_t *x, rcomplex *out) {
    memcpy(w->rin, x, (size_t)j->L * sizeof(real_t));
    RFFTW(execute_dft_r2c)(j->e->c_r2c, w->rin, out);
}

/* sum_t a[t] b[t] in double, in four interleaved partial sums: one running
 * sum would make every addition wait for the previous one. */
static double dot_double(const real_t *a, const real_t *b, int n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int t = 0;
    for (; t + 4 <= n; t += 4) {
        s0 += (double)a[t] * (double)b[t];
        s1 += (double)a[t + 1] * (double)b[t + 1];
        s2 += (double)a[t + 2] * (double)b[t + 2];
        s3 += (double)a[t + 3] * (double)b[t + 3];
    }
    for (; t < n; t++) s0 += (double)a[t] * (double)b[t];
    return (s0 + s1) + (s2 + s3);
}

/* The FFT routes walk the channels [begin, end) in blocks of S4_CONV_BLOCK:
 * the block's kernel spectra first, then the batch, each batch element's rows
 * of the block in memory order. Each channel's own sequence of operations
 * (its batch in order) is what it was channel by channel, so the results do
 * not depend on the block or on the thread count. */
static void conv_forward_fft_job(void *arg, long long begin, long long end, int tid) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L, NC = j->e->NC;
    const size_t cs = s4_conv_spec_stride(NC);
    s4_thread_ws *w = &j->e->ws[tid];
    for (int h0 = (int)begin; h0 < (int)end; h0 += S4_CONV_BLOCK) {
        const int nb = (int)end - h0 < S4_CONV_BLOCK ? (int)end - h0 : S4_CONV_BLOCK;
        for (int i = 0; i < nb; i++) kernel_spectrum(j, w, h0 + i, 0, w->spec_k + i * cs);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < nb; i++) {
                const int h = h0 + i;
                const real_t d = j->D[h];
                const real_t *ub = j->u + ((size_t)b * H + h) * L;
                real_t *yb = j->y + ((size_t)b * H + h) * L;
                padded_spectrum(j, w, ub, w->spec_a);
                spec_mul((real_t *)w->spec_a, (const real_t *)(w->spec_k + i * cs), NC / 2 + 1);
                RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_a, w->rbuf);
                for (int t = 0; t < L; t++) yb[t] = w->rbuf[t] + d * ub[t];
            }
    }
}

static void conv_backward_fft_job(void *arg, long long begin, long long end, int tid) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L, NC = j->e->NC;
    const size_t cs = s4_conv_spec_stride(NC);
    s4_thread_ws *w = &j->e->ws[tid];
    const real_t scale = (real_t)(1.0 / NC);
    for (int h0 = (int)begin; h0 < (int)end; h0 += S4_CONV_BLOCK) {
        const int nb = (int)end - h0 < S4_CONV_BLOCK ? (int)end - h0 : S4_CONV_BLOCK;
        double dd[S4_CONV_BLOCK] = {0};
        for (int i = 0; i < nb; i++) {
            kernel_spectrum(j, w, h0 + i, 1, w->spec_k + i * cs);
            for (int k = 0; k <= NC / 2; k++) w->spec_acc[i * cs + k] = 0;
        }
        for (int b = 0; b < B; b++)
            for (int i = 0; i < nb; i++) {
                const int h = h0 + i;
                const real_t d = j->D[h];
                const real_t *ub = j->u + ((size_t)b * H + h) * L;
                const real_t *dyb = j->dy + ((size_t)b * H + h) * L;
                real_t *dub = j->du + ((size_t)b * H + h) * L;
                padded_spectrum(j, w, ub, w->spec_a);
                padded_spectrum(j, w, dyb, w->spec_b);
                /* dK_full = corr(dy, u): sum_b DY conj(U); du = corr(dy, k): DY conj(Kf) */
                spec_corr_mul((real_t *)(w->spec_acc + i * cs), (real_t *)w->spec_b, (const real_t *)w->spec_a,
                              (const real_t *)(w->spec_k + i * cs), NC / 2 + 1);
                RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_b, w->rbuf);
                for (int t = 0; t < L; t++) dub[t] = w->rbuf[t] + d * dyb[t];
                dd[i] += dot_double(dyb, ub, L);
            }
        for (int i = 0; i < nb; i++) {
            const int h = h0 + i;
            RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_acc + i * cs, w->rbuf);
            real_t *dk0 = j->dK + (size_t)h * L, *dk1 = j->dK + ((size_t)H + h) * L;
            for (int s = 0; s < L; s++) dk0[s] += w->rbuf[s] * scale;
            for (int m = 1; m < L; m++) dk1[m - 1] += w->rbuf[NC - m] * scale;
            j->dD[h] += (real_t)dd[i];
        }
    }
}

static void conv_forward_direct_job(void *arg, long long begin, long long end, int tid) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    for (int h = (int)begin; h < (int)end; h++) {
        toeplitz_matrix(j->K, j->D, H, L, h, w->mat);
        cblas_rgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L, L, 1, j->u + (size_t)h * L, H * L, w->mat, L,
                    0, j->y + (size_t)h * L, H * L);
    }
}

static void conv_backward_direct_job(void *arg, long long begin, long long end, int tid) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    for (int h = (int)begin; h < (int)end; h++) {
        const real_t *uh = j->u + (size_t)h * L, *dyh = j->dy + (size_t)h * L;
        toeplitz_matrix(j->K, j->D, H, L, h, w->mat);
        /* du = dy M^T */
        cblas_rgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L, L, 1, dyh, H * L, w->mat, L, 0,
                    j->du + (size_t)h * L, H * L);
        /* G = u^T dy: G[s, t] = sum_b u[b, s] dy[b, t] = dl/dM[s, t] */
        cblas_rgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, L, B, 1, uh, H * L, dyh, H * L, 0, w->gmat, L);
        real_t *dk0 = j->dK + (size_t)h * L, *dk1 = j->dK + ((size_t)H + h) * L;
        const real_t *G = w->gmat;
        double dd = 0.0;
        for (int s = 0; s < L; s++) dd += G[(size_t)s * L + s];
        for (int q = 0; q < L; q++) { /* K0[q] sits at (s, s + q) */
            double a = 0.0;
            for (int s = 0; s + q < L; s++) a += G[(size_t)s * L + s + q];
            dk0[q] += (real_t)a;
        }
        for (int q = 0; q + 1 < L; q++) { /* K1[q] sits at (t + q + 1, t) */
            double a = 0.0;
            for (int t = 0; t + q + 1 < L; t++) a += G[(size_t)(t + q + 1) * L + t];
            dk1[q] += (real_t)a;
        }
        j->dD[h] += (real_t)dd;
    }
}

static void conv_run(backend *be, conv_job *j, int backward) {
    if (j->B < 1 || j->H < 1 || j->L < 1) return;
    const int route = ((cpu_ctx *)be->ctx)->s4_conv_route;
    j->e = cpu_s4_entry(be, j->L);
    int direct = route == S4_CONV_ROUTE_AUTO
                     ? j->L <= S4_CONV_DIRECT_MAX_L && (long long)j->B * j->L * j->L <= S4_CONV_DIRECT_MAX_MNK
                     : route == S4_CONV_ROUTE_DIRECT;
    if (direct && !j->e->ws[0].mat)
        for (int t = 0; t < j->e->nth; t++) {
            j->e->ws[t].mat = cpu_s4_alloc((size_t)j->L * j->L * sizeof(real_t));
            j->e->ws[t].gmat = cpu_s4_alloc((size_t)j->L * j->L * sizeof(real_t));
        }
    cpu_range_fn fn;
    if (direct) fn = backward ? conv_backward_direct_job : conv_forward_direct_job;
    else fn = backward ? conv_backward_fft_job : conv_forward_fft_job;
    /* A channel is B transforms of length NC (or one GEMM): worth a thread from two channels on. */
    cpu_parallel_for(be, j->H, 2, fn, j);
}

void cpu_s4_conv_forward(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B, int H,
                         int L) {
    conv_job j = {.u = u, .K = K, .D = D, .y = y, .B = B, .H = H, .L = L};
    conv_run(be, &j, 0);
}

void cpu_s4_conv_backward(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy,
                          real_t *du, real_t *dK, real_t *dD, int B, int H, int L) {
    conv_job j = {.u = u, .K = K, .D = D, .dy = dy, .du = du, .dK = dK, .dD = dD, .B = B, .H = H, .L = L};
    conv_run(be, &j, 1);
}
