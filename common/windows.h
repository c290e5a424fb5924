/* A set of fixed-length windows of event IDs, the unit every tool trains on,
 * generates and scores, and its readers/writers for the paper's text layout
 * (one window a line, comma-separated IDs) and .npy. */
#ifndef SSSD_COMMON_WINDOWS_H
#define SSSD_COMMON_WINDOWS_H

#include <stdint.h>
#include "error.h"

typedef struct window_set {
    int64_t count;    /* number of windows */
    int length;       /* events per window */
    int32_t *ids;     /* (count, length), row-major */
} window_set;

void window_set_init(window_set *ws, int64_t count, int length);
void window_set_free(window_set *ws);

/* Paper text layout: IDs separated by commas and/or blanks, one window a line;
 * blank lines are ignored; every line must have the same length. Values may be
 * written as floats ("12.0"): they are rounded half to even (numpy's rule), but
 * NaN, inf and non-numeric tokens are errors naming the file and line. */
int windows_read_text(const char *path, window_set *out, error_info *err);

/* Paper text layout writer: comma-separated, no newline after the last line
 * (as the paper's files), written atomically. */
int windows_write_text(const char *path, const window_set *ws, error_info *err);

/* .npy of shape (N,L), (N,1,L) or (N,L,1), integer or float (rounded half to
 * even; NaN/inf refused). */
int windows_read_npy(const char *path, window_set *out, error_info *err);
int windows_write_npy(const char *path, const window_set *ws, error_info *err);

/* Parse a float token as an event ID: rounds half to even, refuses NaN/inf
 * and values outside int32. Returns 0 on success. */
int event_id_from_double(double v, int32_t *out);

#endif
