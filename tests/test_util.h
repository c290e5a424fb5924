/* Minimal test harness: CHECK macros that count and report failures with file
 * and line, a closing "N passed, N failed" line, and ctest's skip code. */
#ifndef SSSD_TESTS_TEST_UTIL_H
#define SSSD_TESTS_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP_CODE 77

static int test_passed_count = 0, test_failed_count = 0;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) test_passed_count++;                                                   \
        else {                                                                           \
            test_failed_count++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                                \
    } while (0)

#define CHECK_MSG(cond, ...)                                                             \
    do {                                                                                 \
        if (cond) test_passed_count++;                                                   \
        else {                                                                           \
            test_failed_count++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
#define CHECK_CLOSE(a, b, atol, rtol)                                                    \
    do {                                                                                 \
        double check_a_ = (double)(a), check_b_ = (double)(b);                           \
        CHECK_MSG(fabs(check_a_ - check_b_) <= (atol) + (rtol)*fabs(check_b_) &&         \
                      !isnan(check_a_) && !isnan(check_b_),                              \
                  "%s = %.10g, %s = %.10g", #a, check_a_, #b, check_b_);                 \
    } while (0)

#define CHECK_STR_CONTAINS(haystack, needle)                                             \
    CHECK_MSG(strstr((haystack), (needle)) != NULL, "\"%s\" does not contain \"%s\"",    \
              (haystack), (needle))

/* Copy a file, or only its first max_bytes bytes (max_bytes >= 0): fixtures
 * for truncated or damaged inputs. Exits the test when it cannot. */
static inline void test_copy_prefix(const char *from, const char *to, long long max_bytes) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) {
        fprintf(stderr, "test: cannot copy %s to %s\n", from, to);
        exit(1);
    }
    char buf[65536];
    size_t n;
    long long total = 0;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) {
        if (max_bytes >= 0 && total + (long long)n > max_bytes) n = (size_t)(max_bytes - total);
        fwrite(buf, 1, n, b);
        total += (long long)n;
        if (max_bytes >= 0 && total >= max_bytes) break;
    }
    fclose(a);
    fclose(b);
}

static inline int test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}

#endif
