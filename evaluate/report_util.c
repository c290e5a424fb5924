/* Pieces shared by the report formats: metric meanings and histograms. */
#include "report.h"

const char *const REPORT_MEANING_ACCURACY = "share of generated events equal to the original, averaged over windows";
const char *const REPORT_MEANING_PERFECT = "windows whose generated events are all right";
const char *const REPORT_MEANING_ROUGE_EVENT = "longest common subsequence / k: credit for right events in the right order";
const char *const REPORT_MEANING_ROUGE_PUBLISHED =
    "ICSE'25 recipe (rouge_score on \"v.0\" strings): every event adds a \"0\" token that always matches, so it reads high";
const char *const REPORT_MEANING_MACRO =
    "mean over event types of each type's recall: rare events count as much as frequent ones";
const char *const REPORT_MEANING_TAIL = "accuracy on events outside the head (the K most frequent real events), pooled";
const char *const REPORT_MEANING_DISTINCT = "different events at generated positions; a model emitting a few frequent ones scores low";
const char *const REPORT_MEANING_UNSEEN =
    "test windows occurring nowhere in the training trace: what a lookup cannot recall";
const char *const REPORT_MEANING_KL = "relative entropy of event frequencies; 0 = identical";
const char *const REPORT_MEANING_JS = "Jensen-Shannon divergence, base 2: 0 = same distribution, 1 = disjoint";
const char *const REPORT_MEANING_NN_GEN = "each generated window vs its closest real window: are generated windows plausible?";
const char *const REPORT_MEANING_NN_REAL = "each real window vs its closest generated window: does the output cover the real variety?";
const char *const REPORT_MEANING_MEMO = "windows occurring verbatim in training (windows / anywhere in the stitched trace)";
const char *const REPORT_MEANING_LEAK = "real test windows already in training: a leaking split rewards memorisation";
const char *const REPORT_SMOOTHING =
    "additive: each event seen in either set gets 1e-6 added to its probability, then renormalised";

void report_histogram(const double *values, int64_t n, int bins, int64_t *counts) {
    for (int b = 0; b < bins; b++) counts[b] = 0;
    for (int64_t i = 0; i < n; i++) {
        int b = (int)(values[i] * bins);
        if (b < 0) b = 0;
        if (b >= bins) b = bins - 1;
        counts[b]++;
    }
}
