/* on-tty: runs a command with a pseudo-terminal as its standard input,
 * output and error, copies everything it printed to our standard output,
 * and exits with its status (128 + signal if it was killed).
 *
 * The tests use it to see what an operator's terminal would show. Unlike
 * script(1) with its input at end of file, it reads the terminal until
 * every writer has closed it, so output written just before a fast exit
 * is never lost. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int
open_pair(int *master, int *slave)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0 || grantpt(*master) || unlockpt(*master))
        return -1;
    const char *name = ptsname(*master);
    *slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    return *slave < 0 ? -1 : 0;
}

static void
run_child(int slave, char **argv)
{
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
        _exit(127);
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            _exit(127);
    if (slave > 2)
        close(slave);
    execvp(argv[0], argv);
    fprintf(stderr, "on-tty: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Copies the terminal's output until the last writer is gone: Linux then
 * answers EIO, after what was written before. */
static int
copy_out(int master)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(master, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno == EIO))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (fwrite(buf, 1, (size_t) n, stdout) != (size_t) n)
            return -1;
    }
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: on-tty COMMAND [ARG...]\n");
        return 2;
    }
    int master, slave;
    if (open_pair(&master, &slave)) {
        fprintf(stderr, "on-tty: no pseudo-terminal: %s\n", strerror(errno));
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "on-tty: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0)
        run_child(slave, argv + 1);
    close(slave);
    int copied = copy_out(master);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "on-tty: waitpid: %s\n", strerror(errno));
            return 2;
        }
    if (copied || fflush(stdout)) {
        fprintf(stderr, "on-tty: cannot copy the output: %s\n", strerror(errno));
        return 2;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
