/* Resolution of dataset specs to window sets (see window_source.h). */
#include "window_source.h"
#include "h5_probe.h"
#include "h5_util.h"

#include <dirent.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SSSD_SOURCE_DIR
#define SSSD_SOURCE_DIR "."
#endif

static int is_dir(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISDIR(st.st_mode); }
static int is_file(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int dataset_resolve(const char *spec, char *out, size_t out_size, error_info *err) {
    if (is_file(spec) || is_dir(spec)) {
        snprintf(out, out_size, "%s", spec);
        return 0;
    }
    if (strchr(spec, '/') == NULL) {
        const char *env = getenv("SSSD_DATASETS");
        const char *roots[3] = {env, "datasets", SSSD_SOURCE_DIR "/datasets"};
        for (int i = 0; i < 3; i++) {
            if (!roots[i]) continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", roots[i], spec);
            if (is_dir(p)) {
                snprintf(out, out_size, "%s", p);
                return 0;
            }
        }
        return error_set(err, "%s: no such file or dataset (looked in $SSSD_DATASETS%s, ./datasets and %s/datasets)",
                         spec, env ? "" : " (unset)", SSSD_SOURCE_DIR);
    }
    return error_set(err, "%s: no such file or directory", spec);
}

/* Inside a directory: NAME.h5 written by `dataset build`, or the paper layout. */
static int locate_in_dir(const char *dir, int length_hint, char *out, size_t out_size, int *is_h5, error_info *err) {
    char p[4096];
    snprintf(p, sizeof p, "%s/training", dir);
    char q[4096];
    snprintf(q, sizeof q, "%s/testing", dir);
    if (is_file(p) || is_file(q)) {
        snprintf(out, out_size, "%s", dir);
        *is_h5 = 0;
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) return error_set(err, "%s: cannot open directory", dir);
    struct dirent *e;
    char found_h5[4096] = "", found_len[4096] = "";
    int len_dirs = 0;
    while ((e = readdir(d))) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (ends_with(e->d_name, ".h5") && is_file(full) && !found_h5[0]) snprintf(found_h5, sizeof found_h5, "%s", full);
        int L;
        if (sscanf(e->d_name, "sequence_length_%d", &L) == 1 && is_dir(full)) {
            if (length_hint == 0 || L == length_hint) {
                len_dirs++;
                snprintf(found_len, sizeof found_len, "%s", full);
            }
        }
    }
    closedir(d);
    if (found_h5[0]) {
        snprintf(out, out_size, "%s", found_h5);
        *is_h5 = 1;
        return 0;
    }
    if (len_dirs == 1) return locate_in_dir(found_len, length_hint, out, out_size, is_h5, err);
    if (len_dirs > 1) return error_set(err, "%s: several sequence_length_L directories; choose one with --length", dir);
    return error_set(err, "%s: no dataset here (expected NAME.h5, training/testing files, or sequence_length_L/)", dir);
}

static int load_paper_dir(const char *dir, dataset *ds, error_info *err) {
    memset(ds, 0, sizeof *ds);
    char p[4096];
    snprintf(p, sizeof p, "%s/training", dir);
    if (is_file(p) && windows_read_text(p, &ds->training, err)) return -1;
    snprintf(p, sizeof p, "%s/testing", dir);
    if (is_file(p) && windows_read_text(p, &ds->testing, err)) { dataset_free(ds); return -1; }
    if (ds->training.count && ds->testing.count && ds->training.length != ds->testing.length) {
        int a = ds->training.length, b = ds->testing.length;
        dataset_free(ds);
        return error_set(err, "%s: training windows have %d events but testing windows %d", dir, a, b);
    }
    ds->length = ds->training.count ? ds->training.length : ds->testing.length;
    int32_t max_id = 0;
    const window_set *sets[2] = {&ds->training, &ds->testing};
    for (int s = 0; s < 2; s++)
        for (int64_t i = 0; i < sets[s]->count * sets[s]->length; i++) {
            int32_t id = sets[s]->ids[i];
            if (id < 1) {
                int64_t w = i / sets[s]->length;
                dataset_free(ds);
                return error_set(err, "%s/%s:%lld: event ID %d; IDs must be 1 or more (1 = most frequent)", dir,
                                 s ? "testing" : "training", (long long)w + 1, id);
            }
            if (id > DATASET_MAX_VOCAB) {
                int64_t w = i / sets[s]->length;
                dataset_free(ds);
                return error_set(err, "%s/%s:%lld: event ID %d; IDs are vocabulary ranks 1..V with V at most %d", dir,
                                 s ? "testing" : "training", (long long)w + 1, id, DATASET_MAX_VOCAB);
            }
            if (id > max_id) max_id = id;
        }
    vocabulary_numeric(&ds->vocab, max_id);
    for (int64_t i = 0; i < ds->training.count * ds->training.length; i++) ds->vocab.counts[ds->training.ids[i] - 1]++;
    const char *slash = strrchr(dir, '/');
    snprintf(ds->name, sizeof ds->name, "%s", slash ? slash + 1 : dir);
    snprintf(ds->events, sizeof ds->events, "unknown");
    snprintf(ds->split, sizeof ds->split, "unknown");
    return 0;
}

int dataset_load(const char *spec, int length_hint, dataset *out, error_info *err) {
    char path[4096], where[4096];
    if (dataset_resolve(spec, path, sizeof path, err)) return -1;
    if (is_file(path)) {
        if (file_is_hdf5(path)) return dataset_h5_read(path, out, err);
        return error_set(err, "%s: a dataset is a NAME.h5 file or a directory (paper layout); a single window file is not a dataset", path);
    }
    int h5 = 0;
    if (locate_in_dir(path, length_hint, where, sizeof where, &h5, err)) return -1;
    int rc = h5 ? dataset_h5_read(where, out, err) : load_paper_dir(where, out, err);
    if (!rc && length_hint && out->length != length_hint) {
        int got = out->length;
        dataset_free(out);
        return error_set(err, "%s: windows have %d events, but length %d was asked for", where, got, length_hint);
    }
    return rc;
}

/* '/windows' of an HDF5 file (generate's .h5 output, or a user's array);
 * *has_windows = 0 when there is none (then it may be a dataset file). */
static int read_h5_windows(const char *spec, window_set *out, int *has_windows, error_info *err) {
    memset(out, 0, sizeof *out);
    *has_windows = 0;
    hid_t f = h5_open_checked(spec, "window file", err);
    if (f < 0) return -1;
    *has_windows = H5Lexists(f, "windows", H5P_DEFAULT) > 0;
    int rc = *has_windows ? h5_read_window_array(f, "windows", spec, out, err) : 0;
    H5Fclose(f);
    return rc;
}

int windows_load(const char *spec, const char *split, int length_hint, window_set *out, error_info *err) {
    memset(out, 0, sizeof *out);
    if (is_file(spec)) {
        if (file_is_hdf5(spec)) {
            int has_windows;
            if (h5_probe(spec, "window file", "arrays", err) ||
                read_h5_windows(spec, out, &has_windows, err))
                return -1;
            if (has_windows) return 0;
            /* No '/windows': a dataset file (its own trial read follows). */
        } else if (ends_with(spec, ".npy")) {
            return windows_read_npy(spec, out, err);
        } else {
            return windows_read_text(spec, out, err);
        }
    }
    dataset ds;
    if (dataset_load(spec, length_hint, &ds, err)) return -1;
    window_set *chosen = strcmp(split, "training") == 0 ? &ds.training : &ds.testing;
    if (chosen->count == 0) {
        dataset_free(&ds);
        return error_set(err, "%s: the dataset has no %s windows", spec, split);
    }
    *out = *chosen;
    memset(chosen, 0, sizeof *chosen);
    dataset_free(&ds);
    return 0;
}
