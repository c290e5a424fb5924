/* h5-trial-read-checkpoint PATH: reads a checkpoint the way checkpoint_load
 * does, without building a model, so that a file crafted to crash the HDF5
 * library crashes this helper and not the tool that asked (io/h5_probe.h).
 * Exit status 0: read; 3: not a valid checkpoint (the tool's own read says
 * why); 2: usage. Prints nothing. */
#include "checkpoint.h"
#include "h5_trial.h"

int main(int argc, char **argv) { return h5_trial_main(argc, argv, checkpoint_trial_read); }
