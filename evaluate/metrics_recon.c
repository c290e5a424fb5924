/* Reconstruction metrics (see metrics_recon.h). */
#include "metrics_recon.h"
#include "lcs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Token of a number as rouge_score sees str(float(v)): the digit run of |v|
 * (no leading zeros, so the integer itself identifies the string), and the
 * "0" after the point, which is the same token as the value 0. */
static void published_tokens(const int32_t *v, int k, int64_t *out) {
    for (int i = 0; i < k; i++) {
        int64_t x = v[i];
        out[2 * i] = x < 0 ? -x : x;
        out[2 * i + 1] = 0;
    }
}

double rouge_published_gap(const int32_t *pred, const int32_t *orig, int k) {
    if (k <= 0) return 0.0;
    int64_t *a = xmalloc((size_t)(4 * k) * sizeof *a);
    published_tokens(pred, k, a);
    published_tokens(orig, k, a + 2 * k);
    int l = lcs_dp64(a, 2 * k, a + 2 * k, 2 * k);
    free(a);
    /* P = R = l / 2k, so F1 = l / 2k. */
    return (double)l / (2.0 * k);
}

double rouge_event_gap(const int32_t *pred, const int32_t *orig, int k) {
    if (k <= 0) return 0.0;
    return (double)lcs_dp(pred, k, orig, k) / k;
}

void recon_compute(const window_set *gen, const window_set *real, const eval_mask *mask, recon_metrics *out) {
    recon_compute_rows(gen, real, mask, NULL, out);
}

void recon_compute_rows(const window_set *gen, const window_set *real, const eval_mask *mask, const uint8_t *rows,
                        recon_metrics *out) {
    memset(out, 0, sizeof *out);
    int L = gen->length;
    out->length = L;
    out->position_accuracy = xcalloc((size_t)L, sizeof(double));
    out->position_count = xcalloc((size_t)L, sizeof(int64_t));
    int64_t *position_correct = xcalloc((size_t)L, sizeof(int64_t));
    out->window_rouge = xcalloc((size_t)gen->count, sizeof(double));
    out->window_accuracy = xcalloc((size_t)gen->count, sizeof(double));
    int32_t *pred = xmalloc((size_t)L * sizeof *pred), *orig = xmalloc((size_t)L * sizeof *orig);
    double sum_acc = 0, sum_rouge = 0, sum_pub = 0;
    int64_t perfect = 0;
    for (int64_t w = 0; w < gen->count; w++) {
        if (rows && !rows[w]) continue;
        const int32_t *g = gen->ids + w * L, *r = real->ids + w * L;
        int k = 0, correct = 0, mismatched = 0;
        for (int j = 0; j < L; j++) {
            if (mask_is_observed(mask, w, j)) {
                out->observed_positions++;
                if (g[j] != r[j]) { out->observed_mismatches++; mismatched = 1; }
                continue;
            }
            pred[k] = g[j];
            orig[k] = r[j];
            k++;
            out->position_count[j]++;
            if (g[j] == r[j]) { correct++; position_correct[j]++; }
        }
        out->observed_mismatch_windows += mismatched;
        if (k == 0) continue;
        double acc = (double)correct / k, rouge = rouge_event_gap(pred, orig, k);
        out->window_accuracy[out->windows] = acc;
        out->window_rouge[out->windows] = rouge;
        out->windows++;
        out->generated_positions += k;
        sum_acc += acc;
        sum_rouge += rouge;
        sum_pub += rouge_published_gap(pred, orig, k);
        perfect += correct == k;
    }
    if (out->windows) {
        out->accuracy = 100.0 * sum_acc / out->windows;
        out->rouge_event = 100.0 * sum_rouge / out->windows;
        out->rouge_published = 100.0 * sum_pub / out->windows;
        out->perfect = 100.0 * perfect / out->windows;
    } else {
        out->accuracy = out->rouge_event = out->rouge_published = out->perfect = NAN;
    }
    for (int j = 0; j < L; j++)
        out->position_accuracy[j] = out->position_count[j] ? 100.0 * position_correct[j] / out->position_count[j] : NAN;
    free(position_correct);
    free(pred);
    free(orig);
}

void recon_free(recon_metrics *m) {
    free(m->position_accuracy);
    free(m->position_count);
    free(m->window_rouge);
    free(m->window_accuracy);
    memset(m, 0, sizeof *m);
}
