/* Writing JSON with libjansson (see json_out.h). */
#include "json_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Doubles hold every integer up to 2^53 exactly. */
#define JSON_OUT_MAX_EXACT 9007199254740992.0

json_t *json_number_of(double v) {
    json_t *j;
    if (!isfinite(v)) j = json_null();
    else if (v == floor(v) && fabs(v) <= JSON_OUT_MAX_EXACT) j = json_integer((json_int_t)v);
    else j = json_real(v);
    if (!j) die("out of memory writing JSON");
    return j;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when it is not one. */
static size_t utf8_length(const unsigned char *s) {
    size_t n;
    unsigned cp;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) n = 2, cp = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) n = 3, cp = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) n = 4, cp = s[0] & 0x07u;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

json_t *json_string_of(const char *s) {
    json_t *j = json_string(s);
    if (!j) {
        /* Not UTF-8: each stray byte becomes U+FFFD (3 bytes), so the copy
         * needs at most three times the length. */
        size_t n = strlen(s), k = 0;
        char *copy = xmalloc(3 * n + 1);
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
            size_t len = utf8_length(p);
            if (len) {
                memcpy(copy + k, p, len);
                k += len;
                p += len;
            } else {
                memcpy(copy + k, "\xEF\xBF\xBD", 3);
                k += 3;
                p++;
            }
        }
        copy[k] = 0;
        j = json_string(copy);
        free(copy);
    }
    if (!j) die("out of memory writing JSON");
    return j;
}

/* One value (any type) to a stream. A write that fails (disk full) leaves
 * the stream's error flag set for whoever closes the file to report, with
 * the file's name; only an encoding failure is out of memory. */
static void dump_value(FILE *f, json_t *v, size_t flags) {
    if (json_dumpf(v, f, flags | JSON_ENCODE_ANY) != 0 && !ferror(f)) die("out of memory writing JSON");
    json_decref(v);
}

void json_out_string(FILE *f, const char *s) { dump_value(f, json_string_of(s), 0); }

void json_out_number(FILE *f, double v) { dump_value(f, json_number_of(v), JSON_REAL_PRECISION(10)); }

void json_out_int_array(FILE *f, const int64_t *v, int64_t n) {
    fputc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        dump_value(f, json_integer((json_int_t)v[i]), 0);
    }
    fputc(']', f);
}

char *json_text(const json_t *v, size_t flags, const char *what) {
    char *s = json_dumps(v, flags | JSON_ENCODE_ANY);
    if (!s) die("%s: cannot write JSON (out of memory?)", what);
    return s;
}

int json_text_into(const json_t *v, size_t flags, char *buf, size_t size, const char *what, error_info *err) {
    size_t need = json_dumpb(v, buf, size, flags | JSON_ENCODE_ANY);
    if (need == 0) return error_set(err, "%s: cannot write JSON (out of memory?)", what);
    if (need >= size)
        return error_set(err, "%s: %zu bytes of JSON do not fit in the %zu bytes kept for it", what, need, size - 1);
    buf[need] = 0;
    return 0;
}
