/* JSON view of an evaluation: every figure, arrays included; NaN as null. */
#include "report.h"
#include "atomic_file.h"

#include <math.h>

#include "json_out.h"

/* Nesting depth for indentation (two spaces a level). */
static int depth;

static void open_obj(FILE *f) {
    fputc('{', f);
    depth++;
}

static void close_obj(FILE *f) {
    depth--;
    fprintf(f, "\n%*s}", 2 * depth, "");
}

static void key(FILE *f, int *first, const char *name) {
    fprintf(f, "%s\n%*s", *first ? "" : ",", 2 * depth, "");
    *first = 0;
    json_out_string(f, name);
    fputs(": ", f);
}

static void jarr_d(FILE *f, const double *v, int64_t n) {
    fputc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        json_out_number(f, v[i]);
    }
    fputc(']', f);
}

/* The figures every system shares (all windows or the unseen subset). */
static void figures(FILE *f, int *first, const recon_metrics *m, const type_metrics *t) {
    key(f, first, "windows"); fprintf(f, "%lld", (long long)m->windows);
    key(f, first, "generated_positions"); fprintf(f, "%lld", (long long)m->generated_positions);
    key(f, first, "accuracy"); json_out_number(f, m->accuracy);
    key(f, first, "perfect"); json_out_number(f, m->perfect);
    key(f, first, "rougeL_event"); json_out_number(f, m->rouge_event);
    key(f, first, "rougeL_published"); json_out_number(f, m->rouge_published);
    key(f, first, "macro_accuracy"); json_out_number(f, t->macro_accuracy);
    key(f, first, "tail_accuracy"); json_out_number(f, t->tail_accuracy);
    key(f, first, "tail_positions"); fprintf(f, "%lld", (long long)t->tail_positions);
    key(f, first, "distinct_generated"); fprintf(f, "%d", t->distinct_generated);
    key(f, first, "distinct_real"); fprintf(f, "%d", t->distinct_real);
}

static void per_type(FILE *f, int *first, const type_metrics *t) {
    key(f, first, "head_k"); fprintf(f, "%d", t->head_k);
    key(f, first, "head_events");
    fputc('[', f);
    for (int i = 0; i < t->n_head; i++) fprintf(f, "%s%d", i ? "," : "", t->head[i]);
    fputc(']', f);
    key(f, first, "per_type");
    fputc('[', f);
    for (int i = 0; i < t->n_types; i++) {
        const type_row *r = &t->rows[i];
        fprintf(f, "%s\n%*s{\"id\": %d, \"real\": %lld, \"correct\": %lld, \"recall\": ", i ? "," : "", 2 * depth + 2, "",
                r->id, (long long)r->real, (long long)r->correct);
        json_out_number(f, r->recall);
        fprintf(f, ", \"predicted\": %lld, \"precision\": ", (long long)r->predicted);
        json_out_number(f, r->precision);
        fputs(", \"most_frequent_wrong\": ", f);
        if (r->top_wrong_count) fprintf(f, "%d", r->top_wrong);
        else fputs("null", f);
        fprintf(f, ", \"most_frequent_wrong_count\": %lld}", (long long)r->top_wrong_count);
    }
    fputc(']', f);
}

static void system_object(FILE *f, const eval_system *s, int arrays) {
    const recon_metrics *m = &s->recon;
    int first = 1;
    open_obj(f);
    figures(f, &first, m, &s->types);
    int64_t hist[REPORT_HIST_BINS];
    report_histogram(m->window_rouge, m->windows, REPORT_HIST_BINS, hist);
    key(f, &first, "histogram_rougeL_event"); json_out_int_array(f, hist, REPORT_HIST_BINS);
    if (arrays) {
        key(f, &first, "observed_positions"); fprintf(f, "%lld", (long long)m->observed_positions);
        key(f, &first, "observed_mismatches"); fprintf(f, "%lld", (long long)m->observed_mismatches);
        key(f, &first, "observed_mismatch_windows"); fprintf(f, "%lld", (long long)m->observed_mismatch_windows);
    }
    key(f, &first, "accuracy_by_position"); jarr_d(f, m->position_accuracy, m->length);
    if (arrays) {
        key(f, &first, "windows_by_position"); json_out_int_array(f, m->position_count, m->length);
        key(f, &first, "window_accuracy"); jarr_d(f, m->window_accuracy, m->windows);
        key(f, &first, "window_rougeL_event"); jarr_d(f, m->window_rouge, m->windows);
    }
    per_type(f, &first, &s->types);
    if (s->has_vs_model) {
        const paired_diff *d = &s->vs_model;
        const diff_interval *iv[4] = {&d->accuracy, &d->perfect, &d->macro, &d->tail};
        const char *names[4] = {"accuracy", "perfect", "macro_accuracy", "tail_accuracy"};
        int k = 1;
        key(f, &first, "model_minus_baseline");
        open_obj(f);
        key(f, &k, "definition"); json_out_string(f, REPORT_MEANING_BOOTSTRAP);
        key(f, &k, "windows"); fprintf(f, "%lld", (long long)d->windows);
        key(f, &k, "block"); fprintf(f, "%d", d->block);
        key(f, &k, "resamples"); fprintf(f, "%d", d->resamples);
        for (int i = 0; i < 4; i++) {
            int q = 1;
            key(f, &k, names[i]);
            open_obj(f);
            key(f, &q, "difference"); json_out_number(f, iv[i]->difference);
            key(f, &q, "low"); json_out_number(f, iv[i]->low);
            key(f, &q, "high"); json_out_number(f, iv[i]->high);
            close_obj(f);
        }
        close_obj(f);
    }
    close_obj(f);
}

/* The unseen subset: its size, then each system's figures (null when the
 * subset is empty: nothing was measured). */
static void unseen_object(FILE *f, const eval_result *r) {
    const eval_system *sys[1 + EVAL_MAX_BASELINES];
    int n = eval_systems(r, sys), k = 1;
    open_obj(f);
    key(f, &k, "definition"); json_out_string(f, REPORT_MEANING_UNSEEN);
    key(f, &k, "windows"); fprintf(f, "%lld", (long long)r->unseen_windows);
    key(f, &k, "of_windows"); fprintf(f, "%lld", (long long)r->real_ws.count);
    for (int i = 0; i < n; i++) {
        int first = 1;
        key(f, &k, sys[i]->key);
        open_obj(f);
        figures(f, &first, &sys[i]->unseen_recon, &sys[i]->unseen_types);
        close_obj(f);
    }
    close_obj(f);
}

static void write_json(FILE *f, const eval_result *r) {
    int first = 1;
    depth = 0;
    open_obj(f);
    key(f, &first, "format"); json_out_string(f, "sssd-evaluate");
    key(f, &first, "format_version"); fputs("1", f);

    key(f, &first, "inputs");
    {
        int k = 1;
        open_obj(f);
        key(f, &k, "generated"); json_out_string(f, r->generated);
        key(f, &k, "real"); json_out_string(f, r->real);
        key(f, &k, "train"); if (r->has_train) json_out_string(f, r->train); else fputs("null", f);
        key(f, &k, "generated_windows"); fprintf(f, "%lld", (long long)r->gen.count);
        key(f, &k, "real_windows"); fprintf(f, "%lld", (long long)r->real_ws.count);
        key(f, &k, "training_windows"); fprintf(f, "%lld", (long long)r->train_ws.count);
        key(f, &k, "length"); fprintf(f, "%d", r->gen.length);
        key(f, &k, "mask"); json_out_string(f, r->mask.source);
        key(f, &k, "mask_rows"); fprintf(f, "%lld", (long long)r->mask.rows);
        key(f, &k, "mask_observed_positions"); fprintf(f, "%lld", (long long)r->mask_observed);
        key(f, &k, "unconditional"); fputs(r->unconditional ? "true" : "false", f);
        key(f, &k, "paired"); fputs(r->paired ? "true" : "false", f);
        key(f, &k, "vocab_max"); fprintf(f, "%d", r->vocab_max);
        key(f, &k, "vocab_source"); json_out_string(f, r->vocab_source);
        if (r->has_train) {
            key(f, &k, "training_stride"); fprintf(f, "%d", r->train_stride);
            key(f, &k, "training_trace_events"); fprintf(f, "%lld", (long long)r->train_trace_length);
            key(f, &k, "training_trace_pieces"); fprintf(f, "%lld", (long long)r->train_segments);
        }
        close_obj(f);
    }

    key(f, &first, "reconstruction");
    if (r->has_recon) system_object(f, &r->model, 1);
    else fputs("null", f);

    key(f, &first, "baselines");
    if (r->has_baselines) {
        int k = 1;
        open_obj(f);
        key(f, &k, "most_frequent_event_id"); fprintf(f, "%d", r->mode_event);
        for (int i = 0; i < r->n_baselines; i++) {
            key(f, &k, r->baselines[i].key);
            system_object(f, &r->baselines[i], 0);
        }
        key(f, &k, "ngram_order"); fprintf(f, "%d", r->ngram.order);
        key(f, &k, "ngram_note"); json_out_string(f, "bidirectional n-gram infill: the filling maximising the interpolated Kneser-Ney probability of the gap and the observed events after it given those before it; order chosen by held-out log-likelihood on the training trace");
        key(f, &k, "ngram_marginal_note"); json_out_string(f, "the same n-gram model decoded per position: each generated position gets the event with the largest marginal probability given both sides of its gap (forward-backward, beam 256): more events right on average, fewer whole gaps right than the joint filling");
        key(f, &k, "context_lookup_gaps"); fprintf(f, "%lld", (long long)r->context.gaps);
        key(f, &k, "context_lookup_filled_at_context"); json_out_int_array(f, r->context.filled_at, BASELINE_MAX_CONTEXT + 1);
        key(f, &k, "context_lookup_note"); json_out_string(f, "filled_at_context[c] = gaps matched with c events per side; [0] = fell back to the most frequent event");
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "unseen");
    if (r->has_unseen) unseen_object(f, r);
    else fputs("null", f);

    key(f, &first, "distribution");
    {
        const dist_metrics *d = &r->dist;
        int k = 1;
        open_obj(f);
        key(f, &k, "scope"); json_out_string(f, d->generated_only ? "generated positions (n-grams touching one)" : "whole windows");
        key(f, &k, "kl_generated_real_nats"); json_out_number(f, d->kl_gen_real);
        key(f, &k, "kl_real_generated_nats"); json_out_number(f, d->kl_real_gen);
        key(f, &k, "kl_smoothing"); json_out_string(f, REPORT_SMOOTHING);
        key(f, &k, "kl_epsilon"); json_out_number(f, DIST_KL_EPSILON);
        key(f, &k, "js_events_bits"); json_out_number(f, d->js_event);
        key(f, &k, "js_bigrams_bits"); json_out_number(f, d->js_bigram);
        key(f, &k, "js_trigrams_bits"); json_out_number(f, d->js_trigram);
        key(f, &k, "composition_generated_to_real"); json_out_number(f, d->composition.gen_to_real);
        key(f, &k, "composition_real_to_generated"); json_out_number(f, d->composition.real_to_gen);
        key(f, &k, "events_generated"); fprintf(f, "%lld", (long long)d->events_gen);
        key(f, &k, "events_real"); fprintf(f, "%lld", (long long)d->events_real);
        key(f, &k, "unique_generated"); fprintf(f, "%d", d->unique_gen);
        key(f, &k, "unique_real"); fprintf(f, "%d", d->unique_real);
        key(f, &k, "unique_shared"); fprintf(f, "%d", d->unique_both);
        key(f, &k, "unique_only_generated"); fprintf(f, "%d", d->unique_gen_only);
        key(f, &k, "unique_only_real"); fprintf(f, "%d", d->unique_real_only);
        key(f, &k, "vocab_max"); fprintf(f, "%d", d->vocab_max);
        key(f, &k, "out_of_vocabulary_generated"); fprintf(f, "%lld", (long long)d->oov_gen);
        key(f, &k, "out_of_vocabulary_real"); fprintf(f, "%lld", (long long)d->oov_real);
        key(f, &k, "event_frequencies");
        fputc('[', f);
        for (int i = 0; i < d->n_events; i++)
            fprintf(f, "%s{\"id\": %d, \"generated\": %lld, \"real\": %lld}", i ? ", " : "", d->event_ids[i],
                    (long long)d->count_gen[i], (long long)d->count_real[i]);
        fputc(']', f);
        close_obj(f);
    }

    key(f, &first, "nearest_neighbour_rougeL");
    if (r->has_nn) {
        int k = 1;
        int64_t hist[REPORT_HIST_BINS];
        open_obj(f);
        key(f, &k, "generated_to_real"); json_out_number(f, r->nn.mean_gen_to_real);
        key(f, &k, "real_to_generated"); json_out_number(f, r->nn.mean_real_to_gen);
        key(f, &k, "generated_equal_to_a_real_window"); fprintf(f, "%lld", (long long)r->nn.gen_exact);
        key(f, &k, "pairs"); fprintf(f, "%lld", (long long)r->nn.pairs);
        key(f, &k, "seconds"); json_out_number(f, r->nn.seconds);
        key(f, &k, "threads"); fprintf(f, "%d", r->nn.threads);
        report_histogram(r->nn.best_gen, r->gen.count, REPORT_HIST_BINS, hist);
        key(f, &k, "histogram_generated_to_real"); json_out_int_array(f, hist, REPORT_HIST_BINS);
        report_histogram(r->nn.best_real, r->real_ws.count, REPORT_HIST_BINS, hist);
        key(f, &k, "histogram_real_to_generated"); json_out_int_array(f, hist, REPORT_HIST_BINS);
        key(f, &k, "best_generated"); jarr_d(f, r->nn.best_gen, r->gen.count);
        key(f, &k, "best_real"); jarr_d(f, r->nn.best_real, r->real_ws.count);
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "memorisation");
    if (r->has_memo) {
        const memo_result *m = &r->memo;
        int k = 1;
        open_obj(f);
        key(f, &k, "generated_in_training_windows"); fprintf(f, "%lld", (long long)m->gen_in_windows);
        key(f, &k, "generated_in_training_trace"); fprintf(f, "%lld", (long long)m->gen_in_trace);
        key(f, &k, "generated_windows"); fprintf(f, "%lld", (long long)m->gen_count);
        key(f, &k, "real_in_training_windows"); fprintf(f, "%lld", (long long)m->real_in_windows);
        key(f, &k, "real_in_training_trace"); fprintf(f, "%lld", (long long)m->real_in_trace);
        key(f, &k, "real_windows"); fprintf(f, "%lld", (long long)m->real_count);
        key(f, &k, "generated_in_training_trace_percent"); json_out_number(f, m->gen_count ? 100.0 * m->gen_in_trace / m->gen_count : NAN);
        key(f, &k, "real_in_training_trace_percent"); json_out_number(f, m->real_count ? 100.0 * m->real_in_trace / m->real_count : NAN);
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "floor");
    if (r->has_floor) {
        const real_floor *fl = &r->floor;
        int k = 1;
        open_obj(f);
        key(f, &k, "definition"); json_out_string(f, REPORT_MEANING_FLOOR);
        key(f, &k, "windows"); fprintf(f, "%lld", (long long)fl->windows);
        key(f, &k, "of_training_windows"); fprintf(f, "%lld", (long long)fl->of_windows);
        key(f, &k, "seed"); fprintf(f, "%llu", (unsigned long long)fl->seed);
        key(f, &k, "scope"); json_out_string(f, fl->dist.generated_only ? "generated positions (n-grams touching one)" : "whole windows");
        floor_row rows[REPORT_FLOOR_ROWS];
        int n = report_floor_rows(r, rows);
        for (int i = 0; i < n; i++) {
            key(f, &k, rows[i].key);
            json_out_number(f, rows[i].floor);
        }
        key(f, &k, "unique_real"); fprintf(f, "%d", fl->dist.unique_real);
        key(f, &k, "draws"); fprintf(f, "%d", fl->draws);
        key(f, &k, "range_definition"); json_out_string(f, REPORT_MEANING_FLOOR_RANGE);
        /* Per figure over the draws ([v, v] and v with one draw): [smallest, largest], and the median. */
        const char *what[2] = {"range", "median"};
        for (int w = 0; w < 2; w++) {
            key(f, &k, what[w]);
            int kr = 1;
            open_obj(f);
            for (int i = 0; i < n && i < FLOOR_SPREAD_FIGURES; i++) {
                key(f, &kr, rows[i].key);
                if (w == 1) {
                    json_out_number(f, rows[i].median);
                    continue;
                }
                fputc('[', f);
                json_out_number(f, rows[i].lo);
                fputs(", ", f);
                json_out_number(f, rows[i].hi);
                fputc(']', f);
            }
            close_obj(f);
        }
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "copies");
    if (r->has_memo) {
        int k = 1;
        open_obj(f);
        key(f, &k, "definition"); json_out_string(f, REPORT_MEANING_COPIES);
        key(f, &k, "generated_percent"); json_out_number(f, report_copies_generated(r));
        key(f, &k, "real_test_percent"); json_out_number(f, report_copies_real(r));
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "ngram_synthesis");
    if (r->has_ngram_synthesis) {
        int k = 1;
        open_obj(f);
        key(f, &k, "definition"); json_out_string(f, REPORT_MEANING_NGRAM_SYNTHESIS);
        key(f, &k, "order"); fprintf(f, "%d", r->ngram_synthesis_order);
        key(f, &k, "windows"); fprintf(f, "%lld", (long long)r->gen.count);
        key(f, &k, "seed"); fprintf(f, "%llu", (unsigned long long)r->seed);
        floor_row rows[REPORT_FLOOR_ROWS];
        int n = report_floor_rows(r, rows);
        for (int i = 0; i < n && i < FLOOR_SPREAD_FIGURES; i++) {
            key(f, &k, rows[i].key);
            json_out_number(f, rows[i].ngram);
        }
        key(f, &k, "copies_percent"); json_out_number(f, report_copies_ngram(r));
        close_obj(f);
    } else fputs("null", f);

    key(f, &first, "warnings");
    fputc('[', f);
    for (int i = 0; i < r->n_warnings; i++) {
        if (i) fputs(", ", f);
        json_out_string(f, r->warnings[i]);
    }
    fputc(']', f);
    key(f, &first, "notes");
    fputc('[', f);
    for (int i = 0; i < r->n_notes; i++) {
        if (i) fputs(", ", f);
        json_out_string(f, r->notes[i]);
    }
    fputc(']', f);
    key(f, &first, "seconds"); json_out_number(f, r->seconds);
    close_obj(f);
    fputc('\n', f);
}

int report_json_write(const char *path, const eval_result *r, error_info *err) {
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    write_json(af.f, r);
    return atomic_file_commit(&af, err);
}
