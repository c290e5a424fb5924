/* Recursive-descent JSON reader (see json.h). Depth is limited so that a
 * hostile file cannot exhaust the stack. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct parser {
    const char *s, *p, *what;
    error_info *err;
} parser;

static int fail(parser *ps, const char *msg) {
    int line = 1, col = 1;
    for (const char *q = ps->s; q < ps->p; q++) {
        if (*q == '\n') { line++; col = 1; }
        else col++;
    }
    return error_set(ps->err, "%s:%d:%d: %s", ps->what, line, col, msg);
}

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static int parse_string(parser *ps, char **out) {
    ps->p++; /* opening quote */
    size_t cap = 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        char c = *ps->p;
        if (c == 0 || c == '\n') { free(buf); return fail(ps, "unterminated string"); }
        if (n + 5 >= cap) { cap *= 2; buf = xrealloc(buf, cap); }
        if (c == '"') { ps->p++; break; }
        if ((unsigned char)c < 0x20) { free(buf); return fail(ps, "control character inside a string"); }
        if (c != '\\') { buf[n++] = c; ps->p++; continue; }
        ps->p++;
        c = *ps->p++;
        switch (c) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (hex4(ps->p, &cp)) { free(buf); return fail(ps, "bad \\u escape"); }
            ps->p += 4;
            /* Basic plane only (surrogates are written as they come: configs are ASCII). */
            if (cp < 0x80) buf[n++] = (char)cp;
            else if (cp < 0x800) { buf[n++] = (char)(0xC0 | (cp >> 6)); buf[n++] = (char)(0x80 | (cp & 0x3F)); }
            else {
                buf[n++] = (char)(0xE0 | (cp >> 12));
                buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                buf[n++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: ps->p--; free(buf); return fail(ps, "bad escape in string");
        }
    }
    buf[n] = 0;
    *out = buf;
    return 0;
}

static int parse_value(parser *ps, json_value *v, int depth);

static int parse_container(parser *ps, json_value *v, int depth, int object) {
    if (depth > JSON_MAX_DEPTH) return fail(ps, "nesting too deep");
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    ps->p++;
    int cap = 0;
    skip_ws(ps);
    if (*ps->p == (object ? '}' : ']')) { ps->p++; return 0; }
    for (;;) {
        skip_ws(ps);
        if (v->count == cap) {
            cap = cap ? 2 * cap : 8;
            v->items = xrealloc(v->items, sizeof(json_value) * (size_t)cap);
            if (object) v->keys = xrealloc(v->keys, sizeof(char *) * (size_t)cap);
        }
        json_value *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        if (object) {
            if (*ps->p != '"') return fail(ps, "expected a \"key\"");
            char *key;
            if (parse_string(ps, &key)) return -1;
            v->keys[v->count] = key;
            skip_ws(ps);
            if (*ps->p != ':') { v->count++; return fail(ps, "expected ':' after the key"); }
            ps->p++;
            skip_ws(ps);
        }
        v->count++;
        if (parse_value(ps, item, depth + 1)) return -1;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == (object ? '}' : ']')) { ps->p++; return 0; }
        return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *ps, json_value *v, int depth) {
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{') return parse_container(ps, v, depth, 1);
    if (c == '[') return parse_container(ps, v, depth, 0);
    if (c == '"') { v->type = JSON_STRING; return parse_string(ps, &v->string); }
    if (strncmp(ps->p, "true", 4) == 0) { v->type = JSON_BOOL; v->boolean = 1; ps->p += 4; return 0; }
    if (strncmp(ps->p, "false", 5) == 0) { v->type = JSON_BOOL; ps->p += 5; return 0; }
    if (strncmp(ps->p, "null", 4) == 0) { v->type = JSON_NULL; ps->p += 4; return 0; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        v->type = JSON_NUMBER;
        v->number = strtod(ps->p, &end);
        if (end == ps->p) return fail(ps, "bad number");
        ps->p = end;
        return 0;
    }
    return fail(ps, c ? "unexpected character" : "unexpected end of input");
}

int json_parse(const char *text, const char *what, json_value *out, error_info *err) {
    parser ps = {text, text, what, err};
    memset(out, 0, sizeof *out);
    if (parse_value(&ps, out, 0)) { json_free(out); return -1; }
    skip_ws(&ps);
    if (*ps.p) { json_free(out); return fail(&ps, "unexpected text after the JSON value"); }
    return 0;
}

int json_parse_file(const char *path, json_value *out, error_info *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "%s: cannot open (does it exist?)", path);
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            if (cap > (64u << 20)) { fclose(f); free(buf); return error_set(err, "%s: larger than 64 MiB; not a config file", path); }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = 0;
    int rc = json_parse(buf, path, out, err);
    free(buf);
    return rc;
}

void json_free(json_value *v) {
    if (!v) return;
    if (v->type == JSON_STRING) free(v->string);
    for (int i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (int i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const char *json_type_name(json_type t) {
    static const char *names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[t];
}

void json_write_string(char *buf, size_t size, const char *s) {
    size_t n = strlen(buf);
    if (n + 1 >= size) return;
    buf[n++] = '"';
    for (; *s && n + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { buf[n++] = '\\'; buf[n++] = (char)c; }
        else if (c < 0x20) n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
        else buf[n++] = (char)c;
    }
    if (n + 1 < size) buf[n++] = '"';
    buf[n] = 0;
}
