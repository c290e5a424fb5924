/* Fuzz harness: structure validation of the dataset .h5 loader, and of the
 * window loader the generate and evaluate tools use on .h5 files ('/windows'
 * arrays, or a dataset's split). */
#include "dataset_h5.h"
#include "fuzz_input_file.h"
#include "h5_probe.h"
#include "window_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    h5_probe_set_enabled(0); /* a crash must happen here, where the fuzzer sees it */
    char path[256];
    fuzz_input_file(data, size, ".h5", path, sizeof path);
    error_info err;
    dataset ds;
    if (dataset_h5_read(path, &ds, &err) == 0) dataset_free(&ds);
    window_set ws;
    if (windows_load(path, "testing", 0, &ws, &err) == 0) window_set_free(&ws);
    unlink(path);
    return 0;
}
