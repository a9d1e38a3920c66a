/* child_exit.c: at_child_exit ends a forked child with the status given,
 * without its parent's atexit handlers or stdio buffers; in a build with
 * AddressSanitizer it first checks the child for leaks, so that a child
 * that leaks ends with LeakSanitizer's report and a failed status. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static int out_fd = -1;

static void
at_exit_marker(void)
{
    if (out_fd >= 0 && write(out_fd, "atexit ran\n", 11) < 0)
        return;
}

/* Runs child in a fork, its stdout and stderr into buf; its wait status. */
static int
run(void (*child)(void), char *buf, size_t len)
{
    int p[2];
    if (pipe(p) != 0)
        bail("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        bail("fork");
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        dup2(p[1], 2);
        out_fd = p[1];
        child();
        _exit(99); /* not reached */
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    char rest[4096];
    while (n + 1 < len && (r = read(p[0], buf + n, len - 1 - n)) > 0)
        n += (size_t) r;
    while (read(p[0], rest, sizeof rest) > 0)
        ;
    buf[n] = '\0';
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void
clean_child(void)
{
    char *p = malloc(64);
    free(p);
    printf("buffered, never flushed\n"); /* a pipe: fully buffered */
    at_child_exit(7);
}

static void __attribute__((noinline))
lose(void)
{
    char *volatile p = malloc(100);
    memset(p, 1, 100);
    p = NULL;
}

static void
leaky_child(void)
{
    lose();
    at_child_exit(0);
}

int
main(void)
{
    static char out[65536];
    atexit(at_exit_marker);

    int st = run(clean_child, out, sizeof out);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "the child ends with the status it gives (%#x)", st);
    ok(!strstr(out, "atexit ran"), "the parent's atexit handler does not run in the child");
    ok(!strstr(out, "buffered"), "nor is the child's stdio buffer written out");
    if (out[0])
        diag("the child wrote: %.300s", out);

    st = run(leaky_child, out, sizeof out);
#ifdef ASAN
    ok(WIFEXITED(st) && WEXITSTATUS(st) != 0,
       "with AddressSanitizer, a child that leaks fails before it ends (%#x)", st);
    ok(strstr(out, "LeakSanitizer") && strstr(out, "100 byte(s)"),
       "with LeakSanitizer's report of its 100 bytes");
    if (!strstr(out, "LeakSanitizer"))
        diag("the child wrote: %.300s", out);
#else
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "without a sanitizer, a child that leaks ends with its status (%#x): the leak is "
       "memcheck's to find (tests/valgrind.sh)",
       st);
#endif
    return done_testing();
}
