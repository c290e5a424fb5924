/* Loading for `dataset report` (see trace_report.h): strace logs through the
 * parser, their calls copied into one compact array, and built datasets with
 * their windows stitched back into traces. */
#include "trace_report.h"
#include "trace_input.h"
#include "window_source.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void trace_report_init(trace_report *r) {
    memset(r, 0, sizeof *r);
    string_table_init(&r->names);
    string_table_init(&r->errnos);
    string_table_init(&r->signal_names);
    r->trace_start = xcalloc(1, sizeof *r->trace_start);
    r->pid_mask = 255;
    r->pid_slots = xcalloc(r->pid_mask + 1, sizeof *r->pid_slots);
}

static void group_free(report_group *g) {
    free(g->err_name);
    free(g->err_count);
}

void trace_report_free(trace_report *r) {
    for (int i = 0; i < r->n_inputs; i++) free(r->inputs[i]);
    free(r->inputs);
    if (r->sys)
        for (int32_t i = 0; i < r->names.count; i++) group_free(&r->sys[i]);
    for (int c = 0; c < CAT_COUNT; c++) group_free(&r->cat[c]);
    free(r->sys);
    free(r->sys_category);
    free(r->by_count);
    free(r->calls);
    free(r->trace_start);
    free(r->trace_t0);
    free(r->signal_counts);
    free(r->procs);
    free(r->pid_slots);
    string_table_free(&r->names);
    string_table_free(&r->errnos);
    string_table_free(&r->signal_names);
    memset(r, 0, sizeof *r);
}

const char *report_name(const trace_report *r, int32_t name) { return string_table_get(&r->names, name); }

static void add_input(trace_report *r, const char *path) {
    r->inputs = xrealloc(r->inputs, sizeof(char *) * (size_t)(r->n_inputs + 1));
    r->inputs[r->n_inputs++] = xstrdup(path);
}

static report_call *push_call(trace_report *r, int64_t *cap) {
    if (r->n_calls == *cap) {
        *cap = *cap ? *cap * 2 : 4096;
        r->calls = xrealloc(r->calls, (size_t)*cap * sizeof *r->calls);
    }
    return &r->calls[r->n_calls++];
}

/* Index of a signal name, its count starting at 0. */
static int32_t signal_index(trace_report *r, const char *s) {
    int32_t before = r->signal_names.count;
    int32_t k = string_table_intern(&r->signal_names, s, strlen(s));
    if (r->signal_names.count > before) {
        r->signal_counts = xrealloc(r->signal_counts, sizeof *r->signal_counts * (size_t)r->signal_names.count);
        r->signal_counts[k] = 0;
    }
    return k;
}

/* trace_start[n_traces] always holds the end of the last trace. */
static void start_trace(trace_report *r) {
    r->trace_start[r->n_traces] = r->n_calls;
    r->n_traces++;
    r->trace_start = xrealloc(r->trace_start, sizeof *r->trace_start * (size_t)(r->n_traces + 1));
    r->trace_start[r->n_traces] = r->n_calls;
    r->trace_t0 = xrealloc(r->trace_t0, sizeof *r->trace_t0 * (size_t)r->n_traces);
    r->trace_t0[r->n_traces - 1] = NAN;
}

/* The process record of a pid, made on first sight. */
static report_process *process_of(trace_report *r, int32_t pid) {
    uint32_t h = ((uint32_t)pid * 2654435761u) & r->pid_mask;
    while (r->pid_slots[h]) {
        report_process *p = &r->procs[r->pid_slots[h] - 1];
        if (p->pid == pid) return p;
        h = (h + 1) & r->pid_mask;
    }
    if (r->n_procs == r->procs_cap) {
        r->procs_cap = r->procs_cap ? r->procs_cap * 2 : 64;
        r->procs = xrealloc(r->procs, sizeof *r->procs * (size_t)r->procs_cap);
    }
    report_process *p = &r->procs[r->n_procs++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->first = p->last = NAN;
    p->top_call = -1;
    p->end_signal = -1;
    p->trace = r->n_traces - 1;
    r->pid_slots[h] = r->n_procs;
    if ((uint32_t)r->n_procs * 2 > r->pid_mask) { /* grow and rehash */
        r->pid_mask = r->pid_mask * 2 + 1;
        free(r->pid_slots);
        r->pid_slots = xcalloc(r->pid_mask + 1, sizeof *r->pid_slots);
        for (int i = 0; i < r->n_procs; i++) {
            uint32_t k = ((uint32_t)r->procs[i].pid * 2654435761u) & r->pid_mask;
            while (r->pid_slots[k]) k = (k + 1) & r->pid_mask;
            r->pid_slots[k] = i + 1;
        }
        return &r->procs[r->n_procs - 1];
    }
    return p;
}

static int cmp_time_index(const void *a, const void *b, void *ctx) {
    const report_call *c = ctx;
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    if (c[i].time < c[j].time) return -1;
    if (c[i].time > c[j].time) return 1;
    return (i > j) - (i < j);
}

/* Close the current trace: a -ff family of several files is put in time
 * order (stable, so equal times keep file order), and times start at 0. */
static void finish_trace(trace_report *r, int files, int sortable) {
    if (r->n_traces == 0) return;
    r->trace_start[r->n_traces] = r->n_calls;
    int64_t a = r->trace_start[r->n_traces - 1], b = r->n_calls;
    double t0 = INFINITY;
    int all_timed = 1;
    for (int64_t i = a; i < b; i++) {
        if (isnan(r->calls[i].time)) all_timed = 0;
        else if (r->calls[i].time < t0) t0 = r->calls[i].time;
    }
    if (files > 1 && sortable && all_timed && b - a > 1) {
        int64_t *idx = xmalloc(sizeof *idx * (size_t)(b - a));
        for (int64_t i = a; i < b; i++) idx[i - a] = i;
        qsort_r(idx, (size_t)(b - a), sizeof *idx, cmp_time_index, r->calls);
        report_call *tmp = xmalloc(sizeof *tmp * (size_t)(b - a));
        for (int64_t i = a; i < b; i++) tmp[i - a] = r->calls[idx[i - a]];
        memcpy(r->calls + a, tmp, sizeof *tmp * (size_t)(b - a));
        free(tmp);
        free(idx);
    }
    if (isfinite(t0)) {
        r->trace_t0[r->n_traces - 1] = t0;
        for (int64_t i = a; i < b; i++) r->calls[i].time -= t0;
    }
}

int trace_report_add_logs(trace_report *r, int n, const char *const *paths, error_info *err) {
    int64_t cap = r->n_calls;
    char family[4200] = "";
    int family_files = 0, sortable = 1;
    for (int f = 0; f < n; f++) {
        const char *path = paths[f];
        char *data;
        size_t len;
        if (read_input_file(path, &data, &len, err)) return -1;
        int32_t file_pid = strace_pid_from_filename(path);
        strace_log log;
        strace_log_init(&log, file_pid);
        strace_parse(&log, data, len);
        strace_finish(&log);
        free(data);
        if (log.count == 0) {
            int rc = log.problem_count == 0
                         ? error_set(err, "%s: no system calls in this strace log (empty file?)", path)
                         : error_set(err, "%s:%lld: not an strace log: no system calls found; first line that is not strace output (%s): %s",
                                     path, (long long)log.problems[0].line, log.problems[0].reason, log.problems[0].text);
            strace_log_free(&log);
            return rc;
        }
        add_input(r, path);
        /* -ff: one file per task, named name.PID, without pid prefixes. */
        int prefixed = 0;
        for (int64_t i = 0; i < log.count && !prefixed; i++) prefixed = log.events[i].pid != file_pid;
        char key[4200] = "";
        if (file_pid > 0 && !prefixed) {
            snprintf(key, sizeof key, "%s", path);
            char *dot = strrchr(key, '.');
            if (dot && strcmp(dot, ".xz") == 0) { *dot = 0; dot = strrchr(key, '.'); }
            if (dot) *dot = 0;
        }
        if (key[0] && strcmp(key, family) == 0) {
            family_files++;
        } else {
            finish_trace(r, family_files, sortable);
            start_trace(r);
            snprintf(family, sizeof family, "%s", key);
            family_files = 1;
            sortable = 1;
        }
        if (log.time_kind == STRACE_TIME_RELATIVE) sortable = 0; /* -r restarts in each file */
        if (!r->time_kind && log.time_kind) r->time_kind = log.time_kind;
        if (file_pid > 0 || prefixed) r->has_pids = 1;
        r->lines += log.lines;
        r->parsed_calls += log.calls;
        r->unparsed += log.unparsed;
        r->stack_lines += log.stack_lines;
        r->note_lines += log.note_lines;
        r->pending_at_end += log.pending_at_end;
        r->unmatched_resumed += log.unmatched_resumed;
        for (int j = 0; j < log.problem_count && r->problem_count < STRACE_MAX_PROBLEMS; j++) {
            r->problems[r->problem_count] = log.problems[j];
            snprintf(r->problem_file[r->problem_count], sizeof r->problem_file[0], "%s", path);
            r->problem_count++;
        }
        int32_t *name_map = xmalloc(sizeof *name_map * (size_t)(log.names.count + 1));
        for (int32_t i = 0; i < log.names.count; i++) name_map[i] = -1;
        /* Absolute times: -r prints the time since the previous line, -t/-tt
         * the time of day (which wraps at midnight). */
        double clock = 0, prev = NAN, day = 0;
        for (int64_t i = 0; i < log.count; i++) {
            const strace_event *ev = &log.events[i];
            double t = ev->timestamp;
            if (!isnan(t)) {
                if (log.time_kind == STRACE_TIME_RELATIVE) {
                    clock += t;
                    t = clock;
                } else {
                    if (log.time_kind == STRACE_TIME_OF_DAY && !isnan(prev) && t + day < prev - 43200) day += 86400;
                    t += day;
                    prev = t;
                }
            }
            report_process *p = process_of(r, ev->pid);
            if (!isnan(t)) {
                if (isnan(p->first) || t < p->first) p->first = t;
                if (isnan(p->last) || t > p->last) p->last = t;
            }
            switch ((strace_kind)ev->kind) {
            case STRACE_CALL: {
                report_call *c = push_call(r, &cap);
                c->time = t;
                c->duration = ev->duration;
                c->retval = ev->retval;
                c->pid = ev->pid;
                c->flags = ev->flags;
                if (name_map[ev->name] < 0) {
                    const char *s = string_table_get(&log.names, ev->name);
                    name_map[ev->name] = string_table_intern(&r->names, s, strlen(s));
                }
                c->name = name_map[ev->name];
                c->error = -1;
                if (ev->error >= 0) {
                    const char *s = string_table_get(&log.names, ev->error);
                    c->error = string_table_intern(&r->errnos, s, strlen(s));
                }
                if (ev->duration >= 0) r->has_duration = 1;
                break;
            }
            case STRACE_RESUMED: r->resumed++; break;
            case STRACE_SIGNAL:
            {
                int32_t k = signal_index(r, string_table_get(&log.names, ev->name));
                r->signal_counts[k]++;
            }
                r->signals++;
                p->signals++;
                break;
            case STRACE_STOPPED: r->stopped++; break;
            case STRACE_EXITED:
                r->exited++;
                p->end = 1;
                p->status = ev->status;
                break;
            case STRACE_KILLED:
                r->killed++;
                p->end = 2;
                p->end_signal = signal_index(r, string_table_get(&log.names, ev->name));
                break;
            case STRACE_SUPERSEDED:
                r->superseded++;
                p->end = 3;
                p->status = ev->status;
                break;
            case STRACE_DETACHED: r->detached++; break;
            }
        }
        free(name_map);
        strace_log_free(&log);
    }
    finish_trace(r, family_files, sortable);
    r->has_time = r->n_calls > 0;
    for (int64_t i = 0; i < r->n_calls && r->has_time; i++) r->has_time = !isnan(r->calls[i].time);
    for (int i = 0; i < r->n_procs; i++) {
        report_process *p = &r->procs[i];
        double t0 = p->trace >= 0 && p->trace < r->n_traces ? r->trace_t0[p->trace] : NAN;
        p->first = isnan(t0) ? NAN : p->first - t0;
        p->last = isnan(t0) ? NAN : p->last - t0;
    }
    return 0;
}

void trace_report_add_sequence(trace_report *r, const char *const *names, int64_t n) {
    int64_t cap = r->n_calls;
    start_trace(r);
    for (int64_t i = 0; i < n; i++) {
        report_call *c = push_call(r, &cap);
        memset(c, 0, sizeof *c);
        c->time = NAN;
        c->duration = -1;
        c->error = -1;
        c->name = string_table_intern(&r->names, names[i], strlen(names[i]));
    }
    r->parsed_calls += n;
    r->trace_start[r->n_traces] = r->n_calls;
}

/* Append one window set's windows; a window continues the current trace when
 * its first length - stride events repeat the trace's last ones. */
static void stitch(trace_report *r, const window_set *ws, int stride, const int32_t *name_of, int vocab, int64_t *cap) {
    int L = ws->length, S = stride;
    int64_t chain = -1; /* calls in the current trace, or -1 before the first window */
    for (int64_t w = 0; w < ws->count; w++) {
        const int32_t *ids = ws->ids + w * L;
        int cont = 0;
        if (chain >= L && S > 0 && S < L) {
            cont = 1;
            for (int k = 0; k < L - S && cont; k++) {
                int32_t id = ids[k];
                int32_t nm = id >= 1 && id <= vocab ? name_of[id - 1] : -1;
                cont = r->calls[r->n_calls - (L - S) + k].name == nm;
            }
        }
        int from = cont ? L - S : 0;
        if (!cont) {
            start_trace(r);
            chain = 0;
        }
        for (int k = from; k < L; k++) {
            int32_t id = ids[k];
            report_call *c = push_call(r, cap);
            memset(c, 0, sizeof *c);
            c->time = NAN;
            c->duration = -1;
            c->error = -1;
            if (id >= 1 && id <= vocab) {
                c->name = name_of[id - 1];
            } else {
                char buf[32];
                snprintf(buf, sizeof buf, "%d", id);
                c->name = string_table_intern(&r->names, buf, strlen(buf));
            }
            chain++;
        }
    }
    if (chain >= 0) r->trace_start[r->n_traces] = r->n_calls;
}

int trace_report_add_dataset(trace_report *r, const char *spec, error_info *err) {
    dataset ds;
    if (dataset_load(spec, 0, &ds, err)) return -1;
    if (ds.training.count + ds.testing.count == 0) {
        dataset_free(&ds);
        return error_set(err, "%s: the dataset has no windows", spec);
    }
    add_input(r, spec);
    r->from_dataset = 1;
    snprintf(r->dataset_events, sizeof r->dataset_events, "%s", ds.events);
    int32_t *name_of = xmalloc(sizeof *name_of * (size_t)(ds.vocab.size + 1));
    for (int i = 0; i < ds.vocab.size; i++)
        name_of[i] = string_table_intern(&r->names, ds.vocab.names[i], strlen(ds.vocab.names[i]));
    int64_t cap = r->n_calls;
    stitch(r, &ds.training, ds.stride, name_of, ds.vocab.size, &cap);
    stitch(r, &ds.testing, ds.stride, name_of, ds.vocab.size, &cap);
    r->parsed_calls = r->n_calls;
    free(name_of);
    dataset_free(&ds);
    return 0;
}
