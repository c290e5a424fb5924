/* The smallest network the tests build (1 layer of 8 channels, 8 S4 states,
 * 16-wide step embedding): fast enough to train and sample in unit tests. */
#ifndef SSSD_TESTS_TINY_CONFIG_H
#define SSSD_TESTS_TINY_CONFIG_H

#include "sssd.h"

static inline sssd_config tiny_test_config(int L, int T) {
    sssd_config cfg;
    error_info err;
    sssd_config_preset("tiny", L, &cfg, &err);
    cfg.res_channels = cfg.skip_channels = 8;
    cfg.num_res_layers = 1;
    cfg.s4_d_state = 8;
    cfg.emb_in = 16;
    cfg.emb_mid = cfg.emb_out = 16;
    cfg.T = T;
    return cfg;
}

#endif
