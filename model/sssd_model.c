/* The model's tensor table (SSSD's state_dict names and PyTorch shapes), its
 * flat buffers (parameters, gradients, Adam moments, frozen buffers, derived
 * weight-norm weights) and every activation, all allocated once in
 * sssd_model_create. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sssd_internal.h"

/* ---------------- tensor table ---------------- */

static int add_tensor(sssd_model *m, int trainable, int ndim, const int *shape, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int add_tensor(sssd_model *m, int trainable, int ndim, const int *shape, const char *fmt, ...) {
    if (m->ntensors == m->cap_tensors) {
        m->cap_tensors = m->cap_tensors ? 2 * m->cap_tensors : 64;
        m->tensors = xrealloc(m->tensors, (size_t)m->cap_tensors * sizeof *m->tensors);
    }
    sssd_tensor_info *t = &m->tensors[m->ntensors];
    memset(t, 0, sizeof *t);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->name, sizeof t->name, fmt, ap);
    va_end(ap);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->count *= shape[i];
    }
    t->trainable = trainable;
    if (trainable) {
        t->offset = m->nparams;
        m->nparams += t->count;
    } else {
        t->offset = m->nbuffers;
        m->nbuffers += t->count;
    }
    return m->ntensors++;
}

#define SHAPE(...) ((const int[]){__VA_ARGS__})
#define NDIM(...) ((int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)))
#define ADD(trainable, name_fmt, ...) add_tensor(m, trainable, NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__), "%s/%s", prefix, name_fmt)

/* Weight-norm Conv1d: PyTorch's state_dict lists bias, weight_g, weight_v. */
static void table_wn_conv(sssd_model *m, wn_conv *c, const char *prefix, int O, int I, int k) {
    c->O = O;
    c->I = I;
    c->k = k;
    c->t_bias = ADD(1, "bias", O);
    c->t_g = ADD(1, "weight_g", O, 1, 1);
    c->t_v = ADD(1, "weight_v", O, I, k);
    m->nderived += (long long)O * I * k + O;
}

static void table_dense(sssd_model *m, dense *d, const char *prefix, int O, int I, int conv_shape, int bias_2d) {
    d->O = O;
    d->I = I;
    d->t_w = conv_shape ? ADD(1, "weight", O, I, 1) : ADD(1, "weight", O, I);
    d->t_b = bias_2d ? ADD(1, "bias", O, 1) : ADD(1, "bias", O);
}

static void table_s4(sssd_model *m, s4_layer *s, const char *layer_prefix) {
    const sssd_config *c = &m->cfg;
    int H = 2 * c->res_channels, N2 = c->s4_d_state / 2, F = c->s4_lmax / 2 + 1;
    char prefix[160];
    s->H = H;
    snprintf(prefix, sizeof prefix, "%s/s4_layer", layer_prefix);
    s->t_D = ADD(1, "D", 1, H);
    snprintf(prefix, sizeof prefix, "%s/s4_layer/kernel/kernel", layer_prefix);
    s->t_C = ADD(1, "C", 2, H, N2, 2);
    /* omega and z: SSSD's cached FFT nodes, kept only so PyTorch's
     * load_state_dict accepts the file; the kernel recomputes them. */
    s->t_omega = ADD(0, "omega", F, 2);
    s->t_z = ADD(0, "z", F, 2);
    s->t_log_dt = ADD(0, "log_dt", H);
    s->t_B = ADD(0, "B", 1, H, N2, 2);
    s->t_P = ADD(0, "P", 1, H, N2, 2);
    s->t_w = ADD(0, "w", H, N2, 2);
    s->t_Q = ADD(0, "Q", 1, H, N2, 2);
    snprintf(prefix, sizeof prefix, "%s/s4_layer/output_linear", layer_prefix);
    table_dense(m, &s->out, prefix, H, H, 0, 1);
    snprintf(prefix, sizeof prefix, "%s/norm_layer", layer_prefix);
    s->t_ln_w = ADD(1, "weight", H);
    s->t_ln_b = ADD(1, "bias", H);
}

/* In the order of SSSD's state_dict (module registration order, parameters
 * before buffers within a module). */
static void build_table(sssd_model *m) {
    const sssd_config *c = &m->cfg;
    int C = c->res_channels, S = c->skip_channels;
    char prefix[160];
    table_wn_conv(m, &m->init_conv, "init_conv/0/conv", C, c->in_channels, 1);
    table_dense(m, &m->fc_t1, "residual_layer/fc_t1", c->emb_mid, c->emb_in, 0, 0);
    table_dense(m, &m->fc_t2, "residual_layer/fc_t2", c->emb_out, c->emb_mid, 0, 0);
    for (int n = 0; n < c->num_res_layers; n++) {
        res_block *b = &m->blocks[n];
        char bp[128];
        snprintf(bp, sizeof bp, "residual_layer/residual_blocks/%d", n);
        snprintf(prefix, sizeof prefix, "%s/fc_t", bp);
        table_dense(m, &b->fc_t, prefix, C, c->emb_out, 0, 0);
        snprintf(prefix, sizeof prefix, "%s/S41", bp);
        table_s4(m, &b->s41, prefix);
        snprintf(prefix, sizeof prefix, "%s/conv_layer/conv", bp);
        table_wn_conv(m, &b->conv, prefix, 2 * C, C, 3);
        snprintf(prefix, sizeof prefix, "%s/S42", bp);
        table_s4(m, &b->s42, prefix);
        snprintf(prefix, sizeof prefix, "%s/cond_conv/conv", bp);
        table_wn_conv(m, &b->cond, prefix, 2 * C, 2 * c->in_channels, 1);
        snprintf(prefix, sizeof prefix, "%s/res_conv", bp);
        table_wn_conv(m, &b->res, prefix, C, C, 1);
        snprintf(prefix, sizeof prefix, "%s/skip_conv", bp);
        table_wn_conv(m, &b->skip, prefix, S, C, 1);
    }
    table_wn_conv(m, &m->final1, "final_conv/0/conv", S, S, 1);
    table_dense(m, &m->final2, "final_conv/2/conv", c->out_channels, S, 1, 0);
}

/* ---------------- pointers into the flat buffers ---------------- */

static real_t *param_ptr(sssd_model *m, int t) { return m->params + m->tensors[t].offset; }
static real_t *grad_ptr(sssd_model *m, int t) { return m->grads ? m->grads + m->tensors[t].offset : NULL; }
static real_t *buffer_ptr(sssd_model *m, int t) { return m->buffers + m->tensors[t].offset; }

static void bind_wn_conv(sssd_model *m, wn_conv *c, long long *derived_cursor) {
    c->b = param_ptr(m, c->t_bias);
    c->g = param_ptr(m, c->t_g);
    c->v = param_ptr(m, c->t_v);
    c->db = grad_ptr(m, c->t_bias);
    c->dg = grad_ptr(m, c->t_g);
    c->dv = grad_ptr(m, c->t_v);
    long long n = (long long)c->O * c->I * c->k;
    c->w = m->derived + *derived_cursor;
    c->dw = m->dderived ? m->dderived + *derived_cursor : NULL;
    c->norms = m->derived + *derived_cursor + n;
    *derived_cursor += n + c->O;
}

static void bind_dense(sssd_model *m, dense *d) {
    d->w = param_ptr(m, d->t_w);
    d->b = param_ptr(m, d->t_b);
    d->dw = grad_ptr(m, d->t_w);
    d->db = grad_ptr(m, d->t_b);
}

static void *model_alloc(sssd_model *m, size_t bytes) {
    m->bytes += bytes;
    return m->be->ops->alloc(m->be, bytes);
}

static real_t *alloc_reals(sssd_model *m, long long n) { return model_alloc(m, (size_t)(n > 0 ? n : 1) * sizeof(real_t)); }

/* share: the S4 layer whose activation buffers this one reuses (forward
 * only), or NULL to allocate its own. */
static void bind_s4(sssd_model *m, s4_layer *s, const s4_layer *share) {
    const sssd_config *c = &m->cfg;
    long long BHL = (long long)m->max_batch * s->H * c->s4_lmax;
    s->C = param_ptr(m, s->t_C);
    s->dC = grad_ptr(m, s->t_C);
    s->D = param_ptr(m, s->t_D);
    s->dD = grad_ptr(m, s->t_D);
    bind_dense(m, &s->out);
    s->ln_w = param_ptr(m, s->t_ln_w);
    s->ln_b = param_ptr(m, s->t_ln_b);
    s->dln_w = grad_ptr(m, s->t_ln_w);
    s->dln_b = grad_ptr(m, s->t_ln_b);
    s->fz.H = s->H;
    s->fz.N2 = c->s4_d_state / 2;
    s->fz.L = c->s4_lmax;
    s->fz.log_dt = buffer_ptr(m, s->t_log_dt);
    s->fz.w = buffer_ptr(m, s->t_w);
    s->fz.B = buffer_ptr(m, s->t_B);
    s->fz.P = buffer_ptr(m, s->t_P);
    s->fz.Q = buffer_ptr(m, s->t_Q);
    s->K = alloc_reals(m, 2LL * s->H * c->s4_lmax); /* kept across passes while the weights are fixed */
    s->dK = m->inference ? NULL : alloc_reals(m, 2LL * s->H * c->s4_lmax);
    if (share) {
        s->y = share->y;
        s->g = share->g;
        s->r = share->r;
        s->mean = share->mean;
        s->rstd = share->rstd;
        return;
    }
    s->y = alloc_reals(m, BHL);
    s->g = alloc_reals(m, BHL);
    s->r = alloc_reals(m, BHL);
    s->mean = alloc_reals(m, (long long)m->max_batch * c->s4_lmax);
    s->rstd = alloc_reals(m, (long long)m->max_batch * c->s4_lmax);
}

/* inference: forward only (sssd_model_create_inference). A block's
 * activations live from its input to its output, and an S4 layer's from its
 * input to its layer norm, so without a backward pass one set serves every
 * block and both S4 layers of a block; the S4 kernels K stay per layer. */
static sssd_model *create_model(const sssd_config *cfg, backend *be, int max_batch, int inference) {
    error_info err;
    if (sssd_config_validate(cfg, &err)) die("invalid model configuration: %s", err.message);
    if (max_batch < 1) die("sssd_model_create: max_batch must be at least 1 (got %d)", max_batch);
    sssd_model *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    m->be = be;
    m->max_batch = max_batch;
    m->inference = inference;
    const sssd_config *c = &m->cfg;
    m->blocks = xcalloc((size_t)c->num_res_layers, sizeof *m->blocks);
    build_table(m);

    m->params = alloc_reals(m, m->nparams);
    m->buffers = alloc_reals(m, m->nbuffers);
    m->derived = alloc_reals(m, m->nderived);
    if (!inference) {
        m->grads = alloc_reals(m, m->nparams);
        m->adam_m = alloc_reals(m, m->nparams);
        m->adam_v = alloc_reals(m, m->nparams);
        m->dderived = alloc_reals(m, m->nderived);
    }

    long long cursor = 0;
    bind_wn_conv(m, &m->init_conv, &cursor);
    bind_dense(m, &m->fc_t1);
    bind_dense(m, &m->fc_t2);
    int Bm = max_batch, C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, H = 2 * C;
    long long BCL = (long long)Bm * C * L, BHL = (long long)Bm * H * L, BSL = (long long)Bm * S * L;
    for (int n = 0; n < c->num_res_layers; n++) {
        res_block *b = &m->blocks[n];
        bind_dense(m, &b->fc_t);
        bind_wn_conv(m, &b->conv, &cursor);
        bind_wn_conv(m, &b->cond, &cursor);
        bind_wn_conv(m, &b->res, &cursor);
        bind_wn_conv(m, &b->skip, &cursor);
        const res_block *first = &m->blocks[0];
        int shared = inference && n > 0;
        bind_s4(m, &b->s41, shared ? &first->s41 : NULL);
        bind_s4(m, &b->s42, inference ? &b->s41 : NULL);
        if (shared) {
            b->h0 = first->h0;
            b->h1 = first->h1;
            b->h3 = first->h3;
            b->h4 = first->h4;
            b->out = first->out;
            continue;
        }
        b->h0 = alloc_reals(m, BCL);
        b->h1 = alloc_reals(m, BHL);
        b->h3 = alloc_reals(m, BHL);
        b->h4 = alloc_reals(m, BHL);
        b->out = alloc_reals(m, BCL);
    }
    bind_wn_conv(m, &m->final1, &cursor);
    bind_dense(m, &m->final2);

    m->noisy = alloc_reals(m, (long long)Bm * c->in_channels * L);
    m->cond = alloc_reals(m, (long long)Bm * 2 * c->in_channels * L);
    m->t = model_alloc(m, (size_t)Bm * sizeof(int32_t));
    m->emb0 = alloc_reals(m, (long long)Bm * c->emb_in);
    m->a1 = alloc_reals(m, (long long)Bm * c->emb_mid);
    m->e1 = alloc_reals(m, (long long)Bm * c->emb_mid);
    m->a2 = alloc_reals(m, (long long)Bm * c->emb_out);
    m->e2 = alloc_reals(m, (long long)Bm * c->emb_out);
    m->x0 = alloc_reals(m, BCL);
    m->xa = alloc_reals(m, BCL);
    m->xb = alloc_reals(m, BCL);
    m->skip = alloc_reals(m, BSL);
    m->f1 = alloc_reals(m, BSL);

    m->ws_t = alloc_reals(m, (long long)Bm * C);
    m->ws_cols = alloc_reals(m, 3 * BCL);
    if (inference) return m;
    m->ws_g = alloc_reals(m, BHL);
    m->ws_dr = alloc_reals(m, BHL);
    if (c->s4_dropout > 0) {
        long long per_layer = (long long)Bm * H, count = 2LL * c->num_res_layers * per_layer;
        m->ws_dz = alloc_reals(m, BHL);
        m->keep = alloc_reals(m, count);
        m->h_keep = xmalloc((size_t)count * sizeof(real_t));
        for (int n = 0; n < c->num_res_layers; n++) {
            m->blocks[n].s41.keep = m->keep + (2 * n) * per_layer;
            m->blocks[n].s42.keep = m->keep + (2 * n + 1) * per_layer;
        }
    }
    m->ws_d1 = alloc_reals(m, BHL);
    m->ws_d2 = alloc_reals(m, BHL);
    m->ws_dout = alloc_reals(m, BCL);
    m->ws_dx = alloc_reals(m, BCL);
    m->ws_dskip = alloc_reals(m, BSL);
    m->ws_df = alloc_reals(m, BSL);
    m->ws_de1 = alloc_reals(m, (long long)Bm * c->emb_mid);
    m->ws_de2 = alloc_reals(m, (long long)Bm * c->emb_out);
    return m;
}

sssd_model *sssd_model_create_uninitialised(const sssd_config *cfg, backend *be, int max_batch) {
    return create_model(cfg, be, max_batch, 0);
}

sssd_model *sssd_model_create_inference_uninitialised(const sssd_config *cfg, backend *be, int max_batch) {
    return create_model(cfg, be, max_batch, 1);
}

sssd_model *sssd_model_create(const sssd_config *cfg, backend *be, int max_batch, uint64_t seed) {
    sssd_model *m = sssd_model_create_uninitialised(cfg, be, max_batch);
    sssd_model_init_params(m, seed);
    return m;
}

sssd_model *sssd_model_create_inference(const sssd_config *cfg, backend *be, int max_batch, uint64_t seed) {
    sssd_model *m = sssd_model_create_inference_uninitialised(cfg, be, max_batch);
    sssd_model_init_params(m, seed);
    return m;
}

int sssd_model_inference_only(const sssd_model *m) { return m->inference; }

/* owner: the layer allocated its activation buffers (not shared). */
static void free_s4(sssd_model *m, s4_layer *s, int owner) {
    backend *be = m->be;
    be->ops->free(be, s->K);
    if (s->dK) be->ops->free(be, s->dK);
    if (!owner) return;
    be->ops->free(be, s->y);
    be->ops->free(be, s->g);
    be->ops->free(be, s->r);
    be->ops->free(be, s->mean);
    be->ops->free(be, s->rstd);
}

void sssd_model_free(sssd_model *m) {
    if (!m) return;
    backend *be = m->be;
    void *owned[] = {m->params, m->grads, m->adam_m, m->adam_v, m->buffers, m->derived, m->dderived, m->noisy,
                     m->cond, m->t, m->emb0, m->a1, m->e1, m->a2, m->e2, m->x0, m->xa, m->xb, m->skip, m->f1,
                     m->ws_t, m->ws_cols, m->ws_g, m->ws_dr, m->ws_d1, m->ws_d2, m->ws_dout, m->ws_dx,
                     m->ws_dskip, m->ws_df, m->ws_de1, m->ws_de2};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (owned[i]) be->ops->free(be, owned[i]); /* forward-only models lack the training buffers */
    if (m->ws_dz) be->ops->free(be, m->ws_dz);
    if (m->keep) be->ops->free(be, m->keep);
    free(m->h_keep);
    for (int n = 0; n < m->cfg.num_res_layers; n++) {
        res_block *b = &m->blocks[n];
        int owner = !m->inference || n == 0;
        free_s4(m, &b->s41, owner);
        free_s4(m, &b->s42, !m->inference);
        if (!owner) continue;
        void *acts[] = {b->h0, b->h1, b->h3, b->h4, b->out};
        for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) be->ops->free(be, acts[i]);
    }
    free(m->blocks);
    free(m->tensors);
    free(m);
}

/* ---------------- accessors ---------------- */

const sssd_config *sssd_model_config(const sssd_model *m) { return &m->cfg; }
backend *sssd_model_backend(const sssd_model *m) { return m->be; }
int sssd_model_max_batch(const sssd_model *m) { return m->max_batch; }
int sssd_model_tensor_count(const sssd_model *m) { return m->ntensors; }
const sssd_tensor_info *sssd_model_tensor(const sssd_model *m, int i) {
    return i >= 0 && i < m->ntensors ? &m->tensors[i] : NULL;
}
const sssd_tensor_info *sssd_model_find_tensor(const sssd_model *m, const char *name) {
    for (int i = 0; i < m->ntensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}
long long sssd_model_num_params(const sssd_model *m) { return m->nparams; }
long long sssd_model_num_buffers(const sssd_model *m) { return m->nbuffers; }
real_t *sssd_model_params(sssd_model *m) { return m->params; }
real_t *sssd_model_grads(sssd_model *m) { return m->grads; }
real_t *sssd_model_adam_m(sssd_model *m) { return m->adam_m; }
real_t *sssd_model_adam_v(sssd_model *m) { return m->adam_v; }
real_t *sssd_model_buffers(sssd_model *m) { return m->buffers; }

void sssd_model_parameters_changed(sssd_model *m) { m->derived_fresh = 0; }

void sssd_model_set_weights_fixed(sssd_model *m, int fixed) {
    fixed = fixed != 0;
    if (fixed == m->weights_fixed) return;
    m->weights_fixed = fixed;
    m->derived_fresh = 0;
}

int sssd_model_weights_fixed(const sssd_model *m) { return m->weights_fixed; }

void sssd_model_arm_dropout(sssd_model *m, uint64_t seed, uint64_t stream, long long first) {
    if (m->inference) die("sssd_model_arm_dropout: this model runs forward only (sssd_model_create_inference)");
    m->dropout_armed = m->cfg.s4_dropout > 0;
    m->dropout_seed = seed;
    m->dropout_stream = stream;
    m->dropout_first = first;
}

void sssd_zero_grads(sssd_model *m) {
    if (m->inference) die("sssd_zero_grads: this model runs forward only (sssd_model_create_inference)");
    m->be->ops->zero(m->be, m->grads, (size_t)m->nparams * sizeof(real_t));
}

size_t sssd_model_memory_bytes(const sssd_model *m) { return m->bytes; }
