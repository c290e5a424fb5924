/* Reconstruction figures per event type, over the generated positions of all
 * windows pooled: a mean over windows hides a model that only ever emits the
 * few frequent events, so these ask how each event type fares on its own
 * (recall, precision, most frequent wrong answer), how the rare events fare
 * (tail accuracy) and how many different events come out at all. The same
 * function scores the model and every baseline. */
#ifndef SSSD_EVALUATE_METRICS_TYPES_H
#define SSSD_EVALUATE_METRICS_TYPES_H

#include <stdint.h>
#include "mask.h"
#include "windows.h"

#define TYPES_DEFAULT_HEAD 4

typedef struct type_row {
    int32_t id;
    int64_t real;            /* generated positions whose real event is id */
    int64_t correct;         /* ... where id was generated */
    int64_t predicted;       /* generated positions holding id */
    double recall;           /* %: correct / real; NAN when real == 0 */
    double precision;        /* %: correct / predicted; NAN when predicted == 0 */
    int32_t top_wrong;       /* most frequent wrong answer for id (ties: smaller ID) */
    int64_t top_wrong_count; /* its count; 0: id was never got wrong (top_wrong meaningless) */
} type_row;

typedef struct type_metrics {
    int64_t positions;       /* generated positions scored */
    int head_k;              /* requested K */
    int n_head;              /* K, or fewer when REAL holds fewer distinct events */
    int32_t *head;           /* (n_head) the K most frequent events of REAL, most frequent first */
    double macro_accuracy;   /* %: mean recall over types occurring in REAL; NAN when none */
    int64_t tail_positions;  /* positions whose real event is not in the head */
    int64_t tail_correct;
    double tail_accuracy;    /* %: tail_correct / tail_positions; NAN when none */
    int distinct_generated;  /* distinct IDs generated */
    int distinct_real;       /* distinct real IDs */
    int n_types;
    /* Every ID occurring at generated positions in REAL or GENERATED. Types
     * of REAL first, by real count (descending) then ID, so every system
     * scored against the same REAL lists them in the same order; then the
     * IDs only generated, by predicted count then ID. */
    type_row *rows;
} type_metrics;

/* The k most frequent events over all positions of all windows of real
 * (ties: smaller ID), most frequent first. head holds k; returns how many. */
int types_head(const window_set *real, int k, int32_t *head);

/* gen and real have the same count and length; mask rows 1 or count.
 * head_k >= 1. rows: NULL for every window, else only windows w with
 * rows[w] != 0 are scored (the head always comes from all of REAL, so that
 * a subset's tail means the same events). */
void types_compute(const window_set *gen, const window_set *real, const eval_mask *mask, int head_k,
                   const uint8_t *rows, type_metrics *out);
void types_free(type_metrics *m);

/* The row of id, or NULL. */
const type_row *types_find(const type_metrics *m, int32_t id);
/* Rows with real > 0 (they come first). */
int types_real_rows(const type_metrics *m);

#endif
