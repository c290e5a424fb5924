/* Finite-difference check of the whole network's backward pass in double
 * precision (sssd_model64) on tiny, deliberately awkward configurations
 * (C = 4, skip 5, 2 layers, N = 4, L = 7, embeddings 8/16/16, B = 2; the
 * same with channel dropout armed for every forward, the same rows each
 * time; and one layer, L = 1, B = 1, N = 2): every entry of every trainable
 * tensor, central differences of sum(eps * dout). Parameters are perturbed
 * first so that the zero-initialised output layer does not hide every
 * upstream gradient. Also the dropout draws themselves: their share, their
 * scale, and that a batch split in two draws as the whole batch. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"
#include "philox.h"
#include "sssd.h"
#include "sssd_internal.h"
#include "test_util.h"

static double loss_of(sssd_model *m, int B, const real_t *noisy, const real_t *cond, const int32_t *t,
                      const real_t *dout, real_t *eps, int L) {
    sssd_model_arm_dropout(m, 5, 77, 0); /* nothing unless s4_dropout > 0; the same rows at every call */
    sssd_forward(m, B, noisy, cond, t, eps);
    double s = 0;
    for (int i = 0; i < B * L; i++) s += eps[i] * dout[i];
    return s;
}

/* Checks every trainable entry of a model built from cfg at batch B; returns the number of entries checked. */
static long long check_config(const sssd_config *cfg, int B, const char *label) {
    const int L = cfg->s4_lmax;
    backend *be = backend_cpu_create(1);
    sssd_model *m = sssd_model_create(cfg, be, B, 1234);

    real_t *p = sssd_model_params(m);
    long long np = sssd_model_num_params(m);
    for (long long i = 0; i < np; i++) p[i] += (real_t)(0.3 * philox_normal(99, 1, (uint64_t)i));

    real_t *noisy = calloc((size_t)B * L, sizeof(real_t)), *cond = calloc(2 * (size_t)B * L, sizeof(real_t));
    real_t *dout = calloc((size_t)B * L, sizeof(real_t)), *eps = calloc((size_t)B * L, sizeof(real_t));
    int32_t t[2] = {3, 150};
    for (int i = 0; i < B * L; i++) {
        noisy[i] = (real_t)philox_normal(7, 2, (uint64_t)i);
        dout[i] = (real_t)philox_normal(7, 3, (uint64_t)i);
    }
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            real_t mask = (real_t)((l + b) % 3 == 0);
            cond[(b * 2 + 1) * L + l] = mask;
            cond[(b * 2 + 0) * L + l] = mask * (real_t)(1 + (l * 7 + b) % 5);
        }

    sssd_zero_grads(m);
    loss_of(m, B, noisy, cond, t, dout, eps, L);
    sssd_backward(m, dout);
    real_t *g = sssd_model_grads(m);
    double *analytic = xmalloc((size_t)np * sizeof(double));
    for (long long i = 0; i < np; i++) analytic[i] = g[i];

    const double h = 1e-5;
    int worst_tensor = -1;
    double worst = 0;
    long long checked = 0, nonzero = 0;
    for (int ti = 0; ti < sssd_model_tensor_count(m); ti++) {
        const sssd_tensor_info *ti_ = sssd_model_tensor(m, ti);
        if (!ti_->trainable) continue;
        int bad = 0;
        double tensor_max = 0;
        for (long long k = 0; k < ti_->count; k++) {
            long long i = ti_->offset + k;
            real_t keep = p[i];
            p[i] = keep + (real_t)h;
            double lp = loss_of(m, B, noisy, cond, t, dout, eps, L);
            p[i] = keep - (real_t)h;
            double lm = loss_of(m, B, noisy, cond, t, dout, eps, L);
            p[i] = keep;
            double fd = (lp - lm) / (2 * h), an = analytic[i];
            /* rounding in the loss (~1e-16 / 2h) gives ~1e-11 absolute noise, hence the 1e-6 floor */
            double err = fabs(fd - an) / (1e-6 + fmax(fabs(fd), fabs(an)));
            if (fabs(an) > 1e-9) nonzero++;
            if (err > tensor_max) tensor_max = err;
            if (err > worst) {
                worst = err;
                worst_tensor = ti;
            }
            if (err > 1e-5 && bad < 3) {
                bad++;
                fprintf(stderr, "%s: %s[%lld]: analytic %.10g, finite difference %.10g\n", label, ti_->name, k, an, fd);
            }
            checked++;
        }
        CHECK_MSG(tensor_max <= 1e-5, "%s: %s: worst error %.3g", label, ti_->name, tensor_max);
    }
    printf("%s: checked %lld gradient entries (%lld nonzero), worst |fd - analytic| / (1e-6 + |analytic|) = %.3g (%s)\n",
           label, checked, nonzero, worst, worst_tensor >= 0 ? sssd_model_tensor(m, worst_tensor)->name : "-");
    /* Only the last block's res_conv gets no gradient (its output feeds nothing). */
    CHECK(nonzero > checked * 8 / 10);
    free(analytic);
    free(noisy), free(cond), free(dout), free(eps);
    sssd_model_free(m);
    backend_free(be);
    return checked;
}

/* Dropout's factors: about p of the (layer, window, channel) rows are 0, the
 * rest 1/(1-p); an unarmed forward drops nothing and gives other outputs; a
 * call for windows 2..3 of a draw gets the rows a call for 0..3 got there. */
static void check_dropout_draws(void) {
    sssd_config cfg;
    sssd_config_default(&cfg);
    cfg.res_channels = 16;
    cfg.skip_channels = 8;
    cfg.num_res_layers = 2;
    cfg.s4_d_state = 4;
    cfg.s4_lmax = 5;
    cfg.emb_in = 8;
    cfg.emb_mid = cfg.emb_out = 16;
    cfg.s4_dropout = 0.25;
    const int B = 4, L = 5, H = 32, layers = 4;
    backend *be = backend_cpu_create(1);
    sssd_model *m = sssd_model_create(&cfg, be, B, 9);
    real_t noisy[20], cond[40] = {0}, e1[20], e2[20], e3[20];
    int32_t t[4] = {1, 50, 100, 199};
    for (int i = 0; i < B * L; i++) noisy[i] = (real_t)philox_normal(3, 1, (uint64_t)i);
    real_t *p = sssd_model_params(m);
    for (long long i = 0; i < sssd_model_num_params(m); i++) p[i] += (real_t)(0.3 * philox_normal(99, 1, (uint64_t)i));

    sssd_model_arm_dropout(m, 1, 2, 0);
    sssd_forward(m, B, noisy, cond, t, e1);
    size_t per_layer = (size_t)B * H;
    real_t *whole = xmalloc(layers * per_layer * sizeof(real_t));
    memcpy(whole, m->h_keep, layers * per_layer * sizeof(real_t));
    int zeros = 0, scaled = 0;
    for (size_t i = 0; i < layers * per_layer; i++) {
        zeros += whole[i] == 0;
        scaled += fabs(whole[i] - 1 / 0.75) < 1e-12;
    }
    double share = (double)zeros / (double)(layers * per_layer);
    printf("dropout 0.25: %d of %zu rows dropped (%.3f), the rest scaled by 4/3: %d\n", zeros, layers * per_layer,
           share, scaled);
    CHECK_MSG(fabs(share - 0.25) < 0.08, "dropped share %.3f, expected about 0.25", share);
    CHECK(zeros + scaled == (int)(layers * per_layer));
    CHECK(m->blocks[0].s41.dropped && m->blocks[1].s42.dropped);

    sssd_forward(m, B, noisy, cond, t, e2); /* not armed: the whole network */
    CHECK(!m->blocks[0].s41.dropped && !m->blocks[1].s42.dropped);
    int differ = 0;
    for (int i = 0; i < B * L; i++) differ += e1[i] != e2[i];
    CHECK_MSG(differ > 0, "dropout changed no output");

    sssd_model_arm_dropout(m, 1, 2, 2);
    sssd_forward(m, 2, noisy + 2 * L, cond + 4 * L, t + 2, e3);
    int same = 1;
    for (int j = 0; j < layers; j++)
        for (size_t i = 0; i < 2 * (size_t)H; i++)
            same &= m->h_keep[j * per_layer + i] == whole[j * per_layer + 2 * (size_t)H + i];
    CHECK_MSG(same, "windows 2..3 drew other rows than in the whole batch");
    for (int i = 0; i < 2 * L; i++)
        CHECK_MSG(fabs(e3[i] - e1[2 * L + i]) < 1e-9, "window %d: %g against %g", 2 + i / L, e3[i], e1[2 * L + i]);
    free(whole);
    sssd_model_free(m);
    backend_free(be);
}

int main(void) {
    check_dropout_draws();
    sssd_config cfg;
    sssd_config_default(&cfg);
    cfg.res_channels = 4;
    cfg.skip_channels = 5;
    cfg.num_res_layers = 2;
    cfg.s4_d_state = 4;
    cfg.s4_lmax = 7;
    cfg.emb_in = 8;
    cfg.emb_mid = 16;
    cfg.emb_out = 16;
    check_config(&cfg, 2, "C 4, skip 5, 2 layers, N 4, L 7, B 2");
    cfg.s4_dropout = 0.4;
    check_config(&cfg, 2, "the same with channel dropout 0.4");
    cfg.s4_dropout = 0;
    /* degenerate sizes: one layer (first and last at once), one position, one item, N = 2 */
    cfg.res_channels = 3;
    cfg.skip_channels = 2;
    cfg.num_res_layers = 1;
    cfg.s4_d_state = 2;
    cfg.s4_lmax = 1;
    cfg.emb_in = 4;
    cfg.emb_mid = 3;
    cfg.emb_out = 5;
    check_config(&cfg, 1, "C 3, skip 2, 1 layer, N 2, L 1, B 1");
    return test_finish("model_grad");
}
