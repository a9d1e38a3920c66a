/* cmd_schedule.c: a business's recurring tasks: add, list, remove,
 * pause and resume its schedules. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
    "usage: asynctasks schedule add --business SLUG --cron EXPR --type TYPE --user EMAIL\n"
    "                               [--tz ZONE] [--payload TEXT|--payload-file FILE|-]\n"
    "                               [--priority N] [--missed skip|once] [--paused]\n"
    "       asynctasks schedule list --business SLUG\n"
    "       asynctasks schedule remove|pause|resume --business SLUG ID\n\n"
    "A schedule enqueues a task for the user (a member of the business) at each\n"
    "time its cron expression names, in time zone ZONE (an IANA name such as\n"
    "Europe/Berlin; default UTC). EXPR has five fields, minute hour day-of-month\n"
    "month day-of-week, each *, N, N-M or a list of them, with /STEP; names\n"
    "JAN-DEC and SUN-SAT; or @hourly, @daily, @weekly, @monthly, @yearly.\n"
    "Its tasks obey pauses like any other. --missed says what happens to the\n"
    "occurrences no supervisor was running for: skip them (the default), or\n"
    "enqueue one task for them all. A paused schedule enqueues nothing; one\n"
    "resumed goes on from its next time. add prints the new schedule's id.\n";

static int
schedule_add(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {"cron", required_argument, NULL, 'c'},
                                         {"tz", required_argument, NULL, 'z'},
                                         {"type", required_argument, NULL, 't'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"payload", required_argument, NULL, 'T'},
                                         {"payload-file", required_argument, NULL, 'p'},
                                         {"priority", required_argument, NULL, 'P'},
                                         {"missed", required_argument, NULL, 'm'},
                                         {"paused", no_argument, NULL, 'Z'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL, *cron = NULL, *tz = "UTC", *type = NULL, *email = NULL,
               *ptext = NULL, *pfile = NULL;
    long long prio = 0;
    int missed = AT_MISSED_SKIP, paused = 0, o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': slug = optarg; break;
        case 'c': cron = optarg; break;
        case 'z': tz = optarg; break;
        case 't': type = optarg; break;
        case 'u': email = optarg; break;
        case 'T': ptext = optarg; break;
        case 'p': pfile = optarg; break;
        case 'Z': paused = 1; break;
        case 'P':
            if (cli_number("--priority", optarg, AT_PRIORITY_MIN, AT_PRIORITY_MAX, &prio))
                return EXIT_USAGE;
            break;
        case 'm':
            if ((missed = at_missed_parse(optarg)) < 0)
                return cli_usage("schedule", "--missed takes skip or once, not '%s'", optarg);
            break;
        default: return cli_bad_option("schedule");
        }
    }
    if (optind != argc)
        return cli_usage("schedule", "unexpected argument '%s'", argv[optind]);
    if (!slug || !cron || !type || !email)
        return cli_usage("schedule", "schedule add needs --business, --cron, --type and --user");
    if (ptext && pfile)
        return cli_usage("schedule", "give the payload as --payload or --payload-file, not both");
    at_business b;
    int rc = cli_business(c, slug, &b);
    if (rc)
        return rc;
    at_error err = {0};
    char *buf = NULL;
    size_t len = ptext ? strlen(ptext) : 0;
    if (pfile && cli_read_file(pfile, AT_PAYLOAD_MAX, &buf, &len, &err))
        return cli_fail(&err);
    at_schedule_new in = {.business_id = b.id, .cron = cron, .time_zone = tz, .type_name = type,
                          .user_email = email, .payload = pfile ? buf : ptext,
                          .payload_len = len, .priority = (int) prio, .missed = missed,
                          .paused = paused,
                          .cron_flags = c->cfg->test_schedule_seconds ? AT_CRON_SECONDS : 0};
    uint64_t id = 0;
    rc = at_schedule_add(cli_db(c, 1), &c->actor, &in, &id, &err);
    free(buf);
    if (rc)
        return cli_fail(&err);
    printf("%llu\n", (unsigned long long) id);
    return EXIT_OK;
}

static void
print_row(const at_schedule *s)
{
    char next[32], last[32];
    printf("%-6llu ", (unsigned long long) s->id);
    cli_cell(stdout, s->cron, 20);
    putchar(' ');
    cli_cell(stdout, s->time_zone, 18);
    putchar(' ');
    cli_cell(stdout, s->type_name, 16);
    putchar(' ');
    cli_cell(stdout, s->user_email, 24);
    printf(" %5d %-6s %-6s %-19s %-19s ", s->priority, at_missed_str(s->missed),
           s->paused ? "paused" : "active",
           s->paused ? "-" : at_time_format(s->next_run_at, next, sizeof next),
           s->last_fired_at ? at_time_format(s->last_fired_at, last, sizeof last) : "-");
    if (s->last_task_id)
        printf("#%llu", (unsigned long long) s->last_task_id);
    if (s->last_error[0]) {
        printf("%s", s->last_task_id ? " " : "");
        cli_cell(stdout, s->last_error, 0);
    }
    if (!s->last_task_id && !s->last_error[0])
        putchar('-');
    putchar('\n');
}

static int
schedule_list(cli *c, const at_business *b)
{
    at_schedule *v = NULL;
    size_t n = 0;
    at_error err = {0};
    if (at_schedule_list(cli_db(c, 1), b->id, &v, &n, &err))
        return cli_fail(&err);
    if (n == 0)
        printf("no schedules in %s\n", b->slug);
    else
        printf("%-6s %-20s %-18s %-16s %-24s %5s %-6s %-6s %-19s %-19s %s\n", "ID", "CRON", "ZONE",
               "TYPE", "USER", "PRIO", "MISSED", "STATE", "NEXT (UTC)", "LAST (UTC)",
               "LAST TASK");
    for (size_t i = 0; i < n; i++)
        print_row(&v[i]);
    at_schedules_free(v, n);
    return EXIT_OK;
}

/* remove, pause, resume: one schedule by id. */
static int
schedule_change(cli *c, const char *sub, const at_business *b, const char *idtext)
{
    long long id;
    if (cli_number("the schedule's ID", idtext, 1, INT64_MAX, &id))
        return EXIT_USAGE;
    at_error err = {0};
    at_db *db = cli_db(c, 1);
    int changed = 1, rc;
    if (strcmp(sub, "remove") == 0)
        rc = at_schedule_remove(db, &c->actor, b->id, (uint64_t) id, &err);
    else
        rc = at_schedule_set_paused(db, &c->actor, b->id, (uint64_t) id,
                                    strcmp(sub, "pause") == 0, &changed, &err);
    if (rc)
        return cli_fail(&err);
    static const char *const done[][2] = {{"remove", "removed"}, {"pause", "paused"},
                                          {"resume", "resumed"}};
    const char *word = "";
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
        if (strcmp(sub, done[i][0]) == 0)
            word = done[i][1];
    if (changed)
        printf("schedule #%lld %s in %s\n", id, word, b->slug);
    else
        printf("schedule #%lld was %s already in %s\n", id, word, b->slug);
    return EXIT_OK;
}

int
cmd_schedule(cli *c, int argc, char **argv)
{
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    const char *sub = argv[1];
    argv = cli_shift(argv), argc--;
    if (strcmp(sub, "add") == 0) {
        cli_db(c, 1); /* the configuration: whether a seconds field is allowed */
        return schedule_add(c, argc, argv);
    }
    int list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "remove") && strcmp(sub, "pause") && strcmp(sub, "resume"))
        return cli_usage("schedule", "schedule takes add, list, remove, pause or resume, not "
                                     "'%s'", sub);
    static const struct option opts[] = {{"business", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *slug = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'b')
            slug = optarg;
        else
            return cli_bad_option("schedule");
    }
    if (!slug)
        return cli_usage("schedule", "schedule %s needs --business", sub);
    int n = argc - optind;
    if (list && n)
        return cli_usage("schedule", "unexpected argument '%s'", argv[optind]);
    if (!list && n != 1)
        return cli_usage("schedule", "schedule %s takes one schedule ID", sub);
    at_business b;
    int rc = cli_business(c, slug, &b);
    if (rc)
        return rc;
    return list ? schedule_list(c, &b) : schedule_change(c, sub, &b, argv[optind]);
}
