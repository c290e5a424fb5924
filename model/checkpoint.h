/* Checkpoints in HDF5: one dataset per tensor named by SSSD's PyTorch
 * state_dict key with '.' replaced by '/', in PyTorch's shapes and layouts
 * (frozen S4 buffers included), so weights move between this project and the
 * PyTorch code with a few lines of h5py. Attributes hold the format version,
 * configuration, training step, RNG state and the facts of the dataset the
 * model was trained on; the group /vocab holds its vocabulary and /optimizer
 * Adam's moments (and, when the model's tensors are a moving average of the
 * weights, the trained weights themselves). Written to a temporary file and
 * renamed. */
#ifndef SSSD_MODEL_CHECKPOINT_H
#define SSSD_MODEL_CHECKPOINT_H

#include <stdint.h>

#include "dataset_h5.h"
#include "sssd.h"

#define CHECKPOINT_FORMAT_NAME "sssd-traces-checkpoint"
#define CHECKPOINT_FORMAT_VERSION 1

typedef struct checkpoint_meta {
    long long step;            /* training iterations completed */
    uint64_t seed;             /* the run's seed */
    uint64_t rng_offset;       /* position in the counter-based RNG streams */
    double best_metric;        /* best validation figure so far (lower is better) */
    long long best_step;
    vocabulary vocab;          /* size 0 when unknown; owned by the meta */
    /* The dataset the model was trained on. Checkpoints written before a
     * fact was recorded read as unknown ("", "unknown", 0), except the
     * vocabulary size, which a stored vocabulary or the configuration gives. */
    char dataset[4096];        /* its source: a shipped dataset's name or an absolute path */
    char events[32];           /* its event kind: "call", "entry-exit" or "unknown" */
    int vocab_size;            /* its vocabulary size V (IDs 1..V); 0 when unknown */
    char task[128];            /* training mask, e.g. "mid:10" */
    char extra_json[8192];     /* the training tool's own state (options, loader position) as JSON */
} checkpoint_meta;

void checkpoint_meta_init(checkpoint_meta *meta);
void checkpoint_meta_free(checkpoint_meta *meta);

/* Save model (parameters + buffers) and, with_optimizer, Adam moments. */
int checkpoint_save(const char *path, sssd_model *m, const checkpoint_meta *meta, int with_optimizer,
                    error_info *err);

/* As checkpoint_save, but the model's tensors are `average` (an array on the
 * model's backend, in the layout of its parameters): the weights to use, a
 * moving average of the trained ones. With the optimizer, the trained
 * weights themselves go to /optimizer/weights, for resuming. NULL: as
 * checkpoint_save. */
int checkpoint_save_averaged(const char *path, sssd_model *m, const checkpoint_meta *meta, int with_optimizer,
                             const real_t *average, error_info *err);

/* Read only the configuration (to build a model of the right shape). */
int checkpoint_read_config(const char *path, sssd_config *cfg, error_info *err);
/* The configuration and the metadata attributes (step, dataset facts,
 * task...; not the vocabulary's names), without the tensors. meta is
 * initialised here. */
int checkpoint_read_config_meta(const char *path, sssd_config *cfg, checkpoint_meta *meta, error_info *err);

/* Build a model on `be` from a checkpoint, validating every name, shape and
 * type; loads Adam moments when present. Returns NULL with a message that
 * says exactly what does not match. */
sssd_model *checkpoint_load(const char *path, backend *be, int max_batch, checkpoint_meta *meta, error_info *err);

/* The same as a forward-only model (sssd_model_create_inference), for
 * generating: the optimizer's moments, if any, are not read. */
sssd_model *checkpoint_load_inference(const char *path, backend *be, int max_batch, checkpoint_meta *meta,
                                      error_info *err);

/* The trained weights a checkpoint keeps beside their moving average
 * (/optimizer/weights), into `dst` on m's backend (the layout of m's
 * parameters). 1: read; 0: the checkpoint has none (its tensors are the
 * trained weights); -1: an error, said in err. */
int checkpoint_load_trained_weights(const char *path, sssd_model *m, real_t *dst, error_info *err);

/* The trial read of h5-trial-read-checkpoint (io/h5_probe.h): everything the
 * loader reads, without building a model; 0 when it all reads. */
int checkpoint_trial_read(const char *path);

#endif
