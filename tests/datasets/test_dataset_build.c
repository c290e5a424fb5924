/* Known-answer tests of `dataset build`'s library: every input format,
 * vocabulary ranking and tie-breaking, entry/exit events, both splits (and
 * that --split run never puts a window of a training run into testing),
 * paper-layout and .npy round trips, .xz inputs, format detection, and the
 * errors for malformed or too-small inputs. */
#include "dataset_build.h"
#include "npy.h"
#include "test_util.h"
#include "trace_input.h"
#include "window_source.h"

#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    s[fread(s, 1, (size_t)n, f)] = 0;
    fclose(f);
    return s;
}

static int window_is(const window_set *ws, int64_t w, const int32_t *expect) {
    return memcmp(ws->ids + w * ws->length, expect, (size_t)ws->length * sizeof(int32_t)) == 0;
}

/* Build from files with the given options; returns 0 and fills ds, or -1 with err. */
static int build(const char **files, int n, input_format fmt, event_mode ev, int signals, build_options opt, dataset *ds,
                 error_info *err) {
    trace_set ts;
    trace_set_init(&ts, ev, signals);
    for (int i = 0; i < n; i++) {
        input_report rep;
        if (trace_set_add(&ts, files[i], fmt, &rep, err)) {
            trace_set_free(&ts);
            memset(ds, 0, sizeof *ds);
            printf("  (expected or not: %s)\n", err->message);
            return -1;
        }
    }
    int rc = dataset_build(&ts, &opt, "t", "test", ds, err);
    if (rc) printf("  (expected or not: %s)\n", err->message);
    trace_set_free(&ts);
    return rc;
}

static void test_ids_known_answer(void) {
    write_file("ids1.txt", "6 6 3\n6,3 1\n");
    const char *f[] = {"ids1.txt"};
    dataset ds;
    error_info err;
    build_options o = {2, 1, SPLIT_WINDOW, 0.0};
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_CALL, 0, o, &ds, &err) == 0);
    /* counts 6:3, 3:2, 1:1 -> IDs 6=1, 3=2, 1=3; trace 1 1 2 1 2 3 */
    CHECK(ds.vocab.size == 3 && strcmp(ds.vocab.names[0], "6") == 0 && strcmp(ds.vocab.names[2], "1") == 0);
    CHECK(ds.vocab.counts[0] == 3 && ds.vocab.counts[1] == 2 && ds.vocab.counts[2] == 1);
    CHECK(ds.training.count == 5 && ds.testing.count == 0);
    int32_t w0[] = {1, 1}, w1[] = {1, 2}, w4[] = {2, 3};
    CHECK(window_is(&ds.training, 0, w0) && window_is(&ds.training, 1, w1) && window_is(&ds.training, 4, w4));
    dataset_free(&ds);
    /* entry-exit doubles every call */
    CHECK(build(f, 1, INPUT_IDS, EVENTS_ENTRY_EXIT, 0, (build_options){4, 2, SPLIT_WINDOW, 0.0}, &ds, &err) == 0);
    int32_t e0[] = {1, 1, 1, 1}, e1[] = {1, 1, 2, 2};
    CHECK(ds.training.count == 5 && window_is(&ds.training, 0, e0) && window_is(&ds.training, 1, e1));
    CHECK(strcmp(ds.events, "entry-exit") == 0 && ds.vocab.counts[0] == 6);
    dataset_free(&ds);
    /* paper split: the last fraction of consecutive windows */
    CHECK(build(f, 1, INPUT_IDS, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0.4}, &ds, &err) == 0);
    CHECK(ds.training.count == 3 && ds.testing.count == 2);
    int32_t t1[] = {2, 3};
    CHECK(window_is(&ds.testing, 1, t1));
    dataset_free(&ds);
}

static void test_tie_break(void) {
    /* 4 and 5 occur twice each: the name decides ("4" < "5"), whatever the input order. */
    write_file("tie1.txt", "5 4 4 5 9\n");
    write_file("tie2.txt", "9 4 5 5 4\n");
    const char *f1[] = {"tie1.txt"}, *f2[] = {"tie2.txt"};
    dataset a, b;
    error_info err;
    build_options o = {5, 1, SPLIT_WINDOW, 0.0};
    CHECK(build(f1, 1, INPUT_IDS, EVENTS_CALL, 0, o, &a, &err) == 0);
    CHECK(build(f2, 1, INPUT_IDS, EVENTS_CALL, 0, o, &b, &err) == 0);
    CHECK(strcmp(a.vocab.names[0], "4") == 0 && strcmp(a.vocab.names[1], "5") == 0 && strcmp(a.vocab.names[2], "9") == 0);
    for (int i = 0; i < 3; i++) CHECK(strcmp(a.vocab.names[i], b.vocab.names[i]) == 0);
    int32_t wa[] = {2, 1, 1, 2, 3};
    CHECK(window_is(&a.training, 0, wa));
    dataset_free(&a);
    dataset_free(&b);
    /* Names compare bytewise: "close" < "read" at equal counts. */
    string_table names;
    string_table_init(&names);
    string_table_intern(&names, "read", 4);
    string_table_intern(&names, "close", 5);
    string_table_intern(&names, "zzz", 3);
    string_table_intern(&names, "unused", 6);
    int64_t counts[] = {7, 7, 9, 0};
    int32_t id_of[4];
    vocabulary v = {0};
    vocabulary_by_rank(&names, counts, id_of, &v);
    CHECK(v.size == 3 && id_of[2] == 1 && id_of[1] == 2 && id_of[0] == 3 && id_of[3] == 0);
    vocabulary_free(&v);
    string_table_free(&names);
}

static void test_pid_ids(void) {
    write_file("unm.txt", "10 3\n11 5\n\n10 4\n11 5\n10 3\n");
    const char *f[] = {"unm.txt"};
    dataset ds;
    error_info err;
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_RUN, 0.3}, &ds, &err) == 0);
    /* pid 10: 3 4 3, pid 11: 5 5; IDs 3=1, 5=2, 4=3; one trace per pid, pid 11 (last) is the test run */
    CHECK(ds.training.count == 2 && ds.testing.count == 1);
    int32_t a[] = {1, 3}, b[] = {3, 1}, c[] = {2, 2};
    CHECK(window_is(&ds.training, 0, a) && window_is(&ds.training, 1, b) && window_is(&ds.testing, 0, c));
    dataset_free(&ds);
    write_file("unm_bad.txt", "10 3\n10 x\n");
    const char *g[] = {"unm_bad.txt"};
    CHECK(build(g, 1, INPUT_PID_IDS, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "unm_bad.txt:2: 'x' is not a system call number");
    write_file("unm_bad3.txt", "10 3 4\n");
    const char *h[] = {"unm_bad3.txt"};
    CHECK(build(h, 1, INPUT_PID_IDS, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "unm_bad3.txt:1: expected 'PID SYSCALL'");
}

static const char *STRACE_LOG = "100 1.0 openat(AT_FDCWD, \"a\", O_RDONLY) = 3\n"
                                "100 1.1 read(3,  <unfinished ...>\n"
                                "101 1.2 write(1, \"x\", 1) = 1\n"
                                "100 1.3 <... read resumed>\"abc\", 10) = 3\n"
                                "100 1.4 close(3) = 0\n"
                                "101 1.45 --- SIGCHLD {si_signo=SIGCHLD} ---\n"
                                "100 1.5 exit_group(0) = ?\n"
                                "100 1.6 +++ exited with 0 +++\n";

static void test_strace_known_answer(void) {
    write_file("log1.strace", STRACE_LOG);
    const char *f[] = {"log1.strace"};
    dataset ds;
    error_info err;
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){5, 1, SPLIT_WINDOW, 0}, &ds, &err) == 0);
    /* all count 1: alphabetical close exit_group openat read write */
    int32_t call[] = {3, 4, 5, 1, 2};
    CHECK(ds.training.count == 1 && window_is(&ds.training, 0, call));
    dataset_free(&ds);
    /* entry-exit: read's exit sits where it resumed, exit_group has no exit */
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_ENTRY_EXIT, 0, (build_options){9, 1, SPLIT_WINDOW, 0}, &ds, &err) == 0);
    /* counts: close 2, openat 2, read 2, write 2, exit_group 1 */
    int32_t ee[] = {2, 2, 3, 4, 4, 3, 1, 1, 5};
    CHECK(ds.training.count == 1 && window_is(&ds.training, 0, ee));
    CHECK(strcmp(ds.vocab.names[4], "exit_group") == 0);
    dataset_free(&ds);
    /* --include-signals keeps the signal and the exit as events */
    CHECK(build(f, 1, INPUT_STRACE, EVENTS_CALL, 1, (build_options){7, 1, SPLIT_WINDOW, 0}, &ds, &err) == 0);
    CHECK(ds.training.count == 1 && ds.vocab.size == 7);
    int found_exit = 0, found_sig = 0;
    for (int i = 0; i < ds.vocab.size; i++) {
        found_exit |= strcmp(ds.vocab.names[i], "+++exited") == 0;
        found_sig |= strcmp(ds.vocab.names[i], "SIGCHLD") == 0;
    }
    CHECK(found_exit && found_sig);
    dataset_free(&ds);
    /* too little data */
    CHECK(build(f, 1, INPUT_STRACE, EVENTS_CALL, 0, (build_options){200, 5, SPLIT_WINDOW, 0.1}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "too little data");
    CHECK_STR_CONTAINS(err.message, "has 5 events");
    /* one run cannot be split by run */
    CHECK(build(f, 1, INPUT_STRACE, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_RUN, 0.1}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "--split run needs at least two");
    /* nothing strace-like with --format strace */
    write_file("notstrace.txt", "hello world\nsecond line\n");
    const char *g[] = {"notstrace.txt"};
    CHECK(build(g, 1, INPUT_STRACE, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "notstrace.txt:1: no system calls found");
    /* auto-detection refuses what it cannot recognise */
    CHECK(build(g, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &ds, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "cannot tell the format");
}

/* --split run: no test window may come from a training run. Runs use disjoint
 * alphabets, so each window tells which run it came from. */
static void test_split_run_no_leak(void) {
    const char *files[6];
    char names[6][32];
    uint32_t state = 7;
    for (int r = 0; r < 6; r++) {
        snprintf(names[r], sizeof names[r], "run%d.ids", r);
        FILE *f = fopen(names[r], "w");
        int n = 300 + 97 * r;
        for (int i = 0; i < n; i++) {
            state = state * 1664525u + 1013904223u;
            fprintf(f, "%d ", 100 * (r + 1) + (int)((state >> 16) % 7));
        }
        fclose(f);
        files[r] = names[r];
    }
    dataset ds;
    error_info err;
    CHECK(build(files, 6, INPUT_IDS, EVENTS_CALL, 0, (build_options){20, 5, SPLIT_RUN, 0.3}, &ds, &err) == 0);
    CHECK(ds.testing.count > 0 && ds.training.count > 0);
    int train_runs[6] = {0}, test_runs[6] = {0}, mixed = 0;
    const window_set *sets[2] = {&ds.training, &ds.testing};
    for (int s = 0; s < 2; s++)
        for (int64_t w = 0; w < sets[s]->count; w++) {
            int run = -1;
            for (int j = 0; j < 20; j++) {
                int id = sets[s]->ids[w * 20 + j];
                int r = atoi(ds.vocab.names[id - 1]) / 100 - 1;
                if (run >= 0 && r != run) mixed++;
                run = r;
            }
            (s ? test_runs : train_runs)[run]++;
        }
    CHECK(mixed == 0);
    int test_run_count = 0;
    for (int r = 0; r < 6; r++) {
        CHECK_MSG(!(train_runs[r] && test_runs[r]), "run %d has windows in both splits", r);
        test_run_count += test_runs[r] > 0;
    }
    /* the last runs are the test runs, and the share is near 0.3 */
    CHECK(test_runs[5] > 0 && test_runs[0] == 0 && test_run_count >= 1);
    double share = (double)ds.testing.count / (double)(ds.testing.count + ds.training.count);
    CHECK_MSG(share > 0.15 && share < 0.45, "test share %.3f", share);
    dataset_stats st;
    dataset_compute_stats(&ds, &st);
    CHECK(st.testing_in_training == 0);
    dataset_free(&ds);
    /* The same data split by window leaks (overlapping windows at the boundary are allowed there). */
    CHECK(build(files, 6, INPUT_IDS, EVENTS_CALL, 0, (build_options){20, 5, SPLIT_WINDOW, 0.3}, &ds, &err) == 0);
    CHECK(ds.testing.count == (int64_t)(0.3 * (double)(ds.testing.count + ds.training.count) + 0.5));
    dataset_free(&ds);
}

static void test_paper_round_trip(void) {
    mkdir("paper_in", 0777);
    mkdir("paper_in/sequence_length_4", 0777);
    const char *train = "1,1,2,2\n2,2,3,3\n1,1,3,3", *test = "3,3,1,1";
    write_file("paper_in/sequence_length_4/training", train);
    write_file("paper_in/sequence_length_4/testing", test);
    const char *f[] = {"paper_in"};
    dataset ds;
    error_info err;
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){0, 5, SPLIT_RUN, 0.1}, &ds, &err) == 0);
    CHECK(ds.training.count == 3 && ds.testing.count == 1 && ds.length == 4 && ds.vocab.size == 3);
    CHECK(dataset_write_outputs(&ds, "paper_out", &err) == 0);
    char *a = read_all("paper_out/sequence_length_4/training"), *b = read_all("paper_out/sequence_length_4/testing");
    CHECK(a && strcmp(a, train) == 0);
    CHECK(b && strcmp(b, test) == 0);
    free(a);
    free(b);
    /* and the .h5 holds the same */
    dataset back;
    CHECK(dataset_load("paper_out/t.h5", 0, &back, &err) == 0);
    CHECK(back.training.count == 3 && memcmp(back.training.ids, ds.training.ids, 12 * sizeof(int32_t)) == 0);
    dataset_free(&back);
    /* the files one by one */
    const char *g[] = {"paper_in/sequence_length_4/training", "paper_in/sequence_length_4/testing"};
    CHECK(build(g, 2, INPUT_AUTO, EVENTS_CALL, 0, (build_options){0, 5, SPLIT_RUN, 0.1}, &back, &err) == 0);
    CHECK(back.training.count == 3 && back.testing.count == 1);
    dataset_free(&back);
    /* windows cannot be re-cut */
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){8, 5, SPLIT_RUN, 0.1}, &back, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "--length 8");
    /* .npy (N, L, 1) round trip */
    int64_t shape[3] = {3, 4, 1};
    CHECK(npy_write_int32("training.npy", ds.training.ids, 3, shape, &err) == 0);
    int64_t shape_t[3] = {1, 4, 1};
    CHECK(npy_write_int32("testing.npy", ds.testing.ids, 3, shape_t, &err) == 0);
    const char *h[] = {"training.npy", "testing.npy"};
    CHECK(build(h, 2, INPUT_AUTO, EVENTS_CALL, 0, (build_options){0, 5, SPLIT_RUN, 0.1}, &back, &err) == 0);
    CHECK(back.training.count == 3 && back.testing.count == 1);
    CHECK(memcmp(back.training.ids, ds.training.ids, 12 * sizeof(int32_t)) == 0);
    CHECK(memcmp(back.testing.ids, ds.testing.ids, 4 * sizeof(int32_t)) == 0);
    dataset_free(&back);
    /* mixing windows and traces is refused */
    write_file("mix.ids", "1 2 3 4 5 6\n");
    const char *m[] = {"paper_in", "mix.ids"};
    CHECK(build(m, 2, INPUT_AUTO, EVENTS_CALL, 0, (build_options){0, 5, SPLIT_RUN, 0.1}, &back, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "cannot be mixed");
    dataset_free(&ds);
}

static void test_detection(void) {
    char *d;
    size_t n;
    error_info err;
    struct {
        const char *path, *text;
        input_format want;
    } cases[] = {
        {"d1.txt", "1234 5\n1234 6\n1235 5\n", INPUT_PID_IDS},
        {"d2.txt", "6 6 3 6 3 1 ", INPUT_IDS},
        {"d3.txt", "1,2,3\n4,5,6\n", INPUT_PAPER},
        {"testing", "1,2,3", INPUT_PAPER},
        {"d4.txt", "6\n6\n3\n", INPUT_IDS},
        {"d5.txt", "execve(\"/bin/true\", [\"true\"], 0x7ffe /* 1 var */) = 0\nbrk(NULL) = 0x55d0\n", INPUT_STRACE},
        {"d6.txt", "some words\n", INPUT_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file(cases[i].path, cases[i].text);
        CHECK(read_input_file(cases[i].path, &d, &n, &err) == 0);
        input_format got = detect_input_format(cases[i].path, d, n);
        CHECK_MSG(got == cases[i].want, "%s: detected %s, expected %s", cases[i].path, input_format_name(got),
                  input_format_name(cases[i].want));
        free(d);
    }
}

/* Writes `text` xz-compressed to `path` (two concatenated streams when
 * `split`, as `cat a.xz b.xz` makes) and returns the compressed size. */
static size_t write_xz(const char *path, const char *text, int split) {
    size_t n = strlen(text), half = split ? n / 2 : n, cap = n + 4096, used = 0;
    uint8_t *buf = malloc(cap);
    CHECK(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, half, buf, &used, cap) == LZMA_OK);
    if (split)
        CHECK(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text + half, n - half, buf, &used,
                                      cap) == LZMA_OK);
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, used, f);
    fclose(f);
    free(buf);
    return used;
}

static void test_xz(void) {
    write_file("log2.strace", STRACE_LOG);
    size_t zn = write_xz("log2.strace.xz", STRACE_LOG, 0);
    write_xz("log2cat.strace.xz", STRACE_LOG, 1);
    const char *f[] = {"log2.strace.xz"}, *g[] = {"log2.strace"}, *c[] = {"log2cat.strace.xz"};
    dataset a, b;
    error_info err;
    CHECK(build(f, 1, INPUT_AUTO, EVENTS_ENTRY_EXIT, 0, (build_options){9, 1, SPLIT_WINDOW, 0}, &a, &err) == 0);
    CHECK(build(g, 1, INPUT_AUTO, EVENTS_ENTRY_EXIT, 0, (build_options){9, 1, SPLIT_WINDOW, 0}, &b, &err) == 0);
    CHECK(a.training.count == 1 && memcmp(a.training.ids, b.training.ids, 9 * sizeof(int32_t)) == 0);
    dataset_free(&a);
    /* concatenated streams read as one text, as `xz -dc` reads them */
    CHECK(build(c, 1, INPUT_AUTO, EVENTS_ENTRY_EXIT, 0, (build_options){9, 1, SPLIT_WINDOW, 0}, &a, &err) == 0);
    CHECK(a.training.count == 1 && memcmp(a.training.ids, b.training.ids, 9 * sizeof(int32_t)) == 0);
    dataset_free(&a);
    dataset_free(&b);
    /* a truncated .xz is an error naming the file, not a short trace */
    test_copy_prefix("log2.strace.xz", "bad.strace.xz", 40);
    const char *h[] = {"bad.strace.xz"};
    CHECK(build(h, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &a, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "bad.strace.xz: damaged .xz file");
    CHECK_STR_CONTAINS(err.message, "truncated");
    /* so is one whose compressed data are corrupt (a byte flipped inside the stream) */
    char *z = read_all("log2.strace.xz");
    z[zn / 2] ^= 0x55;
    FILE *out = fopen("corrupt.strace.xz", "wb");
    fwrite(z, 1, zn, out);
    fclose(out);
    free(z);
    const char *k[] = {"corrupt.strace.xz"};
    CHECK(build(k, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &a, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "corrupt.strace.xz: damaged .xz file");
    CHECK_STR_CONTAINS(err.message, "corrupt");
    /* the .xz magic followed by anything else */
    static const char fake[] = "\xFD" "7zXZ\0" "this is not an xz stream at all\n";
    out = fopen("fake.strace.xz", "wb");
    fwrite(fake, 1, sizeof fake - 1, out);
    fclose(out);
    const char *m[] = {"fake.strace.xz"};
    CHECK(build(m, 1, INPUT_AUTO, EVENTS_CALL, 0, (build_options){2, 1, SPLIT_WINDOW, 0}, &a, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "fake.strace.xz: damaged .xz file");
}

/* -ff files of one capture form one run; their pid comes from the name. */
static void test_ff_family(void) {
    mkdir("ff", 0777);
    write_file("ff/a.100", "openat(AT_FDCWD, \"a\", O_RDONLY) = 3\nread(3, \"\", 1) = 0\nclose(3) = 0\nexit_group(0) = ?\n");
    write_file("ff/a.101", "getpid() = 101\ngetppid() = 100\nexit_group(0) = ?\n");
    write_file("ff/b.200", "getpid() = 200\ngetpid() = 200\ngetpid() = 200\nexit_group(0) = ?\n");
    /* a thread that made no call leaves a file with its exit line only */
    write_file("ff/a.102", "+++ exited with 0 +++\n");
    const char *f[] = {"ff/a.100", "ff/a.101", "ff/b.200", "ff/a.102"};
    trace_set ts;
    trace_set_init(&ts, EVENTS_CALL, 0);
    error_info err;
    input_report rep;
    for (int i = 0; i < 4; i++) CHECK(trace_set_add(&ts, f[i], i == 3 ? INPUT_STRACE : INPUT_AUTO, &rep, &err) == 0);
    CHECK(ts.seq_count == 4 && ts.run_keys.count == 2 && ts.seqs[3].count == 0 && ts.seqs[3].run == ts.seqs[0].run);
    CHECK(ts.seqs[0].run == ts.seqs[1].run && ts.seqs[2].run != ts.seqs[0].run);
    trace_set_free(&ts);
}

/* Leakage statistics: verbatim among windows, and at any offset of the training traces. */
static void test_stats(void) {
    dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.length = 4;
    ds.stride = 2;
    int32_t train[] = {1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8, /* one trace 1..8 */ 9, 9, 9, 9, 9, 9, 9, 9};
    int32_t test[] = {2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 9, 9, 7, 7, 7, 7, 9, 9, 9, 9};
    window_set_init(&ds.training, 5, 4);
    memcpy(ds.training.ids, train, sizeof train);
    window_set_init(&ds.testing, 5, 4);
    memcpy(ds.testing.ids, test, sizeof test);
    dataset_stats st;
    dataset_compute_stats(&ds, &st);
    CHECK(st.distinct_training == 4 && st.distinct_testing == 5);
    CHECK(st.testing_in_training == 2);         /* 5678 and 9999 */
    CHECK(st.testing_in_training_traces == 3);  /* and 2345 inside 1..8; 8999 spans two traces */
    ds.stride = 0; /* the paper's layout: the stride is inferred from the overlaps */
    dataset_compute_stats(&ds, &st);
    CHECK(st.stride == 2 && st.testing_in_training_traces == 3);
    ds.training.count = 1; /* a single window: nothing to infer from */
    dataset_compute_stats(&ds, &st);
    CHECK(st.stride == 0 && st.testing_in_training_traces == -1);
    ds.training.count = 5;
    dataset_free(&ds);
}

/* Random text from the characters the readers care about: every input must
 * either load or fail with a message, never crash (run under ASan). */
static void test_random_inputs(void) {
    const char alphabet[] = "0123456789 ,\n\t-+.x()\"<>[]{}=?";
    uint32_t state = 99;
    int loaded = 0, refused = 0;
    for (int round = 0; round < 300; round++) {
        char text[256];
        state = state * 1664525u + 1013904223u;
        int n = 1 + (int)((state >> 8) % 200);
        for (int i = 0; i < n; i++) {
            state = state * 1664525u + 1013904223u;
            /* every other input from the integer formats' characters only */
            size_t k = (round / 6) % 2 ? 14 : sizeof alphabet - 1;
            text[i] = alphabet[(state >> 8) % k];
        }
        text[n] = 0;
        write_file("random.txt", text);
        trace_set ts;
        trace_set_init(&ts, round % 2 ? EVENTS_ENTRY_EXIT : EVENTS_CALL, round % 3 == 0);
        input_report rep;
        error_info err;
        err.message[0] = 0;
        if (trace_set_add(&ts, "random.txt", (input_format)(round % 6 == 2 ? INPUT_AUTO : round % 6), &rep, &err) == 0) {
            loaded++;
            dataset ds;
            if (dataset_build(&ts, &(build_options){3, 1, SPLIT_WINDOW, 0.2}, "r", NULL, &ds, &err) == 0) dataset_free(&ds);
        } else {
            refused++;
            CHECK_MSG(strstr(err.message, "random.txt") != NULL, "message without the file name: %s", err.message);
        }
        trace_set_free(&ts);
    }
    CHECK_MSG(loaded > 0 && refused > 0, "%d loaded, %d refused", loaded, refused);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    test_ids_known_answer();
    test_tie_break();
    test_pid_ids();
    test_strace_known_answer();
    test_split_run_no_leak();
    test_paper_round_trip();
    test_detection();
    test_xz();
    test_ff_family();
    test_stats();
    test_random_inputs();
    return test_finish("test_dataset_build");
}
