/* Adam on the CPU with PyTorch's semantics (torch.optim.Adam, amsgrad off):
 * L2 weight decay added to the gradient, bias-corrected step
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). */
#include "cpu_internal.h"

typedef struct adam_job {
    real_t *p, *m, *v;
    const real_t *g;
    real_t b1, b2, c1, c2, wd, step, sqrt_bc2, eps; /* c = 1 - b, formed in double as PyTorch does */
} adam_job;

static void adam_range(void *arg, long long begin, long long end, int tid) {
    adam_job *j = arg;
    for (long long i = begin; i < end; i++) {
        real_t g = j->g[i] + j->wd * j->p[i];
        real_t m = j->b1 * j->m[i] + j->c1 * g;
        real_t v = j->b2 * j->v[i] + j->c2 * g * g;
        j->m[i] = m;
        j->v[i] = v;
        j->p[i] -= j->step * m / (R_SQRT(v) / j->sqrt_bc2 + j->eps);
    }
}

void cpu_adam_update(backend *be, real_t *param, const real_t *grad, real_t *m, real_t *v, long long n,
                     adam_params p) {
    double bc1 = 1.0 - pow(p.beta1, p.step), bc2 = 1.0 - pow(p.beta2, p.step);
    adam_job j = {param, m, v, grad, (real_t)p.beta1, (real_t)p.beta2, (real_t)(1.0 - p.beta1), (real_t)(1.0 - p.beta2),
                  (real_t)p.weight_decay,
                  (real_t)(p.lr / bc1), (real_t)sqrt(bc2), (real_t)p.eps};
    cpu_parallel_for(be, n, CPU_PARALLEL_MIN, adam_range, &j);
}
