/* Fuzz harness: structure validation of checkpoints (model/checkpoint.h):
 * reading the configuration alone, and building a model from the file on the
 * CPU backend. Any damage must be a message, never a crash or a huge
 * allocation. */
#include "checkpoint.h"
#include "fuzz_input_file.h"
#include "h5_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    h5_probe_set_enabled(0); /* a crash must happen here, where the fuzzer sees it */
    static backend *be;
    if (!be) be = backend_cpu_create(1);
    char path[256];
    fuzz_input_file(data, size, ".ckpt", path, sizeof path);
    error_info err;
    sssd_config cfg;
    (void)checkpoint_read_config(path, &cfg, &err);
    checkpoint_meta meta;
    checkpoint_meta_init(&meta);
    sssd_model *m = checkpoint_load(path, be, 1, &meta, &err);
    if (m) sssd_model_free(m);
    checkpoint_meta_free(&meta);
    unlink(path);
    return 0;
}
