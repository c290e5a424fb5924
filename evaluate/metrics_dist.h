/* Distribution metrics: how alike the event, bigram and trigram frequencies of
 * GENERATED and REAL are, regardless of whether the windows pair up. */
#ifndef SSSD_EVALUATE_METRICS_DIST_H
#define SSSD_EVALUATE_METRICS_DIST_H

#include <stdint.h>
#include "composition.h"
#include "mask.h"
#include "windows.h"

/* Additive smoothing for KL: every event of the support (events seen in either
 * set) gets DIST_KL_EPSILON added to its probability, then renormalised. */
#define DIST_KL_EPSILON 1e-6

typedef struct dist_metrics {
    int generated_only;       /* 1: generated positions (n-grams touching them); 0: whole windows */
    double kl_gen_real;       /* KL(generated || real), nats */
    double kl_real_gen;       /* KL(real || generated), nats */
    double js_event, js_bigram, js_trigram; /* Jensen-Shannon, base 2, in [0, 1] */
    int64_t events_gen, events_real;        /* events counted */
    int unique_gen, unique_real, unique_both, unique_gen_only, unique_real_only;
    int vocab_max;            /* valid IDs are 1..vocab_max */
    int64_t oov_gen, oov_real;              /* events outside 1..vocab_max */
    int n_events;             /* rows of the frequency table: union of IDs, ascending */
    int32_t *event_ids;
    int64_t *count_gen, *count_real;
    composition_metrics composition;  /* single windows' event mix (composition.h) */
} dist_metrics;

/* Masks may be NULL (whole windows). vocab_max: largest valid ID. */
void dist_compute(const window_set *gen, const eval_mask *gen_mask, const window_set *real,
                  const eval_mask *real_mask, int vocab_max, dist_metrics *out);
void dist_free(dist_metrics *d);

/* On raw counts over the same n outcomes. KL in nats with the smoothing above;
 * JS in bits (base 2). */
double kl_divergence_counts(const int64_t *p, const int64_t *q, int n, double epsilon);
double js_divergence_counts(const int64_t *p, const int64_t *q, int n);

#endif
