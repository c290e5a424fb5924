/* `generate`: reconstruct lost events, forecast, or synthesise whole windows
 * or traces of any length from a trained checkpoint, with SSSD's DDPM
 * sampler, DDIM, or unmasking; under mpirun the windows are shared out among
 * the processes and rank 0 writes them all. */
#include <errno.h>
#include <hdf5.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli_options.h"
#include "collectives.h"
#include "diffusion.h"
#include "encoding.h"
#include "gen_ensemble.h"
#include "gen_output.h"
#include "gen_strace.h"
#include "long_trace.h"
#include "memory.h"
#include "ngram_prior.h"
#include "snap.h"
#include "timer.h"
#include "window_source.h"

/* --confident: surest first, positions at least this sure are revealed together. */
#define REVEAL_CONFIDENT_DEFAULT 0.9999

typedef struct gen_options {
    char checkpoint[4096];
    char ensemble[GEN_ENSEMBLE_MAX][4096]; /* --ensemble: further checkpoints whose networks join the first's */
    int ensemble_count;
    char input[4096];
    char split[32];
    long long limit;
    char mask[4096];
    int forecast;
    long long num;
    long long length;
    int overlap;
    diffusion_sampler sampler;
    int steps;
    double eta;
    int samples;
    int top;
    double temperature;       /* masked encoding; < 0: 0 for one sample, 1 for several */
    double ngram_prior;       /* masked encoding: weight of the n-gram prior, 0 = none; < 0 until resolved */
    int ngram_prior_given;
    /* How the checkpoint's network was trained with the n-gram (read once,
     * gen_trained_ngram): the product's weight (0: none) and whether it takes
     * the n-gram's probabilities as input. */
    double trained_prior;
    int trained_input;
    int random_order;         /* masked encoding: 1 reveal in a random order, 0 surest first; < 0 until resolved */
    double reveal_confident;  /* masked, surest first: also reveal positions at least this sure; < 0 until resolved */
    int refine;               /* masked: Gibbs sweeps after unmasking; < 0 until resolved */
    int prior_refine_only;    /* masked: the n-gram prior in the refinement sweeps only; < 0 until resolved */
    int steps_given, eta_given, sampler_given;
    int snap;
    int clamp;
    char out[4096];
    char format[16];
    char save_input[4096];
    uint64_t seed;
    int batch;
    char device[16];
    int threads;
    int quiet;
} gen_options;

static void usage(FILE *f) {
    fprintf(f,
            "usage: generate --checkpoint FILE [MODE] [options]\n"
            "\n"
            "modes (none given: reconstruct the test windows of the checkpoint's own dataset with the task it\n"
            "was trained on, or mid:10 for a mix, into generated.txt; `evaluate generated.txt DATASET` scores\n"
            "them):\n"
            "  --input WINDOWS [--mask SPEC|FILE]   reconstruct: observed events are copied exactly.\n"
            "        SPEC: mid:K (ICSE'25 gap), end:K, gap:START:K, none; FILE: 0/1 per position\n"
            "        (1 = observed), one line for all windows or one per window. Default: the\n"
            "        checkpoint's training task when it is a fixed gap; a mix (train's default): mid:10, or\n"
            "        its longest gap when shorter.\n"
            "  --input WINDOWS --forecast K         the last K events of each window are generated\n"
            "  --num N [--length L] [--overlap O]   synthesise N traces of L events (nothing observed; default\n"
            "        L: the model's window). A trace longer than the window is built window by window: each\n"
            "        new window holds the trace's last O events so far (observed) and generates the rest, so\n"
            "        the model continues the trace across a seam as it continues any window. Default O: the\n"
            "        window less a blackout at the end the checkpoint trained on, so that each new window is\n"
            "        a task it knows (forecast:K: K; mix: its longest gap, at most half the window); half the\n"
            "        window for checkpoints of other tasks. The traces advance in lockstep, --batch windows\n"
            "        at a time; a trace depends on --seed and its number only.\n"
            "  WINDOWS: paper text layout, .npy, .h5 holding /windows, or a dataset (name, directory,\n"
            "  NAME.h5: its --split, testing by default); --limit N takes the first N windows.\n"
            "\n"
            "sampling:\n"
            "  models with the masked encoding (the default) unmask the gap: one network pass per generated\n"
            "  event, the positions the model is surest of first; --steps S reveals it in S passes instead.\n"
            "  --temperature T       masked: 0 takes the most probable event (default for one sample of\n"
            "                        --input), T > 0 draws from the softmax at temperature T (default 1 with\n"
            "                        --samples and with --num: at 0 every synthesised window would be the same)\n"
            "  --order confidence|random\n"
            "                        masked: which positions a pass reveals. confidence (default to reconstruct\n"
            "                        and forecast): those the model is surest of; random (default with --num):\n"
            "                        positions drawn at random, each event drawn from its distribution - an\n"
            "                        unbiased sample of the model, where surest-first places the frequent\n"
            "                        events first and keeps the rare ones out\n"
            "  --confident P         masked, surest first: a pass also reveals every position whose event has\n"
            "                        probability P or more, so that gaps the model is sure of take fewer passes\n"
            "                        (default 0.9999: 2-3 times faster on the ICSE'25 sets, about as accurate;\n"
            "                        0: one event per pass, the schedule alone)\n"
            "  --refine N            masked: after the last event is revealed, N sweeps that hide the generated\n"
            "                        events again in 8 interleaved groups (one network pass each) and redraw\n"
            "                        each given everything else, as it was drawn (Gibbs sampling). Default 0\n"
            "  --ngram-prior-in all|refine\n"
            "                        masked, with --refine: where the n-gram prior is fused: at every pass\n"
            "                        (all), or in the refinement sweeps only (refine), the unmasking passes\n"
            "                        drawing from the network alone\n"
            "  --ngram-prior W       masked: multiply each position's distribution by an n-gram model of the\n"
            "                        checkpoint's training data (given the visible events on both sides of its\n"
            "                        gap) raised to the power W (draws: from the geometric mean of the two); 0:\n"
            "                        the network alone. Default: the weight the network was trained with\n"
            "                        (train --ngram-prior), else 1 when the checkpoint's dataset can be read, else 0\n"
            "  --ensemble FILE       masked: a further checkpoint of the same dataset (repeat, up to %d) whose\n"
            "                        network joins the first's at every pass: each position's distribution is\n"
            "                        the geometric mean of the networks' (then fused with the prior). Costs one\n"
            "                        network pass per checkpoint\n"
            "  models with the bits or id encoding run Gaussian diffusion:\n"
            "  --sampler ddpm|ddim   ddpm (default): SSSD's loop, T network passes; ddim: --steps S\n"
            "  --steps S             DDIM steps (default 20)\n"
            "  --eta E               DDIM noise, 0 (default, deterministic given x_T) .. 1 (DDPM's)\n"
            "  --samples S           S samples per window: the output is the per-position majority,\n"
            "                        its confidence goes to OUT.confidence (default 1)\n"
            "  --top K               print the K most likely events of each generated position: the model's\n"
            "                        probabilities (masked encoding, averaged over samples) or the\n"
            "                        frequencies among --samples (other encodings)\n"
            "  --snap                entry-exit data: repair unmatched entry/exit pairs (says how many)\n"
            "  --no-clamp            keep rounded IDs outside the vocabulary (the paper did not clamp)\n"
            "  --seed S              (default 1); results do not depend on --batch\n"
            "\n"
            "output:\n"
            "  --out FILE            (default generated.txt); the mask goes to FILE.mask (1 = observed)\n"
            "  --format F            text (paper layout: one window or trace a line) | npy | h5 (/windows,\n"
            "                        /mask) | names (event names, one window or trace a line) | strace (a log\n"
            "                        that `dataset build` reads back: one line per call with made-up arguments\n"
            "                        and results, a header saying it is synthetic; several traces are\n"
            "                        processes 1001, 1002, ... one after the other) (default: from FILE's\n"
            "                        extension, .strace included, else text)\n"
            "  --save-input FILE     also write the input windows used (after --limit) in text layout,\n"
            "                        the REAL that `evaluate` pairs the output with\n"
            "\n"
            "run:\n"
            "  --batch B             windows per network pass (default 16)\n"
            "  --device cpu|cuda|auto   --threads N   --quiet\n"
            "\n"
            "memory: the model (4 bytes per parameter) plus activations of about 160 bytes x batch x samples x\n"
            "channels x L x layers, plus 4-12 bytes per input and output event; checkpoints whose model would not\n"
            "fit in available memory are refused before loading.\n",
            GEN_ENSEMBLE_MAX);
}

static void copy_opt(char *dst, size_t size, const char *opt, const char *v) {
    if (strlen(v) >= size) cli_bad_value(opt, v, "too long");
    snprintf(dst, size, "%s", v);
}

static void parse_options(gen_options *o, int argc, char **argv, int default_threads) {
    memset(o, 0, sizeof *o);
    snprintf(o->split, sizeof o->split, "testing");
    o->sampler = SAMPLER_DDPM;
    o->steps = 20;
    o->samples = 1;
    o->temperature = -1;
    o->ngram_prior = -1;
    o->random_order = -1;
    o->reveal_confident = -1;
    o->refine = -1;
    o->prior_refine_only = -1;
    o->clamp = 1;
    snprintf(o->out, sizeof o->out, "generated.txt");
    o->seed = 1;
    o->batch = 16;
    snprintf(o->device, sizeof o->device, "auto");
    o->threads = default_threads;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
        if (!strcmp(a, "--snap")) { o->snap = 1; continue; }
        if (!strcmp(a, "--no-clamp")) { o->clamp = 0; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (strncmp(a, "--", 2)) die("unexpected argument '%s' (see generate --help)", a);
        if (i + 1 >= argc) die("%s needs a value (see generate --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--checkpoint")) copy_opt(o->checkpoint, sizeof o->checkpoint, a, v);
        else if (!strcmp(a, "--ensemble")) {
            if (o->ensemble_count == GEN_ENSEMBLE_MAX)
                die("--ensemble: at most %d further checkpoints join the first", GEN_ENSEMBLE_MAX);
            copy_opt(o->ensemble[o->ensemble_count], sizeof o->ensemble[0], a, v);
            o->ensemble_count++;
        }
        else if (!strcmp(a, "--input")) copy_opt(o->input, sizeof o->input, a, v);
        else if (!strcmp(a, "--split")) {
            if (strcmp(v, "testing") && strcmp(v, "training")) cli_bad_value(a, v, "expected testing or training");
            copy_opt(o->split, sizeof o->split, a, v);
        } else if (!strcmp(a, "--limit")) o->limit = cli_integer(a, v, 1, 1LL << 40);
        else if (!strcmp(a, "--mask")) copy_opt(o->mask, sizeof o->mask, a, v);
        else if (!strcmp(a, "--forecast")) o->forecast = (int)cli_integer(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--num")) o->num = cli_integer(a, v, 1, 1LL << 32);
        else if (!strcmp(a, "--length")) o->length = cli_integer(a, v, 1, LONG_TRACE_MAX_LENGTH);
        else if (!strcmp(a, "--overlap")) o->overlap = (int)cli_integer(a, v, 1, 1 << 20);
        else if (!strcmp(a, "--sampler")) {
            if (!strcmp(v, "ddpm")) o->sampler = SAMPLER_DDPM;
            else if (!strcmp(v, "ddim")) o->sampler = SAMPLER_DDIM;
            else cli_bad_value(a, v, "expected ddpm or ddim");
            o->sampler_given = 1;
        } else if (!strcmp(a, "--steps")) { o->steps = (int)cli_integer(a, v, 1, 1000000); o->steps_given = 1; }
        else if (!strcmp(a, "--temperature")) o->temperature = cli_number(a, v, 0, 100, 0);
        else if (!strcmp(a, "--order")) {
            if (!strcmp(v, "confidence")) o->random_order = 0;
            else if (!strcmp(v, "random")) o->random_order = 1;
            else cli_bad_value(a, v, "expected confidence or random");
        } else if (!strcmp(a, "--confident")) o->reveal_confident = cli_number(a, v, 0, 1, 0);
        else if (!strcmp(a, "--refine")) o->refine = (int)cli_integer(a, v, 0, 1000);
        else if (!strcmp(a, "--ngram-prior-in")) {
            if (!strcmp(v, "all")) o->prior_refine_only = 0;
            else if (!strcmp(v, "refine")) o->prior_refine_only = 1;
            else die("--ngram-prior-in %s: expected all or refine", v);
        }
        else if (!strcmp(a, "--ngram-prior")) {
            o->ngram_prior = cli_number(a, v, 0, 100, 0);
            o->ngram_prior_given = 1;
        }
        else if (!strcmp(a, "--eta")) {
            char *end;
            o->eta = strtod(v, &end);
            if (!*v || *end || !(o->eta >= 0 && o->eta <= 1)) cli_bad_value(a, v, "expected a number from 0 to 1");
            o->eta_given = 1;
        } else if (!strcmp(a, "--samples")) o->samples = (int)cli_integer(a, v, 1, 65535);
        else if (!strcmp(a, "--top")) o->top = (int)cli_integer(a, v, 1, 1000);
        else if (!strcmp(a, "--out")) copy_opt(o->out, sizeof o->out, a, v);
        else if (!strcmp(a, "--save-input")) copy_opt(o->save_input, sizeof o->save_input, a, v);
        else if (!strcmp(a, "--format")) {
            gen_format f;
            if (gen_format_parse(v, &f)) cli_bad_value(a, v, "expected text, npy, h5, names or strace");
            copy_opt(o->format, sizeof o->format, a, v);
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-') cli_bad_value(a, v, "expected a non-negative integer");
            o->seed = s;
        } else if (!strcmp(a, "--batch")) o->batch = (int)cli_integer(a, v, 1, 1 << 16);
        else if (!strcmp(a, "--device")) {
            if (strcmp(v, "cpu") && strcmp(v, "cuda") && strcmp(v, "auto")) cli_bad_value(a, v, "expected cpu, cuda or auto");
            copy_opt(o->device, sizeof o->device, a, v);
        } else if (!strcmp(a, "--threads")) o->threads = (int)cli_integer(a, v, 1, 4096);
        else die("unknown option '%s' (see generate --help)", a);
    }
    if (!o->checkpoint[0]) die("--checkpoint is required (e.g. runs/compress-gzip/best.ckpt)");
    if (o->num && (o->input[0] || o->mask[0] || o->forecast))
        die("--num synthesises windows from nothing; it cannot be combined with --input, --mask or --forecast");
    if (o->forecast && o->mask[0]) die("--forecast K sets the mask itself; drop --mask");
    if (o->length && !o->num) die("--length only applies to --num (inputs have their own length)");
    if (o->overlap && !o->length) die("--overlap applies to traces longer than the model's window: give --num N --length L");
    if (o->save_input[0] && o->num) die("--save-input needs --input (synthesis has no input windows)");
}

/* ---- progress on a terminal ---- */
typedef struct progress {
    int tty, quiet;
    long long windows_total, windows_before;
    int batch_windows;
    double start;
} progress;

static void on_pass(void *user, int done, int total) {
    progress *p = user;
    if (!p->tty || p->quiet) return;
    double frac = ((double)p->windows_before + (double)p->batch_windows * done / total) / (double)p->windows_total;
    double el = now_seconds() - p->start;
    double eta = frac > 0 ? el / frac - el : 0;
    int width = 24, filled = (int)(frac * width);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r\033[K[%s] %lld/%lld windows | ETA %.0fs", bar, p->windows_before, p->windows_total, eta);
    fflush(stderr);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The checkpoint's event kind ("call", "entry-exit"), or "unknown" for checkpoints that do not record it. */
static void checkpoint_events(const checkpoint_meta *meta, char *out, size_t size) {
    snprintf(out, size, "%s", meta->events[0] ? meta->events : "unknown");
}

/* One line of --top from the model's probabilities: the K most likely events
 * (ties to the smaller ID), named when the vocabulary has names. */
static void print_top_probs(int64_t w, int l, const float *p, int V, int K, const vocabulary *vocab) {
    printf("window %lld position %d:", (long long)w + 1, l);
    unsigned char *used = xcalloc((size_t)V, 1);
    for (int k = 0; k < K && k < V; k++) {
        int pick = -1;
        for (int v = 0; v < V; v++)
            if (!used[v] && (pick < 0 || p[v] > p[pick])) pick = v;
        used[pick] = 1;
        const char *name = vocab->names && pick < vocab->size ? vocab->names[pick] : NULL;
        if (name && strcmp(name, "") && atoi(name) != pick + 1) printf(" %d:%s %.3f", pick + 1, name, (double)p[pick]);
        else printf(" %d %.3f", pick + 1, (double)p[pick]);
    }
    printf("\n");
    free(used);
}

/* A model asked for a task it never trained on gives poor results without
 * any error: say so (a synthesis from a gap-filling checkpoint emits a few
 * frequent events). Checkpoints that do not record their task stay quiet. */
static void warn_untrained_task(const checkpoint_meta *meta, const mask_spec *asked, int L, int quiet) {
    mask_spec trained;
    error_info err;
    (void)quiet; /* a warning, not progress: --quiet keeps it */
    if (!meta->task[0] || mask_spec_parse(meta->task, &trained, &err)) return;
    if (mask_spec_covers(&trained, asked, L)) return;
    char text[160];
    mask_spec_format(asked, text, sizeof text);
    fprintf(stderr,
            "generate: warning: the checkpoint trained on the task %s and never on %s; expect poor results (train "
            "with --mask mix for one checkpoint that serves every task)\n",
            meta->task, text);
}

/* One line on the sampler, for the provenance and the summary: room for the
 * longest (masked, n-gram prior, surest first with --confident). */
#define SAMPLER_TEXT_SIZE 256
static void describe_sampler(const gen_options *o, const sssd_config *cfg, char *out, size_t size) {
    if (cfg->encoding == ENCODING_MASKED) {
        char prior[320] = "";
        const char *order = o->random_order > 0 ? "random order" : "surest first";
        int k = 0;
        if (o->ensemble_count)
            k = snprintf(prior, sizeof prior, ", the geometric mean of %d networks", o->ensemble_count + 1);
        if (o->ngram_prior > 0)
            k += snprintf(prior + k, sizeof prior - (size_t)k, ", n-gram prior weight %g%s", o->ngram_prior,
                         o->prior_refine_only > 0 ? " (refinement only)" : "");
        if (o->reveal_confident > 0)
            k += snprintf(prior + k, sizeof prior - (size_t)k, ", revealing every position at least %g sure at once",
                          o->reveal_confident);
        if (o->refine > 0)
            snprintf(prior + k, sizeof prior - (size_t)k, ", %d refinement sweep%s", o->refine,
                     o->refine == 1 ? "" : "s");
        if (o->steps)
            snprintf(out, size, "unmasking in at most %d passes (%s), temperature %g%s", o->steps, order,
                     o->temperature, prior);
        else snprintf(out, size, "unmasking one event per pass (%s), temperature %g%s", order, o->temperature, prior);
    } else if (o->sampler == SAMPLER_DDPM) snprintf(out, size, "DDPM, %d steps", cfg->T);
    else snprintf(out, size, "DDIM, %d steps, eta %g", o->steps < cfg->T ? o->steps : cfg->T, o->eta);
}

/* The overlap of consecutive windows of a long trace when --overlap is not
 * given. A new window observes its first O events and generates the rest: a
 * blackout at the end. With O = L - K for a blackout K the checkpoint
 * trained on, every window is a task it knows: forecast:K has one K; a mix
 * has every K up to its longest gap, of which the longest is taken (fewest
 * windows: DDPM and DDIM cost the same per window, while the masked sampler
 * costs about one pass per generated event whatever O is) but at most L/2,
 * so that each window sees at least as much of the trace as it adds.
 * Checkpoints of other tasks get L/2 (and a warning). */
static int default_overlap(const checkpoint_meta *meta, int L) {
    mask_spec t;
    error_info err;
    int k = 0;
    if (meta->task[0] && !mask_spec_parse(meta->task, &t, &err)) {
        if (t.kind == MASK_FORECAST) return t.k < L ? L - t.k : L / 2; /* exactly its task */
        if (t.kind == MASK_MIX && (t.mix[MIX_FORECAST] > 0 || t.mix[MIX_GAP] > 0)) k = mask_spec_mix_max(&t, L);
    }
    if (k < 1 || k > L / 2) k = L / 2;
    return L - k;
}

typedef struct trace_sampler {
    diffusion_context *diff;
    const diffusion_sample_options *so;
    progress *pg;
    int L, clamp_to;
    float *values;
} trace_sampler;

static void sample_trace_windows(void *user, int B, const float *x0, const float *mask, const uint64_t *noise_ids,
                                 int64_t done, int64_t total, int32_t *ids) {
    trace_sampler *s = user;
    s->pg->windows_total = total;
    s->pg->windows_before = done;
    s->pg->batch_windows = B;
    diffusion_sample(s->diff, B, x0, mask, noise_ids, s->so, s->values);
    diffusion_values_to_ids(s->values, (long long)B * s->L, s->clamp_to, ids);
    for (size_t i = 0; i < (size_t)B * s->L; i++)
        if (mask[i] != 0.0f) ids[i] = (int32_t)x0[i]; /* the overlap comes back exactly */
}

/* The first of n events (only those flagged in `only`, when given) outside
 * the model's vocabulary 1..V, or -1. */
static long long first_id_outside(const int32_t *ids, const uint8_t *only, size_t n, int V) {
    for (size_t i = 0; i < n; i++)
        if ((!only || only[i]) && (ids[i] < 1 || ids[i] > V)) return (long long)i;
    return -1;
}

/* --ensemble: the further checkpoints, loaded beside the first (whose
 * configuration and facts are cfg and meta) and attached to the sampler. */
static void load_ensemble(const gen_options *o, backend *be, int items, const sssd_config *cfg,
                          const checkpoint_meta *meta, gen_ensemble *e, diffusion_sample_options *so) {
    const char *paths[GEN_ENSEMBLE_MAX];
    for (int k = 0; k < o->ensemble_count; k++) paths[k] = o->ensemble[k];
    error_info err;
    if (gen_ensemble_load(e, paths, o->ensemble_count, be, items, cfg, meta, &err)) die("%s", err.message);
    gen_ensemble_attach(e, so);
}

/* "; ensemble with A, B" for the output's provenance, or "". */
static void ensemble_provenance(const gen_options *o, char *out, size_t size) {
    out[0] = 0;
    size_t used = 0;
    for (int k = 0; k < o->ensemble_count && used < size; k++) {
        int n = snprintf(out + used, size - used, "%s%s", k ? ", " : "; ensemble with ", o->ensemble[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* --ngram-prior W: fit the n-gram of the checkpoint's training windows and
 * hand it to the sampler (ngram_prior.h). Asked for, a dataset that cannot
 * be read is an error; by default the prior is then left out, with a note. */
static void attach_ngram_prior(gen_options *o, const checkpoint_meta *meta, int L, int V, ngram_prior *np,
                               diffusion_sample_options *so) {
    int input = o->trained_input;
    double trained = o->trained_prior;
    if (o->ngram_prior <= 0 && !input) return;
    error_info err;
    char where[4096], why[4608] = "";
    window_set train;
    memset(&train, 0, sizeof train);
    if (!meta->dataset[0])
        snprintf(why, sizeof why, "the checkpoint %s does not record the dataset it was trained on, whose training "
                                  "windows the n-gram is fitted on", o->checkpoint);
    else if (dataset_resolve(meta->dataset, where, sizeof where, &err))
        snprintf(why, sizeof why, "the checkpoint's dataset cannot be found (%s)", err.message);
    else if (windows_load(meta->dataset, "training", L, &train, &err))
        snprintf(why, sizeof why, "%s", err.message);
    long long bad = why[0] ? -1 : first_id_outside(train.ids, NULL, (size_t)train.count * (size_t)train.length, V);
    if (bad >= 0)
        snprintf(why, sizeof why, "%s: training window %lld holds event ID %d, outside the model's vocabulary 1..%d",
                 meta->dataset, bad / train.length + 1, train.ids[bad], V);
    if (why[0]) {
        window_set_free(&train);
        if (o->ngram_prior_given) die("--ngram-prior: %s", why);
        if (input)
            die("the checkpoint's network takes an n-gram of its training data as input, which cannot be fitted: %s",
                why);
        if (trained > 0)
            die("the checkpoint's network was trained as one expert of a product with an n-gram of its training "
                "data, which cannot be fitted: %s (--ngram-prior 0 runs the network alone, which it was not trained "
                "to be)", why);
        if (!o->quiet) fprintf(stderr, "generate: note: no n-gram prior (%s); the network alone decides\n", why);
        o->ngram_prior = 0;
        return;
    }
    double t0 = now_seconds();
    ngram_prior_fit(np, &train, V);
    window_set_free(&train);
    if (trained > 0) np->min_prob = NGRAM_PRIOR_TRAINED_MIN_PROB; /* as in training */
    if (!o->quiet)
        fprintf(stderr, "generate: n-gram prior: order %d fitted on %lld training events of %s (%.1f s), weight %g%s\n",
                np->model.order, (long long)np->trace_events, meta->dataset, now_seconds() - t0, o->ngram_prior,
                o->ngram_prior_given ? "" : trained > 0 ? " (the weight the network was trained with)"
                                          : input ? " (the default; --ngram-prior 0: no product, the n-gram as input only)"
                                                  : " (the default; --ngram-prior 0: the network alone)");
    so->prior = ngram_prior_logp;
    so->prior_user = np;
    so->prior_weight = o->ngram_prior;
    so->prior_trained = trained > 0;
    if (input && !o->quiet && o->ngram_prior <= 0)
        fprintf(stderr, "generate: the network takes the n-gram's probabilities as input; no product with it\n");
}

/* --num N --length T with T other than the model's window: N whole traces,
 * window by window (long_trace.h), written like any output. */
static int synthesise_traces(gen_options *o, const sssd_config *cfg, gen_format format) {
    int L = cfg->s4_lmax;
    error_info err;
    if (o->samples > 1 || o->top)
        die("--samples and --top apply to windows; a trace of --length %lld is built window by window from one "
            "sample each", o->length);
    if (L < 2) die("the model's windows hold %d event; traces cannot be continued from them", L);
    if (o->overlap && o->length <= L)
        die("--overlap %d: a trace of --length %lld fits in one window of %d events; --overlap applies to longer "
            "traces", o->overlap, o->length, L);
    if (o->overlap >= L)
        die("--overlap %d: consecutive windows of %d events can share 1..%d events", o->overlap, L, L - 1);
    long long N = o->num;
    char what[128];
    snprintf(what, sizeof what, "%lld traces of %lld events", N, o->length);
    if (memory_check("--num", what, 9.0 * (double)N * (double)o->length, &err)) die("%s", err.message);
    char why[512];
    backend *be = backend_create(o->device, o->threads, why, sizeof why);
    if (!be) die("--device %s: %s", o->device, why);
    int items = N < o->batch ? (int)N : o->batch;
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    sssd_model *model = checkpoint_load_inference(o->checkpoint, be, items, &meta, &err);
    if (!model) die("--checkpoint: %s", err.message);
    /* The weights never change here: what derives from them alone (the S4
     * kernels, the weight-normalised weights) is computed once for the run,
     * not once per round of windows. */
    sssd_model_set_weights_fixed(model, 1);
    int V = meta.vocab_size;
    if (format == GEN_STRACE && gen_strace_check_vocabulary(&meta.vocab, &err)) die("%s", err.message);
    char events[64];
    checkpoint_events(&meta, events, sizeof events);
    if (o->snap && strcmp(events, "entry-exit"))
        die("--snap: the checkpoint does not say that its data is entry-exit (events: %s), and a synthesised trace "
            "has no observed events to tell", events);
    int overlap = o->overlap ? o->overlap : default_overlap(&meta, L);
    long_trace_plan plan;
    if (long_trace_plan_make(o->length, L, overlap, &plan, &err)) die("--length/--overlap: %s", err.message);
    mask_spec none_spec;
    memset(&none_spec, 0, sizeof none_spec);
    none_spec.kind = MASK_NONE;
    warn_untrained_task(&meta, &none_spec, L, o->quiet);
    if (plan.rounds > 1) {
        mask_spec next;
        memset(&next, 0, sizeof next);
        next.kind = MASK_FORECAST;
        next.k = L - overlap;
        warn_untrained_task(&meta, &next, L, o->quiet);
    }

    window_set result;
    window_set_init(&result, N, (int)plan.length);
    size_t NT = (size_t)N * (size_t)plan.length;
    uint8_t *observed = xcalloc(NT ? NT : 1, 1);
    diffusion_context *diff = diffusion_context_create(model);
    diffusion_set_prior_input(diff, o->trained_input);
    progress pg = {isatty(STDERR_FILENO), o->quiet, 0, 0, 0, now_seconds()};
    diffusion_sample_options so = {.sampler = o->sampler, .steps = o->steps, .eta = o->eta, .seed = o->seed,
                                   .progress = on_pass, .progress_user = &pg, .temperature = o->temperature,
                                   .random_order = o->random_order, .reveal_confident = o->reveal_confident,
                                   .refine = o->refine, .prior_refine_only = o->prior_refine_only};
    ngram_prior np;
    memset(&np, 0, sizeof np);
    attach_ngram_prior(o, &meta, L, V, &np, &so);
    gen_ensemble ensemble;
    load_ensemble(o, be, items, sssd_model_config(model), &meta, &ensemble, &so);
    trace_sampler ts = {diff, &so, &pg, L, o->clamp ? V : 0, xmalloc(sizeof(float) * (size_t)items * L)};
    double t0 = now_seconds();
    long_trace_generate(&plan, 0, N, items, sample_trace_windows, &ts, result.ids);
    double elapsed = now_seconds() - t0;
    if (pg.tty && !o->quiet) fputs("\r\033[K", stderr);

    long long snapped = 0;
    if (o->snap)
        for (int64_t n = 0; n < N; n++)
            snapped += snap_window(result.ids + (size_t)n * plan.length, observed + (size_t)n * plan.length, NULL,
                                   (int)plan.length);

    char sampler_text[SAMPLER_TEXT_SIZE], provenance[8192], written[16384];
    describe_sampler(o, cfg, sampler_text, sizeof sampler_text);
    char members[4096];
    ensemble_provenance(o, members, sizeof members);
    snprintf(provenance, sizeof provenance,
             "checkpoint %s (iteration %lld)%s; %lld-event traces from windows of %d overlapping by %d; %s; "
             "seed %llu%s",
             o->checkpoint, meta.step, members, (long long)plan.length, L, overlap, sampler_text,
             (unsigned long long)o->seed, o->snap ? "; snapped" : "");
    gen_result gr = {result, observed, NULL, &meta.vocab, provenance, events};
    if (gen_write(o->out, format, &gr, written, sizeof written, &err)) die("--out: %s", err.message);
    if (!o->quiet) {
        double events_total = (double)NT;
        fprintf(stderr,
                "generate: synthesised %lld trace%s of %lld events (%lld window%s of %d each, overlapping by %d) with "
                "%s in %.1fs: %.1f events/s\n",
                N, N == 1 ? "" : "s", (long long)plan.length, (long long)plan.rounds, plan.rounds == 1 ? "" : "s", L,
                overlap, sampler_text, elapsed, elapsed > 0 ? events_total / elapsed : 0.0);
        if (o->snap)
            fprintf(stderr, "generate: --snap changed %lld event%s to repair entry/exit pairs\n", snapped,
                    snapped == 1 ? "" : "s");
        fprintf(stderr, "generate: wrote %s\n", written);
    }
    free(ts.values);
    free(observed);
    window_set_free(&result);
    diffusion_context_free(diff);
    gen_ensemble_free(&ensemble);
    ngram_prior_free(&np);
    sssd_model_free(model);
    checkpoint_meta_free(&meta);
    backend_free(be);
    return 0;
}

int main(int argc, char **argv) {
    error_set_program_name("generate");
    backend_cpu_choose_blas_kernels("generate", argv); /* first: it may execute the program again */
    /* HDF5's own exit handler crashes when a file failed to close (disk
     * full); every file is closed explicitly, so it is not needed. */
    H5dont_atexit();
    collectives *par = collectives_init(&argc, &argv);
    gen_options o;
    /* Processes sharing a machine share its cores unless --threads says otherwise. */
    parse_options(&o, argc, argv, collectives_default_threads(par));
    if (par->rank > 0) o.quiet = 1; /* rank 0 speaks for all */
    error_info err;
    gen_format format = gen_format_from_path(o.out);
    if (o.format[0]) gen_format_parse(o.format, &format);

    sssd_config cfg;
    checkpoint_meta facts;
    if (checkpoint_read_config_meta(o.checkpoint, &cfg, &facts, &err)) die("--checkpoint: %s", err.message);
    int L = cfg.s4_lmax;
    if (!o.num && !o.input[0]) {
        /* No mode: the checkpoint's own dataset, its test windows, the task it trained on. */
        char where[4096];
        if (!facts.dataset[0])
            die("choose a mode: --input WINDOWS (reconstruct, or --forecast K) or --num N (synthesise); the checkpoint "
                "%s does not record the dataset it was trained on", o.checkpoint);
        if (dataset_resolve(facts.dataset, where, sizeof where, &err))
            die("the checkpoint's dataset cannot be found (%s); pass the test windows with --input WINDOWS, or "
                "choose --num N to synthesise", err.message);
        snprintf(o.input, sizeof o.input, "%s", facts.dataset);
        if (!o.quiet)
            fprintf(stderr, "generate: no mode given: %s the %s windows of the checkpoint's dataset %s%s%s; "
                            "--input WINDOWS, --forecast K or --num N choose another mode\n",
                    o.forecast ? "forecasting" : "reconstructing", o.split, facts.dataset,
                    o.mask[0] || o.forecast ? "" : " with its training task ", o.mask[0] || o.forecast ? "" : facts.task);
    }
    int masked = cfg.encoding == ENCODING_MASKED;
    if (masked && (o.sampler_given || o.eta_given))
        die("--sampler and --eta apply to Gaussian diffusion; this checkpoint's model uses the masked encoding, "
            "which unmasks the gap (--steps S sets the passes, --temperature T the draws)");
    if (!masked && o.sampler == SAMPLER_DDPM && (o.steps_given || o.eta_given))
        die("--steps and --eta belong to --sampler ddim (DDPM always runs the model's T steps)");
    if (!masked && o.random_order >= 0)
        die("--order applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    if (o.random_order < 0) o.random_order = o.num ? 1 : 0;
    if (!masked && o.reveal_confident >= 0)
        die("--confident applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    if (o.reveal_confident > 0 && o.random_order)
        die("--confident applies to the surest-first order (--order confidence); a random order reveals positions "
            "at random");
    /* Surest first, positions at least 0.9999 sure are revealed together:
     * reconstruction took 2.4-3.2 times less CPU time on the ICSE'25 sets
     * and 1.2 times less on tar-untar, with the same figures on ffmpeg,
     * within 0.02 points on tar-untar and one window of 500 different on
     * compress-gzip (README, Measured). Random order (synthesis) draws
     * positions one by one. */
    if (o.reveal_confident < 0) o.reveal_confident = o.random_order ? 0 : REVEAL_CONFIDENT_DEFAULT;
    if (!masked && o.temperature >= 0)
        die("--temperature applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    /* The n-gram prior is on by default for every task: it raised
     * reconstruction accuracy on every dataset measured, and, with draws in a
     * random order from the geometric mean, brought synthesis closer to real
     * traces on every dataset measured (README, Measured). */
    gen_trained_ngram(&facts, &o.trained_prior, &o.trained_input);
    if (o.ngram_prior < 0) o.ngram_prior = !masked ? 0.0 : o.trained_prior > 0 ? o.trained_prior : 1.0;
    if (!masked && o.ensemble_count)
        die("--ensemble applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    if (!masked && o.ngram_prior > 0)
        die("--ngram-prior applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    if (!masked && o.top && o.samples < 2)
        die("--top needs --samples 2 or more with the %s encoding (frequencies come from several samples)",
            encoding_name(cfg.encoding));
    if (masked && !o.steps_given) o.steps = 0; /* one pass per generated event */
    if (!masked && o.refine >= 0)
        die("--refine applies to the masked encoding; this checkpoint's model uses the %s encoding",
            encoding_name(cfg.encoding));
    if (o.refine < 0) o.refine = 0;
    if (o.prior_refine_only > 0 && !o.refine)
        die("--ngram-prior-in refine needs --refine N: without refinement sweeps the prior would never be used");
    if (o.prior_refine_only > 0 && o.trained_prior > 0)
        die("--ngram-prior-in refine: this checkpoint's network was trained inside the product with the n-gram "
            "(train --ngram-prior %g), so it is no model of its own without it at every pass",
            o.trained_prior);
    if (o.prior_refine_only < 0) o.prior_refine_only = 0;
    if (o.temperature < 0) o.temperature = o.samples > 1 || o.num ? 1.0 : 0.0;
    if (o.num && o.length && o.length != L) {
        /* Each window of a trace waits for the one before: traces are not shared out among processes. */
        if (par->size > 1)
            die("--length %lld: traces longer than the window (%d) are built by one process; run without mpirun",
                (long long)o.length, L);
        int rc = synthesise_traces(&o, &cfg, format);
        collectives_finalize(par);
        return rc;
    }

    /* ---- inputs and masks ---- */
    window_set input;
    memset(&input, 0, sizeof input);
    const char *mode;
    char task[160] = "";
    if (o.num) {
        window_set_init(&input, o.num, L);
        memset(input.ids, 0, sizeof(int32_t) * (size_t)o.num * L);
        mode = "synthesised";
        snprintf(task, sizeof task, "none");
    } else {
        if (windows_load(o.input, o.split, L, &input, &err)) die("--input: %s", err.message);
        if (input.length != L)
            die("--input %s has windows of %d events, but the model was trained on %d", o.input, input.length, L);
        if (input.count == 0) die("--input %s holds no windows", o.input);
        if (o.limit && o.limit < input.count) input.count = o.limit;
        mode = o.forecast ? "forecast" : "reconstructed";
    }
    int64_t N = input.count;
    size_t NL = (size_t)N * (size_t)L;
    uint8_t *observed = xmalloc(NL ? NL : 1);
    float *maskf = xmalloc(sizeof(float) * (size_t)L);

    /* The checkpoint is read after the inputs so that input errors come first. */
    char why[512];
    collectives_select_gpu(par, o.device);
    backend *be = backend_create(o.device, o.threads, why, sizeof why);
    if (!be) die("--device %s: %s", o.device, why);
    /* This process's windows: a contiguous share, in input order. */
    long long share_first, share_count;
    collectives_share(N, par->rank, par->size, &share_first, &share_count);
    long long share_items = share_count * o.samples > 0 ? share_count * o.samples : 1;
    int items = (int)(share_items < o.batch ? share_items : o.batch);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    sssd_model *model = checkpoint_load_inference(o.checkpoint, be, items, &meta, &err);
    if (!model) die("--checkpoint: %s", err.message);
    sssd_model_set_weights_fixed(model, 1); /* derived once for all batches, as for --num */
    int V = meta.vocab_size;
    if (format == GEN_STRACE && gen_strace_check_vocabulary(&meta.vocab, &err)) die("%s", err.message);
    if (o.num) {
        mask_spec none_spec;
        memset(&none_spec, 0, sizeof none_spec);
        none_spec.kind = MASK_NONE;
        warn_untrained_task(&meta, &none_spec, L, o.quiet);
    }

    if (!o.num) {
        mask_spec spec;
        const char *mask_text = o.mask;
        char fc[32];
        if (o.forecast) {
            snprintf(fc, sizeof fc, "forecast:%d", o.forecast);
            mask_text = fc;
        } else if (!mask_text[0]) {
            int known = meta.task[0] && !mask_spec_parse(meta.task, &spec, &err);
            if (known && mask_spec_is_fixed(&spec))
                mask_text = meta.task;
            else if (known && spec.kind == MASK_MIX && spec.mix[MIX_GAP] > 0) {
                /* A checkpoint for every task: reconstruct the ICSE'25 gap, the task papers compare on, or
                 * the longest gap it trained on when that is shorter (windows under 40 events). */
                int k = mask_spec_mix_max(&spec, L);
                snprintf(fc, sizeof fc, "mid:%d", k < 10 ? k : 10);
                mask_text = fc;
                if (!o.quiet)
                    fprintf(stderr, "generate: the checkpoint trained on %s; reconstructing %s (--mask chooses "
                                    "another gap)\n", meta.task, mask_text);
            } else
                die("--mask is needed: the checkpoint's task (%s) is not one fixed gap; e.g. --mask mid:10",
                    meta.task[0] ? meta.task : "unknown");
        }
        if (!mask_spec_parse(mask_text, &spec, &err)) {
            if (!mask_spec_is_fixed(&spec))
                die("--mask %s: random masks are for training; for generation give a fixed gap or a mask file",
                    mask_text);
            if (mask_spec_check(&spec, L, &err)) die("--mask: %s", err.message);
            mask_fill(&spec, L, 0, 0, maskf);
            for (int64_t w = 0; w < N; w++)
                for (int l = 0; l < L; l++) observed[w * L + l] = maskf[l] != 0.0f;
            mask_spec_format(&spec, task, sizeof task);
            warn_untrained_task(&meta, &spec, L, o.quiet);
        } else if (file_exists(mask_text)) {
            window_set mf;
            if (windows_load(mask_text, NULL, 0, &mf, &err)) die("--mask: %s", err.message);
            if (mf.length != L) die("--mask %s: rows of %d positions, but windows have %d", mask_text, mf.length, L);
            if (mf.count != 1 && mf.count < N)
                die("--mask %s: %lld rows; expected 1 (for every window) or one per window (%lld)", mask_text,
                    (long long)mf.count, (long long)N);
            for (int64_t w = 0; w < N; w++)
                for (int l = 0; l < L; l++) {
                    int32_t v = mf.ids[(mf.count == 1 ? 0 : w) * L + l];
                    if (v != 0 && v != 1)
                        die("--mask %s: value %d at row %lld, position %d; use 1 = observed, 0 = generated", mask_text,
                            v, (long long)(mf.count == 1 ? 1 : w + 1), l + 1);
                    observed[w * L + l] = (uint8_t)v;
                }
            window_set_free(&mf);
            snprintf(task, sizeof task, "mask file %s", mask_text);
        } else die("--mask %s: neither a mask spec (%s) nor an existing file", mask_text, err.message);
        long long bad = V > 0 ? first_id_outside(input.ids, observed, NL, V) : -1;
        if (bad >= 0)
            die("--input %s: window %lld holds event ID %d, outside the model's vocabulary 1..%d; were the "
                "windows numbered with the model's dataset?",
                o.input, bad / L + 1, input.ids[bad], V);
    } else memset(observed, 0, NL);
    long long generated_total = 0;
    for (size_t i = 0; i < NL; i++) generated_total += !observed[i];
    if (generated_total == 0) die("every position is observed: nothing to generate (check --mask)");

    /* --snap needs entry-exit data: from the checkpoint, or seen in the observed events. */
    if (o.snap) {
        const char *events = meta.events;
        if (!strcmp(events, "call"))
            die("--snap: the model's dataset has one event per system call (events = call); there are no "
                "entry/exit pairs to repair");
        if (strcmp(events, "entry-exit")) {
            int64_t runs = 0;
            double score = o.num ? 0 : snap_pairing_score(input.ids, observed, N, L, &runs);
            if (runs < 20 || score < 0.9)
                die("--snap: cannot tell that this is entry-exit data (the checkpoint does not say, and %s); "
                    "--snap needs IDs that come in pairs",
                    o.num ? "synthesised windows have no observed events to look at"
                          : "too few observed runs of equal IDs have even length");
            if (!o.quiet)
                fprintf(stderr, "generate: --snap: %.1f%% of %lld observed runs pair up: treating the data as entry-exit\n",
                        100 * score, (long long)runs);
        }
    }

    /* ---- sampling ---- */
    diffusion_context *diff = diffusion_context_create(model);
    diffusion_set_prior_input(diff, o.trained_input);
    int S = o.samples;
    int32_t *votes = xmalloc(sizeof(int32_t) * (size_t)items * L * 1);
    int32_t *all_ids = xmalloc(sizeof(int32_t) * (size_t)N * S * L);
    float *x0 = xmalloc(sizeof(float) * (size_t)items * L), *mask = xmalloc(sizeof(float) * (size_t)items * L);
    float *outv = xmalloc(sizeof(float) * (size_t)items * L);
    uint64_t *noise_ids = xmalloc(sizeof(uint64_t) * (size_t)items);
    progress pg = {isatty(STDERR_FILENO), o.quiet, share_count * S, 0, 0, now_seconds()};
    diffusion_sample_options so = {.sampler = o.sampler, .steps = o.steps, .eta = o.eta, .seed = o.seed,
                                   .progress = on_pass, .progress_user = &pg, .temperature = o.temperature,
                                   .random_order = o.random_order, .reveal_confident = o.reveal_confident,
                                   .refine = o.refine, .prior_refine_only = o.prior_refine_only};
    ngram_prior np;
    memset(&np, 0, sizeof np);
    attach_ngram_prior(&o, &meta, L, V, &np, &so);
    gen_ensemble ensemble;
    load_ensemble(&o, be, items, sssd_model_config(model), &meta, &ensemble, &so);
    /* The model's probabilities, averaged over samples, for --top (masked encoding). */
    float *item_probs = NULL, *mean_probs = NULL;
    if (masked && o.top) {
        item_probs = xmalloc(sizeof(float) * (size_t)items * L * V);
        mean_probs = xcalloc(NL * (size_t)V + 1, sizeof(float));
        so.probs = item_probs;
    }
    long long first_item = share_first * S, end_item = (share_first + share_count) * S;
    double t_start = now_seconds();
    for (long long k0 = first_item; k0 < end_item; k0 += items) {
        int b_n = (int)(end_item - k0 < items ? end_item - k0 : items);
        for (int b = 0; b < b_n; b++) {
            long long k = k0 + b;
            int64_t w = k / S;
            int s = (int)(k % S);
            /* Sample s of window w: its own noise, whatever the batch or --samples. */
            noise_ids[b] = (uint64_t)w + ((uint64_t)s << 40);
            for (int l = 0; l < L; l++) {
                x0[(size_t)b * L + l] = (float)input.ids[w * L + l];
                mask[(size_t)b * L + l] = observed[w * L + l] ? 1.0f : 0.0f;
            }
        }
        pg.windows_before = k0 - first_item;
        pg.batch_windows = b_n;
        diffusion_sample(diff, b_n, x0, mask, noise_ids, &so, outv);
        diffusion_values_to_ids(outv, (long long)b_n * L, o.clamp ? V : 0, votes);
        for (int b = 0; b < b_n; b++) {
            long long k = k0 + b;
            if (mean_probs) {
                float *dst = mean_probs + (size_t)(k / S) * L * V;
                const float *src = item_probs + (size_t)b * L * V;
                for (size_t j = 0; j < (size_t)L * V; j++) dst[j] += src[j] / (float)S;
            }
            memcpy(all_ids + (size_t)k * L, votes + (size_t)b * L, sizeof(int32_t) * (size_t)L);
            /* Observed events come back exactly (the sampler restores them). */
            int64_t w = k / S;
            for (int l = 0; l < L; l++)
                if (observed[w * L + l]) all_ids[(size_t)k * L + l] = input.ids[w * L + l];
        }
    }
    /* Rank 0 collects every process's windows (and their probabilities); the
     * others are done. Each window's result depends only on its own draws,
     * so the output is what one process writes. */
    if (par->size > 1) {
        size_t *offsets = xmalloc(sizeof(size_t) * (size_t)(par->size + 1));
        for (int r = 0; r <= par->size; r++) {
            long long f, c;
            collectives_share(N, r < par->size ? r : par->size - 1, par->size, &f, &c);
            offsets[r] = (size_t)(r < par->size ? f : f + c) * S * L * sizeof(int32_t);
        }
        par->ops->gather_host(par, all_ids, offsets);
        if (mean_probs) {
            for (int r = 0; r <= par->size; r++) offsets[r] = offsets[r] / ((size_t)S * sizeof(int32_t)) * V * sizeof(float);
            par->ops->gather_host(par, mean_probs, offsets);
        }
        free(offsets);
    }
    double elapsed = now_seconds() - t_start;
    if (pg.tty && !o.quiet) fputs("\r\033[K", stderr);
    /* ---- majority over samples ---- */
    window_set result;
    memset(&result, 0, sizeof result);
    float *confidence = NULL;
    int32_t *cand = NULL;
    int *cnt = NULL;
    if (par->rank != 0) goto done; /* rank 0 writes the output */
    window_set_init(&result, N, L);
    confidence = S > 1 ? xmalloc(sizeof(float) * (NL ? NL : 1)) : NULL;
    cand = xmalloc(sizeof(int32_t) * (size_t)S);
    cnt = xmalloc(sizeof(int) * (size_t)S);
    double conf_sum = 0;
    for (int64_t w = 0; w < N; w++) {
        for (int l = 0; l < L; l++) {
            size_t i = (size_t)w * L + l;
            int nc = 0;
            for (int s = 0; s < S; s++) {
                int32_t id = all_ids[((size_t)w * S + s) * L + l];
                int j = 0;
                while (j < nc && cand[j] != id) j++;
                if (j == nc) { cand[nc] = id; cnt[nc] = 0; nc++; }
                cnt[j]++;
            }
            /* Most frequent; ties to the smaller ID, so the choice is deterministic. */
            int best = 0;
            for (int j = 1; j < nc; j++)
                if (cnt[j] > cnt[best] || (cnt[j] == cnt[best] && cand[j] < cand[best])) best = j;
            result.ids[i] = cand[best];
            if (confidence) {
                confidence[i] = (float)cnt[best] / (float)S;
                if (!observed[i]) conf_sum += confidence[i];
            }
            if (mean_probs && !observed[i]) {
                print_top_probs(w, l, mean_probs + i * (size_t)V, V, o.top, &meta.vocab);
            } else if (o.top && !observed[i]) {
                printf("window %lld position %d:", (long long)w + 1, l);
                for (int t = 0; t < o.top && t < nc; t++) {
                    /* selection of the t-th most frequent */
                    int pick = -1;
                    for (int j = 0; j < nc; j++) {
                        if (cnt[j] < 0) continue;
                        if (pick < 0 || cnt[j] > cnt[pick] || (cnt[j] == cnt[pick] && cand[j] < cand[pick])) pick = j;
                    }
                    const char *name = V > 0 && cand[pick] >= 1 && cand[pick] <= V && meta.vocab.names ? meta.vocab.names[cand[pick] - 1] : NULL;
                    if (name && strcmp(name, "") && atoi(name) != cand[pick]) printf(" %d:%s %.3f", cand[pick], name, (double)cnt[pick] / S);
                    else printf(" %d %.3f", cand[pick], (double)cnt[pick] / S);
                    cnt[pick] = -cnt[pick] - 1;
                }
                printf("\n");
            }
        }
    }

    /* ---- entry/exit repair ---- */
    long long snapped = 0, snapped_windows = 0;
    if (o.snap) {
        for (int64_t w = 0; w < N; w++) {
            int c = snap_window(result.ids + (size_t)w * L, observed + (size_t)w * L,
                                confidence ? confidence + (size_t)w * L : NULL, L);
            snapped += c;
            snapped_windows += c > 0;
        }
    }

    /* ---- output ---- */
    char provenance[8192], written[16384];
    char sampler_text[SAMPLER_TEXT_SIZE];
    describe_sampler(&o, &cfg, sampler_text, sizeof sampler_text);
    char members[4096];
    ensemble_provenance(&o, members, sizeof members);
    snprintf(provenance, sizeof provenance, "checkpoint %s (iteration %lld)%s; %s; %s; seed %llu; samples %d%s",
             o.checkpoint, meta.step, members, task, sampler_text, (unsigned long long)o.seed, S,
             o.snap ? "; snapped" : "");
    char events[64];
    checkpoint_events(&meta, events, sizeof events);
    gen_result gr = {result, observed, confidence, &meta.vocab, provenance, events};
    if (gen_write(o.out, format, &gr, written, sizeof written, &err)) die("--out: %s", err.message);
    if (o.save_input[0]) {
        if (windows_write_text(o.save_input, &input, &err)) die("--save-input: %s", err.message);
        size_t used = strlen(written);
        snprintf(written + used, sizeof written - used, " and the input windows %s", o.save_input);
    }

    if (!o.quiet) {
        fprintf(stderr, "generate: %s %lld window%s (%s, %lld generated events) with %s in %.1fs: %.1f generated events/s\n",
                mode, (long long)N, N == 1 ? "" : "s", task, generated_total, sampler_text, elapsed,
                elapsed > 0 ? (double)generated_total * S / elapsed : 0.0);
        if (S > 1)
            fprintf(stderr, "generate: %d samples per window; mean confidence of the majority on generated positions %.3f\n",
                    S, conf_sum / (double)generated_total);
        if (o.snap)
            fprintf(stderr, "generate: --snap changed %lld generated event%s in %lld window%s to repair entry/exit pairs\n",
                    snapped, snapped == 1 ? "" : "s", snapped_windows, snapped_windows == 1 ? "" : "s");
        fprintf(stderr, "generate: wrote %s\n", written);
    }

done:
    free(votes);
    free(item_probs);
    free(mean_probs);
    free(all_ids);
    free(x0);
    free(mask);
    free(outv);
    free(noise_ids);
    free(cand);
    free(cnt);
    free(confidence);
    free(observed);
    free(maskf);
    window_set_free(&result);
    window_set_free(&input);
    diffusion_context_free(diff);
    gen_ensemble_free(&ensemble);
    ngram_prior_free(&np);
    sssd_model_free(model);
    checkpoint_meta_free(&meta);
    checkpoint_meta_free(&facts);
    backend_free(be);
    collectives_finalize(par);
    return 0;
}
