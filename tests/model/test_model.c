/* The network in float: its tensor table against SSSD's state_dict (names,
 * shapes, the paper model's 47,885,825 trainable parameters), initialisation
 * statistics, a forward pass against an independent naive implementation of
 * SSSDS4Imputer.forward written from the PyTorch code's equations (double,
 * plain loops, parameters looked up by name), batch independence,
 * determinism of the seed, and the diffusion schedule's known values. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "diffusion.h"
#include "philox.h"
#include "sssd.h"
#include "test_util.h"

static const real_t *P(sssd_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const real_t *P(sssd_model *m, const char *fmt, ...) {
    char name[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const sssd_tensor_info *t = sssd_model_find_tensor(m, name);
    if (!t) die("test: no tensor %s", name);
    return (t->trainable ? sssd_model_params(m) : sssd_model_buffers(m)) + t->offset;
}

static int shape_is(sssd_model *m, const char *name, int ndim, int a, int b, int c, int d) {
    const sssd_tensor_info *t = sssd_model_find_tensor(m, name);
    int want[4] = {a, b, c, d};
    if (!t || t->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (t->shape[i] != want[i]) return 0;
    return 1;
}

static void test_table(void) {
    sssd_config cfg;
    sssd_config_preset("tiny", 200, &cfg, NULL);
    backend *be = backend_cpu_create(1);
    sssd_model *m = sssd_model_create(&cfg, be, 1, 1);
    const char *b0 = "residual_layer/residual_blocks/0";
    char n[200];
#define SHAPE_OK(ndim, a, b, c, d, ...)                                       \
    do {                                                                      \
        snprintf(n, sizeof n, __VA_ARGS__);                                   \
        CHECK_MSG(shape_is(m, n, ndim, a, b, c, d), "tensor %s shape", n);    \
    } while (0)
    SHAPE_OK(3, 32, 1, 1, 0, "init_conv/0/conv/weight_g");
    SHAPE_OK(3, 32, 1, 1, 0, "init_conv/0/conv/weight_v");
    SHAPE_OK(1, 32, 0, 0, 0, "init_conv/0/conv/bias");
    SHAPE_OK(2, 256, 128, 0, 0, "residual_layer/fc_t1/weight");
    SHAPE_OK(2, 256, 256, 0, 0, "residual_layer/fc_t2/weight");
    SHAPE_OK(2, 32, 256, 0, 0, "%s/fc_t/weight", b0);
    SHAPE_OK(3, 64, 1, 1, 0, "%s/conv_layer/conv/weight_g", b0);
    SHAPE_OK(3, 64, 32, 3, 0, "%s/conv_layer/conv/weight_v", b0);
    SHAPE_OK(2, 1, 64, 0, 0, "%s/S41/s4_layer/D", b0);
    SHAPE_OK(4, 2, 64, 32, 2, "%s/S41/s4_layer/kernel/kernel/C", b0);
    SHAPE_OK(1, 64, 0, 0, 0, "%s/S41/s4_layer/kernel/kernel/log_dt", b0);
    SHAPE_OK(4, 1, 64, 32, 2, "%s/S42/s4_layer/kernel/kernel/B", b0);
    SHAPE_OK(4, 1, 64, 32, 2, "%s/S42/s4_layer/kernel/kernel/P", b0);
    SHAPE_OK(4, 1, 64, 32, 2, "%s/S42/s4_layer/kernel/kernel/Q", b0);
    SHAPE_OK(3, 64, 32, 2, 0, "%s/S42/s4_layer/kernel/kernel/w", b0);
    SHAPE_OK(2, 101, 2, 0, 0, "%s/S42/s4_layer/kernel/kernel/omega", b0);
    SHAPE_OK(2, 101, 2, 0, 0, "%s/S42/s4_layer/kernel/kernel/z", b0);
    SHAPE_OK(2, 64, 64, 0, 0, "%s/S41/s4_layer/output_linear/weight", b0);
    SHAPE_OK(2, 64, 1, 0, 0, "%s/S41/s4_layer/output_linear/bias", b0);
    SHAPE_OK(1, 64, 0, 0, 0, "%s/S42/norm_layer/weight", b0);
    SHAPE_OK(3, 64, 2, 1, 0, "%s/cond_conv/conv/weight_v", b0);
    SHAPE_OK(3, 32, 32, 1, 0, "%s/res_conv/weight_v", b0);
    SHAPE_OK(3, 32, 32, 1, 0, "residual_layer/residual_blocks/1/skip_conv/weight_v");
    SHAPE_OK(3, 32, 32, 1, 0, "final_conv/0/conv/weight_v");
    SHAPE_OK(3, 1, 32, 1, 0, "final_conv/2/conv/weight");
    SHAPE_OK(1, 1, 0, 0, 0, "final_conv/2/conv/bias");
    CHECK(sssd_model_find_tensor(m, "residual_layer/residual_blocks/2/fc_t/weight") == NULL);
    CHECK(!sssd_model_find_tensor(m, "residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/w")->trainable);
    CHECK(sssd_model_find_tensor(m, "residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/C")->trainable);
    /* init 3 + fc_t1/fc_t2 4, per block fc_t 2 + two S4 layers x (D, C, 7 buffers, output
     * linear 2, norm 2) + four weight-norm convs x 3, final 3 + 2: 92 tensors */
    CHECK(sssd_model_tensor_count(m) == 7 + 2 * (2 + 2 * (9 + 2 + 2) + 4 * 3) + 3 + 2);
    sssd_model_free(m);

    /* The paper model: PyTorch's print_size reports 47.9M trainable parameters. By hand:
     * init 256+256+256; fc_t1 128*512+512; fc_t2 512*512+512; per block: fc_t 512*256+256,
     * conv 512*256*3+512+512, 2 x S4 (D 512, C 2*512*32*2, out 512*512+512, norm 1024),
     * cond 512*2+512+512, res 256*256+256+256, skip the same; final 256*256+512, 256+1. */
    sssd_config_preset("paper", 200, &cfg, NULL);
    long long block = 512LL * 256 + 256 + 512LL * 256 * 3 + 1024 + 2 * (512 + 2 * 512 * 64 + 512 * 512 + 512 + 1024) +
                      512 * 2 + 1024 + 2 * (256LL * 256 + 512);
    long long expect = 768 + 128 * 512 + 512 + 512 * 512 + 512 + 36 * block + 256 * 256 + 512 + 257;
    CHECK(expect == 47885825);
    backend_free(be);
}

static void test_init_statistics(void) {
    sssd_config cfg;
    sssd_config_preset("small", 50, &cfg, NULL);
    cfg.num_res_layers = 2;
    backend *be = backend_cpu_create(2);
    sssd_model *m = sssd_model_create(&cfg, be, 1, 7);
    /* conv_layer v ~ U(+-1/sqrt(128*3)): std 1/sqrt(3*384) */
    const real_t *v = P(m, "residual_layer/residual_blocks/0/conv_layer/conv/weight_v");
    const real_t *g = P(m, "residual_layer/residual_blocks/0/conv_layer/conv/weight_g");
    long long n = 256LL * 128 * 3;
    double s = 0, s2 = 0, mx = 0;
    for (long long i = 0; i < n; i++) s += v[i], s2 += (double)v[i] * v[i], mx = fmax(mx, fabs(v[i]));
    double sd = sqrt(s2 / n - (s / n) * (s / n));
    CHECK_CLOSE(sd, 1 / sqrt(3.0 * 384), 0, 0.02);
    CHECK(mx <= 1 / sqrt(384.0));
    CHECK_CLOSE(s / n, 0, 1e-3, 0);
    double row = 0;
    for (int i = 0; i < 384; i++) row += (double)v[i] * v[i];
    CHECK_CLOSE(g[0], sqrt(row), 1e-6, 1e-5); /* weight_norm: g = |v| at creation */
    const real_t *bias = P(m, "residual_layer/residual_blocks/0/conv_layer/conv/bias");
    double bm = 0;
    for (int i = 0; i < 256; i++) bm = fmax(bm, fabs(bias[i]));
    CHECK(bm <= 1 / sqrt(384.0) && bm > 0.8 / sqrt(384.0));
    /* Linear 128 -> 512: U(+-1/sqrt 128) */
    const real_t *w1 = P(m, "residual_layer/fc_t1/weight");
    s2 = 0;
    for (int i = 0; i < 512 * 128; i++) s2 += (double)w1[i] * w1[i];
    CHECK_CLOSE(sqrt(s2 / (512 * 128)), 1 / sqrt(3.0 * 128), 0, 0.02);
    /* S4 D ~ N(0, 1) over 256 channels x 4 layers */
    s = s2 = 0;
    for (int b = 0; b < 2; b++)
        for (int k = 1; k <= 2; k++) {
            const real_t *D = P(m, "residual_layer/residual_blocks/%d/S4%d/s4_layer/D", b, k);
            for (int i = 0; i < 256; i++) s += D[i], s2 += (double)D[i] * D[i];
        }
    CHECK_CLOSE(s / 1024, 0, 0.1, 0);
    CHECK_CLOSE(sqrt(s2 / 1024), 1, 0.07, 0);
    const real_t *lnw = P(m, "residual_layer/residual_blocks/1/S42/norm_layer/weight");
    const real_t *lnb = P(m, "residual_layer/residual_blocks/1/S42/norm_layer/bias");
    CHECK(lnw[0] == 1 && lnw[255] == 1 && lnb[0] == 0 && lnb[255] == 0);
    const real_t *zw = P(m, "final_conv/2/conv/weight"), *zb = P(m, "final_conv/2/conv/bias");
    int zero = zb[0] == 0;
    for (int i = 0; i < 128; i++) zero &= zw[i] == 0;
    CHECK_MSG(zero, "the final ZeroConv1d must start at zero");
    const real_t *log_dt = P(m, "residual_layer/residual_blocks/1/S41/s4_layer/kernel/kernel/log_dt");
    int in_range = 1;
    for (int i = 0; i < 256; i++) in_range &= log_dt[i] >= log(1e-3) - 1e-6 && log_dt[i] <= log(1e-1) + 1e-6;
    CHECK(in_range);
    const real_t *om = P(m, "residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/omega");
    CHECK(om[0] == 1 && om[1] == 0);
    CHECK_CLOSE(om[2 * 25], -1, 1e-6, 0); /* omega_{L/2} = exp(-i pi) */

    /* Same seed, same model; another seed, another model. */
    sssd_model *m2 = sssd_model_create(&cfg, be, 1, 7), *m3 = sssd_model_create(&cfg, be, 1, 8);
    size_t bytes = (size_t)sssd_model_num_params(m) * sizeof(real_t);
    CHECK(memcmp(sssd_model_params(m), sssd_model_params(m2), bytes) == 0);
    CHECK(memcmp(sssd_model_buffers(m), sssd_model_buffers(m2), (size_t)sssd_model_num_buffers(m) * sizeof(real_t)) == 0);
    CHECK(memcmp(sssd_model_params(m), sssd_model_params(m3), bytes) != 0);
    CHECK(sssd_model_memory_bytes(m) > 4 * bytes);
    sssd_model_free(m);
    sssd_model_free(m2);
    sssd_model_free(m3);
    backend_free(be);
}

/* ---------------- naive reference forward ---------------- */

static double gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double swish(double x) { return x / (1 + exp(-x)); }
static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* Weight-norm Conv1d (or plain with g == NULL), padding (k-1)/2, one sample. */
static void conv1d(sssd_model *m, const char *prefix, int wn, const double *x, int Ci, int Co, int k, int L,
                   double *y) {
    const real_t *v = wn ? P(m, "%s/weight_v", prefix) : P(m, "%s/weight", prefix);
    const real_t *g = wn ? P(m, "%s/weight_g", prefix) : NULL, *b = P(m, "%s/bias", prefix);
    for (int o = 0; o < Co; o++) {
        double norm = 0;
        for (int i = 0; i < Ci * k; i++) norm += (double)v[o * Ci * k + i] * v[o * Ci * k + i];
        double scale = wn ? g[o] / sqrt(norm) : 1.0;
        for (int l = 0; l < L; l++) {
            double s = b[o];
            for (int i = 0; i < Ci; i++)
                for (int j = 0; j < k; j++) {
                    int src = l + j - (k - 1) / 2;
                    if (src >= 0 && src < L) s += scale * v[(o * Ci + i) * k + j] * x[i * L + src];
                }
            y[o * L + l] = s;
        }
    }
}

static void s4layer_ref(sssd_model *m, const char *prefix, const real_t *K, double *h, int H, int L) {
    const real_t *D = P(m, "%s/s4_layer/D", prefix), *W = P(m, "%s/s4_layer/output_linear/weight", prefix);
    const real_t *ob = P(m, "%s/s4_layer/output_linear/bias", prefix);
    const real_t *gw = P(m, "%s/norm_layer/weight", prefix), *gb = P(m, "%s/norm_layer/bias", prefix);
    double *y = calloc((size_t)H * L, sizeof(double)), *r = calloc((size_t)H * L, sizeof(double));
    for (int c = 0; c < H; c++)
        for (int t = 0; t < L; t++) {
            double s = D[c] * h[c * L + t];
            for (int q = 0; q <= t; q++) s += K[c * L + q] * h[c * L + t - q];
            for (int q = 1; q <= L - 1 - t; q++) s += K[(H + c) * L + q - 1] * h[c * L + t + q];
            y[c * L + t] = gelu(s);
        }
    for (int o = 0; o < H; o++)
        for (int t = 0; t < L; t++) {
            double s = ob[o] + h[o * L + t];
            for (int i = 0; i < H; i++) s += W[o * H + i] * y[i * L + t];
            r[o * L + t] = s;
        }
    for (int t = 0; t < L; t++) {
        double mean = 0, var = 0;
        for (int c = 0; c < H; c++) mean += r[c * L + t];
        mean /= H;
        for (int c = 0; c < H; c++) var += (r[c * L + t] - mean) * (r[c * L + t] - mean);
        var /= H;
        for (int c = 0; c < H; c++) h[c * L + t] = (r[c * L + t] - mean) / sqrt(var + 1e-5) * gw[c] + gb[c];
    }
    free(y);
    free(r);
}

static void reference_forward(sssd_model *m, backend *be, const real_t *noisy, const real_t *cond, int t, double *eps) {
    const sssd_config *c = sssd_model_config(m);
    int C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, H = 2 * C, E = c->emb_in, half = E / 2;
    double *x = calloc((size_t)C * L, sizeof(double)), *h = calloc((size_t)H * L, sizeof(double));
    double *tmp = calloc((size_t)H * L * 3, sizeof(double)), *skip = calloc((size_t)S * L, sizeof(double));
    double *in = calloc((size_t)2 * L, sizeof(double)), *out = calloc((size_t)C * L, sizeof(double));
    double *e0 = calloc(E, sizeof(double)), *e1 = calloc(c->emb_mid, sizeof(double)), *e2 = calloc(c->emb_out, sizeof(double));
    real_t *K = malloc(2 * (size_t)H * L * sizeof(real_t));
    for (int l = 0; l < L; l++) in[l] = noisy[l];
    conv1d(m, "init_conv/0/conv", 1, in, 1, C, 1, L, x);
    for (int i = 0; i < C * L; i++) x[i] = fmax(x[i], 0);
    for (int j = 0; j < half; j++) {
        double f = exp(-j * log(10000.0) / (half - 1));
        e0[j] = sin(t * f);
        e0[half + j] = cos(t * f);
    }
    const real_t *W1 = P(m, "residual_layer/fc_t1/weight"), *b1 = P(m, "residual_layer/fc_t1/bias");
    const real_t *W2 = P(m, "residual_layer/fc_t2/weight"), *b2 = P(m, "residual_layer/fc_t2/bias");
    for (int o = 0; o < c->emb_mid; o++) {
        double s = b1[o];
        for (int i = 0; i < E; i++) s += W1[o * E + i] * e0[i];
        e1[o] = swish(s);
    }
    for (int o = 0; o < c->emb_out; o++) {
        double s = b2[o];
        for (int i = 0; i < c->emb_mid; i++) s += W2[o * c->emb_mid + i] * e1[i];
        e2[o] = swish(s);
    }
    for (int i = 0; i < 2 * L; i++) in[i] = cond[i];
    for (int n = 0; n < c->num_res_layers; n++) {
        char p[160], q[200];
        snprintf(p, sizeof p, "residual_layer/residual_blocks/%d", n);
        const real_t *Wt = P(m, "%s/fc_t/weight", p), *bt = P(m, "%s/fc_t/bias", p);
        for (int ch = 0; ch < C; ch++) {
            double s = bt[ch];
            for (int i = 0; i < c->emb_out; i++) s += Wt[ch * c->emb_out + i] * e2[i];
            for (int l = 0; l < L; l++) tmp[ch * L + l] = x[ch * L + l] + s;
        }
        snprintf(q, sizeof q, "%s/conv_layer/conv", p);
        conv1d(m, q, 1, tmp, C, H, 3, L, h);
        for (int k = 1; k <= 2; k++) {
            snprintf(q, sizeof q, "%s/S4%d", p, k);
            s4_frozen fz;
            fz.H = H, fz.N2 = c->s4_d_state / 2, fz.L = L;
            char kp[220];
            snprintf(kp, sizeof kp, "%s/s4_layer/kernel/kernel", q);
            fz.log_dt = P(m, "%s/log_dt", kp), fz.w = P(m, "%s/w", kp), fz.B = P(m, "%s/B", kp);
            fz.P = P(m, "%s/P", kp), fz.Q = P(m, "%s/Q", kp);
            be->ops->s4_kernel_forward(be, fz, P(m, "%s/C", kp), K);
            s4layer_ref(m, q, K, h, H, L);
            if (k == 1) {
                snprintf(q, sizeof q, "%s/cond_conv/conv", p);
                conv1d(m, q, 1, in, 2, H, 1, L, tmp);
                for (int i = 0; i < H * L; i++) h[i] += tmp[i];
            }
        }
        for (int ch = 0; ch < C; ch++)
            for (int l = 0; l < L; l++) out[ch * L + l] = tanh(h[ch * L + l]) * sigmoid(h[(C + ch) * L + l]);
        snprintf(q, sizeof q, "%s/res_conv", p);
        conv1d(m, q, 1, out, C, C, 1, L, tmp);
        for (int i = 0; i < C * L; i++) x[i] = (x[i] + tmp[i]) * sqrt(0.5);
        snprintf(q, sizeof q, "%s/skip_conv", p);
        conv1d(m, q, 1, out, C, S, 1, L, tmp);
        for (int i = 0; i < S * L; i++) skip[i] += tmp[i];
    }
    for (int i = 0; i < S * L; i++) skip[i] *= sqrt(1.0 / c->num_res_layers);
    conv1d(m, "final_conv/0/conv", 1, skip, S, S, 1, L, tmp);
    for (int i = 0; i < S * L; i++) tmp[i] = fmax(tmp[i], 0);
    conv1d(m, "final_conv/2/conv", 0, tmp, S, 1, 1, L, eps);
    free(x), free(h), free(tmp), free(skip), free(in), free(out), free(e0), free(e1), free(e2), free(K);
}

static void test_forward_reference(void) {
    sssd_config cfg;
    sssd_config_default(&cfg);
    cfg.res_channels = 6;
    cfg.skip_channels = 5;
    cfg.num_res_layers = 3;
    cfg.s4_d_state = 8;
    cfg.s4_lmax = 11;
    cfg.emb_in = 16;
    cfg.emb_mid = 24;
    cfg.emb_out = 20;
    int B = 3, L = cfg.s4_lmax;
    backend *be = backend_cpu_create(2);
    sssd_model *m = sssd_model_create(&cfg, be, B, 11);
    real_t noisy[3 * 11], cond[3 * 2 * 11], eps[3 * 11], one[11];
    int32_t t[3] = {0, 57, 199};
    for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(3, 1, (uint64_t)i);
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            real_t mask = (real_t)(l >= 4 && l < 7 ? 0 : 1);
            cond[(b * 2) * L + l] = mask * (real_t)(1 + (l + 3 * b) % 7);
            cond[(b * 2 + 1) * L + l] = mask;
        }
    sssd_forward(m, B, noisy, cond, t, eps);
    int all_zero = 1;
    for (int i = 0; i < B * L; i++) all_zero &= eps[i] == 0;
    CHECK_MSG(all_zero, "a freshly initialised network outputs zero (zero final layer)");

    /* Give the zero layer (and everything else) values so the comparison means something. */
    real_t *p = sssd_model_params(m);
    for (long long i = 0; i < sssd_model_num_params(m); i++) p[i] += (real_t)(0.2 * philox_normal(4, 4, (uint64_t)i));
    sssd_forward(m, B, noisy, cond, t, eps);
    double worst = 0, scale = 0;
    for (int b = 0; b < B; b++) {
        double ref[11];
        reference_forward(m, be, noisy + b * L, cond + b * 2 * L, t[b], ref);
        for (int l = 0; l < L; l++) {
            worst = fmax(worst, fabs(ref[l] - eps[b * L + l]));
            scale = fmax(scale, fabs(ref[l]));
        }
        /* the same item alone gives the same numbers */
        sssd_forward(m, 1, noisy + b * L, cond + b * 2 * L, t + b, one);
        double diff = 0;
        for (int l = 0; l < L; l++) diff = fmax(diff, fabs(one[l] - eps[b * L + l]));
        CHECK_MSG(diff <= 1e-5 * (1 + scale), "item %d alone differs by %g", b, diff);
    }
    /* One thread and two threads agree (the pool splits GEMMs and pointwise work). */
    backend *be1 = backend_cpu_create(1);
    sssd_model *m1 = sssd_model_create(&cfg, be1, B, 11);
    memcpy(sssd_model_params(m1), sssd_model_params(m), (size_t)sssd_model_num_params(m) * sizeof(real_t));
    real_t eps1[3 * 11];
    sssd_forward(m1, B, noisy, cond, t, eps1);
    sssd_forward(m, B, noisy, cond, t, eps);
    double tdiff = 0;
    for (int i = 0; i < B * L; i++) tdiff = fmax(tdiff, fabs(eps1[i] - eps[i]));
    CHECK_MSG(tdiff <= 1e-6 * (1 + scale), "1 vs 2 threads differ by %g", tdiff);
    sssd_model_free(m1);
    backend_free(be1);
    printf("forward vs naive reference: max |diff| %.3g (output scale %.3g)\n", worst, scale);
    CHECK(scale > 1e-2);
    CHECK_MSG(worst <= 1e-4 * (1 + scale), "forward differs from the naive reference by %g", worst);
    sssd_model_free(m);
    backend_free(be);
}

/* A model large enough that GEMMs and pointwise ops are split over the pool:
 * one and two threads must agree (a race would show as garbage). */
static void test_thread_consistency(void) {
    sssd_config cfg;
    sssd_config_preset("tiny", 64, &cfg, NULL);
    int B = 4, L = 64;
    backend *b1 = backend_cpu_create(1), *b2 = backend_cpu_create(2);
    sssd_model *m1 = sssd_model_create(&cfg, b1, B, 3), *m2 = sssd_model_create(&cfg, b2, B, 3);
    long long np = sssd_model_num_params(m1);
    for (long long i = 0; i < np; i++) sssd_model_params(m1)[i] += (real_t)(0.02 * philox_normal(5, 5, (uint64_t)i));
    memcpy(sssd_model_params(m2), sssd_model_params(m1), (size_t)np * sizeof(real_t));
    real_t *noisy = calloc((size_t)B * L, sizeof(real_t)), *cond = calloc(2 * (size_t)B * L, sizeof(real_t));
    real_t *e1 = calloc((size_t)B * L, sizeof(real_t)), *e2 = calloc((size_t)B * L, sizeof(real_t));
    int32_t t[4] = {1, 20, 100, 199};
    for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(6, 1, (uint64_t)i), e1[i] = (real_t)(i % 7) - 3;
    for (int i = 0; i < 2 * B * L; i++) cond[i] = (real_t)((i / L) % 2 ? 1 : i % 11);
    sssd_forward(m1, B, noisy, cond, t, e2);
    sssd_forward(m2, B, noisy, cond, t, e2);
    sssd_forward(m1, B, noisy, cond, t, e1);
    double d = 0, sc = 0;
    for (int i = 0; i < B * L; i++) d = fmax(d, fabs(e1[i] - e2[i])), sc = fmax(sc, fabs(e1[i]));
    CHECK(sc > 1e-3);
    CHECK_MSG(d <= 1e-5 * (1 + sc), "forward: 1 vs 2 threads differ by %g", d);
    /* gradients too */
    for (int i = 0; i < B * L; i++) e1[i] = (real_t)philox_normal(6, 2, (uint64_t)i);
    sssd_zero_grads(m1);
    sssd_zero_grads(m2);
    sssd_backward(m1, e1);
    sssd_backward(m2, e1);
    double gd = 0, gs = 0;
    for (long long i = 0; i < np; i++) {
        gd = fmax(gd, fabs(sssd_model_grads(m1)[i] - sssd_model_grads(m2)[i]));
        gs = fmax(gs, fabs(sssd_model_grads(m1)[i]));
    }
    CHECK_MSG(gd <= 1e-4 * (1 + gs), "backward: 1 vs 2 threads differ by %g (scale %g)", gd, gs);
    free(noisy), free(cond), free(e1), free(e2);
    sssd_model_free(m1);
    sssd_model_free(m2);
    backend_free(b1);
    backend_free(b2);
}

/* With the weights declared fixed, later forwards reuse the S4 kernels and
 * weight-norm weights of the first: the same outputs, bit for bit, as
 * recomputing them; after sssd_model_parameters_changed (or with the
 * declaration withdrawn) a changed weight is seen again. */
static void test_weights_fixed(void) {
    sssd_config cfg;
    sssd_config_preset("tiny", 48, &cfg, NULL);
    int B = 3, L = 48;
    backend *be = backend_cpu_create(2);
    sssd_model *m = sssd_model_create(&cfg, be, B, 4);
    long long np = sssd_model_num_params(m);
    for (long long i = 0; i < np; i++) sssd_model_params(m)[i] += (real_t)(0.02 * philox_normal(7, 5, (uint64_t)i));
    real_t *noisy = calloc((size_t)B * L, sizeof(real_t)), *cond = calloc(2 * (size_t)B * L, sizeof(real_t));
    real_t *ref = calloc((size_t)B * L, sizeof(real_t)), *out = calloc((size_t)B * L, sizeof(real_t));
    int32_t t[3] = {3, 50, 150};
    for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(7, 1, (uint64_t)i);
    for (int i = 0; i < 2 * B * L; i++) cond[i] = (real_t)((i / L) % 2 ? 1 : i % 5);
    sssd_forward(m, B, noisy, cond, t, ref);
    CHECK(!sssd_model_weights_fixed(m));
    sssd_model_set_weights_fixed(m, 1);
    CHECK(sssd_model_weights_fixed(m));
    for (int pass = 0; pass < 3; pass++) {
        sssd_forward(m, B, noisy, cond, t, out);
        CHECK_MSG(memcmp(out, ref, (size_t)B * L * sizeof(real_t)) == 0, "fixed weights, pass %d: output differs", pass);
    }
    /* a changed S4 output matrix and weight-norm gain, announced: both are seen */
    real_t *C = sssd_model_params(m) + sssd_model_find_tensor(m, "residual_layer/residual_blocks/0/S41/s4_layer/kernel/kernel/C")->offset;
    real_t *g = sssd_model_params(m) + sssd_model_find_tensor(m, "residual_layer/residual_blocks/1/skip_conv/weight_g")->offset;
    for (int i = 0; i < 16; i++) C[i] *= (real_t)1.5;
    g[0] *= (real_t)2;
    sssd_model_parameters_changed(m);
    sssd_forward(m, B, noisy, cond, t, out);
    sssd_model_set_weights_fixed(m, 0);
    sssd_forward(m, B, noisy, cond, t, ref);
    double d = 0, moved = 0;
    for (int i = 0; i < B * L; i++) d = fmax(d, fabs(out[i] - ref[i]));
    CHECK_MSG(d == 0, "after parameters_changed: fixed and recomputed outputs differ by %g", d);
    /* and a change while not fixed is seen by the very next forward */
    for (int i = 0; i < 16; i++) C[i] *= (real_t)-1;
    sssd_forward(m, B, noisy, cond, t, out);
    for (int i = 0; i < B * L; i++) moved = fmax(moved, fabs(out[i] - ref[i]));
    CHECK_MSG(moved > 0, "not fixed: a changed S4 matrix left the output unchanged");
    free(noisy), free(cond), free(ref), free(out);
    sssd_model_free(m);
    backend_free(be);
}

/* A forward-only model (generate's) computes exactly what the full model
 * computes, at every batch size and with its S4 kernels kept across passes,
 * in a fraction of the memory; the memory estimates that refuse checkpoints
 * up front stay within a factor of two of what each really holds. */
static void test_inference_model(void) {
    const char *presets[2] = {"tiny", "small"};
    for (int k = 0; k < 2; k++) {
        sssd_config cfg;
        sssd_config_preset(presets[k], 48, &cfg, NULL);
        int B = 3, L = 48;
        backend *be = backend_cpu_create(2);
        sssd_model *m = sssd_model_create(&cfg, be, B, 4), *mi = sssd_model_create_inference(&cfg, be, B, 4);
        CHECK(!sssd_model_inference_only(m) && sssd_model_inference_only(mi));
        long long np = sssd_model_num_params(m);
        for (long long i = 0; i < np; i++) {
            real_t e = (real_t)(0.02 * philox_normal(7, 5, (uint64_t)i));
            sssd_model_params(m)[i] += e;
            sssd_model_params(mi)[i] += e;
        }
        real_t *noisy = calloc((size_t)B * L, sizeof(real_t)), *cond = calloc(2 * (size_t)B * L, sizeof(real_t));
        real_t *ref = calloc((size_t)B * L, sizeof(real_t)), *out = calloc((size_t)B * L, sizeof(real_t));
        int32_t t[3] = {3, 50, 150};
        for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(7, 1, (uint64_t)i);
        for (int i = 0; i < 2 * B * L; i++) cond[i] = (real_t)((i / L) % 2 ? 1 : i % 5);
        for (int fixed = 0; fixed < 2; fixed++) {
            sssd_model_set_weights_fixed(m, fixed);
            sssd_model_set_weights_fixed(mi, fixed);
            for (int b = B; b >= 1; b -= 2)
                for (int pass = 0; pass < 2; pass++) {
                    sssd_forward(m, b, noisy, cond, t, ref);
                    sssd_forward(mi, b, noisy, cond, t, out);
                    CHECK_MSG(memcmp(out, ref, (size_t)b * L * sizeof(real_t)) == 0,
                              "%s, batch %d, fixed %d, pass %d: the forward-only model's output differs", presets[k], b,
                              fixed, pass);
                }
        }
        double full = (double)sssd_model_memory_bytes(m), lean = (double)sssd_model_memory_bytes(mi);
        double est_full = sssd_config_memory_estimate(&cfg, B), est_lean = sssd_config_memory_estimate_inference(&cfg, B);
        printf("%s, batch %d: full model %.2f MB (estimate %.2f), forward-only %.2f MB (estimate %.2f)\n", presets[k], B,
               full / 1e6, est_full / 1e6, lean / 1e6, est_lean / 1e6);
        CHECK_MSG(lean < 0.6 * full, "%s: the forward-only model holds %.0f of the full model's %.0f bytes", presets[k],
                  lean, full);
        CHECK_MSG(est_lean > 0.5 * lean && est_lean < 2 * lean, "%s: forward-only estimate %.0f for %.0f bytes",
                  presets[k], est_lean, lean);
        CHECK_MSG(est_full > 0.5 * full && est_full < 2 * full, "%s: full estimate %.0f for %.0f bytes", presets[k],
                  est_full, full);
        free(noisy), free(cond), free(ref), free(out);
        sssd_model_free(m);
        sssd_model_free(mi);
        backend_free(be);
    }
}

static void test_schedule(void) {
    /* T = 200, beta linear 1e-4 .. 0.02 (computed in double):
     * abar_0 = 0.9999, abar_1 = 0.9999 * 0.9998 = 0.99970002,
     * abar_99 = 0.6024803053077055, abar_199 = 0.13218275425061793. */
    diffusion_schedule s;
    diffusion_schedule_init(&s, 200, 1e-4, 0.02);
    CHECK_CLOSE(s.abar[0], 0.9999, 1e-15, 0);
    CHECK_CLOSE(s.abar[1], 0.99970002, 1e-15, 0);
    CHECK_CLOSE(s.abar[99], 0.6024803053077055, 1e-12, 0);
    CHECK_CLOSE(s.abar[199], 0.13218275425061793, 1e-12, 0);
    CHECK_CLOSE(s.beta[199], 0.02, 1e-15, 0);
    diffusion_schedule_free(&s);
}

int main(void) {
    test_table();
    test_init_statistics();
    test_forward_reference();
    test_thread_consistency();
    test_weights_fixed();
    test_inference_model();
    test_schedule();
    return test_finish("model");
}
