/* CPU implementation of the S4 operations of the backend table
 * (kernels/cpu/cpu_s4.h): the bidirectional SSM kernel from C (forward and
 * its adjoint dC) and the bidirectional long convolution (forward and
 * backward). Compiled for real_t = float (sssd_cpu) and double (sssd_cpu64).
 *
 * Kernel generation (per direction c, channel h), all in double even in the
 * float build (the cost, H (L/2+1) N2 terms, does not grow with the batch, and
 * double keeps the float kernel accurate to float rounding):
 *   omega_k = exp(-2 pi i k / L), k = 0..L/2, z_k = 2 (1 - omega)/(1 + omega),
 *   r_xy = dt sum_n [ v_n/(z - w_n dt) + conj(v_n)/(z - conj(w_n dt)) ],
 *   khat = (r00 - r01 r10 / (1 + r11)) 2/(1 + omega),  K = irfft(khat, n = L).
 * With t = pi k / L, c = cos t, s = sin t, phi = exp(-i t):
 *   1 + omega = 2 c phi, 1 - omega = 2 i s phi, z = 2 i s / c, so
 *   1/(z - lam) = c / (2 i s - c lam) and 2/(1 + omega) / (z - lam) = conj(phi) / (2 i s - c lam).
 * Writing g_n = 1/(2is - c lam_n), h_n = 1/(2is - c conj(lam_n)):
 *   r_xy = dt c S_xy,  S_xy = sum_n v_n g_n + conj(v_n) h_n,
 *   khat = conj(phi) dt sum_n [ C_n g_n (B_n - rho P_n) + conj(C_n) h_n (conj(B_n) - rho conj(P_n)) ],
 *   rho = r01 / (1 + r11) = dt c S01 / (1 + dt c S11).
 * This form has no 0/0 anywhere: at the Nyquist frequency of even L
 * (omega = -1, z infinite) c = 0 exactly, rho = 0 and khat = dt Re(sum B_n C_n),
 * which is the exact limit (and the value of the generating function
 * C~ (I - dA^L)(I + dA)^{-1} dB there); PyTorch instead divides by a rounded
 * 1 + omega ~ 1e-8. Denominators never vanish: Re(2is - c lam) = -c Re(lam) > 0
 * for c > 0 (Re w < 0; -1/2 for LegS), and |2is| = 2 at c = 0.
 * As computed, the two terms of a mode share one denominator:
 *   v g + conj(v) h = (4is Re v - 2c Re(v conj lam)) / den,  den = (2is - c lam)(2is - c conj lam),
 * so one reciprocal per (k, n) serves all six sums (v = BQ, PQ, C0 B, C0 P,
 * C1 B, C1 P), each a real-weighted sum of 1/den, and
 *   khat_c = conj(phi) dt (T_{Cc B} - rho T_{Cc P}),  T_v = sum_n v g + conj(v) h.
 * We take irfft with n = L (SSSD calls irfft without n, which for odd L returns
 * L - 1 samples); the imaginary parts of khat at k = 0 and k = L/2 (zero up to
 * rounding) are dropped, as irfft does. The irfft is FFTW's (1024 transforms
 * of L = 200 in double: 0.25 ms, against 15 ms for a table-driven direct DFT).
 *
 * Kernel adjoint: khat is real-linear in C: per mode a sum of the four real
 * forms Re(C_n x_n), x in {B, B conj(lam), P, P conj(lam)}, with factors
 * f_xk/den_kn. With G_k = dl/dRe khat_k + i dl/dIm khat_k = wt_k rfft(dK)_k
 * (wt = 1/L at k = 0 and at k = L/2 for even L, else 2/L; irfft ignores the
 * imaginary parts there), l = sum_k Re(conj(G_k) khat_k), and since
 * d Re(C x)/d(Re C, Im C) = conj(x), the gradient in PyTorch's view_as_real
 * layout is dC_n = sum_x gamma_xn conj(x_n), gamma_xn = sum_k Re(conj(G_k) f_xk / den_kn).
 *
 * Convolution: the full kernel of length 2L is kf[s] = K0[s] (s < L), kf[L] = 0,
 * kf[2L - m] = K1[m - 1] (m = 1..L-1) - SSSD's pad(k0) + pad(flip(k1)); K1[L-1]
 * only ever multiplies zero padding, so it gets zero gradient. Two
 * implementations give the same numbers: FFT (real FFTs of length 2L) and
 * direct (per channel an L x L Toeplitz matrix and one GEMM over the batch).
 * Which one runs is chosen per call from L and B by measured thresholds
 * (S4_CONV_DIRECT_MAX_L below, figures from bench/model/bench_s4).
 *
 * State: FFT plans and per-thread workspaces live in a static cache keyed by
 * (L, threads), built on the first call for that key and reused (no
 * allocation in later calls), freed by cpu_s4_release. One global mutex is
 * held for the whole of every S4 operation: it guards the cache, FFTW's
 * non-thread-safe planner and the worker pool, so S4 calls from several host
 * threads are safe but run one at a time. Work inside a call is split over
 * channels across up to be->threads threads (a small pthread pool). */
#include <complex.h>

#include "cpu_internal.h"
#include "cpu_s4.h"
#include "cpu_s4_internal.h"

#include <cblas.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SSSD_REAL_DOUBLE
#define RFFTW(name) fftw_##name
typedef fftw_complex rcomplex;
#define cblas_rgemm cblas_dgemm
#define RCONJ conj
#else
#define RFFTW(name) fftwf_##name
typedef fftwf_complex rcomplex;
#define cblas_rgemm cblas_sgemm
#define RCONJ conjf
#endif

/* Convolution route: direct (GEMM) when L <= S4_CONV_DIRECT_MAX_L and the
 * per-channel GEMM is small enough (B L L <= S4_CONV_DIRECT_MAX_MNK) that
 * OpenBLAS runs it on the calling thread, else FFT. Measured with
 * `bench_s4 <threads> 7 sweep` (B = 32, H = 256, forward + backward, ms, min of 7,
 * 2 shared cores, OpenBLAS 0.3.21 pthread, FFTW 3.3.10):
 *     L       8     16     32     48     64     96    128    200    256
 *   1 thread: fft 1.35  3.02  6.47  10.1  10.0  14.1  17.7  24.7  38.3
 *          direct 0.42  0.55  1.41  2.95  4.54  10.0  17.8  38.0  60.8
 *   2 threads: fft 0.73 1.62  3.94  5.14  4.71  7.05  9.55  12.5  19.1
 *          direct 0.27  0.34  0.85  1.62  2.37  6.52  9.57  23.0  37.1 (OPENBLAS_NUM_THREADS=1)
 *          direct 0.51  0.70  1.03  1.68  2.33  12.4  17.3   768   931 (OpenBLAS default threads)
 * The last row is why the size cap exists: once OpenBLAS threads a GEMM
 * (above 2^18 multiply-adds in 0.3.21) while our own threads also call it,
 * its busy-waiting workers and ours fight for the cores. */
#ifndef S4_CONV_DIRECT_MAX_L
#define S4_CONV_DIRECT_MAX_L 64
#endif
#ifndef S4_CONV_DIRECT_MAX_MNK
#define S4_CONV_DIRECT_MAX_MNK (1LL << 18)
#endif

static void *xmalloc(size_t bytes) {
    void *p = fftw_malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "cpu_s4: out of memory allocating %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

/* ---------------------------------------------------------------------------
 * Worker pool: nworkers threads plus the calling thread run fn(arg, tid, nth).
 * Used only while s4_mutex is held, so one job at a time. */
typedef void (*s4_job_fn)(void *arg, int tid, int nth);

typedef struct s4_pool {
    pthread_t *tids;
    int nworkers;
    pthread_mutex_t m;
    pthread_cond_t start, done;
    unsigned long generation;
    int remaining, quit;
    s4_job_fn fn;
    void *arg;
    int nth;
} s4_pool;

typedef struct s4_worker_arg {
    s4_pool *pool;
    int tid;
} s4_worker_arg;

static void *s4_worker(void *p) {
    s4_worker_arg *wa = p;
    s4_pool *pool = wa->pool;
    const int tid = wa->tid;
    free(wa);
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&pool->m);
        while (pool->generation == seen && !pool->quit) pthread_cond_wait(&pool->start, &pool->m);
        if (pool->quit) {
            pthread_mutex_unlock(&pool->m);
            return NULL;
        }
        seen = pool->generation;
        s4_job_fn fn = pool->fn;
        void *arg = pool->arg;
        int nth = pool->nth;
        pthread_mutex_unlock(&pool->m);
        if (tid < nth) fn(arg, tid, nth);
        pthread_mutex_lock(&pool->m);
        if (--pool->remaining == 0) pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->m);
    }
}

static s4_pool g_pool;
static int g_pool_ready = 0;

static void pool_stop(void) {
    if (!g_pool_ready) return;
    pthread_mutex_lock(&g_pool.m);
    g_pool.quit = 1;
    pthread_cond_broadcast(&g_pool.start);
    pthread_mutex_unlock(&g_pool.m);
    for (int i = 0; i < g_pool.nworkers; i++) pthread_join(g_pool.tids[i], NULL);
    free(g_pool.tids);
    pthread_mutex_destroy(&g_pool.m);
    pthread_cond_destroy(&g_pool.start);
    pthread_cond_destroy(&g_pool.done);
    memset(&g_pool, 0, sizeof g_pool);
    g_pool_ready = 0;
}

/* Make sure the pool has exactly `nworkers` workers. Returns the number of
 * threads available (workers + caller); on thread creation failure fewer. */
static int pool_ensure(int nworkers) {
    if (g_pool_ready && g_pool.nworkers == nworkers) return nworkers + 1;
    pool_stop();
    if (nworkers <= 0) return 1;
    memset(&g_pool, 0, sizeof g_pool);
    pthread_mutex_init(&g_pool.m, NULL);
    pthread_cond_init(&g_pool.start, NULL);
    pthread_cond_init(&g_pool.done, NULL);
    g_pool.tids = calloc((size_t)nworkers, sizeof *g_pool.tids);
    if (!g_pool.tids) return 1;
    g_pool_ready = 1;
    for (int i = 0; i < nworkers; i++) {
        s4_worker_arg *wa = malloc(sizeof *wa);
        if (!wa) break;
        wa->pool = &g_pool;
        wa->tid = i + 1;
        if (pthread_create(&g_pool.tids[i], NULL, s4_worker, wa) != 0) {
            free(wa);
            break;
        }
        g_pool.nworkers++;
    }
    return g_pool.nworkers + 1;
}

/* Run fn on nth threads (tid 0 is the caller) and wait for all of them. */
static void pool_run(s4_job_fn fn, void *arg, int nth) {
    if (nth <= 1 || !g_pool_ready || g_pool.nworkers == 0) {
        fn(arg, 0, 1);
        return;
    }
    if (nth > g_pool.nworkers + 1) nth = g_pool.nworkers + 1;
    pthread_mutex_lock(&g_pool.m);
    g_pool.fn = fn;
    g_pool.arg = arg;
    g_pool.nth = nth;
    g_pool.remaining = g_pool.nworkers;
    g_pool.generation++;
    pthread_cond_broadcast(&g_pool.start);
    pthread_mutex_unlock(&g_pool.m);
    fn(arg, 0, nth);
    pthread_mutex_lock(&g_pool.m);
    while (g_pool.remaining > 0) pthread_cond_wait(&g_pool.done, &g_pool.m);
    pthread_mutex_unlock(&g_pool.m);
}

/* Contiguous share [*lo, *hi) of n items for thread tid of nth. */
static void split_range(int n, int tid, int nth, int *lo, int *hi) {
    *lo = (int)((long long)n * tid / nth);
    *hi = (int)((long long)n * (tid + 1) / nth);
}

/* ---------------------------------------------------------------------------
 * Cache of plans and workspaces, one entry per (L, threads).
 *
 * Distance between the two directions' spectra in kspec: L/2+1 rounded up
 * to 4 complex numbers (64 bytes), so both start with the alignment of the
 * planning array, as FFTW's new-array execute functions require. */
static size_t spec_stride(int L) { return ((size_t)L / 2 + 1 + 3) & ~(size_t)3; }

typedef struct s4_thread_ws {
    /* kernel generation (double) */
    double *kre;             /* (L) irfft output / rfft input */
    fftw_complex *kspec;     /* (2, spec_stride(L)) */
    double *modes;           /* (modes_cap) kernel-generation scratch */
    size_t modes_cap;
    /* convolution */
    real_t *rbuf;            /* (2L) */
    rcomplex *spec_a, *spec_b, *spec_k, *spec_acc; /* (L+1) each */
    real_t *mat, *gmat;      /* (L, L) each, direct route only (allocated on its first use) */
} s4_thread_ws;

typedef struct s4_entry {
    int L, nth;
    struct s4_entry *next;
    /* trig table for kernel generation: c_k, s_k, k = 0..L/2 */
    double *cosk, *sink;
    fftw_plan k_c2r, k_r2c;              /* double, length L */
    RFFTW(plan) c_r2c, c_c2r;            /* real_t, length 2L */
    s4_thread_ws *ws;                    /* (nth) */
} s4_entry;

static pthread_mutex_t s4_mutex = PTHREAD_MUTEX_INITIALIZER;
static s4_entry *g_entries = NULL;
static int g_route = S4_CONV_ROUTE_AUTO;

void cpu_s4_set_conv_route(int route) {
    pthread_mutex_lock(&s4_mutex);
    g_route = route;
    pthread_mutex_unlock(&s4_mutex);
}

static void entry_free(s4_entry *e) {
    for (int t = 0; t < e->nth; t++) {
        s4_thread_ws *w = &e->ws[t];
        fftw_free(w->kre);
        fftw_free(w->kspec);
        fftw_free(w->modes);
        fftw_free(w->rbuf);
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
    if (e->k_c2r) fftw_destroy_plan(e->k_c2r);
    if (e->k_r2c) fftw_destroy_plan(e->k_r2c);
    if (e->c_r2c) RFFTW(destroy_plan)(e->c_r2c);
    if (e->c_c2r) RFFTW(destroy_plan)(e->c_c2r);
    free(e);
}

/* Find or build the entry for (L, nth); also sizes the pool. Caller holds s4_mutex. */
static s4_entry *entry_get(int L, int nth, const backend *be) {
    pool_ensure(be && be->threads > 1 ? be->threads - 1 : 0);
    for (s4_entry *e = g_entries; e; e = e->next)
        if (e->L == L && e->nth == nth) return e;
    s4_entry *e = calloc(1, sizeof *e);
    if (!e) {
        fprintf(stderr, "cpu_s4: out of memory\n");
        exit(1);
    }
    e->L = L;
    e->nth = nth;
    const int nk = L / 2 + 1;
    e->cosk = xmalloc((size_t)nk * sizeof(double));
    e->sink = xmalloc((size_t)nk * sizeof(double));
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
        w->kre = xmalloc((size_t)L * sizeof(double));
        w->kspec = xmalloc((size_t)2 * spec_stride(L) * sizeof(fftw_complex));
        w->rbuf = xmalloc((size_t)2 * L * sizeof(real_t));
        w->spec_a = xmalloc((size_t)(L + 1) * sizeof(rcomplex));
        w->spec_b = xmalloc((size_t)(L + 1) * sizeof(rcomplex));
        w->spec_k = xmalloc((size_t)(L + 1) * sizeof(rcomplex));
        w->spec_acc = xmalloc((size_t)(L + 1) * sizeof(rcomplex));
    }
    /* FFTW_ESTIMATE: deterministic plans (FFTW_MEASURE may pick a different
     * algorithm from run to run, changing results in the last bits). The
     * plans are executed on other buffers of the same alignment with the
     * new-array execute functions. L = 1 needs no transform. */
    if (L > 1) {
        e->k_c2r = fftw_plan_dft_c2r_1d(L, e->ws[0].kspec, e->ws[0].kre, FFTW_ESTIMATE);
        e->k_r2c = fftw_plan_dft_r2c_1d(L, e->ws[0].kre, e->ws[0].kspec, FFTW_ESTIMATE);
    }
    e->c_r2c = RFFTW(plan_dft_r2c_1d)(2 * L, e->ws[0].rbuf, e->ws[0].spec_a, FFTW_ESTIMATE);
    e->c_c2r = RFFTW(plan_dft_c2r_1d)(2 * L, e->ws[0].spec_a, e->ws[0].rbuf, FFTW_ESTIMATE);
    if ((L > 1 && (!e->k_c2r || !e->k_r2c)) || !e->c_r2c || !e->c_c2r) {
        fprintf(stderr, "cpu_s4: FFTW could not plan transforms of length %d\n", L);
        exit(1);
    }
    e->next = g_entries;
    g_entries = e;
    return e;
}

static int threads_of(const backend *be, int items) {
    int t = be && be->threads > 0 ? be->threads : 1;
    if (t > items) t = items;
    return t < 1 ? 1 : t;
}

/* Grow a thread's kernel scratch to n doubles (only when N2 grows). */
static void modes_reserve(s4_thread_ws *w, size_t n) {
    if (w->modes_cap >= n) return;
    fftw_free(w->modes);
    w->modes = xmalloc(n * sizeof(double));
    w->modes_cap = n;
}

void cpu_s4_release(backend *be) {
    (void)be;
    pthread_mutex_lock(&s4_mutex);
    while (g_entries) {
        s4_entry *e = g_entries;
        g_entries = e->next;
        entry_free(e);
    }
    pool_stop();
    pthread_mutex_unlock(&s4_mutex);
}

/* ---------------------------------------------------------------------------
 * SSM kernel */

typedef struct kernel_job {
    s4_frozen fz;
    const real_t *C;  /* forward: C (2, H, N2, 2) */
    real_t *K;        /* forward: K (2, H, L) */
    const real_t *dK; /* backward */
    real_t *dC;       /* backward: accumulate */
    s4_entry *e;
} kernel_job;

static inline double complex ld_c(const real_t *p) { return (double)p[0] + I * (double)p[1]; }

/* Number of Cauchy sums per channel h in the forward pass: v = B Q, P Q
 * (Woodbury terms), C0 B, C0 P, C1 B, C1 P (the two directions). Each sum
 * is kept as four reals per frequency: sum_n A_v,n/den_n (re, im) and
 * sum_n R_v,n/den_n (re, im) (see cauchy_coeffs), interleaved per frequency
 * so the innermost loop is a fixed-length run of multiply-adds that the
 * compiler vectorises. */
#define KF_NV 6
#define KF_W (4 * KF_NV)

/* Scratch doubles a thread needs for kernel generation (see the jobs). */
static size_t kernel_scratch_doubles(int N2, int L) {
    size_t nk = (size_t)L / 2 + 1;
    size_t inv = 2 * (nk > (size_t)N2 ? nk : (size_t)N2); /* 1/den of one frequency or one mode */
    return (size_t)N2 * (2 + KF_W + 8) + nk * (KF_W + 4 + 16) + inv;
}

/* For v_n and lam_n = lr + i li: the symmetric Cauchy term
 * v/(2is - c lam) + conj(v)/(2is - c conj(lam)) equals (4is R - 2c A)/den with
 * R = Re v, A = Re(v conj(lam)), den = (2is - c lam)(2is - c conj(lam)).
 * Stored duplicated (A, A, R, R) to pair with (Re, Im) of 1/den. */
static inline void cauchy_coeffs(double complex v, double lr, double li, double *out4) {
    double R = creal(v), A = creal(v) * lr + cimag(v) * li;
    out4[0] = A;
    out4[1] = A;
    out4[2] = R;
    out4[3] = R;
}

/* 1/den at frequency (c, s) and mode lam = lr + i li: out[0] + i out[1]. */
static inline void inv_den(double ck, double sk, double lr, double li, double *out) {
    double d1r = -ck * lr, d1i = 2.0 * sk - ck * li;
    double d2i = 2.0 * sk + ck * li;
    double dr = d1r * d1r - d1i * d2i, di = d1r * d2i + d1i * d1r;
    double m = 1.0 / (dr * dr + di * di);
    out[0] = dr * m;
    out[1] = -di * m;
}

/* The symmetric Cauchy sum T_v = sum_n (4is R - 2c A)/den from its four accumulated reals. */
static inline double complex cauchy_sum(const double *a4, double c, double s) {
    return (-2.0 * c * a4[0] - 4.0 * s * a4[3]) + I * (-2.0 * c * a4[1] + 4.0 * s * a4[2]);
}

/* Accumulate, for all frequencies k, acc[k][j] = sum_n coef[n][j] (1/den_kn)[j % 2]
 * over the modes n; width j < NW (a multiple of 4). Per k, the 1/den of all
 * modes are formed first (one vectorised pass with the divisions), then the
 * row acc[k] is summed over n in registers and stored once. The sums run over
 * n in ascending order, as they always have, so the numbers do not depend on
 * this blocking. tmp holds 2 N2 doubles. */
static inline __attribute__((always_inline)) void cauchy_accumulate_w(
    const double *restrict ck, const double *restrict sk, int nk, const double *restrict lr,
    const double *restrict li, int N2, const double *restrict coef, const int NW, double *restrict acc,
    double *restrict tmp) {
    double *idr = tmp, *idi = tmp + N2;
    for (int k = 0; k < nk; k++) {
        for (int n = 0; n < N2; n++) {
            double id[2];
            inv_den(ck[k], sk[k], lr[n], li[n], id);
            idr[n] = id[0];
            idi[n] = id[1];
        }
        double a[KF_W] = {0};
        for (int n = 0; n < N2; n++) {
            const double *cf = coef + (size_t)n * NW;
            for (int j = 0; j < NW; j += 2) {
                a[j] += cf[j] * idr[n];
                a[j + 1] += cf[j + 1] * idi[n];
            }
        }
        memcpy(acc + (size_t)k * NW, a, sizeof(double) * NW);
    }
}

/* The two widths in use: all six sums (forward) and the Woodbury pair (backward). */
CPU_SIMD_CLONES static void cauchy_accumulate_all(const double *ck, const double *sk, int nk, const double *lr,
                                                  const double *li, int N2, const double *coef, double *acc,
                                                  double *tmp) {
    cauchy_accumulate_w(ck, sk, nk, lr, li, N2, coef, KF_W, acc, tmp);
}
CPU_SIMD_CLONES static void cauchy_accumulate_woodbury(const double *ck, const double *sk, int nk, const double *lr,
                                                       const double *li, int N2, const double *coef, double *acc,
                                                       double *tmp) {
    cauchy_accumulate_w(ck, sk, nk, lr, li, N2, coef, 8, acc, tmp);
}

/* rho_k = dt c T_BQ / (1 + dt c T_PQ) and pre_k = dt (c + i s) for all k. */
static void woodbury_factors(const double *ck, const double *sk, int nk, double dt, const double *acc, int nw,
                             double complex *rho, double complex *pre) {
    for (int k = 0; k < nk; k++) {
        double c = ck[k], s = sk[k];
        double complex t01 = cauchy_sum(acc + (size_t)k * nw, c, s);
        double complex t11 = cauchy_sum(acc + (size_t)k * nw + 4, c, s);
        double complex num = dt * c * t01, den = 1.0 + dt * c * t11;
        double m = 1.0 / (creal(den) * creal(den) + cimag(den) * cimag(den));
        rho[k] = num * conj(den) * m;
        pre[k] = dt * (c + I * s);
    }
}

/* lam_n = w_n dt of channel h into lr, li. */
static void channel_modes(const s4_frozen *fz, int h, double dt, double *lr, double *li) {
    for (int n = 0; n < fz->N2; n++) {
        size_t o = ((size_t)h * fz->N2 + n) * 2;
        lr[n] = (double)fz->w[o] * dt;
        li[n] = (double)fz->w[o + 1] * dt;
    }
}

static void kernel_forward_job(void *arg, int tid, int nth) {
    kernel_job *j = arg;
    const s4_frozen *fz = &j->fz;
    const int H = fz->H, N2 = fz->N2, L = fz->L, nk = L / 2 + 1;
    s4_thread_ws *w = &j->e->ws[tid];
    const double *ck = j->e->cosk, *sk = j->e->sink;
    double *lr = w->modes, *li = lr + N2, *coef = li + N2; /* coef (N2, KF_W) */
    double *acc = coef + (size_t)N2 * KF_W;                /* (nk, KF_W) */
    double complex *rho = (double complex *)(acc + (size_t)nk * KF_W), *pre = rho + nk;
    double *tmp = (double *)(pre + nk);                    /* 2 max(N2, nk) */
    double complex *spec = (double complex *)w->kspec;
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        const double dt = exp((double)fz->log_dt[h]);
        channel_modes(fz, h, dt, lr, li);
        for (int n = 0; n < N2; n++) {
            size_t o = ((size_t)h * N2 + n) * 2;
            double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), q = ld_c(fz->Q + o);
            double complex c0 = ld_c(j->C + ((size_t)h * N2 + n) * 2);
            double complex c1 = ld_c(j->C + (((size_t)H + h) * N2 + n) * 2);
            double complex v[KF_NV] = {b * q, p * q, c0 * b, c0 * p, c1 * b, c1 * p};
            for (int x = 0; x < KF_NV; x++) cauchy_coeffs(v[x], lr[n], li[n], coef + (size_t)n * KF_W + 4 * x);
        }
        cauchy_accumulate_all(ck, sk, nk, lr, li, N2, coef, acc, tmp);
        woodbury_factors(ck, sk, nk, dt, acc, KF_W, rho, pre);
        for (int c = 0; c < 2; c++) {
            double complex *out = spec + (size_t)c * spec_stride(L);
            for (int k = 0; k < nk; k++) {
                const double *a = acc + (size_t)k * KF_W + 8 + 8 * c;
                double complex tb = cauchy_sum(a, ck[k], sk[k]), tp = cauchy_sum(a + 4, ck[k], sk[k]);
                out[k] = pre[k] * (tb - rho[k] * tp);
            }
            real_t *Kc = j->K + ((size_t)c * H + h) * L;
            /* irfft reads only the real parts of the DC and Nyquist terms */
            out[0] = creal(out[0]);
            if (L % 2 == 0) out[L / 2] = creal(out[L / 2]);
            if (L == 1) {
                Kc[0] = (real_t)creal(out[0]);
                continue;
            }
            fftw_execute_dft_c2r(j->e->k_c2r, (fftw_complex *)out, w->kre);
            const double inv = 1.0 / (double)L;
            for (int l = 0; l < L; l++) Kc[l] = (real_t)(w->kre[l] * inv);
        }
    }
}

/* gam[n][x] = sum_k Re(F[k][x] / den_kn) for x < 8 (2 directions x 4 linear
 * forms). Per mode n, the 1/den of all frequencies are formed first (one
 * vectorised pass), then the eight sums run over k in ascending order in
 * registers. tmp holds 2 nk doubles. */
CPU_SIMD_CLONES static void adjoint_accumulate(const double *restrict ck, const double *restrict sk, int nk,
                               const double *restrict lr, const double *restrict li, int N2,
                               const double *restrict Fr, const double *restrict Fi, double *restrict gam,
                               double *restrict tmp) {
    double *idr = tmp, *idi = tmp + nk;
    for (int n = 0; n < N2; n++) {
        for (int k = 0; k < nk; k++) {
            double id[2];
            inv_den(ck[k], sk[k], lr[n], li[n], id);
            idr[k] = id[0];
            idi[k] = id[1];
        }
        double g[8] = {0};
        for (int k = 0; k < nk; k++) {
            const double *fr = Fr + (size_t)k * 8, *fi = Fi + (size_t)k * 8;
            for (int x = 0; x < 8; x++) g[x] += fr[x] * idr[k] - fi[x] * idi[k];
        }
        memcpy(gam + (size_t)n * 8, g, sizeof g);
    }
}

static void kernel_backward_job(void *arg, int tid, int nth) {
    kernel_job *j = arg;
    const s4_frozen *fz = &j->fz;
    const int H = fz->H, N2 = fz->N2, L = fz->L, nk = L / 2 + 1;
    s4_thread_ws *w = &j->e->ws[tid];
    const double *ck = j->e->cosk, *sk = j->e->sink;
    double *lr = w->modes, *li = lr + N2, *coef = li + N2; /* coef (N2, 8): BQ, PQ */
    double *gam = coef + (size_t)N2 * 8;                   /* (N2, 8) */
    double *acc = gam + (size_t)N2 * 8;                    /* (nk, 8) */
    double complex *rho = (double complex *)(acc + (size_t)nk * 8), *pre = rho + nk;
    double *Fr = (double *)(pre + nk), *Fi = Fr + (size_t)nk * 8; /* (nk, 8) each */
    double *tmp = Fi + (size_t)nk * 8;                            /* 2 max(N2, nk) */
    double complex *spec = (double complex *)w->kspec;
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        const double dt = exp((double)fz->log_dt[h]);
        channel_modes(fz, h, dt, lr, li);
        for (int n = 0; n < N2; n++) {
            size_t o = ((size_t)h * N2 + n) * 2;
            double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), q = ld_c(fz->Q + o);
            cauchy_coeffs(b * q, lr[n], li[n], coef + (size_t)n * 8);
            cauchy_coeffs(p * q, lr[n], li[n], coef + (size_t)n * 8 + 4);
        }
        cauchy_accumulate_woodbury(ck, sk, nk, lr, li, N2, coef, acc, tmp);
        woodbury_factors(ck, sk, nk, dt, acc, 8, rho, pre);
        /* G_k = wt_k rfft(dK)_k; khat is a sum of four real-linear forms of C
         * per mode, Re(C b), Re(C b conj(lam)), Re(C p), Re(C p conj(lam)), with
         * per-k factors (times 1/den) F1 = pre 4is, F2 = pre (-2c), F3 = -rho F1,
         * F4 = -rho F2; l = sum_k Re(conj(G_k) khat_k). */
        for (int c = 0; c < 2; c++) {
            const real_t *dKc = j->dK + ((size_t)c * H + h) * L;
            double complex *g = spec + (size_t)c * spec_stride(L);
            if (L == 1) {
                g[0] = (double)dKc[0];
            } else {
                for (int l = 0; l < L; l++) w->kre[l] = (double)dKc[l];
                fftw_execute_dft_r2c(j->e->k_r2c, w->kre, (fftw_complex *)g);
            }
            for (int k = 0; k < nk; k++) {
                int edge = (k == 0) || (2 * k == L);
                double complex E = conj(g[k]) * ((edge ? 1.0 : 2.0) / (double)L) * pre[k];
                double complex f[4];
                f[0] = E * (4.0 * I * sk[k]);
                f[1] = E * (-2.0 * ck[k]);
                f[2] = -rho[k] * f[0];
                f[3] = -rho[k] * f[1];
                for (int x = 0; x < 4; x++) {
                    Fr[(size_t)k * 8 + 4 * c + x] = creal(f[x]);
                    Fi[(size_t)k * 8 + 4 * c + x] = cimag(f[x]);
                }
            }
        }
        adjoint_accumulate(ck, sk, nk, lr, li, N2, Fr, Fi, gam, tmp);
        /* d Re(C x)/d(Re C, Im C) = conj(x): dC_n = conj(b)(g1 + lam g2) + conj(p)(g3 + lam g4) */
        for (int c = 0; c < 2; c++) {
            real_t *dCc = j->dC + ((size_t)c * H + h) * N2 * 2;
            for (int n = 0; n < N2; n++) {
                size_t o = ((size_t)h * N2 + n) * 2;
                const double *gn = gam + (size_t)n * 8 + 4 * c;
                double complex b = ld_c(fz->B + o), p = ld_c(fz->P + o), lam = lr[n] + I * li[n];
                double complex d = conj(b) * (gn[0] + lam * gn[1]) + conj(p) * (gn[2] + lam * gn[3]);
                dCc[2 * n] += (real_t)creal(d);
                dCc[2 * n + 1] += (real_t)cimag(d);
            }
        }
    }
}

static void kernel_run(backend *be, s4_frozen fz, const real_t *C, real_t *K, const real_t *dK, real_t *dC) {
    if (fz.H < 1 || fz.L < 1 || fz.N2 < 1) return;
    pthread_mutex_lock(&s4_mutex);
    int nth = threads_of(be, fz.H);
    s4_entry *e = entry_get(fz.L, nth, be);
    for (int t = 0; t < nth; t++) modes_reserve(&e->ws[t], kernel_scratch_doubles(fz.N2, fz.L));
    kernel_job j = {.fz = fz, .C = C, .K = K, .dK = dK, .dC = dC, .e = e};
    pool_run(K ? kernel_forward_job : kernel_backward_job, &j, nth);
    pthread_mutex_unlock(&s4_mutex);
}

void cpu_s4_kernel_forward(backend *be, s4_frozen fz, const real_t *C, real_t *K) {
    kernel_run(be, fz, C, K, NULL, NULL);
}

void cpu_s4_kernel_backward(backend *be, s4_frozen fz, const real_t *dK, real_t *dC) {
    kernel_run(be, fz, NULL, NULL, dK, dC);
}

/* ---------------------------------------------------------------------------
 * Bidirectional convolution */

typedef struct conv_job {
    const real_t *u, *K, *D, *dy;
    real_t *y, *du, *dK, *dD;
    int B, H, L;
    s4_entry *e;
} conv_job;

/* Spectrum products over n complex numbers stored as interleaved (re, im)
 * reals, written out so they vectorise: C99 complex multiplication checks
 * every product for NaN and calls a library routine, which kept these loops
 * scalar. Without NaNs the numbers are the same. No AVX-512 clone here: gcc 12
 * turns this pattern into fused multiply-adds (vfmaddsub) even with
 * -ffp-contract=off, which would change the last bits on AVX-512 machines. */
static void spec_mul(real_t *restrict a, const real_t *restrict b, int n) { /* a *= b */
    for (int k = 0; k < n; k++) {
        real_t ar = a[2 * k], ai = a[2 * k + 1], br = b[2 * k], bi = b[2 * k + 1];
        a[2 * k] = ar * br - ai * bi;
        a[2 * k + 1] = ar * bi + ai * br;
    }
}

/* acc += d conj(u); d *= kc (the backward pass's two products of one frequency) */
static void spec_corr_mul(real_t *restrict acc, real_t *restrict d, const real_t *restrict u,
                          const real_t *restrict kc, int n) {
    for (int k = 0; k < n; k++) {
        real_t dr = d[2 * k], di = d[2 * k + 1], ur = u[2 * k], ui = u[2 * k + 1];
        real_t kr = kc[2 * k], ki = kc[2 * k + 1];
        acc[2 * k] += dr * ur + di * ui;
        acc[2 * k + 1] += di * ur - dr * ui;
        d[2 * k] = dr * kr - di * ki;
        d[2 * k + 1] = dr * ki + di * kr;
    }
}

/* Full circular kernel of length 2L for channel h into buf. */
static void full_kernel(const real_t *K, int H, int L, int h, real_t *buf) {
    const real_t *k0 = K + (size_t)h * L, *k1 = K + ((size_t)H + h) * L;
    for (int s = 0; s < L; s++) buf[s] = k0[s];
    buf[L] = 0;
    for (int m = 1; m < L; m++) buf[2 * L - m] = k1[m - 1];
}

/* Transposed Toeplitz matrix of channel h: y[b, :] = u[b, :] M, i.e.
 * M[s, t] = K0[t - s] for s <= t (plus D on the diagonal), K1[s - t - 1] for s > t. */
static void toeplitz_matrix(const real_t *K, const real_t *D, int H, int L, int h, real_t *M) {
    const real_t *k0 = K + (size_t)h * L, *k1 = K + ((size_t)H + h) * L;
    for (int s = 0; s < L; s++) {
        real_t *row = M + (size_t)s * L;
        for (int t = 0; t < s; t++) row[t] = k1[s - t - 1];
        for (int t = s; t < L; t++) row[t] = k0[t - s];
        row[s] += D[h];
    }
}

/* Into w->spec_k: the spectrum of channel h's full circular kernel, scaled
 * by 1/(2L) for the unnormalised inverse FFT; conjugated for the
 * correlations of the backward pass. */
static void kernel_spectrum(const conv_job *j, s4_thread_ws *w, int h, int conjugate) {
    const int L = j->L;
    const real_t scale = (real_t)(1.0 / (2.0 * L));
    full_kernel(j->K, j->H, L, h, w->rbuf);
    RFFTW(execute_dft_r2c)(j->e->c_r2c, w->rbuf, w->spec_k);
    for (int k = 0; k <= L; k++) w->spec_k[k] = (conjugate ? RCONJ(w->spec_k[k]) : w->spec_k[k]) * scale;
}

/* The spectrum of L samples x zero-padded to 2L (a linear, not circular,
 * convolution), through w->rbuf. */
static void padded_spectrum(const conv_job *j, s4_thread_ws *w, const real_t *x, rcomplex *out) {
    memcpy(w->rbuf, x, (size_t)j->L * sizeof(real_t));
    memset(w->rbuf + j->L, 0, (size_t)j->L * sizeof(real_t));
    RFFTW(execute_dft_r2c)(j->e->c_r2c, w->rbuf, out);
}

static void conv_forward_fft_job(void *arg, int tid, int nth) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        kernel_spectrum(j, w, h, 0);
        const real_t d = j->D[h];
        for (int b = 0; b < B; b++) {
            const real_t *ub = j->u + ((size_t)b * H + h) * L;
            real_t *yb = j->y + ((size_t)b * H + h) * L;
            padded_spectrum(j, w, ub, w->spec_a);
            spec_mul((real_t *)w->spec_a, (const real_t *)w->spec_k, L + 1);
            RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_a, w->rbuf);
            for (int t = 0; t < L; t++) yb[t] = w->rbuf[t] + d * ub[t];
        }
    }
}

static void conv_backward_fft_job(void *arg, int tid, int nth) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    const real_t scale = (real_t)(1.0 / (2.0 * L));
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        kernel_spectrum(j, w, h, 1);
        for (int k = 0; k <= L; k++) w->spec_acc[k] = 0;
        const real_t d = j->D[h];
        double dd = 0.0;
        for (int b = 0; b < B; b++) {
            const real_t *ub = j->u + ((size_t)b * H + h) * L;
            const real_t *dyb = j->dy + ((size_t)b * H + h) * L;
            real_t *dub = j->du + ((size_t)b * H + h) * L;
            padded_spectrum(j, w, ub, w->spec_a);
            padded_spectrum(j, w, dyb, w->spec_b);
            /* dK_full = corr(dy, u): sum_b DY conj(U); du = corr(dy, k): DY conj(Kf) */
            spec_corr_mul((real_t *)w->spec_acc, (real_t *)w->spec_b, (const real_t *)w->spec_a,
                          (const real_t *)w->spec_k, L + 1);
            RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_b, w->rbuf);
            for (int t = 0; t < L; t++) {
                dub[t] = w->rbuf[t] + d * dyb[t];
                dd += (double)dyb[t] * (double)ub[t];
            }
        }
        RFFTW(execute_dft_c2r)(j->e->c_c2r, w->spec_acc, w->rbuf);
        real_t *dk0 = j->dK + (size_t)h * L, *dk1 = j->dK + ((size_t)H + h) * L;
        for (int s = 0; s < L; s++) dk0[s] += w->rbuf[s] * scale;
        for (int m = 1; m < L; m++) dk1[m - 1] += w->rbuf[2 * L - m] * scale;
        j->dD[h] += (real_t)dd;
    }
}

static void conv_forward_direct_job(void *arg, int tid, int nth) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        toeplitz_matrix(j->K, j->D, H, L, h, w->mat);
        cblas_rgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L, L, 1, j->u + (size_t)h * L, H * L, w->mat, L,
                    0, j->y + (size_t)h * L, H * L);
    }
}

static void conv_backward_direct_job(void *arg, int tid, int nth) {
    conv_job *j = arg;
    const int B = j->B, H = j->H, L = j->L;
    s4_thread_ws *w = &j->e->ws[tid];
    int h0, h1;
    split_range(H, tid, nth, &h0, &h1);
    for (int h = h0; h < h1; h++) {
        const real_t *uh = j->u + (size_t)h * L, *dyh = j->dy + (size_t)h * L;
        toeplitz_matrix(j->K, j->D, H, L, h, w->mat);
        /* du = dy M^T */
        cblas_rgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L, L, 1, dyh, H * L, w->mat, L, 0,
                    j->du + (size_t)h * L, H * L);
        /* G = u^T dy: G[s, t] = sum_b u[b, s] dy[b, t] = dl/dM[s, t] */
        cblas_rgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L, L, B, 1, uh, H * L, dyh, H * L, 0, w->gmat, L);
        real_t *dk0 = j->dK + (size_t)h * L, *dk1 = j->dK + ((size_t)H + h) * L;
        const real_t *G = w->gmat;
        double dd = 0.0;
        for (int s = 0; s < L; s++) dd += G[(size_t)s * L + s];
        for (int q = 0; q < L; q++) { /* K0[q] sits at (s, s + q) */
            double a = 0.0;
            for (int s = 0; s + q < L; s++) a += G[(size_t)s * L + s + q];
            dk0[q] += (real_t)a;
        }
        for (int q = 0; q + 1 < L; q++) { /* K1[q] sits at (t + q + 1, t) */
            double a = 0.0;
            for (int t = 0; t + q + 1 < L; t++) a += G[(size_t)(t + q + 1) * L + t];
            dk1[q] += (real_t)a;
        }
        j->dD[h] += (real_t)dd;
    }
}

static void conv_run(backend *be, conv_job *j, int backward) {
    if (j->B < 1 || j->H < 1 || j->L < 1) return;
    pthread_mutex_lock(&s4_mutex);
    int nth = threads_of(be, j->H);
    j->e = entry_get(j->L, nth, be);
    int direct = g_route == S4_CONV_ROUTE_AUTO
                     ? j->L <= S4_CONV_DIRECT_MAX_L && (long long)j->B * j->L * j->L <= S4_CONV_DIRECT_MAX_MNK
                     : g_route == S4_CONV_ROUTE_DIRECT;
    if (direct && !j->e->ws[0].mat)
        for (int t = 0; t < nth; t++) {
            j->e->ws[t].mat = xmalloc((size_t)j->L * j->L * sizeof(real_t));
            j->e->ws[t].gmat = xmalloc((size_t)j->L * j->L * sizeof(real_t));
        }
    s4_job_fn fn;
    if (direct) fn = backward ? conv_backward_direct_job : conv_forward_direct_job;
    else fn = backward ? conv_backward_fft_job : conv_forward_fft_job;
    pool_run(fn, j, nth);
    pthread_mutex_unlock(&s4_mutex);
}

void cpu_s4_conv_forward(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B, int H,
                         int L) {
    conv_job j = {.u = u, .K = K, .D = D, .y = y, .B = B, .H = H, .L = L};
    conv_run(be, &j, 0);
}

void cpu_s4_conv_backward(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy,
                          real_t *du, real_t *dK, real_t *dD, int B, int H, int L) {
    conv_job j = {.u = u, .K = K, .D = D, .dy = dy, .du = du, .dK = dK, .dD = dD, .B = B, .H = H, .L = L};
    conv_run(be, &j, 1);
}
