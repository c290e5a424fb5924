/* Available-memory checks for input readers (see memory.h). */
#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t meminfo_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                fclose(f);
                return (uint64_t)kb * 1024;
            }
        fclose(f);
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
}

/* cgroup v2: what is left under memory.max for this process's group. */
static uint64_t cgroup_available(void) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return UINT64_MAX;
    char line[4096], group[4096] = "";
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(group, sizeof group, "%s", line + 3);
            group[strcspn(group, "\n")] = 0;
        }
    fclose(f);
    if (!group[0]) return UINT64_MAX;
    char path[4200];
    unsigned long long max = 0, cur = 0;
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", strcmp(group, "/") ? group : "");
    f = fopen(path, "r");
    if (!f) return UINT64_MAX;
    int ok = fscanf(f, "%llu", &max) == 1; /* "max" (no limit) does not scan */
    fclose(f);
    if (!ok) return UINT64_MAX;
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.current", strcmp(group, "/") ? group : "");
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%llu", &cur) != 1) cur = 0;
        fclose(f);
    }
    return cur < max ? (uint64_t)(max - cur) : 0;
}

uint64_t memory_available(void) {
    uint64_t a = meminfo_available(), c = cgroup_available();
    if (c < a) a = c;
    const char *env = getenv("SSSD_MEMORY_LIMIT");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (end != env && *end == 0 && v < a) a = v;
    }
    return a;
}

const char *memory_format(double bytes, char *buf, int size) {
    static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, (size_t)size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

int memory_check(const char *path, const char *what, double need, error_info *err) {
    uint64_t avail = memory_available();
    if (need <= (double)avail) return 0;
    char a[32], b[32];
    return error_set(err, "%s: %s needs about %s of memory, but only %s is available (refused up front)",
                     path, what, memory_format(need, a, sizeof a), memory_format((double)avail, b, sizeof b));
}
