/* Writing JSON with libjansson: values for the reports whose layout the
 * tools set themselves (jansson lays a document out either on one line or
 * with every array element on a line of its own), and whole documents into
 * strings and fixed buffers. Numbers that are not finite are written as null
 * (JSON has no NaN), and text that does not fit is an error, never cut. */
#ifndef SSSD_COMMON_JSON_OUT_H
#define SSSD_COMMON_JSON_OUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* The JSON value of a number: null when v is NaN or infinite, an integer when
 * v is a whole number that a double holds exactly (so 50 is written 50, not
 * 50.0), a real otherwise. A new reference (never NULL). */
json_t *json_number_of(double v);
/* The JSON value of a string. Bytes that are not UTF-8 (a file name in
 * another encoding) become U+FFFD, since JSON text is UTF-8. A new reference. */
json_t *json_string_of(const char *s);

/* Single values for hand-laid-out documents: "s" escaped; v with 10
 * significant digits, or null; [v0,v1,...]. */
void json_out_string(FILE *f, const char *s);
void json_out_number(FILE *f, double v);
void json_out_int_array(FILE *f, const int64_t *v, int64_t n);

/* Flags for json_text and json_text_into: one line, ", " and ": " between
 * items (JSON_COMPACT: "," and ":"), reals with `digits` significant digits
 * (17 round-trips every double). */
#define JSON_OUT_ONE_LINE(digits) JSON_REAL_PRECISION(digits)
#define JSON_OUT_COMPACT(digits) (JSON_COMPACT | JSON_REAL_PRECISION(digits))

/* `v` as text in a new string (free it); exits naming `what` when jansson
 * cannot write it (out of memory). */
char *json_text(const json_t *v, size_t flags, const char *what);
/* `v` as text in buf; -1 with a message naming `what` when the text (with
 * its terminating zero) needs more than `size` bytes. */
int json_text_into(const json_t *v, size_t flags, char *buf, size_t size, const char *what, error_info *err);

#endif
