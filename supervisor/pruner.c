/* pruner.c: retention in the supervisor. Every retain_interval (the first
 * time soon after the start) a child process prunes (at_prune): its
 * batches and their pauses take minutes at a large size, and the
 * supervisor's loop must meanwhile go on enforcing timeouts and reaping
 * executors. The child has its own database connection; the lock it takes
 * there lets one supervisor prune at a time, and ends with the connection
 * when the child ends, however it ends. It dies with the supervisor
 * (PR_SET_PDEATHSIG): each batch is a transaction, so a kill leaves the
 * removed batches removed, the open one rolled back, and the prune's
 * audit entry saying which. SIGTERM stops it between two batches. It runs
 * even when the retention keeps everything: idempotency keys expire after
 * 24 hours whatever the policy. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sv.h"

#define FIRST_PRUNE_MS 30000 /* after the start, unless retain_interval is shorter */

static volatile sig_atomic_t stop_prune;

static void
on_term(int sig)
{
    (void) sig;
    stop_prune = 1;
}

static void
say_result(const at_prune_result *r)
{
    if (r->busy) {
        at_log(AT_LOG_DEBUG, "prune: another prune is under way");
        return;
    }
    if (r->tasks || r->audit || r->spool_files)
        at_log(AT_LOG_INFO, "prune: removed %llu finished task%s (%llu attempt%s), %llu audit "
               "entr%s and %llu spool file%s in %u batch%s%s (audit entry #%llu)",
               (unsigned long long) r->tasks, r->tasks == 1 ? "" : "s",
               (unsigned long long) r->attempts, r->attempts == 1 ? "" : "s",
               (unsigned long long) r->audit, r->audit == 1 ? "y" : "ies",
               (unsigned long long) r->spool_files, r->spool_files == 1 ? "" : "s", r->batches,
               r->batches == 1 ? "" : "es", r->stopped ? ", stopped before the end" : "",
               (unsigned long long) r->audit_id);
    else
        at_log(AT_LOG_DEBUG, "prune: nothing is old enough to remove");
    if (r->idem_keys)
        at_log(AT_LOG_DEBUG, "prune: removed %llu expired idempotency key%s",
               (unsigned long long) r->idem_keys, r->idem_keys == 1 ? "" : "s");
    if (r->rollups)
        at_log(AT_LOG_DEBUG, "prune: removed %llu of the dashboard's old rows",
               (unsigned long long) r->rollups);
    if (r->spool_failed)
        at_log(AT_LOG_WARN, "prune: %llu spool entr%s could not be removed; the first: %s",
               (unsigned long long) r->spool_failed, r->spool_failed == 1 ? "y" : "ies",
               r->spool_error);
}

static int
pruner_main(sv *s)
{
    sv_signal(SIGTERM, on_term);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    sv_child_signals();

    at_db *db = NULL;
    at_error err = {0};
    if (at_db_open(s->cfg, &db, &err) != AT_OK) {
        at_log(AT_LOG_WARN, "prune: %s; trying again in %u s", err.msg, s->cfg->retain_interval);
        return 1;
    }
    char name[AT_HOST_BUF + 16];
    snprintf(name, sizeof name, "asynctasksd:%s", s->me.name);
    at_actor actor = {0, name};
    at_prune_policy p;
    at_prune_policy_of(s->cfg, &p);
    at_prune_result r;
    int rc = at_prune(db, &actor, &p, false, &stop_prune, &r, &err);
    if (rc)
        at_log(AT_LOG_WARN, "%s; trying again in %u s", err.msg, s->cfg->retain_interval);
    else
        say_result(&r);
    at_db_close(db);
    return rc ? 1 : 0;
}

void
sv_prune_tick(sv *s, int64_t now)
{
    if (!s->prune_after_ms) {
        int64_t first = (int64_t) s->cfg->retain_interval * 1000;
        s->prune_after_ms = now + (first < FIRST_PRUNE_MS ? first : FIRST_PRUNE_MS);
    }
    if (s->draining || s->pruner_pid || now < s->prune_after_ms)
        return;
    s->prune_after_ms = now + (int64_t) s->cfg->retain_interval * 1000;
    pid_t pid = sv_spawn(s, pruner_main, "prune");
    if (!pid)
        return;
    s->pruner_pid = pid;
    at_log(AT_LOG_DEBUG, "prune: started, pid %d", (int) pid);
}

void
sv_prune_ended(sv *s, int status)
{
    if (WIFSIGNALED(status))
        at_log(AT_LOG_WARN, "prune: pid %d was killed by signal %d; the next prune goes on",
               (int) s->pruner_pid, WTERMSIG(status));
    s->pruner_pid = 0;
}

void
sv_prune_stop(sv *s, int sig)
{
    if (s->pruner_pid)
        kill(s->pruner_pid, sig);
}
