/* `evaluate GENERATED REAL [options]`: score generated traces against real ones
 * and say what the numbers mean. */
#include "error.h"
#include "evaluation.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: evaluate GENERATED REAL [--mask MASK] [--train TRAIN] [--json FILE] [--html FILE]\n"
            "                [--length L] [--threads N] [--head K] [--no-nn] [--seed S] [--floor-draws D]\n"
            "                [--ngram-out FILE]\n"
            "\n"
            "Scores generated traces (GENERATED) against real ones (REAL).\n"
            "  GENERATED, REAL  text windows (one a line, comma-separated IDs), .npy, .h5; REAL may also be a\n"
            "                   dataset name or directory (its testing split is used)\n"
            "  --mask MASK      1 = observed, 0 = generated: a text/.npy file shaped like the data (or one row for\n"
            "                   all windows), or mid:K / end:K (the ICSE'25 gap of K events in the middle / at the end).\n"
            "                   Default: GENERATED.mask if it exists, else every position generated (unconditional)\n"
            "  --train TRAIN    training windows: adds memorisation/leakage, baselines scored on the same task,\n"
            "                   every reconstruction figure on the unseen test windows (found nowhere in training),\n"
            "                   and the floor: the distribution figures of as many training windows as GENERATED,\n"
            "                   drawn at random, against REAL (real against real: how close a generator can come)\n"
            "  --json FILE      every figure as JSON\n"
            "  --html FILE      self-contained HTML report with charts\n"
            "  --length L       window length to pick when REAL is a directory holding several\n"
            "  --threads N      threads for nearest-neighbour ROUGE-L (default 2)\n"
            "  --head K         the K most frequent real events are the head; tail accuracy scores the\n"
            "                   generated positions whose real event is outside it (default 4)\n"
            "  --no-nn          skip nearest-neighbour ROUGE-L\n"
            "  --seed S         the floor's draw of training windows and the bootstrap's draws of windows\n"
            "                   (default 1; the same S, the same draws)\n"
            "  --floor-draws D  the floor is drawn D times: each figure's range over the draws is printed beside\n"
            "                   it, how much real data of GENERATED's size moves by chance (default 20)\n"
            "  --ngram-out FILE with --train and a synthesis (nothing observed): also write the windows of the\n"
            "                   baseline generator (an n-gram model of TRAIN, scored beside GENERATED) to FILE,\n"
            "                   text layout\n"
            "\n"
            "memory: text inputs are read whole (about 3 times the file size while parsing; .npy: 12 bytes\n"
            "per element); then about 140 bytes per event of GENERATED and REAL (windows, mask, n-gram counts)\n"
            "and 60 bytes per event of TRAIN (the index of every training substring). Inputs that cannot fit\n"
            "in available memory are refused before reading, with a message.\n");
}

static int parse_int(const char *opt, const char *v, int lo, int hi) {
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) die("%s %s: expected an integer from %d to %d", opt, v, lo, hi);
    return (int)x;
}

int main(int argc, char **argv) {
    error_set_program_name("evaluate");
    eval_config cfg = {0};
    cfg.threads = 2;
    cfg.seed = FLOOR_DEFAULT_SEED;
    const char *json = NULL, *html = NULL, *ngram_out = NULL;
    const char *positional[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        int takes_value = !strcmp(a, "--mask") || !strcmp(a, "--train") || !strcmp(a, "--json") ||
                          !strcmp(a, "--html") || !strcmp(a, "--length") || !strcmp(a, "--threads") ||
                          !strcmp(a, "--head") || !strcmp(a, "--seed") || !strcmp(a, "--floor-draws") ||
                          !strcmp(a, "--ngram-out");
        if (takes_value) {
            if (i + 1 >= argc) die("%s needs a value (see evaluate --help)", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--mask")) cfg.mask = v;
            else if (!strcmp(a, "--train")) cfg.train = v;
            else if (!strcmp(a, "--json")) json = v;
            else if (!strcmp(a, "--html")) html = v;
            else if (!strcmp(a, "--ngram-out")) ngram_out = v;
            else if (!strcmp(a, "--length")) cfg.length_hint = parse_int(a, v, 1, 1 << 24);
            else if (!strcmp(a, "--head")) cfg.head = parse_int(a, v, 1, 1 << 20);
            else if (!strcmp(a, "--seed")) cfg.seed = (uint64_t)parse_int(a, v, 0, 2147483647);
            else if (!strcmp(a, "--floor-draws")) cfg.floor_draws = parse_int(a, v, 1, 10000);
            else cfg.threads = parse_int(a, v, 1, 256);
        } else if (!strcmp(a, "--no-nn")) {
            cfg.skip_nn = 1;
        } else if (a[0] == '-' && a[1]) {
            usage(stderr);
            die("unknown option %s", a);
        } else {
            if (npos == 2) die("too many arguments (%s); expected GENERATED REAL", a);
            positional[npos++] = a;
        }
    }
    if (npos != 2) {
        usage(stderr);
        die("expected GENERATED and REAL");
    }
    cfg.generated = positional[0];
    cfg.real = positional[1];
    error_info err;
    eval_result res;
    if (eval_run(&cfg, &res, &err)) die("%s", err.message);
    if (ngram_out && !res.has_ngram_synthesis)
        die("--ngram-out: no n-gram windows to write (they are drawn for a synthesis, nothing observed, with --train)");
    report_text(stdout, &res);
    int rc = 0;
    if (json && report_json_write(json, &res, &err)) { fprintf(stderr, "evaluate: %s\n", err.message); rc = 1; }
    if (html && report_html_write(html, &res, &err)) { fprintf(stderr, "evaluate: %s\n", err.message); rc = 1; }
    if (ngram_out && windows_write_text(ngram_out, &res.ngram_synthesis_windows, &err)) {
        fprintf(stderr, "evaluate: %s\n", err.message);
        rc = 1;
    }
    eval_result_free(&res);
    return rc;
}
