/* Terminal lines, progress bar and log.jsonl (see train_log.h). */
#include "train_log.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json_out.h"
#include "json_read.h"

void format_duration(double seconds, char *out, size_t size) {
    if (!isfinite(seconds) || seconds < 0) { snprintf(out, size, "?"); return; }
    long s = lround(seconds);
    if (s >= 3600) snprintf(out, size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60) snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else snprintf(out, size, "%lds", s);
}

/* Keep the lines of an existing log up to resume_step; a torn last line (kill -9 mid-write) is dropped. */
static int truncate_log(const char *path, long long resume_step, error_info *err) {
    FILE *in = fopen(path, "r");
    if (!in) return 0; /* no log yet */
    atomic_file af;
    if (atomic_file_open(&af, path, err)) { fclose(in); return -1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long long kept = 0, dropped = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] != '\n') { dropped++; continue; }
        line[n - 1] = 0;
        error_info ignored;
        json_t *v = json_read_text(line, path, &ignored);
        if (!v) { dropped++; continue; }
        const json_t *step = json_object_get(v, "step");
        int keep = step && json_is_number(step) && json_number_value(step) <= (double)resume_step;
        json_decref(v);
        if (keep) { fprintf(af.f, "%s\n", line); kept++; }
        else dropped++;
    }
    free(line);
    fclose(in);
    (void)kept;
    (void)dropped;
    return atomic_file_commit(&af, err);
}

int train_log_open(train_log *lg, const char *path, long long resume_step, int quiet, error_info *err) {
    memset(lg, 0, sizeof *lg);
    lg->tty = isatty(STDERR_FILENO);
    lg->quiet = quiet;
    if (resume_step >= 0) {
        if (truncate_log(path, resume_step, err)) return -1;
    } else {
        /* A fresh run starts a fresh log (atomically: empty file, then rename). */
        atomic_file af;
        if (atomic_file_open(&af, path, err) || atomic_file_commit(&af, err)) return -1;
    }
    lg->jsonl = fopen(path, "a");
    if (!lg->jsonl) return error_set(err, "%s: cannot append to the training log", path);
    return 0;
}

void train_log_close(train_log *lg) {
    if (lg->bar_shown) { fputc('\n', stderr); lg->bar_shown = 0; }
    if (lg->jsonl) fclose(lg->jsonl);
    lg->jsonl = NULL;
}

void train_log_record(train_log *lg, json_t *record, int digits) {
    if (!record) die("out of memory writing the training log");
    if (lg->jsonl) {
        char *text = json_text(record, JSON_OUT_COMPACT(digits), "the training log");
        fprintf(lg->jsonl, "%s\n", text);
        fflush(lg->jsonl);
        free(text);
    }
    json_decref(record);
}

static void clear_bar(train_log *lg) {
    if (lg->bar_shown) {
        fputs("\r\033[K", stderr);
        lg->bar_shown = 0;
    }
}

void train_log_say(train_log *lg, const char *fmt, ...) {
    if (lg->silent) return;
    clear_bar(lg);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

void train_log_step(train_log *lg, long long step, long long total, double loss, double avg_loss, double lr,
                    double ms_per_iter, double eta_seconds) {
    if (lg->quiet || lg->silent) return;
    char eta[32];
    format_duration(eta_seconds, eta, sizeof eta);
    if (lg->tty) {
        int width = 24, filled = total > 0 ? (int)((double)step / (double)total * width) : width;
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r\033[K[%s] step %lld/%lld | loss %.4f (avg %.4f) | lr %.2e | %.0f ms/iter | ETA %s", bar,
                step, total, loss, avg_loss, lr, ms_per_iter, eta);
        lg->bar_shown = 1;
    } else {
        fprintf(stderr, "step %lld/%lld | loss %.6f | avg %.6f | lr %.2e | %.1f ms/iter | ETA %s\n", step, total, loss,
                avg_loss, lr, ms_per_iter, eta);
    }
    fflush(stderr);
}
