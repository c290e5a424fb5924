/* The SSSD-S4 denoising network (model/README.md): configuration,
 * parameters in flat buffers (llm.c style), forward and backward on any
 * backend (kernels/backend.h). Training and sampling loops live elsewhere
 * (model/diffusion.h); checkpoints in model/checkpoint.h. */
#ifndef SSSD_MODEL_SSSD_H
#define SSSD_MODEL_SSSD_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "error.h"
#include "sssd_config_fields.h"

/* The configuration: the fields of sssd_config_fields.h, in its order. */
#define SSSD_CONFIG_MEMBER(type, name, since, setting, sssd_key) SSSD_CONFIG_CTYPE_##type name;
typedef struct sssd_config {
    SSSD_CONFIG_FIELDS(SSSD_CONFIG_MEMBER)
} sssd_config;
#undef SSSD_CONFIG_MEMBER

/* The table of fields: `count` of them, in order. */
const sssd_config_field *sssd_config_fields(int *count);
/* The field of that name (ours, or SSSD's when `sssd_names`); NULL if none. */
const sssd_config_field *sssd_config_field_named(const char *name, int sssd_names);
/* A field's value as a double (ints convert exactly), and set from one (an int
 * field takes a whole number within the range of int). */
double sssd_config_get(const sssd_config *cfg, const sssd_config_field *f);
void sssd_config_set(sssd_config *cfg, const sssd_config_field *f, double value);

/* Paper values (36 x 256, N 64, T 200, ...). */
void sssd_config_default(sssd_config *cfg);
/* Presets: "tiny", "small" (128 channels x 4 layers), "paper". Returns -1 on
 * an unknown name. `length` sets s4_lmax. */
int sssd_config_preset(const char *name, int length, sssd_config *cfg, error_info *err);
/* Choose how events are encoded (model/encoding.h) for a vocabulary of V
 * events: sets encoding, vocab_size and the input/output channels. */
void sssd_config_set_encoding(sssd_config *cfg, int encoding, int vocab_size);
/* Refuse absurd values (zero or negative sizes, odd embedding sizes...). */
int sssd_config_validate(const sssd_config *cfg, error_info *err);

/* One named tensor of the model: its checkpoint name is SSSD's PyTorch
 * state_dict key with '.' replaced by '/', its shape and layout PyTorch's. */
typedef struct sssd_tensor_info {
    char name[160];
    int ndim;
    int shape[4];
    long long count;
    long long offset;   /* in elements, into params (trainable) or buffers (frozen) */
    int trainable;      /* 1: in params/grads/Adam state; 0: frozen buffer */
} sssd_tensor_info;

typedef struct sssd_model sssd_model;

/* Build the model on `be` with room for batches up to max_batch (every
 * activation is allocated here, none inside a step), initialised from `seed`
 * as PyTorch really initialises SSSD: weight-norm convolutions from Conv1d's
 * default init (SSSD's kaiming_normal_ call after weight_norm has no effect,
 * see model/sssd_init.c), Linear layers U(+-1/sqrt(fan_in)), S4 D ~ N(0,1),
 * HiPPO-LegS S4 buffers with length-corrected C, LayerNorm 1/0, zero output
 * layer. Exits with a message on an invalid configuration. */
sssd_model *sssd_model_create(const sssd_config *cfg, backend *be, int max_batch, uint64_t seed);
void sssd_model_free(sssd_model *m);

/* The same model for forward passes only (generate): no gradients, Adam
 * state or backward workspace, and, since nothing is kept for a backward
 * pass, one set of activation buffers that every residual block reuses in
 * turn. Its forward computes exactly what the full model's does;
 * sssd_backward, sssd_zero_grads and sssd_model_arm_dropout refuse it. */
sssd_model *sssd_model_create_inference(const sssd_config *cfg, backend *be, int max_batch, uint64_t seed);
int sssd_model_inference_only(const sssd_model *m);

const sssd_config *sssd_model_config(const sssd_model *m);
backend *sssd_model_backend(const sssd_model *m);
int sssd_model_max_batch(const sssd_model *m);

/* The tensor table, in checkpoint order. */
int sssd_model_tensor_count(const sssd_model *m);
const sssd_tensor_info *sssd_model_tensor(const sssd_model *m, int i);
const sssd_tensor_info *sssd_model_find_tensor(const sssd_model *m, const char *name);

/* Flat buffers (backend memory): trainable parameters, their gradients and
 * Adam moments have num_params elements; frozen S4 buffers num_buffers. */
long long sssd_model_num_params(const sssd_model *m);
long long sssd_model_num_buffers(const sssd_model *m);
real_t *sssd_model_params(sssd_model *m);
real_t *sssd_model_grads(sssd_model *m);
real_t *sssd_model_adam_m(sssd_model *m);
real_t *sssd_model_adam_v(sssd_model *m);
real_t *sssd_model_buffers(sssd_model *m);

/* Call after parameters or buffers were overwritten (checkpoint load, Adam
 * step): drops what was kept from the old weights (see below). */
void sssd_model_parameters_changed(sssd_model *m);

/* Sampling runs the network many times on unchanging weights. While the
 * weights are declared fixed, what depends on them alone - the S4 convolution
 * kernels and the weight-normalised convolution weights - is computed by the
 * first forward and reused by later ones (the same numbers, not recomputed),
 * until sssd_model_parameters_changed or the declaration is withdrawn.
 * Off by default: training changes the weights between forwards. Setting the
 * state it already has changes nothing. */
void sssd_model_set_weights_fixed(sssd_model *m, int fixed);
int sssd_model_weights_fixed(const sssd_model *m);

/* Channel dropout (s4_dropout = p > 0; SSSD's S4Layer applies nn.Dropout2d
 * to each S4 layer's output before the residual sum): the next sssd_forward,
 * and only that one, zeroes each (window, channel) row of every S4 layer's
 * output with probability p and scales the rest by 1/(1-p); its backward
 * follows the same rows. Training arms it before each step's forward;
 * validation and sampling never do, so they see the whole network. Row h of
 * S4 layer j (0 .. 2 num_res_layers - 1, in forward order) of window b is
 * kept when philox_uniform(philox_u32(seed, stream, ((first + b) 2 layers + j) H + h))
 * > p: window b of the call is window first + b of the draw, so a batch
 * split across processes drops as it would in one. Nothing when p is 0. */
void sssd_model_arm_dropout(sssd_model *m, uint64_t seed, uint64_t stream, long long first);

/* eps_hat = net(noisy, cond, t). Backend memory: noisy (B, 1, L),
 * cond (B, 2, L) = [x0*mask, mask], t (B) int32, eps_out (B, 1, L).
 * B <= max_batch. Keeps the activations needed by sssd_backward; the inputs
 * are copied, so the caller may reuse its buffers before calling it. */
void sssd_forward(sssd_model *m, int B, const real_t *noisy, const real_t *cond, const int32_t *t,
                  real_t *eps_out);

/* Accumulate into the gradient buffer d(sum eps_out * d_eps)/d(params) for the
 * last forward. d_eps (B, 1, L) backend memory. */
void sssd_backward(sssd_model *m, const real_t *d_eps);

void sssd_zero_grads(sssd_model *m);

/* Rough bytes a model of this configuration needs at max_batch (parameters,
 * gradients, Adam state, buffers, activations), for refusing up front. */
double sssd_config_memory_estimate(const sssd_config *cfg, int max_batch);
/* The same for a forward-only model (sssd_model_create_inference). */
double sssd_config_memory_estimate_inference(const sssd_config *cfg, int max_batch);

/* Floating-point operations of one forward pass at batch B (for benchmarks). */
double sssd_forward_flops(const sssd_config *cfg, int B);

/* Peak backend memory held by the model in bytes (parameters, gradients,
 * Adam state, activations, workspace). */
size_t sssd_model_memory_bytes(const sssd_model *m);

#endif
