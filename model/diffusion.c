/* DDPM schedule, masked training loss and the DDPM/DDIM samplers
 * (see diffusion.h). Everything heavy runs on the model's backend through the
 * ops table; the host only prepares small per-batch inputs. */
#include "diffusion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffusion_internal.h"
#include "encoding.h"
#include "philox.h"

/* ---------------- schedule ---------------- */

void diffusion_schedule_init(diffusion_schedule *s, int T, double beta_0, double beta_T) {
    s->T = T;
    s->beta = xcalloc((size_t)T, sizeof(double));
    s->alpha = xcalloc((size_t)T, sizeof(double));
    s->abar = xcalloc((size_t)T, sizeof(double));
    s->sigma = xcalloc((size_t)T, sizeof(double));
    for (int t = 0; t < T; t++) {
        s->beta[t] = T == 1 ? beta_0 : beta_0 + (beta_T - beta_0) * (double)t / (double)(T - 1);
        s->alpha[t] = 1.0 - s->beta[t];
        s->abar[t] = t == 0 ? s->alpha[t] : s->abar[t - 1] * s->alpha[t];
        /* beta_tilde_0 stays beta_0 as in SSSD; it is never used (no noise at t = 0). */
        double beta_tilde = t == 0 ? s->beta[0] : s->beta[t] * (1.0 - s->abar[t - 1]) / (1.0 - s->abar[t]);
        s->sigma[t] = sqrt(beta_tilde);
    }
}

void diffusion_schedule_free(diffusion_schedule *s) {
    free(s->beta);
    free(s->alpha);
    free(s->abar);
    free(s->sigma);
    memset(s, 0, sizeof *s);
}

void diffusion_values_to_ids(const float *values, long long n, int clamp_to, int32_t *ids) {
    for (long long i = 0; i < n; i++) {
        double v = nearbyint((double)values[i]); /* default rounding mode: half to even */
        if (!(v == v)) v = clamp_to > 0 ? 1 : 0;  /* NaN (a diverged model): the smallest ID */
        if (clamp_to > 0) v = v < 1 ? 1 : v > clamp_to ? clamp_to : v;
        else v = v < -2147483647.0 ? -2147483647.0 : v > 2147483647.0 ? 2147483647.0 : v;
        ids[i] = (int32_t)v;
    }
}

/* ---------------- training and sampling context ---------------- */

diffusion_context *diffusion_context_create(sssd_model *m) {
    diffusion_context *d = xcalloc(1, sizeof *d);
    const sssd_config *cfg = sssd_model_config(m);
    d->m = m;
    d->be = sssd_model_backend(m);
    d->L = cfg->s4_lmax;
    d->max_batch = sssd_model_max_batch(m);
    d->encoding = cfg->encoding;
    d->V = cfg->vocab_size;
    d->cin = cfg->in_channels;
    d->cout = cfg->out_channels;
    diffusion_schedule_init(&d->s, cfg->T, cfg->beta_0, cfg->beta_T);
    backend *be = d->be;
    size_t BL = (size_t)d->max_batch * (size_t)d->L;
    size_t n_in = BL * (size_t)d->cin * sizeof(real_t), n_out = BL * (size_t)d->cout * sizeof(real_t);
    d->x0 = be->ops->alloc(be, n_in);
    d->mask = be->ops->alloc(be, n_in);
    d->cond = be->ops->alloc(be, 2 * n_in);
    d->eps = be->ops->alloc(be, n_in);
    d->z = be->ops->alloc(be, n_in);
    d->xt = be->ops->alloc(be, n_in);
    d->noise = be->ops->alloc(be, n_in);
    d->eps_hat = be->ops->alloc(be, n_out);
    d->dpred = be->ops->alloc(be, n_out);
    d->weight = be->ops->alloc(be, BL * sizeof(real_t));
    d->target = be->ops->alloc(be, BL * sizeof(int32_t));
    d->abar = be->ops->alloc(be, (size_t)cfg->T * sizeof(real_t));
    d->t = be->ops->alloc(be, (size_t)d->max_batch * sizeof(int32_t));
    d->t_rows = be->ops->alloc(be, (size_t)d->max_batch * (size_t)d->cin * sizeof(int32_t));
    d->h_x0 = xmalloc(n_in);
    d->h_mask = xmalloc(n_in);
    d->h_cond = xmalloc(2 * n_in);
    d->h_out = xmalloc(n_out > n_in ? n_out : n_in);
    d->h_weight = xmalloc(BL * sizeof(real_t));
    d->h_target = xmalloc(BL * sizeof(int32_t));
    d->h_t = xmalloc((size_t)d->max_batch * sizeof(int32_t));
    d->h_t_rows = xmalloc((size_t)d->max_batch * (size_t)d->cin * sizeof(int32_t));
    real_t *abar = xmalloc((size_t)cfg->T * sizeof(real_t));
    for (int i = 0; i < cfg->T; i++) abar[i] = (real_t)d->s.abar[i];
    be->ops->upload(be, d->abar, abar, (size_t)cfg->T * sizeof(real_t));
    free(abar);
    return d;
}

void diffusion_context_free(diffusion_context *d) {
    if (!d) return;
    backend *be = d->be;
    void *bufs[] = {d->x0,     d->mask,   d->cond,   d->eps,    d->z, d->xt, d->noise, d->eps_hat, d->dpred,
                    d->weight, d->target, d->abar,   d->t,      d->t_rows};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) be->ops->free(be, bufs[i]);
    if (d->prior_logits) be->ops->free(be, d->prior_logits);
    free(d->h_x0);
    free(d->h_mask);
    free(d->h_cond);
    free(d->h_out);
    free(d->h_weight);
    free(d->h_target);
    free(d->h_t);
    free(d->h_t_rows);
    diffusion_schedule_free(&d->s);
    free(d);
}

const diffusion_schedule *diffusion_context_schedule(const diffusion_context *d) { return &d->s; }

void diffusion_set_prior_input(diffusion_context *d, int on) {
    if (on && d->encoding != ENCODING_MASKED) die("diffusion_set_prior_input: the masked encoding only");
    d->prior_input = on != 0;
}

void diffusion_set_train_prior(diffusion_context *d, diffusion_train_prior_fn prior, void *user, double weight) {
    if (prior && d->encoding != ENCODING_MASKED) die("diffusion_set_train_prior: the masked encoding only");
    d->train_prior = prior;
    d->train_prior_user = user;
    d->train_prior_weight = weight;
    if (prior && weight > 0 && !d->prior_logits)
        d->prior_logits = d->be->ops->alloc(d->be, (size_t)d->max_batch * d->cout * d->L * sizeof(real_t));
}

void diffusion_check_batch(const diffusion_context *d, int B) {
    if (B < 1 || B > d->max_batch) die("diffusion: batch of %d windows, but the model was built for 1..%d", B, d->max_batch);
}

/* ---------------- Gaussian diffusion (id and bits encodings) ----------------
 * A window becomes ch = in_channels rows of L values: the raw ID (id) or the
 * -1/+1 bits of ID-1 (bits). The per-row operations of the backend then run
 * on B*ch rows, each row of window b at window b's step t_b. */

/* Stage x0 encoded (B, ch, L), masks (B, ch, L) and cond = [x0 m, m] (B, 2ch, L). */
static void upload_inputs(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window) {
    int L = d->L, ch = d->cin, bits = d->encoding == ENCODING_BITS ? ch : 0;
    float code[32];
    for (int b = 0; b < B; b++) {
        const float *mrow = mask + (mask_per_window ? (size_t)b * L : 0);
        real_t *cx = d->h_cond + (size_t)b * 2 * ch * L, *cm = cx + (size_t)ch * L;
        for (int l = 0; l < L; l++) {
            float v = x0[(size_t)b * L + l];
            if (bits) encoding_bits_encode((int32_t)v, bits, code, 1);
            else code[0] = v;
            real_t mv = (real_t)mrow[l];
            for (int c = 0; c < ch; c++) {
                size_t i = ((size_t)b * ch + c) * L + l;
                d->h_x0[i] = (real_t)code[c];
                d->h_mask[i] = mv;
                cx[(size_t)c * L + l] = (real_t)code[c] * mv;
                cm[(size_t)c * L + l] = mv;
            }
        }
    }
    backend *be = d->be;
    size_t n = (size_t)B * ch * L * sizeof(real_t);
    be->ops->upload(be, d->x0, d->h_x0, n);
    be->ops->upload(be, d->mask, d->h_mask, n);
    be->ops->upload(be, d->cond, d->h_cond, 2 * n);
}

/* The model's steps (B) and the same repeated for each of a window's rows (B*ch). */
static void upload_steps(diffusion_context *d, int B) {
    int ch = d->cin;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < ch; c++) d->h_t_rows[b * ch + c] = d->h_t[b];
    d->be->ops->upload(d->be, d->t, d->h_t, (size_t)B * sizeof(int32_t));
    d->be->ops->upload(d->be, d->t_rows, d->h_t_rows, (size_t)B * ch * sizeof(int32_t));
}

/* Window b of the call is window first + b of the iteration's batch: its step
 * and noise are that window's draws, whichever process computes it. */
static double gaussian_train_step(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window,
                                  uint64_t seed, uint64_t iteration, long long first, double *count_out) {
    backend *be = d->be;
    int L = d->L, T = d->s.T, ch = d->cin;
    upload_inputs(d, B, x0, mask, mask_per_window);
    uint64_t t_stream = diffusion_stream(DIFFUSION_STREAM_TRAIN_T, iteration);
    for (int b = 0; b < B; b++)
        d->h_t[b] = (int32_t)uniform_below(philox_u32(seed, t_stream, (uint64_t)(first + b)), (uint32_t)T);
    upload_steps(d, B);
    be->ops->normal_fill(be, d->eps, (long long)B * ch * L, seed, diffusion_stream(DIFFUSION_STREAM_TRAIN_EPS, iteration),
                         (unsigned long long)first * (unsigned long long)ch * (unsigned long long)L);
    be->ops->diffusion_noise(be, d->x0, d->eps, d->mask, d->t_rows, d->abar, d->z, d->xt, B * ch, L);
    sssd_zero_grads(d->m);
    sssd_forward(d->m, B, d->xt, d->cond, d->t, d->eps_hat);
    double loss = be->ops->masked_mse(be, d->eps_hat, d->z, d->mask, d->dpred, B * ch, L);
    sssd_backward(d->m, d->dpred);
    if (count_out) {
        double generated = 0;
        size_t rows = mask_per_window ? (size_t)B : 1;
        for (size_t i = 0; i < rows * (size_t)L; i++) generated += 1.0 - (double)mask[i];
        *count_out = generated * (mask_per_window ? 1 : B) * ch;
    }
    return loss;
}

static double gaussian_eval_loss(diffusion_context *d, int B, const float *x0, const float *mask,
                                 const uint64_t *window_ids, uint64_t seed) {
    backend *be = d->be;
    int L = d->L, T = d->s.T, ch = d->cin;
    upload_inputs(d, B, x0, mask, 1);
    for (int b = 0; b < B; b++) {
        uint64_t ts = diffusion_stream(DIFFUSION_STREAM_VALID_T, window_ids[b]);
        d->h_t[b] = (int32_t)uniform_below(philox_u32(seed, ts, 0), (uint32_t)T);
        be->ops->normal_fill(be, d->eps + (size_t)b * ch * L, (long long)ch * L, seed,
                             diffusion_stream(DIFFUSION_STREAM_VALID, window_ids[b]), 0);
    }
    upload_steps(d, B);
    be->ops->diffusion_noise(be, d->x0, d->eps, d->mask, d->t_rows, d->abar, d->z, d->xt, B * ch, L);
    sssd_forward(d->m, B, d->xt, d->cond, d->t, d->eps_hat);
    return be->ops->masked_mse(be, d->eps_hat, d->z, d->mask, d->dpred, B * ch, L);
}

void diffusion_ddim_timesteps(int T, int S, int *tau) {
    /* "Trailing" spacing: the first pass is at t = T-1, where DDPM starts
     * from pure noise too (with T = 200, abar_{T-1} is still 0.13, so any
     * later start would treat noise as even cleaner than DDPM does), and
     * S = 1 is one step from T-1 rather than a single pass at t = 0. */
    for (int i = 0; i < S; i++) tau[i] = T - 1 - (int)(((long long)(S - 1 - i) * T) / S);
}

/* Noise for the transition out of step t (index t+1; x_T uses index 0), per window. */
static void fill_window_noise(diffusion_context *d, real_t *dst, int B, const uint64_t *noise_ids, uint64_t seed,
                              int slot) {
    backend *be = d->be;
    long long n = (long long)d->L * d->cin;
    for (int b = 0; b < B; b++)
        be->ops->normal_fill(be, dst + (size_t)b * n, n, seed, diffusion_stream(DIFFUSION_STREAM_SAMPLE, noise_ids[b]),
                             (unsigned long long)slot * (unsigned long long)n);
}

static void set_steps(diffusion_context *d, int B, int t) {
    for (int b = 0; b < B; b++) d->h_t[b] = t;
    d->be->ops->upload(d->be, d->t, d->h_t, (size_t)B * sizeof(int32_t));
}

static void gaussian_sample(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                            const diffusion_sample_options *opt, float *out) {
    backend *be = d->be;
    int L = d->L, T = d->s.T, ch = d->cin;
    long long n = (long long)B * ch * L;
    upload_inputs(d, B, x0, mask, 1);
    real_t *x = d->xt;
    fill_window_noise(d, x, B, noise_ids, opt->seed, 0);
    if (opt->sampler == SAMPLER_DDPM) {
        for (int t = T - 1; t >= 0; t--) {
            be->ops->apply_observed(be, x, d->x0, d->mask, n);
            set_steps(d, B, t);
            sssd_forward(d->m, B, x, d->cond, d->t, d->eps_hat);
            if (t > 0) fill_window_noise(d, d->noise, B, noise_ids, opt->seed, t + 1);
            be->ops->ddpm_step(be, x, d->eps_hat, t > 0 ? d->noise : NULL, d->s.beta[t], d->s.abar[t], d->s.alpha[t],
                               d->s.sigma[t], n);
            if (opt->progress) opt->progress(opt->progress_user, T - t, T);
        }
    } else {
        int S = opt->steps < 1 ? 1 : opt->steps > T ? T : opt->steps;
        int *tau = xmalloc(sizeof(int) * (size_t)S);
        diffusion_ddim_timesteps(T, S, tau);
        for (int i = S - 1; i >= 0; i--) {
            int t = tau[i];
            double abar_t = d->s.abar[t];
            double abar_prev = i > 0 ? d->s.abar[tau[i - 1]] : 1.0;
            double sigma = opt->eta * sqrt((1.0 - abar_prev) / (1.0 - abar_t)) * sqrt(1.0 - abar_t / abar_prev);
            be->ops->apply_observed(be, x, d->x0, d->mask, n);
            set_steps(d, B, t);
            sssd_forward(d->m, B, x, d->cond, d->t, d->eps_hat);
            int noisy = sigma > 0.0;
            if (noisy) fill_window_noise(d, d->noise, B, noise_ids, opt->seed, t + 1);
            be->ops->ddim_step(be, x, d->eps_hat, noisy ? d->noise : NULL, abar_t, abar_prev, sigma, n);
            if (opt->progress) opt->progress(opt->progress_user, S - i, S);
        }
        free(tau);
    }
    /* SSSD returns x as it is; observed positions differ from x0 by the last
     * update. Put them back so observed events come out exactly. */
    be->ops->apply_observed(be, x, d->x0, d->mask, n);
    be->ops->download(be, d->h_out, x, (size_t)n * sizeof(real_t));
    if (d->encoding == ENCODING_BITS) {
        float code[32];
        for (int b = 0; b < B; b++)
            for (int l = 0; l < L; l++) {
                for (int c = 0; c < ch; c++) code[c] = (float)d->h_out[((size_t)b * ch + c) * L + l];
                out[(size_t)b * L + l] = (float)encoding_bits_decode(code, 1, ch, d->V);
            }
    } else {
        for (long long i = 0; i < n; i++) out[i] = (float)d->h_out[i];
    }
}

/* ---------------- entry points: one per task, whatever the encoding ---------------- */

double diffusion_train_step(diffusion_context *d, int B, const float *x0, const float *mask, uint64_t seed,
                            uint64_t iteration) {
    return diffusion_train_step_share(d, B, x0, mask, 0, seed, iteration, 0, NULL);
}

double diffusion_train_step_windows(diffusion_context *d, int B, const float *x0, const float *masks, uint64_t seed,
                                    uint64_t iteration) {
    return diffusion_train_step_share(d, B, x0, masks, 1, seed, iteration, 0, NULL);
}

double diffusion_train_step_share(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window,
                                  uint64_t seed, uint64_t iteration, long long first, double *count_out) {
    diffusion_check_batch(d, B);
    /* The step's one forward is a training forward: channel dropout (if any) drops its rows. */
    sssd_model_arm_dropout(d->m, seed, diffusion_stream(DIFFUSION_STREAM_TRAIN_DROPOUT, iteration), first);
    if (d->encoding == ENCODING_MASKED)
        return masked_train_step(d, B, x0, mask, mask_per_window, seed, iteration, first, count_out);
    return gaussian_train_step(d, B, x0, mask, mask_per_window, seed, iteration, first, count_out);
}

double diffusion_eval_loss(diffusion_context *d, int B, const float *x0, const float *mask,
                           const uint64_t *window_ids, uint64_t seed, double *count_out) {
    return diffusion_eval_loss_share(d, B, x0, mask, window_ids, seed, count_out, NULL);
}

double diffusion_eval_loss_share(diffusion_context *d, int B, const float *x0, const float *mask,
                                 const uint64_t *window_ids, uint64_t seed, double *count_out,
                                 double *positions_out) {
    diffusion_check_batch(d, B);
    double missing = 0;
    for (size_t i = 0; i < (size_t)B * d->L; i++) missing += 1.0 - (double)mask[i];
    if (count_out) *count_out = missing;
    if (positions_out) *positions_out = missing;
    if (missing == 0) return 0.0;
    /* The masked encoding's loss is a mean over the hidden positions, a drawn
     * subset of the generated ones. */
    if (d->encoding == ENCODING_MASKED) return masked_eval_loss(d, B, x0, mask, window_ids, seed, positions_out);
    return gaussian_eval_loss(d, B, x0, mask, window_ids, seed);
}

void diffusion_sample(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                      const diffusion_sample_options *opt, float *out) {
    diffusion_check_batch(d, B);
    int members = opt->ensemble ? opt->ensemble_count : 0;
    if (members && d->encoding != ENCODING_MASKED)
        die("diffusion_sample: ensembles apply to the masked encoding (this model: %s)", encoding_name(d->encoding));
    for (int k = 0; k < members; k++) {
        const diffusion_context *e = opt->ensemble[k];
        if (e->encoding != d->encoding || e->V != d->V || e->L != d->L || e->s.T != d->s.T)
            die("diffusion_sample: ensemble member %d has %s encoding, %d events, windows of %d and T %d, where the "
                "first network has %s, %d, %d and %d",
                k + 1, encoding_name(e->encoding), e->V, e->L, e->s.T, encoding_name(d->encoding), d->V, d->L, d->s.T);
        diffusion_check_batch(e, B);
    }
    /* Every pass of a sampling loop runs on the same weights: the S4 kernels
     * and weight-norm weights are computed once per call (or once for good
     * when the caller has fixed the weights itself). */
    int was_fixed = sssd_model_weights_fixed(d->m);
    int *member_fixed = xmalloc(sizeof(int) * (size_t)(members + 1));
    sssd_model_set_weights_fixed(d->m, 1);
    for (int k = 0; k < members; k++) {
        member_fixed[k] = sssd_model_weights_fixed(opt->ensemble[k]->m);
        sssd_model_set_weights_fixed(opt->ensemble[k]->m, 1);
    }
    if (d->encoding == ENCODING_MASKED) masked_sample(d, B, x0, mask, noise_ids, opt, out);
    else gaussian_sample(d, B, x0, mask, noise_ids, opt, out);
    sssd_model_set_weights_fixed(d->m, was_fixed);
    for (int k = 0; k < members; k++) sssd_model_set_weights_fixed(opt->ensemble[k]->m, member_fixed[k]);
    free(member_fixed);
}
