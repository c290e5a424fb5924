/* Runs the real strace on trace_helper (threads, fork, signals, interrupted
 * calls) with every output option combination the parser claims to read, and
 * checks that every line parses and the expected events are there. Exits 77
 * (skipped) where strace is missing or ptrace is not allowed. */
#include "strace_parse.h"
#include "test_util.h"
#include "trace_input.h"

#include <glob.h>
#include <unistd.h>

typedef struct variant {
    const char *flags;  /* strace options before -o */
    int to_stderr;      /* no -o: the trace goes to stderr ("[pid N]" prefixes) */
    int per_pid;        /* -ff: one file per task */
} variant;

static const variant VARIANTS[] = {
    {"-f -ttt -T", 0, 0},   /* what `dataset capture` uses */
    {"-f -tt -T", 1, 0},
    {"-ff -tt -T", 0, 1},
    {"-f -t", 0, 0},
    {"-f -r", 0, 0},
    {"-f -t -r", 0, 0},
    {"-f -yy -T", 0, 0},
    {"-f -y -T -ttt", 1, 0},
    {"-f -i -n", 0, 0},
    {"-f -k", 0, 0},        /* needs strace built with stack tracing */
    {"-f -X verbose -e signal=all", 0, 0},
    {"-f -Y -xx -v -s 100", 0, 0},     /* -Y: "1234<comm> " prefixes and "= 1234<comm>" results */
    {"-f -Y -tt", 1, 0},               /* "[pid 1234<comm>] " */
    {"-f -e inject=openat:error=ENOENT:when=3 -e inject=close:retval=0 -T", 0, 0},
};

static int count_name(const strace_log *log, strace_kind kind, const char *name) {
    int n = 0;
    int32_t idx = string_table_find(&log->names, name, strlen(name));
    for (int64_t i = 0; i < log->count; i++)
        if (log->events[i].kind == kind && (name == NULL || log->events[i].name == idx)) n++;
    return n;
}

static int count_error(const strace_log *log, const char *err) {
    int n = 0;
    int32_t idx = string_table_find(&log->names, err, strlen(err));
    for (int64_t i = 0; i < log->count; i++)
        if (log->events[i].kind == STRACE_CALL && idx >= 0 && log->events[i].error == idx) n++;
    return n;
}

/* Parse one or several files into separate logs and check them; returns the
 * number of logs, filled into logs[]. */
static int parse_files(const char *pattern, strace_log *logs, int max) {
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) return 0;
    int n = 0;
    for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
        char *data;
        size_t len;
        error_info err;
        if (read_input_file(g.gl_pathv[i], &data, &len, &err)) continue;
        strace_log_init(&logs[n], strace_pid_from_filename(g.gl_pathv[i]));
        strace_parse(&logs[n], data, len);
        strace_finish(&logs[n]);
        for (int p = 0; p < logs[n].problem_count; p++)
            fprintf(stderr, "  %s:%lld: %s: %s\n", g.gl_pathv[i], (long long)logs[n].problems[p].line,
                    logs[n].problems[p].reason, logs[n].problems[p].text);
        free(data);
        n++;
    }
    globfree(&g);
    return n;
}

/* Options an older or differently built strace lacks (-Y, -k, -n...) skip their variant. */
static int strace_supports(const char *flags) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "strace %s -o /dev/null true >/dev/null 2>&1", flags);
    return system(cmd) == 0;
}

static void run_variant(const variant *v, const char *mode) {
    char cmd[1024];
    system("rm -f live.log live.log.*");
    if (v->to_stderr)
        snprintf(cmd, sizeof cmd, "strace %s %s %s >/dev/null 2>live.log", v->flags, TRACE_HELPER, mode);
    else
        snprintf(cmd, sizeof cmd, "strace %s -o live.log %s %s >/dev/null 2>live.err", v->flags, TRACE_HELPER, mode);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "%s: exit status %d", cmd, rc);
    strace_log logs[64];
    int n = parse_files(v->per_pid ? "live.log.*" : "live.log", logs, 64);
    CHECK_MSG(v->per_pid ? n >= 2 || strcmp(mode, "interrupt") == 0 : n == 1, "%s: %d log files", cmd, n);
    int64_t unparsed = 0, calls = 0;
    int clones = 0, exited3 = 0, wait4s = 0, sigusr1 = 0, killed = 0, erestartsys = 0, erestartblock = 0,
        sigalrm = 0, bad_links = 0, pids_seen = 0;
    int32_t pids[64];
    for (int k = 0; k < n; k++) {
        strace_log *log = &logs[k];
        unparsed += log->unparsed;
        calls += log->calls;
        clones += count_name(log, STRACE_CALL, "clone") + count_name(log, STRACE_CALL, "clone3");
        wait4s += count_name(log, STRACE_CALL, "wait4");
        sigusr1 += count_name(log, STRACE_SIGNAL, "SIGUSR1");
        sigalrm += count_name(log, STRACE_SIGNAL, "SIGALRM");
        killed += count_name(log, STRACE_KILLED, "SIGKILL");
        erestartsys += count_error(log, "ERESTARTSYS");
        erestartblock += count_error(log, "ERESTART_RESTARTBLOCK");
        for (int64_t i = 0; i < log->count; i++) {
            const strace_event *e = &log->events[i];
            if (e->kind == STRACE_EXITED && e->status == 3) exited3++;
            if (e->kind == STRACE_RESUMED) {
                const strace_event *c = &log->events[e->link];
                if (c->kind != STRACE_CALL || c->name != e->name || c->pid != e->pid || c->link != (int32_t)i) bad_links++;
            }
            int seen = 0;
            for (int p = 0; p < pids_seen; p++) seen |= pids[p] == e->pid;
            if (!seen && pids_seen < 64) pids[pids_seen++] = e->pid;
        }
    }
    CHECK_MSG(unparsed == 0, "strace %s, mode %s: %lld unparsed lines", v->flags, mode, (long long)unparsed);
    CHECK_MSG(calls > 20, "strace %s, mode %s: only %lld calls", v->flags, mode, (long long)calls);
    CHECK_MSG(bad_links == 0, "strace %s, mode %s: %d resumed calls linked wrongly", v->flags, mode, bad_links);
    if (strcmp(mode, "threads") == 0) {
        CHECK_MSG(clones >= 4, "strace %s: %d clone calls", v->flags, clones);
        CHECK_MSG(pids_seen >= 5, "strace %s: %d tasks", v->flags, pids_seen);
    } else if (strcmp(mode, "fork") == 0) {
        CHECK_MSG(exited3 == 1, "strace %s: child exit with status 3 seen %d times", v->flags, exited3);
        CHECK_MSG(wait4s >= 1, "strace %s: no wait4", v->flags);
    } else if (strcmp(mode, "signal") == 0) {
        CHECK_MSG(sigusr1 == 1, "strace %s: SIGUSR1 seen %d times", v->flags, sigusr1);
        CHECK_MSG(killed == 1, "strace %s: 'killed by SIGKILL' seen %d times", v->flags, killed);
    } else if (strcmp(mode, "interrupt") == 0) {
        CHECK_MSG(sigalrm == 2, "strace %s: SIGALRM seen %d times", v->flags, sigalrm);
        CHECK_MSG(erestartsys == 1, "strace %s: ERESTARTSYS seen %d times", v->flags, erestartsys);
        CHECK_MSG(erestartblock == 1, "strace %s: ERESTART_RESTARTBLOCK seen %d times", v->flags, erestartblock);
    }
    for (int k = 0; k < n; k++) strace_log_free(&logs[k]);
}

int main(void) {
    if (system("strace -o /dev/null true >/dev/null 2>&1") != 0) {
        printf("test_strace_live: skipped: strace is missing or cannot trace here (ptrace refused?)\n");
        return TEST_SKIP_CODE;
    }
    const char *modes[] = {"threads", "fork", "signal", "interrupt"};
    for (size_t v = 0; v < sizeof VARIANTS / sizeof *VARIANTS; v++) {
        if (!strace_supports(VARIANTS[v].flags)) {
            printf("  strace %s: not supported by this strace, variant skipped\n", VARIANTS[v].flags);
            continue;
        }
        for (size_t m = 0; m < 4; m++) run_variant(&VARIANTS[v], modes[m]);
    }
    system("rm -f live.log live.log.* live.err");
    return test_finish("test_strace_live");
}
