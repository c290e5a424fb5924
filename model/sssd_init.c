/* Parameter initialisation as PyTorch actually initialises SSSD.
 *
 * Weight-normalised convolutions: SSSD calls kaiming_normal_ on conv.weight
 * after nn.utils.weight_norm, but weight_norm's forward pre-hook recomputes
 * conv.weight from weight_g and weight_v before every forward, so that call
 * changes nothing (a known PyTorch pitfall: locuslab/TCN#1, jik876/hifi-gan#145).
 * What SSSD really trains from is Conv1d's default init taken over by
 * weight_norm: v ~ U(+-1/sqrt(fan_in)) (kaiming_uniform, a = sqrt 5),
 * g = |v| per output row, bias ~ U(+-1/sqrt(fan_in)). We reproduce that.
 * Linear / TransposedLinear: weight and bias ~ U(+-1/sqrt(fan_in)). S4 D ~ N(0,1);
 * LayerNorm weight 1, bias 0; the final ZeroConv1d zero; S4 buffers and C by
 * s4_init_layer. Every tensor draws from its own Philox stream, so changing
 * one layer's size leaves the other tensors' draws alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "s4_init.h"
#include "sssd_internal.h"

/* Stream ids: tensor index + 1 for direct draws; S4 layers use a separate range. */
#define S4_STREAM_BASE 0x5334000000ULL

static double uniform01(uint64_t seed, uint64_t stream, uint64_t i) {
    return ((double)(philox_u32(seed, stream, i) >> 8) + 0.5) * (1.0 / 16777216.0);
}

static void fill_uniform(real_t *dst, const sssd_tensor_info *t, int index, uint64_t seed, double bound) {
    for (long long i = 0; i < t->count; i++)
        dst[t->offset + i] = (real_t)(bound * (2.0 * uniform01(seed, (uint64_t)index + 1, (uint64_t)i) - 1.0));
}

static void init_wn_conv(sssd_model *m, real_t *hp, const wn_conv *c, uint64_t seed) {
    const sssd_tensor_info *tv = &m->tensors[c->t_v], *tg = &m->tensors[c->t_g], *tb = &m->tensors[c->t_bias];
    double bound = 1.0 / sqrt((double)c->I * c->k);
    fill_uniform(hp, tv, c->t_v, seed, bound);
    fill_uniform(hp, tb, c->t_bias, seed, bound);
    long long inner = (long long)c->I * c->k;
    for (int o = 0; o < c->O; o++) {
        double s = 0;
        for (long long i = 0; i < inner; i++) {
            double v = hp[tv->offset + o * inner + i];
            s += v * v;
        }
        hp[tg->offset + o] = (real_t)sqrt(s);
    }
}

static void init_dense(sssd_model *m, real_t *hp, const dense *d, uint64_t seed, int zero) {
    const sssd_tensor_info *tw = &m->tensors[d->t_w], *tb = &m->tensors[d->t_b];
    if (zero) return; /* host buffer starts zeroed */
    double bound = 1.0 / sqrt((double)d->I);
    fill_uniform(hp, tw, d->t_w, seed, bound);
    fill_uniform(hp, tb, d->t_b, seed, bound);
}

static void init_s4(sssd_model *m, real_t *hp, real_t *hb, const s4_layer *s, uint64_t seed) {
    const sssd_config *c = &m->cfg;
    int H = s->H, N2 = c->s4_d_state / 2, L = c->s4_lmax;
    const sssd_tensor_info *tD = &m->tensors[s->t_D];
    for (long long i = 0; i < tD->count; i++) hp[tD->offset + i] = (real_t)philox_normal(seed, (uint64_t)s->t_D + 1, (uint64_t)i);
    for (int i = 0; i < H; i++) hp[m->tensors[s->t_ln_w].offset + i] = 1;
    init_dense(m, hp, &s->out, seed, 0);

    size_t hn = (size_t)H * N2 * 2;
    double *log_dt = xmalloc((size_t)H * sizeof(double)), *w = xmalloc(hn * sizeof(double));
    double *B = xmalloc(hn * sizeof(double)), *P = xmalloc(hn * sizeof(double)), *Q = xmalloc(hn * sizeof(double));
    double *C = xmalloc(2 * hn * sizeof(double));
    if (s4_init_layer(H, c->s4_d_state, L, c->dt_min, c->dt_max, seed, S4_STREAM_BASE + (uint64_t)s->t_C, log_dt, w, B,
                      P, Q, C))
        die("S4 initialisation failed (LAPACK eigen-decomposition of the HiPPO matrix, N = %d)", c->s4_d_state);
    struct { int t; const double *src; real_t *dst; } copies[] = {
        {s->t_log_dt, log_dt, hb}, {s->t_w, w, hb}, {s->t_B, B, hb}, {s->t_P, P, hb}, {s->t_Q, Q, hb}, {s->t_C, C, hp}};
    for (size_t k = 0; k < sizeof copies / sizeof copies[0]; k++) {
        const sssd_tensor_info *t = &m->tensors[copies[k].t];
        for (long long i = 0; i < t->count; i++) copies[k].dst[t->offset + i] = (real_t)copies[k].src[i];
    }
    /* SSSD's cached FFT nodes omega_k = exp(-2 pi i k / L), z_k = 2 (1 - omega_k) / (1 + omega_k). */
    int F = L / 2 + 1;
    real_t *om = hb + m->tensors[s->t_omega].offset, *z = hb + m->tensors[s->t_z].offset;
    for (int k = 0; k < F; k++) {
        double a = -2.0 * M_PI * k / L, re = cos(a), im = sin(a);
        om[2 * k] = (real_t)re;
        om[2 * k + 1] = (real_t)im;
        /* (2 (1 - w)) / (1 + w) with w = re + i im */
        double nr = 2.0 * (1.0 - re), ni = -2.0 * im, dr = 1.0 + re, di = im, den = dr * dr + di * di;
        z[2 * k] = (real_t)((nr * dr + ni * di) / den);
        z[2 * k + 1] = (real_t)((ni * dr - nr * di) / den);
    }
    free(log_dt);
    free(w);
    free(B);
    free(P);
    free(Q);
    free(C);
}

void sssd_model_init_params(sssd_model *m, uint64_t seed) {
    real_t *hp = xcalloc((size_t)(m->nparams > 0 ? m->nparams : 1), sizeof(real_t));
    real_t *hb = xcalloc((size_t)(m->nbuffers > 0 ? m->nbuffers : 1), sizeof(real_t));
    init_wn_conv(m, hp, &m->init_conv, seed);
    init_dense(m, hp, &m->fc_t1, seed, 0);
    init_dense(m, hp, &m->fc_t2, seed, 0);
    for (int n = 0; n < m->cfg.num_res_layers; n++) {
        res_block *b = &m->blocks[n];
        init_dense(m, hp, &b->fc_t, seed, 0);
        init_s4(m, hp, hb, &b->s41, seed);
        init_wn_conv(m, hp, &b->conv, seed);
        init_s4(m, hp, hb, &b->s42, seed);
        init_wn_conv(m, hp, &b->cond, seed);
        init_wn_conv(m, hp, &b->res, seed);
        init_wn_conv(m, hp, &b->skip, seed);
    }
    init_wn_conv(m, hp, &m->final1, seed);
    init_dense(m, hp, &m->final2, seed, 1);
    m->be->ops->upload(m->be, m->params, hp, (size_t)m->nparams * sizeof(real_t));
    m->be->ops->upload(m->be, m->buffers, hb, (size_t)m->nbuffers * sizeof(real_t));
    free(hp);
    free(hb);
    sssd_model_parameters_changed(m);
}
