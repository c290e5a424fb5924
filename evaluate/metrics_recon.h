/* Reconstruction metrics: GENERATED and REAL pair up window by window and are
 * compared on the generated positions (mask 0), as ICSE'25 scored them. */
#ifndef SSSD_EVALUATE_METRICS_RECON_H
#define SSSD_EVALUATE_METRICS_RECON_H

#include <stdint.h>
#include "mask.h"
#include "windows.h"

typedef struct recon_metrics {
    int64_t windows;             /* windows with at least one generated position */
    int64_t generated_positions; /* sum of k over windows */
    double accuracy;             /* %: mean over windows of correct/k */
    double perfect;              /* %: windows with every generated position right */
    double rouge_event;          /* %: mean LCS(pred, orig)/k (P = R = F1) */
    double rouge_published;      /* %: mean rouge_score rougeL F on "v.0" strings */
    int length;
    double *position_accuracy;   /* (length) %, NAN where no window generates it */
    int64_t *position_count;     /* (length) windows generating this position */
    double *window_rouge;        /* (windows) per-window event ROUGE-L, 0..1 */
    double *window_accuracy;     /* (windows) per-window accuracy, 0..1 */
    /* Observed positions must be copied through unchanged; differences mean
     * the generator ignored its conditioning. */
    int64_t observed_positions;
    int64_t observed_mismatches;
    int64_t observed_mismatch_windows;
} recon_metrics;

/* gen and real must have the same count and length; mask rows 1 or count.
 * With no window to score, the figures are NAN (nothing was measured). */
void recon_compute(const window_set *gen, const window_set *real, const eval_mask *mask, recon_metrics *out);
/* The same on a subset of the windows: only window w with rows[w] != 0
 * (rows NULL: every window). */
void recon_compute_rows(const window_set *gen, const window_set *real, const eval_mask *mask, const uint8_t *rows,
                        recon_metrics *out);
void recon_free(recon_metrics *m);

/* The published ROUGE-L recipe on one gap: each event v becomes the tokens
 * [digits of |v|, "0"] (rouge_score drops '-' and splits "12.0" at '.'); the
 * result is LCS-F1 over the 2k tokens, in [0, 1]. */
double rouge_published_gap(const int32_t *pred, const int32_t *orig, int k);
/* Event-level ROUGE-L of one gap: LCS/k in [0, 1]. */
double rouge_event_gap(const int32_t *pred, const int32_t *orig, int k);

#endif
