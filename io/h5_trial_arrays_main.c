/* h5-trial-read-arrays PATH: reads every numeric array of an HDF5 file the
 * way the window, generated-output and forward-input loaders do, so that a
 * file crafted to crash the HDF5 library crashes this helper and not the tool
 * that asked (h5_probe.h). Exit status 0: read; 3: not readable (the tool's
 * own read says why); 2: usage. Prints nothing. */
#include "h5_trial.h"

int main(int argc, char **argv) { return h5_trial_main(argc, argv, h5_trial_read_arrays); }
