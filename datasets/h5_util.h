/* Defensive HDF5 reading shared by the dataset and window loaders: scalar
 * attributes whose shape and type are checked before reading (an array
 * attribute must not overrun a one-value buffer), and a size check that
 * refuses arrays whose declared extent the file cannot back or memory
 * cannot hold, before anything is allocated. */
#ifndef SSSD_DATASETS_H5_UTIL_H
#define SSSD_DATASETS_H5_UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A scalar (or one-element) integer attribute of the root group. 0 or -1. */
int h5_read_int_attr(hid_t f, const char *name, int *out);

/* A scalar string attribute (fixed or variable length), cut to `size`. 0 or -1. */
int h5_read_string_attr(hid_t f, const char *name, char *out, size_t size);

/* Dataset `name` of `elements` values: refuses (with a message naming the
 * file and dataset) when the file stores far too few bytes for that many
 * values, even allowing for compression, or when `elements * mem_size`
 * bytes do not fit in available memory. */
int h5_check_extent(hid_t f, const char *name, uint64_t elements, size_t mem_size, const char *path,
                    error_info *err);

/* Variable-length strings of dataset `name`: refuses (with a message) when
 * the heap they live in is damaged in a way libhdf5 would not survive. */
int h5_check_vlen_heaps(hid_t f, const char *name, const char *path, error_info *err);

#endif
