/* The backward pass of the network: gradients of sum(eps_out * d_eps) with
 * respect to every trainable tensor, accumulated into the gradient buffer,
 * from the activations the last sssd_forward kept. Weight-norm convolutions
 * get the gradient of their effective weight first (derived buffer), then
 * weight_norm_backward turns it into g and v gradients. */
#include <math.h>

#include "sssd_internal.h"

static void wn_backward(backend *be, wn_conv *c) {
    be->ops->weight_norm_backward(be, c->v, c->g, c->norms, c->dw, c->dv, c->dg, c->O, c->I * c->k);
}

/* nn.Linear on a (B, I) batch: dW += dy^T x, db += sum dy, dx (+)= dy W. */
static void dense_rows_backward(backend *be, const dense *d, const real_t *x, const real_t *dy, real_t *dx, int B,
                                double dx_beta) {
    be->ops->gemm(be, 1, 0, d->O, d->I, B, 1.0, dy, d->O, 0, x, d->I, 0, 1.0, d->dw, d->I, 0, 1);
    be->ops->bias_grad(be, dy, d->db, B, d->O, 1);
    if (dx) be->ops->gemm(be, 0, 0, B, d->I, d->O, 1.0, dy, d->O, 0, d->w, d->I, 0, dx_beta, dx, d->I, 0, 1);
}

/* From dout (gradient of the layer output) to du (overwrite). */
static void s4_layer_backward(sssd_model *m, s4_layer *s, const real_t *u, const real_t *dout, real_t *du) {
    backend *be = m->be;
    const backend_ops *op = be->ops;
    int B = m->B, H = s->H, L = m->cfg.s4_lmax;
    long long n = (long long)B * H * L;
    real_t *dr = m->ws_dr, *g = m->ws_g;
    op->layernorm_backward(be, s->r, s->ln_w, s->mean, s->rstd, dout, dr, s->dln_w, s->dln_b, B, H, L);
    /* r = keep (W GELU(y) + b) + u: the dropped rows pass no gradient to the layer */
    const real_t *dz = dr;
    if (s->dropped) {
        op->scale_channels(be, dr, s->keep, m->ws_dz, B, H, L);
        dz = m->ws_dz;
    }
    op->bias_grad(be, dz, s->out.db, B, H, L);
    conv1x1_weight_grad(be, dz, s->g, s->out.dw, B, H, H, L, 1.0);
    conv1x1_input_grad(be, s->out.w, dz, g, B, H, H, L, 0.0);
    op->gelu_backward(be, s->y, g, g, n);
    op->zero(be, s->dK, 2 * (size_t)H * L * sizeof(real_t));
    op->s4_conv_backward(be, u, s->K, s->D, g, du, s->dK, s->dD, B, H, L);
    op->s4_kernel_backward(be, s->fz, s->dK, s->dC);
    op->axpby(be, n, 1.0, dr, 1.0, du);
}

/* dx holds the gradient of this block's output x_out on entry and of its
 * input x_in on return; dskip the gradient of its skip output. */
static void block_backward(sssd_model *m, res_block *b, int last) {
    backend *be = m->be;
    const backend_ops *op = be->ops;
    const sssd_config *c = &m->cfg;
    int B = m->B, C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, H = 2 * C;
    long long BCL = (long long)B * C * L;
    real_t *dx = m->ws_dx, *dout = m->ws_dout;

    /* skip = W_skip out + b */
    op->bias_grad(be, m->ws_dskip, b->skip.db, B, S, L);
    conv1x1_weight_grad(be, m->ws_dskip, b->out, b->skip.dw, B, S, C, L, 0.0);
    conv1x1_input_grad(be, b->skip.w, m->ws_dskip, dout, B, S, C, L, 0.0);
    /* x_out = (x_in + W_res out + b) sqrt(1/2): both paths see dx sqrt(1/2) */
    if (!last) {
        op->axpby(be, BCL, 0.0, dx, M_SQRT1_2, dx);
        op->bias_grad(be, dx, b->res.db, B, C, L);
        conv1x1_weight_grad(be, dx, b->out, b->res.dw, B, C, C, L, 0.0);
        conv1x1_input_grad(be, b->res.w, dx, dout, B, C, C, L, 1.0);
    } else {
        op->zero(be, b->res.dw, (size_t)C * C * sizeof(real_t));
    }
    op->gate_backward(be, b->h4, dout, m->ws_d1, B, C, L);
    s4_layer_backward(m, &b->s42, b->h3, m->ws_d1, m->ws_d2);
    /* h3 = S41(h1) + W_cond cond + b */
    op->bias_grad(be, m->ws_d2, b->cond.db, B, H, L);
    conv1x1_weight_grad(be, m->ws_d2, m->cond, b->cond.dw, B, H, 2 * c->in_channels, L, 0.0);
    s4_layer_backward(m, &b->s41, b->h1, m->ws_d2, m->ws_d1);
    /* h1 = W_conv im2col(h0) + b */
    op->bias_grad(be, m->ws_d1, b->conv.db, B, H, L);
    op->im2col_k3(be, b->h0, m->ws_cols, B, C, L);
    conv1x1_weight_grad(be, m->ws_d1, m->ws_cols, b->conv.dw, B, H, 3 * C, L, 0.0);
    conv1x1_input_grad(be, b->conv.w, m->ws_d1, m->ws_cols, B, H, 3 * C, L, 0.0);
    real_t *dh0 = dout; /* the gate-output gradient is no longer needed */
    op->zero(be, dh0, (size_t)BCL * sizeof(real_t));
    op->col2im_k3(be, m->ws_cols, dh0, B, C, L);
    /* h0 = x_in + fc_t(e) broadcast over L */
    if (last) op->copy(be, dx, dh0, (size_t)BCL * sizeof(real_t));
    else op->axpby(be, BCL, 1.0, dh0, 1.0, dx);
    op->sum_over_length(be, dh0, m->ws_t, B, C, L);
    dense_rows_backward(be, &b->fc_t, m->e2, m->ws_t, m->ws_de2, B, 1.0);

    wn_backward(be, &b->conv);
    wn_backward(be, &b->cond);
    wn_backward(be, &b->res);
    wn_backward(be, &b->skip);
}

void sssd_backward(sssd_model *m, const real_t *d_eps) {
    if (m->inference) die("sssd_backward: this model runs forward only (sssd_model_create_inference)");
    backend *be = m->be;
    const backend_ops *op = be->ops;
    const sssd_config *c = &m->cfg;
    int B = m->B, C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, out = c->out_channels;
    long long BSL = (long long)B * S * L, BCL = (long long)B * C * L;
    if (B < 1) die("sssd_backward called before sssd_forward");

    /* eps = W2 f1 + b2; f1 = ReLU(W1 skip + b1) */
    op->bias_grad(be, d_eps, m->final2.db, B, out, L);
    conv1x1_weight_grad(be, d_eps, m->f1, m->final2.dw, B, out, S, L, 1.0);
    conv1x1_input_grad(be, m->final2.w, d_eps, m->ws_df, B, out, S, L, 0.0);
    op->relu_backward(be, m->f1, m->ws_df, m->ws_df, BSL);
    op->bias_grad(be, m->ws_df, m->final1.db, B, S, L);
    conv1x1_weight_grad(be, m->ws_df, m->skip, m->final1.dw, B, S, S, L, 0.0);
    conv1x1_input_grad(be, m->final1.w, m->ws_df, m->ws_dskip, B, S, S, L, 0.0);
    wn_backward(be, &m->final1);
    /* skip = sqrt(1/layers) sum of block skips */
    op->axpby(be, BSL, 0.0, m->ws_dskip, sqrt(1.0 / c->num_res_layers), m->ws_dskip);

    op->zero(be, m->ws_de2, (size_t)B * c->emb_out * sizeof(real_t));
    for (int n = c->num_res_layers - 1; n >= 0; n--) block_backward(m, &m->blocks[n], n == c->num_res_layers - 1);

    /* x0 = ReLU(W_init noisy + b) */
    op->relu_backward(be, m->x0, m->ws_dx, m->ws_dx, BCL);
    op->bias_grad(be, m->ws_dx, m->init_conv.db, B, C, L);
    conv1x1_weight_grad(be, m->ws_dx, m->noisy, m->init_conv.dw, B, C, c->in_channels, L, 0.0);
    wn_backward(be, &m->init_conv);

    /* e2 = swish(a2), a2 = fc_t2(e1), e1 = swish(a1), a1 = fc_t1(emb0) */
    op->swish_backward(be, m->a2, m->ws_de2, m->ws_de2, (long long)B * c->emb_out);
    dense_rows_backward(be, &m->fc_t2, m->e1, m->ws_de2, m->ws_de1, B, 0.0);
    op->swish_backward(be, m->a1, m->ws_de1, m->ws_de1, (long long)B * c->emb_mid);
    dense_rows_backward(be, &m->fc_t1, m->emb0, m->ws_de1, NULL, B, 0.0);
}
