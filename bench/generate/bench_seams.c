/* Seams of long generated traces (generate --num N --length L): are the
 * n-grams where one window's generated events begin (right after the
 * overlap it was conditioned on) like those elsewhere? For offsets around
 * the seam, the bigrams and trigrams ending there (one per seam) are
 * compared with every n-gram of real windows (Jensen-Shannon divergence,
 * bits, and the share never seen in the real data), beside the same figures
 * in the middle of the windows' generated parts and at random places, and
 * the divergence two random samples of that size have by chance. Prints
 * figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "long_trace.h"
#include "metrics_dist.h"
#include "philox.h"
#include "window_source.h"

static void usage(FILE *f) {
    fprintf(f, "usage: bench_seams TRACES --window L --overlap O --real REAL\n"
               "  TRACES  generate's output for --num N --length T (text, .npy or .h5; one trace a row)\n"
               "  L, O    the model's window and the overlap generate used (it prints both)\n"
               "  REAL    real windows: a dataset (its training split) or a window file\n");
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* An n-gram (n <= 3) as one key: 21 bits per event. */
static uint64_t key_of(const int32_t *x, int n) {
    uint64_t k = (uint64_t)n << 63;
    for (int i = 0; i < n; i++) k |= ((uint64_t)x[i] & 0x1FFFFF) << (21 * i);
    return k;
}

typedef struct keys {
    uint64_t *v;
    int64_t n, cap;
} keys;

static void push(keys *k, uint64_t key) {
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        k->v = xrealloc(k->v, sizeof(uint64_t) * (size_t)k->cap);
    }
    k->v[k->n++] = key;
}

/* JS divergence of two samples of keys (sorted in place). */
static double js_keys(keys *a, keys *b) {
    qsort(a->v, (size_t)a->n, sizeof(uint64_t), cmp_u64);
    qsort(b->v, (size_t)b->n, sizeof(uint64_t), cmp_u64);
    int64_t *p = xcalloc((size_t)(a->n + b->n + 1), sizeof(int64_t)), *q = xcalloc((size_t)(a->n + b->n + 1), sizeof(int64_t));
    int64_t i = 0, j = 0;
    int m = 0;
    while (i < a->n || j < b->n) {
        uint64_t k = i < a->n && (j >= b->n || a->v[i] <= b->v[j]) ? a->v[i] : b->v[j];
        while (i < a->n && a->v[i] == k) { p[m]++; i++; }
        while (j < b->n && b->v[j] == k) { q[m]++; j++; }
        m++;
    }
    double js = js_divergence_counts(p, q, m);
    free(p);
    free(q);
    return js;
}

/* Share (%) of a's keys absent from sorted `known`. */
static double unseen_share(const keys *a, const keys *known) {
    int64_t miss = 0;
    for (int64_t i = 0; i < a->n; i++)
        miss += bsearch(&a->v[i], known->v, (size_t)known->n, sizeof(uint64_t), cmp_u64) == NULL;
    return a->n ? 100.0 * (double)miss / (double)a->n : 0.0;
}

int main(int argc, char **argv) {
    error_set_program_name("bench_seams");
    const char *traces_path = NULL, *real_path = NULL;
    int window = 0, overlap = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) { usage(stdout); return 0; }
        if (!strncmp(argv[i], "--", 2)) {
            if (i + 1 >= argc) die("%s needs a value", argv[i]);
            const char *v = argv[++i];
            if (!strcmp(argv[i - 1], "--window")) window = atoi(v);
            else if (!strcmp(argv[i - 1], "--overlap")) overlap = atoi(v);
            else if (!strcmp(argv[i - 1], "--real")) real_path = v;
            else die("unknown option %s", argv[i - 1]);
        } else if (!traces_path) traces_path = argv[i];
        else die("unexpected argument %s", argv[i]);
    }
    if (!traces_path || !real_path || window < 2) {
        usage(stderr);
        return 2;
    }
    error_info err;
    window_set tr, real;
    if (windows_load(traces_path, NULL, 0, &tr, &err)) die("%s", err.message);
    if (windows_load(real_path, "training", 0, &real, &err)) die("%s", err.message);
    long_trace_plan plan;
    if (long_trace_plan_make(tr.length, window, overlap, &plan, &err)) die("%s", err.message);
    if (plan.rounds < 2) die("%s: traces of %d events fit in one window of %d: no seams", traces_path, tr.length, window);

    /* For each offset d from a seam (p = a window's first generated event),
     * the n-gram ending at p + d of every window after the first: d = 0 and
     * (trigrams) d = 1 cross the seam; d < 0 end in the overlap, which the
     * previous window generated; d > 0 lie in this window's generated part.
     * Every row holds one n-gram per seam, so the rows' divergences from
     * REAL compare like with like. */
    static const int offsets[] = {-16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16};
    enum { N_OFF = sizeof offsets / sizeof *offsets, ROW_MID = N_OFF, ROW_ANY, ROWS };
    keys rows[ROWS][4], ref[4], any[4];
    memset(rows, 0, sizeof rows);
    memset(ref, 0, sizeof ref);
    memset(any, 0, sizeof any);
    int64_t seams = 0;
    int min_generated = window;
    for (int64_t r = 1; r < plan.rounds; r++) {
        int64_t start;
        int observed;
        long_trace_window(&plan, r, &start, &observed);
        if (window - observed < min_generated) min_generated = window - observed;
    }
    for (int64_t t = 0; t < tr.count; t++) {
        const int32_t *x = tr.ids + t * tr.length;
        for (int64_t r = 1; r < plan.rounds; r++) {
            int64_t start;
            int observed;
            long_trace_window(&plan, r, &start, &observed);
            int64_t p = start + observed, m = p + (window - observed) / 2; /* first generated; middle */
            seams++;
            for (int n = 2; n <= 3; n++) {
                for (int k = 0; k < N_OFF; k++) {
                    int64_t q = p + offsets[k];
                    if (offsets[k] < min_generated && q - n + 1 >= 0) push(&rows[k][n], key_of(x + q - n + 1, n));
                }
                push(&rows[ROW_MID][n], key_of(x + m - n + 1, n));
            }
        }
        for (int n = 2; n <= 3; n++)
            for (int64_t j = 0; j + n <= tr.length; j++) push(&any[n], key_of(x + j, n));
    }
    for (int64_t w = 0; w < real.count; w++)
        for (int n = 2; n <= 3; n++)
            for (int j = 0; j + n <= real.length; j++) push(&ref[n], key_of(real.ids + w * real.length + j, n));
    /* A random sample of the traces' n-grams, one per seam, and a second one:
     * their divergence is what sampling alone gives. */
    keys pair[4];
    memset(pair, 0, sizeof pair);
    for (int n = 2; n <= 3; n++)
        for (int64_t i = 0; i < 2 * seams; i++) {
            uint64_t u = ((uint64_t)philox_u32(7, 0x5EA5u, 2 * (uint64_t)i) << 32) |
                         philox_u32(7, 0x5EA5u, 2 * (uint64_t)i + 1);
            push(i < seams ? &rows[ROW_ANY][n] : &pair[n], any[n].v[u % (uint64_t)any[n].n]);
        }

    printf("%lld traces of %d events, windows of %d overlapping by %d: %lld seams; real: %s (%lld windows)\n\n",
           (long long)tr.count, tr.length, window, overlap, (long long)seams, real_path, (long long)real.count);
    printf("%-34s %16s %9s %16s %9s\n", "n-gram ending at", "bigrams JS-real", "unseen%", "trigrams JS-real",
           "unseen%");
    for (int k = 0; k < ROWS; k++) {
        if (rows[k][2].n == 0) continue;
        char label[64];
        if (k == ROW_MID) snprintf(label, sizeof label, "middle of the generated part");
        else if (k == ROW_ANY) snprintf(label, sizeof label, "anywhere (random)");
        else snprintf(label, sizeof label, "seam %+d%s", offsets[k],
                      offsets[k] == 0 ? " (crosses the seam)" : offsets[k] == 1 ? " (trigram crosses)"
                      : offsets[k] < 0 ? " (in the overlap)" : "");
        printf("%-34s", label);
        for (int n = 2; n <= 3; n++) {
            double js = js_keys(&rows[k][n], &ref[n]); /* sorts ref, which unseen_share searches */
            printf(" %16.4f %9.2f", js, unseen_share(&rows[k][n], &ref[n]));
        }
        printf("\n");
    }
    printf("%-34s", "two random samples (noise)");
    for (int n = 2; n <= 3; n++) {
        keys a = {0};
        for (int64_t i = 0; i < rows[ROW_ANY][n].n; i++) push(&a, rows[ROW_ANY][n].v[i]);
        printf(" %16.4f %9s", js_keys(&a, &pair[n]), "");
        free(a.v);
    }
    printf("\n\nJS-real: Jensen-Shannon divergence (bits) of each row's n-grams (one per seam) from every n-gram\n"
           "of REAL; unseen: n-grams occurring nowhere in REAL; the last row, between two random samples of the\n"
           "traces' n-grams, is the divergence that sampling alone gives. Seams that look like the rest of the\n"
           "trace score like the middle and random rows.\n");
    for (int n = 0; n < 4; n++) {
        for (int k = 0; k < ROWS; k++) free(rows[k][n].v);
        free(ref[n].v);
        free(any[n].v);
        free(pair[n].v);
    }
    window_set_free(&tr);
    window_set_free(&real);
    return 0;
}
