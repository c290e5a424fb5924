/* Further checkpoints whose networks join the first's when generating
 * (`generate --ensemble FILE`): loaded on the first's backend, checked to
 * model the same events the same way, each with its own diffusion context
 * for diffusion_sample_options.ensemble. */
#ifndef SSSD_GENERATE_GEN_ENSEMBLE_H
#define SSSD_GENERATE_GEN_ENSEMBLE_H

#include "checkpoint.h"
#include "diffusion.h"
#include "error.h"

#define GEN_ENSEMBLE_MAX 8

typedef struct gen_ensemble {
    int count;
    sssd_model *models[GEN_ENSEMBLE_MAX];
    diffusion_context *contexts[GEN_ENSEMBLE_MAX];
} gen_ensemble;

/* From train's options kept in a checkpoint: the weight of the n-gram expert
 * its network was trained beside (`train --ngram-prior W`; 0 for a network
 * trained alone or a checkpoint from before the option) and whether it takes
 * the n-gram's probabilities as input (`train --ngram-input on`). */
void gen_trained_ngram(const checkpoint_meta *meta, double *weight, int *input);

/* Loads count checkpoints (at most GEN_ENSEMBLE_MAX) for batches of up to
 * max_batch windows on be. Each must use the masked encoding with the first
 * checkpoint's configuration of window, T and vocabulary (the same event
 * names where both have them), and have been trained with the n-gram as the
 * first was (first_meta). Nonzero with err set (naming the file) otherwise;
 * nothing stays loaded then. */
int gen_ensemble_load(gen_ensemble *e, const char *const *paths, int count, backend *be, int max_batch,
                      const sssd_config *first_cfg, const checkpoint_meta *first_meta, error_info *err);

/* Points opt at the ensemble's contexts (none when count is 0). */
void gen_ensemble_attach(gen_ensemble *e, diffusion_sample_options *opt);

void gen_ensemble_free(gen_ensemble *e);

#endif
