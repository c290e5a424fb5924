/* Branch-free float approximations of exp, sigmoid, tanh and the normal
 * distribution's cdf/pdf (for exact GELU), written as straight-line code on
 * one element so that loops calling them vectorise (libm's expf/erff/tanhf are
 * scalar calls and were a fifth of a training step). Every function keeps the
 * relative error below 1e-6 over the range where its result is a normal float
 * (tests/model/test_fastmath.c checks this against double libm).
 *
 * Only the float build uses them: the double twin (SSSD_REAL_DOUBLE) exists
 * for finite-difference gradient checks and keeps libm's exact functions.
 *
 * Methods (textbook; coefficients fitted or derived for this file):
 * - exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, Taylor
 *   polynomial of degree 7 for e^r, 2^n assembled in the exponent bits as two
 *   factors so that results from 2^-149 to overflow come out right. The
 *   argument may be given as hi + lo, so callers that form x = -x^2/2 keep
 *   the bits that rounding x to one float would lose (an error of half an ulp
 *   of x = 80 is a relative error of 4e-6 in e^x).
 * - tanh: odd polynomial x P(x^2) for |x| < 0.55 (weighted least-squares fit,
 *   relative error 1e-9), else 1 - 2/(e^{2|x|} + 1), where the subtraction
 *   loses at most a factor 2.
 * - Phi(x) = (1 + erf(x/sqrt 2))/2: Maclaurin series of erf for
 *   |x|/sqrt 2 < 0.75; above, erfc(z) = e^{-z^2} f(z) with f a degree-8
 *   polynomial in t = 1/(1 + z/2) mapped to [-1, 1] (least-squares fit of
 *   erfc(z) e^{z^2} on [0.75, 9.5], relative error 1.4e-8). The negative
 *   side is computed as erfc/2 directly, so Phi keeps its relative accuracy
 *   where 1 + erf would cancel. */
#ifndef SSSD_KERNELS_CPU_FASTMATH_H
#define SSSD_KERNELS_CPU_FASTMATH_H

#include <stdint.h>
#include <string.h>

#define FM_INLINE static inline __attribute__((always_inline))

FM_INLINE float fm_bits_to_float(int32_t i) {
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}

FM_INLINE int32_t fm_float_to_bits(float f) {
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

/* e^(hi + lo), |lo| <= 0.1. */
FM_INLINE float fm_exp_hilo(float hi, float lo) {
    const float LOG2E = 1.44269504088896341f;
    const float LN2_HI = 0.693359375f;      /* 355/512: n LN2_HI is exact for |n| < 2^15 */
    const float LN2_LO = -2.12194440e-4f;   /* ln 2 - LN2_HI */
    const float ROUND = 12582912.0f;        /* 1.5 2^23: adding it rounds to an integer */
    /* Beyond these e^x is 0 or inf in float; clamping keeps n in range. NaN
     * is replaced here (converting it to an integer below would be undefined)
     * and handed back unchanged at the end. */
    float nan_in = hi;
    int is_nan = hi != hi;
    hi = is_nan ? 0.0f : hi;
    hi = hi < -104.0f ? -104.0f : hi;
    hi = hi > 89.0f ? 89.0f : hi;
    float n = (hi * LOG2E + ROUND) - ROUND;
    float r = (hi - n * LN2_HI) - n * LN2_LO + lo;
    float p = 1.0f + r * (1.0f + r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                     r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int32_t k = (int32_t)n, k1 = k >> 1, k2 = k - k1;
    /* 2^k = 2^k1 2^k2, each factor a normal float for k in [-150, 129] */
    float e = p * fm_bits_to_float((k1 + 127) << 23) * fm_bits_to_float((k2 + 127) << 23);
    return is_nan ? nan_in : e;
}

FM_INLINE float fm_exp(float x) { return fm_exp_hilo(x, 0.0f); }

FM_INLINE float fm_sigmoid(float x) { return 1.0f / (1.0f + fm_exp(-x)); }

FM_INLINE float fm_tanh(float x) {
    float ax = x < 0 ? -x : x;
    float s = x * x;
    float small = x * (1.0f + s * (-3.333331756e-01f + s * (1.333258608e-01f + s * (-5.385230448e-02f +
                                  s * (2.107165878e-02f + s * -6.274213045e-03f)))));
    float big = 1.0f - 2.0f / (fm_exp(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.55f ? small : big;
}

/* Phi(x) (normal cdf) and phi(x) = e^{-x^2/2}/sqrt(2 pi) (normal pdf). */
FM_INLINE void fm_normal_cdf_pdf(float x, float *cdf, float *pdf) {
    const float SQRT1_2 = 0.70710678118654752f, INV_SQRT_2PI = 0.39894228040143268f;
    float z = (x < 0 ? -x : x) * SQRT1_2;
    /* |z| < 0.75: erf(z) = 2/sqrt(pi) sum_n (-1)^n z^(2n+1) / (n! (2n+1)), n <= 8 (error 1e-9) */
    float w = 0.5f * x * x;
    float erf_small = x * SQRT1_2 *
                      (1.128379167e+00f + w * (-3.761263890e-01f + w * (1.128379167e-01f + w * (-2.686617065e-02f +
                       w * (5.223977625e-03f + w * (-8.548327023e-04f + w * (1.205533298e-04f +
                       w * (-1.492565036e-05f + w * 1.646211437e-06f))))))));
    /* e^{-x^2/2} with x^2 split exactly: xh keeps 12 significant bits, so
     * xh^2/2 is exact and the rest, (x - xh)(x + xh)/2, is small. */
    float xh = fm_bits_to_float(fm_float_to_bits(x) & (int32_t)0xFFFFF000);
    float e = fm_exp_hilo(-0.5f * xh * xh, -0.5f * (x - xh) * (x + xh));
    /* |z| >= 0.75: erfc(z) = e^{-z^2} f(u), u = 2 (t - t0)/(t1 - t0) - 1,
     * t = 1/(1 + z/2), t0 = t(9.5), t1 = t(0.75) */
    float zc = z < 0.75f ? 0.75f : z;
    zc = zc > 9.5f ? 9.5f : zc;
    float t = 1.0f / (1.0f + 0.5f * zc);
    float u = t * 3.6142857142857143f - 1.6285714285714286f;
    float f = 2.154674687e-01f + u * (2.112302055e-01f + u * (6.691543630e-02f + u * (1.301958206e-02f +
              u * (6.598765284e-04f + u * (-3.256008133e-04f + u * (-4.368935474e-05f +
              u * (1.230325902e-05f + u * 2.075351624e-06f)))))));
    float half_erfc = 0.5f * e * f;
    float big = x < 0 ? half_erfc : 1.0f - half_erfc;
    *cdf = z < 0.75f ? 0.5f + 0.5f * erf_small : big;
    *pdf = INV_SQRT_2PI * e;
}

#endif
