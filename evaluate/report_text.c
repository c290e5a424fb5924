/* Terminal view of an evaluation: one line per metric with what it means. */
#include "report.h"

#include <math.h>

static double pct(int64_t a, int64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

/* One figure per system: the recon figures or the per-type ones, on all
 * windows or on the unseen subset. */
typedef enum { FIG_ACCURACY, FIG_PERFECT, FIG_ROUGE, FIG_PUBLISHED, FIG_MACRO, FIG_TAIL, FIG_DISTINCT } figure;

static double figure_of(const eval_system *s, figure which, int unseen) {
    const recon_metrics *m = unseen ? &s->unseen_recon : &s->recon;
    const type_metrics *t = unseen ? &s->unseen_types : &s->types;
    switch (which) {
    case FIG_ACCURACY: return m->accuracy;
    case FIG_PERFECT: return m->perfect;
    case FIG_ROUGE: return m->rouge_event;
    case FIG_PUBLISHED: return m->rouge_published;
    case FIG_MACRO: return t->macro_accuracy;
    case FIG_TAIL: return t->tail_accuracy;
    default: return t->distinct_generated;
    }
}

static void figure_table(FILE *f, const eval_system *const *sys, int n, int unseen) {
    static const struct { figure which; const char *name; } rows[] = {
        {FIG_ACCURACY, "accuracy"}, {FIG_PERFECT, "perfect"}, {FIG_ROUGE, "ROUGE-L (event)"},
        {FIG_PUBLISHED, "rougeL_published"}, {FIG_MACRO, "macro accuracy"}, {FIG_TAIL, "tail accuracy"},
        {FIG_DISTINCT, "distinct generated"}};
    const char *meanings[] = {REPORT_MEANING_ACCURACY, REPORT_MEANING_PERFECT, REPORT_MEANING_ROUGE_EVENT,
                              REPORT_MEANING_ROUGE_PUBLISHED, REPORT_MEANING_MACRO, REPORT_MEANING_TAIL,
                              REPORT_MEANING_DISTINCT};
    fprintf(f, "  %-22s", "metric (%)");
    for (int i = 0; i < n; i++) fprintf(f, " %8s", sys[i]->column);
    fprintf(f, "   meaning\n");
    for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
        fprintf(f, "  %-22s", rows[k].name);
        for (int i = 0; i < n; i++) {
            double v = figure_of(sys[i], rows[k].which, unseen);
            if (rows[k].which == FIG_DISTINCT) fprintf(f, " %8.0f", v);
            else if (isnan(v)) fprintf(f, " %8s", "-");
            else fprintf(f, " %8.2f", v);
        }
        fprintf(f, "   %s\n", meanings[k]);
    }
}

/* Model minus each baseline with its 95% interval (paired_bootstrap.h). */
static void interval_cell(FILE *f, const diff_interval *d) {
    char cell[64];
    report_interval(d, cell, sizeof cell);
    fprintf(f, " %-24s", cell);
}

static void bootstrap_table(FILE *f, const eval_result *r) {
    const paired_diff *first = NULL;
    for (int i = 0; i < r->n_baselines && !first; i++)
        if (r->baselines[i].has_vs_model) first = &r->baselines[i].vs_model;
    if (!first) return;
    char blocks[96] = "";
    if (first->block > 1)
        snprintf(blocks, sizeof blocks, " in blocks of %d consecutive windows (they share events)", first->block);
    fprintf(f, "  model minus baseline, points, with 95%% intervals (paired bootstrap over the %lld windows%s, %d resamples;\n"
               "  an interval holding 0: this test split cannot tell the two apart on that figure)\n",
            (long long)first->windows, blocks, first->resamples);
    fprintf(f, "  %-10s %-24s %-24s %-24s %-24s\n", "baseline", "accuracy", "perfect", "macro accuracy", "tail accuracy");
    for (int i = 0; i < r->n_baselines; i++) {
        const eval_system *b = &r->baselines[i];
        if (!b->has_vs_model) continue;
        fprintf(f, "  %-10s", b->column);
        interval_cell(f, &b->vs_model.accuracy);
        interval_cell(f, &b->vs_model.perfect);
        interval_cell(f, &b->vs_model.macro);
        interval_cell(f, &b->vs_model.tail);
        fprintf(f, "\n");
    }
}

/* The head set and the tail size are the same for every system (they depend
 * on REAL and the mask only). */
static void head_line(FILE *f, const type_metrics *t) {
    fprintf(f, "  head (%d most frequent real events, all positions):", t->head_k);
    for (int i = 0; i < t->n_head; i++) fprintf(f, " %d", t->head[i]);
    fprintf(f, "; tail positions %lld of %lld%s; distinct real events %d\n", (long long)t->tail_positions,
            (long long)t->positions, t->tail_positions ? "" : " (no tail: tail accuracy undefined)", t->distinct_real);
}

static void type_table(FILE *f, const eval_system *s, int cap) {
    const type_metrics *t = &s->types;
    fprintf(f, "\nPer event type, %s (generated positions pooled; %d types, by real count)\n", s->title, t->n_types);
    fprintf(f, "  %8s %8s %8s %8s %9s %10s   %s\n", "id", "real", "correct", "recall%", "predicted", "precision%",
            "most frequent wrong (times)");
    for (int i = 0; i < t->n_types && i < cap; i++) {
        const type_row *r = &t->rows[i];
        char rec[16] = "-", prec[16] = "-", wrong[48] = "-";
        if (!isnan(r->recall)) snprintf(rec, sizeof rec, "%.2f", r->recall);
        if (!isnan(r->precision)) snprintf(prec, sizeof prec, "%.2f", r->precision);
        if (r->top_wrong_count) snprintf(wrong, sizeof wrong, "%d (%lld)", r->top_wrong, (long long)r->top_wrong_count);
        fprintf(f, "  %8d %8lld %8lld %8s %9lld %10s   %s\n", r->id, (long long)r->real, (long long)r->correct, rec,
                (long long)r->predicted, prec, wrong);
    }
    if (t->n_types > cap) fprintf(f, "  ... %d more (all in the JSON and HTML)\n", t->n_types - cap);
}

static void unseen_section(FILE *f, const eval_result *r, const eval_system *const *sys, int n) {
    fprintf(f, "\nUnseen test windows (%s): %lld of %lld\n", REPORT_MEANING_UNSEEN, (long long)r->unseen_windows,
            (long long)r->real_ws.count);
    if (!r->unseen_windows) {
        fprintf(f, "  none: every test window occurs in the training trace, so no figure measures generalisation\n");
        return;
    }
    figure_table(f, sys, n, 1);
    fprintf(f, "  (%lld generated positions; tail positions %lld)\n", (long long)sys[0]->unseen_types.positions,
            (long long)sys[0]->unseen_types.tail_positions);
}

static void position_line(FILE *f, const recon_metrics *m) {
    int shown = 0, total = 0;
    for (int j = 0; j < m->length; j++) total += m->position_count[j] > 0;
    fprintf(f, "  accuracy by position (%%):");
    if (total > 40) {
        double lo = 101, hi = -1;
        int jlo = 0, jhi = 0;
        for (int j = 0; j < m->length; j++) {
            if (!m->position_count[j]) continue;
            if (m->position_accuracy[j] < lo) { lo = m->position_accuracy[j]; jlo = j; }
            if (m->position_accuracy[j] > hi) { hi = m->position_accuracy[j]; jhi = j; }
        }
        fprintf(f, " %d positions, lowest %.1f at %d, highest %.1f at %d (all in the JSON/HTML)\n", total, lo, jlo, hi, jhi);
        return;
    }
    for (int j = 0; j < m->length; j++) {
        if (!m->position_count[j]) continue;
        fprintf(f, "%s%d:%.1f", shown % 10 ? " " : "\n    ", j, m->position_accuracy[j]);
        shown++;
    }
    fputc('\n', f);
}

/* A floor row's figure name with its unit, as the first column. */
static void figure_name(FILE *f, const floor_row *row) {
    char name[64];
    snprintf(name, sizeof name, "%s%s%s%s", row->name, row->unit[0] ? " (" : "", row->unit + (row->unit[0] == ' '),
             row->unit[0] ? ")" : "");
    fprintf(f, "  %-28s", name);
}

/* The generator's distribution figures beside real data's (the floor). */
static void floor_section(FILE *f, const eval_result *r) {
    const real_floor *fl = &r->floor;
    fprintf(f, "\nReal against real: the floor (%s)\n", REPORT_MEANING_FLOOR);
    fprintf(f, "  %lld of %lld training windows drawn (seed %llu), scored against REAL in the same scope\n",
            (long long)fl->windows, (long long)fl->of_windows, (unsigned long long)fl->seed);
    if (fl->draws > 1)
        fprintf(f, "  over %d such draws: median and range (%s)\n", fl->draws, REPORT_MEANING_FLOOR_RANGE);
    fprintf(f, "  %-28s %12s %12s %10s", "figure", "generated", "floor", "gen/floor");
    if (fl->draws > 1) fprintf(f, " %12s %-20s %s", "median", "range", "gen/median");
    fputc('\n', f);
    floor_row rows[REPORT_FLOOR_ROWS];
    int n = report_floor_rows(r, rows);
    for (int i = 0; i < n; i++) {
        figure_name(f, &rows[i]);
        const char *fmt = rows[i].integer ? " %12.0f %12.0f" : " %12.4f %12.4f";
        fprintf(f, fmt, rows[i].generated, rows[i].floor);
        double ratio = rows[i].floor > 0 ? rows[i].generated / rows[i].floor : NAN;
        if (isfinite(ratio)) fprintf(f, " %9.2fx", ratio);
        else fprintf(f, " %10s", "-");
        if (rows[i].has_range) {
            char range[48];
            snprintf(range, sizeof range, rows[i].integer ? "%.0f-%.0f" : "%.4f-%.4f", rows[i].lo, rows[i].hi);
            fprintf(f, rows[i].integer ? " %12.1f %-20s" : " %12.4f %-20s", rows[i].median, range);
            double to_median = rows[i].median > 0 ? rows[i].generated / rows[i].median : NAN;
            if (isfinite(to_median)) fprintf(f, " %.2fx", to_median);
            else fprintf(f, " -");
        }
        fputc('\n', f);
    }
    fprintf(f, "  %-28s %12d\n", "distinct events of REAL", r->dist.unique_real);
    if (r->has_memo)
        fprintf(f, "  %-28s %11.2f%% of generated windows; %.2f%% of real test windows   %s\n", "copies of training",
                report_copies_generated(r), report_copies_real(r), REPORT_MEANING_COPIES);
}

/* The n-gram generator beside the model's synthesis, both against the floor's median. */
static void ngram_synthesis_section(FILE *f, const eval_result *r) {
    fprintf(f, "\nA baseline generator: n-gram of order %d (%s)\n", r->ngram_synthesis_order,
            REPORT_MEANING_NGRAM_SYNTHESIS);
    int ranged = r->floor.draws > 1;
    const char *against = ranged ? "floor median" : "floor";
    fprintf(f, "  %-28s %12s %12s %12s %12s\n", "figure", "generated", "n-gram", "gen/floor", "n-gram/floor");
    floor_row rows[REPORT_FLOOR_ROWS];
    int n = report_floor_rows(r, rows);
    for (int i = 0; i < n && i < FLOOR_SPREAD_FIGURES; i++) {
        figure_name(f, &rows[i]);
        fprintf(f, rows[i].integer ? " %12.0f %12.0f" : " %12.4f %12.4f", rows[i].generated, rows[i].ngram);
        double ref = ranged ? rows[i].median : rows[i].floor;
        double values[2] = {rows[i].generated, rows[i].ngram};
        for (int k = 0; k < 2; k++) {
            double ratio = ref > 0 ? values[k] / ref : NAN;
            if (isfinite(ratio)) fprintf(f, " %11.2fx", ratio);
            else fprintf(f, " %12s", "-");
        }
        fputc('\n', f);
    }
    fprintf(f, "  (ratios to the %s)\n", against);
    fprintf(f, "  %-28s %11.2f%% of the n-gram's windows; %.2f%% of generated windows\n", "copies of training",
            report_copies_ngram(r), report_copies_generated(r));
}

void report_text(FILE *f, const eval_result *r) {
    fprintf(f, "Inputs\n");
    fprintf(f, "  generated   %s (%lld windows x %d events)\n", r->generated, (long long)r->gen.count, r->gen.length);
    fprintf(f, "  real        %s (%lld windows x %d events)\n", r->real, (long long)r->real_ws.count, r->real_ws.length);
    if (r->has_train)
        fprintf(f, "  training    %s (%lld windows; stride %d; stitched into %lld events in %lld piece%s)\n", r->train,
                (long long)r->train_ws.count, r->train_stride, (long long)r->train_trace_length,
                (long long)r->train_segments, r->train_segments == 1 ? "" : "s");
    fprintf(f, "  mask        %s; %s\n", r->mask.source,
            r->unconditional ? "unconditional generation: distribution and whole-window metrics only"
                             : "1 = observed, 0 = generated");
    fprintf(f, "  vocabulary  IDs 1..%d (%s)\n", r->vocab_max, r->vocab_source);

    const eval_system *sys[1 + EVAL_MAX_BASELINES];
    int n_sys = eval_systems(r, sys);
    if (n_sys) {
        if (r->has_recon)
            fprintf(f, "\nReconstruction: %lld windows, %lld generated events (scored on generated positions only)\n",
                    (long long)r->model.recon.windows, (long long)r->model.recon.generated_positions);
        else
            fprintf(f, "\nBaselines on REAL with this mask (no model column: GENERATED does not pair up with REAL)\n");
        figure_table(f, sys, n_sys, 0);
        bootstrap_table(f, r);
        head_line(f, &sys[0]->types);
        if (r->has_baselines) {
            fprintf(f, "  baselines: context = most common training filler between the same 8 left/right events (backing off to shorter contexts, then the mode);\n");
            fprintf(f, "             n-gram = the jointly most likely filling given both sides under an interpolated Kneser-Ney\n"
                       "             %d-gram model of the training trace (order chosen on held-out training data; beam %d);\n",
                    r->ngram.order, NGRAM_BEAM);
            fprintf(f, "             marginal = the same n-gram model, each position given the event most likely there (more\n"
                       "             events right on average, fewer whole gaps right);\n");
            fprintf(f, "             mode = every generated event set to the most frequent training event (%d)\n", r->mode_event);
            fprintf(f, "  context lookup: %lld gaps; matched with context", (long long)r->context.gaps);
            for (int c = BASELINE_MAX_CONTEXT; c >= 1; c--)
                if (r->context.filled_at[c]) fprintf(f, " %d:%lld", c, (long long)r->context.filled_at[c]);
            fprintf(f, "; fell back to the mode: %lld\n", (long long)r->context.filled_at[0]);
        }
        if (r->has_recon) {
            const recon_metrics *m = &r->model.recon;
            position_line(f, m);
            fprintf(f, "  observed positions changed: %lld of %lld (%lld windows) - must be 0: observed events are given, not generated\n",
                    (long long)m->observed_mismatches, (long long)m->observed_positions,
                    (long long)m->observed_mismatch_windows);
        }
        for (int i = 0; i < n_sys; i++)
            type_table(f, sys[i], sys[i] == &r->model ? REPORT_TYPE_ROWS : REPORT_TYPE_ROWS_BASELINE);
    }

    const dist_metrics *d = &r->dist;
    fprintf(f, "\nDistribution (%s)\n", d->generated_only ? "events at generated positions; n-grams touching one"
                                                           : "all events of whole windows");
    fprintf(f, "  KL(generated||real)    %8.4f nats   %s\n", d->kl_gen_real, REPORT_MEANING_KL);
    fprintf(f, "  KL(real||generated)    %8.4f nats   smoothing: %s\n", d->kl_real_gen, REPORT_SMOOTHING);
    fprintf(f, "  JS events              %8.4f        %s\n", d->js_event, REPORT_MEANING_JS);
    fprintf(f, "  JS bigrams             %8.4f        same, on pairs of consecutive events (order)\n", d->js_bigram);
    fprintf(f, "  JS trigrams            %8.4f        same, on three consecutive events\n", d->js_trigram);
    fprintf(f, "  window mix gen->real   %8.4f %%      each generated window's event mix against the closest real one's\n",
            d->composition.gen_to_real);
    fprintf(f, "  window mix real->gen   %8.4f %%      each real window's against the closest generated one's\n",
            d->composition.real_to_gen);
    fprintf(f, "  unique events          generated %d, real %d, shared %d, only generated %d, only real %d\n",
            d->unique_gen, d->unique_real, d->unique_both, d->unique_gen_only, d->unique_real_only);
    fprintf(f, "  outside vocabulary     generated %lld (%.2f%%), real %lld   IDs < 1 or > %d cannot be real events\n",
            (long long)d->oov_gen, pct(d->oov_gen, d->events_gen), (long long)d->oov_real, d->vocab_max);
    if (r->has_nn) {
        fprintf(f, "  NN ROUGE-L gen->real   %8.2f %%      %s\n", r->nn.mean_gen_to_real, REPORT_MEANING_NN_GEN);
        fprintf(f, "  NN ROUGE-L real->gen   %8.2f %%      %s\n", r->nn.mean_real_to_gen, REPORT_MEANING_NN_REAL);
        fprintf(f, "  (whole windows; %lld pairs in %.2f s on %d threads; %lld generated windows equal a real one)\n",
                (long long)r->nn.pairs, r->nn.seconds, r->nn.threads, (long long)r->nn.gen_exact);
    }

    if (r->has_floor) floor_section(f, r);
    if (r->has_floor && r->has_ngram_synthesis) ngram_synthesis_section(f, r);

    if (r->has_memo) {
        const memo_result *m = &r->memo;
        fprintf(f, "\nMemorisation (%s)\n", REPORT_MEANING_MEMO);
        fprintf(f, "  generated windows in training   %6.2f %% as windows, %6.2f %% in the trace\n",
                pct(m->gen_in_windows, m->gen_count), pct(m->gen_in_trace, m->gen_count));
        fprintf(f, "  real test windows in training   %6.2f %% as windows, %6.2f %% in the trace   %s\n",
                pct(m->real_in_windows, m->real_count), pct(m->real_in_trace, m->real_count), REPORT_MEANING_LEAK);
    }

    if (r->has_unseen && n_sys) unseen_section(f, r, sys, n_sys);

    for (int i = 0; i < r->n_notes; i++) fprintf(f, "\nnote: %s\n", r->notes[i]);
    if (r->n_warnings) fputc('\n', f);
    for (int i = 0; i < r->n_warnings; i++) fprintf(f, "WARNING: %s\n", r->warnings[i]);
    fprintf(f, "\n(evaluated in %.2f s)\n", r->seconds);
}
