/* test_backend_ops: every operation of every backend this build has (the CPU
 * backend, the CUDA backend's kernels on the host emulation, the CUDA
 * backend on a real GPU) against double-precision references, case by case
 * (op_cases.c), with a report per backend of each operation's number of
 * checks and worst error, and the shape where it occurred.
 *
 *   test_backend_ops [--backend cpu|cuda-emu|cuda]... [--size small|big|all] [--op NAME]
 *                    [--threads N] [-v] [--list]
 *
 * Without --backend, every backend compiled in; one that cannot be created
 * (no CUDA device) is reported as skipped. Exit status: 0 when every check
 * passed, 1 when one failed, 2 on a usage error, 77 (ctest's skip code) when
 * no backend asked for exists on this machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_check.h"
#ifdef SSSD_TEST_WITH_EMU
#include "backend_emu.h"
#endif

static const char *const known_backends[] = {
#ifdef SSSD_TEST_WITH_CPU
    "cpu",
#endif
#ifdef SSSD_TEST_WITH_EMU
    "cuda-emu",
#endif
#ifdef SSSD_TEST_WITH_CPU
    "cuda", /* backend_cuda_create comes with the CPU library (a stub without nvcc) */
#endif
};
enum { NKNOWN = (int)(sizeof known_backends / sizeof known_backends[0]) };

/* ctest's "skipped" (SKIP_RETURN_CODE), as the other GPU tests use it. */
enum { EXIT_SKIPPED = 77 };

typedef struct options {
    const char *backends[8];
    int nbackends;
    int small, big;     /* which sizes of case run */
    const char *op;     /* only cases whose name contains this */
    int threads, verbose;
} options;

static void usage(FILE *f) {
    fprintf(f, "usage: test_backend_ops [--backend NAME]... [--size small|big|all] [--op NAME] [--threads N] [-v] "
               "[--list]\n  backends in this build:");
    for (int i = 0; i < NKNOWN; i++) fprintf(f, " %s", known_backends[i]);
    fprintf(f, "\n  --size small (default): the quick shapes; big: only the larger ones; all: both\n"
               "  --op NAME: only the cases whose name contains NAME (see --list)\n"
               "  -v: print every comparison, not only failures\n");
}

/* NULL with `why` when the backend cannot be created here. */
static backend *create_backend(const char *name, int threads, char *why, size_t why_size) {
#ifdef SSSD_TEST_WITH_CPU
    if (strcmp(name, "cpu") == 0) return backend_cpu_create(threads);
    if (strcmp(name, "cuda") == 0) return backend_cuda_create(why, why_size);
#endif
#ifdef SSSD_TEST_WITH_EMU
    if (strcmp(name, "cuda-emu") == 0) return backend_cuda_emu_create();
#endif
    snprintf(why, why_size, "not in this build");
    return NULL;
}

static int case_selected(const opc_case *k, const options *o, const backend *be, int have_cpu) {
    if ((k->flags & OPC_BIG) ? !o->big : !o->small) return 0;
    if (o->op && !strstr(k->name, o->op)) return 0;
    if ((k->flags & OPC_CROSS) && (!have_cpu || strcmp(be->ops->name, "cpu") == 0)) return 0;
    if ((k->flags & OPC_NOT_EMULATED) && strcmp(be->ops->name, "cuda-emu") == 0) return 0;
    return 1;
}

/* One line per operation: checks, failures, the worst error relative to its
 * tolerance and where it occurred. Operations outside the backend table
 * (the whole network) follow the table's. */
static void report(const opc_ctx *c) {
    const char *ops[64];
    int nops = 0;
    for (int i = 0; opc_backend_op_names[i]; i++) ops[nops++] = opc_backend_op_names[i];
    for (int r = 0; r < c->nrecords; r++) {
        int known = 0;
        for (int i = 0; i < nops && !known; i++) known = strcmp(ops[i], c->records[r].op) == 0;
        if (!known && nops < 64) ops[nops++] = c->records[r].op;
    }
    printf("  %-22s %6s %6s  %-11s %-10s %s\n", "operation", "checks", "failed", "worst error", "tolerance",
           "where (shape, output)");
    for (int i = 0; i < nops; i++) {
        int checks = 0, failed = 0;
        const opc_record *worst = NULL;
        double worst_ratio = -1;
        for (int r = 0; r < c->nrecords; r++) {
            const opc_record *rec = &c->records[r];
            if (strcmp(rec->op, ops[i]) != 0) continue;
            checks++;
            failed += !rec->ok;
            if (rec->err < 0) continue; /* an exact property */
            double ratio = rec->tol > 0 ? rec->err / rec->tol : (rec->err > 0 ? 1e300 : 0);
            if (!rec->ok) ratio = 1e301;
            if (ratio > worst_ratio) worst_ratio = ratio, worst = rec;
        }
        if (!checks) continue;
        if (worst)
            printf("  %-22s %6d %6d  %-11.3g %-10.3g %s%s%s\n", ops[i], checks, failed, worst->err, worst->tol,
                   worst->shape, worst->detail[0] ? ", " : "", worst->detail);
        else
            printf("  %-22s %6d %6d  %-11s %-10s\n", ops[i], checks, failed, "exact", "-");
    }
}

/* Every selected case on `be`; returns the number of failed checks. */
static int run_backend(backend *be, backend *cpu, const options *o) {
    int ncases;
    const opc_case *cases = opc_cases(&ncases);
    opc_ctx c = {.be = be, .cpu = cpu, .verbose = o->verbose};
    int ran = 0;
    printf("%s%s:\n", be->ops->name, strcmp(be->ops->name, "cpu") == 0 ? " (float)" : "");
#ifdef SSSD_TEST_WITH_EMU
    unsigned long long launches = backend_cuda_emu_launches();
#endif
    for (int i = 0; i < ncases; i++) {
        if (!case_selected(&cases[i], o, be, cpu != NULL)) continue;
        opc_run_case(&c, &cases[i]);
        ran++;
    }
#ifdef SSSD_TEST_WITH_EMU
    /* The work really went through emulated kernel launches (GEMM alone does not launch any). */
    if (strcmp(be->ops->name, "cuda-emu") == 0 && o->small && !o->op) {
        snprintf(c.shape, sizeof c.shape, "-");
        unsigned long long ran_launches = backend_cuda_emu_launches() - launches;
        opc_expect(&c, "emulated kernel launches", NULL, ran_launches > (unsigned long long)ran,
                   "%llu launches in %d cases", ran_launches, ran);
    }
#endif
    /* Every operation of the table has a check (not asked of a partial run). */
    if (o->small && !o->op) {
        for (int i = 0; opc_backend_op_names[i]; i++) {
            int covered = 0;
            for (int r = 0; r < c.nrecords && !covered; r++) covered = strcmp(c.records[r].op, opc_backend_op_names[i]) == 0;
            snprintf(c.shape, sizeof c.shape, "-");
            if (!covered) opc_expect(&c, opc_backend_op_names[i], "coverage", 0, "no case checks this operation");
        }
    }
    report(&c);
    printf("%s: %d cases, %d checks, %d failed\n\n", be->ops->name, ran, c.nrecords, c.failures);
    int failures = c.failures;
    free(c.records);
    return failures;
}

int main(int argc, char **argv) {
    options o = {.small = 1, .threads = 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--backend") == 0 && v) {
            if (o.nbackends == 8) {
                fprintf(stderr, "test_backend_ops: too many --backend options\n");
                return 2;
            }
            o.backends[o.nbackends++] = v, i++;
        } else if (strcmp(a, "--size") == 0 && v) {
            if (strcmp(v, "small") == 0) o.small = 1, o.big = 0;
            else if (strcmp(v, "big") == 0) o.small = 0, o.big = 1;
            else if (strcmp(v, "all") == 0) o.small = 1, o.big = 1;
            else {
                fprintf(stderr, "test_backend_ops: --size %s: expected small, big or all\n", v);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--op") == 0 && v) {
            o.op = v, i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            o.threads = atoi(v), i++;
            if (o.threads < 1) {
                fprintf(stderr, "test_backend_ops: --threads %s: expected a positive number\n", v);
                return 2;
            }
        } else if (strcmp(a, "-v") == 0) {
            o.verbose = 1;
        } else if (strcmp(a, "--list") == 0) {
            int n;
            const opc_case *k = opc_cases(&n);
            for (int j = 0; j < n; j++)
                printf("%-18s (%d, %d, %d, %d, %d, %d)%s%s%s\n", k[j].name, k[j].p[0], k[j].p[1], k[j].p[2], k[j].p[3],
                       k[j].p[4], k[j].p[5], k[j].flags & OPC_BIG ? " big" : "",
                       k[j].flags & OPC_CROSS ? " against-cpu" : "", k[j].flags & OPC_NOT_EMULATED ? " not-emulated" : "");
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "test_backend_ops: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    for (int i = 0; i < o.nbackends; i++) {
        int known = 0;
        for (int k = 0; k < NKNOWN; k++) known |= strcmp(o.backends[i], known_backends[k]) == 0;
        if (!known) {
            fprintf(stderr, "test_backend_ops: --backend %s: not a backend of this build\n", o.backends[i]);
            usage(stderr);
            return 2;
        }
    }
    if (o.nbackends == 0)
        for (int k = 0; k < NKNOWN; k++) o.backends[o.nbackends++] = known_backends[k];

    backend *cpu = NULL; /* the reference for the cases against the CPU backend */
#ifdef SSSD_TEST_WITH_CPU
    cpu = backend_cpu_create(o.threads);
#endif
    int failures = 0, tested = 0;
    for (int i = 0; i < o.nbackends; i++) {
        char why[512] = "";
        backend *be = create_backend(o.backends[i], o.threads, why, sizeof why);
        if (!be) {
            printf("%s: skipped (%s)\n\n", o.backends[i], why);
            continue;
        }
        tested++;
        failures += run_backend(be, cpu, &o);
        be->ops->destroy(be);
    }
    if (cpu) cpu->ops->destroy(cpu);
    if (!tested) {
        printf("no backend to test: skipped\n");
        return EXIT_SKIPPED;
    }
    printf("test_backend_ops: %d backend(s), %d failed checks\n", tested, failures);
    return failures ? 1 : 0;
}
