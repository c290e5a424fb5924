/* Checkpoints in HDF5 (see checkpoint.h). Layout, format version 1:
 *   /<state_dict key with '.' -> '/'>   float32, PyTorch shape: every parameter and frozen buffer
 *   /optimizer/m/<name>, /optimizer/v/<name>   float32, Adam moments of each trainable tensor
 *                                       (same names and shapes as the tensor, so h5py users see them
 *                                       side by side; present only when saved with the optimizer)
 *   /optimizer/weights/<name>           float32, the trained weights of each trainable tensor when
 *                                       the tensors above hold their moving average (train --ema);
 *                                       training resumes from them
 *   /vocab/names (strings), /vocab/counts (int64)   when the vocabulary is known
 *   root attributes: format, format_version, config (JSON), config_<field> for every sssd_config
 *   field, step, seed, rng_offset, best_metric, best_step, task, extra_json, and the dataset's
 *   facts: dataset (its source), dataset_events, dataset_vocab_size (the last two absent in
 *   files written before they were recorded; they then read as unknown).
 * Loading validates every name, shape and type and lists what does not match. */
#include "checkpoint.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "h5_probe.h"
#include "h5_trial.h"
#include "h5_util.h"
#include "json_out.h"
#include "memory.h"
#include "sssd_internal.h"

#ifdef SSSD_REAL_DOUBLE
#define H5T_NATIVE_REAL H5T_NATIVE_DOUBLE
#else
#define H5T_NATIVE_REAL H5T_NATIVE_FLOAT
#endif

/* seed and rng_offset are 64-bit and travel through H5LT's unsigned long calls. */
_Static_assert(sizeof(unsigned long) == 8, "this code assumes an LP64 platform (64-bit unsigned long)");

void checkpoint_meta_init(checkpoint_meta *meta) {
    memset(meta, 0, sizeof *meta);
    snprintf(meta->events, sizeof meta->events, "unknown");
    meta->best_metric = 1e300;
    meta->best_step = -1;
}

void checkpoint_meta_free(checkpoint_meta *meta) {
    vocabulary_free(&meta->vocab);
}

/* ---------------- writing ---------------- */

static int set_string_attr(hid_t f, const char *name, const char *value) {
    return H5LTset_attribute_string(f, ".", name, value ? value : "") < 0 ? -1 : 0;
}

static int write_tensor(hid_t f, const char *path, const sssd_tensor_info *t, const real_t *data) {
    hsize_t dims[4];
    for (int i = 0; i < t->ndim; i++) dims[i] = (hsize_t)t->shape[i];
    hid_t space = H5Screate_simple(t->ndim, dims, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(f, path, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, H5T_NATIVE_REAL, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
    if (d >= 0) H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(space);
    return rc;
}

/* The configuration as one line of JSON, for people reading the file with
 * h5dump or h5py (the loader reads the config_<field> attributes). */
static char *config_json(const sssd_config *cfg) {
    int n;
    const sssd_config_field *fields = sssd_config_fields(&n);
    json_t *j = json_object();
    for (int i = 0; j && i < n; i++)
        if (json_object_set_new(j, fields[i].name, json_number_of(sssd_config_get(cfg, &fields[i]))))
            die("out of memory writing the configuration");
    if (!j) die("out of memory writing the configuration");
    char *text = json_text(j, JSON_OUT_ONE_LINE(17), "the configuration");
    json_decref(j);
    return text;
}

static int write_attributes(hid_t f, const sssd_config *cfg, const checkpoint_meta *meta) {
    int rc = 0;
    rc |= set_string_attr(f, "format", CHECKPOINT_FORMAT_NAME);
    int version = CHECKPOINT_FORMAT_VERSION;
    rc |= H5LTset_attribute_int(f, ".", "format_version", &version, 1) < 0;
    char *json = config_json(cfg);
    rc |= set_string_attr(f, "config", json);
    free(json);
    int n;
    const sssd_config_field *fields = sssd_config_fields(&n);
    for (int i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "config_%s", fields[i].name);
        const char *p = (const char *)cfg + fields[i].offset;
        if (fields[i].is_real) rc |= H5LTset_attribute_double(f, ".", name, (const double *)p, 1) < 0;
        else rc |= H5LTset_attribute_int(f, ".", name, (const int *)p, 1) < 0;
    }
    long long step = meta->step, best_step = meta->best_step;
    unsigned long seed = (unsigned long)meta->seed, rng = (unsigned long)meta->rng_offset;
    rc |= H5LTset_attribute_long_long(f, ".", "step", &step, 1) < 0;
    rc |= H5LTset_attribute_ulong(f, ".", "seed", &seed, 1) < 0;
    rc |= H5LTset_attribute_ulong(f, ".", "rng_offset", &rng, 1) < 0;
    rc |= H5LTset_attribute_double(f, ".", "best_metric", &meta->best_metric, 1) < 0;
    rc |= H5LTset_attribute_long_long(f, ".", "best_step", &best_step, 1) < 0;
    rc |= set_string_attr(f, "dataset", meta->dataset);
    rc |= set_string_attr(f, "dataset_events", meta->events[0] ? meta->events : "unknown");
    int vocab_size = meta->vocab_size > 0 ? meta->vocab_size : meta->vocab.size;
    rc |= H5LTset_attribute_int(f, ".", "dataset_vocab_size", &vocab_size, 1) < 0;
    rc |= set_string_attr(f, "task", meta->task);
    rc |= set_string_attr(f, "extra_json", meta->extra_json);
    return rc;
}

/* The file is built in memory (HDF5's core driver, no backing store) and
 * written with ordinary stdio through atomic_file, as dataset_h5_write does:
 * on a full disk the write fails with a clear errno and the temporary is
 * removed, whereas a failed H5Fclose on a real file leaves libhdf5 holding a
 * half-closed file that crashes the process in HDF5's exit handler. */
int checkpoint_save(const char *path, sssd_model *m, const checkpoint_meta *meta, int with_optimizer,
                    error_info *err) {
    return checkpoint_save_averaged(path, m, meta, with_optimizer, NULL, err);
}

int checkpoint_save_averaged(const char *path, sssd_model *m, const checkpoint_meta *meta, int with_optimizer,
                             const real_t *average, error_info *err) {
    checkpoint_meta empty;
    if (!meta) {
        checkpoint_meta_init(&empty);
        meta = &empty;
    }
    /* Opened first: an unwritable directory fails before any work is done. */
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    backend *be = sssd_model_backend(m);
    long long np = sssd_model_num_params(m), nb = sssd_model_num_buffers(m);
    real_t *hp = xmalloc((size_t)(np ? np : 1) * sizeof(real_t));
    real_t *hb = xmalloc((size_t)(nb ? nb : 1) * sizeof(real_t));
    real_t *hm = NULL, *hv = NULL, *hw = NULL;
    be->ops->download(be, hp, average ? average : sssd_model_params(m), (size_t)np * sizeof(real_t));
    be->ops->download(be, hb, sssd_model_buffers(m), (size_t)nb * sizeof(real_t));
    if (with_optimizer && average) {
        hw = xmalloc((size_t)(np ? np : 1) * sizeof(real_t));
        be->ops->download(be, hw, sssd_model_params(m), (size_t)np * sizeof(real_t));
    }
    if (with_optimizer) {
        hm = xmalloc((size_t)(np ? np : 1) * sizeof(real_t));
        hv = xmalloc((size_t)(np ? np : 1) * sizeof(real_t));
        be->ops->download(be, hm, sssd_model_adam_m(m), (size_t)np * sizeof(real_t));
        be->ops->download(be, hv, sssd_model_adam_v(m), (size_t)np * sizeof(real_t));
    }
    /* Grow the in-memory file in one step of about its final size (float32
     * tensors plus room for metadata and the vocabulary), not in many. */
    size_t increment = (size_t)(np * (with_optimizer ? (hw ? 4 : 3) : 1) + nb) * 4 + ((size_t)1 << 20);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = h5_fapl_checksummed();
    H5Pset_fapl_core(fapl, increment, 0);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    int rc = 0;
    if (f < 0) rc = error_set(err, "%s: cannot create the checkpoint in memory (out of memory?)", path);
    for (int i = 0; !rc && i < sssd_model_tensor_count(m); i++) {
        const sssd_tensor_info *t = sssd_model_tensor(m, i);
        const real_t *src = (t->trainable ? hp : hb) + t->offset;
        if (write_tensor(f, t->name, t, src)) rc = error_set(err, "%s: writing tensor %s failed (out of memory?)", path, t->name);
        if (!rc && with_optimizer && t->trainable) {
            char name[256];
            snprintf(name, sizeof name, "optimizer/m/%s", t->name);
            if (write_tensor(f, name, t, hm + t->offset)) rc = error_set(err, "%s: writing %s failed (out of memory?)", path, name);
            snprintf(name, sizeof name, "optimizer/v/%s", t->name);
            if (!rc && write_tensor(f, name, t, hv + t->offset))
                rc = error_set(err, "%s: writing %s failed (out of memory?)", path, name);
            snprintf(name, sizeof name, "optimizer/weights/%s", t->name);
            if (!rc && hw && write_tensor(f, name, t, hw + t->offset))
                rc = error_set(err, "%s: writing %s failed (out of memory?)", path, name);
        }
    }
    if (!rc && meta->vocab.size > 0 && vocabulary_h5_write(f, &meta->vocab))
        rc = error_set(err, "%s: writing the vocabulary failed", path);
    if (!rc && write_attributes(f, sssd_model_config(m), meta))
        rc = error_set(err, "%s: writing the checkpoint attributes failed", path);
    free(hp);
    free(hb);
    free(hm);
    free(hv);
    free(hw);
    size_t size = 0;
    void *image = rc ? NULL : h5_memory_image(f, &size);
    if (!rc && !image) rc = error_set(err, "%s: taking the image of the checkpoint failed (out of memory?)", path);
    if (f >= 0) H5Fclose(f);
    if (rc) {
        free(image);
        atomic_file_abort(&af);
        return -1;
    }
    fwrite(image, 1, (size_t)size, af.f); /* a short write sets the stream's error flag; commit reports it */
    free(image);
    return atomic_file_commit(&af, err);
}

/* ---------------- reading ---------------- */

/* A string attribute of the root, fixed-length (as HDF5's H5LT writes them)
 * or variable-length (as h5py writes Python str); one value only, so an
 * array attribute cannot overrun `out`. `out` is empty when it fails. */
static int read_string_attr(hid_t f, const char *name, char *out, size_t size) {
    out[0] = 0;
    return h5_read_string_attr(f, name, out, size);
}

/* A numeric attribute of the root holding exactly one value (H5LT's readers
 * would copy every element of an array attribute into `out`), converted to
 * `mem_type`. */
static int read_number_attr(hid_t f, const char *name, hid_t mem_type, void *out) {
    if (H5Aexists(f, name) <= 0) return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t space = H5Aget_space(a), type = H5Aget_type(a);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int rc = n == 1 && (cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Aread(a, mem_type, out) >= 0 ? 0 : -1;
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Aclose(a);
    return rc;
}

/* Opens `path` and checks it is a checkpoint of a version this program reads. */
static hid_t open_checkpoint(const char *path, error_info *err) {
    if (h5_superblock_version(path) == -1) {
        error_set(err, "%s: not an HDF5 file, so not a checkpoint (PyTorch .pkl/.pt files must be converted; see model/FORWARD.md)", path);
        return -1;
    }
    hid_t f = h5_open_checked(path, "checkpoint", err);
    if (f < 0) return -1;
    char format[128];
    if (read_string_attr(f, "format", format, sizeof format) || strcmp(format, CHECKPOINT_FORMAT_NAME) != 0) {
        if (!strcmp(format, "sssd-traces-dataset"))
            error_set(err, "%s: this is a dataset file, not a checkpoint", path);
        else
            error_set(err, "%s: an HDF5 file but not a checkpoint of this project (root attribute 'format' is %s%s%s, expected '%s')",
                      path, format[0] ? "'" : "", format[0] ? format : "missing", format[0] ? "'" : "", CHECKPOINT_FORMAT_NAME);
        H5Fclose(f);
        return -1;
    }
    int version = -1;
    if (read_number_attr(f, "format_version", H5T_NATIVE_INT, &version) < 0) {
        error_set(err, "%s: checkpoint without a 'format_version' attribute (damaged?)", path);
        H5Fclose(f);
        return -1;
    }
    if (version != CHECKPOINT_FORMAT_VERSION) {
        error_set(err, "%s: unknown checkpoint format version %d (this program reads version %d); rebuild it or convert it with a matching version of the tools",
                  path, version, CHECKPOINT_FORMAT_VERSION);
        H5Fclose(f);
        return -1;
    }
    return f;
}

static int read_config(hid_t f, const char *path, sssd_config *cfg, error_info *err) {
    sssd_config_default(cfg);
    int n;
    const sssd_config_field *fields = sssd_config_fields(&n);
    for (int i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "config_%s", fields[i].name);
        char *p = (char *)cfg + fields[i].offset;
        if (fields[i].optional && H5Aexists(f, name) == 0) continue;
        if (read_number_attr(f, name, fields[i].is_real ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT, p) < 0)
            return error_set(err, "%s: configuration attribute '%s' missing or unreadable", path, name);
    }
    error_info why;
    if (sssd_config_validate(cfg, &why)) return error_set(err, "%s: invalid configuration: %s", path, why.message);
    return 0;
}

static int read_meta(hid_t f, const char *path, const sssd_config *cfg, checkpoint_meta *meta, error_info *err);

int checkpoint_read_config(const char *path, sssd_config *cfg, error_info *err) {
    return checkpoint_read_config_meta(path, cfg, NULL, err);
}

int checkpoint_read_config_meta(const char *path, sssd_config *cfg, checkpoint_meta *meta, error_info *err) {
    if (h5_probe(path, "checkpoint", "checkpoint", err)) return -1;
    hid_t f = open_checkpoint(path, err);
    if (f < 0) return -1;
    int rc = read_config(f, path, cfg, err);
    if (meta) checkpoint_meta_init(meta);
    if (!rc && meta) rc = read_meta(f, path, cfg, meta, err);
    H5Fclose(f);
    return rc;
}

static void append_problem(char *buf, size_t size, int *count, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append_problem(char *buf, size_t size, int *count, const char *fmt, ...) {
    size_t n = strlen(buf);
    if (*count < 8 && n + 4 < size) {
        if (*count) n += (size_t)snprintf(buf + n, size - n, "; ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
    }
    (*count)++;
}

static void format_shape(char *out, size_t size, int ndim, const hsize_t *dims) {
    size_t n = (size_t)snprintf(out, size, "(");
    for (int i = 0; i < ndim && n < size; i++) n += (size_t)snprintf(out + n, size - n, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    if (n < size) snprintf(out + n, size - n, ndim == 1 ? ",)" : ")");
}

static const char *type_name(hid_t type) {
    H5T_class_t cls = H5Tget_class(type);
    size_t size = H5Tget_size(type);
    if (cls == H5T_FLOAT) return size == 8 ? "float64" : size == 2 ? "float16" : size == 4 ? "float32" : "float";
    if (cls == H5T_INTEGER) return size == 8 ? "int64" : size == 4 ? "int32" : size == 2 ? "int16" : "int8";
    if (cls == H5T_STRING) return "string";
    return "non-numeric";
}

/* Does the path exist? Checked component by component: H5Lexists on a path
 * with a missing intermediate group is an error in some HDF5 versions. */
static int path_exists(hid_t f, const char *path) {
    char prefix[512];
    size_t n = strlen(path);
    if (n >= sizeof prefix) return 0;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        memcpy(prefix, path, i);
        prefix[i] = 0;
        if (i > 0 && H5Lexists(f, prefix, H5P_DEFAULT) <= 0) return 0;
    }
    return 1;
}

/* Checks and reads one tensor; problems are appended to `problems`. */
static void load_tensor(hid_t f, const char *name, const sssd_tensor_info *t, real_t *dst, char *problems,
                        size_t psize, int *count) {
    if (!path_exists(f, name)) {
        append_problem(problems, psize, count, "missing tensor %s", name);
        return;
    }
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) {
        append_problem(problems, psize, count, "%s is not a dataset", name);
        return;
    }
    hid_t type = H5Dget_type(d), space = H5Dget_space(d);
    int ndim = H5Sget_simple_extent_ndims(space);
    hsize_t dims[8] = {0};
    if (ndim >= 0 && ndim <= 8) H5Sget_simple_extent_dims(space, dims, NULL);
    int shape_ok = ndim == t->ndim;
    for (int i = 0; shape_ok && i < ndim; i++) shape_ok = dims[i] == (hsize_t)t->shape[i];
    if (H5Tget_class(type) != H5T_FLOAT || H5Tget_size(type) != 4) {
        append_problem(problems, psize, count, "%s has dtype %s, expected float32 (convert with .astype('float32'))",
                       name, type_name(type));
    } else if (!shape_ok) {
        char got[128], want[128];
        hsize_t wd[4];
        for (int i = 0; i < t->ndim; i++) wd[i] = (hsize_t)t->shape[i];
        format_shape(got, sizeof got, ndim, dims);
        format_shape(want, sizeof want, t->ndim, wd);
        append_problem(problems, psize, count, "%s has shape %s, expected %s", name, got, want);
    } else if (H5Dread(d, H5T_NATIVE_REAL, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        append_problem(problems, psize, count, "cannot read %s (file truncated or corrupted?)", name);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(d);
}

typedef struct visit_state {
    const sssd_model *m;
    char *problems;
    size_t psize;
    int *count;
} visit_state;

/* Every dataset outside /vocab and /optimizer must be a tensor of the model. */
static herr_t check_known(hid_t group, const char *name, const H5L_info_t *info, void *arg) {
    visit_state *vs = arg;
    if (!strncmp(name, "vocab", 5) || !strncmp(name, "optimizer", 9)) return 0;
    /* Opening as a dataset is the version-independent way to tell datasets from groups. */
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
    if (d < 0) return 0;
    H5Dclose(d);
    if (!sssd_model_find_tensor(vs->m, name))
        append_problem(vs->problems, vs->psize, vs->count, "unexpected tensor %s (from a different configuration or code version?)", name);
    return 0;
}

/* /vocab, when the checkpoint has one (datasets/dataset_h5.h reads it). */
static int read_vocab(hid_t f, vocabulary *v, const char *path, error_info *err) {
    memset(v, 0, sizeof *v);
    if (H5Lexists(f, "vocab", H5P_DEFAULT) <= 0) return 0;
    return vocabulary_h5_read(f, v, path, err);
}

/* The size of /vocab/counts without reading it; 0 when there is none. */
static int stored_vocab_size(hid_t f) {
    int rank = 0;
    hsize_t dims[1] = {0};
    H5T_class_t cls;
    size_t ts;
    if (H5Lexists(f, "vocab", H5P_DEFAULT) <= 0 || H5Lexists(f, "vocab/counts", H5P_DEFAULT) <= 0) return 0;
    if (H5LTget_dataset_ndims(f, "vocab/counts", &rank) < 0 || rank != 1 ||
        H5LTget_dataset_info(f, "vocab/counts", dims, &cls, &ts) < 0 || dims[0] > DATASET_MAX_VOCAB)
        return 0;
    return (int)dims[0];
}

/* The metadata attributes. Those that older files lack keep their
 * defaults; the dataset's vocabulary size falls back on the stored
 * vocabulary, then on the configuration's. Fails only on a recorded fact
 * that cannot be true. */
static int read_meta(hid_t f, const char *path, const sssd_config *cfg, checkpoint_meta *meta, error_info *err) {
    long long step = 0, best_step = -1;
    unsigned long seed = 0, rng = 0;
    (void)read_number_attr(f, "step", H5T_NATIVE_LLONG, &step);
    (void)read_number_attr(f, "best_step", H5T_NATIVE_LLONG, &best_step);
    (void)read_number_attr(f, "seed", H5T_NATIVE_ULONG, &seed);
    (void)read_number_attr(f, "rng_offset", H5T_NATIVE_ULONG, &rng);
    (void)read_number_attr(f, "best_metric", H5T_NATIVE_DOUBLE, &meta->best_metric);
    meta->step = step;
    meta->best_step = best_step;
    meta->seed = seed;
    meta->rng_offset = rng;
    read_string_attr(f, "dataset", meta->dataset, sizeof meta->dataset);
    read_string_attr(f, "task", meta->task, sizeof meta->task);
    read_string_attr(f, "extra_json", meta->extra_json, sizeof meta->extra_json);
    if (read_string_attr(f, "dataset_events", meta->events, sizeof meta->events) || !meta->events[0])
        snprintf(meta->events, sizeof meta->events, "unknown");
    int v = 0;
    if (H5Aexists(f, "dataset_vocab_size") > 0 &&
        (read_number_attr(f, "dataset_vocab_size", H5T_NATIVE_INT, &v) < 0 || v < 0 || v > DATASET_MAX_VOCAB))
        return error_set(err, "%s: attribute 'dataset_vocab_size' must be one integer in 0..%d", path,
                         DATASET_MAX_VOCAB);
    int stored = meta->vocab.size > 0 ? meta->vocab.size : stored_vocab_size(f);
    if (v > 0 && stored > 0 && v != stored)
        return error_set(err, "%s: attribute 'dataset_vocab_size' is %d but the vocabulary stored with the model has "
                              "%d events", path, v, stored);
    meta->vocab_size = v > 0 ? v : stored > 0 ? stored : cfg->vocab_size;
    return 0;
}

/* inference: build a forward-only model (sssd_model_create_inference),
 * which has no room for the optimizer's moments and does not read them. */
static sssd_model *load_checkpoint_file(const char *path, backend *be, int max_batch, int inference,
                                        checkpoint_meta *meta, error_info *err) {
    hid_t f = open_checkpoint(path, err);
    if (f < 0) return NULL;
    sssd_config cfg;
    if (read_config(f, path, &cfg, err) ||
        memory_check(path, "the model it describes",
                     inference ? sssd_config_memory_estimate_inference(&cfg, max_batch)
                               : sssd_config_memory_estimate(&cfg, max_batch),
                     err)) {
        H5Fclose(f);
        return NULL;
    }
    sssd_model *m = inference ? sssd_model_create_inference_uninitialised(&cfg, be, max_batch)
                              : sssd_model_create_uninitialised(&cfg, be, max_batch);
    long long np = sssd_model_num_params(m), nb = sssd_model_num_buffers(m);
    real_t *hp = xcalloc((size_t)(np ? np : 1), sizeof(real_t)), *hb = xcalloc((size_t)(nb ? nb : 1), sizeof(real_t));
    real_t *hm = NULL, *hv = NULL;
    int with_optimizer = !inference && H5Lexists(f, "optimizer", H5P_DEFAULT) > 0;
    if (with_optimizer) {
        hm = xcalloc((size_t)(np ? np : 1), sizeof(real_t));
        hv = xcalloc((size_t)(np ? np : 1), sizeof(real_t));
    }
    char problems[900] = "";
    int count = 0;
    for (int i = 0; i < sssd_model_tensor_count(m); i++) {
        const sssd_tensor_info *t = sssd_model_tensor(m, i);
        load_tensor(f, t->name, t, (t->trainable ? hp : hb) + t->offset, problems, sizeof problems, &count);
        if (with_optimizer && t->trainable) {
            char name[256];
            snprintf(name, sizeof name, "optimizer/m/%s", t->name);
            load_tensor(f, name, t, hm + t->offset, problems, sizeof problems, &count);
            snprintf(name, sizeof name, "optimizer/v/%s", t->name);
            load_tensor(f, name, t, hv + t->offset, problems, sizeof problems, &count);
        }
    }
    visit_state vs = {m, problems, sizeof problems, &count};
    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, check_known, &vs) < 0 && !count)
        append_problem(problems, sizeof problems, &count, "cannot list the file's contents (corrupted?)");
    checkpoint_meta local;
    checkpoint_meta *mt = meta ? meta : &local;
    checkpoint_meta_init(mt);
    int rc = 0;
    if (count) rc = error_set(err, "%s: does not match the model it describes (%d problem%s): %s%s", path, count,
                              count == 1 ? "" : "s", problems, count > 8 ? "; ..." : "");
    if (!rc) rc = read_vocab(f, &mt->vocab, path, err);
    const sssd_config *mc = sssd_model_config(m);
    if (!rc && mc->encoding != 0 && mt->vocab.size > 0 && mt->vocab.size != mc->vocab_size)
        rc = error_set(err, "%s: the model encodes %d event types but the vocabulary stored with it has %d", path,
                       mc->vocab_size, mt->vocab.size);
    if (!rc) rc = read_meta(f, path, mc, mt, err);
    H5Fclose(f);
    if (!rc) {
        be->ops->upload(be, sssd_model_params(m), hp, (size_t)np * sizeof(real_t));
        be->ops->upload(be, sssd_model_buffers(m), hb, (size_t)nb * sizeof(real_t));
        if (with_optimizer) {
            be->ops->upload(be, sssd_model_adam_m(m), hm, (size_t)np * sizeof(real_t));
            be->ops->upload(be, sssd_model_adam_v(m), hv, (size_t)np * sizeof(real_t));
        }
        sssd_model_parameters_changed(m);
    }
    free(hp);
    free(hb);
    free(hm);
    free(hv);
    if (!meta) checkpoint_meta_free(&local);
    if (rc) {
        if (meta) checkpoint_meta_free(meta);
        sssd_model_free(m);
        return NULL;
    }
    return m;
}

/* The trial read (io/h5_probe.h): everything the loader reads
 * (configuration, vocabulary, metadata, then every numeric dataset, as
 * tensors are read) without building a model, which needs no backend. */
int checkpoint_trial_read(const char *path) {
    error_info err;
    hid_t f = open_checkpoint(path, &err);
    if (f < 0) return -1;
    sssd_config cfg;
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    int bad = read_config(f, path, &cfg, &err) || read_vocab(f, &meta.vocab, path, &err) ||
              read_meta(f, path, &cfg, &meta, &err);
    H5Fclose(f);
    checkpoint_meta_free(&meta);
    return bad ? -1 : h5_trial_read_arrays(path);
}

sssd_model *checkpoint_load(const char *path, backend *be, int max_batch, checkpoint_meta *meta, error_info *err) {
    if (h5_probe(path, "checkpoint", "checkpoint", err)) return NULL;
    return load_checkpoint_file(path, be, max_batch, 0, meta, err);
}

sssd_model *checkpoint_load_inference(const char *path, backend *be, int max_batch, checkpoint_meta *meta,
                                      error_info *err) {
    if (h5_probe(path, "checkpoint", "checkpoint", err)) return NULL;
    return load_checkpoint_file(path, be, max_batch, 1, meta, err);
}

int checkpoint_load_trained_weights(const char *path, sssd_model *m, real_t *dst, error_info *err) {
    hid_t f = open_checkpoint(path, err);
    if (f < 0) return -1;
    if (!path_exists(f, "optimizer/weights")) {
        H5Fclose(f);
        return 0;
    }
    long long np = sssd_model_num_params(m);
    real_t *hw = xcalloc((size_t)(np ? np : 1), sizeof(real_t));
    char problems[900] = "";
    int count = 0;
    for (int i = 0; i < sssd_model_tensor_count(m); i++) {
        const sssd_tensor_info *t = sssd_model_tensor(m, i);
        if (!t->trainable) continue;
        char name[256];
        snprintf(name, sizeof name, "optimizer/weights/%s", t->name);
        load_tensor(f, name, t, hw + t->offset, problems, sizeof problems, &count);
    }
    H5Fclose(f);
    int rc = 1;
    if (count) rc = error_set(err, "%s: the trained weights do not match the model (%d problem%s): %s%s", path, count,
                              count == 1 ? "" : "s", problems, count > 8 ? "; ..." : "");
    else {
        backend *be = sssd_model_backend(m);
        be->ops->upload(be, dst, hw, (size_t)np * sizeof(real_t));
    }
    free(hw);
    return rc;
}
