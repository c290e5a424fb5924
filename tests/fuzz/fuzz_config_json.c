/* Fuzz harness: JSON reading as `train --config` (our layout and SSSD's
 * config_SSSDS4.json), the training state stored in checkpoints and the
 * training log read it (common/json_read.h): whole documents from a file and
 * from a string, every lookup a configuration reader makes, and the written
 * form read back. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_input_file.h"
#include "json_out.h"
#include "json_read.h"

/* Walk the tree as configuration readers do: member lookups at every level. */
static void walk(json_t *v, int depth) {
    if (depth > 64) return;
    (void)json_kind_name(v);
    if (json_is_object(v)) {
        json_t *model = json_object_get(v, "model"), *train = json_object_get(v, "train_config");
        if ((model && !json_object_size(v)) || (train && !json_object_size(v))) abort();
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) {
            if (json_object_get(v, key) != item) abort(); /* a key present must be found */
            walk(item, depth + 1);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) walk(json_array_get(v, i), depth + 1);
    } else if (json_is_number(v)) {
        json_decref(json_number_of(json_number_value(v)));
    }
}

/* What the tools write reads back as the same document. */
static void round_trip(json_t *v) {
    char *text = json_text(v, JSON_OUT_COMPACT(17), "fuzz");
    error_info err;
    json_t *back = json_read_text(text, "fuzz", &err);
    if (!back || !json_equal(v, back)) abort();
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[256];
    fuzz_input_file(data, size, ".json", path, sizeof path);
    error_info err;
    json_t *v = json_read_file(path, &err);
    if (v) {
        walk(v, 0);
        round_trip(v);
        json_decref(v);
    }
    unlink(path);
    /* The string entry point (checkpoint state, log lines): text up to the first NUL. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    v = json_read_text(text, "fuzz", &err);
    if (v) {
        walk(v, 0);
        json_decref(v);
    }
    /* Any bytes as a string value come out as valid JSON (in an array: a
     * document is an object or an array). */
    json_t *s = json_pack("[o]", json_string_of(text));
    round_trip(s);
    json_decref(s);
    free(text);
    return 0;
}
