/* `generate --snap`: for entry-exit data (each system call is two events
 * with the same ID, so windows read 1,1,4,4,2,2...), repair generated events
 * that leave an entry without its exit or the reverse, changing as few
 * generated events as possible and never an observed one. */
#ifndef SSSD_GENERATE_SNAP_H
#define SSSD_GENERATE_SNAP_H

#include <stdint.h>

/* How much of the observed data pairs up: the share of maximal runs of equal
 * IDs (inside windows, away from window edges and generated positions) whose
 * length is even. Entry-exit data scores ~0.99; *runs_out gets the number of
 * runs counted. observed (N, L) 1/0, or NULL for "all observed". */
double snap_pairing_score(const int32_t *ids, const uint8_t *observed, int64_t n, int length, int64_t *runs_out);

/* Repair one window in place. observed (L): 1 = observed (never changed);
 * confidence (L) or NULL: when two generated events of a pair disagree, the
 * less confident one takes the other's ID (the second one without
 * confidences). Returns the number of events changed.
 * The window is split into pairs of equal IDs by dynamic programming;
 * unpaired events are allowed at the window's edges (a pair cut by the
 * window) and, at a cost, at observed positions; leaving a generated event
 * unpaired costs more than changing one. */
int snap_window(int32_t *ids, const uint8_t *observed, const float *confidence, int length);

#endif
