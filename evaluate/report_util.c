/* Pieces shared by the report formats: metric meanings and histograms. */
#include "report.h"

#include <math.h>

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
const char *const REPORT_MEANING_BOOTSTRAP =
    "the model's figure minus this baseline's (percentage points), with a 95% interval from a paired bootstrap: REAL's "
    "windows resampled with replacement (in blocks of consecutive windows when they overlap, since those share events), "
    "both systems rescored on each draw; an interval holding 0 means the test split cannot tell the two apart on that "
    "figure";
const char *const REPORT_MEANING_KL = "relative entropy of event frequencies; 0 = identical";
const char *const REPORT_MEANING_JS = "Jensen-Shannon divergence, base 2: 0 = same distribution, 1 = disjoint";
const char *const REPORT_MEANING_NN_GEN = "each generated window vs its closest real window: are generated windows plausible?";
const char *const REPORT_MEANING_NN_REAL = "each real window vs its closest generated window: does the output cover the real variety?";
const char *const REPORT_MEANING_MEMO = "windows occurring verbatim in training (windows / anywhere in the stitched trace)";
const char *const REPORT_MEANING_LEAK = "real test windows already in training: a leaking split rewards memorisation";
const char *const REPORT_SMOOTHING =
    "additive: each event seen in either set gets 1e-6 added to its probability, then renormalised";

const char *const REPORT_MEANING_FLOOR =
    "the same figures for as many training windows as GENERATED, drawn at random, against REAL: real data "
    "from the program, as close to REAL as a generator can be expected to come";
const char *const REPORT_MEANING_FLOOR_RANGE =
    "each figure's median, smallest and largest value over independent samples of as many training windows: "
    "how far real data of this size moves by chance; a generator inside the range is as close to REAL as real "
    "data can be, and its ratio to the median is steadier than to one draw";
const char *const REPORT_MEANING_COPIES =
    "windows occurring verbatim in the training trace: generated copies of training beside real test "
    "windows that were there already";

const char *const REPORT_MEANING_NGRAM_SYNTHESIS =
    "as many windows as GENERATED drawn from an n-gram model of the training trace (the infill baselines' model), "
    "each event given the n-1 before it: a generator that knows the local event statistics exactly and nothing "
    "beyond them";

double report_copies_ngram(const eval_result *r) {
    return r->gen.count ? 100.0 * (double)r->ngram_synthesis_copies / (double)r->gen.count : NAN;
}

int report_floor_rows(const eval_result *r, floor_row *rows) {
    const real_floor *fl = &r->floor;
    /* The FLOOR_* figures, in their order; floor_figure reads each from a set of distribution figures. */
    static const char *const names[FLOOR_SPREAD_FIGURES][3] = {
        {"JS events", "js_events_bits", ""},
        {"JS bigrams", "js_bigrams_bits", ""},
        {"JS trigrams", "js_trigrams_bits", ""},
        {"KL(generated||real)", "kl_generated_real_nats", " nats"},
        {"KL(real||generated)", "kl_real_generated_nats", " nats"},
        {"window mix gen->real", "composition_generated_to_real", " %"},
        {"window mix real->gen", "composition_real_to_generated", " %"},
        {"distinct events", "unique_events", ""},
    };
    int n = 0;
    for (int i = 0; i < FLOOR_SPREAD_FIGURES; i++, n++)
        rows[n] = (floor_row){names[i][0], names[i][1], names[i][2], floor_figure(&r->dist, i),
                              floor_figure(&fl->dist, i), i == FLOOR_DISTINCT, fl->draws > 1,
                              fl->lo[i], fl->median[i], fl->hi[i],
                              r->has_ngram_synthesis ? floor_figure(&r->ngram_synthesis_dist, i) : NAN};
    if (r->has_nn && r->floor.has_nn) {
        rows[n++] = (floor_row){"NN ROUGE-L gen->real", "nn_rougeL_generated_to_real", " %", r->nn.mean_gen_to_real,
                                r->floor.nn.mean_gen_to_real, 0, 0, 0, 0, 0, NAN};
        rows[n++] = (floor_row){"NN ROUGE-L real->gen", "nn_rougeL_real_to_generated", " %", r->nn.mean_real_to_gen,
                                r->floor.nn.mean_real_to_gen, 0, 0, 0, 0, 0, NAN};
    }
    return n;
}

void report_interval(const diff_interval *d, char *out, size_t size) {
    if (isnan(d->difference)) snprintf(out, size, "-");
    else if (isnan(d->low)) snprintf(out, size, "%+.2f", d->difference);
    else snprintf(out, size, "%+.2f [%+.2f, %+.2f]", d->difference, d->low, d->high);
}

double report_copies_generated(const eval_result *r) {
    return r->memo.gen_count ? 100.0 * (double)r->memo.gen_in_trace / (double)r->memo.gen_count : NAN;
}

double report_copies_real(const eval_result *r) {
    return r->memo.real_count ? 100.0 * (double)r->memo.real_in_trace / (double)r->memo.real_count : NAN;
}

void report_histogram(const double *values, int64_t n, int bins, int64_t *counts) {
    for (int b = 0; b < bins; b++) counts[b] = 0;
    for (int64_t i = 0; i < n; i++) {
        int b = (int)(values[i] * bins);
        if (b < 0) b = 0;
        if (b >= bins) b = bins - 1;
        counts[b]++;
    }
}
