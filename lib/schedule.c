/* schedule.c: a business's schedules of recurring tasks: add, list, get,
 * pause, resume, remove, each change audited in its own transaction.
 * What a schedule enqueues is checked when it is added by the enqueue's
 * own checks (enqueue_check_in_tx), so a schedule is refused for what a
 * task would be. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const missed_names[] = {"skip", "once"};

const char *
at_missed_str(int missed)
{
    return missed == AT_MISSED_ONCE ? missed_names[1] : missed_names[0];
}

int
at_missed_parse(const char *s)
{
    for (int i = 0; i < (int) AT_COUNT(missed_names); i++)
        if (strcmp(s, missed_names[i]) == 0)
            return i;
    return -1;
}

void
at_schedule_clear(at_schedule *s)
{
    free(s->payload);
    s->payload = NULL;
}

void
at_schedules_free(at_schedule *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        at_schedule_clear(&v[i]);
    free(v);
}

#define SCHEDULE_COLS                                                                              \
    "s.id, s.business_id, s.cron, s.time_zone, s.task_type_id, s.user_id, t.name, u.email, "      \
    "s.priority, s.missed, s.paused, s.next_run_at, s.last_fired_at, s.last_task_id, "            \
    "s.last_error, s.created_at, s.created_by"
#define SCHEDULE_FROM                                                                              \
    " FROM schedules s JOIN task_types t ON t.id = s.task_type_id JOIN users u ON u.id = s.user_id"

static int
fill(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_schedule *s = elem;
    memset(s, 0, sizeof *s);
    s->id = db_u64(r, 0);
    s->business_id = db_u64(r, 1);
    db_copy(r, 2, s->cron, sizeof s->cron);
    db_copy(r, 3, s->time_zone, sizeof s->time_zone);
    s->task_type_id = db_u64(r, 4);
    s->user_id = db_u64(r, 5);
    db_copy(r, 6, s->type_name, sizeof s->type_name);
    db_copy(r, 7, s->user_email, sizeof s->user_email);
    s->priority = (int) db_i64(r, 8);
    s->missed = at_missed_parse(db_col(r, 9, NULL) ? db_col(r, 9, NULL) : "") == AT_MISSED_ONCE;
    s->paused = db_i64(r, 10) != 0;
    s->next_run_at = db_time(r, 11);
    s->last_fired_at = db_time(r, 12);
    s->last_task_id = db_u64(r, 13);
    db_copy(r, 14, s->last_error, sizeof s->last_error);
    s->created_at = db_time(r, 15);
    db_copy(r, 16, s->created_by, sizeof s->created_by);
    return AT_OK;
}

static int
fill_with_payload(const db_res *r, void *elem, at_error *err)
{
    at_schedule *s = elem;
    fill(r, s, err);
    bool oom = false;
    s->payload = db_dup(r, 17, &oom);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

int
at_schedule_list(at_db *db, uint64_t business_id, at_schedule **out, size_t *n, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    return db_rows(db, DB_RETRY,
                   "SELECT " SCHEDULE_COLS SCHEDULE_FROM " WHERE s.business_id = ? ORDER BY s.id",
                   a, AT_COUNT(a), sizeof **out, fill, (void **) out, n, err);
}

static int
get(at_db *db, uint64_t business_id, uint64_t id, bool lock, at_schedule *out, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(id)};
    int rc = db_row(db, lock ? 0 : DB_RETRY,
                    lock ? "SELECT " SCHEDULE_COLS ", s.payload" SCHEDULE_FROM
                           " WHERE s.business_id = ? AND s.id = ? FOR UPDATE"
                         : "SELECT " SCHEDULE_COLS ", s.payload" SCHEDULE_FROM
                           " WHERE s.business_id = ? AND s.id = ?",
                    a, AT_COUNT(a), fill_with_payload, out, "schedule", err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no schedule #%llu in this business",
                            (unsigned long long) id);
    return rc;
}

int
at_schedule_get(at_db *db, uint64_t business_id, uint64_t id, at_schedule *out, at_error *err)
{
    return get(db, business_id, id, false, out, err);
}

/* The words of a schedule in its audit entries. */
static void
describe(const char *cron, const char *tz, const char *type, const char *email, int priority,
         int missed, char *out, size_t len)
{
    snprintf(out, len, "cron=%s tz=%s type=%s user=%s priority=%d missed=%s", cron, tz, type,
             email, priority, at_missed_str(missed));
}

/* ---- add ---- */

struct add_ctx {
    const at_actor *actor;
    const at_schedule_new *in;
    at_cron cron;
    at_enqueue req;
    uint64_t id;
};

static int
add_tx(at_db *db, void *vctx, at_error *err)
{
    struct add_ctx *x = vctx;
    const at_schedule_new *in = x->in;
    int rc = enqueue_check_in_tx(db, &x->req, err);
    if (rc)
        return rc;
    uint64_t count = 0;
    db_arg b[] = {da_u64(in->business_id)};
    if ((rc = db_query_u64(db, 0, "SELECT COUNT(*) FROM schedules WHERE business_id = ?", b, 1,
                           &count, err)))
        return rc;
    if (count >= AT_SCHEDULES_MAX)
        return at_error_set(err, AT_EINVAL, "a business has at most %d schedules",
                            AT_SCHEDULES_MAX);
    at_time now, next;
    if ((rc = at_db_now(db, &now, err)))
        return rc;
    if (at_cron_next(&x->cron, in->time_zone, now, &next, err))
        return at_error_set(err, AT_EINVAL, "cron: '%s' never comes (no such date within "
                                            "nine years)", in->cron);
    db_arg a[] = {da_u64(in->business_id),
                  da_str(in->cron),
                  da_str(in->time_zone),
                  da_u64(x->req.task_type_id),
                  da_u64(x->req.user_id),
                  in->payload ? da_blob(in->payload, in->payload_len) : da_null(),
                  da_i64(in->priority),
                  da_str(at_missed_str(in->missed)),
                  da_i64(in->paused ? 1 : 0),
                  da_time(next),
                  da_str(x->actor->name)};
    if ((rc = db_exec(db, 0,
                      "INSERT INTO schedules (business_id, cron, time_zone, task_type_id, "
                      "user_id, payload, priority, missed, paused, next_run_at, created_at, "
                      "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?)",
                      a, AT_COUNT(a), NULL, &x->id, err)))
        return rc;
    char detail[2 * AT_AUDIT_DETAIL_BUF]; /* the audit log cuts it */
    describe(in->cron, in->time_zone, in->type_name, in->user_email, in->priority, in->missed,
             detail, sizeof detail);
    if (in->paused)
        strncat(detail, " paused", sizeof detail - strlen(detail) - 1);
    return at_audit_write(db, in->business_id, x->actor, "schedule_add", "schedule", x->id,
                          in->type_name, "", detail, err);
}

/* The user and the type the names stand for, with the enqueue's
 * messages. */
static int
names_to_ids(at_db *db, const at_schedule_new *in, at_enqueue *req, at_error *err)
{
    at_user u;
    at_task_type t;
    int role = AT_ROLE_NONE;
    int rc = at_check_email(in->user_email, err);
    if (rc == AT_OK)
        rc = at_check_type_name(in->type_name, err);
    if (rc == AT_OK)
        rc = at_member_get(db, in->business_id, in->user_email, &u, &role, err);
    if (rc == AT_ENOTFOUND || (rc == AT_OK && role == AT_ROLE_NONE))
        return at_error_set(err, AT_ENOTFOUND, "user '%s' is not a member of this business",
                            in->user_email);
    if (rc == AT_OK)
        rc = at_task_type_get(db, in->type_name, &t, err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no task type '%s'", in->type_name);
    if (rc)
        return rc;
    req->user_id = u.id;
    req->task_type_id = t.id;
    return AT_OK;
}

int
at_schedule_add(at_db *db, const at_actor *actor, const at_schedule_new *in, uint64_t *id,
                at_error *err)
{
    struct add_ctx x = {.actor = actor, .in = in};
    int rc = at_cron_parse(in->cron, in->cron_flags, &x.cron, err);
    if (rc == AT_OK)
        rc = at_tz_check(in->time_zone, err);
    if (rc == AT_OK && in->missed != AT_MISSED_SKIP && in->missed != AT_MISSED_ONCE)
        rc = at_error_set(err, AT_EINVAL, "missed must be skip or once");
    x.req = (at_enqueue){.business_id = in->business_id, .payload = in->payload,
                         .payload_len = in->payload_len, .priority = in->priority};
    if (rc == AT_OK)
        rc = names_to_ids(db, in, &x.req, err);
    if (rc == AT_OK)
        rc = db_tx(db, false, add_tx, &x, err);
    if (rc)
        return at_error_wrap(err, "schedule add");
    if (id)
        *id = x.id;
    return AT_OK;
}

/* ---- remove, pause, resume ---- */

struct change_ctx {
    const at_actor *actor;
    uint64_t business_id, id;
    int op; /* 0: remove; 1: pause; 2: resume */
    int changed;
};

static int
change_tx(at_db *db, void *vctx, at_error *err)
{
    struct change_ctx *x = vctx;
    at_schedule s;
    int rc = get(db, x->business_id, x->id, true, &s, err);
    if (rc)
        return rc;
    at_schedule_clear(&s);
    char detail[2 * AT_AUDIT_DETAIL_BUF]; /* the audit log cuts it */
    describe(s.cron, s.time_zone, s.type_name, s.user_email, s.priority, s.missed, detail,
             sizeof detail);
    db_arg a[] = {da_u64(x->id)};
    const char *action = "schedule_remove";
    x->changed = 1;
    if (x->op == 0) {
        if ((rc = db_exec(db, 0, "DELETE FROM schedule_fires WHERE schedule_id = ?", a, 1, NULL,
                          NULL, err)) ||
            (rc = db_exec(db, 0, "DELETE FROM schedules WHERE id = ?", a, 1, NULL, NULL, err)))
            return rc;
    } else if (x->op == 1) {
        action = "schedule_pause";
        if (s.paused) {
            x->changed = 0;
            return AT_OK;
        }
        if ((rc = db_exec(db, 0, "UPDATE schedules SET paused = 1 WHERE id = ?", a, 1, NULL,
                          NULL, err)))
            return rc;
    } else {
        action = "schedule_resume";
        if (!s.paused) {
            x->changed = 0;
            return AT_OK;
        }
        at_cron c;
        at_time now, next;
        if ((rc = at_cron_parse(s.cron, AT_CRON_SECONDS, &c, err)) ||
            (rc = at_db_now(db, &now, err)) ||
            (rc = at_cron_next(&c, s.time_zone, now, &next, err)))
            return rc;
        db_arg b[] = {da_time(next), da_u64(x->id)};
        if ((rc = db_exec(db, 0, "UPDATE schedules SET paused = 0, next_run_at = ? WHERE id = ?",
                          b, 2, NULL, NULL, err)))
            return rc;
    }
    return at_audit_write(db, x->business_id, x->actor, action, "schedule", x->id, s.type_name,
                          "", detail, err);
}

static int
change(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id, int op,
       int *changed, at_error *err)
{
    struct change_ctx x = {actor, business_id, id, op, 0};
    int rc = db_tx(db, false, change_tx, &x, err);
    if (changed)
        *changed = x.changed;
    static const char *const what[] = {"schedule remove", "schedule pause", "schedule resume"};
    return rc ? at_error_wrap(err, "%s", what[op]) : AT_OK;
}

int
at_schedule_remove(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                   at_error *err)
{
    return change(db, actor, business_id, id, 0, NULL, err);
}

int
at_schedule_set_paused(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                       int paused, int *changed, at_error *err)
{
    return change(db, actor, business_id, id, paused ? 1 : 2, changed, err);
}
