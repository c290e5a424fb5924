/* One data-parallel training pass (see data_parallel.h). */
#include "data_parallel.h"

int data_parallel_check_batch(const collectives *c, int B, error_info *err) {
    if (B % c->size == 0) return 0;
    return error_set(err,
                     "--batch %d does not split evenly over %d processes: the global batch is shared out, %d windows "
                     "each would leave %d over; give a multiple of %d",
                     B, c->size, B / c->size, B % c->size, c->size);
}

int data_parallel_replicas_differ(collectives *c, sssd_model *m) {
    if (c->size == 1) return 0;
    backend *be = sssd_model_backend(m);
    double mine = be->ops->sum_squares(be, sssd_model_params(m), sssd_model_num_params(m));
    double rank0 = mine;
    c->ops->broadcast_host(c, &rank0, sizeof rank0);
    double differ = mine != rank0;
    c->ops->allreduce_host(c, &differ, 1);
    return (int)differ;
}

double data_parallel_train_step(collectives *c, diffusion_context *d, sssd_model *m, int B, const float *x0,
                                const float *mask, int mask_per_window, uint64_t seed, uint64_t iteration, double *flags,
                                int n_flags) {
    if (c->size == 1) return diffusion_train_step_share(d, B, x0, mask, mask_per_window, seed, iteration, 0, NULL);
    int local = data_parallel_local_batch(c, B), L = sssd_model_config(m)->s4_lmax;
    long long first = (long long)c->rank * local;
    double count = 0;
    const float *share_mask = mask_per_window ? mask + (size_t)first * L : mask;
    double loss = diffusion_train_step_share(d, local, x0 + (size_t)first * L, share_mask, mask_per_window, seed, iteration,
                                             first, &count);
    /* The batch's loss is the mean over all its loss positions: each share's
     * mean weighted by its count. Counts differ between shares with the
     * masked encoding (how many events are hidden is drawn per window). */
    if (n_flags > 8) die("data_parallel_train_step: at most 8 flags");
    double sums[10] = {loss * count, count};
    for (int i = 0; i < n_flags; i++) sums[2 + i] = flags[i];
    c->ops->allreduce_host(c, sums, 2 + n_flags);
    for (int i = 0; i < n_flags; i++) flags[i] = sums[2 + i];
    backend *be = sssd_model_backend(m);
    real_t *grads = sssd_model_grads(m);
    long long n = sssd_model_num_params(m);
    double weight = sums[1] > 0 ? count / sums[1] : 0;
    be->ops->axpby(be, n, weight, grads, 0.0, grads);
    c->ops->allreduce_sum(c, grads, n);
    return sums[1] > 0 ? sums[0] / sums[1] : loss;
}
