/* Private controls of the CPU S4 implementation (kernels/cpu/cpu_s4_*.c), for
 * tests and benchmarks only: force the convolution route so both can be
 * checked against each other and timed. */
#ifndef SSSD_KERNELS_CPU_S4_INTERNAL_H
#define SSSD_KERNELS_CPU_S4_INTERNAL_H

#include "backend.h"

enum { S4_CONV_ROUTE_AUTO = 0, S4_CONV_ROUTE_FFT = 1, S4_CONV_ROUTE_DIRECT = 2 };

/* Route for subsequent cpu_s4_conv_* calls on this CPU backend. */
void cpu_s4_set_conv_route(backend *be, int route);

#endif
