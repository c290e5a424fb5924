/* Unit tests of the diffusion layer and the train tool's parts: schedule
 * known answers, data order,
 * ID rounding, and the samplers on a tiny random model (observed values
 * exact, batch independence, DDIM with S = T and eta = 1 following DDPM). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data_loader.h"
#include "diffusion.h"
#include "philox.h"
#include "test_util.h"
#include "tiny_config.h"

static void test_schedule(void) {
    /* Reference values computed independently in double precision (Python floats). */
    diffusion_schedule s;
    diffusion_schedule_init(&s, 200, 1e-4, 0.02);
    CHECK(s.T == 200);
    CHECK_CLOSE(s.beta[0], 0.0001, 1e-15, 0);
    CHECK_CLOSE(s.beta[1], 0.0002, 1e-15, 0);
    CHECK_CLOSE(s.beta[99], 0.01, 1e-15, 0);
    CHECK_CLOSE(s.beta[199], 0.02, 1e-15, 0);
    CHECK_CLOSE(s.alpha[199], 0.98, 1e-15, 0);
    CHECK_CLOSE(s.abar[0], 0.9999, 1e-15, 0);
    CHECK_CLOSE(s.abar[1], 0.99970002, 1e-14, 0);
    CHECK_CLOSE(s.abar[99], 0.6024803053077055, 0, 1e-12);
    CHECK_CLOSE(s.abar[199], 0.13218275425061793, 0, 1e-12);
    CHECK_CLOSE(s.sigma[0], 0.01, 1e-15, 0);
    CHECK_CLOSE(s.sigma[1], 0.008165237988413124, 0, 1e-12);
    CHECK_CLOSE(s.sigma[99], 0.09923159390603287, 0, 1e-12);
    CHECK_CLOSE(s.sigma[199], 0.14120138123168866, 0, 1e-12);
    diffusion_schedule_free(&s);
    diffusion_schedule_init(&s, 1, 0.05, 0.05);
    CHECK_CLOSE(s.abar[0], 0.95, 1e-15, 0);
    diffusion_schedule_free(&s);
}

static void test_loader(void) {
    window_set ws;
    window_set_init(&ws, 10, 3);
    for (int i = 0; i < 30; i++) ws.ids[i] = i / 3 + 1;
    data_loader dl;
    error_info err;
    CHECK(data_loader_init(&dl, &ws, 11, 1, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "--batch 11");
    CHECK(data_loader_init(&dl, &ws, 3, 5, &err) == 0);
    CHECK(dl.batches_per_epoch == 3);
    /* One epoch: 9 distinct windows; the same batch again gives the same windows. */
    int seen[10] = {0};
    float x[9];
    int64_t which[3], again[3];
    for (int b = 0; b < 3; b++) {
        data_loader_batch(&dl, b, x, which);
        for (int i = 0; i < 3; i++) {
            seen[which[i]]++;
            CHECK(x[i * 3] == (float)(which[i] + 1));
        }
    }
    int distinct = 0;
    for (int i = 0; i < 10; i++) distinct += seen[i] == 1;
    CHECK(distinct == 9);
    data_loader_batch(&dl, 4, x, which);    /* epoch 1 */
    data_loader_batch(&dl, 1, x, again);    /* back to epoch 0 */
    data_loader_batch(&dl, 4, x, again);
    CHECK(memcmp(which, again, sizeof which) == 0);
    int64_t p0[10], p1[10];
    data_loader_permutation(5, 0, 10, p0);
    data_loader_permutation(5, 1, 10, p1);
    CHECK(memcmp(p0, p1, sizeof p0) != 0);
    data_loader_free(&dl);
    window_set_free(&ws);
}

static void test_rounding(void) {
    float v[] = {2.5f, 3.5f, -0.4f, 0.6f, 70.2f, 1.49f, NAN};
    int32_t ids[7];
    diffusion_values_to_ids(v, 7, 62, ids);
    int32_t want[] = {2, 4, 1, 1, 62, 1, 1};
    CHECK(memcmp(ids, want, sizeof want) == 0);
    diffusion_values_to_ids(v, 6, 0, ids);
    int32_t raw[] = {2, 4, 0, 1, 70, 1};
    CHECK(memcmp(ids, raw, sizeof raw) == 0);
    int tau[200];
    diffusion_ddim_timesteps(200, 4, tau);
    CHECK(tau[0] == 49 && tau[1] == 99 && tau[2] == 149 && tau[3] == 199);
    diffusion_ddim_timesteps(5, 5, tau);
    CHECK(tau[0] == 0 && tau[1] == 1 && tau[4] == 4);
    diffusion_ddim_timesteps(200, 1, tau);
    CHECK(tau[0] == 199);
    diffusion_ddim_timesteps(200, 20, tau);
    CHECK(tau[0] == 9 && tau[1] == 19 && tau[19] == 199);
}

/* A tiny model with its output layer perturbed, so that eps_hat is not zero. */
static sssd_model *tiny_model(backend *be, int L, int T, int max_batch) {
    sssd_config cfg = tiny_test_config(L, T);
    sssd_model *m = sssd_model_create(&cfg, be, max_batch, 42);
    long long n = sssd_model_num_params(m);
    real_t *p = malloc(sizeof(real_t) * (size_t)n);
    be->ops->download(be, p, sssd_model_params(m), sizeof(real_t) * (size_t)n);
    for (long long i = 0; i < n; i++) p[i] += (real_t)(0.05 * philox_normal(9, 9, (uint64_t)i));
    be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
    sssd_model_parameters_changed(m);
    free(p);
    return m;
}

static void test_sampling(void) {
    backend *be = backend_cpu_create(1);
    int L = 12, T = 10, B = 3;
    sssd_model *m = tiny_model(be, L, T, B);
    CHECK(m != NULL);
    if (!m) return;
    diffusion_context *d = diffusion_context_create(m);
    float x0[3 * 12], mask[3 * 12], out[3 * 12], out1[3 * 12], out2[3 * 12];
    for (int i = 0; i < B * L; i++) {
        x0[i] = (float)(1 + (i * 7) % 5);
        mask[i] = (i % L >= 4 && i % L < 8) ? 0.0f : 1.0f;
    }
    uint64_t ids[3] = {10, 11, 12};
    diffusion_sample_options ddpm = {.sampler = SAMPLER_DDPM, .seed = 5};
    diffusion_sample(d, B, x0, mask, ids, &ddpm, out);
    int exact = 1, finite = 1, moved = 0;
    for (int i = 0; i < B * L; i++) {
        if (mask[i] != 0 && out[i] != x0[i]) exact = 0;
        if (!isfinite(out[i])) finite = 0;
        if (mask[i] == 0 && out[i] != x0[i]) moved = 1;
    }
    CHECK(exact);
    CHECK(finite);
    CHECK(moved);
    /* Batch independence: the same windows one by one and two plus one. */
    diffusion_sample(d, 1, x0, mask, ids, &ddpm, out1);
    diffusion_sample(d, 2, x0 + L, mask + L, ids + 1, &ddpm, out1 + L);
    CHECK(memcmp(out, out1, sizeof out) == 0);
    /* Determinism and seed dependence. */
    diffusion_sample(d, B, x0, mask, ids, &ddpm, out2);
    CHECK(memcmp(out, out2, sizeof out) == 0);
    ddpm.seed = 6;
    diffusion_sample(d, B, x0, mask, ids, &ddpm, out2);
    CHECK(memcmp(out, out2, sizeof out) != 0);
    ddpm.seed = 5;
    /* DDIM over every step with eta = 1 is the DDPM chain (same noise indices): equal up to rounding. */
    diffusion_sample_options ddim = {.sampler = SAMPLER_DDIM, .steps = T, .eta = 1.0, .seed = 5};
    diffusion_sample(d, B, x0, mask, ids, &ddim, out2);
    double maxdiff = 0;
    for (int i = 0; i < B * L; i++) maxdiff = fmax(maxdiff, fabs((double)out[i] - out2[i]));
    CHECK_MSG(maxdiff < 1e-3, "DDIM(S=T, eta=1) vs DDPM: max difference %g", maxdiff);
    /* Deterministic DDIM with few steps also keeps observed values. */
    ddim.steps = 3;
    ddim.eta = 0;
    diffusion_sample(d, B, x0, mask, ids, &ddim, out2);
    exact = 1;
    for (int i = 0; i < B * L; i++)
        if (mask[i] != 0 && out2[i] != x0[i]) exact = 0;
    CHECK(exact);

    /* Training step: finite loss, gradients, and the same numbers for the same iteration. */
    float m1[12];
    mask_spec spec;
    error_info err;
    mask_spec_parse("mid:4", &spec, &err);
    mask_fill(&spec, L, 1, 1, m1);
    double l1 = diffusion_train_step(d, B, x0, m1, 3, 7);
    double g1 = be->ops->sum_squares(be, sssd_model_grads(m), sssd_model_num_params(m));
    double l2 = diffusion_train_step(d, B, x0, m1, 3, 7);
    double g2 = be->ops->sum_squares(be, sssd_model_grads(m), sssd_model_num_params(m));
    double l3 = diffusion_train_step(d, B, x0, m1, 3, 8);
    CHECK(isfinite(l1) && l1 > 0);
    CHECK(g1 > 0 && g1 == g2);
    CHECK(l1 == l2);
    CHECK(l1 != l3);
    double cnt = 0;
    float mask3[36];
    for (int b = 0; b < B; b++) memcpy(mask3 + b * L, m1, sizeof m1);
    /* One mask per window, every row the batch's mask: the same step exactly. */
    CHECK(diffusion_train_step_windows(d, B, x0, mask3, 3, 7) == l1);
    CHECK(be->ops->sum_squares(be, sssd_model_grads(m), sssd_model_num_params(m)) == g1);
    /* Different rows: a different loss, and window 0 alone is unchanged by the others' masks. */
    for (int l = 0; l < L; l++) mask3[2 * L + l] = l < 6 ? 0.0f : 1.0f;
    double lw = diffusion_train_step_windows(d, B, x0, mask3, 3, 7);
    CHECK(isfinite(lw) && lw != l1);
    for (int b = 0; b < B; b++) memcpy(mask3 + b * L, m1, sizeof m1);
    double e1 = diffusion_eval_loss(d, B, x0, mask3, ids, 3, &cnt);
    CHECK(cnt == 12.0);
    double e2 = diffusion_eval_loss(d, 1, x0, mask3, ids, 3, &cnt);
    double e3 = diffusion_eval_loss(d, 2, x0 + L, mask3 + L, ids + 1, 3, &cnt);
    CHECK_CLOSE(e1, (e2 * 4 + e3 * 8) / 12, 1e-6, 1e-5);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

int main(void) {
    test_schedule();
    test_loader();
    test_rounding();
    test_sampling();
    return test_finish("test_diffusion");
}
