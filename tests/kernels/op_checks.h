/* Every operation of a backend (kernels/backend.h) checked against
 * double-precision references written here from the definitions in
 * backend.h and model/README.md (independent of every backend),
 * by normalised error sqrt(sum (got-ref)^2 / sum ref^2); a non-finite value
 * fails. Gradients are checked against central finite differences of the
 * double reference forward, and accumulating outputs start from random
 * values so "+=" is checked too. Shapes are small and awkward (1, 3, 5, 17,
 * 33, odd and even L, partial warps and tiles) so the checks run quickly
 * even on the host emulation of the CUDA kernels.
 *
 * Included by one test program each (static functions, shared CHECK counters). */
#ifndef SSSD_TESTS_KERNELS_OP_CHECKS_H
#define SSSD_TESTS_KERNELS_OP_CHECKS_H

#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "philox.h"
#include "test_util.h"

/* ------------------------------------------------------------------ utils */

static int opc_verbose = 0;

/* Zeroed allocations (also keeps the compiler's uninitialised-use analysis quiet). */
static void *opc_zalloc(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}
static uint64_t opc_counter = 0;

static double opc_uniform(double lo, double hi) {
    uint32_t u = philox_u32(12345, 7, opc_counter++);
    return lo + (hi - lo) * ((double)u / 4294967296.0);
}
static real_t *opc_host_random(size_t n, double lo, double hi) {
    real_t *p = opc_zalloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (real_t)opc_uniform(lo, hi);
    return p;
}
static double *opc_to_double(const real_t *x, size_t n) {
    double *d = opc_zalloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}
static real_t *opc_dev(backend *be, const void *host, size_t bytes) {
    real_t *p = be->ops->alloc(be, bytes);
    if (host && bytes) be->ops->upload(be, p, host, bytes);
    return p;
}
static real_t *opc_get(backend *be, const real_t *dev, size_t n) {
    real_t *h = opc_zalloc((n ? n : 1) * sizeof *h);
    be->ops->synchronize(be);
    be->ops->download(be, h, dev, n * sizeof *h);
    return h;
}

/* Normalised error of got against ref; fails on non-finite values. */
static double opc_compare(const char *what, const real_t *got, const double *ref, size_t n, double tol) {
    double num = 0, den = 0;
    size_t nonfinite = 0, first_bad = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite((double)got[i])) {
            nonfinite++;
            if (first_bad == (size_t)-1) first_bad = i;
            continue;
        }
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
    }
    double err = den > 0 ? sqrt(num / den) : sqrt(num);
    if (opc_verbose) printf("  %-48s n=%-7zu nerr=%.3g\n", what, n, err);
    CHECK_MSG(nonfinite == 0 && err <= tol, "%s: normalised error %.3g (tolerance %.3g), %zu non-finite (first at %zd)",
              what, err, tol, nonfinite, nonfinite ? (ssize_t)first_bad : (ssize_t)-1);
    return err;
}
#ifdef SSSD_TEST_WITH_MODEL
/* As opc_compare, with the reference's RMS taken as at least floor_rms. */
static double opc_compare_floor(const char *what, const real_t *got, const double *ref, size_t n, double tol,
                                double floor_rms) {
    double num = 0, den = 0;
    size_t nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite((double)got[i])) {
            nonfinite++;
            continue;
        }
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
    }
    double floor_den = floor_rms * floor_rms * (double)n;
    double err = sqrt(num / (den > floor_den ? den : (floor_den > 0 ? floor_den : 1.0)));
    if (opc_verbose) printf("  %-48s n=%-7zu nerr=%.3g\n", what, n, err);
    CHECK_MSG(nonfinite == 0 && err <= tol, "%s: normalised error %.3g (tolerance %.3g), %zu non-finite", what, err,
              tol, nonfinite);
    return err;
}
#endif
static void opc_compare_scalar(const char *what, double got, double ref, double tol) {
    double err = fabs(got - ref) / (fabs(ref) > 0 ? fabs(ref) : 1.0);
    if (opc_verbose) printf("  %-48s          nerr=%.3g\n", what, err);
    CHECK_MSG(isfinite(got) && err <= tol, "%s: %.10g vs reference %.10g", what, got, ref);
}

/* Float tolerances: pointwise ops are a few ulps; long sums a little more. */
#define TOL_POINT 2e-6
#define TOL_SUM 1e-5
#define TOL_S4 2e-4

/* -------------------------------------------------------------- pointwise */

typedef double (*opc_fn1)(double);
static double ref_relu(double x) { return x > 0 ? x : 0; }
static double ref_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double ref_swish(double x) { return x * ref_sigmoid(x); }
static double opc_fd(opc_fn1 f, double x) {
    double h = 1e-6 * (1 + fabs(x));
    return (f(x + h) - f(x - h)) / (2 * h);
}

typedef void (*opc_unary_fwd)(backend *, const real_t *, real_t *, long long);
typedef void (*opc_unary_bwd)(backend *, const real_t *, const real_t *, real_t *, long long);

static void check_unary(backend *be, const char *name, opc_unary_fwd fwd, opc_unary_bwd bwd, opc_fn1 f,
                        int bwd_takes_output, long long n) {
    char what[96];
    real_t *x = opc_host_random((size_t)n, -4, 4), *dy = opc_host_random((size_t)n, -1, 1);
    double *ry = opc_zalloc((size_t)n * sizeof *ry), *rdx = opc_zalloc((size_t)n * sizeof *rdx);
    for (long long i = 0; i < n; i++) {
        ry[i] = f(x[i]);
        /* ReLU's derivative from its output: exactly the indicator y > 0. */
        rdx[i] = dy[i] * (bwd_takes_output ? (ry[i] > 0 ? 1.0 : 0.0) : opc_fd(f, x[i]));
    }
    real_t *dx_ = opc_dev(be, x, (size_t)n * sizeof *x), *ddy = opc_dev(be, dy, (size_t)n * sizeof *dy);
    real_t *dy_out = opc_dev(be, NULL, (size_t)n * sizeof *x), *ddx = opc_dev(be, NULL, (size_t)n * sizeof *x);
    fwd(be, dx_, dy_out, n);
    real_t *got = opc_get(be, dy_out, (size_t)n);
    snprintf(what, sizeof what, "%s_forward n=%lld", name, n);
    opc_compare(what, got, ry, (size_t)n, TOL_POINT);
    bwd(be, bwd_takes_output ? dy_out : dx_, ddy, ddx, n);
    real_t *gdx = opc_get(be, ddx, (size_t)n);
    snprintf(what, sizeof what, "%s_backward n=%lld", name, n);
    opc_compare(what, gdx, rdx, (size_t)n, bwd_takes_output ? TOL_POINT : 2e-5);
    be->ops->free(be, dx_), be->ops->free(be, ddy), be->ops->free(be, dy_out), be->ops->free(be, ddx);
    free(x), free(dy), free(ry), free(rdx), free(got), free(gdx);
}

static double ref_gate(double a, double b) { return tanh(a) * ref_sigmoid(b); }

static void check_gate(backend *be, int B, int C, int L) {
    char what[96];
    size_t nh = (size_t)B * 2 * C * L, no = (size_t)B * C * L;
    real_t *h = opc_host_random(nh, -3, 3), *dout = opc_host_random(no, -1, 1);
    double *rout = opc_zalloc(no * sizeof *rout), *rdh = opc_zalloc(nh * sizeof *rdh);
    for (int b = 0; b < B; b++)
        for (size_t r = 0; r < (size_t)C * L; r++) {
            size_t ia = (size_t)b * 2 * C * L + r, ib = ia + (size_t)C * L, io = (size_t)b * C * L + r;
            double a = h[ia], g = h[ib], e = 1e-6;
            rout[io] = ref_gate(a, g);
            rdh[ia] = dout[io] * (ref_gate(a + e, g) - ref_gate(a - e, g)) / (2 * e);
            rdh[ib] = dout[io] * (ref_gate(a, g + e) - ref_gate(a, g - e)) / (2 * e);
        }
    real_t *dh = opc_dev(be, h, nh * sizeof *h), *ddout = opc_dev(be, dout, no * sizeof *dout);
    real_t *dout_ = opc_dev(be, NULL, no * sizeof *h), *ddh = opc_dev(be, NULL, nh * sizeof *h);
    be->ops->gate_forward(be, dh, dout_, B, C, L);
    real_t *g1 = opc_get(be, dout_, no);
    snprintf(what, sizeof what, "gate_forward B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g1, rout, no, TOL_POINT);
    be->ops->gate_backward(be, dh, ddout, ddh, B, C, L);
    real_t *g2 = opc_get(be, ddh, nh);
    snprintf(what, sizeof what, "gate_backward B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g2, rdh, nh, 2e-5);
    be->ops->free(be, dh), be->ops->free(be, ddout), be->ops->free(be, dout_), be->ops->free(be, ddh);
    free(h), free(dout), free(rout), free(rdh), free(g1), free(g2);
}

/* ------------------------------------------------- broadcasts, reductions */

static void check_broadcasts(backend *be, int B, int C, int L) {
    char what[96];
    size_t n = (size_t)B * C * L;
    real_t *x = opc_host_random(n, -1, 1), *bias = opc_host_random((size_t)C, -1, 1);
    real_t *v = opc_host_random((size_t)B * C, -1, 1), *acc = opc_host_random((size_t)C, -1, 1);
    double *r = opc_zalloc(n * sizeof *r), *rc = opc_zalloc((size_t)C * sizeof *rc), *rv = opc_zalloc((size_t)B * C * sizeof *rv);

    /* add_bias (in place) */
    real_t *dx = opc_dev(be, x, n * sizeof *x), *dbias = opc_dev(be, bias, (size_t)C * sizeof *bias);
    be->ops->add_bias(be, dx, dbias, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] + bias[(i / (size_t)L) % (size_t)C];
    real_t *g = opc_get(be, dx, n);
    snprintf(what, sizeof what, "add_bias B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g, r, n, TOL_POINT);
    free(g);

    /* bias_grad (accumulate) */
    real_t *dacc = opc_dev(be, acc, (size_t)C * sizeof *acc), *dy = opc_dev(be, x, n * sizeof *x);
    be->ops->bias_grad(be, dy, dacc, B, C, L);
    for (int c = 0; c < C; c++) {
        rc[c] = acc[c];
        for (int b = 0; b < B; b++)
            for (int l = 0; l < L; l++) rc[c] += x[((size_t)b * C + c) * L + l];
    }
    g = opc_get(be, dacc, (size_t)C);
    snprintf(what, sizeof what, "bias_grad B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g, rc, (size_t)C, TOL_SUM);
    free(g);

    /* add_channel_vector, out of place and in place */
    real_t *dv = opc_dev(be, v, (size_t)B * C * sizeof *v), *dout = opc_dev(be, NULL, n * sizeof *x);
    be->ops->add_channel_vector(be, dy, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] + v[i / (size_t)L];
    g = opc_get(be, dout, n);
    snprintf(what, sizeof what, "add_channel_vector B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g, r, n, TOL_POINT);
    free(g);
    be->ops->add_channel_vector(be, dout, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] += v[i / (size_t)L];
    g = opc_get(be, dout, n);
    opc_compare("add_channel_vector in place", g, r, n, TOL_POINT);
    free(g);

    /* sum_over_length (overwrite: the output starts as garbage) */
    real_t *dsum = opc_dev(be, v, (size_t)B * C * sizeof *v);
    be->ops->sum_over_length(be, dy, dsum, B, C, L);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        rv[bc] = 0;
        for (int l = 0; l < L; l++) rv[bc] += x[bc * L + l];
    }
    g = opc_get(be, dsum, (size_t)B * C);
    snprintf(what, sizeof what, "sum_over_length B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g, rv, (size_t)B * C, TOL_SUM);
    free(g);

    be->ops->free(be, dx), be->ops->free(be, dbias), be->ops->free(be, dacc), be->ops->free(be, dy);
    be->ops->free(be, dv), be->ops->free(be, dout), be->ops->free(be, dsum);
    free(x), free(bias), free(v), free(acc), free(r), free(rc), free(rv);
}

static void check_axpby_sumsq(backend *be, long long n) {
    char what[96];
    real_t *x = opc_host_random((size_t)n, -1, 1), *y = opc_host_random((size_t)n, -1, 1);
    double *r = opc_zalloc((size_t)n * sizeof *r);
    real_t *dx = opc_dev(be, x, (size_t)n * sizeof *x), *dy = opc_dev(be, y, (size_t)n * sizeof *y);
    be->ops->axpby(be, n, 0.75, dx, -1.5, dy);
    for (long long i = 0; i < n; i++) r[i] = 0.75 * x[i] - 1.5 * y[i];
    real_t *g = opc_get(be, dy, (size_t)n);
    snprintf(what, sizeof what, "axpby n=%lld", n);
    opc_compare(what, g, r, (size_t)n, TOL_POINT);
    double ss = 0;
    for (long long i = 0; i < n; i++) ss += (double)x[i] * x[i];
    double got = be->ops->sum_squares(be, dx, n);
    snprintf(what, sizeof what, "sum_squares n=%lld", n);
    opc_compare_scalar(what, got, ss, 1e-9);
    /* Reproducible: the same call gives the same bits. */
    double again = be->ops->sum_squares(be, dx, n);
    CHECK_MSG(memcmp(&got, &again, sizeof got) == 0, "sum_squares not deterministic: %.17g vs %.17g", got, again);
    be->ops->free(be, dx), be->ops->free(be, dy);
    free(x), free(y), free(r), free(g);
}

/* ----------------------------------------------------------- im2col / gemm */

static void check_im2col(backend *be, int B, int Ci, int L) {
    char what[96];
    size_t nx = (size_t)B * Ci * L, nc = nx * 3;
    real_t *x = opc_host_random(nx, -1, 1), *dcols = opc_host_random(nc, -1, 1), *acc = opc_host_random(nx, -1, 1);
    double *rc = opc_zalloc(nc * sizeof *rc), *rx = opc_zalloc(nx * sizeof *rx);
    for (int b = 0; b < B; b++)
        for (int ci = 0; ci < Ci; ci++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < L; l++) {
                    int s = l + j - 1;
                    rc[(((size_t)b * Ci + ci) * 3 + j) * L + l] = (s >= 0 && s < L) ? x[((size_t)b * Ci + ci) * L + s] : 0;
                }
    /* col2im is the adjoint: scatter each column entry back to its source. */
    for (size_t i = 0; i < nx; i++) rx[i] = acc[i];
    for (int b = 0; b < B; b++)
        for (int ci = 0; ci < Ci; ci++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < L; l++) {
                    int s = l + j - 1;
                    if (s >= 0 && s < L) rx[((size_t)b * Ci + ci) * L + s] += dcols[(((size_t)b * Ci + ci) * 3 + j) * L + l];
                }
    real_t *dx = opc_dev(be, x, nx * sizeof *x), *dc = opc_dev(be, NULL, nc * sizeof *x);
    be->ops->im2col_k3(be, dx, dc, B, Ci, L);
    real_t *g = opc_get(be, dc, nc);
    snprintf(what, sizeof what, "im2col_k3 B=%d Ci=%d L=%d", B, Ci, L);
    opc_compare(what, g, rc, nc, 0);
    free(g);
    real_t *ddc = opc_dev(be, dcols, nc * sizeof *x), *dacc = opc_dev(be, acc, nx * sizeof *x);
    be->ops->col2im_k3(be, ddc, dacc, B, Ci, L);
    g = opc_get(be, dacc, nx);
    snprintf(what, sizeof what, "col2im_k3 B=%d Ci=%d L=%d", B, Ci, L);
    opc_compare(what, g, rx, nx, TOL_POINT);
    free(g);
    be->ops->free(be, dx), be->ops->free(be, dc), be->ops->free(be, ddc), be->ops->free(be, dacc);
    free(x), free(dcols), free(acc), free(rc), free(rx);
}

/* Row-major op(A) (m x k) op(B) (k x n) with padded leading dimensions and a
 * batch stride (or 0: shared). */
static void check_gemm(backend *be, int ta, int tb, int m, int n, int k, int batch, int share_a, double beta) {
    char what[128];
    int arows = ta ? k : m, acols = ta ? m : k, brows = tb ? n : k, bcols = tb ? k : n;
    int lda = acols + 2, ldb = bcols + 1, ldc = n + 3;
    long long sa = share_a ? 0 : (long long)arows * lda, sb = (long long)brows * ldb, sc = (long long)m * ldc;
    size_t na = (size_t)(share_a ? 1 : batch) * arows * lda, nb = (size_t)batch * sb, nc = (size_t)batch * sc;
    real_t *A = opc_host_random(na, -1, 1), *Bm = opc_host_random(nb, -1, 1), *Cm = opc_host_random(nc, -1, 1);
    double *r = opc_to_double(Cm, nc);
    double alpha = 0.5;
    for (int bi = 0; bi < batch; bi++)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    double a = ta ? A[bi * sa + (long long)p * lda + i] : A[bi * sa + (long long)i * lda + p];
                    double b = tb ? Bm[bi * sb + (long long)j * ldb + p] : Bm[bi * sb + (long long)p * ldb + j];
                    acc += a * b;
                }
                double *c = &r[bi * sc + (long long)i * ldc + j];
                *c = alpha * acc + (beta == 0 ? 0 : beta * *c);
            }
    real_t *dA = opc_dev(be, A, na * sizeof *A), *dB = opc_dev(be, Bm, nb * sizeof *Bm), *dC = opc_dev(be, Cm, nc * sizeof *Cm);
    be->ops->gemm(be, ta, tb, m, n, k, alpha, dA, lda, sa, dB, ldb, sb, beta, dC, ldc, sc, batch);
    real_t *g = opc_get(be, dC, nc);
    snprintf(what, sizeof what, "gemm ta=%d tb=%d m=%d n=%d k=%d batch=%d%s beta=%g", ta, tb, m, n, k, batch,
             share_a ? " sharedA" : "", beta);
    opc_compare(what, g, r, nc, TOL_SUM);
    be->ops->free(be, dA), be->ops->free(be, dB), be->ops->free(be, dC);
    free(A), free(Bm), free(Cm), free(r), free(g);
}

/* ---------------------------------------------------------- normalisation */

static void ref_layernorm(const double *x, const real_t *gamma, const real_t *beta, double *y, double *mean,
                          double *rstd, int B, int C, int L) {
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            double s = 0, q = 0;
            for (int c = 0; c < C; c++) s += x[((size_t)b * C + c) * L + l];
            double mu = s / C;
            for (int c = 0; c < C; c++) {
                double d = x[((size_t)b * C + c) * L + l] - mu;
                q += d * d;
            }
            double rs = 1 / sqrt(q / C + 1e-5);
            if (mean) mean[(size_t)b * L + l] = mu, rstd[(size_t)b * L + l] = rs;
            for (int c = 0; c < C; c++) {
                size_t i = ((size_t)b * C + c) * L + l;
                y[i] = (x[i] - mu) * rs * gamma[c] + beta[c];
            }
        }
}

static void check_layernorm(backend *be, int B, int C, int L) {
    char what[96];
    size_t n = (size_t)B * C * L, nbl = (size_t)B * L;
    real_t *x = opc_host_random(n, -2, 3), *gamma = opc_host_random((size_t)C, 0.5, 1.5);
    real_t *beta = opc_host_random((size_t)C, -0.5, 0.5), *dy = opc_host_random(n, -1, 1);
    real_t *acc_g = opc_host_random((size_t)C, -1, 1), *acc_b = opc_host_random((size_t)C, -1, 1);
    double *xd = opc_to_double(x, n), *y = opc_zalloc(n * sizeof *y), *mean = opc_zalloc(nbl * sizeof *mean);
    double *rstd = opc_zalloc(nbl * sizeof *rstd), *yp = opc_zalloc(n * sizeof *yp), *ym = opc_zalloc(n * sizeof *ym);
    ref_layernorm(xd, gamma, beta, y, mean, rstd, B, C, L);
    /* dx by central differences of sum(y dy): LayerNorm of one column only
     * depends on that column, so perturb and re-evaluate everything (small). */
    double *rdx = opc_zalloc(n * sizeof *rdx), *rdg = opc_zalloc((size_t)C * sizeof *rdg), *rdb = opc_zalloc((size_t)C * sizeof *rdb);
    for (size_t i = 0; i < n; i++) {
        double h = 1e-5, save = xd[i];
        xd[i] = save + h;
        ref_layernorm(xd, gamma, beta, yp, NULL, NULL, B, C, L);
        xd[i] = save - h;
        ref_layernorm(xd, gamma, beta, ym, NULL, NULL, B, C, L);
        xd[i] = save;
        double s = 0;
        for (size_t j = 0; j < n; j++) s += (yp[j] - ym[j]) * dy[j];
        rdx[i] = s / (2 * h);
    }
    for (int c = 0; c < C; c++) {
        rdg[c] = acc_g[c], rdb[c] = acc_b[c];
        for (int b = 0; b < B; b++)
            for (int l = 0; l < L; l++) {
                size_t i = ((size_t)b * C + c) * L + l;
                rdg[c] += dy[i] * (xd[i] - mean[(size_t)b * L + l]) * rstd[(size_t)b * L + l];
                rdb[c] += dy[i];
            }
    }
    real_t *dx_ = opc_dev(be, x, n * sizeof *x), *dg_ = opc_dev(be, gamma, (size_t)C * sizeof *x);
    real_t *db_ = opc_dev(be, beta, (size_t)C * sizeof *x), *dyo = opc_dev(be, NULL, n * sizeof *x);
    real_t *dmean = opc_dev(be, NULL, nbl * sizeof *x), *drstd = opc_dev(be, NULL, nbl * sizeof *x);
    be->ops->layernorm_forward(be, dx_, dg_, db_, dyo, dmean, drstd, B, C, L);
    real_t *g = opc_get(be, dyo, n), *gm = opc_get(be, dmean, nbl), *gr = opc_get(be, drstd, nbl);
    snprintf(what, sizeof what, "layernorm_forward B=%d C=%d L=%d", B, C, L);
    opc_compare(what, g, y, n, 1e-5);
    opc_compare("layernorm_forward mean", gm, mean, nbl, 1e-5);
    opc_compare("layernorm_forward rstd", gr, rstd, nbl, 1e-5);
    real_t *ddy = opc_dev(be, dy, n * sizeof *x), *ddx = opc_dev(be, x, n * sizeof *x);
    real_t *ddg = opc_dev(be, acc_g, (size_t)C * sizeof *x), *ddb = opc_dev(be, acc_b, (size_t)C * sizeof *x);
    be->ops->layernorm_backward(be, dx_, dg_, dmean, drstd, ddy, ddx, ddg, ddb, B, C, L);
    real_t *g1 = opc_get(be, ddx, n), *g2 = opc_get(be, ddg, (size_t)C), *g3 = opc_get(be, ddb, (size_t)C);
    snprintf(what, sizeof what, "layernorm_backward dx B=%d C=%d L=%d", B, C, L);
    /* C = 1: the output is beta whatever x is, so dx is 0 and only rounding remains. */
    opc_compare(what, g1, rdx, n, C == 1 ? 1e-3 : 1e-4);
    opc_compare("layernorm_backward dgamma", g2, rdg, (size_t)C, 1e-5);
    opc_compare("layernorm_backward dbeta", g3, rdb, (size_t)C, 1e-5);
    be->ops->free(be, dx_), be->ops->free(be, dg_), be->ops->free(be, db_), be->ops->free(be, dyo);
    be->ops->free(be, dmean), be->ops->free(be, drstd), be->ops->free(be, ddy), be->ops->free(be, ddx);
    be->ops->free(be, ddg), be->ops->free(be, ddb);
    free(x), free(gamma), free(beta), free(dy), free(acc_g), free(acc_b), free(xd), free(y), free(mean), free(rstd);
    free(yp), free(ym), free(rdx), free(rdg), free(rdb), free(g), free(gm), free(gr), free(g1), free(g2), free(g3);
}

static double ref_wn_loss(const double *v, const double *g, const real_t *dw, int O, int inner) {
    double s = 0;
    for (int o = 0; o < O; o++) {
        double q = 0;
        for (int i = 0; i < inner; i++) q += v[(size_t)o * inner + i] * v[(size_t)o * inner + i];
        for (int i = 0; i < inner; i++) s += g[o] * v[(size_t)o * inner + i] / sqrt(q) * dw[(size_t)o * inner + i];
    }
    return s;
}

static void check_weight_norm(backend *be, int O, int inner) {
    char what[96];
    size_t n = (size_t)O * inner;
    real_t *v = opc_host_random(n, -1, 1), *g = opc_host_random((size_t)O, 0.5, 2), *dw = opc_host_random(n, -1, 1);
    real_t *acc_v = opc_host_random(n, -1, 1), *acc_g = opc_host_random((size_t)O, -1, 1);
    double *vd = opc_to_double(v, n), *gd = opc_to_double(g, (size_t)O);
    double *rw = opc_zalloc(n * sizeof *rw), *rn = opc_zalloc((size_t)O * sizeof *rn);
    double *rdv = opc_zalloc(n * sizeof *rdv), *rdg = opc_zalloc((size_t)O * sizeof *rdg);
    for (int o = 0; o < O; o++) {
        double q = 0;
        for (int i = 0; i < inner; i++) q += vd[(size_t)o * inner + i] * vd[(size_t)o * inner + i];
        rn[o] = sqrt(q);
        for (int i = 0; i < inner; i++) rw[(size_t)o * inner + i] = gd[o] * vd[(size_t)o * inner + i] / rn[o];
    }
    for (size_t i = 0; i < n; i++) {
        double h = 1e-6, s = vd[i];
        vd[i] = s + h;
        double lp = ref_wn_loss(vd, gd, dw, O, inner);
        vd[i] = s - h;
        double lm = ref_wn_loss(vd, gd, dw, O, inner);
        vd[i] = s;
        rdv[i] = acc_v[i] + (lp - lm) / (2 * h);
    }
    for (int o = 0; o < O; o++) {
        double h = 1e-6, s = gd[o];
        gd[o] = s + h;
        double lp = ref_wn_loss(vd, gd, dw, O, inner);
        gd[o] = s - h;
        double lm = ref_wn_loss(vd, gd, dw, O, inner);
        gd[o] = s;
        rdg[o] = acc_g[o] + (lp - lm) / (2 * h);
    }
    real_t *dv_ = opc_dev(be, v, n * sizeof *v), *dg_ = opc_dev(be, g, (size_t)O * sizeof *g);
    real_t *dw_out = opc_dev(be, NULL, n * sizeof *v), *dn = opc_dev(be, NULL, (size_t)O * sizeof *v);
    be->ops->weight_norm_forward(be, dv_, dg_, dw_out, dn, O, inner);
    real_t *g1 = opc_get(be, dw_out, n), *g2 = opc_get(be, dn, (size_t)O);
    snprintf(what, sizeof what, "weight_norm_forward O=%d inner=%d", O, inner);
    opc_compare(what, g1, rw, n, TOL_SUM);
    opc_compare("weight_norm_forward norms", g2, rn, (size_t)O, TOL_SUM);
    real_t *ddw = opc_dev(be, dw, n * sizeof *v), *dav = opc_dev(be, acc_v, n * sizeof *v);
    real_t *dag = opc_dev(be, acc_g, (size_t)O * sizeof *v);
    be->ops->weight_norm_backward(be, dv_, dg_, dn, ddw, dav, dag, O, inner);
    real_t *g3 = opc_get(be, dav, n), *g4 = opc_get(be, dag, (size_t)O);
    snprintf(what, sizeof what, "weight_norm_backward dv O=%d inner=%d", O, inner);
    opc_compare(what, g3, rdv, n, 1e-5);
    opc_compare("weight_norm_backward dg", g4, rdg, (size_t)O, 1e-5);
    be->ops->free(be, dv_), be->ops->free(be, dg_), be->ops->free(be, dw_out), be->ops->free(be, dn);
    be->ops->free(be, ddw), be->ops->free(be, dav), be->ops->free(be, dag);
    free(v), free(g), free(dw), free(acc_v), free(acc_g), free(vd), free(gd), free(rw), free(rn), free(rdv), free(rdg);
    free(g1), free(g2), free(g3), free(g4);
}

/* --------------------------------------------------------------------- S4 */

/* Frozen parameters in host memory, shaped as SSSD's: Re w = -1/2 like
 * HiPPO-LegS's diagonal, Im w spread like its eigenvalues, small P = Q so the
 * Woodbury denominator stays away from zero. */
typedef struct opc_s4 {
    int H, N2, L;
    real_t *log_dt, *w, *B, *P, *Q;
} opc_s4;

static opc_s4 opc_s4_make(int H, int N2, int L) {
    opc_s4 s = {H, N2, L, NULL, NULL, NULL, NULL, NULL};
    size_t nc = (size_t)H * N2 * 2;
    s.log_dt = opc_host_random((size_t)H, log(1e-3), log(1e-1));
    s.w = opc_zalloc(nc * sizeof *s.w);
    for (int h = 0; h < H; h++)
        for (int n = 0; n < N2; n++) {
            s.w[((size_t)h * N2 + n) * 2] = -0.5f;
            s.w[((size_t)h * N2 + n) * 2 + 1] = (real_t)(3.0 * n + opc_uniform(0, 2));
        }
    s.B = opc_host_random(nc, -1, 1);
    s.P = opc_host_random(nc, -0.3, 0.3);
    s.Q = opc_zalloc(nc * sizeof *s.Q);
    for (size_t i = 0; i < nc; i += 2) s.Q[i] = s.P[i], s.Q[i + 1] = -s.P[i + 1];  /* Q = conj(P) */
    return s;
}
static void opc_s4_free(opc_s4 *s) { free(s->log_dt), free(s->w), free(s->B), free(s->P), free(s->Q); }

/* Reference K (2, H, L) in double complex straight from SSSD-S4.md section 3:
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

static void check_s4_kernel_with(backend *be, opc_s4 s, const real_t *C, const char *label) {
    char what[128];
    int H = s.H, N2 = s.N2, L = s.L;
    size_t nc = (size_t)2 * H * N2 * 2, nk = (size_t)2 * H * L;
    real_t *dK = opc_host_random(nk, -1, 1), *acc = opc_host_random(nc, -1, 1);
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
    snprintf(what, sizeof what, "s4_kernel_forward H=%d N2=%d L=%d%s", H, N2, L, label);
    opc_compare(what, g, K, nk, TOL_S4);
    be->ops->s4_kernel_backward(be, fz, ddK, dacc);
    real_t *g2 = opc_get(be, dacc, nc);
    snprintf(what, sizeof what, "s4_kernel_backward H=%d N2=%d L=%d%s", H, N2, L, label);
    opc_compare(what, g2, rdC, nc, TOL_S4);
    be->ops->free(be, dl), be->ops->free(be, dw), be->ops->free(be, dB), be->ops->free(be, dP);
    be->ops->free(be, dQ), be->ops->free(be, dC), be->ops->free(be, dKo), be->ops->free(be, ddK), be->ops->free(be, dacc);
    free(dK), free(acc), free(Cd), free(K), free(rdC), free(e), free(Ke), free(g), free(g2);
}

static void check_s4_kernel(backend *be, int H, int N2, int L) {
    opc_s4 s = opc_s4_make(H, N2, L);
    real_t *C = opc_host_random((size_t)2 * H * N2 * 2, -1, 1);
    check_s4_kernel_with(be, s, C, "");
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

static void check_s4_conv(backend *be, int B, int H, int L) {
    char what[96];
    size_t n = (size_t)B * H * L, nk = (size_t)2 * H * L;
    real_t *u = opc_host_random(n, -1, 1), *K = opc_host_random(nk, -0.5, 0.5), *D = opc_host_random((size_t)H, -1, 1);
    real_t *dy = opc_host_random(n, -1, 1), *accK = opc_host_random(nk, -1, 1), *accD = opc_host_random((size_t)H, -1, 1);
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
    snprintf(what, sizeof what, "s4_conv_forward B=%d H=%d L=%d", B, H, L);
    opc_compare(what, g, y, n, TOL_SUM);
    real_t *ddy = opc_dev(be, dy, n * sizeof *u), *ddu = opc_dev(be, dy /* garbage: overwritten */, n * sizeof *u);
    real_t *daK = opc_dev(be, accK, nk * sizeof *u), *daD = opc_dev(be, accD, (size_t)H * sizeof *u);
    be->ops->s4_conv_backward(be, du_, dK_, dD_, ddy, ddu, daK, daD, B, H, L);
    real_t *g1 = opc_get(be, ddu, n), *g2 = opc_get(be, daK, nk), *g3 = opc_get(be, daD, (size_t)H);
    snprintf(what, sizeof what, "s4_conv_backward du B=%d H=%d L=%d", B, H, L);
    opc_compare(what, g1, rdu, n, TOL_SUM);
    opc_compare("s4_conv_backward dK", g2, rdK, nk, TOL_SUM);
    opc_compare("s4_conv_backward dD", g3, rdD, (size_t)H, TOL_SUM);
    be->ops->free(be, du_), be->ops->free(be, dK_), be->ops->free(be, dD_), be->ops->free(be, dyo);
    be->ops->free(be, ddy), be->ops->free(be, ddu), be->ops->free(be, daK), be->ops->free(be, daD);
    free(u), free(K), free(D), free(dy), free(accK), free(accD), free(y), free(rdu), free(rdK), free(rdD);
    free(g), free(g1), free(g2), free(g3);
}

/* -------------------------------------------------------------- diffusion */

static void check_diffusion(backend *be, int B, int L) {
    char what[96];
    size_t n = (size_t)B * L;
    int T = 200;
    /* step embedding */
    int dim = 128, half = dim / 2;
    int32_t *t = opc_zalloc((size_t)B * sizeof *t);
    for (int b = 0; b < B; b++) t[b] = (int32_t)((b * 97 + 13) % T);
    double *remb = opc_zalloc((size_t)B * dim * sizeof *remb);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < half; j++) {
            double f = exp(-j * log(10000.0) / (half - 1));
            remb[(size_t)b * dim + j] = sin(t[b] * f);
            remb[(size_t)b * dim + half + j] = cos(t[b] * f);
        }
    int32_t *dt_ = (int32_t *)opc_dev(be, t, (size_t)B * sizeof *t);
    real_t *demb = opc_dev(be, NULL, (size_t)B * dim * sizeof(real_t));
    be->ops->step_embedding(be, dt_, demb, B, dim);
    real_t *g = opc_get(be, demb, (size_t)B * dim);
    snprintf(what, sizeof what, "step_embedding B=%d dim=%d", B, dim);
    opc_compare(what, g, remb, (size_t)B * dim, 1e-6);
    free(g);

    /* normal_fill: the same pure function of (seed, stream, index) */
    long long nn = (long long)n + 3;
    double *rn = opc_zalloc((size_t)nn * sizeof *rn);
    for (long long i = 0; i < nn; i++) rn[i] = philox_normal(99, 5, 1000 + (uint64_t)i);
    real_t *dn = opc_dev(be, NULL, (size_t)nn * sizeof(real_t));
    be->ops->normal_fill(be, dn, nn, 99, 5, 1000);
    g = opc_get(be, dn, (size_t)nn);
    snprintf(what, sizeof what, "normal_fill n=%lld", nn);
    opc_compare(what, g, rn, (size_t)nn, 1e-6);
    free(g);

    /* diffusion_noise */
    real_t *x0 = opc_host_random(n, 1, 60), *eps = opc_host_random(n, -2, 2), *m = opc_zalloc(n * sizeof *m);
    real_t *abar = opc_zalloc((size_t)T * sizeof *abar);
    double prod = 1;
    for (int i = 0; i < T; i++) prod *= 1 - (1e-4 + (0.02 - 1e-4) * i / (T - 1)), abar[i] = (real_t)prod;
    for (size_t i = 0; i < n; i++) m[i] = (i % 7 == 3 || i % 5 == 0) ? 0.0f : 1.0f;
    double *rz = opc_zalloc(n * sizeof *rz), *rx = opc_zalloc(n * sizeof *rx);
    for (size_t i = 0; i < n; i++) {
        double ab = abar[t[i / (size_t)L]];
        rz[i] = (double)eps[i] * (1 - m[i]) + (double)x0[i] * m[i];
        rx[i] = sqrt(ab) * x0[i] + sqrt(1 - ab) * rz[i];
    }
    real_t *dx0 = opc_dev(be, x0, n * sizeof *x0), *deps = opc_dev(be, eps, n * sizeof *x0), *dm = opc_dev(be, m, n * sizeof *x0);
    real_t *dab = opc_dev(be, abar, (size_t)T * sizeof *x0), *dz = opc_dev(be, NULL, n * sizeof *x0);
    real_t *dxt = opc_dev(be, NULL, n * sizeof *x0);
    be->ops->diffusion_noise(be, dx0, deps, dm, dt_, dab, dz, dxt, B, L);
    real_t *gz = opc_get(be, dz, n), *gx = opc_get(be, dxt, n);
    snprintf(what, sizeof what, "diffusion_noise z B=%d L=%d", B, L);
    opc_compare(what, gz, rz, n, TOL_POINT);
    opc_compare("diffusion_noise x_t", gx, rx, n, TOL_POINT);
    free(gz), free(gx);

    /* masked_mse (pred = x_t against z): loss and gradient */
    double se = 0, cnt = 0;
    double *rdp = opc_zalloc(n * sizeof *rdp);
    for (size_t i = 0; i < n; i++) se += (rx[i] - rz[i]) * (rx[i] - rz[i]) * (1 - m[i]), cnt += 1 - m[i];
    for (size_t i = 0; i < n; i++) rdp[i] = cnt > 0 ? 2 * (rx[i] - rz[i]) * (1 - m[i]) / cnt : 0;
    real_t *ddp = opc_dev(be, x0 /* garbage: overwritten */, n * sizeof *x0);
    double loss = be->ops->masked_mse(be, dxt, dz, dm, ddp, B, L);
    snprintf(what, sizeof what, "masked_mse loss B=%d L=%d", B, L);
    opc_compare_scalar(what, loss, cnt > 0 ? se / cnt : 0, 1e-5);
    g = opc_get(be, ddp, n);
    opc_compare("masked_mse dpred", g, rdp, n, 1e-5);
    free(g);
    double loss2 = be->ops->masked_mse(be, dxt, dz, dm, ddp, B, L);
    CHECK_MSG(memcmp(&loss, &loss2, sizeof loss) == 0, "masked_mse not deterministic");
    /* all observed: no generated position, zero loss and gradient */
    real_t *ones = opc_zalloc(n * sizeof *ones);
    for (size_t i = 0; i < n; i++) ones[i] = 1;
    real_t *d1 = opc_dev(be, ones, n * sizeof *ones);
    double l0 = be->ops->masked_mse(be, dxt, dz, d1, ddp, B, L);
    g = opc_get(be, ddp, n);
    double *zeros = calloc(n, sizeof *zeros);
    opc_compare_scalar("masked_mse all observed", l0, 0, 0);
    opc_compare("masked_mse all observed dpred", g, zeros, n, 0);
    free(g);

    /* apply_observed */
    real_t *x = opc_host_random(n, -3, 3);
    double *r = opc_zalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] * (1 - m[i]) + (double)x0[i] * m[i];
    real_t *dxx = opc_dev(be, x, n * sizeof *x);
    be->ops->apply_observed(be, dxx, dx0, dm, (long long)n);
    g = opc_get(be, dxx, n);
    opc_compare("apply_observed", g, r, n, TOL_POINT);
    free(g);

    /* ddpm_step with and without noise */
    double beta = 0.013, ab = 0.21, alpha = 1 - beta, sigma = 0.1;
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        be->ops->upload(be, dxx, x, n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            r[i] = (x[i] - beta / sqrt(1 - ab) * eps[i]) / sqrt(alpha) + (with_noise ? sigma * rn[i] : 0);
        be->ops->ddpm_step(be, dxx, deps, with_noise ? dn : NULL, beta, ab, alpha, sigma, (long long)n);
        g = opc_get(be, dxx, n);
        snprintf(what, sizeof what, "ddpm_step noise=%d", with_noise);
        opc_compare(what, g, r, n, TOL_POINT);
        free(g);
    }
    /* ddim_step */
    double ab_prev = 0.35, s = 0.05;
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        be->ops->upload(be, dxx, x, n * sizeof *x);
        for (size_t i = 0; i < n; i++) {
            double x0h = (x[i] - sqrt(1 - ab) * eps[i]) / sqrt(ab);
            r[i] = sqrt(ab_prev) * x0h + sqrt(1 - ab_prev - s * s) * eps[i] + (with_noise ? s * rn[i] : 0);
        }
        be->ops->ddim_step(be, dxx, deps, with_noise ? dn : NULL, ab, ab_prev, s, (long long)n);
        g = opc_get(be, dxx, n);
        snprintf(what, sizeof what, "ddim_step noise=%d", with_noise);
        opc_compare(what, g, r, n, 1e-5);
        free(g);
    }
    be->ops->free(be, dt_), be->ops->free(be, demb), be->ops->free(be, dn), be->ops->free(be, dx0);
    be->ops->free(be, deps), be->ops->free(be, dm), be->ops->free(be, dab), be->ops->free(be, dz);
    be->ops->free(be, dxt), be->ops->free(be, ddp), be->ops->free(be, d1), be->ops->free(be, dxx);
    free(t), free(remb), free(rn), free(x0), free(eps), free(m), free(abar), free(rz), free(rx), free(rdp);
    free(ones), free(zeros), free(x), free(r);
}

/* softmax_xent: logits (B, V, L) uniform in offset +- scale; positive weights
 * of several sizes, every fourth position unweighted with a NaN logit and a
 * target out of range there (both must be ignored), and one weighted
 * position whose target is out of range (it matches no class). Loss and
 * gradient against the double definition; then determinism, and zero total
 * weight. dlogits starts as garbage (overwrite). */
static void check_softmax_xent(backend *be, int B, int V, int L, double offset, double scale) {
    char what[128];
    size_t n = (size_t)B * V * L, nc = (size_t)B * L;
    real_t *x = opc_host_random(n, offset - scale, offset + scale), *w = opc_host_random(nc, 0.1, 2.0);
    int32_t *t = opc_zalloc(nc * sizeof *t);
    for (size_t c = 0; c < nc; c++) {
        t[c] = (int32_t)opc_uniform(0, V);
        if (c % 4 == 3) {
            w[c] = 0;
            t[c] = -7;
            x[(c / (size_t)L) * V * L + c % (size_t)L] = NAN;
        }
    }
    if (nc > 2) t[1] = V; /* weighted (1 % 4 != 3) */
    double sum_w = 0, total = 0;
    double *rd = opc_zalloc(n * sizeof *rd);
    for (size_t c = 0; c < nc; c++)
        if (w[c] > 0) sum_w += w[c];
    for (size_t c = 0; c < nc; c++) {
        if (!(w[c] > 0)) continue;
        const real_t *xc = x + (c / (size_t)L) * V * L + c % (size_t)L;
        double mx = -INFINITY, s = 0;
        for (int v = 0; v < V; v++) mx = fmax(mx, (double)xc[(size_t)v * L]);
        for (int v = 0; v < V; v++) s += exp((double)xc[(size_t)v * L] - mx);
        double lse = mx + log(s);
        int has_class = t[c] >= 0 && t[c] < V;
        total += w[c] * (has_class ? lse - xc[(size_t)t[c] * L] : lse);
        for (int v = 0; v < V; v++)
            rd[(c / (size_t)L) * V * L + (size_t)v * L + c % (size_t)L] =
                w[c] / sum_w * (exp((double)xc[(size_t)v * L] - lse) - (v == t[c] ? 1.0 : 0.0));
    }
    real_t *dx = opc_dev(be, x, n * sizeof *x), *dw = opc_dev(be, w, nc * sizeof *w);
    int32_t *dt = (int32_t *)opc_dev(be, t, nc * sizeof *t);
    real_t *garbage = opc_host_random(n, -9, 9);
    real_t *dd = opc_dev(be, garbage, n * sizeof *dd);
    double loss = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    snprintf(what, sizeof what, "softmax_xent loss B=%d V=%d L=%d offset=%g", B, V, L, offset);
    opc_compare_scalar(what, loss, sum_w > 0 ? total / sum_w : 0, 1e-5);
    real_t *g = opc_get(be, dd, n);
    snprintf(what, sizeof what, "softmax_xent dlogits B=%d V=%d L=%d offset=%g", B, V, L, offset);
    opc_compare(what, g, rd, n, 1e-5);
    free(g);
    double again = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    CHECK_MSG(memcmp(&loss, &again, sizeof loss) == 0, "softmax_xent not deterministic: %.17g vs %.17g", loss, again);
    /* no weighted position: zero loss and gradient */
    be->ops->upload(be, dd, garbage, n * sizeof *dd);
    be->ops->zero(be, dw, nc * sizeof *w);
    double l0 = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    opc_compare_scalar("softmax_xent no weighted position", l0, 0, 0);
    g = opc_get(be, dd, n);
    memset(rd, 0, n * sizeof *rd);
    opc_compare("softmax_xent no weighted position dlogits", g, rd, n, 0);
    free(g);
    be->ops->free(be, dx), be->ops->free(be, dw), be->ops->free(be, dt), be->ops->free(be, dd);
    free(x), free(w), free(t), free(rd), free(garbage);
}

static void check_adam(backend *be, long long n) {
    char what[96];
    real_t *p = opc_host_random((size_t)n, -1, 1), *gr = opc_host_random((size_t)n, -1, 1);
    real_t *m = opc_host_random((size_t)n, -0.1, 0.1), *v = opc_host_random((size_t)n, 0, 0.01);
    adam_params ap = {2e-4, 0.9, 0.999, 1e-8, 0.01, 3};
    double *rp = opc_zalloc((size_t)n * sizeof *rp), *rm = opc_zalloc((size_t)n * sizeof *rm), *rv = opc_zalloc((size_t)n * sizeof *rv);
    for (long long i = 0; i < n; i++) {
        double g = (double)gr[i] + ap.weight_decay * p[i];
        rm[i] = ap.beta1 * m[i] + (1 - ap.beta1) * g;
        rv[i] = ap.beta2 * v[i] + (1 - ap.beta2) * g * g;
        double mh = rm[i] / (1 - pow(ap.beta1, ap.step)), vh = rv[i] / (1 - pow(ap.beta2, ap.step));
        rp[i] = p[i] - ap.lr * mh / (sqrt(vh) + ap.eps);
    }
    real_t *dp = opc_dev(be, p, (size_t)n * sizeof *p), *dg = opc_dev(be, gr, (size_t)n * sizeof *p);
    real_t *dm = opc_dev(be, m, (size_t)n * sizeof *p), *dv = opc_dev(be, v, (size_t)n * sizeof *p);
    be->ops->adam_update(be, dp, dg, dm, dv, n, ap);
    real_t *g1 = opc_get(be, dp, (size_t)n), *g2 = opc_get(be, dm, (size_t)n), *g3 = opc_get(be, dv, (size_t)n);
    /* The parameter moves by ~lr: compare the change, not the value. */
    double *step_ref = opc_zalloc((size_t)n * sizeof *step_ref);
    real_t *step_got = opc_zalloc((size_t)n * sizeof *step_got);
    for (long long i = 0; i < n; i++) step_ref[i] = rp[i] - p[i], step_got[i] = g1[i] - p[i];
    snprintf(what, sizeof what, "adam_update step n=%lld", n);
    opc_compare(what, step_got, step_ref, (size_t)n, 2e-3);
    opc_compare("adam_update m", g2, rm, (size_t)n, TOL_POINT);
    opc_compare("adam_update v", g3, rv, (size_t)n, TOL_POINT);
    be->ops->free(be, dp), be->ops->free(be, dg), be->ops->free(be, dm), be->ops->free(be, dv);
    free(p), free(gr), free(m), free(v), free(rp), free(rm), free(rv), free(g1), free(g2), free(g3);
    free(step_ref), free(step_got);
}

#ifdef SSSD_TEST_WITH_CPU
/* The same S4 inputs through a backend and the CPU backend. */
static void cross_check_s4_with(backend *gpu, backend *cpu, int B, opc_s4 s, const real_t *C, const char *label) {
    char what[128];
    int H = s.H, N2 = s.N2, L = s.L;
    size_t nc = (size_t)2 * H * N2 * 2, nk = (size_t)2 * H * L, nh = (size_t)H * N2 * 2, nu = (size_t)B * H * L;
    real_t *u = opc_host_random(nu, -1, 1), *D = opc_host_random((size_t)H, -1, 1);
    real_t *out[2][4];
    backend *bes[2] = {gpu, cpu};
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
    const char *names[4] = {"K", "conv y", "conv du", "kernel dC"};
    for (int j = 0; j < 4; j++) {
        double *ref = opc_to_double(out[1][j], sizes[j]);
        snprintf(what, sizeof what, "%s vs cpu S4 %s B=%d H=%d N2=%d L=%d%s", gpu->ops->name, names[j], B, H, N2, L, label);
        opc_compare(what, out[0][j], ref, sizes[j], 1e-4);
        free(ref), free(out[0][j]), free(out[1][j]);
    }
    free(u), free(D);
}

static void cross_check_s4(backend *gpu, backend *cpu, int B, int H, int N2, int L) {
    opc_s4 s = opc_s4_make(H, N2, L);
    real_t *C = opc_host_random((size_t)2 * H * N2 * 2, -1, 1);
    cross_check_s4_with(gpu, cpu, B, s, C, "");
    opc_s4_free(&s);
    free(C);
}
#endif

#ifdef SSSD_TEST_WITH_MODEL
#include "s4_init.h"
/* Frozen parameters and C exactly as the model initialises them (HiPPO-LegS,
 * N = 64, length-corrected C): the kernel's real operating point. */
static void opc_s4_hippo(int H, int L, opc_s4 *s, real_t **C) {
    int N2 = 32;
    size_t nh = (size_t)H * N2 * 2;
    double *ld = opc_zalloc((size_t)H * sizeof *ld), *w = opc_zalloc(nh * sizeof *w), *B = opc_zalloc(nh * sizeof *B);
    double *P = opc_zalloc(nh * sizeof *P), *Q = opc_zalloc(nh * sizeof *Q), *Cd = opc_zalloc(2 * nh * sizeof *Cd);
    CHECK(s4_init_layer(H, 2 * N2, L, 1e-3, 1e-1, 42, 3, ld, w, B, P, Q, Cd) == 0);
    s->H = H, s->N2 = N2, s->L = L;
    s->log_dt = opc_zalloc((size_t)H * sizeof(real_t));
    s->w = opc_zalloc(nh * sizeof(real_t)), s->B = opc_zalloc(nh * sizeof(real_t));
    s->P = opc_zalloc(nh * sizeof(real_t)), s->Q = opc_zalloc(nh * sizeof(real_t));
    *C = opc_zalloc(2 * nh * sizeof(real_t));
    for (int h = 0; h < H; h++) s->log_dt[h] = (real_t)ld[h];
    for (size_t i = 0; i < nh; i++) s->w[i] = (real_t)w[i], s->B[i] = (real_t)B[i], s->P[i] = (real_t)P[i], s->Q[i] = (real_t)Q[i];
    for (size_t i = 0; i < 2 * nh; i++) (*C)[i] = (real_t)Cd[i];
    free(ld), free(w), free(B), free(P), free(Q), free(Cd);
}
#endif

/* The S4 operations at the model's own operating point (HiPPO-LegS
 * initialisation) against the double reference and, when linked, the CPU
 * backend; odd and even L. */
static void op_checks_s4_realistic(backend *be, backend *cpu) {
    (void)be, (void)cpu;
#ifdef SSSD_TEST_WITH_MODEL
    static const int cases[][2] = {{2, 200}, {1, 199}, {3, 16}};
    for (int i = 0; i < 3; i++) {
        opc_s4 s;
        real_t *C;
        opc_s4_hippo(cases[i][0], cases[i][1], &s, &C);
        check_s4_kernel_with(be, s, C, " (HiPPO init)");
#ifdef SSSD_TEST_WITH_CPU
        if (cpu) cross_check_s4_with(be, cpu, 2, s, C, " (HiPPO init)");
#endif
        opc_s4_free(&s);
        free(C);
    }
#endif
#ifdef SSSD_TEST_WITH_CPU
    if (cpu) {
        cross_check_s4(be, cpu, 2, 3, 8, 17);
        cross_check_s4(be, cpu, 3, 4, 32, 200);
        cross_check_s4(be, cpu, 1, 2, 32, 199);
        cross_check_s4(be, cpu, 1, 1, 2, 1);
    }
#endif
}

#ifdef SSSD_TEST_WITH_MODEL
#include <unistd.h>

#include "checkpoint.h"
#include "diffusion.h"
#include "sssd.h"

/* Host copy of the model's parameters (nudged so the zero-initialised output
 * layer does not make every output 0) and buffers, loaded into `dst`. */
static void copy_model(sssd_model *src, sssd_model *dst, int nudge) {
    backend *bs = sssd_model_backend(src), *bd = sssd_model_backend(dst);
    long long np = sssd_model_num_params(src), nb = sssd_model_num_buffers(src);
    real_t *p = opc_zalloc((size_t)np * sizeof *p), *b = opc_zalloc((size_t)(nb ? nb : 1) * sizeof *b);
    bs->ops->download(bs, p, sssd_model_params(src), (size_t)np * sizeof *p);
    if (nb) bs->ops->download(bs, b, sssd_model_buffers(src), (size_t)nb * sizeof *b);
    if (nudge)
        for (long long i = 0; i < np; i++) p[i] += (real_t)opc_uniform(-0.01, 0.01);
    bd->ops->upload(bd, sssd_model_params(dst), p, (size_t)np * sizeof *p);
    if (nb) bd->ops->upload(bd, sssd_model_buffers(dst), b, (size_t)nb * sizeof *b);
    if (nudge) bs->ops->upload(bs, sssd_model_params(src), p, (size_t)np * sizeof *p);
    sssd_model_parameters_changed(src);
    sssd_model_parameters_changed(dst);
    free(p), free(b);
}

typedef struct model_io {
    real_t *noisy, *cond, *eps, *deps;
    int32_t *t;
} model_io;

static model_io model_io_upload(backend *be, const real_t *noisy, const real_t *cond, const int32_t *t,
                                const real_t *deps, int B, int L) {
    model_io io;
    io.noisy = opc_dev(be, noisy, (size_t)B * L * sizeof(real_t));
    io.cond = opc_dev(be, cond, (size_t)B * 2 * L * sizeof(real_t));
    io.t = (int32_t *)opc_dev(be, t, (size_t)B * sizeof(int32_t));
    io.deps = opc_dev(be, deps, (size_t)B * L * sizeof(real_t));
    io.eps = opc_dev(be, NULL, (size_t)B * L * sizeof(real_t));
    return io;
}
static void model_io_free(backend *be, model_io *io) {
    be->ops->free(be, io->noisy), be->ops->free(be, io->cond), be->ops->free(be, io->t);
    be->ops->free(be, io->deps), be->ops->free(be, io->eps);
}

/* A few DDPM steps from the same noise on one backend; returns x (host). */
static real_t *sample_steps(sssd_model *m, const real_t *cond_host, int B, int L, int steps) {
    backend *be = sssd_model_backend(m);
    const sssd_config *cfg = sssd_model_config(m);
    diffusion_schedule sch;
    diffusion_schedule_init(&sch, cfg->T, cfg->beta_0, cfg->beta_T);
    size_t n = (size_t)B * L;
    real_t *x = opc_dev(be, NULL, n * sizeof(real_t)), *noise = opc_dev(be, NULL, n * sizeof(real_t));
    real_t *eps = opc_dev(be, NULL, n * sizeof(real_t)), *cond = opc_dev(be, cond_host, 2 * n * sizeof(real_t));
    int32_t *th = opc_zalloc((size_t)B * sizeof *th);
    int32_t *t = (int32_t *)opc_dev(be, NULL, (size_t)B * sizeof *th);
    be->ops->normal_fill(be, x, (long long)n, 2024, 1, 0);
    for (int s = 0; s < steps; s++) {
        int step = cfg->T - 1 - s;
        for (int b = 0; b < B; b++) th[b] = step;
        be->ops->upload(be, t, th, (size_t)B * sizeof *th);
        sssd_forward(m, B, x, cond, t, eps);
        be->ops->normal_fill(be, noise, (long long)n, 2024, 2, (unsigned long long)s * n);
        be->ops->ddpm_step(be, x, eps, step > 0 ? noise : NULL, sch.beta[step], sch.abar[step], sch.alpha[step],
                           sch.sigma[step], (long long)n);
    }
    real_t *out = opc_get(be, x, n);
    be->ops->free(be, x), be->ops->free(be, noise), be->ops->free(be, eps), be->ops->free(be, cond);
    be->ops->free(be, t);
    free(th);
    diffusion_schedule_free(&sch);
    return out;
}

/* The whole network on `gpu` (the CUDA backend or its emulation) and on the
 * CPU backend with the same weights: forward, every gradient, and a
 * checkpoint written from `gpu` loaded and sampled on both. */
static void check_model(backend *gpu, backend *cpu, int miniature) {
    sssd_config cfg;
    error_info err;
    /* The emulation runs every block on OS threads: it gets a miniature
     * network (every kind of layer, fewer and narrower) to stay quick. */
    int L = miniature ? 24 : 50, B = 2, steps = miniature ? 2 : 5;
    if (sssd_config_preset("tiny", L, &cfg, &err) != 0) {
        CHECK_MSG(0, "tiny preset: %s", err.message);
        return;
    }
    if (miniature) {
        cfg.res_channels = cfg.skip_channels = 8;
        cfg.num_res_layers = 1;
        cfg.s4_d_state = 16;
        cfg.emb_in = 16;
        cfg.emb_mid = cfg.emb_out = 32;
        CHECK_MSG(sssd_config_validate(&cfg, &err) == 0, "miniature config: %s", err.message);
    }
    sssd_model *mg = sssd_model_create(&cfg, gpu, B, 7), *mc = sssd_model_create(&cfg, cpu, B, 7);
    copy_model(mc, mg, 1);
    size_t n = (size_t)B * L;
    real_t *noisy = opc_host_random(n, -2, 2), *cond = opc_zalloc(2 * n * sizeof *cond), *deps = opc_host_random(n, -1, 1);
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            int observed = !(l >= L / 2 && l < L / 2 + 10);
            cond[((size_t)b * 2 + 1) * L + l] = (real_t)observed;
            cond[((size_t)b * 2) * L + l] = observed ? (real_t)(1 + (l * 7 + b) % 13) : 0;
        }
    int32_t t[2] = {3, 150};
    model_io ig = model_io_upload(gpu, noisy, cond, t, deps, B, L), ic = model_io_upload(cpu, noisy, cond, t, deps, B, L);
    sssd_zero_grads(mg);
    sssd_zero_grads(mc);
    sssd_forward(mg, B, ig.noisy, ig.cond, ig.t, ig.eps);
    sssd_forward(mc, B, ic.noisy, ic.cond, ic.t, ic.eps);
    real_t *eg = opc_get(gpu, ig.eps, n), *ec = opc_get(cpu, ic.eps, n);
    double *ecd = opc_to_double(ec, n);
    opc_compare("model forward vs cpu", eg, ecd, n, 1e-4);
    sssd_backward(mg, ig.deps);
    sssd_backward(mc, ic.deps);
    long long np = sssd_model_num_params(mg);
    real_t *gg = opc_get(gpu, sssd_model_grads(mg), (size_t)np), *gc = opc_get(cpu, sssd_model_grads(mc), (size_t)np);
    double *gcd = opc_to_double(gc, (size_t)np);
    opc_compare("model backward (all gradients) vs cpu", gg, gcd, (size_t)np, 1e-3);
    double grad_rms = 0;
    for (long long i = 0; i < np; i++) grad_rms += gcd[i] * gcd[i];
    grad_rms = sqrt(grad_rms / (double)(np ? np : 1));
    /* per tensor, so a wrong layer is named */
    for (int i = 0; i < sssd_model_tensor_count(mg); i++) {
        const sssd_tensor_info *ti = sssd_model_tensor(mg, i);
        if (!ti->trainable) continue;
        char what[200];
        snprintf(what, sizeof what, "gradient %s", ti->name);
        /* Some gradients are exactly zero in exact arithmetic (weight_v of a
         * weight-normalised row of length 1 is g sign(v): no dependence on
         * |v|); measure those against the gradient scale of the whole model. */
        opc_compare_floor(what, gg + ti->offset, gcd + ti->offset, (size_t)ti->count, 5e-3, grad_rms);
    }

    /* checkpoint saved from the GPU model, sampled from on the CPU */
    char path[] = "/tmp/sssd_cuda_ckpt_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    CHECK_MSG(checkpoint_save(path, mg, &meta, 0, &err) == 0, "save: %s", err.message);
    checkpoint_meta loaded;
    checkpoint_meta_init(&loaded);
    sssd_model *mc2 = checkpoint_load(path, cpu, B, &loaded, &err);
    CHECK_MSG(mc2 != NULL, "load on cpu: %s", err.message);
    sssd_model *mg2 = checkpoint_load(path, gpu, B, &loaded, &err);
    CHECK_MSG(mg2 != NULL, "load on cuda: %s", err.message);
    if (mc2 && mg2) {
        /* The network itself, reloaded on the other backend, on the same input
         * (sampling alone would hide it: at large t the noise dominates x). */
        sssd_forward(mc2, B, ic.noisy, ic.cond, ic.t, ic.eps);
        sssd_forward(mg, B, ig.noisy, ig.cond, ig.t, ig.eps);
        real_t *e2 = opc_get(cpu, ic.eps, n), *e1 = opc_get(gpu, ig.eps, n);
        double *e1d = opc_to_double(e1, n);
        opc_compare("forward of the checkpoint loaded on cpu", e2, e1d, n, 1e-4);
        sssd_forward(mg2, B, ig.noisy, ig.cond, ig.t, ig.eps);
        real_t *e3 = opc_get(gpu, ig.eps, n);
        opc_compare("forward of the checkpoint reloaded on it", e3, e1d, n, 1e-6);
        free(e1), free(e2), free(e1d), free(e3);
        real_t *xg = sample_steps(mg, cond, B, L, steps), *xc = sample_steps(mc2, cond, B, L, steps);
        double *xgd = opc_to_double(xg, n);
        opc_compare("DDPM steps: checkpoint saved from it, sampled on cpu", xc, xgd, n, 1e-3);
        free(xg), free(xc), free(xgd);
    }
    if (mc2) sssd_model_free(mc2);
    if (mg2) sssd_model_free(mg2);
    checkpoint_meta_free(&meta);
    checkpoint_meta_free(&loaded);
    unlink(path);
    model_io_free(gpu, &ig);
    model_io_free(cpu, &ic);
    sssd_model_free(mg);
    sssd_model_free(mc);
    free(noisy), free(cond), free(deps), free(eg), free(ec), free(ecd), free(gg), free(gc), free(gcd);
}
#endif

/* ---------------------------------------------------------------- driver */

/* Every op of `be`; `big` adds the larger shapes (L = 200, C = 33). */
static void op_checks_run(backend *be, int big) {
    static const long long ns[] = {1, 3, 17, 200, 1000, 70001};
    int nn = big ? 6 : 5;
    for (int i = 0; i < nn; i++) {
        check_unary(be, "relu", be->ops->relu_forward, be->ops->relu_backward, ref_relu, 1, ns[i]);
        check_unary(be, "gelu", be->ops->gelu_forward, be->ops->gelu_backward, ref_gelu, 0, ns[i]);
        check_unary(be, "swish", be->ops->swish_forward, be->ops->swish_backward, ref_swish, 0, ns[i]);
        check_axpby_sumsq(be, ns[i]);
        check_adam(be, ns[i]);
    }
    static const int bcl[][3] = {{1, 1, 1}, {2, 3, 17}, {3, 5, 3}, {1, 33, 64}, {3, 5, 200}};
    int nb = big ? 5 : 4;
    for (int i = 0; i < nb; i++) {
        int B = bcl[i][0], C = bcl[i][1], L = bcl[i][2];
        check_gate(be, B, C, L);
        check_broadcasts(be, B, C, L);
        check_im2col(be, B, C, L);
        check_layernorm(be, B, C < 17 ? C : 17, L < 64 ? L : 40);
        check_diffusion(be, B, L);
    }
    check_softmax_xent(be, 1, 1, 1, 0, 1);
    check_softmax_xent(be, 2, 5, 3, 0, 3);
    check_softmax_xent(be, 3, 61, 17, 0, 4);
    check_softmax_xent(be, 3, 61, 17, 80, 10);
    if (big) check_softmax_xent(be, 4, 257, 200, 0, 6);
    check_weight_norm(be, 1, 1);
    check_weight_norm(be, 5, 3);
    check_weight_norm(be, 33, 17);
    check_weight_norm(be, 3, 300);
    check_gemm(be, 0, 0, 5, 7, 3, 1, 0, 0.0);
    check_gemm(be, 1, 0, 4, 3, 6, 2, 0, 1.0);
    check_gemm(be, 0, 1, 3, 5, 4, 3, 1, 0.5);
    check_gemm(be, 1, 1, 6, 2, 5, 2, 0, 0.0);
    check_gemm(be, 0, 0, 1, 1, 1, 1, 0, 0.0);
    static const int s4k[][3] = {{1, 2, 1}, {2, 3, 2}, {1, 4, 3}, {3, 5, 17}, {2, 8, 64}};
    int nk = 5;
    for (int i = 0; i < nk; i++) check_s4_kernel(be, s4k[i][0], s4k[i][1], s4k[i][2]);
    if (big) check_s4_kernel(be, 2, 32, 200);
    static const int s4c[][3] = {{1, 1, 1}, {2, 3, 3}, {1, 2, 17}, {3, 5, 64}, {5, 2, 200}, {2, 1, 129}};
    int nc = big ? 6 : 4;
    for (int i = 0; i < nc; i++) check_s4_conv(be, s4c[i][0], s4c[i][1], s4c[i][2]);
}

#endif
