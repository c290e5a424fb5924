/* The DDPM around the network (../shared/docs/SSSD-S4.md §4): noise schedule,
 * masked training loss and gradients, and the DDPM and DDIM samplers, on any
 * backend. Noise comes from the counter-based RNG, so runs are reproducible
 * and identical across backends for the same seed. */
#ifndef SSSD_MODEL_DIFFUSION_H
#define SSSD_MODEL_DIFFUSION_H

#include "sssd.h"

typedef struct diffusion_schedule {
    int T;
    double *beta, *alpha, *abar, *sigma;  /* host, (T) each; sigma_t = sqrt(beta_tilde_t) */
} diffusion_schedule;

void diffusion_schedule_init(diffusion_schedule *s, int T, double beta_0, double beta_T);
void diffusion_schedule_free(diffusion_schedule *s);

#endif
