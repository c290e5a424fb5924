/* One evaluation run: load GENERATED, REAL, the mask and optional training
 * data, compute every metric that applies, and collect warnings a reader must
 * not miss. The reports (text, JSON, HTML) only format an eval_result. */
#ifndef SSSD_EVALUATE_EVALUATION_H
#define SSSD_EVALUATE_EVALUATION_H

#include "baselines.h"
#include "error.h"
#include "mask.h"
#include "metrics_dist.h"
#include "metrics_recon.h"
#include "nn_rouge.h"
#include "training_index.h"
#include "windows.h"

typedef struct eval_config {
    const char *generated;
    const char *real;
    const char *mask;        /* NULL: GENERATED.mask if present, else unconditional */
    const char *train;       /* NULL: no memorisation or baselines */
    int length_hint;         /* 0 = any */
    int threads;             /* for nearest-neighbour ROUGE-L */
    int skip_nn;             /* 1: leave nearest-neighbour ROUGE-L out */
} eval_config;

#define EVAL_MAX_WARNINGS 16

typedef struct eval_result {
    char generated[1024], real[1024], train[1024];
    window_set gen, real_ws, train_ws;
    int has_train;
    eval_mask mask;
    int64_t mask_observed;   /* observed positions in the mask rows */
    int unconditional;       /* no observed position: synthesis, not reconstruction */
    int paired;              /* same N and L: window i of GENERATED reconstructs window i of REAL */
    int vocab_max;
    char vocab_source[256];

    int has_recon;
    recon_metrics recon;
    dist_metrics dist;
    int has_nn;
    nn_result nn;

    int has_memo;
    memo_result memo;
    int train_stride;
    int64_t train_segments, train_trace_length;

    int has_baselines;
    int32_t mode_event;
    recon_metrics base_mode, base_context;
    context_stats context;

    int n_warnings;
    char warnings[EVAL_MAX_WARNINGS][512];
    char notes[EVAL_MAX_WARNINGS][512];
    int n_notes;
    double seconds;
} eval_result;

/* Memory estimates (stated in `evaluate --help`): per event of GENERATED
 * and REAL, the windows, mask and n-gram count tables (up to 128 bytes per
 * distinct n-gram in the largest table); per event of TRAIN, the stitched
 * trace, the sorted substring hashes and positions, and the baselines. */
#define EVAL_BYTES_PER_EVENT 140.0
#define EVAL_BYTES_PER_TRAIN_EVENT 60.0

int eval_run(const eval_config *cfg, eval_result *res, error_info *err);
void eval_result_free(eval_result *res);

#endif
