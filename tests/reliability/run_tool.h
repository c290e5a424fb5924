/* Running a tool binary as the reliability tests need it: fork/exec with
 * stdout and stderr captured to files, an optional file-size limit that
 * simulates a full disk (RLIMIT_FSIZE with SIGXFSZ ignored, so write() fails
 * with EFBIG instead of killing the tool), a time limit, and helpers to look
 * for files the tool must not leave behind. */
#ifndef SSSD_TESTS_RELIABILITY_RUN_TOOL_H
#define SSSD_TESTS_RELIABILITY_RUN_TOOL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct run_result {
    int exited;      /* 1: normal exit, code valid */
    int code;
    int signaled;    /* 1: killed by signal `sig` */
    int sig;
    int timed_out;
    char out[8192];  /* stdout, cut short */
    char err[16384]; /* stderr, cut short */
} run_result;

typedef struct run_options {
    long long fsize_limit; /* bytes; 0 = no limit */
    int timeout_s;         /* 0 = 600 */
    const char *cwd;       /* NULL = the test's working directory */
} run_options;

static inline void read_text_file(const char *path, char *buf, size_t size) {
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* Start argv[0] with stdout/stderr going to capture files under `capture`
 * (a path prefix). Returns the child's pid. */
static inline pid_t spawn_tool(const char *const *argv, const run_options *o, const char *capture) {
    char out_path[4200], err_path[4200];
    snprintf(out_path, sizeof out_path, "%s.stdout", capture);
    snprintf(err_path, sizeof err_path, "%s.stderr", capture);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0) _exit(126);
        dup2(fo, 1);
        dup2(fe, 2);
        close(fo);
        close(fe);
        int null_in = open("/dev/null", O_RDONLY);
        if (null_in >= 0) { dup2(null_in, 0); close(null_in); }
        if (o && o->cwd && chdir(o->cwd) != 0) _exit(126);
        /* Under AddressSanitizer a huge malloc aborts; in production it
         * returns NULL, which libhdf5 (sizing buffers from damaged metadata)
         * reports as an error. The tools are tested as they run in production. */
        const char *asan = getenv("ASAN_OPTIONS");
        if (asan) {
            char opts[2048];
            snprintf(opts, sizeof opts, "%s%sallocator_may_return_null=1", asan, asan[0] ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
        }
        if (o && o->fsize_limit > 0) {
            /* A full disk: writes beyond the limit fail with EFBIG (the
             * signal that would otherwise kill the process is ignored, and
             * the ignored disposition survives exec). */
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl = {(rlim_t)o->fsize_limit, (rlim_t)o->fsize_limit};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(126);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Wait for a spawned tool (killing it after the time limit) and collect its output. */
static inline void finish_tool(pid_t pid, const run_options *o, const char *capture, run_result *r) {
    memset(r, 0, sizeof *r);
    int limit = o && o->timeout_s > 0 ? o->timeout_s : 600;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            r->timed_out = 1;
            break;
        }
        usleep(20000);
    }
    r->exited = WIFEXITED(status);
    r->code = r->exited ? WEXITSTATUS(status) : -1;
    r->signaled = WIFSIGNALED(status);
    r->sig = r->signaled ? WTERMSIG(status) : 0;
    char p[4200];
    snprintf(p, sizeof p, "%s.stdout", capture);
    read_text_file(p, r->out, sizeof r->out);
    snprintf(p, sizeof p, "%s.stderr", capture);
    read_text_file(p, r->err, sizeof r->err);
}

static inline void run_tool(const char *const *argv, const run_options *o, const char *capture, run_result *r) {
    pid_t pid = spawn_tool(argv, o, capture);
    finish_tool(pid, o, capture, r);
}

/* First regular file under dir (recursively) whose name contains `needle`
 * (NULL: any file), skipping names in `except` (NULL-terminated, may be NULL).
 * Returns 1 and its path in `found`. */
static inline int find_file(const char *dir, const char *needle, const char *const *except, char *found,
                            size_t found_size) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int hit = 0;
    while (!hit && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            hit = find_file(p, needle, except, found, found_size);
            continue;
        }
        int skip = 0;
        for (int i = 0; except && except[i]; i++) skip |= !strcmp(e->d_name, except[i]);
        if (!skip && (!needle || strstr(e->d_name, needle))) {
            snprintf(found, found_size, "%s", p);
            hit = 1;
        }
    }
    closedir(d);
    return hit;
}

static inline void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0755);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char p[4200];
                snprintf(p, sizeof p, "%s/%s", path, e->d_name);
                remove_tree(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

#endif
