/* The DDPM around the network (model/README.md, "Diffusion"): noise schedule,
 * masked training loss and gradients, and the DDPM and DDIM samplers, on any
 * backend. Noise comes from the counter-based RNG, so runs are reproducible
 * and identical across backends for the same seed. Masks (the tasks)
 * are common/mask_spec.h. */
#ifndef SSSD_MODEL_DIFFUSION_H
#define SSSD_MODEL_DIFFUSION_H

#include <stdint.h>

#include "mask_spec.h"
#include "sssd.h"

typedef struct diffusion_schedule {
    int T;
    double *beta, *alpha, *abar, *sigma;  /* host, (T) each; sigma_t = sqrt(beta_tilde_t) */
} diffusion_schedule;

/* SSSD's calc_diffusion_hyperparams: beta linear from beta_0 to beta_T (both
 * included), alpha = 1 - beta, abar_t = prod_{s<=t} alpha_s,
 * beta_tilde_0 = beta_0, beta_tilde_t = beta_t (1 - abar_{t-1}) / (1 - abar_t).
 * Computed in double (SSSD uses float32; the difference is below 1e-6). */
void diffusion_schedule_init(diffusion_schedule *s, int T, double beta_0, double beta_T);
void diffusion_schedule_free(diffusion_schedule *s);

/* ---- random streams ----
 * Every random number is philox(seed, stream, index). Streams are tagged in
 * their top byte so that the draws of different purposes never overlap:
 * training noise of iteration i uses stream i (tag 0). */
#define DIFFUSION_STREAM_TRAIN_EPS 0x00ull        /* | iteration: eps (B*L normals)         */
#define DIFFUSION_STREAM_TRAIN_T 0x01ull          /* | iteration: diffusion steps (B)       */
#define DIFFUSION_STREAM_TRAIN_MASK MASK_SPEC_STREAM_TAG /* | draw: random masks (mask_spec.h) */
#define DIFFUSION_STREAM_SHUFFLE 0x03ull          /* | epoch: data order                    */
#define DIFFUSION_STREAM_SAMPLE 0x04ull           /* | noise_id: sampling noise of a window */
#define DIFFUSION_STREAM_VALID 0x05ull            /* | window: validation loss eps          */
#define DIFFUSION_STREAM_VALID_T 0x06ull          /* | window: validation loss step t       */
#define DIFFUSION_STREAM_TRAIN_DROPOUT 0x07ull    /* | iteration: channel dropout (sssd.h)  */
static inline uint64_t diffusion_stream(uint64_t tag, uint64_t index) {
    return (tag << 56) | (index & 0x00FFFFFFFFFFFFFFull);
}

/* ---- masks: common/mask_spec.h ---- */

/* Generated values back to event IDs: rounded half to even (numpy's rule);
 * with clamp_to > 0 also clamped to 1..clamp_to (the vocabulary). */
void diffusion_values_to_ids(const float *values, long long n, int clamp_to, int32_t *ids);

/* ---- training ---- */

typedef struct diffusion_context diffusion_context;

/* Working memory for training and sampling with model `m` (batches up to the
 * model's max_batch). The schedule comes from the model's configuration. */
diffusion_context *diffusion_context_create(sssd_model *m);
void diffusion_context_free(diffusion_context *d);
const diffusion_schedule *diffusion_context_schedule(const diffusion_context *d);

/* One training pass (no optimizer step): host x0 (B, L) event values and one
 * mask (L) for the whole batch (as SSSD). Draws t ~ U{0..T-1} and eps from
 * philox(seed, stream(iteration)), builds z = x0 m + eps (1-m),
 * x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) z, cond = [x0 m, m], runs forward,
 * masked MSE on generated positions, and backward (the gradient buffer is
 * zeroed first). Returns the loss (NaN/inf are returned, not hidden). */
double diffusion_train_step(diffusion_context *d, int B, const float *x0, const float *mask, uint64_t seed,
                            uint64_t iteration);

/* The same with one mask per window: masks (B, L). */
double diffusion_train_step_windows(diffusion_context *d, int B, const float *x0, const float *masks, uint64_t seed,
                                    uint64_t iteration);

/* The same pass over a share of an iteration's batch (data-parallel
 * training): the B windows given are windows first .. first+B-1 of the
 * whole batch, and draw exactly what they draw there (their steps, noise and
 * hidden events are indexed by that place, never by the share). mask is one
 * row (L) for every window, or with mask_per_window one row per window
 * (B, L): tasks drawn per window (mask_spec's mix), where one batch holds
 * gaps, forecasts and synthesis alike. Returns the mean loss over the
 * share's loss positions; *count_out (may be NULL) receives their number, so
 * that shares combine into the whole batch's mean. first 0 with the whole
 * batch and one mask is diffusion_train_step. */
double diffusion_train_step_share(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window,
                                  uint64_t seed, uint64_t iteration, long long first, double *count_out);

/* The same loss without gradients, for validation: per-window masks (B, L),
 * draws from philox(seed, stream(VALID, window_ids[b])) so the figure does
 * not depend on batching. Returns the mean over the batch's generated
 * positions; *count_out receives their number. */
double diffusion_eval_loss(diffusion_context *d, int B, const float *x0, const float *mask,
                           const uint64_t *window_ids, uint64_t seed, double *count_out);

/* The same, also giving in *positions_out (may be NULL) the number of
 * positions the mean is over: the generated ones, or with the masked
 * encoding the hidden ones among them. Shares of a batch combine into the
 * batch's loss by weighting each share's mean with its positions. */
double diffusion_eval_loss_share(diffusion_context *d, int B, const float *x0, const float *mask,
                                 const uint64_t *window_ids, uint64_t seed, double *count_out,
                                 double *positions_out);

/* Masked encoding only: train as a product of experts (`train --ngram-prior W`).
 * Before the cross-entropy, w logp(v) is added to the network's logit of event
 * v at every hidden position, so the loss is that of the product
 * p_net(v) exp(w logp(v)), renormalised: the distribution `generate` samples
 * from with the same prior (diffusion_sample_options.prior). The network then
 * learns what the prior lacks instead of relearning what it knows. The
 * gradient with respect to the network's logits is that of the product's
 * cross-entropy; the prior itself is not trained.
 * prior(user, slot, window, symbols, l, logp) writes V natural-log
 * probabilities for position l of the window's current symbols (classes
 * 0..V-1 visible, V hidden); slot (0..B-1) is its place in the call, and
 * window its place in the iteration's whole batch (first + slot), or -1 for
 * a validation window, held out of training. NULL turns it off. */
typedef void (*diffusion_train_prior_fn)(void *user, int slot, long long window, const int32_t *symbols, int l,
                                         double *logp);
void diffusion_set_train_prior(diffusion_context *d, diffusion_train_prior_fn prior, void *user, double weight);

/* Masked encoding only: the network takes the prior's opinion as input
 * (`train --ngram-input on`, stacking): a hidden position's input carries the
 * prior's probabilities on channels 0..V-1 beside the [MASK] channel (zeros
 * where the prior has no opinion), so the network learns when to follow the
 * n-gram and when not. The prior comes from diffusion_set_train_prior in
 * training and validation (weight 0: input only, no product) and from
 * diffusion_sample_options.prior in sampling (prior_weight 0: input only);
 * without one, both stop with a message. A property of the trained model:
 * set it for every context of such a checkpoint. */
void diffusion_set_prior_input(diffusion_context *d, int on);

/* ---- sampling ---- */

typedef enum diffusion_sampler { SAMPLER_DDPM, SAMPLER_DDIM } diffusion_sampler;

typedef struct diffusion_sample_options {
    diffusion_sampler sampler;
    int steps;          /* DDIM: S (1..T); DDPM always runs T steps */
    double eta;         /* DDIM: 0 deterministic, 1 = DDPM's variance */
    uint64_t seed;
    /* Called after every network pass (may be NULL): done/total passes. */
    void (*progress)(void *user, int done, int total);
    void *progress_user;
    /* Masked encoding only. temperature: 0 fills each position with its most
     * probable event (deterministic), > 0 draws from the softmax at that
     * temperature. probs: NULL, or (B, L, V) host memory that receives, at
     * each generated position, the distribution the event was drawn from. */
    double temperature;
    float *probs;
    /* Masked encoding only: an outside opinion fused with the network's, a
     * product of experts. prior(user, window, symbols, l, logp) writes V
     * natural-log probabilities for position l given the window's current
     * symbols (L values: classes 0..V-1 for events visible so far, V for those
     * still hidden); window (0..B-1) says which window of the call they are,
     * so that a prior may keep per window what it computed for symbols that
     * have not changed, as long as its answer depends on the symbols alone.
     * The position's distribution becomes p_net(v) exp(w logp(v)),
     * renormalised, w = prior_weight; that distribution chooses the event, its
     * confidence and `probs`, except that draws (temperature > 0) are made
     * at temperature T (1 + w): from the weighted geometric mean
     * p_net^(1/(1+w)) q^(w/(1+w)), since the product of two experts trained
     * apart is sharper than either (unless prior_trained, below).
     * NULL: the network alone. */
    void (*prior)(void *user, int window, const int32_t *symbols, int l, double *logp);
    void *prior_user;
    double prior_weight;
    /* Masked encoding only: which hidden positions a pass reveals. 0: those
     * whose chosen event is the most probable (confidence first: the best
     * reconstructions, but a biased sample, since the predictable frequent
     * events are placed first and the rest fill in around them); 1: positions
     * drawn uniformly at random, each event drawn from its distribution
     * (ancestral sampling in a random order, an unbiased sample of the
     * model: what synthesis wants). */
    int random_order;
    /* Masked encoding, surest-first order only: a pass also reveals every
     * hidden position whose chosen event has at least this probability, and
     * sampling ends when nothing is hidden. The schedule's passes become an
     * upper bound: a window the model is sure of is filled in fewer. Such
     * positions would be revealed first anyway; revealing them together only
     * spares each the others' passes. 0 (or above 1): off. */
    double reveal_confident;
    /* Masked encoding with a prior: the network was trained as one expert
     * of this very product (diffusion_set_train_prior), so the product is
     * the model's distribution and draws come from it at `temperature`,
     * not from the geometric mean. */
    int prior_trained;
    /* Masked encoding: refinement sweeps after every position is revealed
     * (0: none). A sweep hides the generated positions again in
     * DIFFUSION_REFINE_STRIDE interleaved groups, one group a pass (a window's
     * groups shifted by a random offset each sweep), and redraws every hidden
     * position as it was drawn (same temperature, prior and weight), now
     * given all the others: Gibbs sampling of the model, a group at a time.
     * Ancestral sampling in a random order draws its first events with little
     * around them, and a sweep lets each event answer to its neighbours on
     * both sides. Positions of a group lie at least the stride apart, so each
     * sees the whole context an n-gram of order up to the stride looks at. */
    int refine;
    /* Masked encoding with a prior and refine > 0: the unmasking passes
     * draw from the network alone, and the prior joins in the refinement
     * sweeps only, where every hidden position has visible events on both
     * sides. In a window that is mostly hidden an n-gram's opinion of a
     * position is close to the trace's overall event mix; fused with the
     * network's early draws it pulls them towards that mix, so that windows
     * of a trace that runs in phases come out mixing them. */
    int prior_refine_only;
    /* Masked encoding: further networks of an ensemble, each the context of
     * a model with this one's vocabulary, window and T (checked), run on the
     * same symbols at every pass. A position's distribution is the
     * normalised geometric mean of every network's, the softmax of their
     * mean logits, before the prior (if any) joins it. Networks trained
     * apart err apart, and their geometric mean keeps what they agree on.
     * NULL and 0: the one network of the context. */
    diffusion_context *const *ensemble;
    int ensemble_count;
} diffusion_sample_options;

/* Positions of one refinement group are this far apart (at least the
 * highest n-gram order the prior chooses, 6, so that the prior's opinion of
 * a hidden position comes from visible events only). */
#define DIFFUSION_REFINE_STRIDE 8

/* DDIM's timesteps, evenly spaced and ending at T-1 (the step DDPM starts
 * from): tau_i = T-1 - floor((S-1-i) T / S), i = 0..S-1, ascending; S = T
 * gives every step, S = 20 of T = 200 gives 9, 19, ..., 199. Writes S values. */
void diffusion_ddim_timesteps(int T, int S, int *tau);

/* Masked encoding (model/encoding.h): a gap of k events is filled in
 * min(S, k) passes (S = opt->steps; every pass reveals an equal share of the
 * positions still masked, those the network is most sure of first); DDPM and
 * DDIM do not apply. The other encodings follow the description below. */

/* Sample B windows: x0 (B, L) observed values (anything at generated
 * positions), mask (B, L), noise_ids (B): window b's noise is
 * philox(seed, stream(SAMPLE, noise_ids[b]), ...), so a window's result does
 * not depend on the batch it is in. DDPM: SSSD's loop exactly (T steps;
 * x = x(1-m) + x0 m before each pass; noise added for t > 0). DDIM: S
 * evenly spaced steps. Both end with x = x(1-m) + x0 m so observed values
 * come back exactly. Noise of the transition out of step t has index t+1
 * (index 0 is x_T), in DDPM and DDIM alike: DDIM with S = T and eta = 1
 * follows the DDPM chain. out (B, L) host. */
void diffusion_sample(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                      const diffusion_sample_options *opt, float *out);

#endif
