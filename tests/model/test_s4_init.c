/* Tests of the S4 layer initialisation (model/s4_init.c): the HiPPO-LegS
 * diagonal-plus-low-rank factors (known answers for N = 2 and N = 4,
 * spectral reconstruction of A + P P^T for N = 64, eigenvalues of the DPLR
 * matrix), the length correction against a dense repeated-squaring oracle,
 * and the reproducibility of the random draws. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "s4_init.h"
#include "s4_reference.h"
#include "test_util.h"

/* Known answer, N = 2 (worked by hand):
 *   A = [[-1, 0], [-sqrt3, -2]], P = (sqrt(1/2), sqrt(3/2)), B = (1, sqrt3).
 *   A + P P^T = [[-1/2, sqrt3/2], [-sqrt3/2, -1/2]] = -I/2 + S, S skew.
 *   Eigenvalues -1/2 +- i sqrt3/2; for +i sqrt3/2 the eigenvector is (1, i)/sqrt2.
 *   V^* B = (1 - i sqrt3)/sqrt2, modulus sqrt2; after the phase convention
 *   (V^* B real positive): B~ = sqrt2, and P = B/sqrt2 gives P~ = 1.
 *   Check: the DPLR matrix [[w-1, -1], [-1, conj(w)-1]] has trace -3 and
 *   determinant |w-1|^2 - 1 = (9/4 + 3/4) - 1 = 2, i.e. eigenvalues -1, -2 = eig(A). */
static void test_legs_n2(void) {
    double w[2], P[2], B[2];
    CHECK(s4_hippo_legs_dplr(2, w, P, B) == 0);
    CHECK_CLOSE(w[0], -0.5, 1e-14, 0);
    CHECK_CLOSE(w[1], sqrt(3.0) / 2, 1e-14, 0);
    CHECK_CLOSE(B[0], sqrt(2.0), 1e-14, 0);
    CHECK_CLOSE(B[1], 0.0, 1e-14, 0);
    CHECK_CLOSE(P[0], 1.0, 1e-14, 0);
    CHECK_CLOSE(P[1], 0.0, 1e-14, 0);
}

/* Known answer, N = 4 (worked by hand): S has entries a_ij = sqrt(2i+1) sqrt(2j+1)/2
 * above the diagonal. For a 4x4 skew-symmetric matrix the eigenvalues i mu solve
 *   mu^4 - (sum_{i<j} a_ij^2) mu^2 + Pf^2 = 0,
 *   sum a_ij^2 = (1*3 + 1*5 + 1*7 + 3*5 + 3*7 + 5*7)/4 = 86/4 = 21.5,
 *   Pf = a01 a23 - a02 a13 + a03 a12 = sqrt(1*3*5*7)/4, Pf^2 = 105/16,
 * so mu^2 = (21.5 -+ sqrt(21.5^2 - 105/4))/2 = (21.5 -+ sqrt(436))/2,
 * mu = 0.55647..., 4.60318... (ascending, as returned). The DPLR matrix must
 * have the eigenvalues of A, -1..-4: checked through tr(M^k), k = 1..4, which
 * fix the characteristic polynomial. */
static void test_legs_n4(void) {
    double w[4], P[4], B[4];
    CHECK(s4_hippo_legs_dplr(4, w, P, B) == 0);
    double mu_lo = sqrt((21.5 - sqrt(436.0)) / 2), mu_hi = sqrt((21.5 + sqrt(436.0)) / 2);
    CHECK_CLOSE(w[0], -0.5, 1e-14, 0);
    CHECK_CLOSE(w[2], -0.5, 1e-14, 0);
    CHECK_CLOSE(w[1], mu_lo, 1e-13, 0);
    CHECK_CLOSE(w[3], mu_hi, 1e-13, 0);
    /* B~ real positive, P~ = B~/sqrt2 (LegS has P = B/sqrt2) */
    for (int j = 0; j < 2; j++) {
        CHECK(B[2 * j] > 0);
        CHECK_CLOSE(B[2 * j + 1], 0.0, 1e-14, 0);
        CHECK_CLOSE(P[2 * j], B[2 * j] / sqrt(2.0), 1e-14, 0);
        CHECK_CLOSE(P[2 * j + 1], 0.0, 1e-14, 0);
    }
    /* ||B||^2 = 1 + 3 + 5 + 7 = 16 = 2 sum |B~|^2 (V unitary) */
    CHECK_CLOSE(2 * (B[0] * B[0] + B[2] * B[2]), 16.0, 1e-12, 0);
}

/* tr(M^k) of the conjugate-extended DPLR matrix M = diag(w~) - P~ P~^* must
 * equal sum_{n=1}^N (-n)^k, the power sums of A's eigenvalues. */
static void check_dplr_power_sums(int N, int kmax, double rtol) {
    const int N2 = N / 2;
    double *w = malloc(sizeof(double) * 3 * N), *P = w + N, *B = w + 2 * N;
    CHECK(s4_hippo_legs_dplr(N, w, P, B) == 0);
    double complex *wf = malloc(sizeof(double complex) * 2 * N), *pf = wf + N;
    double complex *M = malloc(sizeof(double complex) * N * N), *Mk = malloc(sizeof(double complex) * N * N),
                   *tmp = malloc(sizeof(double complex) * N * N);
    ref_extend(N2, w, wf);
    ref_extend(N2, P, pf);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) M[i * N + j] = (i == j ? wf[i] : 0.0) - pf[i] * conj(pf[j]);
    memcpy(Mk, M, sizeof(double complex) * N * N);
    for (int k = 1; k <= kmax; k++) {
        double complex tr = 0.0;
        double expect = 0.0;
        for (int i = 0; i < N; i++) tr += Mk[i * N + i];
        for (int n = 1; n <= N; n++) expect += pow(-(double)n, k);
        CHECK_MSG(fabs(creal(tr) - expect) <= rtol * fabs(expect) && fabs(cimag(tr)) <= rtol * fabs(expect),
                  "N=%d k=%d tr=%.15g%+.3gi expect %.15g", N, k, creal(tr), cimag(tr), expect);
        ref_matmul(N, Mk, M, tmp);
        memcpy(Mk, tmp, sizeof(double complex) * N * N);
    }
    free(w);
    free(wf);
    free(M);
    free(Mk);
    free(tmp);
}

/* Spectral reconstruction for N = 64: A + P P^T is normal with eigenpairs
 * (w_j, v_j) and conjugates, so for real x, y: x^T (A + P P^T)^k y =
 * 2 Re sum_j conj(x~_j) y~_j w_j^k with x~ = V^* x. These moments for k = 0..7
 * and x, y in {B, P} pin down the decomposition without access to V. */
static void test_legs_n64_reconstruction(void) {
    const int N = 64, N2 = 32;
    double w[64], P[64], B[64];
    CHECK(s4_hippo_legs_dplr(N, w, P, B) == 0);
    int ok_real = 1, ok_sorted = 1;
    for (int j = 0; j < N2; j++) {
        if (w[2 * j] != -0.5) ok_real = 0;
        if (w[2 * j + 1] <= 0 || (j > 0 && w[2 * j + 1] < w[2 * j - 1])) ok_sorted = 0;
    }
    CHECK_MSG(ok_real, "real parts of w are not exactly -1/2");
    CHECK_MSG(ok_sorted, "imaginary parts of w not positive ascending");
    double S[64 * 64], b0[64], p0[64], v[64], t[64];
    for (int n = 0; n < N; n++) {
        b0[n] = sqrt(2.0 * n + 1);
        p0[n] = sqrt(n + 0.5);
    }
    for (int n = 0; n < N; n++) {
        for (int k = 0; k < N; k++) {
            double a = n > k ? -sqrt(2.0 * n + 1) * sqrt(2.0 * k + 1) : (n == k ? -(n + 1.0) : 0.0);
            S[n * N + k] = a + p0[n] * p0[k];
        }
    }
    const double *xs[2] = {b0, p0};
    const double *xt[2] = {B, P};
    for (int a = 0; a < 2; a++)
        for (int bsel = 0; bsel < 2; bsel++) {
            memcpy(v, xs[bsel], sizeof v);
            for (int k = 0; k < 8; k++) {
                double dense = 0.0;
                for (int n = 0; n < N; n++) dense += xs[a][n] * v[n];
                double complex spec = 0.0;
                double scale = 0.0;
                for (int j = 0; j < N2; j++) {
                    double complex xj = xt[a][2 * j] + I * xt[a][2 * j + 1];
                    double complex yj = xt[bsel][2 * j] + I * xt[bsel][2 * j + 1];
                    double complex wj = w[2 * j] + I * w[2 * j + 1];
                    spec += conj(xj) * yj * cpow(wj, k);
                    scale += cabs(xj) * cabs(yj) * pow(cabs(wj), k);
                }
                CHECK_MSG(fabs(dense - 2 * creal(spec)) <= 1e-11 * 2 * scale, "moment k=%d (%d,%d): %.15g vs %.15g",
                          k, a, bsel, dense, 2 * creal(spec));
                for (int n = 0; n < N; n++) {
                    double s = 0.0;
                    for (int m = 0; m < N; m++) s += S[n * N + m] * v[m];
                    t[n] = s;
                }
                memcpy(v, t, sizeof v);
            }
        }
    CHECK(s4_hippo_legs_dplr(3, w, P, B) == -1); /* odd N refused */
}

/* s4_length_correct against C - (C~^T dA^L)[:N2] with dA^L by dense repeated squaring. */
static void test_length_correction(int L) {
    const int H = 3, N = 64, N2 = 32, NF = 64;
    double *log_dt = malloc(sizeof(double) * H), *w = malloc(sizeof(double) * H * N), *B = malloc(sizeof(double) * H * N),
           *P = malloc(sizeof(double) * H * N), *Q = malloc(sizeof(double) * H * N),
           *C = malloc(sizeof(double) * 2 * H * N), *C0 = malloc(sizeof(double) * 2 * H * N);
    CHECK(s4_init_layer(H, N, L, 1e-3, 1e-1, 11, 5, log_dt, w, B, P, Q, C) == 0);
    /* use fresh (uncorrected) C values and spread dt over its whole range */
    for (int i = 0; i < 2 * H * N; i++) C0[i] = C[i] = cos(0.37 * i + 0.1) + 0.3 * sin(1.3 * i);
    log_dt[0] = log(1e-3);
    log_dt[1] = log(1e-2);
    log_dt[2] = log(1e-1);
    s4_length_correct(H, N2, L, log_dt, w, B, P, Q, C);
    double complex *dA = malloc(sizeof(double complex) * NF * NF), *dB = malloc(sizeof(double complex) * NF),
                   *dAL = malloc(sizeof(double complex) * NF * NF), cf[64];
    double maxerr = 0, maxmag = 0;
    for (int h = 0; h < H; h++) {
        CHECK(ref_discretise(N2, exp(log_dt[h]), w + h * N, P + h * N, Q + h * N, B + h * N, dA, dB) == 0);
        ref_matpow(NF, dA, L, dAL);
        for (int c = 0; c < 2; c++) {
            const double *c0 = C0 + (c * H + h) * N;
            ref_extend(N2, c0, cf);
            for (int m = 0; m < N2; m++) {
                double complex prod = 0.0;
                for (int n = 0; n < NF; n++) prod += cf[n] * dAL[n * NF + m];
                double complex expect = cf[m] - prod;
                double complex got = C[(c * H + h) * N + 2 * m] + I * C[(c * H + h) * N + 2 * m + 1];
                maxerr = fmax(maxerr, cabs(got - expect));
                maxmag = fmax(maxmag, cabs(expect));
            }
        }
    }
    CHECK_MSG(maxerr <= 1e-11 * maxmag, "L=%d length correction error %.3g (magnitude %.3g)", L, maxerr, maxmag);
    free(log_dt);
    free(w);
    free(B);
    free(P);
    free(Q);
    free(C);
    free(C0);
    free(dA);
    free(dB);
    free(dAL);
}

/* Shapes, conventions and reproducibility of s4_init_layer. */
static void test_init_layer(void) {
    const int H = 4, N = 64, N2 = 32, L = 200;
    size_t nh = (size_t)H * N, nc = 2 * nh;
    double *a = calloc(2 * (H + 4 * nh + nc), sizeof(double));
    double *ldt = a, *w = ldt + H, *B = w + nh, *P = B + nh, *Q = P + nh, *C = Q + nh;
    double *ldt2 = C + nc, *w2 = ldt2 + H, *B2 = w2 + nh, *P2 = B2 + nh, *Q2 = P2 + nh, *C2 = Q2 + nh;
    CHECK(s4_init_layer(H, N, L, 1e-3, 1e-1, 42, 7, ldt, w, B, P, Q, C) == 0);
    CHECK(s4_init_layer(H, N, L, 1e-3, 1e-1, 42, 7, ldt2, w2, B2, P2, Q2, C2) == 0);
    CHECK(memcmp(a, ldt2, sizeof(double) * (H + 4 * nh + nc)) == 0); /* same (seed, stream): same numbers */
    int in_range = 1, q_conj = 1, shared = 1;
    for (int h = 0; h < H; h++) {
        if (!(ldt[h] >= log(1e-3) && ldt[h] <= log(1e-1))) in_range = 0;
        for (int n = 0; n < N2; n++) {
            size_t i = (size_t)h * N + 2 * n;
            if (Q[i] != P[i] || Q[i + 1] != -P[i + 1]) q_conj = 0;
            if (w[i] != w[2 * n] || w[i + 1] != w[2 * n + 1] || B[i] != B[2 * n]) shared = 0;
        }
    }
    CHECK(in_range);
    CHECK_MSG(q_conj, "Q is not conj(P)");
    CHECK_MSG(shared, "w, B differ across channels");
    CHECK(ldt[0] != ldt[1]);
    CHECK(s4_init_layer(H, N, L, 1e-3, 1e-1, 42, 8, ldt2, w2, B2, P2, Q2, C2) == 0);
    CHECK(ldt2[0] != ldt[0] && C2[0] != C[0]); /* another stream, other draws */
    /* The uncorrected C draws are complex normal with E|c|^2 = 1, i.e. each of
     * re, im has variance 1/2: check that on the documented index layout. */
    double s2 = 0.0;
    const int M = 20000;
    for (int i = 0; i < M; i++) {
        double x = sqrt(0.5) * philox_normal(3, 9, (1ull << 40) + i);
        s2 += x * x;
    }
    CHECK_CLOSE(s2 / M, 0.5, 0.03, 0);
    CHECK(s4_init_layer(H, 63, L, 1e-3, 1e-1, 42, 7, ldt2, w2, B2, P2, Q2, C2) == -1);
    free(a);
}

int main(void) {
    test_legs_n2();
    test_legs_n4();
    check_dplr_power_sums(2, 2, 1e-13);
    check_dplr_power_sums(4, 4, 1e-12);
    check_dplr_power_sums(64, 3, 1e-10);
    test_legs_n64_reconstruction();
    const int lengths[] = {1, 2, 17, 200, 257};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) test_length_correction(lengths[i]);
    test_init_layer();
    return test_finish("test_s4_init");
}
