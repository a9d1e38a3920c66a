/* run.c: the database side of running tasks: supervisors and executors,
 * the claim with its pause re-check, the end of an attempt, and the
 * recovery of tasks whose executor vanished.
 *
 * A claimed task carries a lease: lease_owner (the executor's row) and
 * lease_until, AT_LEASE_S ahead and renewed by every heartbeat of the
 * executor's supervisor (whose own timeout kill bounds a run). When a
 * supervisor or its host vanishes, its tasks' leases run out within
 * AT_LEASE_S and another supervisor recovers them. Every write that ends
 * an attempt checks the lease, so an executor that lost its task to
 * recovery can never overwrite what the next attempt records. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CLAIM_TYPES_MAX  4096
#define BACKOFF_MAX_S    3600u
#define RECOVER_BATCH    100
#define STALE_SUPERVISOR "INTERVAL 10 MINUTE" /* rows older than this are removed */

/* ---- supervisors and executors ---- */

int
at_supervisor_register(at_db *db, const char *host, int pid, const char *wake_addr, uint64_t *id,
                       at_error *err)
{
    db_arg a[] = {da_str(host), da_u64((uint64_t) pid), da_str(wake_addr ? wake_addr : "")};
    int rc = db_exec(db, 0,
                     "INSERT INTO supervisors (host, pid, wake_addr, started_at, heartbeat_at) "
                     "VALUES (?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                     a, AT_COUNT(a), NULL, id, err);
    return rc ? at_error_wrap(err, "register supervisor") : AT_OK;
}

/* A task and the executor whose lease it carries. */
struct leased_task {
    uint64_t task_id, executor_id;
};

static int
fill_leased_task(const db_res *r, void *elem, at_error *err)
{
    struct leased_task *x = elem;
    x->task_id = db_u64(r, 0);
    x->executor_id = db_u64(r, 1);
    return AT_OK;
}

/* The leases of the tasks the supervisor's executors run. The list is a
 * plain read and each task is renewed alone: a statement that locked
 * executor rows and then task rows would deadlock with the claim and the
 * finish, which lock a task and then its executor. */
static int
renew_leases(at_db *db, uint64_t supervisor_id, at_error *err)
{
    struct leased_task *v = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(supervisor_id)};
    int rc = db_rows(db, DB_RETRY,
                     "SELECT current_task_id, id FROM executors "
                     "WHERE supervisor_id = ? AND current_task_id IS NOT NULL",
                     a, 1, sizeof *v, fill_leased_task, (void **) &v, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        db_arg u[] = {da_u64(AT_LEASE_S), da_u64(v[i].task_id), da_u64(v[i].executor_id)};
        rc = db_exec(db, DB_RETRY,
                     "UPDATE tasks SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND "
                     "WHERE id = ? AND lease_owner = ? AND state = 'running'",
                     u, AT_COUNT(u), NULL, NULL, err);
    }
    free(v);
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
fill_local(const db_res *r, void *elem, at_error *err)
{
    at_supervisor_ref *s = elem;
    s->id = db_u64(r, 0);
    s->pid = (int) db_u64(r, 1);
    return AT_OK;
}

int
at_supervisor_list_host(at_db *db, const char *host, at_supervisor_ref **out, size_t *n,
                        at_error *err)
{
    db_arg a[] = {da_str(host)};
    return db_rows(db, DB_RETRY, "SELECT id, pid FROM supervisors WHERE host = ? ORDER BY id", a,
                   1, sizeof **out, fill_local, (void **) out, n, err);
}

/* ---- claiming ---- */

void
at_claim_clear(at_claim *c)
{
    if (!c)
        return;
    free(c->payload);
    memset(c, 0, sizeof *c);
}

/* The claim query: the most urgent due task of the given types that no
 * live rule holds, skipping rows other executors have locked. Only the
 * tasks table is locked: the pause subqueries are plain reads. */
static int
claim_sql(strbuf *sql, arglist *a, const uint64_t *type_ids, size_t ntypes)
{
    sb_add(sql, "SELECT t.id, t.business_id, t.user_id, t.task_type_id, t.max_attempts "
                "FROM tasks t FORCE INDEX (tasks_ready) "
                "WHERE t.state = 'queued' AND t.run_at <= UTC_TIMESTAMP(6) "
                "AND t.task_type_id IN (");
    sb_placeholders(sql, ntypes);
    for (size_t i = 0; i < ntypes; i++)
        args_add(a, da_u64(type_ids[i]));
    sb_add(sql, ") AND NOT EXISTS (SELECT 1 FROM pause_rules p WHERE p.business_id = t.business_id "
                "AND p.scope = 'user' AND p.target_id = t.user_id "
                "AND (p.paused_until IS NULL OR p.paused_until > UTC_TIMESTAMP(6))) "
                "AND NOT EXISTS (SELECT 1 FROM pause_rules p WHERE p.business_id = t.business_id "
                "AND p.scope = 'task_type' AND p.target_id = t.task_type_id "
                "AND (p.paused_until IS NULL OR p.paused_until > UTC_TIMESTAMP(6))) "
                "ORDER BY t.priority DESC, t.run_at, t.id LIMIT 1");
    return sql->oom || a->oom ? AT_ENOMEM : AT_OK;
}

static int
check_types(size_t ntypes, at_error *err)
{
    if (ntypes == 0 || ntypes > CLAIM_TYPES_MAX)
        return at_error_set(err, AT_EINVAL, "claim: 1 to %d task types, not %zu",
                            CLAIM_TYPES_MAX, ntypes);
    return AT_OK;
}

int
at_claim_explain(at_db *db, const uint64_t *type_ids, size_t ntypes, char **plan, at_error *err)
{
    *plan = NULL;
    int rc = check_types(ntypes, err);
    if (rc)
        return rc;
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "EXPLAIN ");
    if (claim_sql(&sql, &a, type_ids, ntypes) == AT_OK)
        rc = db_explain(db, sql.p, a.v, (unsigned) a.n, plan, err);
    else
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    sb_free(&sql);
    args_free(&a);
    return rc;
}

struct claim_ctx {
    uint64_t executor_id;
    const uint64_t *type_ids;
    size_t ntypes;
    at_claim *out;
    int claimed;
    int held; /* the task found cannot run now: look further */
};

struct candidate {
    uint64_t id, business_id, user_id, type_id;
    unsigned max_attempts;
};

static int
fill_candidate(const db_res *r, void *elem, at_error *err)
{
    struct candidate *c = elem;
    c->id = db_u64(r, 0);
    c->business_id = db_u64(r, 1);
    c->user_id = db_u64(r, 2);
    c->type_id = db_u64(r, 3);
    c->max_attempts = (unsigned) db_u64(r, 4);
    return AT_OK;
}

/* The re-check: the business row in share mode orders this transaction
 * after every pause that has committed and before every pause still to
 * come (pauses take the row exclusively), and the rules are read afresh
 * under it. */
static int
recheck_paused(at_db *db, const struct candidate *c, int *held, at_error *err)
{
    uint64_t bid;
    db_arg a[] = {da_u64(c->business_id)};
    int rc = db_query_u64(db, 0, "SELECT id FROM businesses WHERE id = ? LOCK IN SHARE MODE", a, 1,
                          &bid, err);
    if (rc)
        return rc;
    at_pause_set set;
    if ((rc = at_pause_load(db, c->business_id, &set, err)))
        return rc;
    *held = at_pause_match(&set, c->user_id, c->type_id) != NULL;
    at_pause_set_free(&set);
    return AT_OK;
}

static int
fill_timeout(const db_res *r, void *elem, at_error *err)
{
    *(unsigned *) elem = (unsigned) db_u64(r, 0);
    return AT_OK;
}

static int
claim_tx(at_db *db, void *vctx, at_error *err)
{
    struct claim_ctx *x = vctx;
    x->claimed = x->held = 0;
    strbuf sql = {0};
    arglist a = {0};
    struct candidate c;
    int rc = claim_sql(&sql, &a, x->type_ids, x->ntypes);
    sb_add(&sql, " FOR UPDATE SKIP LOCKED");
    if (rc == AT_OK && !sql.oom)
        rc = db_row(db, 0, sql.p, a.v, (unsigned) a.n, fill_candidate, &c, "runnable task", err);
    else
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    sb_free(&sql);
    args_free(&a);
    if (rc == AT_ENOTFOUND)
        return AT_OK; /* nothing to run */
    if (rc)
        return rc;

    if ((rc = recheck_paused(db, &c, &x->held, err)) || x->held)
        return rc; /* a held task stays as it was: commit changes nothing */

    unsigned timeout = 300;
    db_arg ta[] = {da_u64(c.type_id)};
    if ((rc = db_row(db, 0, "SELECT timeout_s FROM task_types WHERE id = ?", ta, 1, fill_timeout,
                     &timeout, "task type", err)))
        return rc;
    db_arg u[] = {da_u64(x->executor_id), da_u64(AT_LEASE_S), da_u64(c.id)};
    if ((rc = db_exec(db, 0,
                      "UPDATE tasks SET state = 'running', attempts = attempts + 1, "
                      "lease_owner = ?, lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
                      "started_at = UTC_TIMESTAMP(6), finished_at = NULL, duration_us = NULL, "
                      "progress_done = 0, progress_total = 0, version = version + 1, "
                      "updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                      u, AT_COUNT(u), NULL, NULL, err)))
        return rc;
    at_task t;
    if ((rc = at_task_get(db, c.business_id, c.id, &t, err)) == AT_EINVAL || rc == AT_EIO) {
        /* A payload that cannot be read would stop every claim at this
         * task: it fails, here, and the claim looks further. */
        db_arg f[] = {da_str(err->msg), da_u64(c.id)};
        x->held = 1;
        return db_exec(db, 0,
                       "UPDATE tasks SET state = 'failed', lease_owner = NULL, "
                       "lease_until = NULL, finished_at = UTC_TIMESTAMP(6), last_error = ?, "
                       "version = version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                       f, 2, NULL, NULL, err);
    }
    if (rc)
        return rc;
    db_arg h[] = {da_u64(t.id), da_u64(t.attempts), da_u64(t.business_id), da_time(t.started_at),
                  da_u64(x->executor_id)};
    rc = db_exec(db, 0,
                 "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, "
                 "pid, started_at) SELECT ?, ?, ?, e.id, e.host, e.pid, ? FROM executors e "
                 "WHERE e.id = ? "
                 "ON DUPLICATE KEY UPDATE executor_id = VALUES(executor_id), host = VALUES(host), "
                 "pid = VALUES(pid), started_at = VALUES(started_at), finished_at = NULL, "
                 "outcome = 'running', error = NULL",
                 h, AT_COUNT(h), NULL, NULL, err);
    db_arg e[] = {da_u64(t.id), da_time(t.started_at), da_u64(x->executor_id)};
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "UPDATE executors SET current_task_id = ?, task_started_at = ? WHERE id = ?",
                     e, AT_COUNT(e), NULL, NULL, err);
    if (rc == AT_OK) {
        at_claim *o = x->out;
        o->task_id = t.id;
        o->business_id = t.business_id;
        o->user_id = t.user_id;
        o->task_type_id = t.task_type_id;
        o->attempt = t.attempts;
        o->max_attempts = t.max_attempts;
        o->timeout_s = timeout;
        o->started_at = t.started_at;
        o->payload_len = t.payload ? t.payload_size : 0;
        o->payload = t.payload ? t.payload : strdup("");
        t.payload = NULL;
        if (!o->payload)
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
        x->claimed = rc == AT_OK;
    }
    at_task_clear(&t);
    return rc;
}

int
at_claim_next(at_db *db, uint64_t executor_id, const uint64_t *type_ids, size_t ntypes,
              at_claim *out, int *claimed, at_error *err)
{
    memset(out, 0, sizeof *out);
    *claimed = 0;
    int rc = check_types(ntypes, err);
    if (rc)
        return rc;
    struct claim_ctx x = {executor_id, type_ids, ntypes, out, 0, 0};
    /* A task the re-check found held was paused between the claim query
     * and the re-check; the next query no longer sees it. */
    for (int round = 0; round < 8; round++) {
        if ((rc = db_tx(db, false, claim_tx, &x, err))) {
            at_claim_clear(out);
            return at_error_wrap(err, "claim");
        }
        if (!x.held)
            break;
    }
    *claimed = x.claimed;
    return AT_OK;
}

/* ---- the end of an attempt ---- */

const char *
at_outcome_str(int outcome)
{
    switch (outcome) {
    case AT_OUTCOME_SUCCEEDED: return "succeeded";
    case AT_OUTCOME_RETRY: return "retry";
    case AT_OUTCOME_FAILED: return "failed";
    case AT_OUTCOME_CANCELLED: return "cancelled";
    case AT_OUTCOME_REQUEUE: return "requeued";
    default: return "?";
    }
}

struct finish_ctx {
    uint64_t executor_id, task_id;
    int outcome;
    const char *result, *error;
    unsigned backoff_s;
    int final_state; /* what the task became */
};

struct leased {
    unsigned attempts, max_attempts;
    int cancel_requested;
};

static int
fill_leased(const db_res *r, void *elem, at_error *err)
{
    struct leased *l = elem;
    l->attempts = (unsigned) db_u64(r, 0);
    l->max_attempts = (unsigned) db_u64(r, 1);
    l->cancel_requested = (int) db_i64(r, 2);
    return AT_OK;
}

static unsigned
backoff(unsigned base, unsigned attempts)
{
    unsigned long long d = base ? base : 1;
    for (unsigned i = 1; i < attempts && d < BACKOFF_MAX_S; i++)
        d *= 2;
    return d > BACKOFF_MAX_S ? BACKOFF_MAX_S : (unsigned) d;
}

/* Text cut to max bytes at a character boundary. */
static void
cut_text(const char *s, size_t max, char **out)
{
    *out = NULL;
    if (!s)
        return;
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
            n--;
    }
    *out = strndup(s, n);
}

static int
finish_tx(at_db *db, void *vctx, at_error *err)
{
    struct finish_ctx *x = vctx;
    struct leased l;
    db_arg a[] = {da_u64(x->task_id), da_u64(x->executor_id)};
    int rc = db_row(db, 0,
                    "SELECT attempts, max_attempts, cancel_requested FROM tasks "
                    "WHERE id = ? AND lease_owner = ? AND state = 'running' FOR UPDATE",
                    a, 2, fill_leased, &l, "leased task", err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ESTATE, "task #%llu is no longer leased to executor #%llu",
                            (unsigned long long) x->task_id,
                            (unsigned long long) x->executor_id);
    if (rc)
        return rc;

    int outcome = x->outcome;
    if (l.cancel_requested && outcome != AT_OUTCOME_SUCCEEDED)
        outcome = AT_OUTCOME_CANCELLED;
    if (outcome == AT_OUTCOME_RETRY && l.attempts >= l.max_attempts)
        outcome = AT_OUTCOME_FAILED;
    int state = outcome == AT_OUTCOME_SUCCEEDED   ? AT_TASK_SUCCEEDED
                : outcome == AT_OUTCOME_FAILED    ? AT_TASK_FAILED
                : outcome == AT_OUTCOME_CANCELLED ? AT_TASK_CANCELLED
                                                  : AT_TASK_QUEUED;
    unsigned delay = outcome == AT_OUTCOME_RETRY ? backoff(x->backoff_s, l.attempts) : 0;
    unsigned attempts = outcome == AT_OUTCOME_REQUEUE && l.attempts > 0 ? l.attempts - 1
                                                                        : l.attempts;
    int final = state != AT_TASK_QUEUED;
    const char *error = x->error;
    if (!error && outcome == AT_OUTCOME_CANCELLED)
        error = "cancelled on request";
    char *res = NULL, *errtext = NULL;
    cut_text(x->result, AT_RESULT_MAX, &res);
    cut_text(error, AT_ERRTEXT_MAX, &errtext);
    if ((x->result && !res) || (error && !errtext)) {
        free(res);
        free(errtext);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    db_arg u[] = {da_str(at_task_state_str(state)),
                  da_i64(final),
                  da_str(errtext),
                  da_str(res),
                  da_u64(attempts),
                  da_i64(outcome == AT_OUTCOME_REQUEUE),
                  da_i64(!final),
                  da_u64(delay),
                  da_u64(x->task_id)};
    rc = db_exec(db, 0,
                 "UPDATE tasks SET state = ?, lease_owner = NULL, lease_until = NULL, "
                 "finished_at = IF(?, UTC_TIMESTAMP(6), NULL), "
                 "duration_us = TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(6)), "
                 "last_error = ?, result = ?, attempts = ?, "
                 "started_at = IF(?, NULL, started_at), "
                 "run_at = IF(?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, run_at), "
                 "version = version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                 u, AT_COUNT(u), NULL, NULL, err);
    db_arg h[] = {da_str(at_outcome_str(outcome)), da_str(errtext), da_u64(x->task_id),
                  da_u64(l.attempts)};
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "UPDATE task_attempts SET finished_at = UTC_TIMESTAMP(6), outcome = ?, "
                     "error = ? WHERE task_id = ? AND attempt = ?",
                     h, AT_COUNT(h), NULL, NULL, err);
    db_arg e[] = {da_u64(x->executor_id), da_u64(x->task_id)};
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "UPDATE executors SET current_task_id = NULL, task_started_at = NULL, "
                     "tasks_run = tasks_run + 1 WHERE id = ? AND current_task_id = ?",
                     e, 2, NULL, NULL, err);
    free(res);
    free(errtext);
    x->final_state = state;
    return rc;
}

int
at_task_finish(at_db *db, uint64_t executor_id, uint64_t task_id, int outcome, const char *result,
               const char *error, unsigned backoff_s, at_error *err)
{
    if (outcome < AT_OUTCOME_SUCCEEDED || outcome > AT_OUTCOME_REQUEUE)
        return at_error_set(err, AT_EINVAL, "finish: unknown outcome %d", outcome);
    struct finish_ctx x = {executor_id, task_id, outcome, result, error, backoff_s, 0};
    /* The lease check makes a rerun after a lost COMMIT harmless: it finds
     * the lease gone and reports AT_ESTATE. */
    int rc = db_tx(db, true, finish_tx, &x, err);
    return rc ? at_error_wrap(err, "finish task #%llu", (unsigned long long) task_id) : AT_OK;
}

int
at_executor_fail_task(at_db *db, uint64_t executor_id, int outcome, const char *error,
                      unsigned backoff_s, at_error *err)
{
    uint64_t task_id = 0;
    db_arg a[] = {da_u64(executor_id)};
    int rc = db_query_u64(db, DB_RETRY,
                          "SELECT t.id FROM executors e JOIN tasks t ON t.id = e.current_task_id "
                          "WHERE e.id = ? AND t.lease_owner = e.id AND t.state = 'running'",
                          a, 1, &task_id, err);
    if (rc == AT_ENOTFOUND)
        return AT_OK;
    if (rc == AT_OK)
        rc = at_task_finish(db, executor_id, task_id, outcome, NULL, error, backoff_s, err);
    return rc == AT_ESTATE ? AT_OK : rc;
}

int
at_recover_expired(at_db *db, unsigned backoff_s, uint64_t *recovered, at_error *err)
{
    *recovered = 0;
    struct leased_task *v = NULL;
    size_t n = 0;
    db_arg lim[] = {da_u64(RECOVER_BATCH)};
    int rc = db_rows(db, DB_RETRY,
                     "SELECT id, lease_owner FROM tasks WHERE state = 'running' "
                     "AND lease_until < UTC_TIMESTAMP(6) ORDER BY lease_until LIMIT ?",
                     lim, 1, sizeof *v, fill_leased_task, (void **) &v, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "lease expired: executor #%llu stopped answering (its host or supervisor "
                 "went away)",
                 (unsigned long long) v[i].executor_id);
        rc = at_task_finish(db, v[i].executor_id, v[i].task_id, AT_OUTCOME_RETRY, NULL, msg, backoff_s,
                            err);
        if (rc == AT_ESTATE)
            rc = AT_OK; /* finished meanwhile */
        else if (rc == AT_OK)
            ++*recovered;
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

static int
fill_id(const db_res *r, void *elem, at_error *err)
{
    *(uint64_t *) elem = db_u64(r, 0);
    return AT_OK;
}

int
at_supervisor_reap(at_db *db, uint64_t supervisor_id, const char *why, unsigned backoff_s,
                   at_error *err)
{
    uint64_t *ids = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(supervisor_id)};
    int rc = db_rows(db, DB_RETRY, "SELECT id FROM executors WHERE supervisor_id = ?", a, 1,
                     sizeof *ids, fill_id, (void **) &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        rc = at_executor_fail_task(db, ids[i], AT_OUTCOME_RETRY, why, backoff_s, err);
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
                   "SELECT t.id, e.id FROM executors e JOIN tasks t ON t.id = e.current_task_id "
                   "WHERE e.supervisor_id = ? AND t.cancel_requested = 1 "
                   "AND t.state = 'running' AND t.lease_owner = e.id",
                   a, 1, sizeof **out, fill_cancel, (void **) out, n, err);
}
