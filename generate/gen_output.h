/* What `generate` writes: the windows (or whole traces) in the paper's text
 * layout, .npy, an HDF5 file (/windows, /mask), event names or an
 * strace-like log (gen_strace.h), and beside them the mask
 * (GENERATED.mask, text layout, 1 = observed, 0 = generated, which the
 * evaluate tool reads) and, with several samples, the per-position
 * confidence. Every file is written atomically. */
#ifndef SSSD_GENERATE_OUTPUT_H
#define SSSD_GENERATE_OUTPUT_H

#include <stdint.h>

#include "dataset_h5.h"
#include "windows.h"

typedef enum gen_format { GEN_TEXT, GEN_NPY, GEN_H5, GEN_NAMES, GEN_STRACE } gen_format;

/* "text", "npy", "h5", "names", "strace"; -1 if unknown. */
int gen_format_parse(const char *name, gen_format *out);
/* From the output's extension (.npy, .h5/.hdf5, .names, .strace), else text. */
gen_format gen_format_from_path(const char *path);

typedef struct gen_result {
    window_set windows;        /* (N, L) generated IDs */
    const uint8_t *observed;   /* (N, L) 1 = observed */
    const float *confidence;   /* (N, L) or NULL (one sample) */
    const vocabulary *vocab;   /* for names; may have size 0 */
    const char *provenance;    /* one line: checkpoint, sampler, seed (h5 attribute) */
    const char *events;        /* the data's events, "entry-exit" or "call" (strace format); may be NULL */
} gen_result;

/* Writes `path` and its companions; fills `written` with the paths, comma-separated. */
int gen_write(const char *path, gen_format format, const gen_result *r, char *written, size_t written_size,
              error_info *err);

/* Read a text/.npy/.h5 window file back (for tests and round trips): the
 * windows, and for h5 the /mask too (mask may be NULL). */
int gen_read_h5(const char *path, window_set *windows, window_set *mask, error_info *err);

#endif
