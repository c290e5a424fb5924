/* Checks of the diffusion operations (op_check.h): the step embedding,
 * counter-based noise, the training input, the masked MSE and softmax
 * cross-entropy losses, and the DDPM and DDIM updates, each against its
 * definition in double precision. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_check.h"
#include "philox.h"

void opc_case_diffusion(opc_ctx *c, const int *p) {
    backend *be = c->be;
    const int B = p[0], L = p[1];
    opc_shape(c, "B=%d L=%d", B, L);
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
    opc_compare(c, "step_embedding", NULL, g, remb, (size_t)B * dim, 1e-6);
    free(g);

    /* normal_fill: the same pure function of (seed, stream, index) */
    long long nn = (long long)n + 3;
    double *rn = opc_zalloc((size_t)nn * sizeof *rn);
    for (long long i = 0; i < nn; i++) rn[i] = philox_normal(99, 5, 1000 + (uint64_t)i);
    real_t *dn = opc_dev(be, NULL, (size_t)nn * sizeof(real_t));
    be->ops->normal_fill(be, dn, nn, 99, 5, 1000);
    g = opc_get(be, dn, (size_t)nn);
    opc_compare(c, "normal_fill", NULL, g, rn, (size_t)nn, 1e-6);
    free(g);

    /* diffusion_noise */
    real_t *x0 = opc_host_random(c, n, 1, 60), *eps = opc_host_random(c, n, -2, 2), *m = opc_zalloc(n * sizeof *m);
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
    opc_compare(c, "diffusion_noise", "z", gz, rz, n, TOL_POINT);
    opc_compare(c, "diffusion_noise", "x_t", gx, rx, n, TOL_POINT);
    free(gz), free(gx);

    /* masked_mse (pred = x_t against z): loss and gradient */
    double se = 0, cnt = 0;
    double *rdp = opc_zalloc(n * sizeof *rdp);
    for (size_t i = 0; i < n; i++) se += (rx[i] - rz[i]) * (rx[i] - rz[i]) * (1 - m[i]), cnt += 1 - m[i];
    for (size_t i = 0; i < n; i++) rdp[i] = cnt > 0 ? 2 * (rx[i] - rz[i]) * (1 - m[i]) / cnt : 0;
    real_t *ddp = opc_dev(be, x0 /* garbage: overwritten */, n * sizeof *x0);
    double loss = be->ops->masked_mse(be, dxt, dz, dm, ddp, B, L);
    opc_compare_scalar(c, "masked_mse", "loss", loss, cnt > 0 ? se / cnt : 0, 1e-5);
    g = opc_get(be, ddp, n);
    opc_compare(c, "masked_mse", "dpred", g, rdp, n, 1e-5);
    free(g);
    double loss2 = be->ops->masked_mse(be, dxt, dz, dm, ddp, B, L);
    opc_expect(c, "masked_mse", "deterministic", memcmp(&loss, &loss2, sizeof loss) == 0, "%.17g, then %.17g", loss,
               loss2);
    /* all observed: no generated position, zero loss and gradient */
    real_t *ones = opc_zalloc(n * sizeof *ones);
    for (size_t i = 0; i < n; i++) ones[i] = 1;
    real_t *d1 = opc_dev(be, ones, n * sizeof *ones);
    double l0 = be->ops->masked_mse(be, dxt, dz, d1, ddp, B, L);
    g = opc_get(be, ddp, n);
    double *zeros = calloc(n, sizeof *zeros);
    opc_compare_scalar(c, "masked_mse", "all observed", l0, 0, 0);
    opc_compare(c, "masked_mse", "dpred, all observed", g, zeros, n, 0);
    free(g);

    /* apply_observed */
    real_t *x = opc_host_random(c, n, -3, 3);
    double *r = opc_zalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++) r[i] = (double)x[i] * (1 - m[i]) + (double)x0[i] * m[i];
    real_t *dxx = opc_dev(be, x, n * sizeof *x);
    be->ops->apply_observed(be, dxx, dx0, dm, (long long)n);
    g = opc_get(be, dxx, n);
    opc_compare(c, "apply_observed", NULL, g, r, n, TOL_POINT);
    free(g);

    /* ddpm_step with and without noise */
    double beta = 0.013, ab = 0.21, alpha = 1 - beta, sigma = 0.1;
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        be->ops->upload(be, dxx, x, n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            r[i] = (x[i] - beta / sqrt(1 - ab) * eps[i]) / sqrt(alpha) + (with_noise ? sigma * rn[i] : 0);
        be->ops->ddpm_step(be, dxx, deps, with_noise ? dn : NULL, beta, ab, alpha, sigma, (long long)n);
        g = opc_get(be, dxx, n);
        opc_compare(c, "ddpm_step", with_noise ? "with noise" : "without noise", g, r, n, TOL_POINT);
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
        opc_compare(c, "ddim_step", with_noise ? "with noise" : "without noise", g, r, n, 1e-5);
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
void opc_case_softmax_xent(opc_ctx *ck, const int *p) {
    /* c is a position below */
    backend *be = ck->be;
    const int B = p[0], V = p[1], L = p[2];
    const double offset = p[3], scale = p[4];
    opc_shape(ck, "B=%d V=%d L=%d offset=%g", B, V, L, offset);
    size_t n = (size_t)B * V * L, nc = (size_t)B * L;
    real_t *x = opc_host_random(ck, n, offset - scale, offset + scale), *w = opc_host_random(ck, nc, 0.1, 2.0);
    int32_t *t = opc_zalloc(nc * sizeof *t);
    for (size_t c = 0; c < nc; c++) {
        t[c] = (int32_t)opc_uniform(ck, 0, V);
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
    real_t *garbage = opc_host_random(ck, n, -9, 9);
    real_t *dd = opc_dev(be, garbage, n * sizeof *dd);
    double loss = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    opc_compare_scalar(ck, "softmax_xent", "loss", loss, sum_w > 0 ? total / sum_w : 0, 1e-5);
    real_t *g = opc_get(be, dd, n);
    opc_compare(ck, "softmax_xent", "dlogits", g, rd, n, 1e-5);
    free(g);
    double again = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    opc_expect(ck, "softmax_xent", "deterministic", memcmp(&loss, &again, sizeof loss) == 0, "%.17g, then %.17g", loss,
               again);
    /* no weighted position: zero loss and gradient */
    be->ops->upload(be, dd, garbage, n * sizeof *dd);
    be->ops->zero(be, dw, nc * sizeof *w);
    double l0 = be->ops->softmax_xent(be, dx, dt, dw, dd, B, V, L);
    opc_compare_scalar(ck, "softmax_xent", "no weighted position", l0, 0, 0);
    g = opc_get(be, dd, n);
    memset(rd, 0, n * sizeof *rd);
    opc_compare(ck, "softmax_xent", "dlogits, no weighted position", g, rd, n, 0);
    free(g);
    be->ops->free(be, dx), be->ops->free(be, dw), be->ops->free(be, dt), be->ops->free(be, dd);
    free(x), free(w), free(t), free(rd), free(garbage);
}

