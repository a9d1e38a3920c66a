/* cmd_prune.c: retention now: what the supervisor does every
 * retain_interval, or, with --dry-run, what it would remove. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
line(const char *what, uint64_t n, const char *key, unsigned days, at_time before)
{
    char t[40];
    if (!days)
        printf("%-16s kept (%s is 0: forever)\n", what, key);
    else
        printf("%-16s %llu (before %s UTC, %s %u)\n", what, (unsigned long long) n,
               at_time_format(before, t, sizeof t), key, days);
}

static void
report(const at_prune_policy *p, const at_prune_result *r, bool dry_run)
{
    if (dry_run)
        printf("dry run: nothing was removed; a prune now would remove\n");
    else
        printf("removed%s\n", r->stopped ? " (stopped before the end)" : "");
    line("finished tasks:", r->tasks, "retain_finished_days", p->finished_days, r->finished_before);
    if (p->finished_days)
        printf("%-16s %llu\n", "attempts:", (unsigned long long) r->attempts);
    line("audit entries:", r->audit, "retain_audit_days", p->audit_days, r->audit_before);
    line("spool files:", r->spool_files, "retain_spool_days", p->spool_days, r->spool_before);
    if (p->spool_days)
        printf("%-16s %llu\n", "spool bytes:", (unsigned long long) r->spool_bytes);
    /* whatever the policy */
    printf("%-16s %llu (past their 24 hours)\n", "idempotency keys:",
           (unsigned long long) r->idem_keys);
    printf("%-16s %llu (past the dashboard's charts)\n", "dashboard rows:",
           (unsigned long long) r->rollups);
    if (!dry_run) {
        printf("%-16s %u\n", "batches:", r->batches);
        if (r->audit_id)
            printf("%-16s #%llu (asynctasks audit list --platform)\n", "audit entry:",
                   (unsigned long long) r->audit_id);
    }
}

int
cmd_prune(cli *c, int argc, char **argv)
{
    static const char help[] =
        "usage: asynctasks prune [--dry-run]\n\n"
        "Removes what the configuration's retention keeps no longer: finished\n"
        "tasks (with their attempts) older than retain_finished_days, audit\n"
        "entries older than retain_audit_days and spool files older than\n"
        "retain_spool_days (0, the default, keeps a kind forever), in batches of\n"
        "retain_batch rows, as the supervisor does every retain_interval; and,\n"
        "whatever the retention, idempotency keys past their 24 hours and the\n"
        "dashboard's rows past its charts. Each prune is recorded in the\n"
        "platform's audit log. --dry-run counts what\n"
        "would go and removes nothing. Ctrl-C stops it after its batch. Exit\n"
        "status 1 when another prune is under way, a spool file could not be\n"
        "removed, or Ctrl-C stopped it.\n";
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool dry_run = false;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': dry_run = true; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return cli_bad_option("prune");
        }
    }
    if (optind != argc)
        return cli_usage("prune", "unexpected argument '%s'", argv[optind]);
    at_db *db = cli_db(c, 1);
    at_prune_policy p;
    at_prune_policy_of(c->cfg, &p);
    p.always_record = true;
    /* Ctrl-C ends the prune after its batch, with the entry written. */
    cli_catch_stop();
    at_prune_result r;
    at_error err = {0};
    if (at_prune(db, &c->actor, &p, dry_run, &cli_stop_requested, &r, &err))
        return cli_fail(&err);
    if (r.busy) {
        fprintf(stderr, "asynctasks: another prune is under way (a supervisor's or another "
                        "asynctasks prune); nothing was removed\n");
        return EXIT_FAIL;
    }
    report(&p, &r, dry_run);
    if (r.spool_failed) {
        fprintf(stderr, "asynctasks: %llu spool file%s could not be %s; the first: %s\n",
                (unsigned long long) r.spool_failed, r.spool_failed == 1 ? "" : "s",
                dry_run ? "read" : "removed", r.spool_error);
        return EXIT_FAIL;
    }
    return r.stopped ? EXIT_FAIL : EXIT_OK;
}
