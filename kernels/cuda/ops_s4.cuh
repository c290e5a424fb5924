/* S4 kernels: generation of the bidirectional SSM convolution kernel K from
 * the trainable C (Cauchy sums with the conjugate term, Woodbury rank-1
 * correction, bilinear factor, inverse real DFT of any length L) and its
 * adjoint dC; the bidirectional long convolution (a tiled direct Toeplitz
 * product) forward and backward with the D skip.
 *
 * Kernel generation, per output channel ch, channel h, frequency k = 0..L/2
 * (coordinates as kernels/cpu/cpu_s4_kernel.c): with c = cos(pi k/L), s = sin(pi k/L),
 * lam_n = w_n dt, d_n = 2is - c lam_n, e_n = 2is - c conj(lam_n),
 *   S_xy = dt sum_n [ v_n / d_n + conj(v_n) / e_n ],  v = [B; P] (x) [C; Q],
 *   rho  = c S01 / (1 + c S11),
 *   khat = (c + i s) (S00 - rho S10).
 * This equals (r00 - r01 r10/(1 + r11)) 2/(1 + omega) with r = c S and
 * z = 2is/c (omega = exp(-2 pi i k/L)), but never divides by 1 + omega: at
 * the Nyquist frequency of even L, c = 0 exactly and khat = dt Re sum B_n C_n,
 * the exact limit. K = irfft(khat, n = L) as a direct DFT whose twiddle
 * angles are reduced exactly (k t mod L in integers) before sincospi.
 *
 * Adjoint: khat = sum_n a_n C_n + b_n conj(C_n), a_n = (c+is) dt (B_n - rho P_n)/d_n,
 * b_n = (c+is) dt (conj B_n - rho conj P_n)/e_n; with G_k = wt_k sum_t dK[t]
 * exp(-2 pi i k t / L) (wt = 1/L at k = 0 and Nyquist, else 2/L),
 * dC_n += sum_k conj(a_nk) G_k + b_nk conj(G_k).
 *
 * Convolution: y[t] = sum_s W(t - s) u[s] + D u[t], W(d) = K0[d] for d >= 0,
 * K1[-d-1] for d < 0. Direct rather than FFT: at SSSD's L = 200 a direct
 * product is 200 fused multiply-adds per output from shared memory, with no
 * transposes or 2L-padded buffers, and it is deterministic; cuFFT would need
 * three batched transforms of length 400 per call. Neither has been timed on
 * a GPU for this project; bench/kernels/bench_cuda is the place to do it. */
#ifndef SSSD_KERNELS_CUDA_OPS_S4_CUH
#define SSSD_KERNELS_CUDA_OPS_S4_CUH

#include "cuda_compat.cuh"

struct cfloat2 {
    float re, im;
};
__device__ __forceinline__ cfloat2 cmake(float re, float im) {
    cfloat2 r;
    r.re = re;
    r.im = im;
    return r;
}
__device__ __forceinline__ cfloat2 cadd(cfloat2 a, cfloat2 b) { return cmake(a.re + b.re, a.im + b.im); }
__device__ __forceinline__ cfloat2 csub(cfloat2 a, cfloat2 b) { return cmake(a.re - b.re, a.im - b.im); }
__device__ __forceinline__ cfloat2 cmul(cfloat2 a, cfloat2 b) {
    return cmake(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}
__device__ __forceinline__ cfloat2 cconj(cfloat2 a) { return cmake(a.re, -a.im); }
__device__ __forceinline__ cfloat2 cscale(cfloat2 a, float s) { return cmake(a.re * s, a.im * s); }
/* a / b, scaled so that |b|^2 cannot overflow or underflow for the sizes met here. */
__device__ __forceinline__ cfloat2 cdiv(cfloat2 a, cfloat2 b) {
    float inv = 1.0f / (b.re * b.re + b.im * b.im);
    return cmake((a.re * b.re + a.im * b.im) * inv, (a.im * b.re - a.re * b.im) * inv);
}
__device__ __forceinline__ cfloat2 cload(const float *p) { return cmake(p[0], p[1]); }

/* Frozen parameters travel by value, as pointers into device memory. */
struct s4_frozen_dev {
    int H, N2, L;
    const float *log_dt, *w, *B, *P, *Q;
};

/* cos and sin of pi k / L; at Nyquist (2k = L) exactly (0, 1). */
__device__ __forceinline__ void s4_half_angle(int k, int L, float *c, float *s) {
    if (2 * k == L) {
        *c = 0.0f;
        *s = 1.0f;
    } else {
        sincospif((float)k / (float)L, s, c);
    }
}

/* The Cauchy denominators of one mode at half-angle (c, s): d for the
 * eigenvalue lam (already scaled by dt), e for its conjugate. */
__device__ __forceinline__ void s4_cauchy_denominators(cfloat2 lam, float c, float s, cfloat2 *d, cfloat2 *e) {
    *d = cmake(-c * lam.re, 2.0f * s - c * lam.im);
    *e = cmake(-c * lam.re, 2.0f * s + c * lam.im);
}

/* One mode's term v / d + conj(v) / e of the Cauchy sums. */
__device__ __forceinline__ cfloat2 s4_cauchy_term(cfloat2 v, cfloat2 d, cfloat2 e) {
    return cadd(cdiv(v, d), cdiv(cconj(v), e));
}

/* rho_k of channel h (independent of C). */
__device__ __forceinline__ cfloat2 s4_rho(const s4_frozen_dev &fz, int h, float c, float s, float dt) {
    cfloat2 s01 = cmake(0.0f, 0.0f), s11 = cmake(0.0f, 0.0f);
    for (int n = 0; n < fz.N2; n++) {
        long long o = ((long long)h * fz.N2 + n) * 2;
        cfloat2 lam = cscale(cload(fz.w + o), dt);
        cfloat2 d, e;
        s4_cauchy_denominators(lam, c, s, &d, &e);
        cfloat2 Bn = cload(fz.B + o), Pn = cload(fz.P + o), Qn = cload(fz.Q + o);
        cfloat2 v01 = cmul(Bn, Qn), v11 = cmul(Pn, Qn);
        s01 = cadd(s01, s4_cauchy_term(v01, d, e));
        s11 = cadd(s11, s4_cauchy_term(v11, d, e));
    }
    s01 = cscale(s01, dt);
    s11 = cscale(s11, dt);
    cfloat2 den = cadd(cmake(1.0f, 0.0f), cscale(s11, c));
    return cdiv(cscale(s01, c), den);
}

/* khat (2, H, nfreq, 2): one thread per (h, k), both output channels. */
__global__ void k_s4_spectrum(s4_frozen_dev fz, const float *__restrict__ C, float *__restrict__ khat, int nfreq) {
    long long n_items = (long long)fz.H * nfreq;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n_items;
         i += (long long)blockDim.x * gridDim.x) {
        int h = (int)(i / nfreq), k = (int)(i % nfreq);
        float c, s;
        s4_half_angle(k, fz.L, &c, &s);
        float dt = expf(fz.log_dt[h]);
        cfloat2 rho = s4_rho(fz, h, c, s, dt);
        for (int ch = 0; ch < 2; ch++) {
            cfloat2 s00 = cmake(0.0f, 0.0f), s10 = cmake(0.0f, 0.0f);
            for (int n = 0; n < fz.N2; n++) {
                long long o = ((long long)h * fz.N2 + n) * 2;
                cfloat2 lam = cscale(cload(fz.w + o), dt);
                cfloat2 d, e;
                s4_cauchy_denominators(lam, c, s, &d, &e);
                cfloat2 Cn = cload(C + ((long long)ch * fz.H * fz.N2) * 2 + o);
                cfloat2 v00 = cmul(cload(fz.B + o), Cn), v10 = cmul(cload(fz.P + o), Cn);
                s00 = cadd(s00, s4_cauchy_term(v00, d, e));
                s10 = cadd(s10, s4_cauchy_term(v10, d, e));
            }
            cfloat2 kf = cmul(cmake(c, s), cscale(csub(s00, cmul(rho, s10)), dt));
            float *out = khat + (((long long)ch * fz.H + h) * nfreq + k) * 2;
            out[0] = kf.re;
            out[1] = kf.im;
        }
    }
}

/* K[row, t] = (1/L) sum_k wt_k Re(khat[row, k] exp(2 pi i k t / L)); one
 * thread per output; rows = 2H. The imaginary parts at k = 0 and Nyquist
 * are dropped, as irfft does. */
__global__ void k_s4_irfft(const float *__restrict__ khat, float *__restrict__ K, int rows, int L, int nfreq) {
    long long n_items = (long long)rows * L;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n_items;
         i += (long long)blockDim.x * gridDim.x) {
        long long row = i / L;
        int t = (int)(i % L);
        const float *X = khat + row * nfreq * 2;
        float acc = X[0];
        for (int k = 1; k < nfreq; k++) {
            int m = (int)(((long long)k * t) % L);
            float sn, cs;
            sincospif(2.0f * (float)m / (float)L, &sn, &cs);
            float term = X[2 * k] * cs - X[2 * k + 1] * sn;
            acc += (2 * k == L) ? term : 2.0f * term;
        }
        K[i] = acc / (float)L;
    }
}

/* G[row, k] = wt_k sum_t dK[row, t] exp(-2 pi i k t / L); one thread per (row, k). */
__global__ void k_s4_rfft_weighted(const float *__restrict__ dK, float *__restrict__ G, int rows, int L, int nfreq) {
    long long n_items = (long long)rows * nfreq;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n_items;
         i += (long long)blockDim.x * gridDim.x) {
        long long row = i / nfreq;
        int k = (int)(i % nfreq);
        const float *x = dK + row * L;
        float re = 0.0f, im = 0.0f;
        for (int t = 0; t < L; t++) {
            int m = (int)(((long long)k * t) % L);
            float sn, cs;
            sincospif(2.0f * (float)m / (float)L, &sn, &cs);
            re += x[t] * cs;
            im -= x[t] * sn;
        }
        float wt = (k == 0 || 2 * k == L) ? 1.0f / (float)L : 2.0f / (float)L;
        G[i * 2] = re * wt;
        G[i * 2 + 1] = im * wt;
    }
}

/* rho (H, nfreq, 2) for the adjoint. */
__global__ void k_s4_rho(s4_frozen_dev fz, float *__restrict__ rho_out, int nfreq) {
    long long n_items = (long long)fz.H * nfreq;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n_items;
         i += (long long)blockDim.x * gridDim.x) {
        int h = (int)(i / nfreq), k = (int)(i % nfreq);
        float c, s;
        s4_half_angle(k, fz.L, &c, &s);
        cfloat2 rho = s4_rho(fz, h, c, s, expf(fz.log_dt[h]));
        rho_out[i * 2] = rho.re;
        rho_out[i * 2 + 1] = rho.im;
    }
}

/* dC[ch, h, n] += sum_k conj(a_nk) G[ch, h, k] + b_nk conj(G[ch, h, k]);
 * one thread per (h, n), both channels, k in a fixed order (deterministic). */
__global__ void k_s4_kernel_grad(s4_frozen_dev fz, const float *__restrict__ G, const float *__restrict__ rho,
                                 float *__restrict__ dC, int nfreq) {
    long long n_items = (long long)fz.H * fz.N2;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n_items;
         i += (long long)blockDim.x * gridDim.x) {
        int h = (int)(i / fz.N2);
        long long o = i * 2;
        float dt = expf(fz.log_dt[h]);
        cfloat2 lam = cscale(cload(fz.w + o), dt);
        cfloat2 Bn = cload(fz.B + o), Pn = cload(fz.P + o);
        cfloat2 acc0 = cmake(0.0f, 0.0f), acc1 = cmake(0.0f, 0.0f);
        for (int k = 0; k < nfreq; k++) {
            float c, s;
            s4_half_angle(k, fz.L, &c, &s);
            cfloat2 r = cload(rho + ((long long)h * nfreq + k) * 2);
            cfloat2 d, e;
            s4_cauchy_denominators(lam, c, s, &d, &e);
            cfloat2 phi = cscale(cmake(c, s), dt);
            cfloat2 a = cmul(phi, cdiv(csub(Bn, cmul(r, Pn)), d));
            cfloat2 b = cmul(phi, cdiv(csub(cconj(Bn), cmul(r, cconj(Pn))), e));
            cfloat2 g0 = cload(G + ((long long)h * nfreq + k) * 2);
            cfloat2 g1 = cload(G + (((long long)fz.H + h) * nfreq + k) * 2);
            acc0 = cadd(acc0, cadd(cmul(cconj(a), g0), cmul(b, cconj(g0))));
            acc1 = cadd(acc1, cadd(cmul(cconj(a), g1), cmul(b, cconj(g1))));
        }
        float *d0 = dC + o;
        float *d1 = dC + ((long long)fz.H * fz.N2) * 2 + o;
        d0[0] += acc0.re;
        d0[1] += acc0.im;
        d1[0] += acc1.re;
        d1[1] += acc1.im;
    }
}

/* ---- bidirectional long convolution ---- */

#define S4_CONV_TT 128   /* outputs per block (= threads) */
#define S4_CONV_TS 128   /* inputs per shared-memory tile */
#define S4_CONV_BT 4     /* batch items per block (reuse of the kernel tile) */

/* W(d) of the layer's Toeplitz operator; transpose gives W(-d) (the adjoint). */
__device__ __forceinline__ float s4_w(const float *K0, const float *K1, int L, int d, bool transpose) {
    if (transpose) d = -d;
    if (d >= L || d <= -L) return 0.0f;
    return d >= 0 ? K0[d] : K1[-d - 1];
}

/* out[b, h, t] = sum_s W(t - s) in[b, h, s] + D[h] in[b, h, t] (W transposed
 * for the input gradient). Grid (ceil(L/TT), H, ceil(B/BT)), block TT. */
__global__ void __launch_bounds__(S4_CONV_TT) k_s4_toeplitz(const float *__restrict__ in, const float *__restrict__ K,
                                                           const float *__restrict__ D, float *__restrict__ out, int B,
                                                           int H, int L, bool transpose) {
    __shared__ float s_in[S4_CONV_BT][S4_CONV_TS];
    __shared__ float s_w[S4_CONV_TT + S4_CONV_TS - 1];
    int h = (int)blockIdx.y, b0 = (int)blockIdx.z * S4_CONV_BT;
    int t0 = (int)blockIdx.x * S4_CONV_TT, tx = (int)threadIdx.x, t = t0 + tx;
    const float *K0 = K + (long long)h * L, *K1 = K + ((long long)H + h) * L;
    float acc[S4_CONV_BT];
    for (int bb = 0; bb < S4_CONV_BT; bb++) acc[bb] = 0.0f;
    for (int s0 = 0; s0 < L; s0 += S4_CONV_TS) {
        for (int q = tx; q < S4_CONV_BT * S4_CONV_TS; q += S4_CONV_TT) {
            int bb = q / S4_CONV_TS, j = q % S4_CONV_TS, b = b0 + bb, sidx = s0 + j;
            s_in[bb][j] = (b < B && sidx < L) ? in[((long long)b * H + h) * L + sidx] : 0.0f;
        }
        /* s_w[q] = W(d), d = t0 - s0 - (TS - 1) + q */
        for (int q = tx; q < S4_CONV_TT + S4_CONV_TS - 1; q += S4_CONV_TT)
            s_w[q] = s4_w(K0, K1, L, t0 - s0 - (S4_CONV_TS - 1) + q, transpose);
        __syncthreads();
        for (int j = 0; j < S4_CONV_TS; j++) {
            float w = s_w[tx - j + S4_CONV_TS - 1];
            for (int bb = 0; bb < S4_CONV_BT; bb++) acc[bb] += w * s_in[bb][j];
        }
        __syncthreads();
    }
    if (t < L) {
        float dh = D[h];
        for (int bb = 0; bb < S4_CONV_BT; bb++) {
            int b = b0 + bb;
            if (b < B) {
                long long idx = ((long long)b * H + h) * L + t;
                out[idx] = acc[bb] + dh * in[idx];
            }
        }
    }
}

#define S4_CORR_TD 128   /* lags per block (= threads) */
#define S4_CORR_TS 128   /* time steps per shared-memory tile */

/* corr(d) = sum_b sum_t dy[b, h, t] u[b, h, t - d] for d in (-L, L):
 * dK0[h, d] += corr(d) (d >= 0), dK1[h, -d-1] += corr(d) (d < 0), dD[h] += corr(0).
 * Grid (ceil((2L-1)/TD), H), block TD; each lag owned by one thread. */
__global__ void __launch_bounds__(S4_CORR_TD) k_s4_corr(const float *__restrict__ u, const float *__restrict__ dy,
                                                       float *__restrict__ dK, float *__restrict__ dD, int B, int H,
                                                       int L) {
    __shared__ float s_dy[S4_CORR_TS];
    __shared__ float s_u[S4_CORR_TS + S4_CORR_TD - 1];
    int h = (int)blockIdx.y, tx = (int)threadIdx.x;
    int dmin = (int)blockIdx.x * S4_CORR_TD - (L - 1);
    int d = dmin + tx;
    float acc = 0.0f;
    for (int b = 0; b < B; b++) {
        const float *ub = u + ((long long)b * H + h) * L, *gb = dy + ((long long)b * H + h) * L;
        for (int t0 = 0; t0 < L; t0 += S4_CORR_TS) {
            for (int q = tx; q < S4_CORR_TS; q += S4_CORR_TD) s_dy[q] = (t0 + q < L) ? gb[t0 + q] : 0.0f;
            /* s_u[q] = u[s], s = t0 - dmin - (TD - 1) + q */
            for (int q = tx; q < S4_CORR_TS + S4_CORR_TD - 1; q += S4_CORR_TD) {
                int sidx = t0 - dmin - (S4_CORR_TD - 1) + q;
                s_u[q] = (sidx >= 0 && sidx < L) ? ub[sidx] : 0.0f;
            }
            __syncthreads();
            for (int j = 0; j < S4_CORR_TS; j++) acc += s_dy[j] * s_u[j - tx + S4_CORR_TD - 1];
            __syncthreads();
        }
    }
    if (d > -L && d < L) {
        if (d >= 0) dK[(long long)h * L + d] += acc;
        else dK[((long long)H + h) * L + (-d - 1)] += acc;
        if (d == 0) dD[h] += acc;
    }
}

/* ---- launchers ---- */

static inline int s4_nfreq(int L) { return L / 2 + 1; }

/* Device scratch the kernel ops need (floats). */
static inline size_t s4_kernel_scratch_bytes(int H, int L) {
    size_t nf = (size_t)s4_nfreq(L);
    return (2 * (size_t)H * nf * 2 + (size_t)H * nf * 2) * sizeof(float);
}

static inline void launch_s4_kernel_forward(cudaStream_t s, s4_frozen_dev fz, const float *C, float *K, float *scratch) {
    int nf = s4_nfreq(fz.L);
    float *khat = scratch;  /* (2, H, nf, 2) */
    long long items = (long long)fz.H * nf;
    SSSD_LAUNCH(k_s4_spectrum, dim3(sssd_grid_for(items, 128)), dim3(128), 0, s, fz, C, khat, nf);
    long long outs = 2LL * fz.H * fz.L;
    SSSD_LAUNCH(k_s4_irfft, dim3(sssd_grid_for(outs, 128)), dim3(128), 0, s, (const float *)khat, K, 2 * fz.H, fz.L,
                nf);
}

static inline void launch_s4_kernel_backward(cudaStream_t s, s4_frozen_dev fz, const float *dK, float *dC,
                                             float *scratch) {
    int nf = s4_nfreq(fz.L);
    float *G = scratch;                              /* (2, H, nf, 2) */
    float *rho = scratch + 2 * (size_t)fz.H * nf * 2;  /* (H, nf, 2) */
    long long gitems = 2LL * fz.H * nf;
    SSSD_LAUNCH(k_s4_rfft_weighted, dim3(sssd_grid_for(gitems, 128)), dim3(128), 0, s, dK, G, 2 * fz.H, fz.L, nf);
    long long ritems = (long long)fz.H * nf;
    SSSD_LAUNCH(k_s4_rho, dim3(sssd_grid_for(ritems, 128)), dim3(128), 0, s, fz, rho, nf);
    long long citems = (long long)fz.H * fz.N2;
    SSSD_LAUNCH(k_s4_kernel_grad, dim3(sssd_grid_for(citems, 128)), dim3(128), 0, s, fz, (const float *)G,
                (const float *)rho, dC, nf);
}

static inline void launch_s4_conv_forward(cudaStream_t s, const float *u, const float *K, const float *D, float *y,
                                          int B, int H, int L) {
    if (B <= 0 || H <= 0 || L <= 0) return;
    dim3 grid((unsigned)((L + S4_CONV_TT - 1) / S4_CONV_TT), (unsigned)H, (unsigned)((B + S4_CONV_BT - 1) / S4_CONV_BT));
    SSSD_LAUNCH(k_s4_toeplitz, grid, dim3(S4_CONV_TT), 0, s, u, K, D, y, B, H, L, false);
}

static inline void launch_s4_conv_backward(cudaStream_t s, const float *u, const float *K, const float *D,
                                           const float *dy, float *du, float *dK, float *dD, int B, int H, int L) {
    if (B <= 0 || H <= 0 || L <= 0) return;
    dim3 grid((unsigned)((L + S4_CONV_TT - 1) / S4_CONV_TT), (unsigned)H, (unsigned)((B + S4_CONV_BT - 1) / S4_CONV_BT));
    SSSD_LAUNCH(k_s4_toeplitz, grid, dim3(S4_CONV_TT), 0, s, dy, K, D, du, B, H, L, true);
    dim3 cgrid((unsigned)((2 * L - 1 + S4_CORR_TD - 1) / S4_CORR_TD), (unsigned)H);
    SSSD_LAUNCH(k_s4_corr, cgrid, dim3(S4_CORR_TD), 0, s, u, dy, dK, dD, B, H, L);
}

#endif
