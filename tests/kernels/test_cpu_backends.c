/* Several CPU backends alive at once, with different thread counts, each
 * with its own thread pool and S4 plans: both give the results of a
 * one-thread backend (bit for bit: the S4 and pointwise operations do not
 * depend on how channels are split over threads), while one of them runs on
 * another host thread; freeing one leaves the other working, and a backend
 * created afterwards works too. Under AddressSanitizer (the sanitizer build)
 * any state shared between backends and freed with one of them would be a
 * reported use after free. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "philox.h"
#include "test_util.h"

/* One S4 layer's inputs (host memory) at the HiPPO-like operating point. */
typedef struct work {
    int B, H, N2, L;
    real_t *log_dt, *w, *Bm, *P, *Q, *C, *u, *D, *dy;
} work;

/* Everything the work computes, concatenated: K, y, du, dK, dD, dC, gelu(u). */
typedef struct result {
    real_t *v;
    size_t n;
} result;

static real_t *random_array(size_t n, double lo, double hi, uint64_t stream) {
    real_t *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (real_t)(lo + (hi - lo) * philox_u32(7, stream, i) / 4294967296.0);
    return p;
}

static work work_make(int B, int H, int N2, int L) {
    work k = {.B = B, .H = H, .N2 = N2, .L = L};
    size_t nh = (size_t)H * N2 * 2, nu = (size_t)B * H * L;
    k.log_dt = random_array((size_t)H, -6.9, -2.3, 1);
    k.w = random_array(nh, 0, 3 * N2, 2);
    for (size_t i = 0; i < nh; i += 2) k.w[i] = -0.5f; /* Re w = -1/2 as HiPPO-LegS */
    k.Bm = random_array(nh, -1, 1, 3);
    k.P = random_array(nh, -0.3, 0.3, 4);
    k.Q = malloc(nh * sizeof *k.Q);
    for (size_t i = 0; i < nh; i += 2) k.Q[i] = k.P[i], k.Q[i + 1] = -k.P[i + 1];
    k.C = random_array(2 * nh, -1, 1, 5);
    k.u = random_array(nu, -1, 1, 6);
    k.D = random_array((size_t)H, -1, 1, 7);
    k.dy = random_array(nu, -1, 1, 8);
    return k;
}

static void work_free(work *k) {
    free(k->log_dt), free(k->w), free(k->Bm), free(k->P), free(k->Q), free(k->C), free(k->u), free(k->D), free(k->dy);
}

static real_t *upload(backend *be, const real_t *host, size_t n) {
    real_t *p = be->ops->alloc(be, n * sizeof *p);
    if (host) be->ops->upload(be, p, host, n * sizeof *p);
    return p;
}

/* The S4 layer's four operations and a pointwise one on `be`. */
static result work_run(backend *be, const work *k) {
    const int B = k->B, H = k->H, N2 = k->N2, L = k->L;
    size_t nh = (size_t)H * N2 * 2, nu = (size_t)B * H * L, nk = (size_t)2 * H * L;
    real_t *ld = upload(be, k->log_dt, (size_t)H), *w = upload(be, k->w, nh), *Bm = upload(be, k->Bm, nh);
    real_t *P = upload(be, k->P, nh), *Q = upload(be, k->Q, nh), *C = upload(be, k->C, 2 * nh);
    real_t *u = upload(be, k->u, nu), *D = upload(be, k->D, (size_t)H), *dy = upload(be, k->dy, nu);
    real_t *K = upload(be, NULL, nk), *y = upload(be, NULL, nu), *du = upload(be, NULL, nu);
    real_t *dK = upload(be, NULL, nk), *dD = upload(be, NULL, (size_t)H), *dC = upload(be, NULL, 2 * nh);
    real_t *g = upload(be, NULL, nu);
    s4_frozen fz = {H, N2, L, ld, w, Bm, P, Q};
    be->ops->s4_kernel_forward(be, fz, C, K);
    be->ops->s4_conv_forward(be, u, K, D, y, B, H, L);
    be->ops->s4_conv_backward(be, u, K, D, dy, du, dK, dD, B, H, L);
    be->ops->s4_kernel_backward(be, fz, dK, dC);
    be->ops->gelu_forward(be, y, g, (long long)nu);
    size_t sizes[] = {nk, nu, nu, nk, (size_t)H, 2 * nh, nu};
    real_t *parts[] = {K, y, du, dK, dD, dC, g};
    result r = {NULL, 0};
    for (int i = 0; i < 7; i++) r.n += sizes[i];
    r.v = malloc(r.n * sizeof *r.v);
    size_t at = 0;
    be->ops->synchronize(be);
    for (int i = 0; i < 7; i++) {
        be->ops->download(be, r.v + at, parts[i], sizes[i] * sizeof *r.v);
        at += sizes[i];
    }
    real_t *all[] = {ld, w, Bm, P, Q, C, u, D, dy, K, y, du, dK, dD, dC, g};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) be->ops->free(be, all[i]);
    return r;
}

static int same(result a, result b) { return a.n == b.n && memcmp(a.v, b.v, a.n * sizeof *a.v) == 0; }

/* Two lengths: L = 200 takes the FFT convolution, L = 17 the direct one. */
enum { NWORK = 2 };

typedef struct runner {
    backend *be;
    const work *works;
    const result *refs;
    int rounds, mismatches;
} runner;

/* Runs every work `rounds` times on its own backend, counting results that
 * differ from the references. */
static void *runner_main(void *p) {
    runner *r = p;
    for (int round = 0; round < r->rounds; round++)
        for (int i = 0; i < NWORK; i++) {
            result got = work_run(r->be, &r->works[i]);
            if (!same(got, r->refs[i])) r->mismatches++;
            free(got.v);
        }
    return NULL;
}

int main(void) {
    work works[NWORK] = {work_make(3, 8, 16, 200), work_make(4, 6, 8, 17)};
    result refs[NWORK];
    backend *ref = backend_cpu_create(1);
    for (int i = 0; i < NWORK; i++) refs[i] = work_run(ref, &works[i]);
    backend_free(ref);

    /* Two backends alive at once: one with two threads, one with three. */
    backend *a = backend_cpu_create(2), *b = backend_cpu_create(3);
    CHECK(a->threads == 2 && b->threads == 3);
    for (int i = 0; i < NWORK; i++) {
        result ra = work_run(a, &works[i]), rb = work_run(b, &works[i]);
        CHECK_MSG(same(ra, refs[i]), "work %d: 2-thread backend differs from the 1-thread one", i);
        CHECK_MSG(same(rb, refs[i]), "work %d: 3-thread backend differs from the 1-thread one", i);
        free(ra.v), free(rb.v);
    }

    /* `a` keeps working on another host thread while `b` works here and is
     * freed, and a new backend is created and used in its place. */
    runner ra = {a, works, refs, 6, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, runner_main, &ra) == 0);
    runner rb = {b, works, refs, 2, 0};
    runner_main(&rb);
    backend_free(b);
    backend *c = backend_cpu_create(1);
    runner rc = {c, works, refs, 2, 0};
    runner_main(&rc);
    pthread_join(t, NULL);
    CHECK_MSG(ra.mismatches == 0, "2-thread backend: %d results differ while another backend was used and freed",
              ra.mismatches);
    CHECK_MSG(rb.mismatches == 0, "3-thread backend: %d results differ while another backend ran", rb.mismatches);
    CHECK_MSG(rc.mismatches == 0, "backend created after a free: %d results differ", rc.mismatches);

    /* After the other two are gone, `a` still works. */
    backend_free(c);
    runner again = {a, works, refs, 1, 0};
    runner_main(&again);
    CHECK_MSG(again.mismatches == 0, "2-thread backend: %d results differ after the others were freed",
              again.mismatches);
    backend_free(a);

    for (int i = 0; i < NWORK; i++) free(refs[i].v), work_free(&works[i]);
    return test_finish("cpu_backends");
}
