/* Task specifications and the masks they draw (see mask_spec.h). */
#include "mask_spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gap_chunks.h"
#include "philox.h"

/* Uniform integer in [0, n) from a 32-bit draw (multiply-shift). */
static uint32_t below(uint32_t bits, uint32_t n) { return (uint32_t)(((uint64_t)bits * n) >> 32); }

static int parse_int(const char *s, int *out) {
    if (!*s) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < -2147483647L || v > 2147483647L) return -1;
    *out = (int)v;
    return 0;
}

static const char *mix_names[MIX_TASKS] = {"gap", "forecast", "missing", "none"};

/* "gap=W,forecast=W,missing=W,none=W,max=K", any subset, or "" for the defaults. */
static int parse_mix(const char *text, const char *arg, mask_spec *out, error_info *err) {
    out->kind = MASK_MIX;
    if (!*arg) arg = strchr(MASK_MIX_DEFAULT, ':') + 1;
    char buf[256];
    if (strlen(arg) >= sizeof buf) return error_set(err, "mask '%s': too long", text);
    snprintf(buf, sizeof buf, "%s", arg);
    double sum = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) return error_set(err, "mask '%s': '%s' is not NAME=VALUE (e.g. mix:gap=0.6,none=0.4)", text, item);
        *eq = 0;
        const char *value = eq + 1;
        if (strcmp(item, "max") == 0) {
            if (parse_int(value, &out->mix_max) || out->mix_max < 1)
                return error_set(err, "mask '%s': max must be a positive number of events", text);
            continue;
        }
        int task = -1;
        for (int i = 0; i < MIX_TASKS; i++)
            if (strcmp(item, mix_names[i]) == 0) task = i;
        if (task < 0)
            return error_set(err, "mask '%s': unknown part '%s' (expected gap, forecast, missing, none or max)", text,
                             item);
        char *end;
        double w = strtod(value, &end);
        if (!*value || *end || !(w >= 0.0 && w <= 1e6))
            return error_set(err, "mask '%s': %s=%s is not a share (a number >= 0)", text, item, value);
        out->mix[task] = w;
        sum += w;
    }
    if (!(sum > 0)) return error_set(err, "mask '%s': every share is 0; give at least one task a share", text);
    for (int i = 0; i < MIX_TASKS; i++) out->mix[i] /= sum;
    return 0;
}

int mask_spec_parse(const char *text, mask_spec *out, error_info *err) {
    memset(out, 0, sizeof *out);
    const char *colon = strchr(text, ':');
    size_t head = colon ? (size_t)(colon - text) : strlen(text);
    const char *arg = colon ? colon + 1 : "";
    static const char *usage =
        "expected none, mid:K, end:K, gap:START:K, random-gap:K, missing:FRACTION, forecast:K or mix";
    if (head == 4 && strncmp(text, "none", 4) == 0 && !colon) {
        out->kind = MASK_NONE;
        return 0;
    }
    if (head == 3 && strncmp(text, "mix", 3) == 0) {
        if (colon && !*arg) return error_set(err, "mask '%s': nothing after mix: (e.g. mix:gap=0.6,none=0.4)", text);
        return parse_mix(text, arg, out, err);
    }
    if (head == 7 && strncmp(text, "missing", 7) == 0) {
        char *end;
        double f = strtod(arg, &end);
        if (!*arg || *end || !(f > 0.0 && f <= 1.0))
            return error_set(err, "mask '%s': the fraction must be a number in (0, 1], e.g. missing:0.1", text);
        out->kind = MASK_MISSING;
        out->fraction = f;
        return 0;
    }
    if (head == 3 && strncmp(text, "gap", 3) == 0) {
        char first[32];
        const char *c2 = strchr(arg, ':');
        if (!c2 || (size_t)(c2 - arg) >= sizeof first)
            return error_set(err, "mask '%s': expected gap:START:K (START counts from 0)", text);
        memcpy(first, arg, (size_t)(c2 - arg));
        first[c2 - arg] = 0;
        if (parse_int(first, &out->start) || parse_int(c2 + 1, &out->k) || out->start < 0 || out->k < 1)
            return error_set(err, "mask '%s': expected gap:START:K with START >= 0 and K >= 1", text);
        out->kind = MASK_GAP;
        return 0;
    }
    struct { const char *name; mask_kind kind; } kinds[] = {
        {"mid", MASK_MID}, {"end", MASK_END}, {"random-gap", MASK_RANDOM_GAP}, {"forecast", MASK_FORECAST}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (head == strlen(kinds[i].name) && strncmp(text, kinds[i].name, head) == 0) {
            if (!colon || parse_int(arg, &out->k) || out->k < 1)
                return error_set(err, "mask '%s': %s needs a positive size, e.g. %s:10", text, kinds[i].name,
                                 kinds[i].name);
            out->kind = kinds[i].kind;
            return 0;
        }
    }
    return error_set(err, "unknown mask '%s' (%s)", text, usage);
}

int mask_spec_mix_max(const mask_spec *spec, int length) {
    int m = spec->mix_max > 0 ? spec->mix_max : length / 4;
    if (m < 1) m = 1;
    return m > length ? length : m;
}

int mask_spec_check(const mask_spec *spec, int length, error_info *err) {
    char text[160];
    mask_spec_format(spec, text, sizeof text);
    switch (spec->kind) {
    case MASK_NONE:
    case MASK_MISSING: return 0;
    case MASK_MIX:
        if (spec->mix_max > length)
            return error_set(err, "mask %s: max = %d is larger than the window length %d", text, spec->mix_max,
                             length);
        return 0;
    case MASK_GAP:
        if ((long long)spec->start + spec->k > length)
            return error_set(err, "mask %s: the gap ends at %lld, past the window length %d", text,
                             (long long)spec->start + spec->k, length);
        return 0;
    default:
        if (spec->k > length)
            return error_set(err, "mask %s: K = %d is larger than the window length %d", text, spec->k, length);
        return 0;
    }
}

/* The shortest %g text of v that reads back as the same double. */
static void format_exact(char *out, size_t size, double v) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

void mask_spec_format(const mask_spec *spec, char *out, size_t size) {
    char num[40];
    switch (spec->kind) {
    case MASK_NONE: snprintf(out, size, "none"); break;
    case MASK_MID: snprintf(out, size, "mid:%d", spec->k); break;
    case MASK_END: snprintf(out, size, "end:%d", spec->k); break;
    case MASK_GAP: snprintf(out, size, "gap:%d:%d", spec->start, spec->k); break;
    case MASK_RANDOM_GAP: snprintf(out, size, "random-gap:%d", spec->k); break;
    case MASK_MISSING:
        format_exact(num, sizeof num, spec->fraction);
        snprintf(out, size, "missing:%s", num);
        break;
    case MASK_FORECAST: snprintf(out, size, "forecast:%d", spec->k); break;
    case MASK_MIX: {
        size_t used = (size_t)snprintf(out, size, "mix:");
        for (int i = 0; i < MIX_TASKS && used < size; i++) {
            format_exact(num, sizeof num, spec->mix[i]);
            used += (size_t)snprintf(out + used, size - used, "%s%s=%s", i ? "," : "", mix_names[i], num);
        }
        if (spec->mix_max > 0 && used < size) snprintf(out + used, size - used, ",max=%d", spec->mix_max);
        break;
    }
    }
}

int mask_spec_is_fixed(const mask_spec *spec) {
    return spec->kind != MASK_RANDOM_GAP && spec->kind != MASK_MISSING && spec->kind != MASK_MIX;
}

/* Hide n distinct random positions (SSSD's get_mask_rm: randperm[:n]), with
 * draws first.. of the stream; partial Fisher-Yates. */
static void hide_random(int length, int n, uint64_t seed, uint64_t stream, uint64_t first, float *mask) {
    int *perm = xmalloc(sizeof(int) * (size_t)length);
    for (int l = 0; l < length; l++) perm[l] = l;
    for (int i = 0; i < n; i++) {
        int j = i + (int)below(philox_u32(seed, stream, first + (uint64_t)i), (uint32_t)(length - i));
        int tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
        mask[perm[i]] = 0.0f;
    }
    free(perm);
}

/* One draw of a mix: draw 0 picks the task, 1 the length, 2 the start, 16.. the missing positions. */
static void fill_mix(const mask_spec *spec, int length, uint64_t seed, uint64_t stream, float *mask) {
    double u = (double)philox_uniform(philox_u32(seed, stream, 0));
    int task = MIX_TASKS - 1;
    double acc = 0;
    for (int i = 0; i < MIX_TASKS; i++) {
        acc += spec->mix[i];
        if (spec->mix[i] > 0 && u <= acc) {
            task = i;
            break;
        }
    }
    while (task > 0 && spec->mix[task] <= 0) task--; /* rounding left u past the last share */
    int max = mask_spec_mix_max(spec, length);
    int k = 1 + (int)below(philox_u32(seed, stream, 1), (uint32_t)max);
    switch (task) {
    case MIX_GAP: {
        int start = (int)below(philox_u32(seed, stream, 2), (uint32_t)(length - k + 1));
        for (int l = start; l < start + k; l++) mask[l] = 0.0f;
        break;
    }
    case MIX_FORECAST:
        for (int l = length - k; l < length; l++) mask[l] = 0.0f;
        break;
    case MIX_MISSING: {
        int half = length / 2 > 0 ? length / 2 : 1;
        hide_random(length, 1 + (int)below(philox_u32(seed, stream, 3), (uint32_t)half), seed, stream, 16, mask);
        break;
    }
    default:
        for (int l = 0; l < length; l++) mask[l] = 0.0f;
        break;
    }
}

void mask_fill(const mask_spec *spec, int length, uint64_t seed, uint64_t draw_index, float *mask) {
    for (int l = 0; l < length; l++) mask[l] = 1.0f;
    int start = 0, count = 0;
    uint64_t stream = MASK_SPEC_STREAM(draw_index);
    switch (spec->kind) {
    case MASK_NONE: count = length; break;
    case MASK_MID: gap_mid_or_end(length, spec->k, 0, &start, &count); break;
    case MASK_END: gap_mid_or_end(length, spec->k, 1, &start, &count); break;
    case MASK_GAP: start = spec->start; count = spec->k; break;
    case MASK_FORECAST: start = length - spec->k; count = spec->k; break;
    case MASK_RANDOM_GAP:
        count = spec->k;
        start = (int)below(philox_u32(seed, stream, 0), (uint32_t)(length - spec->k + 1));
        break;
    case MASK_MISSING: {
        int n = (int)lround(spec->fraction * length);
        if (n < 1) n = 1;
        if (n > length) n = length;
        hide_random(length, n, seed, stream, 0, mask);
        return;
    }
    case MASK_MIX: fill_mix(spec, length, seed, stream, mask); return;
    }
    for (int l = start; l < start + count && l < length; l++) mask[l] = 0.0f;
}

/* The size of the contiguous gap a spec asks for, or 0 when it is not one gap. */
static int gap_size(const mask_spec *s, int length) {
    int start, count;
    switch (s->kind) {
    case MASK_MID:
    case MASK_END: gap_mid_or_end(length, s->k, s->kind == MASK_END, &start, &count); return count;
    case MASK_GAP:
    case MASK_RANDOM_GAP:
    case MASK_FORECAST: return s->k;
    default: return 0;
    }
}

/* Does the asked gap reach the window's end (a forecast)? */
static int gap_at_end(const mask_spec *s, int length) {
    int start, count;
    switch (s->kind) {
    case MASK_FORECAST: return 1;
    case MASK_END: gap_mid_or_end(length, s->k, 1, &start, &count); return start + count == length;
    case MASK_GAP: return s->start + s->k == length;
    default: return 0;
    }
}

int mask_spec_covers(const mask_spec *trained, const mask_spec *asked, int length) {
    if (asked->kind == MASK_MIX) {
        if (trained->kind != MASK_MIX) return 0;
        for (int i = 0; i < MIX_TASKS; i++)
            if (asked->mix[i] > 0 && !(trained->mix[i] > 0)) return 0;
        return mask_spec_mix_max(asked, length) <= mask_spec_mix_max(trained, length);
    }
    int k = gap_size(asked, length);
    switch (trained->kind) {
    case MASK_MIX: {
        int max = mask_spec_mix_max(trained, length);
        if (asked->kind == MASK_NONE) return trained->mix[MIX_NONE] > 0;
        if (asked->kind == MASK_MISSING) return trained->mix[MIX_MISSING] > 0;
        if (k < 1 || k > max) return 0;
        if (asked->kind == MASK_RANDOM_GAP) return trained->mix[MIX_GAP] > 0;
        return trained->mix[MIX_GAP] > 0 || (gap_at_end(asked, length) && trained->mix[MIX_FORECAST] > 0);
    }
    case MASK_RANDOM_GAP: return k == trained->k;
    case MASK_MISSING: return asked->kind == MASK_MISSING && asked->fraction == trained->fraction;
    case MASK_NONE: return asked->kind == MASK_NONE;
    default: {
        if (!mask_spec_is_fixed(asked)) return 0;
        float *a = xmalloc(sizeof(float) * (size_t)length), *b = xmalloc(sizeof(float) * (size_t)length);
        mask_fill(trained, length, 0, 0, a);
        mask_fill(asked, length, 0, 0, b);
        int same = memcmp(a, b, sizeof(float) * (size_t)length) == 0;
        free(a);
        free(b);
        return same;
    }
    }
}
