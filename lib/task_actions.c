/* task_actions.c: the row actions on one task besides Edit and Delete:
 * retry a failed or cancelled task, run a waiting one now, and the rule
 * of which action applies to which task (Discard, which is Delete kept to
 * finished tasks, is in task.c beside it).
 *
 * Each is one transaction that locks the task's row and applies the rule
 * to what it finds there, so a task that changed between the page that
 * offered the action and the request is refused (AT_ESTATE), never acted
 * on wrongly; its lane and the business's totals change with it, and an
 * audit entry is written. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <asynctasks/run.h>

#include "internal.h"

static const char *const action_names[] = {NULL,      "retry",  "run-now",
                                           "discard", "cancel", "delete"};

const char *
at_task_action_str(int action)
{
    return action > 0 && action < (int) AT_COUNT(action_names) ? action_names[action] : "?";
}

int
at_task_action_parse(const char *s)
{
    for (size_t i = 1; s && i < AT_COUNT(action_names); i++)
        if (strcmp(s, action_names[i]) == 0)
            return (int) i;
    return 0;
}

static bool
finished(int state)
{
    return state == AT_TASK_SUCCEEDED || state == AT_TASK_FAILED || state == AT_TASK_CANCELLED;
}

const char *
at_task_action_refusal(const at_task *t, int action, at_time now, char *buf, size_t len)
{
    unsigned long long id = (unsigned long long) t->id;
    const char *st = at_task_state_str(t->state);
    switch (action) {
    case AT_ACTION_RETRY:
        if (t->state == AT_TASK_FAILED || t->state == AT_TASK_CANCELLED)
            return NULL;
        snprintf(buf, len, "task #%llu is %s: only a failed or cancelled task can be retried", id,
                 st);
        return buf;
    case AT_ACTION_RUN_NOW:
        if (t->state != AT_TASK_QUEUED)
            snprintf(buf, len, "task #%llu is %s: only a queued task can be run now", id, st);
        else if (t->run_at <= now)
            snprintf(buf, len, "task #%llu is due already: it runs as soon as an executor is free",
                     id);
        else
            return NULL;
        return buf;
    case AT_ACTION_DISCARD:
        if (finished(t->state))
            return NULL;
        snprintf(buf, len,
                 "task #%llu is %s: only a finished task (succeeded, failed or cancelled) can "
                 "be discarded",
                 id, st);
        return buf;
    case AT_ACTION_CANCEL:
        if (t->state == AT_TASK_QUEUED || (t->state == AT_TASK_RUNNING && !t->cancel_requested))
            return NULL;
        snprintf(buf, len, "task #%llu is %s%s: only a queued or running task can be cancelled",
                 id, st, t->cancel_requested ? " and asked to stop already" : "");
        return buf;
    case AT_ACTION_DELETE:
        return NULL; /* a running task is asked to stop instead (task_delete_write) */
    default:
        snprintf(buf, len, "unknown action %d", action);
        return buf;
    }
}

struct action_ctx {
    const at_actor *actor;
    uint64_t business_id, id;
    int action;
};

/* Locks the task, reads the clock and applies the rule. */
static int
lock_for(at_db *db, const struct action_ctx *c, at_task *t, at_time *now, at_error *err)
{
    int rc = task_lock(db, c->business_id, c->id, t, err);
    if (rc)
        return rc;
    char why[200];
    rc = at_db_now(db, now, err);
    if (rc == AT_OK && at_task_action_refusal(t, c->action, *now, why, sizeof why))
        rc = at_error_set(err, AT_ESTATE, "%s; nothing was done", why);
    if (rc)
        at_task_clear(t);
    return rc;
}

/* One row changed, or the task was not as its lock found it. */
static int
changed_one(uint64_t affected, uint64_t id, at_error *err)
{
    return affected == 1 ? AT_OK
                         : at_error_set(err, AT_ESTATE, "task #%llu changed meanwhile: nothing "
                                                        "was done",
                                        (unsigned long long) id);
}

/* Retry's writes. The state in the WHERE too: the rule holds in the
 * statement that writes, whatever read it. A new budget: as many
 * attempts again as the type allows now, numbered after the ones on
 * record. */
static int
retry_write(at_db *db, const at_task *t, at_time now, char *detail, size_t len, at_error *err)
{
    db_arg a[] = {da_time(now), da_u64(t->id), da_u64(t->business_id)};
    uint64_t affected = 0;
    int rc = db_exec(db, 0,
                     "UPDATE tasks SET state = 'queued', run_at = ?, started_at = NULL, "
                     "finished_at = NULL, result = NULL, cancel_requested = 0, "
                     "max_attempts = attempts + COALESCE((SELECT y.max_attempts FROM task_types "
                     "y WHERE y.id = tasks.task_type_id), 1), "
                     "version = version + 1, updated_at = UTC_TIMESTAMP(6) "
                     "WHERE id = ? AND business_id = ? AND state IN ('failed', 'cancelled')",
                     a, AT_COUNT(a), &affected, NULL, err);
    if (rc == AT_OK)
        rc = changed_one(affected, t->id, err);
    if (rc == AT_OK)
        rc = task_uncount_finished(db, t, err);
    lane_add add = {{t->business_id, t->user_id, t->task_type_id, t->priority}, 1, now, t->id,
                    false, false};
    if (rc == AT_OK)
        rc = lanes_enter(db, &add, 1, err);
    snprintf(detail, len, "was %s, %u attempt(s)", at_task_state_str(t->state), t->attempts);
    return rc;
}

/* Run now's writes: the run-at, and the lane's head (which makes it
 * due). */
static int
run_now_write(at_db *db, const at_task *t, at_time now, char *detail, size_t len, at_error *err)
{
    db_arg a[] = {da_time(now), da_u64(t->id), da_u64(t->business_id), da_time(now)};
    uint64_t affected = 0;
    int rc = db_exec(db, 0,
                     "UPDATE tasks SET run_at = ?, version = version + 1, "
                     "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND business_id = ? "
                     "AND state = 'queued' AND run_at > ?",
                     a, AT_COUNT(a), &affected, NULL, err);
    if (rc == AT_OK)
        rc = changed_one(affected, t->id, err);
    lane_key k = {t->business_id, t->user_id, t->task_type_id, t->priority};
    if (rc == AT_OK)
        rc = lane_refresh(db, &k, 0, err);
    char tb[32];
    snprintf(detail, len, "run at %s -> now", at_time_format(t->run_at, tb, sizeof tb));
    return rc;
}

/* Cancel's writes: a queued task ends as cancelled and leaves its lane
 * (and the queued or paused total) for the finished ones; a running one
 * is asked to stop, as Delete asks it. */
static int
cancel_write(at_db *db, const at_task *t, at_time now, char *detail, size_t len, at_error *err)
{
    snprintf(detail, len, "was %s, %u attempt(s)", at_task_state_str(t->state), t->attempts);
    if (t->state == AT_TASK_RUNNING)
        return task_request_cancel(db, t, err);
    db_arg a[] = {da_time(now), da_u64(t->id), da_u64(t->business_id)};
    uint64_t affected = 0;
    int rc = db_exec(db, 0,
                     "UPDATE tasks SET state = 'cancelled', finished_at = ?, "
                     "last_error = 'cancelled before it started', version = version + 1, "
                     "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND business_id = ? "
                     "AND state = 'queued'",
                     a, AT_COUNT(a), &affected, NULL, err);
    if (rc == AT_OK)
        rc = changed_one(affected, t->id, err);
    lane_key k = {t->business_id, t->user_id, t->task_type_id, t->priority};
    if (rc == AT_OK)
        rc = lane_task_gone(db, &k, err);
    counts_delta d = {.business_id = t->business_id, .finished_today = 1, .cancelled_total = 1};
    if (rc == AT_OK)
        rc = counts_add(db, &d, 1, err);
    return rc;
}

int
task_action_write(at_db *db, const at_task *t, int action, at_time now, char *detail, size_t len,
                  int *cancel_requested, at_error *err)
{
    *cancel_requested = 0;
    switch (action) {
    case AT_ACTION_RETRY: return retry_write(db, t, now, detail, len, err);
    case AT_ACTION_RUN_NOW: return run_now_write(db, t, now, detail, len, err);
    case AT_ACTION_CANCEL:
        *cancel_requested = t->state == AT_TASK_RUNNING;
        return cancel_write(db, t, now, detail, len, err);
    case AT_ACTION_DISCARD:
    case AT_ACTION_DELETE: return task_delete_write(db, t, cancel_requested, detail, len, err);
    default: return at_error_set(err, AT_EINVAL, "unknown task action %d", action);
    }
}

/* The task locked, the rule applied, the writes, the audit entry. */
static int
action_tx(at_db *db, void *vctx, at_error *err)
{
    struct action_ctx *c = vctx;
    at_task t;
    at_time now;
    int rc = lock_for(db, c, &t, &now, err);
    if (rc)
        return rc;
    char detail[200] = "";
    int asked = 0;
    rc = task_action_write(db, &t, c->action, now, detail, sizeof detail, &asked, err);
    char name[TASK_AUDIT_NAME_BUF];
    task_audit_name(&t, name, sizeof name);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->business_id, c->actor,
                            c->action == AT_ACTION_RETRY ? "retry"
                            : c->action == AT_ACTION_CANCEL ? "cancel"
                                                            : "run_now",
                            "task", c->id, name, NULL, detail, err);
    at_task_clear(&t);
    return rc;
}

static int
act(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id, int action,
    at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct action_ctx c = {actor, business_id, id, action};
    rc = db_tx(db, false, action_tx, &c, err);
    if (rc == AT_OK)
        at_wake(db, business_id); /* an idle executor takes it at once */
    return rc;
}

int
at_task_retry(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
              at_error *err)
{
    return act(db, actor, business_id, id, AT_ACTION_RETRY, err);
}

int
at_task_run_now(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                at_error *err)
{
    return act(db, actor, business_id, id, AT_ACTION_RUN_NOW, err);
}

int
at_task_cancel(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
               at_error *err)
{
    return act(db, actor, business_id, id, AT_ACTION_CANCEL, err);
}

int
at_task_act(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id, int action,
            at_error *err)
{
    switch (action) {
    case AT_ACTION_RETRY: return at_task_retry(db, actor, business_id, id, err);
    case AT_ACTION_RUN_NOW: return at_task_run_now(db, actor, business_id, id, err);
    case AT_ACTION_DISCARD: return at_task_discard(db, actor, business_id, id, err);
    case AT_ACTION_CANCEL: return at_task_cancel(db, actor, business_id, id, err);
    case AT_ACTION_DELETE: return at_task_delete(db, actor, business_id, id, NULL, err);
    default: return at_error_set(err, AT_EINVAL, "unknown task action %d", action);
    }
}
