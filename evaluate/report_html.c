/* HTML view of an evaluation: one self-contained file (inline CSS and SVG, no
 * scripts, fonts or links to fetch) that opens offline; charts from svg_chart.h. */
#include "report.h"
#include "atomic_file.h"
#include "svg_chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLOR_MODEL "#1f77b4"
#define COLOR_REAL "#ff7f0e"
#define COLOR_CONTEXT "#2ca02c"
#define COLOR_MODE "#9467bd"

static void esc(FILE *f, const char *s) { svg_escape(f, s); }

static void row(FILE *f, const char *name, const char *value, const char *meaning) {
    fputs("<tr><td>", f);
    esc(f, name);
    fputs("</td><td class=n>", f);
    esc(f, value);
    fputs("</td><td>", f);
    esc(f, meaning);
    fputs("</td></tr>\n", f);
}

static void rowf(FILE *f, const char *name, double v, const char *unit, const char *meaning) {
    char buf[64];
    if (isfinite(v)) snprintf(buf, sizeof buf, "%.4g%s", v, unit);
    else snprintf(buf, sizeof buf, "n/a");
    row(f, name, buf, meaning);
}

static void histogram_chart(FILE *f, const char *title, int ns, const double *const *values, const int64_t *counts,
                            const char *const *names, const char *const *colors) {
    double *norm[1 + EVAL_MAX_BASELINES] = {0};
    double ymax = 0;
    int labels[REPORT_HIST_BINS];
    for (int b = 0; b < REPORT_HIST_BINS; b++) labels[b] = b * 100 / REPORT_HIST_BINS;
    for (int s = 0; s < ns; s++) {
        int64_t h[REPORT_HIST_BINS];
        report_histogram(values[s], counts[s], REPORT_HIST_BINS, h);
        norm[s] = malloc(sizeof(double) * REPORT_HIST_BINS);
        for (int b = 0; b < REPORT_HIST_BINS; b++) {
            norm[s][b] = counts[s] ? 100.0 * h[b] / counts[s] : 0;
            if (norm[s][b] > ymax) ymax = norm[s][b];
        }
    }
    svg_bars(f, title, REPORT_HIST_BINS, ns, (const double *const *)norm, names, colors, labels, NULL, ymax,
             "% of windows", "ROUGE-L (%), bin start; bins 5 points wide");
    for (int s = 0; s < ns; s++) free(norm[s]);
}

static const char *system_color(const eval_result *r, const eval_system *s) {
    static const char *const baseline_colors[EVAL_MAX_BASELINES] = {COLOR_CONTEXT, COLOR_MODE, "#8c564b", "#e377c2"};
    return s == &r->model ? COLOR_MODEL : baseline_colors[s - r->baselines];
}

static void num_cell(FILE *f, double v, const char *fmt) {
    if (isnan(v)) fputs("<td class=n>-</td>", f);
    else {
        fputs("<td class=n>", f);
        fprintf(f, fmt, v);
        fputs("</td>", f);
    }
}

/* A row's opening and its figure's name, with the unit. */
static void figure_name_cell(FILE *f, const floor_row *row) {
    fputs("<tr><td>", f);
    esc(f, row->name);
    if (row->unit[0]) fprintf(f, " (%s)", row->unit + 1);
    fputs("</td>", f);
}

/* The n-gram generator beside the model's synthesis, both against the floor's median. */
static void ngram_synthesis_table(FILE *f, const eval_result *r) {
    int ranged = r->floor.draws > 1;
    fprintf(f, "<h2>A baseline generator: n-gram of order %d</h2><p>", r->ngram_synthesis_order);
    esc(f, REPORT_MEANING_NGRAM_SYNTHESIS);
    fprintf(f, ". Ratios are to the floor's %s.</p>\n", ranged ? "median" : "draw");
    fputs("<table><tr><th>figure</th><th>generated</th><th>n-gram</th><th>generated / floor</th>"
          "<th>n-gram / floor</th></tr>\n", f);
    floor_row rows[REPORT_FLOOR_ROWS];
    int n = report_floor_rows(r, rows);
    for (int i = 0; i < n && i < FLOOR_SPREAD_FIGURES; i++) {
        double ref = ranged ? rows[i].median : rows[i].floor;
        figure_name_cell(f, &rows[i]);
        num_cell(f, rows[i].generated, rows[i].integer ? "%.0f" : "%.4f");
        num_cell(f, rows[i].ngram, rows[i].integer ? "%.0f" : "%.4f");
        num_cell(f, ref > 0 ? rows[i].generated / ref : NAN, "%.2f&times;");
        num_cell(f, ref > 0 ? rows[i].ngram / ref : NAN, "%.2f&times;");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    fprintf(f, "<p>Copies of training: %.2f%% of the n-gram's windows, beside %.2f%% of the generated ones.</p>\n",
            report_copies_ngram(r), report_copies_generated(r));
}

/* The generator's distribution figures beside real data's (the floor). */
static void floor_table(FILE *f, const eval_result *r) {
    fputs("<h2>Real against real: the floor</h2><p>", f);
    esc(f, REPORT_MEANING_FLOOR);
    int ranged = r->floor.draws > 1;
    fprintf(f, ". %lld of %lld training windows drawn (seed %llu).", (long long)r->floor.windows,
            (long long)r->floor.of_windows, (unsigned long long)r->floor.seed);
    if (ranged) {
        fprintf(f, " Over %d such draws: median and range (", r->floor.draws);
        esc(f, REPORT_MEANING_FLOOR_RANGE);
        fputs(").", f);
    }
    fputs("</p>\n<table><tr><th>figure</th><th>generated</th><th>floor</th><th>generated / floor</th>", f);
    if (ranged) fputs("<th>floor: median</th><th>smallest</th><th>largest</th><th>generated / median</th>", f);
    fputs("</tr>\n", f);
    floor_row rows[REPORT_FLOOR_ROWS];
    int n = report_floor_rows(r, rows);
    for (int i = 0; i < n; i++) {
        figure_name_cell(f, &rows[i]);
        num_cell(f, rows[i].generated, rows[i].integer ? "%.0f" : "%.4f");
        num_cell(f, rows[i].floor, rows[i].integer ? "%.0f" : "%.4f");
        num_cell(f, rows[i].floor > 0 ? rows[i].generated / rows[i].floor : NAN, "%.2f&times;");
        if (rows[i].has_range) {
            num_cell(f, rows[i].median, rows[i].integer ? "%.1f" : "%.4f");
            num_cell(f, rows[i].lo, rows[i].integer ? "%.0f" : "%.4f");
            num_cell(f, rows[i].hi, rows[i].integer ? "%.0f" : "%.4f");
            num_cell(f, rows[i].median > 0 ? rows[i].generated / rows[i].median : NAN, "%.2f&times;");
        } else if (ranged) fputs("<td></td><td></td><td></td><td></td>", f);
        fputs("</tr>\n", f);
    }
    fprintf(f, "<tr><td>distinct events of REAL</td><td class=n>%d</td><td class=n>%d</td><td></td>%s</tr>\n",
            r->dist.unique_real, r->floor.dist.unique_real, ranged ? "<td></td><td></td><td></td><td></td>" : "");
    fputs("</table>\n", f);
    if (r->has_memo) {
        fprintf(f, "<p>Copies of training: %.2f%% of the generated windows, beside %.2f%% of the real test windows (",
                report_copies_generated(r), report_copies_real(r));
        esc(f, REPORT_MEANING_COPIES);
        fputs(").</p>\n", f);
    }
}

/* Metric rows by system columns, on all windows or on the unseen subset. */
static void figure_table(FILE *f, const eval_system *const *sys, int n, int unseen) {
    fputs("<table><tr><th>metric (%)</th>", f);
    for (int i = 0; i < n; i++) {
        fputs("<th>", f);
        esc(f, sys[i]->title);
        fputs("</th>", f);
    }
    fputs("<th>meaning</th></tr>\n", f);
    const char *names[7] = {"accuracy", "perfect", "ROUGE-L (event)", "rougeL_published", "macro accuracy",
                            "tail accuracy", "distinct generated"};
    const char *meanings[7] = {REPORT_MEANING_ACCURACY, REPORT_MEANING_PERFECT, REPORT_MEANING_ROUGE_EVENT,
                               REPORT_MEANING_ROUGE_PUBLISHED, REPORT_MEANING_MACRO, REPORT_MEANING_TAIL,
                               REPORT_MEANING_DISTINCT};
    for (int k = 0; k < 7; k++) {
        fprintf(f, "<tr><td>%s</td>", names[k]);
        for (int i = 0; i < n; i++) {
            const recon_metrics *m = unseen ? &sys[i]->unseen_recon : &sys[i]->recon;
            const type_metrics *t = unseen ? &sys[i]->unseen_types : &sys[i]->types;
            double v[7] = {m->accuracy, m->perfect, m->rouge_event, m->rouge_published, t->macro_accuracy,
                           t->tail_accuracy, t->distinct_generated};
            num_cell(f, v[k], k == 6 ? "%.0f" : "%.2f");
        }
        fputs("<td>", f);
        esc(f, meanings[k]);
        fputs("</td></tr>\n", f);
    }
}

/* Model minus each baseline, with 95% intervals (paired_bootstrap.h). */
static void bootstrap_table(FILE *f, const eval_result *r) {
    int shown = 0;
    for (int i = 0; i < r->n_baselines; i++) {
        const eval_system *b = &r->baselines[i];
        if (!b->has_vs_model) continue;
        if (!shown++) {
            fprintf(f, "<h3>Model minus each baseline</h3><p>");
            esc(f, REPORT_MEANING_BOOTSTRAP);
            fprintf(f, " (%lld windows drawn in blocks of %d consecutive ones, %d resamples).</p>\n<table><tr>"
                       "<th>baseline</th><th>accuracy</th><th>perfect</th><th>macro accuracy</th><th>tail accuracy</th>"
                       "</tr>\n",
                    (long long)b->vs_model.windows, b->vs_model.block, b->vs_model.resamples);
        }
        fputs("<tr><td>", f);
        esc(f, b->title);
        fputs("</td>", f);
        const diff_interval *iv[4] = {&b->vs_model.accuracy, &b->vs_model.perfect, &b->vs_model.macro, &b->vs_model.tail};
        for (int k = 0; k < 4; k++) {
            char cell[64];
            report_interval(iv[k], cell, sizeof cell);
            fprintf(f, "<td class=n>%s</td>", cell);
        }
        fputs("</tr>\n", f);
    }
    if (shown) fputs("</table>\n", f);
}

static void type_table(FILE *f, const eval_system *s) {
    const type_metrics *t = &s->types;
    fprintf(f, "<details%s><summary>", s->key && !strcmp(s->key, "model") ? " open" : "");
    esc(f, s->title);
    fprintf(f, ": %d event types</summary><table><tr><th>id</th><th>real</th><th>correct</th><th>recall %%</th>"
               "<th>predicted</th><th>precision %%</th><th>most frequent wrong (times)</th></tr>\n", t->n_types);
    for (int i = 0; i < t->n_types; i++) {
        const type_row *r = &t->rows[i];
        fprintf(f, "<tr><td class=n>%d</td><td class=n>%lld</td><td class=n>%lld</td>", r->id, (long long)r->real,
                (long long)r->correct);
        num_cell(f, r->recall, "%.2f");
        fprintf(f, "<td class=n>%lld</td>", (long long)r->predicted);
        num_cell(f, r->precision, "%.2f");
        if (r->top_wrong_count) fprintf(f, "<td class=n>%d (%lld)</td></tr>\n", r->top_wrong, (long long)r->top_wrong_count);
        else fputs("<td class=n>-</td></tr>\n", f);
    }
    fputs("</table></details>\n", f);
}

/* Recall per event type for every system, types by real frequency (the same
 * order for all systems, see metrics_types.h), real counts under the IDs. */
static void type_chart(FILE *f, const eval_result *r, const eval_system *const *sys, int n_sys) {
    const type_metrics *t0 = &sys[0]->types;
    int n = types_real_rows(t0);
    int *labels = calloc((size_t)(n ? n : 1), sizeof(int));
    int64_t *counts = calloc((size_t)(n ? n : 1), sizeof(int64_t));
    double *series[1 + EVAL_MAX_BASELINES] = {0};
    const char *names[1 + EVAL_MAX_BASELINES] = {0}, *colors[1 + EVAL_MAX_BASELINES] = {0};
    for (int k = 0; k < n_sys; k++) {
        series[k] = calloc((size_t)(n ? n : 1), sizeof(double));
        names[k] = sys[k]->title;
        colors[k] = system_color(r, sys[k]);
        for (int i = 0; i < n; i++) {
            const type_row *row = types_find(&sys[k]->types, t0->rows[i].id);
            series[k][i] = row ? row->recall : NAN;
        }
    }
    for (int i = 0; i < n; i++) {
        labels[i] = t0->rows[i].id;
        counts[i] = t0->rows[i].real;
    }
    svg_bars(f, "Recall per event type (most frequent real event first)", n, n_sys, (const double *const *)series, names,
             colors, labels, counts, 100, "recall %", "event ID; below: occurrences at generated positions in REAL");
    for (int k = 0; k < n_sys; k++) free(series[k]);
    free(labels);
    free(counts);
}

static void write_html(FILE *f, const eval_result *r) {
    char buf[256];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Trace evaluation</title>\n"
          "<style>body{font-family:sans-serif;max-width:960px;margin:1em auto;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
          "td.n{text-align:right;font-family:monospace}.warn{background:#fde2e1;border:1px solid #c33;padding:6px 10px;margin:4px 0}"
          ".note{background:#eef;padding:6px 10px}figure{margin:.5em 0}</style></head><body>\n", f);
    fputs("<h1>Trace evaluation</h1>\n", f);
    for (int i = 0; i < r->n_warnings; i++) {
        fputs("<div class=warn><b>Warning:</b> ", f);
        esc(f, r->warnings[i]);
        fputs("</div>\n", f);
    }
    for (int i = 0; i < r->n_notes; i++) {
        fputs("<div class=note>", f);
        esc(f, r->notes[i]);
        fputs("</div>\n", f);
    }
    fputs("<h2>Inputs</h2><table>\n", f);
    snprintf(buf, sizeof buf, "%lld x %d", (long long)r->gen.count, r->gen.length);
    row(f, "generated", buf, r->generated);
    snprintf(buf, sizeof buf, "%lld x %d", (long long)r->real_ws.count, r->real_ws.length);
    row(f, "real", buf, r->real);
    if (r->has_train) {
        snprintf(buf, sizeof buf, "%lld windows, stride %d", (long long)r->train_ws.count, r->train_stride);
        row(f, "training", buf, r->train);
    }
    row(f, "mask", r->unconditional ? "unconditional" : "reconstruction", r->mask.source);
    snprintf(buf, sizeof buf, "1..%d", r->vocab_max);
    row(f, "vocabulary", buf, r->vocab_source);
    fputs("</table>\n", f);

    const eval_system *sys[1 + EVAL_MAX_BASELINES];
    int n_sys = eval_systems(r, sys);
    if (n_sys) {
        if (r->has_recon)
            fprintf(f, "<h2>Reconstruction</h2><p>%lld windows, %lld generated events, scored on generated positions only.</p>\n",
                    (long long)r->model.recon.windows, (long long)r->model.recon.generated_positions);
        else
            fputs("<h2>Baselines</h2><p>Scored on REAL with this mask; GENERATED does not pair up with REAL, so there is no model column.</p>\n", f);
        figure_table(f, sys, n_sys, 0);
        if (r->has_recon)
            fprintf(f, "<tr><td>observed positions changed</td><td class=n>%lld</td><td colspan=%d>must be 0: observed events are given, not generated</td></tr>\n",
                    (long long)r->model.recon.observed_mismatches, n_sys);
        fputs("</table>\n", f);
        bootstrap_table(f, r);
        const type_metrics *t0 = &sys[0]->types;
        fprintf(f, "<p>Head (the %d most frequent real events over all positions):", t0->head_k);
        for (int i = 0; i < t0->n_head; i++) fprintf(f, " %d", t0->head[i]);
        fprintf(f, ". Tail positions: %lld of %lld. Distinct real events at generated positions: %d.</p>\n",
                (long long)t0->tail_positions, (long long)t0->positions, t0->distinct_real);
        if (r->has_baselines)
            fputs("<p>Context lookup: the filler seen most often in training between the same 8 left and 8 right events "
                  "(shorter contexts when unseen, then the most frequent event). Most frequent event: every generated position "
                  "set to the training mode. n-gram infill: the filling that is jointly most likely given both sides under an "
                  "interpolated Kneser-Ney n-gram model of the training trace. n-gram, likeliest event per position: the same "
                  "model, each position given its most probable event (more events right, fewer whole gaps). A model should "
                  "beat them all clearly.</p>\n", f);
        /* Accuracy per generated position. */
        const recon_metrics *m0 = &sys[0]->recon;
        int n = 0;
        for (int j = 0; j < m0->length; j++) n += m0->position_count[j] > 0;
        int *labels = calloc((size_t)(n ? n : 1), sizeof(int));
        double *s[1 + EVAL_MAX_BASELINES] = {0};
        const char *names[1 + EVAL_MAX_BASELINES] = {0}, *colors[1 + EVAL_MAX_BASELINES] = {0};
        const double *hv[1 + EVAL_MAX_BASELINES] = {0};
        int64_t hc[1 + EVAL_MAX_BASELINES] = {0};
        for (int k = 0; k < n_sys; k++) {
            s[k] = calloc((size_t)(n ? n : 1), sizeof(double));
            names[k] = sys[k]->title;
            colors[k] = system_color(r, sys[k]);
            hv[k] = sys[k]->recon.window_rouge;
            hc[k] = sys[k]->recon.windows;
        }
        n = 0;
        for (int j = 0; j < m0->length; j++)
            if (m0->position_count[j]) {
                labels[n] = j;
                for (int k = 0; k < n_sys; k++) s[k][n] = sys[k]->recon.position_accuracy[j];
                n++;
            }
        svg_bars(f, "Accuracy per generated position", n, n_sys, (const double *const *)s, names, colors, labels, NULL,
                 100, "accuracy %", "position in the window");
        for (int k = 0; k < n_sys; k++) free(s[k]);
        free(labels);
        histogram_chart(f, "Event-level ROUGE-L per window (generated positions)", n_sys, hv, hc, names, colors);
        fputs("<h3>Per event type</h3><p>Generated positions of all windows pooled. Recall = correct / real occurrences; "
              "precision = correct / times generated.</p>\n", f);
        type_chart(f, r, sys, n_sys);
        for (int k = 0; k < n_sys; k++) type_table(f, sys[k]);
    }

    const dist_metrics *d = &r->dist;
    fprintf(f, "<h2>Distribution</h2><p>Scope: %s.</p><table>\n",
            d->generated_only ? "events at generated positions, n-grams touching one" : "all events of whole windows");
    rowf(f, "KL(generated || real)", d->kl_gen_real, " nats", REPORT_MEANING_KL);
    rowf(f, "KL(real || generated)", d->kl_real_gen, " nats", REPORT_SMOOTHING);
    rowf(f, "JS events", d->js_event, " bits", REPORT_MEANING_JS);
    rowf(f, "JS bigrams", d->js_bigram, " bits", "same, on pairs of consecutive events");
    rowf(f, "JS trigrams", d->js_trigram, " bits", "same, on three consecutive events");
    rowf(f, "window mix gen->real", d->composition.gen_to_real, " %",
         "total variation between each generated window's event mix and the closest real window's");
    rowf(f, "window mix real->gen", d->composition.real_to_gen, " %",
         "the same for each real window against the closest generated one");
    snprintf(buf, sizeof buf, "%d / %d", d->unique_gen, d->unique_real);
    snprintf(buf + 100, 100, "shared %d, only generated %d, only real %d", d->unique_both, d->unique_gen_only, d->unique_real_only);
    row(f, "unique events generated / real", buf, buf + 100);
    snprintf(buf, sizeof buf, "%lld / %lld", (long long)d->oov_gen, (long long)d->oov_real);
    row(f, "outside vocabulary generated / real", buf, "IDs < 1 or above the vocabulary cannot be real events");
    if (r->has_nn) {
        rowf(f, "NN ROUGE-L generated -> real", r->nn.mean_gen_to_real, " %", REPORT_MEANING_NN_GEN);
        rowf(f, "NN ROUGE-L real -> generated", r->nn.mean_real_to_gen, " %", REPORT_MEANING_NN_REAL);
    }
    fputs("</table>\n", f);
    {
        int n = d->n_events;
        int *labels = malloc(sizeof(int) * (size_t)(n ? n : 1));
        double *s[2] = {malloc(sizeof(double) * (size_t)(n ? n : 1)), malloc(sizeof(double) * (size_t)(n ? n : 1))};
        double ymax = 0;
        for (int i = 0; i < n; i++) {
            labels[i] = d->event_ids[i];
            s[0][i] = d->events_real ? 100.0 * d->count_real[i] / d->events_real : 0;
            s[1][i] = d->events_gen ? 100.0 * d->count_gen[i] / d->events_gen : 0;
            if (s[0][i] > ymax) ymax = s[0][i];
            if (s[1][i] > ymax) ymax = s[1][i];
        }
        const char *names[2] = {"real", "generated"};
        const char *colors[2] = {COLOR_REAL, COLOR_MODEL};
        svg_bars(f, "Event frequencies by ID", n, 2, (const double *const *)s, names, colors, labels, NULL, ymax, "% of events",
                 "event ID");
        free(s[0]);
        free(s[1]);
        free(labels);
    }
    if (r->has_nn) {
        const double *hv[2] = {r->nn.best_gen, r->nn.best_real};
        int64_t hc[2] = {r->gen.count, r->real_ws.count};
        const char *hn[2] = {"generated -> real", "real -> generated"};
        const char *hcol[2] = {COLOR_MODEL, COLOR_REAL};
        histogram_chart(f, "Nearest-neighbour ROUGE-L (whole windows)", 2, hv, hc, hn, hcol);
    }
    if (r->has_floor) floor_table(f, r);
    if (r->has_floor && r->has_ngram_synthesis) ngram_synthesis_table(f, r);
    if (r->has_memo) {
        const memo_result *m = &r->memo;
        fputs("<h2>Memorisation and leakage</h2><table>\n", f);
        snprintf(buf, sizeof buf, "%.2f%% / %.2f%%", m->gen_count ? 100.0 * m->gen_in_windows / m->gen_count : 0,
                 m->gen_count ? 100.0 * m->gen_in_trace / m->gen_count : 0);
        row(f, "generated windows in training (windows / trace)", buf, REPORT_MEANING_MEMO);
        snprintf(buf, sizeof buf, "%.2f%% / %.2f%%", m->real_count ? 100.0 * m->real_in_windows / m->real_count : 0,
                 m->real_count ? 100.0 * m->real_in_trace / m->real_count : 0);
        row(f, "real test windows in training (windows / trace)", buf, REPORT_MEANING_LEAK);
        fputs("</table>\n", f);
    }
    if (r->has_unseen && n_sys) {
        fprintf(f, "<h2>Unseen test windows</h2><p>%lld of %lld test windows occur nowhere in the training trace (",
                (long long)r->unseen_windows, (long long)r->real_ws.count);
        esc(f, REPORT_MEANING_UNSEEN);
        fputs(").</p>\n", f);
        if (r->unseen_windows) {
            figure_table(f, sys, n_sys, 1);
            fputs("</table>\n", f);
        } else
            fputs("<p>The subset is empty: every test window occurs in training, so no figure here measures generalisation.</p>\n", f);
    }
    fprintf(f, "<p style=\"color:#777;font-size:12px\">Evaluated in %.2f s.</p></body></html>\n", r->seconds);
}

int report_html_write(const char *path, const eval_result *r, error_info *err) {
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    write_html(af.f, r);
    return atomic_file_commit(&af, err);
}
