/* Input traces for `dataset build`: reads strace logs, the paper's window
 * files (text or .npy), integer sequences (ADFA-LD style) and "PID SYSCALL"
 * lines (UNM style), .xz-compressed or not, into named event sequences. */
#ifndef SSSD_DATASETS_TRACE_INPUT_H
#define SSSD_DATASETS_TRACE_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "string_table.h"
#include "strace_parse.h"
#include "dataset_h5.h"
#include "windows.h"

typedef enum input_format {
    INPUT_AUTO = 0,
    INPUT_STRACE,   /* strace log */
    INPUT_PAPER,    /* windows in the paper's text layout (a directory, or training/testing files) */
    INPUT_NPY,      /* windows as .npy int (N, L, 1) */
    INPUT_IDS,      /* one trace a file: integers separated by blanks, commas or newlines */
    INPUT_PID_IDS   /* "PID SYSCALL" lines: one trace per pid */
} input_format;

typedef enum event_mode {
    EVENTS_CALL = 0,     /* one event per system call */
    EVENTS_ENTRY_EXIT    /* entry and exit as two events with the same name (as kernel tracers record) */
} event_mode;

const char *input_format_name(input_format f);
int input_format_from_name(const char *s, input_format *out); /* 0 or -1 */

typedef struct trace_sequence {
    int32_t *tokens;   /* indices into trace_set.names */
    int64_t count;
    int32_t run;       /* sequences of one run stay on one side of a --split run */
    int32_t source;    /* index into trace_set.sources */
} trace_sequence;

/* What reading one input found, for the tool to print. */
typedef struct input_report {
    input_format format;
    int64_t lines;          /* lines read (text formats) */
    int64_t events;         /* events kept in sequences */
    int64_t sequences;      /* sequences it added */
    int64_t calls;          /* strace: system calls */
    int64_t typed_events;   /* strace: signals, exits, detaches */
    int64_t unparsed;       /* strace: lines that could not be parsed */
    int64_t stack_lines, note_lines, pending_at_end;
    strace_problem problems[STRACE_MAX_PROBLEMS];
    int problem_count;
} input_report;

typedef struct trace_set {
    event_mode events;
    int include_signals;       /* keep strace's signal/exit/detach lines as events */
    string_table names;        /* event names */
    trace_sequence *seqs;
    int32_t seq_count, seq_cap;
    string_table run_keys;     /* one key per run (a file, a -ff file family, a pid of a UNM file) */
    char **sources;
    int32_t source_count;
    /* Windowed inputs (paper layout, .npy) are kept as they are, with their split. */
    int windowed;
    window_set given_training, given_testing;
    vocabulary given_vocab;    /* names and counts when the windows came from a dataset .h5 */
} trace_set;

void trace_set_init(trace_set *ts, event_mode events, int include_signals);
void trace_set_free(trace_set *ts);

/* Read one input (a file, a paper-layout directory, or a dataset .h5 or its
 * directory) and add its sequences or windows. Errors name the file and line. */
int trace_set_add(trace_set *ts, const char *path, input_format format, input_report *rep, error_info *err);

/* The whole content of a file; .xz files (recognised by their magic bytes) are
 * piped through `xz -dc`. *data is NUL-terminated. */
int read_input_file(const char *path, char **data, size_t *len, error_info *err);

/* Guess the format of a file from its name and content. */
input_format detect_input_format(const char *path, const char *data, size_t len);

#endif
