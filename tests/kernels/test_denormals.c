/* The CPU backend flushes denormal floats to zero inside its operations, on
 * the calling thread and on its workers (kernels/cpu/cpu_denormals.h: a
 * denormal costs an Intel core a microcode assist per instruction), and
 * leaves the calling thread's own arithmetic as it was. GELU of an input
 * near -13.5 is the case met in training: its exact value, about -1e-40, is
 * denormal in float. */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "backend.h"
#include "test_util.h"

/* Runs GELU over n copies of x on a `threads`-thread backend; counts outputs
 * that are neither zero nor normal, and returns the first output. */
static float gelu_of(int threads, long long n, float x, long long *denormal) {
    backend *be = backend_cpu_create(threads);
    float *in = be->ops->alloc(be, (size_t)n * sizeof *in), *out = be->ops->alloc(be, (size_t)n * sizeof *out);
    for (long long i = 0; i < n; i++) in[i] = x;
    be->ops->gelu_forward(be, in, out, n);
    *denormal = 0;
    for (long long i = 0; i < n; i++)
        if (out[i] != 0 && fabsf(out[i]) < FLT_MIN) ++*denormal;
    float first = out[0];
    be->ops->free(be, in);
    be->ops->free(be, out);
    be->ops->destroy(be);
    return first;
}

int main(void) {
#if !defined(__SSE2__) && !defined(__aarch64__)
    printf("test_denormals: skipped (no flush-to-zero control on this architecture)\n");
    return TEST_SKIP_CODE;
#else
    /* The reference value: Phi(-13.5) ~ 7.7e-42, so GELU(-13.5) ~ -1.0e-40. */
    double exact = -13.5 * 0.5 * erfc(13.5 / sqrt(2.0));
    CHECK(exact < 0 && fabs(exact) < FLT_MIN && fabs(exact) > 1e-45);

    long long denormal;
    float one = gelu_of(1, 1, -13.5f, &denormal); /* the calling thread alone */
    CHECK_MSG(one == 0 && denormal == 0, "one thread: GELU(-13.5) = %g", one);
    float many = gelu_of(2, 1 << 20, -13.5f, &denormal); /* the calling thread and a worker */
    CHECK_MSG(many == 0 && denormal == 0, "two threads: %lld denormal outputs", denormal);

    /* Normal results are untouched. */
    float normal = gelu_of(2, 1 << 20, -9.0f, &denormal);
    CHECK_CLOSE(normal, -9.0 * 0.5 * erfc(9.0 / sqrt(2.0)), 0, 1e-5);

    /* Outside the backend, gradual underflow is back. */
    volatile float a = 1e-30f, b = 1e-10f;
    float product = a * b;
    CHECK_MSG(product != 0 && product < FLT_MIN, "the caller's 1e-30 * 1e-10 = %g", product);
    return test_finish("test_denormals");
#endif
}
