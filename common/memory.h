/* Refusing inputs that cannot fit in memory before reading them: how much
 * memory this process may still use, and a check that turns "would need N
 * bytes" into a message naming the file, instead of an allocation failure
 * (or the kernel's OOM killer) half-way through. */
#ifndef SSSD_COMMON_MEMORY_H
#define SSSD_COMMON_MEMORY_H

#include <stdint.h>
#include "error.h"

/* Bytes this process can still allocate without swapping: MemAvailable from
 * /proc/meminfo (free pages otherwise), lowered by a cgroup v2 memory.max
 * limit when one applies. $SSSD_MEMORY_LIMIT (bytes) lowers it further (for
 * tests and shared machines). */
uint64_t memory_available(void);

/* 0 when `need` bytes fit in memory_available(); otherwise -1 and an error
 * "PATH: WHAT needs about X GiB of memory, only Y GiB is available". */
int memory_check(const char *path, const char *what, double need, error_info *err);

/* "1.5 GiB", "320 MiB", "12 KiB" into buf. */
const char *memory_format(double bytes, char *buf, int size);

#endif
