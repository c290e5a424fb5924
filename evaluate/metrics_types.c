/* Per-event-type reconstruction figures (see metrics_types.h). IDs are
 * counted by sorting rather than by table lookups, because generated IDs may
 * be anything (negative, huge) and must still be counted as answers. */
#include "metrics_types.h"
#include "compare.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct id_count { int32_t id; int64_t n; } id_count;
typedef struct answer { int32_t real, gen; } answer;

static int cmp_count_desc(const void *a, const void *b) {
    const id_count *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_answer(const void *a, const void *b) {
    const answer *x = a, *y = b;
    if (x->real != y->real) return (x->real > y->real) - (x->real < y->real);
    return (x->gen > y->gen) - (x->gen < y->gen);
}

static int cmp_row(const void *a, const void *b) {
    const type_row *x = a, *y = b;
    if ((x->real > 0) != (y->real > 0)) return x->real > 0 ? -1 : 1;
    if (x->real != y->real) return x->real > y->real ? -1 : 1;
    if (x->real == 0 && x->predicted != y->predicted) return x->predicted > y->predicted ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

int types_head(const window_set *real, int k, int32_t *head) {
    int64_t n = real->count * real->length;
    int32_t *sorted = xmalloc((size_t)(n ? n : 1) * sizeof *sorted);
    memcpy(sorted, real->ids, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_i32);
    id_count *runs = xmalloc((size_t)(n ? n : 1) * sizeof *runs);
    int64_t n_runs = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && sorted[j] == sorted[i]) j++;
        runs[n_runs++] = (id_count){sorted[i], j - i};
        i = j;
    }
    qsort(runs, (size_t)n_runs, sizeof *runs, cmp_count_desc);
    int got = n_runs < k ? (int)n_runs : k;
    for (int i = 0; i < got; i++) head[i] = runs[i].id;
    free(runs);
    free(sorted);
    return got;
}

static int64_t index_of(const int32_t *ids, int64_t n, int32_t id) {
    const int32_t *p = bsearch(&id, ids, (size_t)n, sizeof *ids, cmp_i32);
    return p ? p - ids : -1;
}

void types_compute(const window_set *gen, const window_set *real, const eval_mask *mask, int head_k,
                   const uint8_t *rows, type_metrics *out) {
    memset(out, 0, sizeof *out);
    out->head_k = head_k;
    out->head = xmalloc((size_t)head_k * sizeof *out->head);
    out->n_head = types_head(real, head_k, out->head);
    int32_t *head_sorted = xmalloc((size_t)head_k * sizeof *head_sorted);
    memcpy(head_sorted, out->head, (size_t)out->n_head * sizeof *head_sorted);
    qsort(head_sorted, (size_t)out->n_head, sizeof *head_sorted, cmp_i32);

    /* The (real, generated) answer at every scored position. */
    int L = real->length;
    int64_t cells = real->count * L;
    answer *ans = xmalloc((size_t)(cells > 0 ? cells : 1) * sizeof *ans);
    int64_t n = 0;
    for (int64_t w = 0; w < real->count; w++) {
        if (rows && !rows[w]) continue;
        for (int j = 0; j < L; j++)
            if (!mask_is_observed(mask, w, j)) ans[n++] = (answer){real->ids[w * L + j], gen->ids[w * L + j]};
    }
    out->positions = n;

    /* Every ID met on either side, sorted and unique. */
    int32_t *ids = xmalloc((size_t)(n > 0 ? 2 * n : 1) * sizeof *ids);
    for (int64_t i = 0; i < n; i++) {
        ids[2 * i] = ans[i].real;
        ids[2 * i + 1] = ans[i].gen;
    }
    qsort(ids, (size_t)(2 * n), sizeof *ids, cmp_i32);
    int64_t n_ids = 0;
    for (int64_t i = 0; i < 2 * n; i++)
        if (n_ids == 0 || ids[n_ids - 1] != ids[i]) ids[n_ids++] = ids[i];
    type_row *r = xcalloc((size_t)(n_ids ? n_ids : 1), sizeof *r);
    for (int64_t i = 0; i < n_ids; i++) r[i].id = ids[i];

    for (int64_t i = 0; i < n; i++) {
        type_row *t = &r[index_of(ids, n_ids, ans[i].real)];
        t->real++;
        r[index_of(ids, n_ids, ans[i].gen)].predicted++;
        int right = ans[i].real == ans[i].gen;
        t->correct += right;
        if (!bsearch(&ans[i].real, head_sorted, (size_t)out->n_head, sizeof *head_sorted, cmp_i32)) {
            out->tail_positions++;
            out->tail_correct += right;
        }
    }

    /* Most frequent wrong answer: runs of equal (real, gen) among the errors;
     * a strictly larger run wins, so ties keep the smaller generated ID. */
    int64_t n_wrong = 0;
    for (int64_t i = 0; i < n; i++)
        if (ans[i].real != ans[i].gen) ans[n_wrong++] = ans[i];
    qsort(ans, (size_t)n_wrong, sizeof *ans, cmp_answer);
    for (int64_t i = 0; i < n_wrong;) {
        int64_t j = i;
        while (j < n_wrong && ans[j].real == ans[i].real && ans[j].gen == ans[i].gen) j++;
        type_row *t = &r[index_of(ids, n_ids, ans[i].real)];
        if (j - i > t->top_wrong_count) {
            t->top_wrong_count = j - i;
            t->top_wrong = ans[i].gen;
        }
        i = j;
    }

    double recall_sum = 0;
    for (int64_t i = 0; i < n_ids; i++) {
        type_row *t = &r[i];
        t->recall = t->real ? 100.0 * t->correct / t->real : NAN;
        t->precision = t->predicted ? 100.0 * t->correct / t->predicted : NAN;
        if (t->real) {
            out->distinct_real++;
            recall_sum += t->recall;
        }
        out->distinct_generated += t->predicted > 0;
    }
    out->macro_accuracy = out->distinct_real ? recall_sum / out->distinct_real : NAN;
    out->tail_accuracy = out->tail_positions ? 100.0 * out->tail_correct / out->tail_positions : NAN;
    qsort(r, (size_t)n_ids, sizeof *r, cmp_row);
    out->rows = r;
    out->n_types = (int)n_ids;
    free(ids);
    free(ans);
    free(head_sorted);
}

void types_free(type_metrics *m) {
    free(m->head);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

const type_row *types_find(const type_metrics *m, int32_t id) {
    for (int i = 0; i < m->n_types; i++)
        if (m->rows[i].id == id) return &m->rows[i];
    return NULL;
}

int types_real_rows(const type_metrics *m) {
    int n = 0;
    while (n < m->n_types && m->rows[n].real > 0) n++;
    return n;
}
