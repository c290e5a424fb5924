/* Known-answer tests of the strace parser on hand-written log snippets that
 * cover every line form strace 6.x writes, plus a truncation sweep (every
 * prefix of the snippet must parse without crashing). */
#include "strace_parse.h"
#include "test_util.h"

#include <math.h>

static const char *SNIPPET =
    "1234  1700000000.123456 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3 <0.000012>\n"          /* 1 */
    "1234  1700000000.123500 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f8d28ab5000 <0.000010>\n" /* 2 */
    "1234  1700000000.123600 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory) <0.000007>\n" /* 3 */
    "1235  1700000000.124000 read(0,  <unfinished ...>\n"                                                           /* 4 */
    "1234  1700000000.124100 write(1, \"a\\\"b)\", 4 <unfinished ...>\n"                                            /* 5 */
    "1235  1700000000.124200 <... read resumed>\"x(y\", 3) = 3 <0.000200>\n"                                         /* 6 */
    "1234  1700000000.124300 <... write resumed>) = 4 <0.000300>\n"                                                  /* 7 */
    "1234  1700000000.124400 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1235, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---\n" /* 8 */
    "1235  1700000000.124500 +++ exited with 0 +++\n"                                                                /* 9 */
    "1236  1700000000.124600 +++ killed by SIGKILL +++\n"                                                            /* 10 */
    "1237  1700000000.124700 +++ killed by SIGSEGV (core dumped) +++\n"                                              /* 11 */
    "1234  1700000000.124800 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=1, tv_nsec=0}, 0x7ffd2a0) = ? ERESTART_RESTARTBLOCK (Interrupted by signal) <0.010000>\n" /* 12 */
    "1234  1700000000.124900 close(3) = 0 (INJECTED) <0.000001>\n"                                                   /* 13 */
    "1234  1700000000.125000 connect(3<TCP:[127.0.0.1:5000->127.0.0.1:80]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0 <0.000050>\n" /* 14 */
    "1234  1700000000.125100 openat(AT_FDCWD, \"/tmp/x\", O_RDONLY) = 3</tmp/x> <0.000010>\n"                       /* 15 */
    "1234  1700000000.125200 close(1</dev/null<char 1:3>>) = 0 <0.000004>\n"                                         /* 16 */
    " > /lib/x86_64-linux-gnu/libc.so.6(__close+0x17) [0x114a77]\n"                                                  /* 17 */
    "1234  1700000000.125300 exit_group(0)           = ?\n"                                                          /* 18 */
    "1234  1700000000.125400 +++ exited with 0 +++\n"                                                                /* 19 */
    "this is not strace output\n"                                                                                   /* 20 */
    "[pid  4725] 21:35:29.837084 write(2, \"}{][\", 4) = 4\n"                                                        /* 21 */
    "21:35:29 getpid() = 4725\n"                                                                                     /* 22 */
    "     0.000123 getppid() = 1\n"                                                                                  /* 23 */
    "21:35:29 (+     0.000054) brk(NULL) = 0x55f151eb3000\n"                                                         /* 24 */
    "1234  1700000000.125500 read(3, 0x7ffc, 10 <detached ...>\n"                                                    /* 25 */
    "\n"                                                                                                             /* 26 */
    "1234  1700000000.125600 --- stopped by SIGSTOP ---\n"                                                           /* 27 */
    "1234  1700000000.125700 restart_syscall(<... resuming interrupted read ...>) = 0 <0.100000>\n"                 /* 28 */
    "1238  1700000000.125800 +++ superseded by execve in pid 1234 +++\n"                                             /* 29 */
    "[ 231] [00007f5dab12bc47] brk(NULL) = 0x564538c26000\n"                                                         /* 30 */
    "1234  1700000000.126000 unterminated(\"abc, 3) = 3\n"                                                           /* 31 */
    "1234  1700000000.126100 <... nosuch resumed>) = 0\n"                                                            /* 32 */
    "1234  1700000000.126200 poll([{fd=3, events=POLLIN}], 1, 100) = 1 ([{fd=3, revents=POLLIN}]) <0.000010>\n"      /* 33 */
    "1234  1700000000.126300 fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE) <0.000002>\n"                    /* 34 */
    "strace: Process 1234 attached\n"                                                                                /* 35 */
    "1234  1700000000.126400 openat(AT_FDCWD, \"/x\", O_RDONLY) = -1 ENOENT (No such file or directory) (INJECTED)\n" /* 36 */
    "1234  1700000000.126500 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 1235\n"                  /* 37 */
    "1234  1700000000.126600 syscall_0x1c4(0x1, 0x2) = -1 ENOSYS (Function not implemented)\r\n"                     /* 38 */
    "12:00:01.5 getuid() = 0\n"                                                                                      /* 39 */
    "1234 close(5) = 0 trailing junk\n"                                                                              /* 40 */
    "1239  1700000000.126700 <detached ...>\n"                                                                       /* 41 */
    "1700000001 getgid() = 0";                                                                                       /* 42: -ttt in whole seconds, no newline */

static const strace_event *at_line(const strace_log *log, int64_t line, strace_kind kind) {
    for (int64_t i = 0; i < log->count; i++)
        if (log->events[i].line == line && log->events[i].kind == kind) return &log->events[i];
    return NULL;
}

static int name_is(const strace_log *log, int32_t idx, const char *s) {
    return idx >= 0 && strcmp(string_table_get(&log->names, idx), s) == 0;
}

static void test_snippet(void) {
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, SNIPPET, strlen(SNIPPET));
    strace_finish(&log);
    CHECK(log.lines == 42);
    CHECK_MSG(log.unparsed == 4, "unparsed %lld", (long long)log.unparsed);
    CHECK(log.problem_count == 4);
    CHECK(log.problems[0].line == 20);
    CHECK(log.problems[1].line == 31);
    CHECK_STR_CONTAINS(log.problems[1].reason, "unterminated");
    CHECK(log.problems[2].line == 32);
    CHECK_STR_CONTAINS(log.problems[2].reason, "without an unfinished call");
    CHECK(log.problems[3].line == 40);
    CHECK_STR_CONTAINS(log.problems[3].text, "trailing junk");
    CHECK(log.unmatched_resumed == 1);
    CHECK(log.stack_lines == 1);
    CHECK(log.note_lines == 1);
    CHECK(log.time_kind == STRACE_TIME_EPOCH);

    const strace_event *e = at_line(&log, 1, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "openat") && e->pid == 1234 && e->retval == 3 && e->error < 0);
    CHECK(e && fabs(e->timestamp - 1700000000.123456) < 1e-6 && fabs(e->duration - 0.000012) < 1e-12);
    e = at_line(&log, 2, STRACE_CALL);
    CHECK(e && e->retval == 0x7f8d28ab5000LL);
    e = at_line(&log, 3, STRACE_CALL);
    CHECK(e && e->retval == -1 && name_is(&log, e->error, "ENOENT"));

    /* Unfinished calls are stitched by thread id: 1235's read resumes first. */
    const strace_event *rd = at_line(&log, 4, STRACE_CALL), *wr = at_line(&log, 5, STRACE_CALL);
    CHECK(rd && rd->pid == 1235 && (rd->flags & STRACE_F_UNFINISHED) && rd->retval == 3);
    CHECK(rd && fabs(rd->duration - 0.0002) < 1e-12);
    CHECK(rd && rd->link >= 0 && log.events[rd->link].line == 6 && log.events[rd->link].kind == STRACE_RESUMED);
    CHECK(wr && wr->pid == 1234 && wr->retval == 4 && wr->link >= 0 && log.events[wr->link].line == 7);
    CHECK(wr && log.events[wr->link].link == (int32_t)(wr - log.events));

    e = at_line(&log, 8, STRACE_SIGNAL);
    CHECK(e && name_is(&log, e->name, "SIGCHLD") && e->pid == 1234);
    e = at_line(&log, 9, STRACE_EXITED);
    CHECK(e && e->status == 0 && e->pid == 1235);
    e = at_line(&log, 10, STRACE_KILLED);
    CHECK(e && name_is(&log, e->name, "SIGKILL") && !(e->flags & STRACE_F_CORE_DUMPED));
    e = at_line(&log, 11, STRACE_KILLED);
    CHECK(e && name_is(&log, e->name, "SIGSEGV") && (e->flags & STRACE_F_CORE_DUMPED));
    e = at_line(&log, 12, STRACE_CALL);
    CHECK(e && (e->flags & STRACE_F_RET_UNKNOWN) && name_is(&log, e->error, "ERESTART_RESTARTBLOCK"));
    CHECK(e && fabs(e->duration - 0.01) < 1e-12);
    e = at_line(&log, 13, STRACE_CALL);
    CHECK(e && (e->flags & STRACE_F_INJECTED) && e->retval == 0);
    e = at_line(&log, 14, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "connect") && e->retval == 0 && fabs(e->duration - 0.00005) < 1e-12);
    e = at_line(&log, 15, STRACE_CALL);
    CHECK(e && e->retval == 3 && fabs(e->duration - 0.00001) < 1e-12);
    e = at_line(&log, 16, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "close") && e->retval == 0);
    e = at_line(&log, 18, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "exit_group") && (e->flags & STRACE_F_RET_UNKNOWN) && e->error < 0);
    e = at_line(&log, 21, STRACE_CALL);
    CHECK(e && e->pid == 4725 && e->retval == 4 && fabs(e->timestamp - (21 * 3600 + 35 * 60 + 29.837084)) < 1e-6);
    e = at_line(&log, 22, STRACE_CALL);
    CHECK(e && e->pid == 0 && fabs(e->timestamp - (21 * 3600 + 35 * 60 + 29)) < 1e-9);
    e = at_line(&log, 23, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "getppid") && fabs(e->timestamp - 0.000123) < 1e-12);
    e = at_line(&log, 24, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "brk") && fabs(e->timestamp - (21 * 3600 + 35 * 60 + 29)) < 1e-9);
    e = at_line(&log, 25, STRACE_CALL);
    CHECK(e && (e->flags & STRACE_F_DETACHED) && !(e->flags & STRACE_F_RETURNED));
    CHECK(at_line(&log, 25, STRACE_DETACHED) != NULL);
    e = at_line(&log, 27, STRACE_STOPPED);
    CHECK(e && name_is(&log, e->name, "SIGSTOP"));
    e = at_line(&log, 28, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "restart_syscall") && fabs(e->duration - 0.1) < 1e-12);
    e = at_line(&log, 29, STRACE_SUPERSEDED);
    CHECK(e && e->pid == 1238 && e->status == 1234);
    e = at_line(&log, 30, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "brk") && e->retval == 0x564538c26000LL);
    e = at_line(&log, 33, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "poll") && e->retval == 1);
    e = at_line(&log, 34, STRACE_CALL);
    CHECK(e && e->retval == 0x8002);
    e = at_line(&log, 36, STRACE_CALL);
    CHECK(e && (e->flags & STRACE_F_INJECTED) && name_is(&log, e->error, "ENOENT"));
    e = at_line(&log, 37, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "wait4") && e->retval == 1235);
    e = at_line(&log, 38, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "syscall_0x1c4") && name_is(&log, e->error, "ENOSYS"));
    e = at_line(&log, 39, STRACE_CALL);
    CHECK(e && fabs(e->timestamp - (12 * 3600 + 1.5)) < 1e-9);
    CHECK(at_line(&log, 41, STRACE_DETACHED) != NULL);
    e = at_line(&log, 42, STRACE_CALL);
    CHECK(e && name_is(&log, e->name, "getgid") && e->pid == 0 && e->timestamp == 1700000001.0);
    CHECK(log.pending_at_end == 0);
    strace_log_free(&log);
}

/* "[pid N]" disappears when one task is left: the resumed line then has no
 * prefix, and is matched to the only unfinished call of that name. */
static void test_prefix_dropped(void) {
    const char *t = "[pid 20] rt_sigsuspend([], 8 <unfinished ...>\n"
                    "[pid 21] exit_group(0) = ?\n"
                    "[pid 21] +++ exited with 0 +++\n"
                    "<... rt_sigsuspend resumed>) = ? ERESTARTNOHAND (To be restarted if no handler)\n"
                    "--- SIGCHLD {si_signo=SIGCHLD} ---\n";
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, t, strlen(t));
    CHECK(log.unparsed == 0);
    const strace_event *c = at_line(&log, 1, STRACE_CALL);
    CHECK(c && c->link >= 0 && log.events[c->link].pid == 20 && name_is(&log, c->error, "ERESTARTNOHAND"));
    strace_log_free(&log);
}

/* strace's own "Process N attached" message in the middle of a line (trace on stderr). */
static void test_embedded_message(void) {
    const char *t = "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLDstrace: Process 10637 attached\n"
                    ", child_tidptr=0x7f5eb5c44a10) = 10637\n"
                    "[pid 10637] getpid() = 10637\n";
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, t, strlen(t));
    CHECK(log.unparsed == 0 && log.calls == 2);
    const strace_event *c = at_line(&log, 1, STRACE_CALL);
    CHECK(c && name_is(&log, c->name, "clone") && c->retval == 10637);
    CHECK(at_line(&log, 3, STRACE_CALL) != NULL);
    strace_log_free(&log);
}

/* -ff files carry the pid in their name and none in their lines. */
static void test_ff_names(void) {
    CHECK(strace_pid_from_filename("dir/trace.1234") == 1234);
    CHECK(strace_pid_from_filename("trace.1234.xz") == 1234);
    CHECK(strace_pid_from_filename("run-001.strace") == 0);
    CHECK(strace_pid_from_filename("run-001.strace.xz") == 0);
    CHECK(strace_pid_from_filename("1234") == 0);
    strace_log log;
    strace_log_init(&log, 777);
    const char *t = "read(0,  <unfinished ...>\n<... read resumed>\"\", 1) = 0\n";
    strace_parse(&log, t, strlen(t));
    CHECK(log.unparsed == 0 && log.count == 2 && log.events[0].pid == 777 && log.events[0].link == 1);
    strace_log_free(&log);
}

/* Lines that are no events: personality notes, strace messages, '#' comments. */
static void test_notes(void) {
    const char *t = "[ Process PID=4321 runs in 32 bit mode. ]\nstrace: Process 4321 detached\ngetpid() = 4321\n";
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, t, strlen(t));
    CHECK(log.unparsed == 0 && log.note_lines == 2 && log.calls == 1);
    strace_log_free(&log);
    const char *c = "# a header\n  # indented\ngetpid() = 4321\n#\n1234 # not a comment after a pid\n";
    strace_log_init(&log, 0);
    strace_parse(&log, c, strlen(c));
    CHECK(log.note_lines == 3 && log.calls == 1 && log.unparsed == 1 && log.problems[0].line == 5);
    strace_log_free(&log);
    CHECK(strace_looks_like(c, strlen(c)));
}

/* -Y (--decode-pids=comm): the command name after every pid. */
static void test_comm_prefixes(void) {
    const char *t = "16932<strace> execve(\"/usr/bin/sh\", [\"sh\"], 0x7ffe /* 37 vars */) = 0\n"
                    "[pid 16944<sh>] getppid() = 16938<strace>\n"
                    "16950<a b<c>> read(0,  <unfinished ...>\n"
                    "16950<a b<c>> <... read resumed>\"\", 1) = 0\n";
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, t, strlen(t));
    CHECK(log.unparsed == 0 && log.calls == 3);
    CHECK(log.count == 4 && log.events[0].pid == 16932 && log.events[1].pid == 16944 && log.events[1].retval == 16938);
    CHECK(log.events[2].link == 3);
    strace_log_free(&log);
}

static void test_looks_like(void) {
    CHECK(strace_looks_like(SNIPPET, strlen(SNIPPET)));
    const char *ids = "1 2 3 4 5\n6 7 8 9 10\n";
    CHECK(!strace_looks_like(ids, strlen(ids)));
    const char *pid_ids = "1234 5\n1234 6\n";
    CHECK(!strace_looks_like(pid_ids, strlen(pid_ids)));
    const char *prose = "Hello (world) = yes\nanother line\n";
    CHECK(!strace_looks_like(prose, strlen(prose)));
}

/* Every prefix and a few corrupted copies of the snippet: no crash, no
 * out-of-bounds read (run under ASan), every line accounted for. */
static void test_truncations(void) {
    size_t n = strlen(SNIPPET);
    char *buf = malloc(n + 1);
    for (size_t cut = 0; cut <= n; cut++) {
        memcpy(buf, SNIPPET, cut); /* exactly `cut` bytes: the parser must not read past them */
        strace_log log;
        strace_log_init(&log, 0);
        strace_parse(&log, buf, cut);
        strace_finish(&log);
        int64_t lines = 0;
        for (size_t i = 0; i < cut; i++) lines += SNIPPET[i] == '\n';
        if (cut && SNIPPET[cut - 1] != '\n') lines++;
        if (log.lines != lines) {
            CHECK_MSG(0, "cut %zu: %lld lines, expected %lld", cut, (long long)log.lines, (long long)lines);
            strace_log_free(&log);
            break;
        }
        strace_log_free(&log);
    }
    uint32_t state = 12345;
    for (int round = 0; round < 2000; round++) {
        memcpy(buf, SNIPPET, n);
        for (int k = 0; k < 4; k++) {
            state = state * 1664525u + 1013904223u;
            size_t pos = (state >> 8) % n;
            state = state * 1664525u + 1013904223u;
            buf[pos] = "\"()<>[]{}\\ =?-+\n0x"[(state >> 8) % 18];
        }
        strace_log log;
        strace_log_init(&log, 0);
        strace_parse(&log, buf, n);
        CHECK(log.count >= 0 && log.unparsed <= log.lines);
        strace_log_free(&log);
    }
    free(buf);
}

int main(void) {
    test_snippet();
    test_prefix_dropped();
    test_embedded_message();
    test_ff_names();
    test_notes();
    test_comm_prefixes();
    test_looks_like();
    test_truncations();
    return test_finish("test_strace_parse");
}
