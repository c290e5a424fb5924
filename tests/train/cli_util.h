/* Helpers for tests that run the command-line tools: a scratch directory,
 * a tiny dataset in the paper's layout, running a command and reading what
 * it printed. */
#ifndef SSSD_TESTS_CLI_UTIL_H
#define SSSD_TESTS_CLI_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read a whole file into a new string ("" when missing). */
static inline char *cli_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        char *e = malloc(1);
        e[0] = 0;
        return e;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

/* Run `cmd` through the shell with stdout+stderr into `log_path`; returns the exit status (128+sig if killed). */
static inline int cli_run(const char *cmd, const char *log_path) {
    char full[16384];
    snprintf(full, sizeof full, "%s >'%s' 2>&1", cmd, log_path);
    int rc = system(full);
    if (rc == -1) return -1;
    if (WIFEXITED(rc)) return WEXITSTATUS(rc);
    if (WIFSIGNALED(rc)) return 128 + WTERMSIG(rc);
    return -1;
}

static inline void cli_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fputs(text, f);
    fclose(f);
}

/* A fresh scratch directory under the test's working directory. */
static inline void cli_scratch(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    if (system(cmd) != 0) { fprintf(stderr, "cannot create %s\n", dir); exit(2); }
}

/* Paper layout: DIR/training and DIR/testing, windows of `length` IDs in
 * entry/exit pairs (1,1,4,4,...) from a simple pattern that shifts with
 * the window, IDs 1..max_id (all of them used when there are enough windows). */
static inline void cli_make_dataset(const char *dir, int length, int n_train, int n_test, int max_id) {
    mkdir(dir, 0775);
    const char *names[2] = {"training", "testing"};
    int counts[2] = {n_train, n_test};
    for (int s = 0; s < 2; s++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[s]);
        FILE *f = fopen(path, "wb");
        for (int w = 0; w < counts[s]; w++) {
            for (int l = 0; l < length; l++) {
                int pair = (l + w) / 2;
                int id = 1 + (pair * 3 + w) % max_id;
                fprintf(f, "%s%d", l ? "," : "", id);
            }
            if (w + 1 < counts[s]) fputc('\n', f);
        }
        fclose(f);
    }
}

#endif
