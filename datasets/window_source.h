/* What users pass as --dataset, --input, GENERATED or REAL, resolved to data:
 * a dataset name (shipped under datasets/NAME), a dataset .h5, a directory in
 * the paper's layout (training/testing or sequence_length_L/...), a text
 * window file or a .npy. */
#ifndef SSSD_DATASETS_WINDOW_SOURCE_H
#define SSSD_DATASETS_WINDOW_SOURCE_H

#include "dataset_h5.h"

/* Find the path behind a dataset spec (existing path, or NAME searched in
 * $SSSD_DATASETS, ./datasets, and the source tree's datasets/). Returns 0 and
 * fills `out`, or -1 with a message listing where it looked. */
int dataset_resolve(const char *spec, char *out, size_t out_size, error_info *err);

/* Load a whole dataset (both splits and a vocabulary). For the paper layout,
 * which has no names, the vocabulary is 1..max ID with names "1".."V" and
 * counts from the training split. length_hint (0 = any) picks among several
 * sequence_length_L directories. */
int dataset_load(const char *spec, int length_hint, dataset *out, error_info *err);

/* Load one window set. A plain file (text, .npy, or an .h5 holding /windows)
 * is read as it is; a dataset (name, directory, dataset .h5) gives `split`
 * ("training" or "testing"). */
int windows_load(const char *spec, const char *split, int length_hint, window_set *out, error_info *err);

#endif
