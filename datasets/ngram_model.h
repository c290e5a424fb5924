/* An interpolated Kneser-Ney n-gram model of event IDs (orders 1..6), fitted on
 * pieces of trace so that no n-gram crosses a piece boundary. Kneser-Ney rather
 * than Witten-Bell or plain absolute discounting because its lower orders count
 * in how many contexts an event follows rather than how often it occurs: in
 * system-call traces a few events (read, write, ...) are frequent because of
 * long runs, and raw unigram counts would make them the answer to every
 * unfamiliar context. One fit serves every order up to the one fitted: `order`
 * picks which levels a query uses (raw counts at the longest context the
 * history allows, continuation counts below). */
#ifndef SSSD_DATASETS_NGRAM_MODEL_H
#define SSSD_DATASETS_NGRAM_MODEL_H

#include <stdint.h>

#define NGRAM_MAX_ORDER 6

/* One level k: the distinct k-grams sorted lexicographically, grouped by their
 * (k-1)-event context. */
typedef struct ngram_level {
    int64_t grams;          /* distinct k-grams */
    int32_t *last;          /* (grams) final event of each k-gram */
    int64_t *raw;           /* (grams) occurrences */
    int64_t *cont;          /* (grams) distinct events seen just before it (continuation count) */
    int64_t contexts;
    int64_t *ctx_first;     /* (contexts + 1) first k-gram of each context; sentinel at the end */
    int32_t *ctx_events;    /* (contexts, k-1) the context itself */
    int64_t *raw_total, *cont_total;  /* (contexts) sums of raw / cont over its k-grams */
    int64_t *raw_types, *cont_types;  /* (contexts) k-grams with raw / cont > 0 */
    int64_t *table;         /* open-addressing hash of contexts, -1 = empty */
    uint64_t table_mask;
    double discount_raw, discount_cont;
} ngram_level;

typedef struct ngram_model {
    int fitted;             /* highest level fitted */
    int order;              /* levels a query uses (1..fitted) */
    int32_t vocab;          /* V: events are dense indices 0..V-1; V stands for "unknown" */
    ngram_level level[NGRAM_MAX_ORDER + 1];  /* [1..fitted] */
} ngram_model;

/* Fit levels 1..max_order on x (dense indices < vocab), cut into `pieces`
 * pieces ending at piece_end[i]. The query order starts at max_order. */
void ngram_model_fit(ngram_model *m, const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab,
                     int max_order);
void ngram_model_free(ngram_model *m);

/* P(w | hist), hist = the hl events before w (only the last order-1 are used;
 * any may be the unknown index V, which no context contains). */
double ngram_model_prob(const ngram_model *m, const int32_t *hist, int hl, int32_t w);
/* The whole distribution P(. | hist) into p (V values, summing to 1). */
void ngram_model_dist(const ngram_model *m, const int32_t *hist, int hl, double *p);

/* Choosing the order on the training data alone: the last 1/NGRAM_HELDOUT_FRACTION
 * of every piece is held out, levels 1..NGRAM_MAX_ORDER are fitted on the rest
 * into *heldout (the caller frees it), and each order n is scored by the mean
 * natural-log likelihood per held-out event, loglik[n] (NaN when nothing is
 * held out; *scored receives how many events were). Log-likelihood rather than
 * a task's accuracy because it scores every held-out event, so it does not flip
 * between orders on a handful of cases. Returns the best n (ties: the smaller);
 * 3, the usual middle ground, when the trace is too short to hold anything out. */
#define NGRAM_HELDOUT_FRACTION 10
int ngram_model_choose_order(const int32_t *x, const int64_t *piece_end, int64_t pieces, int32_t vocab,
                             ngram_model *heldout, double loglik[NGRAM_MAX_ORDER + 1], int64_t *scored);

#endif
