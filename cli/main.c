/* main.c: asynctasks(1), the operator's command line: global options,
 * dispatch to the commands, and the helpers they share. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
    const char *name;
    cmd_fn fn;
    const char *summary;
} commands[] = {
    {"migrate", cmd_migrate, "apply pending schema migrations"},
    {"business", cmd_business, "add or list businesses"},
    {"user", cmd_user, "add, list, disable or enable users, set a password"},
    {"member", cmd_member, "add a user to a business with a role, or remove them"},
    {"platform-admin", cmd_platform_admin, "make a user a platform admin, or remove one"},
    {"type", cmd_type, "register or list task types"},
    {"enqueue", cmd_enqueue, "add a task"},
    {"tasks", cmd_tasks, "list, show, retry, run now, discard or delete tasks; the claim's plan"},
    {"counters", cmd_counters, "show, check or rebuild a business's task totals"},
    {"stats", cmd_stats, "what GET /metrics reports: queues, outcomes, executors, latencies"},
    {"pause", cmd_pause, "pause users or task types of a business, or list pauses"},
    {"resume", cmd_resume, "resume all, or users or task types"},
    {"schedule", cmd_schedule, "add, list, remove, pause or resume recurring tasks"},
    {"audit", cmd_audit, "list the audit log of a business"},
    {"prune", cmd_prune, "remove old finished tasks, audit entries and spool files now"},
    {"explain", cmd_explain, "the database's plans for the screen's dialogs and audit log"},
    {"token", cmd_token, "create, list or revoke the API tokens of a business"},
    {"login", cmd_login, "clear the count of failed logins of an email or address"},
    {"demo-data", cmd_demo_data, "load demonstration data"},
    {"plugin", cmd_plugin, "check, list or try out task-type plugins"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: asynctasks [--config FILE] COMMAND [ARGS...]\n"
               "       asynctasks COMMAND --help\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nThe configuration comes from --config FILE, else $ASYNCTASKS_CONFIG,\n"
               "else %s. See asynctasks(1).\n",
            at_config_default_path());
}

int
cli_exit_code(int status)
{
    switch (status) {
    case AT_OK: return EXIT_OK;
    case AT_EINVAL: return EXIT_DATA;
    case AT_EPLUGIN: return EXIT_DATA;
    case AT_EDB: return EXIT_DB;
    case AT_ENOMEM: return EXIT_SOFTWARE;
    case AT_EIO: return EXIT_IO;
    case AT_EDENIED: return EXIT_DENIED;
    case AT_ECONFIG: return EXIT_CONFIG;
    default: return EXIT_FAIL;
    }
}

int
cli_fail(const at_error *err)
{
    fprintf(stderr, "asynctasks: %s\n", err->msg[0] ? err->msg : at_status_str(err->code));
    return cli_exit_code(err->code);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "asynctasks: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'asynctasks %s --help'.\n", cmd);
    return EXIT_USAGE;
}

int
cli_wants_help(int argc, char **argv)
{
    /* Only where a subcommand or its first option would stand, so that a
     * value such as --reason -h is never taken for a request for help. */
    for (int i = 1; i < argc && i <= 2; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int
cli_help(int argc, char **argv, const char *help)
{
    if (argc >= 2 && !cli_wants_help(argc, argv))
        return -1;
    /* no subcommand is a usage error; asking for help is not */
    fputs(help, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
}

volatile sig_atomic_t cli_stop_requested;

static void
on_stop(int sig)
{
    (void) sig;
    cli_stop_requested = 1;
}

void
cli_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a sleep ends at once and the loop looks again */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int
cli_bad_option(const char *cmd)
{
    /* getopt has said what was wrong */
    fprintf(stderr, "Try 'asynctasks %s --help'.\n", cmd);
    return EXIT_USAGE;
}

int
cli_number(const char *what, const char *s, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        fprintf(stderr, "asynctasks: %s must be a whole number from %lld to %lld, not '%s'\n", what,
                min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int
cli_read_file(const char *path, size_t max, char **out, size_t *len, at_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return at_error_set(err, AT_EIO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = AT_OK;
    while (buf) {
        if (n == cap - 1) {
            if (cap > max + 1) {
                rc = at_error_set(err, AT_EINVAL, "%s is larger than %zu bytes",
                                  f == stdin ? "standard input" : path, max);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf)
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    else if (rc == AT_OK && ferror(f))
        rc = at_error_set(err, AT_EIO, "cannot read %s: %s", path, strerror(errno));
    else if (rc == AT_OK && n > max)
        rc = at_error_set(err, AT_EINVAL, "%s is larger than %zu bytes",
                          f == stdin ? "standard input" : path, max);
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return AT_OK;
}

at_db *
cli_db(cli *c, int check_schema)
{
    if (c->db)
        return c->db;
    at_error err = {0};
    if (!c->cfg && at_config_load(c->config_path, &c->cfg, &err))
        exit(cli_fail(&err));
    if (at_db_open(c->cfg, &c->db, &err))
        exit(cli_fail(&err));
    if (check_schema && at_schema_check(c->db, &err))
        exit(cli_fail(&err));
    return c->db;
}

int
cli_business(cli *c, const char *slug, at_business *b)
{
    at_error err = {0};
    if (at_business_get(cli_db(c, 1), slug, b, &err))
        return cli_fail(&err);
    return 0;
}

int
cli_user(cli *c, const char *email, at_user *u)
{
    at_error err = {0};
    if (at_user_get(cli_db(c, 1), email, u, &err))
        return cli_fail(&err);
    return 0;
}

int
cli_one_user(cli *c, int argc, char **argv, at_user *u)
{
    const char *cmd = argv[0] + strlen("asynctasks ");
    if (argc != 3)
        return cli_usage(cmd, "%s %s takes one EMAIL", cmd, argv[1]);
    return cli_user(c, argv[2], u);
}

int
cli_task_type(cli *c, const char *name, at_task_type *t)
{
    at_error err = {0};
    if (at_task_type_get(cli_db(c, 1), name, t, &err))
        return cli_fail(&err);
    return 0;
}

int
main(int argc, char **argv)
{
    cli_out_init();
    cli c = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("asynctasks %s (schema %d)\n", PACKAGE_VERSION, at_schema_latest());
            return EXIT_OK;
        } else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "asynctasks: --config needs a FILE\n");
                return EXIT_USAGE;
            }
            c.config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            c.config_path = argv[i] + 9;
        } else {
            fprintf(stderr, "asynctasks: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i == argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    /* The operator's actions are audited under their login name. */
    struct passwd *pw = getpwuid(geteuid());
    snprintf(c.actor_name, sizeof c.actor_name, "cli:%s", pw ? pw->pw_name : "unknown");
    c.actor.user_id = 0;
    c.actor.name = c.actor_name;
    int rc = -1;
    /* getopt's own messages start with argv[0]: make it the command. */
    char prog[64];
    snprintf(prog, sizeof prog, "asynctasks %s", argv[i]);
    char *saved = argv[i];
    argv[i] = prog;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(saved, commands[k].name) == 0) {
            rc = commands[k].fn(&c, argc - i, argv + i);
            break;
        }
    }
    argv[i] = saved;
    if (rc == -1) {
        if (strcmp(argv[i], "help") == 0) {
            usage(stdout);
            rc = EXIT_OK;
        } else {
            fprintf(stderr, "asynctasks: unknown command '%s'\n", argv[i]);
            usage(stderr);
            rc = EXIT_USAGE;
        }
    }
    at_db_close(c.db);
    at_config_free(c.cfg);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "asynctasks: cannot write output: %s\n", strerror(errno));
        return EXIT_IO;
    }
    return rc;
}
