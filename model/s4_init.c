/* Initialisation of one S4 layer as SSSD does it (model/s4_init.h): the
 * HiPPO-LegS matrix in diagonal-plus-low-rank form, per-channel log dt, the
 * complex normal C and its length correction C <- C (I - dA^L).
 *
 * Decisions, and why:
 * - Eigen-decomposition. A + P P^T is -1/2 I + S with S real skew-symmetric
 *   (for n > k the entry is -sqrt(2n+1)sqrt(2k+1)/2, above the diagonal its
 *   negative, on the diagonal -(n+1) + (n+1/2) = -1/2). So instead of a general
 *   (non-symmetric) eigensolver we diagonalise the Hermitian matrix M = -i S
 *   with zheev: M v = mu v gives S v = i mu v, eigenvalue -1/2 + i mu. The real
 *   parts are then exactly -1/2, the eigenvectors exactly orthonormal, and the
 *   result does not depend on the order in which a general eigensolver happens
 *   to emit conjugate pairs.
 * - One of each conjugate pair. PyTorch keeps every second eigenpair of
 *   torch.linalg.eig, which relies on geev emitting conjugate pairs adjacently
 *   (positive imaginary part first). We keep the N/2 eigenvalues with positive
 *   imaginary part, in ascending order of the imaginary part (zheev's order).
 * - Eigenvector phase. Each kept eigenvector is multiplied by a unit complex
 *   number so that its B coefficient (V^* B) is real and positive. LegS has
 *   P = B / sqrt(2), so P becomes real too, and the factors no longer depend on
 *   the phase convention of the LAPACK build.
 * - Length correction. C (I - dA^L) needs only the row vector C~^T dA^L, where
 *   C~ = [C; conj C] is the conjugate-extended output vector. We apply dA to it
 *   L times using the diagonal-plus-low-rank structure (Sherman-Morrison for the
 *   bilinear solve), on the first half of the conjugate-symmetric vector only:
 *   O(L N) per channel instead of O(N^3 log L) for repeated squaring of the
 *   dense N x N dA (PyTorch's power()). A layer of H = 512 channels at L = 200
 *   takes ~25-60 ms (2 shared cores), the paper's 72 layers a few seconds,
 *   where dense squaring would take minutes. The dense route (explicit dA,
 *   repeated squaring) is the independent oracle in tests/model/test_s4_init.c.
 * - Random draws: log dt uses philox_u32 indices [0, 2H) (two 32-bit draws per
 *   channel give a 53-bit uniform); C uses philox_normal indices from 2^40 on
 *   (a different Philox counter), re and im of C[c, h, n] at
 *   2^40 + 2 ((c H + h) N2 + n) + {0, 1}, each scaled by sqrt(1/2) (PyTorch's
 *   complex randn has E|z|^2 = 1). */
#include "s4_init.h"

#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"

/* Offset of the C draws in the Philox index space (see the header comment). */
#define S4_INIT_C_INDEX_BASE (1ull << 40)

/* Slack after every array handed to zheev. OpenBLAS 0.3.21's AVX2 zgemv
 * kernel, which zheev calls, reads a few hundred bytes past the end of an
 * array; where that array ends the heap, the process dies with a segmentation
 * fault (seen with OPENBLAS_CORETYPE=Haswell on a Zen 5 CPU, at N = 64). */
#define ZHEEV_SLACK 256

/* Eigenvalues (ascending, into mu) and eigenvectors (columns, replacing the
 * row-major Hermitian m) of m: what LAPACKE_zheev(LAPACK_ROW_MAJOR, 'V', 'U')
 * computes - the same transpose, LAPACK call and transpose back - with every
 * array allocated here, padded by ZHEEV_SLACK elements. */
static lapack_int hermitian_eigen(int N, double complex *m, double *mu) {
    double complex *a = calloc((size_t)N * N + ZHEEV_SLACK, sizeof *a), query = 0;
    double *rwork = calloc((size_t)3 * N + ZHEEV_SLACK, sizeof *rwork);
    double *ev = calloc((size_t)N + ZHEEV_SLACK, sizeof *ev);
    lapack_int info = -1;
    if (a && rwork && ev) {
        /* row-major upper triangle = column-major lower triangle of the transpose */
        for (int r = 0; r < N; r++)
            for (int c = 0; c < N; c++) a[(size_t)c * N + r] = m[(size_t)r * N + c];
        info = LAPACKE_zheev_work(LAPACK_COL_MAJOR, 'V', 'U', N, a, N, ev, &query, -1, rwork);
        lapack_int lwork = info == 0 ? (lapack_int)creal(query) : 0;
        double complex *work = info == 0 ? calloc((size_t)lwork + ZHEEV_SLACK, sizeof *work) : NULL;
        info = work ? LAPACKE_zheev_work(LAPACK_COL_MAJOR, 'V', 'U', N, a, N, ev, work, lwork, rwork) : -1;
        free(work);
    }
    if (info == 0) {
        for (int r = 0; r < N; r++)
            for (int c = 0; c < N; c++) m[(size_t)r * N + c] = a[(size_t)c * N + r];
        memcpy(mu, ev, (size_t)N * sizeof *mu);
    }
    free(a);
    free(rwork);
    free(ev);
    return info;
}

int s4_hippo_legs_dplr(int N, double *w, double *P, double *B) {
    if (N < 2 || N % 2 != 0) return -1;
    const int N2 = N / 2;
    double complex *m = calloc((size_t)N * N, sizeof *m);
    double *mu = malloc((size_t)N * sizeof *mu);
    if (!m || !mu) {
        free(m);
        free(mu);
        return -1;
    }
    /* M = -i S, S the skew-symmetric part of A + P P^T (row-major, upper
     * triangle is what zheev reads; we fill both for clarity). */
    for (int n = 0; n < N; n++) {
        for (int k = 0; k < N; k++) {
            double s = 0.0;
            double r = 0.5 * sqrt(2.0 * n + 1.0) * sqrt(2.0 * k + 1.0);
            if (n > k) s = -r;
            else if (n < k) s = r;
            m[(size_t)n * N + k] = -I * s;
        }
    }
    lapack_int info = hermitian_eigen(N, m, mu);
    if (info != 0) {
        free(m);
        free(mu);
        return -1;
    }
    /* Eigenvalues come in pairs +-mu (S is real); a zero one would leave no
     * well-defined "one of each pair". LegS has none, but refuse rather than
     * return something silently wrong. */
    if (!(mu[N2] > 0.0)) {
        free(m);
        free(mu);
        return -1;
    }
    for (int j = 0; j < N2; j++) {
        int col = N2 + j; /* the j-th smallest positive mu */
        double complex vb = 0.0, vp = 0.0;
        for (int n = 0; n < N; n++) {
            double complex vc = conj(m[(size_t)n * N + col]);
            vb += vc * sqrt(2.0 * n + 1.0);
            vp += vc * sqrt(n + 0.5);
        }
        /* Phase so that (V^* B)_j is real positive: scaling v by e^{i phi}
         * scales V^* x by e^{-i phi}. */
        double complex ph = cabs(vb) > 0.0 ? conj(vb) / cabs(vb) : 1.0;
        vb *= ph;
        vp *= ph;
        w[2 * j] = -0.5;
        w[2 * j + 1] = mu[col];
        B[2 * j] = creal(vb);
        B[2 * j + 1] = cimag(vb);
        P[2 * j] = creal(vp);
        P[2 * j + 1] = cimag(vp);
    }
    free(m);
    free(mu);
    return 0;
}

/* Apply the transposed bilinear transition to a conjugate-extended row vector:
 * x <- x dA, i.e. x^T <- dA^T x^T with dA^T = (I + a A^T)(I - a A^T)^{-1},
 * a = dt/2, A = diag(w~) - P~ Q~^T (so A^T = diag(w~) - Q~ P~^T). The solve
 * uses Sherman-Morrison with d = 1/(1 - a w~):
 *   (I - a A^T)^{-1} x = d x - a d Q~ (P~^T d x) / (1 + a P~^T d Q~).
 * Every vector here is conjugate-symmetric ([v; conj v]), so only the first
 * half is stored and each inner product over the full state is 2 Re of the
 * half sum. d, qd = d*Q and the real denominator are precomputed. */
static void step_transposed(int N2, double a, const double complex *w, const double complex *p,
                            const double complex *q, const double complex *d, const double complex *qd, double denom,
                            double complex *x) {
    double s = 0.0;
    for (int n = 0; n < N2; n++) {
        x[n] *= d[n];
        s += creal(p[n] * x[n]);
    }
    s = 2.0 * a * s / denom;
    double t = 0.0;
    for (int n = 0; n < N2; n++) {
        x[n] -= qd[n] * s;
        t += creal(p[n] * x[n]);
    }
    t *= 2.0 * a;
    for (int n = 0; n < N2; n++) x[n] = (1.0 + a * w[n]) * x[n] - q[n] * t;
}

void s4_length_correct(int H, int N2, int L, const double *log_dt, const double *w, const double *B,
                       const double *P, const double *Q, double *C) {
    (void)B; /* the correction depends on A and dt only */
    double complex *buf = malloc((size_t)N2 * 6 * sizeof *buf);
    if (!buf) abort();
    double complex *wh = buf, *ph = buf + N2, *qh = buf + 2 * N2, *d = buf + 3 * N2, *qd = buf + 4 * N2,
                   *x = buf + 5 * N2;
    for (int h = 0; h < H; h++) {
        const double a = 0.5 * exp(log_dt[h]);
        double pdq = 0.0;
        for (int n = 0; n < N2; n++) {
            size_t i = ((size_t)h * N2 + n) * 2;
            wh[n] = w[i] + I * w[i + 1];
            ph[n] = P[i] + I * P[i + 1];
            qh[n] = Q[i] + I * Q[i + 1];
            d[n] = 1.0 / (1.0 - a * wh[n]);
            qd[n] = d[n] * qh[n];
            pdq += 2.0 * creal(ph[n] * qd[n]);
        }
        const double denom = 1.0 + a * pdq;
        for (int c = 0; c < 2; c++) {
            double *cc = C + ((size_t)c * H + h) * N2 * 2;
            for (int n = 0; n < N2; n++) x[n] = cc[2 * n] + I * cc[2 * n + 1];
            for (int l = 0; l < L; l++) step_transposed(N2, a, wh, ph, qh, d, qd, denom, x);
            for (int n = 0; n < N2; n++) {
                cc[2 * n] -= creal(x[n]);
                cc[2 * n + 1] -= cimag(x[n]);
            }
        }
    }
    free(buf);
}

/* A uniform number in (0, 1) with 53 random bits from two 32-bit draws. */
static double uniform53(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t hi = philox_u32(seed, stream, 2 * index) >> 5;     /* 27 bits */
    uint64_t lo = philox_u32(seed, stream, 2 * index + 1) >> 6; /* 26 bits */
    return ((double)((hi << 26) | lo) + 0.5) * (1.0 / 9007199254740992.0);
}

int s4_init_layer(int H, int N, int L, double dt_min, double dt_max, uint64_t seed, uint64_t stream,
                  double *log_dt, double *w, double *B, double *P, double *Q, double *C) {
    if (H < 1 || N < 2 || N % 2 != 0 || L < 1 || !(dt_min > 0.0) || !(dt_max >= dt_min)) return -1;
    const int N2 = N / 2;
    double *w1 = malloc((size_t)N2 * 6 * sizeof *w1);
    if (!w1) return -1;
    double *p1 = w1 + 2 * N2, *b1 = w1 + 4 * N2;
    if (s4_hippo_legs_dplr(N, w1, p1, b1) != 0) {
        free(w1);
        return -1;
    }
    const double lo = log(dt_min), span = log(dt_max) - log(dt_min);
    for (int h = 0; h < H; h++) {
        log_dt[h] = lo + uniform53(seed, stream, (uint64_t)h) * span;
        size_t o = (size_t)h * N2 * 2;
        memcpy(w + o, w1, (size_t)N2 * 2 * sizeof *w);
        memcpy(B + o, b1, (size_t)N2 * 2 * sizeof *B);
        memcpy(P + o, p1, (size_t)N2 * 2 * sizeof *P);
        for (int n = 0; n < N2; n++) { /* Q = conj(P), SSSD's stored convention */
            Q[o + 2 * n] = p1[2 * n];
            Q[o + 2 * n + 1] = -p1[2 * n + 1];
        }
    }
    free(w1);
    const double s = sqrt(0.5);
    const size_t nc = (size_t)2 * H * N2 * 2;
    for (size_t i = 0; i < nc; i++) C[i] = s * (double)philox_normal(seed, stream, S4_INIT_C_INDEX_BASE + i);
    s4_length_correct(H, N2, L, log_dt, w, B, P, Q, C);
    return 0;
}
