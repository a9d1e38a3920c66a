/* cmd_bulk.c: "tasks retry|cancel|delete --business SLUG" with a filter
 * instead of task ids: a bulk job (lib/bulk.c) over the tasks the filter
 * selects, its batches run here, the job recorded as the screen's are, so
 * that the screen shows its progress. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct bulk_opts {
    const char *slug;
    at_bulk_filter f;
    int dry_run, yes, filtered; /* filtered: an option only a bulk action takes */
} bulk_opts;

/* Reads the options; *ids the task ids given (then it is no bulk action). */
static int
bulk_options(int argc, char **argv, bulk_opts *o, int *ids)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"status", required_argument, NULL, 'S'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"user-search", required_argument, NULL, 'u'},
                                         {"type", required_argument, NULL, 't'},
                                         {"type-search", required_argument, NULL, 't'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"yes", no_argument, NULL, 'y'},
                                         {NULL, 0, NULL, 0}};
    int x;
    o->f.filter = AT_FILTER_PENDING;
    while ((x = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (x) {
        case 'b': o->slug = optarg; continue;
        case 'S':
            if ((o->f.filter = at_filter_parse(optarg)) < 0)
                return cli_usage("tasks", "--status must be pending, finished or all, not '%s'",
                                 optarg);
            break;
        case 'u': o->f.user_search = optarg; break;
        case 't': o->f.type_search = optarg; break;
        case 'n': o->dry_run = 1; break;
        case 'y': o->yes = 1; break;
        default: return cli_bad_option("tasks");
        }
        o->filtered = 1;
    }
    *ids = argc - optind;
    return EXIT_OK;
}

static void
print_sample(const at_task_page *page)
{
    printf("%-9s %-10s ", "ID", "STATE");
    cli_cell(stdout, "USER", 28);
    printf(" %-16s %-19s\n", "TASK TYPE", "CREATED AT");
    for (size_t i = 0; i < page->n; i++) {
        const at_task *t = &page->rows[i];
        char created[32];
        printf("%-9llu %-10s ", (unsigned long long) t->id, at_task_state_str(t->state));
        cli_cell(stdout, t->user_name, 28);
        putchar(' ');
        cli_cell(stdout, t->type_name, 16);
        printf(" %s\n", at_time_format(t->created_at, created, sizeof created));
    }
}

/* Asks on a terminal; 1 for yes. */
static int
ask(int action, const at_task_page *page)
{
    char n[64];
    fprintf(stderr, "%s %s? [y/N] ",
            action == AT_ACTION_RETRY    ? "Retry"
            : action == AT_ACTION_CANCEL ? "Cancel"
                                         : "Delete",
            at_bulk_count_text(page->count, page->count_more, n, sizeof n));
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

/* Runs the job's batches here; on SIGINT or SIGTERM it stops between two
 * batches, and the job waits for its lease to run out and a supervisor to
 * go on with it. */
/* This process as a job's runner: "cli:LOGIN pid N on HOST". */
static void
runner_name(const cli *c, char runner[AT_BULK_RUNNER_BUF])
{
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(runner, AT_BULK_RUNNER_BUF, "%s pid %d on %s", c->actor.name, (int) getpid(), host);
}

/* claimed: the job is runner's already (it was started so); else it is
 * claimed first. */
static int
run_job(cli *c, uint64_t business_id, uint64_t id, const char *runner, int claimed)
{
    at_db *db = cli_db(c, 1);
    at_error err = {0};
    uint64_t got = claimed ? id : 0;
    cli_catch_stop();
    if ((!claimed && at_bulk_claim(db, runner, id, &got, &err)) ||
        (got && at_bulk_run(db, id, runner, 0, &cli_stop_requested, &err)))
        return cli_fail(&err);
    if (!got)
        fprintf(stderr, "asynctasks: bulk job %llu is not waiting for a runner (it has ended, or "
                        "another runs it)\n",
                (unsigned long long) id);
    at_bulk_job j;
    if (at_bulk_get(db, business_id, id, &j, &err))
        return cli_fail(&err);
    printf("bulk job %llu %s: %llu task%s %s, %llu skipped\n", (unsigned long long) id,
           at_bulk_state_str(j.state), (unsigned long long) j.done, j.done == 1 ? "" : "s",
           j.action == AT_ACTION_RETRY ? "queued again"
           : j.action == AT_ACTION_CANCEL ? "cancelled or asked to stop"
                                          : "deleted or asked to stop",
           (unsigned long long) j.skipped);
    if (j.state == AT_BULK_RUNNING) {
        fprintf(stderr, "asynctasks: stopped before the end: a supervisor goes on with bulk job "
                        "%llu within %d seconds\n",
                (unsigned long long) id, AT_BULK_LEASE_S);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int
cli_tasks_bulk_run(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL;
    int x;
    while ((x = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (x != 'b')
            return cli_bad_option("tasks");
        slug = optarg;
    }
    long long id;
    if (!slug || argc - optind != 1)
        return cli_usage("tasks", "tasks bulk-run needs --business and one bulk job ID");
    if (cli_number("bulk job ID", argv[optind], 1, INT64_MAX, &id))
        return EXIT_USAGE;
    at_business b;
    int rc = cli_business(c, slug, &b);
    if (rc)
        return rc;
    at_bulk_job j;
    at_error err = {0};
    if (at_bulk_get(cli_db(c, 1), b.id, (uint64_t) id, &j, &err))
        return cli_fail(&err);
    char runner[AT_BULK_RUNNER_BUF];
    runner_name(c, runner);
    return run_job(c, b.id, (uint64_t) id, runner, 0);
}

int
cli_tasks_bulk(cli *c, int argc, char **argv, int action, int *not_bulk)
{
    bulk_opts o = {0};
    int ids = 0;
    const char *sub = at_task_action_str(action);
    int rc = bulk_options(argc, argv, &o, &ids);
    *not_bulk = rc == EXIT_OK && ids > 0 && !o.filtered;
    if (rc || *not_bulk)
        return rc;
    if (ids > 0)
        return cli_usage("tasks", "tasks %s takes task IDs or a filter, not both", sub);
    if (!o.slug)
        return cli_usage("tasks", "tasks %s needs --business", sub);
    if (o.dry_run && o.yes)
        return cli_usage("tasks", "give --dry-run or --yes, not both");
    at_business b;
    if ((rc = cli_business(c, o.slug, &b)))
        return rc;
    o.f.business_id = b.id;
    o.f.action = action;
    at_error err = {0};
    at_task_page page;
    char what[600];
    at_bulk_filter_text(o.f.filter, o.f.user_search, o.f.type_search, what, sizeof what);
    if (at_bulk_preview(cli_db(c, 1), &o.f, AT_BULK_SAMPLE, &page, &err))
        return cli_fail(&err);
    char n[64];
    printf("%s match%s (%s)%s\n", at_bulk_count_text(page.count, page.count_more, n, sizeof n),
           page.count == 1 && !page.count_more ? "es" : "", what, page.n ? "; the first:" : "");
    if (page.n)
        print_sample(&page);
    int empty = page.count == 0 && !page.count_more, terminal = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    int go = !empty && !o.dry_run && (o.yes || (terminal && ask(action, &page)));
    at_task_page_free(&page);
    if (empty || o.dry_run)
        return EXIT_OK;
    if (!go && !terminal) {
        fprintf(stderr, "asynctasks: tasks %s over a filter: give --yes to act on these tasks, or "
                        "--dry-run to only see them; nothing was done\n",
                sub);
        return EXIT_USAGE;
    }
    if (!go) {
        fprintf(stderr, "asynctasks: nothing was done\n");
        return EXIT_FAIL;
    }
    uint64_t id = 0;
    char runner[AT_BULK_RUNNER_BUF];
    runner_name(c, runner);
    if (at_bulk_start(cli_db(c, 1), &c->actor, &o.f, runner, &id, &err))
        return cli_fail(&err);
    return run_job(c, b.id, id, runner, 1);
}
