/* The .xz writer of datasets/xz_write.h against the reader of trace_input.h:
 * what is written reads back byte for byte (empty, short and multi-megabyte
 * inputs, the last larger than the writer's output buffer many times over),
 * the file is a real .xz stream, and a failed write leaves nothing behind. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "trace_input.h"
#include "xz_write.h"

static int round_trip(const char *path, const char *data, size_t len) {
    error_info err;
    if (xz_write_file(path, data, len, &err)) {
        fprintf(stderr, "xz_write_file: %s\n", err.message);
        return 0;
    }
    unsigned char magic[6] = {0};
    FILE *f = fopen(path, "rb");
    int is_xz = f && fread(magic, 1, 6, f) == 6 && memcmp(magic, "\xFD" "7zXZ\0", 6) == 0;
    if (f) fclose(f);
    if (!is_xz) return 0;
    char *back = NULL;
    size_t back_len = 0;
    if (read_input_file(path, &back, &back_len, &err)) {
        fprintf(stderr, "read_input_file: %s\n", err.message);
        return 0;
    }
    int same = back_len == len && (len == 0 || memcmp(back, data, len) == 0);
    free(back);
    return same;
}

static int temporaries_in(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    closedir(d);
    return n;
}

int main(void) {
    system("rm -rf xz_work");
    mkdir("xz_work", 0755);
    CHECK(round_trip("xz_work/empty.xz", "", 0));
    const char *line = "1700000000.000001 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3 <0.000010>\n";
    CHECK(round_trip("xz_work/line.xz", line, strlen(line)));
    /* 3 MB of text with little repetition: many encoder output chunks. */
    size_t big = 3u << 20;
    char *text = malloc(big);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < big; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        text[i] = (i % 64 == 63) ? '\n' : (char)('a' + (s >> 59) % 26);
    }
    CHECK(round_trip("xz_work/big.xz", text, big));
    struct stat st;
    CHECK(stat("xz_work/big.xz", &st) == 0 && st.st_size > 0 && (size_t)st.st_size < big);
    /* Rewriting a file replaces it whole. */
    CHECK(round_trip("xz_work/big.xz", line, strlen(line)));
    /* A directory that does not exist: an error naming the path, nothing written. */
    error_info err;
    CHECK(xz_write_file("xz_work/missing/out.xz", text, 100, &err) != 0);
    CHECK_STR_CONTAINS(err.message, "xz_work/missing/out.xz");
    CHECK(temporaries_in("xz_work") == 0);
    free(text);
    system("rm -rf xz_work");
    return test_finish("test_xz_write");
}
