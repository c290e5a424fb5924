/* Write-then-rename output files (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int atomic_tmp_name(const char *path, char *tmp, size_t tmp_size, error_info *err) {
    int n = snprintf(tmp, tmp_size, "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= tmp_size) return error_set(err, "%s: path too long", path);
    return 0;
}

int atomic_publish(const char *tmp, const char *path, error_info *err) {
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return error_set(err, "%s: cannot write (rename from temporary failed: %s)", path, strerror(e));
    }
    return 0;
}

int atomic_file_open(atomic_file *af, const char *path, error_info *err) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->final_path) return error_set(err, "%s: path too long", path);
    strcpy(af->final_path, path);
    if (atomic_tmp_name(path, af->tmp_path, sizeof af->tmp_path, err)) return -1;
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f)
        return error_set(err, "%s: cannot open for writing: %s (is the directory writable?)", path,
                         strerror(errno));
    return 0;
}

int atomic_file_commit(atomic_file *af, error_info *err) {
    if (!af->f) return error_set(err, "%s: file was not open", af->final_path);
    int bad = ferror(af->f);
    if (fflush(af->f) != 0) bad = 1;
    int e = errno;
    if (!bad && fsync(fileno(af->f)) != 0) { bad = 1; e = errno; }
    if (fclose(af->f) != 0 && !bad) { bad = 1; e = errno; }
    af->f = NULL;
    if (bad) {
        unlink(af->tmp_path);
        return error_set(err, "%s: write failed: %s (disk full?)", af->final_path, strerror(e));
    }
    if (rename(af->tmp_path, af->final_path) != 0) {
        e = errno;
        unlink(af->tmp_path);
        return error_set(err, "%s: cannot write: %s", af->final_path, strerror(e));
    }
    return 0;
}

void atomic_file_abort(atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp_path[0]) unlink(af->tmp_path);
}
