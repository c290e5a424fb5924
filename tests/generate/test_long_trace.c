/* Traces longer than the model's window (generate --num N --length L): the
 * window plan on awkward lengths, the loop with a recording sampler (each
 * window's observed events are exactly the trace's overlap with the previous
 * window; results do not depend on the batch or on how the traces are
 * shared out), and the tool end to end with tiny random checkpoints of every
 * encoding (seams reproduced by reconstructing each window from its overlap,
 * determinism, batch independence, formats). argv[1] is the generate binary. */
#include <stdint.h>

#include "../train/cli_util.h"
#include "diffusion.h"
#include "gen_output.h"
#include "long_trace.h"
#include "random_checkpoint.h"
#include "test_util.h"
#include "window_source.h"

static const char *gen_bin;
static char cmd[16384];
#define L 16
#define V 6

static void test_plan(void) {
    long_trace_plan p;
    error_info err;
    int64_t start;
    int observed;
    /* 1000 events from windows of 200 sharing 150: 1 + 800/50 windows. */
    CHECK(long_trace_plan_make(1000, 200, 150, &p, &err) == 0 && p.rounds == 17);
    long_trace_window(&p, 0, &start, &observed);
    CHECK(start == 0 && observed == 0);
    long_trace_window(&p, 1, &start, &observed);
    CHECK(start == 50 && observed == 150);
    long_trace_window(&p, 16, &start, &observed);
    CHECK(start == 800 && observed == 150);
    /* A length the stride does not divide: the last window ends at the end and overlaps more. */
    CHECK(long_trace_plan_make(230, 200, 100, &p, &err) == 0 && p.rounds == 2);
    long_trace_window(&p, 1, &start, &observed);
    CHECK(start == 30 && observed == 170);
    CHECK(long_trace_plan_make(45, 16, 10, &p, &err) == 0 && p.rounds == 6);
    long_trace_window(&p, 4, &start, &observed);
    CHECK(start == 24 && observed == 10);
    long_trace_window(&p, 5, &start, &observed);
    CHECK(start == 29 && observed == 11);
    /* One event more than the window; shorter than the window; overlap L-1. */
    CHECK(long_trace_plan_make(17, 16, 8, &p, &err) == 0 && p.rounds == 2);
    long_trace_window(&p, 1, &start, &observed);
    CHECK(start == 1 && observed == 15);
    CHECK(long_trace_plan_make(5, 16, 8, &p, &err) == 0 && p.rounds == 1);
    CHECK(long_trace_plan_make(20, 16, 15, &p, &err) == 0 && p.rounds == 5);
    /* Refusals. */
    CHECK(long_trace_plan_make(100, 16, 0, &p, &err) != 0);
    CHECK(long_trace_plan_make(100, 16, 16, &p, &err) != 0);
    CHECK_STR_CONTAINS(err.message, "1..15");
    CHECK(long_trace_plan_make(0, 16, 8, &p, &err) != 0);
    CHECK(long_trace_plan_make(LONG_TRACE_MAX_LENGTH + 1, 16, 8, &p, &err) != 0);
    CHECK(long_trace_plan_make(100, 1, 0, &p, &err) != 0);
    /* Noise keys: trace in the low bits, round above; window 0 is plain synthesis's. */
    CHECK(long_trace_noise_id(7, 0) == 7);
    CHECK(long_trace_noise_id(7, 3) == 7 + (3ull << 32));
}

/* A sampler that checks what it is given and answers deterministically from
 * the window's noise key and observed events (as a model would). */
typedef struct recorder {
    const long_trace_plan *plan;
    const int32_t *traces;  /* the output being built, rows of plan->length */
    int64_t first;
    int64_t calls, windows, bad_observed, bad_mask, bad_noise;
    int64_t max_batch;
} recorder;

static void fake_sample(void *user, int B, const float *x0, const float *mask, const uint64_t *noise_ids, int64_t done,
                        int64_t total, int32_t *ids) {
    recorder *r = user;
    (void)done;
    (void)total;
    r->calls++;
    if (B > r->max_batch) r->max_batch = B;
    for (int b = 0; b < B; b++) {
        uint64_t key = noise_ids[b];
        int64_t trace = (int64_t)(key & 0xFFFFFFFFu), round = (int64_t)(key >> 32);
        if (round >= r->plan->rounds || trace < r->first) r->bad_noise++;
        int64_t start;
        int observed;
        long_trace_window(r->plan, round, &start, &observed);
        const int32_t *row = r->traces + (trace - r->first) * r->plan->length;
        uint64_t h = key * 0x9E3779B97F4A7C15ull;
        for (int l = 0; l < L; l++) {
            size_t i = (size_t)b * L + l;
            int obs = mask[i] != 0.0f;
            if (obs != (l < observed)) r->bad_mask++;
            if (obs && (x0[i] != (float)row[start + l] || row[start + l] < 1)) r->bad_observed++;
            if (obs) {
                ids[i] = (int32_t)x0[i];
                h = (h ^ (uint64_t)ids[i]) * 0xBF58476D1CE4E5B9ull;
            } else {
                h = (h ^ (uint64_t)l) * 0xBF58476D1CE4E5B9ull;
                ids[i] = 1 + (int32_t)((h >> 29) % V);
            }
        }
        r->windows++;
    }
}

static void test_loop(void) {
    long_trace_plan p;
    error_info err;
    CHECK(long_trace_plan_make(45, L, 10, &p, &err) == 0);
    int64_t N = 5;
    int32_t *ref = calloc((size_t)(N * p.length), sizeof(int32_t));
    recorder r = {&p, ref, 0, 0, 0, 0, 0, 0, 0};
    int64_t calls = long_trace_generate(&p, 0, N, 2, fake_sample, &r, ref);
    CHECK(calls == r.calls && calls == p.rounds * 3); /* 5 traces in batches of 2, 2, 1 */
    CHECK(r.windows == N * p.rounds && r.max_batch == 2);
    CHECK(r.bad_observed == 0 && r.bad_mask == 0 && r.bad_noise == 0);
    int filled = 1;
    for (int64_t i = 0; i < N * p.length; i++) filled &= ref[i] >= 1 && ref[i] <= V;
    CHECK(filled);
    /* Any batch, and traces generated in parts, give the same traces. */
    int batches[] = {1, 3, 5, 64};
    for (size_t k = 0; k < sizeof batches / sizeof *batches; k++) {
        int32_t *out = calloc((size_t)(N * p.length), sizeof(int32_t));
        recorder r2 = {&p, out, 0, 0, 0, 0, 0, 0, 0};
        long_trace_generate(&p, 0, N, batches[k], fake_sample, &r2, out);
        CHECK_MSG(memcmp(out, ref, sizeof(int32_t) * (size_t)(N * p.length)) == 0, "batch %d", batches[k]);
        CHECK(r2.max_batch <= batches[k]);
        free(out);
    }
    int32_t *part = calloc((size_t)(3 * p.length), sizeof(int32_t));
    recorder r3 = {&p, part, 2, 0, 0, 0, 0, 0, 0};
    long_trace_generate(&p, 2, 3, 2, fake_sample, &r3, part);
    CHECK(memcmp(part, ref + 2 * p.length, sizeof(int32_t) * (size_t)(3 * p.length)) == 0);
    CHECK(r3.bad_observed == 0 && r3.bad_noise == 0);
    free(part);
    /* A trace shorter than the window: one window, cut. */
    CHECK(long_trace_plan_make(5, L, 8, &p, &err) == 0);
    int32_t shorter[10];
    recorder r4 = {&p, shorter, 0, 0, 0, 0, 0, 0, 0};
    CHECK(long_trace_generate(&p, 0, 2, 4, fake_sample, &r4, shorter) == 1 && r4.windows == 2);
    free(ref);
}

static int gen(const char *ckpt, const char *args, const char *log) {
    snprintf(cmd, sizeof cmd, "%s --checkpoint %s --device cpu --threads 1 %s", gen_bin, ckpt, args);
    return cli_run(cmd, log);
}

static int load_text(const char *path, window_set *ws) {
    error_info err;
    int rc = windows_read_text(path, ws, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    return rc;
}

static int same_files(const char *a, const char *b) {
    char *x = cli_slurp(a), *y = cli_slurp(b);
    int same = strlen(x) > 0 && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

/* Every window of every trace the tool wrote, sampled again here from its
 * overlap with the previous window alone (those events observed, the same
 * noise, one window at a time), must come out as the trace has it: the
 * seams were generated conditioned on exactly the events before them. */
static void check_seams(const char *ckpt, const char *args, diffusion_sampler sampler, int steps, double temperature) {
    char full[512];
    snprintf(full, sizeof full, "--num 3 --length 45 --overlap 10 --batch 2 --out tl/seams.txt %s", args);
    int rc = gen(ckpt, full, "tl/seams.log");
    char *log = cli_slurp("tl/seams.log");
    CHECK_MSG(rc == 0, "%s", log);
    CHECK_STR_CONTAINS(log, "3 traces of 45 events (6 windows of 16 each, overlapping by 10)");
    free(log);
    window_set t;
    CHECK(load_text("tl/seams.txt", &t) == 0 && t.count == 3 && t.length == 45);
    if (t.count != 3 || t.length != 45) return;
    long_trace_plan p;
    error_info err;
    CHECK(long_trace_plan_make(45, L, 10, &p, &err) == 0);
    backend *be = backend_cpu_create(1);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    sssd_model *m = checkpoint_load(ckpt, be, 1, &meta, &err);
    CHECK_MSG(m != NULL, "%s", err.message);
    diffusion_context *d = diffusion_context_create(m);
    /* Masked synthesis reveals in a random order by default (temperature > 0 only there). */
    diffusion_sample_options so = {.sampler = sampler, .steps = steps, .seed = 1, .temperature = temperature,
                                   .random_order = temperature > 0};
    int windows = 0, equal = 0, varied = 0;
    for (int64_t n = 0; n < t.count; n++)
        for (int64_t r = 1; r < p.rounds; r++) {
            int64_t start;
            int observed;
            long_trace_window(&p, r, &start, &observed);
            const int32_t *win = t.ids + n * 45 + start;
            float x0[L], mask[L], out[L];
            int32_t ids[L];
            for (int l = 0; l < L; l++) {
                x0[l] = l < observed ? (float)win[l] : 0.0f;
                mask[l] = l < observed ? 1.0f : 0.0f;
                varied += l > 0 && win[l] != win[l - 1];
            }
            uint64_t noise = long_trace_noise_id(n, r);
            diffusion_sample(d, 1, x0, mask, &noise, &so, out);
            diffusion_values_to_ids(out, L, V, ids);
            windows++;
            equal += memcmp(ids, win, sizeof ids) == 0;
        }
    CHECK_MSG(equal == windows, "%s: %d of %d windows reproduced from their overlap", ckpt, equal, windows);
    CHECK_MSG(varied > 10, "%s: the traces hardly change (%d changes)", ckpt, varied); /* not a trivial trace */
    diffusion_context_free(d);
    sssd_model_free(m);
    checkpoint_meta_free(&meta);
    backend_free(be);
    window_set_free(&t);
}

static void test_seams(void) {
    check_seams("tl/masked.ckpt", "", SAMPLER_DDPM, 0, 1.0);
    check_seams("tl/bits.ckpt", "--sampler ddim --steps 3", SAMPLER_DDIM, 3, 0.0);
    check_seams("tl/id.ckpt", "--sampler ddim --steps 3", SAMPLER_DDIM, 3, 0.0);
    /* A checkpoint of one gap warns about synthesis and about the blackouts of the continuation. */
    char *log = cli_slurp("tl/seams.log");
    CHECK_STR_CONTAINS(log, "never on none");
    CHECK_STR_CONTAINS(log, "never on forecast:6");
    free(log);
}

static void test_cli(void) {
    /* Window 0 of trace n is window n of plain synthesis (the same noise). */
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/a.txt --batch 2", "tl/a.log") == 0);
    CHECK(gen("tl/masked.ckpt", "--num 3 --out tl/w.txt", "tl/w.log") == 0);
    window_set a, w;
    CHECK(load_text("tl/a.txt", &a) == 0 && a.count == 3 && a.length == 45);
    CHECK(load_text("tl/w.txt", &w) == 0 && w.count == 3 && w.length == L);
    int first_same = 1, in_vocab = 1, distinct_traces = 0;
    for (int n = 0; n < 3; n++) {
        first_same &= memcmp(a.ids + n * 45, w.ids + n * L, sizeof(int32_t) * L) == 0;
        distinct_traces += n > 0 && memcmp(a.ids, a.ids + n * 45, sizeof(int32_t) * 45) != 0;
    }
    for (int64_t i = 0; i < a.count * a.length; i++) in_vocab &= a.ids[i] >= 1 && a.ids[i] <= V;
    CHECK(first_same);
    CHECK(in_vocab);
    CHECK(distinct_traces == 2); /* drawn at temperature 1 by default: traces differ */
    /* The mask beside it: nothing observed. */
    window_set m;
    CHECK(load_text("tl/a.txt.mask", &m) == 0 && m.count == 3 && m.length == 45);
    int zeros = 1;
    for (int64_t i = 0; i < m.count * m.length; i++) zeros &= m.ids[i] == 0;
    CHECK(zeros);
    window_set_free(&m);
    /* Determinism, --batch, --seed. */
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/b.txt --batch 1", "tl/b.log") == 0);
    CHECK(same_files("tl/a.txt", "tl/b.txt"));
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/c.txt --batch 3 --seed 2", "tl/c.log") == 0);
    CHECK(!same_files("tl/a.txt", "tl/c.txt"));
    /* The default overlap: half the window for a checkpoint without blackouts; the
     * longest blackout of a mix (a quarter of the window: overlap 12). */
    char *log = cli_slurp("tl/a.log");
    CHECK_STR_CONTAINS(log, "overlapping by 8");
    free(log);
    CHECK(gen("tl/mix.ckpt", "--num 1 --length 40 --out tl/x.txt", "tl/x.log") == 0);
    log = cli_slurp("tl/x.log");
    CHECK_STR_CONTAINS(log, "overlapping by 12");
    CHECK(!strstr(log, "warning")); /* a mix trained on both tasks */
    free(log);
    CHECK(gen("tl/forecast.ckpt", "--num 1 --length 40 --out tl/x.txt", "tl/x.log") == 0);
    log = cli_slurp("tl/x.log");
    CHECK_STR_CONTAINS(log, "overlapping by 11"); /* forecast:5: exactly its task */
    CHECK(!strstr(log, "never on forecast"));
    free(log);
    /* Shorter than the window: the first events of one window. */
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 5 --out tl/s.txt", "tl/s.log") == 0);
    window_set s;
    CHECK(load_text("tl/s.txt", &s) == 0 && s.count == 3 && s.length == 5);
    CHECK(memcmp(s.ids, w.ids, sizeof(int32_t) * 5) == 0);
    window_set_free(&s);
    /* Formats hold whole traces. */
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/a.npy", "tl/an.log") == 0);
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/a.h5", "tl/ah.log") == 0);
    CHECK(gen("tl/masked.ckpt", "--num 3 --length 45 --out tl/a.names", "tl/as.log") == 0);
    error_info err;
    window_set n, h;
    CHECK(windows_read_npy("tl/a.npy", &n, &err) == 0 && n.count == 3 && n.length == 45);
    CHECK(memcmp(n.ids, a.ids, sizeof(int32_t) * 3 * 45) == 0);
    CHECK(gen_read_h5("tl/a.h5", &h, NULL, &err) == 0 && h.count == 3 && h.length == 45);
    CHECK(memcmp(h.ids, a.ids, sizeof(int32_t) * 3 * 45) == 0);
    char *names = cli_slurp("tl/a.names");
    char expect[1024] = "";
    for (int l = 0; l < 45; l++) {
        size_t k = strlen(expect);
        snprintf(expect + k, sizeof expect - k, "%sev%d", l ? " " : "", a.ids[l]);
    }
    strcat(expect, "\n");
    CHECK_MSG(strncmp(names, expect, strlen(expect)) == 0, "names: %.80s", names);
    free(names);
    window_set_free(&n);
    window_set_free(&h);
    window_set_free(&a);
    window_set_free(&w);
    /* Gaussian encodings: valid IDs, the same traces whatever the batch. */
    const char *ckpts[] = {"tl/bits.ckpt", "tl/id.ckpt"};
    for (int k = 0; k < 2; k++) {
        char args[256];
        snprintf(args, sizeof args, "--num 2 --length 30 --sampler ddim --steps 3 --out tl/g%d.txt --batch 2", k);
        CHECK(gen(ckpts[k], args, "tl/g.log") == 0);
        snprintf(args, sizeof args, "--num 2 --length 30 --sampler ddim --steps 3 --out tl/g%d1.txt --batch 1", k);
        CHECK(gen(ckpts[k], args, "tl/g.log") == 0);
        char p1[64], p2[64];
        snprintf(p1, sizeof p1, "tl/g%d.txt", k);
        snprintf(p2, sizeof p2, "tl/g%d1.txt", k);
        CHECK_MSG(same_files(p1, p2), "%s", ckpts[k]);
        window_set g;
        CHECK(load_text(p1, &g) == 0 && g.count == 2 && g.length == 30);
        int ok = 1;
        for (int64_t i = 0; i < g.count * g.length; i++) ok &= g.ids[i] >= 1 && g.ids[i] <= V;
        CHECK_MSG(ok, "%s", ckpts[k]);
        window_set_free(&g);
    }
    /* --snap repairs whole traces of entry-exit data. */
    CHECK(gen("tl/masked.ckpt", "--num 2 --length 45 --snap --out tl/sn.txt", "tl/sn.log") == 0);
    log = cli_slurp("tl/sn.log");
    CHECK_STR_CONTAINS(log, "--snap changed");
    free(log);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_long_trace GENERATE_BINARY\n");
        return 2;
    }
    gen_bin = argv[1];
    test_plan();
    test_loop();
    cli_scratch("tl");
    make_random_checkpoint("tl/masked.ckpt", ENCODING_MASKED, L, V, "mid:4", "entry-exit", 0.05);
    make_random_checkpoint("tl/varied.ckpt", ENCODING_MASKED, L, V, "mid:4", "entry-exit", 1.0);
    make_random_checkpoint("tl/mix.ckpt", ENCODING_MASKED, L, V, "mix", "entry-exit", 0.05);
    make_random_checkpoint("tl/forecast.ckpt", ENCODING_MASKED, L, V, "forecast:5", "entry-exit", 0.05);
    make_random_checkpoint("tl/bits.ckpt", ENCODING_BITS, L, V, "mid:4", "entry-exit", 0.05);
    make_random_checkpoint("tl/id.ckpt", ENCODING_ID, L, V, "mid:4", "entry-exit", 0.05);
    test_seams();
    test_cli();
    return test_finish("test_long_trace");
}
