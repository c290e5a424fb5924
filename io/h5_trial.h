/* The helper side of trial reads (h5_probe.h): what each h5-trial-read-KIND
 * program runs, and the read of every numeric array that the "arrays" kind
 * and the checkpoint's trial read share. */
#ifndef SSSD_IO_H5_TRIAL_H
#define SSSD_IO_H5_TRIAL_H

/* Exit statuses of the h5-trial-read-KIND helpers. */
enum { H5_TRIAL_READ_OK = 0, H5_TRIAL_USAGE = 2, H5_TRIAL_INVALID = 3 };

/* The whole main of a helper: `PROGRAM PATH` runs `trial_read(PATH)` with
 * HDF5's error printing off and prints nothing. Returns the exit status:
 * H5_TRIAL_READ_OK when trial_read returned 0, H5_TRIAL_INVALID when it
 * returned -1 (the tool's own read then says what is wrong), H5_TRIAL_USAGE
 * without exactly one argument. */
int h5_trial_main(int argc, char **argv, int (*trial_read)(const char *path));

/* The "arrays" trial read: every integer or float dataset of the file, each
 * checked against the file's size and memory (h5_check_extent) and read.
 * 0 when all were read. */
int h5_trial_read_arrays(const char *path);

#endif
