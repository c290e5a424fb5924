/* Inline SVG charts shared by the HTML reports (see svg_chart.h). */
#include "svg_chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const SVG_PALETTE[8] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                    "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

void svg_escape(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void svg_bars_text(FILE *f, const char *title, int n, int ns, const double *const *series, const char *const *names,
                   const char *const *colors, const char *const *labels, const int64_t *counts, double ymax,
                   const char *ylabel, const char *xlabel) {
    int W = 900, H = counts ? 302 : 290, left = 50, bottom = counts ? 54 : 42, top = 48;
    double pw = W - left - 10, ph = H - top - bottom;
    if (ymax <= 0) ymax = 1;
    fprintf(f, "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"13\" font-weight=\"bold\">", left);
    svg_escape(f, title);
    fputs("</text>\n", f);
    fprintf(f, "<line x1=\"%d\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/>\n", left, top + ph, left + pw, top + ph);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%g\" stroke=\"#333\"/>\n", left, top, left, top + ph);
    for (int t = 0; t <= 4; t++) {
        double y = top + ph - ph * t / 4.0;
        fprintf(f, "<text x=\"%d\" y=\"%g\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", left - 4, y + 3, ymax * t / 4.0);
    }
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"10\">", top - 10);
    svg_escape(f, ylabel);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"%g\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">", left + pw / 2, H - 6);
    svg_escape(f, xlabel);
    fputs("</text>\n", f);
    double gw = n ? pw / n : pw, bw = gw * 0.8 / ns;
    int label_every = n > 40 ? (n + 39) / 40 : 1;
    for (int i = 0; i < n; i++) {
        for (int s = 0; s < ns; s++) {
            double v = series[s][i];
            if (!isfinite(v)) continue;
            double h = ph * (v > ymax ? ymax : v) / ymax;
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>", left + gw * i + gw * 0.1 + bw * s,
                    top + ph - h, bw, h, colors[s]);
            svg_escape(f, labels[i]);
            fprintf(f, ": %.4g</title></rect>\n", v);
        }
        if (i % label_every == 0) {
            fprintf(f, "<text x=\"%.2f\" y=\"%g\" font-size=\"9\" text-anchor=\"middle\">", left + gw * (i + 0.5), top + ph + 12);
            svg_escape(f, labels[i]);
            fputs("</text>\n", f);
        }
        if (counts && i % label_every == 0)
            fprintf(f, "<text x=\"%.2f\" y=\"%g\" font-size=\"8\" fill=\"#666\" text-anchor=\"middle\">%lld</text>\n",
                    left + gw * (i + 0.5), top + ph + 23, (long long)counts[i]);
    }
    for (int s = 0; s < ns; s++) {
        int x = W - 10 - 140 * (ns - s);
        fprintf(f, "<rect x=\"%d\" y=\"20\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"29\" font-size=\"11\">", x,
                colors[s], x + 14);
        svg_escape(f, names[s]);
        fputs("</text>\n", f);
    }
    fputs("</svg></figure>\n", f);
}

void svg_bars(FILE *f, const char *title, int n, int ns, const double *const *series, const char *const *names,
              const char *const *colors, const int *labels, const int64_t *counts, double ymax, const char *ylabel,
              const char *xlabel) {
    char **text = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    for (int i = 0; i < n; i++) {
        text[i] = malloc(16);
        snprintf(text[i], 16, "%d", labels[i]);
    }
    svg_bars_text(f, title, n, ns, series, names, colors, (const char *const *)text, counts, ymax, ylabel, xlabel);
    for (int i = 0; i < n; i++) free(text[i]);
    free(text);
}

void svg_hbars(FILE *f, const char *title, int n, const char *const *labels, const double *values,
               const char *const *colors, const char *const *value_text) {
    int W = 900, left = 150, right = 170, row = 22, top = 28;
    int H = top + row * (n > 0 ? n : 1) + 10;
    double pw = W - left - right, vmax = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(values[i]) && values[i] > vmax) vmax = values[i];
    if (vmax <= 0) vmax = 1;
    fprintf(f, "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H, W, H);
    fprintf(f, "<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"bold\">");
    svg_escape(f, title);
    fputs("</text>\n", f);
    for (int i = 0; i < n; i++) {
        double y = top + row * i, v = isfinite(values[i]) ? values[i] : 0, w = pw * v / vmax;
        fprintf(f, "<text x=\"%d\" y=\"%g\" font-size=\"12\" text-anchor=\"end\">", left - 6, y + 15);
        svg_escape(f, labels[i]);
        fprintf(f, "</text>\n<rect x=\"%d\" y=\"%g\" width=\"%.2f\" height=\"%d\" fill=\"%s\"><title>", left, y + 3, w, row - 6,
                colors[i]);
        svg_escape(f, labels[i]);
        fprintf(f, ": %.6g</title></rect>\n", v);
        if (value_text) {
            fprintf(f, "<text x=\"%.2f\" y=\"%g\" font-size=\"11\">", left + w + 5, y + 15);
            svg_escape(f, value_text[i]);
            fputs("</text>\n", f);
        }
    }
    fputs("</svg></figure>\n", f);
}

void svg_stacked(FILE *f, const char *title, int n, int ns, const double *values, const char *const *names,
                 const char *const *colors, double x0, double x1, const char *xlabel, const char *ylabel,
                 const svg_marker *markers, int n_markers) {
    int W = 900, H = 320, left = 56, bottom = 42, top = 66;
    double pw = W - left - 10, ph = H - top - bottom, ymax = 0;
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int s = 0; s < ns; s++) sum += values[(size_t)s * n + i];
        if (sum > ymax) ymax = sum;
    }
    if (ymax <= 0) ymax = 1;
    if (!(x1 > x0)) x1 = x0 + 1;
    fprintf(f, "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"13\" font-weight=\"bold\">", left);
    svg_escape(f, title);
    fputs("</text>\n", f);
    for (int s = 0; s < ns; s++) { /* legend in one row under the title */
        int x = left + (int)(pw / ns) * s;
        fprintf(f, "<rect x=\"%d\" y=\"22\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"31\" font-size=\"11\">", x,
                colors[s], x + 14);
        svg_escape(f, names[s]);
        fputs("</text>\n", f);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#333\"/>\n", left, top + ph, left + pw, top + ph);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%g\" stroke=\"#333\"/>\n", left, top, left, top + ph);
    for (int t = 0; t <= 4; t++) {
        double y = top + ph - ph * t / 4.0;
        fprintf(f, "<text x=\"%d\" y=\"%g\" font-size=\"10\" text-anchor=\"end\">%.3g</text>\n", left - 4, y + 3, ymax * t / 4.0);
        double xv = x0 + (x1 - x0) * t / 4.0;
        /* whole numbers for call indices, the last label kept inside the chart */
        fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"%s\">", left + pw * t / 4.0, top + ph + 13,
                t == 4 ? "end" : "middle");
        fprintf(f, x1 - x0 >= 100 ? "%.0f</text>\n" : "%.4g</text>\n", xv);
    }
    fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"10\">", top - 8);
    svg_escape(f, ylabel);
    fputs("</text>\n", f);
    fprintf(f, "<text x=\"%g\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">", left + pw / 2, H - 6);
    svg_escape(f, xlabel);
    fputs("</text>\n", f);
    double cw = n ? pw / n : pw;
    for (int i = 0; i < n; i++) {
        double y = top + ph;
        for (int s = 0; s < ns; s++) {
            double v = values[(size_t)s * n + i];
            if (!(v > 0)) continue;
            double h = ph * v / ymax;
            y -= h;
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"><title>", left + cw * i, y,
                    cw > 1.5 ? cw - 0.5 : cw, h, colors[s]);
            svg_escape(f, names[s]);
            fprintf(f, ": %.6g</title></rect>\n", v);
        }
    }
    for (int m = 0; m < n_markers; m++) {
        double x = left + pw * (markers[m].x - x0) / (x1 - x0);
        fprintf(f, "<line class=\"marker\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%g\" stroke=\"#000\" stroke-dasharray=\"4,3\"/>\n",
                x, top - 12, x, top + ph);
        fprintf(f, "<text x=\"%.2f\" y=\"%d\" font-size=\"10\">", x + 2, top - 3);
        svg_escape(f, markers[m].label);
        fputs("</text>\n", f);
    }
    fputs("</svg></figure>\n", f);
}

void svg_heatmap(FILE *f, const char *title, int n, const char *const *labels, const double *matrix,
                 const char *const *cell_text, const char *row_axis, const char *col_axis) {
    int cell = n > 0 ? (n > 24 ? 640 / n : 26) : 26, left = 130, top = 120;
    int W = left + cell * n + 20, H = top + cell * n + 30;
    if (W < 640) W = 640; /* room for the title */
    fprintf(f, "<figure><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H, W, H);
    fprintf(f, "<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"bold\">");
    svg_escape(f, title);
    fputs("</text>\n<text x=\"4\" y=\"30\" font-size=\"10\">", f);
    svg_escape(f, row_axis);
    fputs(" (rows) \xe2\x86\x92 ", f);
    svg_escape(f, col_axis);
    fputs(" (columns)</text>\n", f);
    for (int j = 0; j < n; j++) {
        double x = left + cell * (j + 0.5);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" transform=\"rotate(-60 %.1f %d)\">", x, top - 4, x, top - 4);
        svg_escape(f, labels[j]);
        fputs("</text>\n", f);
    }
    for (int i = 0; i < n; i++) {
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">", left - 4, top + cell * (i + 0.5) + 3);
        svg_escape(f, labels[i]);
        fputs("</text>\n", f);
        for (int j = 0; j < n; j++) {
            double v = matrix[(size_t)i * n + j];
            if (!isfinite(v) || v < 0) v = 0;
            if (v > 1) v = 1;
            /* white to dark blue */
            int r = (int)(255 - 224 * v), g = (int)(255 - 136 * v), b = (int)(255 - 75 * v);
            fprintf(f, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\" stroke=\"#eee\"><title>",
                    left + cell * j, top + cell * i, cell, cell, r, g, b);
            svg_escape(f, labels[i]);
            fputs(" \xe2\x86\x92 ", f);
            svg_escape(f, labels[j]);
            if (cell_text) {
                fputs(": ", f);
                svg_escape(f, cell_text[(size_t)i * n + j]);
            } else {
                fprintf(f, ": %.3g", v);
            }
            fputs("</title></rect>\n", f);
        }
    }
    fputs("</svg></figure>\n", f);
}
