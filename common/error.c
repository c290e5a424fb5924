/* Implementation of the shared error and allocation helpers (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program_name = "sssd";

int error_set(error_info *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void error_set_program_name(const char *name) {
    const char *slash = strrchr(name, '/');
    program_name = slash ? slash + 1 : name;
}

const char *error_program_name(void) { return program_name; }

void die(const char *fmt, ...) {
    /* One write for the whole line, so that the messages of several
     * processes sharing a terminal (mpirun) do not interleave. */
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0) text = NULL;
    va_end(ap);
    if (text) fprintf(stderr, "%s: %s\n", program_name, text);
    else fprintf(stderr, "%s: (out of memory formatting a message: %s)\n", program_name, fmt);
    free(text);
    exit(1);
}

void *xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) die("out of memory allocating %zu bytes", bytes);
    return p;
}

void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die("out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *xrealloc(void *ptr, size_t bytes) {
    void *p = realloc(ptr, bytes ? bytes : 1);
    if (!p) die("out of memory reallocating to %zu bytes", bytes);
    return p;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}
