/* The evaluation pipeline (see evaluation.h). */
#include "evaluation.h"
#include "ngram_synthesis.h"
#include "trace_pieces.h"
#include "dataset_h5.h"
#include "memory.h"
#include "timer.h"
#include "window_source.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_regular(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISREG(st.st_mode); }

static void add_line(char lines[][512], int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_line(char lines[][512], int *n, const char *fmt, ...) {
    if (*n >= EVAL_MAX_WARNINGS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lines[*n], 512, fmt, ap);
    va_end(ap);
    (*n)++;
}
#define WARN(...) add_line(res->warnings, &res->n_warnings, __VA_ARGS__)
#define NOTE(...) add_line(res->notes, &res->n_notes, __VA_ARGS__)

/* REAL: a dataset (name, directory, dataset .h5) gives its test split and its
 * vocabulary size; any other file is read as plain windows. */
static int load_real(const eval_config *cfg, eval_result *res, error_info *err) {
    if (!is_regular(cfg->real) || file_is_hdf5(cfg->real)) {
        dataset ds;
        error_info ds_err;
        if (dataset_load(cfg->real, cfg->length_hint, &ds, &ds_err) == 0) {
            if (ds.testing.count == 0) {
                dataset_free(&ds);
                return error_set(err, "%s: the dataset has no testing windows to compare with", cfg->real);
            }
            res->real_ws = ds.testing;
            memset(&ds.testing, 0, sizeof ds.testing);
            res->vocab_max = ds.vocab.size;
            snprintf(res->vocab_source, sizeof res->vocab_source, "dataset vocabulary (%d events)", ds.vocab.size);
            dataset_free(&ds);
            return 0;
        }
        if (!is_regular(cfg->real)) return error_set(err, "%s", ds_err.message);
    }
    return windows_load(cfg->real, "testing", cfg->length_hint, &res->real_ws, err);
}

/* Real and training windows are traces: an ID below 1 is damage (or a mask
 * or a generator's raw output passed by mistake), and would be scored as an
 * event. Generated windows may hold anything; out-of-vocabulary IDs there are
 * counted and reported instead. */
static int check_real_ids(const char *path, const window_set *ws, error_info *err) {
    for (int64_t i = 0; i < ws->count * ws->length; i++)
        if (ws->ids[i] < 1)
            return error_set(err, "%s:%lld: window %lld, position %lld holds event ID %d; real traces hold IDs 1 or more",
                             path, (long long)(i / ws->length + 1), (long long)(i / ws->length + 1),
                             (long long)(i % ws->length + 1), ws->ids[i]);
    return 0;
}

static int32_t max_id(const window_set *ws) {
    int32_t m = 0;
    for (int64_t i = 0; i < ws->count * ws->length; i++)
        if (ws->ids[i] > m) m = ws->ids[i];
    return m;
}

static int load_mask(const eval_config *cfg, eval_result *res, error_info *err) {
    int L = res->gen.length;
    char beside[1100];
    snprintf(beside, sizeof beside, "%s.mask", cfg->generated);
    if (cfg->mask && (strncmp(cfg->mask, "mid:", 4) == 0 || strncmp(cfg->mask, "end:", 4) == 0))
        return mask_from_shorthand(cfg->mask, L, &res->mask, err);
    const char *path = cfg->mask ? cfg->mask : (is_regular(beside) ? beside : NULL);
    if (!path) {
        mask_all_generated(&res->mask, L);
        return 0;
    }
    if (mask_load_file(path, &res->mask, err)) return -1;
    if (res->mask.length != L || (res->mask.rows != 1 && res->mask.rows != res->gen.count)) {
        error_set(err, "%s: mask is %lld x %d, but GENERATED is %lld x %d (a mask has one row per window, or a single row for all)",
                  path, (long long)res->mask.rows, res->mask.length, (long long)res->gen.count, L);
        mask_free(&res->mask);
        return -1;
    }
    return 0;
}

/* Scores one reconstruction of REAL on all windows and, when known, on the
 * unseen subset: every system goes through here, so all get the same figures. */
static void score_system(const eval_result *res, eval_system *s, const window_set *filled) {
    recon_compute(filled, &res->real_ws, &res->mask, &s->recon);
    types_compute(filled, &res->real_ws, &res->mask, res->head_k, NULL, &s->types);
    if (!res->has_unseen) return;
    recon_compute_rows(filled, &res->real_ws, &res->mask, res->unseen_rows, &s->unseen_recon);
    types_compute(filled, &res->real_ws, &res->mask, res->head_k, res->unseen_rows, &s->unseen_types);
}

static void system_free(eval_system *s, int unseen) {
    recon_free(&s->recon);
    types_free(&s->types);
    if (unseen) {
        recon_free(&s->unseen_recon);
        types_free(&s->unseen_types);
    }
}

static void add_baseline(eval_result *res, const char *key, const char *column, const char *title,
                         const window_set *filled) {
    if (res->n_baselines == EVAL_MAX_BASELINES) die("more baselines than EVAL_MAX_BASELINES (%d)", EVAL_MAX_BASELINES);
    eval_system *s = &res->baselines[res->n_baselines++];
    s->key = key;
    s->column = column;
    s->title = title;
    score_system(res, s, filled);
    if (res->has_recon && res->paired) {
        paired_bootstrap(&res->gen, filled, &res->real_ws, &res->mask, res->model.types.head, res->model.types.n_head,
                         res->bootstrap_block, BOOTSTRAP_RESAMPLES, res->seed, &s->vs_model);
        s->has_vs_model = 1;
    }
}

/* The n-gram generator beside a synthesis (ngram_synthesis.h). Its copies
 * of training only: REAL's leakage is res->memo's already. */
static void compute_ngram_synthesis(eval_result *res, const training_index *ix, uint64_t seed) {
    window_set *sample = &res->ngram_synthesis_windows;
    ngram_synthesis_draw(ix, res->gen.count, res->gen.length, seed, sample, &res->ngram_synthesis_order);
    dist_compute(sample, NULL, &res->real_ws, NULL, res->vocab_max, &res->ngram_synthesis_dist);
    memo_result memo;
    memorisation_compute(ix, sample, NULL, &memo);
    res->ngram_synthesis_copies = memo.gen_in_trace;
    res->has_ngram_synthesis = 1;
}

/* Each baseline fills REAL's generated positions and is scored like the
 * model; adding one is a fill and an add_baseline (EVAL_MAX_BASELINES). */
static void compute_baselines(eval_result *res, const training_index *ix) {
    /* Windows that can share events are drawn together (paired_bootstrap.h). */
    int L = res->real_ws.length, stride = trace_windows_stride(&res->real_ws);
    res->bootstrap_block = stride < L ? (L + stride - 1) / stride : 1;
    window_set filled;
    baseline_context_fill(ix, &res->real_ws, &res->mask, BASELINE_MAX_CONTEXT, &filled, &res->context);
    add_baseline(res, "context_lookup", "context", "context lookup", &filled);
    window_set_free(&filled);
    window_set marginal;
    baseline_ngram_fills(ix, &res->real_ws, &res->mask, &filled, &marginal, &res->ngram);
    add_baseline(res, "ngram_infill", "n-gram", "bidirectional n-gram infill", &filled);
    add_baseline(res, "ngram_marginal", "marginal", "n-gram, likeliest event per position", &marginal);
    window_set_free(&filled);
    window_set_free(&marginal);
    res->mode_event = training_mode_event(ix);
    baseline_mode_fill(&res->real_ws, &res->mask, res->mode_event, &filled);
    add_baseline(res, "most_frequent_event", "mode", "most frequent event", &filled);
    window_set_free(&filled);
    res->has_baselines = 1;
}

/* The unseen subset: REAL windows that occur nowhere in the training trace. */
static void find_unseen(eval_result *res, const training_index *ix) {
    int L = res->real_ws.length;
    res->unseen_rows = xcalloc((size_t)(res->real_ws.count ? res->real_ws.count : 1), 1);
    for (int64_t w = 0; w < res->real_ws.count; w++) {
        res->unseen_rows[w] = !training_has_substring(ix, res->real_ws.ids + w * L);
        res->unseen_windows += res->unseen_rows[w];
    }
    res->has_unseen = 1;
}

int eval_systems(const eval_result *res, const eval_system **out) {
    int n = 0;
    if (res->has_recon) out[n++] = &res->model;
    for (int i = 0; i < res->n_baselines; i++) out[n++] = &res->baselines[i];
    return n;
}

int eval_run(const eval_config *cfg, eval_result *res, error_info *err) {
    memset(res, 0, sizeof *res);
    double t0 = now_seconds();
    snprintf(res->generated, sizeof res->generated, "%s", cfg->generated);
    snprintf(res->real, sizeof res->real, "%s", cfg->real);
    res->head_k = cfg->head > 0 ? cfg->head : TYPES_DEFAULT_HEAD;
    res->seed = cfg->seed;
    if (windows_load(cfg->generated, "testing", cfg->length_hint, &res->gen, err)) return -1;
    if (load_real(cfg, res, err) || check_real_ids(cfg->real, &res->real_ws, err)) goto fail;
    if (res->gen.length != res->real_ws.length) {
        error_set(err, "%s has windows of %d events but %s has %d (use windows of the same length)", cfg->generated,
                  res->gen.length, cfg->real, res->real_ws.length);
        goto fail;
    }
    if (cfg->train) {
        snprintf(res->train, sizeof res->train, "%s", cfg->train);
        if (windows_load(cfg->train, "training", cfg->length_hint, &res->train_ws, err) ||
            check_real_ids(cfg->train, &res->train_ws, err))
            goto fail;
        if (res->train_ws.length != res->gen.length) {
            error_set(err, "%s has windows of %d events but %s has %d", cfg->train, res->train_ws.length,
                      cfg->generated, res->gen.length);
            goto fail;
        }
        res->has_train = 1;
    }
    if (load_mask(cfg, res, err)) goto fail;
    {
        /* What the metrics will hold (see `evaluate --help`, memory):
         * n-gram tables over GENERATED and REAL, and the index of every
         * training substring. Refused now rather than failing half-way. */
        double events = (double)(res->gen.count + res->real_ws.count) * res->gen.length;
        double train_events = (double)res->train_ws.count * res->train_ws.length;
        char what[200];
        snprintf(what, sizeof what, "scoring %.0f generated and real events%s", events,
                 res->has_train ? " with the training index" : "");
        if (memory_check(cfg->generated, what, EVAL_BYTES_PER_EVENT * events + EVAL_BYTES_PER_TRAIN_EVENT * train_events, err))
            goto fail;
    }
    res->mask_observed = mask_observed_total(&res->mask);
    res->unconditional = res->mask_observed == 0;
    int nothing_generated = res->mask_observed == res->mask.rows * res->mask.length;
    if (nothing_generated)
        WARN("the mask marks every position observed (1): nothing was generated, so there is nothing to reconstruct; "
             "whole windows are compared instead (an all-zero mask means unconditional generation)");
    res->paired = res->gen.count == res->real_ws.count;
    if (!res->vocab_max) {
        int32_t m = max_id(&res->real_ws);
        if (res->has_train && max_id(&res->train_ws) > m) m = max_id(&res->train_ws);
        res->vocab_max = m;
        snprintf(res->vocab_source, sizeof res->vocab_source, "largest real%s ID (%d)",
                 res->has_train ? "/training" : "", m);
    }

    if (!res->unconditional && !nothing_generated && !res->paired)
        WARN("the mask marks observed positions but GENERATED has %lld windows and REAL %lld: they do not pair up, so no reconstruction metrics",
             (long long)res->gen.count, (long long)res->real_ws.count);
    int recon_applies = !res->unconditional && !nothing_generated && res->paired;
    int baselines_apply = !res->unconditional && !nothing_generated &&
                          (res->mask.rows == 1 || res->mask.rows == res->real_ws.count);

    /* The training index comes first: the unseen subset it defines is scored
     * for the model and the baselines alike. */
    training_index ix;
    memset(&ix, 0, sizeof ix);
    if (res->has_train) {
        training_index_build(&res->train_ws, &ix);
        res->train_stride = ix.stride;
        res->train_segments = ix.segments;
        res->train_trace_length = ix.length;
        memorisation_compute(&ix, &res->gen, &res->real_ws, &res->memo);
        res->has_memo = 1;
        if (recon_applies || baselines_apply) find_unseen(res, &ix);
        if (res->has_unseen && res->unseen_windows == 0)
            NOTE("every test window occurs somewhere in the training trace: the unseen subset is empty, so it has no figures");
    }

    if (recon_applies) {
        res->model.key = "model";
        res->model.column = "model";
        res->model.title = "model";
        score_system(res, &res->model, &res->gen);
        res->has_recon = 1;
        if (res->model.recon.observed_mismatches)
            WARN("%lld observed positions in %lld windows of GENERATED differ from REAL: the generator did not keep its conditioning (broken generator or wrong REAL/mask)",
                 (long long)res->model.recon.observed_mismatches, (long long)res->model.recon.observed_mismatch_windows);
    }

    /* Distribution scope: the generated positions when both sides can be cut
     * the same way, otherwise whole windows. */
    int gen_scope = !res->unconditional && !nothing_generated && (res->paired || res->mask.rows == 1);
    dist_compute(&res->gen, gen_scope ? &res->mask : NULL, &res->real_ws, gen_scope ? &res->mask : NULL,
                 res->vocab_max, &res->dist);
    if (res->dist.oov_gen)
        WARN("%lld generated events are outside the vocabulary 1..%d (the generator produced IDs that do not exist)",
             (long long)res->dist.oov_gen, res->vocab_max);

    if (!cfg->skip_nn) {
        nn_rouge_compute(&res->gen, &res->real_ws, cfg->threads, &res->nn);
        res->has_nn = 1;
    }
    if (res->has_train) {
        floor_compute(&res->train_ws, &res->real_ws, gen_scope ? &res->mask : NULL, res->gen.count, cfg->seed,
                      cfg->floor_draws > 0 ? cfg->floor_draws : FLOOR_DEFAULT_DRAWS, res->vocab_max,
                      cfg->skip_nn ? 0 : cfg->threads, &res->floor);
        res->has_floor = 1;
        if (res->floor.windows < res->gen.count)
            NOTE("the floor (real against real) samples all %lld training windows, fewer than the %lld generated: "
                 "it is further from REAL by chance than a sample as large as GENERATED would be",
                 (long long)res->floor.windows, (long long)res->gen.count);
    }

    if (res->has_train) {
        if (baselines_apply) compute_baselines(res, &ix);
        if (res->unconditional) compute_ngram_synthesis(res, &ix, cfg->seed);
        training_index_free(&ix);

        double leak = res->memo.real_count ? 100.0 * res->memo.real_in_trace / res->memo.real_count : 0;
        if (leak >= 50)
            WARN("%.1f%% of the real test windows occur verbatim in the training trace: the test set leaks, so scores measure recall of training data, not generalisation (split by trace/run instead)",
                 leak);
        double copied = res->memo.gen_count ? 100.0 * res->memo.gen_in_trace / res->memo.gen_count : 0;
        if (res->unconditional && copied >= 50)
            WARN("%.1f%% of the generated windows are verbatim copies of training data: the model memorises", copied);
        if (res->has_baselines && res->has_recon) {
            double model = res->model.recon.accuracy;
            for (int i = 0; i < res->n_baselines; i++) {
                const eval_system *b = &res->baselines[i];
                /* The interval of model minus baseline, when there is one. */
                char why[160] = "";
                const diff_interval *d = &b->vs_model.accuracy;
                if (b->has_vs_model && !isnan(d->low))
                    snprintf(why, sizeof why, "; model minus baseline %+.2f points, 95%% interval [%+.2f, %+.2f]%s",
                             d->difference, d->low, d->high,
                             d->low <= 0 && d->high >= 0 ? ": the test split cannot tell them apart" : "");
                if (b->recon.accuracy > model)
                    WARN("the %s baseline (%.2f%% accuracy) beats the model (%.2f%%): the model adds nothing over a "
                         "lookup%s", b->title, b->recon.accuracy, model, why);
                else if (b->recon.accuracy >= model - 2.0)
                    WARN("the %s baseline (%.2f%% accuracy) comes within 2 points of the model (%.2f%%)%s", b->title,
                         b->recon.accuracy, model, why);
            }
        }
    } else if (!res->unconditional) {
        NOTE("no --train: memorisation and the baselines (what a lookup in training achieves) are not reported");
    }
    res->seconds = now_seconds() - t0;
    return 0;
fail:
    eval_result_free(res);
    return -1;
}

void eval_result_free(eval_result *res) {
    window_set_free(&res->gen);
    window_set_free(&res->real_ws);
    window_set_free(&res->train_ws);
    mask_free(&res->mask);
    if (res->has_recon) system_free(&res->model, res->has_unseen);
    dist_free(&res->dist);
    if (res->has_nn) nn_free(&res->nn);
    if (res->has_floor) floor_free(&res->floor);
    if (res->has_ngram_synthesis) {
        dist_free(&res->ngram_synthesis_dist);
        window_set_free(&res->ngram_synthesis_windows);
    }
    for (int i = 0; i < res->n_baselines; i++) system_free(&res->baselines[i], res->has_unseen);
    free(res->unseen_rows);
    memset(res, 0, sizeof *res);
}
