/* Fuzz harness helper: the readers under test take paths, so each input is
 * written to a private temporary file first. */
#ifndef SSSD_TESTS_FUZZ_INPUT_FILE_H
#define SSSD_TESTS_FUZZ_INPUT_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes data to a per-process temporary file with the given suffix (readers
 * choose their format by name) and returns its path in buf. */
static inline const char *fuzz_input_file(const uint8_t *data, size_t size, const char *suffix, char *buf,
                                          size_t buf_size) {
    const char *dir = getenv("TMPDIR");
    snprintf(buf, buf_size, "%s/sssd-fuzz-%ld%s", dir ? dir : "/tmp", (long)getpid(), suffix);
    FILE *f = fopen(buf, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return buf;
}

#endif
