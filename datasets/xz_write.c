/* Writing .xz files with liblzma (see xz_write.h). */
#include "xz_write.h"

#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <string.h>

#include "atomic_file.h"

/* Preset 6 is xz's own default. Preset 9 would need about 674 MiB of memory
 * to compress and gains little on logs of a few megabytes. */
#define XZ_WRITE_PRESET 6

int xz_write_file(const char *path, const void *data, size_t len, error_info *err) {
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_ret ret = lzma_easy_encoder(&strm, XZ_WRITE_PRESET, LZMA_CHECK_CRC64);
    if (ret != LZMA_OK)
        return error_set(err, "%s: cannot start the .xz encoder (%s)", path,
                         ret == LZMA_MEM_ERROR ? "out of memory" : "liblzma refused preset 6");
    atomic_file af;
    if (atomic_file_open(&af, path, err)) {
        lzma_end(&strm);
        return -1;
    }
    uint8_t out[1 << 16];
    strm.next_in = (const uint8_t *)data;
    strm.avail_in = len;
    int write_failed = 0;
    for (;;) {
        strm.next_out = out;
        strm.avail_out = sizeof out;
        ret = lzma_code(&strm, LZMA_FINISH);
        size_t produced = sizeof out - strm.avail_out;
        if (produced && fwrite(out, 1, produced, af.f) != produced) { write_failed = errno ? errno : EIO; break; }
        if (ret != LZMA_OK) break;
    }
    lzma_end(&strm);
    if (write_failed) {
        atomic_file_abort(&af);
        return error_set(err, "%s: write failed: %s (disk full?)", path, strerror(write_failed));
    }
    if (ret != LZMA_STREAM_END) {
        atomic_file_abort(&af);
        return error_set(err, "%s: compression failed (liblzma error %d%s)", path, (int)ret,
                         ret == LZMA_MEM_ERROR ? ", out of memory" : "");
    }
    return atomic_file_commit(&af, err);
}
