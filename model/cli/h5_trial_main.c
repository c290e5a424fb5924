/* h5-trial-read KIND PATH: reads an HDF5 file the way the tools' loaders do
 * and exits, so that a file crafted to crash the HDF5 library crashes this
 * helper and not the tool that asked (datasets/h5_probe.h). KIND: dataset,
 * checkpoint or arrays. Exit status 0: read; 3: not a valid file of that
 * kind (the tool's own read says why); 2: usage. Prints nothing. */
#include <hdf5.h>
#include <string.h>

#include "checkpoint.h"
#include "dataset_h5.h"
#include "h5_probe.h"

int main(int argc, char **argv) {
    if (argc != 3) return H5_TRIAL_USAGE;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *kind = argv[1], *path = argv[2];
    int rc;
    if (!strcmp(kind, "dataset")) rc = dataset_h5_trial_read(path);
    else if (!strcmp(kind, "checkpoint")) rc = checkpoint_trial_read(path);
    else if (!strcmp(kind, "arrays")) rc = h5_trial_read_arrays(path);
    else return H5_TRIAL_USAGE;
    return rc == 0 ? H5_TRIAL_READ_OK : H5_TRIAL_INVALID;
}
