/* Worked examples for the evaluation metrics, each answer derived by hand in
 * the comments: reconstruction scores, the published ROUGE-L token recipe,
 * KL/JS on tiny distributions, the ICSE'25 gap arithmetic, memorisation and the
 * two baselines on a tiny training set, the window composition distance. */
#include "baselines.h"
#include "lcs.h"
#include "mask.h"
#include "metrics_dist.h"
#include "metrics_recon.h"
#include "nn_rouge.h"
#include "test_util.h"
#include "training_index.h"

static void set_rows(window_set *ws, int64_t n, int L, const int32_t *v) {
    window_set_init(ws, n, L);
    memcpy(ws->ids, v, (size_t)(n * L) * sizeof *v);
}

static void test_lcs_known(void) {
    /* Classic example: LCS(ABCBDAB, BDCABA) = 4 (e.g. BCBA). */
    int32_t a[] = {0, 1, 2, 1, 3, 0, 1}, b[] = {1, 3, 2, 0, 1, 0};
    CHECK(lcs_dp(a, 7, b, 6) == 4);
    lcs_profile p;
    lcs_profile_create(&p, 7, 4);
    lcs_profile_set(&p, a, 7);
    CHECK(lcs_bitparallel(&p, b, 6) == 4);
    lcs_profile_free(&p);
    CHECK(lcs_dp(a, 0, b, 6) == 0);
}

static void test_recon(void) {
    /* L = 6, mask row 1 1 0 0 0 1: positions 2, 3, 4 generated (k = 3).
     *   w0 real 1 2 3 4 5 6   gen 1 2 3 4 5 6   -> 3/3 right, LCS 3
     *   w1 real 7 7 8 9 10 7  gen 7 7 9 8 10 7  -> gap 9 8 10 vs 8 9 10: 1/3 right, LCS 2
     *   w2 real 1 1 1 1 1 1   gen 2 1 1 1 1 1   -> gap right (3/3), but observed position 0 changed
     * accuracy = (1 + 1/3 + 1)/3 = 77.777...%, perfect = 2/3 = 66.67%,
     * event ROUGE-L = (1 + 2/3 + 1)/3 = 88.888...%.
     * Published recipe for w1: tokens 9 0 8 0 10 0 vs 8 0 9 0 10 0, LCS 4 (e.g. 8 0 10 0;
     * no 5 of the 6 pred tokens appear in order), F = 4/6; mean = (1 + 2/3 + 1)/3.
     * By position: 2 -> 2/3, 3 -> 2/3, 4 -> 3/3. */
    int32_t real[] = {1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 7, 1, 1, 1, 1, 1, 1};
    int32_t gen[] = {1, 2, 3, 4, 5, 6, 7, 7, 9, 8, 10, 7, 2, 1, 1, 1, 1, 1};
    window_set r, g;
    set_rows(&r, 3, 6, real);
    set_rows(&g, 3, 6, gen);
    eval_mask m = {1, 6, (uint8_t[]){1, 1, 0, 0, 0, 1}, ""};
    recon_metrics rm;
    recon_compute(&g, &r, &m, &rm);
    CHECK(rm.windows == 3 && rm.generated_positions == 9);
    CHECK_CLOSE(rm.accuracy, 700.0 / 9.0, 1e-9, 0);
    CHECK_CLOSE(rm.perfect, 200.0 / 3.0, 1e-9, 0);
    CHECK_CLOSE(rm.rouge_event, 800.0 / 9.0, 1e-9, 0);
    CHECK_CLOSE(rm.rouge_published, 800.0 / 9.0, 1e-9, 0);
    CHECK_CLOSE(rm.position_accuracy[2], 200.0 / 3.0, 1e-9, 0);
    CHECK_CLOSE(rm.position_accuracy[3], 200.0 / 3.0, 1e-9, 0);
    CHECK_CLOSE(rm.position_accuracy[4], 100.0, 1e-9, 0);
    CHECK(isnan(rm.position_accuracy[0]) && rm.position_count[0] == 0 && rm.position_count[4] == 3);
    CHECK(rm.observed_positions == 9 && rm.observed_mismatches == 1 && rm.observed_mismatch_windows == 1);
    recon_free(&rm);
    window_set_free(&r);
    window_set_free(&g);
}

static void test_published_tokens(void) {
    /* [12, -3] vs [12, 3]: str(float) gives "12.0 -3.0" and "12.0 3.0"; rouge_score
     * keeps runs of [a-z0-9], so both become 12 0 3 0: F = 1, while the events
     * differ (event-level LCS 1 of 2). */
    int32_t a[] = {12, -3}, b[] = {12, 3};
    CHECK_CLOSE(rouge_published_gap(a, b, 2), 1.0, 1e-12, 0);
    CHECK_CLOSE(rouge_event_gap(a, b, 2), 0.5, 1e-12, 0);
    /* Multi-digit IDs are one token: [1, 2] vs [12, 21] -> 1 0 2 0 vs 12 0 21 0,
     * only the two "0" match: F = 2/4, though no event is right. */
    int32_t c[] = {1, 2}, d[] = {12, 21};
    CHECK_CLOSE(rouge_published_gap(c, d, 2), 0.5, 1e-12, 0);
    CHECK_CLOSE(rouge_event_gap(c, d, 2), 0.0, 1e-12, 0);
    /* The value 0 prints "0.0": tokens 0 0, and its first token is the same string
     * as the filler: [0] vs [5] -> 0 0 vs 5 0, LCS 1, F = 1/2. */
    int32_t e[] = {0}, f[] = {5};
    CHECK_CLOSE(rouge_published_gap(e, f, 1), 0.5, 1e-12, 0);
    /* [101, 7] vs [110, 7]: 101 0 7 0 vs 110 0 7 0, LCS 0 7 0 = 3 of 4 tokens: F = 3/4. */
    int32_t g[] = {101, 7}, h[] = {110, 7};
    CHECK_CLOSE(rouge_published_gap(g, h, 2), 0.75, 1e-12, 0);
}

static void test_kl_js(void) {
    /* P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4):
     * JS = 1/2 [1/2 log2(2/3) + 1/2 log2 2] + 1/2 [log2(4/3)]
     *    = 1/2 [-0.29248125 + 0.5] + 0.20751875 = 0.311278125 bits. */
    int64_t p[] = {1, 1}, q[] = {1, 0};
    CHECK_CLOSE(js_divergence_counts(p, q, 2), 0.311278124459, 1e-9, 0);
    /* Identical -> 0, disjoint -> exactly 1 bit. */
    int64_t r[] = {0, 3};
    CHECK_CLOSE(js_divergence_counts(p, p, 2), 0.0, 1e-12, 0);
    CHECK_CLOSE(js_divergence_counts(q, r, 2), 1.0, 1e-12, 0);
    /* KL with eps = 1e-6 added to each probability, renormalised by 1 + 2e-6:
     * KL(Q||P) ~ 1 * ln(1 / (1/2)) = ln 2 = 0.693147 (less 1.5e-5 from smoothing: 0.6931324);
     * KL(P||Q) ~ 1/2 ln(1/2) + 1/2 ln((1/2) / 1e-6) = -0.346574 + 6.561182 = 6.214609. */
    CHECK_CLOSE(kl_divergence_counts(q, p, 2, 1e-6), 0.6931324, 1e-6, 0);
    CHECK_CLOSE(kl_divergence_counts(p, q, 2, 1e-6), 6.214609, 1e-5, 0);
    CHECK_CLOSE(kl_divergence_counts(p, p, 2, 1e-6), 0.0, 1e-12, 0);

    /* dist_compute on whole windows: gen = 1 1 2 2 | 3 3 3 3, real = 1 2 1 2 | 1 2 1 2.
     * Events: gen {1:2, 2:2, 3:4}, real {1:4, 2:4}: unique gen 3, real 2, shared 2,
     * gen only 1 (event 3). vocab 1..2 -> 4 generated events out of vocabulary.
     * JS events: P = (1/4,1/4,1/2), Q = (1/2,1/2,0), M = (3/8,3/8,1/4):
     * 1/2 [2 * 1/4 log2(2/3) + 1/2 log2 2] + 1/2 [2 * 1/2 log2(4/3)]
     * = 1/2 [-0.29248125 + 0.5] + 1/2 [0.4150375] = 0.311278125. */
    int32_t gv[] = {1, 1, 2, 2, 3, 3, 3, 3}, rv[] = {1, 2, 1, 2, 1, 2, 1, 2};
    window_set g, rr;
    set_rows(&g, 2, 4, gv);
    set_rows(&rr, 2, 4, rv);
    dist_metrics d;
    dist_compute(&g, NULL, &rr, NULL, 2, &d);
    CHECK(d.unique_gen == 3 && d.unique_real == 2 && d.unique_both == 2 && d.unique_gen_only == 1 && d.unique_real_only == 0);
    CHECK(d.oov_gen == 4 && d.oov_real == 0 && d.events_gen == 8 && d.events_real == 8);
    CHECK_CLOSE(d.js_event, 0.311278124459, 1e-9, 0);
    /* Bigrams: gen {11,12,22,33,33,33} real {12,21,12,12,21,12} -> {12:4, 21:2}.
     * Shared support only "1 2" (1/6 vs 4/6). JS = 1 - ... computed from the
     * definition here: p = (1/6 12, 1/6 11, 1/6 22, 1/2 33), q = (2/3 12, 1/3 21). */
    double pm = (1.0 / 6 + 2.0 / 3) / 2;
    double js2 = 0.5 * ((1.0 / 6) * log2((1.0 / 6) / pm) + 2 * (1.0 / 6) * 1 + 0.5 * 1) +
                 0.5 * ((2.0 / 3) * log2((2.0 / 3) / pm) + (1.0 / 3) * 1);
    CHECK_CLOSE(d.js_bigram, js2, 1e-9, 0);
    CHECK(d.n_events == 3 && d.event_ids[0] == 1 && d.event_ids[2] == 3 && d.count_gen[2] == 4 && d.count_real[0] == 4);
    dist_free(&d);
    window_set_free(&g);
    window_set_free(&rr);
}

static void test_masks(void) {
    /* numpy.array_split(range(10), 3) -> [0..3], [4..6], [7..9]. */
    int s, c;
    array_split_chunk(10, 3, 0, &s, &c);
    CHECK(s == 0 && c == 4);
    array_split_chunk(10, 3, 1, &s, &c);
    CHECK(s == 4 && c == 3);
    array_split_chunk(10, 3, 2, &s, &c);
    CHECK(s == 7 && c == 3);
    /* array_split(range(200), 20)[10] = 100..109 (even split). */
    array_split_chunk(200, 20, 10, &s, &c);
    CHECK(s == 100 && c == 10);
    /* array_split(range(7), 5): sizes 2 2 1 1 1 -> starts 0 2 4 5 6. */
    array_split_chunk(7, 5, 2, &s, &c);
    CHECK(s == 4 && c == 1);
    array_split_chunk(7, 5, 1, &s, &c);
    CHECK(s == 2 && c == 2);
    /* The six ICSE'25 gaps at L = 200 (chunks of k events, middle = chunks/2):
     * k=1: 200 chunks, #100 -> [100]; k=5: 40 chunks, #20 -> 100-104;
     * k=10: 20 chunks, #10 -> 100-109; k=20: 10 chunks, #5 -> 100-119;
     * k=30: 7 chunks (6 of 30, one of 20), #3 -> 90-119; k=40: 5 chunks, #2 -> 80-119. */
    int ks[6] = {1, 5, 10, 20, 30, 40}, first[6] = {100, 100, 100, 100, 90, 80}, last[6] = {100, 104, 109, 119, 119, 119};
    for (int i = 0; i < 6; i++) {
        char spec[16];
        snprintf(spec, sizeof spec, "mid:%d", ks[i]);
        eval_mask m;
        error_info err;
        CHECK(mask_from_shorthand(spec, 200, &m, &err) == 0);
        int lo = -1, hi = -1, gaps = 0;
        for (int j = 0; j < 200; j++)
            if (!m.observed[j]) {
                if (lo < 0) lo = j;
                hi = j;
                gaps++;
            }
        CHECK_MSG(lo == first[i] && hi == last[i] && gaps == hi - lo + 1, "k=%d: %d-%d", ks[i], lo, hi);
        mask_free(&m);
    }
    /* end:10 -> 190-199; end:30 -> the last torch.split chunk, 180-199 (20 events). */
    eval_mask m;
    error_info err;
    CHECK(mask_from_shorthand("end:10", 200, &m, &err) == 0);
    CHECK(m.observed[189] == 1 && m.observed[190] == 0 && m.observed[199] == 0);
    mask_free(&m);
    CHECK(mask_from_shorthand("end:30", 200, &m, &err) == 0);
    CHECK(m.observed[179] == 1 && m.observed[180] == 0);
    mask_free(&m);
    CHECK(mask_from_shorthand("mid:0", 200, &m, &err) == -1);
    CHECK(mask_from_shorthand("mid:x", 200, &m, &err) == -1);
    CHECK(mask_from_shorthand("middle:3", 200, &m, &err) == -1);
}

static void test_memorisation(void) {
    /* Trace 1..8 cut into L = 4 windows with stride 2: 1234, 3456, 5678. The
     * stitched trace is 1..8 again; 2345 is in the trace but is no window. */
    int32_t tv[] = {1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8};
    window_set t;
    set_rows(&t, 3, 4, tv);
    training_index ix;
    training_index_build(&t, &ix);
    CHECK(ix.stride == 2 && ix.segments == 1 && ix.length == 8);
    int32_t q1[] = {2, 3, 4, 5}, q2[] = {5, 6, 7, 8}, q3[] = {1, 3, 5, 7};
    CHECK(!training_has_window(&ix, q1) && training_has_substring(&ix, q1));
    CHECK(training_has_window(&ix, q2) && training_has_substring(&ix, q2));
    CHECK(!training_has_window(&ix, q3) && !training_has_substring(&ix, q3));
    window_set g;
    int32_t gv[] = {2, 3, 4, 5, 5, 6, 7, 8, 1, 3, 5, 7};
    set_rows(&g, 3, 4, gv);
    memo_result mr;
    memorisation_compute(&ix, &g, &t, &mr);
    CHECK(mr.gen_in_windows == 1 && mr.gen_in_trace == 2 && mr.real_in_windows == 3 && mr.real_in_trace == 3);
    training_index_free(&ix);
    window_set_free(&t);
    window_set_free(&g);
}

static void test_baselines(void) {
    /* Training: 12345 12345 12945 (no two overlap, so stride L and the trace is
     * their concatenation 1 2 3 4 5 1 2 3 4 5 1 2 9 4 5).
     * Mode: 1, 2, 4, 5 occur 3 times each; ties go to the smallest ID: 1.
     * Test windows, gap at position 2 (mask 1 1 0 1 1; 2 context events each side):
     *   1 2 [3] 4 5  context 1 2 / 4 5: fillers 3 (twice), 9 (once) -> 3, right
     *   5 1 [7] 3 4  context 5 1 / 3 4: trace 5 1 2 3 4 -> 2, wrong
     *   8 8 [1] 8 8  no context of 2 or 1 events occurs -> mode 1, right
     *   7 2 [3] 4 7  7 2 / 4 7 never occurs; backing off to 2 / 4 -> 3 (twice) vs 9 -> 3, right
     * context accuracy 3/4 = 75%; filled from 2-event contexts: 2, from 1: 1, mode: 1.
     * Mode baseline: 1 vs 3, 7, 1, 3 -> 1/4 = 25%. */
    int32_t tv[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 9, 4, 5};
    int32_t rv[] = {1, 2, 3, 4, 5, 5, 1, 7, 3, 4, 8, 8, 1, 8, 8, 7, 2, 3, 4, 7};
    window_set t, r, filled;
    set_rows(&t, 3, 5, tv);
    set_rows(&r, 4, 5, rv);
    training_index ix;
    training_index_build(&t, &ix);
    CHECK(ix.stride == 5 && ix.length == 15);
    CHECK(training_mode_event(&ix) == 1);
    eval_mask m = {1, 5, (uint8_t[]){1, 1, 0, 1, 1}, ""};
    context_stats st;
    baseline_context_fill(&ix, &r, &m, 8, &filled, &st);
    CHECK(filled.ids[2] == 3 && filled.ids[7] == 2 && filled.ids[12] == 1 && filled.ids[17] == 3);
    CHECK(st.gaps == 4 && st.filled_at[2] == 2 && st.filled_at[1] == 1 && st.filled_at[0] == 1);
    recon_metrics rm;
    recon_compute(&filled, &r, &m, &rm);
    CHECK_CLOSE(rm.accuracy, 75.0, 1e-9, 0);
    recon_free(&rm);
    window_set_free(&filled);
    baseline_mode_fill(&r, &m, 1, &filled);
    recon_compute(&filled, &r, &m, &rm);
    CHECK_CLOSE(rm.accuracy, 25.0, 1e-9, 0);
    recon_free(&rm);
    window_set_free(&filled);
    /* A gap at the end (forecasting): window 2 3 4 5 [?], mask 1 1 1 1 0, only a
     * left context (4 events available). "2 3 4 5" is followed in the trace by
     * 1 (offsets 5 and 10) and never by anything else -> 1, from a 4-event context. */
    int32_t ev[] = {2, 3, 4, 5, 1};
    window_set e;
    set_rows(&e, 1, 5, ev);
    eval_mask me = {1, 5, (uint8_t[]){1, 1, 1, 1, 0}, ""};
    baseline_context_fill(&ix, &e, &me, 8, &filled, &st);
    CHECK(filled.ids[4] == 1 && st.filled_at[4] == 1 && st.gaps == 1);
    window_set_free(&filled);
    window_set_free(&e);
    training_index_free(&ix);
    window_set_free(&t);
    window_set_free(&r);
}

static void test_nn(void) {
    /* gen: 1 2 3 4, 4 3 2 1; real: 1 2 3 5, 9 9 9 9.
     * LCS(1234, 1235) = 3, LCS(4321, 1235) = 1 (any one of 1 2 3), with 9999: 0.
     * gen->real bests: 3/4, 1/4 -> mean 50%; real->gen: 3/4, 0 -> 37.5%. */
    int32_t gv[] = {1, 2, 3, 4, 4, 3, 2, 1}, rv[] = {1, 2, 3, 5, 9, 9, 9, 9};
    window_set g, r;
    set_rows(&g, 2, 4, gv);
    set_rows(&r, 2, 4, rv);
    for (int threads = 1; threads <= 3; threads++) {
        nn_result nn;
        nn_rouge_compute(&g, &r, threads, &nn);
        CHECK_CLOSE(nn.mean_gen_to_real, 50.0, 1e-9, 0);
        CHECK_CLOSE(nn.mean_real_to_gen, 37.5, 1e-9, 0);
        CHECK(nn.pairs == 4 && nn.gen_exact == 0);
        nn_free(&nn);
    }
    window_set_free(&g);
    window_set_free(&r);
}

/* Window composition (composition.h). GENERATED 1,1,2,2 and 3,3,3,3; REAL
 * 1,1,1,2, 2,2,2,2 and 2,2,2,2 again; vocabulary 1..3. Histograms:
 * G1 {1: .5, 2: .5}, G2 {3: 1}; R1 {1: .75, 2: .25}, R2 = R3 {2: 1}.
 * Total variation: G1-R1 .25, G1-R2 .5, G2-anything 1.
 *   gen->real: (.25 + 1) / 2 = 62.5%;
 *   real->gen: (.25 + .5 + .5) / 3 = 41.67% (R3 counts as a window of its own).
 * IDs are only names: 1, 2, 3 renamed 7, 1000000, 5 give the same figures.
 * Under a mask observing positions 0 and 3 (generated: 1, 2): G1 {1: .5,
 * 2: .5}, G2 {3: 1}; R1 {1: 1}, R2 = R3 {2: 1}: gen->real (.5 + 1) / 2 = 75%,
 * real->gen .5 each = 50%. */
static void test_composition(void) {
    window_set gen, real;
    set_rows(&gen, 2, 4, (const int32_t[]){1, 1, 2, 2, 3, 3, 3, 3});
    set_rows(&real, 3, 4, (const int32_t[]){1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2});
    composition_metrics c;
    composition_compute(&gen, NULL, &real, NULL, &c);
    CHECK_CLOSE(c.gen_to_real, 62.5, 1e-9, 0);
    CHECK_CLOSE(c.real_to_gen, 125.0 / 3, 1e-9, 0);
    window_set gen2, real2;
    set_rows(&gen2, 2, 4, (const int32_t[]){7, 7, 1000000, 1000000, 5, 5, 5, 5});
    set_rows(&real2, 3, 4, (const int32_t[]){7, 7, 7, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000, 1000000,
                                             1000000, 1000000});
    composition_compute(&gen2, NULL, &real2, NULL, &c);
    CHECK_CLOSE(c.gen_to_real, 62.5, 1e-9, 0);
    CHECK_CLOSE(c.real_to_gen, 125.0 / 3, 1e-9, 0);
    window_set_free(&gen2);
    window_set_free(&real2);
    eval_mask m = {1, 4, (uint8_t[]){1, 0, 0, 1}, ""};
    composition_compute(&gen, &m, &real, &m, &c);
    CHECK_CLOSE(c.gen_to_real, 75.0, 1e-9, 0);
    CHECK_CLOSE(c.real_to_gen, 50.0, 1e-9, 0);
    /* Identical sets: 0 both ways; dist_compute carries the figures. */
    dist_metrics d;
    dist_compute(&real, NULL, &real, NULL, 3, &d);
    CHECK(d.composition.gen_to_real == 0 && d.composition.real_to_gen == 0);
    dist_free(&d);
    window_set_free(&gen);
    window_set_free(&real);
}

int main(void) {
    test_lcs_known();
    test_recon();
    test_published_tokens();
    test_kl_js();
    test_masks();
    test_memorisation();
    test_baselines();
    test_nn();
    test_composition();
    return test_finish("test_eval_metrics");
}
