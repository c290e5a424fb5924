/* Reading JSON documents (see json_read.h). */
#include "json_read.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Larger than any configuration or training state: a bigger file is a mistake. */
#define JSON_READ_MAX_BYTES ((size_t)64 << 20)

/* A key given twice is refused: with jansson's default the last one would
 * silently win, and in a configuration file that hides a typing mistake. */
#define JSON_READ_FLAGS JSON_REJECT_DUPLICATES

static json_t *failed(const char *what, const json_error_t *e, error_info *err) {
    error_set(err, "%s:%d:%d: %s", what, e->line, e->column, e->text);
    return NULL;
}

json_t *json_read_text(const char *text, const char *what, error_info *err) {
    json_error_t e;
    json_t *v = json_loads(text, JSON_READ_FLAGS, &e);
    return v ? v : failed(what, &e, err);
}

json_t *json_read_file(const char *path, error_info *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        error_set(err, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        error_set(err, "%s: a directory, not a JSON file", path);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (size_t)st.st_size > JSON_READ_MAX_BYTES) {
        error_set(err, "%s: larger than %zu MiB; not a configuration file", path, JSON_READ_MAX_BYTES >> 20);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set(err, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    json_error_t e;
    json_t *v = json_loadf(f, JSON_READ_FLAGS, &e);
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        json_decref(v);
        error_set(err, "%s: cannot read", path);
        return NULL;
    }
    return v ? v : failed(path, &e, err);
}

const char *json_kind_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}
