/* cmd_counters.c: a business's task totals: show them, check them against
 * the tasks, rebuild them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
print_counts(const char *label, const at_task_counts *t)
{
    printf("%-8s queued %llu, paused %llu, running %llu, failed %llu, finished today %llu\n",
           label, (unsigned long long) t->queued, (unsigned long long) t->paused,
           (unsigned long long) t->running, (unsigned long long) t->failed,
           (unsigned long long) t->finished_today);
}

static int
same(const at_task_counts *a, const at_task_counts *b)
{
    return a->queued == b->queued && a->paused == b->paused && a->running == b->running &&
           a->failed == b->failed && a->finished_today == b->finished_today;
}

/* The businesses named (one, with --business) or all of them. */
static int
businesses(cli *c, const char *slug, at_business **v, size_t *n)
{
    at_error err = {0};
    if (slug) {
        *v = malloc(sizeof **v);
        *n = 1;
        if (!*v) {
            at_error_set(&err, AT_ENOMEM, "out of memory");
            return cli_fail(&err);
        }
        int rc = cli_business(c, slug, *v);
        if (rc) {
            free(*v);
            *v = NULL;
            *n = 0;
        }
        return rc;
    }
    if (at_business_list(cli_db(c, 1), v, n, &err))
        return cli_fail(&err);
    return EXIT_OK;
}

static int
one(cli *c, const char *what, const at_business *b)
{
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_task_counts stored, actual;
    if (strcmp(what, "show") == 0) {
        if (at_task_counts_get(db, b->id, &stored, &err))
            return cli_fail(&err);
        printf("%s\n", b->slug);
        print_counts("", &stored);
        return EXIT_OK;
    }
    if (strcmp(what, "check") == 0) {
        uint64_t bad = 0, grams = 0;
        if (at_counts_verify(db, b->id, &stored, &actual, &bad, &err) ||
            at_member_gram_counts_verify(db, b->id, &grams, &err))
            return cli_fail(&err);
        int ok = same(&stored, &actual) && bad == 0 && grams == 0;
        printf("%s: %s\n", b->slug, ok ? "ok" : "differs");
        if (!ok) {
            print_counts("stored", &stored);
            print_counts("counted", &actual);
            printf("lanes out of line: %llu\n", (unsigned long long) bad);
            printf("name piece counts out of line: %llu\n", (unsigned long long) grams);
        }
        return ok ? EXIT_OK : EXIT_FAIL;
    }
    if (at_counts_rebuild(db, b->id, &stored, &actual, &err))
        return cli_fail(&err);
    printf("%s: %s\n", b->slug, same(&stored, &actual) ? "rebuilt, no change" : "rebuilt");
    if (!same(&stored, &actual)) {
        print_counts("was", &stored);
        print_counts("now", &actual);
    }
    return EXIT_OK;
}

int
cmd_counters(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks counters show --business SLUG\n"
        "       asynctasks counters check [--business SLUG]\n"
        "       asynctasks counters rebuild [--business SLUG]\n\n"
        "A business's totals of queued, paused, running and failed tasks and\n"
        "of tasks finished today are kept as tasks change, so the admin screen\n"
        "reads them at no cost. check counts the tasks and compares (exit\n"
        "status 1 when anything differs; meaningful while nothing runs).\n"
        "rebuild recounts them, and the claim's lanes, from the tasks and the\n"
        "pause rules, holding the business's claims and changes off meanwhile:\n"
        "after a restore, or after tasks were written around asynctasks.\n";
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    const char *what = argv[1];
    if (strcmp(what, "show") != 0 && strcmp(what, "check") != 0 && strcmp(what, "rebuild") != 0)
        return cli_usage("counters", "unknown subcommand '%s'", what);
    const char *slug = NULL;
    if (argc == 4 && strcmp(argv[2], "--business") == 0)
        slug = argv[3];
    else if (argc != 2)
        return cli_usage("counters", "counters %s takes only --business SLUG", what);
    if (!slug && strcmp(what, "show") == 0)
        return cli_usage("counters", "counters show needs --business SLUG");
    at_business *v = NULL;
    size_t n = 0;
    int rc = businesses(c, slug, &v, &n);
    int worst = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        int r = one(c, what, &v[i]);
        if (r == EXIT_FAIL && strcmp(what, "check") == 0)
            worst = EXIT_FAIL; /* go on: report every business */
        else
            rc = r;
    }
    free(v);
    return rc ? rc : worst;
}
