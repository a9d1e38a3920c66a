/* beanstalk.c: the beanstalkd reference of bench/throughput (d), a small
 * client of beanstalkd's text protocol. It puts JOBS jobs over one
 * connection, then reserves and deletes them over CONNECTIONS connections
 * until none is left, and prints one line of key=value figures (the rate
 * of the reserve-and-delete phase is the one compared).
 *   beanstalk PORT JOBS CONNECTIONS     (beanstalkd on 127.0.0.1:PORT) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define JOBS_MAX  100000000UL
#define CONNS_MAX 64
#define BODY      "noop"

typedef struct conn {
    int fd;
    char buf[4096];
    size_t len;
} conn;

static unsigned short port;

static void
dial(conn *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *) &a, sizeof a) != 0)
        bench_die("cannot connect to 127.0.0.1:%u: %s", (unsigned) port, strerror(errno));
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void
say(conn *c, const char *text)
{
    size_t n = strlen(text);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(c->fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            bench_die("write: %s", strerror(errno));
        off += (size_t) w;
    }
}

/* Reads one line ending in CRLF into line (without the CRLF). */
static void
hear(conn *c, char *line, size_t size)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t) (nl - c->buf) + 1;
            if (n < 2 || nl[-1] != '\r' || n - 2 >= size)
                bench_die("malformed reply from beanstalkd");
            memcpy(line, c->buf, n - 2);
            line[n - 2] = 0;
            memmove(c->buf, c->buf + n, c->len - n);
            c->len -= n;
            return;
        }
        if (c->len == sizeof c->buf)
            bench_die("reply line too long");
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            bench_die("beanstalkd closed the connection");
        c->len += (size_t) r;
    }
}

static void
put_all(unsigned long jobs)
{
    conn c;
    char line[256];
    dial(&c);
    for (unsigned long i = 0; i < jobs; i++) {
        say(&c, "put 0 0 60 4\r\n" BODY "\r\n"); /* 4: strlen(BODY) */
        hear(&c, line, sizeof line);
        if (strncmp(line, "INSERTED ", 9) != 0)
            bench_die("put answered '%s'", line);
    }
    close(c.fd);
}

/* One connection: reserve and delete until the tube is empty. */
static void *
consumer(void *arg)
{
    unsigned long *done = arg;
    conn c;
    char line[256], cmd[64];
    dial(&c);
    for (;;) {
        unsigned long long id;
        unsigned bytes;
        say(&c, "reserve-with-timeout 0\r\n");
        hear(&c, line, sizeof line);
        if (strcmp(line, "TIMED_OUT") == 0)
            break;
        if (sscanf(line, "RESERVED %llu %u", &id, &bytes) != 2 || bytes != strlen(BODY))
            bench_die("reserve answered '%s'", line);
        hear(&c, line, sizeof line);
        snprintf(cmd, sizeof cmd, "delete %llu\r\n", id);
        say(&c, cmd);
        hear(&c, line, sizeof line);
        if (strcmp(line, "DELETED") != 0)
            bench_die("delete answered '%s'", line);
        (*done)++;
    }
    close(c.fd);
    return NULL;
}

int
main(int argc, char **argv)
{
    bench_name = "beanstalk";
    if (argc != 4) {
        fprintf(stderr, "usage: beanstalk PORT JOBS CONNECTIONS\n");
        return 64;
    }
    port = (unsigned short) bench_count("PORT", argv[1], 65535);
    unsigned long jobs = bench_count("JOBS", argv[2], JOBS_MAX);
    unsigned long conns = bench_count("CONNECTIONS", argv[3], CONNS_MAX);

    double t0 = bench_seconds();
    put_all(jobs);
    double put_s = bench_seconds() - t0;

    double secs;
    unsigned long total = bench_workers(consumer, conns, &secs);
    if (total != jobs)
        bench_die("%lu of %lu jobs reserved and deleted", total, jobs);
    printf("beanstalk jobs=%lu connections=%lu put_seconds=%.3f puts_per_s=%.0f seconds=%.3f "
           "jobs_per_s=%.0f\n",
           jobs, conns, put_s, (double) jobs / put_s, secs, (double) jobs / secs);
    return 0;
}
