/* Checked command-line numbers shared by the tools (see cli_options.h). */
#include "cli_options.h"
#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void cli_bad_value(const char *opt, const char *value, const char *why) {
    die("%s %s: %s (see %s --help)", opt, value, why, error_program_name());
}

long long cli_integer(const char *opt, const char *value, long long lo, long long hi) {
    char *end;
    errno = 0;
    long long x = strtoll(value, &end, 10);
    if (!*value || *end || errno) cli_bad_value(opt, value, "not an integer");
    if (x < lo || x > hi) {
        char why[128];
        snprintf(why, sizeof why, "must be between %lld and %lld", lo, hi);
        cli_bad_value(opt, value, why);
    }
    return x;
}

double cli_number(const char *opt, const char *value, double lo, double hi, int lo_open) {
    char *end;
    errno = 0;
    double x = strtod(value, &end);
    if (!*value || *end || errno || !isfinite(x)) cli_bad_value(opt, value, "not a finite number");
    if ((lo_open ? x <= lo : x < lo) || x > hi) {
        char why[128];
        snprintf(why, sizeof why, "must be %s %g and at most %g", lo_open ? "above" : "at least", lo, hi);
        cli_bad_value(opt, value, why);
    }
    return x;
}
