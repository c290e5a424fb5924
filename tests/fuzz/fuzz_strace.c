/* Fuzz harness: the strace log parser, through the same entry points the
 * dataset tool uses (trace_set_add on a file, in both event modes, with and
 * without signal events) and through the incremental parser fed in two parts,
 * which must agree with one whole-buffer parse. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_input_file.h"
#include "strace_parse.h"
#include "trace_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    (void)strace_looks_like(text, size);

    /* One pass over the whole buffer, then the same log cut at a line end:
     * strace_parse promises that parts ending at line ends parse the same. */
    strace_log whole;
    strace_log_init(&whole, 0);
    strace_parse(&whole, text, size);
    strace_finish(&whole);
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    const char *nl = cut < size ? memchr(text + cut, '\n', size - cut) : NULL;
    if (nl) {
        size_t first = (size_t)(nl - text) + 1;
        strace_log parts;
        strace_log_init(&parts, 0);
        strace_parse(&parts, text, first);
        strace_parse(&parts, text + first, size - first);
        strace_finish(&parts);
        if (parts.count != whole.count || parts.calls != whole.calls || parts.unparsed != whole.unparsed) abort();
        strace_log_free(&parts);
    }
    strace_log_free(&whole);

    /* The tool's path: a -ff style file name gives the default pid. */
    char path[256];
    fuzz_input_file(data, size, ".strace.4242", path, sizeof path);
    for (int mode = 0; mode < 2; mode++) {
        trace_set ts;
        trace_set_init(&ts, mode ? EVENTS_ENTRY_EXIT : EVENTS_CALL, mode);
        input_report rep;
        error_info err;
        (void)trace_set_add(&ts, path, INPUT_STRACE, &rep, &err);
        trace_set_free(&ts);
    }
    unlink(path);
    return 0;
}
