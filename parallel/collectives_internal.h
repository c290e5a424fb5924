/* What the implementations of the collectives table share (collectives.c,
 * collectives_mpi.c, collectives_nccl.c, collectives_gpu.c); not for callers. */
#ifndef SSSD_PARALLEL_COLLECTIVES_INTERNAL_H
#define SSSD_PARALLEL_COLLECTIVES_INTERNAL_H

#include "collectives.h"

/* The single-process table: every operation leaves the data as it is. */
extern const collectives_ops collectives_single_ops;

/* MPI (collectives_mpi.c; only in builds with MPI). mpi_start initialises MPI
 * and fills rank, size, local_rank, local_size, ops and ctx of c. */
void collectives_mpi_start(collectives *c, int *argc, char ***argv);
void collectives_mpi_finish(collectives *c);
/* MPI's host operations (allreduce_host, gather_host, broadcast_host,
 * barrier), written into another table. */
void collectives_mpi_host_ops(collectives_ops *ops);

/* GPUs on this machine (collectives_gpu.c; 0 without CUDA or a device), and
 * making GPU `index` the current one. */
int collectives_gpu_count(void);
void collectives_gpu_use(int index);

/* NCCL (collectives_nccl.c; only in builds with MPI and NCCL): joins the
 * processes in an NCCL communicator over their current GPUs and switches c
 * to the "nccl" table; the host operations stay MPI's. */
int collectives_nccl_start(collectives *c, error_info *err);
void collectives_nccl_finish(collectives *c);

#endif
