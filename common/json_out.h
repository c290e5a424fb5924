/* Writing JSON values to a stream, for the tools' --json reports: strings
 * escaped, non-finite numbers as null (JSON has no NaN), integer arrays. */
#ifndef SSSD_COMMON_JSON_OUT_H
#define SSSD_COMMON_JSON_OUT_H

#include <stdint.h>
#include <stdio.h>

/* "s" with quotes, backslashes and control characters escaped. */
void json_out_string(FILE *f, const char *s);
/* v with 10 significant digits, or null when v is NaN or infinite. */
void json_out_number(FILE *f, double v);
/* [v0,v1,...] */
void json_out_int_array(FILE *f, const int64_t *v, int64_t n);

#endif
