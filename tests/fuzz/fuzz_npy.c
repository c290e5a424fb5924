/* Fuzz harness: the project's .npy reader and the window view of it. */
#include "fuzz_input_file.h"
#include "npy.h"
#include "windows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[256];
    fuzz_input_file(data, size, ".npy", path, sizeof path);
    error_info err;
    npy_array a;
    if (npy_read(path, &a, &err) == 0) npy_free(&a);
    window_set ws;
    if (windows_read_npy(path, &ws, &err) == 0) window_set_free(&ws);
    unlink(path);
    return 0;
}
