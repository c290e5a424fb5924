/* Broadcasts and reductions over (B, C, L) activations on the CPU: biases,
 * the per-channel step-embedding term, axpby and the sum of squares used for
 * gradient norms. */
#include "cpu_internal.h"

typedef struct bcl_job {
    const real_t *x, *v;
    real_t *y;
    int B, C, L;
} bcl_job;

static void add_bias_range(void *p, long long begin, long long end, int tid) {
    bcl_job *j = p;
    for (long long r = begin; r < end; r++) {
        real_t b = j->v[r % j->C];
        real_t *y = j->y + r * j->L;
        for (int l = 0; l < j->L; l++) y[l] += b;
    }
}

void cpu_add_bias(backend *be, real_t *y, const real_t *bias, int B, int C, int L) {
    bcl_job j = {NULL, bias, y, B, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (L + 1) + 1, add_bias_range, &j);
}

/* Sum of a row in the element type: BIAS_LANES interleaved partial sums, so
 * the loop vectorises without reassociation flags (a single running sum is a
 * serial dependency chain the compiler must keep in order). */
#define BIAS_LANES 16
static inline real_t row_sum(const real_t *row, int L) {
    real_t part[BIAS_LANES] = {0};
    int l = 0;
    for (; l + BIAS_LANES <= L; l += BIAS_LANES)
        for (int q = 0; q < BIAS_LANES; q++) part[q] += row[l + q];
    real_t r = 0;
    for (; l < L; l++) r += row[l];
    for (int q = 0; q < BIAS_LANES; q++) r += part[q];
    return r;
}

/* One channel per item (no two threads share an output); rows summed in the
 * element type (vectorised), the B partial sums in double so long batches do not drift. */
CPU_SIMD_CLONES static void bias_grad_range(void *p, long long begin, long long end, int tid) {
    bcl_job *j = p;
    for (long long c = begin; c < end; c++) {
        double s = 0;
        for (int b = 0; b < j->B; b++) s += row_sum(j->x + ((long long)b * j->C + c) * j->L, j->L);
        j->y[c] += (real_t)s;
    }
}

void cpu_bias_grad(backend *be, const real_t *dy, real_t *dbias, int B, int C, int L) {
    bcl_job j = {dy, NULL, dbias, B, C, L};
    cpu_parallel_for(be, C, CPU_PARALLEL_MIN / ((long long)B * L + 1) + 1, bias_grad_range, &j);
}

static void add_channel_vector_range(void *p, long long begin, long long end, int tid) {
    bcl_job *j = p;
    for (long long r = begin; r < end; r++) {
        real_t v = j->v[r];
        const real_t *x = j->x + r * j->L;
        real_t *y = j->y + r * j->L;
        for (int l = 0; l < j->L; l++) y[l] = x[l] + v;
    }
}

void cpu_add_channel_vector(backend *be, const real_t *x, const real_t *v, real_t *y, int B, int C, int L) {
    bcl_job j = {x, v, y, B, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (L + 1) + 1, add_channel_vector_range, &j);
}

static void scale_channels_range(void *p, long long begin, long long end, int tid) {
    bcl_job *j = p;
    for (long long r = begin; r < end; r++) {
        real_t s = j->v[r];
        const real_t *x = j->x + r * j->L;
        real_t *y = j->y + r * j->L;
        for (int l = 0; l < j->L; l++) y[l] = x[l] * s;
    }
}

void cpu_scale_channels(backend *be, const real_t *x, const real_t *s, real_t *y, int B, int C, int L) {
    bcl_job j = {x, s, y, B, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (L + 1) + 1, scale_channels_range, &j);
}

void cpu_sum_over_length(backend *be, const real_t *dy, real_t *dv, int B, int C, int L) {
    for (long long r = 0; r < (long long)B * C; r++) {
        double s = 0;
        for (int l = 0; l < L; l++) s += dy[r * L + l];
        dv[r] = (real_t)s;
    }
}

typedef struct axpby_job {
    const real_t *x;
    real_t *y;
    real_t a, b;
} axpby_job;

static void axpby_range(void *p, long long begin, long long end, int tid) {
    axpby_job *j = p;
    real_t a = j->a, b = j->b;
    real_t *y = j->y;
    const real_t *x = j->x;
    if (a == 0)
        for (long long i = begin; i < end; i++) y[i] = b * y[i];
    else if (b == 1)
        for (long long i = begin; i < end; i++) y[i] += a * x[i];
    else
        for (long long i = begin; i < end; i++) y[i] = a * x[i] + b * y[i];
}

void cpu_axpby(backend *be, long long n, double a, const real_t *x, double b, real_t *y) {
    axpby_job j = {x, y, (real_t)a, (real_t)b};
    cpu_parallel_for(be, n, CPU_PARALLEL_MIN, axpby_range, &j);
}

double cpu_sum_squares(backend *be, const real_t *x, long long n) {
    double s = 0;
    for (long long i = 0; i < n; i++) s += (double)x[i] * (double)x[i];
    return s;
}
