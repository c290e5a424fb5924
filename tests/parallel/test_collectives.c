/* The collectives table in one process, without a launcher: the
 * single-process table leaves data alone and counts what it was given, the
 * shares of a batch or of a window list cover it in order, a batch that does
 * not split evenly is refused with a message that says what to give, and the
 * default thread count shares the machine's cores. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectives.h"
#include "data_parallel.h"
#include "test_util.h"

static void test_single(void) {
    /* Not started by a launcher: the single table, whatever the build. */
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    unsetenv("PMI_RANK");
    unsetenv("PMIX_RANK");
    int argc = 1;
    char *args[] = {"test_collectives", NULL};
    char **argv = args;
    collectives *c = collectives_init(&argc, &argv);
    CHECK(strcmp(c->ops->name, "single") == 0);
    CHECK(c->rank == 0 && c->size == 1 && c->local_rank == 0 && c->local_size == 1);
    backend *be = backend_cpu_create(1);
    error_info err;
    CHECK(collectives_bind_backend(c, be, &err) == 0);
    real_t data[3] = {1, 2, 3};
    c->ops->allreduce_sum(c, data, 3);
    CHECK(data[0] == 1 && data[1] == 2 && data[2] == 3);
    CHECK(c->bytes_reduced == 3 * sizeof(real_t));
    double h[2] = {4, 5};
    c->ops->allreduce_host(c, h, 2);
    CHECK(h[0] == 4 && h[1] == 5);
    size_t offsets[2] = {0, sizeof h};
    c->ops->gather_host(c, h, offsets);
    c->ops->broadcast_host(c, h, sizeof h);
    c->ops->barrier(c);
    CHECK(h[0] == 4 && h[1] == 5);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(collectives_default_threads(c) == (n > 0 ? n : 1));
    CHECK(data_parallel_check_batch(c, 7, &err) == 0 && data_parallel_local_batch(c, 7) == 7);
    backend_free(be);
    collectives_finalize(c);
}

static void test_shares(void) {
    int ok = 1;
    for (long long total = 0; total <= 40; total++)
        for (int size = 1; size <= 9; size++) {
            long long next = 0, low = total, high = 0;
            for (int r = 0; r < size; r++) {
                long long first, count;
                collectives_share(total, r, size, &first, &count);
                if (first != next) ok = 0;
                next = first + count;
                if (count < low) low = count;
                if (count > high) high = count;
            }
            if (next != total || high - low > 1) ok = 0;
        }
    CHECK(ok);
    long long first, count;
    collectives_share(10, 2, 4, &first, &count); /* 3, 3, 2, 2 */
    CHECK(first == 6 && count == 2);
}

static void test_batch_split(void) {
    /* A table that says it has 4 processes; only its size is looked at. */
    collectives c;
    memset(&c, 0, sizeof c);
    c.size = 4;
    c.local_size = 4;
    error_info err;
    CHECK(data_parallel_check_batch(&c, 32, &err) == 0);
    CHECK(data_parallel_local_batch(&c, 32) == 8);
    CHECK(data_parallel_check_batch(&c, 30, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "--batch 30");
    CHECK_STR_CONTAINS(err.message, "4 processes");
    CHECK_STR_CONTAINS(err.message, "multiple of 4");
    CHECK(data_parallel_check_batch(&c, 2, &err) == -1);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    long want = (n > 0 ? n : 1) / 4;
    CHECK(collectives_default_threads(&c) == (want > 0 ? want : 1));
}

int main(void) {
    test_single();
    test_shares();
    test_batch_split();
    return test_finish("test_collectives");
}
