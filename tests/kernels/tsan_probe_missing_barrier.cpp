/* Deliberately racy kernel (a __syncthreads left out) for the
 * ThreadSanitizer build: scripts/test-emu-tsan.sh requires TSAN to report a
 * data race here, proving that the emulation really runs a block's threads
 * concurrently and that a clean TSAN run of the real kernels means something. */
#include <cstdio>

#include "cuda_compat.cuh"

__global__ void k_missing_barrier(const int *in, int *out) {
    __shared__ int s[64];
    int t = (int)threadIdx.x, n = (int)blockDim.x;
    s[t] = in[t];
    /* __syncthreads() belongs here */
    out[t] = s[(t + 1) % n];
}

int main() {
    int in[64], out[64];
    for (int i = 0; i < 64; i++) in[i] = i;
    emu_launch(k_missing_barrier, dim3(1), dim3(64), 0, (const int *)in, out);
    std::printf("tsan probe ran (a TSAN build must have reported a race above)\n");
    return 0;
}
