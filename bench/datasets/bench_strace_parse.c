/* Benchmark of the strace parser on one core: parses a log (a file given as
 * argument, .xz allowed, or one generated in memory from realistic `strace -f
 * -ttt -T -o` line templates) and prints MB/s and lines/s.
 * Usage: bench_strace_parse [FILE] [--mb N] [--repeat R] */
#include "strace_parse.h"
#include "timer.h"
#include "trace_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

/* Line templates in the proportions a file-heavy program shows: reads and
 * writes with string previews, opens with paths, mmaps, stats with structs,
 * futex waits cut by other threads, errors, signals, exits. */
static int pending[4];

static size_t emit_line(char *p, int pid, double *ts) {
    *ts += 0.000001 * (1 + rnd(40));
    int *pend = &pending[pid - 4000];
    char head[48];
    int h = snprintf(head, sizeof head, "%-5d %.6f ", pid, *ts);
    memcpy(p, head, (size_t)h);
    char *q = p + h;
    static const char *texts[] = {"Been at for signal on is 95085.\\n", "\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0",
                                  "SELECT name, count(*) FROM ev\\n", "{\\\"key\\\": \\\"va)lue\\\"}\\n"};
    const char *t = texts[rnd(4)];
    double d = 0.000001 * (1 + rnd(900));
    /* A thread with a call in flight logs its resumption next. */
    int pick = *pend ? 12 : (int)rnd(16);
    if (pick == 12 && !*pend) pick = 13;
    switch (pick) {
    case 0: case 1: case 2: case 3:
        q += sprintf(q, "read(%u, \"%s\"..., 32768) = 32768 <%.6f>\n", 3 + rnd(5), t, d);
        break;
    case 4: case 5: case 6:
        q += sprintf(q, "write(%u, \"%s\"..., 262144) = 262144 <%.6f>\n", 3 + rnd(5), t, d);
        break;
    case 7:
        q += sprintf(q, "openat(AT_FDCWD, \"/usr/lib/x86_64-linux-gnu/lib%u.so.6\", O_RDONLY|O_CLOEXEC) = %u <%.6f>\n",
                     rnd(100), 3 + rnd(9), d);
        break;
    case 8:
        q += sprintf(q, "mmap(NULL, %u, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f%010x <%.6f>\n",
                     4096 * (1 + rnd(64)), rnd(0x7fffffff), d);
        break;
    case 9:
        q += sprintf(q, "newfstatat(%u, \"\", {st_mode=S_IFREG|0644, st_size=%u, ...}, AT_EMPTY_PATH) = 0 <%.6f>\n",
                     3 + rnd(5), rnd(1 << 24), d);
        break;
    case 10:
        q += sprintf(q, "access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory) <%.6f>\n", d);
        break;
    case 11:
        q += sprintf(q, "futex(0x7f%08x, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY <unfinished ...>\n",
                     rnd(0x7fffffff));
        *pend = 1;
        break;
    case 12:
        q += sprintf(q, "<... futex resumed>) = 0 <%.6f>\n", d);
        *pend = 0;
        break;
    case 13:
        q += sprintf(q, "close(%u) = 0 <%.6f>\n", 3 + rnd(9), d);
        break;
    case 14:
        q += sprintf(q, "poll([{fd=%u, events=POLLIN}], 1, 100) = 1 ([{fd=%u, revents=POLLIN}]) <%.6f>\n", 3 + rnd(4),
                     3 + rnd(4), d);
        break;
    default:
        q += sprintf(q, "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=%u, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---\n",
                     1000 + rnd(30000));
        break;
    }
    return (size_t)(q - p);
}

int main(int argc, char **argv) {
    const char *file = NULL;
    double mb = 256;
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) mb = atof(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (argv[i][0] != '-') file = argv[i];
        else {
            fprintf(stderr, "usage: bench_strace_parse [FILE] [--mb N] [--repeat R]\n");
            return 2;
        }
    }
    char *buf;
    size_t len;
    if (file) {
        error_info err;
        if (read_input_file(file, &buf, &len, &err)) {
            fprintf(stderr, "bench_strace_parse: %s\n", err.message);
            return 1;
        }
    } else {
        size_t target = (size_t)(mb * 1024 * 1024);
        buf = malloc(target + 4096);
        if (!buf) return 1;
        len = 0;
        double ts = 1700000000.0;
        /* Four threads; futex calls are unfinished on one thread and resumed on the
         * same thread a few lines later, as in real logs. */
        while (len < target) len += emit_line(buf + len, 4000 + (int)rnd(4), &ts);
    }
    printf("input: %s, %.1f MB\n", file ? file : "generated strace -f -ttt -T log", (double)len / 1e6);
    double best = 1e30;
    int64_t lines = 0, events = 0, unparsed = 0;
    for (int r = 0; r < repeat; r++) {
        strace_log log;
        strace_log_init(&log, 0);
        double t0 = now_seconds();
        strace_parse(&log, buf, len);
        strace_finish(&log);
        double t = now_seconds() - t0;
        if (t < best) best = t;
        lines = log.lines;
        events = log.count;
        unparsed = log.unparsed;
        strace_log_free(&log);
    }
    printf("lines %lld, events %lld, unparsed %lld\n",
           (long long)lines, (long long)events, (long long)unparsed);
    printf("strace_parse: %.3f s best of %d: %.0f MB/s, %.2f M lines/s (one core)\n", best, repeat,
           (double)len / 1e6 / best, (double)lines / 1e6 / best);
    free(buf);
    return 0;
}
