/* The model's private layout, shared by sssd_model.c (tensor table and
 * allocation), sssd_init.c, sssd_forward.c and sssd_backward.c: named
 * pointers into the flat parameter, gradient, buffer and activation memory
 * (llm.c style), with the shapes in comments. */
#ifndef SSSD_MODEL_INTERNAL_H
#define SSSD_MODEL_INTERNAL_H

#include "sssd.h"

/* A weight-normalised 1-D convolution (PyTorch weight_norm, dim 0):
 * w = g v / |v| per output row, computed into `w` at every forward. */
typedef struct wn_conv {
    int O, I, k;
    int t_bias, t_g, t_v;      /* tensor-table indices */
    real_t *g, *v, *b;         /* params: g (O,1,1), v (O,I,k), b (O) */
    real_t *dg, *dv, *db;      /* their gradients */
    real_t *w, *norms;         /* derived: effective weight (O, I*k), row norms (O) */
    real_t *dw;                /* gradient of the effective weight (O, I*k) */
} wn_conv;

/* A dense layer y = W x + b: nn.Linear (W (O,I), b (O)), TransposedLinear
 * (b (O,1)) or a plain 1x1 Conv1d (W (O,I,1)). */
typedef struct dense {
    int O, I;
    int t_w, t_b;
    real_t *w, *b, *dw, *db;
} dense;

/* S4Layer(H): y = LayerNorm(drop(output_linear(GELU(s4_conv(u, K(C), D)))) + u),
 * drop: channel dropout (s4_dropout) in training forwards, else nothing. */
typedef struct s4_layer {
    int H;
    int t_C, t_D, t_ln_w, t_ln_b, t_omega, t_z, t_log_dt, t_B, t_P, t_w, t_Q;
    real_t *C, *dC;            /* (2, H, N2, 2) trainable */
    real_t *D, *dD;            /* (1, H) */
    dense out;                 /* output_linear: (H, H), bias (H, 1) */
    real_t *ln_w, *ln_b, *dln_w, *dln_b;  /* (H) */
    s4_frozen fz;              /* pointers into the frozen buffers */
    real_t *K, *dK;            /* (2, H, L): this forward's kernel, its gradient */
    real_t *y;                 /* (B, H, L) s4_conv output (GELU input) */
    real_t *g;                 /* (B, H, L) GELU output (kept: recomputing erf costs more than the memory) */
    real_t *r;                 /* (B, H, L) LayerNorm input */
    real_t *mean, *rstd;       /* (B, L) */
    real_t *keep;              /* (B, H) channel dropout's factors, 0 or 1/(1-p): its part of the model's keep */
    int dropped;               /* the last forward applied them */
} s4_layer;

typedef struct res_block {
    dense fc_t;                /* (C, emb_out) */
    wn_conv conv;              /* (2C, C, 3) */
    s4_layer s41, s42;         /* H = 2C */
    wn_conv cond;              /* (2C, 2 in, 1) */
    wn_conv res;               /* (C, C, 1) */
    wn_conv skip;              /* (S, C, 1) */
    real_t *h0;                /* (B, C, L)  x + fc_t(e) */
    real_t *h1;                /* (B, 2C, L) conv output = S41 input */
    real_t *h3;                /* (B, 2C, L) S41 output + cond = S42 input */
    real_t *h4;                /* (B, 2C, L) S42 output = gate input */
    real_t *out;               /* (B, C, L)  gate output */
} res_block;

struct sssd_model {
    sssd_config cfg;
    backend *be;
    int max_batch;
    int ntensors, cap_tensors;
    sssd_tensor_info *tensors;
    long long nparams, nbuffers, nderived;
    real_t *params, *grads, *adam_m, *adam_v, *buffers;
    real_t *derived, *dderived;  /* effective weight-norm weights and norms; their gradients */
    size_t bytes;                /* backend memory held */
    int inference;               /* forward only: no gradients, optimizer state or backward workspace, and every
                                  * block uses block 0's activation buffers (sssd_model_create_inference) */

    wn_conv init_conv;           /* (C, in, 1) */
    dense fc_t1, fc_t2;          /* (mid, in_emb), (out_emb, mid) */
    res_block *blocks;
    wn_conv final1;              /* (S, S, 1) */
    dense final2;                /* (out, S, 1) zero-initialised */

    int weights_fixed;           /* sssd_model_set_weights_fixed */
    int dropout_armed;           /* sssd_model_arm_dropout: the next forward drops channels */
    uint64_t dropout_seed, dropout_stream;
    long long dropout_first;
    real_t *keep, *h_keep;       /* (2 layers, max_batch, 2C) channel dropout's factors, and their host staging
                                  * (allocated when s4_dropout > 0) */
    int derived_fresh;           /* S4 kernels and weight-norm weights match the weights (only kept while fixed) */

    /* activations of the last forward (batch B) */
    int B;
    real_t *noisy;               /* (B, in, L) copy of the input */
    real_t *cond;                /* (B, 2 in, L) copy */
    int32_t *t;                  /* (B) copy */
    real_t *emb0;                /* (B, emb_in) */
    real_t *a1, *e1;             /* (B, emb_mid) pre- and post-swish */
    real_t *a2, *e2;             /* (B, emb_out) */
    real_t *x0;                  /* (B, C, L) init conv output after ReLU */
    real_t *xa, *xb;             /* (B, C, L) block inputs/outputs, ping-pong */
    real_t *skip;                /* (B, S, L) scaled skip sum */
    real_t *f1;                  /* (B, S, L) final conv output after ReLU */

    /* workspaces (no allocation happens during a step) */
    real_t *ws_t;                /* (B, C) fc_t output */
    real_t *ws_cols;             /* (B, 3C, L) im2col / its gradient */
    real_t *ws_g;                /* (B, 2C, L) GELU-output gradient */
    real_t *ws_dr;               /* (B, 2C, L) LayerNorm input gradient */
    real_t *ws_dz;               /* (B, 2C, L) gradient behind channel dropout (when s4_dropout > 0) */
    real_t *ws_d1, *ws_d2;       /* (B, 2C, L) block gradients */
    real_t *ws_dout;             /* (B, C, L) gate-output gradient, then h0's */
    real_t *ws_dx;               /* (B, C, L) residual-stream gradient */
    real_t *ws_dskip;            /* (B, S, L) */
    real_t *ws_df;               /* (B, S, L) final conv gradient */
    real_t *ws_de1, *ws_de2;     /* (B, emb_mid), (B, emb_out) */
};

/* Table and memory without initialisation (all zero), for checkpoint loading:
 * the S4 initialisation of a paper-size model takes seconds. */
sssd_model *sssd_model_create_uninitialised(const sssd_config *cfg, backend *be, int max_batch);
/* The same for a model that only runs forward (sssd.h: sssd_model_create_inference). */
sssd_model *sssd_model_create_inference_uninitialised(const sssd_config *cfg, backend *be, int max_batch);

/* Parameter initialisation (sssd_init.c), on a model whose table and memory exist. */
void sssd_model_init_params(sssd_model *m, uint64_t seed);

/* Batched 1x1 convolution helpers shared by forward and backward
 * (sssd_forward.c): y_b = W x_b (+ beta y_b) for every item of a (B, I, L) batch. */
void conv1x1_forward(backend *be, const real_t *W, const real_t *x, real_t *y, int B, int O, int I, int L,
                     double beta);
/* dW (+)= sum_b dy_b x_b^T, first item with beta_first (0 overwrite, 1 accumulate) */
void conv1x1_weight_grad(backend *be, const real_t *dy, const real_t *x, real_t *dW, int B, int O, int I, int L,
                         double beta_first);
/* dx_b (+)= W^T dy_b */
void conv1x1_input_grad(backend *be, const real_t *W, const real_t *dy, real_t *dx, int B, int O, int I, int L,
                        double beta);

#endif
