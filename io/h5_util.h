/* Defensive HDF5 reading shared by the dataset and window loaders: scalar
 * attributes whose shape and type are checked before reading (an array
 * attribute must not overrun a one-value buffer), and a size check that
 * refuses arrays whose declared extent the file cannot back or memory
 * cannot hold, before anything is allocated. */
#ifndef SSSD_IO_H5_UTIL_H
#define SSSD_IO_H5_UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "windows.h"

/* HDF5 files are written and read in the HDF5 1.10 format only: there every
 * piece of metadata (superblock, object headers, chunk indexes, attribute
 * heaps) carries a checksum that libhdf5 verifies before parsing it. In the
 * older formats (superblock version 0 or 1, h5py's default) a damaged object
 * header reaches libhdf5's parsers unchecked, and libhdf5 1.10 crashes on
 * some (a use-after-free in its attribute code), which no check made from
 * outside the library can rule out. */
#define H5_MIN_SUPERBLOCK_VERSION 3

/* File access properties that make H5Fcreate write the checksummed 1.10
 * format; the caller closes them. */
hid_t h5_fapl_checksummed(void);

/* H5Fcreate (truncating) of a file in that format; -1 when it fails. */
hid_t h5_create_checksummed(const char *path);

/* The bytes of a file built in memory (HDF5's core driver), flushed, for
 * the caller to write out (and free). libhdf5 1.10 clears the "open for
 * writing" flag in the image's superblock but leaves the checksum computed
 * with the flag set, so the image would fail its own checksum: it is
 * recomputed here. NULL when a step fails (out of memory). */
void *h5_memory_image(hid_t f, size_t *size);

/* Bob Jenkins' lookup3 hash, which HDF5 uses for its metadata checksums. */
uint32_t h5_checksum(const void *data, size_t length);

/* The superblock version of `path` (signature at offset 0, 512, 1024, ...),
 * -1 when it is not an HDF5 file, -2 when it cannot be opened. */
int h5_superblock_version(const char *path);

/* Opens `path` read-only after checking that it is an HDF5 file in the
 * checksummed format; otherwise a message naming the file and how to convert
 * it. `what` names the expected content ("dataset file", "checkpoint"). */
hid_t h5_open_checked(const char *path, const char *what, error_info *err);

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

/* An integer (N, L) array `name` of an open file, as event windows: rank 2,
 * integer type, N and L at least 1 and of a sane size, checked against the
 * file and memory (h5_check_extent), then read into `out`. 0 or -1 with a
 * message naming the file and array. */
int h5_read_window_array(hid_t f, const char *name, const char *path, window_set *out, error_info *err);

/* Variable-length strings of dataset `name`: refuses (with a message) when
 * the heap they live in is damaged in a way libhdf5 would not survive. */
int h5_check_vlen_heaps(hid_t f, const char *name, const char *path, error_info *err);

#endif
