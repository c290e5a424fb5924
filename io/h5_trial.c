/* The helper side of trial reads (see h5_trial.h). */
#include "h5_trial.h"
#include "h5_util.h"

#include <hdf5.h>
#include <stdlib.h>

int h5_trial_main(int argc, char **argv, int (*trial_read)(const char *path)) {
    if (argc != 2) return H5_TRIAL_USAGE;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return trial_read(argv[1]) == 0 ? H5_TRIAL_READ_OK : H5_TRIAL_INVALID;
}

typedef struct array_walk {
    const char *path;
    int bad;
} array_walk;

static herr_t read_one_array(hid_t f, const char *name, const H5L_info_t *info, void *arg) {
    (void)info;
    array_walk *walk = arg;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0; /* a group */
    hid_t type = H5Dget_type(d), space = H5Dget_space(d);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && n > 0) {
        error_info err;
        if (h5_check_extent(f, name, (uint64_t)n, sizeof(double), walk->path, &err)) {
            walk->bad = 1;
        } else {
            double *buf = malloc((size_t)n * sizeof(double));
            if (!buf || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) walk->bad = 1;
            free(buf);
        }
    }
    H5Dclose(d);
    return 0;
}

int h5_trial_read_arrays(const char *path) {
    error_info err;
    hid_t f = h5_open_checked(path, "file", &err);
    if (f < 0) return -1;
    array_walk walk = {path, 0};
    if (H5Lvisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, read_one_array, &walk) < 0) walk.bad = 1;
    H5Fclose(f);
    return walk.bad ? -1 : 0;
}
