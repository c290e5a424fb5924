/* Tests of `dataset report` (datasets/trace_report.h): worked examples with
 * exact counts on hand-written strace logs (-f, -ff, -ttt/-tt/-r, -T, -y, -k,
 * unfinished/resumed calls, failures, signals), totals equal to the parser's,
 * a planted phase change, next-call prediction on a cycle, the JSON keys and
 * the tool's output on a dataset. With the argument "html" it renders the
 * HTML page in headless Chromium instead (exit 77, skipped, without it).
 * Its scratch files go to a fresh directory under $TMPDIR (or /tmp), removed
 * at the end unless SSSD_KEEP_SCRATCH is set, so running it by hand leaves
 * nothing where it was started. */
#include "test_util.h"
#include "train/cli_util.h"
#include "trace_report.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *LOG_F =
    "100 1700000000.000000 execve(\"/bin/x\", [\"x\"], 0x7ffd /* 1 var */) = 0 <0.000100>\n"
    "100 1700000000.000200 openat(AT_FDCWD, \"/etc/a\", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000010>\n"
    "100 1700000000.000300 openat(AT_FDCWD, \"/etc/b\", O_RDONLY) = 3 <0.000020>\n"
    "100 1700000000.000400 read(3, \"abcd\", 4096) = 4 <0.000030>\n"
    "100 1700000000.000500 clone(child_stack=NULL, flags=CLONE_VM|SIGCHLD) = 101 <0.000050>\n"
    "101 1700000000.000600 write(1, \"hello\\n\", 6 <unfinished ...>\n"
    "100 1700000000.000650 wait4(-1,  <unfinished ...>\n"
    "101 1700000000.000700 <... write resumed>) = 6 <0.000100>\n"
    "101 1700000000.000800 read(0, 0x7ffd, 1024) = -1 EAGAIN (Resource temporarily unavailable) <0.000005>\n"
    "101 1700000000.000900 exit_group(0) = ?\n"
    "101 1700000000.001000 +++ exited with 0 +++\n"
    "100 1700000000.001100 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101 <0.000450>\n"
    "100 1700000000.001200 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_uid=0, si_status=0, "
    "si_utime=0, si_stime=0} ---\n"
    "100 1700000000.001300 write(1, \"0123456789\", 10) = 10 <0.000040>\n"
    "100 1700000000.001400 exit_group(0) = ?\n"
    "100 1700000000.001500 +++ exited with 0 +++\n";

static int32_t name_index(const trace_report *r, const char *name) {
    return string_table_find(&r->names, name, strlen(name));
}

static const report_group *sys(const trace_report *r, const char *name) {
    int32_t v = name_index(r, name);
    return v >= 0 ? &r->sys[v] : NULL;
}

/* The report's totals against the parser's own counts of the same files. */
static void check_totals(const trace_report *r, int n, const char *const *paths) {
    int64_t calls = 0, signals = 0, lines = 0;
    for (int i = 0; i < n; i++) {
        char *text = cli_slurp(paths[i]);
        strace_log log;
        strace_log_init(&log, strace_pid_from_filename(paths[i]));
        strace_parse(&log, text, strlen(text));
        strace_finish(&log);
        calls += log.calls;
        lines += log.lines;
        for (int64_t k = 0; k < log.count; k++) signals += log.events[k].kind == STRACE_SIGNAL;
        strace_log_free(&log);
        free(text);
    }
    int64_t by_sys = 0, by_cat = 0;
    for (int32_t v = 0; v < r->names.count; v++) by_sys += r->sys[v].calls;
    for (int c = 0; c < CAT_COUNT; c++) by_cat += r->cat[c].calls;
    int64_t by_slice = 0;
    for (int c = 0; c < CAT_COUNT; c++)
        for (int s = 0; s < r->n_slices; s++) by_slice += r->slice_counts[c][s];
    int64_t by_phase = 0;
    for (int k = 0; k < r->n_phases; k++) by_phase += r->phases[k].end - r->phases[k].start;
    CHECK_MSG(r->n_calls == calls && r->parsed_calls == calls, "%lld calls, parser %lld", (long long)r->n_calls, (long long)calls);
    CHECK(by_sys == calls && by_cat == calls && by_slice == calls && by_phase == calls);
    CHECK(r->signals == signals && r->lines == lines);
}

static void test_worked_f(void) {
    cli_write("f.strace", LOG_F);
    trace_report r;
    trace_report_init(&r);
    error_info err;
    const char *paths[] = {"f.strace"};
    CHECK(trace_report_add_logs(&r, 1, paths, &err) == 0);
    trace_report_compute(&r);
    check_totals(&r, 1, paths);
    CHECK(r.n_calls == 11 && r.failed == 2 && r.resumed == 2 && r.signals == 1 && r.exited == 2 && r.unparsed == 0);
    CHECK(r.has_time && r.has_duration && r.timeline_by_time && r.n_traces == 1);
    const report_group *rd = sys(&r, "read"), *wr = sys(&r, "write"), *op = sys(&r, "openat"), *w4 = sys(&r, "wait4");
    CHECK(rd && wr && op && w4);
    if (!rd || !wr || !op || !w4) return;
    CHECK(rd->calls == 2 && rd->failed == 1 && rd->n_errors == 1 && rd->err_count[0] == 1);
    CHECK(strcmp(string_table_get(&r.errnos, rd->err_name[0]), "EAGAIN") == 0);
    CHECK(op->failed == 1 && strcmp(string_table_get(&r.errnos, op->err_name[0]), "ENOENT") == 0);
    CHECK(rd->bytes == 4 && rd->io_calls == 1 && rd->size_hist[3] == 1); /* 4 bytes: bin [4, 8) */
    CHECK(wr->bytes == 16 && wr->io_calls == 2 && wr->size_hist[3] == 1 && wr->size_hist[4] == 1);
    /* the resumed write brings its result and duration to the call */
    CHECK(wr->timed == 2);
    CHECK_CLOSE(wr->dur_max, 0.0001, 1e-12, 0);
    CHECK_CLOSE(wr->dur_p50, 0.00004, 1e-12, 0);
    CHECK_CLOSE(w4->dur_total, 0.00045, 1e-12, 0);
    CHECK_CLOSE(op->dur_mean, 0.000015, 1e-12, 0);
    CHECK(r.cat[CAT_FILE].calls == 6 && r.cat[CAT_PROCESS].calls == 5 && r.cat[CAT_FILE].failed == 2);
    CHECK(r.cat[CAT_FILE].bytes == 20);
    CHECK(r.io_bytes_in == 4 && r.io_bytes_out == 16);
    CHECK(r.n_procs == 2);
    for (int i = 0; i < r.n_procs; i++) {
        const report_process *p = &r.procs[i];
        if (p->pid == 100) CHECK(p->calls == 8 && p->failed == 1 && p->signals == 1 && p->end == 1 && p->status == 0);
        else CHECK(p->pid == 101 && p->calls == 3 && p->failed == 1 && p->signals == 0 && p->end == 1);
    }
    CHECK_CLOSE(r.span, 0.0014, 1e-6, 0); /* -ttt seconds since 1970 in a double: microseconds */
    CHECK(r.signal_names.count == 1 && r.signal_counts[0] == 1);
    trace_report_free(&r);
}

static void test_ff_family(void) {
    cli_write("ff.200", "10:00:00.000100 openat(AT_FDCWD, \"a\", O_RDONLY) = 3\n"
                         "10:00:00.000300 read(3, \"x\", 1) = 1\n"
                         "10:00:00.000500 close(3) = 0\n"
                         "10:00:00.000600 +++ exited with 0 +++\n");
    cli_write("ff.201", "10:00:00.000200 getpid() = 201\n"
                         "10:00:00.000400 write(1, \"yy\", 2) = 2\n"
                         "10:00:00.000700 +++ killed by SIGKILL +++\n");
    trace_report r;
    trace_report_init(&r);
    error_info err;
    const char *paths[] = {"ff.200", "ff.201"};
    CHECK(trace_report_add_logs(&r, 2, paths, &err) == 0);
    trace_report_compute(&r);
    check_totals(&r, 2, paths);
    CHECK(r.n_traces == 1 && r.n_calls == 5 && r.n_procs == 2 && r.killed == 1 && r.exited == 1);
    const char *order[] = {"openat", "getpid", "read", "write", "close"};
    for (int i = 0; i < 5 && i < r.n_calls; i++) CHECK_STR_CONTAINS(report_name(&r, r.calls[i].name), order[i]);
    CHECK_CLOSE(r.span, 0.0004, 1e-9, 0);
    CHECK(r.io_bytes_in == 1 && r.io_bytes_out == 2);
    for (int i = 0; i < r.n_procs; i++)
        if (r.procs[i].pid == 201) CHECK(r.procs[i].end == 2 && r.procs[i].calls == 2);
    trace_report_free(&r);
}

static void test_relative_y_k(void) {
    cli_write("r.strace", "     0.000000 brk(NULL) = 0x1000\n"
                           "     0.000100 brk(0x2000) = 0x2000\n"
                           "     0.000250 munmap(0x7f00, 4096) = 0\n");
    cli_write("yk.strace", "300 read(3</etc/passwd>, \"root\", 4) = 4</etc/x>\n"
                            " > /lib/libc.so.6(read+0x10) [0x1234]\n"
                            "300 write(1<pipe:[123]>, \"root\", 4) = 4\n"
                            "300 sendto(4<TCP:[1.2.3.4:5->6.7.8.9:80]>, \"abc\", 3, 0, NULL, 0) = 3\n");
    trace_report r;
    trace_report_init(&r);
    error_info err;
    const char *p1[] = {"r.strace"};
    CHECK(trace_report_add_logs(&r, 1, p1, &err) == 0);
    trace_report_compute(&r);
    check_totals(&r, 1, p1);
    CHECK(r.has_time && r.timeline_by_time && r.cat[CAT_MEMORY].calls == 3 && !r.has_duration);
    CHECK_CLOSE(r.span, 0.00035, 1e-12, 0);
    trace_report_free(&r);
    trace_report_init(&r);
    const char *p2[] = {"yk.strace"};
    CHECK(trace_report_add_logs(&r, 1, p2, &err) == 0);
    trace_report_compute(&r);
    check_totals(&r, 1, p2);
    CHECK(r.n_calls == 3 && r.stack_lines == 1 && r.unparsed == 0 && !r.has_time && !r.timeline_by_time);
    CHECK(r.io_bytes_in == 4 && r.io_bytes_out == 7 && r.cat[CAT_NETWORK].calls == 1 && r.cat[CAT_NETWORK].bytes == 3);
    trace_report_free(&r);
}

/* A shipped log: the report's totals are the parser's. */
static void test_shipped_totals(void) {
    const char *xz = SSSD_SOURCE_DIR "/datasets/sqlite-cli/raw/run-001.strace.xz";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "xz -dc %s > shipped.strace 2>/dev/null", xz);
    if (system(cmd) != 0) {
        fprintf(stderr, "note: xz unavailable, shipped-log totals not checked\n");
        return;
    }
    trace_report r;
    trace_report_init(&r);
    error_info err;
    const char *p[] = {"shipped.strace"};
    CHECK(trace_report_add_logs(&r, 1, p, &err) == 0);
    trace_report_compute(&r);
    check_totals(&r, 1, p);
    CHECK(r.n_calls > 1000 && r.unparsed == 0);
    trace_report_free(&r);
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* 1000 calls of one mix, then 1000 of another: one boundary, within a window of 1000. */
static void test_planted_phase(void) {
    const char *a[] = {"read", "write", "lseek"}, *b[] = {"mmap", "munmap", "brk", "read"};
    const char **seq = malloc(sizeof *seq * 2000);
    uint64_t s = 7;
    for (int i = 0; i < 1000; i++) seq[i] = a[lcg(&s) % 3];
    for (int i = 1000; i < 2000; i++) seq[i] = b[lcg(&s) % 4];
    trace_report r;
    trace_report_init(&r);
    trace_report_add_sequence(&r, seq, 2000);
    trace_report_compute(&r);
    CHECK_MSG(r.n_phases == 2, "%d phases", r.n_phases);
    if (r.n_phases >= 2) {
        int64_t at = r.phases[1].start;
        CHECK_MSG(llabs(at - 1000) <= r.window, "boundary at %lld, window %d", (long long)at, r.window);
    }
    trace_report_free(&r);
    /* Overlapping mixes (read-heavy, then write-heavy with the same calls). */
    for (int i = 0; i < 2000; i++) {
        uint64_t v = lcg(&s) % 10;
        if (i < 1000) seq[i] = v < 7 ? "read" : v < 9 ? "write" : "close";
        else seq[i] = v < 2 ? "read" : v < 9 ? "write" : "close";
    }
    trace_report_init(&r);
    trace_report_add_sequence(&r, seq, 2000);
    trace_report_compute(&r);
    CHECK_MSG(r.n_phases == 2, "%d phases (overlapping mixes)", r.n_phases);
    if (r.n_phases >= 2) CHECK(llabs(r.phases[1].start - 1000) <= r.window);
    trace_report_free(&r);
    /* One mix throughout: no boundary. */
    for (int i = 0; i < 2000; i++) seq[i] = a[lcg(&s) % 3];
    trace_report_init(&r);
    trace_report_add_sequence(&r, seq, 2000);
    trace_report_compute(&r);
    CHECK_MSG(r.n_phases == 1, "%d phases in a stationary trace", r.n_phases);
    trace_report_free(&r);
    free(seq);
}

static void test_cycle_prediction(void) {
    const char *cyc[] = {"openat", "read", "write", "close", "read"};
    const char **seq = malloc(sizeof *seq * 2000);
    for (int i = 0; i < 2000; i++) seq[i] = cyc[i % 5];
    trace_report r;
    trace_report_init(&r);
    trace_report_add_sequence(&r, seq, 2000);
    trace_report_compute(&r);
    CHECK(r.train_calls == 1600 && r.test_calls == 400);
    /* read is followed by write or close: one previous call is not enough... */
    CHECK(r.predict_accuracy[1] < 1.0);
    /* ...two are, and more */
    for (int n = 2; n <= REPORT_MAX_N; n++) CHECK_CLOSE(r.predict_accuracy[n], 1.0, 0, 0);
    for (int n = 2; n <= REPORT_MAX_N; n++) CHECK_CLOSE(r.entropy[n], 0.0, 1e-12, 0);
    trace_report_free(&r);
    /* A cycle of distinct calls: 100% from one previous call. */
    const char *cyc2[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 2000; i++) seq[i] = cyc2[i % 4];
    trace_report_init(&r);
    trace_report_add_sequence(&r, seq, 2000);
    trace_report_compute(&r);
    for (int n = 1; n <= REPORT_MAX_N; n++) CHECK_CLOSE(r.predict_accuracy[n], 1.0, 0, 0);
    CHECK_CLOSE(r.entropy[0], 2.0, 1e-12, 0);
    CHECK_CLOSE(r.entropy[1], 0.0, 1e-12, 0);
    CHECK(r.n_transitions == 4 && r.transitions[0].count == 500 && r.transitions[0].prob == 1.0);
    trace_report_free(&r);
    free(seq);
}

static int tool(const char *args, char *out, size_t n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > tool.out 2>&1", DATASET_TOOL, args);
    int st = system(cmd);
    FILE *f = fopen("tool.out", "rb");
    size_t k = f ? fread(out, 1, n - 1, f) : 0;
    out[k] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_tool_json(void) {
    static char out[1 << 16];
    cli_write("f.strace", LOG_F);
    unlink("f.json");
    CHECK(tool("report f.strace --json f.json", out, sizeof out) == 0);
    CHECK_STR_CONTAINS(out, "11 calls");
    char *j = cli_slurp("f.json");
    CHECK(j[0] != 0);
    if (!j[0]) {
        free(j);
        return;
    }
    const char *keys[] = {"\"parsed\"", "\"categories\"", "\"syscalls\"", "\"errors\": {\"ENOENT\": 1}", "\"duration_p95\"",
                          "\"size_histogram\"", "\"bytes\"", "\"signals\": {\"SIGCHLD\": 1}", "\"processes\"", "\"timeline\"",
                          "\"phases\"", "\"transitions\"", "\"heatmap\"", "\"prediction\"", "\"accuracy\"", "\"entropy\"",
                          "\"next_given_previous\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) CHECK_STR_CONTAINS(j, keys[i]);
    free(j);
    /* a dataset: event order only */
    FILE *f = fopen("ids.txt", "w");
    for (int i = 0; i < 600; i++) fprintf(f, "%d ", 1 + (i % 3) + (i >= 300 ? 3 : 0));
    fclose(f);
    CHECK(tool("build --name small --from ids.txt --format ids --length 20 --stride 5 --split window --out ds", out, sizeof out) == 0);
    CHECK(tool("report ds/small.h5 --json ds.json", out, sizeof out) == 0);
    CHECK_STR_CONTAINS(out, "from a dataset");
    j = cli_slurp("ds.json");
    CHECK(j && strstr(j, "\"source\": \"dataset\""));
    free(j);
}

/* Render the page in headless Chromium: the DOM holds every chart, and a
 * screenshot is taken (kept with the page, to look at, when
 * SSSD_KEEP_SCRATCH is set). */
static int test_html_chromium(void) {
    if (system("command -v chromium >/dev/null 2>&1") != 0) {
        fprintf(stderr, "chromium not installed: skipped\n");
        return TEST_SKIP_CODE;
    }
    static char out[1 << 16];
    /* the worked example, then two phases of 600 calls */
    FILE *lf = fopen("h.strace", "w");
    fputs(LOG_F, lf);
    for (int i = 0; i < 1200; i++) {
        const char *a[] = {"openat(AT_FDCWD, \"f\", O_RDONLY) = 3", "read(3, \"...\", 65536) = 4096", "close(3) = 0"};
        const char *b[] = {"write(4, \"...\", 8192) = 8192", "lseek(4, 0, SEEK_CUR) = 8192", "openat(AT_FDCWD, \"g\", O_RDONLY) = -1 ENOENT (No such file or directory)"};
        fprintf(lf, "100 1700000001.%06d %s <0.0000%02d>\n", i * 500, i < 600 ? a[i % 3] : b[i % 3], 5 + i % 40);
    }
    fclose(lf);
    CHECK(tool("report h.strace --html report.html", out, sizeof out) == 0);
    const char *flags = "--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,3000";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "timeout 120 chromium %s --dump-dom file://$PWD/report.html > dom.html 2>chromium.log", flags);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "timeout 120 chromium %s --screenshot=$PWD/report.png file://$PWD/report.html >>chromium.log 2>&1",
             flags);
    CHECK(system(cmd) == 0);
    char *dom = cli_slurp("dom.html");
    CHECK(dom[0] != 0);
    if (dom[0]) {
        const char *parts[] = {"<section id=\"categories\">", "<section id=\"durations\">", "<section id=\"sizes\">",
                               "<section id=\"timeline\">", "<section id=\"transitions\">", "<section id=\"prediction\">",
                               "class=\"marker\"", "class=\"cell\"", "Calls per category"};
        for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) CHECK_STR_CONTAINS(dom, parts[i]);
        int svgs = 0;
        for (const char *p = dom; (p = strstr(p, "<svg")); p++) svgs++;
        CHECK_MSG(svgs >= 6, "%d charts", svgs);
        CHECK(strstr(dom, "http://") == NULL || strstr(dom, "xmlns") != NULL); /* nothing fetched */
        free(dom);
    }
    struct stat st;
    CHECK(stat("report.png", &st) == 0 && st.st_size > 10000);
    unsigned char sig[8] = {0};
    FILE *f = fopen("report.png", "rb");
    if (f) {
        CHECK(fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89PNG", 4) == 0);
        fclose(f);
    }
    return 0;
}

/* Work in a fresh temporary directory; its path goes to `dir`. */
static void enter_scratch_dir(char *dir, size_t size) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/test_trace_report.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("test_trace_report: cannot make a scratch directory");
        exit(1);
    }
}

static void remove_scratch_dir(const char *dir) {
    if (chdir("/") != 0) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "test_trace_report: could not remove %s\n", dir);
}

int main(int argc, char **argv) {
    char scratch[4096];
    enter_scratch_dir(scratch, sizeof scratch);
    int html = argc > 1 && strcmp(argv[1], "html") == 0;
    if (html) {
        int rc = test_html_chromium();
        if (rc == TEST_SKIP_CODE) {
            remove_scratch_dir(scratch);
            return rc;
        }
    } else {
        test_worked_f();
        test_ff_family();
        test_relative_y_k();
        test_shipped_totals();
        test_planted_phase();
        test_cycle_prediction();
        test_tool_json();
    }
    printf("%d passed, %d failed\n", test_passed_count, test_failed_count);
    if (getenv("SSSD_KEEP_SCRATCH")) printf("scratch files kept in %s\n", scratch);
    else remove_scratch_dir(scratch);
    return test_failed_count ? 1 : 0;
}
