/* Choosing the collectives implementation for this run (see collectives.h),
 * the single-process table, and the helpers every implementation shares. */
#include "collectives.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectives_internal.h"

/* ---- one process: nothing to exchange ---- */

static void single_allreduce_sum(collectives *c, real_t *data, long long n) {
    (void)data;
    c->bytes_reduced += (unsigned long long)n * sizeof(real_t);
}
static void single_allreduce_host(collectives *c, double *data, int n) {}
static void single_gather_host(collectives *c, void *buf, const size_t *offsets) {}
static void single_broadcast_host(collectives *c, void *buf, size_t bytes) {}
static void single_barrier(collectives *c) {}

const collectives_ops collectives_single_ops = {"single",           single_allreduce_sum,  single_allreduce_host,
                                                single_gather_host, single_broadcast_host, single_barrier};

#ifndef SSSD_PARALLEL_CUDA
/* Builds without CUDA see no GPU. */
int collectives_gpu_count(void) { return 0; }
void collectives_gpu_use(int index) { (void)index; }
#endif

/* ---- choosing ---- */

#ifndef SSSD_HAVE_MPI
/* The number of processes an MPI launcher says it started (1 when none did):
 * Open MPI's mpirun, MPICH's and Intel MPI's Hydra, Slurm's PMI. */
static long launcher_size(void) {
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atol(v);
    }
    return getenv("PMIX_RANK") ? 2 : 1; /* PMIx alone does not say how many: assume several */
}
#endif

static int launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMI_RANK") || getenv("PMIX_RANK");
}

collectives *collectives_init(int *argc, char ***argv) {
    collectives *c = xcalloc(1, sizeof *c);
    c->ops = &collectives_single_ops;
    c->rank = 0;
    c->size = 1;
    c->local_rank = 0;
    c->local_size = 1;
#ifdef SSSD_HAVE_MPI
    if (launched()) collectives_mpi_start(c, argc, argv);
#else
    if (launched() && launcher_size() > 1)
        die("started by an MPI launcher with %ld processes, but this build has no MPI support, so each would work "
            "alone over the same files; rebuild with Open MPI installed (scripts/install-deps.sh), or run one process",
            launcher_size());
#endif
    if (c->rank > 0) {
        /* Messages of the other processes say which one speaks: "train[1]: ...". */
        static char name[96];
        snprintf(name, sizeof name, "%s[%d]", error_program_name(), c->rank);
        error_set_program_name(name);
    }
    return c;
}

void collectives_finalize(collectives *c) {
    if (!c) return;
#ifdef SSSD_HAVE_NCCL
    collectives_nccl_finish(c);
#endif
#ifdef SSSD_HAVE_MPI
    collectives_mpi_finish(c);
#endif
    free(c);
}

void collectives_select_gpu(collectives *c, const char *device) {
    if (c->local_size < 2 || !strcmp(device, "cpu")) return;
    int gpus = collectives_gpu_count();
    if (gpus > 0) collectives_gpu_use(c->local_rank % gpus);
}

int collectives_bind_backend(collectives *c, backend *be, error_info *err) {
    c->be = be;
    if (c->size < 2 || !strcmp(be->ops->name, "cpu")) return 0;
    /* Backend memory is not host memory: NCCL when every process has a GPU. */
    int gpus = collectives_gpu_count();
    int own_gpu = 0;
    if (gpus > 0) {
        /* Every process must have its own GPU on its machine, or NCCL refuses to start. */
        double shared = c->local_size > gpus ? 1 : 0;
        c->ops->allreduce_host(c, &shared, 1);
        own_gpu = shared == 0;
    }
#ifdef SSSD_HAVE_NCCL
    if (own_gpu) return collectives_nccl_start(c, err);
    if (c->rank == 0)
        fprintf(stderr, "%s: note: %d processes share %d GPU%s on a machine; NCCL needs one GPU per process, so "
                        "gradients are summed by MPI through host memory (slower)\n",
                error_program_name(), c->local_size, gpus, gpus == 1 ? "" : "s");
#else
    (void)own_gpu;
    if (c->rank == 0)
        fprintf(stderr, "%s: note: this build has no NCCL; gradients are summed by MPI through host memory (slower)\n",
                error_program_name());
#endif
    return 0;
}

void collectives_share(long long total, int rank, int size, long long *first, long long *count) {
    long long base = total / size, extra = total % size;
    *first = (long long)rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra ? 1 : 0);
}

int collectives_default_threads(const collectives *c) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    long t = (n > 0 ? n : 1) / (c->local_size > 0 ? c->local_size : 1);
    return t > 0 ? (int)t : 1;
}
