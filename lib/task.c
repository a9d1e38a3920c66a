/* task.c: one task: read, edit, delete and discard. Enqueue is in
 * enqueue.c, listing in task_list.c, retry and run now in
 * task_actions.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const state_names[] = {NULL,        "queued", "running",
                                          "succeeded", "failed", "cancelled"};

const char *
at_task_state_str(int state)
{
    return state > 0 && state < (int) AT_COUNT(state_names) ? state_names[state] : "unknown";
}

int
at_task_state_parse(const char *s)
{
    for (size_t i = 1; s && i < AT_COUNT(state_names); i++)
        if (strcmp(s, state_names[i]) == 0)
            return (int) i;
    return 0;
}

void
at_task_clear(at_task *t)
{
    if (!t)
        return;
    free(t->payload);
    free(t->last_error);
    free(t->result);
    t->payload = t->last_error = t->result = NULL;
}

int
at_task_check_priority(int p, at_error *err)
{
    if (p < AT_PRIORITY_MIN || p > AT_PRIORITY_MAX)
        return at_error_set(err, AT_EINVAL, "priority must be %d to %d, not %d", AT_PRIORITY_MIN,
                            AT_PRIORITY_MAX, p);
    return AT_OK;
}

/* A payload must fit the parameters its type declares; a type that
 * declares none takes any text. */
static int
payload_fits(const at_param_decl *d, size_t n, const char *payload, size_t len, at_error *err)
{
    return n ? at_params_check(d, n, payload, len, err) : AT_OK;
}

/* An unknown type passes here and is named by the statement that finds it
 * missing. */
int
at_task_check_payload(at_db *db, uint64_t type_id, const char *payload, size_t len, at_error *err)
{
    at_param_decl *d;
    size_t n;
    int rc = at_task_type_params(db, type_id, &d, &n, err);
    if (rc == AT_ENOTFOUND)
        return AT_OK;
    if (rc == AT_OK)
        rc = payload_fits(d, n, payload, len, err);
    free(d);
    return rc;
}

int
at_task_check_request(const at_enqueue *req, const at_param_decl *d, size_t n, at_error *err)
{
    int rc = at_task_check_priority(req->priority, err);
    if (rc)
        return rc;
    if (req->run_at < 0)
        return at_error_set(err, AT_EINVAL, "run-at time is before 1970");
    if (req->payload && (rc = at_payload_check(req->payload, req->payload_len, err)))
        return rc;
    return payload_fits(d, n, req->payload, req->payload_len, err);
}

static int
task_row(const db_res *r, at_task *t, bool with_payload, at_error *err)
{
    memset(t, 0, sizeof *t);
    t->id = db_u64(r, 0);
    t->business_id = db_u64(r, 1);
    t->user_id = db_u64(r, 2);
    t->task_type_id = db_u64(r, 3);
    db_copy(r, 4, t->user_name, sizeof t->user_name);
    db_copy(r, 5, t->type_name, sizeof t->type_name);
    t->state = at_task_state_parse(db_col(r, 6, NULL));
    t->priority = (int) db_i64(r, 7);
    t->run_at = db_time(r, 8);
    t->created_at = db_time(r, 9);
    t->updated_at = db_time(r, 10);
    t->started_at = db_time(r, 11);
    t->finished_at = db_time(r, 12);
    t->attempts = (unsigned) db_u64(r, 13);
    t->max_attempts = (unsigned) db_u64(r, 14);
    t->version = (unsigned) db_u64(r, 15);
    t->cancel_requested = (int) db_i64(r, 16);
    t->payload_size = (size_t) db_u64(r, 17);
    /* the progress columns come last in both column lists */
    unsigned pc = with_payload ? 22 : 20;
    t->progress_done = db_u64(r, pc);
    t->progress_total = db_u64(r, pc + 1);
    t->duration_us = db_isnull(r, pc + 2) ? -1 : db_i64(r, pc + 2);
    bool oom = false;
    t->last_error = db_dup(r, 18, &oom);
    t->result = db_dup(r, 19, &oom);
    if (oom) {
        at_task_clear(t);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    if (with_payload && !db_isnull(r, 20)) {
        size_t len;
        const char *p = db_col(r, 20, &len);
        int rc = at_payload_decode((const unsigned char *) p, len, (int) db_i64(r, 21),
                                   t->payload_size, &t->payload, err);
        if (rc) {
            at_task_clear(t);
            return at_error_wrap(err, "task #%llu", (unsigned long long) t->id);
        }
    }
    return AT_OK;
}

int
at_task_row_list(const db_res *r, at_task *t, at_error *err)
{
    return task_row(r, t, false, err);
}

int
at_task_row(const db_res *r, at_task *t, at_error *err)
{
    return task_row(r, t, true, err);
}

static int
get(at_db *db, uint64_t business_id, uint64_t id, bool lock, at_task *out, at_error *err)
{
    db_arg a[] = {da_u64(id), da_u64(business_id)};
    db_res r;
    int rc = db_query(db, lock ? 0 : DB_RETRY,
                      lock ? "SELECT " AT_TASK_COLS " FROM tasks k WHERE k.id = ? "
                             "AND k.business_id = ? FOR UPDATE"
                           : "SELECT " AT_TASK_COLS " FROM tasks k WHERE k.id = ? "
                             "AND k.business_id = ?",
                      a, 2, &r, err);
    if (rc)
        return rc;
    rc = db_fetch(&r, err);
    if (rc == 1)
        rc = task_row(&r, out, true, err);
    else if (rc == 0)
        rc = at_error_set(err, AT_ENOTFOUND, "no task #%llu in this business",
                          (unsigned long long) id);
    db_res_close(&r);
    return rc;
}

int
at_task_get(at_db *db, uint64_t business_id, uint64_t id, at_task *out, at_error *err)
{
    return get(db, business_id, id, false, out, err);
}

int
task_lock(at_db *db, uint64_t business_id, uint64_t id, at_task *out, at_error *err)
{
    return get(db, business_id, id, true, out, err);
}

void
task_audit_name(const at_task *t, char *buf, size_t len)
{
    snprintf(buf, len, "%s / %s", t->type_name, t->user_name);
}

static lane_key
lane_of(const at_task *t)
{
    lane_key k = {t->business_id, t->user_id, t->task_type_id, t->priority};
    return k;
}

/* An edited queued task: a new priority moves it to another lane; a new
 * run-at may change its lane's head. */
static int
move_in_lanes(at_db *db, const at_task *t, int prio, at_time run_at, at_error *err)
{
    lane_key k = lane_of(t);
    if (prio == t->priority)
        return run_at == t->run_at ? AT_OK : lane_refresh(db, &k, 0, err);
    int rc = lane_task_gone(db, &k, err);
    k.priority = prio;
    lane_add add = {k, 1, run_at, t->id, false, false};
    if (rc == AT_OK)
        rc = lanes_enter(db, &add, 1, err);
    return rc;
}

/* A finished task's part of the totals, as it leaves them (deleted, or
 * queued again). */
int
task_uncount_finished(at_db *db, const at_task *t, at_error *err)
{
    counts_delta d = {.business_id = t->business_id};
    if (t->state == AT_TASK_FAILED)
        d.failed = -1;
    if (t->finished_at) {
        at_time now = 0;
        int rc = at_db_now(db, &now, err);
        if (rc)
            return rc;
        at_time day = now - now % (86400LL * 1000000);
        if (t->finished_at >= day)
            d.finished_today = -1;
    }
    return counts_add(db, &d, 1, err);
}

/* A deleted task's part of the totals. */
static int
uncount(at_db *db, const at_task *t, at_error *err)
{
    if (t->state == AT_TASK_QUEUED) {
        lane_key k = lane_of(t);
        return lane_task_gone(db, &k, err);
    }
    return task_uncount_finished(db, t, err);
}

struct update_ctx {
    const at_actor *actor;
    uint64_t business_id, id;
    unsigned expect_version;
    const at_task_edit *edit;
    const unsigned char *blob;
    size_t bloblen;
    int enc;
};

static int
update_tx(at_db *db, void *vctx, at_error *err)
{
    struct update_ctx *c = vctx;
    at_task t;
    int rc = get(db, c->business_id, c->id, true, &t, err);
    if (rc)
        return rc;
    if (t.state != AT_TASK_QUEUED) {
        rc = at_error_set(err, AT_ESTATE, "task #%llu is %s now: only a queued task can be edited",
                          (unsigned long long) c->id, at_task_state_str(t.state));
        goto out;
    }
    if (t.version != c->expect_version) {
        rc = at_error_set(err, AT_ECONFLICT,
                          "task #%llu was changed by someone else since it was read "
                          "(version %u, now %u): nothing was saved",
                          (unsigned long long) c->id, c->expect_version, t.version);
        goto out;
    }
    const at_task_edit *e = c->edit;
    if (e->payload && (rc = at_task_check_payload(db, t.task_type_id, e->payload, e->payload_len, err))) {
        at_error_wrap(err, "task #%llu", (unsigned long long) c->id);
        goto out;
    }
    int prio = e->has_priority ? e->priority : t.priority;
    at_time run_at = e->has_run_at ? e->run_at : t.run_at;
    char detail[AT_AUDIT_DETAIL_BUF] = "", part[200], tb1[32], tb2[32];
    if (prio != t.priority) {
        snprintf(part, sizeof part, "priority %d -> %d; ", t.priority, prio);
        strncat(detail, part, sizeof detail - strlen(detail) - 1);
    }
    if (run_at != t.run_at) {
        snprintf(part, sizeof part, "run at %s -> %s; ", at_time_format(t.run_at, tb1, sizeof tb1),
                 at_time_format(run_at, tb2, sizeof tb2));
        strncat(detail, part, sizeof detail - strlen(detail) - 1);
    }
    if (e->payload && (e->payload_len != t.payload_size ||
                       (t.payload && memcmp(e->payload, t.payload, e->payload_len) != 0))) {
        snprintf(part, sizeof part, "payload %zu -> %zu bytes; ", t.payload_size, e->payload_len);
        strncat(detail, part, sizeof detail - strlen(detail) - 1);
    }
    size_t dl = strlen(detail);
    if (dl >= 2)
        detail[dl - 2] = 0;
    else
        snprintf(detail, sizeof detail, "no change");
    if (e->payload) {
        db_arg a[] = {da_i64(prio),         da_time(run_at),
                      da_blob(c->blob, c->bloblen), da_i64(c->enc),
                      da_u64(e->payload_len), da_u64(c->id),
                      da_u64(c->business_id)};
        rc = db_exec(db, 0,
                     "UPDATE tasks SET priority = ?, run_at = ?, payload = ?, "
                     "payload_encoding = ?, payload_size = ?, version = version + 1, "
                     "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND business_id = ?",
                     a, AT_COUNT(a), NULL, NULL, err);
    } else {
        db_arg a[] = {da_i64(prio), da_time(run_at), da_u64(c->id), da_u64(c->business_id)};
        rc = db_exec(db, 0,
                     "UPDATE tasks SET priority = ?, run_at = ?, version = version + 1, "
                     "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND business_id = ?",
                     a, AT_COUNT(a), NULL, NULL, err);
    }
    if (rc == AT_OK)
        rc = move_in_lanes(db, &t, prio, run_at, err);
    if (rc == AT_OK) {
        char name[AT_NAME_BUF + AT_TYPE_NAME_BUF + 8];
        task_audit_name(&t, name, sizeof name);
        rc = at_audit_write(db, c->business_id, c->actor, "edit", "task", c->id, name, NULL,
                            detail, err);
    }
out:
    at_task_clear(&t);
    return rc;
}

int
at_task_update(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
               unsigned expect_version, const at_task_edit *edit, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    if (edit->has_priority && (rc = at_task_check_priority(edit->priority, err)))
        return rc;
    if (edit->has_run_at && edit->run_at <= 0)
        return at_error_set(err, AT_EINVAL, "run-at time must be after 1970");
    struct update_ctx c = {actor, business_id, id, expect_version, edit, NULL, 0, 0};
    unsigned char *blob = NULL;
    if (edit->payload) {
        rc = at_payload_encode(edit->payload, edit->payload_len, &blob, &c.bloblen, &c.enc, err);
        if (rc)
            return rc;
        c.blob = blob;
    }
    rc = db_tx(db, false, update_tx, &c, err);
    free(blob);
    return rc;
}

struct delete_ctx {
    const at_actor *actor;
    uint64_t business_id, id;
    bool discard; /* finished tasks only (at_task_discard) */
    int cancel;
};

int
task_request_cancel(at_db *db, const at_task *t, at_error *err)
{
    db_arg a[] = {da_u64(t->id), da_u64(t->business_id)};
    return db_exec(db, 0,
                   "UPDATE tasks SET cancel_requested = 1, version = version + 1, "
                   "updated_at = UTC_TIMESTAMP(6) WHERE id = ? AND business_id = ?",
                   a, 2, NULL, NULL, err);
}

int
task_delete_write(at_db *db, const at_task *t, int *cancel, char *detail, size_t len,
                  at_error *err)
{
    snprintf(detail, len, "was %s, %u attempt(s)", at_task_state_str(t->state), t->attempts);
    *cancel = t->state == AT_TASK_RUNNING;
    if (*cancel) /* the executor running it sees the request and stops it */
        return task_request_cancel(db, t, err);
    db_arg a[] = {da_u64(t->id), da_u64(t->business_id)};
    int rc = db_exec(db, 0, "DELETE FROM tasks WHERE id = ? AND business_id = ?", a, 2, NULL,
                     NULL, err);
    return rc ? rc : uncount(db, t, err);
}

static int
delete_tx(at_db *db, void *vctx, at_error *err)
{
    struct delete_ctx *c = vctx;
    at_task t;
    int rc = get(db, c->business_id, c->id, true, &t, err);
    if (rc)
        return rc;
    char why[200];
    if (c->discard && at_task_action_refusal(&t, AT_ACTION_DISCARD, 0, why, sizeof why)) {
        at_task_clear(&t);
        return at_error_set(err, AT_ESTATE, "%s; nothing was discarded", why);
    }
    char name[TASK_AUDIT_NAME_BUF], detail[200];
    task_audit_name(&t, name, sizeof name);
    rc = task_delete_write(db, &t, &c->cancel, detail, sizeof detail, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->business_id, c->actor,
                            c->cancel ? "cancel" : c->discard ? "discard" : "delete", "task",
                            c->id, name, NULL, detail, err);
    at_task_clear(&t);
    return rc;
}

int
at_task_delete(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
               int *cancel_requested, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct delete_ctx c = {actor, business_id, id, false, 0};
    rc = db_tx(db, false, delete_tx, &c, err);
    if (cancel_requested)
        *cancel_requested = rc == AT_OK ? c.cancel : 0;
    return rc;
}

int
at_task_discard(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct delete_ctx c = {actor, business_id, id, true, 0};
    return db_tx(db, false, delete_tx, &c, err);
}
