/* A small program the parser tests run under strace: each mode produces one
 * kind of awkward log content (threads with interleaved unfinished calls,
 * forked children and their exits, signals, calls interrupted by a signal). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void *thread_body(void *arg) {
    long id = (long)arg;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "thread %ld \"quoted\" (paren) {brace}\n", id);
    for (int i = 0; i < 5; i++) {
        if (write(STDOUT_FILENO, buf, (size_t)n) < 0) return NULL;
        nap_ms(2);
    }
    return NULL;
}

static int mode_threads(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, thread_body, (void *)i) != 0) return 1;
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    return 0;
}

static int mode_fork(void) {
    pid_t c = fork();
    if (c < 0) return 1;
    if (c == 0) {
        if (write(STDOUT_FILENO, "child\n", 6) < 0) _exit(1);
        nap_ms(5);
        _exit(3);
    }
    int status;
    if (waitpid(c, &status, 0) != c) return 1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 1;
}

static volatile sig_atomic_t got_signal = 0;
static void on_signal(int sig) { got_signal = sig; }

static int mode_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    if (got_signal != SIGUSR1) return 1;
    pid_t c = fork();
    if (c < 0) return 1;
    if (c == 0) {
        for (;;) pause();
    }
    nap_ms(20);
    kill(c, SIGKILL);
    int status;
    waitpid(c, &status, 0);
    return WIFSIGNALED(status) ? 0 : 1;
}

static int mode_interrupt(void) {
    /* No SA_RESTART: a blocking read and a sleep end with EINTR when the timer fires. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    int fds[2];
    if (pipe(fds) != 0) return 1;
    struct itimerval it = {{0, 0}, {0, 150000}}; /* long enough to be blocked by then, even on a loaded machine */
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    ssize_t r = read(fds[0], &c, 1);
    if (r != -1 || errno != EINTR) return 1;
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec ts = {5, 0};
    if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) != EINTR) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: trace_helper threads|fork|signal|interrupt\n");
        return 2;
    }
    if (strcmp(argv[1], "threads") == 0) return mode_threads();
    if (strcmp(argv[1], "fork") == 0) return mode_fork();
    if (strcmp(argv[1], "signal") == 0) return mode_signal();
    if (strcmp(argv[1], "interrupt") == 0) return mode_interrupt();
    fprintf(stderr, "trace_helper: unknown mode %s\n", argv[1]);
    return 2;
}
