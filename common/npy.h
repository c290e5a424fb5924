/* The project's own reader and writer for NumPy .npy files (format 1.0-3.0),
 * so that no Python is needed to read the paper's data. */
#ifndef SSSD_COMMON_NPY_H
#define SSSD_COMMON_NPY_H

#include <stdint.h>
#include "error.h"

#define NPY_MAX_DIMS 8

typedef enum npy_dtype {
    NPY_INT8, NPY_UINT8, NPY_INT16, NPY_INT32, NPY_INT64, NPY_FLOAT32, NPY_FLOAT64
} npy_dtype;

typedef struct npy_array {
    npy_dtype dtype;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    int64_t count;   /* product of shape */
    double *values;  /* every element converted to double, C order */
} npy_array;

/* Read any supported .npy (little or big endian, C or Fortran order) into
 * doubles in C order. Errors name the file and what is wrong. */
int npy_read(const char *path, npy_array *out, error_info *err);
void npy_free(npy_array *a);

/* Write C-order arrays (atomically: temporary file then rename). */
int npy_write_int32(const char *path, const int32_t *data, int ndim, const int64_t *shape, error_info *err);
int npy_write_float32(const char *path, const float *data, int ndim, const int64_t *shape, error_info *err);

#endif
