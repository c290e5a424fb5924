/* The CUDA backend's kernels and launch code run under the host emulation
 * (cuda_emu.h): a backend table like backend_cuda_create's, with "device"
 * memory in host RAM. For tests on machines without a GPU; slow by design. */
#ifndef SSSD_KERNELS_EMU_BACKEND_EMU_H
#define SSSD_KERNELS_EMU_BACKEND_EMU_H

#ifdef __cplusplus
extern "C" {
#endif

#include "backend.h"

/* Never NULL. Name "cuda-emu". Destroy with backend_free or ops->destroy. */
backend *backend_cuda_emu_create(void);

/* Kernel launches run so far in this process (to show work ran emulated). */
unsigned long long backend_cuda_emu_launches(void);

#ifdef __cplusplus
}
#endif

#endif
