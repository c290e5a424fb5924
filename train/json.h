/* A small JSON reader for configuration files (ours and SSSD's
 * config_SSSDS4.json), the training state kept in checkpoints and the
 * training log. Whole documents into a tree; errors name line and column. */
#ifndef SSSD_TRAIN_JSON_H
#define SSSD_TRAIN_JSON_H

#include <stddef.h>

#include "error.h"

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    int boolean;
    double number;
    char *string;               /* JSON_STRING (UTF-8, escapes decoded) */
    int count;                  /* JSON_ARRAY / JSON_OBJECT */
    char **keys;                /* JSON_OBJECT: (count) */
    struct json_value *items;   /* (count) */
} json_value;

/* Parse one document (trailing blanks allowed). `what` names the source in errors. */
int json_parse(const char *text, const char *what, json_value *out, error_info *err);
int json_parse_file(const char *path, json_value *out, error_info *err);
void json_free(json_value *v);

/* Member of an object, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);
const char *json_type_name(json_type t);

/* Append `s` to buf as a JSON string literal (quotes and escapes). */
void json_write_string(char *buf, size_t size, const char *s);

#endif
