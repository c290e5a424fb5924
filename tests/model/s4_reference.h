/* Dense double-precision reference for the S4 tests: the conjugate-extended
 * state-space system of one channel built explicitly (N x N complex), its
 * bilinear discretisation by LAPACK solves, matrix powers by repeated
 * squaring and the kernel by the plain recurrence K[l] = C~^T dA^l dB. Slow
 * and simple on purpose: it shares no code with model/s4_init.c or
 * kernels/cpu/cpu_s4_kernel.c, so agreement is evidence of correctness. */
#ifndef SSSD_TESTS_MODEL_S4_REFERENCE_H
#define SSSD_TESTS_MODEL_S4_REFERENCE_H

#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Conjugate extension of an (n2, 2) interleaved complex vector to length 2 n2. */
static inline void ref_extend(int n2, const double *x, double complex *out) {
    for (int n = 0; n < n2; n++) {
        out[n] = x[2 * n] + I * x[2 * n + 1];
        out[n2 + n] = conj(out[n]);
    }
}

/* C = A B for n x n row-major complex matrices (C may not alias). */
static inline void ref_matmul(int n, const double complex *A, const double complex *B, double complex *C) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0.0;
            for (int k = 0; k < n; k++) s += A[i * n + k] * B[k * n + j];
            C[i * n + j] = s;
        }
}

/* Bilinear discretisation of A = diag(w~) - P~ Q~^T (SSSD's stored Q
 * convention) at step dt: dA = (I - dt/2 A)^{-1} (I + dt/2 A),
 * dB = dt (I - dt/2 A)^{-1} B~. w, P, Q, B are (n2, 2); dA is (N, N), dB (N). */
static inline int ref_discretise(int n2, double dt, const double *w, const double *P, const double *Q, const double *B,
                          double complex *dA, double complex *dB) {
    const int N = 2 * n2;
    double complex *wf = malloc(sizeof(double complex) * 4 * N), *pf = wf + N, *qf = wf + 2 * N, *bf = wf + 3 * N;
    double complex *lhs = malloc(sizeof(double complex) * N * N);
    double complex *rhs = malloc(sizeof(double complex) * N * (N + 1));
    lapack_int *piv = malloc(sizeof(lapack_int) * N);
    ref_extend(n2, w, wf);
    ref_extend(n2, P, pf);
    ref_extend(n2, Q, qf);
    ref_extend(n2, B, bf);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double complex a = (i == j ? wf[i] : 0.0) - pf[i] * qf[j];
            lhs[i * N + j] = (i == j ? 1.0 : 0.0) - 0.5 * dt * a;
            rhs[i * (N + 1) + j] = (i == j ? 1.0 : 0.0) + 0.5 * dt * a;
        }
    for (int i = 0; i < N; i++) rhs[i * (N + 1) + N] = dt * bf[i];
    int info = LAPACKE_zgesv(LAPACK_ROW_MAJOR, N, N + 1, lhs, N, piv, rhs, N + 1);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) dA[i * N + j] = rhs[i * (N + 1) + j];
        dB[i] = rhs[i * (N + 1) + N];
    }
    free(wf);
    free(lhs);
    free(rhs);
    free(piv);
    return info;
}

/* out = M^p (n x n) by repeated squaring. */
static inline void ref_matpow(int n, const double complex *M, int p, double complex *out) {
    double complex *base = malloc(sizeof(double complex) * n * n), *tmp = malloc(sizeof(double complex) * n * n);
    memcpy(base, M, sizeof(double complex) * n * n);
    for (int i = 0; i < n * n; i++) out[i] = (i % (n + 1) == 0) ? 1.0 : 0.0;
    while (p > 0) {
        if (p & 1) {
            ref_matmul(n, out, base, tmp);
            memcpy(out, tmp, sizeof(double complex) * n * n);
        }
        p >>= 1;
        if (p) {
            ref_matmul(n, base, base, tmp);
            memcpy(base, tmp, sizeof(double complex) * n * n);
        }
    }
    free(base);
    free(tmp);
}

/* Kernel of one channel and direction by the recurrence: K[l] = C~^T dA^l dB,
 * l < L (complex; the imaginary part is rounding only). C is (n2, 2). */
static inline void ref_kernel(int n2, int L, const double complex *dA, const double complex *dB, const double *C,
                       double complex *K) {
    const int N = 2 * n2;
    double complex *x = malloc(sizeof(double complex) * 2 * N), *y = x + N, *cf = malloc(sizeof(double complex) * N);
    ref_extend(n2, C, cf);
    memcpy(x, dB, sizeof(double complex) * N);
    for (int l = 0; l < L; l++) {
        double complex s = 0.0;
        for (int n = 0; n < N; n++) s += cf[n] * x[n];
        K[l] = s;
        for (int i = 0; i < N; i++) {
            double complex a = 0.0;
            for (int j = 0; j < N; j++) a += dA[i * N + j] * x[j];
            y[i] = a;
        }
        memcpy(x, y, sizeof(double complex) * N);
    }
    free(x);
    free(cf);
}

/* The bidirectional convolution straight from its definition, in double:
 * y[b,h,t] = sum_{s<=t} K0[h,s] u[b,h,t-s] + sum_{m=1}^{L-1-t} K1[h,m-1] u[b,h,t+m] + D[h] u[b,h,t]. */
static inline void ref_conv(const double *u, const double *K, const double *D, double *y, int B, int H, int L) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const double *ub = u + ((size_t)b * H + h) * L, *k0 = K + (size_t)h * L, *k1 = K + ((size_t)H + h) * L;
            for (int t = 0; t < L; t++) {
                double s = D[h] * ub[t];
                for (int q = 0; q <= t; q++) s += k0[q] * ub[t - q];
                for (int m = 1; m <= L - 1 - t; m++) s += k1[m - 1] * ub[t + m];
                y[((size_t)b * H + h) * L + t] = s;
            }
        }
}

#endif
