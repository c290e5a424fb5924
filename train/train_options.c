/* Options of `train` (see train_options.h): defaults, the command line, our
 * JSON configuration and SSSD's config_SSSDS4.json layout. */
#include "train_options.h"
#include "cli_options.h"
#include "encoding.h"
#include "json_out.h"
#include "json_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void train_options_init(train_options *o) {
    memset(o, 0, sizeof *o);
    snprintf(o->preset, sizeof o->preset, "small");
    o->encoding = ENCODING_MASKED;  /* categorical: right on rare events, unlike float IDs (README) */
    o->iters = 0;                   /* the preset's (train_main.c: about an hour on 2 cores for small) */
    /* The recipe measured best for the masked encoding (README, "Measured"):
     * SSSD's constant 2e-4 learns several times slower. */
    o->lr = 1e-3;
    o->warmup = -1;                 /* 100, or a tenth of --iters when that is less */
    o->seed = 1;
    snprintf(o->device, sizeof o->device, "auto");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = n > 0 ? (int)n : 1;
    snprintf(o->mask, sizeof o->mask, "mid:10");
    snprintf(o->decay, sizeof o->decay, "cosine");
    o->val_every = 500;
    o->val_windows = 64;
    o->val_steps = 20;
    o->ckpt_every = 100;
    o->model_overrides = NULL;
}

void train_options_free(train_options *o) {
    json_decref(o->model_overrides);
    o->model_overrides = NULL;
}

void train_usage(FILE *f) {
    fprintf(f,
            "usage: train --dataset NAME|PATH [options]\n"
            "\n"
            "Train an SSSD-S4 model on event windows (events fed as raw float IDs, as in the paper).\n"
            "\n"
            "data and model:\n"
            "  --dataset SPEC      shipped name (compress-gzip), dataset dir, NAME.h5 or the paper layout\n"
            "  --length L          window length (needed when a paper-layout dir has several)\n"
            "  --preset P          tiny | small (128 ch x 4 layers, default) | paper (256 x 36)\n"
            "  --encoding E        how events enter the network: masked (categorical, softmax head and\n"
            "                      masked diffusion; default), bits (analog bits), id (one float channel, as\n"
            "                      the paper; for reproducing it)\n"
            "  --config FILE       JSON: our layout {\"preset\", \"model\": {...}, \"train\": {...}}\n"
            "                      or SSSD's config_SSSDS4.json (wavenet_config, diffusion_config, train_config)\n"
            "  --mask SPEC         the task: mid:K (default mid:10), end:K, random-gap:K, missing:FRACTION,\n"
            "                      none (unconditional); loss on generated positions only\n"
            "optimisation:\n"
            "  --iters N           iterations in all (default: tiny 2000, small 8000 (about an hour on\n"
            "                      2 cores; the estimate for this machine is printed after 5 iterations),\n"
            "                      paper 10000)\n"
            "  --batch B           windows per iteration (default: tiny 8, small 32, paper 64)\n"
            "  --lr LR             Adam learning rate (default 1e-3; SSSD used 2e-4)\n"
            "  --weight-decay W    L2 weight decay (default 0)\n"
            "  --warmup N          linear warm-up over N iterations (default 100, or iters/10 if fewer)\n"
            "  --decay none|cosine learning-rate decay to 0 at --iters (default cosine)\n"
            "  --clip NORM         clip the gradient norm (default: off)\n"
            "  --seed S            seed of every random draw (default 1)\n"
            "run:\n"
            "  --device cpu|cuda|auto  (default auto: CUDA when a device exists)\n"
            "  --threads N         CPU threads (default: all cores)\n"
            "  --out DIR           writes DIR/last.ckpt, DIR/best.ckpt, DIR/log.jsonl (default runs/NAME)\n"
            "  --resume            continue from DIR/last.ckpt (same losses as an uninterrupted run)\n"
            "  --ckpt-every N      save DIR/last.ckpt every N iterations (default 100)\n"
            "  --val-every N       validate every N iterations on the test windows (default 500, 0 = off)\n"
            "  --val-windows N     test windows used by validation (default 64)\n"
            "  --val-steps S       DDIM steps of validation's reconstructions (default 20)\n"
            "  --quiet             no per-step lines (validation lines and the summary remain)\n"
            "\n"
            "memory: 16 bytes per parameter (weights, gradients, Adam moments) plus the activations kept for\n"
            "the backward pass, about 160 bytes x batch x channels x L x layers (small, batch 32, L 200: ~0.6 GiB;\n"
            "paper, batch 64: ~18 GiB), plus 4 bytes per dataset event. A model that cannot fit in available\n"
            "memory is refused before training starts.\n");
}

static void set_string(char *dst, size_t size, const char *opt, const char *v) {
    if (strlen(v) >= size) cli_bad_value(opt, v, "too long");
    snprintf(dst, size, "%s", v);
}

/* Each option by name with its value as text: shared by the command line and the configuration files. */
static int apply_option(train_options *o, const char *name, const char *v) {
    char opt[64];
    snprintf(opt, sizeof opt, "--%s", name);
    if (!strcmp(name, "dataset")) { set_string(o->dataset, sizeof o->dataset, opt, v); o->given |= OPT_DATASET; }
    else if (!strcmp(name, "length")) { o->length = (int)cli_integer(opt, v, 1, 1 << 20); o->given |= OPT_LENGTH; }
    else if (!strcmp(name, "preset")) {
        if (strcmp(v, "tiny") && strcmp(v, "small") && strcmp(v, "paper")) cli_bad_value(opt, v, "expected tiny, small or paper");
        set_string(o->preset, sizeof o->preset, opt, v);
        o->given |= OPT_PRESET;
    } else if (!strcmp(name, "encoding")) {
        event_encoding e;
        error_info err;
        if (encoding_parse(v, &e, &err)) cli_bad_value(opt, v, "expected masked, bits or id");
        o->encoding = (int)e;
        o->given |= OPT_ENCODING;
    } else if (!strcmp(name, "iters")) { o->iters = cli_integer(opt, v, 1, 1000000000LL); o->given |= OPT_ITERS; }
    else if (!strcmp(name, "batch")) { o->batch = (int)cli_integer(opt, v, 1, 1 << 16); o->given |= OPT_BATCH; }
    else if (!strcmp(name, "lr")) { o->lr = cli_number(opt, v, 0, 10, 1); o->given |= OPT_LR; }
    else if (!strcmp(name, "weight-decay")) { o->weight_decay = cli_number(opt, v, 0, 10, 0); o->given |= OPT_WEIGHT_DECAY; }
    else if (!strcmp(name, "seed")) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-') cli_bad_value(opt, v, "expected a non-negative integer");
        o->seed = s;
        o->given |= OPT_SEED;
    } else if (!strcmp(name, "device")) {
        if (strcmp(v, "cpu") && strcmp(v, "cuda") && strcmp(v, "auto")) cli_bad_value(opt, v, "expected cpu, cuda or auto");
        set_string(o->device, sizeof o->device, opt, v);
    } else if (!strcmp(name, "threads")) o->threads = (int)cli_integer(opt, v, 1, 4096);
    else if (!strcmp(name, "out")) set_string(o->out, sizeof o->out, opt, v);
    else if (!strcmp(name, "mask")) {
        error_info err;
        if (mask_spec_parse(v, &o->mask_parsed, &err)) die("--mask: %s", err.message);
        mask_spec_format(&o->mask_parsed, o->mask, sizeof o->mask);
        o->given |= OPT_MASK;
    } else if (!strcmp(name, "warmup")) { o->warmup = cli_integer(opt, v, 0, 1000000000LL); o->given |= OPT_WARMUP; }
    else if (!strcmp(name, "decay")) {
        if (strcmp(v, "none") && strcmp(v, "cosine")) cli_bad_value(opt, v, "expected none or cosine");
        set_string(o->decay, sizeof o->decay, opt, v);
        o->given |= OPT_DECAY;
    } else if (!strcmp(name, "clip")) { o->clip = cli_number(opt, v, 0, 1e30, 0); o->given |= OPT_CLIP; }
    else if (!strcmp(name, "val-every")) { o->val_every = cli_integer(opt, v, 0, 1000000000LL); o->given |= OPT_VAL_EVERY; }
    else if (!strcmp(name, "val-windows")) { o->val_windows = (int)cli_integer(opt, v, 1, 1 << 20); o->given |= OPT_VAL_WINDOWS; }
    else if (!strcmp(name, "val-steps")) { o->val_steps = (int)cli_integer(opt, v, 1, 100000); o->given |= OPT_VAL_STEPS; }
    else if (!strcmp(name, "ckpt-every")) { o->ckpt_every = cli_integer(opt, v, 1, 1000000000LL); o->given |= OPT_CKPT_EVERY; }
    else return -1;
    return 0;
}

/* ---------------- configuration files ---------------- */

/* A setting's value as the command line would give it. */
static void json_value_text(const json_t *v, const char *where, char *out, size_t size) {
    if (json_is_string(v)) {
        if (json_string_length(v) >= size) die("%s: the value is too long", where);
        snprintf(out, size, "%s", json_string_value(v));
    } else if (json_is_integer(v)) snprintf(out, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        double x = json_real_value(v);
        if (x == floor(x) && fabs(x) < 1e15) snprintf(out, size, "%.0f", x);
        else snprintf(out, size, "%.17g", x);
    } else die("%s: expected a number or a string, found %s", where, json_kind_name(v));
}

/* Model keys we accept (our names and SSSD's): copied into model_overrides
 * under our names, applied after the preset in train_model_config. */
static const struct { const char *key, *ours; } model_keys[] = {
    {"res_channels", "res_channels"}, {"skip_channels", "skip_channels"}, {"num_res_layers", "num_res_layers"},
    {"s4_d_state", "s4_d_state"}, {"s4_lmax", "s4_lmax"}, {"s4_bidirectional", "s4_bidirectional"},
    {"s4_layernorm", "s4_layernorm"}, {"in_channels", "in_channels"}, {"out_channels", "out_channels"},
    {"diffusion_step_embed_dim_in", "emb_in"}, {"diffusion_step_embed_dim_mid", "emb_mid"},
    {"diffusion_step_embed_dim_out", "emb_out"}, {"emb_in", "emb_in"}, {"emb_mid", "emb_mid"},
    {"emb_out", "emb_out"}, {"T", "T"}, {"beta_0", "beta_0"}, {"beta_T", "beta_T"}, {"dt_min", "dt_min"},
    {"dt_max", "dt_max"}, {"s4_dropout", "s4_dropout"}};

static void add_model_override(train_options *o, const char *file, const char *key, const json_t *v) {
    const char *ours = NULL;
    for (size_t i = 0; i < sizeof model_keys / sizeof model_keys[0]; i++)
        if (!strcmp(model_keys[i].key, key)) ours = model_keys[i].ours;
    if (!ours) die("%s: unknown model setting \"%s\"", file, key);
    if (!json_is_number(v)) die("%s: model setting \"%s\" must be a number", file, key);
    if (!o->model_overrides) o->model_overrides = json_object();
    if (!o->model_overrides || json_object_set_new(o->model_overrides, ours, json_real(json_number_value(v))))
        die("out of memory reading %s", file);
    o->given |= OPT_MODEL;
}

static void apply_model_object(train_options *o, const char *file, const json_t *obj) {
    if (!json_is_object(obj)) die("%s: model settings must be an object", file);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) add_model_override(o, file, key, v);
}

/* SSSD's config_SSSDS4.json: map what has a meaning here, say what is ignored. */
static void apply_sssd_config(train_options *o, const char *file, const json_t *root) {
    const json_t *wn = json_object_get(root, "wavenet_config");
    const json_t *dc = json_object_get(root, "diffusion_config");
    const json_t *tc = json_object_get(root, "train_config");
    if (wn) apply_model_object(o, file, wn);
    if (dc) apply_model_object(o, file, dc);
    if (tc) {
        if (!json_is_object(tc)) die("%s: train_config must be an object", file);
        const json_t *use = json_object_get(tc, "use_model");
        if (use && json_is_number(use) && json_number_value(use) != 2)
            die("%s: use_model %g selects %s; this tool trains SSSD-S4 (use_model 2)", file, json_number_value(use),
                json_number_value(use) == 0 ? "DiffWave" : "SSSD-SA");
        const json_t *ogm = json_object_get(tc, "only_generate_missing");
        if (ogm && json_is_number(ogm) && json_number_value(ogm) != 1)
            fprintf(stderr, "%s: note: only_generate_missing %g ignored: the loss is always on generated positions\n",
                    error_program_name(), json_number_value(ogm));
        char text[128];
        const json_t *v;
        if ((v = json_object_get(tc, "n_iters"))) { json_value_text(v, "train_config.n_iters", text, sizeof text); apply_option(o, "iters", text); }
        if ((v = json_object_get(tc, "learning_rate"))) { json_value_text(v, "train_config.learning_rate", text, sizeof text); apply_option(o, "lr", text); }
        if ((v = json_object_get(tc, "iters_per_ckpt"))) { json_value_text(v, "train_config.iters_per_ckpt", text, sizeof text); apply_option(o, "ckpt-every", text); }
        const json_t *masking = json_object_get(tc, "masking"), *k = json_object_get(tc, "missing_k");
        if (masking && json_is_string(masking) && k && json_is_number(k)) {
            char spec[64];
            double kv = json_number_value(k);
            if (!(kv >= 1 && kv <= 1e9)) die("%s: missing_k %g must be at least 1", file, kv);
            int kk = (int)kv;
            if (!strcmp(json_string_value(masking), "rm")) {
                /* SSSD: k random points; our missing:F takes a fraction of the
                 * window, whose length is known once the data is loaded. */
                if (kk < 1) die("%s: missing_k %d must be at least 1", file, kk);
                o->sssd_rm_k = kk;
                o->given |= OPT_MASK;
                snprintf(spec, sizeof spec, "missing:1");
            } else if (!strcmp(json_string_value(masking), "mnr") || !strcmp(json_string_value(masking), "bm")) {
                /* SSSD picks one of the K-event chunks at random; ours starts anywhere. */
                snprintf(spec, sizeof spec, "random-gap:%d", kk);
                fprintf(stderr, "%s: note: masking %s with missing_k %d mapped to --mask %s\n", error_program_name(),
                        json_string_value(masking), kk, spec);
            } else die("%s: unknown masking \"%s\" (SSSD knows rm, mnr, bm)", file, json_string_value(masking));
            apply_option(o, "mask", spec);
        }
        const char *ignored[] = {"output_directory", "ckpt_iter", "iters_per_logging"};
        for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
            if (json_object_get(tc, ignored[i]))
                fprintf(stderr, "%s: note: train_config.%s is ignored (see --out, --resume, --val-every)\n",
                        error_program_name(), ignored[i]);
    }
    if (json_object_get(root, "trainset_config"))
        fprintf(stderr, "%s: note: trainset_config is ignored; the data comes from --dataset\n", error_program_name());
}

static void apply_config_file(train_options *o, const char *path) {
    error_info err;
    json_t *root = json_read_file(path, &err);
    if (!root) die("--config %s", err.message);
    if (!json_is_object(root)) die("%s: expected a JSON object, found %s", path, json_kind_name(root));
    if (json_object_get(root, "wavenet_config") || json_object_get(root, "diffusion_config") ||
        json_object_get(root, "train_config")) {
        apply_sssd_config(o, path, root);
        /* SSSD's own configuration asks for SSSD's model and recipe: raw
         * float IDs, a constant learning rate (the command line still wins). */
        o->encoding = ENCODING_ID;
        if (!(o->given & OPT_WARMUP)) o->warmup = 0;
        if (!(o->given & OPT_DECAY)) snprintf(o->decay, sizeof o->decay, "none");
        json_decref(root);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "model")) apply_model_object(o, path, v);
        else if (!strcmp(key, "train")) {
            if (!json_is_object(v)) die("%s: \"train\" must be an object", path);
            const char *tkey;
            json_t *tv;
            json_object_foreach(v, tkey, tv) {
                char text[4096], where[256];
                snprintf(where, sizeof where, "%s: train.%s", path, tkey);
                json_value_text(tv, where, text, sizeof text);
                /* Keys as the options are named, with '-' or '_' ("val_every" = --val-every). */
                char name[64];
                snprintf(name, sizeof name, "%s", tkey);
                for (char *ch = name; *ch; ch++)
                    if (*ch == '_') *ch = '-';
                if (apply_option(o, name, text)) die("%s: unknown training setting \"%s\"", path, tkey);
            }
        } else if (!strcmp(key, "preset") || !strcmp(key, "dataset") || !strcmp(key, "length")) {
            char text[4096];
            json_value_text(v, key, text, sizeof text);
            apply_option(o, key, text);
        } else die("%s: unknown key \"%s\" (expected preset, dataset, length, model, train)", path, key);
    }
    json_decref(root);
}

void train_options_parse(train_options *o, int argc, char **argv) {
    /* --config first, so that the command line overrides it wherever it appears. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) die("--config needs a file");
            set_string(o->config_path, sizeof o->config_path, "--config", argv[i + 1]);
            apply_config_file(o, argv[i + 1]);
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { train_usage(stdout); exit(0); }
        if (!strcmp(a, "--resume")) { o->resume = 1; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--config")) { i++; continue; }
        if (strncmp(a, "--", 2) != 0) die("unexpected argument '%s' (see train --help)", a);
        const char *name = a + 2;
        char buf[64];
        const char *value = NULL;
        const char *eq = strchr(name, '=');
        if (eq) {
            snprintf(buf, sizeof buf, "%.*s", (int)(eq - name), name);
            name = buf;
            value = eq + 1;
        } else {
            if (i + 1 >= argc) die("%s needs a value (see train --help)", a);
            value = argv[++i];
        }
        if (apply_option(o, name, value)) die("unknown option '--%s' (see train --help)", name);
        if (!strcmp(name, "mask")) o->sssd_rm_k = 0; /* the command line wins over the config's masking */
    }
    if (!o->dataset[0] && !o->resume) die("--dataset is required (a shipped name such as compress-gzip, or a path)");
    if (o->given & OPT_MASK) return;
    error_info err;
    if (mask_spec_parse(o->mask, &o->mask_parsed, &err)) die("--mask: %s", err.message);
}

int train_model_config(const train_options *o, int length, sssd_config *cfg, error_info *err) {
    if (sssd_config_preset(o->preset, length, cfg, err)) return -1;
    const char *k;
    json_t *value;
    json_object_foreach(o->model_overrides, k, value) {
        double v = json_number_value(value);
        int is_real = !strcmp(k, "beta_0") || !strcmp(k, "beta_T") || !strcmp(k, "dt_min") || !strcmp(k, "dt_max");
        if (!is_real && (v != floor(v) || fabs(v) > 1e9))
            return error_set(err, "model setting %s = %g must be an integer", k, v);
        int iv = is_real ? 0 : (int)v;
        if (!strcmp(k, "res_channels")) cfg->res_channels = iv;
        else if (!strcmp(k, "skip_channels")) cfg->skip_channels = iv;
        else if (!strcmp(k, "num_res_layers")) cfg->num_res_layers = iv;
        else if (!strcmp(k, "s4_d_state")) cfg->s4_d_state = iv;
        else if (!strcmp(k, "s4_bidirectional")) cfg->s4_bidirectional = iv;
        else if (!strcmp(k, "s4_layernorm")) cfg->s4_layernorm = iv;
        else if (!strcmp(k, "emb_in")) cfg->emb_in = iv;
        else if (!strcmp(k, "emb_mid")) cfg->emb_mid = iv;
        else if (!strcmp(k, "emb_out")) cfg->emb_out = iv;
        else if (!strcmp(k, "T")) cfg->T = iv;
        else if (!strcmp(k, "beta_0")) cfg->beta_0 = v;
        else if (!strcmp(k, "beta_T")) cfg->beta_T = v;
        else if (!strcmp(k, "dt_min")) cfg->dt_min = v;
        else if (!strcmp(k, "dt_max")) cfg->dt_max = v;
        else if (!strcmp(k, "s4_lmax")) {
            if (iv != length)
                fprintf(stderr, "%s: note: s4_lmax %d in the configuration replaced by the data's window length %d\n",
                        error_program_name(), iv, length);
        } else if (!strcmp(k, "in_channels") || !strcmp(k, "out_channels")) {
            if (iv != 1)
                fprintf(stderr, "%s: note: %s %d ignored: events are one channel\n", error_program_name(), k, iv);
        } else if (!strcmp(k, "s4_dropout")) {
            if (v != 0) return error_set(err, "s4_dropout %g: only dropout 0 (SSSD's setting) is implemented", v);
        }
    }
    cfg->s4_lmax = length;
    return sssd_config_validate(cfg, err);
}

int train_resolve_mask(train_options *o, int length, error_info *err) {
    if (o->sssd_rm_k <= 0) return 0;
    if (o->sssd_rm_k >= length)
        return error_set(err, "SSSD masking rm with missing_k %d: windows have only %d events", o->sssd_rm_k, length);
    char spec[64];
    snprintf(spec, sizeof spec, "missing:%.17g", (double)o->sssd_rm_k / length);
    if (mask_spec_parse(spec, &o->mask_parsed, err)) return -1;
    mask_spec_format(&o->mask_parsed, o->mask, sizeof o->mask);
    fprintf(stderr, "%s: note: masking rm with missing_k %d mapped to --mask %s (%d of %d events)\n",
            error_program_name(), o->sssd_rm_k, o->mask, o->sssd_rm_k, length);
    o->sssd_rm_k = 0;
    return 0;
}

json_t *train_options_json(const train_options *o, const char *events) {
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed); /* a string: JSON readers lose 64-bit integers */
    json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:o, s:I, s:i, s:o, s:o, s:s, s:o, s:I, s:o, s:o, s:I, s:i, s:i, s:I}",
                          "tool", "train", "dataset", json_string_of(o->dataset), "preset", json_string_of(o->preset),
                          "encoding", encoding_name(o->encoding), "events", json_string_of(events ? events : "unknown"),
                          "iters", (json_int_t)o->iters, "batch", o->batch, "lr", json_number_of(o->lr),
                          "weight_decay", json_number_of(o->weight_decay), "seed", seed, "mask", json_string_of(o->mask),
                          "warmup", (json_int_t)o->warmup, "decay", json_string_of(o->decay), "clip",
                          json_number_of(o->clip), "val_every", (json_int_t)o->val_every, "val_windows", o->val_windows,
                          "val_steps", o->val_steps, "ckpt_every", (json_int_t)o->ckpt_every);
    if (!j) die("out of memory writing the training options as JSON");
    return j;
}

int train_options_from_checkpoint(train_options *o, const char *json_text, error_info *err) {
    json_t *root = json_read_text(json_text, "checkpoint training state", err);
    if (!root) return -1;
    if (!json_is_object(root)) {
        json_decref(root);
        return error_set(err, "checkpoint training state: expected a JSON object");
    }
    static const struct { const char *key; unsigned bit; } keys[] = {
        {"dataset", OPT_DATASET}, {"preset", OPT_PRESET}, {"encoding", OPT_ENCODING}, {"iters", OPT_ITERS}, {"batch", OPT_BATCH},
        {"lr", OPT_LR}, {"weight_decay", OPT_WEIGHT_DECAY}, {"seed", OPT_SEED}, {"mask", OPT_MASK},
        {"warmup", OPT_WARMUP}, {"decay", OPT_DECAY}, {"clip", OPT_CLIP}, {"val_every", OPT_VAL_EVERY},
        {"val_windows", OPT_VAL_WINDOWS}, {"val_steps", OPT_VAL_STEPS}, {"ckpt_every", OPT_CKPT_EVERY}};
    unsigned given = o->given;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(root, keys[i].key);
        if (!v || (given & keys[i].bit)) continue;
        char text[4096];
        json_value_text(v, keys[i].key, text, sizeof text);
        char name[32];
        snprintf(name, sizeof name, "%s", keys[i].key);
        for (char *c = name; *c; c++)
            if (*c == '_') *c = '-';
        if (apply_option(o, name, text)) { json_decref(root); return error_set(err, "checkpoint: bad setting %s", name); }
    }
    o->given = given;
    json_decref(root);
    return 0;
}
