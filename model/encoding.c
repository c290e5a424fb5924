/* Event encodings: names, channel counts and the analog-bits code (see encoding.h). */
#include "encoding.h"

#include <string.h>

static const char *const names[ENCODING_COUNT] = {"id", "bits", "masked"};

const char *encoding_name(int encoding) {
    return encoding >= 0 && encoding < ENCODING_COUNT ? names[encoding] : NULL;
}

int encoding_parse(const char *text, event_encoding *out, error_info *err) {
    for (int i = 0; i < ENCODING_COUNT; i++)
        if (!strcmp(text, names[i])) {
            *out = (event_encoding)i;
            return 0;
        }
    return error_set(err, "unknown encoding '%s' (expected masked, bits or id)", text);
}

int encoding_bits(int vocab_size) {
    int b = 1;
    while (b < 31 && (1L << b) < vocab_size) b++;
    return b;
}

void encoding_channels(int encoding, int vocab_size, int *in_channels, int *out_channels) {
    switch (encoding) {
    case ENCODING_BITS: *in_channels = *out_channels = encoding_bits(vocab_size); break;
    case ENCODING_MASKED:
        *in_channels = vocab_size + 1;
        *out_channels = vocab_size;
        break;
    default: *in_channels = *out_channels = 1; break;
    }
}

void encoding_bits_encode(int32_t id, int bits, float *out, long stride) {
    uint32_t code = id >= 1 ? (uint32_t)(id - 1) : 0u;
    for (int i = 0; i < bits; i++) out[i * stride] = (code >> i) & 1u ? 1.0f : -1.0f;
}

int32_t encoding_bits_decode(const float *v, long stride, int bits, int vocab_size) {
    /* |v - c|^2 = |v|^2 + bits - 2 v.c, so the nearest code maximises v.c;
     * over all codes that is the thresholded one. */
    uint32_t code = 0;
    for (int i = 0; i < bits; i++)
        if (v[i * stride] > 0.0f) code |= 1u << i;
    if ((long)code < (long)vocab_size) return (int32_t)code + 1;
    /* The thresholded code names no event (V is not a power of two): search the valid ones. */
    double best = -1e300;
    int32_t best_id = 1;
    for (int id = 1; id <= vocab_size; id++) {
        uint32_t c = (uint32_t)(id - 1);
        double dot = 0;
        for (int i = 0; i < bits; i++) dot += (c >> i) & 1u ? (double)v[i * stride] : -(double)v[i * stride];
        if (dot > best) {
            best = dot;
            best_id = id;
        }
    }
    return best_id;
}
