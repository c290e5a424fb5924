/* How event IDs become the network's input and output channels. System-call
 * IDs are categories; SSSD feeds them as one raw float channel ("id") and
 * rounds, which pulls rare events towards their frequent neighbours. Two
 * categorical encodings keep the same S4 residual stack:
 *   bits    analog bits: ID-1 in binary, each bit a channel of -1/+1; the
 *           usual Gaussian diffusion and epsilon loss; decoded to the valid
 *           ID whose code is nearest.
 *   masked  masked discrete diffusion: the input is a one-hot of V+1 symbols
 *           (the V events and [MASK]), the output V logits trained with
 *           cross-entropy on the masked positions; sampling unmasks a gap in
 *           at most as many passes as it has events.
 * The choice is part of the model's configuration (and so of checkpoints). */
#ifndef SSSD_MODEL_ENCODING_H
#define SSSD_MODEL_ENCODING_H

#include <stdint.h>

#include "error.h"

typedef enum event_encoding { ENCODING_ID = 0, ENCODING_BITS = 1, ENCODING_MASKED = 2 } event_encoding;

#define ENCODING_COUNT 3
/* Largest vocabulary the categorical encodings accept: the masked encoding
 * has V+1 input channels, so this bounds the first layers' size. */
#define ENCODING_MAX_VOCAB 4096

/* "id", "bits", "masked"; NULL for an unknown value. */
const char *encoding_name(int encoding);
/* Parse a name; -1 with a message listing the choices. */
int encoding_parse(const char *text, event_encoding *out, error_info *err);

/* Bits needed for IDs 1..V: ceil(log2 V), at least 1. */
int encoding_bits(int vocab_size);

/* The network's input and output channels for an encoding and vocabulary:
 * id 1/1, bits b/b, masked (V+1)/V. */
void encoding_channels(int encoding, int vocab_size, int *in_channels, int *out_channels);

/* Analog bits: write the code of `id` (1..V) as `bits` values of -1/+1,
 * least significant bit first, into out[0], out[stride], ... */
void encoding_bits_encode(int32_t id, int bits, float *out, long stride);
/* The valid ID (1..V) whose -1/+1 code is nearest (squared distance) to the
 * analog values v[0], v[stride], ...; ties go to the smaller ID. Thresholding
 * at 0 gives the same answer whenever the thresholded code is a valid ID. */
int32_t encoding_bits_decode(const float *v, long stride, int bits, int vocab_size);

#endif
