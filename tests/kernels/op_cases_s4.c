/* Checks of the S4 operations (op_check.h): SSM kernel generation and its
 * adjoint against a double-complex reference evaluated straight from the
 * definition, the bidirectional convolution against its sum written term by
 * term, the four operations against the CPU backend on identical inputs, and
 * (with the model library) at the model's HiPPO-LegS initialisation. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_check.h"

/* Frozen parameters in host memory, shaped as SSSD's: Re w = -1/2 like
 * HiPPO-LegS's diagonal, Im w spread like its eigenvalues, small P = Q so the
 * Woodbury denominator stays away from zero. */
typedef struct opc_s4 {
    int H, N2, L;
    real_t *log_dt, *w, *B, *P, *Q;
} opc_s4;

static opc_s4 opc_s4_make(opc_ctx *c, int H, int N2, int L) {
    opc_s4 s = {H, N2, L, NULL, NULL, NULL, NULL, NULL};
    size_t nc = (size_t)H * N2 * 2;
    s.log_dt = opc_host_random(c, (size_t)H, log(1e-3), log(1e-1));
    s.w = opc_zalloc(nc * sizeof *s.w);
    for (int h = 0; h < H; h++)
        for (int n = 0; n < N2; n++) {
            s.w[((size_t)h * N2 + n) * 2] = -0.5f;
            s.w[((size_t)h * N2 + n) * 2 + 1] = (real_t)(3.0 * n + opc_uniform(c, 0, 2));
        }
    s.B = opc_host_random(c, nc, -1, 1);
    s.P = opc_host_random(c, nc, -0.3, 0.3);
    s.Q = opc_zalloc(nc * sizeof *s.Q);
    for (size_t i = 0; i < nc; i += 2) s.Q[i] = s.P[i], s.Q[i + 1] = -s.P[i + 1];  /* Q = conj(P) */
    return s;
}

static void opc_s4_free(opc_s4 *s) { free(s->log_dt), free(s->w), free(s->B), free(s->P), free(s->Q); }

/* Reference K (2, H, L) in double complex straight from the definition (the
 * S4 layer in model/README.md, the formula in backend.h):
 * omega, z = 2(1-omega)/(1+omega), the Cauchy sums with the conjugate term, the
 * Woodbury correction and 2/(1+omega); irfft(n = L) as an explicit sum. At the
 * Nyquist frequency of even L (z infinite) the limit dt Re sum B_n C_n is used. */
static void ref_s4_kernel(const opc_s4 *s, const double *C, double *K) {
    int H = s->H, N2 = s->N2, L = s->L, nf = L / 2 + 1;
    double complex *kh = opc_zalloc((size_t)nf * sizeof *kh);
    for (int ch = 0; ch < 2; ch++)
        for (int h = 0; h < H; h++) {
            double dt = exp((double)s->log_dt[h]);
            for (int k = 0; k < nf; k++) {
                const size_t o0 = (size_t)h * N2;
#define CPLX(p, n) ((double)(p)[(o0 + (n)) * 2] + I * (double)(p)[(o0 + (n)) * 2 + 1])
                if (2 * k == L) {
                    double acc = 0;
                    for (int n = 0; n < N2; n++)
                        acc += creal(CPLX(s->B, n) * (C[(((size_t)ch * H * N2) + o0 + n) * 2] +
                                                      I * C[(((size_t)ch * H * N2) + o0 + n) * 2 + 1]));
                    kh[k] = dt * acc;
                    continue;
                }
                double complex om = cexp(-2 * M_PI * I * k / L), z = 2 * (1 - om) / (1 + om);
                double complex r00 = 0, r01 = 0, r10 = 0, r11 = 0;
                for (int n = 0; n < N2; n++) {
                    double complex w = CPLX(s->w, n) * dt, Bn = CPLX(s->B, n), Pn = CPLX(s->P, n), Qn = CPLX(s->Q, n);
                    double complex Cn = C[(((size_t)ch * H * N2) + o0 + n) * 2] + I * C[(((size_t)ch * H * N2) + o0 + n) * 2 + 1];
                    double complex v00 = Bn * Cn, v01 = Bn * Qn, v10 = Pn * Cn, v11 = Pn * Qn;
                    r00 += v00 / (z - w) + conj(v00) / (z - conj(w));
                    r01 += v01 / (z - w) + conj(v01) / (z - conj(w));
                    r10 += v10 / (z - w) + conj(v10) / (z - conj(w));
                    r11 += v11 / (z - w) + conj(v11) / (z - conj(w));
                }
#undef CPLX
                r00 *= dt, r01 *= dt, r10 *= dt, r11 *= dt;
                kh[k] = (r00 - r01 * r10 / (1 + r11)) * 2 / (1 + om);
            }
            for (int t = 0; t < L; t++) {
                double acc = creal(kh[0]);
                for (int k = 1; k < nf; k++) {
                    double term = creal(kh[k] * cexp(2 * M_PI * I * k * t / L));
                    acc += (2 * k == L) ? term : 2 * term;
                }
                K[((size_t)ch * H + h) * L + t] = acc / L;
            }
        }
    free(kh);
}

/* Kernel forward against the reference and backward against its exact
 * adjoint; `detail` says which parameters (NULL: random ones). */
static void s4_kernel_check(opc_ctx *c, opc_s4 s, const real_t *C, const char *detail) {
    backend *be = c->be;
    int H = s.H, N2 = s.N2, L = s.L;
    size_t nc = (size_t)2 * H * N2 * 2, nk = (size_t)2 * H * L;
    real_t *dK = opc_host_random(c, nk, -1, 1), *acc = opc_host_random(c, nc, -1, 1);
    double *Cd = opc_to_double(C, nc), *K = opc_zalloc(nk * sizeof *K), *rdC = opc_zalloc(nc * sizeof *rdC);
    ref_s4_kernel(&s, Cd, K);
    /* K is linear in (Re C, Im C): dC_j = sum K(e_j) dK, exactly. */
    double *e = calloc(nc, sizeof *e), *Ke = opc_zalloc(nk * sizeof *Ke);
    for (size_t j = 0; j < nc; j++) {
        e[j] = 1;
        ref_s4_kernel(&s, e, Ke);
        e[j] = 0;
        double d = 0;
        for (size_t i = 0; i < nk; i++) d += Ke[i] * dK[i];
        rdC[j] = acc[j] + d;
    }
    size_t nh = (size_t)H * N2 * 2;
    real_t *dl = opc_dev(be, s.log_dt, (size_t)H * sizeof *C), *dw = opc_dev(be, s.w, nh * sizeof *C);
    real_t *dB = opc_dev(be, s.B, nh * sizeof *C), *dP = opc_dev(be, s.P, nh * sizeof *C);
    real_t *dQ = opc_dev(be, s.Q, nh * sizeof *C), *dC = opc_dev(be, C, nc * sizeof *C);
    real_t *dKo = opc_dev(be, NULL, nk * sizeof *C), *ddK = opc_dev(be, dK, nk * sizeof *C);
    real_t *dacc = opc_dev(be, acc, nc * sizeof *C);
    s4_frozen fz = {H, N2, L, dl, dw, dB, dP, dQ};
    be->ops->s4_kernel_forward(be, fz, dC, dKo);
    real_t *g = opc_get(be, dKo, nk);
    opc_compare(c, "s4_kernel_forward", detail, g, K, nk, TOL_S4);
    be->ops->s4_kernel_backward(be, fz, ddK, dacc);
    real_t *g2 = opc_get(be, dacc, nc);
    opc_compare(c, "s4_kernel_backward", detail, g2, rdC, nc, TOL_S4);
    be->ops->free(be, dl), be->ops->free(be, dw), be->ops->free(be, dB), be->ops->free(be, dP);
    be->ops->free(be, dQ), be->ops->free(be, dC), be->ops->free(be, dKo), be->ops->free(be, ddK), be->ops->free(be, dacc);
    free(dK), free(acc), free(Cd), free(K), free(rdC), free(e), free(Ke), free(g), free(g2);
}

void opc_case_s4_kernel(opc_ctx *c, const int *p) {
    const int H = p[0], N2 = p[1], L = p[2];
    opc_shape(c, "H=%d N2=%d L=%d", H, N2, L);
    opc_s4 s = opc_s4_make(c, H, N2, L);
    real_t *C = opc_host_random(c, (size_t)2 * H * N2 * 2, -1, 1);
    s4_kernel_check(c, s, C, NULL);
    opc_s4_free(&s);
    free(C);
}

/* The formula of backend.h, term by term. */
static void ref_s4_conv(const real_t *u, const real_t *K, const real_t *D, double *y, int B, int H, int L) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const real_t *ub = u + ((size_t)b * H + h) * L, *K0 = K + (size_t)h * L, *K1 = K + ((size_t)H + h) * L;
            for (int t = 0; t < L; t++) {
                double acc = (double)D[h] * ub[t];
                for (int s = 0; s <= t; s++) acc += (double)K0[s] * ub[t - s];
                for (int m = 1; m <= L - 1 - t; m++) acc += (double)K1[m - 1] * ub[t + m];
                y[((size_t)b * H + h) * L + t] = acc;
            }
        }
}

void opc_case_s4_conv(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], H = p[1], L = p[2];
    opc_shape(c, "B=%d H=%d L=%d", B, H, L);
    size_t n = (size_t)B * H * L, nk = (size_t)2 * H * L;
    real_t *u = opc_host_random(c, n, -1, 1), *K = opc_host_random(c, nk, -0.5, 0.5), *D = opc_host_random(c, (size_t)H, -1, 1);
    real_t *dy = opc_host_random(c, n, -1, 1), *accK = opc_host_random(c, nk, -1, 1), *accD = opc_host_random(c, (size_t)H, -1, 1);
    double *y = opc_zalloc(n * sizeof *y), *rdu = calloc(n, sizeof *rdu), *rdK = opc_to_double(accK, nk);
    double *rdD = opc_to_double(accD, (size_t)H);
    ref_s4_conv(u, K, D, y, B, H, L);
    /* Adjoint of each term of the forward sum. */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            size_t base = ((size_t)b * H + h) * L;
            for (int t = 0; t < L; t++) {
                double g = dy[base + t];
                rdu[base + t] += (double)D[h] * g;
                rdD[h] += g * u[base + t];
                for (int s = 0; s <= t; s++) {
                    rdK[(size_t)h * L + s] += g * u[base + t - s];
                    rdu[base + t - s] += g * K[(size_t)h * L + s];
                }
                for (int m = 1; m <= L - 1 - t; m++) {
                    rdK[((size_t)H + h) * L + m - 1] += g * u[base + t + m];
                    rdu[base + t + m] += g * K[((size_t)H + h) * L + m - 1];
                }
            }
        }
    real_t *du_ = opc_dev(be, u, n * sizeof *u), *dK_ = opc_dev(be, K, nk * sizeof *u), *dD_ = opc_dev(be, D, (size_t)H * sizeof *u);
    real_t *dyo = opc_dev(be, NULL, n * sizeof *u);
    be->ops->s4_conv_forward(be, du_, dK_, dD_, dyo, B, H, L);
    real_t *g = opc_get(be, dyo, n);
    opc_compare(c, "s4_conv_forward", NULL, g, y, n, TOL_SUM);
    real_t *ddy = opc_dev(be, dy, n * sizeof *u), *ddu = opc_dev(be, dy /* garbage: overwritten */, n * sizeof *u);
    real_t *daK = opc_dev(be, accK, nk * sizeof *u), *daD = opc_dev(be, accD, (size_t)H * sizeof *u);
    be->ops->s4_conv_backward(be, du_, dK_, dD_, ddy, ddu, daK, daD, B, H, L);
    real_t *g1 = opc_get(be, ddu, n), *g2 = opc_get(be, daK, nk), *g3 = opc_get(be, daD, (size_t)H);
    opc_compare(c, "s4_conv_backward", "du", g1, rdu, n, TOL_SUM);
    opc_compare(c, "s4_conv_backward", "dK", g2, rdK, nk, TOL_SUM);
    opc_compare(c, "s4_conv_backward", "dD", g3, rdD, (size_t)H, TOL_SUM);
    be->ops->free(be, du_), be->ops->free(be, dK_), be->ops->free(be, dD_), be->ops->free(be, dyo);
    be->ops->free(be, ddy), be->ops->free(be, ddu), be->ops->free(be, daK), be->ops->free(be, daD);
    free(u), free(K), free(D), free(dy), free(accK), free(accD), free(y), free(rdu), free(rdK), free(rdD);
    free(g), free(g1), free(g2), free(g3);
}

/* The same S4 inputs through the backend and the CPU backend (c->cpu):
 * kernel, convolution forward and backward, kernel backward. */
static void s4_vs_cpu(opc_ctx *c, int B, opc_s4 s, const real_t *C, const char *detail) {
    int H = s.H, N2 = s.N2, L = s.L;
    size_t nc = (size_t)2 * H * N2 * 2, nk = (size_t)2 * H * L, nh = (size_t)H * N2 * 2, nu = (size_t)B * H * L;
    real_t *u = opc_host_random(c, nu, -1, 1), *D = opc_host_random(c, (size_t)H, -1, 1);
    real_t *out[2][4];
    backend *bes[2] = {c->be, c->cpu};
    for (int i = 0; i < 2; i++) {
        backend *be = bes[i];
        real_t *dl = opc_dev(be, s.log_dt, (size_t)H * sizeof *C), *dw = opc_dev(be, s.w, nh * sizeof *C);
        real_t *dB = opc_dev(be, s.B, nh * sizeof *C), *dP = opc_dev(be, s.P, nh * sizeof *C);
        real_t *dQ = opc_dev(be, s.Q, nh * sizeof *C), *dC = opc_dev(be, C, nc * sizeof *C);
        real_t *dK = opc_dev(be, NULL, nk * sizeof *C), *dgC = opc_dev(be, NULL, nc * sizeof *C);
        real_t *du = opc_dev(be, u, nu * sizeof *C), *dD = opc_dev(be, D, (size_t)H * sizeof *C);
        real_t *dy = opc_dev(be, NULL, nu * sizeof *C), *dgu = opc_dev(be, NULL, nu * sizeof *C);
        real_t *dgK = opc_dev(be, NULL, nk * sizeof *C), *dgD = opc_dev(be, NULL, (size_t)H * sizeof *C);
        s4_frozen fz = {H, N2, L, dl, dw, dB, dP, dQ};
        be->ops->s4_kernel_forward(be, fz, dC, dK);
        be->ops->s4_conv_forward(be, du, dK, dD, dy, B, H, L);
        be->ops->s4_conv_backward(be, du, dK, dD, dy, dgu, dgK, dgD, B, H, L);
        be->ops->s4_kernel_backward(be, fz, dgK, dgC);
        out[i][0] = opc_get(be, dK, nk);
        out[i][1] = opc_get(be, dy, nu);
        out[i][2] = opc_get(be, dgu, nu);
        out[i][3] = opc_get(be, dgC, nc);
        real_t *all[] = {dl, dw, dB, dP, dQ, dC, dK, dgC, du, dD, dy, dgu, dgK, dgD};
        for (size_t j = 0; j < sizeof all / sizeof all[0]; j++) be->ops->free(be, all[j]);
    }
    size_t sizes[4] = {nk, nu, nu, nc};
    const char *ops[4] = {"s4_kernel_forward", "s4_conv_forward", "s4_conv_backward", "s4_kernel_backward"};
    const char *outputs[4] = {"K", "y", "du", "dC"};
    for (int j = 0; j < 4; j++) {
        double *ref = opc_to_double(out[1][j], sizes[j]);
        char what[64];
        snprintf(what, sizeof what, "%s against the CPU backend%s", outputs[j], detail);
        opc_compare(c, ops[j], what, out[0][j], ref, sizes[j], 1e-4);
        free(ref), free(out[0][j]), free(out[1][j]);
    }
    free(u), free(D);
}

void opc_case_s4_vs_cpu(opc_ctx *c, const int *p) {
    const int B = p[0], H = p[1], N2 = p[2], L = p[3];
    opc_shape(c, "B=%d H=%d N2=%d L=%d", B, H, N2, L);
    opc_s4 s = opc_s4_make(c, H, N2, L);
    real_t *C = opc_host_random(c, (size_t)2 * H * N2 * 2, -1, 1);
    s4_vs_cpu(c, B, s, C, "");
    opc_s4_free(&s);
    free(C);
}

#ifdef SSSD_TEST_WITH_MODEL
#include "s4_init.h"

/* Frozen parameters and C exactly as the model initialises them (HiPPO-LegS,
 * N = 64, length-corrected C): the kernel's real operating point. */
static int opc_s4_hippo(int H, int L, opc_s4 *s, real_t **C) {
    int N2 = 32;
    size_t nh = (size_t)H * N2 * 2;
    double *ld = opc_zalloc((size_t)H * sizeof *ld), *w = opc_zalloc(nh * sizeof *w), *B = opc_zalloc(nh * sizeof *B);
    double *P = opc_zalloc(nh * sizeof *P), *Q = opc_zalloc(nh * sizeof *Q), *Cd = opc_zalloc(2 * nh * sizeof *Cd);
    int rc = s4_init_layer(H, 2 * N2, L, 1e-3, 1e-1, 42, 3, ld, w, B, P, Q, Cd);
    s->H = H, s->N2 = N2, s->L = L;
    s->log_dt = opc_zalloc((size_t)H * sizeof(real_t));
    s->w = opc_zalloc(nh * sizeof(real_t)), s->B = opc_zalloc(nh * sizeof(real_t));
    s->P = opc_zalloc(nh * sizeof(real_t)), s->Q = opc_zalloc(nh * sizeof(real_t));
    *C = opc_zalloc(2 * nh * sizeof(real_t));
    for (int h = 0; h < H; h++) s->log_dt[h] = (real_t)ld[h];
    for (size_t i = 0; i < nh; i++) s->w[i] = (real_t)w[i], s->B[i] = (real_t)B[i], s->P[i] = (real_t)P[i], s->Q[i] = (real_t)Q[i];
    for (size_t i = 0; i < 2 * nh; i++) (*C)[i] = (real_t)Cd[i];
    free(ld), free(w), free(B), free(P), free(Q), free(Cd);
    return rc;
}

/* The S4 operations at the model's own operating point (HiPPO-LegS
 * initialisation): against the double reference, or (p[2] = 1) against the
 * CPU backend. */
void opc_case_s4_hippo(opc_ctx *c, const int *p) {
    const int H = p[0], L = p[1], against_cpu = p[2];
    opc_shape(c, "H=%d N2=32 L=%d%s", H, L, against_cpu ? " B=2" : "");
    opc_s4 s;
    real_t *C;
    int rc = opc_s4_hippo(H, L, &s, &C);
    opc_expect(c, "s4_kernel_forward", "HiPPO initialisation", rc == 0, "s4_init_layer failed");
    if (rc == 0) {
        if (against_cpu) s4_vs_cpu(c, 2, s, C, " (HiPPO init)");
        else s4_kernel_check(c, s, C, "HiPPO init");
    }
    opc_s4_free(&s);
    free(C);
}
#endif
