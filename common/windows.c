/* Readers and writers for window sets (see windows.h). */
#include "windows.h"
#include "atomic_file.h"
#include "memory.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void window_set_init(window_set *ws, int64_t count, int length) {
    ws->count = count;
    ws->length = length;
    ws->ids = xcalloc((size_t)(count > 0 ? count : 1) * (size_t)(length > 0 ? length : 1), sizeof(int32_t));
}

void window_set_free(window_set *ws) {
    free(ws->ids);
    ws->ids = NULL;
    ws->count = 0;
}

int event_id_from_double(double v, int32_t *out) {
    if (!isfinite(v)) return -1;
    double r = nearbyint(v); /* default rounding mode: half to even */
    if (r < INT32_MIN || r > INT32_MAX) return -1;
    *out = (int32_t)r;
    return 0;
}

int windows_read_text(const char *path, window_set *out, error_info *err) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    /* Each ID takes at least two bytes of text ("1,") and four in memory; the
     * array grows by doubling and the longest line is buffered too: about
     * three times the file size at the peak. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && memory_check(path, "reading this window file", 3.0 * (double)st.st_size, err)) {
        fclose(f);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    int32_t *ids = xmalloc(cap * sizeof *ids);
    int length = -1;
    int64_t count = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    long lineno = 0;
    while ((got = getline(&line, &line_cap, f)) != -1) {
        lineno++;
        if ((size_t)got != strlen(line)) {
            error_set(err, "%s:%ld: NUL byte in text (binary file?)", path, lineno);
            goto fail;
        }
        int in_line = 0;
        char *p = line;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' || *p == '\n') p++;
            if (!*p) break;
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            int32_t id;
            if (end == p || (*end && !strchr(" \t,\r\n", *end))) {
                char tok[32];
                size_t k = strcspn(p, " \t,\r\n");
                snprintf(tok, sizeof tok, "%.*s", (int)(k < 24 ? k : 24), p);
                error_set(err, "%s:%ld: token %d '%s' is not a number", path, lineno, in_line + 1, tok);
                goto fail;
            }
            if (event_id_from_double(v, &id)) {
                error_set(err, "%s:%ld: token %d is not a finite event ID", path, lineno, in_line + 1);
                goto fail;
            }
            if (n == cap) {
                cap *= 2;
                ids = xrealloc(ids, cap * sizeof *ids);
            }
            ids[n++] = id;
            in_line++;
            p = end;
        }
        if (in_line == 0) continue;
        if (length < 0) length = in_line;
        else if (in_line != length) {
            error_set(err, "%s:%ld: window has %d events but earlier windows have %d (ragged input)", path,
                      lineno, in_line, length);
            goto fail;
        }
        count++;
    }
    free(line);
    fclose(f);
    if (count == 0) {
        free(ids);
        return error_set(err, "%s: no windows (empty file)", path);
    }
    out->ids = ids;
    out->count = count;
    out->length = length;
    return 0;
fail:
    free(line);
    free(ids);
    fclose(f);
    return -1;
}

int windows_write_text(const char *path, const window_set *ws, error_info *err) {
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    for (int64_t i = 0; i < ws->count; i++) {
        const int32_t *w = ws->ids + i * ws->length;
        for (int j = 0; j < ws->length; j++) fprintf(af.f, j ? ",%d" : "%d", w[j]);
        if (i + 1 < ws->count) fputc('\n', af.f);
    }
    return atomic_file_commit(&af, err);
}

int windows_read_npy(const char *path, window_set *out, error_info *err) {
    memset(out, 0, sizeof *out);
    npy_array a;
    if (npy_read(path, &a, err)) return -1;
    int64_t n, len;
    if (a.ndim == 2) { n = a.shape[0]; len = a.shape[1]; }
    else if (a.ndim == 3 && a.shape[1] == 1) { n = a.shape[0]; len = a.shape[2]; }
    else if (a.ndim == 3 && a.shape[2] == 1) { n = a.shape[0]; len = a.shape[1]; }
    else {
        npy_free(&a);
        return error_set(err, "%s: .npy shape must be (N,L), (N,1,L) or (N,L,1); got %d dimensions", path, a.ndim);
    }
    if (n <= 0 || len <= 0 || len > (1 << 24)) {
        npy_free(&a);
        return error_set(err, "%s: .npy holds no windows (shape %lld x %lld)", path, (long long)n, (long long)len);
    }
    window_set_init(out, n, (int)len);
    for (int64_t i = 0; i < n * len; i++) {
        if (event_id_from_double(a.values[i], &out->ids[i])) {
            npy_free(&a);
            window_set_free(out);
            return error_set(err, "%s: element %lld (window %lld, position %lld) is not a finite event ID", path,
                             (long long)i, (long long)(i / len), (long long)(i % len));
        }
    }
    npy_free(&a);
    return 0;
}

int windows_write_npy(const char *path, const window_set *ws, error_info *err) {
    int64_t shape[3] = {ws->count, ws->length, 1};
    return npy_write_int32(path, ws->ids, 3, shape, err);
}
