/* Private to the CPU S4 implementation (cpu_s4_kernel.c, cpu_s4_conv.c): the
 * per-backend cache of FFT plans and per-thread workspaces, one entry per
 * sequence length L, and the helpers both halves share.
 *
 * Each backend owns its cache (cpu_ctx.s4), so two backends never share a
 * workspace and freeing one leaves the other's plans alone. A backend serves
 * one calling thread at a time (cpu_internal.h), so its cache needs no lock;
 * FFTW's planner is process-wide and not thread-safe, so creating and
 * destroying plans (and only that) holds one process-wide mutex. Executing a
 * plan on other arrays (FFTW's new-array execute functions) is thread-safe. */
#ifndef SSSD_KERNELS_CPU_S4_STATE_H
#define SSSD_KERNELS_CPU_S4_STATE_H

/* complex.h first: FFTW's complex types are then C99 complex numbers, which
 * the convolution multiplies and conjugates directly. */
#include <complex.h>
#include <fftw3.h>
#include <stddef.h>

#include "cpu_internal.h"

/* FFTW and BLAS of the element type. */
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

/* Distance between the two directions' spectra in kspec: L/2+1 rounded up
 * to 4 complex numbers (64 bytes), so both start with the alignment of the
 * planning array, as FFTW's new-array execute functions require. */
static inline size_t s4_spec_stride(int L) { return ((size_t)L / 2 + 1 + 3) & ~(size_t)3; }

/* Channels the FFT convolution handles together: their kernel spectra stay
 * in cache while it walks the batch, reading each batch element's rows of
 * the block as one contiguous stretch of memory (16 rows of L = 200 floats:
 * 12.8 kB) instead of one row H L floats away from the last. */
#define S4_CONV_BLOCK 16

/* Distance between two channels' spectra (NC/2+1 complex numbers) of a
 * block, rounded up to 64 bytes so that each starts with the alignment of
 * the planning array. */
static inline size_t s4_conv_spec_stride(int NC) {
    const size_t per64 = 64 / sizeof(rcomplex);
    return ((size_t)NC / 2 + 1 + per64 - 1) / per64 * per64;
}

/* Scratch of one pool thread for one L. */
typedef struct s4_thread_ws {
    /* kernel generation (double) */
    double *kre;             /* (L) irfft output / rfft input */
    fftw_complex *kspec;     /* (2, s4_spec_stride(L)) */
    double *modes;           /* (modes_cap) kernel-generation scratch */
    size_t modes_cap;
    /* convolution */
    real_t *rbuf;            /* (NC) */
    real_t *rin;             /* (NC): an input row in [0, L), zeros after (never written there) */
    rcomplex *spec_a, *spec_b; /* (NC/2+1) each */
    rcomplex *spec_k, *spec_acc; /* (S4_CONV_BLOCK, s4_conv_spec_stride(NC)) each: a block's channels */
    real_t *mat, *gmat;      /* (L, L) each, direct route only (allocated on its first use) */
} s4_thread_ws;

/* Plans and workspaces of one length L, for every thread of the backend's pool. */
typedef struct s4_entry {
    int L, nth;
    int NC;                              /* convolution FFT length (s4_conv_length) */
    struct s4_entry *next;
    /* trig table for kernel generation: c_k, s_k, k = 0..L/2 */
    double *cosk, *sink;
    fftw_plan k_c2r, k_r2c;              /* double, length L */
    RFFTW(plan) c_r2c, c_c2r;            /* real_t, length NC */
    s4_thread_ws *ws;                    /* (nth), indexed by the pool's tid */
} s4_entry;

/* The FFT length of the convolution of length L: the power of two at or
 * above 2L - 1 (at least 2). Any length >= 2L - 1 gives the linear
 * convolution exactly, without wrap-around; FFTW's real transforms of a power
 * of two are markedly faster than those of 2L itself when L has odd factors
 * (L = 200: 512 points take 25% less time than 400). A function of L alone,
 * so results never depend on the machine. */
int s4_conv_length(int L);

/* The backend's entry for length L, built on first use (no allocation in
 * later calls). Exits with a message when out of memory. */
s4_entry *cpu_s4_entry(backend *be, int L);

/* FFTW-aligned allocation that exits with a message when out of memory. */
void *cpu_s4_alloc(size_t bytes);

#endif
