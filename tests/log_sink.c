/* log-sink: a stand-in for the system log, for the tests: binds a unix
 * datagram socket at PATH (as syslog(3) sends to /dev/log) and writes each
 * message it receives as a line on standard output, until SIGTERM or
 * SIGINT; then removes PATH. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: log-sink PATH\n");
        return 2;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof a.sun_path) {
        fprintf(stderr, "log-sink: %s: path too long\n", argv[1]);
        return 2;
    }
    strcpy(a.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) < 0) {
        fprintf(stderr, "log-sink: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recv ends */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    char buf[8192];
    while (!stop) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0))
            n--;
        buf[n] = 0;
        printf("%s\n", buf);
        fflush(stdout);
    }
    unlink(argv[1]);
    return 0;
}
