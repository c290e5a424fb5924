/* Tests of the CPU S4 operations (kernels/cpu/cpu_s4_*.c), built twice: against
 * sssd_cpu64 (real_t = double: exactness and finite-difference gradient
 * checks) and against sssd_cpu (real_t = float: agreement of the float build
 * with the double-precision references). Checked:
 * - the SSM kernel from the frequency-domain (Cauchy + Woodbury + irfft)
 *   route equals the discretised recurrence K[l] = C~^T dA^l dB of the
 *   ORIGINAL C, when fed the length-corrected C, on L = 1, 2, 3, 17, 200, 257
 *   (odd lengths, the even-L Nyquist limit, L = 1);
 * - kernel backward: adjoint identity <K(C), R> = <C, dC(R)> and central
 *   differences (double);
 * - the bidirectional convolution against its definition, FFT and direct
 *   routes, forward and backward (finite differences in double), accumulate
 *   and overwrite semantics, 1 vs 2 threads;
 * - S4 calls on several backends from several host threads at once. */
#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_s4.h"
#include "cpu_s4_internal.h"
#include "s4_init.h"
#include "s4_reference.h"
#include "test_util.h"

#ifdef SSSD_REAL_DOUBLE
#define PREC_NAME "double"
static const int is_double = 1;
#else
#define PREC_NAME "float"
static const int is_double = 0;
#endif

/* CPU backends with one and two pool threads (created in main). */
static backend *g_be1, *g_be2;

/* The convolution route of both backends. */
static void set_route(int route) {
    cpu_s4_set_conv_route(g_be1, route);
    cpu_s4_set_conv_route(g_be2, route);
}

/* Deterministic pseudo-random numbers in [-1, 1] (tests need no statistics). */
static double rnd(unsigned *state) {
    *state = *state * 1664525u + 1013904223u;
    return ((*state >> 8) / 8388608.0) - 1.0;
}

static real_t *to_real(const double *x, size_t n) {
    real_t *r = malloc(sizeof(real_t) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) r[i] = (real_t)x[i];
    return r;
}

/* One S4 layer's frozen parameters, in double and real_t. */
typedef struct layer {
    int H, N2, L;
    double *log_dt, *w, *B, *P, *Q, *C0, *C; /* C0 original, C length-corrected */
    real_t *r_log_dt, *r_w, *r_B, *r_P, *r_Q, *r_C;
    s4_frozen fz;
} layer;

static layer layer_make(int H, int N, int L, unsigned seed) {
    layer ly = {.H = H, .N2 = N / 2, .L = L};
    size_t nh = (size_t)H * N, nc = 2 * nh;
    ly.log_dt = malloc(sizeof(double) * H);
    ly.w = malloc(sizeof(double) * nh);
    ly.B = malloc(sizeof(double) * nh);
    ly.P = malloc(sizeof(double) * nh);
    ly.Q = malloc(sizeof(double) * nh);
    ly.C = malloc(sizeof(double) * nc);
    ly.C0 = malloc(sizeof(double) * nc);
    if (s4_init_layer(H, N, L, 1e-3, 1e-1, seed, 1, ly.log_dt, ly.w, ly.B, ly.P, ly.Q, ly.C) != 0) {
        fprintf(stderr, "s4_init_layer failed\n");
        exit(1);
    }
    /* dt across its whole range, and a fresh C we know before correction */
    for (int h = 0; h < H; h++) ly.log_dt[h] = log(1e-3) + (H > 1 ? (double)h / (H - 1) : 0.5) * log(100.0);
    unsigned st = seed;
    for (size_t i = 0; i < nc; i++) ly.C0[i] = ly.C[i] = rnd(&st);
    s4_length_correct(H, ly.N2, L, ly.log_dt, ly.w, ly.B, ly.P, ly.Q, ly.C);
    ly.r_log_dt = to_real(ly.log_dt, H);
    ly.r_w = to_real(ly.w, nh);
    ly.r_B = to_real(ly.B, nh);
    ly.r_P = to_real(ly.P, nh);
    ly.r_Q = to_real(ly.Q, nh);
    ly.r_C = to_real(ly.C, nc);
    ly.fz = (s4_frozen){.H = H, .N2 = ly.N2, .L = L, .log_dt = ly.r_log_dt, .w = ly.r_w, .B = ly.r_B,
                        .P = ly.r_P, .Q = ly.r_Q};
    return ly;
}

static void layer_free(layer *ly) {
    free(ly->log_dt);
    free(ly->w);
    free(ly->B);
    free(ly->P);
    free(ly->Q);
    free(ly->C);
    free(ly->C0);
    free(ly->r_log_dt);
    free(ly->r_w);
    free(ly->r_B);
    free(ly->r_P);
    free(ly->r_Q);
    free(ly->r_C);
}

/* Kernel vs recurrence on the original C; error relative to max |K| per (c, h). */
static void test_kernel_vs_recurrence(int L) {
    const int H = 3, N = 64;
    layer ly = layer_make(H, N, L, 100 + L);
    real_t *K = malloc(sizeof(real_t) * 2 * H * L), *K1 = malloc(sizeof(real_t) * 2 * H * L);
    cpu_s4_kernel_forward(g_be2, ly.fz, ly.r_C, K);
    cpu_s4_kernel_forward(g_be1, ly.fz, ly.r_C, K1);
    CHECK_MSG(memcmp(K, K1, sizeof(real_t) * 2 * H * L) == 0, "L=%d: 1 and 2 threads differ", L);
    double complex *dA = malloc(sizeof(double complex) * N * N), *dB = malloc(sizeof(double complex) * N),
                   *Kref = malloc(sizeof(double complex) * L);
    /* double: a few hundred ulps of the kernel's magnitude; float: float
     * rounding of the inputs (w, dt, B, P, Q, C) amplified by the
     * conditioning of the length correction, measured < 1e-5 */
    const double tol = is_double ? 1e-10 : 3e-5;
    double worst = 0.0;
    for (int h = 0; h < H; h++) {
        CHECK(ref_discretise(ly.N2, exp(ly.log_dt[h]), ly.w + h * N, ly.P + h * N, ly.Q + h * N, ly.B + h * N, dA,
                             dB) == 0);
        for (int c = 0; c < 2; c++) {
            ref_kernel(ly.N2, L, dA, dB, ly.C0 + (c * H + h) * N, Kref);
            double mag = 0.0, err = 0.0, im = 0.0;
            for (int l = 0; l < L; l++) {
                mag = fmax(mag, fabs(creal(Kref[l])));
                im = fmax(im, fabs(cimag(Kref[l])));
                err = fmax(err, fabs((double)K[(c * H + h) * L + l] - creal(Kref[l])));
            }
            CHECK_MSG(im <= 1e-12 * mag, "reference kernel not real: %.3g", im);
            CHECK_MSG(err <= tol * mag, "L=%d c=%d h=%d: kernel error %.3g, magnitude %.3g", L, c, h, err, mag);
            worst = fmax(worst, err / mag);
        }
    }
    printf("[%s] kernel vs recurrence L=%3d: max error / max|K| = %.2e\n", PREC_NAME, L, worst);
    free(K);
    free(K1);
    free(dA);
    free(dB);
    free(Kref);
    layer_free(&ly);
}

/* Adjoint identity, accumulate semantics, and (double) central differences. */
static void test_kernel_backward(int L, int fd) {
    const int H = 2, N = 64, N2 = 32;
    layer ly = layer_make(H, N, L, 7 + L);
    const size_t nK = (size_t)2 * H * L, nC = (size_t)2 * H * N2 * 2;
    real_t *R = malloc(sizeof(real_t) * nK), *K = malloc(sizeof(real_t) * nK), *dC = malloc(sizeof(real_t) * nC);
    unsigned st = 99;
    for (size_t i = 0; i < nK; i++) R[i] = (real_t)rnd(&st);
    for (size_t i = 0; i < nC; i++) dC[i] = 1; /* accumulate onto ones */
    cpu_s4_kernel_backward(g_be2, ly.fz, R, dC);
    for (size_t i = 0; i < nC; i++) dC[i] -= 1;
    cpu_s4_kernel_forward(g_be2, ly.fz, ly.r_C, K);
    double lhs = 0.0, rhs = 0.0, scale = 0.0;
    for (size_t i = 0; i < nK; i++) {
        lhs += (double)K[i] * R[i];
        scale += fabs((double)K[i] * R[i]);
    }
    for (size_t i = 0; i < nC; i++) rhs += (double)ly.r_C[i] * dC[i];
    CHECK_MSG(fabs(lhs - rhs) <= (is_double ? 1e-11 : 1e-4) * scale, "L=%d adjoint: %.12g vs %.12g", L, lhs, rhs);
    if (fd) {
        real_t *Cp = malloc(sizeof(real_t) * nC), *Kp = malloc(sizeof(real_t) * nK), *Km = malloc(sizeof(real_t) * nK);
        memcpy(Cp, ly.r_C, sizeof(real_t) * nC);
        double maxerr = 0.0, maxg = 0.0;
        const double eps = 1e-3;
        for (size_t i = 0; i < nC; i++) {
            real_t keep = Cp[i];
            Cp[i] = keep + (real_t)eps;
            cpu_s4_kernel_forward(g_be2, ly.fz, Cp, Kp);
            Cp[i] = keep - (real_t)eps;
            cpu_s4_kernel_forward(g_be2, ly.fz, Cp, Km);
            Cp[i] = keep;
            double f = 0.0;
            for (size_t k = 0; k < nK; k++) f += ((double)Kp[k] - Km[k]) * R[k];
            f /= 2 * eps;
            maxerr = fmax(maxerr, fabs(f - dC[i]));
            maxg = fmax(maxg, fabs(f));
        }
        CHECK_MSG(maxerr <= 1e-8 * maxg, "L=%d kernel dC finite differences: error %.3g of %.3g", L, maxerr, maxg);
        printf("[%s] kernel dC vs finite differences L=%3d: max error / max|g| = %.2e\n", PREC_NAME, L,
               maxerr / maxg);
        free(Cp);
        free(Kp);
        free(Km);
    }
    free(R);
    free(K);
    free(dC);
    layer_free(&ly);
}

/* Convolution forward against its definition, both routes. */
static void test_conv_forward(int B, int H, int L) {
    const size_t nu = (size_t)B * H * L, nK = (size_t)2 * H * L;
    double *u = malloc(sizeof(double) * nu), *K = malloc(sizeof(double) * nK), *D = malloc(sizeof(double) * H),
           *yref = malloc(sizeof(double) * nu);
    unsigned st = 5 + L;
    for (size_t i = 0; i < nu; i++) u[i] = rnd(&st);
    for (size_t i = 0; i < nK; i++) K[i] = rnd(&st) * exp(-0.01 * (double)(i % L));
    for (int h = 0; h < H; h++) D[h] = rnd(&st);
    ref_conv(u, K, D, yref, B, H, L);
    real_t *ru = to_real(u, nu), *rK = to_real(K, nK), *rD = to_real(D, H);
    real_t *y = malloc(sizeof(real_t) * nu), *y1 = malloc(sizeof(real_t) * nu);
    double mag = 0.0;
    for (size_t i = 0; i < nu; i++) mag = fmax(mag, fabs(yref[i]));
    const int routes[3] = {S4_CONV_ROUTE_FFT, S4_CONV_ROUTE_DIRECT, S4_CONV_ROUTE_AUTO};
    const char *route_names[3] = {"fft", "direct", "auto"};
    for (int r = 0; r < 3; r++) {
        set_route(routes[r]);
        cpu_s4_conv_forward(g_be2, ru, rK, rD, y, B, H, L);
        cpu_s4_conv_forward(g_be1, ru, rK, rD, y1, B, H, L);
        double err = 0.0;
        for (size_t i = 0; i < nu; i++) err = fmax(err, fabs((double)y[i] - yref[i]));
        CHECK_MSG(err <= (is_double ? 1e-13 : 1e-5) * mag * sqrt((double)L), "%s L=%d: conv error %.3g of %.3g",
                  route_names[r], L, err, mag);
        CHECK_MSG(memcmp(y, y1, sizeof(real_t) * nu) == 0, "L=%d: conv 1 vs 2 threads differ", L);
    }
    set_route(S4_CONV_ROUTE_AUTO);
    free(u);
    free(K);
    free(D);
    free(yref);
    free(ru);
    free(rK);
    free(rD);
    free(y);
    free(y1);
}

/* Convolution backward: du (overwrite), dK and dD (accumulate) against the
 * adjoint of the definition; in double also against central differences. */
static void test_conv_backward(int B, int H, int L, int route) {
    const size_t nu = (size_t)B * H * L, nK = (size_t)2 * H * L;
    double *u = malloc(sizeof(double) * nu), *K = malloc(sizeof(double) * nK), *D = malloc(sizeof(double) * H),
           *R = malloc(sizeof(double) * nu);
    unsigned st = 17 + L;
    for (size_t i = 0; i < nu; i++) u[i] = rnd(&st);
    for (size_t i = 0; i < nK; i++) K[i] = rnd(&st);
    for (int h = 0; h < H; h++) D[h] = rnd(&st);
    for (size_t i = 0; i < nu; i++) R[i] = rnd(&st);
    real_t *ru = to_real(u, nu), *rK = to_real(K, nK), *rD = to_real(D, H), *rR = to_real(R, nu);
    real_t *du = malloc(sizeof(real_t) * nu), *dK = malloc(sizeof(real_t) * nK), *dD = malloc(sizeof(real_t) * H);
    for (size_t i = 0; i < nu; i++) du[i] = 1e6; /* overwritten */
    for (size_t i = 0; i < nK; i++) dK[i] = 2;   /* accumulated */
    for (int h = 0; h < H; h++) dD[h] = 3;
    set_route(route);
    cpu_s4_conv_backward(g_be2, ru, rK, rD, rR, du, dK, dD, B, H, L);
    /* exact gradients of l = sum R y from the definition, in double */
    double *gu = calloc(nu, sizeof(double)), *gK = calloc(nK, sizeof(double)), *gD = calloc(H, sizeof(double));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const double *ub = u + ((size_t)b * H + h) * L, *rb = R + ((size_t)b * H + h) * L;
            double *gub = gu + ((size_t)b * H + h) * L;
            for (int t = 0; t < L; t++) {
                gD[h] += rb[t] * ub[t];
                gub[t] += D[h] * rb[t];
                for (int q = 0; q <= t; q++) {
                    gK[(size_t)h * L + q] += rb[t] * ub[t - q];
                    gub[t - q] += rb[t] * K[(size_t)h * L + q];
                }
                for (int m = 1; m <= L - 1 - t; m++) {
                    gK[((size_t)H + h) * L + m - 1] += rb[t] * ub[t + m];
                    gub[t + m] += rb[t] * K[((size_t)H + h) * L + m - 1];
                }
            }
        }
    const double tol = is_double ? 1e-12 : 2e-5;
    double e_u = 0, m_u = 0, e_K = 0, m_K = 0, e_D = 0, m_D = 0;
    for (size_t i = 0; i < nu; i++) {
        e_u = fmax(e_u, fabs(du[i] - gu[i]));
        m_u = fmax(m_u, fabs(gu[i]));
    }
    for (size_t i = 0; i < nK; i++) {
        e_K = fmax(e_K, fabs(dK[i] - 2 - gK[i]));
        m_K = fmax(m_K, fabs(gK[i]));
    }
    for (int h = 0; h < H; h++) {
        e_D = fmax(e_D, fabs(dD[h] - 3 - gD[h]));
        m_D = fmax(m_D, fabs(gD[h]));
    }
    const char *rn = route == S4_CONV_ROUTE_DIRECT ? "direct" : "fft";
    CHECK_MSG(e_u <= tol * m_u * sqrt((double)L), "%s L=%d du error %.3g of %.3g", rn, L, e_u, m_u);
    CHECK_MSG(e_K <= tol * m_K * sqrt((double)L * B) + (is_double ? 0 : 4e-7), "%s L=%d dK error %.3g of %.3g", rn,
              L, e_K, m_K);
    CHECK_MSG(e_D <= tol * m_D * sqrt((double)L * B), "%s L=%d dD error %.3g of %.3g", rn, L, e_D, m_D);
    for (int h = 0; h < H; h++) /* K1[L-1] only meets zero padding */
        CHECK_MSG(dK[((size_t)H + h) * L + L - 1] == 2, "%s L=%d: gradient on unused K1[L-1]", rn, L);

    if (is_double) { /* central differences through the forward op */
        real_t *y = malloc(sizeof(real_t) * nu);
        const double eps = 1e-4;
        double worst = 0.0;
        real_t *params[3] = {ru, rK, rD};
        const size_t counts[3] = {nu, nK, (size_t)H};
        const real_t *grads[3] = {du, dK, dD};
        const double offs[3] = {0, 2, 3};
        for (int p = 0; p < 3; p++) {
            double emax = 0, gmax = 0;
            for (size_t i = 0; i < counts[p]; i++) {
                real_t keep = params[p][i];
                double f[2];
                for (int sgn = 0; sgn < 2; sgn++) {
                    params[p][i] = keep + (real_t)(sgn ? -eps : eps);
                    cpu_s4_conv_forward(g_be2, ru, rK, rD, y, B, H, L);
                    double s = 0;
                    for (size_t k = 0; k < nu; k++) s += y[k] * R[k];
                    f[sgn] = s;
                }
                params[p][i] = keep;
                double g = (f[0] - f[1]) / (2 * eps);
                emax = fmax(emax, fabs(g - (grads[p][i] - offs[p])));
                gmax = fmax(gmax, fabs(g));
            }
            CHECK_MSG(emax <= 1e-8 * fmax(gmax, 1e-300), "%s L=%d: finite differences param %d error %.3g of %.3g",
                      rn, L, p, emax, gmax);
            worst = fmax(worst, emax / fmax(gmax, 1e-300));
        }
        printf("[%s] conv backward (%s) vs finite differences L=%3d: max error / max|g| = %.2e\n", PREC_NAME, rn, L,
               worst);
        free(y);
    }
    set_route(S4_CONV_ROUTE_AUTO);
    free(u);
    free(K);
    free(D);
    free(R);
    free(ru);
    free(rK);
    free(rD);
    free(rR);
    free(du);
    free(dK);
    free(dD);
    free(gu);
    free(gK);
    free(gD);
}

/* S4 calls from several host threads at once, each on its own backend with
 * its own thread count (different lengths, so plans are made concurrently
 * too), must give the results of the one-thread backend. */
typedef struct concurrent_arg {
    int L, threads, ok;
    const real_t *u, *K, *D, *y_ref;
} concurrent_arg;

enum { CONC_B = 2, CONC_H = 4 };

static void *concurrent_worker(void *p) {
    concurrent_arg *a = p;
    size_t nu = (size_t)CONC_B * CONC_H * a->L;
    backend *be = backend_cpu_create(a->threads);
    real_t *y = malloc(sizeof(real_t) * nu);
    a->ok = 1;
    for (int it = 0; it < 20; it++) {
        cpu_s4_conv_forward(be, a->u, a->K, a->D, y, CONC_B, CONC_H, a->L);
        if (memcmp(y, a->y_ref, sizeof(real_t) * nu) != 0) a->ok = 0;
    }
    free(y);
    backend_free(be);
    return NULL;
}

static void test_concurrent_calls(void) {
    pthread_t t[3];
    concurrent_arg args[3] = {{.L = 31, .threads = 1}, {.L = 100, .threads = 2}, {.L = 250, .threads = 3}};
    for (int i = 0; i < 3; i++) {
        const int L = args[i].L;
        size_t nu = (size_t)CONC_B * CONC_H * L, nK = (size_t)2 * CONC_H * L;
        real_t *u = malloc(sizeof(real_t) * nu), *K = malloc(sizeof(real_t) * nK), *D = malloc(sizeof(real_t) * CONC_H);
        real_t *y = malloc(sizeof(real_t) * nu);
        unsigned st = (unsigned)L;
        for (size_t k = 0; k < nu; k++) u[k] = (real_t)rnd(&st);
        for (size_t k = 0; k < nK; k++) K[k] = (real_t)rnd(&st);
        for (int h = 0; h < CONC_H; h++) D[h] = (real_t)rnd(&st);
        cpu_s4_conv_forward(g_be1, u, K, D, y, CONC_B, CONC_H, L);
        args[i].u = u, args[i].K = K, args[i].D = D, args[i].y_ref = y;
    }
    for (int i = 0; i < 3; i++) CHECK(pthread_create(&t[i], NULL, concurrent_worker, &args[i]) == 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        CHECK_MSG(args[i].ok, "L=%d: results differ under concurrent calls", args[i].L);
        free((void *)args[i].u), free((void *)args[i].K), free((void *)args[i].D), free((void *)args[i].y_ref);
    }
}

int main(void) {
    g_be1 = backend_cpu_create(1);
    g_be2 = backend_cpu_create(2);
    const int kernel_lengths[] = {1, 2, 3, 17, 200, 257};
    for (size_t i = 0; i < sizeof kernel_lengths / sizeof *kernel_lengths; i++)
        test_kernel_vs_recurrence(kernel_lengths[i]);
    const int grad_lengths[] = {1, 3, 17, 64};
    for (size_t i = 0; i < sizeof grad_lengths / sizeof *grad_lengths; i++) {
        test_kernel_backward(grad_lengths[i], is_double);
        test_conv_backward(2, 3, grad_lengths[i], S4_CONV_ROUTE_FFT);
        test_conv_backward(2, 3, grad_lengths[i], S4_CONV_ROUTE_DIRECT);
    }
    test_kernel_backward(200, 0);
    /* 35 channels: the FFT route's blocks of 16 channels (S4_CONV_BLOCK), the
     * last one partial, on one thread and on each of two (18 + 17). */
    test_conv_backward(3, 35, 17, S4_CONV_ROUTE_FFT);
    test_conv_forward(3, 35, 17);
    const int conv_lengths[] = {1, 2, 3, 17, 64, 200};
    for (size_t i = 0; i < sizeof conv_lengths / sizeof *conv_lengths; i++) test_conv_forward(3, 5, conv_lengths[i]);
    test_concurrent_calls();
    cpu_s4_release(g_be2);
    cpu_s4_release(g_be2); /* idempotent */
    test_conv_forward(2, 3, 17); /* usable again after release */
    backend_free(g_be1);
    backend_free(g_be2);
    return test_finish("test_s4_kernel_" PREC_NAME);
}
