/* Ascending-order comparators for qsort and bsearch: event IDs (int32_t) and
 * doubles (bootstrap differences, trace statistics, benchmark timings). */
#ifndef SSSD_COMMON_COMPARE_H
#define SSSD_COMMON_COMPARE_H

#include <stdint.h>

static inline int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
