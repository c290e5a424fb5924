/* Which positions of a window are given and which are to be generated: the
 * task specifications that train, generate and evaluate share ("mid:10",
 * "forecast:20", "mix", ...), their parsing, canonical text, and the masks
 * they draw. One module, so that every tool reads a task the same way. */
#ifndef SSSD_COMMON_MASK_SPEC_H
#define SSSD_COMMON_MASK_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Random masks draw from philox(seed, MASK_SPEC_STREAM(draw_index), ...). The
 * tag (top byte) keeps these draws apart from the model's noise streams. */
#define MASK_SPEC_STREAM_TAG 0x02ull
#define MASK_SPEC_STREAM(index) ((MASK_SPEC_STREAM_TAG << 56) | ((uint64_t)(index)&0x00FFFFFFFFFFFFFFull))

/* 1 = observed, 0 = generated. */
typedef enum mask_kind {
    MASK_NONE,        /* "none": everything generated (synthesis) */
    MASK_MID,         /* "mid:K": middle chunk of consecutive K-event chunks */
    MASK_END,         /* "end:K": last such chunk */
    MASK_GAP,         /* "gap:START:K": positions START..START+K-1 */
    MASK_RANDOM_GAP,  /* "random-gap:K": a random contiguous gap of K per draw */
    MASK_MISSING,     /* "missing:F": round(F*L) random positions (at least 1) */
    MASK_FORECAST,    /* "forecast:K": the last K positions */
    MASK_MIX          /* "mix[:...]": every draw picks one of the tasks below */
} mask_kind;

/* The tasks of a mix, in the order of mask_spec.mix. */
enum { MIX_GAP, MIX_FORECAST, MIX_MISSING, MIX_NONE, MIX_TASKS };

typedef struct mask_spec {
    mask_kind kind;
    int k;            /* gap size (MID, END, GAP, RANDOM_GAP, FORECAST) */
    int start;        /* GAP */
    double fraction;  /* MISSING */
    /* MIX: the share of draws (summing to 1) that are a gap of random
     * position and length, a blackout at the end (forecast), random missing
     * events, or nothing observed; gaps and blackouts are 1..mix_max events
     * long (0 = a quarter of the window), missing draws hide 1..L/2 events. */
    double mix[MIX_TASKS];
    int mix_max;
} mask_spec;

/* The proportions of plain "mix". */
#define MASK_MIX_DEFAULT "mix:gap=0.5,forecast=0.2,missing=0.1,none=0.2"

/* Parse "none", "mid:K", "end:K", "gap:START:K", "random-gap:K",
 * "missing:F" (0 < F <= 1), "forecast:K", "mix" or
 * "mix:gap=W,forecast=W,missing=W,none=W,max=K" (any subset; weights left
 * out are 0 once one is given; they are scaled to sum to 1). Returns 0 or -1
 * with a message. */
int mask_spec_parse(const char *text, mask_spec *out, error_info *err);
/* Check the spec against a window length (K <= L, START+K <= L...). */
int mask_spec_check(const mask_spec *spec, int length, error_info *err);
/* Canonical text of a spec ("mid:10"), which parses back to the same spec. */
void mask_spec_format(const mask_spec *spec, char *out, size_t size);
/* Is the mask the same for every draw (no randomness)? */
int mask_spec_is_fixed(const mask_spec *spec);
/* The longest gap or blackout a mix draws for windows of `length`. */
int mask_spec_mix_max(const mask_spec *spec, int length);

/* Fill mask (length floats) for draw `draw_index` (a batch, or a window for
 * mixes). Random kinds draw from philox(seed, MASK_SPEC_STREAM(draw_index)). */
void mask_fill(const mask_spec *spec, int length, uint64_t seed, uint64_t draw_index, float *mask);

/* Does a model trained on `trained` ever see the task `asked` (same kind of
 * mask, gap sizes in its range)? For warnings: generating for a task the
 * model never trained on gives poor results. */
int mask_spec_covers(const mask_spec *trained, const mask_spec *asked, int length);

#endif
