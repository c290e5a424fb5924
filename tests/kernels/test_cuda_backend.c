/* The CUDA backend on a real GPU: every operation against the
 * double-precision references (op_checks.h), the S4 operations against the
 * CPU backend on identical inputs, and, when the model library is built, a
 * full forward/backward of the network on both backends and a checkpoint
 * saved from the GPU model and sampled from on the CPU (and back).
 * Without a CUDA device it prints "no CUDA device: skipped" and exits 77,
 * which ctest reports as skipped. */
#include "op_checks.h"



int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-v") == 0) opc_verbose = 1;
    char why[512] = "";
    backend *gpu = backend_cuda_create(why, sizeof why);
    if (!gpu) {
        printf("no CUDA device: skipped\n  (%s)\n", why);
        return TEST_SKIP_CODE;
    }
    CHECK(strcmp(gpu->ops->name, "cuda") == 0);
    op_checks_run(gpu, 1);
#ifdef SSSD_TEST_WITH_CPU
    backend *cpu = backend_cpu_create(2);
    op_checks_s4_realistic(gpu, cpu);
#ifdef SSSD_TEST_WITH_MODEL
    check_model(gpu, cpu, 0);
#endif
    backend_free(cpu);
#endif
    backend_free(gpu);
    return test_finish("cuda_backend");
}
