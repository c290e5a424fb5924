/* The bit-parallel LCS against the plain dynamic program on thousands of random
 * pairs: lengths around the 64-bit word edges (1, 3, 63, 64, 65, 200, 257) and
 * alphabets from 2 to 70 symbols, through profiles of every row stride. */
#include "lcs.h"
#include "test_util.h"

#include <stdint.h>

static uint64_t state = 0x243F6A8885A308D3ull;
static uint32_t next_u32(void) { /* xorshift64*: deterministic, no library state */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t)((state * 0x2545F4914F6CDD1Dull) >> 32);
}

int main(void) {
    const int lengths[7] = {1, 3, 63, 64, 65, 200, 257};
    int32_t a[257], b[257];
    int pairs = 0, mismatches = 0;
    lcs_profile p;
    lcs_profile_create(&p, 257, 70);
    for (int alphabet = 2; alphabet <= 70; alphabet++) {
        for (int i = 0; i < 7; i++) {
            for (int rep = 0; rep < 5; rep++) {
                int n = lengths[i], m = lengths[next_u32() % 7];
                /* Skewed draws too (many repeats of few symbols), like real traces. */
                int skew = rep & 1;
                for (int j = 0; j < n; j++) a[j] = (int32_t)(skew ? (next_u32() % alphabet) * (next_u32() % alphabet) / alphabet : next_u32() % alphabet);
                for (int j = 0; j < m; j++) b[j] = (int32_t)(skew ? (next_u32() % alphabet) * (next_u32() % alphabet) / alphabet : next_u32() % alphabet);
                lcs_profile_set(&p, a, n);
                int fast = lcs_bitparallel(&p, b, m), slow = lcs_dp(a, n, b, m);
                pairs++;
                if (fast != slow) {
                    if (mismatches++ < 5) fprintf(stderr, "n=%d m=%d alphabet=%d: bit-parallel %d, DP %d\n", n, m, alphabet, fast, slow);
                }
                /* A profile sized exactly to a: other row strides (2 words up to
                 * 128 events, 4 up to 256), hence the other kernels. */
                lcs_profile q;
                lcs_profile_create(&q, n, alphabet);
                lcs_profile_set(&q, a, n);
                CHECK_MSG(lcs_bitparallel(&q, b, m) == slow, "exact-size profile n=%d m=%d", n, m);
                lcs_profile_free(&q);
                /* Symmetry: LCS(a, b) = LCS(b, a). */
                lcs_profile_set(&p, b, m);
                CHECK(lcs_bitparallel(&p, a, n) == slow);
            }
        }
    }
    /* Identical strings: LCS = n; one string a permutation-free reversal. */
    for (int i = 0; i < 7; i++) {
        int n = lengths[i];
        for (int j = 0; j < n; j++) a[j] = j % 70;
        lcs_profile_set(&p, a, n);
        CHECK(lcs_bitparallel(&p, a, n) == n);
    }
    lcs_profile_free(&p);
    CHECK_MSG(mismatches == 0, "%d of %d pairs differ", mismatches, pairs);
    printf("%d random pairs checked\n", pairs);
    return test_finish("test_eval_lcs");
}
