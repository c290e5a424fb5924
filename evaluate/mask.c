/* Masks (see mask.h).
 *
 * On the ICSE'25 gap: the published protocol cuts range(L) into consecutive
 * chunks of k events (torch.split semantics) and blanks the middle one. Its
 * known gaps at L=200 (k=30 -> 90..119, k=40 -> 80..119) cannot come from
 * numpy.array_split(range(L), n) for any n (its chunks differ by at most one
 * element, and no n puts a 30-event chunk at 90), so `mid:K` uses chunks of K
 * events. Tasks given as text are parsed by common/mask_spec.h, the module
 * train and generate use, so a task means the same positions everywhere.
 * array_split arithmetic is kept for callers that want K chunks. */
#include "mask.h"
#include "mask_spec.h"
#include "windows.h"
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void array_split_chunk(int length, int chunks, int index, int *start, int *count) {
    int base = length / chunks, extra = length % chunks;
    *count = base + (index < extra ? 1 : 0);
    *start = index * base + (index < extra ? index : extra);
}

void mask_all_generated(eval_mask *out, int length) {
    memset(out, 0, sizeof *out);
    out->rows = 1;
    out->length = length;
    out->observed = xcalloc((size_t)length, 1);
    snprintf(out->source, sizeof out->source, "none (all positions generated)");
}

void mask_free(eval_mask *m) {
    free(m->observed);
    m->observed = NULL;
}

int64_t mask_observed_total(const eval_mask *m) {
    int64_t n = 0;
    for (int64_t i = 0; i < m->rows * m->length; i++) n += m->observed[i];
    return n;
}

int mask_from_shorthand(const char *spec, int length, eval_mask *out, error_info *err) {
    memset(out, 0, sizeof *out);
    mask_spec parsed;
    error_info perr;
    if (mask_spec_parse(spec, &parsed, &perr))
        return error_set(err, "--mask %s: expected a file or a task such as mid:K, end:K, gap:START:K, forecast:K (%s)",
                         spec, perr.message);
    if (!mask_spec_is_fixed(&parsed) || parsed.kind == MASK_NONE)
        return error_set(err, "--mask %s: a random or empty task does not say which positions were generated; "
                              "give the mask file that generate wrote (GENERATED.mask)", spec);
    if (mask_spec_check(&parsed, length, &perr)) return error_set(err, "--%s", perr.message);
    float *m = xmalloc(sizeof(float) * (size_t)length);
    mask_fill(&parsed, length, 0, 0, m);
    out->rows = 1;
    out->length = length;
    out->observed = xmalloc((size_t)length);
    int first = -1, last = -1, count = 0;
    for (int l = 0; l < length; l++) {
        out->observed[l] = m[l] != 0.0f;
        if (m[l] == 0.0f) {
            if (first < 0) first = l;
            last = l;
            count++;
        }
    }
    free(m);
    snprintf(out->source, sizeof out->source, "%s (positions %d-%d generated, %d events)", spec, first, last, count);
    return 0;
}

int mask_load_file(const char *path, eval_mask *out, error_info *err) {
    memset(out, 0, sizeof *out);
    window_set ws;
    size_t n = strlen(path);
    int is_npy = n >= 4 && strcmp(path + n - 4, ".npy") == 0;
    if ((is_npy ? windows_read_npy(path, &ws, err) : windows_read_text(path, &ws, err))) return -1;
    out->rows = ws.count;
    out->length = ws.length;
    out->observed = xmalloc((size_t)(ws.count * ws.length));
    for (int64_t i = 0; i < ws.count * ws.length; i++) {
        int32_t v = ws.ids[i];
        if (v != 0 && v != 1) {
            long long row = i / ws.length + 1, col = i % ws.length + 1;
            window_set_free(&ws);
            mask_free(out);
            return error_set(err, "%s:%lld: value %d at position %lld; a mask holds 1 (observed) or 0 (generated)",
                             path, row, v, col);
        }
        out->observed[i] = (uint8_t)v;
    }
    window_set_free(&ws);
    snprintf(out->source, sizeof out->source, "%s", path);
    return 0;
}
