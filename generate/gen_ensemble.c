/* generate --ensemble: loading and checking further checkpoints whose
 * networks join the first's (gen_ensemble.h). */
#include "gen_ensemble.h"

#include <jansson.h>
#include <string.h>

#include "encoding.h"

void gen_trained_ngram(const checkpoint_meta *meta, double *weight, int *input) {
    json_t *root = meta->extra_json[0] ? json_loads(meta->extra_json, 0, NULL) : NULL;
    json_t *w = json_object_get(root, "ngram_prior"), *in = json_object_get(root, "ngram_input");
    *weight = json_is_number(w) && json_number_value(w) > 0 ? json_number_value(w) : 0;
    *input = json_is_string(in) && !strcmp(json_string_value(in), "on");
    json_decref(root);
}

/* The first difference between two vocabularies' names, or -1 (either
 * without names: nothing to compare). */
static int first_name_difference(const vocabulary *a, const vocabulary *b) {
    if (!a->names || !b->names) return -1;
    for (int v = 0; v < a->size && v < b->size; v++)
        if (strcmp(a->names[v] ? a->names[v] : "", b->names[v] ? b->names[v] : "")) return v;
    return -1;
}

/* Whether member meta/cfg, trained with the n-gram at weight w and as
 * input or not (gen_trained_ngram), may join the first checkpoint's network. */
static int check_member(const char *path, const sssd_config *cfg, const checkpoint_meta *meta, double w, int in,
                        const sssd_config *first_cfg, const checkpoint_meta *first_meta, error_info *err) {
    if (first_cfg->encoding != ENCODING_MASKED || cfg->encoding != ENCODING_MASKED)
        return error_set(err, "--ensemble %s: ensembles apply to the masked encoding (the first checkpoint: %s, this one: %s)",
                         path, encoding_name(first_cfg->encoding), encoding_name(cfg->encoding));
    if (cfg->vocab_size != first_cfg->vocab_size || cfg->s4_lmax != first_cfg->s4_lmax || cfg->T != first_cfg->T)
        return error_set(err,
                         "--ensemble %s: %d event types, windows of %d and T %d, where the first checkpoint has %d, "
                         "%d and %d; the networks of an ensemble model the same windows",
                         path, cfg->vocab_size, cfg->s4_lmax, cfg->T, first_cfg->vocab_size, first_cfg->s4_lmax,
                         first_cfg->T);
    int v = first_name_difference(&meta->vocab, &first_meta->vocab);
    if (v >= 0)
        return error_set(err, "--ensemble %s: event %d is %s here and %s in the first checkpoint; the networks of an "
                              "ensemble must number events alike (train them on one dataset)",
                         path, v + 1, meta->vocab.names[v], first_meta->vocab.names[v]);
    double w0;
    int in0;
    gen_trained_ngram(first_meta, &w0, &in0);
    if (w != w0 || in != in0)
        return error_set(err,
                         "--ensemble %s: trained with train --ngram-prior %g --ngram-input %s, the first checkpoint "
                         "with --ngram-prior %g --ngram-input %s; the networks of an ensemble must be trained alike "
                         "with the n-gram",
                         path, w, in ? "on" : "off", w0, in0 ? "on" : "off");
    return 0;
}

int gen_ensemble_load(gen_ensemble *e, const char *const *paths, int count, backend *be, int max_batch,
                      const sssd_config *first_cfg, const checkpoint_meta *first_meta, error_info *err) {
    memset(e, 0, sizeof *e);
    if (count > GEN_ENSEMBLE_MAX)
        return error_set(err, "--ensemble: at most %d further checkpoints (got %d)", GEN_ENSEMBLE_MAX, count);
    for (int k = 0; k < count; k++) {
        checkpoint_meta meta;
        checkpoint_meta_init(&meta);
        sssd_model *m = checkpoint_load_inference(paths[k], be, max_batch, &meta, err);
        if (!m) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            checkpoint_meta_free(&meta);
            gen_ensemble_free(e);
            return error_set(err, "--ensemble: %s", why);
        }
        double w;
        int input;
        gen_trained_ngram(&meta, &w, &input);
        int bad = check_member(paths[k], sssd_model_config(m), &meta, w, input, first_cfg, first_meta, err);
        checkpoint_meta_free(&meta);
        if (bad) {
            sssd_model_free(m);
            gen_ensemble_free(e);
            return -1;
        }
        sssd_model_set_weights_fixed(m, 1); /* derived once for every batch */
        e->models[k] = m;
        e->contexts[k] = diffusion_context_create(m);
        diffusion_set_prior_input(e->contexts[k], input);
        e->count = k + 1;
    }
    return 0;
}

void gen_ensemble_attach(gen_ensemble *e, diffusion_sample_options *opt) {
    opt->ensemble = e->count ? e->contexts : NULL;
    opt->ensemble_count = e->count;
}

void gen_ensemble_free(gen_ensemble *e) {
    for (int k = 0; k < e->count; k++) {
        diffusion_context_free(e->contexts[k]);
        sssd_model_free(e->models[k]);
    }
    memset(e, 0, sizeof *e);
}
