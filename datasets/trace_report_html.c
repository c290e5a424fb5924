/* HTML view of a trace report: one self-contained page (inline CSS and SVG
 * from svg_chart.h, nothing fetched) with the category bars, duration and
 * size histograms, the timeline with its phases, the transition heat map and
 * the prediction bars. Each chart sits in a <section> with a stable id. */
#include "trace_report.h"
#include "svg_chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HTML_SYSCALL_ROWS 60

static void cell_i(FILE *f, int64_t v) { fprintf(f, "<td class=n>%lld</td>", (long long)v); }

static void cell_d(FILE *f, double v, double scale, const char *fmt) {
    if (isnan(v)) fputs("<td class=n>-</td>", f);
    else {
        fputs("<td class=n>", f);
        fprintf(f, fmt, v * scale);
        fputs("</td>", f);
    }
}

static void group_cells(FILE *f, const trace_report *r, const report_group *g) {
    cell_i(f, g->calls);
    cell_d(f, r->n_calls ? (double)g->calls / (double)r->n_calls : NAN, 100, "%.2f");
    cell_i(f, g->failed);
    fputs("<td>", f);
    for (int k = 0; k < g->n_errors && k < 5; k++) {
        fputs(k ? ", " : "", f);
        svg_escape(f, string_table_get(&r->errnos, g->err_name[k]));
        fprintf(f, " %lld", (long long)g->err_count[k]);
    }
    if (g->n_errors > 5) fputs(", ...", f);
    fputs("</td>", f);
    if (r->has_duration) {
        cell_d(f, g->dur_total, 1e3, "%.3f");
        cell_d(f, g->dur_mean, 1e6, "%.1f");
        cell_d(f, g->dur_p50, 1e6, "%.1f");
        cell_d(f, g->dur_p95, 1e6, "%.1f");
        cell_d(f, g->dur_max, 1e6, "%.1f");
    }
    if (g->io_calls) cell_i(f, g->bytes);
    else fputs("<td class=n>-</td>", f);
}

static void group_header(FILE *f, const trace_report *r, const char *first) {
    fprintf(f, "<table><tr><th>%s</th><th>calls</th><th>share %%</th><th>failed</th><th>errno (calls)</th>", first);
    if (r->has_duration) fputs("<th>total ms</th><th>mean us</th><th>p50 us</th><th>p95 us</th><th>max us</th>", f);
    fputs("<th>bytes</th></tr>\n", f);
}

static void summary_row(FILE *f, const char *name, const char *value) {
    fputs("<tr><td>", f);
    svg_escape(f, name);
    fputs("</td><td class=n>", f);
    svg_escape(f, value);
    fputs("</td></tr>\n", f);
}

void trace_report_html(FILE *f, const trace_report *r) {
    char buf[256];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Trace report</title>\n"
          "<style>body{font-family:sans-serif;max-width:960px;margin:1em auto;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
          "td.n{text-align:right;font-family:monospace}.note{background:#eef;padding:6px 10px}figure{margin:.5em 0}"
          "</style></head><body>\n<h1>Trace report</h1>\n<p>", f);
    for (int i = 0; i < r->n_inputs; i++) {
        fputs(i ? ", " : "", f);
        svg_escape(f, r->inputs[i]);
    }
    fputs("</p>\n", f);
    if (r->from_dataset)
        fputs("<div class=note>From a built dataset: it keeps only the event order, so there are no errors, durations, "
              "sizes, processes or timestamps.</div>\n", f);
    fputs("<h2>Summary</h2><table>\n", f);
    snprintf(buf, sizeof buf, "%lld", (long long)r->n_calls);
    summary_row(f, "system calls", buf);
    if (!r->from_dataset) {
        snprintf(buf, sizeof buf, "%lld", (long long)r->lines);
        summary_row(f, "lines", buf);
        snprintf(buf, sizeof buf, "%lld (%.2f%%)", (long long)r->failed, r->n_calls ? 100.0 * (double)r->failed / (double)r->n_calls : 0);
        summary_row(f, "failed calls", buf);
        snprintf(buf, sizeof buf, "%lld signals, %lld exits, %lld killed", (long long)r->signals, (long long)r->exited,
                 (long long)r->killed);
        summary_row(f, "signals and exits", buf);
        snprintf(buf, sizeof buf, "%lld", (long long)r->unparsed);
        summary_row(f, "unparsed lines", buf);
        snprintf(buf, sizeof buf, "%d", r->n_procs);
        summary_row(f, "tasks", buf);
    }
    snprintf(buf, sizeof buf, "%d", r->n_traces);
    summary_row(f, "traces", buf);
    fputs("</table>\n", f);

    /* categories */
    fputs("<section id=\"categories\"><h2>Categories</h2>\n", f);
    {
        const char *labels[CAT_COUNT], *colors[CAT_COUNT], *texts[CAT_COUNT];
        double values[CAT_COUNT];
        char text[CAT_COUNT][64];
        for (int c = 0; c < CAT_COUNT; c++) {
            labels[c] = syscall_category_name(c);
            colors[c] = SVG_PALETTE[c];
            values[c] = (double)r->cat[c].calls;
            snprintf(text[c], sizeof text[c], "%lld (%.1f%%), %lld failed", (long long)r->cat[c].calls,
                     r->n_calls ? 100.0 * (double)r->cat[c].calls / (double)r->n_calls : 0, (long long)r->cat[c].failed);
            texts[c] = text[c];
        }
        svg_hbars(f, "Calls per category", CAT_COUNT, labels, values, colors, texts);
        group_header(f, r, "category");
        for (int c = 0; c < CAT_COUNT; c++) {
            fputs("<tr><td>", f);
            svg_escape(f, syscall_category_name(c));
            fputs("</td>", f);
            group_cells(f, r, &r->cat[c]);
            fputs("</tr>\n", f);
        }
        fputs("</table></section>\n", f);
    }
    fprintf(f, "<section id=\"syscalls\"><h2>System calls</h2><p>%d distinct%s.</p>\n", r->names.count,
            r->names.count > HTML_SYSCALL_ROWS ? "; the most frequent shown, all in the JSON" : "");
    group_header(f, r, "call");
    for (int i = 0; i < r->names.count && i < HTML_SYSCALL_ROWS; i++) {
        fputs("<tr><td>", f);
        svg_escape(f, report_name(r, r->by_count[i]));
        fputs(" <small>", f);
        svg_escape(f, syscall_category_name(r->sys_category[r->by_count[i]]));
        fputs("</small></td>", f);
        group_cells(f, r, &r->sys[r->by_count[i]]);
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);

    /* durations: all timed calls, and the three categories with most time */
    if (r->has_duration) {
        fputs("<section id=\"durations\"><h2>Durations (-T)</h2>\n", f);
        double all[REPORT_DUR_BINS] = {0}, ymax = 0;
        int first = REPORT_DUR_BINS, last = 0;
        const char *labels[REPORT_DUR_BINS];
        char lab[REPORT_DUR_BINS][16];
        int64_t timed = 0;
        for (int c = 0; c < CAT_COUNT; c++) timed += r->cat[c].timed;
        for (int k = 0; k < REPORT_DUR_BINS; k++) {
            for (int c = 0; c < CAT_COUNT; c++) all[k] += (double)r->cat[c].dur_hist[k];
            all[k] = timed ? 100.0 * all[k] / (double)timed : 0;
            if (all[k] > ymax) ymax = all[k];
            report_dur_bin_label(k, lab[k], sizeof lab[k]);
            labels[k] = lab[k];
            if (all[k] > 0) {
                if (k < first) first = k;
                last = k + 1;
            }
        }
        if (first >= last) first = 0, last = 1; /* bins outside the data are left out */
        const double *series[1] = {all + first};
        const char *names[1] = {"all timed calls"}, *colors[1] = {SVG_PALETTE[0]};
        svg_bars_text(f, "Time spent in a call (-T), all calls", last - first, 1, series, names, colors, labels + first, NULL, ymax,
                      "% of calls", "duration, bin start (bins double in width)");
        fputs("</section>\n", f);
    }
    /* sizes: read-like and write-like calls */
    if (r->io_bytes_in || r->io_bytes_out || r->io_bytes_transfer) {
        fputs("<section id=\"sizes\"><h2>Data moved</h2>\n", f);
        double s[2][REPORT_SIZE_BINS] = {{0}}, ymax = 0;
        int64_t tot[2] = {0, 0};
        for (int v = 0; v < r->names.count; v++) {
            int d = r->sys[v].io == IO_IN ? 0 : r->sys[v].io == IO_OUT ? 1 : -1;
            if (d < 0) continue;
            for (int k = 0; k < REPORT_SIZE_BINS; k++) {
                s[d][k] += (double)r->sys[v].size_hist[k];
                tot[d] += r->sys[v].size_hist[k];
            }
        }
        int last = 1;
        for (int k = 0; k < REPORT_SIZE_BINS; k++)
            if (s[0][k] || s[1][k]) last = k + 1;
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < REPORT_SIZE_BINS; k++) {
                s[d][k] = tot[d] ? 100.0 * s[d][k] / (double)tot[d] : 0;
                if (s[d][k] > ymax) ymax = s[d][k];
            }
        const char *labels[REPORT_SIZE_BINS];
        char lab[REPORT_SIZE_BINS][16];
        for (int k = 0; k < REPORT_SIZE_BINS; k++) {
            report_size_bin_label(k, lab[k], sizeof lab[k]);
            labels[k] = lab[k];
        }
        const double *series[2] = {s[0], s[1]};
        const char *names[2] = {"read/receive", "write/send"}, *colors[2] = {SVG_PALETTE[0], SVG_PALETTE[1]};
        svg_bars_text(f, "Bytes per successful data call", last, 2, series, names, colors, labels, NULL, ymax, "% of calls",
                      "bytes, bin start (bins double in width)");
        fprintf(f, "<p>%lld bytes read or received, %lld written or sent, %lld fd to fd.</p></section>\n",
                (long long)r->io_bytes_in, (long long)r->io_bytes_out, (long long)r->io_bytes_transfer);
    }
    if (r->has_pids && r->n_procs > 1) {
        fputs("<section id=\"processes\"><h2>Processes and threads</h2><table><tr><th>pid</th><th>calls</th><th>failed</th>"
              "<th>signals</th><th>first s</th><th>last s</th><th>top call</th><th>end</th></tr>\n", f);
        for (int i = 0; i < r->n_procs && i < 200; i++) {
            const report_process *p = &r->procs[i];
            fprintf(f, "<tr><td class=n>%d</td>", p->pid);
            cell_i(f, p->calls);
            cell_i(f, p->failed);
            cell_i(f, p->signals);
            cell_d(f, p->first, 1, "%.6f");
            cell_d(f, p->last, 1, "%.6f");
            fputs("<td>", f);
            if (p->top_call >= 0) svg_escape(f, report_name(r, p->top_call));
            fputs("</td><td>", f);
            if (p->end == 1) fprintf(f, "exited %d", p->status);
            else if (p->end == 2) {
                fputs("killed by ", f);
                svg_escape(f, string_table_get(&r->signal_names, p->end_signal));
            } else if (p->end == 3) fprintf(f, "execve in pid %d", p->status);
            fputs("</td></tr>\n", f);
        }
        fputs("</table></section>\n", f);
    }

    /* timeline and phases */
    fputs("<section id=\"timeline\"><h2>Timeline and phases</h2>\n", f);
    {
        double *values = xcalloc((size_t)CAT_COUNT * (size_t)(r->n_slices ? r->n_slices : 1), sizeof *values);
        for (int c = 0; c < CAT_COUNT; c++)
            for (int s = 0; s < r->n_slices; s++) values[(size_t)c * r->n_slices + s] = (double)r->slice_counts[c][s];
        const char *names[CAT_COUNT];
        for (int c = 0; c < CAT_COUNT; c++) names[c] = syscall_category_name(c);
        svg_marker markers[REPORT_MAX_PHASES];
        int nm = 0;
        for (int k = 1; k < r->n_phases; k++) {
            const report_phase *ph = &r->phases[k];
            markers[nm].x = r->timeline_by_time ? ph->t_start - r->calls[0].time : (double)ph->start;
            snprintf(markers[nm].label, sizeof markers[nm].label, ph->boundary_js < 0 ? "P%d|" : "P%d", k + 1);
            nm++;
        }
        svg_stacked(f, "Calls per slice by category, with phase boundaries", r->n_slices, CAT_COUNT, values, names, SVG_PALETTE, 0,
                    r->span, r->timeline_by_time ? "seconds since the first call" : "call index",
                    "calls per slice", markers, nm);
        free(values);
    }
    fprintf(f, "<p>Phases: binary segmentation on the Jensen-Shannon divergence of adjacent windows of %d calls "
               "(a boundary needs more than %.2f bits and more than chance gives).</p>\n<table><tr><th>phase</th><th>calls</th>",
            r->window, r->js_threshold);
    if (r->timeline_by_time) fputs("<th>seconds</th>", f);
    fputs("<th>JS at start</th><th>category</th><th>dominant calls</th></tr>\n", f);
    for (int k = 0; k < r->n_phases; k++) {
        const report_phase *ph = &r->phases[k];
        fprintf(f, "<tr><td>P%d</td><td class=n>%lld-%lld</td>", k + 1, (long long)ph->start, (long long)ph->end - 1);
        if (r->timeline_by_time) fprintf(f, "<td class=n>%.3f-%.3f</td>", ph->t_start, ph->t_end);
        if (ph->boundary_js < 0) fputs("<td>next trace</td>", f);
        else cell_d(f, k ? ph->boundary_js : NAN, 1, "%.3f");
        fputs("<td>", f);
        svg_escape(f, syscall_category_name(ph->category));
        fputs("</td><td>", f);
        for (int j = 0; j < ph->n_top; j++) {
            fputs(j ? ", " : "", f);
            svg_escape(f, report_name(r, ph->top[j]));
            fprintf(f, " %.0f%%", 100 * ph->top_share[j]);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);

    /* order */
    fputs("<section id=\"transitions\"><h2>Order</h2>\n", f);
    {
        const char *labels[REPORT_HEAT_CALLS];
        double m[REPORT_HEAT_CALLS * REPORT_HEAT_CALLS];
        char text[REPORT_HEAT_CALLS * REPORT_HEAT_CALLS][48];
        const char *texts[REPORT_HEAT_CALLS * REPORT_HEAT_CALLS];
        int n = r->n_heat;
        for (int a = 0; a < n; a++) {
            labels[a] = report_name(r, r->heat_names[a]);
            for (int b = 0; b < n; b++) {
                m[a * n + b] = r->heat_prob[a * REPORT_HEAT_CALLS + b];
                snprintf(text[a * n + b], sizeof text[0], "%.3f (%lld times)", m[a * n + b],
                         (long long)r->heat_counts[a * REPORT_HEAT_CALLS + b]);
                texts[a * n + b] = text[a * n + b];
            }
        }
        svg_heatmap(f, "Transitions between the most frequent calls: P(next | previous)", n, labels, m, texts, "previous call",
                    "next call");
    }
    fprintf(f, "<table><tr><th>previous</th><th>next</th><th>times</th><th>P(next | previous)</th></tr>\n");
    for (int k = 0; k < r->n_transitions; k++) {
        const report_transition *t = &r->transitions[k];
        fputs("<tr><td>", f);
        svg_escape(f, report_name(r, t->from));
        fputs("</td><td>", f);
        svg_escape(f, report_name(r, t->to));
        fputs("</td>", f);
        cell_i(f, t->count);
        cell_d(f, t->prob, 1, "%.3f");
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n<section id=\"prediction\"><h2>Next-call predictability</h2>\n", f);
    {
        double acc[REPORT_MAX_N + 1];
        const char *labels[REPORT_MAX_N + 1] = {"0 (most frequent)", "1", "2", "3", "4"};
        for (int n = 0; n <= REPORT_MAX_N; n++) acc[n] = 100 * r->predict_accuracy[n];
        const double *series[1] = {acc};
        const char *names[1] = {"last 20%"}, *colors[1] = {SVG_PALETTE[2]};
        svg_bars_text(f, "Next call predicted from the previous n calls (table from the first 80%)", REPORT_MAX_N + 1, 1, series,
                      names, colors, labels, NULL, 100, "accuracy %", "n (previous calls used)");
    }
    fprintf(f, "<p>Trained on the first %lld calls, tested on the last %lld. Entropy: %.3f bits per call; of the next call "
               "given the previous 1, 2, 3, 4: %.3f, %.3f, %.3f, %.3f bits.</p></section>\n",
            (long long)r->train_calls, (long long)r->test_calls, r->entropy[0], r->entropy[1], r->entropy[2], r->entropy[3],
            r->entropy[4]);
    fprintf(f, "<p style=\"color:#777;font-size:12px\">Reported in %.2f s.</p></body></html>\n", r->seconds);
}
