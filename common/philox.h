/* Counter-based random numbers (Philox4x32-10, Salmon et al. 2011), usable in
 * host and device code, so the CPU and CUDA backends draw identical noise for
 * the same (seed, stream, index) and GPU runs are reproducible. */
#ifndef SSSD_COMMON_PHILOX_H
#define SSSD_COMMON_PHILOX_H

#include <stdint.h>
#include <math.h>

#if defined(__CUDACC__)
#define PHILOX_FN __host__ __device__ static inline
#else
#define PHILOX_FN static inline
#endif

typedef struct philox_u32x4 { uint32_t v[4]; } philox_u32x4;

PHILOX_FN uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* Ten rounds of Philox4x32 on counter c with key k. */
PHILOX_FN philox_u32x4 philox4x32(philox_u32x4 c, uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = philox_mulhilo(0xD2511F53u, c.v[0], &hi0);
        uint32_t lo1 = philox_mulhilo(0xCD9E8D57u, c.v[2], &hi1);
        philox_u32x4 n;
        n.v[0] = hi1 ^ c.v[1] ^ k0;
        n.v[1] = lo1;
        n.v[2] = hi0 ^ c.v[3] ^ k1;
        n.v[3] = lo0;
        c = n;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

/* Uniform in (0, 1], never 0 so that log() is safe. */
PHILOX_FN float philox_uniform(uint32_t x) { return ((float)(x >> 8) + 1.0f) * (1.0f / 16777216.0f); }

/* Standard normal number `index` of stream `stream` under `seed`: a pure
 * function, so any backend and any thread layout gives the same value. */
PHILOX_FN float philox_normal(uint64_t seed, uint64_t stream, uint64_t index) {
    philox_u32x4 c;
    c.v[0] = (uint32_t)(index >> 1);
    c.v[1] = (uint32_t)(index >> 33);
    c.v[2] = (uint32_t)stream;
    c.v[3] = (uint32_t)(stream >> 32);
    philox_u32x4 r = philox4x32(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    float u1 = philox_uniform(r.v[0]);
    float u2 = philox_uniform(r.v[1]);
    float radius = sqrtf(-2.0f * logf(u1));
    float angle = 6.283185307179586f * u2;
    return (index & 1) ? radius * sinf(angle) : radius * cosf(angle);
}

/* Uniform 32-bit integer number `index` of stream `stream` under `seed`. */
PHILOX_FN uint32_t philox_u32(uint64_t seed, uint64_t stream, uint64_t index) {
    philox_u32x4 c;
    c.v[0] = (uint32_t)(index >> 2);
    c.v[1] = (uint32_t)(index >> 34);
    c.v[2] = (uint32_t)stream;
    c.v[3] = (uint32_t)(stream >> 32);
    philox_u32x4 r = philox4x32(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    return r.v[index & 3];
}

#endif
