/* A trial read of an HDF5 file in a separate process before the real read.
 *
 * Metadata checksums (h5_util.h) catch accidental damage, but a file crafted
 * with valid checksums still reaches libhdf5 1.10's parsers, which trust some
 * addresses and sizes in it and crash (a fuzzer with checksum verification
 * switched off finds such crashes in seconds). So each loader first has a
 * helper program read the file the same way: a crash there becomes a message
 * naming the file, and the real read happens only after the same read has
 * completed in the helper. Reading is deterministic, so the second read does
 * not crash either. A fresh program rather than a forked copy of the caller:
 * a fork of a threaded process inherits locks that other threads hold (the
 * sanitizers' allocators, runtime threads of the CUDA driver), and a fresh
 * program inherits none.
 *
 * Each kind of file has its helper, built beside the tools by the layer that
 * owns the loader (h5_trial.h): `h5-trial-read-arrays` here, for files of
 * numeric arrays; `h5-trial-read-dataset` in datasets/; and
 * `h5-trial-read-checkpoint` in model/. So the trial read of a checkpoint
 * needs nothing above the model, and this layer nothing above itself. */
#ifndef SSSD_IO_H5_PROBE_H
#define SSSD_IO_H5_PROBE_H

#include "error.h"

/* Has `h5-trial-read-KIND PATH` read `path`. KIND is "dataset" (a dataset
 * file), "checkpoint" or "arrays" (every numeric array: window, generated
 * and forward-input files). 0 when the helper finished, whether or not the
 * file was valid (the real read reports what is wrong); -1 with a message
 * when it crashed or was killed, or when the helper is missing or cannot be
 * started: a file is never read without its trial read. A file that passed
 * is remembered (with its kind, device, inode, size and modification time)
 * and not tried again. `what` names the content in messages ("checkpoint",
 * "dataset file"). */
int h5_probe(const char *path, const char *what, const char *kind, error_info *err);

/* Fuzz harnesses switch trial reads off, so that a crash happens in their
 * own process where the fuzzer sees it. On by default. */
void h5_probe_set_enabled(int enabled);

#endif
