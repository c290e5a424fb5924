/* The "mpi" collectives (Open MPI or any MPI-3 library): sums over
 * MPI_COMM_WORLD, in place on host memory, through a host copy for GPU
 * memory; and the exit handler that turns one process's failure into the end
 * of the whole run. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectives_internal.h"
#include "timer.h"

_Static_assert(sizeof(real_t) == sizeof(float), "the collectives sum float gradients");

typedef struct mpi_state {
    real_t *stage;       /* host copy of backend memory that is not host memory */
    long long stage_n;
} mpi_state;

/* MPI counts are ints: large buffers go in pieces of at most this many elements. */
#define MPI_PIECE (1 << 28)

static void mpi_check(int rc, const char *what) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    die("MPI %s failed: %s", what, text);
}

static void reduce_host_floats(real_t *data, long long n) {
    for (long long i = 0; i < n; i += MPI_PIECE) {
        int piece = (int)(n - i < MPI_PIECE ? n - i : MPI_PIECE);
        mpi_check(MPI_Allreduce(MPI_IN_PLACE, data + i, piece, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    }
}

static void mpi_allreduce_sum(collectives *c, real_t *data, long long n) {
    c->bytes_reduced += (unsigned long long)n * sizeof(real_t);
    double t0 = now_seconds();
    backend *be = c->be;
    if (!be || !strcmp(be->ops->name, "cpu")) {
        reduce_host_floats(data, n);
        c->reduce_seconds += now_seconds() - t0;
        return;
    }
    mpi_state *st = c->ctx;
    if (st->stage_n < n) {
        free(st->stage);
        st->stage = xmalloc((size_t)n * sizeof(real_t));
        st->stage_n = n;
    }
    be->ops->download(be, st->stage, data, (size_t)n * sizeof(real_t));
    reduce_host_floats(st->stage, n);
    be->ops->upload(be, data, st->stage, (size_t)n * sizeof(real_t));
    c->reduce_seconds += now_seconds() - t0;
}

static void mpi_allreduce_host(collectives *c, double *data, int n) {
    mpi_check(MPI_Allreduce(MPI_IN_PLACE, data, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
}

static void mpi_gather_host(collectives *c, void *buf, const size_t *offsets) {
    char *bytes = buf;
    if (c->rank != 0) {
        for (size_t at = offsets[c->rank]; at < offsets[c->rank + 1]; at += MPI_PIECE) {
            size_t piece = offsets[c->rank + 1] - at < MPI_PIECE ? offsets[c->rank + 1] - at : MPI_PIECE;
            mpi_check(MPI_Send(bytes + at, (int)piece, MPI_BYTE, 0, 0, MPI_COMM_WORLD), "MPI_Send");
        }
        return;
    }
    for (int r = 1; r < c->size; r++)
        for (size_t at = offsets[r]; at < offsets[r + 1]; at += MPI_PIECE) {
            size_t piece = offsets[r + 1] - at < MPI_PIECE ? offsets[r + 1] - at : MPI_PIECE;
            mpi_check(MPI_Recv(bytes + at, (int)piece, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
        }
}

static void mpi_broadcast_host(collectives *c, void *buf, size_t bytes) {
    for (size_t at = 0; at < bytes; at += MPI_PIECE) {
        size_t piece = bytes - at < MPI_PIECE ? bytes - at : MPI_PIECE;
        mpi_check(MPI_Bcast((char *)buf + at, (int)piece, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
}

static void mpi_barrier(collectives *c) { mpi_check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

static const collectives_ops mpi_ops = {"mpi",           mpi_allreduce_sum,  mpi_allreduce_host,
                                        mpi_gather_host, mpi_broadcast_host, mpi_barrier};

/* A process leaving before collectives_finalize: with a failure status it
 * takes every other process down with it (they may be waiting for it in a
 * collective), with status 0 (--help on every process) it ends MPI. */
static void on_exit_handler(int status, void *unused) {
    int started = 0, ended = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&ended);
    if (!started || ended) return;
    if (status == 0) {
        MPI_Finalize();
        return;
    }
    /* When every process fails alike (a bad option), rank 0's abort, a moment
     * ahead, ends the run with one notice from mpirun instead of several. */
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank > 0) usleep(300 * 1000);
    fflush(NULL); /* exit() flushes stdio only after its handlers, and the abort kills this process */
    MPI_Abort(MPI_COMM_WORLD, status);
}

void collectives_mpi_start(collectives *c, int *argc, char ***argv) {
    /* Only the main thread calls MPI. */
    int provided = 0;
    mpi_check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init");
    on_exit(on_exit_handler, NULL);
    /* Errors come back as codes, reported by mpi_check with MPI's text. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    MPI_Comm local;
    mpi_check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &local),
              "MPI_Comm_split_type");
    MPI_Comm_rank(local, &c->local_rank);
    MPI_Comm_size(local, &c->local_size);
    MPI_Comm_free(&local);
    c->ops = &mpi_ops;
    c->ctx = xcalloc(1, sizeof(mpi_state));
}

void collectives_mpi_finish(collectives *c) {
    int started = 0, ended = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&ended);
    if (started && !ended) MPI_Finalize();
    mpi_state *st = c->ctx;
    if (st) free(st->stage);
    free(st);
    c->ctx = NULL;
}

/* The host operations, for the NCCL table (collectives_nccl.c). */
void collectives_mpi_host_ops(collectives_ops *ops) {
    ops->allreduce_host = mpi_allreduce_host;
    ops->gather_host = mpi_gather_host;
    ops->broadcast_host = mpi_broadcast_host;
    ops->barrier = mpi_barrier;
}
