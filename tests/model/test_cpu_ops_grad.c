/* Finite-difference gradient checks, in double precision (sssd_cpu64), of
 * every differentiable operation of the CPU backend table, on awkward shapes
 * (odd sizes, L = 1, B = 1), plus adjointness checks of the linear
 * operations (im2col/col2im, add_bias/bias_grad, add_channel_vector/
 * sum_over_length) and GEMM against a naive loop for every transpose,
 * stride and batch combination. Criterion: |fd - analytic| <= 1e-7 + 1e-6 |fd|. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "backend.h"
#include "philox.h"
#include "s4_init.h"
#include "test_util.h"

static backend *be;
static uint64_t stream_counter = 100;

static void fill(real_t *x, long long n, double scale) {
    uint64_t s = stream_counter++;
    for (long long i = 0; i < n; i++) x[i] = (real_t)(scale * philox_normal(5, s, (uint64_t)i));
}

static double dot(const real_t *a, const real_t *b, long long n) {
    double s = 0;
    for (long long i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* A scalar function of the parameter vector p: the forward op followed by a
 * fixed random projection of its outputs. */
typedef double (*loss_fn)(void *ctx);

/* Central differences over every entry of p against the analytic gradient g. */
static void check_fd(const char *what, real_t *p, const real_t *g, long long n, loss_fn f, void *ctx) {
    const double h = 1e-6;
    double worst = 0;
    long long worst_i = -1;
    for (long long i = 0; i < n; i++) {
        real_t keep = p[i];
        p[i] = keep + h;
        double lp = f(ctx);
        p[i] = keep - h;
        double lm = f(ctx);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        double excess = fabs(fd - g[i]) / (1e-7 + 1e-6 * fabs(fd));
        if (excess > worst) {
            worst = excess;
            worst_i = i;
        }
    }
    CHECK_MSG(worst <= 1.0, "%s: entry %lld off by %.3g times the tolerance", what, worst_i, worst);
}

/* ---------------- pointwise ---------------- */
typedef struct pw_ctx {
    void (*fwd)(backend *, const real_t *, real_t *, long long);
    real_t *x, *y, *w;
    long long n;
} pw_ctx;

static double pw_loss(void *c) {
    pw_ctx *p = c;
    p->fwd(be, p->x, p->y, p->n);
    return dot(p->y, p->w, p->n);
}

static void check_pointwise(const char *name, void (*fwd)(backend *, const real_t *, real_t *, long long),
                            void (*bwd)(backend *, const real_t *, const real_t *, real_t *, long long),
                            int backward_from_output) {
    long long n = 37;
    real_t x[37], y[37], w[37], dx[37];
    fill(x, n, 2.0);
    for (long long i = 0; i < n; i++)
        if (fabs(x[i]) < 1e-3) x[i] = 0.5; /* keep ReLU's kink away from the differences */
    fill(w, n, 1.0);
    fwd(be, x, y, n);
    bwd(be, backward_from_output ? y : x, w, dx, n);
    pw_ctx c = {fwd, x, y, w, n};
    check_fd(name, x, dx, n, pw_loss, &c);
}

/* ---------------- gate ---------------- */
typedef struct gate_ctx {
    real_t *h, *out, *w;
    int B, C, L;
} gate_ctx;
static double gate_loss(void *c) {
    gate_ctx *g = c;
    be->ops->gate_forward(be, g->h, g->out, g->B, g->C, g->L);
    return dot(g->out, g->w, (long long)g->B * g->C * g->L);
}
static void check_gate(int B, int C, int L) {
    long long nh = 2LL * B * C * L, no = (long long)B * C * L;
    real_t *h = malloc(nh * sizeof(real_t)), *dh = malloc(nh * sizeof(real_t)), *out = malloc(no * sizeof(real_t)),
           *w = malloc(no * sizeof(real_t));
    fill(h, nh, 1.5);
    fill(w, no, 1.0);
    be->ops->gate_backward(be, h, w, dh, B, C, L);
    gate_ctx c = {h, out, w, B, C, L};
    check_fd("gate", h, dh, nh, gate_loss, &c);
    free(h), free(dh), free(out), free(w);
}

/* ---------------- LayerNorm ---------------- */
typedef struct ln_ctx {
    real_t *x, *gamma, *beta, *y, *mean, *rstd, *w;
    int B, C, L;
} ln_ctx;
static double ln_loss(void *c) {
    ln_ctx *l = c;
    be->ops->layernorm_forward(be, l->x, l->gamma, l->beta, l->y, l->mean, l->rstd, l->B, l->C, l->L);
    return dot(l->y, l->w, (long long)l->B * l->C * l->L);
}
static void check_layernorm(int B, int C, int L) {
    long long n = (long long)B * C * L;
    real_t *x = malloc(n * sizeof(real_t)), *y = malloc(n * sizeof(real_t)), *w = malloc(n * sizeof(real_t)),
           *dx = malloc(n * sizeof(real_t));
    real_t *gamma = malloc(C * sizeof(real_t)), *beta = malloc(C * sizeof(real_t));
    real_t *dgamma = calloc(C, sizeof(real_t)), *dbeta = calloc(C, sizeof(real_t));
    real_t *mean = malloc((size_t)B * L * sizeof(real_t)), *rstd = malloc((size_t)B * L * sizeof(real_t));
    fill(x, n, 2.0);
    fill(w, n, 1.0);
    fill(gamma, C, 1.0);
    fill(beta, C, 1.0);
    ln_ctx c = {x, gamma, beta, y, mean, rstd, w, B, C, L};
    ln_loss(&c);
    be->ops->layernorm_backward(be, x, gamma, mean, rstd, w, dx, dgamma, dbeta, B, C, L);
    check_fd("layernorm dx", x, dx, n, ln_loss, &c);
    check_fd("layernorm dgamma", gamma, dgamma, C, ln_loss, &c);
    check_fd("layernorm dbeta", beta, dbeta, C, ln_loss, &c);
    free(x), free(y), free(w), free(dx), free(gamma), free(beta), free(dgamma), free(dbeta), free(mean), free(rstd);
}

/* ---------------- weight norm ---------------- */
typedef struct wn_ctx {
    real_t *v, *g, *w, *norms, *proj;
    int O, inner;
} wn_ctx;
static double wn_loss(void *c) {
    wn_ctx *k = c;
    be->ops->weight_norm_forward(be, k->v, k->g, k->w, k->norms, k->O, k->inner);
    return dot(k->w, k->proj, (long long)k->O * k->inner);
}
static void check_weight_norm(int O, int inner) {
    long long n = (long long)O * inner;
    real_t *v = malloc(n * sizeof(real_t)), *w = malloc(n * sizeof(real_t)), *proj = malloc(n * sizeof(real_t));
    real_t *dv = calloc(n, sizeof(real_t)), *g = malloc(O * sizeof(real_t)), *dg = calloc(O, sizeof(real_t));
    real_t *norms = malloc(O * sizeof(real_t));
    fill(v, n, 1.0);
    fill(g, O, 1.0);
    fill(proj, n, 1.0);
    wn_ctx c = {v, g, w, norms, proj, O, inner};
    wn_loss(&c);
    be->ops->weight_norm_backward(be, v, g, norms, proj, dv, dg, O, inner);
    check_fd("weight_norm dv", v, dv, n, wn_loss, &c);
    check_fd("weight_norm dg", g, dg, O, wn_loss, &c);
    free(v), free(w), free(proj), free(dv), free(g), free(dg), free(norms);
}

/* ---------------- S4 convolution and kernel ---------------- */
typedef struct s4c_ctx {
    real_t *u, *K, *D, *y, *w;
    int B, H, L;
} s4c_ctx;
static double s4c_loss(void *c) {
    s4c_ctx *s = c;
    be->ops->s4_conv_forward(be, s->u, s->K, s->D, s->y, s->B, s->H, s->L);
    return dot(s->y, s->w, (long long)s->B * s->H * s->L);
}
static void check_s4_conv(int B, int H, int L) {
    long long n = (long long)B * H * L, nk = 2LL * H * L;
    real_t *u = malloc(n * sizeof(real_t)), *y = malloc(n * sizeof(real_t)), *w = malloc(n * sizeof(real_t)),
           *du = malloc(n * sizeof(real_t));
    real_t *K = malloc(nk * sizeof(real_t)), *dK = calloc(nk, sizeof(real_t)), *D = malloc(H * sizeof(real_t)),
           *dD = calloc(H, sizeof(real_t));
    fill(u, n, 1.0);
    fill(w, n, 1.0);
    fill(K, nk, 0.5);
    fill(D, H, 1.0);
    be->ops->s4_conv_backward(be, u, K, D, w, du, dK, dD, B, H, L);
    s4c_ctx c = {u, K, D, y, w, B, H, L};
    char what[64];
    snprintf(what, sizeof what, "s4_conv du (B %d, H %d, L %d)", B, H, L);
    check_fd(what, u, du, n, s4c_loss, &c);
    snprintf(what, sizeof what, "s4_conv dK (B %d, H %d, L %d)", B, H, L);
    check_fd(what, K, dK, nk, s4c_loss, &c);
    snprintf(what, sizeof what, "s4_conv dD (B %d, H %d, L %d)", B, H, L);
    check_fd(what, D, dD, H, s4c_loss, &c);
    free(u), free(y), free(w), free(du), free(K), free(dK), free(D), free(dD);
}

typedef struct s4k_ctx {
    s4_frozen fz;
    real_t *C, *K, *w;
} s4k_ctx;
static double s4k_loss(void *c) {
    s4k_ctx *s = c;
    be->ops->s4_kernel_forward(be, s->fz, s->C, s->K);
    return dot(s->K, s->w, 2LL * s->fz.H * s->fz.L);
}
static void check_s4_kernel(int H, int N, int L) {
    int N2 = N / 2;
    size_t hn = (size_t)H * N2 * 2;
    double *log_dt = malloc(H * sizeof(double)), *wd = malloc(hn * sizeof(double)), *Bd = malloc(hn * sizeof(double));
    double *Pd = malloc(hn * sizeof(double)), *Qd = malloc(hn * sizeof(double)), *Cd = malloc(2 * hn * sizeof(double));
    CHECK(s4_init_layer(H, N, L, 1e-3, 1e-1, 3, 4, log_dt, wd, Bd, Pd, Qd, Cd) == 0);
    real_t *rl = malloc(H * sizeof(real_t)), *rw = malloc(hn * sizeof(real_t)), *rB = malloc(hn * sizeof(real_t));
    real_t *rP = malloc(hn * sizeof(real_t)), *rQ = malloc(hn * sizeof(real_t)), *C = malloc(2 * hn * sizeof(real_t));
    real_t *dC = calloc(2 * hn, sizeof(real_t));
    for (int i = 0; i < H; i++) rl[i] = log_dt[i];
    for (size_t i = 0; i < hn; i++) rw[i] = wd[i], rB[i] = Bd[i], rP[i] = Pd[i], rQ[i] = Qd[i];
    for (size_t i = 0; i < 2 * hn; i++) C[i] = Cd[i];
    long long nk = 2LL * H * L;
    real_t *K = malloc(nk * sizeof(real_t)), *w = malloc(nk * sizeof(real_t));
    fill(w, nk, 1.0);
    s4_frozen fz = {H, N2, L, rl, rw, rB, rP, rQ};
    be->ops->s4_kernel_backward(be, fz, w, dC);
    s4k_ctx c = {fz, C, K, w};
    char what[64];
    snprintf(what, sizeof what, "s4_kernel dC (H %d, N %d, L %d)", H, N, L);
    check_fd(what, C, dC, (long long)(2 * hn), s4k_loss, &c);
    free(log_dt), free(wd), free(Bd), free(Pd), free(Qd), free(Cd), free(rl), free(rw), free(rB), free(rP), free(rQ);
    free(C), free(dC), free(K), free(w);
}

/* ---------------- masked MSE ---------------- */
typedef struct mse_ctx {
    real_t *pred, *z, *m, *dpred;
    int B, L;
} mse_ctx;
static double mse_loss(void *c) {
    mse_ctx *s = c;
    return be->ops->masked_mse(be, s->pred, s->z, s->m, s->dpred, s->B, s->L);
}
static void check_masked_mse(void) {
    enum { B = 3, L = 5 };
    real_t pred[B * L], z[B * L], m[B * L], dpred[B * L], scratch[B * L];
    fill(pred, B * L, 1.0);
    fill(z, B * L, 1.0);
    for (int i = 0; i < B * L; i++) m[i] = (real_t)(i % 3 == 0);
    be->ops->masked_mse(be, pred, z, m, dpred, B, L);
    mse_ctx c = {pred, z, m, scratch, B, L};
    check_fd("masked_mse dpred", pred, dpred, B * L, mse_loss, &c);
}

/* ---------------- softmax cross-entropy ---------------- */
typedef struct xent_ctx {
    real_t *logits, *w, *dlogits;
    int32_t *target;
    int B, V, L;
} xent_ctx;
static double xent_loss(void *c) {
    xent_ctx *s = c;
    return be->ops->softmax_xent(be, s->logits, s->target, s->w, s->dlogits, s->B, s->V, s->L);
}
/* Weights non-uniform, every third position unweighted (its gradient must be
 * 0, and so is the difference quotient); with `stray`, one weighted position
 * has a target outside 0..V-1 (then the loss there is w * logsumexp). */
static void check_softmax_xent(int B, int V, int L, int stray) {
    char what[96];
    long long n = (long long)B * V * L, nc = (long long)B * L;
    real_t *x = malloc(n * sizeof *x), *d = malloc(n * sizeof *d), *scratch = malloc(n * sizeof *d);
    real_t *w = malloc(nc * sizeof *w);
    int32_t *t = malloc(nc * sizeof *t);
    fill(x, n, 3.0);
    fill(w, nc, 1.0);
    for (long long i = 0; i < nc; i++) {
        w[i] = i % 3 == 1 ? 0 : (real_t)fabs(w[i]) + (real_t)0.1;
        t[i] = (int32_t)((i * 7 + 2) % V);
    }
    if (stray && nc > 2) t[2] = V;
    double loss = be->ops->softmax_xent(be, x, t, w, d, B, V, L);
    CHECK_MSG(isfinite(loss) && (V > 1 ? loss > 0 : loss == 0), "softmax_xent loss %g (B %d, V %d, L %d)", loss, B,
              V, L);
    xent_ctx c = {x, w, scratch, t, B, V, L};
    snprintf(what, sizeof what, "softmax_xent dlogits (B %d, V %d, L %d)", B, V, L);
    check_fd(what, x, d, n, xent_loss, &c);
    free(x), free(d), free(scratch), free(w), free(t);
}

/* ---------------- adjoint pairs ---------------- */
static void check_adjoints(int B, int C, int L) {
    long long n = (long long)B * C * L;
    real_t *x = malloc(n * sizeof(real_t)), *dx = calloc(n, sizeof(real_t));
    real_t *cols = malloc(3 * n * sizeof(real_t)), *c2 = malloc(3 * n * sizeof(real_t));
    fill(x, n, 1.0);
    fill(c2, 3 * n, 1.0);
    be->ops->im2col_k3(be, x, cols, B, C, L);
    /* definition */
    int ok = 1;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < L; l++) {
                    int s = l + j - 1;
                    real_t want = s >= 0 && s < L ? x[((long long)b * C + c) * L + s] : 0;
                    ok &= cols[(((long long)b * C + c) * 3 + j) * L + l] == want;
                }
    CHECK_MSG(ok, "im2col_k3 (B %d, C %d, L %d) differs from its definition", B, C, L);
    be->ops->col2im_k3(be, c2, dx, B, C, L);
    CHECK_CLOSE(dot(cols, c2, 3 * n), dot(x, dx, n), 1e-12, 1e-12);

    real_t *bias = malloc(C * sizeof(real_t)), *dbias = calloc(C, sizeof(real_t)), *y = calloc(n, sizeof(real_t));
    real_t *v = malloc((size_t)B * C * sizeof(real_t)), *dv = malloc((size_t)B * C * sizeof(real_t));
    fill(bias, C, 1.0);
    be->ops->add_bias(be, y, bias, B, C, L);
    be->ops->bias_grad(be, x, dbias, B, C, L);
    CHECK_CLOSE(dot(y, x, n), dot(bias, dbias, C), 1e-12, 1e-12);
    fill(v, (long long)B * C, 1.0);
    real_t *zero = calloc(n, sizeof(real_t));
    be->ops->add_channel_vector(be, zero, v, y, B, C, L);
    be->ops->sum_over_length(be, x, dv, B, C, L);
    CHECK_CLOSE(dot(y, x, n), dot(v, dv, (long long)B * C), 1e-12, 1e-12);
    free(x), free(dx), free(cols), free(c2), free(bias), free(dbias), free(y), free(v), free(dv), free(zero);
}

/* Small shapes run on the calling thread; large ones are split over the pool
 * by batch items or row blocks, so both paths are compared with the loop. */
static void check_gemm_shape(int m, int n, int k, int batch) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int shared_a = 0; shared_a < 2; shared_a++) {
                int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
                long long sa = shared_a ? 0 : (long long)(ta ? k : m) * lda + 4, sb = (long long)(tb ? n : k) * ldb + 1;
                long long sc = (long long)m * ldc + 2;
                real_t *A = malloc((size_t)(3 * ((ta ? k : m) * lda + 4)) * sizeof(real_t));
                real_t *Bm = malloc((size_t)(3 * sb) * sizeof(real_t)), *Cm = malloc((size_t)(3 * sc) * sizeof(real_t));
                real_t *ref = malloc((size_t)(3 * sc) * sizeof(real_t));
                fill(A, 3 * ((ta ? k : m) * lda + 4), 1.0);
                fill(Bm, 3 * sb, 1.0);
                fill(Cm, 3 * sc, 1.0);
                for (long long i = 0; i < 3 * sc; i++) ref[i] = Cm[i];
                double alpha = 0.7, beta = -0.3;
                for (int bt = 0; bt < batch; bt++)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int q = 0; q < k; q++) {
                                double a = ta ? A[sa * bt + (long long)q * lda + i] : A[sa * bt + (long long)i * lda + q];
                                double b = tb ? Bm[sb * bt + (long long)j * ldb + q] : Bm[sb * bt + (long long)q * ldb + j];
                                s += a * b;
                            }
                            long long ci = sc * bt + (long long)i * ldc + j;
                            ref[ci] = alpha * s + beta * ref[ci];
                        }
                be->ops->gemm(be, ta, tb, m, n, k, alpha, A, lda, sa, Bm, ldb, sb, beta, Cm, ldc, sc, batch);
                double worst = 0;
                for (long long i = 0; i < 3 * sc; i++) worst = fmax(worst, fabs(Cm[i] - ref[i]));
                CHECK_MSG(worst < 1e-12 * (1 + k), "gemm %dx%dx%d batch %d ta %d tb %d shared_a %d: max error %g", m, n, k,
                          batch, ta, tb, shared_a, worst);
                free(A), free(Bm), free(Cm), free(ref);
            }
}

/* stride_c = 0 with batch > 1: the CPU backend sums the products into the one C. */
static void check_gemm_shared_output(void) {
    int m = 33, n = 20, k = 64, batch = 4;
    real_t *A = malloc((size_t)batch * m * k * sizeof(real_t)), *Bm = malloc((size_t)batch * k * n * sizeof(real_t));
    real_t *Cm = malloc((size_t)m * n * sizeof(real_t)), *ref = malloc((size_t)m * n * sizeof(real_t));
    fill(A, (long long)batch * m * k, 1.0);
    fill(Bm, (long long)batch * k * n, 1.0);
    fill(Cm, (long long)m * n, 1.0);
    for (int i = 0; i < m * n; i++) ref[i] = 0.5 * Cm[i];
    for (int b = 0; b < batch; b++)
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += A[((long long)b * m + i) * k + q] * Bm[((long long)b * k + q) * n + j];
                ref[i * n + j] += 2.0 * s;
            }
    be->ops->gemm(be, 0, 0, m, n, k, 2.0, A, k, (long long)m * k, Bm, n, (long long)k * n, 0.5, Cm, n, 0, batch);
    double worst = 0;
    for (int i = 0; i < m * n; i++) worst = fmax(worst, fabs(Cm[i] - ref[i]));
    CHECK_MSG(worst < 1e-10, "gemm with shared output: max error %g", worst);
    free(A), free(Bm), free(Cm), free(ref);
}

static void check_gemm(void) {
    check_gemm_shape(5, 3, 7, 3);
    check_gemm_shape(41, 30, 90, 3);   /* split by batch items */
    check_gemm_shape(64, 50, 100, 1);  /* split by row blocks */
    check_gemm_shape(1, 1, 1, 1);
    check_gemm_shape(3, 4, 0, 2);      /* empty inner dimension: C = beta C */
    check_gemm_shared_output();
}

int main(void) {
    be = backend_cpu_create(2);
    check_pointwise("relu", be->ops->relu_forward, be->ops->relu_backward, 1);
    check_pointwise("gelu", be->ops->gelu_forward, be->ops->gelu_backward, 0);
    check_pointwise("swish", be->ops->swish_forward, be->ops->swish_backward, 0);
    check_gate(2, 3, 5);
    check_gate(1, 1, 1);
    check_layernorm(2, 5, 3);
    check_layernorm(1, 7, 1);
    check_layernorm(3, 2, 4);
    check_weight_norm(3, 7);
    check_weight_norm(1, 1);
    check_s4_conv(2, 3, 7);
    check_s4_conv(1, 2, 1);
    check_s4_conv(2, 1, 16);
    check_s4_kernel(2, 4, 7);
    check_s4_kernel(3, 8, 1);
    check_s4_kernel(1, 6, 10);
    check_masked_mse();
    check_softmax_xent(2, 5, 7, 1);
    check_softmax_xent(1, 1, 4, 0);
    check_softmax_xent(2, 63, 3, 0);
    check_softmax_xent(3, 2, 1, 0);
    check_adjoints(2, 3, 5);
    check_adjoints(1, 2, 1);
    check_adjoints(3, 1, 2);
    check_gemm();
    backend_free(be);
    return test_finish("cpu_ops_grad");
}
