/* Benchmark of data-parallel training: iterations per second of the same
 * global batch on 1 and on N processes (launched with mpirun), the time spent
 * in the gradient all-reduce and the bytes it moves per step; then, with
 * --estimate, the all-reduce time expected for a model on a GPU cluster,
 * computed from its parameter count and NVLink and InfiniBand bandwidths.
 * Prints tables; never asserts on time.
 *   bench_parallel [--preset small] [--batch 16] [--iters 10] [--ranks 1,2]
 *   bench_parallel --estimate [--preset paper] [--nvlink 360] [--ib 45] [--gpus-per-node 8] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data_parallel.h"
#include "encoding.h"
#include "philox.h"
#include "timer.h"

typedef struct bench_options {
    char preset[32];
    int batch, iters, warmup, threads, length, vocab;
    char ranks[64];
    int worker, estimate;
    double nvlink_gbs, ib_gbs, latency_us, gpu_tflops;
    int gpus_per_node, gpu_batch;
} bench_options;

static void usage(void) {
    printf("usage: bench_parallel [--preset tiny|small|paper] [--batch B] [--iters N] [--ranks 1,2] [--threads T]\n"
           "       bench_parallel --estimate [--preset paper] [--nvlink GB/s] [--ib GB/s] [--latency-us U]\n"
           "                      [--gpus-per-node G] [--gpu-batch B] [--gpu-tflops F]\n"
           "The first form trains the preset (masked encoding, 32 events, L 200) on random windows with the\n"
           "global batch B split over each process count in --ranks (mpirun starts them) and prints\n"
           "iterations/s, the all-reduce's share and bytes per step. The second prints the ring all-reduce\n"
           "time per step expected on a cluster of GPUs for N = G, 8G and 64G.\n");
}

static long long count_params(const char *preset, int length, int vocab) {
    sssd_config cfg;
    error_info err;
    if (sssd_config_preset(preset, length, &cfg, &err)) die("--preset: %s", err.message);
    sssd_config_set_encoding(&cfg, ENCODING_MASKED, vocab);
    backend *be = backend_cpu_create(1);
    sssd_model *m = sssd_model_create(&cfg, be, 1, 1);
    long long n = sssd_model_num_params(m);
    sssd_model_free(m);
    backend_free(be);
    return n;
}

/* One process of a run: trains, and rank 0 prints a RESULT line for the parent. */
static int run_worker(bench_options *o, int argc, char **argv) {
    collectives *c = collectives_init(&argc, &argv);
    int threads = o->threads > 0 ? o->threads : collectives_default_threads(c);
    backend *be = backend_cpu_create(threads);
    error_info err;
    if (collectives_bind_backend(c, be, &err) || data_parallel_check_batch(c, o->batch, &err)) die("%s", err.message);
    sssd_config cfg;
    if (sssd_config_preset(o->preset, o->length, &cfg, &err)) die("--preset: %s", err.message);
    sssd_config_set_encoding(&cfg, ENCODING_MASKED, o->vocab);
    sssd_model *m = sssd_model_create(&cfg, be, data_parallel_local_batch(c, o->batch), 1);
    diffusion_context *d = diffusion_context_create(m);
    int L = o->length;
    float *x0 = xmalloc(sizeof(float) * (size_t)o->batch * L), *mask = xmalloc(sizeof(float) * (size_t)L);
    mask_spec spec;
    if (mask_spec_parse("mid:10", &spec, &err)) die("%s", err.message);
    mask_fill(&spec, L, 1, 0, mask);
    long long n = sssd_model_num_params(m);
    double t_start = 0, reduce_start = 0;
    unsigned long long bytes_start = 0;
    for (int it = 1; it <= o->warmup + o->iters; it++) {
        if (it == o->warmup + 1) {
            be->ops->synchronize(be);
            c->ops->barrier(c);
            t_start = now_seconds();
            reduce_start = c->reduce_seconds;
            bytes_start = c->bytes_reduced;
        }
        for (size_t i = 0; i < (size_t)o->batch * L; i++)
            x0[i] = (float)(1 + philox_u32(7, (uint64_t)it, i) % (uint32_t)o->vocab);
        double loss = data_parallel_train_step(c, d, m, o->batch, x0, mask, 0, 1, (uint64_t)it, NULL, 0);
        if (!isfinite(loss)) die("the loss is not finite at iteration %d", it);
        adam_params ap = {1e-3, 0.9, 0.999, 1e-8, 0, it};
        be->ops->adam_update(be, sssd_model_params(m), sssd_model_grads(m), sssd_model_adam_m(m), sssd_model_adam_v(m),
                             n, ap);
        sssd_model_parameters_changed(m);
        be->ops->synchronize(be);
    }
    c->ops->barrier(c);
    double seconds = now_seconds() - t_start;
    double reduce = c->reduce_seconds - reduce_start;
    double bytes = (double)(c->bytes_reduced - bytes_start);
    /* The slowest process's all-reduce time is the one the step waits for. */
    double sums[1] = {reduce};
    c->ops->allreduce_host(c, sums, 1);
    if (c->rank == 0)
        printf("RESULT %d %d %.6f %.6f %.0f %lld\n", c->size, threads, seconds / o->iters, sums[0] / c->size / o->iters,
               bytes / o->iters, n);
    free(x0);
    free(mask);
    diffusion_context_free(d);
    sssd_model_free(m);
    backend_free(be);
    collectives_finalize(c);
    return 0;
}

/* Runs `processes` workers (mpirun for more than one) and reads rank 0's RESULT. */
static int run_measure(const bench_options *o, const char *self, int processes, double *per_iter, double *reduce,
                       double *bytes, long long *params, int *threads) {
    char cmd[8192], args[512], threads_arg[32] = "";
    if (o->threads > 0) snprintf(threads_arg, sizeof threads_arg, " --threads %d", o->threads);
    snprintf(args, sizeof args, "--worker --preset %s --batch %d --iters %d --length %d%s", o->preset, o->batch,
             o->iters, o->length, threads_arg);
    if (processes == 1) snprintf(cmd, sizeof cmd, "'%s' %s", self, args);
    else {
#ifdef SSSD_MPIEXEC
        snprintf(cmd, sizeof cmd, "'%s' --oversubscribe%s -np %d '%s' %s", SSSD_MPIEXEC,
                 geteuid() == 0 ? " --allow-run-as-root" : "", processes, self, args);
#else
        fprintf(stderr, "bench_parallel: this build has no MPI: %d processes cannot be measured\n", processes);
        return -1;
#endif
    }
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, p)) {
        int np = 0;
        if (sscanf(line, "RESULT %d %d %lf %lf %lf %lld", &np, threads, per_iter, reduce, bytes, params) == 6) found = 1;
    }
    int rc = pclose(p);
    return found && rc == 0 ? 0 : -1;
}

static void measure(const bench_options *o, const char *self) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_parallel: %s preset (masked encoding, %d events, L %d), global batch %d, %d iterations after %d "
           "warm-up, CPU backend, %ld cores on this machine\n\n",
           o->preset, o->vocab, o->length, o->batch, o->iters, o->warmup, cores);
    printf("%9s  %7s  %12s  %10s  %14s  %16s  %21s\n", "processes", "threads", "iterations/s", "ms/iter",
           "all-reduce ms", "gradient MB/step", "MB sent/process/step");
    char list[64];
    snprintf(list, sizeof list, "%s", o->ranks);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int np = atoi(tok);
        if (np < 1) die("--ranks: '%s' is not a process count", tok);
        double per_iter, reduce, bytes;
        long long params;
        int threads;
        if (run_measure(o, self, np, &per_iter, &reduce, &bytes, &params, &threads)) {
            printf("%9d  (failed; run `mpirun -np %d %s --worker ...` to see why)\n", np, np, self);
            continue;
        }
        /* A ring all-reduce sends 2(N-1)/N of the payload from every process. */
        double sent = np > 1 ? 2.0 * (np - 1) / np * bytes : 0;
        printf("%9d  %7d  %12.3f  %10.1f  %14.2f  %16.2f  %21.2f\n", np, threads, 1.0 / per_iter, 1000 * per_iter,
               1000 * reduce, bytes / 1e6, sent / 1e6);
    }
    printf("\nall-reduce ms: wall time inside the gradient all-reduce per step, averaged over the processes (it "
           "includes waiting for the slowest one). The gradient is all trainable parameters in float.\n");
}

static void estimate(const bench_options *o) {
    long long params = count_params(o->preset, o->length, o->vocab);
    double bytes = 4.0 * (double)params;
    int G = o->gpus_per_node;
    sssd_config cfg;
    error_info err;
    sssd_config_preset(o->preset, o->length, &cfg, &err);
    sssd_config_set_encoding(&cfg, ENCODING_MASKED, o->vocab);
    double flops = 3.0 * sssd_forward_flops(&cfg, o->gpu_batch); /* forward, and backward at about twice it */
    double compute = flops / (o->gpu_tflops * 1e12);
    printf("bench_parallel --estimate: %s preset, %lld parameters, %.1f MB of float gradients per step\n", o->preset,
           params, bytes / 1e6);
    printf("ring all-reduce: t = 2(N-1)/N x bytes / B + 2(N-1) x latency, B = NVLink %.0f GB/s within a node of %d GPUs,\n"
           "InfiniBand %.0f GB/s per GPU between nodes (one NIC per GPU), latency %.1f us per ring step;\n"
           "compute: %.2f TFLOP per step at %d windows per GPU, at an assumed %.0f TFLOP/s per GPU = %.1f ms\n\n",
           o->nvlink_gbs, G, o->ib_gbs, o->latency_us, flops / 1e12, o->gpu_batch, o->gpu_tflops, 1000 * compute);
    printf("%6s  %6s  %12s  %15s  %13s  %15s  %20s\n", "GPUs", "nodes", "global batch", "link", "all-reduce ms",
           "compute ms", "step efficiency");
    int counts[3] = {G, 8 * G, 64 * G};
    for (int i = 0; i < 3; i++) {
        int N = counts[i], nodes = (N + G - 1) / G;
        double bw = (nodes == 1 ? o->nvlink_gbs : o->ib_gbs) * 1e9;
        double t = 2.0 * (N - 1) / N * bytes / bw + 2.0 * (N - 1) * o->latency_us * 1e-6;
        printf("%6d  %6d  %12d  %15s  %13.2f  %15.1f  %19.1f%%\n", N, nodes, N * o->gpu_batch,
               nodes == 1 ? "NVLink" : "InfiniBand", 1000 * t, 1000 * compute, 100 * compute / (compute + t));
    }
    printf("\nstep efficiency: compute / (compute + all-reduce), with the all-reduce after the backward pass as train "
           "does it (no overlap).\n");
}

int main(int argc, char **argv) {
    error_set_program_name("bench_parallel");
    backend_cpu_choose_blas_kernels("bench_parallel", argv); /* first: it may execute the program again */
    bench_options o = {"small", 16, 10, 2, 0, 200, 32, "1,2", 0, 0, 360, 45, 5, 20, 8, 8};
    int preset_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) { usage(); return 0; }
        if (!strcmp(a, "--worker")) { o.worker = 1; continue; }
        if (!strcmp(a, "--estimate")) { o.estimate = 1; continue; }
        if (i + 1 >= argc) die("%s needs a value (see --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--preset")) { snprintf(o.preset, sizeof o.preset, "%s", v); preset_given = 1; }
        else if (!strcmp(a, "--batch")) o.batch = atoi(v);
        else if (!strcmp(a, "--iters")) o.iters = atoi(v);
        else if (!strcmp(a, "--threads")) o.threads = atoi(v);
        else if (!strcmp(a, "--length")) o.length = atoi(v);
        else if (!strcmp(a, "--ranks")) snprintf(o.ranks, sizeof o.ranks, "%s", v);
        else if (!strcmp(a, "--nvlink")) o.nvlink_gbs = atof(v);
        else if (!strcmp(a, "--ib")) o.ib_gbs = atof(v);
        else if (!strcmp(a, "--latency-us")) o.latency_us = atof(v);
        else if (!strcmp(a, "--gpu-tflops")) o.gpu_tflops = atof(v);
        else if (!strcmp(a, "--gpus-per-node")) o.gpus_per_node = atoi(v);
        else if (!strcmp(a, "--gpu-batch")) o.gpu_batch = atoi(v);
        else die("unknown option %s (see --help)", a);
    }
    if (o.batch < 1 || o.iters < 1 || o.length < 2 || o.threads < 0 || o.gpus_per_node < 1 || o.gpu_batch < 1 ||
        !(o.nvlink_gbs > 0) || !(o.ib_gbs > 0) || !(o.gpu_tflops > 0) || o.latency_us < 0)
        die("options out of range (see --help)");
    if (o.worker) return run_worker(&o, argc, argv);
    if (o.estimate) {
        if (!preset_given) snprintf(o.preset, sizeof o.preset, "paper");
        estimate(&o);
        return 0;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) die("cannot find this program's path");
    self[len] = 0;
    measure(&o, self);
    return 0;
}
