/* Pointwise activations on the CPU: ReLU, exact (erf) GELU, swish and the
 * tanh-sigmoid gate, forward and backward. Large tensors are split over the
 * worker pool. */
#include "cpu_internal.h"

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

static const real_t SQRT1_2 = (real_t)0.70710678118654752440;
static const real_t INV_SQRT_2PI = (real_t)0.39894228040143267794;

static void gelu_f(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) {
        real_t x = j->x[i];
        j->y[i] = (real_t)0.5 * x * ((real_t)1 + R_ERF(x * SQRT1_2));
    }
}
void cpu_gelu_forward(backend *be, const real_t *x, real_t *y, long long n) { PW_RUN(gelu_f, x, NULL, y, n); }

/* d/dx [x Phi(x)] = Phi(x) + x phi(x) */
static void gelu_b(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) {
        real_t x = j->x[i];
        real_t cdf = (real_t)0.5 * ((real_t)1 + R_ERF(x * SQRT1_2));
        real_t pdf = INV_SQRT_2PI * R_EXP((real_t)-0.5 * x * x);
        j->y[i] = j->dy[i] * (cdf + x * pdf);
    }
}
void cpu_gelu_backward(backend *be, const real_t *x, const real_t *dy, real_t *dx, long long n) {
    PW_RUN(gelu_b, x, dy, dx, n);
}

static inline real_t sigmoid(real_t x) { return (real_t)1 / ((real_t)1 + R_EXP(-x)); }

static void swish_f(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) j->y[i] = j->x[i] * sigmoid(j->x[i]);
}
void cpu_swish_forward(backend *be, const real_t *x, real_t *y, long long n) { PW_RUN(swish_f, x, NULL, y, n); }

/* d/dx [x s(x)] = s (1 + x (1 - s)) */
static void swish_b(void *p, long long b, long long e, int tid) {
    pw_job *j = p;
    for (long long i = b; i < e; i++) {
        real_t x = j->x[i], s = sigmoid(x);
        j->y[i] = j->dy[i] * s * ((real_t)1 + x * ((real_t)1 - s));
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
static void gate_f(void *p, long long begin, long long end, int tid) {
    gate_job *j = p;
    int C = j->C, L = j->L;
    for (long long r = begin; r < end; r++) {
        long long b = r / C, c = r % C;
        const real_t *a = j->h + (b * 2 * C + c) * L, *s = a + (long long)C * L;
        real_t *o = j->out + r * L;
        for (int l = 0; l < L; l++) o[l] = R_TANH(a[l]) * sigmoid(s[l]);
    }
}
void cpu_gate_forward(backend *be, const real_t *h, real_t *out, int B, int C, int L) {
    gate_job j = {h, NULL, out, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (4 * L + 1) + 1, gate_f, &j);
}

static void gate_b(void *p, long long begin, long long end, int tid) {
    gate_job *j = p;
    int C = j->C, L = j->L;
    for (long long r = begin; r < end; r++) {
        long long b = r / C, c = r % C;
        long long off = (b * 2 * C + c) * L;
        const real_t *a = j->h + off, *s = a + (long long)C * L;
        real_t *da = j->out + off, *ds = da + (long long)C * L;
        const real_t *d = j->dout + r * L;
        for (int l = 0; l < L; l++) {
            real_t th = R_TANH(a[l]), sg = sigmoid(s[l]);
            da[l] = d[l] * sg * ((real_t)1 - th * th);
            ds[l] = d[l] * th * sg * ((real_t)1 - sg);
        }
    }
}
void cpu_gate_backward(backend *be, const real_t *h, const real_t *dout, real_t *dh, int B, int C, int L) {
    gate_job j = {h, dout, dh, C, L};
    cpu_parallel_for(be, (long long)B * C, CPU_PARALLEL_MIN / (4 * L + 1) + 1, gate_b, &j);
}
