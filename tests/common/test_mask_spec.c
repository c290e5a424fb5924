/* Task specifications (common/mask_spec.h): the ICSE'25 gaps' known
 * positions, refusals with messages, canonical text that parses back, the
 * random kinds' draws (deterministic per draw, spread over positions), the
 * mix's task shares, and which trained tasks cover which asked ones. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mask_spec.h"
#include "test_util.h"

/* First and last generated position of a mask, and how many. */
static void gap_of(const float *m, int L, int *first, int *last, int *count) {
    *first = -1;
    *last = -1;
    *count = 0;
    for (int l = 0; l < L; l++)
        if (m[l] == 0.0f) {
            if (*first < 0) *first = l;
            *last = l;
            (*count)++;
        }
}

static void expect_gap(const char *spec_text, int L, int first, int last) {
    mask_spec spec;
    error_info err;
    float m[1024];
    int rc = mask_spec_parse(spec_text, &spec, &err);
    CHECK_MSG(rc == 0, "%s: %s", spec_text, err.message);
    CHECK_MSG(mask_spec_check(&spec, L, &err) == 0, "%s", spec_text);
    mask_fill(&spec, L, 7, 0, m);
    int f, la, c;
    gap_of(m, L, &f, &la, &c);
    CHECK_MSG(f == first && la == last && c == last - first + 1, "%s at L=%d: gap %d..%d (%d), expected %d..%d",
              spec_text, L, f, la, c, first, last);
}

static void test_fixed_and_random(void) {
    /* ICSE'25 known answers for L = 200. */
    expect_gap("mid:1", 200, 100, 100);
    expect_gap("mid:5", 200, 100, 104);
    expect_gap("mid:10", 200, 100, 109);
    expect_gap("mid:20", 200, 100, 119);
    expect_gap("mid:30", 200, 90, 119);
    expect_gap("mid:40", 200, 80, 119);
    expect_gap("end:10", 200, 190, 199);
    expect_gap("end:30", 200, 180, 199); /* the last 30-event chunk is 20 events long */
    expect_gap("gap:3:4", 20, 3, 6);
    expect_gap("forecast:5", 20, 15, 19);
    expect_gap("none", 16, 0, 15);
    expect_gap("mid:7", 7, 0, 6);

    const char *bad[] = {"mid:0", "mid:", "mid", "mid:x", "end:-2", "missing:0", "missing:1.5", "missing:",
                         "gap:3", "gap:-1:2", "gap:1:0", "random-gap:0", "blackout:3", "none:3", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mask_spec spec;
        error_info err;
        err.message[0] = 0;
        CHECK_MSG(mask_spec_parse(bad[i], &spec, &err) == -1, "'%s' should be refused", bad[i]);
        CHECK_MSG(err.message[0] != 0, "'%s': no message", bad[i]);
    }
    mask_spec spec;
    error_info err;
    CHECK(mask_spec_parse("mid:300", &spec, &err) == 0);
    CHECK(mask_spec_check(&spec, 200, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "200");
    CHECK(mask_spec_parse("gap:190:20", &spec, &err) == 0);
    CHECK(mask_spec_check(&spec, 200, &err) == -1);

    /* Random gaps: K contiguous, deterministic per draw, not always the same place. */
    CHECK(mask_spec_parse("random-gap:7", &spec, &err) == 0);
    CHECK(!mask_spec_is_fixed(&spec));
    float m[200], m2[200];
    int starts_seen = 0, prev = -1;
    for (int d = 0; d < 20; d++) {
        mask_fill(&spec, 200, 3, (uint64_t)d, m);
        mask_fill(&spec, 200, 3, (uint64_t)d, m2);
        CHECK(memcmp(m, m2, sizeof m) == 0);
        int f, la, c;
        gap_of(m, 200, &f, &la, &c);
        CHECK(c == 7 && la - f == 6);
        if (f != prev) starts_seen++;
        prev = f;
    }
    CHECK(starts_seen > 5);
    CHECK(mask_spec_parse("missing:0.1", &spec, &err) == 0);
    mask_fill(&spec, 200, 3, 11, m);
    int f, la, c;
    gap_of(m, 200, &f, &la, &c);
    CHECK(c == 20);
    char text[64];
    mask_spec_format(&spec, text, sizeof text);
    CHECK(strcmp(text, "missing:0.10000000000000001") == 0 || strcmp(text, "missing:0.1") == 0);
    mask_spec round;
    CHECK(mask_spec_parse(text, &round, &err) == 0 && round.fraction == spec.fraction);
}


/* Which task a mix draw made: 3 = none, 1 = forecast (a blackout reaching the end), 0 = one gap, 2 = scattered. */
static int task_of(const float *m, int L) {
    int f, la, c;
    gap_of(m, L, &f, &la, &c);
    if (c == L) return MIX_NONE;
    if (la == L - 1 && la - f + 1 == c) return MIX_FORECAST;
    if (la - f + 1 == c) return MIX_GAP;
    return MIX_MISSING;
}

static void test_mix(void) {
    mask_spec spec, round;
    error_info err;
    char text[160];
    CHECK(mask_spec_parse("mix", &spec, &err) == 0);
    CHECK(spec.kind == MASK_MIX && !mask_spec_is_fixed(&spec));
    mask_spec_format(&spec, text, sizeof text);
    CHECK_MSG(strcmp(text, MASK_MIX_DEFAULT) == 0, "%s", text);
    CHECK(mask_spec_parse(text, &round, &err) == 0 && memcmp(round.mix, spec.mix, sizeof spec.mix) == 0);
    /* Shares are scaled to sum to 1; those left out are 0; max reads back. */
    CHECK(mask_spec_parse("mix:gap=3,none=1,max=40", &spec, &err) == 0);
    CHECK_CLOSE(spec.mix[MIX_GAP], 0.75, 1e-15, 0);
    CHECK_CLOSE(spec.mix[MIX_NONE], 0.25, 1e-15, 0);
    CHECK(spec.mix[MIX_FORECAST] == 0 && spec.mix[MIX_MISSING] == 0 && spec.mix_max == 40);
    mask_spec_format(&spec, text, sizeof text);
    CHECK(mask_spec_parse(text, &round, &err) == 0 && round.mix_max == 40 && round.mix[MIX_GAP] == 0.75);
    CHECK(mask_spec_check(&spec, 200, &err) == 0);
    CHECK(mask_spec_check(&spec, 30, &err) == -1);
    CHECK_STR_CONTAINS(err.message, "30");
    const char *bad[] = {"mix:", "mix:gap", "mix:gap=-1", "mix:gap=x", "mix:gap=0,none=0", "mix:blackout=1",
                         "mix:max=0", "mix:gap=1,max=-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.message[0] = 0;
        CHECK_MSG(mask_spec_parse(bad[i], &spec, &err) == -1 && err.message[0], "'%s' should be refused", bad[i]);
    }

    /* Draws: deterministic, the four tasks near their shares, lengths within 1..max. */
    CHECK(mask_spec_parse("mix", &spec, &err) == 0);
    int L = 200, n = 4000, seen[MIX_TASKS] = {0}, longest = 0, shortest = L;
    float m[200], m2[200];
    for (int d = 0; d < n; d++) {
        mask_fill(&spec, L, 5, (uint64_t)d, m);
        mask_fill(&spec, L, 5, (uint64_t)d, m2);
        CHECK(memcmp(m, m2, sizeof m) == 0);
        int task = task_of(m, L);
        seen[task]++;
        if (task == MIX_GAP || task == MIX_FORECAST) {
            int f, la, c;
            gap_of(m, L, &f, &la, &c);
            if (c > longest) longest = c;
            if (c < shortest) shortest = c;
        }
    }
    /* A one-event gap at the end reads as a forecast and a scattered draw
     * can be contiguous by chance: allow 4 standard deviations plus that. */
    for (int t = 0; t < MIX_TASKS; t++) {
        double expect = spec.mix[t] * n, sd = sqrt(expect * (1 - spec.mix[t]));
        CHECK_MSG(fabs(seen[t] - expect) < 4 * sd + 0.01 * n, "task %d: %d draws, expected about %.0f", t, seen[t],
                  expect);
    }
    CHECK_MSG(longest == L / 4 && shortest == 1, "gap lengths %d..%d, expected 1..%d", shortest, longest, L / 4);
    /* A mix of one task draws only that task. */
    CHECK(mask_spec_parse("mix:none=1", &spec, &err) == 0);
    for (int d = 0; d < 50; d++) {
        mask_fill(&spec, L, 5, (uint64_t)d, m);
        CHECK(task_of(m, L) == MIX_NONE);
    }
}

static int covers(const char *trained, const char *asked) {
    mask_spec t, a;
    error_info err;
    CHECK_MSG(mask_spec_parse(trained, &t, &err) == 0 && mask_spec_parse(asked, &a, &err) == 0, "%s / %s", trained,
              asked);
    return mask_spec_covers(&t, &a, 200);
}

static void test_covers(void) {
    CHECK(covers("mid:10", "mid:10"));
    CHECK(covers("mid:10", "gap:100:10")); /* the same positions */
    CHECK(!covers("mid:10", "mid:20"));
    CHECK(!covers("mid:10", "none"));
    CHECK(!covers("mid:10", "forecast:10"));
    CHECK(covers("none", "none"));
    CHECK(!covers("none", "mid:10"));
    CHECK(covers("random-gap:10", "mid:10"));
    CHECK(covers("random-gap:10", "forecast:10"));
    CHECK(!covers("random-gap:10", "mid:20"));
    CHECK(covers("missing:0.1", "missing:0.1"));
    CHECK(!covers("missing:0.1", "missing:0.2"));
    CHECK(covers("mix", "mid:10"));
    CHECK(covers("mix", "mid:40"));
    CHECK(covers("mix", "forecast:50"));
    CHECK(!covers("mix", "forecast:60")); /* longer than a quarter of the window */
    CHECK(covers("mix", "none"));
    CHECK(covers("mix", "missing:0.3"));
    CHECK(covers("mix", "mix:gap=1"));
    CHECK(!covers("mix:gap=1", "none"));
    CHECK(!covers("mix:gap=1", "mix"));
    CHECK(covers("mix:forecast=1", "end:10")); /* the last 10-event chunk of 200 is a forecast */
    CHECK(!covers("mix:forecast=1", "mid:10"));
    CHECK(covers("mix:gap=1,max=100", "mid:80"));
}

int main(void) {
    test_fixed_and_random();
    test_mix();
    test_covers();
    return test_finish("test_mask_spec");
}
