/* What each x86-64 Linux system call is for, in eight categories, and which
 * calls move data (their return value is a byte count). The table is in
 * syscall_categories.c; datasets/README.md lists the rules. */
#ifndef SSSD_DATASETS_SYSCALL_CATEGORIES_H
#define SSSD_DATASETS_SYSCALL_CATEGORIES_H

typedef enum syscall_category {
    CAT_FILE = 0,   /* files, directories and descriptors, including polling them */
    CAT_NETWORK,    /* sockets */
    CAT_MEMORY,     /* the address space */
    CAT_PROCESS,    /* tasks: creation, exit, waiting, identity, limits, scheduling */
    CAT_SIGNAL,     /* signal handlers, masks, sending and waiting for signals */
    CAT_TIME,       /* clocks, sleeps and timers */
    CAT_IPC,        /* IPC and synchronisation: futexes, pipes, System V and POSIX IPC */
    CAT_OTHER,      /* everything else, and names the table does not know */
    CAT_COUNT
} syscall_category;

/* Short names: "file", "network", "memory", "process", "signal", "time", "ipc/sync", "other". */
const char *syscall_category_name(syscall_category c);

syscall_category syscall_category_of(const char *name);

typedef enum syscall_io {
    IO_NONE = 0,
    IO_IN,        /* read-like: the result is bytes read or received */
    IO_OUT,       /* write-like: bytes written or sent */
    IO_TRANSFER   /* fd to fd (sendfile, splice, copy_file_range, tee) */
} syscall_io;

syscall_io syscall_io_of(const char *name);

#endif
