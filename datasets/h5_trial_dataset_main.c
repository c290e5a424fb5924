/* h5-trial-read-dataset PATH: reads a dataset file the way dataset_h5_read
 * does, so that a file crafted to crash the HDF5 library crashes this helper
 * and not the tool that asked (io/h5_probe.h). Exit status 0: read; 3: not a
 * valid dataset file (the tool's own read says why); 2: usage. Prints
 * nothing. */
#include "dataset_h5.h"
#include "h5_trial.h"

int main(int argc, char **argv) { return h5_trial_main(argc, argv, dataset_h5_trial_read); }
