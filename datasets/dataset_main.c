/* The `dataset` tool: capture a program's system calls with strace, build a
 * dataset (NAME.h5 and the paper's text layout) from traces, show what a
 * dataset holds, and report what a trace does (`dataset report`). */
#include "atomic_file.h"
#include "dataset_build.h"
#include "strace_parse.h"
#include "timer.h"
#include "trace_report.h"
#include "trace_input.h"
#include "window_source.h"
#include "xz_write.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage:\n"
            "  dataset capture --name NAME [--out DIR] [--xz] -- COMMAND [ARGS...]\n"
            "      run COMMAND under strace -f -ttt -T and keep the log as DIR/run-NNN.strace\n"
            "      (default DIR: datasets/NAME/raw; --xz compresses it)\n"
            "  dataset build --name NAME --from FILE... [--format auto|strace|paper|npy|ids|pid-ids]\n"
            "      [--length 200] [--stride 5] [--events call|entry-exit] [--split run|window]\n"
            "      [--test-fraction 0.1] [--out DIR] [--include-signals] [--strict]\n"
            "      write DIR/NAME.h5 and DIR/sequence_length_L/{training,testing} (default DIR: datasets/NAME)\n"
            "  dataset info NAME|PATH [--length L]\n"
            "      windows, events, vocabulary, distinct windows and test windows found in training\n"
            "  dataset export NAME|PATH [--out DIR] [--npy] [--length L]\n"
            "      write the paper's layout DIR/sequence_length_L/{training,testing} (and .npy twins\n"
            "      of shape (N, L, 1) with --npy) from a dataset; default DIR: the dataset's directory\n"
            "  dataset report LOG...|NAME|PATH [--json FILE] [--html FILE]\n"
            "      what a trace does with the kernel: calls and failures (by errno) per system call, per\n"
            "      category (file, network, memory, process, signal, time, ipc/sync, other) and per task;\n"
            "      -T durations (total, mean, p50, p95, max); bytes moved and sizes; a timeline with its\n"
            "      phases; frequent transitions; next-call accuracy from the previous 1..4 calls (first 80%%\n"
            "      trains, last 20%% tests) and entropy. From strace logs (.xz too; -ff files of one capture\n"
            "      form one trace) or a built dataset (event order only). --json: every figure; --html: a\n"
            "      self-contained page with SVG charts\n"
            "\n"
            "memory: each input is read whole (after xz decompression) and parsed beside itself: about 3 times\n"
            "its size at the peak (an strace line becomes a 56-byte event, an integer 4-8 bytes); then\n"
            "4 bytes x L per window, with (events - L) / S + 1 windows per trace (stride 1 holds every event\n"
            "L times). Window files need about 3 times their size, .npy 12 bytes per element. Inputs and\n"
            "window sets that cannot fit in available memory are refused before reading, with a message.\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "%s: ", error_program_name());
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run `dataset --help` for usage)\n");
    return 2;
}

static int valid_name(const char *s) {
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
            return 0;
    return 1;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Parse a whole int; 0 on success. */
static int parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < -2147483647L || v > 2147483647L) return -1;
    *out = (int)v;
    return 0;
}

/* ---- capture ---- */

/* Run a program and wait for it. Like system(), the tool ignores ^C and ^\\
 * meanwhile: strace detaches on SIGINT and ends, and the log it wrote is then
 * still published instead of being left as a temporary file. */
static int run_and_wait(char *const argv[]) {
    struct sigaction ignore, old_int, old_quit;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    pid_t child = fork();
    if (child < 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return -1;
    }
    if (child == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        execvp(argv[0], argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", error_program_name(), argv[0], strerror(errno));
        _exit(127);
    }
    int status, rc = 0;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) { rc = -1; break; }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (rc) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int cmd_capture(int argc, char **argv) {
    const char *name = NULL, *out = NULL;
    int xz = 0, i = 0;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) name = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else if (strcmp(argv[i], "--xz") == 0) xz = 1;
        else return usage_error("capture: unknown or incomplete option '%s'", argv[i]);
    }
    if (!name) return usage_error("capture: --name NAME is required%s", "");
    if (!valid_name(name)) return usage_error("capture: --name '%s': use letters, digits, '.', '_' and '-'", name);
    if (i >= argc) return usage_error("capture: no command given (put it after --)%s", "");
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "datasets/%s/raw", name);
    error_info err;
    if (make_dirs(dir, &err)) die("%s", err.message);
    /* Runs are numbered, not named by pid: "-ff" logs end in ".PID", which
     * would make the build take several runs for one. */
    char final[4400], tmp[4500];
    int n = 1;
    for (;; n++) {
        char xzp[4500];
        snprintf(final, sizeof final, "%s/run-%03d.strace", dir, n);
        snprintf(xzp, sizeof xzp, "%s.xz", final);
        if (!file_exists(final) && !file_exists(xzp)) break;
    }
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", final, (long)getpid());
    int nargs = argc - i;
    char **sargv = xcalloc((size_t)nargs + 10, sizeof(char *));
    int k = 0;
    sargv[k++] = "strace";
    sargv[k++] = "-f";
    sargv[k++] = "-ttt";
    sargv[k++] = "-T";
    sargv[k++] = "-o";
    sargv[k++] = tmp;
    sargv[k++] = "--";
    for (int j = i; j < argc; j++) sargv[k++] = argv[j];
    sargv[k] = NULL;
    int status = run_and_wait(sargv);
    free(sargv);
    struct stat st;
    if (status < 0 || stat(tmp, &st) != 0 || st.st_size == 0) {
        unlink(tmp);
        die("capture: strace wrote no log (exit status %d; its message, if any, is above). Does the command exist, "
            "is strace installed (scripts/install-deps.sh), and is ptrace allowed here (containers may need "
            "--cap-add SYS_PTRACE; see /proc/sys/kernel/yama/ptrace_scope)?",
            status);
    }
    /* Parse the log to report what it holds (and any line the parser cannot read). */
    char *data;
    size_t len;
    if (read_input_file(tmp, &data, &len, &err)) { unlink(tmp); die("%s", err.message); }
    strace_log log;
    strace_log_init(&log, 0);
    strace_parse(&log, data, len);
    strace_finish(&log);
    if (rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        die("capture: %s: cannot write: %s", final, strerror(e));
    }
    if (xz) {
        char xz_final[4500];
        snprintf(xz_final, sizeof xz_final, "%s.xz", final);
        if (xz_write_file(xz_final, data, len, &err))
            die("capture: %s; the uncompressed log %s is kept", err.message, final);
        unlink(final);
        snprintf(final, sizeof final, "%s", xz_final);
    }
    free(data);
    printf("%s: %lld lines, %lld system calls, %lld unparsed\n", final, (long long)log.lines, (long long)log.calls,
           (long long)log.unparsed);
    for (int j = 0; j < log.problem_count; j++)
        fprintf(stderr, "  %s:%lld: %s: %s\n", final, (long long)log.problems[j].line, log.problems[j].reason,
                log.problems[j].text);
    strace_log_free(&log);
    if (status != 0) {
        fprintf(stderr, "%s: capture: the command exited with status %d (the log is kept)\n", error_program_name(),
                status);
        return 1;
    }
    return 0;
}

/* ---- build ---- */

static char *join_command_line(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) * 2 + 3;
    char *s = xmalloc(n), *p = s;
    for (int i = 0; i < argc; i++) {
        if (i) *p++ = ' ';
        if (i == 0) { /* "dataset", not the build directory it ran from */
            const char *slash = strrchr(argv[0], '/');
            const char *base = slash ? slash + 1 : argv[0];
            size_t n = strlen(base);
            memcpy(p, base, n);
            p += n;
            continue;
        }
        int quote = argv[i][0] == 0 || strpbrk(argv[i], " \t'\"\\$") != NULL;
        if (quote) *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'') { memcpy(p, "'\\''", 4); p += 4; }
            else *p++ = *c;
        }
        if (quote) *p++ = '\'';
    }
    *p = 0;
    return s;
}

static void print_report(const char *path, const input_report *r) {
    printf("  %s: %s", path, input_format_name(r->format));
    if (r->format == INPUT_STRACE) {
        printf(", %lld lines, %lld calls, %lld signal/exit lines, %lld events kept", (long long)r->lines,
               (long long)r->calls, (long long)r->typed_events, (long long)r->events);
        if (r->stack_lines) printf(", %lld stack lines", (long long)r->stack_lines);
        if (r->pending_at_end) printf(", %lld calls never resumed", (long long)r->pending_at_end);
        printf(", %lld unparsed\n", (long long)r->unparsed);
        for (int j = 0; j < r->problem_count; j++)
            fprintf(stderr, "    %s:%lld: unparsed (%s): %s\n", path, (long long)r->problems[j].line,
                    r->problems[j].reason, r->problems[j].text);
        if (r->unparsed > r->problem_count)
            fprintf(stderr, "    ... and %lld more unparsed lines\n", (long long)(r->unparsed - r->problem_count));
    } else if (r->format == INPUT_PAPER || r->format == INPUT_NPY) {
        printf(", %lld events in windows\n", (long long)r->events);
    } else {
        printf(", %lld lines, %lld events, %lld trace(s)\n", (long long)r->lines, (long long)r->events,
               (long long)r->sequences);
    }
}

static int cmd_build(int argc, char **argv, int full_argc, char **full_argv) {
    const char *name = NULL, *out = NULL;
    input_format format = INPUT_AUTO;
    build_options opt = {0, 5, SPLIT_RUN, 0.1};
    event_mode events = EVENTS_CALL;
    int include_signals = 0, strict = 0, split_given = 0;
    const char **inputs = xcalloc((size_t)argc + 1, sizeof(char *));
    int ninputs = 0;
/* Usage errors free what was allocated (the sanitizer builds check for leaks). */
#define BUILD_USAGE(...) do { free(inputs); return usage_error(__VA_ARGS__); } while (0)
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--from") == 0) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) inputs[ninputs++] = argv[++i];
        } else if (strcmp(a, "--name") == 0 && has) name = argv[++i];
        else if (strcmp(a, "--out") == 0 && has) out = argv[++i];
        else if (strcmp(a, "--format") == 0 && has) {
            if (input_format_from_name(argv[++i], &format)) BUILD_USAGE("build: --format '%s': use auto, strace, paper, npy, ids or pid-ids", argv[i]);
        } else if (strcmp(a, "--length") == 0 && has) {
            if (parse_int(argv[++i], &opt.length) || opt.length < 1) BUILD_USAGE("build: --length '%s': need a positive integer", argv[i]);
        } else if (strcmp(a, "--stride") == 0 && has) {
            if (parse_int(argv[++i], &opt.stride) || opt.stride < 1) BUILD_USAGE("build: --stride '%s': need a positive integer", argv[i]);
        } else if (strcmp(a, "--events") == 0 && has) {
            i++;
            if (strcmp(argv[i], "call") == 0) events = EVENTS_CALL;
            else if (strcmp(argv[i], "entry-exit") == 0) events = EVENTS_ENTRY_EXIT;
            else BUILD_USAGE("build: --events '%s': use call or entry-exit", argv[i]);
        } else if (strcmp(a, "--split") == 0 && has) {
            i++;
            split_given = 1;
            if (strcmp(argv[i], "run") == 0) opt.split = SPLIT_RUN;
            else if (strcmp(argv[i], "window") == 0) opt.split = SPLIT_WINDOW;
            else BUILD_USAGE("build: --split '%s': use run or window", argv[i]);
        } else if (strcmp(a, "--test-fraction") == 0 && has) {
            char *end;
            i++;
            opt.test_fraction = strtod(argv[i], &end);
            if (end == argv[i] || *end || !(opt.test_fraction >= 0 && opt.test_fraction < 1))
                BUILD_USAGE("build: --test-fraction '%s': need a number in [0, 1)", argv[i]);
        } else if (strcmp(a, "--include-signals") == 0) include_signals = 1;
        else if (strcmp(a, "--strict") == 0) strict = 1;
        else BUILD_USAGE("build: unknown or incomplete option '%s'", a);
    }
    (void)split_given;
    if (!name) BUILD_USAGE("build: --name NAME is required%s", "");
    if (!valid_name(name)) BUILD_USAGE("build: --name '%s': use letters, digits, '.', '_' and '-'", name);
    if (ninputs == 0) BUILD_USAGE("build: --from FILE... is required%s", "");
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "datasets/%s", name);

    trace_set ts;
    trace_set_init(&ts, events, include_signals);
    error_info err;
    int64_t unparsed = 0;
    printf("reading %d input(s):\n", ninputs);
    for (int i = 0; i < ninputs; i++) {
        input_report rep;
        if (trace_set_add(&ts, inputs[i], format, &rep, &err)) {
            trace_set_free(&ts);
            free(inputs);
            die("%s", err.message);
        }
        print_report(inputs[i], &rep);
        unparsed += rep.unparsed;
    }
    if (strict && unparsed) {
        trace_set_free(&ts);
        free(inputs);
        die("build: %lld unparsed line(s) and --strict was given; nothing written", (long long)unparsed);
    }
#undef BUILD_USAGE
    char *cmd = join_command_line(full_argc, full_argv);
    dataset ds;
    int rc = dataset_build(&ts, &opt, name, cmd, &ds, &err);
    free(cmd);
    trace_set_free(&ts);
    free(inputs);
    if (rc) die("build: %s", err.message);
    if (dataset_write_outputs(&ds, dir, &err)) {
        dataset_free(&ds);
        die("build: %s", err.message);
    }
    printf("dataset %s: %d event types, windows of %d (stride %d), %lld training + %lld testing windows (split %s)\n",
           ds.name, ds.vocab.size, ds.length, ds.stride, (long long)ds.training.count, (long long)ds.testing.count,
           ds.split);
    printf("wrote %s/%s.h5 and %s/sequence_length_%d/{training,testing}\n", dir, ds.name, dir, ds.length);
    if (unparsed) printf("note: %lld line(s) could not be parsed (listed above); they are not in the dataset\n", (long long)unparsed);
    dataset_free(&ds);
    return 0;
}

/* ---- info ---- */

static int cmd_info(int argc, char **argv) {
    const char *spec = NULL;
    int length = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--length") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], &length) || length < 1) return usage_error("info: --length '%s': need a positive integer", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return usage_error("info: unknown option '%s'", argv[i]);
        } else if (!spec) {
            spec = argv[i];
        } else {
            return usage_error("info: more than one dataset given ('%s')", argv[i]);
        }
    }
    if (!spec) return usage_error("info: which dataset? (a name under datasets/, a NAME.h5 or a directory)%s", "");
    dataset ds;
    error_info err;
    if (dataset_load(spec, length, &ds, &err)) die("%s", err.message);
    dataset_stats st;
    dataset_compute_stats(&ds, &st);
    int64_t total = 0;
    for (int i = 0; i < ds.vocab.size; i++) total += ds.vocab.counts[i];
    printf("dataset:     %s\n", ds.name);
    char stride[48];
    if (ds.stride > 0) snprintf(stride, sizeof stride, "%d", ds.stride);
    else if (st.stride > 0) snprintf(stride, sizeof stride, "%d (inferred)", st.stride);
    else snprintf(stride, sizeof stride, "unknown");
    printf("windows:     %lld training, %lld testing (length %d, stride %s, events %s, split %s)\n",
           (long long)ds.training.count, (long long)ds.testing.count, ds.length, stride, ds.events, ds.split);
    const char *counted = strcmp(ds.split, "unknown") == 0 ? "counted in the training windows"
                          : strcmp(ds.split, "given") == 0   ? "counted in the windows"
                                                             : "in the parsed input";
    printf("events:      %lld (%s; %lld window positions)\n", (long long)total, counted,
           (long long)((ds.training.count + ds.testing.count) * ds.length));
    printf("distinct:    %lld training windows, %lld testing windows\n", (long long)st.distinct_training,
           (long long)st.distinct_testing);
    double nt = ds.testing.count ? (double)ds.testing.count : 1.0;
    printf("leakage:     %lld of %lld testing windows occur verbatim among the training windows (%.1f%%)\n",
           (long long)st.testing_in_training, (long long)ds.testing.count, 100.0 * (double)st.testing_in_training / nt);
    if (st.testing_in_training_traces >= 0)
        printf("             %lld occur somewhere in the training traces, at any offset (%.1f%%)%s\n",
               (long long)st.testing_in_training_traces, 100.0 * (double)st.testing_in_training_traces / nt,
               ds.stride > 0 ? "" : st.stride > 0 ? " (traces rebuilt with the inferred stride)" : "");
    for (int i = 0; i < ds.source_count; i++) printf("source:      %s\n", ds.sources[i]);
    if (ds.command_line && ds.command_line[0]) printf("built by:    %s\n", ds.command_line);
    printf("vocabulary:  %d event types (ID name count)\n", ds.vocab.size);
    for (int i = 0; i < ds.vocab.size; i++)
        printf("  %4d  %-24s %lld\n", i + 1, ds.vocab.names[i], (long long)ds.vocab.counts[i]);
    dataset_free(&ds);
    return 0;
}

/* ---- export ---- */

static int cmd_export(int argc, char **argv) {
    const char *spec = NULL, *out = NULL;
    int length = 0, npy = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--length") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], &length) || length < 1) return usage_error("export: --length '%s': need a positive integer", argv[i]);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--npy") == 0) {
            npy = 1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return usage_error("export: unknown or incomplete option '%s'", argv[i]);
        } else if (!spec) {
            spec = argv[i];
        } else {
            return usage_error("export: more than one dataset given ('%s')", argv[i]);
        }
    }
    if (!spec) return usage_error("export: which dataset? (a name under datasets/, a NAME.h5 or a directory)%s", "");
    error_info err;
    char path[4096], dir[4096];
    if (dataset_resolve(spec, path, sizeof path, &err)) die("%s", err.message);
    dataset ds;
    if (dataset_load(spec, length, &ds, &err)) die("%s", err.message);
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        struct stat st;
        snprintf(dir, sizeof dir, "%s", path);
        if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            char *slash = strrchr(dir, '/');
            if (slash) *slash = 0;
            else snprintf(dir, sizeof dir, ".");
        }
    }
    if (dataset_export_layout(&ds, dir, npy, &err)) {
        dataset_free(&ds);
        die("export: %s", err.message);
    }
    printf("wrote %s/sequence_length_%d/{training,testing}%s: %lld + %lld windows\n", dir, ds.length,
           npy ? " and .npy" : "", (long long)ds.training.count, (long long)ds.testing.count);
    dataset_free(&ds);
    return 0;
}

/* ---- report ---- */

static int cmd_report(int argc, char **argv) {
    const char *json = NULL, *html = NULL;
    const char **inputs = xcalloc((size_t)argc + 1, sizeof(char *));
    int n = 0;
#define REPORT_USAGE(...) do { free(inputs); return usage_error(__VA_ARGS__); } while (0)
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
        else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc) html = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1]) REPORT_USAGE("report: unknown or incomplete option '%s'", argv[i]);
        else inputs[n++] = argv[i];
    }
    if (n == 0) REPORT_USAGE("report: which trace? (strace logs, or a dataset: a name under datasets/, a NAME.h5 or a directory)%s", "");
#undef REPORT_USAGE
    /* A directory or an HDF5 file is a dataset; another existing file is a
     * log; a name that is no file is looked up as a dataset. */
    int datasets = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(inputs[i], &st) == 0) datasets += S_ISDIR(st.st_mode) || file_is_hdf5(inputs[i]);
        else if (!strchr(inputs[i], '/')) datasets++;
        else {
            int e = errno;
            char path[4096];
            snprintf(path, sizeof path, "%s", inputs[i]);
            free(inputs);
            die("report: %s: cannot open: %s", path, strerror(e));
        }
    }
    if (datasets && n > 1) {
        free(inputs);
        die("report: give one dataset, or strace logs only (a dataset is among the %d inputs)", n);
    }
    error_info err;
    /* Outputs are opened first, so an unwritable path fails before the work. */
    atomic_file jf, hf;
    if (json && atomic_file_open(&jf, json, &err)) { free(inputs); die("report: --json: %s", err.message); }
    if (html && atomic_file_open(&hf, html, &err)) {
        if (json) atomic_file_abort(&jf);
        free(inputs);
        die("report: --html: %s", err.message);
    }
    double t0 = now_seconds();
    trace_report r;
    trace_report_init(&r);
    int rc = datasets ? trace_report_add_dataset(&r, inputs[0], &err) : trace_report_add_logs(&r, n, inputs, &err);
    free(inputs);
    if (rc) {
        if (json) atomic_file_abort(&jf);
        if (html) atomic_file_abort(&hf);
        trace_report_free(&r);
        die("report: %s", err.message);
    }
    trace_report_compute(&r);
    r.seconds = now_seconds() - t0;
    trace_report_text(stdout, &r);
    if (json) {
        trace_report_json(jf.f, &r);
        if (atomic_file_commit(&jf, &err)) {
            if (html) atomic_file_abort(&hf);
            trace_report_free(&r);
            die("report: --json: %s", err.message);
        }
        printf("wrote %s\n", json);
    }
    if (html) {
        trace_report_html(hf.f, &r);
        if (atomic_file_commit(&hf, &err)) {
            trace_report_free(&r);
            die("report: --html: %s", err.message);
        }
        printf("wrote %s\n", html);
    }
    trace_report_free(&r);
    return 0;
}

int main(int argc, char **argv) {
    error_set_program_name("dataset");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    /* `dataset build --help` and friends: the usage, which covers every
     * command (for capture, only before the "--" that starts the program). */
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (strcmp(cmd, "capture") == 0) return cmd_capture(argc - 2, argv + 2);
    if (strcmp(cmd, "build") == 0) return cmd_build(argc - 2, argv + 2, argc, argv);
    if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0) return cmd_export(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 2, argv + 2);
    usage(stderr);
    return usage_error("unknown command '%s'", cmd);
}
