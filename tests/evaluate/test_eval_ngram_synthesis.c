/* The n-gram generator baseline for synthesis (evaluate/ngram_synthesis.h):
 * its windows follow the training trace's transitions, start anywhere in it,
 * keep the event frequencies, depend on the seed alone, and evaluate scores
 * them beside a synthesis (never beside a reconstruction). */
#include "evaluation.h"
#include "ngram_synthesis.h"
#include "test_util.h"
#include "train/cli_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* count windows of L consecutive events of x (no overlap). */
static void windows_of(const int32_t *x, int64_t count, int L, window_set *w) {
    window_set_init(w, count, L);
    memcpy(w->ids, x, sizeof(int32_t) * (size_t)(count * L));
}

static void test_cycle(void) {
    /* A cycle 1,2,3,4,5: the model's order is more than 1 and almost every
     * drawn transition is one the trace makes; windows start all over it. */
    enum { W = 300, L = 10, DRAWN = 40 };
    int32_t x[W * L];
    for (int i = 0; i < W * L; i++) x[i] = 1 + i % 5;
    window_set train, a, b, c;
    windows_of(x, W, L, &train);
    training_index ix;
    training_index_build(&train, &ix);
    int order = 0;
    ngram_synthesis_draw(&ix, DRAWN, L, 7, &a, &order);
    CHECK_MSG(order >= 2, "order %d", order);
    int64_t pairs = 0, cycle = 0;
    int first_seen[6] = {0};
    for (int64_t w = 0; w < DRAWN; w++) {
        const int32_t *y = a.ids + w * L;
        CHECK(y[0] >= 1 && y[0] <= 5);
        if (y[0] >= 1 && y[0] <= 5) first_seen[y[0]] = 1;
        for (int j = 1; j < L; j++, pairs++) cycle += y[j] == 1 + y[j - 1] % 5;
    }
    CHECK_MSG(cycle >= pairs * 95 / 100, "%lld of %lld transitions follow the cycle", (long long)cycle,
              (long long)pairs);
    printf("cycle: order %d, %lld of %lld drawn transitions follow it\n", order, (long long)cycle, (long long)pairs);
    int firsts = 0;
    for (int v = 1; v <= 5; v++) firsts += first_seen[v];
    CHECK_MSG(firsts == 5, "windows start on %d of the 5 events", firsts);
    /* The seed alone decides. */
    ngram_synthesis_draw(&ix, DRAWN, L, 7, &b, &order);
    CHECK(memcmp(a.ids, b.ids, sizeof(int32_t) * DRAWN * L) == 0);
    ngram_synthesis_draw(&ix, DRAWN, L, 8, &c, &order);
    CHECK(memcmp(a.ids, c.ids, sizeof(int32_t) * DRAWN * L) != 0);
    window_set_free(&a);
    window_set_free(&b);
    window_set_free(&c);
    training_index_free(&ix);
    window_set_free(&train);
}

static void test_frequencies(void) {
    /* Events drawn independently, 1 three times as often as 2: the drawn
     * windows keep that share. */
    enum { W = 400, L = 10, DRAWN = 200 };
    int32_t *x = malloc(sizeof(int32_t) * W * L);
    uint32_t s = 12345;
    for (int i = 0; i < W * L; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (s >> 8) % 4 == 0 ? 2 : 1;
    }
    window_set train, a;
    windows_of(x, W, L, &train);
    training_index ix;
    training_index_build(&train, &ix);
    int order = 0;
    ngram_synthesis_draw(&ix, DRAWN, L, 3, &a, &order);
    int64_t ones = 0;
    for (int64_t i = 0; i < (int64_t)DRAWN * L; i++) ones += a.ids[i] == 1;
    double share = (double)ones / (DRAWN * L);
    CHECK_MSG(share > 0.70 && share < 0.80, "share of 1: %.3f (order %d)", share, order);
    window_set_free(&a);
    training_index_free(&ix);
    window_set_free(&train);
    free(x);
}

static void test_in_evaluation(void) {
    /* A synthesis (nothing observed) with --train gets the n-gram generator's
     * figures, as many windows as GENERATED; a reconstruction does not. */
    char train[8192] = "", line[64];
    for (int w = 0; w < 60; w++) {
        snprintf(line, sizeof line, "%s%d,%d,%d,%d,%d,%d", w ? "\n" : "", 1, 2, 3, 1 + w % 2, 2, 3);
        strcat(train, line);
    }
    cli_write("ns_train.txt", train);
    cli_write("ns_real.txt", "1,2,3,1,2,3\n1,2,3,2,2,3");
    cli_write("ns_gen.txt", "3,3,3,3,3,3\n3,3,3,3,3,3\n3,3,3,3,3,3");
    eval_config cfg = {0};
    cfg.generated = "ns_gen.txt";
    cfg.real = "ns_real.txt";
    cfg.train = "ns_train.txt";
    cfg.threads = 1;
    cfg.skip_nn = 1;
    cfg.seed = 2;
    eval_result r;
    error_info err;
    int rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(r.unconditional && r.has_ngram_synthesis && r.ngram_synthesis_order >= 1);
    CHECK(r.ngram_synthesis_dist.events_gen == 3 * 6);
    /* Its windows hold REAL's events; the generator's 3,3,3,... does not come close. */
    CHECK(r.ngram_synthesis_dist.js_event < r.dist.js_event);
    CHECK(r.ngram_synthesis_copies >= 0 && r.ngram_synthesis_copies <= 3);
    eval_result_free(&r);
    cfg.mask = "mid:2";
    cli_write("ns_gen.txt", "1,2,3,3,2,3\n1,2,3,3,2,3");
    rc = eval_run(&cfg, &r, &err);
    CHECK_MSG(rc == 0, "%s", rc ? err.message : "");
    if (rc) return;
    CHECK(!r.unconditional && !r.has_ngram_synthesis);
    eval_result_free(&r);
}

int main(void) {
    test_cycle();
    test_frequencies();
    test_in_evaluation();
    return test_finish("test_eval_ngram_synthesis");
}
