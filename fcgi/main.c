/* main.c: asynctasks-fcgi(8): a prefork FastCGI server. The master opens
 * the socket (or takes it on fd 0), forks N single-threaded workers and
 * keeps N alive; each worker opens its own database connection and answers
 * requests one at a time. SIGTERM lets the requests in flight finish, then
 * stops; SIGHUP re-reads the configuration and replaces the workers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libxml/parser.h>

#include <asynctasks/asynctasks.h>

#include "http.h"
#include "listen.h"

#define WORKERS_MAX 256

static volatile sig_atomic_t got_term, got_hup, got_chld;
/* The signals the master acts on. Outside its wait they are blocked, so
 * that none can arrive between looking at the flags and waiting, and be
 * missed until the next one (sigsuspend opens them atomically). Workers
 * start with the mask the program was started with (start_mask). */
static const int acted_on[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGALRM};
static sigset_t start_mask;

static void
on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        got_term = 1;
    else if (sig == SIGALRM)
        ; /* only wakes the master's wait */
    else if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: asynctasks-fcgi [--config FILE] [--listen SOCKET] [--processes N]\n"
               "                       [--pidfile FILE] [--check]\n\n"
               "Serves the Async Tasks admin screen over FastCGI. Without --listen it\n"
               "listens on the socket a service manager hands over (socket activation,\n"
               "or a listening socket on standard input), else on fcgi_listen of the\n"
               "configuration. --check tests the configuration, the accounts it names\n"
               "and the database, and exits. See asynctasks-fcgi(8).\n");
}

/* ---- the worker ---- */

/* Fixed malloc thresholds for the workers. glibc moves its mmap threshold
 * up to the size of the largest block it has freed, and its trim
 * threshold with it; after a worker had served pages of a few different
 * sizes, each page's buffers came from the top of the heap and went back
 * to the kernel when freed: three brk calls and fresh zeroed pages per
 * request, which doubled the worker's CPU time per page (measured in
 * docs/ARCHITECTURE.md, "The workers' heap"). Fixed, they stay put: a
 * block under MMAP_AT comes from the heap, and up to TRIM_AT of free heap
 * is kept for the next request. */
#define MMAP_AT (512 * 1024)
#define TRIM_AT (2 * 1024 * 1024)

static void
malloc_steady(void)
{
    if (!mallopt(M_MMAP_THRESHOLD, MMAP_AT) || !mallopt(M_TRIM_THRESHOLD, TRIM_AT))
        at_log(AT_LOG_WARN, "cannot set the malloc thresholds: pages may cost more");
}

/* The worker's wait for a connection. Each worker has an epoll instance
 * of its own that watches the shared listening socket exclusively: a new
 * connection wakes one waiting worker, not all of them only for the
 * others' accept to fail (measured: with 4 workers, 3 wasted wake-ups and
 * failed accepts a request). -1 when epoll is not to be had; the wait is
 * then ppoll's, which wakes every worker. */
static int
listen_wait_open(int lfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd};
    if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
        close(ep);
        ep = -1;
    }
    return ep;
}

/* Waits with the signal mask 'waiting' in force: > 0 when a connection
 * may be there, else 0 or -1 (a signal). */
static int
listen_wait(int ep, int lfd, const sigset_t *waiting)
{
    if (ep >= 0) {
        struct epoll_event ev;
        return epoll_pwait(ep, &ev, 1, -1, waiting);
    }
    struct pollfd p = {lfd, POLLIN, 0};
    return ppoll(&p, 1, NULL, waiting);
}

/* Whom the workers run as (at_account_of), for the configuration in use. */
static at_account account;

static int
worker(int lfd, const at_config *cfg)
{
    at_error err;
    /* Before anything else, and before the death signal: changing the
     * user clears it. */
    if (at_account_become(&account, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    /* die with the master, whatever kills it */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        return 0;
    sigset_t block, waiting;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &waiting);
    sigdelset(&waiting, SIGTERM);
    sigdelset(&waiting, SIGINT);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);

    at_db *db = NULL;
    /* Opened after the fork: a connection is never shared between
     * processes. A database that is down now may be up by the first
     * request: the library reconnects then. */
    if (at_db_open(cfg, &db, &err))
        at_log(AT_LOG_WARN, "worker starts without a database connection: %s", err.msg);
    FCGX_Request req;
    FCGX_InitRequest(&req, lfd, FCGI_FAIL_ACCEPT_ON_INTR);
    int ep = listen_wait_open(lfd);
    while (!got_term) {
        /* Signals are let in only while waiting, so a request in flight is
         * never interrupted: SIGTERM waits for it to finish. */
        int r = listen_wait(ep, lfd, &waiting);
        if (got_term)
            break;
        if (r <= 0)
            continue;
        /* The socket is non-blocking: when another worker took the
         * connection, this accept fails at once and we wait again. */
        if (FCGX_Accept_r(&req) < 0)
            continue;
        if (!db && at_db_open(cfg, &db, &err))
            at_log(AT_LOG_ERROR, "no database connection: %s", err.msg);
        if (db) {
            fc_handle(&req, db, cfg);
        } else if (FCGX_PutS("Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                             "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                             "Content-Security-Policy: default-src 'none'; frame-ancestors "
                             "'none'\r\nReferrer-Policy: same-origin\r\n\r\n"
                             "The database is not available at the moment; try again shortly.\n",
                             req.out) < 0) {
            at_log(AT_LOG_WARN, "a 503 answer could not be sent (FastCGI error %d)",
                   FCGX_GetError(req.out));
        }
        FCGX_Finish_r(&req);
    }
    FCGX_Free(&req, 0);
    if (ep >= 0)
        close(ep);
    at_db_close(db);
    return 0;
}

/* ---- the master ---- */

/* Twice the workers: during a reload the old ones finish while the new
 * ones start. */
#define SLOTS (WORKERS_MAX * 2)

typedef struct slot {
    pid_t pid;
    time_t started;
    unsigned generation;
} slot;

static slot slots[SLOTS];
static unsigned generation;
static time_t respawn_after;
static unsigned backoff_s;
static int pidfile_fd = -1; /* locked by the master alone */

static pid_t
spawn(int lfd, const at_config *cfg)
{
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &start_mask, NULL);
        if (pidfile_fd >= 0)
            close(pidfile_fd);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        at_child_exit(worker(lfd, cfg));
    }
    if (pid < 0)
        at_log(AT_LOG_ERROR, "cannot fork a worker: %s", strerror(errno));
    return pid;
}

/* Starts workers of the current generation until want of them live. */
static void
fill(int lfd, const at_config *cfg, unsigned want)
{
    time_t now = time(NULL);
    unsigned have = 0;
    for (unsigned i = 0; i < SLOTS; i++)
        have += slots[i].pid > 0 && slots[i].generation == generation;
    for (unsigned i = 0; i < SLOTS && have < want; i++) {
        if (slots[i].pid > 0)
            continue;
        if (now < respawn_after) {
            alarm((unsigned) (respawn_after - now)); /* come back then */
            return;
        }
        pid_t pid = spawn(lfd, cfg);
        if (pid < 0)
            return;
        slots[i] = (slot){pid, now, generation};
        have++;
    }
}

static void
reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < SLOTS; i++) {
            if (slots[i].pid != pid)
                continue;
            slots[i].pid = 0;
            if (got_term || slots[i].generation != generation)
                break;
            at_log(AT_LOG_WARN, "worker %ld ended (%s %d); starting another", (long) pid,
                   WIFSIGNALED(status) ? "signal" : "status",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            /* Workers that die young wait longer each time, so that a
             * broken setup does not fork in a tight loop. */
            if (time(NULL) - slots[i].started < 2) {
                backoff_s = backoff_s ? (backoff_s * 2 > 10 ? 10 : backoff_s * 2) : 1;
                respawn_after = time(NULL) + backoff_s;
            } else {
                backoff_s = 0;
            }
            break;
        }
    }
}

/* Asks the workers of generations before gen to stop, and waits up to
 * grace_s seconds before killing what is left. */
static void
stop_older(unsigned gen, int grace_s)
{
    for (unsigned i = 0; i < SLOTS; i++)
        if (slots[i].pid > 0 && slots[i].generation < gen)
            kill(slots[i].pid, SIGTERM);
    for (int t = 0;; t++) {
        reap();
        int left = 0;
        for (unsigned i = 0; i < SLOTS; i++)
            left += slots[i].pid > 0 && slots[i].generation < gen;
        if (!left)
            return;
        if (t == grace_s * 10) {
            for (unsigned i = 0; i < SLOTS; i++) {
                if (slots[i].pid > 0 && slots[i].generation < gen) {
                    at_log(AT_LOG_WARN, "worker %ld did not stop in %d s; killing it",
                           (long) slots[i].pid, grace_s);
                    kill(slots[i].pid, SIGKILL);
                }
            }
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
}

/* The owner and group the configuration gives the socket; (uid_t) -1
 * and (gid_t) -1 for those it leaves alone. */
static int
socket_ids(const at_config *cfg, uid_t *owner, gid_t *group, at_error *err)
{
    *owner = (uid_t) -1;
    *group = (gid_t) -1;
    if (cfg->fcgi_socket_owner && at_user_id(cfg->fcgi_socket_owner, owner, NULL, err))
        return at_error_wrap(err, "%s: fcgi_socket_owner", cfg->path);
    if (cfg->fcgi_socket_group && at_group_id(cfg->fcgi_socket_group, group, err))
        return at_error_wrap(err, "%s: fcgi_socket_group", cfg->path);
    return AT_OK;
}

/* The accounts the configuration names: whom the workers become and who
 * owns the socket. */
static int
accounts_of(const at_config *cfg, at_account *acc, uid_t *owner, gid_t *group, at_error *err)
{
    int rc = at_account_of(cfg, "asynctasks-fcgi", acc, err);
    return rc ? rc : socket_ids(cfg, owner, group, err);
}

static int
open_socket(const char *path, const at_config *cfg, uid_t owner, gid_t group)
{
    char msg[600];
    int fd = fc_listen_unix(path, (mode_t) cfg->fcgi_socket_mode, owner, group, msg, sizeof msg);
    if (fd < 0)
        at_log(AT_LOG_ERROR, "%s", msg);
    return fd;
}

/* --check: the configuration, its accounts and the database, as a start
 * would find them; one line when all is well. */
static int
check_only(const at_config *cfg)
{
    at_error err;
    at_account acc;
    uid_t owner;
    gid_t group;
    if (accounts_of(cfg, &acc, &owner, &group, &err)) {
        fprintf(stderr, "asynctasks-fcgi: %s\n", err.msg);
        return 78;
    }
    at_db *db;
    if (at_db_open(cfg, &db, &err) || at_schema_check(db, &err)) {
        fprintf(stderr, "asynctasks-fcgi: %s\n", err.msg);
        at_db_close(db);
        return 69;
    }
    at_db_close(db);
    printf("asynctasks-fcgi: %s: OK\n", cfg->path);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"processes", required_argument, NULL, 'p'},
                                         {"pidfile", required_argument, NULL, 'P'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *listen_path = NULL, *pidfile = NULL;
    long processes = 0;
    int o, check = 0;
    while ((o = getopt_long(argc, argv, "c:l:p:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': config = optarg; break;
        case 'l': listen_path = optarg; break;
        case 'P': pidfile = optarg; break;
        case 'k': check = 1; break;
        case 'p': {
            char *end;
            processes = strtol(optarg, &end, 10);
            if (*end || processes < 1 || processes > WORKERS_MAX) {
                fprintf(stderr, "asynctasks-fcgi: --processes must be 1 to %d\n", WORKERS_MAX);
                return 64;
            }
            break;
        }
        case 'h': usage(stdout); return 0;
        case 'V': printf("asynctasks-fcgi %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 64;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 64;
    }
    at_config *cfg = NULL;
    at_error err;
    if (at_config_load(config, &cfg, &err)) {
        fprintf(stderr, "asynctasks-fcgi: %s\n", err.msg);
        return 78;
    }
    if (check) {
        int rc = check_only(cfg);
        at_config_free(cfg);
        return rc;
    }
    at_log_init("asynctasks-fcgi", cfg->log_level, cfg->log_syslog);
    uid_t sock_owner;
    gid_t sock_group;
    if (accounts_of(cfg, &account, &sock_owner, &sock_group, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        at_config_free(cfg);
        return 78;
    }
    if (account.root_insists)
        at_log(AT_LOG_WARN, "workers run as root because %s says user = root", cfg->path);
    /* Refuse a database of the wrong schema now, not at the first request. */
    at_db *db;
    if (at_db_open(cfg, &db, &err) == AT_OK) {
        int rc = at_schema_check(db, &err);
        at_db_close(db);
        if (rc) {
            at_log(AT_LOG_ERROR, "%s", err.msg);
            return 1;
        }
    } else {
        at_log(AT_LOG_WARN, "database not reachable yet: %s", err.msg);
    }
    malloc_steady();
    xmlInitParser();
    if (FCGX_Init() != 0) {
        at_log(AT_LOG_ERROR, "cannot initialise FastCGI");
        return 1;
    }
    /* The pidfile first: while another instance holds it, its socket is
     * not to be touched. */
    if (pidfile && at_pidfile_take(pidfile, "asynctasks-fcgi", &pidfile_fd, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    int lfd = -1;
    char *sock = NULL; /* our own copy: a reload frees the configuration */
    const char *how = NULL;
    char msg[300];
    if (!listen_path && (lfd = fc_listen_inherited(&how, msg, sizeof msg)) == -2) {
        at_log(AT_LOG_ERROR, "%s", msg);
        if (pidfile)
            unlink(pidfile);
        return 1;
    }
    if (lfd < 0) {
        sock = strdup(listen_path ? listen_path : cfg->fcgi_listen ? cfg->fcgi_listen : "");
        if (!sock || (lfd = open_socket(sock, cfg, sock_owner, sock_group)) < 0) {
            if (pidfile)
                unlink(pidfile);
            return 1;
        }
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    sigaction(SIGALRM, &sa, NULL);
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    for (size_t i = 0; i < sizeof acted_on / sizeof acted_on[0]; i++)
        sigaddset(&blocked, acted_on[i]);
    sigprocmask(SIG_BLOCK, &blocked, &start_mask);
    waiting = start_mask;
    for (size_t i = 0; i < sizeof acted_on / sizeof acted_on[0]; i++)
        sigdelset(&waiting, acted_on[i]);
    unsigned want = (unsigned) (processes ? processes : (long) cfg->fcgi_processes);
    at_log(AT_LOG_INFO, "listening on %s with %u workers%s%s", sock ? sock : how, want,
           account.change ? " running as " : "", account.change ? account.name : "");
    fill(lfd, cfg, want);
    while (!got_term) {
        if (!got_chld && !got_hup)
            sigsuspend(&waiting); /* returns once a handler has run */
        if (got_term)
            break;
        if (got_chld) {
            got_chld = 0;
            reap();
        }
        if (got_hup) {
            got_hup = 0;
            at_config *fresh = NULL;
            at_account acc;
            if (at_config_reload(cfg, &fresh, &err) ||
                accounts_of(fresh, &acc, &sock_owner, &sock_group, &err)) {
                at_config_free(fresh);
                at_log(AT_LOG_ERROR, "reload refused, keeping the running configuration: %s",
                       err.msg);
            } else {
                /* New workers with the new configuration take over; the old
                 * ones finish the requests they have and stop. */
                at_config_free(cfg);
                cfg = fresh;
                account = acc;
                at_log_set_level(cfg->log_level);
                at_log_set_syslog(cfg->log_syslog);
                want = (unsigned) (processes ? processes : (long) cfg->fcgi_processes);
                generation++;
                respawn_after = 0;
                fill(lfd, cfg, want);
                stop_older(generation, 30);
                at_log(AT_LOG_INFO, "configuration reloaded; %u workers", want);
            }
        }
        if (!got_term)
            fill(lfd, cfg, want);
    }
    at_log(AT_LOG_INFO, "stopping: letting requests in flight finish");
    stop_older(generation + 1, 30);
    if (sock)
        unlink(sock);
    free(sock);
    if (pidfile)
        unlink(pidfile);
    at_config_free(cfg);
    return 0;
}
