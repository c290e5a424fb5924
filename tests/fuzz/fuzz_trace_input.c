/* Fuzz harness: every reader behind `dataset build --from` (auto-detection,
 * integer sequences "ids", "PID SYSCALL" lines "pid-ids", the paper's text
 * windows and .npy windows) followed by the dataset build itself. The first
 * byte picks the format, the event mode and the window length and stride, so
 * one corpus reaches every reader. */
#include "dataset_build.h"
#include "fuzz_input_file.h"
#include "trace_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const input_format formats[8] = {INPUT_AUTO, INPUT_IDS, INPUT_PID_IDS, INPUT_PAPER,
                                            INPUT_NPY,  INPUT_IDS, INPUT_PID_IDS, INPUT_AUTO};
    uint8_t ctl = data[0];
    input_format format = formats[ctl & 7];
    event_mode events = (ctl & 8) ? EVENTS_ENTRY_EXIT : EVENTS_CALL;
    char path[256];
    /* Readers pick the paper split from the file name ("testing" holds test windows). */
    const char *suffix = format == INPUT_NPY ? ".npy" : (ctl & 16) ? "-testing" : "-training";
    fuzz_input_file(data + 1, size - 1, suffix, path, sizeof path);
    trace_set ts;
    trace_set_init(&ts, events, 0);
    input_report rep;
    error_info err;
    if (trace_set_add(&ts, path, format, &rep, &err) == 0) {
        build_options opt = {1 + ((ctl >> 5) & 3) * 3, 1 + (ctl >> 7), (ctl & 16) ? SPLIT_WINDOW : SPLIT_RUN, 0.25};
        if (ts.windowed) opt.length = 0; /* windows keep their own length */
        dataset ds;
        if (dataset_build(&ts, &opt, "fuzz", "fuzz", &ds, &err) == 0) {
            dataset_stats st;
            dataset_compute_stats(&ds, &st);
            dataset_free(&ds);
        }
    }
    trace_set_free(&ts);
    unlink(path);
    return 0;
}
