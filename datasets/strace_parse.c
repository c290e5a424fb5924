/* strace log parser (see strace_parse.h): one pass over the buffer, lines
 * found with memchr, arguments skipped with a byte-class table, no regex and
 * no allocation per line (events go into one growing array). */
#include "strace_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes that change the argument scanner's state; everything else is skipped. */
static unsigned char arg_special[256];
static int arg_special_ready = 0;

static void init_tables(void) {
    if (arg_special_ready) return;
    const char *sp = "\"()[]{}<";
    for (const char *c = sp; *c; c++) arg_special[(unsigned char)*c] = 1;
    arg_special_ready = 1;
}

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static inline int is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}
static inline const char *skip_blank(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    return p;
}
static inline int starts(const char *p, const char *e, const char *lit, size_t n) {
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}
#define STARTS(p, e, lit) starts((p), (e), (lit), sizeof(lit) - 1)

void strace_log_init(strace_log *log, int32_t default_pid) {
    init_tables();
    memset(log, 0, sizeof *log);
    log->capacity = 1024;
    log->events = xmalloc((size_t)log->capacity * sizeof *log->events);
    string_table_init(&log->names);
    log->default_pid = default_pid;
    log->pending_cap = 16;
    log->pending_pid = xmalloc((size_t)log->pending_cap * sizeof *log->pending_pid);
    log->pending_event = xmalloc((size_t)log->pending_cap * sizeof *log->pending_event);
}

void strace_log_free(strace_log *log) {
    free(log->events);
    string_table_free(&log->names);
    free(log->pending_pid);
    free(log->pending_event);
    free(log->fragment);
    memset(log, 0, sizeof *log);
}

static void add_problem(strace_log *log, int64_t lineno, const char *line, size_t len, const char *reason) {
    log->unparsed++;
    if (log->problem_count >= STRACE_MAX_PROBLEMS) return;
    strace_problem *pr = &log->problems[log->problem_count++];
    pr->line = lineno;
    snprintf(pr->reason, sizeof pr->reason, "%s", reason);
    size_t n = len < sizeof pr->text - 1 ? len : sizeof pr->text - 1;
    /* Keep the report on one printable line whatever the log held. */
    for (size_t i = 0; i < n; i++) pr->text[i] = (line[i] >= 32 && line[i] < 127) ? line[i] : '?';
    pr->text[n] = 0;
}

static strace_event *new_event(strace_log *log, strace_kind kind, int32_t pid, double ts, int64_t lineno) {
    if (log->count == log->capacity) {
        log->capacity *= 2;
        log->events = xrealloc(log->events, (size_t)log->capacity * sizeof *log->events);
    }
    strace_event *ev = &log->events[log->count++];
    ev->timestamp = ts;
    ev->duration = -1.0;
    ev->retval = 0;
    ev->pid = pid;
    ev->name = -1;
    ev->error = -1;
    ev->link = -1;
    ev->line = lineno;
    ev->status = 0;
    ev->kind = (uint16_t)kind;
    ev->flags = 0;
    return ev;
}

static int64_t pending_take(strace_log *log, int32_t pid) {
    for (int64_t i = 0; i < log->pending_count; i++)
        if (log->pending_pid[i] == pid) {
            int64_t ev = log->pending_event[i];
            log->pending_count--;
            log->pending_pid[i] = log->pending_pid[log->pending_count];
            log->pending_event[i] = log->pending_event[log->pending_count];
            return ev;
        }
    return -1;
}

static void pending_put(strace_log *log, int32_t pid, int64_t ev) {
    for (int64_t i = 0; i < log->pending_count; i++)
        if (log->pending_pid[i] == pid) { /* a thread cannot have two calls in flight: the newer wins */
            log->pending_event[i] = ev;
            return;
        }
    if (log->pending_count == log->pending_cap) {
        log->pending_cap *= 2;
        log->pending_pid = xrealloc(log->pending_pid, (size_t)log->pending_cap * sizeof *log->pending_pid);
        log->pending_event = xrealloc(log->pending_event, (size_t)log->pending_cap * sizeof *log->pending_event);
    }
    log->pending_pid[log->pending_count] = pid;
    log->pending_event[log->pending_count] = ev;
    log->pending_count++;
}

/* Unsigned decimal with optional fraction ("12", "0.000012", "1700000000.123456789"). */
static const char *parse_decimal(const char *p, const char *e, double *out) {
    const char *start = p;
    double v = 0;
    while (p < e && is_digit(*p)) v = v * 10 + (*p++ - '0');
    if (p == start) return NULL;
    if (p < e && *p == '.') {
        p++;
        double scale = 0.1;
        while (p < e && is_digit(*p)) {
            v += (*p++ - '0') * scale;
            scale *= 0.1;
        }
    }
    *out = v;
    return p;
}

/* Skip an fd decoration from -y/-yy starting at '<': "</path>", "<TCP:[a->b]>",
 * "</dev/null<char 1:3>>". Returns the byte after the closing '>', or NULL. */
static const char *skip_decoration(const char *p, const char *e) {
    int angle = 0, bracket = 0;
    while (p < e) {
        char c = *p;
        if (c == '\\') { p += 2; continue; }
        if (c == '[') bracket++;
        else if (c == ']' && bracket > 0) bracket--;
        else if (bracket == 0 && c == '<') angle++;
        else if (bracket == 0 && c == '>') {
            if (--angle == 0) return p + 1;
        }
        p++;
    }
    return NULL;
}

/* Skip a quoted string starting at '"'. strace escapes '"' and '\' inside, so a
 * quote preceded by an odd number of backslashes is part of the string. */
static const char *skip_string(const char *p, const char *e) {
    p++;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        if (!q) return NULL;
        const char *b = q;
        while (b > p && b[-1] == '\\') b--;
        if (((q - b) & 1) == 0) return q + 1;
        p = q + 1;
    }
}

enum { ARGS_CLOSED, ARGS_UNFINISHED, ARGS_DETACHED, ARGS_BROKEN };

/* Scan call arguments from p at bracket depth `depth` (1 = inside the call's
 * parentheses) to the parenthesis that closes the call. *end receives the byte
 * after it (ARGS_CLOSED) or after the "<unfinished ...>"/"<detached ...>" marker. */
static int scan_args(const char *p, const char *e, int depth, const char **end) {
    const char *line_start = p;
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (!arg_special[c]) {
            p++;
            continue;
        }
        switch (c) {
        case '"':
            p = skip_string(p, e);
            if (!p) return ARGS_BROKEN;
            break;
        case '(': case '[': case '{':
            depth++;
            p++;
            break;
        case ')': case ']': case '}':
            depth--;
            p++;
            if (depth == 0) {
                if (c != ')') return ARGS_BROKEN;
                *end = p;
                return ARGS_CLOSED;
            }
            break;
        case '<':
            if (depth == 1 && STARTS(p, e, "<unfinished ...>")) {
                *end = p + sizeof("<unfinished ...>") - 1;
                return ARGS_UNFINISHED;
            }
            if (depth == 1 && STARTS(p, e, "<detached ...>")) {
                *end = p + sizeof("<detached ...>") - 1;
                return ARGS_DETACHED;
            }
            if (p > line_start && is_digit(p[-1])) {
                const char *q = skip_decoration(p, e);
                p = q ? q : p + 1;
            } else {
                p++; /* "<... resuming interrupted read ...>" and the like: plain text */
            }
            break;
        }
    }
    return ARGS_BROKEN;
}

/* Skip a parenthesised group after a result ("(No such file or directory)",
 * "([{fd=3, revents=POLLIN}])"); p at '('. */
static const char *skip_group(const char *p, const char *e) {
    const char *end;
    if (scan_args(p + 1, e, 1, &end) != ARGS_CLOSED) return NULL;
    return end;
}

/* The "= result [ERRNO] [(text)]... [<duration>]" part. Returns NULL (and a
 * reason) when it does not have that form. */
static const char *parse_result(strace_log *log, strace_event *ev, const char *p, const char *e, const char **why) {
    p = skip_blank(p, e);
    if (p >= e || *p != '=') { *why = "expected '= result' after the arguments"; return NULL; }
    p = skip_blank(p + 1, e);
    ev->flags |= STRACE_F_RETURNED;
    if (p < e && *p == '?') {
        ev->flags |= STRACE_F_RET_UNKNOWN;
        p++;
    } else {
        int neg = 0;
        if (p < e && *p == '-') { neg = 1; p++; }
        uint64_t v = 0;
        const char *d = p;
        if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
            p += 2;
            while (p < e && is_hex(*p)) {
                char c = *p++;
                v = v * 16 + (uint64_t)(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
            }
        } else {
            while (p < e && is_digit(*p)) v = v * 10 + (uint64_t)(*p++ - '0');
        }
        if (p == d) { *why = "the result is not a number or '?'"; return NULL; }
        ev->retval = neg ? -(int64_t)v : (int64_t)v;
        if (p < e && *p == '<') { /* -y: "= 3</path/x>" */
            p = skip_decoration(p, e);
            if (!p) { *why = "unterminated <...> after the result"; return NULL; }
        }
    }
    p = skip_blank(p, e);
    if (p < e && *p >= 'A' && *p <= 'Z') {
        const char *n = p;
        while (p < e && is_ident(*p)) p++;
        ev->error = string_table_intern(&log->names, n, (size_t)(p - n));
    }
    for (;;) {
        p = skip_blank(p, e);
        if (p >= e) return p;
        if (*p == '(') {
            const char *g = p;
            p = skip_group(p, e);
            if (!p) { *why = "unbalanced parentheses after the result"; return NULL; }
            if (p - g == 10 && memcmp(g, "(INJECTED)", 10) == 0) ev->flags |= STRACE_F_INJECTED;
        } else if (*p == '<') {
            if (STARTS(p, e, "<unavailable>")) { p += sizeof("<unavailable>") - 1; continue; }
            double d;
            const char *q = parse_decimal(p + 1, e, &d);
            if (!q || q >= e || *q != '>') { *why = "expected a duration <seconds> after the result"; return NULL; }
            ev->duration = d;
            p = q + 1;
        } else {
            *why = "unexpected text after the result";
            return NULL;
        }
    }
}

/* "--- SIGCHLD {...} ---", "--- stopped by SIGSTOP ---" */
static int parse_signal_line(strace_log *log, const char *p, const char *e, int32_t pid, double ts, int64_t lineno) {
    const char *end = e;
    while (end > p && end[-1] == ' ') end--;
    if (end - p < 8 || memcmp(end - 3, "---", 3) != 0) return -1;
    p += 4;
    const char *n = p;
    while (p < end && is_ident(*p)) p++;
    if (p == n) return -1;
    strace_kind kind = STRACE_SIGNAL;
    if (p - n == 7 && memcmp(n, "stopped", 7) == 0) {
        p = skip_blank(p, end);
        if (!STARTS(p, end, "by ")) return -1;
        p += 3;
        n = p;
        while (p < end && is_ident(*p)) p++;
        if (p == n) return -1;
        kind = STRACE_STOPPED;
    }
    strace_event *ev = new_event(log, kind, pid, ts, lineno);
    ev->name = string_table_intern(&log->names, n, (size_t)(p - n));
    return 0;
}

/* "+++ exited with 0 +++", "+++ killed by SIGKILL (core dumped) +++",
 * "+++ superseded by execve in pid 1234 +++" */
static int parse_exit_line(strace_log *log, const char *p, const char *e, int32_t pid, double ts, int64_t lineno) {
    const char *end = e;
    while (end > p && end[-1] == ' ') end--;
    if (end - p < 8 || memcmp(end - 3, "+++", 3) != 0) return -1;
    end -= 3;
    while (end > p && end[-1] == ' ') end--;
    p += 4;
    if (STARTS(p, end, "exited with ")) {
        p += sizeof("exited with ") - 1;
        int neg = 0;
        if (p < end && *p == '-') { neg = 1; p++; }
        const char *d = p;
        int64_t v = 0;
        while (p < end && is_digit(*p)) v = v * 10 + (*p++ - '0');
        if (p == d || p != end) return -1;
        strace_event *ev = new_event(log, STRACE_EXITED, pid, ts, lineno);
        ev->status = (int32_t)(neg ? -v : v);
        return 0;
    }
    if (STARTS(p, end, "killed by ")) {
        p += sizeof("killed by ") - 1;
        const char *n = p;
        while (p < end && is_ident(*p)) p++;
        if (p == n) return -1;
        const char *n_end = p;
        p = skip_blank(p, end);
        int core = 0;
        if (STARTS(p, end, "(core dumped)")) { core = 1; p += sizeof("(core dumped)") - 1; }
        if (p != end) return -1;
        strace_event *ev = new_event(log, STRACE_KILLED, pid, ts, lineno);
        ev->name = string_table_intern(&log->names, n, (size_t)(n_end - n));
        if (core) ev->flags |= STRACE_F_CORE_DUMPED;
        return 0;
    }
    if (STARTS(p, end, "superseded by execve in pid ")) {
        p += sizeof("superseded by execve in pid ") - 1;
        const char *d = p;
        int64_t v = 0;
        while (p < end && is_digit(*p)) v = v * 10 + (*p++ - '0');
        if (p == d || p != end) return -1;
        strace_event *ev = new_event(log, STRACE_SUPERSEDED, pid, ts, lineno);
        ev->status = (int32_t)v;
        return 0;
    }
    return -1;
}

static void parse_line(strace_log *log, const char *line, const char *e, int64_t lineno) {
    const char *p = skip_blank(line, e);
    if (p == e) return; /* blank */
    if (*p == '>' && p > line) { /* -k: " > /lib/x.so(fn+0x1) [0x...]" */
        log->stack_lines++;
        return;
    }
    if (STARTS(p, e, "strace: ") || STARTS(p, e, "[ Process PID=") || *p == '#') {
        /* "strace: Process 1234 attached" when stderr was kept too,
         * "[ Process PID=1234 runs in 32 bit mode. ]" written into the log,
         * and '#' comments (strace never starts a line with '#'; the
         * synthetic logs of `generate --format strace` carry a header) */
        log->note_lines++;
        return;
    }
    int32_t pid = log->default_pid;
    int prefixed = 0;
    double ts = NAN;
    const char *why = "not a line strace writes";

    /* Prefix: "[pid 1234] " (no -o) or "1234 " (-f with -o); with -Y the
     * command name follows the pid: "[pid 1234<sh>] ", "1234<sh> ". */
    if (STARTS(p, e, "[pid")) {
        const char *q = skip_blank(p + 4, e);
        const char *d = q;
        int64_t v = 0;
        while (q < e && is_digit(*q)) v = v * 10 + (*q++ - '0');
        if (q > d && q < e && *q == '<') q = skip_decoration(q, e);
        if (q == d || !q || q >= e || *q != ']') { why = "malformed [pid N] prefix"; goto bad; }
        pid = (int32_t)v;
        prefixed = 1;
        p = skip_blank(q + 1, e);
    } else if (is_digit(*p)) {
        const char *q = p;
        int64_t v = 0;
        while (q < e && is_digit(*q) && q - p < 12) v = v * 10 + (*q++ - '0');
        if (q < e && *q == '<') {
            const char *c = skip_decoration(q, e);
            if (c) q = c;
        }
        /* A pid is followed by a blank; pid_max is below 2^22, so ten digits
         * followed by a blank are a whole-second -ttt timestamp instead. */
        if (q < e && (*q == ' ' || *q == '\t') && v > 0 && v < 1000000000) {
            pid = (int32_t)v;
            prefixed = 1;
            p = skip_blank(q, e);
        }
    }
    /* Timestamp: -t "12:34:56", -tt "12:34:56.123456", -ttt "1700000000.123456",
     * -r "     0.000123"; with -t -r the delta follows as "(+     0.000123)". */
    if (p < e && is_digit(*p)) {
        double a;
        const char *q = parse_decimal(p, e, &a);
        if (q && q < e && *q == ':') {
            double m, s;
            const char *q2 = parse_decimal(q + 1, e, &m);
            if (!q2 || q2 >= e || *q2 != ':') { why = "malformed time of day"; goto bad; }
            q = parse_decimal(q2 + 1, e, &s);
            if (!q) { why = "malformed time of day"; goto bad; }
            ts = a * 3600 + m * 60 + s;
            if (log->time_kind == STRACE_TIME_NONE) log->time_kind = STRACE_TIME_OF_DAY;
        } else if (q) {
            ts = a;
            if (log->time_kind == STRACE_TIME_NONE) log->time_kind = a >= 1e8 ? STRACE_TIME_EPOCH : STRACE_TIME_RELATIVE;
        }
        if (!q || q >= e || (*q != ' ' && *q != '\t')) { why = "malformed timestamp"; goto bad; }
        p = skip_blank(q, e);
        if (STARTS(p, e, "(+")) {
            const char *r = memchr(p, ')', (size_t)(e - p));
            if (!r) { why = "malformed (+delta) after the timestamp"; goto bad; }
            p = skip_blank(r + 1, e);
        }
    }
    /* -n "[ 257] " and -i "[00007f...] " */
    while (p < e && *p == '[') {
        const char *q = p + 1;
        while (q < e && (*q == ' ' || *q == '?' || is_hex(*q))) q++; /* -i prints '?'s on exit lines */
        if (q >= e || *q != ']' || q == p + 1) { why = "malformed [...] prefix"; goto bad; }
        p = skip_blank(q + 1, e);
    }
    if (p >= e) { why = "prefix without an event"; goto bad; }

    if (*p == '-') {
        if (!STARTS(p, e, "--- ") || parse_signal_line(log, p, e, pid, ts, lineno)) { why = "malformed --- signal --- line"; goto bad; }
        return;
    }
    if (*p == '+') {
        if (!STARTS(p, e, "+++ ") || parse_exit_line(log, p, e, pid, ts, lineno)) { why = "malformed +++ exit +++ line"; goto bad; }
        return;
    }
    if (*p == '<') {
        if (STARTS(p, e, "<detached ...>")) {
            new_event(log, STRACE_DETACHED, pid, ts, lineno);
            return;
        }
        if (!STARTS(p, e, "<... ")) goto bad;
        const char *n = p + 5, *q = n;
        while (q < e && is_ident(*q)) q++;
        if (q == n || !STARTS(q, e, " resumed>")) { why = "malformed <... name resumed>"; goto bad; }
        int32_t name = string_table_intern(&log->names, n, (size_t)(q - n));
        const char *end;
        int r = scan_args(q + sizeof(" resumed>") - 1, e, 1, &end);
        if (r == ARGS_BROKEN) { why = "unbalanced brackets or unterminated string"; goto bad; }
        int64_t slot = -1, n_found = 0;
        for (int64_t i = 0; i < log->pending_count; i++)
            if (log->pending_pid[i] == pid && log->events[log->pending_event[i]].name == name) slot = i;
        if (slot < 0) {
            /* Without -o, strace drops the "[pid N]" prefix whenever a single
             * task is left, so a call and its resumption can be logged one with
             * and one without a prefix. Then take the only unfinished call of
             * that name whose thread is unknown on one side. */
            for (int64_t i = 0; i < log->pending_count; i++)
                if (log->events[log->pending_event[i]].name == name &&
                    (!prefixed || log->pending_pid[i] == log->default_pid)) {
                    slot = i;
                    n_found++;
                }
            if (n_found != 1) slot = -1;
        }
        if (slot < 0) {
            log->unmatched_resumed++;
            why = "resumed call without an unfinished call of this thread";
            goto bad;
        }
        int64_t call = log->pending_event[slot];
        pending_take(log, log->pending_pid[slot]);
        /* The thread is now known on both lines. */
        if (log->events[call].pid != log->default_pid) pid = log->events[call].pid;
        else log->events[call].pid = pid;
        if (r == ARGS_UNFINISHED || r == ARGS_DETACHED) { /* still in flight */
            if (r == ARGS_UNFINISHED) pending_put(log, pid, call);
            else log->events[call].flags |= STRACE_F_DETACHED;
            if (r == ARGS_DETACHED) new_event(log, STRACE_DETACHED, pid, ts, lineno);
            return;
        }
        strace_event tmp = {0};
        tmp.duration = -1;
        tmp.error = -1;
        const char *res = parse_result(log, &tmp, end, e, &why);
        if (!res) {
            pending_put(log, pid, call);
            goto bad;
        }
        strace_event *ev = new_event(log, STRACE_RESUMED, pid, ts, lineno);
        ev->name = name;
        ev->link = (int32_t)call;
        ev->retval = tmp.retval;
        ev->error = tmp.error;
        ev->duration = tmp.duration;
        ev->flags = tmp.flags;
        strace_event *c = &log->events[call];
        c->link = (int32_t)(log->count - 1);
        c->retval = tmp.retval;
        c->error = tmp.error;
        c->duration = tmp.duration;
        c->flags |= tmp.flags;
        return;
    }
    if (is_ident(*p)) {
        const char *n = p;
        while (p < e && is_ident(*p)) p++;
        if (p >= e || *p != '(') goto bad;
        int32_t name = string_table_intern(&log->names, n, (size_t)(p - n));
        const char *end;
        int r = scan_args(p + 1, e, 1, &end);
        if (r == ARGS_BROKEN) { why = "unbalanced brackets or unterminated string"; goto bad; }
        if (r == ARGS_CLOSED) {
            strace_event tmp = {0};
            tmp.duration = -1;
            tmp.error = -1;
            if (!parse_result(log, &tmp, end, e, &why)) goto bad;
            strace_event *ev = new_event(log, STRACE_CALL, pid, ts, lineno);
            ev->name = name;
            ev->retval = tmp.retval;
            ev->error = tmp.error;
            ev->duration = tmp.duration;
            ev->flags = tmp.flags;
            log->calls++;
            return;
        }
        if (skip_blank(end, e) != e) { why = "text after <unfinished ...>"; goto bad; }
        strace_event *ev = new_event(log, STRACE_CALL, pid, ts, lineno);
        ev->name = name;
        log->calls++;
        if (r == ARGS_UNFINISHED) {
            ev->flags |= STRACE_F_UNFINISHED;
            pending_put(log, pid, log->count - 1);
        } else {
            ev->flags |= STRACE_F_DETACHED;
            new_event(log, STRACE_DETACHED, pid, ts, lineno);
        }
        return;
    }
bad:
    add_problem(log, lineno, line, (size_t)(e - line), why);
}

/* When strace writes the trace to stderr (no -o), its own "strace: Process N
 * attached" message can land in the middle of a line:
 *   clone(child_stack=NULL, flags=...|SIGCHLDstrace: Process 10637 attached
 *   , child_tidptr=0x7f5eb5c44a10) = 10637
 * Returns the offset of the message in the line, or -1. */
static ptrdiff_t embedded_message(const char *p, const char *e) {
    static const char tail1[] = " attached", tail2[] = " detached";
    size_t n = sizeof tail1 - 1;
    if ((size_t)(e - p) < n + 16) return -1;
    if (memcmp(e - n, tail1, n) != 0 && memcmp(e - n, tail2, n) != 0) return -1;
    const char *m = memmem(p, (size_t)(e - p), "strace: Process ", 16);
    if (!m || m == p) return -1;
    return m - p;
}

void strace_parse(strace_log *log, const char *buf, size_t len) {
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *le = e;
        if (le > p && le[-1] == '\r') le--;
        log->lines++;
        ptrdiff_t cut = embedded_message(p, le);
        if (cut > 0 || (log->fragment && !STARTS(p, le, "strace: "))) {
            /* Rare path: glue the cut line's start to its continuation (copied, so
             * the input stays const and may arrive in parts). */
            size_t add = cut > 0 ? (size_t)cut : (size_t)(le - p);
            if (!log->fragment) log->fragment_line = log->lines;
            log->fragment = xrealloc(log->fragment, log->fragment_len + add + 1);
            memcpy(log->fragment + log->fragment_len, p, add);
            log->fragment_len += add;
            if (cut > 0) {
                log->note_lines++;
            } else {
                parse_line(log, log->fragment, log->fragment + log->fragment_len, log->fragment_line);
                free(log->fragment);
                log->fragment = NULL;
                log->fragment_len = 0;
            }
        } else {
            parse_line(log, p, le, log->lines);
        }
        p = nl ? nl + 1 : end;
    }
}

void strace_finish(strace_log *log) {
    if (log->fragment) {
        add_problem(log, log->fragment_line, log->fragment, log->fragment_len,
                    "line cut by a strace message and never continued");
        free(log->fragment);
        log->fragment = NULL;
        log->fragment_len = 0;
    }
    log->pending_at_end = log->pending_count;
}

int strace_looks_like(const char *buf, size_t len) {
    strace_log log;
    strace_log_init(&log, 0);
    const char *p = buf, *end = buf + len;
    int seen = 0;
    while (p < end && seen < 50) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break; /* a cut-off last line proves nothing */
        const char *q = skip_blank(p, nl);
        if (q < nl && !(q + 1 == nl && *q == '\r')) {
            seen++;
            log.lines++;
            parse_line(&log, p, (nl > p && nl[-1] == '\r') ? nl - 1 : nl, log.lines);
        }
        p = nl + 1;
    }
    if (seen == 0 && p < end) { /* a single line without newline */
        seen = 1;
        parse_line(&log, p, end, 1);
    }
    int64_t good = seen - log.unparsed;
    int ok = log.count > 0 && good * 2 > seen;
    strace_log_free(&log);
    return ok;
}

int32_t strace_pid_from_filename(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".xz") == 0) n -= 3;
    size_t i = n;
    while (i > 0 && is_digit(base[i - 1])) i--;
    if (i == n || i == 0 || base[i - 1] != '.' || n - i > 7) return 0;
    return (int32_t)strtol(base + i, NULL, 10);
}
