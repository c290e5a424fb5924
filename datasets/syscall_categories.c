/* The table behind syscall_categories.h: x86-64 system call names (as strace
 * prints them) by category. A call belongs to the category of what it acts
 * on: fcntl and ioctl act on descriptors (file), sendmsg on a socket
 * (network), memfd_create makes a file (file), pipe2 and eventfd2 exist to
 * talk between tasks (ipc/sync), kill and tgkill send signals (signal). */
#include "syscall_categories.h"

#include <string.h>

static const char *const FILE_CALLS[] = {
    "read", "write", "open", "openat", "openat2", "creat", "close", "close_range", "pread64", "pwrite64", "readv",
    "writev", "preadv", "pwritev", "preadv2", "pwritev2", "lseek", "stat", "fstat", "lstat", "newfstatat", "statx",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "mkdir", "mkdirat",
    "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate",
    "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64", "readahead", "dup", "dup2",
    "dup3", "fcntl", "ioctl", "flock", "statfs", "fstatfs", "ustat", "utime", "utimes", "utimensat", "futimesat",
    "getcwd", "chdir", "fchdir", "chroot", "pivot_root", "mknod", "mknodat", "umask", "sendfile", "copy_file_range",
    "splice", "tee", "vmsplice", "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
    "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr", "inotify_init",
    "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_init", "fanotify_mark", "name_to_handle_at",
    "open_by_handle_at", "mount", "umount2", "mount_setattr", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "quotactl", "quotactl_fd", "io_setup", "io_destroy", "io_submit", "io_cancel",
    "io_getevents", "io_pgetevents", "io_uring_setup", "io_uring_enter", "io_uring_register", "poll", "ppoll",
    "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "memfd_create", "swapon", "swapoff", "cachestat", NULL};

static const char *const NETWORK_CALLS[] = {
    "socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom", "sendmsg",
    "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername", "setsockopt", "getsockopt", NULL};

static const char *const MEMORY_CALLS[] = {
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "process_madvise", "mlock", "mlock2", "munlock",
    "mlockall", "munlockall", "mincore", "msync", "remap_file_pages", "mbind", "set_mempolicy", "get_mempolicy",
    "set_mempolicy_home_node", "migrate_pages", "move_pages", "pkey_mprotect", "pkey_alloc", "pkey_free",
    "userfaultfd", "memfd_secret", "map_shadow_stack", "process_mrelease", NULL};

static const char *const PROCESS_CALLS[] = {
    "execve", "execveat", "fork", "vfork", "clone", "clone3", "exit", "exit_group", "wait4", "waitid", "getpid",
    "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "getresuid", "setresgid", "getresgid", "setfsuid", "setfsgid", "getgroups", "setgroups", "setsid",
    "getsid", "setpgid", "getpgid", "getpgrp", "prctl", "arch_prctl", "set_tid_address", "set_robust_list",
    "get_robust_list", "rseq", "prlimit64", "getrlimit", "setrlimit", "getrusage", "sched_yield",
    "sched_getaffinity", "sched_setaffinity", "sched_setscheduler", "sched_getscheduler", "sched_setparam",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "sched_setattr",
    "sched_getattr", "getpriority", "setpriority", "ioprio_get", "ioprio_set", "capget", "capset", "personality",
    "ptrace", "setns", "unshare", "seccomp", "pidfd_open", "pidfd_getfd", "kcmp", "process_vm_readv",
    "process_vm_writev", "getcpu", "acct", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
    "uname", "sysinfo", "syslog", "vhangup", "reboot", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", NULL};

static const char *const SIGNAL_CALLS[] = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending", "rt_sigtimedwait",
    "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill", "tgkill", "pause", "signalfd",
    "signalfd4", "pidfd_send_signal", NULL};

static const char *const TIME_CALLS[] = {
    "nanosleep", "clock_nanosleep", "clock_gettime", "clock_settime", "clock_getres", "clock_adjtime",
    "gettimeofday", "settimeofday", "time", "times", "adjtimex", "alarm", "getitimer", "setitimer", "timer_create",
    "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
    "timerfd_gettime", NULL};

static const char *const IPC_CALLS[] = {
    "futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "pipe", "pipe2", "eventfd", "eventfd2",
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv",
    "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    "membarrier", NULL};

static const char *const *const TABLE[CAT_OTHER] = {FILE_CALLS, NETWORK_CALLS, MEMORY_CALLS, PROCESS_CALLS,
                                                      SIGNAL_CALLS, TIME_CALLS, IPC_CALLS};

static const char *const NAMES[CAT_COUNT] = {"file", "network", "memory", "process",
                                             "signal", "time", "ipc/sync", "other"};

const char *syscall_category_name(syscall_category c) { return c >= 0 && c < CAT_COUNT ? NAMES[c] : "other"; }

/* Called once per distinct name of a trace (tens), so a linear scan is enough. */
syscall_category syscall_category_of(const char *name) {
    for (int c = 0; c < CAT_OTHER; c++)
        for (const char *const *p = TABLE[c]; *p; p++)
            if (strcmp(*p, name) == 0) return (syscall_category)c;
    return CAT_OTHER;
}

syscall_io syscall_io_of(const char *name) {
    static const char *const in[] = {"read", "pread64", "readv", "preadv", "preadv2", "recvfrom", "recvmsg", NULL};
    static const char *const out[] = {"write", "pwrite64", "writev", "pwritev", "pwritev2", "sendto", "sendmsg", NULL};
    static const char *const transfer[] = {"sendfile", "splice", "tee", "copy_file_range", "vmsplice", NULL};
    for (const char *const *p = in; *p; p++)
        if (strcmp(*p, name) == 0) return IO_IN;
    for (const char *const *p = out; *p; p++)
        if (strcmp(*p, name) == 0) return IO_OUT;
    for (const char *const *p = transfer; *p; p++)
        if (strcmp(*p, name) == 0) return IO_TRANSFER;
    return IO_NONE;
}
