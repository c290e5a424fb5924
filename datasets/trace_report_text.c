/* Terminal view of a trace report: the figures a user reads first; the JSON
 * holds every row. */
#include "trace_report.h"

#include <math.h>
#include <string.h>

#define TEXT_SYSCALL_ROWS 25
#define TEXT_PROCESS_ROWS 15

static void bytes_text(int64_t b, char *buf, size_t n) {
    if (b < 1024) snprintf(buf, n, "%lld B", (long long)b);
    else if (b < 1024 * 1024) snprintf(buf, n, "%.1f KiB", b / 1024.0);
    else if (b < (int64_t)1 << 30) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
    else snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
}

static void us_text(double s, char *buf, size_t n) {
    if (isnan(s)) snprintf(buf, n, "-");
    else if (s < 1e-3) snprintf(buf, n, "%.1fus", s * 1e6);
    else if (s < 1) snprintf(buf, n, "%.2fms", s * 1e3);
    else snprintf(buf, n, "%.3fs", s);
}

static void errors_text(FILE *f, const trace_report *r, const report_group *g, int max) {
    for (int k = 0; k < g->n_errors && k < max; k++)
        fprintf(f, "%s%s %lld", k ? ", " : "", string_table_get(&r->errnos, g->err_name[k]), (long long)g->err_count[k]);
    if (g->n_errors > max) fprintf(f, ", ...");
}

static void group_row(FILE *f, const trace_report *r, const char *name, const report_group *g) {
    double share = r->n_calls ? 100.0 * (double)g->calls / (double)r->n_calls : 0;
    fprintf(f, "  %-18s %10lld %6.2f%% %8lld", name, (long long)g->calls, share, (long long)g->failed);
    if (r->has_duration) {
        char t[24], m[24], p50[24], p95[24], mx[24];
        us_text(g->dur_total, t, sizeof t);
        us_text(g->dur_mean, m, sizeof m);
        us_text(g->dur_p50, p50, sizeof p50);
        us_text(g->dur_p95, p95, sizeof p95);
        us_text(g->dur_max, mx, sizeof mx);
        fprintf(f, " %10s %9s %9s %9s %9s", t, m, p50, p95, mx);
    }
    if (g->io_calls) {
        char b[32];
        bytes_text(g->bytes, b, sizeof b);
        fprintf(f, "  %s", b);
    }
    fputc('\n', f);
}

static void header(FILE *f, const trace_report *r, const char *first) {
    fprintf(f, "  %-18s %10s %7s %8s", first, "calls", "share", "failed");
    if (r->has_duration) fprintf(f, " %10s %9s %9s %9s %9s", "time", "mean", "p50", "p95", "max");
    fprintf(f, "  bytes\n");
}

void trace_report_text(FILE *f, const trace_report *r) {
    fprintf(f, "trace report: ");
    for (int i = 0; i < r->n_inputs; i++) fprintf(f, "%s%s", i ? " " : "", r->inputs[i]);
    fputc('\n', f);
    if (r->from_dataset) {
        fprintf(f, "from a dataset (events: %s): %lld events in %d stitched trace(s); a dataset keeps only the event\n"
                   "order, so there are no errors, durations, sizes, processes or timestamps\n",
                r->dataset_events, (long long)r->n_calls, r->n_traces);
    } else {
        fprintf(f, "parsed: %lld lines, %lld calls (%lld resumed), %lld signals, %lld exits, %lld killed", (long long)r->lines,
                (long long)r->parsed_calls, (long long)r->resumed, (long long)r->signals, (long long)r->exited,
                (long long)r->killed);
        if (r->stack_lines) fprintf(f, ", %lld stack lines", (long long)r->stack_lines);
        if (r->pending_at_end) fprintf(f, ", %lld never resumed", (long long)r->pending_at_end);
        fprintf(f, ", %lld unparsed\n", (long long)r->unparsed);
        for (int j = 0; j < r->problem_count; j++)
            fprintf(f, "  %s:%lld: unparsed (%s): %s\n", r->problem_file[j], (long long)r->problems[j].line,
                    r->problems[j].reason, r->problems[j].text);
        fprintf(f, "traces: %d; tasks: %d; timestamps: %s; durations (-T): %s\n", r->n_traces, r->n_procs,
                r->has_time ? "yes" : "no", r->has_duration ? "yes" : "no");
    }

    fprintf(f, "\nby category (failed = calls with an errno)\n");
    header(f, r, "category");
    int order[CAT_COUNT];
    for (int c = 0; c < CAT_COUNT; c++) order[c] = c;
    for (int i = 1; i < CAT_COUNT; i++)
        for (int j = i; j > 0 && r->cat[order[j]].calls > r->cat[order[j - 1]].calls; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < CAT_COUNT; i++)
        if (r->cat[order[i]].calls) group_row(f, r, syscall_category_name(order[i]), &r->cat[order[i]]);

    fprintf(f, "\nby system call (%d distinct%s)\n", r->names.count,
            r->names.count > TEXT_SYSCALL_ROWS ? "; the most frequent shown, all in --json" : "");
    header(f, r, "call");
    for (int i = 0; i < r->names.count && i < TEXT_SYSCALL_ROWS; i++)
        group_row(f, r, report_name(r, r->by_count[i]), &r->sys[r->by_count[i]]);

    if (r->failed) {
        fprintf(f, "\nfailures: %lld calls (%.2f%%)\n", (long long)r->failed, 100.0 * (double)r->failed / (double)r->n_calls);
        for (int i = 0; i < r->names.count; i++) {
            const report_group *g = &r->sys[r->by_count[i]];
            if (!g->failed) continue;
            fprintf(f, "  %-18s %lld of %lld: ", report_name(r, r->by_count[i]), (long long)g->failed, (long long)g->calls);
            errors_text(f, r, g, 6);
            fputc('\n', f);
        }
    }
    if (r->io_bytes_in || r->io_bytes_out || r->io_bytes_transfer) {
        char a[32], b[32], c[32];
        bytes_text(r->io_bytes_in, a, sizeof a);
        bytes_text(r->io_bytes_out, b, sizeof b);
        bytes_text(r->io_bytes_transfer, c, sizeof c);
        fprintf(f, "\ndata: %s read or received, %s written or sent, %s fd to fd\n", a, b, c);
        for (int i = 0; i < r->names.count; i++) {
            const report_group *g = &r->sys[r->by_count[i]];
            if (!g->io_calls) continue;
            char tot[32];
            bytes_text(g->bytes, tot, sizeof tot);
            fprintf(f, "  %-12s %s in %lld calls; sizes:", report_name(r, r->by_count[i]), tot, (long long)g->io_calls);
            for (int k = 0; k < REPORT_SIZE_BINS; k++)
                if (g->size_hist[k]) {
                    char lb[16];
                    report_size_bin_label(k, lb, sizeof lb);
                    fprintf(f, " %s%s:%lld", k ? ">=" : "", lb, (long long)g->size_hist[k]);
                }
            fputc('\n', f);
        }
    }
    if (r->signals) {
        fprintf(f, "\nsignals delivered:");
        for (int32_t s = 0; s < r->signal_names.count; s++)
            if (r->signal_counts[s]) fprintf(f, " %s %lld", string_table_get(&r->signal_names, s), (long long)r->signal_counts[s]);
        fputc('\n', f);
    }
    if (r->has_pids && r->n_procs > 0) {
        fprintf(f, "\nby process/thread (%d%s)\n", r->n_procs, r->n_procs > TEXT_PROCESS_ROWS ? "; the first shown, all in --json" : "");
        fprintf(f, "  %8s %10s %8s %8s %12s %12s  %-16s %s\n", "pid", "calls", "failed", "signals", "first (s)", "last (s)", "top call",
                "end");
        for (int i = 0; i < r->n_procs && i < TEXT_PROCESS_ROWS; i++) {
            const report_process *p = &r->procs[i];
            char end[48];
            if (p->end == 1) snprintf(end, sizeof end, "exited %d", p->status);
            else if (p->end == 2) snprintf(end, sizeof end, "killed by %s", string_table_get(&r->signal_names, p->end_signal));
            else if (p->end == 3) snprintf(end, sizeof end, "execve in pid %d", p->status);
            else snprintf(end, sizeof end, "-");
            fprintf(f, "  %8d %10lld %8lld %8lld %12.6f %12.6f  %-16s %s\n", p->pid, (long long)p->calls, (long long)p->failed,
                    (long long)p->signals, p->first, p->last, p->top_call >= 0 ? report_name(r, p->top_call) : "-", end);
        }
    }

    fprintf(f, "\ntimeline: %d slices of %s\n", r->n_slices,
            r->timeline_by_time ? "time" : r->n_traces > 1 ? "the call index (several traces, back to back)" : "the call index (no timestamps)");
    fprintf(f, "phases (binary segmentation on the Jensen-Shannon divergence of adjacent windows of %d calls;\n"
               "a boundary needs > %.2f bits and more than chance): %d\n",
            r->window, r->js_threshold, r->n_phases);
    for (int k = 0; k < r->n_phases; k++) {
        const report_phase *ph = &r->phases[k];
        fprintf(f, "  %2d  calls %lld-%lld", k + 1, (long long)ph->start, (long long)ph->end - 1);
        if (r->timeline_by_time) fprintf(f, " (%.3f-%.3f s)", ph->t_start, ph->t_end);
        if (ph->boundary_js < 0) fprintf(f, " [next trace]");
        else if (k) fprintf(f, " [JS %.2f]", ph->boundary_js);
        fprintf(f, " %s:", syscall_category_name(ph->category));
        for (int j = 0; j < ph->n_top; j++) fprintf(f, " %s %.0f%%", report_name(r, ph->top[j]), 100 * ph->top_share[j]);
        fputc('\n', f);
    }

    fprintf(f, "\nmost frequent transitions (of %lld consecutive pairs)\n", (long long)r->transition_total);
    for (int k = 0; k < r->n_transitions && k < 10; k++) {
        const report_transition *t = &r->transitions[k];
        fprintf(f, "  %-16s -> %-16s %10lld  P(next|prev) %.3f\n", report_name(r, t->from), report_name(r, t->to),
                (long long)t->count, t->prob);
    }
    fprintf(f, "\nnext-call prediction (trained on the first %lld calls, tested on the last %lld):\n", (long long)r->train_calls,
            (long long)r->test_calls);
    fprintf(f, "  most frequent call: %.2f%%\n", 100 * r->predict_accuracy[0]);
    for (int n = 1; n <= REPORT_MAX_N; n++)
        fprintf(f, "  previous %d: %.2f%% (context seen in training: %.2f%%)\n", n, 100 * r->predict_accuracy[n],
                r->test_calls ? 100.0 * (double)r->predict_seen[n] / (double)r->test_calls : 0.0);
    fprintf(f, "entropy (bits): call %.3f; next call given the previous 1..4: %.3f %.3f %.3f %.3f\n", r->entropy[0],
            r->entropy[1], r->entropy[2], r->entropy[3], r->entropy[4]);
    fprintf(f, "(reported in %.2f s)\n", r->seconds);
}
