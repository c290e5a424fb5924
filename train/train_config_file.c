/* --config files: our JSON layout and SSSD's config_SSSDS4.json, mapped onto
 * train's options (train_option_fields.h) and the model's configuration
 * fields (model/sssd_config_fields.h), and the model configuration built
 * from the preset and those settings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "encoding.h"
#include "json_read.h"
#include "train_options.h"

/* A model setting of --config, by our name or SSSD's, kept under our name
 * (numbers only) and applied over the preset in train_model_config. */
static void add_model_override(train_options *o, const char *file, const char *key, const json_t *v) {
    const sssd_config_field *field = sssd_config_field_named(key, 1);
    if (!field || field->setting == SSSD_CONFIG_SETTING_NONE)
        die("%s: unknown model setting \"%s\" (see train --help)", file, key);
    if (!json_is_number(v)) die("%s: model setting \"%s\" must be a number", file, key);
    if (!o->model_overrides) o->model_overrides = json_object();
    if (!o->model_overrides || json_object_set_new(o->model_overrides, field->name, json_real(json_number_value(v))))
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
        if ((v = json_object_get(tc, "n_iters"))) { train_option_value_text(v, "train_config.n_iters", text, sizeof text); train_option_apply(o, "iters", text); }
        if ((v = json_object_get(tc, "learning_rate"))) { train_option_value_text(v, "train_config.learning_rate", text, sizeof text); train_option_apply(o, "lr", text); }
        if ((v = json_object_get(tc, "iters_per_ckpt"))) { train_option_value_text(v, "train_config.iters_per_ckpt", text, sizeof text); train_option_apply(o, "ckpt-every", text); }
        const json_t *masking = json_object_get(tc, "masking"), *k = json_object_get(tc, "missing_k");
        if (masking && json_is_string(masking) && k && json_is_number(k)) {
            char spec[64];
            double kv = json_number_value(k);
            if (!(kv >= 1 && kv <= 1e9)) die("%s: missing_k %g must be at least 1", file, kv);
            int kk = (int)kv;
            if (!strcmp(json_string_value(masking), "rm")) {
                /* SSSD: k random points; our missing:F takes a fraction of the
                 * window, whose length is known once the data is loaded. */
                o->sssd_rm_k = kk;
                o->given |= OPT_MASK;
                snprintf(spec, sizeof spec, "missing:1");
            } else if (!strcmp(json_string_value(masking), "mnr") || !strcmp(json_string_value(masking), "bm")) {
                /* SSSD picks one of the K-event chunks at random; ours starts anywhere. */
                snprintf(spec, sizeof spec, "random-gap:%d", kk);
                fprintf(stderr, "%s: note: masking %s with missing_k %d mapped to --mask %s\n", error_program_name(),
                        json_string_value(masking), kk, spec);
            } else die("%s: unknown masking \"%s\" (SSSD knows rm, mnr, bm)", file, json_string_value(masking));
            train_option_apply(o, "mask", spec);
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

void train_config_file_apply(train_options *o, const char *path) {
    error_info err;
    json_t *root = json_read_file(path, &err);
    if (!root) die("--config %s", err.message);
    if (!json_is_object(root)) die("%s: expected a JSON object, found %s", path, json_kind_name(root));
    if (json_object_get(root, "wavenet_config") || json_object_get(root, "diffusion_config") ||
        json_object_get(root, "train_config")) {
        apply_sssd_config(o, path, root);
        /* SSSD's own configuration asks for SSSD's model and recipe: raw
         * float IDs, a constant learning rate, no average of the weights
         * (the command line still wins). */
        o->encoding = ENCODING_ID;
        if (!(o->given & OPT_WARMUP)) o->warmup = 0;
        if (!(o->given & OPT_DECAY)) snprintf(o->decay, sizeof o->decay, "none");
        if (!(o->given & OPT_EMA)) o->ema = 0;
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
                train_option_value_text(tv, where, text, sizeof text);
                /* Keys as the options are named, with '-' or '_' ("val_every" = --val-every). */
                char name[64];
                snprintf(name, sizeof name, "%s", tkey);
                for (char *ch = name; *ch; ch++)
                    if (*ch == '_') *ch = '-';
                if (train_option_apply(o, name, text)) die("%s: unknown training setting \"%s\"", path, tkey);
            }
        } else if (!strcmp(key, "preset") || !strcmp(key, "dataset") || !strcmp(key, "length")) {
            char text[4096];
            train_option_value_text(v, key, text, sizeof text);
            train_option_apply(o, key, text);
        } else die("%s: unknown key \"%s\" (expected preset, dataset, length, model, train)", path, key);
    }
    json_decref(root);
}

int train_model_config(const train_options *o, int length, sssd_config *cfg, error_info *err) {
    if (sssd_config_preset(o->preset, length, cfg, err)) return -1;
    const char *k;
    json_t *value;
    json_object_foreach(o->model_overrides, k, value) {
        double v = json_number_value(value);
        const sssd_config_field *field = sssd_config_field_named(k, 0);
        if (!field->is_real && (v != floor(v) || fabs(v) > 1e9))
            return error_set(err, "model setting %s = %g must be an integer", k, v);
        switch (field->setting) {
        case SSSD_CONFIG_SETTING_USER: sssd_config_set(cfg, field, v); break;
        case SSSD_CONFIG_SETTING_DATA:
            if (v != length)
                fprintf(stderr, "%s: note: %s %g in the configuration replaced by the data's window length %d\n",
                        error_program_name(), k, v, length);
            break;
        case SSSD_CONFIG_SETTING_ONE:
            if (v != 1)
                fprintf(stderr, "%s: note: %s %g ignored: the encoding sets the channels\n", error_program_name(), k, v);
            break;
        case SSSD_CONFIG_SETTING_NONE: break; /* refused when read */
        }
    }
    cfg->s4_lmax = length;
    if (o->given & OPT_DROPOUT) cfg->s4_dropout = o->dropout;
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

