/* The checker's machinery (op_check.h): per-case random inputs, host and
 * backend buffers, and the comparisons, each recorded for the report and
 * printed when it fails (or always, verbose). */
#include "op_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"

void *opc_zalloc(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "test_backend_ops: out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return p;
}

double opc_uniform(opc_ctx *c, double lo, double hi) {
    uint32_t u = philox_u32(12345, c->stream, c->counter++);
    return lo + (hi - lo) * ((double)u / 4294967296.0);
}

real_t *opc_host_random(opc_ctx *c, size_t n, double lo, double hi) {
    real_t *p = opc_zalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (real_t)opc_uniform(c, lo, hi);
    return p;
}

double *opc_to_double(const real_t *x, size_t n) {
    double *d = opc_zalloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

real_t *opc_dev(backend *be, const void *host, size_t bytes) {
    real_t *p = be->ops->alloc(be, bytes);
    if (host && bytes) be->ops->upload(be, p, host, bytes);
    return p;
}

real_t *opc_get(backend *be, const real_t *dev, size_t n) {
    real_t *h = opc_zalloc(n * sizeof *h);
    be->ops->synchronize(be);
    if (n) be->ops->download(be, h, dev, n * sizeof *h);
    return h;
}

void opc_dev_free(backend *be, ...) {
    va_list ap;
    va_start(ap, be);
    for (void *p = va_arg(ap, void *); p; p = va_arg(ap, void *)) be->ops->free(be, p);
    va_end(ap);
}

void opc_shape(opc_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->shape, sizeof c->shape, fmt, ap);
    va_end(ap);
}

/* FNV-1a of the case's name and shape: its random stream. */
static uint64_t case_stream(const char *name, const int *p) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = name; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (int i = 0; i < 6; i++) h = (h ^ (uint32_t)p[i]) * 1099511628211ULL;
    return h;
}

void opc_run_case(opc_ctx *c, const opc_case *k) {
    c->case_name = k->name;
    c->stream = case_stream(k->name, k->p);
    c->counter = 0;
    c->shape[0] = 0;
    k->run(c, k->p);
}

static void record(opc_ctx *c, const char *op, const char *detail, double err, double tol, size_t n, int ok,
                   const char *why) {
    if (c->nrecords == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->records = realloc(c->records, (size_t)c->cap * sizeof *c->records);
        if (!c->records) {
            fprintf(stderr, "test_backend_ops: out of memory\n");
            exit(2);
        }
    }
    opc_record *r = &c->records[c->nrecords++];
    snprintf(r->op, sizeof r->op, "%s", op);
    snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
    snprintf(r->shape, sizeof r->shape, "%s", c->shape);
    r->err = err, r->tol = tol, r->n = n, r->ok = ok;
    if (!ok) c->failures++;
    if (!ok || c->verbose) {
        char what[128], figure[64];
        snprintf(what, sizeof what, "%s%s%s", op, r->detail[0] ? " " : "", r->detail);
        if (err < 0) snprintf(figure, sizeof figure, "%s", "exact property");
        else snprintf(figure, sizeof figure, "error %.3g (tolerance %.3g)", err, tol);
        fprintf(ok ? stdout : stderr, "  %-9s %-34s %-30s %s%s%s%s\n", c->be->ops->name, what, c->shape, figure,
                ok ? "" : "  FAILED", why && *why ? ": " : "", why ? why : "");
    }
}

static double normalised_error(const real_t *got, const double *ref, size_t n, double floor_rms, size_t *nonfinite,
                               size_t *first_bad) {
    double num = 0, den = 0;
    *nonfinite = 0, *first_bad = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite((double)got[i])) {
            if ((*nonfinite)++ == 0) *first_bad = i;
            continue;
        }
        double d = (double)got[i] - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
    }
    double floor_den = floor_rms * floor_rms * (double)n;
    if (floor_den > den) den = floor_den;
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static double compare(opc_ctx *c, const char *op, const char *detail, const real_t *got, const double *ref, size_t n,
                      double tol, double floor_rms) {
    size_t nonfinite, first_bad;
    double err = normalised_error(got, ref, n, floor_rms, &nonfinite, &first_bad);
    char why[96] = "";
    if (nonfinite) snprintf(why, sizeof why, "%zu non-finite values (the first at %zu)", nonfinite, first_bad);
    record(c, op, detail, err, tol, n, nonfinite == 0 && err <= tol, why);
    return err;
}

double opc_compare(opc_ctx *c, const char *op, const char *detail, const real_t *got, const double *ref, size_t n,
                   double tol) {
    return compare(c, op, detail, got, ref, n, tol, 0);
}

double opc_compare_floor(opc_ctx *c, const char *op, const char *detail, const real_t *got, const double *ref,
                         size_t n, double tol, double floor_rms) {
    return compare(c, op, detail, got, ref, n, tol, floor_rms);
}

void opc_compare_scalar(opc_ctx *c, const char *op, const char *detail, double got, double ref, double tol) {
    double err = fabs(got - ref) / (fabs(ref) > 0 ? fabs(ref) : 1.0);
    char why[96];
    snprintf(why, sizeof why, "%.10g against the reference %.10g", got, ref);
    int ok = isfinite(got) && err <= tol;
    record(c, op, detail, isfinite(got) ? err : INFINITY, tol, 0, ok, ok ? "" : why);
}

void opc_expect(opc_ctx *c, const char *op, const char *detail, int holds, const char *fmt, ...) {
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    record(c, op, detail, -1, 0, 0, holds, holds ? "" : why);
}
