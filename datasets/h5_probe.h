/* A trial read of an HDF5 file in a separate process before the real read.
 *
 * Metadata checksums (h5_util.h) catch accidental damage, but a file crafted
 * with valid checksums still reaches libhdf5 1.10's parsers, which trust some
 * addresses and sizes in it and crash (a fuzzer with checksum verification
 * switched off finds such crashes in seconds). So each loader first has the
 * helper program `h5-trial-read` (built beside the tools) read the file the
 * same way: a crash there becomes a message naming the file, and the real
 * read happens only after the same read has completed in the helper. Reading
 * is deterministic, so the second read does not crash either. A fresh
 * program rather than a forked copy of the caller: a fork of a threaded
 * process inherits locks that other threads hold (the sanitizers' allocators,
 * runtime threads of the CUDA driver), and a fresh program inherits none. */
#ifndef SSSD_DATASETS_H5_PROBE_H
#define SSSD_DATASETS_H5_PROBE_H

#include "error.h"

/* Has `h5-trial-read KIND PATH` read `path`. KIND is "dataset" (a dataset
 * file), "checkpoint" or "arrays" (every numeric array: window, generated
 * and forward-input files). 0 when the helper finished, whether or not the
 * file was valid (the real read reports what is wrong); -1 with a message
 * when it crashed or was killed. A file that passed is remembered (with its
 * kind, device, inode, size and modification time) and not tried again.
 * `what` names the content in messages ("checkpoint", "dataset file"). */
int h5_probe(const char *path, const char *what, const char *kind, error_info *err);

/* Fuzz harnesses switch trial reads off, so that a crash happens in their
 * own process where the fuzzer sees it. On by default. */
void h5_probe_set_enabled(int enabled);

/* The "arrays" trial read: every integer or float dataset of the file, each
 * checked against the file's size and memory (h5_check_extent) and read.
 * 0 when all were read. */
int h5_trial_read_arrays(const char *path);

/* Exit statuses of h5-trial-read. */
enum { H5_TRIAL_READ_OK = 0, H5_TRIAL_USAGE = 2, H5_TRIAL_INVALID = 3 };

#endif
