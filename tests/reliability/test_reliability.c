/* Hostile-input tests for every tool: each case runs the real binary on one
 * bad input (empty, non-numeric, out-of-range IDs, ragged windows, damaged or
 * foreign HDF5, wrong format versions, NaN/inf, mismatched lengths, an
 * unwritable output directory, a full disk, inputs larger than memory, absurd
 * options) and expects a non-zero exit, a message naming the file and line
 * (or tensor) and what is wrong, no sanitizer report, and no file left behind
 * (not even a temporary). The `train_faults` section checks SIGINT/SIGTERM
 * during training and `kill -9` followed by --resume.
 *
 * usage: test_reliability SECTION [--dataset-tool P] [--evaluate-tool P]
 *        [--train-tool P] [--generate-tool P] [--forward-tool P]
 * SECTION: dataset | evaluate | train | train_faults | generate | forward */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdint.h>

#include "error.h"
#include "run_tool.h"
#include "h5_util.h"
#include "test_util.h"

static const char *tool_dataset, *tool_evaluate, *tool_train, *tool_generate, *tool_forward;
static char work[4096];       /* this section's directory */
static char case_dir[4096];   /* the running case's directory */

/* ---- paths: "@x" is x in the case's directory, "%x" x in the shared one ---- */

static const char *expand(const char *arg) {
    static char ring[64][4400];
    static int next;
    if (arg[0] != '@' && arg[0] != '%') return arg;
    char *p = ring[next++ % 64];
    snprintf(p, 4400, "%s/%s", arg[0] == '@' ? case_dir : work, arg + 1);
    return p;
}

/* Shared inputs live directly in the section's directory. */
static const char *shared(const char *name) {
    static char ring[32][4400];
    static int next;
    char *p = ring[next++ % 32];
    snprintf(p, 4400, "%s/%s", work, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die("test: cannot write %s", path);
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* A copy cut to `fraction` of the original. */
static void truncated_copy(const char *from, const char *to, double fraction) {
    test_copy_prefix(from, to, (long long)((double)file_size(from) * fraction));
}

/* A copy whose middle part is overwritten (the HDF5 superblock stays intact,
 * so the damage is found by structure checks, not by the signature). */
static void corrupted_copy(const char *from, const char *to) {
    test_copy_prefix(from, to, -1);
    long long n = file_size(to);
    FILE *f = fopen(to, "r+b");
    if (!f) die("test: cannot open %s", to);
    for (long long i = n / 4; i < n * 3 / 4; i += 7) {
        fseek(f, i, SEEK_SET);
        fputc((int)((i * 131) & 0xff), f);
    }
    fclose(f);
}

/* An HDF5 file that is neither a dataset nor a checkpoint. */
static void foreign_h5(const char *path) {
    hid_t f = h5_create_checksummed(path);
    double v[4] = {1, 2, 3, 4};
    hsize_t dims[1] = {4};
    H5LTmake_dataset_double(f, "measurements", 1, dims, v);
    H5LTset_attribute_string(f, ".", "title", "someone else's file");
    H5Fclose(f);
}

/* An HDF5 file in the older format without metadata checksums (superblock
 * version 0, what h5py writes by default) that claims to be `format`. */
static void old_format_h5(const char *path, const char *format) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int v[16];
    for (int i = 0; i < 16; i++) v[i] = 1 + i % 8;
    hsize_t dims[2] = {2, 8};
    H5LTmake_dataset_int(f, "windows", 2, dims, v);
    H5LTset_attribute_string(f, ".", "format", format);
    H5Fclose(f);
}

/* The root group's object-header address in a checksummed superblock (its
 * first 48 bytes, 8-byte addresses) of the file `from`. */
static long long root_header_address(const unsigned char *sb, size_t n, const char *from) {
    if (n < 48 || sb[8] < 2 || sb[9] != 8) die("test: %s: not a checksummed HDF5 file", from);
    long long root = 0;
    for (int i = 0; i < 8; i++) root |= (long long)sb[36 + i] << (8 * i);
    return root;
}

/* A copy with one byte of the root group's object header changed: only the
 * header's checksum can tell. */
static void metadata_damaged_copy(const char *from, const char *to) {
    test_copy_prefix(from, to, -1);
    FILE *f = fopen(to, "r+b");
    if (!f) die("test: cannot open %s", to);
    unsigned char sb[48];
    long long root = root_header_address(sb, fread(sb, 1, 48, f), from);
    fseek(f, root + 24, SEEK_SET);
    int c = fgetc(f);
    fseek(f, root + 24, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
}

/* A copy crafted to crash libhdf5 1.10 with every checksum valid: the root
 * group's link-info message gets a fractal-heap address while its name index
 * stays undefined, so libhdf5 opens an undefined B-tree (a NULL read). The
 * checksum of the header block holding the message (the root's first chunk,
 * or a continuation block) is recomputed, so only the trial read by the
 * h5-trial-read-KIND helper (io/h5_probe.h) stands between this file and a
 * crash. */
static void crafted_copy(const char *from, const char *to) {
    test_copy_prefix(from, to, -1);
    long long size = file_size(to);
    unsigned char *d = malloc((size_t)size);
    FILE *f = fopen(to, "r+b");
    if (!f || !d || fread(d, 1, (size_t)size, f) != (size_t)size) die("test: cannot read %s", to);
    long long root = root_header_address(d, (size_t)size, from);
    if (root + 8 > size || memcmp(d + root, "OHDR", 4) != 0) die("test: %s: no version-2 root object header", from);
    int flags = d[root + 5];
    long long p = root + 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0), len = 0;
    int width = 1 << (flags & 3);
    for (int i = 0; i < width; i++) len |= (long long)d[p + i] << (8 * i);
    p += width;
    /* Header blocks: [start, messages from, messages end); the checksum follows. */
    long long blocks[8][3] = {{root, p, p + len}};
    int nblocks = 1, done = 0;
    for (int b = 0; b < nblocks && !done; b++) {
        for (long long m = blocks[b][1]; !done && m + 4 <= blocks[b][2];) {
            int type = d[m], msize = d[m + 1] | d[m + 2] << 8;
            long long data = m + 4 + (flags & 0x04 ? 2 : 0);
            if (type == 0x10 && nblocks < 8) { /* continuation: address, length of an OCHK block */
                long long at = 0, n = 0;
                for (int i = 0; i < 8; i++) at |= (long long)d[data + i] << (8 * i);
                for (int i = 0; i < 8; i++) n |= (long long)d[data + 8 + i] << (8 * i);
                if (at + n <= size && !memcmp(d + at, "OCHK", 4)) {
                    blocks[nblocks][0] = at;
                    blocks[nblocks][1] = at + 4;
                    blocks[nblocks][2] = at + n - 4;
                    nblocks++;
                }
            }
            if (type == 0x02 && !(d[data + 1] & 1)) { /* link info without a creation-order field */
                static const unsigned char heap[8] = {0xe7, 0x0a, 0, 0, 0, 0, 0, 0x04};
                memcpy(d + data + 2, heap, 8);
                uint32_t sum = h5_checksum(d + blocks[b][0], (size_t)(blocks[b][2] - blocks[b][0]));
                for (int i = 0; i < 4; i++) d[blocks[b][2] + i] = (unsigned char)(sum >> (8 * i));
                done = 1;
            }
            m = data + msize;
        }
    }
    if (!done) die("test: %s: no link-info message in the root object header", from);
    fseek(f, 0, SEEK_SET);
    fwrite(d, 1, (size_t)size, f);
    fclose(f);
    free(d);
}

/* Copy an HDF5 file and overwrite one integer attribute of its root. */
static void h5_copy_set_int_attr(const char *from, const char *to, const char *attr, int value) {
    test_copy_prefix(from, to, -1);
    hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) die("test: cannot reopen %s", to);
    if (H5Aexists(f, attr) > 0) H5Adelete(f, attr);
    H5LTset_attribute_int(f, ".", attr, &value, 1);
    H5Fclose(f);
}

/* A .npy of float64 (or float32) values with the given 2-D shape. */
static void write_npy_float(const char *path, int rows, int cols, const double *v, int f32) {
    char hdr[160];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<f%d', 'fortran_order': False, 'shape': (%d, %d), }",
                     f32 ? 4 : 8, rows, cols);
    int pad = (64 - (10 + n + 1) % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) die("test: cannot write %s", path);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    unsigned short hl = (unsigned short)(n + pad + 1);
    fputc(hl & 0xff, f);
    fputc(hl >> 8, f);
    fwrite(hdr, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    for (int i = 0; i < rows * cols; i++) {
        if (f32) {
            float x = (float)v[i];
            fwrite(&x, 4, 1, f);
        } else {
            fwrite(&v[i], 8, 1, f);
        }
    }
    fclose(f);
}

/* A file that claims `bytes` but occupies no disk space (a hole). */
static int sparse_file(const char *path, const char *head, long long bytes) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (head) fwrite(head, 1, strlen(head), f);
    fflush(f);
    int rc = ftruncate(fileno(f), (off_t)bytes);
    fclose(f);
    return rc;
}

/* Windows in the paper layout: `rows` windows of `cols` IDs drawn from 1..vocab. */
static void write_windows(const char *path, int rows, int cols, int vocab, unsigned seed) {
    FILE *f = fopen(path, "wb");
    if (!f) die("test: cannot write %s", path);
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            seed = seed * 1103515245u + 12345u;
            fprintf(f, j ? ",%u" : "%u", 1 + (seed >> 16) % (unsigned)vocab);
        }
        if (i + 1 < rows) fputc('\n', f);
    }
    fclose(f);
}

static void paper_dir(const char *dir, int length, int vocab, int train_rows, int test_rows) {
    mkdir(dir, 0755);
    char p[4400];
    snprintf(p, sizeof p, "%s/training", dir);
    write_windows(p, train_rows, length, vocab, 1);
    snprintf(p, sizeof p, "%s/testing", dir);
    write_windows(p, test_rows, length, vocab, 2);
}

/* ---- running cases ---- */

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NEEDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int cases_run, cases_failed;

/* Fresh directory for the next case; inputs a case needs are written here. */
static const char *new_case(const char *name) {
    snprintf(case_dir, sizeof case_dir, "%s/%s", work, name);
    remove_tree(case_dir);
    if (mkdir(case_dir, 0755) != 0) die("test: cannot create %s", case_dir);
    return case_dir;
}

#define MAX_SNAP 256
typedef struct snapshot {
    int n;
    char names[MAX_SNAP][512];
} snapshot;

static void snap_dir(const char *dir, const char *rel, snapshot *s) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4400], r[1100];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) snap_dir(p, r, s);
        else if (s->n < MAX_SNAP) snprintf(s->names[s->n++], sizeof s->names[0], "%s", r);
    }
    closedir(d);
}

static int snap_has(const snapshot *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name)) return 1;
    return 0;
}

/* A needle may list alternatives separated by '|'. */
static int contains_any(const char *hay, const char *needle) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", needle);
    for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
        if (strstr(hay, tok)) return 1;
    return 0;
}

static void report_failure(const char *name, const char *const *argv, const run_result *r, const char *why) {
    cases_failed++;
    fprintf(stderr, "FAIL %s: %s\n  command:", name, why);
    for (int i = 0; argv[i]; i++) fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n  exit: %s %d%s\n  stderr: %.2000s\n", r->signaled ? "signal" : "code",
            r->signaled ? r->sig : r->code, r->timed_out ? " (timed out)" : "", r->err);
}

/* Report and leave the case (the callers return void). */
#define FAIL_CASE(...)                \
    do {                              \
        report_failure(__VA_ARGS__);  \
        return;                       \
    } while (0)

/* Run a tool that must fail on a bad input. `allowed` lists output names
 * (base names) the tool may legitimately leave (an append-only log). */
static void expect_failure_ex(const char *name, const char *const *args, const char *const *needles,
                              long long fsize, const char *const *allowed) {
    const char *argv[64];
    int n = 0;
    for (; args[n] && n < 63; n++) argv[n] = expand(args[n]);
    argv[n] = NULL;
    snapshot before = {0}, after = {0};
    snap_dir(case_dir, "", &before);
    char capture[4400];
    snprintf(capture, sizeof capture, "%s.run", case_dir);
    run_options o = {fsize, 300, NULL};
    run_result r;
    run_tool(argv, &o, capture, &r);
    cases_run++;
    if (r.timed_out) FAIL_CASE(name, argv, &r, "did not finish in time");
    if (r.signaled) FAIL_CASE(name, argv, &r, "crashed (killed by a signal)");
    if (r.code == 0) FAIL_CASE(name, argv, &r, "exit status 0 on a bad input");
    /* Reports, not the allocator's warnings about a failed huge malloc. */
    if (strstr(r.err, "ERROR: AddressSanitizer") || strstr(r.err, "ERROR: LeakSanitizer") ||
        strstr(r.err, "runtime error:"))
        FAIL_CASE(name, argv, &r, "sanitizer report");
    for (int i = 0; needles[i]; i++)
        if (!contains_any(r.err, needles[i])) {
            char why[700];
            snprintf(why, sizeof why, "message does not contain \"%s\"", needles[i]);
            FAIL_CASE(name, argv, &r, why);
        }
    snap_dir(case_dir, "", &after);
    for (int i = 0; i < after.n; i++) {
        if (snap_has(&before, after.names[i])) continue;
        const char *base = strrchr(after.names[i], '/');
        base = base ? base + 1 : after.names[i];
        int ok = 0;
        for (int k = 0; allowed && allowed[k]; k++) ok |= !strcmp(base, allowed[k]);
        if (ok && !strstr(base, ".tmp")) continue;
        char why[700];
        snprintf(why, sizeof why, "left a file behind: %s", after.names[i]);
        FAIL_CASE(name, argv, &r, why);
    }
    test_passed_count++;
    /* The last line of stderr is the error (notes and usage come first). */
    size_t len = strlen(r.err);
    while (len && r.err[len - 1] == '\n') r.err[--len] = 0;
    const char *last = strrchr(r.err, '\n');
    printf("ok   %-28s %.300s\n", name, last ? last + 1 : r.err);
}

static void expect_failure(const char *name, const char *const *args, const char *const *needles, long long fsize) {
    expect_failure_ex(name, args, needles, fsize, NULL);
}

/* For crafted files that crash libhdf5 in the tool's h5-trial-read-KIND helper on
 * purpose: under AddressSanitizer that SIGSEGV must end the helper as it does
 * in an uninstrumented build, not print a report. */
static void expect_crash_refused(const char *name, const char *const *args, const char *const *needles) {
    const char *old = getenv("ASAN_OPTIONS");
    char *saved = old ? strdup(old) : NULL;
    char opts[2048];
    snprintf(opts, sizeof opts, "%s%shandle_segv=0", saved ? saved : "", saved && *saved ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    expect_failure(name, args, needles, 0);
    if (saved) setenv("ASAN_OPTIONS", saved, 1);
    else unsetenv("ASAN_OPTIONS");
    free(saved);
}

/* A setup step that must succeed; returns 0 when it did. */
static int expect_success(const char *name, const char *const *args) {
    const char *argv[64];
    int n = 0;
    for (; args[n] && n < 63; n++) argv[n] = expand(args[n]);
    argv[n] = NULL;
    char capture[4400];
    snprintf(capture, sizeof capture, "%s/%s.setup", work, name);
    run_options o = {0, 600, NULL};
    run_result r;
    run_tool(argv, &o, capture, &r);
    if (r.exited && r.code == 0) return 0;
    report_failure(name, argv, &r, "setup step failed");
    return -1;
}

/* ---- dataset ---- */

static void section_dataset(void) {
    const char *D = tool_dataset;
    /* A good base dataset to derive damaged ones from. */
    write_windows(shared("good.ids"), 1, 600, 25, 3);
    if (expect_success("dataset-base", ARGS(D, "build", "--name", "base", "--from", "%good.ids", "--format", "ids",
                                            "--length", "10", "--stride", "5", "--split", "window", "--out", "%base")))
        return;
    const char *base_h5 = shared("base/base.h5");

    new_case("empty-ids");
    write_text(expand("@empty.ids"), "");
    expect_failure("empty-ids", ARGS(D, "build", "--name", "x", "--from", "@empty.ids", "--format", "ids", "--out", "@out"),
                   NEEDS("empty.ids", "empty"), 0);
    new_case("empty-auto");
    write_text(expand("@empty.txt"), "");
    expect_failure("empty-auto", ARGS(D, "build", "--name", "x", "--from", "@empty.txt", "--out", "@out"),
                   NEEDS("empty.txt", "format"), 0);
    new_case("empty-strace");
    write_text(expand("@run.strace"), "");
    expect_failure("empty-strace", ARGS(D, "build", "--name", "x", "--from", "@run.strace", "--format", "strace", "--out", "@out"),
                   NEEDS("run.strace", "no system calls"), 0);
    new_case("strace-garbage");
    write_text(expand("@run.strace"), "this is not\nan strace log\n");
    expect_failure("strace-garbage", ARGS(D, "build", "--name", "x", "--from", "@run.strace", "--format", "strace", "--out", "@out"),
                   NEEDS("run.strace:1:", "not strace output|no system calls"), 0);
    new_case("report-missing");
    expect_failure("report-missing", ARGS(D, "report", "@nosuch/run.strace"), NEEDS("nosuch/run.strace", "cannot open"), 0);
    new_case("report-empty");
    write_text(expand("@run.strace"), "");
    expect_failure("report-empty", ARGS(D, "report", "@run.strace", "--json", "@r.json", "--html", "@r.html"),
                   NEEDS("run.strace", "no system calls"), 0);
    new_case("report-garbage");
    write_text(expand("@run.strace"), "this is not\nan strace log\n");
    expect_failure("report-garbage", ARGS(D, "report", "@run.strace", "--json", "@r.json"),
                   NEEDS("run.strace:1:", "not an strace log"), 0);
    new_case("report-option");
    write_text(expand("@run.strace"), "1 read(3, \"x\", 1) = 1\n");
    expect_failure("report-option", ARGS(D, "report", "@run.strace", "--jsn", "@r.json"), NEEDS("unknown", "--jsn"), 0);
    new_case("report-json-unwritable");
    write_text(expand("@run.strace"), "1 read(3, \"x\", 1) = 1\n");
    expect_failure("report-json-unwritable", ARGS(D, "report", "@run.strace", "--json", "@nodir/r.json", "--html", "@r.html"),
                   NEEDS("--json", "nodir/r.json"), 0);
    new_case("ids-nonnumeric");
    write_text(expand("@bad.ids"), "1 2 3\n4 five 6\n");
    expect_failure("ids-nonnumeric", ARGS(D, "build", "--name", "x", "--from", "@bad.ids", "--format", "ids", "--out", "@out"),
                   NEEDS("bad.ids:2:", "'five'", "not a system call number"), 0);
    new_case("ids-negative");
    write_text(expand("@neg.ids"), "1 2 3\n4 -5 6\n");
    expect_failure("ids-negative", ARGS(D, "build", "--name", "x", "--from", "@neg.ids", "--format", "ids", "--out", "@out"),
                   NEEDS("neg.ids:2:", "'-5'"), 0);
    new_case("pid-ids-fields");
    write_text(expand("@unm.txt"), "10 1\n10 2\n10 3 4\n");
    expect_failure("pid-ids-fields", ARGS(D, "build", "--name", "x", "--from", "@unm.txt", "--format", "pid-ids", "--out", "@out"),
                   NEEDS("unm.txt:3:", "more than two fields"), 0);
    new_case("paper-nonnumeric");
    write_text(expand("@training"), "1,2,3,4\n1,2,x,4\n");
    expect_failure("paper-nonnumeric", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training:2:", "'x' is not a number"), 0);
    new_case("paper-id-zero");
    write_text(expand("@training"), "1,2,3,4\n1,0,3,4\n");
    expect_failure("paper-id-zero", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training", "line 2", "ID 0", "1 or more"), 0);
    new_case("paper-id-negative");
    write_text(expand("@training"), "1,2,3,4\n1,2,3,-7\n");
    expect_failure("paper-id-negative", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training", "line 2", "ID -7"), 0);
    new_case("paper-ragged");
    write_text(expand("@training"), "1,2,3,4\n1,2,3\n");
    expect_failure("paper-ragged", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training:2:", "ragged"), 0);
    new_case("paper-split-lengths");
    write_text(expand("@training"), "1,2,3,4\n2,3,4,1\n");
    write_text(expand("@testing"), "1,2,3,4,5\n");
    expect_failure("paper-split-lengths", ARGS(D, "build", "--name", "x", "--from", "@training", "@testing", "--format", "paper",
                                               "--out", "@out"),
                   NEEDS("4", "5", "testing windows"), 0);
    new_case("paper-id-huge");
    write_text(expand("@training"), "1,2,3,4\n2,3,2000000000,1\n");
    expect_failure("paper-id-huge", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training", "line 2", "ID 2000000000"), 0);
    new_case("paper-nan");
    write_text(expand("@training"), "1,2,3,4\n1,nan,3,4\n");
    expect_failure("paper-nan", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training:2:", "finite"), 0);
    new_case("paper-inf");
    write_text(expand("@training"), "1,2,3,4\n1,2,inf,4\n");
    expect_failure("paper-inf", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training:2:", "finite"), 0);
    new_case("paper-huge-id");
    write_text(expand("@training"), "1,2,3,4\n1,2,99999999999,4\n");
    expect_failure("paper-huge-id", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                   NEEDS("training:2:"), 0);
    double vals[8] = {1, 2, 3, 4, 1, NAN, 3, 4};
    new_case("npy-nan");
    write_npy_float(expand("@w.npy"), 2, 4, vals, 0);
    expect_failure("npy-nan", ARGS(D, "build", "--name", "x", "--from", "@w.npy", "--format", "npy", "--out", "@out"),
                   NEEDS("w.npy", "window 1, position 1", "finite"), 0);
    new_case("npy-inf");
    vals[5] = INFINITY;
    write_npy_float(expand("@w.npy"), 2, 4, vals, 1);
    expect_failure("npy-inf", ARGS(D, "build", "--name", "x", "--from", "@w.npy", "--format", "npy", "--out", "@out"),
                   NEEDS("w.npy", "finite"), 0);
    new_case("npy-truncated");
    vals[5] = 2;
    write_npy_float(expand("@full.npy"), 2, 4, vals, 0);
    truncated_copy(expand("@full.npy"), expand("@w.npy"), 0.8);
    unlink(expand("@full.npy"));
    expect_failure("npy-truncated", ARGS(D, "build", "--name", "x", "--from", "@w.npy", "--format", "npy", "--out", "@out"),
                   NEEDS("w.npy", "truncated"), 0);

    new_case("h5-truncated");
    truncated_copy(base_h5, expand("@d.h5"), 0.5);
    expect_failure("h5-truncated", ARGS(D, "build", "--name", "x", "--from", "@d.h5", "--out", "@out"),
                   NEEDS("d.h5", "truncated or corrupted|cannot"), 0);
    new_case("h5-corrupted");
    corrupted_copy(base_h5, expand("@d.h5"));
    expect_failure("h5-corrupted", ARGS(D, "info", "@d.h5"), NEEDS("d.h5"), 0);
    new_case("h5-foreign");
    foreign_h5(expand("@d.h5"));
    expect_failure("h5-foreign", ARGS(D, "info", "@d.h5"), NEEDS("d.h5", "not a dataset file"), 0);
    new_case("h5-old-format");
    old_format_h5(expand("@d.h5"), "sssd-traces-dataset");
    expect_failure("h5-old-format", ARGS(D, "info", "@d.h5"), NEEDS("d.h5", "without metadata checksums", "h5repack"), 0);
    new_case("h5-metadata-damaged");
    metadata_damaged_copy(base_h5, expand("@d.h5"));
    expect_failure("h5-metadata-damaged", ARGS(D, "info", "@d.h5"), NEEDS("d.h5", "checksum"), 0);
    new_case("h5-crafted");
    crafted_copy(base_h5, expand("@d.h5"));
    expect_crash_refused("h5-crafted", ARGS(D, "info", "@d.h5"), NEEDS("d.h5", "crashes the HDF5 library"));
    new_case("h5-version");
    h5_copy_set_int_attr(base_h5, expand("@d.h5"), "format_version", 7);
    expect_failure("h5-version", ARGS(D, "info", "@d.h5"), NEEDS("d.h5", "version 7"), 0);
    new_case("h5-id-beyond-vocab");
    {
        test_copy_prefix(base_h5, expand("@d.h5"), -1);
        hid_t f = H5Fopen(expand("@d.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
        hsize_t dims[2];
        H5LTget_dataset_info(f, "training", dims, NULL, NULL);
        int32_t *ids = calloc(dims[0] * dims[1], sizeof *ids);
        H5LTread_dataset(f, "training", H5T_NATIVE_INT32, ids);
        ids[3] = 999;
        hid_t d = H5Dopen2(f, "training", H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
        H5Dclose(d);
        H5Fclose(f);
        free(ids);
    }
    expect_failure("h5-id-beyond-vocab", ARGS(D, "export", "@d.h5", "--out", "@out"),
                   NEEDS("d.h5", "ID 999", "outside the vocabulary"), 0);
    new_case("h5-recut-length");
    expect_failure("h5-recut-length", ARGS(D, "build", "--name", "x", "--from", "%base/base.h5", "--length", "20", "--out", "@out"),
                   NEEDS("20", "re-cut"), 0);

    /* Output problems. */
    new_case("out-not-a-dir");
    write_text(expand("@blocker"), "a file where a directory should be\n");
    expect_failure("out-not-a-dir", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "10", "--split", "window",
                                         "--out", "@blocker/sub"),
                   NEEDS("blocker"), 0);
    if (geteuid() != 0) {
        new_case("out-readonly");
        mkdir(expand("@ro"), 0555);
        expect_failure("out-readonly", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "10", "--split", "window",
                                            "--out", "@ro"),
                       NEEDS("ro/"), 0);
    }
    /* A full disk: random IDs compress badly, so the .h5 itself hits the limit. */
    write_windows(shared("big.ids"), 1, 60000, 200, 5);
    new_case("full-disk-h5");
    expect_failure("full-disk-h5", ARGS(D, "build", "--name", "x", "--from", "%big.ids", "--format", "ids", "--length", "50",
                                        "--stride", "1", "--split", "window", "--out", "@out"),
                   NEEDS("x.h5", "disk full|File too large"), 64 * 1024);
    /* Few distinct IDs: the .h5 compresses well and fits, the text layout does not. */
    write_windows(shared("lowentropy.ids"), 1, 60000, 2, 6);
    new_case("full-disk-text");
    expect_failure("full-disk-text", ARGS(D, "build", "--name", "x", "--from", "%lowentropy.ids", "--format", "ids",
                                          "--length", "50", "--stride", "1", "--split", "window", "--out", "@out"),
                   NEEDS("sequence_length_50/training", "File too large"), 1024 * 1024);
    new_case("full-disk-export");
    expect_failure("full-disk-export", ARGS(D, "export", "%base/base.h5", "--npy", "--out", "@out"),
                   NEEDS("training", "File too large"), 2048);

    /* Inputs larger than memory are refused before reading. */
    new_case("huge-ids");
    if (sparse_file(expand("@huge.ids"), "1 2 3\n", 1LL << 42) == 0)
        expect_failure("huge-ids", ARGS(D, "build", "--name", "x", "--from", "@huge.ids", "--format", "ids", "--out", "@out"),
                       NEEDS("huge.ids", "memory"), 0);
    new_case("huge-auto");
    if (sparse_file(expand("@huge.txt"), "1 2 3\n", 1LL << 42) == 0)
        expect_failure("huge-auto", ARGS(D, "build", "--name", "x", "--from", "@huge.txt", "--out", "@out"),
                       NEEDS("huge.txt", "memory"), 0);
    new_case("huge-paper");
    if (sparse_file(expand("@training"), "1,2,3\n", 1LL << 42) == 0)
        expect_failure("huge-paper", ARGS(D, "build", "--name", "x", "--from", "@training", "--format", "paper", "--out", "@out"),
                       NEEDS("training", "memory"), 0);
    new_case("huge-npy");
    {
        /* A valid header promising 2^38 int8 elements, backed by a hole. */
        char hdr[128];
        int n = snprintf(hdr, sizeof hdr, "{'descr': '|i1', 'fortran_order': False, 'shape': (%lld, 1), }", 1LL << 38);
        int pad = (64 - (10 + n + 1) % 64) % 64;
        char head[256];
        memcpy(head, "\x93NUMPY\x01\x00", 8);
        head[8] = (char)((n + pad + 1) & 0xff);
        head[9] = (char)((n + pad + 1) >> 8);
        memcpy(head + 10, hdr, (size_t)n);
        memset(head + 10 + n, ' ', (size_t)pad);
        head[10 + n + pad] = '\n';
        FILE *f = fopen(expand("@w.npy"), "wb");
        fwrite(head, 1, (size_t)(10 + n + pad + 1), f);
        fflush(f);
        int rc = ftruncate(fileno(f), (off_t)(10 + n + pad + 1) + (1LL << 38));
        fclose(f);
        if (rc == 0)
            expect_failure("huge-npy", ARGS(D, "build", "--name", "x", "--from", "@w.npy", "--format", "npy", "--out", "@out"),
                           NEEDS("w.npy", "memory"), 0);
    }

    /* Windows that would not fit ($SSSD_MEMORY_LIMIT stands for a small machine). */
    new_case("memory-windows");
    setenv("SSSD_MEMORY_LIMIT", "4000000", 1);
    expect_failure("memory-windows", ARGS(D, "build", "--name", "x", "--from", "%big.ids", "--format", "ids", "--length", "50",
                                          "--stride", "1", "--split", "window", "--out", "@out"),
                   NEEDS("59951 windows of 50 events", "memory"), 0);
    unsetenv("SSSD_MEMORY_LIMIT");

    /* Absurd options. */
    new_case("opt-length-zero");
    expect_failure("opt-length-zero", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "0", "--out", "@out"),
                   NEEDS("--length '0'"), 0);
    new_case("opt-length-negative");
    expect_failure("opt-length-negative", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "-5", "--out", "@out"),
                   NEEDS("--length '-5'"), 0);
    new_case("opt-length-overflow");
    expect_failure("opt-length-overflow", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "99999999999", "--out", "@out"),
                   NEEDS("--length '99999999999'"), 0);
    new_case("opt-length-beyond-data");
    expect_failure("opt-length-beyond-data", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--length", "2000000000", "--out", "@out"),
                   NEEDS("too little data|--length"), 0);
    new_case("opt-stride-zero");
    expect_failure("opt-stride-zero", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--stride", "0", "--out", "@out"),
                   NEEDS("--stride '0'"), 0);
    new_case("opt-test-fraction");
    expect_failure("opt-test-fraction", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--test-fraction", "1.5", "--out", "@out"),
                   NEEDS("--test-fraction '1.5'"), 0);
    new_case("opt-format");
    expect_failure("opt-format", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--format", "csv", "--out", "@out"),
                   NEEDS("--format 'csv'"), 0);
    new_case("opt-unknown");
    expect_failure("opt-unknown", ARGS(D, "build", "--name", "x", "--from", "%good.ids", "--frobnicate", "--out", "@out"),
                   NEEDS("--frobnicate"), 0);
    new_case("opt-bad-name");
    expect_failure("opt-bad-name", ARGS(D, "build", "--name", "../escape", "--from", "%good.ids", "--out", "@out"),
                   NEEDS("--name '../escape'"), 0);
    new_case("opt-info-length");
    expect_failure("opt-info-length", ARGS(D, "info", "%base/base.h5", "--length", "-1"), NEEDS("--length '-1'"), 0);
    new_case("missing-input");
    expect_failure("missing-input", ARGS(D, "build", "--name", "x", "--from", "@nosuch.ids", "--out", "@out"),
                   NEEDS("nosuch.ids", "cannot open"), 0);
    new_case("unknown-command");
    expect_failure("unknown-command", ARGS(D, "frobnicate"), NEEDS("frobnicate"), 0);
}

/* ---- evaluate ---- */

static void section_evaluate(void) {
    const char *E = tool_evaluate;
    write_windows(shared("real.txt"), 6, 8, 9, 11);
    write_windows(shared("gen.txt"), 6, 8, 9, 12);
    write_windows(shared("train.txt"), 20, 8, 9, 13);

    new_case("gen-missing");
    expect_failure("gen-missing", ARGS(E, "@nosuch.txt", "%real.txt"), NEEDS("nosuch.txt", "cannot open|no such"), 0);
    new_case("gen-empty");
    write_text(expand("@gen.txt"), "");
    expect_failure("gen-empty", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt", "empty"), 0);
    new_case("gen-blank-lines");
    write_text(expand("@gen.txt"), "\n\n  \n");
    expect_failure("gen-blank-lines", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt", "no windows"), 0);
    new_case("gen-nonnumeric");
    write_text(expand("@gen.txt"), "1,2,3,4,5,6,7,8\n1,2,abc,4,5,6,7,8\n");
    expect_failure("gen-nonnumeric", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt:2:", "'abc' is not a number"), 0);
    new_case("gen-ragged");
    write_text(expand("@gen.txt"), "1,2,3,4,5,6,7,8\n1,2,3,4,5,6,7\n");
    expect_failure("gen-ragged", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt:2:", "ragged"), 0);
    new_case("gen-nan-text");
    write_text(expand("@gen.txt"), "1,2,3,4,5,6,7,8\n1,2,3,4,NaN,6,7,8\n");
    expect_failure("gen-nan-text", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt:2:", "finite"), 0);
    new_case("gen-nan-npy");
    {
        double v[16];
        for (int i = 0; i < 16; i++) v[i] = 1 + i % 8;
        v[11] = NAN;
        write_npy_float(expand("@gen.npy"), 2, 8, v, 1);
    }
    expect_failure("gen-nan-npy", ARGS(E, "@gen.npy", "%real.txt"), NEEDS("gen.npy", "window 1, position 3", "finite"), 0);
    new_case("gen-inf-npy");
    {
        double v[16];
        for (int i = 0; i < 16; i++) v[i] = 1 + i % 8;
        v[2] = -INFINITY;
        write_npy_float(expand("@gen.npy"), 2, 8, v, 0);
    }
    expect_failure("gen-inf-npy", ARGS(E, "@gen.npy", "%real.txt"), NEEDS("gen.npy", "finite"), 0);
    new_case("length-mismatch");
    write_windows(expand("@gen.txt"), 6, 7, 9, 12);
    expect_failure("length-mismatch", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt", "7", "8"), 0);
    new_case("train-length-mismatch");
    write_windows(expand("@train.txt"), 6, 9, 9, 12);
    expect_failure("train-length-mismatch", ARGS(E, "%gen.txt", "%real.txt", "--train", "@train.txt"),
                   NEEDS("train.txt", "9"), 0);
    new_case("real-id-zero");
    write_text(expand("@real.txt"), "1,2,3,4,5,6,7,8\n1,2,3,0,5,6,7,8\n");
    expect_failure("real-id-zero", ARGS(E, "%gen.txt", "@real.txt"), NEEDS("real.txt:2:", "ID 0"), 0);
    new_case("train-id-negative");
    write_text(expand("@train.txt"), "1,2,3,4,5,6,7,8\n1,2,3,4,5,6,7,-2\n");
    expect_failure("train-id-negative", ARGS(E, "%gen.txt", "%real.txt", "--train", "@train.txt"),
                   NEEDS("train.txt:2:", "ID -2"), 0);
    new_case("mask-values");
    write_text(expand("@m.txt"), "1,1,1,0,0,1,1,2\n");
    expect_failure("mask-values", ARGS(E, "%gen.txt", "%real.txt", "--mask", "@m.txt"), NEEDS("m.txt:1:", "value 2"), 0);
    new_case("mask-shape");
    write_text(expand("@m.txt"), "1,1,1,0,0,1\n");
    expect_failure("mask-shape", ARGS(E, "%gen.txt", "%real.txt", "--mask", "@m.txt"), NEEDS("m.txt", "mask is 1 x 6"), 0);
    new_case("mask-mid-zero");
    expect_failure("mask-mid-zero", ARGS(E, "%gen.txt", "%real.txt", "--mask", "mid:0"), NEEDS("mid:0", "positive size"), 0);
    new_case("mask-end-beyond");
    expect_failure("mask-end-beyond", ARGS(E, "%gen.txt", "%real.txt", "--mask", "end:9"), NEEDS("end:9", "larger than the window length 8"), 0);
    new_case("opt-threads-zero");
    expect_failure("opt-threads-zero", ARGS(E, "%gen.txt", "%real.txt", "--threads", "0"), NEEDS("--threads 0"), 0);
    new_case("opt-length-negative");
    expect_failure("opt-length-negative", ARGS(E, "%gen.txt", "%real.txt", "--length", "-4"), NEEDS("--length -4"), 0);
    new_case("opt-head-zero");
    expect_failure("opt-head-zero", ARGS(E, "%gen.txt", "%real.txt", "--head", "0"), NEEDS("--head 0"), 0);
    new_case("opt-head-negative");
    expect_failure("opt-head-negative", ARGS(E, "%gen.txt", "%real.txt", "--head", "-3"), NEEDS("--head -3"), 0);
    new_case("opt-head-text");
    expect_failure("opt-head-text", ARGS(E, "%gen.txt", "%real.txt", "--head", "many"), NEEDS("--head many"), 0);
    new_case("opt-unknown");
    expect_failure("opt-unknown", ARGS(E, "%gen.txt", "%real.txt", "--frobnicate"), NEEDS("--frobnicate"), 0);
    new_case("opt-missing-value");
    expect_failure("opt-missing-value", ARGS(E, "%gen.txt", "%real.txt", "--json"), NEEDS("--json"), 0);

    /* HDF5 inputs. */
    new_case("real-foreign-h5");
    foreign_h5(expand("@real.h5"));
    expect_failure("real-foreign-h5", ARGS(E, "%gen.txt", "@real.h5"), NEEDS("real.h5", "not a dataset file|/windows"), 0);
    new_case("gen-h5-old-format");
    old_format_h5(expand("@gen.h5"), "sssd-traces-generated");
    expect_failure("gen-h5-old-format", ARGS(E, "@gen.h5", "%real.txt"), NEEDS("gen.h5", "without metadata checksums"), 0);
    new_case("gen-h5-float-windows");
    {
        hid_t f = h5_create_checksummed(expand("@gen.h5"));
        double v[16] = {0};
        hsize_t dims[2] = {2, 8};
        H5LTmake_dataset_double(f, "windows", 2, dims, v);
        H5Fclose(f);
    }
    expect_failure("gen-h5-float-windows", ARGS(E, "@gen.h5", "%real.txt"), NEEDS("gen.h5", "/windows"), 0);
    new_case("gen-h5-truncated");
    {
        hid_t f = h5_create_checksummed(expand("@full.h5"));
        int v[16];
        for (int i = 0; i < 16; i++) v[i] = 1 + i % 8;
        hsize_t dims[2] = {2, 8};
        H5LTmake_dataset_int(f, "windows", 2, dims, v);
        H5Fclose(f);
        truncated_copy(expand("@full.h5"), expand("@gen.h5"), 0.5);
        unlink(expand("@full.h5"));
    }
    expect_failure("gen-h5-truncated", ARGS(E, "@gen.h5", "%real.txt"), NEEDS("gen.h5"), 0);

    /* Outputs. */
    new_case("json-not-a-dir");
    write_text(expand("@blocker"), "x");
    expect_failure("json-not-a-dir", ARGS(E, "%gen.txt", "%real.txt", "--json", "@blocker/r.json"),
                   NEEDS("blocker/r.json", "cannot open for writing"), 0);
    new_case("html-missing-dir");
    expect_failure("html-missing-dir", ARGS(E, "%gen.txt", "%real.txt", "--html", "@nodir/r.html"),
                   NEEDS("nodir/r.html", "cannot open for writing"), 0);
    new_case("json-full-disk");
    expect_failure("json-full-disk", ARGS(E, "%gen.txt", "%real.txt", "--train", "%train.txt", "--json", "@r.json"),
                   NEEDS("r.json", "File too large"), 512);
    new_case("html-full-disk");
    expect_failure("html-full-disk", ARGS(E, "%gen.txt", "%real.txt", "--html", "@r.html"),
                   NEEDS("r.html", "File too large"), 2048);

    /* Larger than memory: refused before reading. */
    new_case("huge-gen");
    if (sparse_file(expand("@gen.txt"), "1,2,3\n", 1LL << 42) == 0)
        expect_failure("huge-gen", ARGS(E, "@gen.txt", "%real.txt"), NEEDS("gen.txt", "memory"), 0);
    new_case("memory-scoring");
    setenv("SSSD_MEMORY_LIMIT", "20000", 1);
    expect_failure("memory-scoring", ARGS(E, "%gen.txt", "%real.txt", "--train", "%train.txt"), NEEDS("gen.txt", "memory"), 0);
    unsetenv("SSSD_MEMORY_LIMIT");
    new_case("huge-mask");
    if (sparse_file(expand("@m.txt"), "1,1,0\n", 1LL << 42) == 0)
        expect_failure("huge-mask", ARGS(E, "%gen.txt", "%real.txt", "--mask", "@m.txt"), NEEDS("m.txt", "memory"), 0);
}

/* ---- train ---- */

static const char *train_common[] = {"--preset", "tiny", "--batch", "4", "--val-every", "0", "--threads", "1", "--quiet"};

/* argv for train: the tool, the given arguments, then the common ones. */
static const char *const *train_args(const char *const *args) {
    static const char *v[64];
    int n = 0;
    v[n++] = tool_train;
    for (int i = 0; args[i] && n < 50; i++) v[n++] = args[i];
    for (size_t i = 0; i < sizeof train_common / sizeof *train_common; i++) v[n++] = train_common[i];
    v[n] = NULL;
    return v;
}

static const char *const train_log_only[] = {"log.jsonl", NULL};

static void section_train(void) {
    paper_dir(shared("data"), 20, 8, 24, 8);
    paper_dir(shared("data30"), 30, 8, 24, 8);
    paper_dir(shared("data-vocab12"), 20, 12, 24, 8);
    if (expect_success("train-run1", train_args(ARGS("--dataset", "%data", "--iters", "2", "--out", "%run1")))) return;
    const char *ck = shared("run1/last.ckpt");

    new_case("empty-training");
    mkdir(expand("@d"), 0755);
    write_text(expand("@d/training"), "");
    write_windows(expand("@d/testing"), 4, 20, 8, 1);
    expect_failure_ex("empty-training", train_args(ARGS("--dataset", "@d", "--iters", "2", "--out", "@out")),
                      NEEDS("d/training", "empty"), 0, train_log_only);
    new_case("nonnumeric");
    mkdir(expand("@d"), 0755);
    write_windows(expand("@d/training"), 4, 20, 8, 1);
    write_text(expand("@d/testing"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,x,4\n");
    expect_failure_ex("nonnumeric", train_args(ARGS("--dataset", "@d", "--iters", "2", "--out", "@out")),
                      NEEDS("d/testing:2:", "'x' is not a number"), 0, train_log_only);
    new_case("id-zero");
    mkdir(expand("@d"), 0755);
    write_windows(expand("@d/testing"), 4, 20, 8, 1);
    write_text(expand("@d/training"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,0,4\n");
    expect_failure_ex("id-zero", train_args(ARGS("--dataset", "@d", "--iters", "2", "--out", "@out")),
                      NEEDS("training:2:", "ID 0"), 0, train_log_only);
    new_case("ragged");
    mkdir(expand("@d"), 0755);
    write_windows(expand("@d/testing"), 4, 20, 8, 1);
    write_text(expand("@d/training"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3\n");
    expect_failure_ex("ragged", train_args(ARGS("--dataset", "@d", "--iters", "2", "--out", "@out")),
                      NEEDS("training:2:", "ragged"), 0, train_log_only);
    new_case("length-mismatch");
    expect_failure_ex("length-mismatch", train_args(ARGS("--dataset", "%data", "--length", "30", "--iters", "2", "--out", "@out")),
                      NEEDS("20", "30"), 0, train_log_only);
    new_case("dataset-missing");
    expect_failure_ex("dataset-missing", train_args(ARGS("--dataset", "@nosuch", "--iters", "2", "--out", "@out")),
                      NEEDS("nosuch"), 0, train_log_only);
    if (tool_dataset) {
        write_windows(shared("good.ids"), 1, 400, 10, 3);
        if (expect_success("train-h5", ARGS(tool_dataset, "build", "--name", "base", "--from", "%good.ids", "--format", "ids",
                                            "--length", "20", "--stride", "5", "--split", "window", "--out", "%base")) == 0) {
            new_case("h5-truncated");
            truncated_copy(shared("base/base.h5"), expand("@d.h5"), 0.5);
            expect_failure_ex("h5-truncated", train_args(ARGS("--dataset", "@d.h5", "--iters", "2", "--out", "@out")),
                              NEEDS("d.h5"), 0, train_log_only);
            new_case("h5-version");
            h5_copy_set_int_attr(shared("base/base.h5"), expand("@d.h5"), "format_version", 5);
            expect_failure_ex("h5-version", train_args(ARGS("--dataset", "@d.h5", "--iters", "2", "--out", "@out")),
                              NEEDS("d.h5", "version 5"), 0, train_log_only);
        }
    }
    new_case("h5-foreign");
    foreign_h5(expand("@d.h5"));
    expect_failure_ex("h5-foreign", train_args(ARGS("--dataset", "@d.h5", "--iters", "2", "--out", "@out")),
                      NEEDS("d.h5", "not a dataset"), 0, train_log_only);

    /* Resuming from damaged, foreign or mismatched checkpoints. */
    new_case("resume-version");
    mkdir(expand("@out"), 0755);
    h5_copy_set_int_attr(ck, expand("@out/last.ckpt"), "format_version", 99);
    expect_failure_ex("resume-version", train_args(ARGS("--dataset", "%data", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("last.ckpt", "version 99|version"), 0, train_log_only);
    new_case("resume-truncated");
    mkdir(expand("@out"), 0755);
    truncated_copy(ck, expand("@out/last.ckpt"), 0.5);
    expect_failure_ex("resume-truncated", train_args(ARGS("--dataset", "%data", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("last.ckpt"), 0, train_log_only);
    new_case("resume-corrupted");
    mkdir(expand("@out"), 0755);
    corrupted_copy(ck, expand("@out/last.ckpt"));
    expect_failure_ex("resume-corrupted", train_args(ARGS("--dataset", "%data", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("last.ckpt"), 0, train_log_only);
    new_case("resume-foreign");
    mkdir(expand("@out"), 0755);
    foreign_h5(expand("@out/last.ckpt"));
    expect_failure_ex("resume-foreign", train_args(ARGS("--dataset", "%data", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("last.ckpt", "not a checkpoint|format"), 0, train_log_only);
    new_case("resume-length");
    mkdir(expand("@out"), 0755);
    test_copy_prefix(ck, expand("@out/last.ckpt"), -1);
    expect_failure_ex("resume-length", train_args(ARGS("--dataset", "%data30", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("30", "20", "length"), 0, train_log_only);
    new_case("resume-vocab");
    mkdir(expand("@out"), 0755);
    test_copy_prefix(ck, expand("@out/last.ckpt"), -1);
    expect_failure_ex("resume-vocab", train_args(ARGS("--dataset", "%data-vocab12", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("vocabulary"), 0, train_log_only);
    new_case("resume-nothing");
    expect_failure_ex("resume-nothing", train_args(ARGS("--dataset", "%data", "--resume", "--iters", "4", "--out", "@out")),
                      NEEDS("last.ckpt"), 0, train_log_only);

    /* Configuration files. */
    new_case("config-bad-json");
    write_text(expand("@c.json"), "{\"preset\": \"tiny\",\n \"model\": {\"T\": 10,}}\n");
    expect_failure_ex("config-bad-json", train_args(ARGS("--dataset", "%data", "--config", "@c.json", "--iters", "2", "--out", "@out")),
                      NEEDS("c.json", ":2"), 0, train_log_only);
    new_case("config-empty");
    write_text(expand("@c.json"), "");
    expect_failure_ex("config-empty", train_args(ARGS("--dataset", "%data", "--config", "@c.json", "--iters", "2", "--out", "@out")),
                      NEEDS("c.json"), 0, train_log_only);
    new_case("config-negative-channels");
    write_text(expand("@c.json"), "{\"model\": {\"res_channels\": -8}}\n");
    expect_failure_ex("config-negative-channels", train_args(ARGS("--dataset", "%data", "--config", "@c.json", "--iters", "2", "--out", "@out")),
                      NEEDS("res_channels"), 0, train_log_only);
    new_case("config-nan");
    write_text(expand("@c.json"), "{\"train\": {\"lr\": \"nan\"}}\n");
    expect_failure_ex("config-nan", train_args(ARGS("--dataset", "%data", "--config", "@c.json", "--iters", "2", "--out", "@out")),
                      NEEDS("lr"), 0, train_log_only);

    /* Absurd options. */
    static const struct { const char *name, *opt, *value, *needle; } bad_opts[] = {
        {"opt-iters-negative", "--iters", "-5", "--iters"},
        {"opt-batch-zero", "--batch", "0", "--batch"},
        {"opt-batch-negative", "--batch", "-2", "--batch"},
        {"opt-batch-huge", "--batch", "100000000", "--batch"},
        {"opt-length-zero", "--length", "0", "--length"},
        {"opt-length-negative", "--length", "-3", "--length"},
        {"opt-length-huge", "--length", "1000000000", "--length|length"},
        {"opt-lr-nan", "--lr", "nan", "--lr"},
        {"opt-lr-negative", "--lr", "-1", "--lr"},
        {"opt-ckpt-every-zero", "--ckpt-every", "0", "--ckpt-every"},
        {"opt-mask-zero", "--mask", "mid:0", "--mask"},
        {"opt-mask-beyond", "--mask", "mid:500", "mid:500|--mask"},
        {"opt-mask-garbage", "--mask", "sideways", "--mask"},
        {"opt-preset", "--preset", "enormous", "--preset|enormous"},
        {"opt-encoding", "--encoding", "onehot", "--encoding|onehot"},
        {"opt-seed-text", "--seed", "abc", "--seed"},
        {"opt-threads-zero", "--threads", "0", "--threads"},
        {"opt-device", "--device", "tpu", "--device|tpu"},
    };
    for (size_t i = 0; i < sizeof bad_opts / sizeof *bad_opts; i++) {
        new_case(bad_opts[i].name);
        const char *v[20] = {tool_train, "--dataset", shared("data"), "--iters", "2", "--out", expand("@out"),
                             "--preset", "tiny", "--val-every", "0", "--quiet", bad_opts[i].opt, bad_opts[i].value, NULL};
        expect_failure_ex(bad_opts[i].name, v, NEEDS(bad_opts[i].needle), 0, train_log_only);
    }
    new_case("opt-unknown");
    expect_failure_ex("opt-unknown", train_args(ARGS("--dataset", "%data", "--frobnicate", "1", "--out", "@out")),
                      NEEDS("--frobnicate|frobnicate"), 0, train_log_only);

    /* Outputs. */
    new_case("out-not-a-dir");
    write_text(expand("@blocker"), "x");
    expect_failure("out-not-a-dir", train_args(ARGS("--dataset", "%data", "--iters", "2", "--out", "@blocker/run")),
                   NEEDS("blocker"), 0);
    new_case("full-disk");
    expect_failure_ex("full-disk", train_args(ARGS("--dataset", "%data", "--iters", "2", "--out", "@out")),
                      NEEDS("last.ckpt|best.ckpt|log.jsonl", "File too large|disk full"), 16 * 1024, train_log_only);
}

/* ---- train faults: signals and kill -9 with --resume ---- */

typedef struct loss_log {
    int n;
    long long step[4096];
    double loss[4096];
} loss_log;

/* Training lines of log.jsonl: {"step": N, ..., "loss": X, ...}. A step
 * logged again after a resume replaces the earlier entry. */
static void read_losses(const char *path, loss_log *lg) {
    lg->n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        const char *s = strstr(line, "\"step\":"), *l = strstr(line, "\"loss\":");
        if (!s || !l) continue;
        long long step = strtoll(s + 7, NULL, 10);
        double loss = strtod(l + 7, NULL);
        int k = 0;
        while (k < lg->n && lg->step[k] != step) k++;
        if (k == lg->n) {
            if (lg->n == 4096) break;
            lg->n++;
        }
        lg->step[k] = step;
        lg->loss[k] = loss;
    }
    fclose(f);
}

static long long last_step(const char *log_path) {
    loss_log *lg = calloc(1, sizeof *lg);
    read_losses(log_path, lg);
    long long m = -1;
    for (int i = 0; i < lg->n; i++)
        if (lg->step[i] > m) m = lg->step[i];
    free(lg);
    return m;
}

static long long checkpoint_step(const char *path) {
    long long step = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    if (H5Aexists(f, "step") <= 0 || H5LTget_attribute_long_long(f, ".", "step", &step) < 0) step = -1;
    H5Fclose(f);
    return step;
}

/* Start a long training run, wait until it has logged `min_step`, send `sig`. */
static void check_signal(const char *name, int sig) {
    new_case(name);
    const char *argv[32] = {tool_train, "--dataset", shared("data"), "--iters", "1000000", "--ckpt-every", "1000000",
                            "--out", expand("@out"), "--preset", "tiny", "--batch", "4", "--val-every", "0",
                            "--threads", "1", NULL};
    char capture[4400], log_path[4400], ck[4400], tmp_found[4400];
    snprintf(capture, sizeof capture, "%s.run", case_dir);
    snprintf(log_path, sizeof log_path, "%s/out/log.jsonl", case_dir);
    snprintf(ck, sizeof ck, "%s/out/last.ckpt", case_dir);
    run_options o = {0, 300, NULL};
    pid_t pid = spawn_tool(argv, &o, capture);
    long long seen = -1;
    for (int i = 0; i < 12000 && seen < 3; i++) {
        usleep(10000);
        seen = last_step(log_path);
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
    }
    kill(pid, sig);
    run_result r;
    finish_tool(pid, &o, capture, &r);
    cases_run++;
    if (seen < 3) FAIL_CASE(name, argv, &r, "training logged no steps before the signal");
    if (!r.exited || r.timed_out) FAIL_CASE(name, argv, &r, "did not exit cleanly after the signal");
    if (strstr(r.err, "ERROR: AddressSanitizer") || strstr(r.err, "ERROR: LeakSanitizer") || strstr(r.err, "runtime error:"))
        FAIL_CASE(name, argv, &r, "sanitizer report");
    long long step = checkpoint_step(ck);
    if (step < seen) {
        char why[256];
        snprintf(why, sizeof why, "last.ckpt holds step %lld, but step %lld had been logged", step, seen);
        FAIL_CASE(name, argv, &r, why);
    }
    if (find_file(case_dir, ".tmp", NULL, tmp_found, sizeof tmp_found))
        FAIL_CASE(name, argv, &r, "left a temporary file behind");
    test_passed_count++;
    printf("ok   %-28s exit %d, checkpoint at step %lld\n", name, r.code, step);
}

static void section_train_faults(void) {
    paper_dir(shared("data"), 20, 8, 24, 8);
    check_signal("sigint", SIGINT);
    check_signal("sigterm", SIGTERM);

    /* kill -9, then --resume: compare with one uninterrupted run. */
    /* Long enough that the poll below sees step 110 before the run ends on a fast machine. */
    const char *iters = "300", *every = "20";
    const char *ref_argv[32] = {tool_train, "--dataset", shared("data"), "--iters", iters, "--ckpt-every", every,
                                "--seed", "7", "--out", shared("ref"), "--preset", "tiny", "--batch", "4",
                                "--val-every", "0", "--threads", "1", "--quiet", NULL};
    if (expect_success("kill9-reference", ref_argv)) return;
    new_case("kill9-resume");
    const char *argv[32];
    memcpy(argv, ref_argv, sizeof argv);
    argv[10] = expand("@out");
    char capture[4400], log_path[4400], ck[4400];
    snprintf(capture, sizeof capture, "%s.run", case_dir);
    snprintf(log_path, sizeof log_path, "%s/out/log.jsonl", case_dir);
    snprintf(ck, sizeof ck, "%s/out/last.ckpt", case_dir);
    run_options o = {0, 300, NULL};
    pid_t pid = spawn_tool(argv, &o, capture);
    long long seen = -1;
    int finished = 0;
    for (int i = 0; i < 60000 && seen < 110; i++) {
        usleep(2000);
        seen = last_step(log_path);
        if (waitpid(pid, NULL, WNOHANG) == pid) { finished = 1; break; }
    }
    if (!finished) kill(pid, SIGKILL);
    run_result r;
    finish_tool(pid, &o, capture, &r);
    cases_run++;
    if (finished || !r.signaled) FAIL_CASE("kill9-resume", argv, &r, "the run ended before it could be killed (raise --iters)");
    long long ck_step = checkpoint_step(ck);
    long long logged = last_step(log_path);
    if (ck_step < 0) FAIL_CASE("kill9-resume", argv, &r, "no readable last.ckpt after kill -9");
    if (logged - ck_step > 20) {
        char why[256];
        snprintf(why, sizeof why, "checkpoint at step %lld but step %lld was logged: more than one interval lost", ck_step, logged);
        FAIL_CASE("kill9-resume", argv, &r, why);
    }
    const char *resume_argv[34];
    memcpy(resume_argv, argv, sizeof argv);
    int n = 0;
    while (resume_argv[n]) n++;
    resume_argv[n++] = "--resume";
    resume_argv[n] = NULL;
    run_tool(resume_argv, &o, capture, &r);
    if (!r.exited || r.code != 0) FAIL_CASE("kill9-resume", resume_argv, &r, "--resume failed");
    loss_log *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    char ref_log[4400];
    snprintf(ref_log, sizeof ref_log, "%s/ref/log.jsonl", work);
    read_losses(ref_log, a);
    read_losses(log_path, b);
    int compared = 0, differ = 0;
    double worst = 0;
    for (int i = 0; i < a->n; i++)
        for (int k = 0; k < b->n; k++)
            if (b->step[k] == a->step[i]) {
                compared++;
                double d = fabs(a->loss[i] - b->loss[k]);
                if (d > worst) worst = d;
                differ += a->loss[i] != b->loss[k];
            }
    int ref_n = a->n;
    free(a);
    free(b);
    if (ref_n < 300 || compared != ref_n || differ) {
        char why[256];
        snprintf(why, sizeof why, "%d of %d reference steps found after the resume, %d losses differ (largest difference %g)",
                 compared, ref_n, differ, worst);
        FAIL_CASE("kill9-resume", resume_argv, &r, why);
    }
    test_passed_count++;
    printf("ok   %-28s killed at step %lld, checkpoint %lld, %d losses identical after --resume\n", "kill9-resume",
           logged, ck_step, compared);
}

/* ---- generate ---- */

/* A checkpoint of window length 20 and vocabulary 8 with the given encoding:
 * trained for two steps when train exists (it records the vocabulary), else
 * freshly initialised (id encoding). */
static int make_checkpoint(const char *path_rel, const char *encoding) {
    paper_dir(shared("data"), 20, 8, 24, 8);
    if (tool_train) {
        char run[64];
        snprintf(run, sizeof run, "%%ckrun-%s", encoding);
        if (expect_success("checkpoint", ARGS(tool_train, "--dataset", "%data", "--iters", "2", "--out", run,
                                              "--preset", "tiny", "--batch", "4", "--val-every", "0", "--quiet",
                                              "--encoding", encoding)))
            return -1;
        char last[96];
        snprintf(last, sizeof last, "ckrun-%s/last.ckpt", encoding);
        test_copy_prefix(shared(last), shared(path_rel), -1);
        return 0;
    }
    if (strcmp(encoding, "id")) return -1;
    if (tool_forward)
        return expect_success("checkpoint", ARGS(tool_forward, "--init", "--preset", "tiny", "--length", "20", "--save",
                                                 shared(path_rel)));
    fprintf(stderr, "skipped: no train or forward tool to make a checkpoint\n");
    return -1;
}

static void section_generate(void) {
    /* The Gaussian samplers' options are exercised on an id-encoded model,
     * the masked encoding's own options on a masked one below. */
    if (make_checkpoint("ck.h5", "id")) return;
    const char *G = tool_generate, *ck = shared("ck.h5");
    write_windows(shared("in.txt"), 6, 20, 8, 21);

    new_case("ck-missing");
    expect_failure("ck-missing", ARGS(G, "--checkpoint", "@nosuch.ckpt", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("nosuch.ckpt"), 0);
    new_case("ck-truncated");
    truncated_copy(ck, expand("@ck.h5"), 0.5);
    expect_failure("ck-truncated", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5"), 0);
    new_case("ck-corrupted");
    corrupted_copy(ck, expand("@ck.h5"));
    expect_failure("ck-corrupted", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5"), 0);
    new_case("ck-old-format");
    old_format_h5(expand("@ck.h5"), "sssd-traces-checkpoint");
    expect_failure("ck-old-format", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5", "without metadata checksums"), 0);
    new_case("ck-metadata-damaged");
    metadata_damaged_copy(ck, expand("@ck.h5"));
    expect_failure("ck-metadata-damaged", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5", "checksum"), 0);
    new_case("ck-crafted");
    crafted_copy(ck, expand("@ck.h5"));
    expect_crash_refused("ck-crafted", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                         NEEDS("ck.h5", "crashes the HDF5 library"));
    new_case("ck-foreign");
    foreign_h5(expand("@ck.h5"));
    expect_failure("ck-foreign", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5", "not a checkpoint|format"), 0);
    new_case("ck-version");
    h5_copy_set_int_attr(ck, expand("@ck.h5"), "format_version", 99);
    expect_failure("ck-version", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5", "version"), 0);
    new_case("ck-text");
    write_text(expand("@ck.h5"), "not a checkpoint\n");
    expect_failure("ck-text", ARGS(G, "--checkpoint", "@ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("ck.h5"), 0);

    new_case("in-empty");
    write_text(expand("@in.txt"), "");
    expect_failure("in-empty", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("in.txt", "empty"), 0);
    new_case("in-nonnumeric");
    write_text(expand("@in.txt"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,z,3,4\n");
    expect_failure("in-nonnumeric", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("in.txt:2:", "'z' is not a number"), 0);
    new_case("in-ragged");
    write_text(expand("@in.txt"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3\n");
    expect_failure("in-ragged", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("in.txt:2:", "ragged"), 0);
    new_case("in-id-zero");
    write_text(expand("@in.txt"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,0,3,4\n");
    expect_failure("in-id-zero", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("in.txt", "ID 0|0"), 0);
    if (tool_train) {
        new_case("in-id-beyond-vocab");
        write_text(expand("@in.txt"), "1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4\n1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,99,3,4\n");
        expect_failure("in-id-beyond-vocab", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                       NEEDS("in.txt", "99", "vocabulary"), 0);
    }
    new_case("in-length");
    write_windows(expand("@in.txt"), 4, 30, 8, 3);
    expect_failure("in-length", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                   NEEDS("in.txt", "30", "20"), 0);
    {
        double v[40];
        for (int i = 0; i < 40; i++) v[i] = 1 + i % 8;
        v[25] = NAN;
        new_case("in-nan-npy");
        write_npy_float(expand("@in.npy"), 2, 20, v, 1);
        expect_failure("in-nan-npy", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.npy", "--mask", "mid:5", "--out", "@g.txt"),
                       NEEDS("in.npy", "finite"), 0);
        v[25] = INFINITY;
        new_case("in-inf-npy");
        write_npy_float(expand("@in.npy"), 2, 20, v, 0);
        expect_failure("in-inf-npy", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.npy", "--mask", "mid:5", "--out", "@g.txt"),
                       NEEDS("in.npy", "finite"), 0);
    }
    new_case("mask-file-values");
    write_text(expand("@m.txt"), "1,1,1,1,1,0,0,0,0,0,1,1,1,1,1,1,1,1,1,3\n");
    expect_failure("mask-file-values", ARGS(G, "--checkpoint", "%ck.h5", "--input", "%in.txt", "--mask", "@m.txt", "--out", "@g.txt"),
                   NEEDS("m.txt", "3"), 0);

    static const struct { const char *name, *opt, *value, *needle; } bad_opts[] = {
        {"opt-steps-zero", "--steps", "0", "--steps"},
        {"opt-steps-negative", "--steps", "-3", "--steps"},
        {"opt-samples-zero", "--samples", "0", "--samples"},
        {"opt-top-negative", "--top", "-1", "--top"},
        {"opt-batch-zero", "--batch", "0", "--batch"},
        {"opt-eta", "--eta", "2", "--eta"},
        {"opt-sampler", "--sampler", "euler", "--sampler|euler"},
        {"opt-format", "--format", "xml", "--format|xml"},
        {"opt-mask-zero", "--mask", "mid:0", "mid:0|--mask"},
        {"opt-mask-beyond", "--mask", "mid:500", "mid:500|--mask"},
        {"opt-limit-negative", "--limit", "-1", "--limit"},
        {"opt-threads-zero", "--threads", "0", "--threads"},
    };
    for (size_t i = 0; i < sizeof bad_opts / sizeof *bad_opts; i++) {
        new_case(bad_opts[i].name);
        const char *v[24] = {G, "--checkpoint", ck, "--input", shared("in.txt"), "--sampler", "ddim", "--steps", "2",
                             "--out", expand("@g.txt"), bad_opts[i].opt, bad_opts[i].value, NULL};
        if (strcmp(bad_opts[i].opt, "--mask") != 0) {
            /* every case but the mask ones also needs a task */
            int n = 0;
            while (v[n]) n++;
            v[n++] = "--mask";
            v[n++] = "mid:5";
            v[n] = NULL;
        }
        expect_failure(bad_opts[i].name, v, NEEDS(bad_opts[i].needle), 0);
    }
    new_case("opt-num-zero");
    expect_failure("opt-num-zero", ARGS(G, "--checkpoint", "%ck.h5", "--num", "0", "--out", "@g.txt"), NEEDS("--num"), 0);
    new_case("opt-num-negative");
    expect_failure("opt-num-negative", ARGS(G, "--checkpoint", "%ck.h5", "--num", "-4", "--out", "@g.txt"), NEEDS("--num"), 0);
    new_case("opt-forecast-beyond");
    expect_failure("opt-forecast-beyond", ARGS(G, "--checkpoint", "%ck.h5", "--input", "%in.txt", "--forecast", "50", "--out", "@g.txt"),
                   NEEDS("--forecast|50"), 0);
    new_case("opt-unknown");
    expect_failure("opt-unknown", ARGS(G, "--checkpoint", "%ck.h5", "--input", "%in.txt", "--frobnicate", "--out", "@g.txt"),
                   NEEDS("--frobnicate|frobnicate"), 0);

    new_case("out-not-a-dir");
    write_text(expand("@blocker"), "x");
    expect_failure("out-not-a-dir", ARGS(G, "--checkpoint", "%ck.h5", "--input", "%in.txt", "--mask", "mid:5", "--sampler", "ddim",
                                         "--steps", "2", "--out", "@blocker/g.txt"),
                   NEEDS("blocker/g.txt"), 0);
    write_windows(shared("many.txt"), 200, 20, 8, 22);
    static const char *formats[] = {"text", "npy", "h5"};
    for (int i = 0; i < 3; i++) {
        char name[64], out[64];
        snprintf(name, sizeof name, "full-disk-%s", formats[i]);
        snprintf(out, sizeof out, "@g.%s", i == 0 ? "txt" : formats[i]);
        new_case(name);
        expect_failure(name, ARGS(G, "--checkpoint", "%ck.h5", "--input", "%many.txt", "--mask", "mid:5", "--sampler", "ddim",
                                  "--steps", "2", "--format", formats[i], "--out", out),
                       NEEDS("g.", "File too large|disk full"), 4096);
    }
    new_case("huge-input");
    if (sparse_file(expand("@in.txt"), "1,2,3\n", 1LL << 42) == 0)
        expect_failure("huge-input", ARGS(G, "--checkpoint", "%ck.h5", "--input", "@in.txt", "--mask", "mid:5", "--out", "@g.txt"),
                       NEEDS("in.txt", "memory"), 0);
    new_case("opt-temperature-id-model");
    expect_failure("opt-temperature-id-model", ARGS(G, "--checkpoint", "%ck.h5", "--input", "%in.txt", "--mask", "mid:5",
                                                    "--temperature", "1", "--out", "@g.txt"),
                   NEEDS("--temperature", "masked encoding"), 0);

    if (!tool_train || make_checkpoint("ckm.h5", "masked")) return;
    new_case("masked-sampler");
    expect_failure("masked-sampler", ARGS(G, "--checkpoint", "%ckm.h5", "--input", "%in.txt", "--mask", "mid:5",
                                          "--sampler", "ddim", "--out", "@g.txt"),
                   NEEDS("--sampler", "masked encoding"), 0);
    new_case("masked-eta");
    expect_failure("masked-eta", ARGS(G, "--checkpoint", "%ckm.h5", "--input", "%in.txt", "--mask", "mid:5", "--eta",
                                      "0.5", "--out", "@g.txt"),
                   NEEDS("--eta", "masked encoding"), 0);
    new_case("masked-temperature-negative");
    expect_failure("masked-temperature-negative", ARGS(G, "--checkpoint", "%ckm.h5", "--input", "%in.txt", "--mask",
                                                       "mid:5", "--temperature", "-1", "--out", "@g.txt"),
                   NEEDS("--temperature"), 0);
    new_case("masked-steps-zero");
    expect_failure("masked-steps-zero", ARGS(G, "--checkpoint", "%ckm.h5", "--input", "%in.txt", "--mask", "mid:5",
                                             "--steps", "0", "--out", "@g.txt"),
                   NEEDS("--steps"), 0);
    new_case("masked-full-disk");
    expect_failure("masked-full-disk", ARGS(G, "--checkpoint", "%ckm.h5", "--input", "%many.txt", "--mask", "mid:5",
                                            "--steps", "2", "--out", "@g.txt"),
                   NEEDS("g.", "File too large|disk full"), 4096);
}

/* ---- forward ---- */

/* An input file for `forward`: noisy (B,1,L), cond (B,2,L), t (B). */
static void forward_input(const char *path, int B, int L, int noisy_L, float poison, int t_value) {
    hid_t f = h5_create_checksummed(path);
    float *noisy = calloc((size_t)B * noisy_L, sizeof(float)), *cond = calloc((size_t)B * 2 * L, sizeof(float));
    int *t = calloc((size_t)B, sizeof(int));
    for (int i = 0; i < B * noisy_L; i++) noisy[i] = 0.1f * (float)(i % 7);
    noisy[B * noisy_L / 2] = poison;
    for (int i = 0; i < B; i++) t[i] = t_value;
    hsize_t dn[3] = {(hsize_t)B, 1, (hsize_t)noisy_L}, dc[3] = {(hsize_t)B, 2, (hsize_t)L}, dt[1] = {(hsize_t)B};
    H5LTmake_dataset_float(f, "noisy", 3, dn, noisy);
    H5LTmake_dataset_float(f, "cond", 3, dc, cond);
    H5LTmake_dataset_int(f, "t", 1, dt, t);
    H5Fclose(f);
    free(noisy);
    free(cond);
    free(t);
}

static void section_forward(void) {
    const char *F = tool_forward;
    if (expect_success("forward-init", ARGS(F, "--init", "--preset", "tiny", "--length", "20", "--save", "%ck.h5"))) return;
    const char *ck = shared("ck.h5");
    forward_input(shared("in.h5"), 2, 20, 20, 0.5f, 3);

    new_case("ck-truncated");
    truncated_copy(ck, expand("@ck.h5"), 0.5);
    expect_failure("ck-truncated", ARGS(F, "--checkpoint", "@ck.h5", "--input", "%in.h5", "--output", "@o.h5"), NEEDS("ck.h5"), 0);
    new_case("ck-corrupted");
    corrupted_copy(ck, expand("@ck.h5"));
    expect_failure("ck-corrupted", ARGS(F, "--checkpoint", "@ck.h5", "--input", "%in.h5", "--output", "@o.h5"), NEEDS("ck.h5"), 0);
    new_case("ck-foreign");
    foreign_h5(expand("@ck.h5"));
    expect_failure("ck-foreign", ARGS(F, "--checkpoint", "@ck.h5", "--input", "%in.h5", "--output", "@o.h5"),
                   NEEDS("ck.h5", "not a checkpoint|format"), 0);
    new_case("ck-version");
    h5_copy_set_int_attr(ck, expand("@ck.h5"), "format_version", 99);
    expect_failure("ck-version", ARGS(F, "--checkpoint", "@ck.h5", "--input", "%in.h5", "--output", "@o.h5"),
                   NEEDS("ck.h5", "version"), 0);
    new_case("in-not-h5");
    write_text(expand("@in.h5"), "");
    expect_failure("in-not-h5", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "not an HDF5"), 0);
    new_case("in-foreign");
    foreign_h5(expand("@in.h5"));
    expect_failure("in-foreign", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "noisy"), 0);
    new_case("in-length");
    forward_input(expand("@in.h5"), 2, 20, 30, 0.5f, 3);
    expect_failure("in-length", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "noisy"), 0);
    new_case("in-nan");
    forward_input(expand("@in.h5"), 2, 20, 20, NAN, 3);
    expect_failure("in-nan", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "noisy", "NaN|finite"), 0);
    new_case("in-inf");
    forward_input(expand("@in.h5"), 2, 20, 20, INFINITY, 3);
    expect_failure("in-inf", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "noisy", "inf|finite"), 0);
    new_case("in-t-range");
    forward_input(expand("@in.h5"), 2, 20, 20, 0.5f, 100000);
    expect_failure("in-t-range", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "t"), 0);
    new_case("in-t-negative");
    forward_input(expand("@in.h5"), 2, 20, 20, 0.5f, -1);
    expect_failure("in-t-negative", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("in.h5", "t"), 0);
    new_case("out-not-a-dir");
    write_text(expand("@blocker"), "x");
    expect_failure("out-not-a-dir", ARGS(F, "--checkpoint", "%ck.h5", "--input", "%in.h5", "--output", "@blocker/o.h5"),
                   NEEDS("blocker/o.h5"), 0);
    new_case("full-disk");
    forward_input(expand("@in.h5"), 64, 20, 20, 0.5f, 3);
    expect_failure("full-disk", ARGS(F, "--checkpoint", "%ck.h5", "--input", "@in.h5", "--output", "@o.h5"),
                   NEEDS("o.h5", "disk full|File too large"), 4096);
    new_case("init-full-disk");
    expect_failure("init-full-disk", ARGS(F, "--init", "--preset", "tiny", "--length", "20", "--save", "@ck.h5"),
                   NEEDS("ck.h5", "disk full|File too large"), 4096);
    new_case("init-length-zero");
    expect_failure("init-length-zero", ARGS(F, "--init", "--preset", "tiny", "--length", "0", "--save", "@ck.h5"),
                   NEEDS("--length"), 0);
    new_case("init-length-negative");
    expect_failure("init-length-negative", ARGS(F, "--init", "--preset", "tiny", "--length", "-20", "--save", "@ck.h5"),
                   NEEDS("--length"), 0);
    new_case("init-length-text");
    expect_failure("init-length-text", ARGS(F, "--init", "--preset", "tiny", "--length", "twenty", "--save", "@ck.h5"),
                   NEEDS("--length|twenty"), 0);
    new_case("init-length-huge");
    expect_failure("init-length-huge", ARGS(F, "--init", "--preset", "tiny", "--length", "2000000000", "--save", "@ck.h5"),
                   NEEDS("--length|length"), 0);
    new_case("init-preset");
    expect_failure("init-preset", ARGS(F, "--init", "--preset", "enormous", "--length", "20", "--save", "@ck.h5"),
                   NEEDS("enormous|preset"), 0);
    new_case("opt-threads-text");
    expect_failure("opt-threads-text", ARGS(F, "--checkpoint", "%ck.h5", "--input", "%in.h5", "--output", "@o.h5", "--threads", "x"),
                   NEEDS("--threads"), 0);
    new_case("opt-unknown");
    expect_failure("opt-unknown", ARGS(F, "--checkpoint", "%ck.h5", "--input", "%in.h5", "--output", "@o.h5", "--frobnicate", "1"),
                   NEEDS("--frobnicate"), 0);
}

int main(int argc, char **argv) {
    error_set_program_name("test_reliability");
    if (argc < 2) die("usage: test_reliability SECTION [--dataset-tool P] [--evaluate-tool P] ...");
    const char *section = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dataset-tool")) tool_dataset = argv[i + 1];
        else if (!strcmp(argv[i], "--evaluate-tool")) tool_evaluate = argv[i + 1];
        else if (!strcmp(argv[i], "--train-tool")) tool_train = argv[i + 1];
        else if (!strcmp(argv[i], "--generate-tool")) tool_generate = argv[i + 1];
        else if (!strcmp(argv[i], "--forward-tool")) tool_forward = argv[i + 1];
        else die("unknown option %s", argv[i]);
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) die("getcwd");
    snprintf(work, sizeof work, "%s/reliability_%s", cwd, section);
    remove_tree(work);
    if (mkdir(work, 0755) != 0) die("cannot create %s", work);

    const char *needed = !strcmp(section, "dataset")       ? tool_dataset
                         : !strcmp(section, "evaluate")    ? tool_evaluate
                         : !strcmp(section, "generate")    ? tool_generate
                         : !strcmp(section, "forward")     ? tool_forward
                         : !strncmp(section, "train", 5)   ? tool_train
                                                           : NULL;
    if (!needed) {
        printf("%s: no tool for this section in this build; skipped\n", section);
        return TEST_SKIP_CODE;
    }
    if (!strcmp(section, "dataset")) section_dataset();
    else if (!strcmp(section, "evaluate")) section_evaluate();
    else if (!strcmp(section, "train")) section_train();
    else if (!strcmp(section, "train_faults")) section_train_faults();
    else if (!strcmp(section, "generate")) section_generate();
    else if (!strcmp(section, "forward")) section_forward();
    printf("%s: %d cases, %d failed\n", section, cases_run, cases_failed);
    test_failed_count += cases_failed;
    return test_finish(section);
}
