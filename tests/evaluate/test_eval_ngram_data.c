/* The n-gram infill on real data in the paper layout (DIR/training,
 * DIR/testing) with the ICSE'25 mid:10 gap: prints its accuracy, its accuracy
 * on events outside the test set's 4 most frequent, the context baseline's for
 * comparison, the order chosen and the time taken. Nothing is asserted on the
 * figures but that observed positions are kept; skips when the data is absent.
 * Usage: test_eval_ngram_data [DIR...] (default: the compress-gzip set). */
#include "baselines.h"
#include "ngram_infill.h"
#include "test_util.h"
#include "timer.h"
#include "training_index.h"

#define RARE_TOP 4

/* The RARE_TOP most frequent events of the test set (ties: smaller ID). */
static void top_events(const window_set *ws, int32_t top[RARE_TOP]) {
    int64_t n = ws->count * ws->length;
    int32_t best[RARE_TOP];
    int64_t best_n[RARE_TOP];
    for (int k = 0; k < RARE_TOP; k++) { best[k] = INT32_MIN; best_n[k] = -1; }
    /* Quadratic in the vocabulary only: count each distinct ID once. */
    for (int64_t i = 0; i < n; i++) {
        int32_t v = ws->ids[i];
        int seen = 0;
        for (int64_t j = 0; j < i && !seen; j++) seen = ws->ids[j] == v;
        if (seen) continue;
        int64_t c = 0;
        for (int64_t j = i; j < n; j++) c += ws->ids[j] == v;
        for (int k = 0; k < RARE_TOP; k++)
            if (c > best_n[k] || (c == best_n[k] && v < best[k])) {
                for (int q = RARE_TOP - 1; q > k; q--) { best[q] = best[q - 1]; best_n[q] = best_n[q - 1]; }
                best[k] = v;
                best_n[k] = c;
                break;
            }
    }
    memcpy(top, best, sizeof best);
}

static void score(const window_set *fill, const window_set *real, const eval_mask *m, const int32_t top[RARE_TOP],
                  double *acc, double *rare_acc, int64_t *rare_n) {
    int64_t right = 0, total = 0, rr = 0, rn = 0;
    for (int64_t w = 0; w < real->count; w++)
        for (int j = 0; j < real->length; j++) {
            if (mask_is_observed(m, w, j)) continue;
            int32_t v = real->ids[w * real->length + j];
            int ok = fill->ids[w * real->length + j] == v, frequent = 0;
            for (int k = 0; k < RARE_TOP; k++) frequent |= v == top[k];
            right += ok;
            total++;
            if (!frequent) { rr += ok; rn++; }
        }
    *acc = total ? 100.0 * (double)right / (double)total : NAN;
    *rare_acc = rn ? 100.0 * (double)rr / (double)rn : NAN;
    *rare_n = rn;
}

static int run(const char *dir) {
    char tp[4096], sp[4096];
    snprintf(tp, sizeof tp, "%s/training", dir);
    snprintf(sp, sizeof sp, "%s/testing", dir);
    window_set train, test;
    error_info err;
    if (windows_read_text(tp, &train, &err) != 0) { fprintf(stderr, "%s\n", err.message); return 0; }
    if (windows_read_text(sp, &test, &err) != 0) { fprintf(stderr, "%s\n", err.message); return 0; }
    eval_mask m;
    CHECK(mask_from_shorthand("mid:10", test.length, &m, &err) == 0);
    double t0 = now_seconds();
    training_index ix;
    training_index_build(&train, &ix);
    double t1 = now_seconds();
    window_set fill, marginal, ctx;
    ngram_stats st;
    baseline_ngram_fills(&ix, &test, &m, &fill, &marginal, &st);
    double t2 = now_seconds();
    context_stats cs;
    baseline_context_fill(&ix, &test, &m, BASELINE_MAX_CONTEXT, &ctx, &cs);
    int kept = 1;
    for (int64_t w = 0; w < test.count; w++)
        for (int j = 0; j < test.length; j++)
            if (mask_is_observed(&m, w, j))
                kept &= fill.ids[w * test.length + j] == test.ids[w * test.length + j] &&
                        marginal.ids[w * test.length + j] == test.ids[w * test.length + j];
    CHECK(kept);
    int32_t top[RARE_TOP];
    top_events(&test, top);
    double acc, rare, macc, mrare, cacc, crare;
    int64_t rare_n;
    score(&fill, &test, &m, top, &acc, &rare, &rare_n);
    score(&marginal, &test, &m, top, &macc, &mrare, &rare_n);
    score(&ctx, &test, &m, top, &cacc, &crare, &rare_n);
    printf("%s\n  trace %lld events in %lld piece(s), vocabulary %d; %lld test windows\n", dir, (long long)ix.length,
           (long long)ix.segments, st.vocabulary, (long long)test.count);
    printf("  order chosen %d; held-out (%lld events, %lld probe gaps) log-likelihood / gap accuracy by order:\n   ",
           st.order, (long long)st.heldout_events, (long long)st.heldout_gaps);
    for (int n = 1; n <= NGRAM_MAX_ORDER; n++) printf(" %d: %.4f / %.1f%%", n, st.heldout_loglik[n], st.heldout_accuracy[n]);
    printf("\n  n-gram infill accuracy %.2f%%, on events outside the top %d (%lld positions) %.2f%%; beam cut in %lld of %lld gaps\n",
           acc, RARE_TOP, (long long)rare_n, rare, (long long)st.beam_cut, (long long)st.gaps);
    printf("  per-position (marginal) decoding accuracy %.2f%%, outside the top %d %.2f%%\n", macc, RARE_TOP, mrare);
    printf("  context baseline accuracy %.2f%%, outside the top %d %.2f%%\n", cacc, RARE_TOP, crare);
    printf("  time: index %.2f s, n-gram choose+fit+both fills %.2f s\n", t1 - t0, t2 - t1);
    window_set_free(&fill);
    window_set_free(&marginal);
    window_set_free(&ctx);
    training_index_free(&ix);
    mask_free(&m);
    window_set_free(&train);
    window_set_free(&test);
    return 1;
}

int main(int argc, char **argv) {
    int done = 0;
    if (argc > 1)
        for (int i = 1; i < argc; i++) done += run(argv[i]);
    else
        done += run(NGRAM_DEFAULT_DATA);
    if (!done) {
        fprintf(stderr, "no data found: skipped\n");
        return TEST_SKIP_CODE;
    }
    fprintf(stderr, "%d passed, %d failed\n", test_passed_count, test_failed_count);
    return test_failed_count ? 1 : 0;
}
