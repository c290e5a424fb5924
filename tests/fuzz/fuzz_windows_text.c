/* Fuzz harness: the paper-layout text window reader (also used for masks). */
#include "fuzz_input_file.h"
#include "windows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[256];
    fuzz_input_file(data, size, ".txt", path, sizeof path);
    error_info err;
    window_set ws;
    if (windows_read_text(path, &ws, &err) == 0) window_set_free(&ws);
    unlink(path);
    return 0;
}
