/* The backend-operation checker (test_backend_ops): every operation of the
 * backend table (kernels/backend.h) on every backend this build has, against
 * double-precision references written from the definitions in backend.h and
 * model/README.md, independent of every backend. A list of cases
 * (op_cases.c), each an operation at one shape, runs on each backend; every
 * comparison is recorded (operation, shape, error, tolerance) for the report.
 *
 * The error of a comparison is the normalised error
 * sqrt(sum (got-ref)^2 / sum ref^2); a non-finite value fails. Gradients are
 * checked against central finite differences of the double reference
 * forward, and accumulating outputs start from random values so "+=" is
 * checked too. Shapes are small and awkward (1, 3, 5, 17, 33, odd and even
 * L, partial warps and tiles) so the checks run quickly even on the host
 * emulation of the CUDA kernels. */
#ifndef SSSD_TESTS_KERNELS_OP_CHECK_H
#define SSSD_TESTS_KERNELS_OP_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* ------------------------------------------------------------- the cases */

enum {
    OPC_BIG = 1,           /* larger shapes: only with --size big or all */
    OPC_CROSS = 2,         /* compares the backend with the CPU backend: not run on the CPU backend itself */
    OPC_NOT_EMULATED = 4,  /* too slow for the CUDA host emulation */
};

typedef struct opc_ctx opc_ctx;
typedef void (*opc_case_fn)(opc_ctx *c, const int *p);

/* One operation (or a forward/backward pair) at one shape. */
typedef struct opc_case {
    const char *name;      /* what --op matches, e.g. "gelu", "s4_conv" */
    opc_case_fn run;
    int p[6];              /* shape and options, as the function reads them */
    unsigned flags;        /* OPC_* */
} opc_case;

/* The list of cases (op_cases.c); sets *count. */
const opc_case *opc_cases(int *count);

/* Names of the operations of the backend table that a check must cover
 * (memory operations included); NULL-terminated. */
extern const char *const opc_backend_op_names[];

/* ------------------------------------------------- running and recording */

/* One comparison, as reported. */
typedef struct opc_record {
    char op[40];           /* a backend operation, e.g. "gelu_backward" */
    char detail[96];       /* which output or property ("" for the main one) */
    char shape[96];        /* the case's shape */
    double err;            /* normalised (or relative, for scalars) error; -1: an exact property */
    double tol;
    size_t n;              /* elements compared (0 for a scalar or a property) */
    int ok;
} opc_record;

struct opc_ctx {
    backend *be;           /* under test */
    backend *cpu;          /* a CPU backend for OPC_CROSS cases, or NULL */
    int verbose;           /* print every comparison, not only failures */
    char shape[96];        /* of the running case */
    const char *case_name;
    uint64_t stream, counter; /* the running case's random numbers */
    opc_record *records;
    int nrecords, cap, failures;
};

/* Runs one case on c->be: seeds its random numbers from its name and shape
 * (the same inputs on every backend and whatever else runs). */
void opc_run_case(opc_ctx *c, const opc_case *k);

/* Record a comparison of got (backend output copied to the host) against
 * ref; fails on non-finite values or an error above tol. */
double opc_compare(opc_ctx *c, const char *op, const char *detail, const real_t *got, const double *ref, size_t n,
                   double tol);
/* As opc_compare, with the reference's RMS taken as at least floor_rms. */
double opc_compare_floor(opc_ctx *c, const char *op, const char *detail, const real_t *got, const double *ref,
                         size_t n, double tol, double floor_rms);
/* |got - ref| / |ref| (or |got| when ref = 0) against tol. */
void opc_compare_scalar(opc_ctx *c, const char *op, const char *detail, double got, double ref, double tol);
/* An exact property (determinism, an output left alone): `holds` or a failure with the message. */
void opc_expect(opc_ctx *c, const char *op, const char *detail, int holds, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Set the shape string of the running case (printf-style). */
void opc_shape(opc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ utilities */

/* Zeroed host memory; exits on failure. */
void *opc_zalloc(size_t bytes);
/* Uniform in [lo, hi) from the running case's stream. */
double opc_uniform(opc_ctx *c, double lo, double hi);
real_t *opc_host_random(opc_ctx *c, size_t n, double lo, double hi);
double *opc_to_double(const real_t *x, size_t n);
/* Backend memory holding `bytes` of host (NULL: zeroed). */
real_t *opc_dev(backend *be, const void *host, size_t bytes);
/* A host copy of n elements of backend memory. */
real_t *opc_get(backend *be, const real_t *dev, size_t n);
/* Free several backend buffers (a NULL-terminated list). */
void opc_dev_free(backend *be, ...);

/* Float tolerances: pointwise ops are a few ulps; long sums a little more. */
#define TOL_POINT 2e-6
#define TOL_SUM 1e-5
#define TOL_S4 2e-4

/* --------------------------------------------------- the case functions */

/* op_cases_dense.c */
void opc_case_memory(opc_ctx *c, const int *p);         /* n */
void opc_case_unary(opc_ctx *c, const int *p);          /* which (0 relu, 1 gelu, 2 swish), n */
void opc_case_gate(opc_ctx *c, const int *p);           /* B, C, L */
void opc_case_broadcasts(opc_ctx *c, const int *p);     /* B, C, L */
void opc_case_axpby_sumsq(opc_ctx *c, const int *p);    /* n */
void opc_case_im2col(opc_ctx *c, const int *p);         /* B, Ci, L */
void opc_case_gemm(opc_ctx *c, const int *p);           /* ta, tb, m, n, k, batch | shared A << 8 | 4 beta << 16 */
void opc_case_layernorm(opc_ctx *c, const int *p);      /* B, C, L */
void opc_case_weight_norm(opc_ctx *c, const int *p);    /* O, inner */
void opc_case_adam(opc_ctx *c, const int *p);           /* n */
/* op_cases_diffusion.c */
void opc_case_diffusion(opc_ctx *c, const int *p);      /* B, L */
void opc_case_softmax_xent(opc_ctx *c, const int *p);   /* B, V, L, offset, scale */
/* op_cases_s4.c */
void opc_case_s4_kernel(opc_ctx *c, const int *p);      /* H, N2, L */
void opc_case_s4_conv(opc_ctx *c, const int *p);        /* B, H, L */
void opc_case_s4_vs_cpu(opc_ctx *c, const int *p);      /* B, H, N2, L */
#ifdef SSSD_TEST_WITH_MODEL
void opc_case_s4_hippo(opc_ctx *c, const int *p);       /* H, L: the model's initialisation, and against the CPU */
/* op_cases_model.c */
void opc_case_model_vs_cpu(opc_ctx *c, const int *p);   /* miniature */
#endif

#endif
