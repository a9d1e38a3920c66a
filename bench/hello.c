/* hello.c: the reference of bench/page and bench/enqueue: a libfcgi hello
 * world that answers every request with ?bytes=N bytes (default 20,000),
 * without reading a database. It takes the options of asynctasks-fcgi
 * that dev/lib.sh's at_web_start passes (--config, --listen, --pidfile)
 * and forks as many workers as the configuration's fcgi_processes, so
 * that it runs behind the same nginx, in the same shape, as the app. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include <asynctasks/config.h>

#define BYTES_DEFAULT 20000
#define BYTES_MAX     (1024 * 1024)
#define WORKERS_MAX   64

static char body[BYTES_MAX];

/* The size asked for in the query string, within 0..BYTES_MAX. */
static long
bytes_asked(const char *query)
{
    const char *p = query ? strstr(query, "bytes=") : NULL;
    if (!p || (p != query && p[-1] != '&'))
        return BYTES_DEFAULT;
    char *end;
    errno = 0;
    long n = strtol(p + 6, &end, 10);
    if (errno || end == p + 6 || (*end && *end != '&') || n < 0 || n > BYTES_MAX)
        return -1;
    return n;
}

static void
answer(FCGX_Request *req)
{
    long n = bytes_asked(FCGX_GetParam("QUERY_STRING", req->envp));
    if (n < 0) {
        FCGX_PutS("Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
                  "bytes must be a whole number from 0 to 1048576\n",
                  req->out);
        return;
    }
    FCGX_FPrintF(req->out,
                 "Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                 "Content-Length: %ld\r\nCache-Control: no-store\r\n\r\n",
                 n);
    FCGX_PutStr(body, (int) n, req->out);
}

static int
worker(int fd)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        return 0;
    FCGX_Request req;
    FCGX_InitRequest(&req, fd, 0);
    while (FCGX_Accept_r(&req) >= 0) {
        answer(&req);
        FCGX_Finish_r(&req);
    }
    return 0;
}

static int
write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%ld\n", (long) getpid()) < 0 || fclose(f) != 0) {
        fprintf(stderr, "hello: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Forks the workers, then waits for SIGTERM or SIGINT and stops them. */
static int
serve(int fd, unsigned nworkers)
{
    pid_t pids[WORKERS_MAX];
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &old);
    for (unsigned i = 0; i < nworkers; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            _exit(worker(fd));
        }
        if (pids[i] < 0) {
            fprintf(stderr, "hello: cannot fork: %s\n", strerror(errno));
            nworkers = i;
            break;
        }
    }
    int sig = 0;
    if (nworkers > 0)
        sigwait(&stop, &sig);
    for (unsigned i = 0; i < nworkers; i++)
        kill(pids[i], SIGTERM);
    while (wait(NULL) > 0)
        ;
    return nworkers > 0 ? 0 : 1;
}

static unsigned
workers_configured(const char *path)
{
    at_config *cfg = NULL;
    at_error err;
    if (at_config_parse_file(path, &cfg, &err)) {
        fprintf(stderr, "hello: %s\n", err.msg);
        return 0;
    }
    unsigned n = cfg->fcgi_processes;
    at_config_free(cfg);
    return n > WORKERS_MAX ? WORKERS_MAX : n;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"pidfile", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *conf = NULL, *listen = NULL, *pidfile = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': conf = optarg; break;
        case 'l': listen = optarg; break;
        case 'p': pidfile = optarg; break;
        default: goto usage;
        }
    }
    if (!conf || !listen || optind != argc)
        goto usage;
    unsigned nworkers = workers_configured(conf);
    if (nworkers == 0)
        return 78;
    memset(body, 'x', sizeof body);
    if (FCGX_Init() != 0)
        return 1;
    mode_t old = umask(0117);
    int fd = FCGX_OpenSocket(listen, 128);
    umask(old);
    if (fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s: %s\n", listen, strerror(errno));
        return 1;
    }
    if (pidfile && write_pidfile(pidfile))
        return 1;
    return serve(fd, nworkers);
usage:
    fprintf(stderr, "usage: hello --config FILE --listen SOCKET [--pidfile FILE]\n");
    return 64;
}
