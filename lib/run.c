/* run.c: the database side of supervisors and executors: registration,
 * heartbeats with the leases they renew, what executors are running, and
 * the recovery of tasks whose executor vanished. The claim is in claim.c
 * and worker.c, the end of attempts in finish.c.
 *
 * A claimed task carries a lease: lease_owner (the executor's row) and
 * lease_until, AT_LEASE_S ahead and renewed by every heartbeat of the
 * executor's supervisor (whose own timeout kill bounds a run). When a
 * supervisor or its host vanishes, its tasks' leases run out within
 * AT_LEASE_S and another supervisor recovers them. Every write that ends
 * an attempt checks the lease, so an executor that lost its task to
 * recovery can never overwrite what the next attempt records.
 *
 * An executor writes nothing when a task starts (its batch was marked
 * running when claimed): its supervisor learns of starts from its pipe
 * and publishes them, with the task's start time, within a tenth of a
 * second.
 * So recovery without the pipe's knowledge counts a task whose start was
 * published as run (its attempt is spent), and one whose start was not as
 * never started (given back, attempt refunded). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <asynctasks/log.h>

#define RECOVER_BATCH    100
#define STALE_SUPERVISOR "INTERVAL 10 MINUTE" /* rows older than this are removed */

/* ---- supervisors and executors ---- */

/* An unknown hood is stored as NULL, which equals nothing: such a
 * supervisor is nobody's neighbour. */
int
at_supervisor_register(at_db *db, const at_supervisor_host *me, const char *wake_addr,
                       uint64_t *id, at_error *err)
{
    db_arg a[] = {da_str(me->name), da_str(me->hood), da_u64((uint64_t) me->pid),
                  da_u64(me->pid_start), da_str(wake_addr ? wake_addr : "")};
    int rc = db_exec(db, 0,
                     "INSERT INTO supervisors (host, neighbourhood, pid, pid_start, wake_addr, "
                     "started_at, heartbeat_at) VALUES (?, NULLIF(?, ''), ?, ?, ?, "
                     "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                     a, AT_COUNT(a), NULL, id, err);
    return rc ? at_error_wrap(err, "register supervisor") : AT_OK;
}

static int
fill_id(const db_res *r, void *elem, at_error *err)
{
    *(uint64_t *) elem = db_u64(r, 0);
    return AT_OK;
}

/* The executors of a supervisor (a plain read). */
static int
executors_of(at_db *db, uint64_t supervisor_id, uint64_t **ids, size_t *n, at_error *err)
{
    db_arg a[] = {da_u64(supervisor_id)};
    return db_rows(db, DB_RETRY, "SELECT id FROM executors WHERE supervisor_id = ? ORDER BY id",
                   a, 1, sizeof **ids, fill_id, (void **) ids, n, err);
}

/* The leases of the tasks the supervisor's executors hold, in one
 * statement through the lease_owner index (so in id order per executor,
 * as the ends of attempts lock them). */
static int
renew_leases(at_db *db, uint64_t supervisor_id, at_error *err)
{
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = executors_of(db, supervisor_id, &ids, &n, err);
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "UPDATE tasks SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
                 "WHERE state = 'running' AND lease_owner IN (");
    args_add(&a, da_u64(AT_LEASE_S));
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(ids[i]));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ")");
    free(ids);
    if (rc == AT_OK && n)
        rc = db_exec_sb(db, DB_RETRY, &sql, &a, NULL, NULL, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* The supervisor speaks for its executors too: an executor inside a
 * handler cannot write, and a live supervisor means live children. */
int
at_supervisor_heartbeat(at_db *db, uint64_t id, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    uint64_t n = 0;
    int rc = db_exec(db, DB_RETRY,
                     "UPDATE supervisors SET heartbeat_at = UTC_TIMESTAMP(6) WHERE id = ?", a, 1,
                     &n, NULL, err);
    if (rc == AT_OK && n == 0)
        return at_error_set(err, AT_ENOTFOUND, "supervisor #%llu is no longer registered",
                            (unsigned long long) id);
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY,
                     "UPDATE executors SET heartbeat_at = UTC_TIMESTAMP(6) WHERE supervisor_id = ?",
                     a, 1, NULL, NULL, err);
    if (rc == AT_OK)
        rc = renew_leases(db, id, err);
    return rc ? at_error_wrap(err, "heartbeat") : AT_OK;
}

static const char *const state_cols[] = {"id UNSIGNED", "task UNSIGNED", "sa DATETIME(6)",
                                         "runs UNSIGNED"};

int
at_executors_publish(at_db *db, const at_executor_state *v, size_t n, at_error *err)
{
    if (n == 0)
        return AT_OK;
    strbuf sql = {0}, st = {0};
    arglist a = {0};
    sb_add(&sql, "UPDATE executors e JOIN ");
    sb_rows(&sql, state_cols, AT_COUNT(state_cols), sb_class(n)); /* NULL rows join nothing */
    sb_add(&sql, " r ON r.id = e.id SET e.current_task_id = NULLIF(r.task, 0), "
                 "e.task_started_at = r.sa, e.tasks_run = r.runs");
    /* and the start of each running task, for its page */
    sb_add(&st, "UPDATE tasks t JOIN ");
    sb_rows(&st, state_cols, AT_COUNT(state_cols), sb_class(n));
    sb_add(&st, " r ON t.id = r.task AND t.lease_owner = r.id SET t.started_at = r.sa "
                "WHERE t.state = 'running' AND t.started_at IS NULL");
    for (size_t i = 0; i < n; i++) {
        args_add(&a, da_u64(v[i].executor_id));
        args_add(&a, da_u64(v[i].task_id));
        args_add(&a, da_time(v[i].task_id ? v[i].task_started_at : 0));
        args_add(&a, da_u64(v[i].tasks_run));
    }
    args_nulls(&a, (sb_class(n) - n) * AT_COUNT(state_cols));
    int rc = sb_failed(&sql, &a) || st.oom
                 ? at_error_set(err, AT_ENOMEM, "out of memory")
                 : db_exec(db, DB_RETRY, sql.p, a.v, (unsigned) a.n, NULL, NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY, st.p, a.v, (unsigned) a.n, NULL, NULL, err);
    sb_free(&sql);
    sb_free(&st);
    args_free(&a);
    return rc ? at_error_wrap(err, "publish the executors' tasks") : AT_OK;
}

int
at_supervisor_unregister(at_db *db, uint64_t id, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    int rc = db_exec(db, DB_RETRY, "DELETE FROM executors WHERE supervisor_id = ?", a, 1, NULL,
                     NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY, "DELETE FROM supervisors WHERE id = ?", a, 1, NULL, NULL, err);
    return rc ? at_error_wrap(err, "unregister supervisor") : AT_OK;
}

int
at_executor_register(at_db *db, uint64_t supervisor_id, const char *host, int pid,
                     int supervisor_pid, uint64_t *id, at_error *err)
{
    db_arg a[] = {da_u64(supervisor_id), da_str(host), da_u64((uint64_t) pid),
                  da_u64((uint64_t) supervisor_pid)};
    int rc = db_exec(db, 0,
                     "INSERT INTO executors (supervisor_id, host, pid, supervisor_pid, started_at, "
                     "heartbeat_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                     a, AT_COUNT(a), NULL, id, err);
    return rc ? at_error_wrap(err, "register executor") : AT_OK;
}

int
at_executor_set_pid(at_db *db, uint64_t id, int pid, at_error *err)
{
    db_arg a[] = {da_u64((uint64_t) pid), da_u64(id)};
    return db_exec(db, DB_RETRY, "UPDATE executors SET pid = ? WHERE id = ?", a, 2, NULL, NULL,
                   err);
}

int
at_executor_unregister(at_db *db, uint64_t id, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    return db_exec(db, DB_RETRY, "DELETE FROM executors WHERE id = ?", a, 1, NULL, NULL, err);
}

static int
fill_neighbour(const db_res *r, void *elem, at_error *err)
{
    at_supervisor_ref *s = elem;
    s->id = db_u64(r, 0);
    s->pid = (int) db_u64(r, 1);
    s->pid_start = db_u64(r, 2);
    return AT_OK;
}

int
at_supervisor_neighbours(at_db *db, const at_supervisor_host *me, uint64_t my_id,
                         at_supervisor_ref **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    if (!*me->hood)
        return AT_OK;
    db_arg a[] = {da_str(me->hood), da_u64(my_id)};
    return db_rows(db, DB_RETRY,
                   "SELECT id, pid, pid_start FROM supervisors "
                   "WHERE neighbourhood = ? AND id <> ? ORDER BY id",
                   a, 2, sizeof **out, fill_neighbour, (void **) out, n, err);
}

/* ---- recovery ---- */

struct leased {
    uint64_t id, owner, business_id, type_id;
    at_time started_at;
};

#define LEASED_COLUMNS "id, lease_owner, started_at, business_id, task_type_id"

static int
fill_leased(const db_res *r, void *elem, at_error *err)
{
    struct leased *l = elem;
    l->id = db_u64(r, 0);
    l->owner = db_u64(r, 1);
    l->started_at = db_time(r, 2);
    l->business_id = db_u64(r, 3);
    l->type_id = db_u64(r, 4);
    return AT_OK;
}

static int
leased_by(at_db *db, uint64_t executor_id, struct leased **v, size_t *n, at_error *err)
{
    db_arg a[] = {da_u64(executor_id)};
    return db_rows(db, DB_RETRY,
                   "SELECT " LEASED_COLUMNS " FROM tasks FORCE INDEX (tasks_lease_owner) "
                   "WHERE lease_owner = ? AND state = 'running' ORDER BY id",
                   a, 1, sizeof **v, fill_leased, (void **) v, n, err);
}

static const at_exec_returned *
returned_of(const at_exec_report *r, uint64_t task_id)
{
    for (size_t i = 0; r && i < r->nreturned; i++)
        if (r->returned[i].task_id == task_id)
            return &r->returned[i];
    return NULL;
}

/* The dashboard's counts of the runs that recovery ended and their
 * executor never counted: the one it died in, and those whose start was
 * published when nothing reported on them (its host or supervisor went
 * away). An executor counts a run when it ends it (worker.c), so these
 * would be missing; a run it ended and counted but had not written when
 * it vanished is counted twice (docs/ARCHITECTURE.md, "The dashboard").
 * A failure to add them is logged: the ends are written. */
static void
rollup_recovered(at_db *db, const at_exec_report *r, const struct leased *v,
                 const finish_rec *f, size_t n)
{
    rollup_acc acc = {0};
    at_time now = at_time_now();
    for (size_t i = 0; i < n; i++) {
        bool died_here = r && r->task_id == v[i].id;
        if (!f[i].final_state || !f[i].ran || !f[i].started_at || (r && !died_here))
            continue;
        rollup_attempt(&acc, v[i].business_id, v[i].type_id, v[i].id, f[i].started_at, now,
                       f[i].outcome, f[i].error ? f[i].error : "its executor died");
    }
    at_error err;
    if (rollup_pending(&acc) && rollup_flush(db, &acc, &err) != AT_OK)
        at_log(AT_LOG_WARN, "%s; the dashboard misses these recovered runs", err.msg);
    rollup_free(&acc);
}

/* The end of every task an executor held, from what the supervisor knows
 * (r, may be NULL) and, where it knows nothing, from whether the task's
 * start was published. */
static int
recover_executor(at_db *db, uint64_t executor_id, const at_exec_report *r, const char *why,
                 unsigned backoff_s, size_t *ended, at_error *err)
{
    struct leased *v = NULL;
    size_t n = 0;
    *ended = 0;
    int rc = leased_by(db, executor_id, &v, &n, err);
    finish_rec *f = rc == AT_OK && n ? calloc(n, sizeof *f) : NULL;
    if (rc == AT_OK && n && !f)
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        const at_exec_returned *ret = returned_of(r, v[i].id);
        finish_rec *x = &f[i];
        x->task_id = v[i].id;
        x->backoff_s = backoff_s;
        if (r && r->task_id == v[i].id) { /* it died in this one */
            *x = (finish_rec){.task_id = v[i].id,
                              .outcome = r->outcome,
                              .ran = 1,
                              .started_at = r->started_at,
                              .error = why,
                              .backoff_s = backoff_s};
        } else if (ret) { /* it ran, and the executor died before writing how it ended */
            x->outcome = ret->outcome;
            x->ran = 1;
            x->started_at = ret->started_at;
            x->duration_us = ret->duration_us;
            x->error = ret->outcome == AT_OUTCOME_SUCCEEDED
                           ? NULL
                           : "the executor died before it recorded this attempt's error";
        } else if (!r && v[i].started_at) { /* published as started */
            *x = (finish_rec){.task_id = v[i].id,
                              .outcome = AT_OUTCOME_RETRY,
                              .ran = 1,
                              .started_at = v[i].started_at,
                              .error = why,
                              .backoff_s = backoff_s};
        } else { /* claimed, never started */
            x->outcome = AT_OUTCOME_REQUEUE;
        }
    }
    if (rc == AT_OK && n)
        rc = finish_many(db, executor_id, f, n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        *ended += f[i].final_state != 0;
    if (rc == AT_OK && n)
        rollup_recovered(db, r, v, f, n);
    free(f);
    free(v);
    return rc;
}

struct release_ctx {
    uint64_t executor_id;
    void (*keep)(void *ctx, const uint64_t *ids, size_t n, int *keep_it);
    void *ctx;
    size_t released;
};

static int
release_tx(at_db *db, void *vctx, at_error *err)
{
    struct release_ctx *x = vctx;
    x->released = 0;
    uint64_t *ids = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(x->executor_id)};
    int rc = db_rows(db, 0,
                     "SELECT id FROM tasks FORCE INDEX (tasks_lease_owner) WHERE lease_owner = ? "
                     "AND state = 'running' ORDER BY id FOR UPDATE",
                     a, 1, sizeof *ids, fill_id, (void **) &ids, &n, err);
    int *keep = rc == AT_OK && n ? calloc(n, sizeof *keep) : NULL;
    finish_rec *f = rc == AT_OK && n ? calloc(n, sizeof *f) : NULL;
    if (rc == AT_OK && n && (!keep || !f))
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    size_t k = 0;
    if (rc == AT_OK && n) {
        x->keep(x->ctx, ids, n, keep);
        for (size_t i = 0; i < n; i++)
            if (!keep[i])
                f[k++] = (finish_rec){.task_id = ids[i], .outcome = AT_OUTCOME_REQUEUE};
    }
    counts_acc acc = {0};
    if (rc == AT_OK && k)
        rc = finish_in_tx(db, x->executor_id, f, k, &acc, err);
    if (rc == AT_OK)
        rc = counts_acc_write(db, &acc, err);
    counts_acc_free(&acc);
    if (rc == AT_OK)
        x->released = k;
    free(keep);
    free(f);
    free(ids);
    return rc;
}

int
at_executor_release(at_db *db, uint64_t executor_id,
                    void (*keep)(void *ctx, const uint64_t *ids, size_t n, int *keep_it),
                    void *ctx, size_t *released, at_error *err)
{
    struct release_ctx x = {executor_id, keep, ctx, 0};
    int rc = db_tx(db, false, release_tx, &x, err);
    *released = rc ? 0 : x.released;
    return rc ? at_error_wrap(err, "give back the waiting tasks of executor #%llu",
                              (unsigned long long) executor_id)
              : AT_OK;
}

int
at_executor_recover(at_db *db, uint64_t executor_id, const at_exec_report *r,
                    unsigned backoff_s, at_error *err)
{
    size_t ended;
    int rc = recover_executor(db, executor_id, r, r ? r->why : NULL, backoff_s, &ended, err);
    return rc ? at_error_wrap(err, "recover the tasks of executor #%llu",
                              (unsigned long long) executor_id)
              : AT_OK;
}

int
at_recover_expired(at_db *db, unsigned backoff_s, uint64_t *recovered, at_error *err)
{
    *recovered = 0;
    struct leased *v = NULL;
    size_t n = 0;
    db_arg lim[] = {da_u64(RECOVER_BATCH)};
    int rc = db_rows(db, DB_RETRY,
                     "SELECT " LEASED_COLUMNS " FROM tasks FORCE INDEX (tasks_lease_owner) "
                     "WHERE lease_owner IS NOT NULL AND state = 'running' "
                     "AND lease_until < UTC_TIMESTAMP(6) LIMIT ?",
                     lim, 1, sizeof *v, fill_leased, (void **) &v, &n, err);
    /* by executor: each one's tasks end in one transaction */
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = v[k].owner == v[i].owner;
        if (seen)
            continue;
        char msg[160];
        snprintf(msg, sizeof msg,
                 "lease expired: executor #%llu stopped answering (its host or supervisor "
                 "went away)",
                 (unsigned long long) v[i].owner);
        size_t ended = 0;
        rc = recover_executor(db, v[i].owner, NULL, msg, backoff_s, &ended, err);
        *recovered += ended;
    }
    free(v);
    /* Rows of supervisors long gone: their tasks have been recovered by
     * lease above; the rows only clutter the Executors page. */
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY,
                     "DELETE e FROM executors e JOIN supervisors s ON s.id = e.supervisor_id "
                     "WHERE s.heartbeat_at < UTC_TIMESTAMP(6) - " STALE_SUPERVISOR,
                     NULL, 0, NULL, NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, DB_RETRY,
                     "DELETE FROM supervisors WHERE heartbeat_at < UTC_TIMESTAMP(6) - "
                     STALE_SUPERVISOR,
                     NULL, 0, NULL, NULL, err);
    return rc ? at_error_wrap(err, "recover") : AT_OK;
}

int
at_supervisor_reap(at_db *db, uint64_t supervisor_id, const char *why, unsigned backoff_s,
                   at_error *err)
{
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = executors_of(db, supervisor_id, &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        size_t ended;
        rc = recover_executor(db, ids[i], NULL, why, backoff_s, &ended, err);
    }
    free(ids);
    if (rc == AT_OK)
        rc = at_supervisor_unregister(db, supervisor_id, err);
    return rc;
}

static int
fill_cancel(const db_res *r, void *elem, at_error *err)
{
    at_cancel_req *c = elem;
    c->task_id = db_u64(r, 0);
    c->executor_id = db_u64(r, 1);
    return AT_OK;
}

int
at_cancel_requests(at_db *db, uint64_t supervisor_id, at_cancel_req **out, size_t *n,
                   at_error *err)
{
    db_arg a[] = {da_u64(supervisor_id)};
    return db_rows(db, DB_RETRY,
                   "SELECT t.id, e.id FROM executors e JOIN tasks t FORCE INDEX "
                   "(tasks_lease_owner) ON t.lease_owner = e.id "
                   "WHERE e.supervisor_id = ? AND t.cancel_requested = 1 AND t.state = 'running'",
                   a, 1, sizeof **out, fill_cancel, (void **) out, n, err);
}
