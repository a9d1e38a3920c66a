/* cmd_stats.c: "asynctasks stats": the numbers GET /metrics serves, from
 * the same library call (at_stats_get), as a table, as tab-separated
 * name and value lines, or in the Prometheus text format itself (for a
 * node exporter's textfile directory, or to see what a scrape gets). */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: asynctasks stats [--format table|tsv|prometheus]\n\n"
    "What GET /metrics reports: tasks by business and state (queued,\n"
    "paused, running, failed) and finished by outcome since the counters\n"
    "began, the age of the oldest due task, live executors, and how long\n"
    "attempts waited to start and ran (cumulative buckets). Read from\n"
    "counters kept as tasks change: it costs the same at any number of\n"
    "tasks. tsv prints one \"name<TAB>value\" line per number; prometheus\n"
    "prints the text format of GET /metrics.\n";

static void
print_table(const at_stats *s)
{
    printf("BUSINESS             %9s %9s %9s %9s %11s %9s %9s %9s\n", "QUEUED", "PAUSED",
           "RUNNING", "FAILED", "SUCCEEDED*", "FAILED*", "CANCELED*", "RETRIES*");
    for (size_t i = 0; i < s->nbusinesses; i++) {
        const at_business_stats *b = &s->businesses[i];
        cli_cell(stdout, b->slug, 20);
        printf(" %9llu %9llu %9llu %9llu %11llu %9llu %9llu %9llu\n",
               (unsigned long long) b->queued, (unsigned long long) b->paused,
               (unsigned long long) b->running, (unsigned long long) b->failed,
               (unsigned long long) b->succeeded_total, (unsigned long long) b->failed_total,
               (unsigned long long) b->cancelled_total, (unsigned long long) b->retried_total);
    }
    if (s->nbusinesses == 0)
        printf("There are no businesses\n");
    printf("* since the counters began\n\n");
    if (s->has_due)
        printf("oldest due task:  due %lld.%03lld s ago\n",
               (long long) (s->oldest_due_age_us / 1000000),
               (long long) (s->oldest_due_age_us % 1000000 / 1000));
    else
        printf("oldest due task:  none is due\n");
    printf("executors:        %llu live, %llu busy\n\n", (unsigned long long) s->executors,
           (unsigned long long) s->executors_busy);
    printf("%-12s %12s %12s\n", "ATTEMPTS", "WAITED", "RAN");
    uint64_t cw = 0, cr = 0;
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++) {
        char le[32];
        if (i < AT_HIST_BOUNDS)
            snprintf(le, sizeof le, "<= %g s", (double) at_hist_bound_us(i) / 1e6);
        else
            snprintf(le, sizeof le, "any");
        cw += s->wait.bucket[i];
        cr += s->run.bucket[i];
        printf("%-12s %12llu %12llu\n", le, (unsigned long long) cw, (unsigned long long) cr);
    }
    printf("%-12s %12.3f %12.3f\n", "total s", (double) s->wait.sum_us / 1e6,
           (double) s->run.sum_us / 1e6);
}

static void
print_tsv(const at_stats *s)
{
    for (size_t i = 0; i < s->nbusinesses; i++) {
        const at_business_stats *b = &s->businesses[i];
        const struct {
            const char *name;
            uint64_t v;
        } f[] = {{"queued", b->queued},
                 {"paused", b->paused},
                 {"running", b->running},
                 {"failed", b->failed},
                 {"succeeded_total", b->succeeded_total},
                 {"failed_total", b->failed_total},
                 {"cancelled_total", b->cancelled_total},
                 {"retried_total", b->retried_total}};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            printf("business.%s.%s\t%llu\n", b->slug, f[k].name, (unsigned long long) f[k].v);
    }
    printf("oldest_due_age_seconds\t%lld.%06lld\n", (long long) (s->oldest_due_age_us / 1000000),
           (long long) (s->oldest_due_age_us % 1000000));
    printf("executors\t%llu\nexecutors_busy\t%llu\n", (unsigned long long) s->executors,
           (unsigned long long) s->executors_busy);
    const struct {
        const char *name;
        const at_histogram *h;
    } hs[] = {{"wait", &s->wait}, {"run", &s->run}};
    for (size_t k = 0; k < 2; k++) {
        uint64_t cum = 0;
        for (unsigned i = 0; i < AT_HIST_BUCKETS; i++) {
            cum += hs[k].h->bucket[i];
            if (i < AT_HIST_BOUNDS)
                printf("%s.le.%g\t%llu\n", hs[k].name, (double) at_hist_bound_us(i) / 1e6,
                       (unsigned long long) cum);
            else
                printf("%s.le.+Inf\t%llu\n", hs[k].name, (unsigned long long) cum);
        }
        printf("%s.sum_seconds\t%llu.%06llu\n%s.count\t%llu\n", hs[k].name,
               (unsigned long long) (hs[k].h->sum_us / 1000000),
               (unsigned long long) (hs[k].h->sum_us % 1000000), hs[k].name,
               (unsigned long long) cum);
    }
}

int
cmd_stats(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *format = "table";
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (strcmp(optarg, "table") != 0 && strcmp(optarg, "tsv") != 0 &&
                strcmp(optarg, "prometheus") != 0)
                return cli_usage("stats", "--format must be table, tsv or prometheus, not '%s'",
                                 optarg);
            format = optarg;
            break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_bad_option("stats");
        }
    }
    if (optind != argc)
        return cli_usage("stats", "unexpected argument '%s'", argv[optind]);
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    at_stats s;
    if (at_stats_get(db, &s, &err))
        return cli_fail(&err);
    int rc = EXIT_OK;
    if (strcmp(format, "prometheus") == 0) {
        char *text = NULL;
        size_t len = 0;
        if (at_stats_prometheus(&s, &text, &len, &err))
            rc = cli_fail(&err);
        else
            fwrite(text, 1, len, stdout);
        free(text);
    } else if (strcmp(format, "tsv") == 0) {
        print_tsv(&s);
    } else {
        print_table(&s);
    }
    at_stats_free(&s);
    return rc;
}
