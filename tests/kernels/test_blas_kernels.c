/* backend_cpu_choose_blas_kernels: on a CPU with AVX2 and FMA the program
 * ends up on OpenBLAS vector kernels whatever OpenBLAS chose by itself, and a
 * kernel set named in OPENBLAS_CORETYPE is never overridden. The test runs
 * itself as a child ("child": choose, then print the kernels in use; also
 * how scripts/test.sh learns which kernels the tools run on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend.h"

char *openblas_get_corename(void) __attribute__((weak));

static int failures;
#define CHECK(c, ...)                                         \
    do {                                                      \
        if (!(c)) {                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                     \
            fputc('\n', stderr);                              \
            failures++;                                       \
        }                                                     \
    } while (0)

/* Runs this program as a child with OPENBLAS_CORETYPE = coretype (NULL:
 * unset); the kernel set it reports lands in core. */
static void child_kernels(const char *self, const char *coretype, char *core, size_t n) {
    if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 1);
    else unsetenv("OPENBLAS_CORETYPE");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' child 2>/dev/null", self);
    FILE *f = popen(cmd, "r");
    core[0] = 0;
    if (!f || !fgets(core, (int)n, f)) core[0] = 0;
    core[strcspn(core, "\n")] = 0;
    CHECK(f && pclose(f) == 0, "the child (OPENBLAS_CORETYPE %s) failed", coretype ? coretype : "unset");
}

static int is_vector_set(const char *core) {
    static const char *const wide[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
    for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
        if (!strcasecmp(core, wide[i])) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "child")) {
        backend_cpu_choose_blas_kernels("test_blas_kernels", argv);
        backend_free(backend_cpu_create(1)); /* links the CPU backend, and with it OpenBLAS */
        printf("%s\n", openblas_get_corename ? openblas_get_corename() : "none");
        return 0;
    }
    backend_free(backend_cpu_create(1));
    if (!openblas_get_corename) {
        printf("SKIP: the CBLAS linked is not OpenBLAS: no kernel choice to check\n");
        return 77;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        printf("SKIP: no /proc/self/exe\n");
        return 77;
    }
    self[len] = 0;
    char core[256];
    child_kernels(self, NULL, core, sizeof core);
    printf("OPENBLAS_CORETYPE unset: the child runs %s kernels\n", core);
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        CHECK(is_vector_set(core), "the CPU has AVX2 and FMA, yet the child ran OpenBLAS's %s kernels", core);
#endif
    /* The user's choice stands, even the generic kernels. */
    child_kernels(self, "Prescott", core, sizeof core);
    printf("OPENBLAS_CORETYPE=Prescott: the child runs %s kernels\n", core);
    CHECK(!strcasecmp(core, "Prescott"), "OPENBLAS_CORETYPE=Prescott was overridden: the child ran %s", core);
    if (failures) return 1;
    printf("blas kernels: ok\n");
    return 0;
}
