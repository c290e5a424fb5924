/* Backend selection by name ("cpu", "cuda", "auto"); see backend.h. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#if !defined(SSSD_HAVE_CUDA) || defined(SSSD_REAL_DOUBLE)
/* Builds without nvcc (and the double-precision test twin) have no CUDA backend. */
backend *backend_cuda_create(char *why, size_t why_size) {
    snprintf(why, why_size, "this build has no CUDA backend (nvcc was not found when it was configured)");
    return NULL;
}
#endif

backend *backend_create(const char *name, int threads, char *why, size_t why_size) {
    if (why && why_size) why[0] = 0;
    if (strcmp(name, "cpu") == 0) return backend_cpu_create(threads);
    if (strcmp(name, "cuda") == 0) return backend_cuda_create(why, why_size);
    if (strcmp(name, "auto") == 0) {
        char ignored[256];
        backend *be = backend_cuda_create(ignored, sizeof ignored);
        return be ? be : backend_cpu_create(threads);
    }
    snprintf(why, why_size, "unknown device '%s' (expected cpu, cuda or auto)", name);
    return NULL;
}

void backend_free(backend *be) {
    if (be) be->ops->destroy(be);
}
