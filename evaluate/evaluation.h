/* One evaluation run: load GENERATED, REAL, the mask and optional training
 * data, compute every metric that applies, and collect warnings a reader must
 * not miss. The reports (text, JSON, HTML) only format an eval_result. */
#ifndef SSSD_EVALUATE_EVALUATION_H
#define SSSD_EVALUATE_EVALUATION_H

#include "baselines.h"
#include "error.h"
#include "floor.h"
#include "mask.h"
#include "metrics_dist.h"
#include "metrics_recon.h"
#include "metrics_types.h"
#include "ngram_infill.h"
#include "paired_bootstrap.h"
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
    int head;                /* K of the tail accuracy (0: TYPES_DEFAULT_HEAD) */
    uint64_t seed;           /* the floor's sample of training windows (floor.h) */
    int floor_draws;         /* samples the floor's ranges come from (0: FLOOR_DEFAULT_DRAWS) */
} eval_config;

#define EVAL_MAX_BASELINES 5

/* One reconstruction of REAL's generated positions, scored: the model or a
 * baseline. Every system gets the same figures, on all windows and on the
 * unseen subset, so the reports handle them in one loop. */
typedef struct eval_system {
    const char *key;            /* JSON name: "model", "context_lookup", ... */
    const char *column;         /* short column heading of the text table */
    const char *title;          /* name in HTML, warnings and headings */
    recon_metrics recon;
    type_metrics types;
    recon_metrics unseen_recon; /* valid when eval_result.has_unseen */
    type_metrics unseen_types;
    /* A baseline's only, when the model was scored: model minus this
     * baseline, with 95% intervals from a paired bootstrap over windows. */
    int has_vs_model;
    paired_diff vs_model;
} eval_system;

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
    eval_system model;       /* valid when has_recon */
    int head_k;
    dist_metrics dist;
    int has_nn;
    nn_result nn;

    int has_memo;
    memo_result memo;
    /* With --train: the distribution figures of as many random training
     * windows as GENERATED against REAL, the floor beside the generator's. */
    int has_floor;
    real_floor floor;
    int train_stride;
    int64_t train_segments, train_trace_length;
    /* With --train, for synthesis (nothing observed): as many windows as
     * GENERATED drawn from the training trace's n-gram model
     * (ngram_synthesis.h), scored against REAL like the generator. */
    int has_ngram_synthesis;
    int ngram_synthesis_order;
    dist_metrics ngram_synthesis_dist;
    int64_t ngram_synthesis_copies;   /* of its windows, occurring verbatim in the training trace */
    window_set ngram_synthesis_windows;

    /* Baselines scored on the same task; a new one is one more entry
     * (evaluation.c, compute_baselines). */
    int has_baselines;
    int n_baselines;
    eval_system baselines[EVAL_MAX_BASELINES];
    int32_t mode_event;
    uint64_t seed;           /* the floor's draw and the bootstrap's (eval_config.seed) */
    int bootstrap_block;     /* consecutive REAL windows the bootstrap draws together (paired_bootstrap.h) */
    context_stats context;
    ngram_stats ngram;

    /* Unseen subset (with --train): test windows occurring nowhere in the
     * stitched training trace, where a lookup cannot simply recall them. */
    int has_unseen;
    int64_t unseen_windows;
    uint8_t *unseen_rows;    /* (REAL windows) 1 = unseen */

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
/* The scored systems in report order: the model (when has_recon), then the
 * baselines. out holds 1 + EVAL_MAX_BASELINES; returns how many. */
int eval_systems(const eval_result *res, const eval_system **out);
void eval_result_free(eval_result *res);

#endif
