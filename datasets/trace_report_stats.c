/* Per-syscall, per-category and per-process figures of a trace report:
 * counts, failures by errno, -T durations (total, mean, p50, p95, max and a
 * histogram) and bytes moved by data calls with their size histogram. */
#include "trace_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static int size_bin(int64_t bytes) {
    if (bytes <= 0) return 0;
    int b = 1;
    while (b < REPORT_SIZE_BINS - 1 && bytes >= ((int64_t)1 << b)) b++;
    return b;
}

static int dur_bin(double seconds) {
    double us = seconds * 1e6;
    if (us < 1) return 0;
    int b = 1;
    while (b < REPORT_DUR_BINS - 1 && us >= ldexp(1.0, b)) b++;
    return b;
}

void report_size_bin_label(int bin, char *buf, size_t n) {
    if (bin == 0) { snprintf(buf, n, "0"); return; }
    int64_t v = (int64_t)1 << (bin - 1);
    const char *unit[] = {"", "K", "M", "G"};
    int u = 0;
    while (u < 3 && v >= 1024) { v /= 1024; u++; }
    snprintf(buf, n, "%lld%s", (long long)v, unit[u]);
}

void report_dur_bin_label(int bin, char *buf, size_t n) {
    if (bin == 0) { snprintf(buf, n, "<1us"); return; }
    double us = ldexp(1.0, bin - 1);
    if (us < 1000) snprintf(buf, n, "%.0fus", us);
    else if (us < 1e6) snprintf(buf, n, "%.2gms", us / 1000);
    else snprintf(buf, n, "%.2gs", us / 1e6);
}

/* Nearest rank: the smallest value with at least p of the values at or below it. */
static double percentile(const double *sorted, int64_t n, double p) {
    int64_t k = (int64_t)ceil(p * (double)n) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return sorted[k];
}

/* Durations of one group, given in any order (sorted here). */
static void duration_figures(report_group *g, double *d, int64_t n) {
    g->timed = n;
    g->dur_total = g->dur_mean = g->dur_p50 = g->dur_p95 = g->dur_max = NAN;
    if (n == 0) return;
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        total += d[i];
        g->dur_hist[dur_bin(d[i])]++;
    }
    g->dur_total = total;
    g->dur_mean = total / (double)n;
    g->dur_p50 = percentile(d, n, 0.50);
    g->dur_p95 = percentile(d, n, 0.95);
    g->dur_max = d[n - 1];
}

/* errno counts of a group: from a dense count array, most frequent first. */
static void error_figures(report_group *g, const int64_t *counts, int32_t n_errnos) {
    g->n_errors = 0;
    for (int32_t e = 0; e < n_errnos; e++) g->n_errors += counts[e] > 0;
    g->err_name = xmalloc(sizeof *g->err_name * (size_t)(g->n_errors + 1));
    g->err_count = xmalloc(sizeof *g->err_count * (size_t)(g->n_errors + 1));
    int k = 0;
    for (int32_t e = 0; e < n_errnos; e++)
        if (counts[e] > 0) {
            int j = k++;
            while (j > 0 && g->err_count[j - 1] < counts[e]) { /* insertion: few errnos */
                g->err_name[j] = g->err_name[j - 1];
                g->err_count[j] = g->err_count[j - 1];
                j--;
            }
            g->err_name[j] = e;
            g->err_count[j] = counts[e];
        }
}

static const trace_report *sort_report;
static int cmp_by_count(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    int64_t cx = sort_report->sys[x].calls, cy = sort_report->sys[y].calls;
    if (cx != cy) return cx > cy ? -1 : 1;
    return strcmp(report_name(sort_report, x), report_name(sort_report, y));
}

void trace_report_stats(trace_report *r) {
    int32_t V = r->names.count, E = r->errnos.count;
    r->sys = xcalloc((size_t)(V ? V : 1), sizeof *r->sys);
    r->sys_category = xmalloc(sizeof *r->sys_category * (size_t)(V ? V : 1));
    for (int32_t v = 0; v < V; v++) {
        r->sys_category[v] = syscall_category_of(report_name(r, v));
        r->sys[v].io = syscall_io_of(report_name(r, v));
    }
    /* counts, bytes, errnos (dense V x E and CAT x E tables: both are small) */
    int64_t *err_sys = xcalloc((size_t)V * (size_t)(E ? E : 1) + 1, sizeof *err_sys);
    int64_t *err_cat = xcalloc((size_t)CAT_COUNT * (size_t)(E ? E : 1) + 1, sizeof *err_cat);
    int64_t *timed_sys = xcalloc((size_t)(V ? V : 1), sizeof *timed_sys);
    for (int64_t i = 0; i < r->n_calls; i++) {
        const report_call *c = &r->calls[i];
        report_group *g = &r->sys[c->name];
        int cat = r->sys_category[c->name];
        report_group *gc = &r->cat[cat];
        g->calls++;
        gc->calls++;
        if (c->error >= 0) {
            g->failed++;
            gc->failed++;
            r->failed++;
            err_sys[(size_t)c->name * (size_t)E + (size_t)c->error]++;
            err_cat[(size_t)cat * (size_t)E + (size_t)c->error]++;
        }
        if (c->duration >= 0) timed_sys[c->name]++;
        /* bytes: the result of a data call that succeeded */
        if (g->io && c->error < 0 && (c->flags & STRACE_F_RETURNED) && !(c->flags & STRACE_F_RET_UNKNOWN) &&
            c->retval >= 0) {
            g->io_calls++;
            gc->io_calls++;
            g->bytes += c->retval;
            gc->bytes += c->retval;
            int b = size_bin(c->retval);
            g->size_hist[b]++;
            gc->size_hist[b]++;
            gc->io = 1;
            if (g->io == IO_IN) r->io_bytes_in += c->retval;
            else if (g->io == IO_OUT) r->io_bytes_out += c->retval;
            else r->io_bytes_transfer += c->retval;
        }
    }
    for (int32_t v = 0; v < V; v++) error_figures(&r->sys[v], err_sys + (size_t)v * (size_t)E, E);
    for (int c = 0; c < CAT_COUNT; c++) error_figures(&r->cat[c], err_cat + (size_t)c * (size_t)E, E);
    free(err_sys);
    free(err_cat);
    /* durations: gathered by syscall (offsets from a counting pass), then by category */
    int64_t *off = xcalloc((size_t)V + 1, sizeof *off);
    for (int32_t v = 0; v < V; v++) off[v + 1] = off[v] + timed_sys[v];
    double *d = xmalloc(sizeof *d * (size_t)(off[V] + 1));
    int64_t *fill = xmalloc(sizeof *fill * (size_t)(V ? V : 1));
    memcpy(fill, off, sizeof *fill * (size_t)V);
    for (int64_t i = 0; i < r->n_calls; i++)
        if (r->calls[i].duration >= 0) d[fill[r->calls[i].name]++] = r->calls[i].duration;
    double *dc = xmalloc(sizeof *dc * (size_t)(off[V] + 1));
    for (int c = 0; c < CAT_COUNT; c++) {
        int64_t n = 0;
        for (int32_t v = 0; v < V; v++)
            if (r->sys_category[v] == c) {
                memcpy(dc + n, d + off[v], sizeof *dc * (size_t)timed_sys[v]);
                n += timed_sys[v];
            }
        duration_figures(&r->cat[c], dc, n);
    }
    for (int32_t v = 0; v < V; v++) duration_figures(&r->sys[v], d + off[v], timed_sys[v]);
    free(dc);
    free(d);
    free(fill);
    free(off);
    free(timed_sys);
    /* names by count */
    r->by_count = xmalloc(sizeof *r->by_count * (size_t)(V ? V : 1));
    for (int32_t v = 0; v < V; v++) r->by_count[v] = v;
    sort_report = r;
    qsort(r->by_count, (size_t)V, sizeof *r->by_count, cmp_by_count);
    /* processes: calls, failures, time in calls, most frequent call */
    if (r->n_procs > 0 && !r->from_dataset) {
        /* index by pid through the report's own table (one lookup a call) */
        int64_t *top = xcalloc((size_t)r->n_procs * (size_t)(V ? V : 1), sizeof *top);
        for (int64_t i = 0; i < r->n_calls; i++) {
            const report_call *c = &r->calls[i];
            uint32_t h = ((uint32_t)c->pid * 2654435761u) & r->pid_mask;
            while (r->pid_slots[h] && r->procs[r->pid_slots[h] - 1].pid != c->pid) h = (h + 1) & r->pid_mask;
            if (!r->pid_slots[h]) continue;
            int k = r->pid_slots[h] - 1;
            report_process *p = &r->procs[k];
            p->calls++;
            if (c->error >= 0) p->failed++;
            if (c->duration >= 0) p->dur_total += c->duration;
            top[(size_t)k * (size_t)V + (size_t)c->name]++;
        }
        for (int k = 0; k < r->n_procs; k++)
            for (int32_t v = 0; v < V; v++) {
                int64_t n = top[(size_t)k * (size_t)V + (size_t)v];
                if (n > r->procs[k].top_count) {
                    r->procs[k].top_count = n;
                    r->procs[k].top_call = v;
                }
            }
        free(top);
    }
}

void trace_report_compute(trace_report *r) {
    trace_report_stats(r);
    trace_report_phases(r);
    trace_report_order(r);
}
