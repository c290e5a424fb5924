/* The fields of the network's configuration, listed once. Everything that
 * lists them expands this table: the struct sssd_config (sssd.h), the field
 * descriptions that the checkpoint's attributes and its JSON copy, the model
 * settings of `train --config` and train's --help read (sssd_config_fields()).
 *
 *   X(TYPE, name, SINCE, SETTING, sssd_key)
 *   TYPE      INT or REAL (a double)
 *   SINCE     FIRST: in every checkpoint; LATER: added after the first
 *             checkpoints were written, so loading one without it keeps the
 *             default
 *   SETTING   what --config's "model" object may do with it: USER: set it
 *             over the preset; DATA: nothing, the data decides (a note says
 *             so when the values differ); ONE: nothing, the encoding decides
 *             (a note for any value but 1, SSSD's); NONE: not a model setting
 *             (from --encoding and the data)
 *   sssd_key  its name in SSSD's config_SSSDS4.json where that differs, or NULL
 *
 * Order matters: it is the order of the checkpoint's JSON copy. */
#ifndef SSSD_MODEL_SSSD_CONFIG_FIELDS_H
#define SSSD_MODEL_SSSD_CONFIG_FIELDS_H

#define SSSD_CONFIG_FIELDS(X)                                                                            \
    X(INT, in_channels, FIRST, ONE, NULL)         /* 1 for raw float IDs; set by the encoding */         \
    X(INT, out_channels, FIRST, ONE, NULL)        /* 1; set by the encoding (model/encoding.h) */        \
    X(INT, res_channels, FIRST, USER, NULL)       /* C: 256 in the paper */                              \
    X(INT, skip_channels, FIRST, USER, NULL)      /* 256 */                                              \
    X(INT, num_res_layers, FIRST, USER, NULL)     /* 36 */                                               \
    X(INT, s4_d_state, FIRST, USER, NULL)         /* N = 64 (N/2 complex modes are stored) */            \
    X(INT, s4_lmax, FIRST, DATA, NULL)            /* L, the window length */                             \
    X(INT, s4_bidirectional, FIRST, USER, NULL)   /* 1 */                                                \
    X(INT, s4_layernorm, FIRST, USER, NULL)       /* 1 */                                                \
    X(INT, emb_in, FIRST, USER, "diffusion_step_embed_dim_in")   /* 128 */                               \
    X(INT, emb_mid, FIRST, USER, "diffusion_step_embed_dim_mid") /* 512 */                               \
    X(INT, emb_out, FIRST, USER, "diffusion_step_embed_dim_out") /* 512 */                               \
    X(INT, T, FIRST, USER, NULL)                  /* diffusion steps, 200 */                             \
    X(REAL, beta_0, FIRST, USER, NULL)            /* 1e-4 (linear noise schedule) */                     \
    X(REAL, beta_T, FIRST, USER, NULL)            /* 0.02 */                                             \
    X(REAL, dt_min, FIRST, USER, NULL)            /* S4 timescale range, 1e-3 .. */                      \
    X(REAL, dt_max, FIRST, USER, NULL)            /* .. 1e-1 */                                          \
    X(INT, encoding, LATER, NONE, NULL)           /* event_encoding: 0 id (SSSD's float IDs), 1 bits, 2 masked */ \
    X(INT, vocab_size, LATER, NONE, NULL)         /* V, the events' IDs 1..V (0: unknown, id encoding only) */ \
    X(REAL, s4_dropout, LATER, USER, NULL)        /* channel dropout after each S4 layer, training only (SSSD: 0) */

#define SSSD_CONFIG_CTYPE_INT int
#define SSSD_CONFIG_CTYPE_REAL double

typedef enum sssd_config_setting {
    SSSD_CONFIG_SETTING_USER,
    SSSD_CONFIG_SETTING_DATA,
    SSSD_CONFIG_SETTING_ONE,
    SSSD_CONFIG_SETTING_NONE
} sssd_config_setting;

/* One field of the table, for code that walks them all. */
typedef struct sssd_config_field {
    const char *name;
    const char *sssd_key;      /* NULL: SSSD calls it `name` too */
    size_t offset;             /* in sssd_config */
    int is_real;               /* double; else int */
    int optional;              /* SINCE LATER */
    sssd_config_setting setting;
} sssd_config_field;

#endif
