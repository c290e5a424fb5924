/* The processes of one run and the collective operations between them: a
 * small table with three implementations. "single" (one process: every
 * operation is a no-op) when the build has no MPI or the tool was not started
 * by an MPI launcher; "mpi" (Open MPI) for the CPU backend, and for host data
 * on any backend; "nccl" for gradients in GPU memory, one GPU per process.
 * The training and generation code calls only this table, so the same code
 * and the same tests run whichever implementation is underneath. */
#ifndef SSSD_PARALLEL_COLLECTIVES_H
#define SSSD_PARALLEL_COLLECTIVES_H

#include <stddef.h>

#include "backend.h"
#include "error.h"

typedef struct collectives collectives;

typedef struct collectives_ops {
    const char *name; /* "single", "mpi", "nccl" */
    /* Sum n elements of backend memory over all processes, in place: every
     * process ends with the same sums. */
    void (*allreduce_sum)(collectives *c, real_t *data, long long n);
    /* Sum n host doubles over all processes, in place. */
    void (*allreduce_host)(collectives *c, double *data, int n);
    /* Rank 0 receives every process's part of buf (host memory, the same
     * size on every process): part r is bytes offsets[r] .. offsets[r+1]-1,
     * and process r must have filled it. Other processes' buf is unchanged. */
    void (*gather_host)(collectives *c, void *buf, const size_t *offsets);
    /* Copy bytes of host memory from rank 0 to every process. */
    void (*broadcast_host)(collectives *c, void *buf, size_t bytes);
    void (*barrier)(collectives *c);
} collectives_ops;

struct collectives {
    const collectives_ops *ops;
    int rank, size;             /* this process and the number of processes */
    int local_rank, local_size; /* the same among the processes on this machine */
    backend *be;                /* the backend allreduce_sum works on (NULL: none bound yet) */
    unsigned long long bytes_reduced; /* bytes passed to allreduce_sum so far, for figures */
    double reduce_seconds;      /* wall time spent in allreduce_sum so far */
    void *ctx;                  /* MPI's state */
    void *gpu_ctx;              /* NCCL's state */
};

/* The processes of this run. Under an MPI launcher (mpirun, srun) in a build
 * with MPI: MPI is initialised and the table is "mpi"; otherwise "single"
 * with rank 0 of 1, and MPI is never touched. A build without MPI started by
 * a launcher with several processes exits with a message, since each would
 * otherwise train alone over the same files. From here on, a process that
 * exits with a non-zero status (die(), a failed allocation) ends every
 * process of the run, with its message. */
collectives *collectives_init(int *argc, char ***argv);

/* Ends MPI (every process must call it, after its last collective) and frees c. */
void collectives_finalize(collectives *c);

/* Before the backend is created: with several processes on a machine, each
 * uses GPU local_rank mod (GPUs on the machine), so that the CUDA backend,
 * which uses the current device, gets its own. Does nothing without CUDA,
 * for one process, or for device "cpu". */
void collectives_select_gpu(collectives *c, const char *device);

/* Choose how backend memory is summed: NCCL for the CUDA backend when the
 * build has NCCL and every process has a GPU of its own, else MPI through
 * host memory (notes printed by rank 0 say why). Returns -1 with a message
 * when the processes cannot be joined. */
int collectives_bind_backend(collectives *c, backend *be, error_info *err);

/* The part of `total` items that process `rank` of `size` takes: items
 * [*first, *first + *count), contiguous and in order, the first total % size
 * processes one more. */
void collectives_share(long long total, int rank, int size, long long *first, long long *count);

/* CPU threads to use by default: the machine's cores shared among the
 * processes on it (at least 1). */
int collectives_default_threads(const collectives *c);

#endif
