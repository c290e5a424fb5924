/* Output formats of `generate` (see gen_output.h). */
#include "gen_output.h"

#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "gen_strace.h"
#include "h5_probe.h"
#include "h5_util.h"

int gen_format_parse(const char *name, gen_format *out) {
    if (!strcmp(name, "text")) *out = GEN_TEXT;
    else if (!strcmp(name, "npy")) *out = GEN_NPY;
    else if (!strcmp(name, "h5")) *out = GEN_H5;
    else if (!strcmp(name, "names")) *out = GEN_NAMES;
    else if (!strcmp(name, "strace")) *out = GEN_STRACE;
    else return -1;
    return 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

gen_format gen_format_from_path(const char *path) {
    if (ends_with(path, ".npy")) return GEN_NPY;
    if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return GEN_H5;
    if (ends_with(path, ".names")) return GEN_NAMES;
    if (ends_with(path, ".strace")) return GEN_STRACE;
    return GEN_TEXT;
}

static int write_mask_text(const char *path, const gen_result *r, error_info *err) {
    window_set m;
    window_set_init(&m, r->windows.count, r->windows.length);
    for (int64_t i = 0; i < r->windows.count * r->windows.length; i++) m.ids[i] = r->observed[i] ? 1 : 0;
    int rc = windows_write_text(path, &m, err);
    window_set_free(&m);
    return rc;
}

static int write_confidence_text(const char *path, const gen_result *r, error_info *err) {
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    int L = r->windows.length;
    for (int64_t w = 0; w < r->windows.count; w++) {
        for (int l = 0; l < L; l++) fprintf(af.f, "%s%.3f", l ? "," : "", r->confidence[w * L + l]);
        if (w + 1 < r->windows.count) fputc('\n', af.f);
    }
    return atomic_file_commit(&af, err);
}

static int write_names(const char *path, const gen_result *r, error_info *err) {
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    int L = r->windows.length;
    for (int64_t w = 0; w < r->windows.count; w++) {
        for (int l = 0; l < L; l++) {
            int32_t id = r->windows.ids[w * L + l];
            if (l) fputc(' ', af.f);
            if (r->vocab && id >= 1 && id <= r->vocab->size && r->vocab->names && r->vocab->names[id - 1])
                fputs(r->vocab->names[id - 1], af.f);
            else fprintf(af.f, "?%d", id); /* outside the vocabulary (--no-clamp) */
        }
        fputc('\n', af.f);
    }
    return atomic_file_commit(&af, err);
}

static int write_h5(const char *path, const gen_result *r, error_info *err) {
    char tmp[4200];
    if (atomic_tmp_name(path, tmp, sizeof tmp, err)) return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    errno = 0;
    hid_t f = h5_create_checksummed(tmp);
    if (f < 0) return error_set(err, "%s: cannot create (%s)", path, errno ? strerror(errno) : "HDF5 error");
    hsize_t dims[2] = {(hsize_t)r->windows.count, (hsize_t)r->windows.length};
    size_t n = (size_t)r->windows.count * (size_t)r->windows.length;
    int32_t *mask = xmalloc(sizeof(int32_t) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) mask[i] = r->observed[i] ? 1 : 0;
    int bad = H5LTmake_dataset(f, "windows", 2, dims, H5T_NATIVE_INT32, r->windows.ids) < 0 ||
              H5LTmake_dataset(f, "mask", 2, dims, H5T_NATIVE_INT32, mask) < 0 ||
              H5LTset_attribute_string(f, "/", "format", "sssd-traces-generated") < 0 ||
              H5LTset_attribute_string(f, "/mask", "meaning", "1 = observed, 0 = generated") < 0 ||
              (r->provenance && H5LTset_attribute_string(f, "/", "provenance", r->provenance) < 0) ||
              (r->confidence && H5LTmake_dataset(f, "confidence", 2, dims, H5T_NATIVE_FLOAT, r->confidence) < 0);
    free(mask);
    int why = bad ? errno : 0;
    if (H5Fclose(f) < 0) {
        if (!bad) why = errno;
        bad = 1;
    }
    if (bad) {
        remove(tmp);
        return error_set(err, "%s: cannot write the HDF5 file (%s)", path, why ? strerror(why) : "HDF5 error; disk full?");
    }
    return atomic_publish(tmp, path, err);
}

int gen_write(const char *path, gen_format format, const gen_result *r, char *written, size_t written_size,
              error_info *err) {
    int rc = 0;
    switch (format) {
    case GEN_TEXT: rc = windows_write_text(path, &r->windows, err); break;
    case GEN_NPY: rc = windows_write_npy(path, &r->windows, err); break;
    case GEN_NAMES: rc = write_names(path, r, err); break;
    case GEN_H5: rc = write_h5(path, r, err); break;
    case GEN_STRACE: rc = gen_write_strace(path, &r->windows, r->vocab, r->events, r->provenance, err); break;
    }
    if (rc) return -1;
    snprintf(written, written_size, "%s", path);
    if (format == GEN_H5) return 0; /* mask and confidence are inside */
    char side[4200];
    snprintf(side, sizeof side, "%s.mask", path);
    if (write_mask_text(side, r, err)) return -1;
    size_t used = strlen(written);
    snprintf(written + used, written_size - used, ", %s", side);
    if (r->confidence) {
        snprintf(side, sizeof side, "%s.confidence", path);
        if (write_confidence_text(side, r, err)) return -1;
        used = strlen(written);
        snprintf(written + used, written_size - used, ", %s", side);
    }
    return 0;
}

static int read_generated_h5(const char *path, window_set *windows, window_set *mask, error_info *err) {
    hid_t f = h5_open_checked(path, "generated file", err);
    if (f < 0) return -1;
    const char *names[2] = {"windows", "mask"};
    window_set *outs[2] = {windows, mask};
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++)
        if (outs[k]) rc = h5_read_window_array(f, names[k], path, outs[k], err);
    H5Fclose(f);
    if (rc && windows) window_set_free(windows);
    return rc;
}

int gen_read_h5(const char *path, window_set *windows, window_set *mask, error_info *err) {
    if (h5_probe(path, "generated file", "arrays", err)) return -1;
    return read_generated_h5(path, windows, mask, err);
}
