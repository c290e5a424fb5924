/* Normalisations on the CPU: LayerNorm over the channels of (B, C, L)
 * (PyTorch's nn.LayerNorm applied to SSSD's (L, B, C) permutation, biased
 * variance, eps 1e-5) and weight normalisation (PyTorch weight_norm, dim 0). */
#include "cpu_internal.h"

#define LN_EPS 1e-5

typedef struct ln_job {
    backend *be;
    const real_t *x, *gamma, *beta, *dy, *mean_in, *rstd_in;
    real_t *y, *mean, *rstd, *dx, *dgamma, *dbeta;
    int B, C, L;
} ln_job;

/* One batch item per range index; channels are strided by L, so the sums run
 * over rows of length L (contiguous, vectorisable) into per-position arrays. */
CPU_SIMD_CLONES static void ln_forward_range(void *p, long long begin, long long end, int tid) {
    ln_job *j = p;
    int C = j->C, L = j->L;
    for (long long b = begin; b < end; b++) {
        const real_t *x = j->x + b * C * L;
        real_t *mean = j->mean + b * L, *rstd = j->rstd + b * L;
        real_t *y = j->y + b * C * L;
        for (int l = 0; l < L; l++) mean[l] = rstd[l] = 0;
        for (int c = 0; c < C; c++)
            for (int l = 0; l < L; l++) mean[l] += x[(long long)c * L + l];
        for (int l = 0; l < L; l++) mean[l] /= (real_t)C;
        for (int c = 0; c < C; c++)
            for (int l = 0; l < L; l++) {
                real_t d = x[(long long)c * L + l] - mean[l];
                rstd[l] += d * d;
            }
        for (int l = 0; l < L; l++) rstd[l] = (real_t)1 / R_SQRT(rstd[l] / (real_t)C + (real_t)LN_EPS);
        for (int c = 0; c < C; c++) {
            real_t g = j->gamma[c], bt = j->beta[c];
            const real_t *xr = x + (long long)c * L;
            real_t *yr = y + (long long)c * L;
            for (int l = 0; l < L; l++) yr[l] = (xr[l] - mean[l]) * rstd[l] * g + bt;
        }
    }
}

void cpu_layernorm_forward(backend *be, const real_t *x, const real_t *gamma, const real_t *beta, real_t *y,
                           real_t *mean, real_t *rstd, int B, int C, int L) {
    ln_job j = {.x = x, .gamma = gamma, .beta = beta, .y = y, .mean = mean, .rstd = rstd, .B = B, .C = C, .L = L};
    cpu_parallel_for(be, B, CPU_PARALLEL_MIN / ((long long)C * L + 1) + 1, ln_forward_range, &j);
}

/* dx = rstd (g dy - mean_c(g dy) - xhat mean_c(g dy xhat)) */
CPU_SIMD_CLONES static void ln_backward_dx_range(void *p, long long begin, long long end, int tid) {
    ln_job *j = p;
    int C = j->C, L = j->L;
    /* per-position sums: scratch grown by the caller before the threads started */
    real_t *s1 = cpu_scratch(j->be, tid, 2 * (size_t)L * sizeof(real_t)), *s2 = s1 + L;
    for (long long b = begin; b < end; b++) {
        const real_t *x = j->x + b * C * L, *dy = j->dy + b * C * L;
        const real_t *mean = j->mean_in + b * L, *rstd = j->rstd_in + b * L;
        real_t *dx = j->dx + b * C * L;
        for (int l = 0; l < L; l++) s1[l] = s2[l] = 0;
        for (int c = 0; c < C; c++) {
            real_t g = j->gamma[c];
            for (int l = 0; l < L; l++) {
                long long i = (long long)c * L + l;
                real_t gd = g * dy[i];
                s1[l] += gd;
                s2[l] += gd * (x[i] - mean[l]) * rstd[l];
            }
        }
        for (int l = 0; l < L; l++) {
            s1[l] /= (real_t)C;
            s2[l] /= (real_t)C;
        }
        for (int c = 0; c < C; c++) {
            real_t g = j->gamma[c];
            for (int l = 0; l < L; l++) {
                long long i = (long long)c * L + l;
                real_t xhat = (x[i] - mean[l]) * rstd[l];
                dx[i] = rstd[l] * (g * dy[i] - s1[l] - xhat * s2[l]);
            }
        }
    }
}

/* dgamma, dbeta: one channel per range index, so no two threads share an
 * output. The sums are kept in double in LN_LANES interleaved lanes, so the
 * loop vectorises (one running sum is a serial chain the compiler may not reorder). */
#define LN_LANES 8
CPU_SIMD_CLONES static void ln_backward_params_range(void *p, long long begin, long long end, int tid) {
    ln_job *j = p;
    int C = j->C, L = j->L;
    for (long long c = begin; c < end; c++) {
        double pg[LN_LANES] = {0}, pb[LN_LANES] = {0};
        for (int b = 0; b < j->B; b++) {
            const real_t *x = j->x + ((long long)b * C + c) * L, *dy = j->dy + ((long long)b * C + c) * L;
            const real_t *mean = j->mean_in + (long long)b * L, *rstd = j->rstd_in + (long long)b * L;
            int l = 0;
            for (; l + LN_LANES <= L; l += LN_LANES)
                for (int q = 0; q < LN_LANES; q++) {
                    real_t xhat = (x[l + q] - mean[l + q]) * rstd[l + q];
                    pg[q] += (double)dy[l + q] * (double)xhat;
                    pb[q] += (double)dy[l + q];
                }
            for (; l < L; l++) {
                pg[0] += (double)dy[l] * (double)((x[l] - mean[l]) * rstd[l]);
                pb[0] += (double)dy[l];
            }
        }
        double sg = 0, sb = 0;
        for (int q = 0; q < LN_LANES; q++) {
            sg += pg[q];
            sb += pb[q];
        }
        j->dgamma[c] += (real_t)sg;
        j->dbeta[c] += (real_t)sb;
    }
}

void cpu_layernorm_backward(backend *be, const real_t *x, const real_t *gamma, const real_t *mean, const real_t *rstd,
                            const real_t *dy, real_t *dx, real_t *dgamma, real_t *dbeta, int B, int C, int L) {
    ln_job j = {.be = be, .x = x, .gamma = gamma, .dy = dy, .mean_in = mean, .rstd_in = rstd, .dx = dx, .dgamma = dgamma,
                .dbeta = dbeta, .B = B, .C = C, .L = L};
    /* Scratch is grown here, before the threads start, so workers never allocate concurrently. */
    for (int t = 0; t < ((cpu_ctx *)be->ctx)->nthreads; t++) cpu_scratch(be, t, 2 * (size_t)L * sizeof(real_t));
    cpu_parallel_for(be, B, CPU_PARALLEL_MIN / ((long long)C * L + 1) + 1, ln_backward_dx_range, &j);
    cpu_parallel_for(be, C, CPU_PARALLEL_MIN / ((long long)B * L + 1) + 1, ln_backward_params_range, &j);
}

void cpu_weight_norm_forward(backend *be, const real_t *v, const real_t *g, real_t *w, real_t *norms, int O,
                             int inner) {
    for (int o = 0; o < O; o++) {
        const real_t *vr = v + (long long)o * inner;
        double s = 0;
        for (int i = 0; i < inner; i++) s += (double)vr[i] * vr[i];
        real_t n = (real_t)sqrt(s);
        norms[o] = n;
        real_t scale = g[o] / n;
        for (int i = 0; i < inner; i++) w[(long long)o * inner + i] = vr[i] * scale;
    }
}

/* w = g v / |v|: dg = (dw . v) / |v|; dv = (g / |v|) (dw - (dw . v) v / |v|^2) */
void cpu_weight_norm_backward(backend *be, const real_t *v, const real_t *g, const real_t *norms, const real_t *dw,
                              real_t *dv, real_t *dg, int O, int inner) {
    for (int o = 0; o < O; o++) {
        const real_t *vr = v + (long long)o * inner, *dwr = dw + (long long)o * inner;
        double dot = 0;
        for (int i = 0; i < inner; i++) dot += (double)dwr[i] * vr[i];
        double n = norms[o];
        dg[o] += (real_t)(dot / n);
        real_t a = (real_t)(g[o] / n), bcoef = (real_t)(g[o] * dot / (n * n * n));
        for (int i = 0; i < inner; i++) dv[(long long)o * inner + i] += a * dwr[i] - bcoef * vr[i];
    }
}
