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
extern const char *const REPORT_MEANING_KL;
extern const char *const REPORT_MEANING_JS;
extern const char *const REPORT_MEANING_NN_GEN;
extern const char *const REPORT_MEANING_NN_REAL;
extern const char *const REPORT_MEANING_MEMO;
extern const char *const REPORT_MEANING_LEAK;
extern const char *const REPORT_SMOOTHING;

#endif
