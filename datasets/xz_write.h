/* Writing .xz files in the process with liblzma (`dataset capture --xz`),
 * the counterpart of trace_input's reader: no `xz` program is needed. */
#ifndef SSSD_DATASETS_XZ_WRITE_H
#define SSSD_DATASETS_XZ_WRITE_H

#include <stddef.h>
#include "error.h"

/* Compress `len` bytes of `data` into one .xz stream (xz's default preset 6,
 * CRC64 check) at `path`, written to a temporary name beside it and renamed
 * into place when complete: a failure or a kill leaves no truncated .xz. */
int xz_write_file(const char *path, const void *data, size_t len, error_info *err);

#endif
