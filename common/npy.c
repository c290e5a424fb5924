/* NumPy .npy reader and writer (see npy.h). The header is a Python dict
 * literal; we parse only the three keys the format defines. */
#include "npy.h"
#include "atomic_file.h"
#include "memory.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int parse_descr(const char *h, npy_dtype *dt, int *size, int *big, const char *path, error_info *err) {
    const char *p = strstr(h, "'descr'");
    if (!p) return error_set(err, "%s: .npy header has no 'descr'", path);
    p = strchr(p + 7, ':');
    if (!p) return error_set(err, "%s: malformed .npy header", path);
    p++;
    while (*p == ' ') p++;
    if (*p != '\'' && *p != '"') return error_set(err, "%s: unsupported .npy dtype (structured arrays are not supported)", path);
    char q = *p++;
    char d[16] = {0};
    int i = 0;
    while (*p && *p != q && i < 15) d[i++] = *p++;
    char order = d[0];
    const char *t = d + 1;
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return error_set(err, "%s: unsupported .npy dtype '%s'", path, d);
    *big = (order == '>');
    if (!strcmp(t, "i1")) { *dt = NPY_INT8; *size = 1; }
    else if (!strcmp(t, "u1")) { *dt = NPY_UINT8; *size = 1; }
    else if (!strcmp(t, "i2")) { *dt = NPY_INT16; *size = 2; }
    else if (!strcmp(t, "i4")) { *dt = NPY_INT32; *size = 4; }
    else if (!strcmp(t, "i8")) { *dt = NPY_INT64; *size = 8; }
    else if (!strcmp(t, "f4")) { *dt = NPY_FLOAT32; *size = 4; }
    else if (!strcmp(t, "f8")) { *dt = NPY_FLOAT64; *size = 8; }
    else return error_set(err, "%s: unsupported .npy dtype '%s' (supported: int8/16/32/64, uint8, float32/64)", path, d);
    return 0;
}

static int parse_shape(const char *h, npy_array *a, const char *path, error_info *err) {
    const char *p = strstr(h, "'shape'");
    if (!p) return error_set(err, "%s: .npy header has no 'shape'", path);
    p = strchr(p, '(');
    if (!p) return error_set(err, "%s: malformed .npy shape", path);
    p++;
    a->ndim = 0;
    a->count = 1;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p)) return error_set(err, "%s: malformed .npy shape", path);
        if (a->ndim == NPY_MAX_DIMS) return error_set(err, "%s: .npy has more than %d dimensions", path, NPY_MAX_DIMS);
        char *end;
        long long v = strtoll(p, &end, 10);
        if (v < 0 || v > (1LL << 40)) return error_set(err, "%s: absurd .npy dimension %lld", path, v);
        a->shape[a->ndim++] = v;
        if (v && a->count > (1LL << 40) / v) return error_set(err, "%s: .npy array too large", path);
        a->count *= v;
        p = end;
    }
    return 0;
}

static double load_value(const unsigned char *src, npy_dtype dt, int size, int big) {
    unsigned char b[8];
    for (int i = 0; i < size; i++) b[i] = big ? src[size - 1 - i] : src[i];
    switch (dt) {
    case NPY_INT8: { int8_t v; memcpy(&v, b, 1); return v; }
    case NPY_UINT8: return b[0];
    case NPY_INT16: { int16_t v; memcpy(&v, b, 2); return v; }
    case NPY_INT32: { int32_t v; memcpy(&v, b, 4); return v; }
    case NPY_INT64: { int64_t v; memcpy(&v, b, 8); return (double)v; }
    case NPY_FLOAT32: { float v; memcpy(&v, b, 4); return v; }
    case NPY_FLOAT64: { double v; memcpy(&v, b, 8); return v; }
    }
    return 0;
}

int npy_read(const char *path, npy_array *out, error_info *err) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[10];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0) {
        fclose(f);
        return error_set(err, "%s: not a .npy file (bad magic)", path);
    }
    int major = magic[6];
    uint32_t hlen = 0;
    if (major == 1) {
        unsigned char l[2];
        if (fread(l, 1, 2, f) != 2) { fclose(f); return error_set(err, "%s: truncated .npy header", path); }
        hlen = l[0] | (l[1] << 8);
    } else if (major == 2 || major == 3) {
        unsigned char l[4];
        if (fread(l, 1, 4, f) != 4) { fclose(f); return error_set(err, "%s: truncated .npy header", path); }
        hlen = l[0] | (l[1] << 8) | ((uint32_t)l[2] << 16) | ((uint32_t)l[3] << 24);
    } else {
        fclose(f);
        return error_set(err, "%s: unsupported .npy version %d", path, major);
    }
    if (hlen > (1u << 20)) { fclose(f); return error_set(err, "%s: .npy header too long", path); }
    char *h = xmalloc(hlen + 1);
    if (fread(h, 1, hlen, f) != hlen) { free(h); fclose(f); return error_set(err, "%s: truncated .npy header", path); }
    h[hlen] = 0;
    int size = 0, big = 0;
    int fortran = strstr(h, "'fortran_order': True") != NULL;
    if (parse_descr(h, &out->dtype, &size, &big, path, err) || parse_shape(h, out, path, err)) {
        free(h);
        fclose(f);
        return -1;
    }
    free(h);
    size_t bytes = (size_t)out->count * size;
    /* Check the claim against the file before allocating: a corrupt header
     * must not make us allocate terabytes. */
    long here = ftell(f);
    struct stat st;
    if (here < 0 || fstat(fileno(f), &st) != 0 || (unsigned long long)(st.st_size - here) < bytes) {
        fclose(f);
        return error_set(err, "%s: truncated .npy data (header promises %lld elements, %zu bytes, the file holds %lld)",
                         path, (long long)out->count, bytes, (long long)(here >= 0 ? st.st_size - here : 0));
    }
    /* The raw bytes and their conversion to doubles live side by side. */
    if (memory_check(path, ".npy data", (double)bytes + 8.0 * (double)out->count, err)) {
        fclose(f);
        return -1;
    }
    unsigned char *raw = xmalloc(bytes);
    if (fread(raw, 1, bytes, f) != bytes) {
        free(raw);
        fclose(f);
        return error_set(err, "%s: truncated .npy data (expected %zu bytes for shape with %lld elements)", path,
                         bytes, (long long)out->count);
    }
    fclose(f);
    out->values = xmalloc((size_t)(out->count ? out->count : 1) * sizeof(double));
    if (!fortran || out->ndim < 2) {
        for (int64_t i = 0; i < out->count; i++) out->values[i] = load_value(raw + i * size, out->dtype, size, big);
    } else {
        /* Fortran order: raw index runs fastest over the first dimension. */
        int64_t idx[NPY_MAX_DIMS] = {0};
        for (int64_t i = 0; i < out->count; i++) {
            int64_t c = 0;
            for (int d = 0; d < out->ndim; d++) c = c * out->shape[d] + idx[d];
            out->values[c] = load_value(raw + i * size, out->dtype, size, big);
            for (int d = 0; d < out->ndim; d++) {
                if (++idx[d] < out->shape[d]) break;
                idx[d] = 0;
            }
        }
    }
    free(raw);
    return 0;
}

void npy_free(npy_array *a) {
    free(a->values);
    a->values = NULL;
}

static int npy_write_raw(const char *path, const void *data, size_t elem, const char *descr, int ndim,
                         const int64_t *shape, error_info *err) {
    /* Python tuple syntax: "(n,)" for one dimension, "(a, b, c)" otherwise. */
    char shp[256] = "(";
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%s%lld", d ? ", " : "", (long long)shape[d]);
        strncat(shp, tmp, sizeof shp - strlen(shp) - 1);
        count *= (size_t)shape[d];
    }
    strncat(shp, ndim == 1 ? ",)" : ")", sizeof shp - strlen(shp) - 1);
    char header[512];
    int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shp);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    fwrite("\x93NUMPY\x01\x00", 1, 8, af.f);
    uint16_t hl = (uint16_t)(n + pad + 1);
    unsigned char l[2] = {hl & 0xff, hl >> 8};
    fwrite(l, 1, 2, af.f);
    fwrite(header, 1, n, af.f);
    for (int i = 0; i < pad; i++) fputc(' ', af.f);
    fputc('\n', af.f);
    fwrite(data, elem, count, af.f);
    return atomic_file_commit(&af, err);
}

int npy_write_int32(const char *path, const int32_t *data, int ndim, const int64_t *shape, error_info *err) {
    return npy_write_raw(path, data, 4, "<i4", ndim, shape, err);
}

int npy_write_float32(const char *path, const float *data, int ndim, const int64_t *shape, error_info *err) {
    return npy_write_raw(path, data, 4, "<f4", ndim, shape, err);
}
