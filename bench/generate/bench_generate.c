/* Benchmark of generation: windows and generated events per second for the
 * DDPM sampler (T network passes) and DDIM (S passes) at the tiny and small
 * presets, on a freshly initialised model (speed does not depend on the
 * weights), and the process CPU time of one pass (all threads; the figure to
 * trust on a shared, loaded machine). Prints a table; never asserts on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diffusion.h"
#include "philox.h"
#include "timer.h"

/* CPU time of all threads of the process */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(void) {
    printf("usage: bench_generate [--presets tiny,small] [--batch B] [--length L] [--ddim-steps S]\n"
           "                      [--ddpm-steps-limit N] [--device cpu|cuda|auto] [--threads N]\n"
           "DDPM runs T = 200 passes; --ddpm-steps-limit N times only the first N of them and scales\n"
           "(each pass costs the same), to keep CPU runs short. 0 = run all.\n");
}

int main(int argc, char **argv) {
    error_set_program_name("bench_generate");
    backend_cpu_choose_blas_kernels("bench_generate", argv); /* first: it may execute the program again */
    char presets[256] = "tiny,small", device[16] = "auto";
    int batch = 8, length = 200, ddim_steps = 20, ddpm_limit = 0;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = nc > 0 ? (int)nc : 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) { usage(); return 0; }
        if (i + 1 >= argc) die("%s needs a value", argv[i]);
        const char *v = argv[++i];
        if (!strcmp(argv[i - 1], "--presets")) snprintf(presets, sizeof presets, "%s", v);
        else if (!strcmp(argv[i - 1], "--batch")) batch = atoi(v);
        else if (!strcmp(argv[i - 1], "--length")) length = atoi(v);
        else if (!strcmp(argv[i - 1], "--ddim-steps")) ddim_steps = atoi(v);
        else if (!strcmp(argv[i - 1], "--ddpm-steps-limit")) ddpm_limit = atoi(v);
        else if (!strcmp(argv[i - 1], "--device")) snprintf(device, sizeof device, "%s", v);
        else if (!strcmp(argv[i - 1], "--threads")) threads = atoi(v);
        else die("unknown option %s", argv[i - 1]);
    }
    if (batch < 1 || length < 2 || ddim_steps < 1 || ddpm_limit < 0 || threads < 1)
        die("--batch, --length, --ddim-steps and --threads must be positive");
    char why[256];
    backend *be = backend_create(device, threads, why, sizeof why);
    if (!be) die("--device %s: %s", device, why);
    printf("device %s%s, batch %d, L %d; synthesis (all %d events generated); reconstruction with mid:10\n"
           "generates 10 events per window at the same cost per window\n\n",
           be->ops->name, strcmp(be->ops->name, "cpu") ? "" : (threads == 1 ? " (1 thread)" : ""), batch, length,
           length);
    printf("%-6s %-5s %6s %10s %12s %16s %16s %14s\n", "preset", "sampl", "passes", "s/batch", "windows/s",
           "events/s synth", "events/s mid:10", "CPU ms/pass");
    char list[256];
    snprintf(list, sizeof list, "%s", presets);
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        sssd_config cfg;
        error_info err;
        if (sssd_config_preset(name, length, &cfg, &err)) die("%s", err.message);
        sssd_model *m = sssd_model_create_inference(&cfg, be, batch, 1);
        diffusion_context *d = diffusion_context_create(m);
        float *x0 = calloc((size_t)batch * length, sizeof(float)), *mask = calloc((size_t)batch * length, sizeof(float));
        float *out = calloc((size_t)batch * length, sizeof(float));
        uint64_t *ids = calloc((size_t)batch, sizeof(uint64_t));
        for (int b = 0; b < batch; b++) ids[b] = (uint64_t)b;
        /* Warm-up: one DDIM pass (plans, caches, GPU start). */
        diffusion_sample_options warm = {.sampler = SAMPLER_DDIM, .steps = 1, .seed = 1};
        diffusion_sample(d, batch, x0, mask, ids, &warm, out);
        for (int k = 0; k < 2; k++) {
            int ddpm = k == 0;
            int passes = ddpm ? cfg.T : (ddim_steps < cfg.T ? ddim_steps : cfg.T);
            double t0 = now_seconds(), c0 = cpu_seconds(), seconds;
            int run_passes = passes;
            if (ddpm && ddpm_limit > 0 && ddpm_limit < cfg.T) {
                /* DDIM with eta 1 over n steps costs what n DDPM passes cost. */
                diffusion_sample_options so = {.sampler = SAMPLER_DDIM, .steps = ddpm_limit, .eta = 1.0, .seed = 1};
                diffusion_sample(d, batch, x0, mask, ids, &so, out);
                be->ops->synchronize(be);
                seconds = (now_seconds() - t0) * cfg.T / ddpm_limit;
                run_passes = ddpm_limit;
            } else {
                diffusion_sample_options so = {.sampler = ddpm ? SAMPLER_DDPM : SAMPLER_DDIM, .steps = ddim_steps,
                                               .seed = 1};
                diffusion_sample(d, batch, x0, mask, ids, &so, out);
                be->ops->synchronize(be);
                seconds = now_seconds() - t0;
            }
            double cpu_pass = (cpu_seconds() - c0) / run_passes;
            double wps = batch / seconds;
            printf("%-6s %-5s %6d %10.3f %12.3f %16.1f %16.1f %14.2f%s\n", name, ddpm ? "ddpm" : "ddim", passes, seconds,
                   wps, wps * length, wps * 10, 1e3 * cpu_pass,
                   ddpm && ddpm_limit > 0 && ddpm_limit < cfg.T ? "  (scaled)" : "");
            fflush(stdout);
        }
        free(x0);
        free(mask);
        free(out);
        free(ids);
        diffusion_context_free(d);
        sssd_model_free(m);
    }
    backend_free(be);
    return 0;
}
