/* CPU implementations of the S4 operations of the backend table
 * (kernels/backend.h): SSM kernel generation from C (cpu_s4_kernel.c) and the
 * bidirectional long convolution (cpu_s4_conv.c), forward and backward. They
 * take a CPU backend (backend_cpu_create): its thread pool and its own cache
 * of FFT plans (cpu_s4_state.c). */
#ifndef SSSD_KERNELS_CPU_S4_H
#define SSSD_KERNELS_CPU_S4_H

#include "backend.h"

void cpu_s4_kernel_forward(backend *be, s4_frozen fz, const real_t *C, real_t *K);
void cpu_s4_kernel_backward(backend *be, s4_frozen fz, const real_t *dK, real_t *dC);
void cpu_s4_conv_forward(backend *be, const real_t *u, const real_t *K, const real_t *D, real_t *y, int B, int H,
                         int L);
void cpu_s4_conv_backward(backend *be, const real_t *u, const real_t *K, const real_t *D, const real_t *dy,
                          real_t *du, real_t *dK, real_t *dD, int B, int H, int L);

/* Release this backend's cached FFT plans and workspaces (called by the
 * backend's free; later S4 calls on it rebuild them). */
void cpu_s4_release(backend *be);

#endif
