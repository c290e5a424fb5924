/* `generate --format strace`: generated event sequences written as an
 * strace log, one line per system call with made-up but well-formed
 * arguments and a plausible result, under a header comment saying that the
 * trace is synthetic. `dataset build` reads it back to the same events. */
#ifndef SSSD_GENERATE_GEN_STRACE_H
#define SSSD_GENERATE_GEN_STRACE_H

#include "dataset_h5.h"
#include "windows.h"

/* Can every event of the vocabulary be written? Event names must be system
 * call names (a letter, then letters, digits, '_') or the names `dataset
 * build --signals` gives strace's other lines (SIGCHLD, +++exited, ...);
 * vocabularies of bare numbers (from integer inputs) have none. */
int gen_strace_check_vocabulary(const vocabulary *vocab, error_info *err);

/* Writes each row of `traces` as one process (one row: no pid prefix, as
 * `strace -o`; several: pids 1001, 1002, ... one after the other, as
 * `strace -f -o`). events: "entry-exit" (two equal consecutive events are
 * one call's entry and exit; a lone one a call that never returned, "= ?")
 * or anything else for one event per call. provenance goes into the header. */
int gen_write_strace(const char *path, const window_set *traces, const vocabulary *vocab, const char *events,
                     const char *provenance, error_info *err);

#endif
