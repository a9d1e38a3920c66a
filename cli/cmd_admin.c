/* cmd_admin.c: setting the platform up: migrate, businesses, users,
 * memberships, platform admins, task types and demo data. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* migrate --status: the versions, then each migration with its state;
 * exit 0 only when the database is at this build's version and no
 * applied migration differs from this build's text. */
static int
migrate_status(at_db *db)
{
    at_error err = {0};
    int v;
    if (at_schema_version(db, &v, &err))
        return cli_fail(&err);
    at_schema_migration *m;
    size_t n;
    if (at_schema_status(db, &m, &n, &err))
        return cli_fail(&err);
    int latest = at_schema_latest();
    printf("database schema version %d, this build %d%s\n", v, latest,
           v == latest  ? " (up to date)"
           : v < latest ? " (run 'asynctasks migrate')"
                        : " (database is newer: upgrade asynctasks)");
    size_t edited = 0;
    for (size_t i = 0; i < n; i++) {
        char at[32] = "";
        if (m[i].applied_at)
            at_time_format(m[i].applied_at, at, sizeof at);
        printf("%03d %-24s %-19s %s\n", m[i].version, m[i].name, at,
               at_schema_state_str(m[i].state));
        edited += m[i].state == AT_MIGRATION_EDITED;
    }
    free(m);
    if (edited)
        printf("%zu migration%s edited after %s applied: this build's schema is not the "
               "database's\n",
               edited, edited == 1 ? " was" : "s were", edited == 1 ? "it was" : "they were");
    return v == latest && !edited ? EXIT_OK : EXIT_FAIL;
}

int
cmd_migrate(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks migrate [--status]\n\n"
        "Applies the schema migrations this build carries that the database has\n"
        "not had yet, in order, and records each with the SHA-256 of its text.\n"
        "Running it again changes nothing. A database whose schema is newer than\n"
        "this build is refused.\n\n"
        "  --status   print the database's and this build's schema versions, then\n"
        "             each migration: applied, pending, or edited after it was\n"
        "             applied; exit 1 unless up to date with none edited\n";
    static const struct option opts[] = {{"status", no_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int status = 0, o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (o == 's') {
            status = 1;
        } else {
            return cli_bad_option("migrate");
        }
    }
    if (optind != argc)
        return cli_usage("migrate", "unexpected argument '%s'", argv[optind]);
    at_db *db = cli_db(c, 0);
    if (status)
        return migrate_status(db);
    at_error err = {0};
    int v, applied;
    if (at_migrate(db, &applied, &err))
        return cli_fail(&err);
    at_schema_version(db, &v, &err);
    if (applied)
        printf("applied %d migration%s; schema is at version %d\n", applied,
               applied == 1 ? "" : "s", v);
    else
        printf("schema is up to date at version %d\n", v);
    return EXIT_OK;
}

static int
business_set(cli *c, int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[3], "--max-running") != 0)
        return cli_usage("business", "business set takes SLUG --max-running N|default");
    long long cap = AT_CAP_DEFAULT;
    if (strcmp(argv[4], "default") != 0 &&
        cli_number("--max-running", argv[4], 0, AT_CAP_MAX, &cap))
        return EXIT_USAGE;
    at_business b;
    int rc = cli_business(c, argv[2], &b);
    if (rc)
        return rc;
    at_error err = {0};
    if (at_business_cap_set(cli_db(c, 1), &c->actor, b.id, cap, &err))
        return cli_fail(&err);
    if (cap == AT_CAP_DEFAULT)
        printf("business %s: max running is the default (%u%s)\n", b.slug, c->cfg->max_running,
               c->cfg->max_running ? "" : ": no cap");
    else if (cap == 0)
        printf("business %s: no cap on running tasks\n", b.slug);
    else
        printf("business %s: at most %lld running tasks\n", b.slug, cap);
    return EXIT_OK;
}

int
cmd_business(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks business add SLUG NAME\n"
        "       asynctasks business list\n"
        "       asynctasks business set SLUG --max-running N|default\n\n"
        "SLUG: 1-64 of a-z, 0-9 and '-', used on the command line and in\n"
        "URLs. NAME: the display name.\n"
        "--max-running: the most tasks of the business that run at once, over\n"
        "all supervisors: N from 1 to 1000000, 0 for no cap, or 'default' for\n"
        "max_running of asynctasks.conf. Audited.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    at_error err = {0};
    if (strcmp(argv[1], "add") == 0) {
        if (argc != 4)
            return cli_usage("business", "business add takes SLUG and NAME");
        uint64_t id;
        if (at_business_add(cli_db(c, 1), argv[2], argv[3], &id, &err))
            return cli_fail(&err);
        printf("added business %s (#%llu)\n", argv[2], (unsigned long long) id);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) {
        if (argc != 2)
            return cli_usage("business", "business list takes no arguments");
        at_business *v;
        size_t n;
        if (at_business_list(cli_db(c, 1), &v, &n, &err))
            return cli_fail(&err);
        printf("%-6s %-24s %-12s %s\n", "ID", "SLUG", "MAX RUNNING", "NAME");
        for (size_t i = 0; i < n; i++) {
            int64_t cap;
            if (at_business_cap_get(cli_db(c, 1), v[i].id, &cap, &err)) {
                free(v);
                return cli_fail(&err);
            }
            char cs[24];
            if (cap == AT_CAP_DEFAULT)
                snprintf(cs, sizeof cs, "default");
            else if (cap == 0)
                snprintf(cs, sizeof cs, "none");
            else
                snprintf(cs, sizeof cs, "%lld", (long long) cap);
            printf("%-6llu ", (unsigned long long) v[i].id);
            cli_cell(stdout, v[i].slug, 24);
            printf(" %-12s ", cs);
            cli_cell(stdout, v[i].name, 0);
            putchar('\n');
        }
        free(v);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "set") == 0)
        return business_set(c, argc, argv);
    return cli_usage("business", "unknown subcommand '%s'", argv[1]);
}

/* Reads a password: from a file, from stdin ("-"), or asked for twice on a
 * terminal with echo off. Never from the command line. */
static int
read_password(const char *file, char *out, size_t outlen, at_error *err)
{
    if (!file && isatty(STDIN_FILENO)) {
        char again[AT_PASSWORD_MAX + 2];
        struct termios old, quiet;
        if (tcgetattr(STDIN_FILENO, &old) != 0)
            return at_error_set(err, AT_EIO, "cannot read the terminal");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        fputs("Password: ", stderr);
        char *a = fgets(out, (int) outlen, stdin);
        fputs("\nAgain: ", stderr);
        char *b = fgets(again, sizeof again, stdin);
        fputs("\n", stderr);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        if (!a || !b)
            return at_error_set(err, AT_EIO, "no password given");
        out[strcspn(out, "\r\n")] = 0;
        again[strcspn(again, "\r\n")] = 0;
        int same = strcmp(out, again) == 0;
        at_wipe(again, sizeof again);
        if (!same)
            return at_error_set(err, AT_EINVAL, "the passwords do not match");
        return AT_OK;
    }
    char *text;
    size_t len;
    int rc = cli_read_file(file ? file : "-", AT_PASSWORD_MAX + 2, &text, &len, err);
    if (rc)
        return rc;
    text[strcspn(text, "\r\n")] = 0;
    if (strlen(text) >= outlen) {
        at_wipe(text, len);
        free(text);
        return at_error_set(err, AT_EINVAL, "password is longer than %d bytes", AT_PASSWORD_MAX);
    }
    strcpy(out, text);
    at_wipe(text, len);
    free(text);
    if (!out[0])
        return at_error_set(err, AT_EINVAL, "password is empty");
    return AT_OK;
}

static int
user_add(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"password-file", required_argument, NULL, 'p'},
                                         {"no-password", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *pwfile = NULL;
    int nopw = 0, o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'p')
            pwfile = optarg;
        else if (o == 'n')
            nopw = 1;
        else
            return cli_bad_option("user");
    }
    if (argc - optind != 2)
        return cli_usage("user", "user add takes EMAIL and NAME");
    if (nopw && pwfile)
        return cli_usage("user", "give --password-file or --no-password, not both");
    at_error err = {0};
    char pw[AT_PASSWORD_MAX + 2] = "";
    if (!nopw && read_password(pwfile, pw, sizeof pw, &err))
        return cli_fail(&err);
    uint64_t id;
    int rc = at_user_add(cli_db(c, 1), argv[optind], argv[optind + 1], nopw ? NULL : pw, &id, &err);
    at_wipe(pw, sizeof pw);
    if (rc)
        return cli_fail(&err);
    printf("added user %s (#%llu)\n", argv[optind], (unsigned long long) id);
    return EXIT_OK;
}

static int
user_passwd(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"password-file", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *pwfile = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'p')
            pwfile = optarg;
        else
            return cli_bad_option("user");
    }
    if (argc - optind != 1)
        return cli_usage("user", "user passwd takes EMAIL");
    at_user u;
    int rc = cli_user(c, argv[optind], &u);
    if (rc)
        return rc;
    at_error err = {0};
    char pw[AT_PASSWORD_MAX + 2] = "";
    if (read_password(pwfile, pw, sizeof pw, &err))
        return cli_fail(&err);
    uint64_t ended = 0;
    rc = at_user_set_password(cli_db(c, 1), u.id, pw, &ended, &err);
    at_wipe(pw, sizeof pw);
    if (rc)
        return cli_fail(&err);
    printf("password of %s changed; %llu session%s ended\n", u.email, (unsigned long long) ended,
           ended == 1 ? "" : "s");
    return EXIT_OK;
}

static int
user_list(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"search", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *search = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else if (o == 's')
            search = optarg;
        else
            return cli_bad_option("user");
    }
    if (optind != argc)
        return cli_usage("user", "unexpected argument '%s'", argv[optind]);
    at_business b = {0};
    int rc;
    if (slug && (rc = cli_business(c, slug, &b)))
        return rc;
    at_error err = {0};
    at_user *v;
    size_t n;
    if (at_user_list(cli_db(c, 1), b.id, search, &v, &n, &err))
        return cli_fail(&err);
    uint64_t *ids = calloc(n + 1, sizeof *ids);
    int *admin = calloc(n + 1, sizeof *admin);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = v[i].id;
    if (!ids || !admin || at_access_platform_admins(cli_db(c, 1), ids, n, admin, &err)) {
        if (!ids || !admin)
            at_error_set(&err, AT_ENOMEM, "out of memory");
        free(ids);
        free(admin);
        free(v);
        return cli_fail(&err);
    }
    printf("%-6s ", "ID");
    cli_cell(stdout, "EMAIL", 40);
    printf(" NAME\n");
    for (size_t i = 0; i < n; i++) {
        printf("%-6llu ", (unsigned long long) v[i].id);
        cli_cell(stdout, v[i].email, 40);
        putchar(' ');
        cli_cell(stdout, v[i].name, 0);
        printf("%s%s\n", admin[i] ? " (platform admin)" : "",
               v[i].disabled_at ? " (disabled)" : "");
    }
    free(ids);
    free(admin);
    free(v);
    return EXIT_OK;
}

/* user disable EMAIL, user enable EMAIL */
static int
user_disable(cli *c, int argc, char **argv, bool disable)
{
    at_user u;
    int rc = cli_one_user(c, argc, argv, &u);
    if (rc)
        return rc;
    at_error err = {0};
    int changed;
    uint64_t ended;
    if (at_user_set_disabled(cli_db(c, 1), &c->actor, u.id, disable, &changed, &ended, &err))
        return cli_fail(&err);
    if (!changed)
        printf("%s was already %s\n", u.email, disable ? "disabled" : "enabled");
    else if (disable)
        printf("disabled %s; %llu session%s ended\n", u.email, (unsigned long long) ended,
               ended == 1 ? "" : "s");
    else
        printf("enabled %s\n", u.email);
    return EXIT_OK;
}

int
cmd_user(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks user add EMAIL NAME [--password-file FILE|-] [--no-password]\n"
        "       asynctasks user passwd EMAIL [--password-file FILE|-]\n"
        "       asynctasks user list [--business SLUG] [--search TEXT]\n"
        "       asynctasks user disable|enable EMAIL\n\n"
        "The password is the first line of FILE or of standard input ('-'), or is\n"
        "asked for on the terminal; never taken from the command line. It is\n"
        "stored as a yescrypt hash. --no-password makes a user who cannot log in.\n"
        "disable: the user can no longer log in, and their sessions end at once;\n"
        "memberships and tasks stay. enable undoes it. Both are audited.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    if (strcmp(argv[1], "add") == 0)
        return user_add(c, argc - 1, cli_shift(argv));
    if (strcmp(argv[1], "passwd") == 0)
        return user_passwd(c, argc - 1, cli_shift(argv));
    if (strcmp(argv[1], "list") == 0)
        return user_list(c, argc - 1, cli_shift(argv));
    if (strcmp(argv[1], "disable") == 0 || strcmp(argv[1], "enable") == 0)
        return user_disable(c, argc, argv, strcmp(argv[1], "disable") == 0);
    return cli_usage("user", "unknown subcommand '%s'", argv[1]);
}

int
cmd_member(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks member add --business SLUG --user EMAIL --role ROLE\n"
        "       asynctasks member remove --business SLUG --user EMAIL [--force]\n\n"
        "add: adds the user to the business, or changes their role there.\n"
        "ROLE: member, or business_admin (may manage the business's tasks).\n"
        "remove: takes the user out of the business; their tasks and any pause\n"
        "rule naming them stay. The business's last business_admin is kept\n"
        "unless --force. Audited.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    int add = strcmp(argv[1], "add") == 0;
    if (!add && strcmp(argv[1], "remove") != 0)
        return cli_usage("member", "unknown subcommand '%s'", argv[1]);
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"force", no_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *email = NULL, *role = NULL;
    int o, force = 0;
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else if (o == 'u')
            email = optarg;
        else if (o == 'r' && add)
            role = optarg;
        else if (o == 'f' && !add)
            force = 1;
        else
            return cli_bad_option("member");
    }
    if (optind != argc)
        return cli_usage("member", "unexpected argument '%s'", argv[optind]);
    if (!slug || !email || (add && !role))
        return cli_usage("member", add ? "member add needs --business, --user and --role"
                                       : "member remove needs --business and --user");
    int r = add ? at_role_parse(role) : AT_ROLE_NONE;
    if (add && !r)
        return cli_usage("member", "role must be member or business_admin, not '%s'", role);
    at_business b;
    at_user u;
    int rc;
    if ((rc = cli_business(c, slug, &b)) || (rc = cli_user(c, email, &u)))
        return rc;
    at_error err = {0};
    if (!add) {
        if (at_member_remove(cli_db(c, 1), &c->actor, b.id, u.id, force, &err))
            return cli_fail(&err);
        printf("%s is no longer a member of %s\n", u.email, b.slug);
        return EXIT_OK;
    }
    if (at_member_add(cli_db(c, 1), b.id, u.id, r, &err))
        return cli_fail(&err);
    printf("%s is %s of %s\n", u.email, r == AT_ROLE_BUSINESS_ADMIN ? "an admin" : "a member",
           b.slug);
    return EXIT_OK;
}

int
cmd_platform_admin(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks platform-admin add EMAIL\n"
        "       asynctasks platform-admin remove EMAIL\n\n"
        "add makes the user a platform admin, who may manage every business.\n"
        "remove takes that away; the last platform admin is kept. Both are\n"
        "audited in the platform's log (audit list --platform).\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    int add = strcmp(argv[1], "add") == 0;
    if (!add && strcmp(argv[1], "remove") != 0)
        return cli_usage("platform-admin", "unknown subcommand '%s'", argv[1]);
    at_user u;
    int rc = cli_one_user(c, argc, argv, &u);
    if (rc)
        return rc;
    at_error err = {0};
    if (add ? at_platform_admin_add(cli_db(c, 1), &c->actor, u.id, &err)
            : at_platform_admin_remove(cli_db(c, 1), &c->actor, u.id, &err))
        return cli_fail(&err);
    printf(add ? "%s is a platform admin\n" : "%s is no longer a platform admin\n", u.email);
    return EXIT_OK;
}

int
cmd_type(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks type add NAME [--description TEXT] [--timeout SECONDS]\n"
        "                           [--max-attempts N]\n"
        "       asynctasks type list [--search TEXT]\n\n"
        "Registers a task type (or updates one). The supervisor registers the\n"
        "types its plugins handle itself; this is for types handled elsewhere.\n"
        "Defaults: timeout 300 s, 3 attempts.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    at_error err = {0};
    static const struct option opts[] = {{"description", required_argument, NULL, 'd'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"max-attempts", required_argument, NULL, 'm'},
                                         {"search", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *desc = "", *search = NULL;
    long long timeout = 300, attempts = 3;
    int o, add = strcmp(argv[1], "add") == 0;
    if (!add && strcmp(argv[1], "list") != 0)
        return cli_usage("type", "unknown subcommand '%s'", argv[1]);
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'd' && add)
            desc = optarg;
        else if (o == 't' && add) {
            if (cli_number("--timeout", optarg, 1, 7 * 86400, &timeout))
                return EXIT_USAGE;
        } else if (o == 'm' && add) {
            if (cli_number("--max-attempts", optarg, 1, 100, &attempts))
                return EXIT_USAGE;
        } else if (o == 's' && !add)
            search = optarg;
        else
            return cli_bad_option("type");
    }
    if (add) {
        if (argc - optind != 1)
            return cli_usage("type", "type add takes one NAME");
        uint64_t id;
        if (at_task_type_register(cli_db(c, 1), argv[optind], desc, (unsigned) timeout,
                                  (unsigned) attempts, &id, &err))
            return cli_fail(&err);
        printf("task type %s (#%llu) registered\n", argv[optind], (unsigned long long) id);
        return EXIT_OK;
    }
    if (optind != argc)
        return cli_usage("type", "unexpected argument '%s'", argv[optind]);
    at_task_type *v;
    size_t n;
    if (at_task_type_list(cli_db(c, 1), search, &v, &n, &err))
        return cli_fail(&err);
    printf("%-6s %-20s %8s %8s  %s\n", "ID", "NAME", "TIMEOUT", "ATTEMPTS", "DESCRIPTION");
    for (size_t i = 0; i < n; i++) {
        printf("%-6llu ", (unsigned long long) v[i].id);
        cli_cell(stdout, v[i].name, 20);
        printf(" %7us %8u  ", v[i].timeout_s, v[i].max_attempts);
        cli_cell(stdout, v[i].description, 0);
        putchar('\n');
    }
    free(v);
    return EXIT_OK;
}

static void
progress(uint64_t done, uint64_t total, void *ctx)
{
    (void) ctx;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%llu / %llu tasks", (unsigned long long) done,
                (unsigned long long) total);
}

int
cmd_demo_data(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks demo-data [--tasks N] [--users N] [--seed N]\n\n"
        "Creates the demo businesses acme, globex and initech (no tasks), the\n"
        "logins admin@example.com (platform admin), alice@example.com (admin of\n"
        "acme and globex) and bob@example.com (member of acme), all with the\n"
        "password 'demo', N generated members per business (default 40), the\n"
        "demo task types, and adds N tasks (default 2000) over acme and globex.\n"
        "Running it again keeps what exists and adds the tasks again.\n";
    static const struct option opts[] = {{"tasks", required_argument, NULL, 't'},
                                         {"users", required_argument, NULL, 'u'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    long long tasks = 2000, users = 40, seed = 1;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (o == 't') {
            if (cli_number("--tasks", optarg, 0, 100000000, &tasks))
                return EXIT_USAGE;
        } else if (o == 'u') {
            if (cli_number("--users", optarg, 1, 100000, &users))
                return EXIT_USAGE;
        } else if (o == 's') {
            if (cli_number("--seed", optarg, 1, 4294967295LL, &seed))
                return EXIT_USAGE;
        } else {
            return cli_bad_option("demo-data");
        }
    }
    if (optind != argc)
        return cli_usage("demo-data", "unexpected argument '%s'", argv[optind]);
    at_demo_opts d = {(uint64_t) tasks, (unsigned) users, (unsigned) seed, "demo",
                      progress, NULL, &c->actor};
    at_error err = {0};
    int rc = at_demo_load(cli_db(c, 1), &d, &err);
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    if (rc)
        return cli_fail(&err);
    printf("demo data loaded: %lld tasks added\n", tasks);
    return EXIT_OK;
}
