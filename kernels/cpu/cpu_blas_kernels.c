/* Makes OpenBLAS use the vector kernels the CPU has when it would fall back to
 * its generic ones (backend.h: backend_cpu_choose_blas_kernels).
 *
 * Why: a DYNAMIC_ARCH OpenBLAS picks its kernels once, when it is loaded,
 * from a table of CPU models. A model newer than the table (OpenBLAS 0.3.21,
 * Debian 12's, on a Sapphire Rapids Xeon under KVM) gets the SSE3 "Prescott"
 * kernels although the CPU has AVX-512: sgemm then runs at a quarter of its
 * speed and a training step of `small` takes 2.5 times as long. The choice
 * can only be overridden by OPENBLAS_CORETYPE in the environment before the
 * library loads, so the tool sets it and executes itself again, once. Only a
 * fall-back to pre-AVX2 kernels on a CPU with AVX2 and FMA is overridden;
 * a choice OpenBLAS made knowingly, or one the user made by setting
 * OPENBLAS_CORETYPE, is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend.h"

/* OpenBLAS's name for the kernels it chose; weak, so that another CBLAS
 * (which has no such choice to make) links too. */
char *openblas_get_corename(void) __attribute__((weak));

/* Kernel sets that use AVX2 and FMA or wider: OpenBLAS chose them knowingly. */
static int vector_kernels(const char *core) {
    static const char *const wide[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
    for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
        if (!strcasecmp(core, wide[i])) return 1;
    return 0;
}

/* The widest kernel set this CPU (and its operating system) can run, or NULL. */
static const char *best_kernels(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

/* Whether this process is the first of its job (MPI launchers name the rank
 * in the environment), so that one note is printed, not one per process. */
static int first_process(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *r = getenv(vars[i]);
        if (r) return atoi(r) == 0;
    }
    return 1;
}

void backend_cpu_choose_blas_kernels(const char *program, char **argv) {
    if (getenv("OPENBLAS_CORETYPE") || !openblas_get_corename) return;
    const char *core = openblas_get_corename();
    if (!core || vector_kernels(core)) return;
    const char *best = best_kernels();
    if (!best) return;
    /* The note names the old choice before it is replaced; set
     * OPENBLAS_CORETYPE to keep any choice. */
    if (first_process())
        fprintf(stderr, "%s: OpenBLAS does not know this CPU and chose its generic %s kernels; "
                        "running with OPENBLAS_CORETYPE=%s (set OPENBLAS_CORETYPE to choose)\n",
                program, core, best);
    fflush(stderr);
    if (setenv("OPENBLAS_CORETYPE", best, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* Not executed again (no /proc): go on with the generic kernels. */
    unsetenv("OPENBLAS_CORETYPE");
}
