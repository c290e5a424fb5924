/* Tests of the `dataset` program itself: build, info and export on small
 * inputs, and for every kind of bad input a non-zero exit with a message that
 * names the file, the line and the problem, and no half-written output.
 * With the argument "capture" it tests `dataset capture` instead (exit 77,
 * skipped, where strace cannot trace). */
#include "test_util.h"
#include "window_source.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char out_text[1 << 16];

/* Run the tool with arguments (a shell fragment); stdout+stderr land in out_text. */
static int tool(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s > tool.out 2>&1", DATASET_TOOL, args);
    int st = system(cmd);
    FILE *f = fopen("tool.out", "rb");
    size_t n = f ? fread(out_text, 1, sizeof out_text - 1, f) : 0;
    out_text[n] = 0;
    if (f) fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static int no_tmp_files(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "test -z \"$(find %s -name '*.tmp' 2>/dev/null)\"", dir);
    return system(cmd) == 0;
}

static void make_log(const char *path, int calls) {
    FILE *f = fopen(path, "w");
    const char *names[] = {"read", "write", "openat", "close", "mmap", "fstat"};
    for (int i = 0; i < calls; i++)
        fprintf(f, "42 %d.%06d %s(3, \"x\", 1) = 1 <0.000010>\n", 1000 + i / 1000, i % 1000,
                names[(i * 7 + i / 3) % 6]);
    fprintf(f, "42 2000.000000 exit_group(0) = ?\n42 2000.000100 +++ exited with 0 +++\n");
    fclose(f);
}

static void test_build_info_export(void) {
    system("rm -rf out1 out2 r1.strace r2.strace r3.strace");
    make_log("r1.strace", 400);
    make_log("r2.strace", 300);
    make_log("r3.strace", 350);
    int rc = tool("build --name small --from r1.strace r2.strace r3.strace --length 20 --stride 5 --events entry-exit "
                  "--split run --test-fraction 0.3 --out out1");
    CHECK_MSG(rc == 0, "build failed: %s", out_text);
    CHECK_STR_CONTAINS(out_text, "r1.strace: strace, 402 lines, 401 calls");
    CHECK(exists("out1/small.h5") && exists("out1/sequence_length_20/training") &&
          exists("out1/sequence_length_20/testing"));
    CHECK(no_tmp_files("out1"));
    rc = tool("info out1");
    CHECK(rc == 0);
    CHECK_STR_CONTAINS(out_text, "dataset:     small");
    CHECK_STR_CONTAINS(out_text, "split run");
    CHECK_STR_CONTAINS(out_text, "leakage:");
    CHECK_STR_CONTAINS(out_text, "vocabulary:  7 event types");
    CHECK_STR_CONTAINS(out_text, "source:      r3.strace");
    CHECK_STR_CONTAINS(out_text, "built by:");
    dataset ds;
    error_info err;
    CHECK(dataset_load("out1/small.h5", 0, &ds, &err) == 0);
    CHECK(ds.length == 20 && ds.stride == 5 && strcmp(ds.events, "entry-exit") == 0 && strcmp(ds.split, "run") == 0);
    CHECK(ds.source_count == 3 && ds.command_line && strstr(ds.command_line, "--test-fraction 0.3"));
    /* exit_group never returns: one event; every other call two */
    CHECK(ds.vocab.size == 7 && strcmp(ds.vocab.names[6], "exit_group") == 0 && ds.vocab.counts[6] == 3);
    dataset_free(&ds);
    /* export writes the paper layout (and .npy) from the .h5 */
    rc = tool("export out1/small.h5 --out out2 --npy");
    CHECK_MSG(rc == 0, "export failed: %s", out_text);
    CHECK(system("cmp -s out1/sequence_length_20/training out2/sequence_length_20/training") == 0);
    CHECK(system("cmp -s out1/sequence_length_20/testing out2/sequence_length_20/testing") == 0);
    window_set a, b;
    CHECK(windows_load("out2/sequence_length_20/training.npy", "training", 0, &a, &err) == 0);
    CHECK(windows_load("out1/sequence_length_20/training", "training", 0, &b, &err) == 0);
    CHECK(a.count == b.count && a.length == b.length &&
          memcmp(a.ids, b.ids, (size_t)a.count * (size_t)a.length * sizeof(int32_t)) == 0);
    window_set_free(&a);
    window_set_free(&b);
    /* the paper layout builds back into the same windows */
    rc = tool("build --name again --from out2/sequence_length_20 --out out3");
    CHECK_MSG(rc == 0, "rebuild failed: %s", out_text);
    CHECK(system("cmp -s out1/sequence_length_20/training out3/sequence_length_20/training") == 0);
    /* and a dataset .h5 too, keeping its event names */
    rc = tool("build --name again --from out1/small.h5 --out out4");
    CHECK_MSG(rc == 0, "rebuild from .h5 failed: %s", out_text);
    CHECK(system("cmp -s out1/sequence_length_20/testing out4/sequence_length_20/testing") == 0);
    CHECK(tool("info out4") == 0);
    CHECK_STR_CONTAINS(out_text, "exit_group");
    /* A copy of the tool without the trial-read helpers beside it refuses to
     * read HDF5 files, naming the missing helper, instead of skipping the check. */
    CHECK(system("rm -rf lonely && mkdir lonely && cp '" DATASET_TOOL "' lonely/dataset") == 0);
    int st = system("lonely/dataset info out4/again.h5 > lonely.out 2>&1");
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 1, "dataset info without its helper: status %d", st);
    FILE *lf = fopen("lonely.out", "rb");
    size_t ln = lf ? fread(out_text, 1, sizeof out_text - 1, lf) : 0;
    out_text[ln] = 0;
    if (lf) fclose(lf);
    CHECK_STR_CONTAINS(out_text, "out4/again.h5: cannot read this dataset file: its trial-read helper");
    CHECK_STR_CONTAINS(out_text, "lonely/h5-trial-read-dataset is missing");
    system("rm -rf lonely lonely.out");
    system("rm -rf out1 out2 out3 out4");
}

static void expect_failure(const char *args, const char *message) {
    int rc = tool(args);
    CHECK_MSG(rc != 0, "'dataset %s' succeeded", args);
    CHECK_MSG(strstr(out_text, message) != NULL, "'dataset %s': output lacks '%s':\n%s", args, message, out_text);
}

static void test_errors(void) {
    system("rm -rf bad_out");
    write_file("bad_ids.txt", "1 2 3\n4 five 6\n");
    expect_failure("build --name b --format ids --from bad_ids.txt --out bad_out", "bad_ids.txt:2: 'five' is not a system call number");
    write_file("bad_pid.txt", "10 3\n10 4\n10\n");
    expect_failure("build --name b --format pid-ids --from bad_pid.txt --out bad_out", "bad_pid.txt:3: expected 'PID SYSCALL'");
    write_file("prose.txt", "Dear reader,\nthis is a letter.\n");
    expect_failure("build --name b --from prose.txt --out bad_out", "prose.txt: cannot tell the format");
    expect_failure("build --name b --format strace --from prose.txt --out bad_out", "prose.txt:1: no system calls found");
    write_file("empty.txt", "");
    expect_failure("build --name b --format strace --from empty.txt --out bad_out", "empty.txt: no system calls");
    expect_failure("build --name b --from does-not-exist.strace --out bad_out", "does-not-exist.strace: cannot open");
    make_log("tiny.strace", 10);
    expect_failure("build --name b --from tiny.strace --out bad_out --split window", "too little data");
    expect_failure("build --name b --from tiny.strace --out bad_out --length 5", "--split run needs at least two");
    write_file("ragged", "1,2,3\n4,5\n");
    expect_failure("build --name b --format paper --from ragged --out bad_out", "ragged:2");
    write_file("bad.npy", "\x93NUMPY garbage");
    expect_failure("build --name b --from bad.npy --out bad_out", "bad.npy");
    if (system("command -v xz >/dev/null 2>&1") == 0) {
        make_log("z.strace", 50);
        system("rm -f z.strace.xz && xz z.strace && head -c 60 z.strace.xz > broken.strace.xz");
        expect_failure("build --name b --from broken.strace.xz --out bad_out", "broken.strace.xz: damaged .xz file");
    }
    /* unparsed lines are reported with file:line, and --strict refuses them */
    make_log("mixed.strace", 300);
    system("echo 'garbage in the middle' >> mixed.strace");
    make_log("mixed2.strace", 300);
    int rc = tool("build --name m --from mixed.strace mixed2.strace --length 20 --out bad_out2");
    CHECK(rc == 0);
    CHECK_STR_CONTAINS(out_text, "mixed.strace:303: unparsed (not a line strace writes): garbage in the middle");
    CHECK_STR_CONTAINS(out_text, "1 unparsed");
    expect_failure("build --name m --from mixed.strace mixed2.strace --length 20 --out bad_out3 --strict", "--strict");
    CHECK(!exists("bad_out3/m.h5"));
    /* usage errors */
    CHECK(tool("build --from x") == 2);
    CHECK(tool("build --name 'a/b' --from x") == 2);
    CHECK(tool("build --name a --from x --length 0") == 2);
    CHECK(tool("build --name a --from x --events both") == 2);
    CHECK(tool("build --name a --from x --test-fraction 1.5") == 2);
    CHECK(tool("frobnicate") == 2);
    CHECK(tool("--help") == 0);
    /* a command's --help prints the usage instead of refusing; after capture's "--" it belongs to the program */
    CHECK(tool("build --help") == 0);
    CHECK(tool("report -h") == 0);
    CHECK(tool("info --name x --help") == 0);
    expect_failure("info no-such-dataset-here", "no-such-dataset-here: no such file or dataset");
    write_file("not_h5.h5", "plain text");
    expect_failure("info not_h5.h5", "not_h5.h5");
    /* nothing half-written anywhere */
    CHECK(!exists("bad_out/b.h5"));
    CHECK(no_tmp_files("."));
    system("rm -rf bad_out bad_out2 bad_out3");
}

static int test_capture(void) {
    if (system("strace -o /dev/null true >/dev/null 2>&1") != 0) {
        printf("test_dataset_tool capture: skipped: strace is missing or cannot trace here (ptrace refused?)\n");
        return TEST_SKIP_CODE;
    }
    system("rm -rf cap");
    char args[1024];
    snprintf(args, sizeof args, "capture --name c --out cap -- %s fork", TRACE_HELPER);
    int rc = tool(args);
    CHECK_MSG(rc == 0, "capture failed: %s", out_text);
    CHECK(exists("cap/run-001.strace"));
    CHECK_STR_CONTAINS(out_text, "0 unparsed");
    /* --xz compresses in the process (liblzma): no xz program needed, and the log is gone */
    snprintf(args, sizeof args, "capture --name c --out cap --xz -- %s threads", TRACE_HELPER);
    rc = tool(args);
    CHECK_MSG(rc == 0, "capture failed: %s", out_text);
    CHECK(exists("cap/run-002.strace.xz") && !exists("cap/run-002.strace"));
    /* the command's failure is reported, and the log is kept */
    rc = tool("capture --name c --out cap -- sh -c 'exit 3'");
    CHECK(rc == 1 && exists("cap/run-003.strace"));
    CHECK_STR_CONTAINS(out_text, "exited with status 3");
    CHECK(no_tmp_files("cap"));
    rc = tool("build --name c --from cap/run-001.strace cap/run-002.strace.xz --length 10 --stride 2 --out cap/ds");
    CHECK_MSG(rc == 0, "build from captures failed: %s", out_text);
    CHECK(exists("cap/ds/c.h5"));
    CHECK(tool("capture --name c --out cap") == 2);
    system("rm -rf cap");
    return test_finish("test_dataset_tool capture");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "capture") == 0) return test_capture();
    test_build_info_export();
    test_errors();
    return test_finish("test_dataset_tool");
}
