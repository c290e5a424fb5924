/* A trial read of an HDF5 file in a child process before the real read.
 *
 * Metadata checksums (h5_util.h) catch accidental damage, but a file crafted
 * with valid checksums still reaches libhdf5 1.10's parsers, which trust some
 * addresses and sizes in it and crash (a fuzzer with checksum verification
 * switched off finds such crashes in seconds). So each loader first runs its
 * own read in a forked child: a crash there becomes a message naming the
 * file, and the real read happens only after the same read has completed in
 * the child. Reading is deterministic, so the second read does not crash.
 * The child only reads: it touches no device (the model is built on the CPU
 * backend) and leaves with _exit, so none of the parent's exit work runs. */
#ifndef SSSD_DATASETS_H5_PROBE_H
#define SSSD_DATASETS_H5_PROBE_H

#include "error.h"

/* One full read of `path`, freeing what it read; 0 or -1. */
typedef int (*h5_probe_reader)(const char *path, void *arg);

/* Runs `reader` on `path` in a child process. 0 when the child finished
 * (whether or not the file was valid: the real read reports what is wrong),
 * -1 with a message when it crashed or was killed. A file that passed is
 * remembered (by device, inode, size and modification time) and not read
 * again by the same reader. `what` names the content ("checkpoint", "dataset file"). */
int h5_probe(const char *path, const char *what, h5_probe_reader reader, void *arg, error_info *err);

/* Fuzz harnesses switch the trial read off, so that a crash happens in their
 * own process where the fuzzer sees it. On by default. */
void h5_probe_set_enabled(int enabled);

#endif
