/* Benchmark of `dataset report` on a large strace log: repeats a shipped raw
 * log (tar-untar, run 1) until the file reaches SIZE MB (default 100), then
 * times reading, parsing and every figure of the report, as the tool does.
 * usage: bench_trace_report [SIZE_MB] [FILE]   (FILE default /tmp/bench_report.strace, removed afterwards) */
#include "timer.h"
#include "trace_input.h"
#include "trace_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    double mb = argc > 1 ? atof(argv[1]) : 100;
    const char *path = argc > 2 ? argv[2] : "/tmp/bench_report.strace";
    const char *src = SSSD_SOURCE_DIR "/datasets/tar-untar/raw/run-001.strace.xz";
    error_info err;
    char *data;
    size_t len;
    if (read_input_file(src, &data, &len, &err)) die("%s", err.message);
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write %s", path);
    size_t total = 0;
    while ((double)total < mb * 1e6) {
        if (fwrite(data, 1, len, f) != len) die("cannot write %s", path);
        total += len;
    }
    if (fclose(f)) die("cannot write %s", path);
    free(data);
    double t0 = now_seconds();
    trace_report r;
    trace_report_init(&r);
    const char *paths[] = {path};
    if (trace_report_add_logs(&r, 1, paths, &err)) die("%s", err.message);
    double t1 = now_seconds();
    trace_report_compute(&r);
    double t2 = now_seconds();
    FILE *null = fopen("/dev/null", "w");
    trace_report_json(null, &r);
    trace_report_html(null, &r);
    fclose(null);
    double t3 = now_seconds();
    printf("%s: %.1f MB, %lld lines, %lld calls, %d phases\n", path, total / 1e6, (long long)r.lines, (long long)r.n_calls,
           r.n_phases);
    printf("read+parse %.2f s, figures %.2f s, json+html %.2f s, total %.2f s (%.0f MB/s)\n", t1 - t0, t2 - t1, t3 - t2,
           t3 - t0, total / 1e6 / (t3 - t0));
    trace_report_free(&r);
    if (argc <= 2) unlink(path);
    return 0;
}
