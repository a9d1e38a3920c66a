/* finish.c: the end of attempts, many in one transaction.
 *
 * An executor writes how its tasks ended in batches (with its next claim,
 * or when a result has waited long enough); a supervisor writes the end
 * of the tasks of an executor that died; recovery writes the end of tasks
 * whose lease ran out. All of it comes here. Each task is locked and its
 * lease checked first: a writer that lost the lease (the task was
 * recovered and perhaps runs again elsewhere) changes nothing, so a rerun
 * after a lost COMMIT is harmless too. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BACKOFF_MAX_S 3600u

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

static unsigned
backoff(unsigned base, unsigned attempts)
{
    unsigned long long d = base ? base : 1;
    for (unsigned i = 1; i < attempts && d < BACKOFF_MAX_S; i++)
        d *= 2;
    return d > BACKOFF_MAX_S ? BACKOFF_MAX_S : (unsigned) d;
}

/* Text cut to max bytes at a character boundary. */
static char *
cut_text(const char *s, size_t max, bool *oom)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
            n--;
    }
    char *p = strndup(s, n);
    if (!p)
        *oom = true;
    return p;
}

/* A task as it is locked, with what its end makes of it. */
struct held {
    uint64_t id;
    lane_key key;
    unsigned attempts, max_attempts;
    int cancel_requested;
    at_time now, run_at;
    const finish_rec *rec;
    /* what it becomes */
    int outcome, state;
    unsigned new_attempts;
    at_time new_run_at; /* queued again: when it may run */
    at_time finished_at;
    char *result, *error;
};

static int
fill_held(const db_res *r, void *elem, at_error *err)
{
    struct held *h = elem;
    memset(h, 0, sizeof *h);
    h->id = db_u64(r, 0);
    h->key.business_id = db_u64(r, 1);
    h->key.user_id = db_u64(r, 2);
    h->key.type_id = db_u64(r, 3);
    h->key.priority = (int) db_i64(r, 4);
    h->attempts = (unsigned) db_u64(r, 5);
    h->max_attempts = (unsigned) db_u64(r, 6);
    h->cancel_requested = (int) db_i64(r, 7);
    h->run_at = db_time(r, 8);
    h->now = db_time(r, 9);
    return AT_OK;
}

/* Locks the tasks whose lease the executor still holds, in id order (so
 * that two writers never wait on each other crosswise). */
static int
lock_leased(at_db *db, uint64_t executor_id, const finish_rec *v, size_t n, struct held **out,
            size_t *nout, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT id, business_id, user_id, task_type_id, priority, attempts, "
                 "max_attempts, cancel_requested, run_at, UTC_TIMESTAMP(6) FROM tasks "
                 "WHERE lease_owner = ? AND state = 'running' AND id IN (");
    args_add(&a, da_u64(executor_id));
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(v[i].task_id));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ") ORDER BY id FOR UPDATE");
    int rc = db_rows_sb(db, 0, &sql, &a, sizeof **out, fill_held, (void **) out, nout, err);
    return rc;
}

/* The outcome's consequences, as before: a cancel requested wins over
 * anything but success; a retry with no attempt left is a failure; a
 * requeue (a shutdown, or a task given back before it started) refunds
 * its attempt. */
static int
decide(struct held *h, at_error *err)
{
    const finish_rec *r = h->rec;
    int outcome = r->outcome;
    if (h->cancel_requested && outcome != AT_OUTCOME_SUCCEEDED)
        outcome = AT_OUTCOME_CANCELLED;
    if (outcome == AT_OUTCOME_RETRY && h->attempts >= h->max_attempts)
        outcome = AT_OUTCOME_FAILED;
    h->outcome = outcome;
    h->state = outcome == AT_OUTCOME_SUCCEEDED   ? AT_TASK_SUCCEEDED
               : outcome == AT_OUTCOME_FAILED    ? AT_TASK_FAILED
               : outcome == AT_OUTCOME_CANCELLED ? AT_TASK_CANCELLED
                                                 : AT_TASK_QUEUED;
    bool refund = outcome == AT_OUTCOME_REQUEUE || !r->ran;
    h->new_attempts = refund && h->attempts > 0 ? h->attempts - 1 : h->attempts;
    h->new_run_at = outcome == AT_OUTCOME_RETRY
                        ? h->now + (at_time) backoff(r->backoff_s, h->attempts) * 1000000
                    : outcome == AT_OUTCOME_REQUEUE && r->ran ? h->now
                                                              : h->run_at;
    /* an executor that died in the run reported no run time: the attempt
     * ended, as far as anyone knows, when its death is written */
    h->finished_at = r->ran && r->started_at && r->duration_us > 0
                         ? r->started_at + r->duration_us
                         : h->now;
    if (h->finished_at > h->now || h->finished_at <= 0)
        h->finished_at = h->now;
    const char *error = r->error;
    if (!error && outcome == AT_OUTCOME_CANCELLED)
        error = r->ran ? "cancelled on request" : "cancelled on request before it started";
    bool oom = false;
    h->result = cut_text(r->result, AT_RESULT_MAX, &oom);
    h->error = cut_text(error, AT_ERRTEXT_MAX, &oom);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

static const char *const task_cols[] = {
    "id UNSIGNED", "st CHAR",        "fin DATETIME(6)", "dur SIGNED", "sa DATETIME(6)",
    "err CHAR",    "res CHAR",       "att UNSIGNED",    "ra DATETIME(6)", "ran SIGNED"};

/* One UPDATE for every task: its new state from a derived table. A task
 * given back before it ran keeps its last attempt's error and duration. */
static int
update_tasks(at_db *db, const struct held *h, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "UPDATE tasks t JOIN ");
    sb_rows(&sql, task_cols, AT_COUNT(task_cols), sb_class(n)); /* a NULL id joins nothing */
    sb_add(&sql, " r ON r.id = t.id SET t.state = r.st, t.lease_owner = NULL, "
                 "t.lease_until = NULL, t.finished_at = r.fin, "
                 "t.duration_us = IF(r.ran, r.dur, t.duration_us), t.started_at = r.sa, "
                 "t.last_error = IF(r.ran OR r.st <> 'queued', r.err, t.last_error), "
                 "t.result = IF(r.ran OR r.st <> 'queued', r.res, t.result), "
                 "t.attempts = r.att, t.run_at = r.ra, t.version = t.version + 1, "
                 "t.updated_at = UTC_TIMESTAMP(6)");
    for (size_t i = 0; i < n; i++) {
        const struct held *x = &h[i];
        bool fin = x->state != AT_TASK_QUEUED;
        args_add(&a, da_u64(x->id));
        args_add(&a, da_str(at_task_state_str(x->state)));
        args_add(&a, da_time(fin ? x->finished_at : 0));
        args_add(&a, da_i64(x->rec->ran ? x->rec->duration_us : 0));
        args_add(&a, da_time(fin && x->rec->ran ? x->rec->started_at : 0));
        args_add(&a, da_str(x->error));
        args_add(&a, da_str(x->result));
        args_add(&a, da_u64(x->new_attempts));
        args_add(&a, da_time(x->new_run_at));
        args_add(&a, da_i64(x->rec->ran));
    }
    args_nulls(&a, (sb_class(n) - n) * AT_COUNT(task_cols));
    int rc = db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
    return rc;
}

/* The attempts that ran, with the executor's host and pid. */
#define ATTEMPT_ROW                                                                                \
    "(?, ?, ?, ?, COALESCE((SELECT host FROM executors WHERE id = ?), ''), "                       \
    "COALESCE((SELECT pid FROM executors WHERE id = ?), 0), ?, ?, ?, ?)"
#define ATTEMPT_COLS 10
static int
insert_attempts(at_db *db, uint64_t executor_id, const struct held *h, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    size_t k = 0;
    sb_add(&sql, "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, "
                 "pid, started_at, finished_at, outcome, error) VALUES ");
    for (size_t i = 0; i < n; i++) {
        if (!h[i].rec->ran)
            continue;
        sb_add(&sql, k++ ? ", " ATTEMPT_ROW : ATTEMPT_ROW);
        args_add(&a, da_u64(h[i].id));
        args_add(&a, da_u64(h[i].attempts));
        args_add(&a, da_u64(h[i].key.business_id));
        args_add(&a, da_u64(executor_id));
        args_add(&a, da_u64(executor_id));
        args_add(&a, da_u64(executor_id));
        args_add(&a, da_time(h[i].rec->started_at ? h[i].rec->started_at : h[i].now));
        args_add(&a, da_time(h[i].finished_at));
        args_add(&a, da_str(at_outcome_str(h[i].outcome)));
        args_add(&a, da_str(h[i].error));
    }
    /* the shape's padding: the last row again, which the update below
     * writes with the values it already has */
    for (size_t i = k; k && i < sb_class(k); i++) {
        sb_add(&sql, ", " ATTEMPT_ROW);
        args_repeat_row(&a, ATTEMPT_COLS);
    }
    sb_add(&sql, " ON DUPLICATE KEY UPDATE executor_id = VALUES(executor_id), "
                 "host = VALUES(host), pid = VALUES(pid), started_at = VALUES(started_at), "
                 "finished_at = VALUES(finished_at), outcome = VALUES(outcome), "
                 "error = VALUES(error)");
    int rc = k ? db_exec_sb(db, 0, &sql, &a, NULL, NULL, err) : AT_OK;
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* Tasks queued again go back into their lanes. */
static int
requeue_lanes(at_db *db, const struct held *h, size_t n, at_error *err)
{
    lane_add *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].state == AT_TASK_QUEUED)
            v[k++] = (lane_add){h[i].key, 1, h[i].new_run_at, h[i].id, false, false};
    int rc = lanes_enter(db, v, k, err);
    /* a task given back because a rule holds it: its lane's flag lagged */
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        if (h[i].state == AT_TASK_QUEUED && h[i].rec->held)
            rc = lane_rehold_one(db, &h[i].key, err);
    free(v);
    return rc;
}

/* An attempt that ran, in the histograms (schema/014): how long it waited
 * from its task's run_at (its enqueue, or the time it was given) to its
 * start, and how long it ran, as its row in task_attempts says (decide).
 * Both clocks are the database's. */
static void
count_attempt(const struct held *h, counts_delta *d)
{
    const finish_rec *r = h->rec;
    if (!r->ran || !r->started_at)
        return;
    int64_t wait = r->started_at - h->run_at;
    if (wait < 0)
        wait = 0;
    int64_t run = h->finished_at - r->started_at;
    if (run < 0)
        run = 0;
    d->wait[at_hist_bucket(wait)]++;
    d->wait_sum_us += wait;
    d->run[at_hist_bucket(run)]++;
    d->run_sum_us += run;
}

/* What the ends change in each business's totals: every task leaves
 * "running"; failures and finishes count, and so, for the metrics, does
 * each outcome and each attempt that ran. */
static void
count_ends(const struct held *h, size_t n, counts_acc *acc)
{
    for (size_t i = 0; i < n; i++) {
        counts_delta *d = counts_acc_get(acc, h[i].key.business_id);
        if (!d)
            continue;
        d->running--;
        if (h[i].state == AT_TASK_FAILED)
            d->failed++;
        if (h[i].state != AT_TASK_QUEUED)
            d->finished_today++;
        d->succeeded_total += h[i].state == AT_TASK_SUCCEEDED;
        d->failed_total += h[i].state == AT_TASK_FAILED;
        d->cancelled_total += h[i].state == AT_TASK_CANCELLED;
        d->retried_total += h[i].outcome == AT_OUTCOME_RETRY;
        count_attempt(&h[i], d);
    }
}

int
finish_in_tx(at_db *db, uint64_t executor_id, finish_rec *v, size_t n, counts_acc *acc,
             at_error *err)
{
    for (size_t i = 0; i < n; i++)
        v[i].final_state = 0;
    if (n == 0)
        return AT_OK;
    struct held *h = NULL;
    size_t nh = 0;
    int rc = lock_leased(db, executor_id, v, n, &h, &nh, err);
    for (size_t i = 0; rc == AT_OK && i < nh; i++) {
        for (size_t k = 0; k < n && !h[i].rec; k++)
            if (v[k].task_id == h[i].id)
                h[i].rec = &v[k];
        rc = decide(&h[i], err);
    }
    if (rc == AT_OK && nh)
        rc = update_tasks(db, h, nh, err);
    if (rc == AT_OK && nh)
        rc = insert_attempts(db, executor_id, h, nh, err);
    if (rc == AT_OK && nh)
        rc = requeue_lanes(db, h, nh, err);
    if (rc == AT_OK) {
        count_ends(h, nh, acc);
        if (acc->oom)
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nh; i++) {
        if (rc == AT_OK)
            for (size_t k = 0; k < n; k++)
                if (v[k].task_id == h[i].id) {
                    v[k].final_state = h[i].state;
                    v[k].final_outcome = h[i].outcome;
                }
        free(h[i].result);
        free(h[i].error);
    }
    free(h);
    return rc;
}

/* ---- one transaction of ends, for the supervisor and recovery ---- */

struct finish_ctx {
    uint64_t executor_id;
    finish_rec *v;
    size_t n;
};

static int
finish_tx(at_db *db, void *vctx, at_error *err)
{
    struct finish_ctx *x = vctx;
    counts_acc acc = {0};
    int rc = finish_in_tx(db, x->executor_id, x->v, x->n, &acc, err);
    if (rc == AT_OK)
        rc = counts_acc_write(db, &acc, err);
    counts_acc_free(&acc);
    return rc;
}

int
finish_many(at_db *db, uint64_t executor_id, finish_rec *v, size_t n, at_error *err)
{
    struct finish_ctx x = {executor_id, v, n};
    /* The lease check makes a rerun after a lost COMMIT harmless. */
    return n ? db_tx(db, true, finish_tx, &x, err) : AT_OK;
}

int
at_task_finish(at_db *db, uint64_t executor_id, uint64_t task_id, int outcome, const char *result,
               const char *error, unsigned backoff_s, at_error *err)
{
    if (outcome < AT_OUTCOME_SUCCEEDED || outcome > AT_OUTCOME_REQUEUE)
        return at_error_set(err, AT_EINVAL, "finish: unknown outcome %d", outcome);
    finish_rec r = {.task_id = task_id,
                    .outcome = outcome,
                    .ran = 1,
                    .result = result,
                    .error = error,
                    .backoff_s = backoff_s};
    int rc = finish_many(db, executor_id, &r, 1, err);
    if (rc == AT_OK && !r.final_state)
        rc = at_error_set(err, AT_ESTATE, "task #%llu is no longer leased to executor #%llu",
                          (unsigned long long) task_id, (unsigned long long) executor_id);
    return rc ? at_error_wrap(err, "finish task #%llu", (unsigned long long) task_id) : AT_OK;
}
