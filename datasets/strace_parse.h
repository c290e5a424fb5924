/* Parser for strace logs as strace 6.x writes them (-f/-ff, -t/-tt/-ttt/-r,
 * -T, -y/-yy, -k, -i, -n, unfinished/resumed calls, signals and exits;
 * lines starting with '#' are comments).
 * Each line becomes one typed event in a flat array, or is counted as
 * unparsed with its line number; nothing is guessed. */
#ifndef SSSD_DATASETS_STRACE_PARSE_H
#define SSSD_DATASETS_STRACE_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "string_table.h"

typedef enum strace_kind {
    STRACE_CALL = 0,     /* a system call: a complete line, or the "<unfinished ...>" half */
    STRACE_RESUMED,      /* "<... name resumed>": where an unfinished call returned */
    STRACE_SIGNAL,       /* "--- SIGCHLD {...} ---" */
    STRACE_STOPPED,      /* "--- stopped by SIGSTOP ---" */
    STRACE_EXITED,       /* "+++ exited with N +++" */
    STRACE_KILLED,       /* "+++ killed by SIGKILL [(core dumped)] +++" */
    STRACE_SUPERSEDED,   /* "+++ superseded by execve in pid N +++" */
    STRACE_DETACHED      /* "<detached ...>" */
} strace_kind;

enum strace_flags {
    STRACE_F_RETURNED = 1,     /* the "= ..." part was seen (on this line or the resumed one) */
    STRACE_F_RET_UNKNOWN = 2,  /* "= ?": no return value (exit_group, interrupted calls) */
    STRACE_F_UNFINISHED = 4,   /* the call line ended in "<unfinished ...>" */
    STRACE_F_INJECTED = 8,     /* "(INJECTED)": the result came from strace's fault injection */
    STRACE_F_CORE_DUMPED = 16, /* "+++ killed by SIGSEGV (core dumped) +++" */
    STRACE_F_DETACHED = 32     /* the call was cut off by "<detached ...>" */
};

typedef enum strace_time_kind {
    STRACE_TIME_NONE = 0,
    STRACE_TIME_OF_DAY,   /* -t, -tt: seconds since midnight */
    STRACE_TIME_EPOCH,    /* -ttt: seconds since 1970 */
    STRACE_TIME_RELATIVE  /* -r alone: seconds since the previous line */
} strace_time_kind;

typedef struct strace_event {
    double timestamp;   /* seconds as printed (see strace_log.time_kind); NAN when absent */
    double duration;    /* -T, seconds; -1 when absent */
    int64_t retval;     /* valid when STRACE_F_RETURNED and not STRACE_F_RET_UNKNOWN */
    int32_t pid;        /* from the line's prefix or the -ff file name; 0 when unknown */
    int32_t name;       /* string index: syscall or signal name; -1 for exit lines */
    int32_t error;      /* string index of the errno name ("ENOENT"), or -1 */
    int32_t link;       /* CALL: index of its RESUMED event, or -1; RESUMED: index of its CALL */
    int64_t line;       /* line number in the log, from 1 */
    int32_t status;     /* EXITED: exit status; SUPERSEDED: the new pid */
    uint16_t kind;      /* strace_kind */
    uint16_t flags;     /* strace_flags */
} strace_event;

#define STRACE_MAX_PROBLEMS 8

typedef struct strace_problem {
    int64_t line;
    char reason[96];
    char text[160];     /* the line, cut short */
} strace_problem;

typedef struct strace_log {
    strace_event *events;
    int64_t count, capacity;
    string_table names;          /* syscall, signal and errno names */
    int64_t lines;               /* lines read, blank ones included */
    int64_t calls;               /* CALL events */
    int64_t unparsed;            /* lines that are not strace output (or are damaged) */
    int64_t stack_lines;         /* -k backtrace lines (" > lib(fn+0x1) [0x...]") */
    int64_t note_lines;          /* "strace: ..." messages captured with the log, '#' comments */
    int64_t unmatched_resumed;   /* "<... resumed>" with no unfinished call of that thread (counted in unparsed) */
    int64_t pending_at_end;      /* calls still unfinished when the log ended */
    strace_problem problems[STRACE_MAX_PROBLEMS]; /* the first few unparsed lines */
    int problem_count;
    strace_time_kind time_kind;
    int32_t default_pid;         /* pid for lines without a prefix (-ff files), 0 if unknown */
    /* unfinished calls by thread id (pid -> event index): few at a time, so a
     * small array searched linearly beats a hash map */
    int32_t *pending_pid;
    int64_t *pending_event;
    int64_t pending_count, pending_cap;
    /* A line cut by strace's own "strace: Process N attached" message (trace on
     * stderr) waits here for its continuation on a later line. */
    char *fragment;
    size_t fragment_len;
    int64_t fragment_line;
} strace_log;

void strace_log_init(strace_log *log, int32_t default_pid);
void strace_log_free(strace_log *log);

/* Parse a buffer of whole lines (the last one may lack its newline). May be
 * called repeatedly for consecutive parts of one log, each ending at a line end. */
void strace_parse(strace_log *log, const char *buf, size_t len);

/* Call once the log is complete: counts calls still unfinished. */
void strace_finish(strace_log *log);

/* Does this text look like strace output (for format auto-detection)?
 * Looks at up to the first 50 non-blank lines of the buffer. */
int strace_looks_like(const char *buf, size_t len);

/* The pid a -ff output file name carries ("log.1234" -> 1234), or 0. A ".xz"
 * suffix is ignored. */
int32_t strace_pid_from_filename(const char *path);

#endif
