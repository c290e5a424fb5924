/* The three views of an eval_result: a terminal table, a JSON file with every
 * figure, and a self-contained HTML report with inline SVG charts. */
#ifndef SSSD_EVALUATE_REPORT_H
#define SSSD_EVALUATE_REPORT_H

#include <stdio.h>
#include "error.h"
#include "evaluation.h"

#define REPORT_HIST_BINS 20
/* Per-type rows shown on the terminal (model, baselines); the JSON and HTML
 * hold every row. */
#define REPORT_TYPE_ROWS 40
#define REPORT_TYPE_ROWS_BASELINE 10

void report_text(FILE *f, const eval_result *r);
int report_json_write(const char *path, const eval_result *r, error_info *err);
int report_html_write(const char *path, const eval_result *r, error_info *err);

/* Counts of values in [0,1] over `bins` equal bins (1.0 goes to the last). */
void report_histogram(const double *values, int64_t n, int bins, int64_t *counts);
/* One-line meanings shared by every view, so they cannot drift apart. */
extern const char *const REPORT_MEANING_ACCURACY;
extern const char *const REPORT_MEANING_PERFECT;
extern const char *const REPORT_MEANING_ROUGE_EVENT;
extern const char *const REPORT_MEANING_ROUGE_PUBLISHED;
extern const char *const REPORT_MEANING_MACRO;
extern const char *const REPORT_MEANING_TAIL;
extern const char *const REPORT_MEANING_DISTINCT;
extern const char *const REPORT_MEANING_UNSEEN;
extern const char *const REPORT_MEANING_BOOTSTRAP;
extern const char *const REPORT_MEANING_KL;
extern const char *const REPORT_MEANING_JS;
extern const char *const REPORT_MEANING_NN_GEN;
extern const char *const REPORT_MEANING_NN_REAL;
extern const char *const REPORT_MEANING_MEMO;
extern const char *const REPORT_MEANING_LEAK;
extern const char *const REPORT_SMOOTHING;
extern const char *const REPORT_MEANING_FLOOR;
extern const char *const REPORT_MEANING_FLOOR_RANGE;
extern const char *const REPORT_MEANING_COPIES;
extern const char *const REPORT_MEANING_NGRAM_SYNTHESIS;

/* The figures of the floor (real against real) beside the generator's, in
 * the order every view prints them. */
#define REPORT_FLOOR_ROWS 10
typedef struct floor_row {
    const char *name;       /* as printed */
    const char *key;        /* JSON */
    const char *unit;       /* "", " nats", " %" */
    double generated, floor;
    int integer;            /* a count (distinct events) */
    int has_range;          /* lo, median, hi: the floor over its draws (floor.h) */
    double lo, median, hi;
    double ngram;           /* the n-gram generator's (ngram_synthesis.h); NaN when it has none */
} floor_row;
/* Fills up to REPORT_FLOOR_ROWS rows (the nearest-neighbour ones when both
 * were computed); returns how many. */
int report_floor_rows(const eval_result *r, floor_row *rows);
/* Copies: the share (%) of GENERATED and of REAL windows occurring verbatim
 * in the stitched training trace. */
double report_copies_generated(const eval_result *r);
double report_copies_real(const eval_result *r);
/* The same share (%) among the n-gram generator's windows. */
double report_copies_ngram(const eval_result *r);
/* A model-minus-baseline difference as the reports print it: "+1.48 [+0.34,
 * +2.59]", the difference alone when it has no interval, "-" when undefined. */
void report_interval(const diff_interval *d, char *out, size_t size);

#endif
