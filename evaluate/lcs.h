/* Longest common subsequence of two event sequences: a plain dynamic-programming
 * reference (the oracle in tests) and a bit-parallel version (one 64-bit word per
 * 64 events of the profiled string) fast enough for all-pairs nearest-neighbour
 * scoring of thousands by thousands of windows. */
#ifndef SSSD_EVALUATE_LCS_H
#define SSSD_EVALUATE_LCS_H

#include <stdint.h>

/* O(n*m) time, O(m) memory; any int32 symbols. */
int lcs_dp(const int32_t *a, int n, const int32_t *b, int m);
/* The same over int64 tokens (the published ROUGE-L token recipe). */
int lcs_dp64(const int64_t *a, int n, const int64_t *b, int m);

/* Per-symbol match bitmasks of one string `a` (bit i of row c is set when
 * a[i] == c). Symbols must be dense, in [0, alphabet). */
typedef struct lcs_profile {
    int alphabet;
    int capacity;     /* longest string the profile can hold */
    int words;        /* 64-bit words per symbol row for the current string */
    int length;       /* n, length of the current string */
    uint64_t *masks;  /* (alphabet, words_capacity) */
    int row_stride;   /* words_capacity */
} lcs_profile;

void lcs_profile_create(lcs_profile *p, int capacity, int alphabet);
void lcs_profile_free(lcs_profile *p);
/* Load string a (length n <= capacity, symbols in [0, alphabet)). */
void lcs_profile_set(lcs_profile *p, const int32_t *a, int n);
/* LCS(a, b) for the profiled a; b's symbols must be in [0, alphabet). */
int lcs_bitparallel(const lcs_profile *p, const int32_t *b, int m);

#endif
