/* From event sequences to a dataset: vocabulary by frequency rank, windows of
 * length L with stride S, the train/test split (by run, or the paper's
 * consecutive-window split), output files, and the statistics `dataset info`
 * prints. */
#ifndef SSSD_DATASETS_DATASET_BUILD_H
#define SSSD_DATASETS_DATASET_BUILD_H

#include "dataset_h5.h"
#include "trace_input.h"

typedef enum split_mode {
    SPLIT_RUN = 0,   /* whole runs go to training or to testing: no test window comes from a training run */
    SPLIT_WINDOW     /* the paper's way: consecutive windows, the last fraction is the test set */
} split_mode;

typedef struct build_options {
    int length;            /* L; 0 = default (200), or the windows' own length for windowed inputs */
    int stride;            /* S */
    split_mode split;
    double test_fraction;  /* share of windows for testing, in [0, 1) */
} build_options;

/* Build `out` (vocabulary, windows, split, options) from a trace set. The
 * name, command line and sources are filled in too. Errors say what is
 * missing (for example: too few events for one window). */
int dataset_build(const trace_set *ts, const build_options *opt, const char *name, const char *command_line,
                  dataset *out, error_info *err);

/* Vocabulary by frequency rank: ID 1 = most frequent, ties broken by name
 * (byte order), so the result does not depend on input order. counts[i] is
 * the number of occurrences of name i of `names`; names with count 0 get ID 0.
 * Fills id_of[name] and the vocabulary. */
void vocabulary_by_rank(const string_table *names, const int64_t *counts, int32_t *id_of, vocabulary *v);

/* Write DIR/NAME.h5 and DIR/sequence_length_L/{training,testing}, creating
 * directories as needed; the files appear together or, on any failure, not
 * at all (earlier files of the same names stay as they were). */
int dataset_write_outputs(const dataset *ds, const char *dir, error_info *err);

/* `dataset export`: DIR/sequence_length_L/{training,testing} (and .npy twins
 * with npy). Like dataset_write_outputs, every file appears or none does. */
int dataset_export_layout(const dataset *ds, const char *dir, int npy, error_info *err);

/* mkdir -p */
int make_dirs(const char *path, error_info *err);

typedef struct dataset_stats {
    int64_t distinct_training, distinct_testing;
    int64_t testing_in_training;   /* test windows that occur verbatim among the training windows */
    /* test windows that occur anywhere (at any offset) in the training traces,
     * rebuilt from overlapping training windows; -1 when the stride is unknown
     * or not below the length */
    int64_t testing_in_training_traces;
    int stride;   /* the stride used for that: the dataset's, or inferred from overlapping windows (0 = none) */
} dataset_stats;

void dataset_compute_stats(const dataset *ds, dataset_stats *st);

#endif
