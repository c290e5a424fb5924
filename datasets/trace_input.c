/* Readers that turn input files into event sequences (see trace_input.h). */
#include "trace_input.h"
#include "window_source.h"
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *format_names[] = {"auto", "strace", "paper", "npy", "ids", "pid-ids"};

const char *input_format_name(input_format f) { return format_names[f]; }

int input_format_from_name(const char *s, input_format *out) {
    for (int i = 0; i < (int)(sizeof format_names / sizeof *format_names); i++)
        if (strcmp(s, format_names[i]) == 0) {
            *out = (input_format)i;
            return 0;
        }
    return -1;
}

void trace_set_init(trace_set *ts, event_mode events, int include_signals) {
    memset(ts, 0, sizeof *ts);
    ts->events = events;
    ts->include_signals = include_signals;
    string_table_init(&ts->names);
    string_table_init(&ts->run_keys);
}

void trace_set_free(trace_set *ts) {
    for (int32_t i = 0; i < ts->seq_count; i++) free(ts->seqs[i].tokens);
    free(ts->seqs);
    for (int32_t i = 0; i < ts->source_count; i++) free(ts->sources[i]);
    free(ts->sources);
    string_table_free(&ts->names);
    string_table_free(&ts->run_keys);
    window_set_free(&ts->given_training);
    window_set_free(&ts->given_testing);
    vocabulary_free(&ts->given_vocab);
    memset(ts, 0, sizeof *ts);
}

static int32_t add_source(trace_set *ts, const char *path) {
    ts->sources = xrealloc(ts->sources, (size_t)(ts->source_count + 1) * sizeof *ts->sources);
    ts->sources[ts->source_count] = xstrdup(path);
    return ts->source_count++;
}

static trace_sequence *add_sequence(trace_set *ts, int32_t run, int32_t source) {
    if (ts->seq_count == ts->seq_cap) {
        ts->seq_cap = ts->seq_cap ? ts->seq_cap * 2 : 16;
        ts->seqs = xrealloc(ts->seqs, (size_t)ts->seq_cap * sizeof *ts->seqs);
    }
    trace_sequence *s = &ts->seqs[ts->seq_count++];
    memset(s, 0, sizeof *s);
    s->run = run;
    s->source = source;
    return s;
}

/* Growable token buffer for building one sequence. */
typedef struct token_buf {
    int32_t *v;
    int64_t n, cap;
} token_buf;

static inline void token_push(token_buf *b, int32_t t) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4096;
        b->v = xrealloc(b->v, (size_t)b->cap * sizeof *b->v);
    }
    b->v[b->n++] = t;
}

static int32_t run_for_key(trace_set *ts, const char *key) {
    return string_table_intern(&ts->run_keys, key, strlen(key));
}

/* ---- reading files ---- */

/* Reads until end of file; -2 (errno unchanged) when more than `limit`
 * bytes arrive (a decompressed stream that would not fit in memory). */
static int read_fd_all(int fd, char **data, size_t *len, size_t limit) {
    size_t cap = 1 << 20, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap > limit / 2) {
                free(buf);
                return -2;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            free(buf);
            return -1;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

static int is_xz_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char m[6];
    int ok = fread(m, 1, 6, f) == 6 && memcmp(m, "\xFD" "7zXZ\0", 6) == 0;
    fclose(f);
    return ok;
}

/* What a liblzma error means for the user of an .xz file. */
static const char *xz_error_text(lzma_ret ret) {
    switch (ret) {
    case LZMA_FORMAT_ERROR: return "not in the .xz format";
    case LZMA_OPTIONS_ERROR: return "uses compression options this liblzma does not support";
    case LZMA_DATA_ERROR: return "the compressed data are corrupt (or a checksum does not match)";
    case LZMA_BUF_ERROR: return "the file ends before the compressed stream does (truncated)";
    case LZMA_MEM_ERROR: return "out of memory while decompressing";
    default: return "liblzma reported an internal error";
    }
}

/* Decompresses a whole .xz file into memory with liblzma, every concatenated
 * stream as `xz -dc` does. More than `limit` bytes of output, or a decoder
 * that would need more than `limit` bytes of memory, is refused. */
static int read_xz_file(const char *path, char **data, size_t *len, size_t limit, error_info *err) {
    *data = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_ret ret = lzma_stream_decoder(&strm, limit, LZMA_CONCATENATED);
    if (ret != LZMA_OK) {
        close(fd);
        return error_set(err, "%s: cannot start the .xz decoder: %s", path, xz_error_text(ret));
    }
    uint8_t in[1 << 16];
    size_t cap = 1 << 20, n = 0;
    char *out = xmalloc(cap + 1);
    lzma_action action = LZMA_RUN;
    const char *failure = NULL;
    int read_errno = 0;
    for (;;) {
        if (strm.avail_in == 0 && action == LZMA_RUN) {
            ssize_t got = read(fd, in, sizeof in);
            if (got < 0) {
                if (errno == EINTR) continue;
                read_errno = errno;
                break;
            }
            strm.next_in = in;
            strm.avail_in = (size_t)got;
            if (got == 0) action = LZMA_FINISH;
        }
        if (n == cap) {
            if (cap > limit / 2) {
                failure = "too big";
                break;
            }
            cap *= 2;
            out = xrealloc(out, cap + 1);
        }
        strm.next_out = (uint8_t *)out + n;
        strm.avail_out = cap - n;
        ret = lzma_code(&strm, action);
        n = cap - strm.avail_out;
        if (ret == LZMA_STREAM_END) break;
        if (ret != LZMA_OK) break;
    }
    uint64_t memory_needed = lzma_memusage(&strm);
    lzma_end(&strm);
    close(fd);
    if (read_errno == 0 && !failure && ret == LZMA_STREAM_END) {
        out[n] = 0;
        *data = out;
        *len = n;
        return 0;
    }
    free(out);
    char a[32];
    if (read_errno) return error_set(err, "%s: read error: %s", path, strerror(read_errno));
    if (failure)
        return error_set(err, "%s: decompresses to more than %s, which cannot be parsed in the memory available; "
                         "split the trace", path, memory_format((double)limit, a, sizeof a));
    if (ret == LZMA_MEMLIMIT_ERROR)
        return error_set(err, "%s: decompressing it needs %s of memory, more than is available", path,
                         memory_format((double)memory_needed, a, sizeof a));
    return error_set(err, "%s: damaged .xz file: %s", path, xz_error_text(ret));
}

int read_input_file(const char *path, char **data, size_t *len, error_info *err) {
    struct stat st;
    if (stat(path, &st) != 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return error_set(err, "%s: is a directory", path);
    /* The text stays in memory while it is parsed into events (up to 8 bytes
     * per event of 2 bytes of text, and more while arrays grow): refuse a
     * file that cannot fit about three times over. */
    double avail = (double)memory_available();
    if (!is_xz_file(path)) {
        if (memory_check(path, "reading this trace", 3.0 * (double)st.st_size, err)) return -1;
        int fd = open(path, O_RDONLY);
        if (fd < 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
        int rc = read_fd_all(fd, data, len, (size_t)-1);
        int e = errno;
        close(fd);
        if (rc) return error_set(err, "%s: read error: %s", path, strerror(e));
        return 0;
    }
    /* The decompressed text must fit about three times over as well. */
    size_t limit = avail / 3 < (double)SIZE_MAX ? (size_t)(avail / 3) : SIZE_MAX;
    return read_xz_file(path, data, len, limit, err);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- format detection ---- */

input_format detect_input_format(const char *path, const char *data, size_t len) {
    if (len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) return INPUT_NPY;
    if (len >= 8 && memcmp(data, "\x89HDF\r\n\x1a\n", 8) == 0) return INPUT_AUTO;
    if (memchr(data, 0, len < 65536 ? len : 65536)) return INPUT_AUTO; /* binary */
    size_t head = len < 65536 ? len : 65536;
    if (strace_looks_like(data, head)) return INPUT_STRACE;
    /* Integer formats: look at whole lines in the first 64 KiB. */
    int lines = 0, all_two_blank = 1, all_comma_only = 1, same_count = 1;
    long first_count = -1;
    const char *p = data, *end = data + head;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            if (end != data + len) break; /* cut-off line in the sample */
            nl = end;
        }
        long tokens = 0;
        int blank_sep = 0, comma_sep = 0;
        for (const char *q = p; q < nl;) {
            int comma = 0;
            const char *sep = q;
            while (q < nl && (*q == ' ' || *q == '\t' || *q == ',' || *q == '\r')) comma |= *q++ == ',';
            if (q >= nl) break;
            if (sep != p || comma) { /* a separator between two tokens */
                if (comma) comma_sep = 1;
                else if (q > sep) blank_sep = 1;
            }
            if (*q == '-' || *q == '+') q++;
            const char *d = q;
            while (q < nl && *q >= '0' && *q <= '9') q++;
            if (q < nl && *q == '.') { /* "12.0" in paper files written from floats */
                q++;
                while (q < nl && *q >= '0' && *q <= '9') q++;
            }
            if (q == d || (q < nl && (*q == 0 || !strchr(" \t,\r", *q)))) return INPUT_AUTO;
            tokens++;
        }
        if (tokens > 0) {
            lines++;
            if (tokens != 2 || comma_sep) all_two_blank = 0;
            if (blank_sep || (tokens > 1 && !comma_sep)) all_comma_only = 0;
            if (first_count < 0) first_count = tokens;
            else if (tokens != first_count) same_count = 0;
        }
        p = nl + 1;
    }
    if (lines == 0) return INPUT_AUTO;
    const char *b = base_name(path);
    if (strncmp(b, "training", 8) == 0 || strncmp(b, "testing", 7) == 0) return INPUT_PAPER;
    if (all_two_blank && lines >= 2) return INPUT_PID_IDS;
    if (all_comma_only && same_count && lines >= 2 && first_count >= 2) return INPUT_PAPER;
    return INPUT_IDS;
}

/* ---- strace ---- */

static int32_t intern_cstr(string_table *t, const char *s) { return string_table_intern(t, s, strlen(s)); }

static int add_strace(trace_set *ts, const char *path, const char *data, size_t len, input_report *rep,
                      error_info *err) {
    int32_t file_pid = strace_pid_from_filename(path);
    strace_log log;
    strace_log_init(&log, file_pid);
    strace_parse(&log, data, len);
    strace_finish(&log);
    rep->lines = log.lines;
    rep->calls = log.calls;
    rep->unparsed = log.unparsed;
    rep->stack_lines = log.stack_lines;
    rep->note_lines = log.note_lines;
    rep->pending_at_end = log.pending_at_end;
    rep->problem_count = log.problem_count;
    memcpy(rep->problems, log.problems, sizeof log.problems);
    /* A file without a single event is not a trace (a -ff file of a task that
     * made no call still has its exit line, and is kept as an empty trace). */
    if (log.count == 0) {
        strace_log_free(&log);
        if (rep->problem_count == 0)
            return error_set(err, "%s: no system calls in this strace log (empty file?)", path);
        return error_set(err, "%s:%lld: no system calls found; first line that is not strace output (%s): %s", path,
                         (long long)rep->problems[0].line, rep->problems[0].reason, rep->problems[0].text);
    }
    /* Map the log's names to the set's; typed events get names that cannot clash with syscalls. */
    int32_t *map = xmalloc((size_t)(log.names.count ? log.names.count : 1) * sizeof *map);
    for (int32_t i = 0; i < log.names.count; i++) map[i] = intern_cstr(&ts->names, string_table_get(&log.names, i));
    int32_t t_exited = -1, t_detached = -1, t_superseded = -1;
    /* -ff writes one file per task (name.PID, no pid prefixes): the files of one
     * family form one run; otherwise the file is the run. */
    int prefixed = 0;
    for (int64_t i = 0; i < log.count && !prefixed; i++) prefixed = log.events[i].pid != file_pid;
    char key[4200];
    snprintf(key, sizeof key, "%s", path);
    if (file_pid > 0 && !prefixed) {
        char *dot = strrchr(key, '.');
        if (dot && strcmp(dot, ".xz") == 0) { *dot = 0; dot = strrchr(key, '.'); }
        if (dot) *dot = 0;
    }
    int32_t source = add_source(ts, path);
    trace_sequence *seq = add_sequence(ts, run_for_key(ts, key), source);
    token_buf b = {0};
    int entry_exit = ts->events == EVENTS_ENTRY_EXIT;
    char name[160];
    for (int64_t i = 0; i < log.count; i++) {
        const strace_event *ev = &log.events[i];
        /* An exit event exists when the call came back to user space:
         * "= ?" without an error name (exit_group, a successful execve in
         * another thread) never returns. */
        int returns = (ev->flags & STRACE_F_RETURNED) &&
                      !((ev->flags & STRACE_F_RET_UNKNOWN) && ev->error < 0);
        switch ((strace_kind)ev->kind) {
        case STRACE_CALL:
            token_push(&b, map[ev->name]);
            if (entry_exit && ev->link < 0 && returns) token_push(&b, map[ev->name]);
            break;
        case STRACE_RESUMED:
            if (entry_exit && returns) token_push(&b, map[ev->name]);
            break;
        default:
            rep->typed_events++;
            if (!ts->include_signals) break;
            switch ((strace_kind)ev->kind) {
            case STRACE_SIGNAL: token_push(&b, map[ev->name]); break;
            case STRACE_STOPPED:
                snprintf(name, sizeof name, "stopped:%s", string_table_get(&log.names, ev->name));
                token_push(&b, intern_cstr(&ts->names, name));
                break;
            case STRACE_EXITED:
                if (t_exited < 0) t_exited = intern_cstr(&ts->names, "+++exited");
                token_push(&b, t_exited);
                break;
            case STRACE_KILLED:
                snprintf(name, sizeof name, "+++killed:%s", string_table_get(&log.names, ev->name));
                token_push(&b, intern_cstr(&ts->names, name));
                break;
            case STRACE_SUPERSEDED:
                if (t_superseded < 0) t_superseded = intern_cstr(&ts->names, "+++superseded");
                token_push(&b, t_superseded);
                break;
            case STRACE_DETACHED:
                if (t_detached < 0) t_detached = intern_cstr(&ts->names, "<detached>");
                token_push(&b, t_detached);
                break;
            default: break;
            }
        }
    }
    seq = &ts->seqs[ts->seq_count - 1];
    seq->tokens = b.v;
    seq->count = b.n;
    rep->events = b.n;
    rep->sequences = 1;
    free(map);
    strace_log_free(&log);
    return 0;
}

/* ---- integer formats ---- */

static inline int is_int_separator(char c) { return c == ' ' || c == '\t' || c == ',' || c == '\r'; }

/* Next integer token on the line [p, e): skips blanks and commas. Returns 1 and
 * fills [*ts, *te) with the token, 0 at the end of the line, -1 on a bad token. */
static int next_int_token(const char **pp, const char *e, const char **tok, const char **tok_end) {
    const char *p = *pp;
    while (p < e && is_int_separator(*p)) p++;
    if (p >= e) { *pp = p; return 0; }
    const char *s = p;
    /* Not strchr(): it finds the terminating NUL, so a NUL byte would end
     * an empty token and the caller would never move on. */
    while (p < e && !is_int_separator(*p)) p++;
    *tok = s;
    *tok_end = p;
    *pp = p;
    for (const char *q = s; q < p; q++)
        if (*q < '0' || *q > '9') return -1;
    return (p - s) <= 9 ? 1 : -1;
}

static void bad_token_message(error_info *err, const char *path, long line, const char *tok, const char *tok_end,
                              const char *what) {
    int n = (int)(tok_end - tok);
    error_set(err, "%s:%ld: '%.*s' is not %s", path, line, n > 40 ? 40 : n, tok, what);
}

static int32_t intern_number(trace_set *ts, const char *tok, const char *tok_end) {
    while (tok_end - tok > 1 && *tok == '0') tok++; /* "007" and "7" are one system call */
    return string_table_intern(&ts->names, tok, (size_t)(tok_end - tok));
}

static int add_ids(trace_set *ts, const char *path, const char *data, size_t len, input_report *rep, error_info *err) {
    token_buf b = {0};
    const char *p = data, *end = data + len;
    long line = 0;
    int reps = ts->events == EVENTS_ENTRY_EXIT ? 2 : 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *q = p, *tok, *tok_end;
        int r;
        while ((r = next_int_token(&q, e, &tok, &tok_end)) == 1) {
            int32_t id = intern_number(ts, tok, tok_end);
            for (int k = 0; k < reps; k++) token_push(&b, id);
        }
        if (r < 0) {
            free(b.v);
            bad_token_message(err, path, line, tok, tok_end, "a system call number (format ids: integers separated by blanks, commas or newlines)");
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    rep->lines = line;
    if (b.n == 0) {
        free(b.v);
        return error_set(err, "%s: no events (empty file)", path);
    }
    trace_sequence *s = add_sequence(ts, run_for_key(ts, path), add_source(ts, path));
    s->tokens = b.v;
    s->count = b.n;
    rep->events = b.n;
    rep->sequences = 1;
    return 0;
}

static int add_pid_ids(trace_set *ts, const char *path, const char *data, size_t len, input_report *rep,
                       error_info *err) {
    /* pids in order of first appearance, each with its own token buffer */
    int32_t npids = 0, cap = 0;
    long *pids = NULL;
    token_buf *bufs = NULL;
    const char *p = data, *end = data + len;
    long line = 0;
    int reps = ts->events == EVENTS_ENTRY_EXIT ? 2 : 1;
    int32_t last = -1;
    int rc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *q = p, *t1 = NULL, *t1e = NULL, *t2 = NULL, *t2e = NULL, *t3, *t3e;
        int r1 = next_int_token(&q, e, &t1, &t1e);
        if (r1 == 0) { p = nl ? nl + 1 : end; continue; }
        int r2 = r1 == 1 ? next_int_token(&q, e, &t2, &t2e) : -1;
        int r3 = r2 == 1 ? next_int_token(&q, e, &t3, &t3e) : -1;
        if (r1 < 0) { bad_token_message(err, path, line, t1, t1e, "a pid (format pid-ids: 'PID SYSCALL' lines)"); rc = -1; break; }
        if (r2 <= 0) {
            if (r2 < 0) bad_token_message(err, path, line, t2, t2e, "a system call number (format pid-ids: 'PID SYSCALL' lines)");
            else error_set(err, "%s:%ld: expected 'PID SYSCALL', found one number", path, line);
            rc = -1;
            break;
        }
        if (r3 != 0) { error_set(err, "%s:%ld: expected 'PID SYSCALL', found more than two fields", path, line); rc = -1; break; }
        long pid = strtol(t1, NULL, 10);
        if (last < 0 || pids[last] != pid) {
            last = -1;
            for (int32_t i = 0; i < npids; i++)
                if (pids[i] == pid) { last = i; break; }
            if (last < 0) {
                if (npids == cap) {
                    cap = cap ? cap * 2 : 16;
                    pids = xrealloc(pids, (size_t)cap * sizeof *pids);
                    bufs = xrealloc(bufs, (size_t)cap * sizeof *bufs);
                }
                pids[npids] = pid;
                memset(&bufs[npids], 0, sizeof *bufs);
                last = npids++;
            }
        }
        int32_t id = intern_number(ts, t2, t2e);
        for (int k = 0; k < reps; k++) token_push(&bufs[last], id);
        p = nl ? nl + 1 : end;
    }
    rep->lines = line;
    if (!rc && npids == 0) rc = error_set(err, "%s: no 'PID SYSCALL' lines (empty file?)", path);
    if (!rc) {
        int32_t source = add_source(ts, path);
        for (int32_t i = 0; i < npids; i++) {
            char key[4300];
            snprintf(key, sizeof key, "%s#pid%ld", path, pids[i]); /* UNM: every process is a trace */
            trace_sequence *s = add_sequence(ts, run_for_key(ts, key), source);
            s->tokens = bufs[i].v;
            s->count = bufs[i].n;
            rep->events += bufs[i].n;
            bufs[i].v = NULL;
        }
        rep->sequences = npids;
    }
    for (int32_t i = 0; i < npids; i++) free(bufs[i].v);
    free(bufs);
    free(pids);
    return rc;
}

/* ---- windowed inputs ---- */

static int append_windows(window_set *dst, window_set *src, const char *path, error_info *err) {
    if (dst->count == 0) {
        window_set_free(dst);
        *dst = *src;
        memset(src, 0, sizeof *src);
        return 0;
    }
    if (dst->length != src->length) {
        int a = dst->length, b = src->length;
        window_set_free(src);
        return error_set(err, "%s: windows of %d events, but earlier inputs have %d", path, b, a);
    }
    dst->ids = xrealloc(dst->ids, (size_t)(dst->count + src->count) * (size_t)dst->length * sizeof *dst->ids);
    memcpy(dst->ids + dst->count * dst->length, src->ids, (size_t)src->count * (size_t)src->length * sizeof *src->ids);
    dst->count += src->count;
    window_set_free(src);
    return 0;
}

static int add_windowed(trace_set *ts, const char *path, input_format fmt, input_report *rep, error_info *err) {
    if (ts->seq_count > 0)
        return error_set(err, "%s: windows (paper layout or .npy) cannot be mixed with traces in one build", path);
    struct stat st;
    int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    /* A dataset .h5 has event names: they are kept when it is the only input. */
    int first = ts->given_training.count + ts->given_testing.count == 0;
    if (!first) vocabulary_free(&ts->given_vocab);
    if (is_dir || file_is_hdf5(path)) {
        dataset ds;
        if (dataset_load(path, 0, &ds, err)) return -1;
        if (first) {
            ts->given_vocab = ds.vocab;
            memset(&ds.vocab, 0, sizeof ds.vocab);
        }
        int rc = append_windows(&ts->given_training, &ds.training, path, err);
        if (!rc) rc = append_windows(&ts->given_testing, &ds.testing, path, err);
        rep->events = (ts->given_training.count + ts->given_testing.count) * (int64_t)ds.length;
        dataset_free(&ds);
        if (rc) return -1;
    } else {
        window_set ws;
        if (fmt == INPUT_NPY ? windows_read_npy(path, &ws, err) : windows_read_text(path, &ws, err)) return -1;
        for (int64_t i = 0; i < ws.count * ws.length; i++)
            if (ws.ids[i] < 1 || ws.ids[i] > DATASET_MAX_VOCAB) {
                int64_t w = i / ws.length;
                int32_t id = ws.ids[i]; /* read before the windows are freed */
                window_set_free(&ws);
                return error_set(err, "%s: window %lld (line %lld) holds event ID %d; IDs are vocabulary ranks 1..V "
                                 "(1 or more, V at most %d)", path, (long long)w + 1, (long long)w + 1, id,
                                 DATASET_MAX_VOCAB);
            }
        rep->events = ws.count * ws.length;
        /* The split comes from the file name, as in the paper's layout. */
        int test = strstr(base_name(path), "test") != NULL;
        if (append_windows(test ? &ts->given_testing : &ts->given_training, &ws, path, err)) return -1;
    }
    ts->windowed = 1;
    add_source(ts, path);
    rep->sequences = 0;
    return 0;
}

int trace_set_add(trace_set *ts, const char *path, input_format format, input_report *rep, error_info *err) {
    memset(rep, 0, sizeof *rep);
    struct stat st;
    if (stat(path, &st) != 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode) || file_is_hdf5(path)) {
        if (format != INPUT_AUTO && format != INPUT_PAPER)
            return error_set(err, "%s: is a %s; only --format paper (or auto) reads those", path,
                             S_ISDIR(st.st_mode) ? "directory" : "dataset .h5");
        rep->format = INPUT_PAPER;
        return add_windowed(ts, path, INPUT_PAPER, rep, err);
    }
    char *data = NULL;
    size_t len = 0;
    if (format == INPUT_NPY || format == INPUT_PAPER) {
        if (is_xz_file(path)) return error_set(err, "%s: decompress window files first (xz -d)", path);
        rep->format = format;
        return add_windowed(ts, path, format, rep, err);
    }
    if (read_input_file(path, &data, &len, err)) return -1;
    if (format == INPUT_AUTO) {
        format = detect_input_format(path, data, len);
        if (format == INPUT_AUTO) {
            const char *nl = memchr(data, '\n', len);
            int n = (int)((nl ? (size_t)(nl - data) : len) < 80 ? (nl ? (size_t)(nl - data) : len) : 80);
            int printable = 1;
            for (int i = 0; i < n; i++) if ((unsigned char)data[i] < 32 && data[i] != '\t') printable = 0;
            int rc = error_set(err,
                               "%s: cannot tell the format (not an strace log, .npy, window file or integer sequence)%s%.*s%s; "
                               "pass --format strace|paper|npy|ids|pid-ids",
                               path, printable && n ? "; first line: '" : "", printable ? n : 0, data,
                               printable && n ? "'" : "");
            free(data);
            return rc;
        }
        if (format == INPUT_NPY || format == INPUT_PAPER) {
            free(data);
            if (is_xz_file(path)) return error_set(err, "%s: decompress window files first (xz -d)", path);
            rep->format = format;
            return add_windowed(ts, path, format, rep, err);
        }
    }
    rep->format = format;
    if (ts->windowed) {
        free(data);
        return error_set(err, "%s: traces cannot be mixed with windows (paper layout or .npy) in one build", path);
    }
    int rc;
    switch (format) {
    case INPUT_STRACE: rc = add_strace(ts, path, data, len, rep, err); break;
    case INPUT_IDS: rc = add_ids(ts, path, data, len, rep, err); break;
    case INPUT_PID_IDS: rc = add_pid_ids(ts, path, data, len, rep, err); break;
    default: rc = error_set(err, "%s: unsupported format", path); break;
    }
    free(data);
    return rc;
}
