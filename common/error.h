/* Error reporting shared by every tool: a message buffer for recoverable errors
 * (parsers return -1 and fill it, so tests can read the message) and fatal
 * helpers for the command-line tools. */
#ifndef SSSD_COMMON_ERROR_H
#define SSSD_COMMON_ERROR_H

#include <stddef.h>

typedef struct error_info {
    char message[1024];
} error_info;

/* Fill err (may be NULL) with a printf-style message; always returns -1 so a
 * caller can write `return error_set(err, "...")`. */
int error_set(error_info *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The name tools print before fatal messages ("dataset: ..."). */
void error_set_program_name(const char *name);
const char *error_program_name(void);

/* Print "program: message" to stderr and exit(1). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Allocation that never returns NULL: on failure it exits naming the size. */
void *xmalloc(size_t bytes);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t bytes);
char *xstrdup(const char *s);

#endif
