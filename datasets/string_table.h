/* A string interner: maps names (syscall names, error names, event names) to
 * dense integer indices 0..n-1, so that parsers store one int per name and never
 * allocate per line. Strings live in one growing arena. */
#ifndef SSSD_DATASETS_STRING_TABLE_H
#define SSSD_DATASETS_STRING_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct string_table {
    char *arena;            /* NUL-terminated strings back to back */
    size_t arena_used, arena_cap;
    uint32_t *offsets;      /* (count) start of each string in the arena */
    uint32_t *lengths;      /* (count) */
    int32_t count, cap;
    int32_t *slots;         /* open addressing: index+1, 0 = empty */
    uint32_t *slot_hash;    /* hash of the string in each slot */
    uint32_t slot_mask;
} string_table;

void string_table_init(string_table *t);
void string_table_free(string_table *t);
/* Index of the string (s, len), adding it when new. */
int32_t string_table_intern(string_table *t, const char *s, size_t len);
/* Index of the string, or -1 when absent. */
int32_t string_table_find(const string_table *t, const char *s, size_t len);
/* The string behind an index (valid until the next intern). */
static inline const char *string_table_get(const string_table *t, int32_t i) { return t->arena + t->offsets[i]; }

#endif
