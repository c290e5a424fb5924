/* Every CUDA kernel and its launch code, run on the host emulation of the
 * CUDA execution model (backend_cuda_emu_create), against the
 * double-precision references of op_checks.h. Outside the ThreadSanitizer
 * build (where the CPU backend and model are linked) also: the S4 operations
 * at the model's HiPPO initialisation and against the CPU backend, and the
 * whole network forward/backward plus a checkpoint round trip against the
 * CPU backend. --big runs larger shapes (L = 200 S4 kernels, 70k-element
 * reductions) instead of those; ctest runs both. -v prints every error. */
#include "backend_emu.h"
#include "op_checks.h"
#include "timer.h"

int main(int argc, char **argv) {
    int big = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--big") == 0) big = 1;
        else if (strcmp(argv[i], "-v") == 0) opc_verbose = 1;
    }
    backend *be = backend_cuda_emu_create();
    CHECK(be != NULL && strcmp(be->ops->name, "cuda-emu") == 0);
    unsigned long long before = backend_cuda_emu_launches();
    op_checks_run(be, big);
    if (!big) {
        /* The larger run repeats none of this. */
        backend *cpu = NULL;
#ifdef SSSD_TEST_WITH_CPU
        cpu = backend_cpu_create(1);
#endif
        double t0 = now_seconds();
        op_checks_s4_realistic(be, cpu);
        double t1 = now_seconds();
#ifdef SSSD_TEST_WITH_MODEL
        check_model(be, cpu, 1);
#endif
        if (opc_verbose) printf("  (S4 at HiPPO init %.1f s, model %.1f s)\n", t1 - t0, now_seconds() - t1);
        if (cpu) cpu->ops->destroy(cpu);
    }
    /* Work really went through emulated kernel launches. */
    CHECK(backend_cuda_emu_launches() > before + 100);
    be->ops->destroy(be);
    return test_finish(big ? "cuda_emu_ops (big shapes)" : "cuda_emu_ops");
}
