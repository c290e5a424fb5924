/* `train`: fit an SSSD-S4 model to a dataset's training windows with Adam,
 * validate on its test windows, checkpoint, and resume exactly; under mpirun,
 * data-parallel over the processes (parallel/data_parallel.h). */
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "collectives.h"
#include "data_loader.h"
#include "validation_split.h"
#include "data_parallel.h"
#include "diffusion.h"
#include "encoding.h"
#include "json_out.h"
#include "memory.h"
#include "ngram_crossfit.h"
#include "timer.h"
#include "train_log.h"
#include "train_options.h"
#include "window_source.h"

/* Set by SIGINT/SIGTERM; the loop checks it between steps and saves before
 * leaving. A second signal exits at once. */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) {
    if (stop_signal) _exit(128 + sig);
    stop_signal = sig;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void make_dirs(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0775) && errno != EEXIST) die("cannot create directory %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0775) && errno != EEXIST) die("cannot create directory %s: %s", tmp, strerror(errno));
}

static int default_batch(const char *preset) {
    if (!strcmp(preset, "tiny")) return 8;
    if (!strcmp(preset, "paper")) return 64;
    return 32;
}

/* Iterations when --iters is not given. small: about an hour on 2 CPU cores
 * (0.45 s per iteration at batch 32 here), but no more than
 * SMALL_DEFAULT_EPOCHS passes over the training windows, and no fewer than
 * SMALL_MIN_ITERS: on tar-untar (35,000 training events) a cosine schedule
 * over 4,000 iterations (20 epochs) ended 1.1 points of accuracy above
 * 7,000 iterations, and the 8,000-iteration run's best checkpoint (held-out
 * validation, iteration 4,000 of 8,000) 1.1 points below it, the network
 * fitting the training windows long before the hour is up; 1,500 (7 epochs)
 * ended 1.5 points below (README, Measured). tiny is for quick tries;
 * paper keeps the ICSE'25 runs' 10,000. */
#define SMALL_DEFAULT_ITERS 8000
#define SMALL_DEFAULT_EPOCHS 20
#define SMALL_MIN_ITERS 1500
static long long default_iters(const char *preset, long long batches_per_epoch) {
    if (!strcmp(preset, "tiny")) return 2000;
    if (!strcmp(preset, "paper")) return 10000;
    long long by_epochs = SMALL_DEFAULT_EPOCHS * batches_per_epoch;
    if (by_epochs > SMALL_DEFAULT_ITERS) return SMALL_DEFAULT_ITERS;
    return by_epochs < SMALL_MIN_ITERS ? SMALL_MIN_ITERS : by_epochs;
}

static double learning_rate(const train_options *o, long long step) {
    double lr = o->lr;
    if (o->warmup > 0 && step <= o->warmup) return lr * (double)step / (double)o->warmup;
    if (!strcmp(o->decay, "cosine")) {
        /* Reaches 0 one step after the last, so the last step still learns. */
        double span = (double)(o->iters - o->warmup + 1);
        double progress = (double)(step - o->warmup) / span;
        if (progress > 1) progress = 1;
        lr *= 0.5 * (1.0 + cos(M_PI * progress));
    }
    return lr;
}

static int vocab_equal(const vocabulary *a, const vocabulary *b, char *why, size_t size) {
    if (a->size != b->size) {
        snprintf(why, size, "the model's vocabulary has %d events, the dataset's %d", a->size, b->size);
        return 0;
    }
    for (int i = 0; i < a->size; i++)
        if (a->names && b->names && a->names[i] && b->names[i] && strcmp(a->names[i], b->names[i])) {
            snprintf(why, size, "event ID %d is '%s' in the model but '%s' in the dataset", i + 1, a->names[i],
                     b->names[i]);
            return 0;
        }
    return 1;
}

typedef struct run_state {
    train_options *o;
    dataset ds;
    backend *be;
    sssd_model *model;
    diffusion_context *diff;
    checkpoint_meta meta;
    int meta_owns_vocab;
    char path_last[4200], path_best[4200], path_log[4200];
    char dataset_source[4096];   /* where the data came from, for generate's default mode */
    train_log log;
    int L, B;
    collectives *par;   /* the processes of the run (one without mpirun) */
    int B_local;        /* this process's share of the batch B */
    validation_split split;        /* --val-split > 0: the windows trained and validated on */
    const window_set *training;    /* the windows trained on */
    const window_set *validation;  /* the windows validated on (held out, or the test split) */
    real_t *average;    /* --ema: the moving average of the weights, on the backend; NULL when off */
    real_t *scratch;    /* the trained weights while validation runs on the average */
    ngram_crossfit *crossfit; /* --ngram-prior: the n-gram experts of training and validation; NULL when off */
} run_state;

/* Rank 0 writes every file; the other processes hold the same model. */
static void save_checkpoint(run_state *rs, const char *path, long long step, int with_optimizer) {
    if (rs->par->rank != 0) return;
    error_info err;
    rs->meta.step = step;
    rs->meta.seed = rs->o->seed;
    rs->meta.rng_offset = (uint64_t)step; /* every draw is a function of (seed, iteration) */
    snprintf(rs->meta.dataset, sizeof rs->meta.dataset, "%s", rs->dataset_source);
    snprintf(rs->meta.events, sizeof rs->meta.events, "%s", rs->ds.events[0] ? rs->ds.events : "unknown");
    rs->meta.vocab_size = rs->ds.vocab.size;
    snprintf(rs->meta.task, sizeof rs->meta.task, "%s", rs->o->mask);
    json_t *state = train_options_json(rs->o, rs->ds.events[0] ? rs->ds.events : "unknown");
    int too_long = json_text_into(state, JSON_OUT_COMPACT(17), rs->meta.extra_json, sizeof rs->meta.extra_json,
                                  "the training options kept in the checkpoint", &err);
    json_decref(state);
    if (too_long) die("cannot save the checkpoint: %s (a shorter --dataset path?)", err.message);
    if (checkpoint_save_averaged(path, rs->model, &rs->meta, with_optimizer, rs->average, &err))
        die("cannot save the checkpoint: %s", err.message);
}

/* v rounded to `digits` significant digits (as printf's %g rounds). */
static double significant(double v, int digits) {
    if (!isfinite(v)) return v;
    char text[64];
    snprintf(text, sizeof text, "%.*g", digits, v);
    return strtod(text, NULL);
}

/* The average's decay at iteration `step` (from 1): the weights of the
 * first iteration, then about the last ninth of the iterations run until
 * that window reaches --ema's horizon 1/(1 - D). An average from the start
 * would carry the early, poor weights for most of a short run; the ramp is
 * the usual one (timm's ModelEmaV2), moved by an iteration so the random
 * initialisation never enters. */
static double ema_decay(double d, long long step) {
    double ramp = (double)(step - 1) / (double)(step + 8);
    return ramp < d ? ramp : d;
}

/* Puts the average in the model's place (validation runs on it) or, with
 * back set, the trained weights again. */
static void swap_in_average(run_state *rs, int back) {
    if (!rs->average) return;
    backend *be = rs->be;
    size_t bytes = (size_t)sssd_model_num_params(rs->model) * sizeof(real_t);
    if (back) be->ops->copy(be, sssd_model_params(rs->model), rs->scratch, bytes);
    else {
        be->ops->copy(be, rs->scratch, sssd_model_params(rs->model), bytes);
        be->ops->copy(be, sssd_model_params(rs->model), rs->average, bytes);
    }
    sssd_model_parameters_changed(rs->model);
}

typedef struct val_result {
    double loss, accuracy, perfect;
    int windows, scored; /* validated; of them, with something observed (accuracy and perfect rate are theirs) */
} val_result;

/* Loss and reconstruction accuracy on evenly spaced validation windows. The
 * reconstructions take at most --val-steps passes for speed (unmasking for
 * the masked encoding, DDIM with eta 0 for the others), so the accuracy is a
 * quick estimate of what `generate` would score.
 * Windows with nothing observed (a mix's synthesis share) count towards the
 * loss only: a window made from nothing is a sample, not a reconstruction,
 * and matching it event by event to the real one scores chance. Pooled in,
 * their 200 generated events each outweighed the gaps' few and made a mix
 * run's best.ckpt a draw (tar-untar: iteration 500 of 4,060).
 * The windows go in groups of --batch, each group's loss a mean over it;
 * with several processes each takes a contiguous share of every group, and
 * the shares' sums are added up, so the figures are those of one process. */
static val_result validate(run_state *rs) {
    train_options *o = rs->o;
    const window_set *test = rs->validation;
    collectives *par = rs->par;
    int L = rs->L, B = rs->B, BS = rs->B_local;
    int nv = (int)(test->count < o->val_windows ? test->count : o->val_windows);
    int groups = (nv + B - 1) / B;
    float *x0 = xmalloc(sizeof(float) * (size_t)BS * L), *mask = xmalloc(sizeof(float) * (size_t)BS * L);
    float *out = xmalloc(sizeof(float) * (size_t)BS * L);
    int32_t *ids = xmalloc(sizeof(int32_t) * (size_t)BS * L);
    uint64_t *wid = xmalloc(sizeof(uint64_t) * (size_t)BS);
    /* Per group: the loss (one process) or the loss times its positions
     * (several), the positions, the generated positions; then right,
     * generated, perfect and scored windows over all windows. */
    double *sums = xcalloc((size_t)groups * 3 + 4, sizeof(double));
    double *acc = sums + (size_t)groups * 3;
    diffusion_sample_options so = {.sampler = SAMPLER_DDIM, .steps = o->val_steps, .seed = o->seed};
    if (rs->crossfit) { /* the n-gram the network is trained with, as generate will use it */
        so.prior = ngram_prior_logp;
        so.prior_user = &rs->crossfit->full;
        so.prior_weight = o->ngram_prior;
        so.prior_trained = o->ngram_prior > 0;
    }
    for (int g = 0; g < groups; g++) {
        int g0 = g * B, g_n = nv - g0 < B ? nv - g0 : B;
        long long first, b_n;
        collectives_share(g_n, par->rank, par->size, &first, &b_n);
        if (b_n == 0) continue;
        for (int b = 0; b < b_n; b++) {
            int64_t w = (int64_t)(g0 + first + b) * test->count / nv;
            wid[b] = (uint64_t)w;
            for (int l = 0; l < L; l++) x0[(size_t)b * L + l] = (float)test->ids[w * L + l];
            /* Random masks: one per validation window, from draws no training iteration uses. */
            mask_fill(&o->mask_parsed, L, o->seed, (1ull << 48) + (uint64_t)w, mask + (size_t)b * L);
        }
        double cnt = 0, positions = 0;
        double loss = diffusion_eval_loss_share(rs->diff, (int)b_n, x0, mask, wid, o->seed, &cnt, &positions);
        sums[3 * g] = par->size == 1 ? loss : loss * positions;
        sums[3 * g + 1] = positions;
        sums[3 * g + 2] = cnt;
        diffusion_sample(rs->diff, (int)b_n, x0, mask, wid, &so, out);
        diffusion_values_to_ids(out, (long long)b_n * L, rs->ds.vocab.size, ids);
        for (int b = 0; b < b_n; b++) {
            int right = 0, generated = 0;
            for (int l = 0; l < L; l++) {
                size_t i = (size_t)b * L + l;
                if (mask[i] != 0.0f) continue;
                generated++;
                right += (float)ids[i] == x0[i];
            }
            if (generated == L) continue; /* nothing observed: a sample, not a reconstruction */
            acc[0] += right;
            acc[1] += generated;
            acc[2] += right == generated;
            acc[3]++;
        }
    }
    par->ops->allreduce_host(par, sums, groups * 3 + 4);
    double loss_sum = 0, count_sum = 0;
    for (int g = 0; g < groups; g++) {
        double group_loss = par->size == 1 || sums[3 * g + 1] == 0 ? sums[3 * g] : sums[3 * g] / sums[3 * g + 1];
        loss_sum += group_loss * sums[3 * g + 2];
        count_sum += sums[3 * g + 2];
    }
    double right = acc[0], generated = acc[1], perfect = acc[2], scored = acc[3];
    val_result r = {count_sum > 0 ? loss_sum / count_sum : NAN, generated > 0 ? 100.0 * right / generated : NAN,
                    scored > 0 ? 100.0 * perfect / scored : NAN, nv, (int)scored};
    free(sums);
    free(x0);
    free(mask);
    free(out);
    free(ids);
    free(wid);
    return r;
}

int main(int argc, char **argv) {
    error_set_program_name("train");
    backend_cpu_choose_blas_kernels("train", argv); /* first: it may execute the program again */
    /* HDF5's own exit handler crashes when a file failed to close (disk
     * full); every file is closed explicitly, so it is not needed. */
    H5dont_atexit();
    collectives *par = collectives_init(&argc, &argv);
    int rank0 = par->rank == 0;
    train_options o;
    train_options_init(&o);
    /* Processes sharing a machine share its cores unless --threads says otherwise. */
    if (par->local_size > 1) o.threads = collectives_default_threads(par);
    train_options_parse(&o, argc, argv);
    error_info err;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.o = &o;
    rs.par = par;
    checkpoint_meta_init(&rs.meta);

    if (o.resume && !o.out[0]) die("--resume needs --out DIR, the directory of the run to continue");
    char why[512];
    collectives_select_gpu(par, o.device);
    rs.be = backend_create(o.device, o.threads, why, sizeof why);
    if (!rs.be) die("--device %s: %s", o.device, why);
    if (collectives_bind_backend(par, rs.be, &err)) die("%s", err.message);

    /* ---- resume: the checkpoint's settings fill everything not given ---- */
    /* Static: a die() before the loaded model is handed over exits with it
     * still reachable, wherever the compiler keeps the pointer (in a register
     * only, LeakSanitizer would call it a leak). */
    static sssd_model *loaded = NULL;
    long long start_step = 0;
    if (o.resume) {
        snprintf(rs.path_last, sizeof rs.path_last, "%s/last.ckpt", o.out);
        if (!file_exists(rs.path_last))
            die("--resume: %s does not exist; nothing to resume (start a run without --resume)", rs.path_last);
        loaded = checkpoint_load(rs.path_last, rs.be, 1, &rs.meta, &err);
        if (!loaded) die("--resume: %s", err.message);
        rs.meta_owns_vocab = 1;
        unsigned changing = o.given & (OPT_BATCH | OPT_LR | OPT_SEED | OPT_MASK | OPT_WARMUP | OPT_DECAY | OPT_CLIP |
                                       OPT_WEIGHT_DECAY | OPT_VAL_SPLIT | OPT_EMA | OPT_NGRAM_PRIOR);
        if (o.given & OPT_NGRAM_INPUT) { /* what the network's input means: the checkpoint's */
            fprintf(stderr, "train: note: --ngram-input is ignored on --resume: it is part of the checkpoint's model\n");
            o.given &= ~(unsigned)OPT_NGRAM_INPUT;
            snprintf(o.ngram_input, sizeof o.ngram_input, "off"); /* a checkpoint from before the option */
        }
        if (train_options_from_checkpoint(&o, rs.meta.extra_json, &err)) die("--resume: %s: %s", rs.path_last, err.message);
        if (changing)
            fprintf(stderr, "train: note: optimisation settings given with --resume override the checkpoint's; "
                            "the run will differ from an uninterrupted one\n");
        if (o.given & (OPT_PRESET | OPT_MODEL))
            fprintf(stderr, "train: note: --preset/--config model settings are ignored on --resume: the model "
                            "comes from the checkpoint\n");
        start_step = rs.meta.step;
    }
    if (!o.dataset[0]) die("--dataset is required");

    if (dataset_load(o.dataset, o.length, &rs.ds, &err)) die("--dataset: %s", err.message);
    /* A path is recorded absolute, so the checkpoint finds its data from any
     * directory; a shipped dataset's name stays a name. */
    struct stat ds_st;
    char ds_real[PATH_MAX];
    const char *source = stat(o.dataset, &ds_st) == 0 && realpath(o.dataset, ds_real) ? ds_real : o.dataset;
    snprintf(rs.dataset_source, sizeof rs.dataset_source, "%s", source);
    rs.L = rs.ds.length;
    if (rs.ds.training.count == 0) die("--dataset %s: no training windows", o.dataset);

    sssd_config cfg;
    if (loaded) {
        cfg = *sssd_model_config(loaded);
        if (cfg.s4_lmax != rs.L)
            die("--dataset %s has windows of %d events, but the checkpoint %s was trained on %d; use the same "
                "dataset (or --length %d)", o.dataset, rs.L, rs.path_last, cfg.s4_lmax, cfg.s4_lmax);
        if (rs.meta.vocab.size > 0 && !vocab_equal(&rs.meta.vocab, &rs.ds.vocab, why, sizeof why))
            die("--dataset %s does not match the checkpoint %s: %s", o.dataset, rs.path_last, why);
        if ((o.given & OPT_ENCODING) && o.encoding != cfg.encoding)
            fprintf(stderr, "train: note: --encoding %s is ignored on --resume: the checkpoint's model uses %s\n",
                    encoding_name(o.encoding), encoding_name(cfg.encoding));
        o.encoding = cfg.encoding;
        if ((o.given & OPT_DROPOUT) && o.dropout != cfg.s4_dropout)
            fprintf(stderr, "train: note: --dropout %g is ignored on --resume: the checkpoint's model uses %g\n",
                    o.dropout, cfg.s4_dropout);
    } else {
        if (train_model_config(&o, rs.L, &cfg, &err)) die("model configuration: %s", err.message);
        sssd_config_set_encoding(&cfg, o.encoding, rs.ds.vocab.size);
        if (sssd_config_validate(&cfg, &err)) die("--encoding %s: %s", encoding_name(o.encoding), err.message);
    }
    o.dropout = cfg.s4_dropout; /* the options record says what the model does, from --dropout or --config */

    if (o.batch == 0) o.batch = default_batch(o.preset);
    int iters_by_default = o.iters == 0; /* resolved once the epoch's size is known */
    rs.B = o.batch;
    if (data_parallel_check_batch(par, rs.B, &err)) die("%s", err.message);
    rs.B_local = data_parallel_local_batch(par, rs.B);
    if (train_resolve_mask(&o, rs.L, &err)) die("--config: %s", err.message);
    if (mask_spec_check(&o.mask_parsed, rs.L, &err)) die("--mask: %s", err.message);
    if (!o.out[0]) {
        const char *name = rs.ds.name[0] ? rs.ds.name : "run";
        snprintf(o.out, sizeof o.out, "runs/%s", name);
    }
    snprintf(rs.path_last, sizeof rs.path_last, "%s/last.ckpt", o.out);
    snprintf(rs.path_best, sizeof rs.path_best, "%s/best.ckpt", o.out);
    snprintf(rs.path_log, sizeof rs.path_log, "%s/log.jsonl", o.out);
    if (!o.resume && file_exists(rs.path_last))
        die("%s already holds a training run (%s); continue it with --resume, or choose another --out", o.out,
            rs.path_last);

    /* Every process on this machine holds a model with its share of the batch. */
    if (memory_check(o.out, par->local_size > 1 ? "the models of this machine's processes at this batch size"
                                                : "the model at this batch size",
                     sssd_config_memory_estimate(&cfg, rs.B_local) * par->local_size, &err))
        die("%s (try a smaller --batch or --preset)", err.message);
    /* Checkpoints from before --val-split validated on the test windows; resumed, they still do. */
    if (o.val_split < 0) o.val_split = loaded ? 0 : TRAIN_DEFAULT_VAL_SPLIT;
    /* Likewise a run from before --ema goes on without an average. */
    if (o.ema < 0) o.ema = loaded ? 0 : TRAIN_DEFAULT_EMA;
    rs.training = &rs.ds.training;
    rs.validation = &rs.ds.testing;
    if (o.val_split > 0 && rs.B <= rs.ds.training.count) { /* else the loader says the batch is too large */
        if (validation_split_make(&rs.ds.training, o.val_split, rs.B, &rs.split, &err))
            die("--dataset %s: %s", o.dataset, err.message);
        rs.training = &rs.split.training;
        rs.validation = &rs.split.validation;
    }
    data_loader dl;
    if (data_loader_init(&dl, rs.training, rs.B, o.seed, &err)) die("%s", err.message);
    if (iters_by_default) o.iters = default_iters(o.preset, dl.batches_per_epoch);
    if (o.warmup < 0) o.warmup = o.iters / 10 < 100 ? o.iters / 10 : 100;
    if (rank0) make_dirs(o.out); /* only once every setting has been checked */

    /* ---- the model ---- */
    rs.model = sssd_model_create(&cfg, rs.be, rs.B_local, o.seed);
    if (o.ema > 0) {
        size_t bytes = (size_t)sssd_model_num_params(rs.model) * sizeof(real_t);
        rs.average = rs.be->ops->alloc(rs.be, bytes);
        rs.scratch = rs.be->ops->alloc(rs.be, bytes);
    }
    if (loaded) {
        /* The checkpoint was read at batch 1 to learn the run's settings; move its state across. */
        backend *be = rs.be;
        size_t np = (size_t)sssd_model_num_params(rs.model) * sizeof(real_t);
        size_t nb = (size_t)sssd_model_num_buffers(rs.model) * sizeof(real_t);
        be->ops->copy(be, sssd_model_params(rs.model), sssd_model_params(loaded), np);
        /* A checkpoint of a run with an average holds the average as its
         * tensors and the trained weights beside it; training goes on from
         * the latter, with or without an average now. A checkpoint without
         * them starts the average from its weights. */
        if (rs.average) be->ops->copy(be, rs.average, sssd_model_params(loaded), np);
        if (checkpoint_load_trained_weights(rs.path_last, rs.model, sssd_model_params(rs.model), &err) < 0)
            die("--resume: %s", err.message);
        be->ops->copy(be, sssd_model_adam_m(rs.model), sssd_model_adam_m(loaded), np);
        be->ops->copy(be, sssd_model_adam_v(rs.model), sssd_model_adam_v(loaded), np);
        if (nb) be->ops->copy(be, sssd_model_buffers(rs.model), sssd_model_buffers(loaded), nb);
        sssd_model_free(loaded);
        sssd_model_parameters_changed(rs.model);
    } else {
        rs.meta.vocab = rs.ds.vocab; /* borrowed: not freed through the meta */
        rs.meta.best_metric = INFINITY;
        rs.meta.best_step = -1;
    }
    rs.diff = diffusion_context_create(rs.model);
    static ngram_crossfit crossfit; /* static: reachable at any die() (see `loaded`) */
    double crossfit_seconds = 0;
    int ngram_input = !strcmp(o.ngram_input, "on");
    if (o.ngram_prior > 0 || ngram_input) {
        if (o.encoding != ENCODING_MASKED)
            die("--%s applies to the masked encoding; this run's model uses the %s encoding",
                o.ngram_prior > 0 ? "ngram-prior" : "ngram-input", encoding_name(o.encoding));
        double t0 = now_seconds();
        ngram_crossfit_fit(&crossfit, rs.training, cfg.vocab_size, NGRAM_CROSSFIT_FOLDS, NGRAM_PRIOR_TRAINED_MIN_PROB);
        rs.crossfit = &crossfit;
        crossfit_seconds = now_seconds() - t0;
        diffusion_set_train_prior(rs.diff, ngram_crossfit_logp, rs.crossfit, o.ngram_prior);
        diffusion_set_prior_input(rs.diff, ngram_input);
    }

    if (rank0) {
        if (train_log_open(&rs.log, rs.path_log, o.resume ? start_step : -1, o.quiet, &err)) die("%s", err.message);
    } else {
        rs.log.silent = 1; /* rank 0 speaks and writes the log for all */
    }

    long long n_train = rs.training->count;
    int validating = o.val_every > 0 && rs.validation->count > 0;
    int best_by_loss = o.mask_parsed.kind == MASK_NONE; /* how best.ckpt is chosen (see validate) */
    char duration[32];
    train_log_say(&rs.log, "train: %s: %lld training windows of %d events, %lld test windows, %d event types%s",
                  o.dataset, n_train, rs.L, (long long)rs.ds.testing.count, rs.ds.vocab.size,
                  rs.ds.events[0] && strcmp(rs.ds.events, "unknown") ? (strcmp(rs.ds.events, "entry-exit") ? " (one per call)" : " (entry and exit)") : "");
    char dropout[48] = "";
    if (cfg.s4_dropout > 0) snprintf(dropout, sizeof dropout, ", channel dropout %g", cfg.s4_dropout);
    train_log_say(&rs.log, "train: model %d channels x %d layers, %s encoding, T %d, %.2fM parameters%s; device %s%s",
                  cfg.res_channels, cfg.num_res_layers, encoding_name(cfg.encoding), cfg.T,
                  (double)sssd_model_num_params(rs.model) / 1e6, dropout, rs.be->ops->name,
                  strcmp(rs.be->ops->name, "cpu") ? "" : (o.threads == 1 ? " (1 thread)" : ""));
    train_log_say(&rs.log, "train: task --mask %s (loss on generated positions), batch %d, %lld batches per epoch%s",
                  o.mask, rs.B, (long long)dl.batches_per_epoch,
                  n_train % rs.B ? " (the windows a shuffle leaves over sit that epoch out)" : "");
    if (iters_by_default && !strcmp(o.preset, "small"))
        train_log_say(&rs.log, "train: %lld iterations (the default: %d epochs, at least %d and at most %d, about an hour "
                      "on 2 cores; --iters N to choose)", o.iters, SMALL_DEFAULT_EPOCHS, SMALL_MIN_ITERS,
                      SMALL_DEFAULT_ITERS);
    if (rs.crossfit) {
        char how[160];
        if (o.ngram_prior > 0)
            snprintf(how, sizeof how, "a product of experts with an order-%d n-gram of the training windows, weight %g "
                     "(--ngram-prior)%s", rs.crossfit->full.model.order, o.ngram_prior,
                     ngram_input ? ", whose probabilities are also an input (--ngram-input)" : "");
        else
            snprintf(how, sizeof how, "the probabilities of an order-%d n-gram of the training windows as an input "
                     "(--ngram-input)", rs.crossfit->full.model.order);
        train_log_say(&rs.log, "train: %s: each of %d folds scored by an n-gram fitted without it (and the %lld "
                      "windows that share events with the folds); fitted in %.1f s",
                      how, rs.crossfit->folds, (long long)rs.crossfit->excluded, crossfit_seconds);
    }
    if (o.ema > 0)
        train_log_say(&rs.log, "train: validation, best.ckpt and last.ckpt's model use a moving average of the weights "
                      "(--ema %g; 0 to turn it off)", o.ema);
    if (par->size > 1)
        train_log_say(&rs.log, "train: %d processes (%s collectives), %d windows of each batch on each; %d thread%s each",
                      par->size, par->ops->name, rs.B_local, o.threads, o.threads == 1 ? "" : "s");
    if (o.val_split > 0)
        train_log_say(&rs.log, "train: validation windows: the last %lld training windows (--val-split %g), held out "
                      "of training with the %lld before them that share events with them",
                      (long long)rs.validation->count, o.val_split, (long long)rs.split.left_out);
    else if (validating)
        train_log_say(&rs.log, "train: note: --val-split 0: validation uses the test windows, so best.ckpt is chosen "
                               "on test data; evaluate last.ckpt for figures that never saw it");
    if (o.val_every > 0 && !validating)
        train_log_say(&rs.log, "train: note: the dataset has no test windows; validation is off");
    /* Validation's sampler: the masked encoding's own (as generate runs it
     * when --steps covers the gap), else DDIM for speed. */
    int masked = cfg.encoding == ENCODING_MASKED;
    char val_sampler[64];
    const char *val_kind = o.val_split > 0 ? "held-out" : "test";
    if (masked) snprintf(val_sampler, sizeof val_sampler, "unmasking, at most %d passes", o.val_steps);
    else snprintf(val_sampler, sizeof val_sampler, "DDIM %d steps", o.val_steps);
    if (validating)
        train_log_say(&rs.log, "train: validation every %lld iterations on %lld %s windows (reconstructions by %s%s)",
                      o.val_every, (long long)(rs.validation->count < o.val_windows ? rs.validation->count : o.val_windows),
                      val_kind, val_sampler, masked ? "" : ", for speed");
    if (o.resume)
        train_log_say(&rs.log, "train: resuming %s at iteration %lld of %lld", rs.path_last, start_step, o.iters);
    if (start_step >= o.iters) {
        train_log_say(&rs.log, "train: the checkpoint is already at iteration %lld; pass a larger --iters to continue",
                      start_step);
        o.iters = start_step; /* nothing to run: fall through to the cleanup */
    }
    {
        json_t *start = json_pack("{s:s, s:I, s:o}", "type", o.resume ? "resume" : "start", "step",
                                  (json_int_t)start_step, "options", train_options_json(&o, rs.ds.events));
        if (par->size > 1) json_object_set_new(start, "processes", json_integer(par->size));
        train_log_record(&rs.log, start, 17);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* mpirun kills its processes a second after it passes them Ctrl-C's
     * SIGTERM, usually too soon to save; it forwards SIGUSR1 untouched, so
     * that stops a multi-process run cleanly (README). */
    if (par->size > 1) sigaction(SIGUSR1, &sa, NULL);

    /* A test hook: pretend the loss became NaN at this iteration (tests/train). */
    const char *fake_nan = getenv("SSSD_TRAIN_FAKE_NAN_AT");
    long long fake_nan_step = fake_nan ? atoll(fake_nan) : -1;
    /* Another: SIGTERM reaches process RANK (default 0) alone as iteration
     * STEP starts ("STEP" or "STEP:RANK"), as a signal may reach one process
     * of several first (tests/parallel). */
    const char *fake_term = getenv("SSSD_TRAIN_SIGTERM_AT");
    long long fake_term_step = fake_term ? atoll(fake_term) : -1;
    int fake_term_rank = fake_term && strchr(fake_term, ':') ? atoi(strchr(fake_term, ':') + 1) : 0;

    /* A mix draws a task for every window; the other specs one mask per batch, as SSSD does. */
    int mask_per_window = o.mask_parsed.kind == MASK_MIX;
    float *x0 = xmalloc(sizeof(float) * (size_t)rs.B * rs.L), *mask = xmalloc(sizeof(float) * (size_t)rs.B * rs.L);
    int64_t *batch_windows = xmalloc(sizeof(int64_t) * (size_t)rs.B);
    if (rs.crossfit) rs.crossfit->batch = batch_windows;
    long long n_params = sssd_model_num_params(rs.model);
    backend *be = rs.be;
    double loop_start = now_seconds(), avg = NAN;
    /* Seconds per iteration for the ETA: the mean over the first steps, then
     * a moving average of about the last 50, so that a pause or a busy
     * spell does not stretch the estimate for the rest of the run. */
    double pace = 0, last_step_end = loop_start;
    long long last_saved = start_step;
    double last_loss = NAN;
    int exit_code = 0;
    /* Several processes stop together: a signal reaches them at different
     * moments, so each step's exchange also sums {stopping, signal}, and all
     * stop before the next step once any has been asked to. */
    double stop_flags[2] = {0, 0};
    for (long long step = start_step + 1; step <= o.iters && !exit_code; step++) {
        int stop_now = par->size > 1 ? (stop_flags[0] > 0 ? (int)lround(stop_flags[1] / stop_flags[0]) : 0) : stop_signal;
        if (stop_now) {
            if (step - 1 > last_saved) save_checkpoint(&rs, rs.path_last, step - 1, 1);
            train_log_say(&rs.log, "train: %s at iteration %lld: saved %s; continue with --resume --out %s",
                          stop_now == SIGINT ? "interrupted" : stop_now == SIGTERM ? "terminated" : "stopped", step - 1,
                          rs.path_last, o.out);
            exit_code = 128 + stop_now;
            break;
        }
        if (step == fake_term_step && par->rank == fake_term_rank) raise(SIGTERM);
        double t0 = now_seconds();
        data_loader_batch(&dl, step - 1, x0, batch_windows);
        /* A mix draws a task per window, indexed by the window's place in the
         * whole run, so that the draws do not depend on batching or processes. */
        if (mask_per_window)
            for (int b = 0; b < rs.B; b++)
                mask_fill(&o.mask_parsed, rs.L, o.seed, (uint64_t)(step - 1) * (uint64_t)rs.B + (uint64_t)b,
                          mask + (size_t)b * rs.L);
        else
            mask_fill(&o.mask_parsed, rs.L, o.seed, (uint64_t)step, mask);
        stop_flags[0] = stop_signal != 0;
        stop_flags[1] = stop_signal;
        double loss = data_parallel_train_step(par, rs.diff, rs.model, rs.B, x0, mask, mask_per_window, o.seed,
                                               (uint64_t)step, stop_flags, 2);
        if (step == fake_nan_step) loss = NAN;
        double gnorm = sqrt(be->ops->sum_squares(be, sssd_model_grads(rs.model), n_params));
        if (!isfinite(loss) || !isfinite(gnorm)) {
            train_log_say(&rs.log,
                          "train: the loss is %s at iteration %lld (gradient norm %g); stopping. The last good "
                          "checkpoint is %s (iteration %lld), left as it was. Try a lower --lr, --clip 1, or --warmup.",
                          isfinite(loss) ? "finite but the gradient is not" : (isnan(loss) ? "NaN" : "infinite"), step,
                          gnorm, file_exists(rs.path_last) ? rs.path_last : "(none yet)", last_saved);
            train_log_record(&rs.log, json_pack("{s:s, s:I}", "type", "diverged", "step", (json_int_t)step), 9);
            exit_code = 1;
            break;
        }
        if (o.clip > 0 && gnorm > o.clip)
            be->ops->axpby(be, n_params, o.clip / gnorm, sssd_model_grads(rs.model), 0.0, sssd_model_grads(rs.model));
        double lr = learning_rate(&o, step);
        adam_params ap = {lr, 0.9, 0.999, 1e-8, o.weight_decay, (int)step};
        be->ops->adam_update(be, sssd_model_params(rs.model), sssd_model_grads(rs.model), sssd_model_adam_m(rs.model),
                             sssd_model_adam_v(rs.model), n_params, ap);
        sssd_model_parameters_changed(rs.model);
        if (rs.average) {
            double d = ema_decay(o.ema, step);
            be->ops->axpby(be, n_params, 1.0 - d, sssd_model_params(rs.model), d, rs.average);
        }
        be->ops->synchronize(be);
        double ms = 1000.0 * (now_seconds() - t0);
        last_loss = loss;
        avg = isnan(avg) ? loss : 0.9 * avg + 0.1 * loss; /* about the last 10 steps */
        /* ms to the microsecond; the other figures to 9 significant digits. */
        train_log_record(&rs.log,
                         json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "type", "train", "step", (json_int_t)step, "loss",
                                   json_number_of(loss), "grad_norm", json_number_of(gnorm), "lr", json_number_of(lr),
                                   "ms", json_number_of(round(ms * 1000.0) / 1000.0)),
                         9);
        double step_end = now_seconds();
        double per_iter = (step_end - loop_start) / (double)(step - start_step);
        pace = step - start_step <= 5 ? per_iter : 0.98 * pace + 0.02 * (step_end - last_step_end);
        last_step_end = step_end;
        train_log_step(&rs.log, step, o.iters, loss, avg, lr, ms, pace * (double)(o.iters - step));
        if (step - start_step == 5 && o.iters - step > 5) {
            /* The first steps' pace, so a user knows at once what the run costs here. */
            format_duration(per_iter * (double)(o.iters - start_step), duration, sizeof duration);
            train_log_say(&rs.log, "train: %lld iterations at %.0f ms each (the first 5): about %s in all%s", o.iters - start_step,
                          1000.0 * per_iter, duration, validating ? ", plus validation" : "");
        }

        if (validating && (step % o.val_every == 0 || step == o.iters)) {
            double tv = now_seconds();
            swap_in_average(&rs, 0);
            val_result vr = validate(&rs);
            swap_in_average(&rs, 1);
            /* Nothing to reconstruct among the windows (--mask none, or a mix
             * whose windows all drew synthesis): the loss chooses best.ckpt. */
            best_by_loss = vr.scored == 0;
            double metric = best_by_loss ? vr.loss : 100.0 - vr.accuracy;
            int better = isfinite(metric) && metric < rs.meta.best_metric;
            if (better) {
                rs.meta.best_metric = metric;
                rs.meta.best_step = step;
                save_checkpoint(&rs, rs.path_best, step, 0);
            }
            /* Percentages to 6 significant digits, the loss to 9; null when
             * nothing was measured (a task with no generated positions). */
            train_log_record(&rs.log,
                             json_pack("{s:s, s:I, s:o, s:o, s:o, s:i, s:i, s:s, s:i, s:b}", "type", "val", "step",
                                       (json_int_t)step, "val_loss", json_number_of(vr.loss), "val_accuracy",
                                       json_number_of(significant(vr.accuracy, 6)), "val_perfect",
                                       json_number_of(significant(vr.perfect, 6)), "windows", vr.windows,
                                       "windows_scored", vr.scored, "sampler",
                                       masked ? "unmask" : "ddim", "steps", o.val_steps, "best", better),
                             9);
            format_duration(now_seconds() - tv, duration, sizeof duration);
            if (best_by_loss)
                train_log_say(&rs.log, "val  step %lld | loss %.6f on %d %s windows | %s%s", step, vr.loss, vr.windows, val_kind,
                              duration, better ? " | best so far: saved best.ckpt" : "");
            else {
                char scored[96] = "";
                if (vr.scored < vr.windows)
                    snprintf(scored, sizeof scored, " (accuracy and perfect: the %d with events observed)", vr.scored);
                train_log_say(&rs.log, "val  step %lld | loss %.6f | accuracy %.2f%% | perfect %.1f%% | %d %s windows%s, %s | %s%s",
                              step, vr.loss, vr.accuracy, vr.perfect, vr.windows, val_kind, scored, val_sampler, duration,
                              better ? " | best so far: saved best.ckpt" : "");
            }
        }
        if (step % o.ckpt_every == 0 || step == o.iters) {
            int differ = data_parallel_replicas_differ(par, rs.model);
            if (differ)
                die("the parameters of %d of the %d processes no longer match rank 0's at iteration %lld: their MPI "
                    "library's sums are not the same on every process; the last good checkpoint is %s",
                    differ, par->size, step, file_exists(rs.path_last) ? rs.path_last : "(none yet)");
            save_checkpoint(&rs, rs.path_last, step, 1);
            last_saved = step;
        }
    }
    if (exit_code == 0 && !validating && o.iters > start_step) {
        save_checkpoint(&rs, rs.path_best, o.iters, 0);
        train_log_say(&rs.log, "train: no validation ran, so best.ckpt is the final model");
    }
    train_log_close(&rs.log);
    if (exit_code == 0 && o.iters > start_step && rank0) {
        format_duration(now_seconds() - loop_start, duration, sizeof duration);
        printf("train: %lld iterations in %s; last loss %.6f", o.iters - start_step, duration, last_loss);
        if (validating && rs.meta.best_step >= 0)
            printf("; best validation at iteration %lld (%s %.4g)", rs.meta.best_step,
                   best_by_loss ? "loss" : "error %", rs.meta.best_metric);
        printf("\ntrain: wrote %s, %s and %s\n", rs.path_last, rs.path_best, rs.path_log);
    }

    free(x0);
    free(mask);
    free(batch_windows);
    if (rs.crossfit) ngram_crossfit_free(rs.crossfit);
    data_loader_free(&dl);
    validation_split_free(&rs.split);
    diffusion_context_free(rs.diff);
    if (rs.average) {
        rs.be->ops->free(rs.be, rs.average);
        rs.be->ops->free(rs.be, rs.scratch);
    }
    sssd_model_free(rs.model);
    if (!rs.meta_owns_vocab) memset(&rs.meta.vocab, 0, sizeof rs.meta.vocab);
    checkpoint_meta_free(&rs.meta);
    dataset_free(&rs.ds);
    backend_free(rs.be);
    train_options_free(&o);
    collectives_finalize(par);
    return exit_code;
}
