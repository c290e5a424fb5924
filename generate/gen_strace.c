/* strace-like logs of generated traces (see gen_strace.h). Arguments come
 * from a small table of common system calls with a little state (open file
 * descriptors, paths, addresses) so that a log reads like a program's:
 * openat returns a new descriptor, read and close use an open one. Every
 * line is one the strace parser (datasets/strace_parse.c) accepts: a call,
 * a "= ?" for a call that never returned, or a signal/exit line. */
#include "gen_strace.h"

#include <stdio.h>
#include <string.h>

#include "atomic_file.h"

/* How a call's result is made up. */
typedef enum result_kind {
    R_ZERO,     /* 0 */
    R_VALUE,    /* the entry's value */
    R_NEW_FD,   /* a new descriptor, which later calls use */
    R_CLOSE,    /* 0, and the descriptor used is closed */
    R_PIPE,     /* 0, two new descriptors (in the arguments) */
    R_ADDRESS,  /* a new mapping's address */
    R_BRK,      /* the program break */
    R_PID,      /* the process's pid */
    R_CHILD,    /* a child's pid */
    R_NONE,     /* "?": the call does not return (exit_group) */
    R_ENOENT,   /* -1 ENOENT (No such file or directory) */
    R_ENOTTY    /* -1 ENOTTY (Inappropriate ioctl for device) */
} result_kind;

/* Arguments: %f an open descriptor, %n / %m the new descriptors of R_NEW_FD /
 * R_PIPE, %p a new path, %q the latest path, %a the latest mapping, %b a
 * buffer's leading bytes; text in between is printed as it is. */
typedef struct call_shape {
    const char *name, *args;
    result_kind result;
    long long value;
} call_shape;

static const call_shape shapes[] = {
    {"read", "%f, %b, 4096", R_VALUE, 4096},
    {"write", "%f, %b, 4096", R_VALUE, 4096},
    {"pread64", "%f, %b, 4096, 0", R_VALUE, 4096},
    {"pwrite64", "%f, %b, 4096, 0", R_VALUE, 4096},
    {"readv", "%f, [{iov_base=%b, iov_len=4096}], 1", R_VALUE, 4096},
    {"writev", "%f, [{iov_base=%b, iov_len=4096}], 1", R_VALUE, 4096},
    {"openat", "AT_FDCWD, \"%p\", O_RDONLY|O_CLOEXEC", R_NEW_FD, 0},
    {"open", "\"%p\", O_RDONLY|O_CLOEXEC", R_NEW_FD, 0},
    {"creat", "\"%p\", 0644", R_NEW_FD, 0},
    {"dup", "%f", R_NEW_FD, 0},
    {"dup2", "%f, %n", R_NEW_FD, 0},
    {"dup3", "%f, %n, O_CLOEXEC", R_NEW_FD, 0},
    {"socket", "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0", R_NEW_FD, 0},
    {"accept", "%f, NULL, NULL", R_NEW_FD, 0},
    {"accept4", "%f, NULL, NULL, SOCK_CLOEXEC", R_NEW_FD, 0},
    {"eventfd2", "0, EFD_CLOEXEC", R_NEW_FD, 0},
    {"epoll_create1", "EPOLL_CLOEXEC", R_NEW_FD, 0},
    {"pipe", "[%n, %m]", R_PIPE, 0},
    {"pipe2", "[%n, %m], O_CLOEXEC", R_PIPE, 0},
    {"close", "%f", R_CLOSE, 0},
    {"connect", "%f, {sa_family=AF_UNIX, sun_path=\"/tmp/synthetic.sock\"}, 110", R_ZERO, 0},
    {"bind", "%f, {sa_family=AF_UNIX, sun_path=\"/tmp/synthetic.sock\"}, 110", R_ZERO, 0},
    {"listen", "%f, 16", R_ZERO, 0},
    {"sendto", "%f, %b, 64, MSG_NOSIGNAL, NULL, 0", R_VALUE, 64},
    {"recvfrom", "%f, %b, 64, 0, NULL, NULL", R_VALUE, 64},
    {"sendmsg", "%f, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=%b, iov_len=64}], msg_iovlen=1, "
                "msg_controllen=0, msg_flags=0}, MSG_NOSIGNAL", R_VALUE, 64},
    {"recvmsg", "%f, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=%b, iov_len=64}], msg_iovlen=1, "
                "msg_controllen=0, msg_flags=0}, 0", R_VALUE, 64},
    {"fstat", "%f, {st_mode=S_IFREG|0644, st_size=4096, ...}", R_ZERO, 0},
    {"newfstatat", "%f, \"\", {st_mode=S_IFREG|0644, st_size=4096, ...}, AT_EMPTY_PATH", R_ZERO, 0},
    {"stat", "\"%q\", {st_mode=S_IFREG|0644, st_size=4096, ...}", R_ZERO, 0},
    {"lstat", "\"%q\", {st_mode=S_IFREG|0644, st_size=4096, ...}", R_ZERO, 0},
    {"statx", "AT_FDCWD, \"%q\", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_BASIC_STATS, "
              "stx_mode=S_IFREG|0644, stx_size=4096, ...}", R_ZERO, 0},
    {"statfs", "\"/tmp\", {f_type=TMPFS_MAGIC, f_bsize=4096, f_blocks=1048576, f_bfree=1048000, ...}", R_ZERO, 0},
    {"fstatfs", "%f, {f_type=TMPFS_MAGIC, f_bsize=4096, f_blocks=1048576, f_bfree=1048000, ...}", R_ZERO, 0},
    {"access", "\"/etc/ld.so.preload\", R_OK", R_ENOENT, 0},
    {"faccessat", "AT_FDCWD, \"/etc/ld.so.preload\", R_OK", R_ENOENT, 0},
    {"faccessat2", "AT_FDCWD, \"/etc/ld.so.preload\", R_OK, AT_EACCESS", R_ENOENT, 0},
    {"lseek", "%f, 0, SEEK_SET", R_ZERO, 0},
    {"getdents64", "%f, %a /* 4 entries */, 32768", R_VALUE, 112},
    {"mmap", "NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0", R_ADDRESS, 0},
    {"munmap", "%a, 8192", R_ZERO, 0},
    {"mprotect", "%a, 4096, PROT_READ", R_ZERO, 0},
    {"madvise", "%a, 8192, MADV_DONTNEED", R_ZERO, 0},
    {"brk", "NULL", R_BRK, 0},
    {"ioctl", "%f, TCGETS, 0x7ffd5c1e0a40", R_ENOTTY, 0},
    {"fcntl", "%f, F_SETFD, FD_CLOEXEC", R_ZERO, 0},
    {"fsync", "%f", R_ZERO, 0},
    {"fdatasync", "%f", R_ZERO, 0},
    {"ftruncate", "%f, 0", R_ZERO, 0},
    {"fadvise64", "%f, 0, 0, POSIX_FADV_SEQUENTIAL", R_ZERO, 0},
    {"fchown", "%f, 1000, 1000", R_ZERO, 0},
    {"fchownat", "AT_FDCWD, \"%q\", 1000, 1000, AT_SYMLINK_NOFOLLOW", R_ZERO, 0},
    {"fchmod", "%f, 0644", R_ZERO, 0},
    {"chmod", "\"%q\", 0644", R_ZERO, 0},
    {"utimensat", "%f, NULL, [{tv_sec=1700000000, tv_nsec=0}, {tv_sec=1700000000, tv_nsec=0}], 0", R_ZERO, 0},
    {"unlink", "\"%q\"", R_ZERO, 0},
    {"unlinkat", "AT_FDCWD, \"%q\", 0", R_ZERO, 0},
    {"rename", "\"%q\", \"%q.old\"", R_ZERO, 0},
    {"renameat2", "AT_FDCWD, \"%q\", AT_FDCWD, \"%q.old\", 0", R_ZERO, 0},
    {"mkdir", "\"/tmp/synthetic\", 0755", R_ZERO, 0},
    {"mkdirat", "AT_FDCWD, \"/tmp/synthetic\", 0755", R_ZERO, 0},
    {"chdir", "\"/tmp/synthetic\"", R_ZERO, 0},
    {"getcwd", "\"/tmp/synthetic\", 4096", R_VALUE, 15},
    {"readlink", "\"/proc/self/exe\", \"/usr/bin/synthetic\", 4096", R_VALUE, 18},
    {"umask", "022", R_VALUE, 22},
    {"execve", "\"/usr/bin/synthetic\", [\"synthetic\"], 0x7ffd5c1e0b58 /* 24 vars */", R_ZERO, 0},
    {"exit_group", "0", R_NONE, 0},
    {"exit", "0", R_NONE, 0},
    {"arch_prctl", "ARCH_SET_FS, %a", R_ZERO, 0},
    {"set_tid_address", "%a", R_PID, 0},
    {"set_robust_list", "%a, 24", R_ZERO, 0},
    {"rseq", "%a, 0x20, 0, 0x53053053", R_ZERO, 0},
    {"prlimit64", "0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}", R_ZERO, 0},
    {"getrandom", "\"\\x3c\\x91\\x07\\xe2\\x5a\\x10\\xbb\\x46\", 8, GRND_NONBLOCK", R_VALUE, 8},
    {"rt_sigaction", "SIGINT, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=%a}, NULL, 8",
     R_ZERO, 0},
    {"rt_sigprocmask", "SIG_SETMASK, [], NULL, 8", R_ZERO, 0},
    {"rt_sigreturn", "{mask=[]}", R_ZERO, 0},
    {"futex", "%a, FUTEX_WAKE_PRIVATE, 1", R_ZERO, 0},
    {"clone", "child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=%a", R_CHILD, 0},
    {"clone3", "{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=%a, stack_size=0x9000}, 88", R_CHILD, 0},
    {"fork", "", R_CHILD, 0},
    {"vfork", "", R_CHILD, 0},
    {"wait4", "-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL", R_CHILD, 0},
    {"kill", "4243, SIGTERM", R_ZERO, 0},
    {"getpid", "", R_PID, 0},
    {"gettid", "", R_PID, 0},
    {"getppid", "", R_VALUE, 4241},
    {"getuid", "", R_VALUE, 1000},
    {"geteuid", "", R_VALUE, 1000},
    {"getgid", "", R_VALUE, 1000},
    {"getegid", "", R_VALUE, 1000},
    {"uname", "{sysname=\"Linux\", nodename=\"synthetic\", ...}", R_ZERO, 0},
    {"sysinfo", "{uptime=1000, loads=[0, 0, 0], totalram=8589934592, freeram=4294967296, ...}", R_ZERO, 0},
    {"poll", "[{fd=%f, events=POLLIN}], 1, 1000", R_VALUE, 1},
    {"ppoll", "[{fd=%f, events=POLLIN}], 1, NULL, NULL, 0", R_VALUE, 1},
    {"epoll_wait", "%f, [], 64, 0", R_ZERO, 0},
    {"clock_gettime", "CLOCK_MONOTONIC, {tv_sec=1000, tv_nsec=0}", R_ZERO, 0},
    {"clock_nanosleep", "CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000000}, NULL", R_ZERO, 0},
    {"nanosleep", "{tv_sec=0, tv_nsec=1000000}, NULL", R_ZERO, 0},
    {"sched_yield", "", R_ZERO, 0},
};

#define MAX_OPEN 64
#define PID 4242

/* What a process has open, so that its calls agree with each other. */
typedef struct process_state {
    int open[MAX_OPEN];
    int n_open;
    int next_fd;
    long long files;             /* paths made so far */
    unsigned long long mapping;  /* the latest mapping's address */
    long long children;
} process_state;

static const call_shape *find_shape(const char *name) {
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        if (!strcmp(shapes[i].name, name)) return &shapes[i];
    return NULL;
}

static int current_fd(const process_state *s) { return s->n_open ? s->open[s->n_open - 1] : 3; }

static int new_fd(process_state *s) {
    int fd = s->next_fd++;
    if (s->n_open == MAX_OPEN) { /* a long-lived process: forget the oldest */
        memmove(s->open, s->open + 1, sizeof(int) * (MAX_OPEN - 1));
        s->n_open--;
    }
    s->open[s->n_open++] = fd;
    return fd;
}

/* A closed descriptor is reused first, as the kernel gives the lowest free one. */
static void close_fd(process_state *s, int fd) {
    for (int i = 0; i < s->n_open; i++)
        if (s->open[i] == fd) {
            memmove(s->open + i, s->open + i + 1, sizeof(int) * (size_t)(s->n_open - i - 1));
            s->n_open--;
            break;
        }
    if (fd < s->next_fd) s->next_fd = fd;
    for (int again = 1; again;) { /* lowest descriptor >= 3 not open */
        again = 0;
        for (int i = 0; i < s->n_open; i++)
            if (s->open[i] == s->next_fd) { s->next_fd++; again = 1; }
    }
}

/* How a call line must end for the parser to give back the right events. */
typedef enum ending {
    END_NO_RETURN, /* "= ?": an entry without an exit */
    END_RETURN,    /* a result, even for exit_group: an entry and its exit */
    END_NATURAL    /* one event either way: "= ?" where the call does not return */
} ending;

/* One call line ("openat(AT_FDCWD, ...) = 3"). */
static void write_call(FILE *f, const char *prefix, const char *name, process_state *s, ending end) {
    const call_shape *shape = find_shape(name);
    static const call_shape plain = {"", "", R_ZERO, 0};
    if (!shape) shape = &plain;
    int fd_used = current_fd(s), fd1 = -1, fd2 = -1;
    if (shape->result == R_NEW_FD || shape->result == R_PIPE) fd1 = new_fd(s);
    if (shape->result == R_PIPE) fd2 = new_fd(s);
    if (shape->result == R_ADDRESS) s->mapping -= 0x2000; /* mappings go down from below the stack */
    fprintf(f, "%s%s(", prefix, name);
    for (const char *a = shape->args; *a; a++) {
        if (*a != '%' || !a[1]) {
            fputc(*a, f);
            continue;
        }
        switch (*++a) {
        case 'f': fprintf(f, "%d", fd_used); break;
        case 'n': fprintf(f, "%d", fd1); break;
        case 'm': fprintf(f, "%d", fd2); break;
        case 'p': fprintf(f, "/tmp/synthetic/file%lld", ++s->files); break;
        case 'q': fprintf(f, "/tmp/synthetic/file%lld", s->files ? s->files : 1); break;
        case 'a': fprintf(f, "0x%llx", s->mapping); break;
        case 'b': fputs("\"\\0\\0\\0\\0\\0\\0\\0\\0\"...", f); break;
        default: fputc(*a, f); break;
        }
    }
    if (end == END_NO_RETURN || (end == END_NATURAL && shape->result == R_NONE)) {
        fputs(") = ?\n", f);
        return;
    }
    switch (shape->result) {
    case R_ZERO: fputs(") = 0\n", f); break;
    case R_VALUE: fprintf(f, ") = %lld\n", shape->value); break;
    case R_NEW_FD: fprintf(f, ") = %d\n", fd1); break;
    case R_PIPE: fputs(") = 0\n", f); break;
    case R_CLOSE:
        close_fd(s, fd_used);
        fputs(") = 0\n", f);
        break;
    case R_ADDRESS: fprintf(f, ") = 0x%llx\n", s->mapping); break;
    case R_BRK: fputs(") = 0x55d4c3a2f000\n", f); break;
    case R_PID: fprintf(f, ") = %d\n", PID); break;
    case R_CHILD: fprintf(f, ") = %lld\n", PID + 1 + s->children++ % 1000); break;
    case R_ENOENT: fputs(") = -1 ENOENT (No such file or directory)\n", f); break;
    case R_ENOTTY: fputs(") = -1 ENOTTY (Inappropriate ioctl for device)\n", f); break;
    case R_NONE: fputs(") = 0\n", f); break; /* an entry-exit pair says it returned */
    }
}

/* The names `dataset build --include-signals` gives strace's other lines,
 * written back as those lines. Returns 0 when `name` is not one. */
static int write_other_line(FILE *f, const char *prefix, const char *name) {
    if (!strncmp(name, "SIG", 3)) {
        fprintf(f, "%s--- %s {si_signo=%s, si_code=SI_USER, si_pid=%d, si_uid=1000} ---\n", prefix, name, name, PID + 1);
        return 1;
    }
    if (!strncmp(name, "stopped:", 8)) {
        fprintf(f, "%s--- stopped by %s ---\n", prefix, name + 8);
        return 1;
    }
    if (!strcmp(name, "+++exited")) {
        fprintf(f, "%s+++ exited with 0 +++\n", prefix);
        return 1;
    }
    if (!strncmp(name, "+++killed:", 10)) {
        fprintf(f, "%s+++ killed by %s +++\n", prefix, name + 10);
        return 1;
    }
    if (!strcmp(name, "+++superseded")) {
        fprintf(f, "%s+++ superseded by execve in pid %d +++\n", prefix, PID + 1);
        return 1;
    }
    if (!strcmp(name, "<detached>")) {
        fprintf(f, "%s<detached ...>\n", prefix);
        return 1;
    }
    return 0;
}

static int is_identifier(const char *s) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int is_other_name(const char *s) {
    return !strncmp(s, "stopped:", 8) || !strcmp(s, "+++exited") || !strncmp(s, "+++killed:", 10) ||
           !strcmp(s, "+++superseded") || !strcmp(s, "<detached>");
}

int gen_strace_check_vocabulary(const vocabulary *vocab, error_info *err) {
    if (!vocab || vocab->size < 1 || !vocab->names)
        return error_set(err, "--format strace needs event names, and the checkpoint's vocabulary has none");
    for (int i = 0; i < vocab->size; i++) {
        const char *n = vocab->names[i] ? vocab->names[i] : "";
        if (!is_identifier(n) && !is_other_name(n))
            return error_set(err,
                             "--format strace needs system call names, but event %d of the checkpoint's vocabulary is "
                             "'%s' (a model of numbered events: use --format text, npy, h5 or names)",
                             i + 1, n);
    }
    return 0;
}

int gen_write_strace(const char *path, const window_set *traces, const vocabulary *vocab, const char *events,
                     const char *provenance, error_info *err) {
    if (gen_strace_check_vocabulary(vocab, err)) return -1;
    int entry_exit = events && !strcmp(events, "entry-exit");
    int64_t T = traces->length;
    for (int64_t i = 0; i < traces->count * T; i++)
        if (traces->ids[i] < 1 || traces->ids[i] > vocab->size)
            return error_set(err, "%s: trace %lld, event %lld is ID %d, outside the vocabulary 1..%d, which has no name "
                             "(generated with --no-clamp?)", path, (long long)(i / T + 1), (long long)(i % T + 1),
                             traces->ids[i], vocab->size);
    atomic_file af;
    if (atomic_file_open(&af, path, err)) return -1;
    FILE *f = af.f;
    /* '#' lines are comments to our parser; strace never starts a line with one. */
    fprintf(f, "# SYNTHETIC system-call trace written by `generate`: it was not recorded from a program.\n");
    if (provenance) fprintf(f, "# %s\n", provenance);
    fprintf(f, "# %lld trace%s of %lld events%s; arguments and results are made up (well-formed, not real).\n",
            (long long)traces->count, traces->count == 1 ? "" : "s", (long long)T,
            traces->count == 1 ? "" : ", each a process with its own pid, one after the other");
    if (entry_exit)
        fprintf(f, "# events: entry-exit (two equal consecutive events are one call; a lone event is a call shown as "
                   "not returning, \"= ?\"); read back with `dataset build --events entry-exit`.\n");
    else
        fprintf(f, "# events: one per call; read back with `dataset build --events call`.\n");
    for (int64_t n = 0; n < traces->count; n++) {
        const int32_t *x = traces->ids + n * T;
        char prefix[32] = "";
        if (traces->count > 1) snprintf(prefix, sizeof prefix, "%lld ", 1001LL + n);
        process_state s;
        memset(&s, 0, sizeof s);
        s.next_fd = 3;
        s.mapping = 0x7f3a5c202000ull;
        for (int64_t j = 0; j < T; j++) {
            const char *name = vocab->names[x[j] - 1];
            if (write_other_line(f, prefix, name)) continue;
            /* Entry-exit: a pair of equal events is one call that returned. */
            int pair = entry_exit && j + 1 < T && x[j + 1] == x[j];
            write_call(f, prefix, name, &s, !entry_exit ? END_NATURAL : pair ? END_RETURN : END_NO_RETURN);
            if (pair) j++;
        }
    }
    return atomic_file_commit(&af, err);
}
