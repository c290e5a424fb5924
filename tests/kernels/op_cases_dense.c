/* Checks of the dense operations (op_check.h): memory, pointwise
 * activations, the gated unit, broadcasts and reductions, im2col, GEMM,
 * LayerNorm, weight normalisation and Adam, each against a double-precision
 * reference (finite differences for the backward passes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_check.h"

/* memory: alloc gives zeroed memory, upload/download round-trip, copy moves
 * bytes between buffers (also to an offset), zero clears a range. */
void opc_case_memory(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const size_t n = (size_t)p[0];
    opc_shape(c, "n=%zu", n);
    real_t *x = opc_host_random(c, n, -1, 1);
    double *ref = opc_zalloc(n * sizeof *ref), *zero = opc_zalloc(n * sizeof *zero);
    real_t *a = opc_dev(be, NULL, n * sizeof *x), *b = opc_dev(be, NULL, 2 * n * sizeof *x);
    real_t *g = opc_get(be, a, n);
    opc_compare(c, "alloc", "zeroed", g, zero, n, 0);
    free(g);
    be->ops->upload(be, a, x, n * sizeof *x);
    for (size_t i = 0; i < n; i++) ref[i] = x[i];
    g = opc_get(be, a, n);
    opc_compare(c, "upload", "and download", g, ref, n, 0);
    free(g);
    be->ops->copy(be, b + n, a, n * sizeof *x);
    g = opc_get(be, b + n, n);
    opc_compare(c, "copy", NULL, g, ref, n, 0);
    free(g);
    g = opc_get(be, b, n);
    opc_compare(c, "copy", "leaves the rest", g, zero, n, 0);
    free(g);
    if (n > 1) { /* the upper half of a */
        be->ops->zero(be, a + n / 2, (n - n / 2) * sizeof *x);
        for (size_t i = n / 2; i < n; i++) ref[i] = 0;
    } else {
        be->ops->zero(be, a, n * sizeof *x);
        ref[0] = 0;
    }
    g = opc_get(be, a, n);
    opc_compare(c, "zero", NULL, g, ref, n, 0);
    free(g);
    real_t *h = opc_zalloc(n * sizeof *h);
    be->ops->download(be, h, b + n, n * sizeof *x);
    for (size_t i = 0; i < n; i++) ref[i] = x[i];
    opc_compare(c, "download", NULL, h, ref, n, 0);
    opc_dev_free(be, a, b, NULL);
    free(x), free(ref), free(zero), free(h);
}

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

typedef struct unary_op {
    const char *name;
    void (*fwd)(backend *, const real_t *, real_t *, long long);
    void (*bwd)(backend *, const real_t *, const real_t *, real_t *, long long);
    opc_fn1 f;
    int bwd_takes_output; /* ReLU's backward reads the forward's output */
} unary_op;

void opc_case_unary(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const unary_op ops[3] = {
        {"relu", be->ops->relu_forward, be->ops->relu_backward, ref_relu, 1},
        {"gelu", be->ops->gelu_forward, be->ops->gelu_backward, ref_gelu, 0},
        {"swish", be->ops->swish_forward, be->ops->swish_backward, ref_swish, 0},
    };
    const unary_op *u = &ops[p[0]];
    const long long n = p[1];
    const int bwd_takes_output = u->bwd_takes_output;
    const opc_fn1 f = u->f;
    char fwd_name[32], bwd_name[32];
    snprintf(fwd_name, sizeof fwd_name, "%s_forward", u->name);
    snprintf(bwd_name, sizeof bwd_name, "%s_backward", u->name);
    opc_shape(c, "n=%lld", n);
    real_t *x = opc_host_random(c, (size_t)n, -4, 4), *dy = opc_host_random(c, (size_t)n, -1, 1);
    double *ry = opc_zalloc((size_t)n * sizeof *ry), *rdx = opc_zalloc((size_t)n * sizeof *rdx);
    for (long long i = 0; i < n; i++) {
        ry[i] = f(x[i]);
        /* ReLU's derivative from its output: exactly the indicator y > 0. */
        rdx[i] = dy[i] * (bwd_takes_output ? (ry[i] > 0 ? 1.0 : 0.0) : opc_fd(f, x[i]));
    }
    real_t *dx_ = opc_dev(be, x, (size_t)n * sizeof *x), *ddy = opc_dev(be, dy, (size_t)n * sizeof *dy);
    real_t *dy_out = opc_dev(be, NULL, (size_t)n * sizeof *x), *ddx = opc_dev(be, NULL, (size_t)n * sizeof *x);
    u->fwd(be, dx_, dy_out, n);
    real_t *got = opc_get(be, dy_out, (size_t)n);
    opc_compare(c, fwd_name, NULL, got, ry, (size_t)n, TOL_POINT);
    u->bwd(be, bwd_takes_output ? dy_out : dx_, ddy, ddx, n);
    real_t *gdx = opc_get(be, ddx, (size_t)n);
    opc_compare(c, bwd_name, NULL, gdx, rdx, (size_t)n, bwd_takes_output ? TOL_POINT : 2e-5);
    be->ops->free(be, dx_), be->ops->free(be, ddy), be->ops->free(be, dy_out), be->ops->free(be, ddx);
    free(x), free(dy), free(ry), free(rdx), free(got), free(gdx);
}

static double ref_gate(double a, double b) { return tanh(a) * ref_sigmoid(b); }

void opc_case_gate(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], C = p[1], L = p[2];
    opc_shape(c, "B=%d C=%d L=%d", B, C, L);
    size_t nh = (size_t)B * 2 * C * L, no = (size_t)B * C * L;
    real_t *h = opc_host_random(c, nh, -3, 3), *dout = opc_host_random(c, no, -1, 1);
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
    opc_compare(c, "gate_forward", NULL, g1, rout, no, TOL_POINT);
    be->ops->gate_backward(be, dh, ddout, ddh, B, C, L);
    real_t *g2 = opc_get(be, ddh, nh);
    opc_compare(c, "gate_backward", NULL, g2, rdh, nh, 2e-5);
    be->ops->free(be, dh), be->ops->free(be, ddout), be->ops->free(be, dout_), be->ops->free(be, ddh);
    free(h), free(dout), free(rout), free(rdh), free(g1), free(g2);
}

/* ------------------------------------------------- broadcasts, reductions */

void opc_case_broadcasts(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], C = p[1], L = p[2];
    opc_shape(c, "B=%d C=%d L=%d", B, C, L);
    size_t n = (size_t)B * C * L;
    real_t *x = opc_host_random(c, n, -1, 1), *bias = opc_host_random(c, (size_t)C, -1, 1);
    real_t *v = opc_host_random(c, (size_t)B * C, -1, 1), *acc = opc_host_random(c, (size_t)C, -1, 1);
    double *r = opc_zalloc(n * sizeof *r), *rc = opc_zalloc((size_t)C * sizeof *rc), *rv = opc_zalloc((size_t)B * C * sizeof *rv);

    /* add_bias (in place) */
    real_t *dx = opc_dev(be, x, n * sizeof *x), *dbias = opc_dev(be, bias, (size_t)C * sizeof *bias);
    be->ops->add_bias(be, dx, dbias, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] + bias[(i / (size_t)L) % (size_t)C];
    real_t *g = opc_get(be, dx, n);
    opc_compare(c, "add_bias", NULL, g, r, n, TOL_POINT);
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
    opc_compare(c, "bias_grad", NULL, g, rc, (size_t)C, TOL_SUM);
    free(g);

    /* add_channel_vector, out of place and in place */
    real_t *dv = opc_dev(be, v, (size_t)B * C * sizeof *v), *dout = opc_dev(be, NULL, n * sizeof *x);
    be->ops->add_channel_vector(be, dy, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] + v[i / (size_t)L];
    g = opc_get(be, dout, n);
    opc_compare(c, "add_channel_vector", NULL, g, r, n, TOL_POINT);
    free(g);
    be->ops->add_channel_vector(be, dout, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] += v[i / (size_t)L];
    g = opc_get(be, dout, n);
    opc_compare(c, "add_channel_vector", "in place", g, r, n, TOL_POINT);
    free(g);

    /* scale_channels, out of place and in place */
    be->ops->scale_channels(be, dy, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] * v[i / (size_t)L];
    g = opc_get(be, dout, n);
    opc_compare(c, "scale_channels", NULL, g, r, n, TOL_POINT);
    free(g);
    be->ops->scale_channels(be, dout, dv, dout, B, C, L);
    for (size_t i = 0; i < n; i++) r[i] = (double)(real_t)r[i] * v[i / (size_t)L];
    g = opc_get(be, dout, n);
    opc_compare(c, "scale_channels", "in place", g, r, n, TOL_POINT);
    free(g);

    /* sum_over_length (overwrite: the output starts as garbage) */
    real_t *dsum = opc_dev(be, v, (size_t)B * C * sizeof *v);
    be->ops->sum_over_length(be, dy, dsum, B, C, L);
    for (size_t bc = 0; bc < (size_t)B * C; bc++) {
        rv[bc] = 0;
        for (int l = 0; l < L; l++) rv[bc] += x[bc * L + l];
    }
    g = opc_get(be, dsum, (size_t)B * C);
    opc_compare(c, "sum_over_length", NULL, g, rv, (size_t)B * C, TOL_SUM);
    free(g);

    be->ops->free(be, dx), be->ops->free(be, dbias), be->ops->free(be, dacc), be->ops->free(be, dy);
    be->ops->free(be, dv), be->ops->free(be, dout), be->ops->free(be, dsum);
    free(x), free(bias), free(v), free(acc), free(r), free(rc), free(rv);
}

void opc_case_axpby_sumsq(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const long long n = p[0];
    opc_shape(c, "n=%lld", n);
    real_t *x = opc_host_random(c, (size_t)n, -1, 1), *y = opc_host_random(c, (size_t)n, -1, 1);
    double *r = opc_zalloc((size_t)n * sizeof *r);
    real_t *dx = opc_dev(be, x, (size_t)n * sizeof *x), *dy = opc_dev(be, y, (size_t)n * sizeof *y);
    be->ops->axpby(be, n, 0.75, dx, -1.5, dy);
    for (long long i = 0; i < n; i++) r[i] = 0.75 * x[i] - 1.5 * y[i];
    real_t *g = opc_get(be, dy, (size_t)n);
    opc_compare(c, "axpby", NULL, g, r, (size_t)n, TOL_POINT);
    double ss = 0;
    for (long long i = 0; i < n; i++) ss += (double)x[i] * x[i];
    double got = be->ops->sum_squares(be, dx, n);
    opc_compare_scalar(c, "sum_squares", NULL, got, ss, 1e-9);
    /* Reproducible: the same call gives the same bits. */
    double again = be->ops->sum_squares(be, dx, n);
    opc_expect(c, "sum_squares", "deterministic", memcmp(&got, &again, sizeof got) == 0, "%.17g, then %.17g", got,
               again);
    be->ops->free(be, dx), be->ops->free(be, dy);
    free(x), free(y), free(r), free(g);
}

/* ----------------------------------------------------------- im2col / gemm */

void opc_case_im2col(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], Ci = p[1], L = p[2];
    opc_shape(c, "B=%d Ci=%d L=%d", B, Ci, L);
    size_t nx = (size_t)B * Ci * L, nc = nx * 3;
    real_t *x = opc_host_random(c, nx, -1, 1), *dcols = opc_host_random(c, nc, -1, 1), *acc = opc_host_random(c, nx, -1, 1);
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
    opc_compare(c, "im2col_k3", NULL, g, rc, nc, 0);
    free(g);
    real_t *ddc = opc_dev(be, dcols, nc * sizeof *x), *dacc = opc_dev(be, acc, nx * sizeof *x);
    be->ops->col2im_k3(be, ddc, dacc, B, Ci, L);
    g = opc_get(be, dacc, nx);
    opc_compare(c, "col2im_k3", NULL, g, rx, nx, TOL_POINT);
    free(g);
    be->ops->free(be, dx), be->ops->free(be, dc), be->ops->free(be, ddc), be->ops->free(be, dacc);
    free(x), free(dcols), free(acc), free(rc), free(rx);
}

/* Row-major op(A) (m x k) op(B) (k x n) with padded leading dimensions and a
 * batch stride (or 0: shared). */
void opc_case_gemm(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int ta = p[0], tb = p[1], m = p[2], n = p[3], k = p[4], batch = p[5] & 0xff, share_a = (p[5] >> 8) & 1;
    const double beta = (p[5] >> 16) / 4.0;
    opc_shape(c, "ta=%d tb=%d m=%d n=%d k=%d batch=%d%s beta=%g", ta, tb, m, n, k, batch, share_a ? " sharedA" : "",
              beta);
    int arows = ta ? k : m, acols = ta ? m : k, brows = tb ? n : k, bcols = tb ? k : n;
    int lda = acols + 2, ldb = bcols + 1, ldc = n + 3;
    long long sa = share_a ? 0 : (long long)arows * lda, sb = (long long)brows * ldb, sc = (long long)m * ldc;
    size_t na = (size_t)(share_a ? 1 : batch) * arows * lda, nb = (size_t)batch * sb, nc = (size_t)batch * sc;
    real_t *A = opc_host_random(c, na, -1, 1), *Bm = opc_host_random(c, nb, -1, 1), *Cm = opc_host_random(c, nc, -1, 1);
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
    opc_compare(c, "gemm", NULL, g, r, nc, TOL_SUM);
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

void opc_case_layernorm(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], C = p[1], L = p[2];
    opc_shape(c, "B=%d C=%d L=%d", B, C, L);
    size_t n = (size_t)B * C * L, nbl = (size_t)B * L;
    real_t *x = opc_host_random(c, n, -2, 3), *gamma = opc_host_random(c, (size_t)C, 0.5, 1.5);
    real_t *beta = opc_host_random(c, (size_t)C, -0.5, 0.5), *dy = opc_host_random(c, n, -1, 1);
    real_t *acc_g = opc_host_random(c, (size_t)C, -1, 1), *acc_b = opc_host_random(c, (size_t)C, -1, 1);
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
    opc_compare(c, "layernorm_forward", NULL, g, y, n, 1e-5);
    opc_compare(c, "layernorm_forward", "mean", gm, mean, nbl, 1e-5);
    opc_compare(c, "layernorm_forward", "rstd", gr, rstd, nbl, 1e-5);
    real_t *ddy = opc_dev(be, dy, n * sizeof *x), *ddx = opc_dev(be, x, n * sizeof *x);
    real_t *ddg = opc_dev(be, acc_g, (size_t)C * sizeof *x), *ddb = opc_dev(be, acc_b, (size_t)C * sizeof *x);
    be->ops->layernorm_backward(be, dx_, dg_, dmean, drstd, ddy, ddx, ddg, ddb, B, C, L);
    real_t *g1 = opc_get(be, ddx, n), *g2 = opc_get(be, ddg, (size_t)C), *g3 = opc_get(be, ddb, (size_t)C);
    /* C = 1: the output is beta whatever x is, so dx is 0 and only rounding remains. */
    opc_compare(c, "layernorm_backward", "dx", g1, rdx, n, C == 1 ? 1e-3 : 1e-4);
    opc_compare(c, "layernorm_backward", "dgamma", g2, rdg, (size_t)C, 1e-5);
    opc_compare(c, "layernorm_backward", "dbeta", g3, rdb, (size_t)C, 1e-5);
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

void opc_case_weight_norm(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int O = p[0], inner = p[1];
    opc_shape(c, "O=%d inner=%d", O, inner);
    size_t n = (size_t)O * inner;
    real_t *v = opc_host_random(c, n, -1, 1), *g = opc_host_random(c, (size_t)O, 0.5, 2), *dw = opc_host_random(c, n, -1, 1);
    real_t *acc_v = opc_host_random(c, n, -1, 1), *acc_g = opc_host_random(c, (size_t)O, -1, 1);
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
    opc_compare(c, "weight_norm_forward", NULL, g1, rw, n, TOL_SUM);
    opc_compare(c, "weight_norm_forward", "norms", g2, rn, (size_t)O, TOL_SUM);
    real_t *ddw = opc_dev(be, dw, n * sizeof *v), *dav = opc_dev(be, acc_v, n * sizeof *v);
    real_t *dag = opc_dev(be, acc_g, (size_t)O * sizeof *v);
    be->ops->weight_norm_backward(be, dv_, dg_, dn, ddw, dav, dag, O, inner);
    real_t *g3 = opc_get(be, dav, n), *g4 = opc_get(be, dag, (size_t)O);
    opc_compare(c, "weight_norm_backward", "dv", g3, rdv, n, 1e-5);
    opc_compare(c, "weight_norm_backward", "dg", g4, rdg, (size_t)O, 1e-5);
    be->ops->free(be, dv_), be->ops->free(be, dg_), be->ops->free(be, dw_out), be->ops->free(be, dn);
    be->ops->free(be, ddw), be->ops->free(be, dav), be->ops->free(be, dag);
    free(v), free(g), free(dw), free(acc_v), free(acc_g), free(vd), free(gd), free(rw), free(rn), free(rdv), free(rdg);
    free(g1), free(g2), free(g3), free(g4);
}

/* -------------------------------------------------------------- optimiser */

void opc_case_adam(opc_ctx *c, const int *shape) {
    backend *be = c->be;
    const long long n = shape[0];
    opc_shape(c, "n=%lld", n);
    real_t *p = opc_host_random(c, (size_t)n, -1, 1), *gr = opc_host_random(c, (size_t)n, -1, 1);
    real_t *m = opc_host_random(c, (size_t)n, -0.1, 0.1), *v = opc_host_random(c, (size_t)n, 0, 0.01);
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
    opc_compare(c, "adam_update", "step", step_got, step_ref, (size_t)n, 2e-3);
    opc_compare(c, "adam_update", "m", g2, rm, (size_t)n, TOL_POINT);
    opc_compare(c, "adam_update", "v", g3, rv, (size_t)n, TOL_POINT);
    be->ops->free(be, dp), be->ops->free(be, dg), be->ops->free(be, dm), be->ops->free(be, dv);
    free(p), free(gr), free(m), free(v), free(rp), free(rm), free(rv), free(g1), free(g2), free(g3);
    free(step_ref), free(step_got);
}

