/* Which GPU a process uses when several processes share a machine: the CUDA
 * runtime calls of the collectives (builds with CUDA). */
#include <cuda_runtime_api.h>

#include "collectives_internal.h"

int collectives_gpu_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError(); /* no driver or no device: not an error here, there is just no GPU */
        return 0;
    }
    return count;
}

void collectives_gpu_use(int index) {
    cudaError_t rc = cudaSetDevice(index);
    if (rc != cudaSuccess) die("cannot use GPU %d: %s", index, cudaGetErrorString(rc));
}
