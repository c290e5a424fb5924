/* CPU SSM kernel generation of the S4 layer (kernels/cpu/cpu_s4.h): the
 * bidirectional kernel K from the trainable C and its adjoint dC. Compiled for
 * real_t = float (sssd_cpu) and double (sssd_cpu64). Channels are split over
 * the backend's thread pool; FFT plans and workspaces come from the backend's
 * own cache (cpu_s4_state.c).
 *
 * Kernel generation (per direction c, channel h), all in double even in the
 * float build (the cost, H (L/2+1) N2 terms, does not grow with the batch, and
 * double keeps the float kernel accurate to float rounding):
 *   omega_k = exp(-2 pi i k / L), k = 0..L/2, z_k = 2 (1 - omega)/(1 + omega),
 *   r_xy = dt sum_n [ v_n/(z - w_n dt) + conj(v_n)/(z - conj(w_n dt)) ],
 *   khat = (r00 - r01 r10 / (1 + r11)) 2/(1 + omega),  K = irfft(khat, n = L).
 * With t = pi k / L, c = cos t, s = sin t, phi = exp(-i t):
 *   1 + omega = 2 c phi, 1 - omega = 2 i s phi, z = 2 i s / c, so
 *   1/(z - lam) = c / (2 i s - c lam) and 2/(1 + omega) / (z - lam) = conj(phi) / (2 i s - c lam).
 * Writing g_n = 1/(2is - c lam_n), h_n = 1/(2is - c conj(lam_n)):
 *   r_xy = dt c S_xy,  S_xy = sum_n v_n g_n + conj(v_n) h_n,
 *   khat = conj(phi) dt sum_n [ C_n g_n (B_n - rho P_n) + conj(C_n) h_n (conj(B_n) - rho conj(P_n)) ],
 *   rho = r01 / (1 + r11) = dt c S01 / (1 + dt c S11).
 * This form has no 0/0 anywhere: at the Nyquist frequency of even L
 * (omega = -1, z infinite) c = 0 exactly, rho = 0 and khat = dt Re(sum B_n C_n),
 * which is the exact limit (and the value of the generating function
 * C~ (I - dA^L)(I + dA)^{-1} dB there); PyTorch instead divides by a rounded
 * 1 + omega ~ 1e-8. Denominators never vanish: Re(2is - c lam) = -c Re(lam) > 0
 * for c > 0 (Re w < 0; -1/2 for LegS), and |2is| = 2 at c = 0.
 * As computed, the two terms of a mode share one denominator:
 *   v g + conj(v) h = (4is Re v - 2c Re(v conj lam)) / den,  den = (2is - c lam)(2is - c conj lam),
 * so one reciprocal per (k, n) serves all six sums (v = BQ, PQ, C0 B, C0 P,
 * C1 B, C1 P), each a real-weighted sum of 1/den, and
 *   khat_c = conj(phi) dt (T_{Cc B} - rho T_{Cc P}),  T_v = sum_n v g + conj(v) h.
 * We take irfft with n = L (SSSD calls irfft without n, which for odd L returns
 * L - 1 samples); the imaginary parts of khat at k = 0 and k = L/2 (zero up to
 * rounding) are dropped, as irfft does. The irfft is FFTW's (1024 transforms
 * of L = 200 in double: 0.25 ms, against 15 ms for a table-driven direct DFT).
 *
 * Kernel adjoint: khat is real-linear in C: per mode a sum of the four real
 * forms Re(C_n x_n), x in {B, B conj(lam), P, P conj(lam)}, with factors
 * f_xk/den_kn. With G_k = dl/dRe khat_k + i dl/dIm khat_k = wt_k rfft(dK)_k
 * (wt = 1/L at k = 0 and at k = L/2 for even L, else 2/L; irfft ignores the
 * imaginary parts there), l = sum_k Re(conj(G_k) khat_k), and since
 * d Re(C x)/d(Re C, Im C) = conj(x), the gradient in PyTorch's view_as_real
 * layout is dC_n = sum_x gamma_xn conj(x_n), gamma_xn = sum_k Re(conj(G_k) f_xk / den_kn). */
#include "cpu_s4.h"
#include "cpu_s4_state.h"

#include <math.h>
#include <string.h>

typedef struct kernel_job {
    s4_frozen fz;
    const real_t *C;  /* forward: C (2, H, N2, 2) */
    real_t *K;        /* forward: K (2, H, L) */
    const real_t *dK; /* backward */
    real_t *dC;       /* backward: accumulate */
    s4_entry *e;
} kernel_job;

static inline double complex ld_c(const real_t *p) { return (double)p[0] + I * (double)p[1]; }

/* Number of Cauchy sums per channel h in the forward pass: v = B Q, P Q
 * (Woodbury terms), C0 B, C0 P, C1 B, C1 P (the two directions). Each sum
 * is kept as four reals per frequency: sum_n A_v,n/den_n (re, im) and
 * sum_n R_v,n/den_n (re, im) (see cauchy_coeffs), interleaved per frequency
 * so the innermost loop is a fixed-length run of multiply-adds that the
 * compiler vectorises. */
#define KF_NV 6
#define KF_W (4 * KF_NV)

/* Scratch doubles a thread needs for kernel generation (see the jobs). */
static size_t kernel_scratch_doubles(int N2, int L) {
    size_t nk = (size_t)L / 2 + 1;
    size_t inv = 2 * (nk > (size_t)N2 ? nk : (size_t)N2); /* 1/den of one frequency or one mode */
    return (size_t)N2 * (2 + KF_W + 8) + nk * (KF_W + 4 + 16) + inv;
}

/* For v_n and lam_n = lr + i li: the symmetric Cauchy term
 * v/(2is - c lam) + conj(v)/(2is - c conj(lam)) equals (4is R - 2c A)/den with
 * R = Re v, A = Re(v conj(lam)), den = (2is - c lam)(2is - c conj(lam)).
 * Stored duplicated (A, A, R, R) to pair with (Re, Im) of 1/den. */
static inline void cauchy_coeffs(double complex v, double lr, double li, double *out4) {
    double R = creal(v), A = creal(v) * lr + cimag(v) * li;
    out4[0] = A;
    out4[1] = A;
    out4[2] = R;
    out4[3] = R;
}

/* 1/den at frequency (c, s) and mode lam = lr + i li: *re + i *im. Two
 * scalar outputs, not an array: GCC pairs the stores of an array into one
 * vector and then leaves the loops that call this scalar. */
static inline void inv_den(double ck, double sk, double lr, double li, double *re, double *im) {
    double d1r = -ck * lr, d1i = 2.0 * sk - ck * li;
    double d2i = 2.0 * sk + ck * li;
    double dr = d1r * d1r - d1i * d2i, di = d1r * d2i + d1i * d1r;
    double m = 1.0 / (dr * dr + di * di);
    *re = dr * m;
    *im = -di * m;
}

/* The symmetric Cauchy sum T_v = sum_n (4is R - 2c A)/den from its four accumulated reals. */
static inline double complex cauchy_sum(const double *a4, double c, double s) {
    return (-2.0 * c * a4[0] - 4.0 * s * a4[3]) + I * (-2.0 * c * a4[1] + 4.0 * s * a4[2]);
}

/* Four doubles the compiler keeps in one vector register (two on plain
 * SSE2), and the same read from unaligned memory that also holds plain
 * doubles (may_alias, as immintrin.h's __m256d_u). The accumulation loops
 * below are written with them because, written per element, GCC kept their
 * accumulators in a stack array and every multiply-add waited on the store of
 * the one before (kernel generation took 7% of a small training step). */
typedef double v4d __attribute__((vector_size(32)));
typedef double v4d_u __attribute__((vector_size(32), may_alias, aligned(8)));
#define V4D_AT(p) (*(const v4d_u *)(p))

/* Accumulate, for all frequencies k, acc[k][j] = sum_n coef[n][j] (1/den_kn)[j % 2]
 * over the modes n; width j < NW (a multiple of 4, at most KF_W). Per k, the
 * 1/den of all modes are formed first (one vectorised pass with the
 * divisions), then the row acc[k] is summed over n in registers and stored
 * once. Each sum runs over n in ascending order, as it always has, so the
 * numbers do not depend on this blocking. tmp holds 2 N2 doubles. */
static inline __attribute__((always_inline)) void cauchy_accumulate_w(
    const double *restrict ck, const double *restrict sk, int nk, const double *restrict lr,
    const double *restrict li, int N2, const double *restrict coef, const int NW, double *restrict acc,
    double *restrict tmp) {
    double *idr = tmp, *idi = tmp + N2;
    for (int k = 0; k < nk; k++) {
        /* Vectorised, one division instruction serves 2-8 modes; left
         * scalar, these divisions were most of kernel generation's time. */
#pragma omp simd
        for (int n = 0; n < N2; n++) {
            inv_den(ck[k], sk[k], lr[n], li[n], idr + n, idi + n);
        }
        /* Unrolled in full, so that the accumulators are registers, not an
         * array; the pragmas' 6 is KF_W / 4 (checked below the function). */
        v4d a[KF_W / 4];
#pragma GCC unroll 6
        for (int q = 0; q < NW / 4; q++) a[q] = (v4d){0, 0, 0, 0};
        for (int n = 0; n < N2; n++) {
            const double *cf = coef + (size_t)n * NW;
            const v4d id = {idr[n], idi[n], idr[n], idi[n]};
#pragma GCC unroll 6
            for (int q = 0; q < NW / 4; q++) a[q] += V4D_AT(cf + 4 * q) * id;
        }
#pragma GCC unroll 6
        for (int q = 0; q < NW / 4; q++) memcpy(acc + (size_t)k * NW + 4 * q, &a[q], sizeof a[q]);
    }
}

_Static_assert(KF_W / 4 == 6, "cauchy_accumulate_w's #pragma GCC unroll must cover KF_W / 4 vectors");

/* The two widths in use: all six sums (forward) and the Woodbury pair (backward). */
CPU_SIMD_CLONES static void cauchy_accumulate_all(const double *ck, const double *sk, int nk, const double *lr,
                                                  const double *li, int N2, const double *coef, double *acc,
                                                  double *tmp) {
    cauchy_accumulate_w(ck, sk, nk, lr, li, N2, coef, KF_W, acc, tmp);
}
CPU_SIMD_CLONES static void cauchy_accumulate_woodbury(const double *ck, const double *sk, int nk, const double *lr,
                                                       const double *li, int N2, const double *coef, double *acc,
                                                       double *tmp) {
    cauchy_accumulate_w(ck, sk, nk, lr, li, N2, coef, 8, acc, tmp);
}

/* rho_k = dt c T_BQ / (1 + dt c T_PQ) and pre_k = dt (c + i s) for all k. */
static void woodbury_factors(const double *ck, const double *sk, int nk, double dt, const double *acc, int nw,
                             double complex *rho, double complex *pre) {
    for (int k = 0; k < nk; k++) {
        double c = ck[k], s = sk[k];
        double complex t01 = cauchy_sum(acc + (size_t)k * nw, c, s);
        double complex t11 = cauchy_sum(acc + (size_t)k * nw + 4, c, s);
        double complex num = dt * c * t01, den = 1.0 + dt * c * t11;
        double m = 1.0 / (creal(den) * creal(den) + cimag(den) * cimag(den));
        rho[k] = num * conj(den) * m;
        pre[k] = dt * (c + I * s);
    }
}

/* lam_n = w_n dt of channel h into lr, li. */
static void channel_modes(const s4_frozen *fz, int h, double dt, double *lr, double *li) {
    for (int n = 0; n < fz->N2; n++) {
        size_t o = ((size_t)h * fz->N2 + n) * 2;
        lr[n] = (double)fz->w[o] * dt;
        li[n] = (double)fz->w[o + 1] * dt;
    }
}

static void kernel_forward_job(void *arg, long long begin, long long end, int tid) {
    kernel_job *j = arg;
    const s4_frozen *fz = &j->fz;
    const int H = fz->H, N2 = fz->N2, L = fz->L, nk = L / 2 + 1;
    s4_thread_ws *w = &j->e->ws[tid];
    const double *ck = j->e->cosk, *sk = j->e->sink;
    double *lr = w->modes, *li = lr + N2, *coef = li + N2; /* coef (N2, KF_W) */
    double *acc = coef + (size_t)N2 * KF_W;                /* (nk, KF_W) */
    double complex *rho = (double complex *)(acc + (size_t)nk * KF_W), *pre = rho + nk;
    double *tmp = (double *)(pre + nk);                    /* 2 max(N2, nk) */
    double complex *spec = (double complex *)w->kspec;
    for (int h = (int)begin; h < (int)end; h++) {
        const double dt = exp((double)fz->log_dt[h]);
        channel_modes(fz, h, dt, lr, li);
        for (int n = 0; n < N2; n++) {
            size_t o = ((size_t)h * N2 + n) * 2;
            double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), q = ld_c(fz->Q + o);
            double complex c0 = ld_c(j->C + ((size_t)h * N2 + n) * 2);
            double complex c1 = ld_c(j->C + (((size_t)H + h) * N2 + n) * 2);
            double complex v[KF_NV] = {b * q, p * q, c0 * b, c0 * p, c1 * b, c1 * p};
            for (int x = 0; x < KF_NV; x++) cauchy_coeffs(v[x], lr[n], li[n], coef + (size_t)n * KF_W + 4 * x);
        }
        cauchy_accumulate_all(ck, sk, nk, lr, li, N2, coef, acc, tmp);
        woodbury_factors(ck, sk, nk, dt, acc, KF_W, rho, pre);
        for (int c = 0; c < 2; c++) {
            double complex *out = spec + (size_t)c * s4_spec_stride(L);
            for (int k = 0; k < nk; k++) {
                const double *a = acc + (size_t)k * KF_W + 8 + 8 * c;
                double complex tb = cauchy_sum(a, ck[k], sk[k]), tp = cauchy_sum(a + 4, ck[k], sk[k]);
                out[k] = pre[k] * (tb - rho[k] * tp);
            }
            real_t *Kc = j->K + ((size_t)c * H + h) * L;
            /* irfft reads only the real parts of the DC and Nyquist terms */
            out[0] = creal(out[0]);
            if (L % 2 == 0) out[L / 2] = creal(out[L / 2]);
            if (L == 1) {
                Kc[0] = (real_t)creal(out[0]);
                continue;
            }
            fftw_execute_dft_c2r(j->e->k_c2r, (fftw_complex *)out, w->kre);
            const double inv = 1.0 / (double)L;
            for (int l = 0; l < L; l++) Kc[l] = (real_t)(w->kre[l] * inv);
        }
    }
}

/* gam[n][x] = sum_k Re(F[k][x] / den_kn) for x < 8 (2 directions x 4 linear
 * forms). Per mode n, the 1/den of all frequencies are formed first (one
 * vectorised pass), then the eight sums run over k in ascending order in
 * registers. tmp holds 2 nk doubles. */
CPU_SIMD_CLONES static void adjoint_accumulate(const double *restrict ck, const double *restrict sk, int nk,
                               const double *restrict lr, const double *restrict li, int N2,
                               const double *restrict Fr, const double *restrict Fi, double *restrict gam,
                               double *restrict tmp) {
    double *idr = tmp, *idi = tmp + nk;
    for (int n = 0; n < N2; n++) {
#pragma omp simd
        for (int k = 0; k < nk; k++) {
            inv_den(ck[k], sk[k], lr[n], li[n], idr + k, idi + k);
        }
        v4d g0 = {0, 0, 0, 0}, g1 = {0, 0, 0, 0};
        for (int k = 0; k < nk; k++) {
            const double *fr = Fr + (size_t)k * 8, *fi = Fi + (size_t)k * 8;
            const v4d r = {idr[k], idr[k], idr[k], idr[k]}, i = {idi[k], idi[k], idi[k], idi[k]};
            g0 += V4D_AT(fr) * r - V4D_AT(fi) * i;
            g1 += V4D_AT(fr + 4) * r - V4D_AT(fi + 4) * i;
        }
        memcpy(gam + (size_t)n * 8, &g0, sizeof g0);
        memcpy(gam + (size_t)n * 8 + 4, &g1, sizeof g1);
    }
}

static void kernel_backward_job(void *arg, long long begin, long long end, int tid) {
    kernel_job *j = arg;
    const s4_frozen *fz = &j->fz;
    const int H = fz->H, N2 = fz->N2, L = fz->L, nk = L / 2 + 1;
    s4_thread_ws *w = &j->e->ws[tid];
    const double *ck = j->e->cosk, *sk = j->e->sink;
    double *lr = w->modes, *li = lr + N2, *coef = li + N2; /* coef (N2, 8): BQ, PQ */
    double *gam = coef + (size_t)N2 * 8;                   /* (N2, 8) */
    double *acc = gam + (size_t)N2 * 8;                    /* (nk, 8) */
    double complex *rho = (double complex *)(acc + (size_t)nk * 8), *pre = rho + nk;
    double *Fr = (double *)(pre + nk), *Fi = Fr + (size_t)nk * 8; /* (nk, 8) each */
    double *tmp = Fi + (size_t)nk * 8;                            /* 2 max(N2, nk) */
    double complex *spec = (double complex *)w->kspec;
    for (int h = (int)begin; h < (int)end; h++) {
        const double dt = exp((double)fz->log_dt[h]);
        channel_modes(fz, h, dt, lr, li);
        for (int n = 0; n < N2; n++) {
            size_t o = ((size_t)h * N2 + n) * 2;
            double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), q = ld_c(fz->Q + o);
            cauchy_coeffs(b * q, lr[n], li[n], coef + (size_t)n * 8);
            cauchy_coeffs(p * q, lr[n], li[n], coef + (size_t)n * 8 + 4);
        }
        cauchy_accumulate_woodbury(ck, sk, nk, lr, li, N2, coef, acc, tmp);
        woodbury_factors(ck, sk, nk, dt, acc, 8, rho, pre);
        /* G_k = wt_k rfft(dK)_k; khat is a sum of four real-linear forms of C
         * per mode, Re(C b), Re(C b conj(lam)), Re(C p), Re(C p conj(lam)), with
         * per-k factors (times 1/den) F1 = pre 4is, F2 = pre (-2c), F3 = -rho F1,
         * F4 = -rho F2; l = sum_k Re(conj(G_k) khat_k). */
        for (int c = 0; c < 2; c++) {
            const real_t *dKc = j->dK + ((size_t)c * H + h) * L;
            double complex *g = spec + (size_t)c * s4_spec_stride(L);
            if (L == 1) {
                g[0] = (double)dKc[0];
            } else {
                for (int l = 0; l < L; l++) w->kre[l] = (double)dKc[l];
                fftw_execute_dft_r2c(j->e->k_r2c, w->kre, (fftw_complex *)g);
            }
            for (int k = 0; k < nk; k++) {
                int edge = (k == 0) || (2 * k == L);
                double complex E = conj(g[k]) * ((edge ? 1.0 : 2.0) / (double)L) * pre[k];
                double complex f[4];
                f[0] = E * (4.0 * I * sk[k]);
                f[1] = E * (-2.0 * ck[k]);
                f[2] = -rho[k] * f[0];
                f[3] = -rho[k] * f[1];
                for (int x = 0; x < 4; x++) {
                    Fr[(size_t)k * 8 + 4 * c + x] = creal(f[x]);
                    Fi[(size_t)k * 8 + 4 * c + x] = cimag(f[x]);
                }
            }
        }
        adjoint_accumulate(ck, sk, nk, lr, li, N2, Fr, Fi, gam, tmp);
        /* d Re(C x)/d(Re C, Im C) = conj(x): dC_n = conj(b)(g1 + lam g2) + conj(p)(g3 + lam g4) */
        for (int c = 0; c < 2; c++) {
            real_t *dCc = j->dC + ((size_t)c * H + h) * N2 * 2;
            for (int n = 0; n < N2; n++) {
                size_t o = ((size_t)h * N2 + n) * 2;
                const double *gn = gam + (size_t)n * 8 + 4 * c;
                double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), lam = lr[n] + I * li[n];
                double complex d = conj(b) * (gn[0] + lam * gn[1]) + conj(p) * (gn[2] + lam * gn[3]);
                dCc[2 * n] += (real_t)creal(d);
                dCc[2 * n + 1] += (real_t)cimag(d);
            }
        }
    }
}

/* Grow a thread's kernel scratch to n doubles (only when N2 grows). */
static void modes_reserve(s4_thread_ws *w, size_t n) {
    if (w->modes_cap >= n) return;
    fftw_free(w->modes);
    w->modes = cpu_s4_alloc(n * sizeof(double));
    w->modes_cap = n;
}

static void kernel_run(backend *be, s4_frozen fz, const real_t *C, real_t *K, const real_t *dK, real_t *dC) {
    if (fz.H < 1 || fz.L < 1 || fz.N2 < 1) return;
    s4_entry *e = cpu_s4_entry(be, fz.L);
    for (int t = 0; t < e->nth; t++) modes_reserve(&e->ws[t], kernel_scratch_doubles(fz.N2, fz.L));
    kernel_job j = {.fz = fz, .C = C, .K = K, .dK = dK, .dC = dC, .e = e};
    /* A channel is (L/2 + 1) N2 Cauchy terms and two FFTs: worth a thread from two channels on. */
    cpu_parallel_for(be, fz.H, 2, K ? kernel_forward_job : kernel_backward_job, &j);
}

void cpu_s4_kernel_forward(backend *be, s4_frozen fz, const real_t *C, real_t *K) {
    kernel_run(be, fz, C, K, NULL, NULL);
}

void cpu_s4_kernel_backward(backend *be, s4_frozen fz, const real_t *dK, real_t *dC) {
    kernel_run(be, fz, NULL, NULL, dK, dC);
}
