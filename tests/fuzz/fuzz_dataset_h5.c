/* Fuzz harness: structure validation of the dataset .h5 loader. */
#include "dataset_h5.h"
#include "fuzz_input_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[256];
    fuzz_input_file(data, size, ".h5", path, sizeof path);
    error_info err;
    dataset ds;
    if (dataset_h5_read(path, &ds, &err) == 0) dataset_free(&ds);
    unlink(path);
    return 0;
}
