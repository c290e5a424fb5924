/* A tiny checkpoint with random (non-zero) weights for the generate tests:
 * windows of `length` events, vocabulary "ev1".."evV", the given training
 * task and event kind ("entry-exit", "call"), events encoded as `encoding`.
 * `scale` is the spread of the noise added to the initial weights: 0.05
 * keeps the model close to its initialisation, about 1 makes its most
 * probable event depend strongly on the context. */
#ifndef SSSD_TESTS_GENERATE_RANDOM_CHECKPOINT_H
#define SSSD_TESTS_GENERATE_RANDOM_CHECKPOINT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "encoding.h"
#include "philox.h"
#include "tiny_config.h"

static inline void make_random_checkpoint(const char *path, int encoding, int length, int vocab_size, const char *task,
                                          const char *events, double scale) {
    sssd_config cfg = tiny_test_config(length, 20);
    error_info err;
    sssd_config_set_encoding(&cfg, encoding, vocab_size);
    backend *be = backend_cpu_create(1);
    sssd_model *m = sssd_model_create(&cfg, be, 1, 3);
    long long n = sssd_model_num_params(m);
    real_t *p = malloc(sizeof(real_t) * (size_t)n);
    be->ops->download(be, p, sssd_model_params(m), sizeof(real_t) * (size_t)n);
    for (long long i = 0; i < n; i++) p[i] += (real_t)(scale * philox_normal(4, 4, (uint64_t)i));
    be->ops->upload(be, sssd_model_params(m), p, sizeof(real_t) * (size_t)n);
    free(p);
    sssd_model_parameters_changed(m);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    meta.step = 1;
    meta.vocab.size = vocab_size;
    meta.vocab.names = calloc((size_t)vocab_size + 1, sizeof(char *));
    meta.vocab.counts = calloc((size_t)vocab_size + 1, sizeof(int64_t));
    for (int i = 0; i < vocab_size; i++) {
        char name[16];
        snprintf(name, sizeof name, "ev%d", i + 1);
        meta.vocab.names[i] = strdup(name);
        meta.vocab.counts[i] = 10 - i;
    }
    snprintf(meta.task, sizeof meta.task, "%s", task);
    snprintf(meta.events, sizeof meta.events, "%s", events);
    meta.vocab_size = vocab_size;
    if (checkpoint_save(path, m, &meta, 0, &err)) {
        fprintf(stderr, "checkpoint_save: %s\n", err.message);
        exit(2);
    }
    checkpoint_meta_free(&meta);
    sssd_model_free(m);
    backend_free(be);
}

#endif
