/* String interner with open addressing (see string_table.h). */
#include "string_table.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_bytes(const char *s, size_t len) {
    uint32_t h = 2166136261u; /* FNV-1a: names are short, this is fast enough */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

void string_table_init(string_table *t) {
    memset(t, 0, sizeof *t);
    t->arena_cap = 4096;
    t->arena = xmalloc(t->arena_cap);
    t->cap = 64;
    t->offsets = xmalloc((size_t)t->cap * sizeof *t->offsets);
    t->lengths = xmalloc((size_t)t->cap * sizeof *t->lengths);
    t->slot_mask = 255;
    t->slots = xcalloc(t->slot_mask + 1, sizeof *t->slots);
    t->slot_hash = xcalloc(t->slot_mask + 1, sizeof *t->slot_hash);
}

void string_table_free(string_table *t) {
    free(t->arena);
    free(t->offsets);
    free(t->lengths);
    free(t->slots);
    free(t->slot_hash);
    memset(t, 0, sizeof *t);
}

static int32_t lookup(const string_table *t, const char *s, size_t len, uint32_t h, uint32_t *slot_out) {
    uint32_t i = h & t->slot_mask;
    for (;;) {
        int32_t v = t->slots[i];
        if (v == 0) {
            *slot_out = i;
            return -1;
        }
        int32_t k = v - 1;
        if (t->slot_hash[i] == h && t->lengths[k] == len && memcmp(t->arena + t->offsets[k], s, len) == 0) return k;
        i = (i + 1) & t->slot_mask;
    }
}

int32_t string_table_find(const string_table *t, const char *s, size_t len) {
    uint32_t slot;
    return lookup(t, s, len, hash_bytes(s, len), &slot);
}

static void grow_slots(string_table *t) {
    uint32_t new_mask = t->slot_mask * 2 + 1;
    int32_t *slots = xcalloc((size_t)new_mask + 1, sizeof *slots);
    uint32_t *hashes = xcalloc((size_t)new_mask + 1, sizeof *hashes);
    for (uint32_t i = 0; i <= t->slot_mask; i++) {
        if (!t->slots[i]) continue;
        uint32_t j = t->slot_hash[i] & new_mask;
        while (slots[j]) j = (j + 1) & new_mask;
        slots[j] = t->slots[i];
        hashes[j] = t->slot_hash[i];
    }
    free(t->slots);
    free(t->slot_hash);
    t->slots = slots;
    t->slot_hash = hashes;
    t->slot_mask = new_mask;
}

int32_t string_table_intern(string_table *t, const char *s, size_t len) {
    uint32_t h = hash_bytes(s, len), slot;
    int32_t k = lookup(t, s, len, h, &slot);
    if (k >= 0) return k;
    if (len > 0xFFFFFFF0u) die("string of %zu bytes is too long to intern", len);
    if (t->count == t->cap) {
        t->cap *= 2;
        t->offsets = xrealloc(t->offsets, (size_t)t->cap * sizeof *t->offsets);
        t->lengths = xrealloc(t->lengths, (size_t)t->cap * sizeof *t->lengths);
    }
    if (t->arena_used + len + 1 > t->arena_cap) {
        while (t->arena_used + len + 1 > t->arena_cap) t->arena_cap *= 2;
        t->arena = xrealloc(t->arena, t->arena_cap);
    }
    if (t->arena_used + len + 1 > 0xFFFFFFFFu) die("string table exceeds 4 GiB");
    memcpy(t->arena + t->arena_used, s, len);
    t->arena[t->arena_used + len] = 0;
    k = t->count++;
    t->offsets[k] = (uint32_t)t->arena_used;
    t->lengths[k] = (uint32_t)len;
    t->arena_used += len + 1;
    t->slots[slot] = k + 1;
    t->slot_hash[slot] = h;
    if ((uint32_t)t->count * 2 > t->slot_mask) grow_slots(t);
    return k;
}
