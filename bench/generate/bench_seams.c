/* Seams of long generated traces (generate --num N --length L): are the
 * n-grams where one window's generated events begin (right after the
 * overlap it was conditioned on) like those in the middle of a window's
 * generated events? For every window after the first, the bigram and the
 * two trigrams that cross its seam are compared with the n-grams of the
 * same shape at the middle of its generated part (as many of each), and
 * both with the n-grams of real windows: Jensen-Shannon divergence (bits)
 * and the share of n-grams that never occur in the real data. Two random
 * samples of the traces' n-grams, each as large, give the divergence that
 * sampling alone produces. Prints figures; asserts nothing. */
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

    /* Per order n = 2, 3: n-grams crossing a seam, at the middle, in REAL, anywhere in the traces. */
    keys seam[4] = {{0}}, mid[4] = {{0}}, ref[4] = {{0}}, any[4] = {{0}};
    int64_t seams = 0;
    for (int64_t t = 0; t < tr.count; t++) {
        const int32_t *x = tr.ids + t * tr.length;
        for (int64_t r = 1; r < plan.rounds; r++) {
            int64_t start;
            int observed;
            long_trace_window(&plan, r, &start, &observed);
            int64_t p = start + observed;                   /* first generated event */
            int64_t m = p + (window - observed) / 2;        /* middle of the generated part */
            if (m < p + 2 || m + 1 >= start + window) continue; /* too short a part to have a middle */
            seams++;
            for (int n = 2; n <= 3; n++)
                for (int s = n - 1; s >= 1; s--) { /* the n-grams holding both p-1 and p */
                    push(&seam[n], key_of(x + p - s, n));
                    push(&mid[n], key_of(x + m - s, n));
                }
        }
        for (int n = 2; n <= 3; n++)
            for (int64_t j = 0; j + n <= tr.length; j++) push(&any[n], key_of(x + j, n));
    }
    for (int64_t w = 0; w < real.count; w++)
        for (int n = 2; n <= 3; n++)
            for (int j = 0; j + n <= real.length; j++) push(&ref[n], key_of(real.ids + w * real.length + j, n));
    if (seams == 0) die("no window generates enough events to have a middle (overlap %d of %d)", overlap, window);

    printf("%lld traces of %d events, windows of %d overlapping by %d: %lld seams; real: %s (%lld windows)\n\n",
           (long long)tr.count, tr.length, window, overlap, (long long)seams, real_path, (long long)real.count);
    printf("%-9s %7s %13s %12s %15s %12s %15s %13s %12s\n", "n-grams", "count", "JS seam-real", "JS mid-real",
           "JS random-real", "JS seam-mid", "JS random pair", "unseen seam%", "unseen mid%");
    for (int n = 2; n <= 3; n++) {
        /* Two disjoint random samples of the traces' n-grams, each as large as the seam sample. */
        keys ra = {0}, rb = {0};
        int64_t k = seam[n].n;
        for (int64_t i = 0; i < 2 * k && any[n].n > 1; i++) {
            uint64_t u = ((uint64_t)philox_u32(7, 0x5EA5u, 2 * (uint64_t)i) << 32) | philox_u32(7, 0x5EA5u, 2 * (uint64_t)i + 1);
            push(i < k ? &ra : &rb, any[n].v[u % (uint64_t)any[n].n]);
        }
        keys seam_c = {0}, mid_c = {0};
        seam_c.v = xmalloc(sizeof(uint64_t) * (size_t)k);
        mid_c.v = xmalloc(sizeof(uint64_t) * (size_t)k);
        memcpy(seam_c.v, seam[n].v, sizeof(uint64_t) * (size_t)k);
        memcpy(mid_c.v, mid[n].v, sizeof(uint64_t) * (size_t)k);
        seam_c.n = mid_c.n = k;
        double js_sr = js_keys(&seam[n], &ref[n]);
        double js_mr = js_keys(&mid[n], &ref[n]);
        double js_sm = js_keys(&seam_c, &mid_c);
        double js_rr = js_keys(&ra, &rb);
        double js_ar = js_keys(&ra, &ref[n]);
        printf("%-9s %7lld %13.4f %12.4f %15.4f %12.4f %15.4f %13.2f %12.2f\n", n == 2 ? "bigrams" : "trigrams",
               (long long)k, js_sr, js_mr, js_ar, js_sm, js_rr, unseen_share(&seam[n], &ref[n]),
               unseen_share(&mid[n], &ref[n]));
        free(ra.v);
        free(rb.v);
        free(seam_c.v);
        free(mid_c.v);
    }
    printf("\nseam: the n-grams holding the last observed and the first generated event of a window (1 bigram,\n"
           "2 trigrams per seam); mid: the same shapes at the middle of that window's generated part; real: every\n"
           "n-gram of REAL; random: a random sample of the traces' n-grams as large as the seam sample, and random\n"
           "pair: two such samples (the divergence sampling alone gives); unseen: n-grams occurring nowhere in REAL.\n");
    for (int n = 0; n < 4; n++) {
        free(seam[n].v);
        free(mid[n].v);
        free(ref[n].v);
        free(any[n].v);
    }
    window_set_free(&tr);
    window_set_free(&real);
    return 0;
}
