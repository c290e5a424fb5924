/* Inline SVG charts for the tools' self-contained HTML pages (evaluate --html,
 * dataset report --html): bars, horizontal bars, a stacked timeline with
 * markers, and a heat map. Plain SVG elements only: no scripts, fonts or links. */
#ifndef SSSD_COMMON_SVG_CHART_H
#define SSSD_COMMON_SVG_CHART_H

#include <stdint.h>
#include <stdio.h>

/* Text with HTML's special characters escaped. */
void svg_escape(FILE *f, const char *s);

/* Grouped vertical bars: series s of `ns`, n groups, values normalised by the
 * caller (bars are clipped at ymax). labels: one per group. counts (may be
 * NULL): a number shown under each group's label. */
void svg_bars_text(FILE *f, const char *title, int n, int ns, const double *const *series, const char *const *names,
                   const char *const *colors, const char *const *labels, const int64_t *counts, double ymax,
                   const char *ylabel, const char *xlabel);

/* The same with integer labels (event IDs, positions). */
void svg_bars(FILE *f, const char *title, int n, int ns, const double *const *series, const char *const *names,
              const char *const *colors, const int *labels, const int64_t *counts, double ymax, const char *ylabel,
              const char *xlabel);

/* Horizontal bars, one a row, longest = full width; value_text (may be NULL)
 * is written at the end of each bar. */
void svg_hbars(FILE *f, const char *title, int n, const char *const *labels, const double *values,
               const char *const *colors, const char *const *value_text);

/* A vertical line over a timeline, with a short label at its top. */
typedef struct svg_marker {
    double x;            /* in the chart's x units */
    char label[24];
} svg_marker;

/* Stacked columns over an x range [x0, x1]: n columns of equal width, `ns`
 * stacked series (values[s * n + i]), a legend, and markers. */
void svg_stacked(FILE *f, const char *title, int n, int ns, const double *values, const char *const *names,
                 const char *const *colors, double x0, double x1, const char *xlabel, const char *ylabel,
                 const svg_marker *markers, int n_markers);

/* A heat map of an n x n matrix (row-major, values in [0, 1], darker = larger);
 * cell titles show `cell_text` (may be NULL) or the value. */
void svg_heatmap(FILE *f, const char *title, int n, const char *const *labels, const double *matrix,
                 const char *const *cell_text, const char *row_axis, const char *col_axis);

/* Eight distinguishable colours (the category palette). */
extern const char *const SVG_PALETTE[8];

#endif
