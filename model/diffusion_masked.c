/* Masked discrete diffusion for the masked encoding (model/encoding.h), in the
 * style of MDLM (Sahoo et al. 2024) and MaskGIT: an event is either visible
 * or [MASK]; training hides each generated position with probability (t+1)/T
 * at a step t drawn uniformly and teaches a softmax head, by cross-entropy on
 * the hidden positions, which event was there; sampling starts with the whole
 * gap hidden and reveals it over a few passes, the positions the network is
 * surest of first. The loss is the plain mean cross-entropy over hidden
 * positions (MDLM's 1/t weighting of the bound favours nearly complete
 * windows, whose positions are the easiest; for filling gaps the plain mean
 * trains every masking level alike).
 *
 * Network input, per window: a one-hot (V+1, L) of the visible events with
 * channel V for [MASK]; cond (2(V+1), L) = [one-hot of the observed events,
 * the observation mask on every channel], SSSD's [x0 m, m] conditioning. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffusion_internal.h"
#include "philox.h"

#define SYMBOL_MASK(d) ((d)->V)

/* Event ID (1..V) of an input value to its class 0..V-1 (IDs outside clamp:
 * the tools check inputs against the vocabulary before they get here). */
static int32_t class_of(const diffusion_context *d, float v) {
    long id = lrintf(v);
    if (id < 1) id = 1;
    if (id > d->V) id = d->V;
    return (int32_t)(id - 1);
}

/* cond = [one-hot of observed events, mask on every channel] for B windows. */
static void stage_cond(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window) {
    int L = d->L, ch = d->cin;
    memset(d->h_cond, 0, (size_t)B * 2 * ch * L * sizeof(real_t));
    for (int b = 0; b < B; b++) {
        const float *mrow = mask + (mask_per_window ? (size_t)b * L : 0);
        real_t *cx = d->h_cond + (size_t)b * 2 * ch * L, *cm = cx + (size_t)ch * L;
        for (int l = 0; l < L; l++) {
            if (mrow[l] == 0.0f) continue;
            cx[(size_t)class_of(d, x0[(size_t)b * L + l]) * L + l] = 1;
            for (int c = 0; c < ch; c++) cm[(size_t)c * L + l] = 1;
        }
    }
    d->be->ops->upload(d->be, d->cond, d->h_cond, (size_t)B * 2 * ch * L * sizeof(real_t));
}

/* Where the n-gram's opinion of a hidden position comes from: the sampler's
 * prior (opt), else the training prior for batch place first + b (first -1:
 * validation windows). */
static void prior_logp(diffusion_context *d, const diffusion_sample_options *opt, int b, long long first,
                       const int32_t *window_symbols, int l, double *logp) {
    if (opt)
        opt->prior(opt->prior_user, b, window_symbols, l, logp);
    else
        d->train_prior(d->train_prior_user, b, first < 0 ? -1 : first + b, window_symbols, l, logp);
}

/* The network input: one-hot (B, V+1, L) of symbols (B, L) (class or
 * SYMBOL_MASK). With the n-gram as input (diffusion_set_prior_input), a
 * hidden position also carries the n-gram's probabilities on channels
 * 0..V-1 beside its [MASK] channel, or nothing where the n-gram has no
 * opinion (nothing visible around it). opt: the sampler's options, NULL in
 * training and validation. */
static void stage_symbols(diffusion_context *d, int B, const int32_t *symbols, const diffusion_sample_options *opt,
                          long long first) {
    int L = d->L, ch = d->cin, V = d->V;
    memset(d->h_x0, 0, (size_t)B * ch * L * sizeof(real_t));
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) d->h_x0[((size_t)b * ch + symbols[(size_t)b * L + l]) * L + l] = 1;
    if (d->prior_input) {
        if (opt ? !opt->prior : !d->train_prior)
            die("masked sampling: this model takes an n-gram's opinion as input, and none was given");
        double *logp = xmalloc(sizeof(double) * (size_t)V);
        for (int b = 0; b < B; b++)
            for (int l = 0; l < L; l++) {
                if (symbols[(size_t)b * L + l] != SYMBOL_MASK(d)) continue;
                prior_logp(d, opt, b, first, symbols + (size_t)b * L, l, logp);
                int opinion = 0;
                for (int v = 0; v < V; v++) opinion |= logp[v] != 0.0;
                if (!opinion) continue;
                for (int v = 0; v < V; v++) d->h_x0[((size_t)b * ch + v) * L + l] = (real_t)exp(logp[v]);
            }
        free(logp);
    }
    d->be->ops->upload(d->be, d->xt, d->h_x0, (size_t)B * ch * L * sizeof(real_t));
}

/* Hide generated positions of window b with probability (t+1)/T, using
 * uniform draws u(l) = philox(seed, stream, first + l); at least one is hidden when
 * the window generates anything, so every window teaches something. Fills
 * symbols, targets and weights of the window. */
static void hide_window(diffusion_context *d, int b, const float *x0, const float *mrow, int t, uint64_t seed,
                        uint64_t stream, uint64_t first, int32_t *symbols) {
    int L = d->L, T = d->s.T;
    double p = (double)(t + 1) / (double)T;
    int hidden = 0, lowest = -1;
    float lowest_u = 2.0f;
    for (int l = 0; l < L; l++) {
        size_t i = (size_t)b * L + l;
        int32_t cls = class_of(d, x0[i]);
        symbols[i] = cls;
        d->h_target[i] = cls;
        d->h_weight[i] = 0;
        if (mrow[l] != 0.0f) continue;
        float u = philox_uniform(philox_u32(seed, stream, first + (uint64_t)l));
        if (u < lowest_u) {
            lowest_u = u;
            lowest = l;
        }
        if ((double)u < p) {
            symbols[i] = SYMBOL_MASK(d);
            d->h_weight[i] = 1;
            hidden++;
        }
    }
    if (!hidden && lowest >= 0) {
        symbols[(size_t)b * L + lowest] = SYMBOL_MASK(d);
        d->h_weight[(size_t)b * L + lowest] = 1;
    }
}

/* Training as a product of experts (diffusion_set_train_prior): add w logp
 * to the logits (B, V, L) at every hidden position. first: the batch place of
 * window 0, or -1 for validation windows. */
static void add_train_prior(diffusion_context *d, int B, const int32_t *symbols, long long first) {
    int L = d->L, V = d->V;
    size_t BVL = (size_t)B * V * L;
    real_t *h = d->h_out; /* (B, V, L) staging, unused during a training pass */
    double *logp = xmalloc(sizeof(double) * (size_t)V);
    memset(h, 0, BVL * sizeof(real_t));
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            if (symbols[(size_t)b * L + l] != SYMBOL_MASK(d)) continue;
            prior_logp(d, NULL, b, first, symbols + (size_t)b * L, l, logp);
            for (int v = 0; v < V; v++) h[((size_t)b * V + v) * L + l] = (real_t)(d->train_prior_weight * logp[v]);
        }
    free(logp);
    d->be->ops->upload(d->be, d->prior_logits, h, BVL * sizeof(real_t));
    d->be->ops->axpby(d->be, (long long)BVL, 1.0, d->prior_logits, 1.0, d->eps_hat);
}

/* Forward and cross-entropy over the hidden positions staged in h_target/h_weight. */
static double masked_loss(diffusion_context *d, int B, const int32_t *symbols, long long first) {
    backend *be = d->be;
    size_t BL = (size_t)B * d->L;
    stage_symbols(d, B, symbols, NULL, first);
    be->ops->upload(be, d->t, d->h_t, (size_t)B * sizeof(int32_t));
    be->ops->upload(be, d->target, d->h_target, BL * sizeof(int32_t));
    be->ops->upload(be, d->weight, d->h_weight, BL * sizeof(real_t));
    sssd_forward(d->m, B, d->xt, d->cond, d->t, d->eps_hat);
    if (d->train_prior && d->train_prior_weight > 0) add_train_prior(d, B, symbols, first);
    return be->ops->softmax_xent(be, d->eps_hat, d->target, d->weight, d->dpred, B, d->V, d->L);
}

double masked_train_step(diffusion_context *d, int B, const float *x0, const float *mask, int mask_per_window,
                         uint64_t seed, uint64_t iteration, long long first, double *count_out) {
    int L = d->L, T = d->s.T;
    int32_t *symbols = xmalloc(sizeof(int32_t) * (size_t)B * L);
    stage_cond(d, B, x0, mask, mask_per_window);
    uint64_t t_stream = diffusion_stream(DIFFUSION_STREAM_TRAIN_T, iteration);
    /* The draws that hide events take the place of the Gaussian noise: one
     * stream per iteration, window w's at w*L + l, w = first + b being the
     * window's place in the iteration's whole batch. */
    uint64_t hide_stream = diffusion_stream(DIFFUSION_STREAM_TRAIN_EPS, iteration);
    for (int b = 0; b < B; b++) {
        uint64_t w = (uint64_t)(first + b);
        d->h_t[b] = (int32_t)uniform_below(philox_u32(seed, t_stream, w), (uint32_t)T);
        hide_window(d, b, x0, mask + (mask_per_window ? (size_t)b * L : 0), d->h_t[b], seed, hide_stream,
                    w * (uint64_t)L, symbols);
    }
    sssd_zero_grads(d->m);
    double loss = masked_loss(d, B, symbols, first);
    sssd_backward(d->m, d->dpred);
    if (count_out) {
        double hidden = 0;
        for (size_t i = 0; i < (size_t)B * L; i++) hidden += d->h_weight[i] > 0;
        *count_out = hidden;
    }
    free(symbols);
    return loss;
}

double masked_eval_loss(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *window_ids,
                        uint64_t seed, double *hidden_out) {
    int L = d->L, T = d->s.T;
    int32_t *symbols = xmalloc(sizeof(int32_t) * (size_t)B * L);
    stage_cond(d, B, x0, mask, 1);
    for (int b = 0; b < B; b++) {
        uint64_t ts = diffusion_stream(DIFFUSION_STREAM_VALID_T, window_ids[b]);
        d->h_t[b] = (int32_t)uniform_below(philox_u32(seed, ts, 0), (uint32_t)T);
        hide_window(d, b, x0, mask + (size_t)b * L, d->h_t[b], seed,
                    diffusion_stream(DIFFUSION_STREAM_VALID, window_ids[b]), 0, symbols);
    }
    double loss = masked_loss(d, B, symbols, -1);
    if (hidden_out) {
        double hidden = 0;
        for (size_t i = 0; i < (size_t)B * L; i++) hidden += d->h_weight[i] > 0;
        *hidden_out = hidden;
    }
    free(symbols);
    return loss;
}

/* p <- softmax(p) over V values, at temperature 1. */
static void softmax_in_place(double *p, int V) {
    double mx = -INFINITY;
    for (int v = 0; v < V; v++) mx = fmax(mx, p[v]);
    double sum = 0;
    for (int v = 0; v < V; v++) sum += p[v] = exp(p[v] - mx);
    for (int v = 0; v < V; v++) p[v] /= sum;
}

/* p(v) <- p(v) exp(w logp(v)), renormalised (in logs: the network may give
 * an event a probability that underflows once multiplied). */
static void fuse_prior(double *p, const double *logp, double w, int V) {
    double mx = -INFINITY;
    for (int v = 0; v < V; v++) {
        p[v] = (p[v] > 0 ? log(p[v]) : -INFINITY) + w * logp[v];
        if (p[v] > mx) mx = p[v];
    }
    double sum = 0;
    for (int v = 0; v < V; v++) sum += p[v] = exp(p[v] - mx);
    for (int v = 0; v < V; v++) p[v] /= sum;
}

/* The event to reveal at one position: the most probable (temperature 0,
 * ties to the smaller ID) or a draw from p^(1/temperature) with uniform u. */
static int choose_event(const double *p, int V, double temperature, float u) {
    int best = 0;
    for (int v = 1; v < V; v++)
        if (p[v] > p[best]) best = v;
    if (temperature <= 0) return best;
    double total = 0;
    for (int v = 0; v < V; v++) total += p[v] > 0 ? pow(p[v] / p[best], 1.0 / temperature) : 0;
    double r = (double)u * total, acc = 0;
    for (int v = 0; v < V; v++) {
        acc += p[v] > 0 ? pow(p[v] / p[best], 1.0 / temperature) : 0;
        if (r < acc) return v;
    }
    return best;
}

/* The distribution position l of window b is drawn from: the network's
 * softmax (logits: the pass's (B, V, L) output), fused with the prior when
 * there is one. Also copied to opt->probs. */
static void position_distribution(const diffusion_context *d, const diffusion_sample_options *opt, int fuse,
                                  const real_t *logits, int b, const int32_t *window_symbols, int l, double *p,
                                  double *logp) {
    int L = d->L, V = d->V;
    size_t at = (size_t)b * V * L + l;
    /* With an ensemble, the geometric mean of the networks' softmaxes,
     * renormalised: the softmax of their mean logits, since each network's
     * normaliser is a constant of the position and cancels. */
    int members = opt->ensemble ? opt->ensemble_count : 0;
    for (int v = 0; v < V; v++) {
        double z = logits[at + (size_t)v * L];
        for (int k = 0; k < members; k++) z += opt->ensemble[k]->h_out[at + (size_t)v * L];
        p[v] = z / (members + 1);
    }
    softmax_in_place(p, V);
    if (fuse) {
        opt->prior(opt->prior_user, b, window_symbols, l, logp);
        fuse_prior(p, logp, opt->prior_weight, V);
    }
    if (opt->probs) {
        float *dst = opt->probs + ((size_t)b * L + l) * V;
        for (int v = 0; v < V; v++) dst[v] = (float)p[v];
    }
}

/* One network pass of context e over the symbols at the steps t (B); the
 * logits land in e->h_out (B, V, L). */
static void network_pass(diffusion_context *e, int B, const int32_t *symbols, const int32_t *t,
                         const diffusion_sample_options *opt) {
    backend *be = e->be;
    stage_symbols(e, B, symbols, opt, -1);
    be->ops->upload(be, e->t, t, (size_t)B * sizeof(int32_t));
    sssd_forward(e->m, B, e->xt, e->cond, e->t, e->eps_hat);
    be->ops->download(be, e->h_out, e->eps_hat, (size_t)B * e->V * e->L * sizeof(real_t));
}

/* One pass of every network (the context's and the ensemble's) over the
 * current symbols at the steps staged in d->h_t. */
static void unmasking_pass(diffusion_context *d, int B, const int32_t *symbols, const diffusion_sample_options *opt) {
    network_pass(d, B, symbols, d->h_t, opt);
    for (int k = 0; opt->ensemble && k < opt->ensemble_count; k++)
        network_pass(opt->ensemble[k], B, symbols, d->h_t, opt);
}

/* The step whose masking rate (t+1)/T matches `hidden` of `generated`. */
static int32_t step_for(int hidden, int generated, int T) {
    int t = generated ? (int)ceil((double)hidden * T / generated) - 1 : 0;
    return (int32_t)(t < 0 ? 0 : t > T - 1 ? T - 1 : t);
}

/* Refinement sweeps (diffusion_sample_options.refine) after `passes_before`
 * unmasking passes: Gibbs sampling a group of positions at a time. Draws use
 * indices from 2 passes_before L on, past every index those passes used
 * (their events and their random order). */
static void refine_windows(diffusion_context *d, int B, const float *mask, const uint64_t *noise_ids,
                           const diffusion_sample_options *opt, double draw_temperature, const int *generated,
                           int passes_before, int32_t *symbols, double *p, double *logp) {
    int L = d->L, T = d->s.T, V = d->V, S = DIFFUSION_REFINE_STRIDE;
    uint64_t first_draw = 2 * (uint64_t)passes_before * (uint64_t)L;
    int *offset = xmalloc(sizeof(int) * (size_t)B);
    for (int sweep = 0; sweep < opt->refine; sweep++) {
        for (int b = 0; b < B; b++) {
            uint64_t stream = diffusion_stream(DIFFUSION_STREAM_SAMPLE, noise_ids[b]);
            uint64_t index = first_draw + (uint64_t)sweep * (uint64_t)(S + 1) * (uint64_t)L;
            offset[b] = (int)uniform_below(philox_u32(opt->seed, stream, index), (uint32_t)S);
        }
        for (int group = 0; group < S; group++) {
            int any = 0;
            for (int b = 0; b < B; b++) {
                int hidden = 0;
                for (int l = 0; l < L; l++) {
                    size_t i = (size_t)b * L + l;
                    if (mask[i] != 0.0f || (l + offset[b]) % S != group) continue;
                    symbols[i] = SYMBOL_MASK(d);
                    hidden++;
                }
                d->h_t[b] = step_for(hidden, generated[b], T);
                any |= hidden > 0;
            }
            if (any) unmasking_pass(d, B, symbols, opt);
            for (int b = 0; b < B; b++) {
                uint64_t stream = diffusion_stream(DIFFUSION_STREAM_SAMPLE, noise_ids[b]);
                for (int l = 0; l < L; l++) {
                    size_t i = (size_t)b * L + l;
                    if (symbols[i] != SYMBOL_MASK(d)) continue;
                    position_distribution(d, opt, opt->prior != NULL, d->h_out, b, symbols + (size_t)b * L, l, p,
                                          logp);
                    uint64_t draw = first_draw + ((uint64_t)sweep * (uint64_t)(S + 1) + 1 + (uint64_t)group) * L + l;
                    float u = philox_uniform(philox_u32(opt->seed, stream, draw));
                    symbols[i] = choose_event(p, V, draw_temperature, u);
                }
            }
            if (opt->progress)
                opt->progress(opt->progress_user, passes_before + (sweep * S + group + 1), passes_before + opt->refine * S);
        }
    }
    free(offset);
}

typedef struct candidate {
    double confidence;
    int pos, event;
} candidate;

static int by_confidence(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->confidence != y->confidence) return x->confidence > y->confidence ? -1 : 1;
    return x->pos - y->pos;
}

void masked_sample(diffusion_context *d, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                   const diffusion_sample_options *opt, float *out) {
    int L = d->L, T = d->s.T, V = d->V;
    int32_t *symbols = xmalloc(sizeof(int32_t) * (size_t)B * L);
    int *generated = xcalloc((size_t)B, sizeof(int)), *hidden = xcalloc((size_t)B, sizeof(int));
    int most = 0;
    for (int b = 0; b < B; b++) {
        for (int l = 0; l < L; l++) {
            size_t i = (size_t)b * L + l;
            int observed = mask[i] != 0.0f;
            symbols[i] = observed ? class_of(d, x0[i]) : SYMBOL_MASK(d);
            generated[b] += !observed;
        }
        hidden[b] = generated[b];
        if (generated[b] > most) most = generated[b];
    }
    int passes = opt->steps > 0 && opt->steps < most ? opt->steps : most;
    int refine_passes = opt->refine > 0 && most > 0 ? opt->refine * DIFFUSION_REFINE_STRIDE : 0;
    if (passes > 0) {
        stage_cond(d, B, x0, mask, 1);
        for (int k = 0; opt->ensemble && k < opt->ensemble_count; k++) stage_cond(opt->ensemble[k], B, x0, mask, 1);
    }
    double *p = xmalloc(sizeof(double) * (size_t)V), *logp = xmalloc(sizeof(double) * (size_t)V);
    candidate *cands = xmalloc(sizeof(candidate) * (size_t)L);
    /* With a prior, draws come from the weighted geometric mean of the two
     * distributions, p_net^(1/(1+w)) q^(w/(1+w)): the product at temperature
     * 1 + w. The product of experts trained apart is sharper than either
     * (two that agree square their probabilities), so drawing from it would
     * keep rare events out; the most probable event, and so temperature 0,
     * is the same. A network trained inside the product (prior_trained) has
     * learned to leave the prior's share to it: the product is then the
     * model, and draws come from it. */
    double draw_temperature =
        opt->prior && !opt->prior_trained ? opt->temperature * (1.0 + opt->prior_weight) : opt->temperature;
    /* prior_refine_only: the unmasking passes draw from the network alone. */
    int unmask_prior = opt->prior && !(opt->prior_refine_only && opt->refine > 0);
    double unmask_temperature = unmask_prior ? draw_temperature : opt->temperature;
    double confident = opt->random_order ? 0.0 : opt->reveal_confident;
    for (int pass = 0; pass < passes; pass++) {
        int any_hidden = 0;
        for (int b = 0; b < B; b++) any_hidden |= hidden[b] > 0;
        if (!any_hidden) break; /* every window filled in fewer passes than scheduled */
        for (int b = 0; b < B; b++) d->h_t[b] = step_for(hidden[b], generated[b], T);
        unmasking_pass(d, B, symbols, opt);
        for (int b = 0; b < B; b++) {
            if (!hidden[b]) continue;
            int reveal = (hidden[b] + (passes - pass) - 1) / (passes - pass);
            int n = 0;
            uint64_t stream = diffusion_stream(DIFFUSION_STREAM_SAMPLE, noise_ids[b]);
            for (int l = 0; l < L; l++) {
                if (symbols[(size_t)b * L + l] != SYMBOL_MASK(d)) continue;
                position_distribution(d, opt, unmask_prior, d->h_out, b, symbols + (size_t)b * L, l, p, logp);
                uint64_t draw = (uint64_t)pass * L + l;
                float u = philox_uniform(philox_u32(opt->seed, stream, draw));
                int ev = choose_event(p, V, unmask_temperature, u);
                /* A random order: a random priority, from draws the events do not use. */
                double key = opt->random_order
                                 ? philox_uniform(philox_u32(opt->seed, stream, (uint64_t)passes * L + draw))
                                 : p[ev];
                cands[n++] = (candidate){key, l, ev};
            }
            qsort(cands, (size_t)n, sizeof *cands, by_confidence);
            if (confident > 0 && confident <= 1)
                while (reveal < n && cands[reveal].confidence >= confident) reveal++;
            for (int k = 0; k < reveal && k < n; k++) symbols[(size_t)b * L + cands[k].pos] = cands[k].event;
            hidden[b] -= reveal < n ? reveal : n;
        }
        if (opt->progress) opt->progress(opt->progress_user, pass + 1, passes + refine_passes);
    }
    if (refine_passes)
        refine_windows(d, B, mask, noise_ids, opt, draw_temperature, generated, passes, symbols, p, logp);
    for (size_t i = 0; i < (size_t)B * L; i++) out[i] = mask[i] != 0.0f ? x0[i] : (float)(symbols[i] + 1);
    free(p);
    free(logp);
    free(cands);
    free(symbols);
    free(generated);
    free(hidden);
}
