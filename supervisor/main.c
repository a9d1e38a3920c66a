/* main.c: asynctasksd(8): reads the configuration, takes the pidfile,
 * drops root, loads and registers the plugins, opens the wake-up socket,
 * registers in the database and hands over to the supervisor's loop. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sv.h"

int sv_pidfile_fd = -1;

/* Reachable to the end, executors included: their copy of the supervisor
 * is not theirs to free. */
static sv state;

static void
on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        sv_got_term = 1;
    else if (sig == SIGHUP)
        sv_got_hup = 1;
    else if (sig == SIGCHLD)
        sv_got_chld = 1;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: asynctasksd [--config FILE] [--pidfile FILE] [--syslog] [--check]\n\n"
               "Runs the tasks: loads the task-type plugins, forks the configured number\n"
               "of executors and keeps them alive. SIGTERM drains, SIGHUP reloads.\n"
               "--check loads the configuration and the plugins, prints what it found\n"
               "and exits. See asynctasksd(8).\n");
}

/* Started as root, the supervisor becomes the configured account before
 * any plugin code is loaded (the rule is at_account_of's). */
static int
drop_root(const at_config *cfg)
{
    at_account acc;
    at_error err;
    if (at_account_of(cfg, "asynctasksd", &acc, &err) || at_account_become(&acc, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        return -1;
    }
    if (acc.root_insists)
        at_log(AT_LOG_WARN, "running as root because %s says user = root: plugins run with "
               "every privilege", cfg->path);
    else if (acc.change)
        at_log(AT_LOG_INFO, "running as %s (uid %d)", acc.name, (int) acc.uid);
    return 0;
}

/* The UDP socket enqueue pokes: bound to the configured address on a port
 * of the kernel's choice, which the supervisors row advertises. */
static int
open_wake(sv *s)
{
    s->wake_fd = -1;
    s->wake_addr[0] = 0;
    if (strcmp(s->cfg->wake_address, "off") == 0)
        return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, s->cfg->wake_address, &a.sin_addr) != 1) {
        at_log(AT_LOG_ERROR, "%s: wake_address %s is not an IPv4 address (or off)", s->cfg->path,
               s->cfg->wake_address);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *) &a, &len) < 0) {
        at_log(AT_LOG_ERROR, "wake-up socket on %s: %s", s->cfg->wake_address, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->wake_fd = fd;
    snprintf(s->wake_addr, sizeof s->wake_addr, "%s:%u", s->cfg->wake_address,
             (unsigned) ntohs(a.sin_port));
    return 0;
}

static int
check_only(sv *s)
{
    int bad = 0;
    for (size_t i = 0; s->plugins && i < s->plugins->n; i++) {
        at_loaded_plugin *p = s->plugins->plugins[i];
        for (size_t k = 0; k < p->nhandlers; k++)
            printf("%s\t%s\t#%llu\n", p->path, p->handlers[k].type.name,
                   (unsigned long long) p->handlers[k].type_id);
    }
    for (size_t i = 0; s->plugins && i < s->plugins->nrefusals; i++, bad = 1)
        printf("refused\t%s\n", s->plugins->refusals[i]);
    return bad || !s->plugins ? 1 : 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"pidfile", required_argument, NULL, 'p'},
                                         {"syslog", no_argument, NULL, 's'},
                                         {"check", no_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *pidfile = NULL;
    int use_syslog = 0, check = 0, c;
    sv *s = &state;
    s->wake_fd = -1;
    while ((c = getopt_long(argc, argv, "c:p:skhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': s->config_path = optarg; break;
        case 'p': pidfile = optarg; break;
        case 's': use_syslog = 1; break;
        case 'k': check = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("asynctasksd %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 64;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "asynctasksd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 64;
    }
    at_log_init("asynctasksd", AT_LOG_INFO, use_syslog);
    at_error err;
    if (at_config_load(s->config_path, &s->cfg, &err) != AT_OK) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        return 78;
    }
    at_log_set_level(s->cfg->log_level);
    s->syslog_flag = use_syslog;
    at_log_set_syslog(use_syslog || s->cfg->log_syslog);
    at_supervisor_host_self(&s->me);
    if (!*s->me.hood)
        at_log(AT_LOG_WARN, "cannot tell this process's boot and pid namespace from /proc: "
               "if a supervisor here dies, its tasks wait for their leases to run out (%d s)",
               AT_LEASE_S);

    sv_signal(SIGTERM, on_signal);
    sv_signal(SIGINT, on_signal);
    sv_signal(SIGHUP, on_signal);
    sv_signal(SIGCHLD, on_signal);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);

    int rc = 1;
    if (!check &&
        at_pidfile_take(pidfile ? pidfile : s->cfg->pidfile, "asynctasksd", &sv_pidfile_fd, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        return 73;
    }
    if (drop_root(s->cfg) < 0)
        goto out;
    if (at_db_open(s->cfg, &s->db, &err) != AT_OK || at_schema_check(s->db, &err) != AT_OK) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        rc = 69;
        goto out;
    }
    if (sv_load_plugins(s) < 0 && !check)
        goto out;
    if (check) {
        rc = check_only(s);
        goto out;
    }
    if (open_wake(s) < 0)
        goto out;
    if (at_supervisor_register(s->db, &s->me, s->wake_addr, &s->id, &err)) {
        at_log(AT_LOG_ERROR, "%s", err.msg);
        rc = 69;
        goto out;
    }
    at_log(AT_LOG_INFO, "supervisor #%llu on %s: %u executors, plugins from %s%s%s",
           (unsigned long long) s->id, s->me.name, s->cfg->executors, s->cfg->plugin_dir,
           *s->wake_addr ? ", wake-up on " : "", s->wake_addr);
    rc = sv_run(s);
    if (at_supervisor_unregister(s->db, s->id, &err))
        at_log(AT_LOG_WARN, "%s", err.msg);
    at_log(AT_LOG_INFO, "stopped");
out:
    if (sv_pidfile_fd >= 0)
        unlink(pidfile ? pidfile : s->cfg->pidfile);
    at_plugins_free(s->plugins);
    free(s->pending);
    at_db_close(s->db);
    at_config_free(s->cfg);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    return rc;
}
