/* The CPU backend's S4 state (cpu_s4_state.h): per-backend FFT plans and
 * per-thread workspaces, one entry per sequence length, built on first use
 * and freed with the backend; and the convolution-route control for tests
 * and benchmarks (cpu_s4_internal.h). */
#include "cpu_s4_state.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu_s4.h"
#include "cpu_s4_internal.h"

/* FFTW's planner (plan creation and destruction) is shared by the whole
 * process and not thread-safe: two backends used from two threads may plan
 * at the same time. Nothing else needs this lock. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

void *cpu_s4_alloc(size_t bytes) {
    void *p = fftw_malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "cpu_s4: out of memory allocating %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

void cpu_s4_set_conv_route(backend *be, int route) { ((cpu_ctx *)be->ctx)->s4_conv_route = route; }

static void entry_free(s4_entry *e) {
    for (int t = 0; t < e->nth; t++) {
        s4_thread_ws *w = &e->ws[t];
        fftw_free(w->kre);
        fftw_free(w->kspec);
        fftw_free(w->modes);
        fftw_free(w->rbuf);
        fftw_free(w->rin);
        fftw_free(w->spec_a);
        fftw_free(w->spec_b);
        fftw_free(w->spec_k);
        fftw_free(w->spec_acc);
        fftw_free(w->mat);
        fftw_free(w->gmat);
    }
    free(e->ws);
    fftw_free(e->cosk);
    fftw_free(e->sink);
    pthread_mutex_lock(&planner_lock);
    if (e->k_c2r) fftw_destroy_plan(e->k_c2r);
    if (e->k_r2c) fftw_destroy_plan(e->k_r2c);
    if (e->c_r2c) RFFTW(destroy_plan)(e->c_r2c);
    if (e->c_c2r) RFFTW(destroy_plan)(e->c_c2r);
    pthread_mutex_unlock(&planner_lock);
    free(e);
}

/* The shortest even length n >= 2L - 1 with no prime factor above 5, which
 * FFTW transforms with its fastest codelets. Measured with `bench_s4 1 5
 * sweep` (B = 32, H = 256, forward + backward, one thread): at L = 200 the
 * length 400 takes 23 ms on a Sapphire Rapids Xeon where the next power of
 * two, 512, took 38 ms (the training step: 830 against 934 ms); on a Zen 5
 * EPYC the two were within 2%. */
int s4_conv_length(int L) {
    for (int n = 2 * L - 1 > 2 ? 2 * L - 1 : 2;; n++) {
        if (n % 2) continue;
        int m = n / 2;
        while (m % 2 == 0) m /= 2;
        while (m % 3 == 0) m /= 3;
        while (m % 5 == 0) m /= 5;
        if (m == 1) return n;
    }
}

static s4_entry *entry_build(int L, int nth) {
    s4_entry *e = calloc(1, sizeof *e);
    if (!e) {
        fprintf(stderr, "cpu_s4: out of memory\n");
        exit(1);
    }
    e->L = L;
    e->nth = nth;
    e->NC = s4_conv_length(L);
    const int NC = e->NC, nk = L / 2 + 1;
    e->cosk = cpu_s4_alloc((size_t)nk * sizeof(double));
    e->sink = cpu_s4_alloc((size_t)nk * sizeof(double));
    for (int k = 0; k < nk; k++) {
        if (2 * k == L) { /* exactly the Nyquist frequency: omega = -1 */
            e->cosk[k] = 0.0;
            e->sink[k] = 1.0;
        } else {
            double t = M_PI * (double)k / (double)L;
            e->cosk[k] = cos(t);
            e->sink[k] = sin(t);
        }
    }
    e->ws = calloc((size_t)nth, sizeof *e->ws);
    if (!e->ws) {
        fprintf(stderr, "cpu_s4: out of memory\n");
        exit(1);
    }
    for (int t = 0; t < nth; t++) {
        s4_thread_ws *w = &e->ws[t];
        w->kre = cpu_s4_alloc((size_t)L * sizeof(double));
        w->kspec = cpu_s4_alloc((size_t)2 * s4_spec_stride(L) * sizeof(fftw_complex));
        w->rbuf = cpu_s4_alloc((size_t)NC * sizeof(real_t));
        w->spec_a = cpu_s4_alloc((size_t)(NC / 2 + 1) * sizeof(rcomplex));
        w->spec_b = cpu_s4_alloc((size_t)(NC / 2 + 1) * sizeof(rcomplex));
        w->rin = cpu_s4_alloc((size_t)NC * sizeof(real_t));
        for (int i = 0; i < NC; i++) w->rin[i] = 0;
        w->spec_k = cpu_s4_alloc((size_t)S4_CONV_BLOCK * s4_conv_spec_stride(NC) * sizeof(rcomplex));
        w->spec_acc = cpu_s4_alloc((size_t)S4_CONV_BLOCK * s4_conv_spec_stride(NC) * sizeof(rcomplex));
    }
    /* FFTW_ESTIMATE: deterministic plans (FFTW_MEASURE may pick a different
     * algorithm from run to run, changing results in the last bits). The
     * plans are executed on other buffers of the same alignment with the
     * new-array execute functions. L = 1 needs no transform. */
    pthread_mutex_lock(&planner_lock);
    if (L > 1) {
        e->k_c2r = fftw_plan_dft_c2r_1d(L, e->ws[0].kspec, e->ws[0].kre, FFTW_ESTIMATE);
        e->k_r2c = fftw_plan_dft_r2c_1d(L, e->ws[0].kre, e->ws[0].kspec, FFTW_ESTIMATE);
    }
    e->c_r2c = RFFTW(plan_dft_r2c_1d)(NC, e->ws[0].rbuf, e->ws[0].spec_a, FFTW_ESTIMATE);
    e->c_c2r = RFFTW(plan_dft_c2r_1d)(NC, e->ws[0].spec_a, e->ws[0].rbuf, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    if ((L > 1 && (!e->k_c2r || !e->k_r2c)) || !e->c_r2c || !e->c_c2r) {
        fprintf(stderr, "cpu_s4: FFTW could not plan transforms of length %d\n", L);
        exit(1);
    }
    return e;
}

s4_entry *cpu_s4_entry(backend *be, int L) {
    cpu_ctx *ctx = be->ctx;
    for (s4_entry *e = ctx->s4_entries; e; e = e->next)
        if (e->L == L) return e;
    s4_entry *e = entry_build(L, ctx->nthreads);
    e->next = ctx->s4_entries;
    ctx->s4_entries = e;
    return e;
}

void cpu_s4_release(backend *be) {
    cpu_ctx *ctx = be->ctx;
    while (ctx->s4_entries) {
        s4_entry *e = ctx->s4_entries;
        ctx->s4_entries = e->next;
        entry_free(e);
    }
}
