/* Tests of the event encodings (model/encoding.h) in double precision: the
 * analog-bits code and its nearest-valid-code decoding, the channel counts
 * and configuration checks, the masked encoding's training loss (ln V exactly
 * from the zero-initialised head, gradients against central finite
 * differences, determinism; with a product-of-experts prior too), its sampler (observed events exact, one pass per
 * generated event or --steps passes, batch independence, probabilities that
 * sum to 1, the most probable event at temperature 0), the bits encoding's
 * sampler, and the encoding's round trip through a checkpoint (files written
 * before the field existed read as the id encoding). */
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "diffusion.h"
#include "diffusion_internal.h" /* the staged network input */
#include "encoding.h"
#include "philox.h"
#include "test_util.h"
#include "tiny_config.h"

static void test_bits_code(void) {
    CHECK(encoding_bits(1) == 1 && encoding_bits(2) == 1 && encoding_bits(3) == 2 && encoding_bits(4) == 2);
    CHECK(encoding_bits(5) == 3 && encoding_bits(62) == 6 && encoding_bits(64) == 6 && encoding_bits(65) == 7);
    int in, out;
    encoding_channels(ENCODING_ID, 62, &in, &out);
    CHECK(in == 1 && out == 1);
    encoding_channels(ENCODING_BITS, 62, &in, &out);
    CHECK(in == 6 && out == 6);
    encoding_channels(ENCODING_MASKED, 62, &in, &out);
    CHECK(in == 63 && out == 62);

    /* Every ID of a vocabulary that is not a power of two comes back. */
    int round_trip = 1;
    float code[8];
    for (int id = 1; id <= 62; id++) {
        encoding_bits_encode(id, 6, code, 1);
        for (int i = 0; i < 6; i++)
            if (code[i] != 1.0f && code[i] != -1.0f) round_trip = 0;
        if (encoding_bits_decode(code, 1, 6, 62) != id) round_trip = 0;
    }
    CHECK(round_trip);
    /* ID 6 = code 5 = bits 1,0,1 (least significant first), strided. */
    float strided[6] = {0};
    encoding_bits_encode(6, 3, strided, 2);
    CHECK(strided[0] == 1.0f && strided[2] == -1.0f && strided[4] == 1.0f);
    /* V = 5: the thresholded code 7 (all +) names no event; the nearest
     * valid code maximises v.c: code 3 (+,+,-) scores 1, better than 4, 1, 2 (-1). */
    float all_plus[3] = {1, 1, 1};
    CHECK(encoding_bits_decode(all_plus, 1, 3, 5) == 4);
    /* v = (0.9, -0.1, 0.8) thresholds to code 5 (invalid); v.c over codes 0..4:
     * -1.6, 0.2, -1.8, 0.0, 0.0, so code 1 = ID 2. */
    float v[3] = {0.9f, -0.1f, 0.8f};
    CHECK(encoding_bits_decode(v, 1, 3, 5) == 2);

    event_encoding e;
    error_info err;
    CHECK(encoding_parse("masked", &e, &err) == 0 && e == ENCODING_MASKED);
    CHECK(encoding_parse("bits", &e, &err) == 0 && e == ENCODING_BITS);
    CHECK(encoding_parse("id", &e, &err) == 0 && e == ENCODING_ID);
    CHECK(encoding_parse("onehot", &e, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "masked, bits or id");
}

static sssd_config tiny_config(int L, int T, int encoding, int V) {
    sssd_config cfg = tiny_test_config(L, T);
    sssd_config_set_encoding(&cfg, encoding, V);
    return cfg;
}

static void test_config(void) {
    error_info err;
    sssd_config c = tiny_config(12, 10, ENCODING_MASKED, 7);
    CHECK(c.in_channels == 8 && c.out_channels == 7 && c.vocab_size == 7);
    CHECK(sssd_config_validate(&c, &err) == 0);
    c.in_channels = 7;
    CHECK(sssd_config_validate(&c, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "needs 8 input and 7 output channels");
    c = tiny_config(12, 10, ENCODING_MASKED, 1);
    CHECK(sssd_config_validate(&c, &err) == -1);
    c = tiny_config(12, 10, ENCODING_BITS, ENCODING_MAX_VOCAB + 1);
    CHECK(sssd_config_validate(&c, &err) == -1);
    c = tiny_config(12, 10, ENCODING_ID, 62);
    CHECK(sssd_config_validate(&c, &err) == 0 && c.in_channels == 1);
    c.encoding = 3;
    CHECK(sssd_config_validate(&c, &err) == -1);
}

/* Add small noise to every parameter, so that no output is trivially zero. */
static void perturb(sssd_model *m, double scale, uint64_t seed) {
    backend *be = sssd_model_backend(m);
    long long n = sssd_model_num_params(m);
    real_t *p = malloc(sizeof(real_t) * (size_t)n);
    be->ops->download(be, p, sssd_model_params(m), sizeof(real_t) * (size_t)n);
    for (long long i = 0; i < n; i++) p[i] += (real_t)(scale * philox_normal(seed, 9, (uint64_t)i));
    be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
    sssd_model_parameters_changed(m);
    free(p);
}

static void fill_windows(float *x0, float *mask, int B, int L, int V, int gap_start, int gap_len) {
    for (int i = 0; i < B * L; i++) {
        x0[i] = (float)(1 + (i * 7 + i / L) % V);
        int l = i % L;
        mask[i] = l >= gap_start && l < gap_start + gap_len ? 0.0f : 1.0f;
    }
}

/* Gradients of the masked loss of (seed 3, iteration 2) against central
 * differences at `samples` parameters: the head's last 4, which every logit
 * depends on, and others drawn from philox(key). The loss runs on one mask
 * for the batch, or per window. Returns the worst error relative to the
 * bound; *checked: how many of them the loss really depends on. */
static double fd_gradient_worst(diffusion_context *d, sssd_model *m, int B, const float *x0, const float *mask,
                                int mask_per_window, int samples, uint64_t key, int *checked) {
    backend *be = sssd_model_backend(m);
    long long n = sssd_model_num_params(m);
    diffusion_train_step_share(d, B, x0, mask, mask_per_window, 3, 2, 0, NULL);
    real_t *grad = malloc(sizeof(real_t) * (size_t)n), *p = malloc(sizeof(real_t) * (size_t)n);
    be->ops->download(be, grad, sssd_model_grads(m), sizeof(real_t) * (size_t)n);
    be->ops->download(be, p, sssd_model_params(m), sizeof(real_t) * (size_t)n);
    double worst = 0;
    *checked = 0;
    for (int k = 0; k < samples; k++) {
        long long i = (long long)(philox_u32(key, 1, (uint64_t)k) % (uint64_t)n);
        if (k < 4) i = n - 1 - k;
        double h = 1e-6, saved = p[i];
        p[i] = (real_t)(saved + h);
        be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
        sssd_model_parameters_changed(m);
        double up = diffusion_train_step_share(d, B, x0, mask, mask_per_window, 3, 2, 0, NULL);
        p[i] = (real_t)(saved - h);
        be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
        sssd_model_parameters_changed(m);
        double down = diffusion_train_step_share(d, B, x0, mask, mask_per_window, 3, 2, 0, NULL);
        p[i] = (real_t)saved;
        double fd = (up - down) / (2 * h);
        /* Rounding limits central differences of a loss near 2 with h = 1e-6
         * to about 2e-16 / 1e-6 = 2e-10 absolute: the bound is 1e-9 plus 1e-6 relative. */
        double err = fabs(fd - (double)grad[i]) / (1e-9 + 1e-6 * fabs((double)grad[i]));
        if (err > worst) worst = err;
        *checked += fabs(fd) > 1e-5; /* a parameter the loss really depends on */
    }
    be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
    sssd_model_parameters_changed(m);
    free(grad);
    free(p);
    return worst;
}

static void test_masked_loss(void) {
    backend *be = backend_cpu_create(1);
    int L = 12, T = 10, B = 3, V = 7;
    sssd_config cfg = tiny_config(L, T, ENCODING_MASKED, V);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    diffusion_context *d = diffusion_context_create(m);
    float x0[36], mask3[36], mask[12];
    fill_windows(x0, mask3, B, L, V, 3, 5);
    memcpy(mask, mask3, sizeof mask);

    /* The head starts at zero: every logit is 0, so the cross-entropy is ln V exactly. */
    double l0 = diffusion_train_step(d, B, x0, mask, 3, 1);
    CHECK_CLOSE(l0, log((double)V), 1e-12, 0);
    uint64_t ids[3] = {4, 5, 6};
    double cnt = 0;
    CHECK_CLOSE(diffusion_eval_loss(d, B, x0, mask3, ids, 3, &cnt), log((double)V), 1e-12, 0);
    CHECK(cnt == 15.0);

    /* Gradients of the loss of one (seed, iteration) against central differences. */
    perturb(m, 0.2, 11);
    double loss = diffusion_train_step(d, B, x0, mask, 3, 2);
    CHECK(isfinite(loss) && loss > 0);
    CHECK(diffusion_train_step(d, B, x0, mask, 3, 2) == loss);
    int checked;
    double worst = fd_gradient_worst(d, m, B, x0, mask, 0, 40, 77, &checked);
    CHECK_MSG(checked >= 30, "only %d of 40 sampled parameters move the loss", checked);
    printf("masked loss gradient: %d parameters checked, worst error %.2f of the bound\n", checked, worst);
    CHECK_MSG(worst <= 1.0, "masked loss: a gradient is off by %g times the bound", worst);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

/* Training as a product of experts (diffusion_set_train_prior): a prior
 * that depends on the position and on the visible events around it. The
 * callback also keeps, from the hidden positions it is asked about, the
 * cross-entropy of the product the loss must equal when every logit is 0
 * (the head starts at zero), and which window numbers it was given. */
typedef struct train_prior_spy {
    int V, L, calls, min_window, max_window;
    const float *x0;   /* the batch's events, to know each hidden position's target */
    double weight, expected_sum;
} train_prior_spy;

static void spy_train_logp(void *user, int slot, long long window, const int32_t *symbols, int l, double *logp) {
    train_prior_spy *s = user;
    int V = s->V, left = l > 0 && symbols[l - 1] < V ? symbols[l - 1] : 0;
    double z = 0;
    for (int v = 0; v < V; v++) z += exp(-0.4 * ((v + l + left) % V));
    for (int v = 0; v < V; v++) logp[v] = -0.4 * ((v + l + left) % V) - log(z);
    int target = (int)lrintf(s->x0[(size_t)slot * s->L + l]) - 1;
    double lse = 0;
    for (int v = 0; v < V; v++) lse += exp(s->weight * logp[v]);
    s->expected_sum += log(lse) - s->weight * logp[target];
    s->calls++;
    if (window < s->min_window) s->min_window = (int)window;
    if (window > s->max_window) s->max_window = (int)window;
}

static void test_masked_train_prior(void) {
    backend *be = backend_cpu_create(1);
    int L = 12, T = 10, B = 3, V = 7;
    sssd_config cfg = tiny_config(L, T, ENCODING_MASKED, V);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    diffusion_context *d = diffusion_context_create(m);
    float x0[36], mask3[36];
    fill_windows(x0, mask3, B, L, V, 3, 5);
    train_prior_spy spy = {V, L, 0, 1 << 30, -(1 << 30), x0, 0.7, 0};
    diffusion_set_train_prior(d, spy_train_logp, &spy, spy.weight);

    /* Zero head: the loss is the product's cross-entropy, the prior's alone. */
    double l0 = diffusion_train_step_windows(d, B, x0, mask3, 3, 1);
    CHECK(spy.calls > 0);
    CHECK_CLOSE(l0, spy.expected_sum / spy.calls, 1e-12, 0);
    CHECK(fabs(l0 - log((double)V)) > 1e-3); /* not the network's own ln V */
    CHECK(spy.min_window == 0 && spy.max_window <= B - 1); /* training: the batch places */
    spy.calls = 0;
    spy.expected_sum = 0;
    uint64_t ids[3] = {4, 5, 6};
    double cnt = 0, le = diffusion_eval_loss(d, B, x0, mask3, ids, 3, &cnt);
    CHECK(spy.calls > 0 && spy.min_window == -1 && spy.max_window <= B - 1); /* validation: -1 */
    CHECK_CLOSE(le, spy.expected_sum / spy.calls, 1e-12, 0);

    /* Gradients through the product against central differences. */
    perturb(m, 0.2, 11);
    double loss = diffusion_train_step_windows(d, B, x0, mask3, 3, 2);
    diffusion_set_train_prior(d, NULL, NULL, 0);
    double alone = diffusion_train_step_windows(d, B, x0, mask3, 3, 2);
    CHECK_MSG(fabs(alone - loss) > 1e-3, "the prior changed the loss by only %g", fabs(alone - loss));
    diffusion_set_train_prior(d, spy_train_logp, &spy, spy.weight);
    int checked;
    double worst = fd_gradient_worst(d, m, B, x0, mask3, 1, 30, 78, &checked);
    CHECK_MSG(checked >= 20, "only %d of 30 sampled parameters move the loss", checked);
    printf("product-of-experts loss gradient: %d parameters checked, worst error %.2f of the bound\n", checked, worst);
    CHECK_MSG(worst <= 1.0, "product-of-experts loss: a gradient is off by %g times the bound", worst);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

/* The n-gram as an input (diffusion_set_prior_input): a hidden position's
 * input holds the prior's probabilities on channels 0..V-1 and 1 on [MASK];
 * a visible one its one-hot alone. The input changes the loss, and the
 * sampler feeds its own prior (at weight 0: input only) the same way. */
static void sample_spy_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    spy_train_logp(user, window, window, symbols, l, logp);
}

static void test_masked_prior_input(void) {
    backend *be = backend_cpu_create(1);
    int L = 12, T = 10, B = 3, V = 7;
    sssd_config cfg = tiny_config(L, T, ENCODING_MASKED, V);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    perturb(m, 1.0, 12); /* strongly enough that the input shows in the loss */
    diffusion_context *d = diffusion_context_create(m);
    float x0[36], mask3[36];
    fill_windows(x0, mask3, B, L, V, 3, 5);
    uint64_t ids[3] = {4, 5, 6};
    double cnt = 0, plain = diffusion_eval_loss(d, B, x0, mask3, ids, 3, &cnt);
    train_prior_spy spy = {V, L, 0, 1 << 30, -(1 << 30), x0, 0.7, 0};
    diffusion_set_train_prior(d, spy_train_logp, &spy, 0.0); /* input only */
    diffusion_set_prior_input(d, 1);
    double fed = diffusion_eval_loss(d, B, x0, mask3, ids, 3, &cnt);
    CHECK(spy.calls > 0);
    CHECK_MSG(fabs(fed - plain) > 1e-4, "the prior as input changed the loss by %g", fabs(fed - plain));
    /* The staged input of that pass (host copy): check every position. */
    int hidden = 0, right = 1;
    int ch = cfg.in_channels;
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            const real_t *col = d->h_x0 + (size_t)b * ch * L + l;
            int is_hidden = col[(size_t)V * L] == 1;
            if (!is_hidden) {
                double sum = 0;
                for (int v = 0; v <= V; v++) sum += col[(size_t)v * L];
                right &= sum == 1 && col[(size_t)((int)lrintf(x0[b * L + l]) - 1) * L] == 1;
                continue;
            }
            hidden++;
            double sum = 0;
            for (int v = 0; v < V; v++) sum += col[(size_t)v * L];
            right &= fabs(sum - 1) < 1e-12; /* the spy's distribution, normalised */
        }
    CHECK(hidden > 0 && hidden < 15);
    CHECK(right);
    /* The sampler: without a prior it refuses (not testable here: it exits);
     * with one at weight 0 it runs and differs from the same network fed nothing. */
    float out[36], *p_plain = calloc(36 * (size_t)V, sizeof(float)), *p_fed = calloc(36 * (size_t)V, sizeof(float));
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .steps = 1, .seed = 5, .probs = p_fed};
    so.prior = sample_spy_logp;
    so.prior_user = &spy;
    so.prior_weight = 0.0;
    diffusion_sample(d, B, x0, mask3, ids, &so, out);
    diffusion_set_prior_input(d, 0);
    so.probs = p_plain;
    diffusion_sample(d, B, x0, mask3, ids, &so, out);
    double moved = 0;
    for (int i = 0; i < 36 * V; i++) moved = fmax(moved, fabs((double)p_fed[i] - (double)p_plain[i]));
    CHECK_MSG(moved > 1e-4, "the prior as input moved a probability by %g", moved);
    free(p_plain);
    free(p_fed);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

typedef struct pass_count {
    int passes, last_total;
} pass_count;

static void count_pass(void *user, int done, int total) {
    pass_count *c = user;
    c->passes++;
    c->last_total = total;
    (void)done;
}

/* The sampling tests' model: 3 windows of 12 events over 7 event types, a
 * gap of 5 from position 4, weights perturbed so that contexts matter. */
typedef struct masked_fixture {
    backend *be;
    sssd_config cfg;
    sssd_model *m;
    diffusion_context *d;
    float x0[36], mask[36];
} masked_fixture;

static void masked_fixture_make(masked_fixture *f, int L, int T, int B, int V) {
    f->be = backend_cpu_create(1);
    f->cfg = tiny_config(L, T, ENCODING_MASKED, V);
    f->m = sssd_model_create(&f->cfg, f->be, B, 42);
    perturb(f->m, 0.3, 12);
    f->d = diffusion_context_create(f->m);
    fill_windows(f->x0, f->mask, B, L, V, 4, 5);
}

/* A flat prior that watches the sampler: the first gap position revealed
 * is the one hidden in the first pass's window and visible in the second's. */
typedef struct order_spy {
    int L, V, first;
    int32_t seen[16];
} order_spy;

static void spy_prior(void *user, int window, const int32_t *symbols, int l, double *logp) {
    (void)window;
    order_spy *s = user;
    (void)l;
    for (int v = 0; v < s->V; v++) logp[v] = 0;
    if (s->first >= 0) return;
    int hidden_before = 0, hidden_now = 0;
    for (int j = 0; j < s->L; j++) {
        hidden_before += s->seen[j] >= s->V;
        hidden_now += symbols[j] >= s->V;
    }
    if (hidden_before && hidden_now < hidden_before)
        for (int j = 0; j < s->L; j++)
            if (s->seen[j] >= s->V && symbols[j] < s->V) s->first = j;
    memcpy(s->seen, symbols, sizeof(int32_t) * (size_t)s->L);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_masked_sampling(void) {
    int L = 12, T = 10, B = 3, V = 7;
    masked_fixture fx;
    masked_fixture_make(&fx, L, T, B, V);
    backend *be = fx.be;
    sssd_config cfg = fx.cfg;
    sssd_model *m = fx.m;
    diffusion_context *d = fx.d;
    float *x0 = fx.x0, *mask = fx.mask, out[36], out1[36], out2[36];
    uint64_t ids[3] = {10, 11, 12};
    float *probs = malloc(sizeof(float) * 36 * V);
    pass_count pc = {0, 0};
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .seed = 5, .progress = count_pass, .progress_user = &pc,
                                   .probs = probs};
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    CHECK(pc.passes == 5 && pc.last_total == 5); /* one pass per generated event */
    int exact = 1, valid = 1, sums = 1;
    for (int i = 0; i < B * L; i++) {
        if (mask[i] != 0 && out[i] != x0[i]) exact = 0;
        if (out[i] < 1 || out[i] > V || out[i] != floorf(out[i])) valid = 0;
        if (mask[i] == 0) {
            double s = 0;
            for (int v = 0; v < V; v++) s += probs[(size_t)i * V + v];
            if (fabs(s - 1) > 1e-6) sums = 0;
        }
    }
    CHECK(exact);
    CHECK(valid);
    CHECK(sums);
    /* Batch independence and determinism. */
    so.progress = NULL;
    so.probs = NULL;
    diffusion_sample(d, 1, x0, mask, ids, &so, out1);
    diffusion_sample(d, 2, x0 + L, mask + L, ids + 1, &so, out1 + L);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    /* --steps 2: the gap of 5 in two passes (3 then 2). */
    pc.passes = 0;
    so.progress = count_pass;
    so.steps = 2;
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(pc.passes == 2);
    exact = 1;
    for (int i = 0; i < B * L; i++)
        if (mask[i] != 0 && out2[i] != x0[i]) exact = 0;
    CHECK(exact);
    so.progress = NULL;
    so.steps = 0;
    /* Temperature 1 draws: a function of the seed. */
    so.temperature = 1.0;
    diffusion_sample(d, B, x0, mask, ids, &so, out1);
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(memcmp(out1, out2, sizeof out1) == 0);
    int differs = 0;
    for (uint64_t seed = 6; seed < 12 && !differs; seed++) {
        so.seed = seed;
        diffusion_sample(d, B, x0, mask, ids, &so, out2);
        differs = memcmp(out1, out2, sizeof out1) != 0;
    }
    CHECK(differs);
    /* Order: which gap position is revealed first, seen through a flat
     * prior (it changes nothing) that notes the window at every call. Surest
     * first always picks the same one; a random order spreads over the gap. */
    so.temperature = 0;
    int first_conf[12] = {0}, first_rand[12] = {0};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        for (int r = 0; r < 2; r++) {
            order_spy spy = {L, V, -1, {0}};
            so.seed = seed;
            so.random_order = r;
            so.prior = spy_prior;
            so.prior_user = &spy;
            so.prior_weight = 1;
            diffusion_sample(d, 1, x0, mask, ids, &so, out2);
            CHECK(spy.first >= 0 && spy.first < L && mask[spy.first] == 0);
            if (spy.first >= 0 && spy.first < L) (r ? first_rand : first_conf)[spy.first]++;
        }
    }
    so.prior = NULL;
    int conf_positions = 0, rand_positions = 0;
    for (int l = 0; l < L; l++) {
        conf_positions += first_conf[l] > 0;
        rand_positions += first_rand[l] > 0;
    }
    CHECK_MSG(conf_positions == 1, "%d", conf_positions);
    CHECK_MSG(rand_positions >= 4, "%d", rand_positions); /* 5 gap positions, 40 draws */
    /* One pass reveals the whole gap at once: there the order cannot matter. */
    so.steps = 1;
    so.random_order = 0;
    diffusion_sample(d, B, x0, mask, ids, &so, out1);
    so.random_order = 1;
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(memcmp(out1, out2, sizeof out1) == 0);
    so.steps = 0;
    so.random_order = 0;
    /* Revealing the sure positions at once. A threshold every event meets
     * fills the gap in the first pass, as one scheduled pass does; one above
     * 1 is off; one between takes from 1 to the scheduled 5 passes, and the
     * surest position of the first pass is revealed in either case. */
    so.progress = count_pass;
    so.reveal_confident = 1e-9;
    pc = (pass_count){0, 0};
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(memcmp(out1, out2, sizeof out1) == 0);
    CHECK_MSG(pc.passes == 1, "%d passes", pc.passes);
    so.reveal_confident = 0;
    pc = (pass_count){0, 0};
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    CHECK(pc.passes == 5);
    so.reveal_confident = 1.5;
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(memcmp(out, out2, sizeof out) == 0);
    /* Halfway: with a threshold between the first pass's surest and least
     * sure positions (seen through one scheduled pass's probabilities), a
     * position above it is revealed in that pass, with the event that one
     * pass gives it, whatever the later passes do. */
    float *first = malloc(sizeof(float) * 36 * V);
    so.reveal_confident = 0;
    so.steps = 1;
    so.probs = first;
    so.progress = NULL;
    diffusion_sample(d, B, x0, mask, ids, &so, out1);
    float best[36];
    int gap = 0;
    for (int i = 0; i < B * L; i++) {
        if (mask[i] != 0) continue;
        float b = 0;
        for (int v = 0; v < V; v++) b = fmaxf(b, first[(size_t)i * V + v]);
        best[gap++] = b;
    }
    qsort(best, (size_t)gap, sizeof *best, cmp_float);
    double threshold = 0.5 * ((double)best[gap / 2 - 1] + (double)best[gap / 2]);
    CHECK(best[gap / 2] - best[gap / 2 - 1] > 1e-5f); /* the middle two apart: float rounding cannot matter */
    so.steps = 0;
    so.probs = NULL;
    so.progress = count_pass;
    so.reveal_confident = threshold;
    pc = (pass_count){0, 0};
    diffusion_sample(d, B, x0, mask, ids, &so, out2);
    CHECK(pc.passes >= 1 && pc.passes <= 5);
    int sure = 0, kept = 1;
    exact = 1;
    for (int i = 0; i < B * L; i++) {
        if (mask[i] != 0) {
            if (out2[i] != x0[i]) exact = 0;
            continue;
        }
        float b = 0;
        for (int v = 0; v < V; v++) b = fmaxf(b, first[(size_t)i * V + v]);
        if (b < threshold) continue;
        sure++;
        if (out2[i] != out1[i]) kept = 0;
    }
    CHECK(exact);
    CHECK(kept);
    CHECK(sure == gap - gap / 2);
    printf("reveal_confident %.4f: %d of %d gap positions sure in the first pass, %d passes\n", threshold, sure, gap,
           pc.passes);
    free(first);
    so.reveal_confident = 0;
    so.progress = NULL;
    diffusion_context_free(d);
    sssd_model_free(m);

    /* A head whose bias makes event 5 overwhelmingly likely: the greedy sampler fills every gap with it. */
    m = sssd_model_create(&cfg, be, B, 43);
    const sssd_tensor_info *bias = sssd_model_find_tensor(m, "final_conv/2/conv/bias");
    CHECK(bias != NULL && bias->count == V);
    if (bias) {
        real_t b[7] = {0, 0, 0, 0, 20, 0, 0};
        be->ops->upload(be, sssd_model_params(m) + bias->offset, b, sizeof b);
        sssd_model_parameters_changed(m);
    }
    d = diffusion_context_create(m);
    so.temperature = 0;
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    int all_five = 1;
    for (int i = 0; i < B * L; i++)
        if (mask[i] == 0 && out[i] != 5.0f) all_five = 0;
    CHECK(all_five);
    free(probs);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

static void test_bits_diffusion(void) {
    backend *be = backend_cpu_create(1);
    int L = 12, T = 10, B = 3, V = 5;
    sssd_config cfg = tiny_config(L, T, ENCODING_BITS, V);
    CHECK(cfg.in_channels == 3 && cfg.out_channels == 3);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    perturb(m, 0.05, 13);
    diffusion_context *d = diffusion_context_create(m);
    float x0[36], mask[36], out[36], out1[36];
    fill_windows(x0, mask, B, L, V, 2, 6);
    uint64_t ids[3] = {1, 2, 3};
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .seed = 5};
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    int exact = 1, valid = 1;
    for (int i = 0; i < B * L; i++) {
        if (mask[i] != 0 && out[i] != x0[i]) exact = 0;
        if (out[i] < 1 || out[i] > V || out[i] != floorf(out[i])) valid = 0;
    }
    CHECK(exact);
    CHECK(valid);
    diffusion_sample(d, 2, x0, mask, ids, &so, out1);
    diffusion_sample(d, 1, x0 + 2 * L, mask + 2 * L, ids + 2, &so, out1 + 2 * L);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    /* The loss is the epsilon MSE over the generated positions of all 3 bit rows. */
    double l1 = diffusion_train_step(d, B, x0, mask, 3, 7);
    CHECK(isfinite(l1) && l1 > 0);
    CHECK(diffusion_train_step(d, B, x0, mask, 3, 7) == l1);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

static void test_checkpoint_encoding(void) {
    backend *be = backend_cpu_create(1);
    sssd_config cfg = tiny_config(12, 10, ENCODING_MASKED, 7);
    sssd_model *m = sssd_model_create(&cfg, be, 1, 42);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    error_info err;
    const char *path = "test_encodings.ckpt";
    CHECK(checkpoint_save(path, m, &meta, 0, &err) == 0);
    sssd_config back;
    CHECK(checkpoint_read_config(path, &back, &err) == 0);
    CHECK(back.encoding == ENCODING_MASKED && back.vocab_size == 7 && back.in_channels == 8 && back.out_channels == 7);
    sssd_model_free(m);

    /* An id-encoded checkpoint from before the encoding was recorded: no such attributes. */
    cfg = tiny_config(12, 10, ENCODING_ID, 0);
    m = sssd_model_create(&cfg, be, 1, 42);
    CHECK(checkpoint_save(path, m, &meta, 0, &err) == 0);
    sssd_model_free(m);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    CHECK(H5Adelete(f, "config_encoding") >= 0 && H5Adelete(f, "config_vocab_size") >= 0);
    H5Fclose(f);
    CHECK(checkpoint_read_config(path, &back, &err) == 0);
    CHECK(back.encoding == ENCODING_ID && back.vocab_size == 0 && back.in_channels == 1);
    m = checkpoint_load(path, be, 1, NULL, &err);
    CHECK_MSG(m != NULL, "%s", err.message);
    sssd_model_free(m);
    remove(path);
    backend_free(be);
}

/* The prior hook: a prior that is the same for every event changes nothing
 * (nor does any prior at weight 0); one that all but forbids every event
 * but (position mod V) decides every hidden position; the distributions
 * handed out are the fused ones, p_net(v) exp(w logp(v)) renormalised. */
typedef struct forcing_prior {
    int V, flat, calls;
} forcing_prior;

static void forcing_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    (void)window;
    forcing_prior *f = user;
    f->calls++;
    (void)symbols;
    if (f->flat == 2) { /* a mild opinion that depends on the position */
        double z = 0;
        for (int v = 0; v < f->V; v++) z += exp(-0.3 * ((v + l) % f->V));
        for (int v = 0; v < f->V; v++) logp[v] = -0.3 * ((v + l) % f->V) - log(z);
        return;
    }
    for (int v = 0; v < f->V; v++) logp[v] = f->flat ? -log((double)f->V) : v == l % f->V ? 0.0 : -60.0;
}

static void test_masked_prior(void) {
    int L = 12, T = 10, B = 3, V = 7;
    masked_fixture fx;
    masked_fixture_make(&fx, L, T, B, V);
    backend *be = fx.be;
    sssd_model *m = fx.m;
    diffusion_context *d = fx.d;
    float *x0 = fx.x0, *mask = fx.mask, plain[36], out[36];
    uint64_t ids[3] = {10, 11, 12};
    float *probs = calloc(36 * (size_t)V, sizeof(float)), *probs_plain = calloc(36 * (size_t)V, sizeof(float));
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .seed = 5, .probs = probs_plain};
    diffusion_sample(d, B, x0, mask, ids, &so, plain);
    forcing_prior f = {V, 1, 0};
    so.probs = probs;
    so.prior = forcing_logp;
    so.prior_user = &f;
    so.prior_weight = 1.0;
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    CHECK(f.calls > 0);
    CHECK(memcmp(out, plain, sizeof out) == 0);
    double worst = 0;
    for (int i = 0; i < 36 * V; i++) worst = fmax(worst, fabs((double)probs[i] - (double)probs_plain[i]));
    CHECK_MSG(worst < 1e-6, "a flat prior moved a probability by %g", worst);
    f.flat = 0;
    so.prior_weight = 0.0;
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    CHECK(memcmp(out, plain, sizeof out) == 0);
    so.prior_weight = 1.0;
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    int forced = 1, kept = 1, changed = 0;
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            int i = b * L + l;
            if (mask[i] != 0) kept &= out[i] == x0[i];
            else {
                forced &= out[i] == (float)(l % V + 1);
                changed |= out[i] != plain[i];
                forced &= probs[(size_t)i * V + l % V] > 0.999f;
            }
        }
    CHECK(kept);
    CHECK(forced);
    CHECK(changed); /* the network alone chose otherwise somewhere: the prior did something */
    /* Weight 0.5 on a mild prior, every position revealed in one pass: the
     * distributions handed out equal the formula applied to the network's. */
    so.steps = 1;
    so.prior = NULL;
    so.probs = probs_plain;
    diffusion_sample(d, B, x0, mask, ids, &so, plain);
    f.flat = 2;
    so.prior = forcing_logp;
    so.prior_weight = 0.5;
    so.probs = probs;
    diffusion_sample(d, B, x0, mask, ids, &so, out);
    worst = 0;
    for (int b = 0; b < B; b++)
        for (int l = 0; l < L; l++) {
            size_t i = (size_t)b * L + l;
            if (mask[i] != 0) continue;
            double q[7], z = 0, lp[7];
            forcing_logp(&f, 0, NULL, l, lp);
            for (int v = 0; v < V; v++) z += q[v] = (double)probs_plain[i * V + v] * exp(0.5 * lp[v]);
            for (int v = 0; v < V; v++) worst = fmax(worst, fabs(q[v] / z - (double)probs[i * V + v]));
        }
    CHECK_MSG(worst < 1e-6, "fused distribution off the formula by %g", worst);
    free(probs);
    free(probs_plain);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

/* generate --ensemble: a second network on the same symbols. Its twin (the
 * same weights) changes nothing; a different one gives, in one pass, the
 * normalised geometric mean of the two networks' distributions, which the
 * prior then multiplies as it does one network's. */
static void test_masked_ensemble(void) {
    int L = 12, T = 10, B = 3, V = 7;
    masked_fixture fx;
    masked_fixture_make(&fx, L, T, B, V);
    sssd_model *twin = sssd_model_create(&fx.cfg, fx.be, B, 42), *other = sssd_model_create(&fx.cfg, fx.be, B, 43);
    perturb(twin, 0.3, 12);
    perturb(other, 0.3, 13);
    diffusion_context *dt = diffusion_context_create(twin), *dother = diffusion_context_create(other);
    uint64_t ids[3] = {10, 11, 12};
    size_t NP = 36 * (size_t)V;
    float alone[36], out[36], *p1 = calloc(NP, sizeof(float)), *p2 = calloc(NP, sizeof(float));
    float *pe = calloc(NP, sizeof(float));
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .seed = 5, .probs = p1};
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, alone);
    so.probs = pe;
    so.ensemble = &dt;
    so.ensemble_count = 1;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
    CHECK(memcmp(out, alone, sizeof out) == 0);
    CHECK(memcmp(pe, p1, NP * sizeof(float)) == 0);

    /* One pass: every position's distribution from the same symbols. */
    forcing_prior f = {V, 2, 0};
    for (int with_prior = 0; with_prior < 2; with_prior++) {
        diffusion_sample_options one = {.sampler = SAMPLER_DDPM, .steps = 1, .seed = 5, .probs = p1};
        if (with_prior) {
            one.prior = forcing_logp;
            one.prior_user = &f;
            one.prior_weight = 0.5;
        }
        diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &one, alone);
        diffusion_sample_options two = one;
        two.probs = p2;
        diffusion_sample(dother, B, fx.x0, fx.mask, ids, &two, out);
        diffusion_sample_options both = one;
        both.probs = pe;
        both.ensemble = &dother;
        both.ensemble_count = 1;
        diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &both, out);
        double worst = 0, spread = 0;
        int argmax = 1;
        for (int b = 0; b < B; b++)
            for (int l = 0; l < L; l++) {
                size_t i = (size_t)b * L + l;
                if (fx.mask[i] != 0) {
                    CHECK(out[i] == fx.x0[i]);
                    continue;
                }
                /* Each network's own distribution, without the prior: p1 and p2
                 * hold network x prior^w, so the prior is divided out first. */
                double q[7], z = 0, lp[7];
                for (int v = 0; v < V; v++) lp[v] = 0;
                if (with_prior) forcing_logp(&f, 0, NULL, l, lp);
                for (int v = 0; v < V; v++) {
                    double a = (double)p1[i * V + v] * exp(-0.5 * lp[v]), c = (double)p2[i * V + v] * exp(-0.5 * lp[v]);
                    z += q[v] = sqrt(a * c) * exp(0.5 * lp[v]);
                    spread = fmax(spread, fabs((double)p1[i * V + v] - (double)p2[i * V + v]));
                }
                int best = 0;
                for (int v = 0; v < V; v++) {
                    worst = fmax(worst, fabs(q[v] / z - (double)pe[i * V + v]));
                    if (q[v] > q[best]) best = v;
                }
                argmax &= out[i] == (float)(best + 1);
            }
        CHECK_MSG(worst < 1e-5, "the ensemble's distribution is off the geometric mean by %g (prior %d)", worst,
                  with_prior);
        CHECK_MSG(spread > 1e-3, "the two networks agree to %g: the test would not tell them apart", spread);
        CHECK(argmax);
    }
    free(p1);
    free(p2);
    free(pe);
    diffusion_context_free(dt);
    diffusion_context_free(dother);
    sssd_model_free(twin);
    sssd_model_free(other);
    diffusion_context_free(fx.d);
    sssd_model_free(fx.m);
    backend_free(fx.be);
}

/* A prior that wants each event to repeat the one before it when that one
 * is visible, and has no opinion otherwise. */
static void copy_left_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    (void)window;
    int V = *(const int *)user;
    for (int v = 0; v < V; v++)
        logp[v] = l > 0 && symbols[l - 1] < V ? (v == symbols[l - 1] ? 0.0 : -60.0) : -log((double)V);
}

/* copy_left_logp, noting the most positions of a window it saw hidden at once. */
typedef struct hidden_spy {
    int V, L, most_hidden, calls;
} hidden_spy;

static void spy_copy_left_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    hidden_spy *s = user;
    int hidden = 0;
    for (int j = 0; j < s->L; j++) hidden += symbols[j] >= s->V;
    if (hidden > s->most_hidden) s->most_hidden = hidden;
    s->calls++;
    copy_left_logp(&s->V, window, symbols, l, logp);
}

static void test_masked_refine(void) {
    /* Refinement sweeps redraw each generated event given both sides. In a
     * random order an event drawn before its left neighbour cannot copy it;
     * every sweep redraws each position with its neighbour visible, so
     * within as many sweeps as the gap is long (5) the whole gap repeats the
     * event before it, whatever the order. */
    int L = 12, T = 10, B = 3, V = 7;
    masked_fixture fx;
    masked_fixture_make(&fx, L, T, B, V);
    float out[36], out1[36], *probs = malloc(sizeof(float) * 36 * V);
    uint64_t ids[3] = {10, 11, 12};
    pass_count pc = {0, 0};
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .seed = 5, .temperature = 1.0, .random_order = 1};
    so.prior = copy_left_logp;
    so.prior_user = &V;
    so.prior_weight = 1.0;
    int broken_without = 0, broken_with = 0, exact = 1, valid = 1;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        so.seed = seed;
        for (int refine = 0; refine <= 5; refine += 5) {
            so.refine = refine;
            diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
            for (int b = 0; b < B; b++)
                for (int l = 0; l < L; l++) {
                    int i = b * L + l;
                    if (fx.mask[i] != 0) {
                        exact &= out[i] == fx.x0[i];
                        continue;
                    }
                    valid &= out[i] >= 1 && out[i] <= V;
                    if (out[i] == fx.x0[b * L + 3]) continue;
                    if (refine) broken_with++;
                    else broken_without++;
                }
        }
    }
    CHECK(exact);
    CHECK(valid);
    CHECK_MSG(broken_without > 0, "the random order alone already repeated every event (nothing to test)");
    CHECK_MSG(broken_with == 0, "%d events after 5 sweeps do not repeat the event before the gap", broken_with);
    /* The prior in the refinement sweeps only: unmasking draws from the
     * network alone (the prior never sees the gap's 5 hidden positions of
     * the first pass, only the one a sweep hides at a time in each window),
     * and the sweeps still make the gap repeat its left neighbour. */
    hidden_spy spy = {V, L, 0, 0};
    so.prior = spy_copy_left_logp;
    so.prior_user = &spy;
    so.prior_refine_only = 1;
    broken_with = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        so.seed = seed;
        so.refine = 5;
        diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
        for (int i = 0; i < B * L; i++)
            if (fx.mask[i] == 0 && out[i] != fx.x0[(i / L) * L + 3]) broken_with++;
    }
    CHECK_MSG(spy.calls > 0 && spy.most_hidden == 1, "the prior saw %d hidden positions at once (%d calls)",
              spy.most_hidden, spy.calls);
    CHECK_MSG(broken_with == 0, "prior in refinement only: %d events do not repeat the event before the gap", broken_with);
    /* Without sweeps the setting has nothing to move the prior to: it stays in the unmasking passes. */
    so.refine = 0;
    so.prior = copy_left_logp;
    so.prior_user = &V;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out1);
    so.prior_refine_only = 0;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    /* Passes: 5 to unmask, 8 per sweep; probabilities are those of the last
     * draw; batches do not change the draws. */
    so.seed = 3;
    so.refine = 2;
    so.progress = count_pass;
    so.progress_user = &pc;
    so.probs = probs;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
    CHECK_MSG(pc.passes == 5 + 2 * DIFFUSION_REFINE_STRIDE && pc.last_total == pc.passes, "%d passes of %d",
              pc.passes, pc.last_total);
    int drawn_from = 1;
    for (int i = 0; i < B * L; i++)
        if (fx.mask[i] == 0) drawn_from &= probs[(size_t)i * V + (int)out[i] - 1] > 0.99f;
    CHECK(drawn_from);
    so.progress = NULL;
    so.probs = NULL;
    diffusion_sample(fx.d, 1, fx.x0, fx.mask, ids, &so, out1);
    diffusion_sample(fx.d, 2, fx.x0 + L, fx.mask + L, ids + 1, &so, out1 + L);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    /* Temperature 0: each redraw takes the most probable event, which a
     * forcing prior dictates, so refinement keeps what unmasking chose. */
    forcing_prior f = {V, 0, 0};
    so.prior = forcing_logp;
    so.prior_user = &f;
    so.temperature = 0;
    so.random_order = 0;
    so.refine = 0;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out);
    so.refine = 3;
    diffusion_sample(fx.d, B, fx.x0, fx.mask, ids, &so, out1);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    free(probs);
    diffusion_context_free(fx.d);
    sssd_model_free(fx.m);
    backend_free(fx.be);
}

/* A prior that is the network's own distribution at each position (taken
 * from an earlier pass), so that the product is p^2, renormalised. */
typedef struct echo_prior {
    int V;
    const float *p; /* (L, V) */
} echo_prior;

static void echo_logp(void *user, int window, const int32_t *symbols, int l, double *logp) {
    (void)window;
    echo_prior *e = user;
    (void)symbols;
    for (int v = 0; v < e->V; v++) logp[v] = log(fmax((double)e->p[(size_t)l * e->V + v], 1e-300));
}

static void test_prior_draws(void) {
    /* Draws with a prior come from the weighted geometric mean of the two
     * distributions, not from their sharper product: with the network's own
     * distribution p as the prior at weight 1, the product is p^2 and the
     * geometric mean p itself. One pass reveals every position from the
     * same state, so each draw is from that position's distribution. A
     * network trained inside the product draws from the product. */
    int L = 12, T = 10, B = 3, V = 7;
    masked_fixture fx;
    masked_fixture_make(&fx, L, T, B, V);
    float *p = calloc((size_t)L * V, sizeof(float)), out[12];
    uint64_t id = 10;
    diffusion_sample_options so = {.sampler = SAMPLER_DDPM, .steps = 1, .seed = 5, .temperature = 1.0, .probs = p};
    diffusion_sample(fx.d, 1, fx.x0, fx.mask, &id, &so, out);
    echo_prior e = {V, p};
    so.probs = NULL;
    so.prior = echo_logp;
    so.prior_user = &e;
    so.prior_weight = 1.0;
    enum { DRAWS = 2000 };
    double tv_p = 0, tv_sq = 0, tv_model = 0;
    int gap = 0;
    for (int l = 0; l < L; l++) gap += fx.mask[l] == 0;
    static int count[12][7];
    memset(count, 0, sizeof count);
    for (int k = 0; k < DRAWS; k++) {
        so.seed = 100 + (uint64_t)k;
        diffusion_sample(fx.d, 1, fx.x0, fx.mask, &id, &so, out);
        for (int l = 0; l < L; l++)
            if (fx.mask[l] == 0) count[l][(int)out[l] - 1]++;
    }
    for (int l = 0; l < L; l++) {
        if (fx.mask[l] != 0) continue;
        double z = 0;
        for (int v = 0; v < V; v++) z += (double)p[l * V + v] * p[l * V + v];
        for (int v = 0; v < V; v++) {
            double f = (double)count[l][v] / DRAWS, pv = p[l * V + v], sq = pv * pv / z;
            tv_p += 0.5 * fabs(f - pv) / gap;
            tv_sq += 0.5 * fabs(f - sq) / gap;
            tv_model += 0.5 * fabs(pv - sq) / gap;
        }
    }
    CHECK_MSG(tv_model > 0.04, "p and p^2 too close to tell apart (%g)", tv_model);
    CHECK_MSG(tv_p < 0.03, "draws %g from p", tv_p);
    CHECK_MSG(tv_sq > tv_model / 2, "draws %g from p^2, p %g from it", tv_sq, tv_model);
    /* A network trained inside the product (prior_trained): draws from the
     * product itself, p^2. */
    so.prior_trained = 1;
    memset(count, 0, sizeof count);
    for (int k = 0; k < DRAWS; k++) {
        so.seed = 100 + (uint64_t)k;
        diffusion_sample(fx.d, 1, fx.x0, fx.mask, &id, &so, out);
        for (int l = 0; l < L; l++)
            if (fx.mask[l] == 0) count[l][(int)out[l] - 1]++;
    }
    tv_p = tv_sq = 0;
    for (int l = 0; l < L; l++) {
        if (fx.mask[l] != 0) continue;
        double z = 0;
        for (int v = 0; v < V; v++) z += (double)p[l * V + v] * p[l * V + v];
        for (int v = 0; v < V; v++) {
            double f = (double)count[l][v] / DRAWS, pv = p[l * V + v], sq = pv * pv / z;
            tv_p += 0.5 * fabs(f - pv) / gap;
            tv_sq += 0.5 * fabs(f - sq) / gap;
        }
    }
    CHECK_MSG(tv_sq < 0.03, "trained product: draws %g from p^2", tv_sq);
    CHECK_MSG(tv_p > tv_model / 2, "trained product: draws %g from p, p^2 %g from it", tv_p, tv_model);
    free(p);
    diffusion_context_free(fx.d);
    sssd_model_free(fx.m);
    backend_free(fx.be);
}

int main(void) {
    test_bits_code();
    test_config();
    test_masked_loss();
    test_masked_train_prior();
    test_masked_prior_input();
    test_masked_sampling();
    test_masked_prior();
    test_masked_ensemble();
    test_prior_draws();
    test_masked_refine();
    test_bits_diffusion();
    test_checkpoint_encoding();
    return test_finish("test_encodings");
}
