/* What `train` tells people and programs: a line per step on the terminal
 * (a progress bar when stderr is a terminal, plain lines otherwise) and the
 * machine-readable DIR/log.jsonl, which survives a resume: entries after the
 * checkpoint's step are dropped, then new ones are appended. */
#ifndef SSSD_TRAIN_LOG_H
#define SSSD_TRAIN_LOG_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"

typedef struct train_log {
    FILE *jsonl;          /* DIR/log.jsonl, appended, flushed per line */
    int tty;              /* stderr is a terminal: progress bar */
    int bar_shown;        /* a bar is on screen (to be cleared before other text) */
    int quiet;
    int silent;           /* says nothing at all: the other processes of a multi-process run */
} train_log;

/* Open DIR/log.jsonl. resume_step < 0: a fresh run (the file is replaced);
 * otherwise keep entries whose "step" <= resume_step (rewritten atomically). */
int train_log_open(train_log *lg, const char *path, long long resume_step, int quiet, error_info *err);
void train_log_close(train_log *lg);

/* One record appended as a line of compact JSON with reals to `digits`
 * significant digits (values that are not finite as null); takes the
 * reference to `record`. */
void train_log_record(train_log *lg, json_t *record, int digits);

/* A line for people: clears the progress bar first. printf-style. */
void train_log_say(train_log *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The per-step report. */
void train_log_step(train_log *lg, long long step, long long total, double loss, double avg_loss, double lr,
                    double ms_per_iter, double eta_seconds);

/* "1h02m", "3m05s", "12s" */
void format_duration(double seconds, char *out, size_t size);

#endif
