/* Reading and writing the dataset .h5 file (see dataset_h5.h). Every read is
 * validated: a foreign or damaged file gets a message naming what is wrong. */
#include "dataset_h5.h"
#include "atomic_file.h"
#include "h5_probe.h"
#include "h5_util.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_is_hdf5(const char *path) { return h5_superblock_version(path) >= 0; }

void vocabulary_free(vocabulary *v) {
    for (int i = 0; i < v->size; i++) free(v->names ? v->names[i] : NULL);
    free(v->names);
    free(v->counts);
    memset(v, 0, sizeof *v);
}

void vocabulary_numeric(vocabulary *v, int size) {
    v->size = size;
    v->names = xcalloc((size_t)size + 1, sizeof(char *));
    v->counts = xcalloc((size_t)size + 1, sizeof(int64_t));
    for (int i = 0; i < size; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", i + 1);
        v->names[i] = xstrdup(name);
    }
}

void dataset_free(dataset *ds) {
    window_set_free(&ds->training);
    window_set_free(&ds->testing);
    vocabulary_free(&ds->vocab);
    for (int i = 0; i < ds->source_count; i++) free(ds->sources[i]);
    free(ds->sources);
    free(ds->command_line);
    memset(ds, 0, sizeof *ds);
}

static int write_string_attr(hid_t obj, const char *name, const char *value) {
    return H5LTset_attribute_string(obj, ".", name, value ? value : "") < 0 ? -1 : 0;
}

static int write_strings(hid_t file, const char *path, char *const *strings, int n) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(file, path, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 ? -1 : (n == 0 ? 0 : (H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) < 0 ? -1 : 0));
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

int vocabulary_h5_write(hid_t f, const vocabulary *v) {
    if (write_strings(f, "vocab/names", v->names, v->size)) return -1;
    hsize_t dims[1] = {(hsize_t)v->size};
    return H5LTmake_dataset(f, "vocab/counts", 1, dims, H5T_NATIVE_INT64, v->counts) < 0 ? -1 : 0;
}

static int write_windows(hid_t file, const char *name, const window_set *ws) {
    hsize_t dims[2] = {(hsize_t)ws->count, (hsize_t)ws->length};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (ws->count > 0) {
        hsize_t chunk[2] = {ws->count < 256 ? (hsize_t)ws->count : 256, (hsize_t)ws->length};
        H5Pset_chunk(dcpl, 2, chunk);
        H5Pset_deflate(dcpl, 6);
    }
    hid_t d = H5Dcreate2(file, name, H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d < 0 ? -1 : (ws->count == 0 ? 0 : (H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ws->ids) < 0 ? -1 : 0));
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    return rc;
}

/* The file is built in memory (HDF5's core driver, no backing store) and
 * then written with ordinary stdio through atomic_file: when the disk is full
 * the write fails with a clear errno and nothing is left behind, whereas a
 * failed H5Fclose on a real file leaves libhdf5 holding a half-closed file
 * that crashes the process in HDF5's exit handler. */
int dataset_h5_write(const char *path, const dataset *ds, error_info *err) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = h5_fapl_checksummed();
    H5Pset_fapl_core(fapl, (size_t)1 << 20, 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0) return error_set(err, "%s: cannot create the HDF5 file in memory", path);
    int rc = 0;
    rc |= write_windows(f, "training", &ds->training);
    rc |= write_windows(f, "testing", &ds->testing);
    if (!rc) rc = vocabulary_h5_write(f, &ds->vocab);
    rc |= write_strings(f, "provenance/sources", ds->sources, ds->source_count);
    rc |= write_string_attr(f, "format", DATASET_FORMAT_NAME);
    int version = DATASET_FORMAT_VERSION;
    rc |= H5LTset_attribute_int(f, ".", "format_version", &version, 1) < 0;
    rc |= write_string_attr(f, "name", ds->name);
    rc |= H5LTset_attribute_int(f, ".", "length", &ds->length, 1) < 0;
    rc |= H5LTset_attribute_int(f, ".", "stride", &ds->stride, 1) < 0;
    rc |= write_string_attr(f, "events", ds->events);
    rc |= write_string_attr(f, "split", ds->split);
    rc |= write_string_attr(f, "command_line", ds->command_line);
    size_t size = 0;
    void *image = rc ? NULL : h5_memory_image(f, &size);
    H5Fclose(f);
    if (!image) return error_set(err, "%s: building the HDF5 file failed (out of memory?)", path);
    atomic_file af;
    if (atomic_file_open(&af, path, err)) {
        free(image);
        return -1;
    }
    fwrite(image, 1, (size_t)size, af.f);
    free(image);
    return atomic_file_commit(&af, err);
}

static int read_string_attr(hid_t f, const char *name, char *out, size_t size) {
    return h5_read_string_attr(f, name, out, size);
}

static int read_windows(hid_t f, const char *name, int length, window_set *ws, const char *path, error_info *err) {
    int rank;
    if (H5LTget_dataset_ndims(f, name, &rank) < 0 || rank != 2)
        return error_set(err, "%s: dataset '/%s' missing or not 2-dimensional (N, L)", path, name);
    hsize_t dims[2];
    H5T_class_t cls;
    size_t tsize;
    if (H5LTget_dataset_info(f, name, dims, &cls, &tsize) < 0)
        return error_set(err, "%s: cannot read the shape of '/%s' (corrupted file?)", path, name);
    if (cls != H5T_INTEGER) return error_set(err, "%s: '/%s' must hold integers", path, name);
    /* Compare as hsize_t: a cast to int would let 2^32 + L pass as L. */
    if (dims[1] != (hsize_t)length)
        return error_set(err, "%s: '/%s' has windows of %llu events but the file says length %d", path, name,
                         (unsigned long long)dims[1], length);
    if (dims[0] > ((hsize_t)1 << 40) / dims[1])
        return error_set(err, "%s: '/%s' declares %llu windows: corrupted file?", path, name, (unsigned long long)dims[0]);
    if (h5_check_extent(f, name, (uint64_t)dims[0] * dims[1], sizeof(int32_t), path, err)) return -1;
    window_set_init(ws, (int64_t)dims[0], length);
    if (dims[0] > 0 && H5LTread_dataset(f, name, H5T_NATIVE_INT32, ws->ids) < 0) {
        window_set_free(ws);
        return error_set(err, "%s: cannot read '/%s' (corrupted file?)", path, name);
    }
    return 0;
}

static int read_strings(hid_t f, const char *name, char ***out, int *n, const char *path, error_info *err) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return error_set(err, "%s: dataset '/%s' missing", path, name);
    hid_t space = H5Dget_space(d);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    /* Each value is a reference into the file's heap: the extent must be
     * backed by the file before an array of that many pointers is made. */
    if (count < 0 || count > INT32_MAX ||
        h5_check_extent(f, name, (uint64_t)(count > 0 ? count : 0), 2 * sizeof(char *), path, err) ||
        h5_check_vlen_heaps(f, name, path, err)) {
        H5Sclose(space);
        H5Dclose(d);
        if (count < 0 || count > INT32_MAX) return error_set(err, "%s: '/%s' has an invalid size", path, name);
        return -1;
    }
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    /* HDF5 converts no vlen strings between character sets: read in the file's. */
    hid_t file_type = H5Dget_type(d);
    H5Tset_cset(type, H5Tget_cset(file_type));
    H5Tclose(file_type);
    char **s = xcalloc((size_t)(count > 0 ? count : 1), sizeof(char *));
    int rc = 0;
    if (count > 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0) rc = -1;
    char **copy = xcalloc((size_t)(count > 0 ? count : 1), sizeof(char *));
    for (hssize_t i = 0; i < count && !rc; i++) copy[i] = xstrdup(s[i] ? s[i] : "");
    if (!rc && count > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, s);
    free(s);
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(d);
    if (rc) {
        free(copy);
        return error_set(err, "%s: cannot read '/%s' as strings", path, name);
    }
    *out = copy;
    *n = (int)count;
    return 0;
}

static int read_dataset_file(const char *path, dataset *ds, error_info *err) {
    memset(ds, 0, sizeof *ds);
    hid_t f = h5_open_checked(path, "dataset file", err);
    if (f < 0) return -1;
    char format[64] = "";
    int version = 0;
    if (read_string_attr(f, "format", format, sizeof format) || strcmp(format, DATASET_FORMAT_NAME) != 0) {
        H5Fclose(f);
        return error_set(err, "%s: not a dataset file (attribute 'format' is not '%s'); build one with `dataset build`",
                         path, DATASET_FORMAT_NAME);
    }
    if (h5_read_int_attr(f, "format_version", &version) < 0 || version != DATASET_FORMAT_VERSION) {
        H5Fclose(f);
        return error_set(err, "%s: dataset format version %d, this program reads version %d; rebuild it with `dataset build`",
                         path, version, DATASET_FORMAT_VERSION);
    }
    if (h5_read_int_attr(f, "length", &ds->length) < 0 || ds->length <= 0) {
        H5Fclose(f);
        return error_set(err, "%s: missing or invalid 'length' attribute", path);
    }
    if (h5_read_int_attr(f, "stride", &ds->stride) < 0 || ds->stride < 0) ds->stride = 0;
    read_string_attr(f, "name", ds->name, sizeof ds->name);
    read_string_attr(f, "events", ds->events, sizeof ds->events);
    read_string_attr(f, "split", ds->split, sizeof ds->split);
    char cmd[8192] = "";
    if (!read_string_attr(f, "command_line", cmd, sizeof cmd)) ds->command_line = xstrdup(cmd);
    int rc = read_windows(f, "training", ds->length, &ds->training, path, err);
    if (!rc) rc = read_windows(f, "testing", ds->length, &ds->testing, path, err);
    if (!rc) rc = vocabulary_h5_read(f, &ds->vocab, path, err);
    if (!rc && H5Lexists(f, "provenance", H5P_DEFAULT) > 0)
        rc = read_strings(f, "provenance/sources", &ds->sources, &ds->source_count, path, err);
    H5Fclose(f);
    if (rc) {
        dataset_free(ds);
        return -1;
    }
    /* IDs must lie in 1..V: anything else would silently corrupt training. */
    const window_set *sets[2] = {&ds->training, &ds->testing};
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < sets[s]->count * sets[s]->length; i++) {
            int32_t id = sets[s]->ids[i];
            if (id < 1 || id > ds->vocab.size) {
                int64_t w = i / ds->length;
                rc = error_set(err, "%s: /%s window %lld position %lld holds ID %d outside the vocabulary 1..%d", path,
                               s ? "testing" : "training", (long long)w, (long long)(i % ds->length), id, ds->vocab.size);
                dataset_free(ds);
                return rc;
            }
        }
    return 0;
}

int dataset_h5_trial_read(const char *path) {
    dataset ds;
    error_info err;
    if (read_dataset_file(path, &ds, &err)) return -1;
    dataset_free(&ds);
    return 0;
}

int vocabulary_h5_read(hid_t f, vocabulary *v, const char *path, error_info *err) {
    memset(v, 0, sizeof *v);
    if (read_strings(f, "vocab/names", &v->names, &v->size, path, err)) return -1;
    v->counts = xcalloc((size_t)(v->size ? v->size : 1), sizeof(int64_t));
    hsize_t dims[1];
    H5T_class_t cls;
    size_t ts;
    int rank = 0;
    /* The rank first: H5LTget_dataset_info writes one size per dimension. */
    if (H5LTget_dataset_ndims(f, "vocab/counts", &rank) < 0 || rank != 1 ||
        H5LTget_dataset_info(f, "vocab/counts", dims, &cls, &ts) < 0 || cls != H5T_INTEGER ||
        dims[0] != (hsize_t)v->size || h5_check_extent(f, "vocab/counts", dims[0], sizeof(int64_t), path, err) ||
        (v->size > 0 && H5LTread_dataset(f, "vocab/counts", H5T_NATIVE_INT64, v->counts) < 0)) {
        int size = v->size;
        vocabulary_free(v);
        return error_set(err, "%s: '/vocab/counts' missing or not of the vocabulary's size %d", path, size);
    }
    return 0;
}

int dataset_h5_read(const char *path, dataset *ds, error_info *err) {
    memset(ds, 0, sizeof *ds);
    if (h5_probe(path, "dataset file", "dataset", err)) return -1;
    return read_dataset_file(path, ds, err);
}
