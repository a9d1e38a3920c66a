/* cmd_pause.c: pause and resume users and task types, and read the audit
 * log those actions write. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Turns names (emails or task type names) into ids; a wrong one stops it.
 * A name given twice counts once: names and *n are compacted. A user
 * must be a member of the business; business 0 (a platform rule): any
 * user. */
static int
resolve_targets(cli *c, uint64_t business_id, int scope, char **names, int *n, uint64_t *ids)
{
    int k = 0;
    for (int i = 0; i < *n; i++) {
        int dup = 0;
        for (int j = 0; j < k; j++)
            dup |= strcmp(names[j], names[i]) == 0;
        if (!dup)
            names[k++] = names[i];
    }
    *n = k;
    for (int i = 0; i < k; i++) {
        int rc;
        if (scope == AT_SCOPE_USER) {
            at_user u;
            if ((rc = cli_user(c, names[i], &u)))
                return rc;
            ids[i] = u.id;
            if (!business_id)
                continue;
            int role;
            at_error err = {0};
            if (at_member_role(cli_db(c, 1), business_id, u.id, &role, &err))
                return cli_fail(&err);
            if (role == AT_ROLE_NONE) {
                fprintf(stderr, "asynctasks: user '%s' is not a member of this business\n",
                        names[i]);
                return EXIT_FAIL;
            }
        } else {
            at_task_type t;
            if ((rc = cli_task_type(c, names[i], &t)))
                return rc;
            ids[i] = t.id;
        }
    }
    return EXIT_OK;
}

/* The rules of set, business's and platform's alike, as a table. */
static void
print_rules(const at_pause_set *set)
{
    printf("%-18s %-28s %-24s %-19s %-19s %s\n", "SCOPE", "TARGET", "PAUSED BY", "PAUSED AT",
           "UNTIL", "REASON");
    for (size_t i = 0; i < set->n; i++) {
        const at_pause_rule *r = &set->rules[i];
        char at[32], until[32], scope[32];
        snprintf(scope, sizeof scope, "%s%s", at_pause_rule_platform(r) ? "platform " : "",
                 r->scope == AT_SCOPE_USER ? "user" : "task type");
        printf("%-18s ", scope);
        cli_cell(stdout, r->target_name, 28);
        putchar(' ');
        cli_cell(stdout, r->paused_by_name, 24);
        printf(" %-19s %-19s ", at_time_format(r->paused_at, at, sizeof at),
               r->until ? at_time_format(r->until, until, sizeof until) : "-");
        cli_cell(stdout, r->reason, 0);
        putchar('\n');
    }
}

/* A business's rules and the platform's (b NULL: the platform's alone). */
static int
pause_list(cli *c, const at_business *b)
{
    at_pause_set set;
    at_error err = {0};
    if (b ? at_pause_load(cli_db(c, 1), b->id, &set, &err)
          : at_platform_pause_load(cli_db(c, 1), &set, &err))
        return cli_fail(&err);
    if (set.n == 0 && b)
        printf("nothing is paused in %s\n", b->slug);
    else if (set.n == 0)
        printf("nothing is paused for all businesses\n");
    else
        print_rules(&set);
    at_pause_set_free(&set);
    return EXIT_OK;
}

/* Where a pause or resume applies: --business SLUG, or --all-businesses. */
static int
where_check(const char *cmd, const char *slug, int all_businesses)
{
    if (slug && all_businesses)
        return cli_usage(cmd, "give either --business or --all-businesses, not both");
    if (!slug && !all_businesses)
        return cli_usage(cmd, "%s needs --business SLUG or --all-businesses", cmd);
    return EXIT_OK;
}

int
cmd_pause(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks pause user --business SLUG EMAIL... [--reason TEXT] [--until TIME]\n"
        "       asynctasks pause type --business SLUG TYPE... [--reason TEXT] [--until TIME]\n"
        "       asynctasks pause user|type --all-businesses NAME... [--reason TEXT] [--until TIME]\n"
        "       asynctasks pause list --business SLUG | --all-businesses\n\n"
        "Pauses the tasks of the named users, or of the named task types, in the\n"
        "business: queued ones and any enqueued later. Running tasks finish. All\n"
        "names are paused together or none is. TIME: YYYY-MM-DD[ HH:MM[:SS]] UTC or\n"
        "+N with s, m, h or d; without --until the pause lasts until resumed.\n"
        "--all-businesses makes a platform rule: it holds in every business,\n"
        "present and future, and only a platform admin or the operator lifts it.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    int scope = 0, list = strcmp(argv[1], "list") == 0;
    if (!list && !(scope = at_scope_parse(argv[1])))
        return cli_usage("pause", "pause takes user, type or list, not '%s'", argv[1]);
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"all-businesses", no_argument, NULL, 'A'},
                                         {"reason", required_argument, NULL, 'r'},
                                         {"until", required_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *reason = "", *until = NULL;
    int o, everywhere = 0;
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else if (o == 'A')
            everywhere = 1;
        else if (o == 'r' && !list)
            reason = optarg;
        else if (o == 'u' && !list)
            until = optarg;
        else
            return cli_bad_option("pause");
    }
    int rc = where_check("pause", slug, everywhere);
    if (rc)
        return rc;
    int n = argc - optind;
    if (list && n)
        return cli_usage("pause", "unexpected argument '%s'", argv[optind]);
    if (!list && n == 0)
        return cli_usage("pause", "name at least one %s to pause",
                         scope == AT_SCOPE_USER ? "user" : "task type");
    at_business b = {0};
    if (slug && (rc = cli_business(c, slug, &b)))
        return rc;
    if (list)
        return pause_list(c, slug ? &b : NULL);
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_time until_t = 0;
    if (until) {
        at_time now;
        if (at_db_now(db, &now, &err) || at_time_parse(until, now, &until_t, &err))
            return cli_fail(&err);
    }
    uint64_t *ids = calloc((size_t) n, sizeof *ids);
    if (!ids)
        return EXIT_SOFTWARE;
    rc = resolve_targets(c, b.id, scope, argv + optind, &n, ids);
    if (rc == EXIT_OK &&
        (everywhere ? at_platform_pause_add(db, &c->actor, scope, ids, (size_t) n, reason,
                                            until_t, &err)
                    : at_pause_add(db, &c->actor, b.id, scope, ids, (size_t) n, reason, until_t,
                                   &err)))
        rc = cli_fail(&err);
    free(ids);
    if (rc == EXIT_OK)
        printf("paused %d %s%s %s%s\n", n, scope == AT_SCOPE_USER ? "user" : "task type",
               n == 1 ? "" : "s", everywhere ? "for all businesses" : "in ",
               everywhere ? "" : b.slug);
    return rc;
}

int
cmd_resume(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks resume all --business SLUG\n"
        "       asynctasks resume user --business SLUG EMAIL...\n"
        "       asynctasks resume type --business SLUG TYPE...\n"
        "       asynctasks resume user|type --all-businesses NAME...\n\n"
        "Resume All removes every pause of the business: its paused tasks become\n"
        "runnable at once, but for those that platform rules hold, which it\n"
        "leaves in place. The others remove the pause of each named target;\n"
        "--all-businesses, the platform rule of each.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    int scope = 0, all = strcmp(argv[1], "all") == 0;
    if (!all && !(scope = at_scope_parse(argv[1])))
        return cli_usage("resume", "resume takes all, user or type, not '%s'", argv[1]);
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"all-businesses", no_argument, NULL, 'A'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL;
    int o, everywhere = 0;
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else if (o == 'A' && !all)
            everywhere = 1;
        else
            return cli_bad_option("resume");
    }
    int rc = where_check("resume", slug, everywhere);
    if (rc)
        return rc;
    int n = argc - optind;
    if (all && n)
        return cli_usage("resume", "resume all takes no names");
    if (!all && n == 0)
        return cli_usage("resume", "name at least one %s to resume",
                         scope == AT_SCOPE_USER ? "user" : "task type");
    at_business b = {0};
    if (slug && (rc = cli_business(c, slug, &b)))
        return rc;
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    if (all) {
        unsigned removed, left;
        uint64_t released;
        if (at_pause_resume_all(db, &c->actor, b.id, &removed, &released, &left, &err))
            return cli_fail(&err);
        printf("resumed all in %s: %u pause%s removed, %llu task%s released", b.slug, removed,
               removed == 1 ? "" : "s", (unsigned long long) released, released == 1 ? "" : "s");
        if (left)
            printf("; %u platform rule%s left in place", left, left == 1 ? "" : "s");
        putchar('\n');
        return EXIT_OK;
    }
    uint64_t *ids = calloc((size_t) n, sizeof *ids);
    if (!ids)
        return EXIT_SOFTWARE;
    char **names = argv + optind;
    rc = resolve_targets(c, b.id, scope, names, &n, ids);
    for (int i = 0; rc == EXIT_OK && i < n; i++) {
        if (everywhere ? at_platform_pause_resume(db, &c->actor, scope, ids[i], &err)
                       : at_pause_resume(db, &c->actor, b.id, scope, ids[i], &err))
            rc = cli_fail(&err);
        else
            printf("resumed %s%s\n", names[i], everywhere ? " for all businesses" : "");
    }
    free(ids);
    return rc;
}

int
cmd_audit(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks audit list --business SLUG [--limit N] [--before ID]\n"
        "       asynctasks audit list --platform [--limit N] [--before ID]\n\n"
        "Lists the business's audit log, newest first: every pause, resume,\n"
        "edit and delete, with who did it, when, and why. --platform lists the\n"
        "entries that concern no business: login throttles cleared, users\n"
        "disabled and enabled, platform admins removed, prunes.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    if (strcmp(argv[1], "list") != 0)
        return cli_usage("audit", "unknown subcommand '%s'", argv[1]);
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"platform", no_argument, NULL, 'p'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"before", required_argument, NULL, 'B'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL;
    int platform = 0;
    long long limit = 50, before = 0;
    int o;
    argv = cli_shift(argv), argc--;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else if (o == 'p')
            platform = 1;
        else if (o == 'l') {
            if (cli_number("--limit", optarg, 1, 1000, &limit))
                return EXIT_USAGE;
        } else if (o == 'B') {
            if (cli_number("--before", optarg, 1, INT64_MAX, &before))
                return EXIT_USAGE;
        } else
            return cli_bad_option("audit");
    }
    if (!slug == !platform || optind != argc)
        return cli_usage("audit",
                         "audit list needs --business or --platform, and no other arguments");
    at_business b = {.id = AT_AUDIT_PLATFORM};
    int rc = slug ? cli_business(c, slug, &b) : 0;
    if (rc)
        return rc;
    at_error err = {0};
    at_audit_entry *v;
    size_t n;
    if (at_audit_list(cli_db(c, 1), b.id, (uint64_t) before, (unsigned) limit, &v, &n, &err))
        return cli_fail(&err);
    printf("%-8s %-19s %-24s %-10s %-9s %-28s %s\n", "ID", "AT", "ACTOR", "ACTION", "KIND",
           "TARGET", "REASON / DETAIL");
    for (size_t i = 0; i < n; i++) {
        char at[32];
        printf("%-8llu %-19s ", (unsigned long long) v[i].id,
               at_time_format(v[i].at, at, sizeof at));
        cli_cell(stdout, v[i].actor, 24);
        putchar(' ');
        cli_cell(stdout, v[i].action, 10);
        putchar(' ');
        cli_cell(stdout, v[i].target_kind, 9);
        putchar(' ');
        cli_cell(stdout, v[i].target_name, 28);
        putchar(' ');
        cli_cell(stdout, v[i].reason, 0);
        fputs(v[i].reason[0] && v[i].detail[0] ? " / " : "", stdout);
        cli_cell(stdout, v[i].detail, 0);
        putchar('\n');
    }
    free(v);
    return EXIT_OK;
}
