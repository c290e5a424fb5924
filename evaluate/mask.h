/* Which positions of each window were observed (given to the generator) and
 * which were generated: from a file, from the `GENERATED.mask` file the
 * generate tool writes, or from a fixed task such as the ICSE'25 `mid:K`. */
#ifndef SSSD_EVALUATE_MASK_H
#define SSSD_EVALUATE_MASK_H

#include <stdint.h>
#include "error.h"

typedef struct eval_mask {
    int64_t rows;      /* 1 (applied to every window) or the number of windows */
    int length;
    uint8_t *observed; /* (rows, length): 1 = observed, 0 = generated */
    char source[512];  /* where it came from, for the report */
} eval_mask;

/* numpy.array_split(range(length), chunks)[index]: the first length % chunks
 * chunks hold one extra element. */
void array_split_chunk(int length, int chunks, int index, int *start, int *count);

/* A fixed task in common/mask_spec.h's words: the ICSE'25 gap "mid:K"
 * (middle chunk of consecutive K-event chunks), "end:K" (the last such
 * chunk), "gap:START:K" or "forecast:K". */
int mask_from_shorthand(const char *spec, int length, eval_mask *out, error_info *err);
/* Text (paper layout) or .npy of 0/1 values. */
int mask_load_file(const char *path, eval_mask *out, error_info *err);
/* Every position generated (unconditional generation). */
void mask_all_generated(eval_mask *out, int length);
void mask_free(eval_mask *m);

static inline int mask_is_observed(const eval_mask *m, int64_t window, int pos) {
    return m->observed[(m->rows == 1 ? 0 : window) * m->length + pos];
}
/* Number of observed positions over all rows (0 = unconditional). */
int64_t mask_observed_total(const eval_mask *m);

#endif
