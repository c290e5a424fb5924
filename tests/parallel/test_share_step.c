/* The arithmetic data-parallel training rests on, in double precision and
 * one process: a batch cut into shares, each share's loss and gradients
 * weighted by its loss positions, gives the whole batch's loss and gradients,
 * for every encoding (the masked encoding's shares hide different numbers of
 * events), because each window draws its step, noise and hidden events by its
 * place in the whole batch. Also what a share must not be: the same windows
 * computed as the start of a batch draw something else. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffusion.h"
#include "encoding.h"
#include "test_util.h"
#include "tiny_config.h"

enum { L = 12, T = 10, B = 6, V = 7 };

static double *grads_copy(sssd_model *m) {
    backend *be = sssd_model_backend(m);
    long long n = sssd_model_num_params(m);
    double *g = malloc(sizeof(double) * (size_t)n);
    be->ops->download(be, g, sssd_model_grads(m), sizeof(double) * (size_t)n);
    return g;
}

/* per_window: one mask per window (a mix of tasks), else one for the batch. */
static void check_shares(int encoding, const char *name, int per_window) {
    backend *be = backend_cpu_create(1);
    sssd_config cfg = tiny_test_config(L, T);
    sssd_config_set_encoding(&cfg, encoding, V);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    /* Move away from the zero-initialised head so every gradient is non-zero. */
    long long n = sssd_model_num_params(m);
    double *p = malloc(sizeof(double) * (size_t)n);
    be->ops->download(be, p, sssd_model_params(m), sizeof(double) * (size_t)n);
    for (long long i = 0; i < n; i++) p[i] += 0.05 * sin(0.7 * (double)i + 1.0);
    be->ops->upload(be, sssd_model_params(m), p, sizeof(double) * (size_t)n);
    sssd_model_parameters_changed(m);
    diffusion_context *d = diffusion_context_create(m);

    float x0[B * L], mask[B * L];
    for (int i = 0; i < B * L; i++) x0[i] = (float)(1 + (i * 5 + i / L) % V);
    mask_spec spec;
    error_info err;
    mask_spec_parse(per_window ? "mix:gap=1,missing=1" : "missing:0.5", &spec, &err);
    for (int b = 0; b < (per_window ? B : 1); b++) mask_fill(&spec, L, 1, 3 + (uint64_t)b, mask + b * L);
#define SHARE_MASK(first) (per_window ? mask + (first)*L : mask)

    double whole_count = 0;
    double whole = diffusion_train_step_share(d, B, x0, mask, per_window, 9, 4, 0, &whole_count);
    CHECK(whole == (per_window ? diffusion_train_step_windows(d, B, x0, mask, 9, 4)
                               : diffusion_train_step(d, B, x0, mask, 9, 4)));
    double *g_whole = grads_copy(m);

    /* Shares of 1, 2 and 3 windows. */
    int cuts[4] = {0, 1, 3, B};
    double loss_sum = 0, count_sum = 0;
    double *g_sum = calloc((size_t)n, sizeof(double));
    int counts_differ = 0;
    double first_count = -1;
    for (int s = 0; s < 3; s++) {
        double count = 0;
        double loss = diffusion_train_step_share(d, cuts[s + 1] - cuts[s], x0 + cuts[s] * L, SHARE_MASK(cuts[s]),
                                                 per_window, 9, 4, cuts[s], &count);
        double *g = grads_copy(m);
        for (long long i = 0; i < n; i++) g_sum[i] += count * g[i];
        free(g);
        loss_sum += loss * count;
        count_sum += count;
        double per_window = count / (cuts[s + 1] - cuts[s]);
        if (first_count >= 0 && per_window != first_count) counts_differ = 1;
        first_count = per_window;
    }
    CHECK_MSG(count_sum == whole_count, "%s: positions %g in shares, %g in the batch", name, count_sum, whole_count);
    CHECK_CLOSE(loss_sum / count_sum, whole, 1e-12, 1e-10);
    double worst = 0, scale = 0;
    for (long long i = 0; i < n; i++) {
        worst = fmax(worst, fabs(g_sum[i] / count_sum - g_whole[i]));
        scale = fmax(scale, fabs(g_whole[i]));
    }
    CHECK_MSG(scale > 0 && worst <= 1e-10 * scale, "%s: gradients of the shares differ by %g (largest %g)", name, worst,
              scale);
    if (encoding == ENCODING_MASKED) CHECK_MSG(counts_differ, "%s: the shares hid equally many events", name);

    /* Windows 3..5 computed as if they began a batch draw other steps and noise. */
    double wrong = diffusion_train_step_share(d, 3, x0 + 3 * L, SHARE_MASK(3), per_window, 9, 4, 0, NULL);
    double right = diffusion_train_step_share(d, 3, x0 + 3 * L, SHARE_MASK(3), per_window, 9, 4, 3, NULL);
#undef SHARE_MASK
    CHECK_MSG(wrong != right, "%s: a share's draws do not depend on its place", name);

    free(g_sum);
    free(g_whole);
    free(p);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

/* Validation: a batch's loss from shares weighted by their loss positions. */
static void check_eval_shares(void) {
    backend *be = backend_cpu_create(1);
    sssd_config cfg = tiny_test_config(L, T);
    sssd_config_set_encoding(&cfg, ENCODING_MASKED, V);
    sssd_model *m = sssd_model_create(&cfg, be, B, 42);
    diffusion_context *d = diffusion_context_create(m);
    float x0[B * L], mask[B * L];
    uint64_t ids[B];
    mask_spec spec;
    error_info err;
    mask_spec_parse("mid:6", &spec, &err);
    for (int b = 0; b < B; b++) {
        ids[b] = (uint64_t)(10 + b);
        mask_fill(&spec, L, 1, 0, mask + b * L);
        for (int l = 0; l < L; l++) x0[b * L + l] = (float)(1 + (b * 3 + l) % V);
    }
    double cnt = 0, pos = 0;
    double whole = diffusion_eval_loss_share(d, B, x0, mask, ids, 5, &cnt, &pos);
    CHECK(cnt == (double)B * 6 && pos >= B && pos <= cnt);
    CHECK(whole == diffusion_eval_loss(d, B, x0, mask, ids, 5, &cnt));
    double c1, p1, c2, p2;
    double a = diffusion_eval_loss_share(d, 2, x0, mask, ids, 5, &c1, &p1);
    double b = diffusion_eval_loss_share(d, B - 2, x0 + 2 * L, mask + 2 * L, ids + 2, 5, &c2, &p2);
    CHECK(p1 + p2 == pos && c1 + c2 == cnt);
    CHECK_CLOSE((a * p1 + b * p2) / (p1 + p2), whole, 1e-12, 1e-10);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
}

int main(void) {
    check_shares(ENCODING_MASKED, "masked", 0);
    check_shares(ENCODING_BITS, "bits", 0);
    check_shares(ENCODING_ID, "id", 0);
    check_shares(ENCODING_MASKED, "masked, a mask per window", 1);
    check_shares(ENCODING_ID, "id, a mask per window", 1);
    check_eval_shares();
    return test_finish("test_share_step");
}
