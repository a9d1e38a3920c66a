/* cmd_tasks.c: enqueue a task (many: enqueue_from.c), list, show and delete tasks;
 * retry, run now and discard them. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cmd_enqueue(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks enqueue --business SLUG --user EMAIL --type TYPE\n"
        "                          [--payload TEXT|--payload-file FILE|-] [--priority N]\n"
        "                          [--run-at TIME] [--idempotency-key KEY]\n"
        "       asynctasks enqueue --from FILE|- [--ids]\n\n"
        "Adds a task for the user (a member of the business) and prints its id.\n"
        "The payload is UTF-8 text of at most 4 MiB, given as TEXT, or read from\n"
        "FILE or standard input ('-'); for a task type with parameters it is\n"
        "name=value lines. Priority: -1000 to 1000, higher runs first\n"
        "(default 0). TIME: YYYY-MM-DD[ HH:MM[:SS]] in UTC, now, or +N with s, m,\n"
        "h or d (default: now).\n"
        "With --idempotency-key, the same KEY within 24 hours in the business\n"
        "enqueues nothing and prints the first task's id; with another task\n"
        "(user, type, priority, run-at, payload) it is refused. KEY: 1 to 255\n"
        "visible ASCII characters, no quotes or backslashes. A relative --run-at\n"
        "(now, +N) counts as the same when it is written the same.\n\n"
        "With --from, adds the tasks of FILE (or standard input), one a line:\n"
        "  business<TAB>user-email<TAB>task-type[<TAB>priority[<TAB>run-at[<TAB>payload]]]\n"
        "An empty priority is 0, an empty run-at now; the payload is the rest of\n"
        "the line, with \\\\, \\t, \\n and \\r for a backslash, tab, LF and CR.\n"
        "Blank lines and lines starting with # are skipped; CRLF line ends are\n"
        "fine. Every line is checked first; when any is bad, the bad lines are\n"
        "named and nothing is enqueued. Then the tasks are enqueued in\n"
        "transactions of at most 1000, and 'enqueued N tasks' is printed; with\n"
        "--ids, the new tasks' ids instead, one a line, in the order of the lines.\n";
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"type", required_argument, NULL, 't'},
                                         {"payload-file", required_argument, NULL, 'p'},
                                         {"payload", required_argument, NULL, 'T'},
                                         {"priority", required_argument, NULL, 'P'},
                                         {"run-at", required_argument, NULL, 'r'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"ids", no_argument, NULL, 'I'},
                                         {"idempotency-key", required_argument, NULL, 'K'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *email = NULL, *type = NULL, *pfile = NULL, *run_at = NULL,
               *ptext = NULL, *from = NULL, *key = NULL;
    long long prio = 0;
    int o, one_task = 0, ids = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case 'f': from = optarg; continue;
        case 'I': ids = 1; continue;
        case 'b': slug = optarg; break;
        case 'u': email = optarg; break;
        case 't': type = optarg; break;
        case 'p': pfile = optarg; break;
        case 'T': ptext = optarg; break;
        case 'r': run_at = optarg; break;
        case 'K': key = optarg; break;
        case 'P':
            if (cli_number("--priority", optarg, AT_PRIORITY_MIN, AT_PRIORITY_MAX, &prio))
                return EXIT_USAGE;
            break;
        default: return cli_bad_option("enqueue");
        }
        one_task = 1; /* an option of the one task */
    }
    if (optind != argc)
        return cli_usage("enqueue", "unexpected argument '%s'", argv[optind]);
    if (from && one_task)
        return cli_usage("enqueue", "with --from, the tasks' fields come from the file's lines, "
                                    "not from options");
    if (from)
        return cli_enqueue_from(c, from, ids);
    if (ids)
        return cli_usage("enqueue", "--ids goes with --from");
    if (!slug || !email || !type)
        return cli_usage("enqueue", "enqueue needs --business, --user and --type");
    if (pfile && ptext)
        return cli_usage("enqueue", "give the payload as --payload or --payload-file, not both");
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_enqueue req = {0};
    req.priority = (int) prio;
    if (run_at) {
        at_time now;
        if (at_db_now(db, &now, &err) || at_time_parse(run_at, now, &req.run_at, &err))
            return cli_fail(&err);
    }
    at_business b;
    at_user u;
    at_task_type t;
    int rc;
    if ((rc = cli_business(c, slug, &b)) || (rc = cli_user(c, email, &u)) ||
        (rc = cli_task_type(c, type, &t)))
        return rc;
    req.business_id = b.id;
    req.user_id = u.id;
    req.task_type_id = t.id;
    char *payload = NULL;
    if (pfile) {
        if (cli_read_file(pfile, AT_PAYLOAD_MAX, &payload, &req.payload_len, &err))
            return cli_fail(&err);
        req.payload = payload;
    } else if (ptext) {
        req.payload = ptext;
        req.payload_len = strlen(ptext);
    }
    req.idem_key = key;
    req.run_at_text = at_idem_run_at_text(run_at);
    uint64_t id;
    int existing = 0;
    rc = at_task_enqueue_keyed(db, &req, &id, &existing, &err);
    free(payload);
    if (rc)
        return cli_fail(&err);
    if (existing)
        fprintf(stderr, "asynctasks: task %llu was enqueued with this idempotency key: nothing "
                        "new was enqueued\n",
                (unsigned long long) id);
    printf("%llu\n", (unsigned long long) id);
    return EXIT_OK;
}

static int
tasks_list(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"sort", required_argument, NULL, 's'},
                                         {"desc", no_argument, NULL, 'd'},
                                         {"asc", no_argument, NULL, 'a'},
                                         {"status", required_argument, NULL, 'S'},
                                         {"user-search", required_argument, NULL, 'u'},
                                         {"type-search", required_argument, NULL, 't'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"after", required_argument, NULL, 'A'},
                                         {"before", required_argument, NULL, 'B'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"explain", no_argument, NULL, 'e'},
                                         {NULL, 0, NULL, 0}};
    at_task_query q = {0};
    q.sort = AT_SORT_CREATED;
    q.desc = 1;
    q.filter = AT_FILTER_PENDING;
    q.limit = 50;
    const char *slug = NULL, *format = "table";
    int explain = 0, o;
    long long limit;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': slug = optarg; break;
        case 's':
            if ((q.sort = at_sort_parse(optarg)) < 0)
                return cli_usage("tasks", "--sort must be created, user or type, not '%s'", optarg);
            break;
        case 'd': q.desc = 1; break;
        case 'a': q.desc = 0; break;
        case 'S':
            if ((q.filter = at_filter_parse(optarg)) < 0)
                return cli_usage("tasks", "--status must be pending, finished or all, not '%s'",
                                 optarg);
            break;
        case 'u': q.user_search = optarg; break;
        case 't': q.type_search = optarg; break;
        case 'l':
            if (cli_number("--limit", optarg, 1, AT_LIST_MAX, &limit))
                return EXIT_USAGE;
            q.limit = (unsigned) limit;
            break;
        case 'A': q.after = optarg; break;
        case 'B': q.before = optarg; break;
        case 'f':
            if (strcmp(optarg, "table") != 0 && strcmp(optarg, "tsv") != 0)
                return cli_usage("tasks", "--format must be table or tsv, not '%s'", optarg);
            format = optarg;
            break;
        case 'e': explain = 1; break;
        default: return cli_bad_option("tasks");
        }
    }
    if (optind != argc)
        return cli_usage("tasks", "unexpected argument '%s'", argv[optind]);
    if (!slug)
        return cli_usage("tasks", "tasks list needs --business");
    if (q.after && q.before)
        return cli_usage("tasks", "give --after or --before, not both");
    at_business b;
    int rc = cli_business(c, slug, &b);
    if (rc)
        return rc;
    q.business_id = b.id;
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    if (explain) {
        char *plan;
        if (at_task_list_explain(db, &q, &plan, &err))
            return cli_fail(&err);
        printf("select_type\ttable\ttype\tkey\trows\textra\n%s", plan);
        free(plan);
        return EXIT_OK;
    }
    at_task_page page;
    at_pause_set rules;
    at_time now;
    if (at_task_list(db, &q, &page, &err))
        return cli_fail(&err);
    if (at_db_now(db, &now, &err) || at_task_page_rules(db, b.id, now, &page, &rules, NULL, &err)) {
        at_task_page_free(&page);
        return cli_fail(&err);
    }

    int tsv = strcmp(format, "tsv") == 0;
    if (tsv) {
        printf("id\tstatus\tuser\ttask_type\tcreated_at\tpaused_by_rule\n");
    } else {
        printf("%-9s %-10s ", "ID", "STATUS");
        cli_cell(stdout, "USER", 28);
        printf(" %-16s %-19s\n", "TASK TYPE", "CREATED AT");
    }
    for (size_t i = 0; i < page.n; i++) {
        const at_task *t = &page.rows[i];
        const at_pause_rule *why;
        const char *st = at_task_status(t, &rules, &why);
        char created[32], rule[AT_RULE_TEXT_BUF] = "";
        at_time_format(t->created_at, created, sizeof created);
        if (why)
            at_pause_rule_text(why, 1, rule, sizeof rule);
        if (tsv) {
            printf("%llu\t%s\t%s\t%s\t%s\t%s\n", (unsigned long long) t->id, st, t->user_name,
                   t->type_name, created, rule);
        } else {
            printf("%-9llu %-10s ", (unsigned long long) t->id, st);
            cli_cell(stdout, t->user_name, 28);
            putchar(' ');
            cli_cell(stdout, t->type_name, 16);
            printf(" %-19s%s", created, why ? "  (" : "");
            cli_cell(stdout, rule, 0);
            printf("%s\n", why ? ")" : "");
        }
    }
    FILE *foot = tsv ? stderr : stdout;
    if (page.n == 0 && !tsv)
        printf("There are no tasks to show\n");
    if (page.has_prev)
        fprintf(foot, "previous page: --before %s\n", page.prev);
    if (page.has_next)
        fprintf(foot, "next page: --after %s\n", page.next);
    at_task_page_free(&page);
    at_pause_set_free(&rules);
    return EXIT_OK;
}

/* "--business SLUG ID" (or, with many, "ID..."): the business and the
 * task ids (*ids malloc'd, *n of them), or the exit status to return. */
static int
business_and_ids(cli *c, int argc, char **argv, const char *sub, bool many, at_business *b,
                 uint64_t **ids, int *n)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL;
    int o;
    *ids = NULL;
    *n = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else
            return cli_bad_option("tasks");
    }
    int k = argc - optind;
    if (!slug || k < 1 || (!many && k != 1))
        return cli_usage("tasks", many ? "tasks %s needs --business and at least one task ID"
                                       : "tasks %s needs --business and one task ID",
                         sub);
    uint64_t *v = calloc((size_t) k, sizeof *v);
    if (!v) {
        at_error e;
        at_error_set(&e, AT_ENOMEM, "out of memory");
        return cli_fail(&e);
    }
    for (int i = 0; i < k; i++) {
        long long x;
        if (cli_number("task ID", argv[optind + i], 1, INT64_MAX, &x)) {
            free(v);
            return EXIT_USAGE;
        }
        v[i] = (uint64_t) x;
    }
    int rc = cli_business(c, slug, b);
    if (rc) {
        free(v);
        return rc;
    }
    *ids = v;
    *n = k;
    return EXIT_OK;
}

/* The same for one task. */
static int
business_and_id(cli *c, int argc, char **argv, const char *sub, at_business *b, uint64_t *id)
{
    uint64_t *ids;
    int n;
    int rc = business_and_ids(c, argc, argv, sub, false, b, &ids, &n);
    if (rc == EXIT_OK)
        *id = ids[0];
    free(ids);
    return rc;
}

static int
tasks_show(cli *c, int argc, char **argv)
{
    at_business b;
    uint64_t id;
    int rc = business_and_id(c, argc, argv, "show", &b, &id);
    if (rc)
        return rc;
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_task t;
    at_pause_set rules;
    at_time now;
    if (at_db_now(db, &now, &err) || at_task_get_held(db, b.id, id, now, &t, &rules, &err))
        return cli_fail(&err);
    const at_pause_rule *why;
    const char *st = at_task_status(&t, &rules, &why);
    char tb[4][32], rule[AT_RULE_TEXT_BUF];
    printf("id:          %llu\n", (unsigned long long) t.id);
    printf("business:    %s\n", b.slug);
    printf("user:        %s\n", t.user_name);
    printf("task type:   %s\n", t.type_name);
    printf("status:      %s\n", st);
    if (why)
        printf("held by:     %s\n", at_pause_rule_text(why, 1, rule, sizeof rule));
    printf("priority:    %d\n", t.priority);
    printf("attempts:    %u of %u\n", t.attempts, t.max_attempts);
    printf("created at:  %s UTC\n", at_time_format(t.created_at, tb[0], sizeof tb[0]));
    printf("run at:      %s UTC\n", at_time_format(t.run_at, tb[1], sizeof tb[1]));
    if (t.started_at)
        printf("started at:  %s UTC\n", at_time_format(t.started_at, tb[2], sizeof tb[2]));
    if (t.finished_at)
        printf("finished at: %s UTC\n", at_time_format(t.finished_at, tb[3], sizeof tb[3]));
    printf("version:     %u\n", t.version);
    if (t.last_error)
        printf("last error:  %s\n", t.last_error);
    if (t.result)
        printf("result:      %s\n", t.result);
    printf("payload:     %zu bytes\n%s%s", t.payload_size, t.payload ? t.payload : "",
           t.payload && t.payload_size && t.payload[t.payload_size - 1] != '\n' ? "\n" : "");
    at_pause_set_free(&rules);
    at_task_clear(&t);
    return EXIT_OK;
}

/* The command line's Delete: a queued task goes, a running one is
 * cancelled (its handler is told to stop, then killed after a grace). */
static int
tasks_delete(cli *c, int argc, char **argv)
{
    at_business b;
    uint64_t id;
    int rc = business_and_id(c, argc, argv, "delete", &b, &id);
    if (rc)
        return rc;
    at_error err = {0};
    int cancelling = 0;
    if (at_task_delete(cli_db(c, 1), &c->actor, b.id, id, &cancelling, &err))
        return cli_fail(&err);
    printf(cancelling ? "task %llu is running: cancel requested\n" : "task %llu deleted\n",
           (unsigned long long) id);
    return EXIT_OK;
}

/* Retry, run now or discard: "--business SLUG ID...", each task in its
 * own transaction, in the order given. A task the action does not apply
 * to is named with why, and the others are still done; the exit status
 * is the first failure's. */
static int
tasks_action(cli *c, int argc, char **argv, int action)
{
    at_business b;
    uint64_t *ids;
    int n;
    int rc = business_and_ids(c, argc, argv, at_task_action_str(action), true, &b, &ids, &n);
    if (rc)
        return rc;
    at_db *db = cli_db(c, 1);
    for (int i = 0; i < n; i++) {
        at_error err = {0};
        if (at_task_act(db, &c->actor, b.id, ids[i], action, &err)) {
            int x = cli_fail(&err);
            if (rc == EXIT_OK)
                rc = x;
            continue;
        }
        printf(action == AT_ACTION_RETRY     ? "task %llu queued again\n"
               : action == AT_ACTION_RUN_NOW ? "task %llu is due now\n"
               : action == AT_ACTION_CANCEL  ? "task %llu cancelled (a running one: asked to stop)\n"
                                             : "task %llu discarded\n",
               (unsigned long long) ids[i]);
    }
    free(ids);
    return rc;
}

/* The plan of the executors' claim query over every registered type:
 * for operators and for the plan checks of the tests. */
static int
tasks_claim_plan(cli *c, int argc, char **argv)
{
    if (argc != 1)
        return cli_usage("tasks", "tasks claim-plan takes no arguments");
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_task_type *types = NULL;
    size_t n = 0;
    if (at_task_type_list(db, NULL, &types, &n, &err))
        return cli_fail(&err);
    if (n == 0) {
        free(types);
        fprintf(stderr, "asynctasks: no task types are registered: nothing is claimed\n");
        return EXIT_DATA;
    }
    uint64_t *ids = malloc(n * sizeof *ids);
    if (!ids) {
        free(types);
        at_error_set(&err, AT_ENOMEM, "out of memory");
        return cli_fail(&err);
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = types[i].id;
    char *plan = NULL;
    int rc = at_claim_explain(db, ids, n, &plan, &err);
    free(ids);
    free(types);
    if (rc)
        return cli_fail(&err);
    fputs("select_type\ttable\ttype\tkey\trows\tExtra\n", stdout);
    fputs(plan, stdout);
    free(plan);
    return EXIT_OK;
}

int
cmd_tasks(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks tasks list --business SLUG [--sort created|user|type]\n"
        "                             [--asc|--desc] [--status pending|finished|all]\n"
        "                             [--user-search TEXT] [--type-search TEXT]\n"
        "                             [--limit N] [--after CURSOR|--before CURSOR]\n"
        "                             [--format table|tsv] [--explain]\n"
        "       asynctasks tasks show --business SLUG ID\n"
        "       asynctasks tasks delete --business SLUG ID\n"
        "       asynctasks tasks retry|run-now|discard|cancel --business SLUG ID...\n"
        "       asynctasks tasks retry|cancel|delete --business SLUG\n"
        "                             [--status pending|finished|all] [--user TEXT]\n"
        "                             [--type TEXT] [--dry-run|--yes]\n"
        "       asynctasks tasks bulk-run --business SLUG JOB\n"
        "       asynctasks tasks claim-plan\n\n"
        "Lists a business's tasks as the Async Tasks page does: newest first by\n"
        "default, pending ones only (queued, paused, running). A search matches a\n"
        "part of the user's name or of the task type. Pages hold --limit tasks\n"
        "(default 50, at most 500); the cursors printed under the list fetch the\n"
        "next or the previous page. --explain prints the database's query plan.\n"
        "Delete removes a task that is not running; a running one is cancelled.\n"
        "Retry queues a failed or cancelled task again with a new budget of\n"
        "attempts (its attempts so far stay on record); run-now makes a queued\n"
        "task that waits for a later run-at due now; discard removes a finished\n"
        "task (succeeded, failed or cancelled) and nothing else. A task in\n"
        "another state is named with why, the others are done, and the exit\n"
        "status is 1. Cancel ends a queued task as cancelled and asks a running\n"
        "one to stop.\n"
        "Without IDs, retry, cancel and delete act on every task the filter selects\n"
        "(as tasks list's --status, --user-search and --type-search; pending by\n"
        "default) that the action fits, in batches of 200, each a transaction;\n"
        "the others are skipped and counted. The count and the first 10 tasks are\n"
        "printed first; --dry-run stops there, --yes goes on, and without either\n"
        "a terminal is asked and anything else refused (exit 64). The run is a\n"
        "bulk job, shown on the screen, with one audit entry at its end;\n"
        "interrupted, a supervisor goes on with it.\n"
        "bulk-run runs the batches of a bulk job started on the screen that no\n"
        "supervisor has taken (or whose runner's lease ran out) here.\n"
        "claim-plan prints the database's plan for the executors' claim query.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    if (strcmp(argv[1], "list") == 0)
        return tasks_list(c, argc - 1, cli_shift(argv));
    if (strcmp(argv[1], "show") == 0)
        return tasks_show(c, argc - 1, cli_shift(argv));
    int action = at_task_action_parse(argv[1]), not_bulk = 1;
    if (action == AT_ACTION_RETRY || action == AT_ACTION_CANCEL || action == AT_ACTION_DELETE) {
        int rc = cli_tasks_bulk(c, argc - 1, cli_shift(argv), action, &not_bulk);
        if (!not_bulk)
            return rc;
        optind = 0; /* the task ids: the options again, as the one task's */
    }
    if (action == AT_ACTION_DELETE)
        return tasks_delete(c, argc - 1, cli_shift(argv));
    if (action)
        return tasks_action(c, argc - 1, cli_shift(argv), action);
    if (strcmp(argv[1], "claim-plan") == 0)
        return tasks_claim_plan(c, argc - 1, cli_shift(argv));
    if (strcmp(argv[1], "bulk-run") == 0)
        return cli_tasks_bulk_run(c, argc - 1, cli_shift(argv));
    return cli_usage("tasks", "unknown subcommand '%s'", argv[1]);
}
