/* Pointwise activations on the CPU: ReLU, exact (erf) GELU, swish and the
 * tanh-sigmoid gate, forward and backward. Large tensors are split over the
 * worker pool. The float build evaluates erf/exp/tanh with the vectorisable
 * approximations of cpu_fastmath.h (relative error < 1e-6); the double twin
 * keeps libm for the finite-difference gradient checks. Loops are marked
 * `omp simd` (compiled with -fopenmp-simd, no OpenMP runtime): each element
 * is independent, and in-place calls (y == x) read an element before writing it. */
#include "cpu_internal.h"

#ifdef SSSD_REAL_DOUBLE
static const real_t SQRT1_2 = (real_t)0.70710678118654752440;
static const real_t INV_SQRT_2PI = (real_t)0.39894228040143267794;
static inline real_t act_sigmoid(real_t x) { return (real_t)1 / ((real_t)1 + R_EXP(-x)); }
static inline real_t act_tanh(real_t x) { return R_TANH(x); }
/* Phi(x) and phi(x) of the standard normal distribution */
static inline void act_normal_cdf_pdf(real_t x, real_t *cdf, real_t *pdf) {
    *cdf = (real_t)0.5 * ((real_t)1 + R_ERF(x * SQRT1_2));
    *pdf = INV_SQRT_2PI * R_EXP((real_t)-0.5 * x * x);
}
#else
#include "cpu_fastmath.h"
#define act_sigmoid fm_sigmoid
#define act_tanh fm_tanh
#define act_normal_cdf_pdf fm_normal_cdf_pdf
#endif

typedef struct pw_job {
    const real_t *x, *dy;
    real_t *y;
} pw_job;

#define PW_RUN(fn, x_, dy_, y_, n_)                                    \
    do {                                                               \
        pw_job j_ = {(x_), (dy_), (y_)};                               \
        cpu_parallel_for(be, (n_), CPU_PARALLEL_MIN, (fn), &j_);       \
    } while (0)

static void relu_f(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) j->y[i] = j->x[i] > 0 ? j->x[i] : 0;
}
void cpu_relu_forward(backend *be, const real_t *x, real_t *y, long long n) { PW_RUN(relu_f, x, NULL, y, n); }

static void relu_b(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) j->y[i] = j->x[i] > 0 ? j->dy[i] : 0;
}
void cpu_relu_backward(backend *be, const real_t *y, const real_t *dy, real_t *dx, long long n) {
    PW_RUN(relu_b, y, dy, dx, n);
}

CPU_SIMD_CLONES static void gelu_f(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    const real_t *x = j->x;
    real_t *y = j->y;
#pragma omp simd
    for (long long i = b; i < e; i++) {
        real_t cdf, pdf;
        act_normal_cdf_pdf(x[i], &cdf, &pdf);
        y[i] = x[i] * cdf;
    }
}
void cpu_gelu_forward(backend *be, const real_t *x, real_t *y, long long n) { PW_RUN(gelu_f, x, NULL, y, n); }

/* d/dx [x Phi(x)] = Phi(x) + x phi(x) */
CPU_SIMD_CLONES static void gelu_b(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    const real_t *x = j->x, *dy = j->dy;
    real_t *dx = j->y;
#pragma omp simd
    for (long long i = b; i < e; i++) {
        real_t cdf, pdf;
        act_normal_cdf_pdf(x[i], &cdf, &pdf);
        dx[i] = dy[i] * (cdf + x[i] * pdf);
    }
}
void cpu_gelu_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n) {
    PW_RUN(gelu_b, x, dy, dx, n);
}

static void swish_f(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    const real_t *x = j->x;
    real_t *y = j->y;
#pragma omp simd
    for (long long i = b; i < e; i++) y[i] = x[i] * act_sigmoid(x[i]);
}
void cpu_swish_forward(backend *be, const real_t *x, real_t *y, long long n) { PW_RUN(swish_f, x, NULL, y, n); }

/* d/dx [x s(x)] = s (1 + x (1 - s)) */
static void swish_b(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    const real_t *x = j->x, *dy = j->dy;
    real_t *dx = j->y;
#pragma omp simd
    for (long long i = b; i < e; i++) {
        real_t s = act_sigmoid(x[i]);
        dx[i] = dy[i] * s * ((real_t)1 + x[i] * ((real_t)1 - s));
    }
}
void cpu_swish_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n) {
    PW_RUN(swish_b, x, dy, dx, n);
}

typedef struct gate_job {
    const real_t *h, *dout;
    real_t *out;
    int C, L;
} gate_job;

/* Items are (b, c) rows; the tanh half is row c, the sigmoid half row C + c. */
CPU_SIMD_CLONES static void gate_f(void *p, long long begin, long long end, int tid) {
    gate_job *j = p;
    int C = j->C, L = j->L;
    for (long long r = begin; r < end; r++) {
        long long b = r / C, c = r % C;
        const real_t *a = j->h + (b * 2 * C + c) * L, *s = a + (long long)C * L;
        real_t *o = j->out + r * L;
#pragma omp simd
        for (int l = 0; l < L; l++) o[l] = act_tanh(a[l]) * act_sigmoid(s[l]);
    }
}
void cpu_gate_forward(backend *be, const real_t *h, real_t *out, int B, int C, int L) {
    gate_job j = {h, NULL, out, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (4 * L + 1) + 1, gate_f, &j);
}

CPU_SIMD_CLONES static void gate_b(void *p, long long begin, long long end, int tid) {
    gate_job *j = p;
    int C = j->C, L = j->L;
    for (long long r = begin; r < end; r++) {
        long long b = r / C, c = r % C;
        long long off = (b * 2 * C + c) * L;
        const real_t *a = j->h + off, *s = a + (long long)C * L;
        real_t *da = j->out + off, *ds = da + (long long)C * L;
        const real_t *d = j->dout + r * L;
#pragma omp simd
        for (int l = 0; l < L; l++) {
            real_t th = act_tanh(a[l]), sg = act_sigmoid(s[l]);
            da[l] = d[l] * sg * ((real_t)1 - th * th);
            ds[l] = d[l] * th * sg * ((real_t)1 - sg);
        }
    }
}
void cpu_gate_backward(backend *be, const real_t *h, const real_t *dout, real_t *dh, int B, int C, int L) {
    gate_job j = {h, dout, dh, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (4 * L + 1) + 1, gate_b, &j);
}
