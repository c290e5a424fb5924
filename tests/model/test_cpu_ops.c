/* Known answers for the CPU backend's operations in float (the precision the
 * tools run in): SSSD's step embedding at t = 0 and 1 (values worked out by
 * hand below), exact GELU, LayerNorm, weight norm, Philox noise, the diffusion
 * updates, softmax cross-entropy, Adam, and identical results with one and
 * two threads. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "philox.h"
#include "test_util.h"

static void test_step_embedding(backend *be) {
    /* dim 8, half 4: f_j = exp(-j ln(10000) / 3) = 1, 0.0464158883, 0.00215443469, 1e-4.
     * t = 0: sin = 0, cos = 1. t = 1: sin f_j, cos f_j. */
    const double want1[8] = {0.8414709848078965, 0.04639922346473126, 0.0021544330233656027, 9.999999983333325e-05,
                             0.5403023058681398, 0.9989229760406304,  0.9999976792064809,    0.999999995};
    int32_t t[2] = {0, 1};
    real_t out[16];
    be->ops->step_embedding(be, t, out, 2, 8);
    for (int j = 0; j < 4; j++) {
        CHECK(out[j] == 0);
        CHECK(out[4 + j] == 1);
    }
    for (int j = 0; j < 8; j++) CHECK_CLOSE(out[8 + j], want1[j], 1e-7, 1e-6);
    /* the paper's 128-d embedding at t = 199: last frequency 1e-4 */
    int32_t t2 = 199;
    real_t e[128];
    be->ops->step_embedding(be, &t2, e, 1, 128);
    CHECK_CLOSE(e[0], sin(199.0), 1e-4, 0);
    CHECK_CLOSE(e[63], sin(199e-4), 1e-6, 1e-5);
    CHECK_CLOSE(e[64 + 63], cos(199e-4), 1e-6, 1e-6);
}

static void test_activations(backend *be) {
    real_t x[5] = {-1, 0, 1, 3, -20}, y[5], dy[5] = {1, 1, 1, 1, 1}, dx[5];
    be->ops->gelu_forward(be, x, y, 5);
    CHECK_CLOSE(y[0], -0.15865525393145707, 1e-7, 1e-6);
    CHECK(y[1] == 0);
    CHECK_CLOSE(y[2], 0.8413447460685429, 1e-7, 1e-6);
    CHECK_CLOSE(y[3], 3 * 0.9986501019683699, 1e-6, 1e-6);
    CHECK_CLOSE(y[4], 0, 1e-30, 0);
    be->ops->gelu_backward(be, x, dy, dx, 5);
    CHECK_CLOSE(dx[1], 0.5, 1e-7, 0);                                   /* Phi(0) + 0 */
    CHECK_CLOSE(dx[2], 0.8413447460685429 + 0.24197072451914337, 1e-6, 1e-6);  /* Phi(1) + phi(1) */
    be->ops->swish_forward(be, x, y, 5);
    CHECK_CLOSE(y[2], 1 / (1 + exp(-1.0)), 1e-7, 1e-6);
    be->ops->relu_forward(be, x, y, 5);
    CHECK(y[0] == 0 && y[2] == 1 && y[3] == 3);
    /* gate: tanh(0.5) * sigmoid(-2) */
    real_t h[2] = {0.5f, -2.0f}, o[1];
    be->ops->gate_forward(be, h, o, 1, 1, 1);
    CHECK_CLOSE(o[0], tanh(0.5) / (1 + exp(2.0)), 1e-7, 1e-6);
}

static void test_norms(backend *be) {
    /* One position, three channels 1, 2, 3: mean 2, biased variance 2/3. */
    real_t x[3] = {1, 2, 3}, g[3] = {1, 2, 1}, b[3] = {0, 0, 5}, y[3], mean[1], rstd[1];
    be->ops->layernorm_forward(be, x, g, b, y, mean, rstd, 1, 3, 1);
    double r = 1 / sqrt(2.0 / 3.0 + 1e-5);
    CHECK_CLOSE(mean[0], 2, 1e-7, 0);
    CHECK_CLOSE(rstd[0], r, 1e-6, 1e-6);
    CHECK_CLOSE(y[0], -r, 1e-6, 1e-6);
    CHECK_CLOSE(y[1], 0, 1e-6, 0);
    CHECK_CLOSE(y[2], r + 5, 1e-6, 1e-6);
    /* weight norm: v = (3, 4), g = 10 -> w = (6, 8), |v| = 5 */
    real_t v[2] = {3, 4}, gg[1] = {10}, w[2], n[1];
    be->ops->weight_norm_forward(be, v, gg, w, n, 1, 2);
    CHECK_CLOSE(w[0], 6, 1e-6, 0);
    CHECK_CLOSE(w[1], 8, 1e-6, 0);
    CHECK_CLOSE(n[0], 5, 1e-6, 0);
}

static void test_noise_and_steps(backend *be) {
    real_t z[1000];
    be->ops->normal_fill(be, z, 1000, 42, 7, 123);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= z[i] == philox_normal(42, 7, 123 + (uint64_t)i);
    CHECK_MSG(same, "normal_fill differs from philox_normal");
    /* large fill over two threads equals the single-number function too */
    long long big = 300000;
    real_t *zb = malloc((size_t)big * sizeof(real_t));
    be->ops->normal_fill(be, zb, big, 1, 2, 0);
    same = 1;
    double s = 0, s2 = 0;
    for (long long i = 0; i < big; i++) {
        same &= zb[i] == philox_normal(1, 2, (uint64_t)i);
        s += zb[i];
        s2 += (double)zb[i] * zb[i];
    }
    CHECK(same);
    CHECK_CLOSE(s / big, 0, 0.01, 0);
    CHECK_CLOSE(s2 / big, 1, 0.01, 0);
    free(zb);

    /* diffusion_noise: one item, t = 1, abar = (0.9, 0.64) */
    real_t x0[3] = {1, 2, 3}, eps[3] = {0.5f, -1, 2}, m[3] = {1, 0, 0}, abar[2] = {0.9f, 0.64f}, zz[3], xt[3];
    int32_t t[1] = {1};
    be->ops->diffusion_noise(be, x0, eps, m, t, abar, zz, xt, 1, 3);
    CHECK(zz[0] == 1 && zz[1] == -1 && zz[2] == 2);
    CHECK_CLOSE(xt[0], 0.8 * 1 + 0.6 * 1, 1e-6, 0);
    CHECK_CLOSE(xt[1], 0.8 * 2 + 0.6 * -1, 1e-6, 0);
    /* masked MSE on positions 1, 2: ((0.5-(-1))^2 + (0-2)^2) / 2 */
    real_t pred[3] = {9, 0.5f, 0}, dp[3];
    double loss = be->ops->masked_mse(be, pred, zz, m, dp, 1, 3);
    CHECK_CLOSE(loss, (2.25 + 4) / 2, 1e-6, 1e-6);
    CHECK(dp[0] == 0);
    CHECK_CLOSE(dp[1], 2 * 1.5 / 2, 1e-6, 0);
    /* DDPM: x = (x - beta/sqrt(1-abar) eps)/sqrt(alpha) + sigma n */
    real_t x[1] = {1}, e[1] = {0.5f}, nz[1] = {2};
    be->ops->ddpm_step(be, x, e, nz, 0.02, 0.36, 0.98, 0.1, 1);
    CHECK_CLOSE(x[0], (1 - 0.02 / 0.8 * 0.5) / sqrt(0.98) + 0.2, 1e-6, 1e-6);
    /* DDIM, sigma 0: x0_hat = (1 - 0.8*0.5)/0.6 = 1; x = sqrt(0.81)*1 + sqrt(0.19)*0.5 */
    x[0] = 1;
    be->ops->ddim_step(be, x, e, NULL, 0.36, 0.81, 0.0, 1);
    CHECK_CLOSE(x[0], 0.9 + sqrt(0.19) * 0.5, 1e-6, 1e-6);
    /* apply_observed */
    real_t xo[2] = {5, 6}, x0o[2] = {1, 2}, mo[2] = {1, 0};
    be->ops->apply_observed(be, xo, x0o, mo, 2);
    CHECK(xo[0] == 1 && xo[1] == 6);
}

static void test_softmax_xent(backend *be) {
    /* One column, logits (0, ln 2, 0), target 1: softmax (1/4, 1/2, 1/4),
     * loss = ln(1 + 2 + 1) - ln 2 = ln 2, gradient softmax - e_1. */
    real_t x1[3] = {0, (real_t)log(2.0), 0}, w1[1] = {1}, d1[3];
    int32_t t1[1] = {1};
    double loss = be->ops->softmax_xent(be, x1, t1, w1, d1, 1, 3, 1);
    CHECK_CLOSE(loss, log(2.0), 1e-7, 1e-6);
    CHECK_CLOSE(d1[0], 0.25, 1e-7, 1e-6);
    CHECK_CLOSE(d1[1], -0.5, 1e-7, 1e-6);
    CHECK_CLOSE(d1[2], 0.25, 1e-7, 1e-6);

    /* Three columns (L = 3), weights 1, 3, 0 (sum 4): column 0 as above,
     * column 1 uniform over 3 classes with target 0, column 2 unweighted with
     * a NaN logit and a target out of range, which must change nothing.
     * loss = (1 ln 2 + 3 ln 3) / 4. */
    real_t x[9] = {0, 0, NAN, (real_t)log(2.0), 0, 1, 0, 0, 2}, w[3] = {1, 3, 0}, d[9];
    int32_t t[3] = {1, 0, 9};
    for (int i = 0; i < 9; i++) d[i] = 7; /* overwritten */
    loss = be->ops->softmax_xent(be, x, t, w, d, 1, 3, 3);
    CHECK_CLOSE(loss, (log(2.0) + 3 * log(3.0)) / 4, 1e-7, 1e-6);
    const double want[9] = {0.25 / 4, 0.75 * (1.0 / 3 - 1), 0, -0.5 / 4, 0.75 / 3, 0, 0.25 / 4, 0.75 / 3, 0};
    for (int i = 0; i < 9; i++) CHECK_CLOSE(d[i], want[i], 1e-7, 1e-6);
    CHECK(d[2] == 0 && d[5] == 0 && d[8] == 0);

    /* Large equal logits: exp(1000) overflows unless the max is subtracted. */
    real_t xb[3] = {1000, 1000, 1000}, db[3];
    int32_t tb[1] = {2};
    loss = be->ops->softmax_xent(be, xb, tb, w1, db, 1, 3, 1);
    CHECK_CLOSE(loss, log(3.0), 1e-7, 1e-6);
    CHECK_CLOSE(db[2], 1.0 / 3 - 1, 1e-7, 1e-6);
    CHECK_CLOSE(db[0], 1.0 / 3, 1e-7, 1e-6);

    /* No weighted position: loss 0 and an all-zero gradient. */
    real_t w0[3] = {0, 0, 0};
    for (int i = 0; i < 9; i++) d[i] = 7;
    loss = be->ops->softmax_xent(be, x, t, w0, d, 1, 3, 3);
    CHECK(loss == 0);
    for (int i = 0; i < 9; i++) CHECK(d[i] == 0);
}

static void test_reductions(backend *be) {
    real_t x[3] = {1, 2, 3}, y[3] = {1, 1, 1};
    CHECK_CLOSE(be->ops->sum_squares(be, x, 3), 14, 0, 0);
    be->ops->axpby(be, 3, 2.0, x, 3.0, y);
    CHECK(y[0] == 5 && y[1] == 7 && y[2] == 9);
    be->ops->axpby(be, 3, 0.0, y, 0.5, y); /* in place scaling */
    CHECK(y[0] == 2.5f && y[2] == 4.5f);
    /* bias over (B 2, C 2, L 3), its gradient, the per-channel vector and its sum */
    real_t z[12] = {0}, bias[2] = {1, -1}, db[2] = {0.5f, 0}, v[4] = {1, 2, 3, 4}, w[12], s[4];
    be->ops->add_bias(be, z, bias, 2, 2, 3);
    CHECK(z[0] == 1 && z[3] == -1 && z[6] == 1 && z[11] == -1);
    be->ops->bias_grad(be, z, db, 2, 2, 3);
    CHECK(db[0] == 6.5f && db[1] == -6);
    be->ops->add_channel_vector(be, z, v, w, 2, 2, 3);
    CHECK(w[0] == 2 && w[3] == 1 && w[6] == 4 && w[11] == 3);
    be->ops->sum_over_length(be, w, s, 2, 2, 3);
    CHECK(s[0] == 6 && s[1] == 3 && s[2] == 12 && s[3] == 9);
    /* memory operations: zeroed allocation, upload/download/copy/zero */
    real_t *d = be->ops->alloc(be, 5 * sizeof(real_t)), h[5] = {1, 2, 3, 4, 5}, back[5];
    CHECK(d[0] == 0 && d[4] == 0);
    be->ops->upload(be, d, h, sizeof h);
    be->ops->copy(be, d + 3, d, 2 * sizeof(real_t));
    be->ops->download(be, back, d, sizeof back);
    CHECK(back[0] == 1 && back[2] == 3 && back[3] == 1 && back[4] == 2);
    be->ops->zero(be, d, sizeof h);
    be->ops->download(be, back, d, sizeof back);
    CHECK(back[4] == 0);
    be->ops->free(be, d);
}

static void test_adam(backend *be) {
    /* First step: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps); weight decay 0.1 adds 0.1 p to g. */
    real_t p[2] = {1, -2}, g[2] = {0.5f, -0.25f}, m[2] = {0, 0}, v[2] = {0, 0};
    adam_params ap = {1e-3, 0.9, 0.999, 1e-8, 0.0, 1};
    be->ops->adam_update(be, p, g, m, v, 2, ap);
    CHECK_CLOSE(p[0], 1 - 1e-3, 1e-7, 1e-6);
    CHECK_CLOSE(p[1], -2 + 1e-3, 1e-7, 1e-6);
    CHECK_CLOSE(m[0], 0.05, 1e-8, 1e-6);
    CHECK_CLOSE(v[0], 0.001 * 0.25, 1e-10, 1e-6);
    /* second step with the same gradient: m = 0.095 g, v = 0.001999 g^2; bias corrections 0.19, 0.001999 */
    be->ops->adam_update(be, p, g, m, v, 2, (adam_params){1e-3, 0.9, 0.999, 1e-8, 0.0, 2});
    CHECK_CLOSE(p[0], 1 - 2e-3, 1e-6, 1e-6);
    real_t q[1] = {2}, gq[1] = {0}, mq[1] = {0}, vq[1] = {0};
    be->ops->adam_update(be, q, gq, mq, vq, 1, (adam_params){1e-3, 0.9, 0.999, 1e-8, 0.1, 1});
    CHECK_CLOSE(q[0], 2 - 1e-3, 1e-6, 1e-6);
}

/* Multi-threaded ops must give exactly the single-threaded results. */
static void test_threads(backend *one, backend *two) {
    int B = 4, C = 96, L = 200;
    long long n = (long long)B * C * L;
    real_t *x = malloc(n * sizeof(real_t)), *y1 = malloc(n * sizeof(real_t)), *y2 = malloc(n * sizeof(real_t));
    real_t *g = malloc(C * sizeof(real_t)), *b = malloc(C * sizeof(real_t));
    real_t *m1 = malloc((size_t)B * L * sizeof(real_t)), *r1 = malloc((size_t)B * L * sizeof(real_t));
    real_t *m2 = malloc((size_t)B * L * sizeof(real_t)), *r2 = malloc((size_t)B * L * sizeof(real_t));
    real_t *dg1 = calloc(C, sizeof(real_t)), *db1 = calloc(C, sizeof(real_t));
    real_t *dg2 = calloc(C, sizeof(real_t)), *db2 = calloc(C, sizeof(real_t));
    for (long long i = 0; i < n; i++) x[i] = philox_normal(1, 1, (uint64_t)i);
    for (int c = 0; c < C; c++) g[c] = 1 + 0.1f * c, b[c] = 0.01f * c;
    one->ops->gelu_forward(one, x, y1, n);
    two->ops->gelu_forward(two, x, y2, n);
    CHECK(memcmp(y1, y2, n * sizeof(real_t)) == 0);
    one->ops->gate_backward(one, x, x, y1, B, C / 2, L);
    two->ops->gate_backward(two, x, x, y2, B, C / 2, L);
    CHECK(memcmp(y1, y2, n * sizeof(real_t)) == 0);
    one->ops->layernorm_forward(one, x, g, b, y1, m1, r1, B, C, L);
    two->ops->layernorm_forward(two, x, g, b, y2, m2, r2, B, C, L);
    CHECK(memcmp(y1, y2, n * sizeof(real_t)) == 0);
    one->ops->layernorm_backward(one, x, g, m1, r1, x, y1, dg1, db1, B, C, L);
    two->ops->layernorm_backward(two, x, g, m2, r2, x, y2, dg2, db2, B, C, L);
    CHECK(memcmp(y1, y2, n * sizeof(real_t)) == 0);
    CHECK(memcmp(dg1, dg2, C * sizeof(real_t)) == 0);
    /* softmax cross-entropy over the C channels, every third position unweighted */
    int32_t *tgt = malloc((size_t)B * L * sizeof *tgt);
    for (long long i = 0; i < (long long)B * L; i++) {
        tgt[i] = (int32_t)((i * 37) % C);
        m1[i] = i % 3 == 0 ? 0.0f : 0.5f + (real_t)(i % 5);
    }
    double xl1 = one->ops->softmax_xent(one, x, tgt, m1, y1, B, C, L);
    double xl2 = two->ops->softmax_xent(two, x, tgt, m1, y2, B, C, L);
    CHECK(memcmp(&xl1, &xl2, sizeof xl1) == 0);
    CHECK(memcmp(y1, y2, n * sizeof(real_t)) == 0);
    free(tgt);
    free(x), free(y1), free(y2), free(g), free(b), free(m1), free(r1), free(m2), free(r2);
    free(dg1), free(db1), free(dg2), free(db2);
}

int main(void) {
    backend *be = backend_cpu_create(2), *one = backend_cpu_create(1);
    CHECK(strcmp(be->ops->name, "cpu") == 0);
    test_step_embedding(be);
    test_activations(be);
    test_norms(be);
    test_noise_and_steps(be);
    test_softmax_xent(be);
    test_reductions(be);
    test_adam(be);
    test_threads(one, be);
    backend_free(be);
    backend_free(one);
    return test_finish("cpu_ops");
}
