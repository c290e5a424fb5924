/* `dataset report`: what a trace does with the kernel, from strace logs (every
 * figure the parser's fields allow) or from a built dataset (the event order
 * only). Loading (trace_report_load.c), per-call figures (trace_report_stats.c),
 * timeline and phases (trace_report_phases.c), order and predictability
 * (trace_report_order.c), and three views: terminal text, JSON and HTML. */
#ifndef SSSD_DATASETS_TRACE_REPORT_H
#define SSSD_DATASETS_TRACE_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "string_table.h"
#include "strace_parse.h"
#include "syscall_categories.h"

#define REPORT_SIZE_BINS 33      /* 0 bytes, then [2^(k-1), 2^k) for k = 1..31, then >= 2^31 */
#define REPORT_DUR_BINS 26       /* < 1 us, then [2^(k-1), 2^k) us, the last open-ended */
#define REPORT_MAX_N 4           /* next-call prediction from the previous 1..4 calls */
#define REPORT_SLICES 100        /* timeline columns */
#define REPORT_MAX_PHASES 32
#define REPORT_TOP_TRANSITIONS 20
#define REPORT_HEAT_CALLS 16     /* the heat map's most frequent calls */

/* One system call of the trace, in log order (a -ff family merged by time). */
typedef struct report_call {
    double time;       /* seconds since the trace's first line; NAN without timestamps */
    double duration;   /* -T, seconds; -1 when absent */
    int64_t retval;
    int32_t name;      /* index into trace_report.names */
    int32_t pid;       /* 0 when unknown */
    int32_t error;     /* index into trace_report.errnos, or -1 */
    uint16_t flags;    /* STRACE_F_* */
} report_call;

/* Figures of one syscall or one category. */
typedef struct report_group {
    int64_t calls, failed;
    int n_errors;              /* distinct errno names */
    int32_t *err_name;         /* index into errnos, most frequent first */
    int64_t *err_count;
    int64_t timed;             /* calls with a -T duration */
    double dur_total, dur_mean, dur_p50, dur_p95, dur_max;
    int64_t dur_hist[REPORT_DUR_BINS];
    int io;                    /* syscall_io (for a category: 1 when any member moves data) */
    int64_t io_calls;          /* successful data calls with a byte count */
    int64_t bytes;
    int64_t size_hist[REPORT_SIZE_BINS];
} report_group;

typedef struct report_process {
    int32_t pid;
    int64_t calls, failed, signals;
    double first, last;        /* time of its first and last line; NAN without timestamps */
    double dur_total;          /* sum of its -T durations */
    int32_t top_call;          /* its most frequent call (names index) */
    int64_t top_count;
    int end;                   /* 0 unknown, 1 exited (status), 2 killed (signal), 3 superseded */
    int32_t status;            /* exit status or new pid */
    int32_t end_signal;        /* signal_names index of the killing signal */
    int trace;                 /* the trace it first appears in */
} report_process;

typedef struct report_phase {
    int64_t start, end;        /* call indices [start, end) */
    double t_start, t_end;     /* times, when the timeline is by time */
    double boundary_js;        /* divergence at its start (bits); 0 for the first, -1 where a trace starts */
    int n_top;
    int32_t top[3];            /* its most frequent calls */
    double top_share[3];
    int category;              /* its dominant category */
} report_phase;

typedef struct report_transition {
    int32_t from, to;
    int64_t count;
    double prob;               /* count / calls followed by anything, from `from` */
} report_transition;

typedef struct trace_report {
    int from_dataset;          /* 1: a built dataset (no errors, durations, sizes or pids) */
    char dataset_events[32];   /* the dataset's event mode ("call", "entry-exit") */
    int n_inputs;
    char **inputs;
    /* parser totals over every log */
    int64_t lines, parsed_calls, resumed, signals, stopped, exited, killed, superseded, detached;
    int64_t unparsed, stack_lines, note_lines, pending_at_end, unmatched_resumed;
    strace_problem problems[STRACE_MAX_PROBLEMS];
    char problem_file[STRACE_MAX_PROBLEMS][256];
    int problem_count;
    int time_kind;             /* strace_time_kind of the first log with timestamps */
    /* the calls */
    string_table names, errnos;
    report_call *calls;
    int64_t n_calls;
    int64_t *trace_start;      /* (n_traces + 1) call index where each trace starts */
    int n_traces;
    int has_time;              /* every call has a timestamp */
    int has_duration;          /* some call has a -T duration */
    int has_pids;              /* -f/-ff: more than one task, or pids known */
    /* per syscall (indexed by name) and per category */
    report_group *sys;
    int32_t *sys_category;     /* category of each name */
    int32_t *by_count;         /* name indices, most frequent first */
    report_group cat[CAT_COUNT];
    int64_t failed;            /* all failed calls */
    int64_t io_bytes_in, io_bytes_out, io_bytes_transfer;
    /* signals delivered, by name (from "--- SIG... ---" lines) */
    string_table signal_names;
    int64_t *signal_counts;
    /* per process/thread */
    report_process *procs;
    int n_procs, procs_cap;
    int32_t *pid_slots;        /* open addressing: process index + 1, 0 = empty */
    uint32_t pid_mask;
    double *trace_t0;          /* (n_traces) first time of each trace, subtracted from its times */
    /* timeline */
    int timeline_by_time;      /* 1: columns are time slices; 0: slices of the call index */
    double span;               /* seconds from first to last call (by time), or calls */
    int n_slices;
    int64_t slice_counts[CAT_COUNT][REPORT_SLICES];
    /* phases */
    int window;                /* the sliding windows' width, in calls */
    double js_threshold;       /* the least divergence (bits) that makes a boundary */
    int n_phases;
    report_phase phases[REPORT_MAX_PHASES];
    /* order */
    int n_transitions;
    report_transition transitions[REPORT_TOP_TRANSITIONS];
    int64_t transition_total;  /* consecutive pairs inside traces */
    int n_heat;
    int32_t heat_names[REPORT_HEAT_CALLS];
    int64_t heat_counts[REPORT_HEAT_CALLS * REPORT_HEAT_CALLS];
    double heat_prob[REPORT_HEAT_CALLS * REPORT_HEAT_CALLS];  /* P(column | row) */
    int64_t train_calls, test_calls;                          /* the 80/20 split */
    int64_t predict_correct[REPORT_MAX_N + 1];                /* [n]; [0] = most frequent call */
    int64_t predict_seen[REPORT_MAX_N + 1];                   /* test contexts of length n seen in training */
    double predict_accuracy[REPORT_MAX_N + 1];
    double entropy[REPORT_MAX_N + 1];   /* bits: [0] of the call, [n] of the next call given the previous n */
    double seconds;            /* time the report took */
} trace_report;

void trace_report_init(trace_report *r);
void trace_report_free(trace_report *r);

/* Add strace logs (.xz too) in the given order: consecutive -ff files of one
 * capture (name.PID without pid prefixes) form one trace, merged by time.
 * Errors name the file (missing, empty, not an strace log). */
int trace_report_add_logs(trace_report *r, int n, const char *const *paths, error_info *err);

/* Use a built dataset (name, directory or .h5): its windows stitched back into
 * traces (windows overlapping by length - stride continue one trace). */
int trace_report_add_dataset(trace_report *r, const char *spec, error_info *err);

/* Add already-named calls as one trace (tests, synthetic traces). */
void trace_report_add_sequence(trace_report *r, const char *const *names, int64_t n);

/* Every figure, once the calls are in. */
void trace_report_compute(trace_report *r);
void trace_report_stats(trace_report *r);       /* per syscall, category, process */
void trace_report_phases(trace_report *r);      /* timeline and phases */
void trace_report_order(trace_report *r);       /* transitions, predictability, entropy */

/* Jensen-Shannon divergence (bits) of two count vectors of length k. */
double report_js_bits(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int k);

const char *report_name(const trace_report *r, int32_t name);
/* "4K", "1M": lower edge of a size bin; "<1us", "512us", "1.0s": of a duration bin */
void report_size_bin_label(int bin, char *buf, size_t n);
void report_dur_bin_label(int bin, char *buf, size_t n);

void trace_report_text(FILE *f, const trace_report *r);
void trace_report_json(FILE *f, const trace_report *r);
void trace_report_html(FILE *f, const trace_report *r);

#endif
