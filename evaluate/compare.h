/* Ascending-order comparators for qsort and bsearch, shared by the metrics
 * and baselines (event IDs are int32_t, bootstrap differences double). */
#ifndef SSSD_EVALUATE_COMPARE_H
#define SSSD_EVALUATE_COMPARE_H

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
