/* LCS implementations (see lcs.h). The bit-parallel recurrence keeps a bit
 * vector V whose zero bits mark where the LCS row increases; per symbol c of b:
 * U = V & M[c]; V = (V + U) | (V & ~M[c]). The LCS is the number of zero bits
 * among the low n bits. Carries run upward only, so bits above n never disturb
 * the answer and are masked off at the end. */
#include "lcs.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

int lcs_dp(const int32_t *a, int n, const int32_t *b, int m) {
    if (n <= 0 || m <= 0) return 0;
    int *row = xcalloc((size_t)m + 1, sizeof *row);
    for (int i = 0; i < n; i++) {
        int diag = 0; /* row[j] of the previous i, before overwrite */
        for (int j = 1; j <= m; j++) {
            int up = row[j];
            int best = a[i] == b[j - 1] ? diag + 1 : (up > row[j - 1] ? up : row[j - 1]);
            diag = up;
            row[j] = best;
        }
    }
    int r = row[m];
    free(row);
    return r;
}

int lcs_dp64(const int64_t *a, int n, const int64_t *b, int m) {
    if (n <= 0 || m <= 0) return 0;
    int *row = xcalloc((size_t)m + 1, sizeof *row);
    for (int i = 0; i < n; i++) {
        int diag = 0;
        for (int j = 1; j <= m; j++) {
            int up = row[j];
            int best = a[i] == b[j - 1] ? diag + 1 : (up > row[j - 1] ? up : row[j - 1]);
            diag = up;
            row[j] = best;
        }
    }
    int r = row[m];
    free(row);
    return r;
}

void lcs_profile_create(lcs_profile *p, int capacity, int alphabet) {
    memset(p, 0, sizeof *p);
    p->alphabet = alphabet > 0 ? alphabet : 1;
    p->capacity = capacity > 0 ? capacity : 1;
    p->row_stride = (p->capacity + 63) / 64;
    /* Rows of 4 words start on 32-byte boundaries: one cache line per lookup. */
    size_t bytes = (size_t)p->alphabet * (size_t)p->row_stride * sizeof(uint64_t);
    p->masks = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p->masks) die("out of memory allocating an LCS profile (%zu bytes)", bytes);
    memset(p->masks, 0, bytes);
}

void lcs_profile_free(lcs_profile *p) {
    free(p->masks);
    p->masks = NULL;
}

void lcs_profile_set(lcs_profile *p, const int32_t *a, int n) {
    if (n > p->capacity) die("internal error: LCS profile holds %d events, got %d", p->capacity, n);
    memset(p->masks, 0, (size_t)p->alphabet * (size_t)p->row_stride * sizeof(uint64_t));
    p->length = n;
    p->words = (n + 63) / 64;
    for (int i = 0; i < n; i++) p->masks[(size_t)a[i] * (size_t)p->row_stride + (size_t)(i / 64)] |= 1ull << (i % 64);
}

/* One step of the recurrence over W words with a ripple carry. Written with a
 * compile-time W so the compiler unrolls it and keeps V in registers. */
#define LCS_KERNEL(W)                                                                      \
    static int lcs_kernel_##W(const uint64_t *masks, int stride, const int32_t *b, int m, int n) { \
        uint64_t v[W];                                                                     \
        for (int w = 0; w < W; w++) v[w] = ~0ull;                                          \
        for (int j = 0; j < m; j++) {                                                      \
            const uint64_t *mk = masks + (size_t)b[j] * (size_t)stride;                    \
            uint64_t carry = 0;                                                            \
            for (int w = 0; w < W; w++) {                                                  \
                uint64_t u = v[w] & mk[w];                                                 \
                uint64_t keep = v[w] & ~mk[w];                                             \
                uint64_t s = v[w] + u;                                                     \
                uint64_t c1 = s < u;                                                       \
                uint64_t s2 = s + carry;                                                   \
                carry = c1 | (s2 < s);                                                     \
                v[w] = s2 | keep;                                                          \
            }                                                                              \
        }                                                                                  \
        int zeros = 0;                                                                     \
        for (int w = 0; w < W; w++) {                                                      \
            int bits = n - 64 * w;                                                         \
            uint64_t valid = bits >= 64 ? ~0ull : ((1ull << bits) - 1);                    \
            zeros += __builtin_popcountll(~v[w] & valid);                                  \
        }                                                                                  \
        return zeros;                                                                      \
    }

LCS_KERNEL(1)
LCS_KERNEL(2)
LCS_KERNEL(3)
LCS_KERNEL(4)

static int lcs_kernel_any(const uint64_t *masks, int stride, int words, const int32_t *b, int m, int n) {
    uint64_t *v = xmalloc((size_t)words * sizeof *v);
    for (int w = 0; w < words; w++) v[w] = ~0ull;
    for (int j = 0; j < m; j++) {
        const uint64_t *mk = masks + (size_t)b[j] * (size_t)stride;
        uint64_t carry = 0;
        for (int w = 0; w < words; w++) {
            uint64_t u = v[w] & mk[w];
            uint64_t keep = v[w] & ~mk[w];
            uint64_t s = v[w] + u;
            uint64_t c1 = s < u;
            uint64_t s2 = s + carry;
            carry = c1 | (s2 < s);
            v[w] = s2 | keep;
        }
    }
    int zeros = 0;
    for (int w = 0; w < words; w++) {
        int bits = n - 64 * w;
        uint64_t valid = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
        zeros += __builtin_popcountll(~v[w] & valid);
    }
    free(v);
    return zeros;
}

int lcs_bitparallel(const lcs_profile *p, const int32_t *b, int m) {
    if (p->length <= 0 || m <= 0) return 0;
    switch (p->words) {
    case 1: return lcs_kernel_1(p->masks, p->row_stride, b, m, p->length);
    case 2: return lcs_kernel_2(p->masks, p->row_stride, b, m, p->length);
    case 3: return lcs_kernel_3(p->masks, p->row_stride, b, m, p->length);
    case 4: return lcs_kernel_4(p->masks, p->row_stride, b, m, p->length);
    default: return lcs_kernel_any(p->masks, p->row_stride, p->words, b, m, p->length);
    }
}
