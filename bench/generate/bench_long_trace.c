/* Time to synthesise one long trace (default 100,000 events) window by
 * window, as `generate --num 1 --length L` does: a checkpoint's model, or a
 * freshly initialised one of a preset (speed does not depend on the
 * weights). Prints the windows, network passes, seconds and events per
 * second; never asserts on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "diffusion.h"
#include "encoding.h"
#include "long_trace.h"
#include "timer.h"

static void usage(FILE *f) {
    fprintf(f, "usage: bench_long_trace [--checkpoint FILE | --preset tiny|small] [--length 100000] [--overlap O]\n"
               "                        [--steps S] [--sampler ddpm|ddim] [--device cpu|cuda|auto] [--threads N]\n"
               "  --checkpoint FILE  time this model (its encoding; default: a fresh masked `tiny` model, L = 200)\n"
               "  --overlap O        events each window shares with the previous one (default: 3/4 of the window,\n"
               "                     what generate chooses for a checkpoint trained with --mask mix)\n"
               "  --steps S          masked: at most S passes per window (default: one per generated event);\n"
               "                     ddim: S steps (default 20)\n");
}

typedef struct timed_sampler {
    diffusion_context *diff;
    diffusion_sample_options so;
    int L, V;
    float *values;
    double start;
    int64_t reported;
} timed_sampler;

static void sample(void *user, int B, const float *x0, const float *mask, const uint64_t *noise_ids, int64_t done,
                   int64_t total, int32_t *ids) {
    timed_sampler *s = user;
    diffusion_sample(s->diff, B, x0, mask, noise_ids, &s->so, s->values);
    diffusion_values_to_ids(s->values, (long long)B * s->L, s->V, ids);
    for (size_t i = 0; i < (size_t)B * s->L; i++)
        if (mask[i] != 0.0f) ids[i] = (int32_t)x0[i];
    if ((done + B) * 10 / total > s->reported) {
        s->reported = (done + B) * 10 / total;
        fprintf(stderr, "  %lld of %lld windows, %.0f s\n", (long long)(done + B), (long long)total,
                now_seconds() - s->start);
    }
}

int main(int argc, char **argv) {
    error_set_program_name("bench_long_trace");
    backend_cpu_choose_blas_kernels("bench_long_trace", argv); /* first: it may execute the program again */
    const char *checkpoint = NULL;
    char preset[32] = "tiny", device[16] = "auto";
    long long length = 100000;
    int overlap = 0, steps = -1;
    diffusion_sampler sampler = SAMPLER_DDIM;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = nc > 0 ? (int)nc : 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) { usage(stdout); return 0; }
        if (i + 1 >= argc) die("%s needs a value", argv[i]);
        const char *a = argv[i], *v = argv[++i];
        if (!strcmp(a, "--checkpoint")) checkpoint = v;
        else if (!strcmp(a, "--preset")) snprintf(preset, sizeof preset, "%s", v);
        else if (!strcmp(a, "--length")) length = atoll(v);
        else if (!strcmp(a, "--overlap")) overlap = atoi(v);
        else if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--sampler")) sampler = !strcmp(v, "ddpm") ? SAMPLER_DDPM : SAMPLER_DDIM;
        else if (!strcmp(a, "--device")) snprintf(device, sizeof device, "%s", v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else die("unknown option %s (see --help)", a);
    }
    if (threads < 1) die("--threads must be positive");
    char why[256];
    backend *be = backend_create(device, threads, why, sizeof why);
    if (!be) die("--device %s: %s", device, why);
    error_info err;
    sssd_model *m;
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    sssd_config cfg;
    if (checkpoint) {
        m = checkpoint_load_inference(checkpoint, be, 1, &meta, &err);
        if (!m) die("%s", err.message);
        cfg = *sssd_model_config(m);
    } else {
        if (sssd_config_preset(preset, 200, &cfg, &err)) die("%s", err.message);
        m = sssd_model_create_inference(&cfg, be, 1, 1);
    }
    sssd_model_set_weights_fixed(m, 1); /* as generate does: S4 kernels once for the whole trace */
    int L = cfg.s4_lmax, masked = cfg.encoding == ENCODING_MASKED;
    if (!overlap) overlap = L - L / 4;
    long_trace_plan plan;
    if (long_trace_plan_make(length, L, overlap, &plan, &err)) die("%s", err.message);
    if (steps < 0) steps = masked ? 0 : 20;
    timed_sampler s = {diffusion_context_create(m),
                       {.sampler = sampler, .steps = steps, .seed = 1, .temperature = masked ? 1.0 : 0.0,
                        .random_order = masked},
                       L, meta.vocab.size > 0 ? meta.vocab.size : cfg.vocab_size, NULL, 0, 0};
    s.values = xmalloc(sizeof(float) * (size_t)L);
    int32_t *trace = xmalloc(sizeof(int32_t) * (size_t)length);
    int passes = masked ? (steps > 0 && steps < L - overlap ? steps : L - overlap) : (sampler == SAMPLER_DDPM ? cfg.T : steps);
    printf("device %s%s; model %s (%d channels x %d layers, %s encoding, window %d)\n", be->ops->name,
           strcmp(be->ops->name, "cpu") ? "" : (threads == 1 ? " (1 thread)" : ""), checkpoint ? checkpoint : preset,
           cfg.res_channels, cfg.num_res_layers, encoding_name(cfg.encoding), L);
    printf("one trace of %lld events: %lld windows overlapping by %d, about %d network passes each (%s)\n",
           length, (long long)plan.rounds, overlap, passes,
           masked ? (steps ? "unmasking in at most --steps passes" : "unmasking, one pass per generated event")
                  : (sampler == SAMPLER_DDPM ? "DDPM" : "DDIM"));
    fflush(stdout);
    s.start = now_seconds();
    long_trace_generate(&plan, 0, 1, 1, sample, &s, trace);
    be->ops->synchronize(be);
    double seconds = now_seconds() - s.start;
    printf("%.1f s: %.1f events/s, %.1f ms per window\n", seconds, (double)length / seconds,
           1000.0 * seconds / (double)plan.rounds);
    free(trace);
    free(s.values);
    diffusion_context_free(s.diff);
    sssd_model_free(m);
    checkpoint_meta_free(&meta);
    backend_free(be);
    return 0;
}
