/* Flushing denormal floats to zero while the CPU backend computes.
 *
 * Why: on Intel cores an arithmetic instruction that meets a denormal input
 * or produces a denormal result takes a microcode assist of about a hundred
 * cycles. GELU's output underflows into denormals for strongly negative
 * inputs, and every GEMM that reads it (the S4 layers' output linear, forward
 * and weight gradient) then ran at a quarter of its speed: on a Sapphire
 * Rapids Xeon the training step spent 690 ms of its 1,300 in GEMM, 350 ms
 * with denormals flushed. Values below FLT_MIN (1.2e-38) are far under
 * anything the network or its gradients resolve, so flushing them changes no
 * figure; GPUs do it at full speed either way.
 *
 * The mode is set on the backend's worker threads for their life and on the
 * calling thread only for the duration of one parallel job, so code outside
 * the backend (the n-gram prior, evaluation, the double-precision reference
 * paths in tests) keeps IEEE gradual underflow. */
#ifndef SSSD_KERNELS_CPU_DENORMALS_H
#define SSSD_KERNELS_CPU_DENORMALS_H

#if defined(__SSE2__)
#include <xmmintrin.h>

/* MXCSR: flush-to-zero (bit 15) for results, denormals-are-zero (bit 6) for inputs. */
#define CPU_MXCSR_FTZ_DAZ 0x8040u

typedef unsigned int cpu_fp_mode;

static inline cpu_fp_mode cpu_flush_denormals_begin(void) {
    cpu_fp_mode saved = _mm_getcsr();
    if ((saved & CPU_MXCSR_FTZ_DAZ) != CPU_MXCSR_FTZ_DAZ) _mm_setcsr(saved | CPU_MXCSR_FTZ_DAZ);
    return saved;
}

static inline void cpu_flush_denormals_end(cpu_fp_mode saved) {
    if ((saved & CPU_MXCSR_FTZ_DAZ) != CPU_MXCSR_FTZ_DAZ) _mm_setcsr(saved);
}

#elif defined(__aarch64__)
/* FPCR.FZ (bit 24) flushes both inputs and results on AArch64. */
typedef unsigned long cpu_fp_mode;

static inline cpu_fp_mode cpu_flush_denormals_begin(void) {
    cpu_fp_mode saved;
    __asm__ volatile("mrs %0, fpcr" : "=r"(saved));
    if (!(saved & (1ul << 24))) __asm__ volatile("msr fpcr, %0" : : "r"(saved | (1ul << 24)));
    return saved;
}

static inline void cpu_flush_denormals_end(cpu_fp_mode saved) {
    if (!(saved & (1ul << 24))) __asm__ volatile("msr fpcr, %0" : : "r"(saved));
}

#else
/* Elsewhere denormals keep the platform's default handling. */
typedef int cpu_fp_mode;
static inline cpu_fp_mode cpu_flush_denormals_begin(void) { return 0; }
static inline void cpu_flush_denormals_end(cpu_fp_mode saved) { (void)saved; }
#endif

#endif
