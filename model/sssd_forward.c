/* The forward pass of SSSDS4Imputer on the backend table, following
 * SSSDS4Imputer.forward (model/README.md), keeping what
 * sssd_backward needs. Also the batched 1x1-convolution GEMM helpers. */
#include <math.h>

#include "philox.h"
#include "sssd_internal.h"

void conv1x1_forward(backend *be, const real_t *W, const real_t *x, real_t *y, int B, int O, int I, int L,
                     double beta) {
    be->ops->gemm(be, 0, 0, O, L, I, 1.0, W, I, 0, x, L, (long long)I * L, beta, y, L, (long long)O * L, B);
}

/* One GEMM per item: a batch reduction into one shared output is not part of
 * the backend's GEMM contract (batch items may run concurrently on a GPU). */
void conv1x1_weight_grad(backend *be, const real_t *dy, const real_t *x, real_t *dW, int B, int O, int I, int L,
                         double beta_first) {
    for (int b = 0; b < B; b++)
        be->ops->gemm(be, 0, 1, O, I, L, 1.0, dy + (long long)b * O * L, L, 0, x + (long long)b * I * L, L, 0,
                      b == 0 ? beta_first : 1.0, dW, I, 0, 1);
}

void conv1x1_input_grad(backend *be, const real_t *W, const real_t *dy, real_t *dx, int B, int O, int I, int L,
                        double beta) {
    be->ops->gemm(be, 1, 0, I, L, O, 1.0, W, I, 0, dy, L, (long long)O * L, beta, dx, L, (long long)I * L, B);
}

static void wn_forward(backend *be, wn_conv *c) {
    be->ops->weight_norm_forward(be, c->v, c->g, c->w, c->norms, c->O, c->I * c->k);
}

/* y = W x + b for a (B, I) batch of vectors (nn.Linear). */
static void dense_rows_forward(backend *be, const dense *d, const real_t *x, real_t *y, int B) {
    be->ops->gemm(be, 0, 1, B, d->O, d->I, 1.0, x, d->I, 0, d->w, d->I, 0, 0.0, y, d->O, 0, 1);
    be->ops->add_bias(be, y, d->b, B, d->O, 1);
}

/* Channel dropout's factors for every S4 layer of this forward (sssd.h):
 * 0 or 1/(1-p) per (layer, window, channel), drawn on the host (2 layers x
 * B x H numbers) so that every backend drops the same rows, and uploaded at
 * once. */
static void draw_dropout(sssd_model *m) {
    const sssd_config *c = &m->cfg;
    double p = c->s4_dropout;
    real_t scale = (real_t)(1.0 / (1.0 - p));
    int H = 2 * c->res_channels, layers = 2 * c->num_res_layers;
    size_t per_layer = (size_t)m->max_batch * H;
    for (int j = 0; j < layers; j++)
        for (int b = 0; b < m->B; b++) {
            uint64_t first = ((uint64_t)(m->dropout_first + b) * (uint64_t)layers + (uint64_t)j) * (uint64_t)H;
            real_t *keep = m->h_keep + j * per_layer + (size_t)b * H;
            for (int h = 0; h < H; h++) {
                float u = philox_uniform(philox_u32(m->dropout_seed, m->dropout_stream, first + (uint64_t)h));
                keep[h] = u > p ? scale : 0;
            }
        }
    m->be->ops->upload(m->be, m->keep, m->h_keep, layers * per_layer * sizeof(real_t));
}

/* out = LayerNorm(drop(output_linear(GELU(s4_conv(u, K, D)))) + u); K is
 * kept from an earlier forward when the weights are fixed and it is still
 * fresh. */
static void s4_layer_forward(sssd_model *m, s4_layer *s, const real_t *u, real_t *out) {
    backend *be = m->be;
    const backend_ops *op = be->ops;
    int B = m->B, H = s->H, L = m->cfg.s4_lmax;
    long long n = (long long)B * H * L;
    if (!m->derived_fresh) op->s4_kernel_forward(be, s->fz, s->C, s->K);
    op->s4_conv_forward(be, u, s->K, s->D, s->y, B, H, L);
    op->gelu_forward(be, s->y, s->g, n);
    s->dropped = m->dropout_armed;
    if (s->dropped) {
        conv1x1_forward(be, s->out.w, s->g, s->r, B, H, H, L, 0.0);
        op->add_bias(be, s->r, s->out.b, B, H, L);
        op->scale_channels(be, s->r, s->keep, s->r, B, H, L);
        op->axpby(be, n, 1.0, u, 1.0, s->r);
    } else {
        op->copy(be, s->r, u, (size_t)n * sizeof(real_t));
        conv1x1_forward(be, s->out.w, s->g, s->r, B, H, H, L, 1.0);
        op->add_bias(be, s->r, s->out.b, B, H, L);
    }
    op->layernorm_forward(be, s->r, s->ln_w, s->ln_b, out, s->mean, s->rstd, B, H, L);
}

static void block_forward(sssd_model *m, res_block *b, const real_t *x_in, real_t *x_out, int first, int last) {
    backend *be = m->be;
    const backend_ops *op = be->ops;
    const sssd_config *c = &m->cfg;
    int B = m->B, C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, H = 2 * C;
    long long BCL = (long long)B * C * L;

    dense_rows_forward(be, &b->fc_t, m->e2, m->ws_t, B);
    op->add_channel_vector(be, x_in, m->ws_t, b->h0, B, C, L);
    op->im2col_k3(be, b->h0, m->ws_cols, B, C, L);
    op->gemm(be, 0, 0, H, L, 3 * C, 1.0, b->conv.w, 3 * C, 0, m->ws_cols, L, 3LL * C * L, 0.0, b->h1, L,
             (long long)H * L, B);
    op->add_bias(be, b->h1, b->conv.b, B, H, L);
    s4_layer_forward(m, &b->s41, b->h1, b->h3);
    conv1x1_forward(be, b->cond.w, m->cond, b->h3, B, H, 2 * c->in_channels, L, 1.0);
    op->add_bias(be, b->h3, b->cond.b, B, H, L);
    s4_layer_forward(m, &b->s42, b->h3, b->h4);
    op->gate_forward(be, b->h4, b->out, B, C, L);
    /* The last block's residual output feeds nothing (only skips reach the
     * output), so it is not computed; its parameters get zero gradient, as
     * in PyTorch. */
    if (!last) {
        conv1x1_forward(be, b->res.w, b->out, x_out, B, C, C, L, 0.0);
        op->add_bias(be, x_out, b->res.b, B, C, L);
        op->axpby(be, BCL, M_SQRT1_2, x_in, M_SQRT1_2, x_out);
    }
    conv1x1_forward(be, b->skip.w, b->out, m->skip, B, S, C, L, first ? 0.0 : 1.0);
    op->add_bias(be, m->skip, b->skip.b, B, S, L);
}

void sssd_forward(sssd_model *m, int B, const real_t *noisy, const real_t *cond, const int32_t *t,
                  real_t *eps_out) {
    backend *be = m->be;
    const backend_ops *op = be->ops;
    const sssd_config *c = &m->cfg;
    if (B < 1 || B > m->max_batch)
        die("sssd_forward: batch %d outside 1..%d (the model was created for batches up to %d)", B, m->max_batch,
            m->max_batch);
    int C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, in = c->in_channels;
    m->B = B;
    op->copy(be, m->noisy, noisy, (size_t)B * in * L * sizeof(real_t));
    op->copy(be, m->cond, cond, (size_t)B * 2 * in * L * sizeof(real_t));
    op->copy(be, m->t, t, (size_t)B * sizeof(int32_t));

    if (!m->derived_fresh) {
        wn_forward(be, &m->init_conv);
        wn_forward(be, &m->final1);
        for (int n = 0; n < c->num_res_layers; n++) {
            res_block *b = &m->blocks[n];
            wn_forward(be, &b->conv);
            wn_forward(be, &b->cond);
            wn_forward(be, &b->res);
            wn_forward(be, &b->skip);
        }
    }

    /* x = ReLU(init_conv(noise)) */
    conv1x1_forward(be, m->init_conv.w, m->noisy, m->x0, B, C, in, L, 0.0);
    op->add_bias(be, m->x0, m->init_conv.b, B, C, L);
    op->relu_forward(be, m->x0, m->x0, (long long)B * C * L);

    /* e = swish(fc_t2(swish(fc_t1(embed(t))))) */
    op->step_embedding(be, m->t, m->emb0, B, c->emb_in);
    dense_rows_forward(be, &m->fc_t1, m->emb0, m->a1, B);
    op->swish_forward(be, m->a1, m->e1, (long long)B * c->emb_mid);
    dense_rows_forward(be, &m->fc_t2, m->e1, m->a2, B);
    op->swish_forward(be, m->a2, m->e2, (long long)B * c->emb_out);

    if (m->dropout_armed) draw_dropout(m);
    const real_t *x = m->x0;
    for (int n = 0; n < c->num_res_layers; n++) {
        real_t *x_out = n % 2 == 0 ? m->xa : m->xb;
        block_forward(m, &m->blocks[n], x, x_out, n == 0, n == c->num_res_layers - 1);
        x = x_out;
    }

    long long BSL = (long long)B * S * L;
    op->axpby(be, BSL, 0.0, m->skip, sqrt(1.0 / c->num_res_layers), m->skip);
    conv1x1_forward(be, m->final1.w, m->skip, m->f1, B, S, S, L, 0.0);
    op->add_bias(be, m->f1, m->final1.b, B, S, L);
    op->relu_forward(be, m->f1, m->f1, BSL);
    conv1x1_forward(be, m->final2.w, m->f1, eps_out, B, c->out_channels, S, L, 0.0);
    op->add_bias(be, eps_out, m->final2.b, B, c->out_channels, L);
    /* What this forward derived from the weights stays valid only while they are fixed. */
    m->derived_fresh = m->weights_fixed;
    m->dropout_armed = 0;
}
