/* Fuzz harness: the JSON reader behind `train --config` (our layout and
 * SSSD's config_SSSDS4.json) and the training state stored in checkpoints:
 * whole documents from a file, and from a string, then every lookup a
 * configuration reader makes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_input_file.h"
#include "json.h"

/* Walk the tree as configuration readers do: member lookups at every level. */
static void walk(const json_value *v, int depth) {
    if (depth > 64) return;
    (void)json_type_name(v->type);
    if (v->type == JSON_OBJECT) {
        (void)json_get(v, "model");
        (void)json_get(v, "train_config");
        for (int i = 0; i < v->count; i++) {
            if (json_get(v, v->keys[i]) == NULL) abort(); /* a key present must be found */
            walk(&v->items[i], depth + 1);
        }
    } else if (v->type == JSON_ARRAY) {
        for (int i = 0; i < v->count; i++) walk(&v->items[i], depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[256];
    fuzz_input_file(data, size, ".json", path, sizeof path);
    error_info err;
    json_value v;
    if (json_parse_file(path, &v, &err) == 0) {
        walk(&v, 0);
        json_free(&v);
    }
    unlink(path);
    /* The string entry point (checkpoint state): text up to the first NUL. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    if (json_parse(text, "fuzz", &v, &err) == 0) {
        walk(&v, 0);
        char out[256];
        if (v.type == JSON_STRING) json_write_string(out, sizeof out, v.string);
        json_free(&v);
    }
    free(text);
    return 0;
}
