/* The network's configuration: its table of fields, SSSD's paper values, the
 * presets users start from, validation with messages that say what to
 * change, and the FLOP count of a forward pass for benchmarks. */
#include <stddef.h>
#include <string.h>

#include "encoding.h"
#include "sssd.h"

#define SSSD_CONFIG_IS_REAL_INT 0
#define SSSD_CONFIG_IS_REAL_REAL 1
#define SSSD_CONFIG_OPTIONAL_FIRST 0
#define SSSD_CONFIG_OPTIONAL_LATER 1
#define SSSD_CONFIG_DESCRIBE(type, name, since, setting, sssd_key)                                     \
    {#name, sssd_key, offsetof(sssd_config, name), SSSD_CONFIG_IS_REAL_##type, SSSD_CONFIG_OPTIONAL_##since, \
     SSSD_CONFIG_SETTING_##setting},
static const sssd_config_field fields[] = {SSSD_CONFIG_FIELDS(SSSD_CONFIG_DESCRIBE)};
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

const sssd_config_field *sssd_config_fields(int *count) {
    *count = N_FIELDS;
    return fields;
}

const sssd_config_field *sssd_config_field_named(const char *name, int sssd_names) {
    for (int i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].name, name) || (sssd_names && fields[i].sssd_key && !strcmp(fields[i].sssd_key, name)))
            return &fields[i];
    return NULL;
}

double sssd_config_get(const sssd_config *cfg, const sssd_config_field *f) {
    const char *p = (const char *)cfg + f->offset;
    return f->is_real ? *(const double *)p : (double)*(const int *)p;
}

void sssd_config_set(sssd_config *cfg, const sssd_config_field *f, double value) {
    char *p = (char *)cfg + f->offset;
    if (f->is_real) *(double *)p = value;
    else *(int *)p = (int)value;
}

void sssd_config_default(sssd_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->in_channels = 1;
    cfg->out_channels = 1;
    cfg->res_channels = 256;
    cfg->skip_channels = 256;
    cfg->num_res_layers = 36;
    cfg->s4_d_state = 64;
    cfg->s4_lmax = 200;
    cfg->s4_bidirectional = 1;
    cfg->s4_layernorm = 1;
    cfg->emb_in = 128;
    cfg->emb_mid = 512;
    cfg->emb_out = 512;
    cfg->T = 200;
    cfg->beta_0 = 1e-4;
    cfg->beta_T = 0.02;
    cfg->dt_min = 1e-3;
    cfg->dt_max = 1e-1;
}

int sssd_config_preset(const char *name, int length, sssd_config *cfg, error_info *err) {
    sssd_config_default(cfg);
    cfg->s4_lmax = length;
    if (strcmp(name, "paper") == 0) return 0;
    if (strcmp(name, "small") == 0) {
        /* The setting the documentation suggests to start from. */
        cfg->res_channels = cfg->skip_channels = 128;
        cfg->num_res_layers = 4;
        return 0;
    }
    if (strcmp(name, "tiny") == 0) {
        /* For tests and quick experiments: seconds per thousand steps on a laptop. */
        cfg->res_channels = cfg->skip_channels = 32;
        cfg->num_res_layers = 2;
        cfg->emb_mid = cfg->emb_out = 256;
        return 0;
    }
    return error_set(err, "unknown preset '%s' (expected tiny, small or paper)", name);
}

void sssd_config_set_encoding(sssd_config *cfg, int encoding, int vocab_size) {
    cfg->encoding = encoding;
    cfg->vocab_size = vocab_size;
    encoding_channels(encoding, vocab_size, &cfg->in_channels, &cfg->out_channels);
}

int sssd_config_validate(const sssd_config *c, error_info *err) {
    if (c->in_channels < 1 || c->out_channels < 1)
        return error_set(err, "in_channels and out_channels must be at least 1 (got %d, %d)", c->in_channels,
                         c->out_channels);
    if (c->res_channels < 1 || c->skip_channels < 1 || c->num_res_layers < 1)
        return error_set(err, "res_channels, skip_channels and num_res_layers must be at least 1 (got %d, %d, %d)",
                         c->res_channels, c->skip_channels, c->num_res_layers);
    if (c->s4_d_state < 2 || c->s4_d_state % 2)
        return error_set(err, "s4_d_state must be even and at least 2 (got %d)", c->s4_d_state);
    if (c->s4_lmax < 1) return error_set(err, "s4_lmax (the window length) must be at least 1 (got %d)", c->s4_lmax);
    if (c->s4_bidirectional != 1)
        return error_set(err, "only the bidirectional S4 layer (s4_bidirectional = 1, SSSD's setting) is implemented");
    if (c->s4_layernorm != 1)
        return error_set(err, "only S4 layers with LayerNorm (s4_layernorm = 1, SSSD's setting) are implemented");
    if (!(c->s4_dropout >= 0 && c->s4_dropout < 1))
        return error_set(err, "s4_dropout must be at least 0 and below 1 (got %g)", c->s4_dropout);
    if (c->emb_in < 4 || c->emb_in % 2)
        return error_set(err, "emb_in must be even and at least 4 (got %d)", c->emb_in);
    if (c->emb_mid < 1 || c->emb_out < 1)
        return error_set(err, "emb_mid and emb_out must be at least 1 (got %d, %d)", c->emb_mid, c->emb_out);
    if (c->T < 1) return error_set(err, "T (diffusion steps) must be at least 1 (got %d)", c->T);
    if (!(c->beta_0 > 0 && c->beta_0 <= c->beta_T && c->beta_T < 1))
        return error_set(err, "the noise schedule needs 0 < beta_0 <= beta_T < 1 (got %g, %g)", c->beta_0, c->beta_T);
    if (!(c->dt_min > 0 && c->dt_min <= c->dt_max))
        return error_set(err, "the S4 timescales need 0 < dt_min <= dt_max (got %g, %g)", c->dt_min, c->dt_max);
    /* Upper bounds far beyond any real model, so a damaged or mistyped
     * configuration is refused with a message instead of exhausting memory. */
    if (c->encoding < 0 || c->encoding >= ENCODING_COUNT)
        return error_set(err, "encoding %d is not one of 0 (id), 1 (bits), 2 (masked)", c->encoding);
    if (c->vocab_size < 0 || c->vocab_size > ENCODING_MAX_VOCAB)
        return error_set(err, "vocab_size must be in 0..%d (got %d)", ENCODING_MAX_VOCAB, c->vocab_size);
    if (c->encoding != ENCODING_ID) {
        int in, out;
        encoding_channels(c->encoding, c->vocab_size, &in, &out);
        if (c->vocab_size < 2)
            return error_set(err, "the %s encoding needs a vocabulary of at least 2 events (got %d)",
                             encoding_name(c->encoding), c->vocab_size);
        if (c->in_channels != in || c->out_channels != out)
            return error_set(err, "the %s encoding of %d events needs %d input and %d output channels (got %d, %d)",
                             encoding_name(c->encoding), c->vocab_size, in, out, c->in_channels, c->out_channels);
    } else if (c->in_channels > 64 || c->out_channels > 64)
        return error_set(err, "in_channels and out_channels must be at most 64 (got %d, %d)", c->in_channels, c->out_channels);
    if (c->res_channels > 16384 || c->skip_channels > 16384 || c->num_res_layers > 1024)
        return error_set(err, "res_channels and skip_channels must be at most 16384 and num_res_layers at most 1024 (got %d, %d, %d)",
                         c->res_channels, c->skip_channels, c->num_res_layers);
    if (c->s4_d_state > 4096) return error_set(err, "s4_d_state must be at most 4096 (got %d)", c->s4_d_state);
    if (c->s4_lmax > (1 << 20)) return error_set(err, "s4_lmax (the window length) must be at most %d (got %d)", 1 << 20, c->s4_lmax);
    if (c->emb_in > 16384 || c->emb_mid > 16384 || c->emb_out > 16384)
        return error_set(err, "embedding sizes must be at most 16384 (got %d, %d, %d)", c->emb_in, c->emb_mid, c->emb_out);
    if (c->T > 100000) return error_set(err, "T (diffusion steps) must be at most 100000 (got %d)", c->T);
    return 0;
}

/* Parameters and frozen buffers of a configuration, in values. */
static void count_values(const sssd_config *c, double *params, double *buffers) {
    double C = c->res_channels, S = c->skip_channels, H = 2.0 * C, N2 = c->s4_d_state / 2, L = c->s4_lmax;
    double per_layer = C * c->emb_out + H * C * 3 + 2 * (H * H + 2 * H + 2 * H * N2 * 2) + H * 2 * c->in_channels +
                       C * C + S * C + 8 * H;
    *params = c->num_res_layers * per_layer + (double)c->emb_in * c->emb_mid + (double)c->emb_mid * c->emb_out +
              S * S + S * c->out_channels + C * c->in_channels;
    *buffers = c->num_res_layers * 2 * (H * (1 + 4 * N2 * 2) + L + 2);
}

double sssd_config_memory_estimate(const sssd_config *c, int max_batch) {
    double C = c->res_channels, H = 2.0 * C, L = c->s4_lmax, params, buffers;
    count_values(c, &params, &buffers);
    /* activations kept for backward: about 40 values of (C, L) per layer and item */
    double activations = (double)(max_batch > 0 ? max_batch : 1) * L * C * (40.0 * c->num_res_layers + 16);
    /* channel dropout: the gradient behind it and its factors */
    double dropout = c->s4_dropout > 0 ? (double)(max_batch > 0 ? max_batch : 1) * H * (L + 2 * c->num_res_layers) : 0;
    return sizeof(real_t) * (4 * params + buffers + activations + dropout + 2 * c->num_res_layers * H * L);
}

double sssd_config_memory_estimate_inference(const sssd_config *c, int max_batch) {
    double C = c->res_channels, S = c->skip_channels, H = 2.0 * C, L = c->s4_lmax, params, buffers;
    count_values(c, &params, &buffers);
    /* one block's activations (about 14 values of (C, L) per item), the
     * residual stream, skips and im2col columns beside them */
    double activations = (double)(max_batch > 0 ? max_batch : 1) * L * (20.0 * C + 2 * S + 3 * c->in_channels);
    /* parameters and their weight-normalised copies; each S4 layer's kernel */
    return sizeof(real_t) * (2 * params + buffers + activations + 4 * c->num_res_layers * H * L);
}

/* GEMMs counted exactly (2 flops per multiply-add); the rest estimated from
 * the work per element: FFTs as 2.5 N log2 N real flops per real transform,
 * the Cauchy kernel as ~40 flops per (mode, channel, frequency), pointwise
 * ops at their arithmetic count (transcendentals as ~10). */
double sssd_forward_flops(const sssd_config *c, int B) {
    double C = c->res_channels, S = c->skip_channels, L = c->s4_lmax, H = 2 * C, Bd = B;
    double in = c->in_channels, out = c->out_channels, N2 = c->s4_d_state / 2;
    double gemm = 0, other = 0;
    gemm += 2 * Bd * L * C * in;                                           /* init conv */
    gemm += 2 * Bd * ((double)c->emb_in * c->emb_mid + (double)c->emb_mid * c->emb_out);
    double per_block = 0;
    per_block += 2 * Bd * c->emb_out * C;                                  /* fc_t */
    per_block += 2 * Bd * L * H * 3 * C;                                   /* conv k3 */
    per_block += 2 * (2 * Bd * L * H * H);                                 /* two output linears */
    per_block += 2 * Bd * L * H * 2 * in;                                  /* cond conv */
    per_block += 2 * Bd * L * C * C + 2 * Bd * L * S * C;                  /* res, skip */
    gemm += per_block * c->num_res_layers;
    gemm += 2 * Bd * L * S * S + 2 * Bd * L * out * S;                     /* final convs */

    double n2l = 2 * L, lg = 1;
    while ((1 << (int)lg) < n2l) lg++;
    double fft = 2.5 * n2l * lg;
    double s4 = 0;
    s4 += H * (L / 2 + 1) * N2 * 40 + H * 2 * fft;                         /* kernel: Cauchy + inverse FFTs */
    s4 += Bd * H * (3 * fft + 8 * (L + 1) + 2 * L);                        /* conv: 2 fwd + 1 inv FFT, products, D */
    s4 += Bd * H * L * (12 + 2 + 8);                                       /* GELU, bias + residual, LayerNorm */
    double pw_block = Bd * L * (C + 2 * H + H + 30 * C + 4 * C);           /* add t, biases, cond add, gate, res */
    other += (2 * s4 + pw_block) * c->num_res_layers;
    other += Bd * L * (2 * C + 3 * S);
    return gemm + other;
}
