/* Command-line options of `train` (listed in train_option_fields.h), their
 * defaults, and the configuration files that can set them (our own JSON and
 * SSSD's config_SSSDS4.json). */
#ifndef SSSD_TRAIN_OPTIONS_H
#define SSSD_TRAIN_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "diffusion.h"
#include "sssd.h"
#include "train_option_fields.h"

/* Bits of train_options.given: which options the user set explicitly (on
 * the command line or in --config), so that --resume can tell them from
 * defaults. OPT_<ID> for each option of the table; OPT_MODEL for model
 * settings from --config. */
#define TRAIN_OPTION_INDEX(id, ...) OPT_INDEX_##id,
enum { TRAIN_OPTION_FIELDS(TRAIN_OPTION_INDEX) TRAIN_OPTION_COUNT };
#undef TRAIN_OPTION_INDEX
#define TRAIN_OPTION_BIT(id, ...) OPT_##id = 1u << OPT_INDEX_##id,
enum { TRAIN_OPTION_FIELDS(TRAIN_OPTION_BIT) OPT_MODEL = 1u << TRAIN_OPTION_COUNT };
#undef TRAIN_OPTION_BIT
_Static_assert(TRAIN_OPTION_COUNT < 31, "train_options.given has a bit for each option");

/* Share of the training windows held out for validation unless --val-split says otherwise. */
#define TRAIN_DEFAULT_VAL_SPLIT 0.05
/* --ema's default decay (README, Measured). */
#define TRAIN_DEFAULT_EMA 0.999

typedef struct train_options {
    char dataset[4096];
    int length;               /* 0: the dataset's */
    char preset[32];
    int encoding;             /* event_encoding (model/encoding.h) */
    char config_path[4096];
    long long iters;
    int batch;                /* 0: the preset's */
    double lr;
    double weight_decay;
    double dropout;           /* the model's s4_dropout when given (OPT_DROPOUT), over --config's */
    double ngram_prior;       /* weight of the n-gram expert in training (masked encoding), 0 = none */
    char ngram_input[8];      /* "on": the n-gram's probabilities are an input of the network */
    double ema;               /* moving-average decay of the weights, 0 = off; -1 until resolved (train_main) */
    uint64_t seed;
    char device[16];
    int threads;
    char out[4096];
    int resume;
    char mask[128];
    mask_spec mask_parsed;
    int sssd_rm_k;            /* SSSD's masking "rm" with missing_k: k points of a window whose
                                 length is known only once the data is loaded (0: none) */
    long long warmup;
    char decay[16];           /* "none" or "cosine" */
    double clip;              /* 0: off */
    long long val_every;      /* 0: off */
    double val_split;         /* fraction of training windows held out; -1 until resolved (train_main) */
    int val_windows;
    int val_steps;
    long long ckpt_every;
    int quiet;
    unsigned given;
    /* Model configuration fields set by --config (applied over the preset). */
    json_t *model_overrides;  /* an object of our key names (numbers), or NULL */
} train_options;

void train_options_init(train_options *o);
void train_options_free(train_options *o);
void train_usage(FILE *f);

/* Parse argv (and --config, whose values the command line overrides). Exits
 * with a clear message on a bad option. */
void train_options_parse(train_options *o, int argc, char **argv);

/* Set the option `name` (as on the command line, without "--") from its
 * text; exits with a message on a bad value. -1 when no option of that name
 * takes a value. */
int train_option_apply(train_options *o, const char *name, const char *value);
/* A JSON string or number as the command line would give it; exits naming
 * `where` for any other value. */
void train_option_value_text(const json_t *v, const char *where, char *out, size_t size);

/* Apply a --config file (train_config_file.c); exits with a message naming
 * the file on anything it cannot use. */
void train_config_file_apply(train_options *o, const char *path);

/* Build the model configuration: preset, then --config's model values. */
int train_model_config(const train_options *o, int length, sssd_config *cfg, error_info *err);

/* Turn a pending SSSD "rm" mask into missing:k/L once L is known. */
int train_resolve_mask(train_options *o, int length, error_info *err);

/* The options that define the run as a JSON object (stored in the checkpoint
 * and logged), with the data's event kind; a new reference. And back: values
 * in the checkpoint fill every option the user did not give. */
json_t *train_options_json(const train_options *o, const char *events);
int train_options_from_checkpoint(train_options *o, const char *json_text, error_info *err);

#endif
