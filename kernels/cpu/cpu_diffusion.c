/* Diffusion operations on the CPU: SSSD's sinusoidal step embedding, Philox
 * normal noise, the training input (noise on the missing positions), the
 * masked MSE loss, and the DDPM and DDIM sampler updates. */
#include "cpu_internal.h"
#include "philox.h"

/* Computed in the element type like PyTorch's float32 code (arange * -scale,
 * exp, t * f, sin/cos), so float results match SSSD's to rounding. */
void cpu_step_embedding(backend *be, const int32_t *t, real_t *out, int B, int dim) {
    int half = dim / 2;
    real_t scale = (real_t)(-log(10000.0) / (double)(half - 1));
    for (int b = 0; b < B; b++)
        for (int j = 0; j < half; j++) {
            real_t f = R_EXP((real_t)j * scale);
            real_t a = (real_t)t[b] * f;
            out[(long long)b * dim + j] = R_SIN(a);
            out[(long long)b * dim + half + j] = R_COS(a);
        }
}

typedef struct normal_job {
    real_t *out;
    uint64_t seed, stream;
    unsigned long long offset;
} normal_job;

static void normal_range(void *p, long long begin, long long end, int tid) {
    normal_job *j = p;
    for (long long i = begin; i < end; i++) j->out[i] = (real_t)philox_normal(j->seed, j->stream, j->offset + (uint64_t)i);
}

void cpu_normal_fill(backend *be, real_t *out, long long n, uint64_t seed, uint64_t stream, unsigned long long offset) {
    normal_job j = {out, seed, stream, offset};
    cpu_parallel_for(be, n, CPU_PARALLEL_MIN / 8, normal_range, &j);
}

void cpu_diffusion_noise(backend *be, const real_t *x0, const real_t *eps, const real_t *m, const int32_t *t,
                         const real_t *abar, real_t *z, real_t *x_t, int B, int L) {
    for (int b = 0; b < B; b++) {
        real_t ab = abar[t[b]];
        real_t s0 = R_SQRT(ab), s1 = R_SQRT((real_t)1 - ab);
        for (int l = 0; l < L; l++) {
            long long i = (long long)b * L + l;
            real_t zi = eps[i] * ((real_t)1 - m[i]) + x0[i] * m[i];
            z[i] = zi;
            x_t[i] = s0 * x0[i] + s1 * zi;
        }
    }
}

/* With no missing position the loss is defined as 0 (and so is its gradient). */
double cpu_masked_mse(backend *be, const real_t *pred, const real_t *z, const real_t *m, real_t *dpred, int B, int L) {
    long long n = (long long)B * L;
    double count = 0, sum = 0;
    for (long long i = 0; i < n; i++) {
        double w = 1.0 - (double)m[i];
        double d = (double)pred[i] - (double)z[i];
        count += w;
        sum += d * d * w;
    }
    double inv = count > 0 ? 1.0 / count : 0.0;
    for (long long i = 0; i < n; i++)
        dpred[i] = (real_t)(2.0 * ((double)pred[i] - (double)z[i]) * (1.0 - (double)m[i]) * inv);
    return sum * inv;
}

void cpu_apply_observed(backend *be, real_t *x, const real_t *x0, const real_t *m, long long n) {
    for (long long i = 0; i < n; i++) x[i] = x[i] * ((real_t)1 - m[i]) + x0[i] * m[i];
}

void cpu_ddpm_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double beta_t, double abar_t,
                   double alpha_t, double sigma_t, long long n) {
    real_t c_eps = (real_t)(beta_t / sqrt(1.0 - abar_t)), inv = (real_t)(1.0 / sqrt(alpha_t)), s = (real_t)sigma_t;
    for (long long i = 0; i < n; i++) {
        real_t v = (x[i] - c_eps * eps[i]) * inv;
        if (noise) v += s * noise[i];
        x[i] = v;
    }
}

void cpu_ddim_step(backend *be, real_t *x, const real_t *eps, const real_t *noise, double abar_t, double abar_prev,
                   double sigma, long long n) {
    double dir2 = 1.0 - abar_prev - sigma * sigma;
    real_t s_t = (real_t)sqrt(abar_t), s1_t = (real_t)sqrt(1.0 - abar_t);
    real_t s_prev = (real_t)sqrt(abar_prev), c_dir = (real_t)sqrt(dir2 > 0 ? dir2 : 0.0), s = (real_t)sigma;
    for (long long i = 0; i < n; i++) {
        real_t x0_hat = (x[i] - s1_t * eps[i]) / s_t;
        real_t v = s_prev * x0_hat + c_dir * eps[i];
        if (noise) v += s * noise[i];
        x[i] = v;
    }
}
