/* Options of `train` (see train_options.h): defaults, and everything that
 * walks the table of train_option_fields.h: the command line, setting one
 * option by name (shared with --config), --help, and the options kept in
 * checkpoints and logs, and read back on --resume. */
#include "train_options.h"
#include "cli_options.h"
#include "encoding.h"
#include "json_out.h"
#include "json_read.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum option_kind {
    KIND_STRING, KIND_INT, KIND_LLONG, KIND_REAL, KIND_REAL_ABOVE, KIND_CHOICE, KIND_ENCODING, KIND_SEED, KIND_MASK,
    KIND_FLAG, KIND_CONFIG
} option_kind;

typedef enum option_section { SECTION_DATA, SECTION_OPTIMISATION, SECTION_RUN, SECTION_COUNT } option_section;

typedef struct option_field {
    const char *name;
    size_t offset, size;      /* of the member in train_options */
    option_kind kind;
    double lo, hi;
    const char *choices;
    int kept;
    option_section section;
    const char *metavar, *help;
    unsigned bit;
} option_field;

#define KEPT_KEPT 1
#define KEPT_LOCAL 0
#define OPTION_FIELD(id, name, member, kind, lo, hi, choices, kept, section, metavar, help)                    \
    {name, offsetof(train_options, member), sizeof(((train_options *)0)->member), KIND_##kind, lo, hi, choices,   \
     KEPT_##kept, SECTION_##section, metavar, help, OPT_##id},
static const option_field option_fields[] = {TRAIN_OPTION_FIELDS(OPTION_FIELD)};
#define N_OPTIONS ((int)(sizeof option_fields / sizeof option_fields[0]))

static const option_field *option_named(const char *name) {
    for (int i = 0; i < N_OPTIONS; i++)
        if (!strcmp(option_fields[i].name, name)) return &option_fields[i];
    return NULL;
}

void train_options_init(train_options *o) {
    memset(o, 0, sizeof *o);
    snprintf(o->preset, sizeof o->preset, "small");
    o->encoding = ENCODING_MASKED;  /* categorical: right on rare events, unlike float IDs (README) */
    o->iters = 0;                   /* the preset's (train_main.c: small, 20 epochs within 1,500..8,000) */
    /* The recipe measured best for the masked encoding (README, "Measured"):
     * SSSD's constant 2e-4 learns several times slower. */
    o->lr = 1e-3;
    o->warmup = -1;                 /* 100, or a tenth of --iters when that is less */
    o->seed = 1;
    snprintf(o->device, sizeof o->device, "auto");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = n > 0 ? (int)n : 1;
    /* One checkpoint for every task: at 20 epochs a mix reconstructs mid:10
     * with the accuracy of a mid:10 model, and up to 3 points less macro
     * accuracy (README, Measured). */
    snprintf(o->mask, sizeof o->mask, "mix");
    snprintf(o->decay, sizeof o->decay, "cosine");
    snprintf(o->ngram_input, sizeof o->ngram_input, "off");
    o->val_every = 500;
    o->val_split = -1;
    o->ema = -1;                    /* TRAIN_DEFAULT_EMA, or off for a resumed run from before --ema */
    o->val_windows = 256;           /* 64 moved by 1-3 points between validations (README, Measured) */
    o->val_steps = 20;
    o->ckpt_every = 100;
    o->model_overrides = NULL;
}

void train_options_free(train_options *o) {
    json_decref(o->model_overrides);
    o->model_overrides = NULL;
}

/* "  --name METAVAR      help", continuation lines under the help's column. */
static void print_option(FILE *f, const option_field *opt) {
    char head[64];
    snprintf(head, sizeof head, "--%s%s%s", opt->name, opt->metavar[0] ? " " : "", opt->metavar);
    fprintf(f, "  %-19s ", head);
    for (const char *p = opt->help; *p; p++) {
        fputc(*p, f);
        if (*p == '\n') fprintf(f, "%22s", "");
    }
    fputc('\n', f);
}

void train_usage(FILE *f) {
    static const char *titles[SECTION_COUNT] = {"data and model:", "optimisation:", "run:"};
    fprintf(f,
            "usage: train --dataset NAME|PATH [options]\n"
            "\n"
            "Train an SSSD-S4 model on event windows (--encoding says how events enter the network).\n"
            "\n");
    for (int s = 0; s < SECTION_COUNT; s++) {
        fprintf(f, "%s\n", titles[s]);
        for (int i = 0; i < N_OPTIONS; i++)
            if (option_fields[i].section == (option_section)s) print_option(f, &option_fields[i]);
    }
    /* The model settings --config accepts, from the configuration's own table. */
    fprintf(f, "\nmodel settings of --config (\"model\", or SSSD's wavenet_config and diffusion_config):\n ");
    int n, col = 1;
    const sssd_config_field *fields = sssd_config_fields(&n);
    for (int i = 0; i < n; i++) {
        if (fields[i].setting != SSSD_CONFIG_SETTING_USER) continue;
        char item[96];
        snprintf(item, sizeof item, " %s%s%s%s", fields[i].name, fields[i].sssd_key ? " (" : "",
                 fields[i].sssd_key ? fields[i].sssd_key : "", fields[i].sssd_key ? ")" : "");
        if (col + (int)strlen(item) > 100) {
            fprintf(f, "\n ");
            col = 1;
        }
        fputs(item, f);
        col += (int)strlen(item);
    }
    fprintf(f,
            "\n"
            "  (over the preset; the window length and the channels come from the data and --encoding)\n"
            "\n"
            "memory: 16 bytes per parameter (weights, gradients, Adam moments) plus the activations kept for\n"
            "the backward pass, about 160 bytes x batch x channels x L x layers (small, batch 32, L 200: ~0.6 GiB;\n"
            "paper, batch 64: ~18 GiB), plus 4 bytes per dataset event. A model that cannot fit in available\n"
            "memory is refused before training starts.\n");
}

/* Is v one of the '|'-separated choices? */
static int is_choice(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return 1;
        p += len + (end != NULL);
    }
    return 0;
}

/* "expected a, b or c" from "a|b|c". */
static void bad_choice(const char *opt, const char *v, const char *choices) {
    char why[256] = "expected ";
    size_t n = strlen(why);
    int count = 1;
    for (const char *p = choices; *p; p++) count += *p == '|';
    for (const char *p = choices; *p && n + 8 < sizeof why; p++) {
        if (*p != '|') why[n++] = *p;
        else {
            const char *sep = --count == 1 ? " or " : ", ";
            for (; *sep; sep++) why[n++] = *sep;
        }
    }
    why[n] = 0;
    cli_bad_value(opt, v, why);
}

int train_option_apply(train_options *o, const char *name, const char *v) {
    const option_field *opt = option_named(name);
    if (!opt) return -1;
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", name);
    char *member = (char *)o + opt->offset;
    switch (opt->kind) {
    case KIND_STRING:
    case KIND_CHOICE:
        if (opt->kind == KIND_CHOICE && !is_choice(opt->choices, v)) bad_choice(flag, v, opt->choices);
        if (strlen(v) >= opt->size) cli_bad_value(flag, v, "too long");
        snprintf(member, opt->size, "%s", v);
        break;
    case KIND_INT: *(int *)member = (int)cli_integer(flag, v, (long long)opt->lo, (long long)opt->hi); break;
    case KIND_LLONG: *(long long *)member = cli_integer(flag, v, (long long)opt->lo, (long long)opt->hi); break;
    case KIND_REAL:
    case KIND_REAL_ABOVE:
        *(double *)member = cli_number(flag, v, opt->lo, opt->hi, opt->kind == KIND_REAL_ABOVE);
        break;
    case KIND_ENCODING: {
        event_encoding e;
        error_info err;
        if (encoding_parse(v, &e, &err)) bad_choice(flag, v, opt->choices);
        *(int *)member = (int)e;
        break;
    }
    case KIND_SEED: {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-') cli_bad_value(flag, v, "expected a non-negative integer");
        *(uint64_t *)member = s;
        break;
    }
    case KIND_MASK: {
        error_info err;
        if (mask_spec_parse(v, &o->mask_parsed, &err)) die("--mask: %s", err.message);
        mask_spec_format(&o->mask_parsed, member, opt->size);
        break;
    }
    case KIND_FLAG:
    case KIND_CONFIG: return -1; /* no value to set: the command line handles them */
    }
    o->given |= opt->bit;
    return 0;
}

void train_options_parse(train_options *o, int argc, char **argv) {
    /* --config first, so that the command line overrides it wherever it appears. */
    for (int i = 1; i < argc; i++) {
        const char *file = NULL;
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) die("--config needs a file");
            file = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) file = argv[i] + 9;
        if (!file) continue;
        if (strlen(file) >= sizeof o->config_path) cli_bad_value("--config", file, "too long");
        snprintf(o->config_path, sizeof o->config_path, "%s", file);
        train_config_file_apply(o, file);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { train_usage(stdout); exit(0); }
        if (strncmp(a, "--", 2) != 0) die("unexpected argument '%s' (see train --help)", a);
        const char *name = a + 2;
        char buf[64];
        const char *value = NULL;
        const char *eq = strchr(name, '=');
        if (eq) {
            snprintf(buf, sizeof buf, "%.*s", (int)(eq - name), name);
            name = buf;
            value = eq + 1;
        }
        const option_field *opt = option_named(name);
        if (!opt) die("unknown option '--%s' (see train --help)", name);
        if (opt->kind == KIND_FLAG) {
            if (value) die("--%s takes no value (see train --help)", name);
            *(int *)((char *)o + opt->offset) = 1;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) die("%s needs a value (see train --help)", a);
            value = argv[++i];
        }
        if (opt->kind == KIND_CONFIG) continue; /* read above */
        train_option_apply(o, name, value);
        if (opt->kind == KIND_MASK) o->sssd_rm_k = 0; /* the command line wins over the config's masking */
    }
    if (!o->dataset[0] && !o->resume) die("--dataset is required (a shipped name such as compress-gzip, or a path)");
    if (o->given & OPT_MASK) return;
    error_info err;
    if (mask_spec_parse(o->mask, &o->mask_parsed, &err)) die("--mask: %s", err.message);
}

/* An option's name as a JSON key: '_' for '-'. */
static void json_key(const char *name, char *out, size_t size) {
    snprintf(out, size, "%s", name);
    for (char *c = out; *c; c++)
        if (*c == '-') *c = '_';
}

void train_option_value_text(const json_t *v, const char *where, char *out, size_t size) {
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

json_t *train_options_json(const train_options *o, const char *events) {
    json_t *j = json_object();
    if (!j || json_object_set_new(j, "tool", json_string("train"))) die("out of memory writing the training options");
    for (int i = 0; i < N_OPTIONS; i++) {
        const option_field *opt = &option_fields[i];
        if (!opt->kept) continue;
        const char *member = (const char *)o + opt->offset;
        json_t *v = NULL;
        switch (opt->kind) {
        case KIND_STRING:
        case KIND_CHOICE:
        case KIND_MASK: v = json_string_of(member); break;
        case KIND_INT: v = json_integer(*(const int *)member); break;
        case KIND_LLONG: v = json_integer(*(const long long *)member); break;
        case KIND_REAL:
        case KIND_REAL_ABOVE: v = json_number_of(*(const double *)member); break;
        case KIND_ENCODING: v = json_string(encoding_name(*(const int *)member)); break;
        case KIND_SEED: {
            /* A string: JSON readers that hold numbers as doubles lose 64-bit integers. */
            char seed[32];
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)*(const uint64_t *)member);
            v = json_string(seed);
            break;
        }
        case KIND_FLAG:
        case KIND_CONFIG: break;
        }
        char key[64];
        json_key(opt->name, key, sizeof key);
        if (!v || json_object_set_new(j, key, v)) die("out of memory writing the training options");
        /* The data's event kind travels with the options, after the encoding, as it always has. */
        if (opt->kind == KIND_ENCODING && json_object_set_new(j, "events", json_string_of(events ? events : "unknown")))
            die("out of memory writing the training options");
    }
    return j;
}

int train_options_from_checkpoint(train_options *o, const char *json_text, error_info *err) {
    json_t *root = json_read_text(json_text, "checkpoint training state", err);
    if (!root) return -1;
    if (!json_is_object(root)) {
        json_decref(root);
        return error_set(err, "checkpoint training state: expected a JSON object");
    }
    unsigned given = o->given;
    for (int i = 0; i < N_OPTIONS; i++) {
        const option_field *opt = &option_fields[i];
        char key[64];
        json_key(opt->name, key, sizeof key);
        const json_t *v = opt->kept ? json_object_get(root, key) : NULL;
        if (!v || (given & opt->bit)) continue;
        char text[4096];
        train_option_value_text(v, key, text, sizeof text);
        if (train_option_apply(o, opt->name, text)) {
            json_decref(root);
            return error_set(err, "checkpoint: bad setting %s", key);
        }
    }
    o->given = given;
    json_decref(root);
    return 0;
}
