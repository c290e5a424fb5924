/* Distribution metrics (see metrics_dist.h). n-grams are counted in a small
 * open-addressing hash table keyed by up to three event IDs; an n-gram is
 * counted when it lies inside one window (and, in generated-only scope, when
 * at least one of its positions was generated). */
#include "metrics_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ngram_slot {
    int32_t key[3];
    int used;
    int64_t count[2]; /* 0 = generated, 1 = real */
} ngram_slot;

typedef struct ngram_table {
    ngram_slot *slots;
    size_t cap, used;
} ngram_table;

static uint64_t ngram_hash(const int32_t *k) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 3; i++) {
        h ^= (uint32_t)k[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return h;
}

static void table_init(ngram_table *t) {
    t->cap = 1024;
    t->used = 0;
    t->slots = xcalloc(t->cap, sizeof *t->slots);
}

static void table_add(ngram_table *t, const int32_t *key, int side);

static void table_grow(ngram_table *t) {
    ngram_table bigger = {xcalloc(t->cap * 2, sizeof(ngram_slot)), t->cap * 2, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used) {
            size_t h = ngram_hash(t->slots[i].key) & (bigger.cap - 1);
            while (bigger.slots[h].used) h = (h + 1) & (bigger.cap - 1);
            bigger.slots[h] = t->slots[i];
            bigger.used++;
        }
    free(t->slots);
    *t = bigger;
}

static void table_add(ngram_table *t, const int32_t *key, int side) {
    if (2 * (t->used + 1) > t->cap) table_grow(t);
    size_t h = ngram_hash(key) & (t->cap - 1);
    while (t->slots[h].used && memcmp(t->slots[h].key, key, sizeof t->slots[h].key) != 0) h = (h + 1) & (t->cap - 1);
    if (!t->slots[h].used) {
        t->slots[h].used = 1;
        memcpy(t->slots[h].key, key, sizeof t->slots[h].key);
        t->used++;
    }
    t->slots[h].count[side]++;
}

static void count_ngrams(ngram_table *t, int n, const window_set *ws, const eval_mask *mask, int side) {
    int L = ws->length;
    for (int64_t w = 0; w < ws->count; w++) {
        const int32_t *x = ws->ids + w * L;
        for (int j = 0; j + n <= L; j++) {
            if (mask) {
                int touches = 0;
                for (int i = 0; i < n; i++) touches |= !mask_is_observed(mask, w, j + i);
                if (!touches) continue;
            }
            int32_t key[3] = {0, 0, 0};
            for (int i = 0; i < n; i++) key[i] = x[j + i];
            table_add(t, key, side);
        }
    }
}

/* Gather the table into two parallel count arrays. */
static int table_counts(const ngram_table *t, int64_t **p, int64_t **q) {
    *p = xmalloc((t->used ? t->used : 1) * sizeof **p);
    *q = xmalloc((t->used ? t->used : 1) * sizeof **q);
    int n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used) {
            (*p)[n] = t->slots[i].count[0];
            (*q)[n] = t->slots[i].count[1];
            n++;
        }
    return n;
}

double kl_divergence_counts(const int64_t *p, const int64_t *q, int n, double epsilon) {
    double sp = 0, sq = 0;
    for (int i = 0; i < n; i++) { sp += (double)p[i]; sq += (double)q[i]; }
    if (sp <= 0 || sq <= 0 || n == 0) return NAN;
    double norm = 1.0 + epsilon * n, kl = 0;
    for (int i = 0; i < n; i++) {
        double pi = ((double)p[i] / sp + epsilon) / norm, qi = ((double)q[i] / sq + epsilon) / norm;
        kl += pi * log(pi / qi);
    }
    return kl;
}

double js_divergence_counts(const int64_t *p, const int64_t *q, int n) {
    double sp = 0, sq = 0;
    for (int i = 0; i < n; i++) { sp += (double)p[i]; sq += (double)q[i]; }
    if (sp <= 0 || sq <= 0 || n == 0) return NAN;
    double js = 0;
    for (int i = 0; i < n; i++) {
        double pi = (double)p[i] / sp, qi = (double)q[i] / sq, mi = 0.5 * (pi + qi);
        if (pi > 0) js += 0.5 * pi * log2(pi / mi);
        if (qi > 0) js += 0.5 * qi * log2(qi / mi);
    }
    return js < 0 ? 0 : (js > 1 ? 1 : js); /* clamp rounding noise to the exact bounds */
}

static int cmp_slot_id(const void *a, const void *b) {
    int32_t x = (*(const ngram_slot *const *)a)->key[0], y = (*(const ngram_slot *const *)b)->key[0];
    return (x > y) - (x < y);
}

void dist_compute(const window_set *gen, const eval_mask *gen_mask, const window_set *real,
                  const eval_mask *real_mask, int vocab_max, dist_metrics *out) {
    memset(out, 0, sizeof *out);
    out->generated_only = gen_mask != NULL;
    out->vocab_max = vocab_max;
    double *js[3] = {&out->js_event, &out->js_bigram, &out->js_trigram};
    for (int n = 1; n <= 3; n++) {
        ngram_table t;
        table_init(&t);
        count_ngrams(&t, n, gen, gen_mask, 0);
        count_ngrams(&t, n, real, real_mask, 1);
        int64_t *p, *q;
        int m = table_counts(&t, &p, &q);
        *js[n - 1] = js_divergence_counts(p, q, m);
        if (n == 1) {
            out->kl_gen_real = kl_divergence_counts(p, q, m, DIST_KL_EPSILON);
            out->kl_real_gen = kl_divergence_counts(q, p, m, DIST_KL_EPSILON);
            /* Frequency table in ID order, for the report and its chart. */
            ngram_slot **rows = xmalloc((size_t)(m ? m : 1) * sizeof *rows);
            int r = 0;
            for (size_t i = 0; i < t.cap; i++)
                if (t.slots[i].used) rows[r++] = &t.slots[i];
            qsort(rows, (size_t)m, sizeof *rows, cmp_slot_id);
            out->n_events = m;
            out->event_ids = xmalloc((size_t)(m ? m : 1) * sizeof(int32_t));
            out->count_gen = xmalloc((size_t)(m ? m : 1) * sizeof(int64_t));
            out->count_real = xmalloc((size_t)(m ? m : 1) * sizeof(int64_t));
            for (int i = 0; i < m; i++) {
                int32_t id = rows[i]->key[0];
                int64_t cg = rows[i]->count[0], cr = rows[i]->count[1];
                out->event_ids[i] = id;
                out->count_gen[i] = cg;
                out->count_real[i] = cr;
                out->events_gen += cg;
                out->events_real += cr;
                out->unique_gen += cg > 0;
                out->unique_real += cr > 0;
                out->unique_both += cg > 0 && cr > 0;
                out->unique_gen_only += cg > 0 && cr == 0;
                out->unique_real_only += cr > 0 && cg == 0;
                if (id < 1 || id > vocab_max) {
                    out->oov_gen += cg;
                    out->oov_real += cr;
                }
            }
            free(rows);
        }
        free(p);
        free(q);
        free(t.slots);
    }
    composition_compute(gen, gen_mask, real, real_mask, &out->composition);
}

void dist_free(dist_metrics *d) {
    free(d->event_ids);
    free(d->count_gen);
    free(d->count_real);
    memset(d, 0, sizeof *d);
}
