/* cmd_explain.c: the database's plans for the queries behind the admin
 * screen's pages other than the task list (tasks list --explain has that):
 * the Pause User and Pause Task Type dialogs and the audit log. For
 * operators who wonder why a page is slow, and for the plan checks of the
 * tests. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PANEL_PAGE 25 /* the dialogs' page, as the screen reads it */
#define AUDIT_PAGE 50

static int
print_plan(int rc, char *plan, const at_error *err)
{
    if (rc)
        return cli_fail(err);
    fputs("select_type\ttable\ttype\tkey\trows\textra\n", stdout);
    fputs(plan, stdout);
    free(plan);
    return EXIT_OK;
}

/* explain members|types|audit [--business SLUG] [--search TEXT]
 * [--after C] [--before ID] */
static int
explain(cli *c, const char *what, int argc, char **argv)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"search", required_argument, NULL, 's'},
                                         {"after", required_argument, NULL, 'A'},
                                         {"before", required_argument, NULL, 'B'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *search = NULL, *after = NULL, *before = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': slug = optarg; break;
        case 's': search = optarg; break;
        case 'A': after = optarg; break;
        case 'B': before = optarg; break;
        default: return cli_bad_option("explain");
        }
    }
    if (optind != argc)
        return cli_usage("explain", "unexpected argument '%s'", argv[optind]);
    bool types = strcmp(what, "types") == 0, audit = strcmp(what, "audit") == 0,
         totals = strcmp(what, "totals") == 0;
    if (!types && !slug)
        return cli_usage("explain", "explain %s needs --business", what);
    if (before && !audit)
        return cli_usage("explain", "--before is for the audit log");
    if (before && after)
        return cli_usage("explain", "give --before or --after, not both");
    if (search && audit)
        return cli_usage("explain", "the audit log has no search");
    if ((search || after) && totals)
        return cli_usage("explain", "the totals have no search and no pages");
    at_business b = {0};
    int rc;
    if (slug && (rc = cli_business(c, slug, &b)))
        return rc;
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    char *plan = NULL;
    long long key[2] = {0, 0};
    const char *given[2] = {before, after};
    for (int k = 0; audit && k < 2; k++)
        if (given[k] && cli_number(k ? "--after" : "--before", given[k], 1, INT64_MAX, &key[k]))
            return EXIT_USAGE;
    if (totals)
        rc = at_task_counts_explain(db, b.id, &plan, &err);
    else if (types)
        rc = at_task_type_search_explain(db, search, after, PANEL_PAGE, &plan, &err);
    else if (audit)
        rc = at_audit_page_explain(db, b.id, (uint64_t) key[0], (uint64_t) key[1], AUDIT_PAGE,
                                   &plan, &err);
    else
        rc = at_member_search_explain(db, b.id, search, after, PANEL_PAGE, &plan, &err);
    return print_plan(rc, plan, &err);
}

int
cmd_explain(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks explain members --business SLUG [--search TEXT] [--after CURSOR]\n"
        "       asynctasks explain types [--search TEXT] [--after CURSOR]\n"
        "       asynctasks explain audit --business SLUG [--before ID|--after ID]\n"
        "       asynctasks explain totals --business SLUG\n"
        "       asynctasks explain prune\n\n"
        "Prints the database's plan for the query of a page of the admin screen:\n"
        "the Pause User dialog's members, the Pause Task Type dialog's task types\n"
        "(a page of 25, searched, after a cursor the dialog printed), the\n"
        "audit log (50 entries older than --before or newer than --after), and\n"
        "the task list's totals, and the statements of a prune's batches (each\n"
        "plan after a line \"-- WHAT\"). The task list's own plan is tasks list\n"
        "--explain.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    const char *what = argv[1];
    if (strcmp(what, "prune") == 0) {
        if (argc != 2)
            return cli_usage("explain", "explain prune takes no arguments");
        at_error err = {0};
        char *plan = NULL;
        int rc = at_prune_explain(cli_db(c, 1), &plan, &err);
        if (rc)
            return cli_fail(&err);
        fputs(plan, stdout);
        free(plan);
        return EXIT_OK;
    }
    if (strcmp(what, "members") != 0 && strcmp(what, "types") != 0 && strcmp(what, "audit") != 0 &&
        strcmp(what, "totals") != 0)
        return cli_usage("explain", "unknown subcommand '%s'", what);
    return explain(c, what, argc - 1, cli_shift(argv));
}
