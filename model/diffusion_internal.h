/* The diffusion context's private layout, shared by diffusion.c (Gaussian
 * diffusion of the id and bits encodings, and the entry points) and
 * diffusion_masked.c (masked discrete diffusion). */
#ifndef SSSD_MODEL_DIFFUSION_INTERNAL_H
#define SSSD_MODEL_DIFFUSION_INTERNAL_H

#include "diffusion.h"

struct diffusion_context {
    sssd_model *m;
    backend *be;
    diffusion_schedule s;
    int L, max_batch;
    int encoding, V;           /* model/encoding.h; V = vocabulary size */
    int cin, cout;             /* the network's input and output channels */
    /* backend memory; "in" = (B, cin, L), "out" = (B, cout, L) */
    real_t *x0, *mask;         /* in: encoded observed values, mask per row */
    real_t *cond;              /* (B, 2 cin, L) */
    real_t *eps, *z, *xt, *noise;  /* in */
    real_t *eps_hat, *dpred;   /* out: the network's output and its gradient */
    real_t *weight;            /* (B, L) cross-entropy weights (masked encoding) */
    int32_t *target;           /* (B, L) classes 0..V-1 (masked encoding) */
    real_t *abar;              /* (T) */
    int32_t *t;                /* (B) the model's steps */
    int32_t *t_rows;           /* (B cin) the step of each row (Gaussian per-row operations) */
    /* host staging */
    real_t *h_x0, *h_mask, *h_cond, *h_out, *h_weight;
    int32_t *h_target, *h_t, *h_t_rows;
    /* masked encoding, training as a product of experts (diffusion.h) */
    diffusion_train_prior_fn train_prior;
    void *train_prior_user;
    double train_prior_weight;
    real_t *prior_logits;      /* out: w logp at hidden positions, 0 elsewhere; allocated on first use */
    int prior_input;           /* the n-gram's probabilities enter the network at hidden positions */
};

/* Uniform integer in [0, n) from a 32-bit draw (multiply-shift: no modulo bias worth naming). */
static inline uint32_t uniform_below(uint32_t bits, uint32_t n) { return (uint32_t)(((uint64_t)bits * n) >> 32); }

void diffusion_check_batch(const diffusion_context *d, int B);

/* The masked encoding's training step, validation loss and sampler (diffusion_masked.c). */
double masked_train_step(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window,
                         uint64_t seed, uint64_t iteration, long long first, double *count_out);
double masked_eval_loss(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *window_ids,
                        uint64_t seed, double *hidden_out);
void masked_sample(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                   const diffusion_sample_options *opt, float *out);

#endif
