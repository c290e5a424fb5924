/* Command-line values for every tool: numbers are checked in full and
 * against their range, and a bad one ends the program with one message form,
 * "OPTION VALUE: what is wrong (see TOOL --help)". */
#ifndef SSSD_COMMON_CLI_OPTIONS_H
#define SSSD_COMMON_CLI_OPTIONS_H

void cli_bad_value(const char *opt, const char *value, const char *why) __attribute__((noreturn));
/* An integer in [lo, hi]; the whole text must be the number. */
long long cli_integer(const char *opt, const char *value, long long lo, long long hi);
/* A finite number in [lo, hi] (or (lo, hi] when lo_open). */
double cli_number(const char *opt, const char *value, double lo, double hi, int lo_open);

#endif
