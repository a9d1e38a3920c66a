/* bulk.c: bulk jobs in the supervisor (lib/bulk.c). Every BULK_LOOK_MS
 * the supervisor looks, with one index read on its own connection, for a
 * job that waits for a runner (queued, or running with its lease run
 * out); when there is one it starts a child with its own connection that
 * claims such jobs one after the other (FOR UPDATE SKIP LOCKED: two
 * supervisors never take the same) and runs their batches, each a short
 * transaction that renews the lease, so that the loop here goes on with
 * its executors meanwhile. The child dies with the supervisor
 * (PR_SET_PDEATHSIG): the batch under way rolls back, the job keeps its
 * cursor, and once its lease has run out any supervisor takes it over.
 * SIGTERM stops the child between two batches. */
#include "config.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sv.h"

#define BULK_LOOK_MS 1000

static volatile sig_atomic_t stop_bulk;

static void
on_term(int sig)
{
    (void) sig;
    stop_bulk = 1;
}

static int
bulk_main(sv *s)
{
    sv_signal(SIGTERM, on_term);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    sv_child_signals();
    at_db *db = NULL;
    at_error err = {0};
    if (at_db_open(s->cfg, &db, &err) != AT_OK) {
        at_log(AT_LOG_WARN, "bulk: %s", err.msg);
        return 1;
    }
    char runner[AT_BULK_RUNNER_BUF];
    snprintf(runner, sizeof runner, "asynctasksd:%s pid %d", s->me.name, (int) getpid());
    int rc = AT_OK;
    uint64_t id = 0;
    while (!stop_bulk && (rc = at_bulk_claim(db, runner, 0, &id, &err)) == AT_OK && id) {
        at_log(AT_LOG_INFO, "bulk: running job #%llu", (unsigned long long) id);
        if ((rc = at_bulk_run(db, id, runner, 0, &stop_bulk, &err)))
            break;
        at_log(AT_LOG_INFO, "bulk: job #%llu %s", (unsigned long long) id,
               stop_bulk ? "left for later (stopping)" : "ended");
    }
    if (rc)
        at_log(AT_LOG_WARN, "bulk: %s; the job goes on once its lease has run out", err.msg);
    at_db_close(db);
    return rc ? 1 : 0;
}

void
sv_bulk_tick(sv *s, int64_t now)
{
    if (s->draining || s->bulk_pid || now < s->bulk_after_ms)
        return;
    s->bulk_after_ms = now + BULK_LOOK_MS;
    int any = 0;
    at_error err;
    if (at_bulk_waiting(s->db, &any, &err) != AT_OK) {
        at_log(AT_LOG_DEBUG, "bulk: %s", err.msg);
        return;
    }
    if (!any)
        return;
    s->bulk_pid = sv_spawn(s, bulk_main, "bulk");
}

void
sv_bulk_ended(sv *s, int status)
{
    if (WIFSIGNALED(status))
        at_log(AT_LOG_WARN, "bulk: pid %d was killed by signal %d", (int) s->bulk_pid,
               WTERMSIG(status));
    s->bulk_pid = 0;
}

void
sv_bulk_stop(sv *s, int sig)
{
    if (s->bulk_pid)
        kill(s->bulk_pid, sig);
}
