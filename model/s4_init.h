/* Initialisation of one S4 layer as SSSD does it: HiPPO-LegS in diagonal plus
 * low-rank form (eigen-decomposition of A + P P^T by LAPACK, one of each
 * conjugate pair kept), log dt uniform in [ln dt_min, ln dt_max], C complex
 * normal then length-corrected C <- C (I - dA^L) with dA from the bilinear
 * discretisation. All computed in double, stored in the checkpoint layouts
 * (complex as interleaved re, im). */
#ifndef SSSD_MODEL_S4_INIT_H
#define SSSD_MODEL_S4_INIT_H

#include <stdint.h>

/* Outputs (host memory, double):
 *   log_dt (H), w (H, N2, 2), B (1, H, N2, 2), P (1, H, N2, 2), Q (1, H, N2, 2),
 *   C (channels=2, H, N2, 2) (already length-corrected for length L).
 * N2 = N/2. Random draws use the counter-based RNG (common/philox.h) under
 * (seed, stream), so initialisation is reproducible. Returns 0, or -1 when
 * LAPACK fails. */
int s4_init_layer(int H, int N, int L, double dt_min, double dt_max, uint64_t seed, uint64_t stream,
                  double *log_dt, double *w, double *B, double *P, double *Q, double *C);

/* The HiPPO-LegS diagonal-plus-low-rank factors alone (shared by all
 * channels): w (N2, 2), P (N2, 2), B (N2, 2). */
int s4_hippo_legs_dplr(int N, double *w, double *P, double *B);

/* Length correction for a given C (in place): C <- C (I - dA^L), where dA is
 * the bilinear discretisation of diag(w) - P Q^* at step exp(log_dt), over
 * the full conjugate-extended state. Used at init and by tests. */
void s4_length_correct(int H, int N2, int L, const double *log_dt, const double *w, const double *B,
                       const double *P, const double *Q, double *C);

#endif
