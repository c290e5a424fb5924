/* Write-then-rename output files, so that a crash, a kill or an error never
 * leaves a half-written result under the final name. */
#ifndef SSSD_COMMON_ATOMIC_FILE_H
#define SSSD_COMMON_ATOMIC_FILE_H

#include <stdio.h>
#include "error.h"

typedef struct atomic_file {
    FILE *f;                 /* write here */
    char final_path[4096];
    char tmp_path[4096];
} atomic_file;

/* Open a temporary file beside `path` (same directory, so rename is atomic). */
int atomic_file_open(atomic_file *af, const char *path, error_info *err);
/* Flush, fsync and rename onto the final path. On failure the temporary is removed. */
int atomic_file_commit(atomic_file *af, error_info *err);
/* Close and remove the temporary file; the final path is untouched. */
void atomic_file_abort(atomic_file *af);

/* For libraries that open files themselves (HDF5): a unique temporary name
 * beside `path`, and the fsync+rename that publishes it. */
int atomic_tmp_name(const char *path, char *tmp, size_t tmp_size, error_info *err);
int atomic_publish(const char *tmp, const char *path, error_info *err);

#endif
