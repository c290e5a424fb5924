/* The "nccl" collectives: gradients summed in GPU memory by NCCL, one GPU per
 * process, on a stream of its own; the communicator is set up over MPI (rank 0
 * makes NCCL's unique id and broadcasts it), and the host operations stay MPI's. */
#include <cuda_runtime_api.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>

#include "collectives_internal.h"
#include "timer.h"

typedef struct nccl_state {
    ncclComm_t comm;
    cudaStream_t stream;
} nccl_state;

#define NCCL_CHECK(call)                                                                              \
    do {                                                                                              \
        ncclResult_t rc_ = (call);                                                                    \
        if (rc_ != ncclSuccess) die("NCCL: %s failed: %s", #call, ncclGetErrorString(rc_));            \
    } while (0)
#define CUDA_CHECK(call)                                                                              \
    do {                                                                                              \
        cudaError_t rc_ = (call);                                                                     \
        if (rc_ != cudaSuccess) die("NCCL collectives: %s failed: %s", #call, cudaGetErrorString(rc_)); \
    } while (0)

static void nccl_allreduce_sum(collectives *c, real_t *data, long long n) {
    nccl_state *st = c->gpu_ctx;
    c->bytes_reduced += (unsigned long long)n * sizeof(real_t);
    double t0 = now_seconds();
    /* The backend's own stream is private to it: finish its work first, so
     * the gradients are complete, and wait for the sum before it goes on. */
    c->be->ops->synchronize(c->be);
    NCCL_CHECK(ncclAllReduce(data, data, (size_t)n, ncclFloat, ncclSum, st->comm, st->stream));
    CUDA_CHECK(cudaStreamSynchronize(st->stream));
    c->reduce_seconds += now_seconds() - t0;
}

static collectives_ops nccl_ops = {"nccl", nccl_allreduce_sum, NULL, NULL, NULL, NULL};

int collectives_nccl_start(collectives *c, error_info *err) {
    nccl_state *st = xcalloc(1, sizeof *st);
    ncclUniqueId id;
    if (c->rank == 0) {
        ncclResult_t rc = ncclGetUniqueId(&id);
        if (rc != ncclSuccess) {
            free(st);
            return error_set(err, "NCCL cannot start: %s", ncclGetErrorString(rc));
        }
    }
    c->ops->broadcast_host(c, &id, sizeof id);
    ncclResult_t rc = ncclCommInitRank(&st->comm, c->size, id, c->rank);
    if (rc != ncclSuccess) {
        free(st);
        return error_set(err, "NCCL cannot join %d processes: %s", c->size, ncclGetErrorString(rc));
    }
    CUDA_CHECK(cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking));
    collectives_mpi_host_ops(&nccl_ops);
    c->gpu_ctx = st;
    c->ops = &nccl_ops;
    return 0;
}

void collectives_nccl_finish(collectives *c) {
    nccl_state *st = c->gpu_ctx;
    if (!st) return;
    ncclCommDestroy(st->comm);
    cudaStreamDestroy(st->stream);
    free(st);
    c->gpu_ctx = NULL;
}
