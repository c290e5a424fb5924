/* The dataset file written by `dataset build` (datasets/NAME/NAME.h5) and read
 * by every other tool. Layout (format "sssd-traces-dataset", version 1):
 *   /training        int32 (N, L)  training windows, IDs 1..V
 *   /testing         int32 (M, L)  test windows
 *   /vocab/names     string (V)    event name of ID i+1 (frequency rank order)
 *   /vocab/counts    int64 (V)     occurrences of each event in the parsed input
 *   /provenance/sources  string (S) input files
 *   root attributes: format, format_version, name, length, stride, events
 *   ("call" or "entry-exit"; "unknown" for windows read as they were), split
 *   ("run", "window", or "given" for windows read with their split), command_line. */
#ifndef SSSD_DATASETS_DATASET_H5_H
#define SSSD_DATASETS_DATASET_H5_H

#include <hdf5.h>
#include <stdint.h>
#include "error.h"
#include "windows.h"

#define DATASET_FORMAT_NAME "sssd-traces-dataset"
#define DATASET_FORMAT_VERSION 1
/* Windows without names (paper layout, .npy) hold vocabulary ranks 1..V; a
 * larger ID is damage, not a vocabulary (real ones have hundreds of events),
 * and would otherwise make a name table of that many entries. */
#define DATASET_MAX_VOCAB (1 << 20)

typedef struct vocabulary {
    int size;          /* V; IDs run 1..V */
    char **names;      /* (V) */
    int64_t *counts;   /* (V) */
} vocabulary;

typedef struct dataset {
    char name[256];
    int length;
    int stride;
    char events[32];        /* "call" or "entry-exit" */
    char split[32];         /* "run" or "window" */
    char *command_line;     /* may be NULL */
    int source_count;
    char **sources;         /* may be NULL */
    window_set training;
    window_set testing;
    vocabulary vocab;
} dataset;

int dataset_h5_write(const char *path, const dataset *ds, error_info *err);   /* atomic */
int dataset_h5_read(const char *path, dataset *ds, error_info *err);          /* validates */
/* The trial read of h5-trial-read-dataset (io/h5_probe.h): the whole read,
 * its result dropped; 0 when the file is a valid dataset. */
int dataset_h5_trial_read(const char *path);
void dataset_free(dataset *ds);
void vocabulary_free(vocabulary *v);
/* IDs without names (integer inputs): names "1".."size", counts zero. */
void vocabulary_numeric(vocabulary *v, int size);

/* /vocab/names (UTF-8 strings) and /vocab/counts (int64) of an open file: the
 * layout datasets and checkpoints share. Reading validates sizes and the
 * strings' heap before libhdf5 reads them. 0 or -1. */
int vocabulary_h5_write(hid_t f, const vocabulary *v);
int vocabulary_h5_read(hid_t f, vocabulary *v, const char *path, error_info *err);

/* Is this file an HDF5 file (by signature)? */
int file_is_hdf5(const char *path);

#endif
