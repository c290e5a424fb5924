/* Reading JSON documents with libjansson: configuration files (ours and
 * SSSD's config_SSSDS4.json), the training state kept in checkpoints and the
 * training log. Errors name the source, line and column. */
#ifndef SSSD_COMMON_JSON_READ_H
#define SSSD_COMMON_JSON_READ_H

#include <jansson.h>

#include "error.h"

/* One whole document (an object or an array; trailing blanks allowed; a key
 * given twice in one object is an error). NULL with "WHAT:LINE:COLUMN: what
 * is wrong" in err. The caller releases the result with json_decref. */
json_t *json_read_text(const char *text, const char *what, error_info *err);
/* The same from a file: messages name the file; refuses files over 64 MiB. */
json_t *json_read_file(const char *path, error_info *err);

/* "an object", "a number", ... for messages. */
const char *json_kind_name(const json_t *v);

#endif
