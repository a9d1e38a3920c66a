/* wake_count.c: a helper of the shell tests (not a test of its own):
 * stands in for a supervisor's wake-up socket and counts the datagrams
 * that reach it.
 *   wake-count [BUSINESS_ID]
 * Binds a UDP socket on 127.0.0.1 (the kernel picks the port, as for a
 * supervisor), prints its address ("127.0.0.1:PORT") on the first line,
 * then counts datagrams until SIGTERM and prints the count. With
 * BUSINESS_ID, only the datagrams that name that business are counted:
 * other tests enqueue into the same database meanwhile, and wake every
 * supervisor row, this one's included. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
    (void) sig;
    stop = 1;
}

int
main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) ||
        getsockname(s, (struct sockaddr *) &a, &alen)) {
        perror("wake-count");
        return 1;
    }
    /* a signal between the check of stop and recv is seen a moment later */
    struct timeval tv = {0, 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    printf("127.0.0.1:%u\n", ntohs(a.sin_port));
    fflush(stdout);
    unsigned long n = 0;
    char buf[32];
    while (!stop) {
        ssize_t len = recv(s, buf, sizeof buf - 1, 0);
        if (len >= 0) {
            buf[len] = 0;
            n += !only || strcmp(buf, only) == 0;
        }
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            break;
    }
    printf("%lu\n", n);
    return 0;
}
