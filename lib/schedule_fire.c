/* schedule_fire.c: the supervisors enqueue the occurrences of schedules
 * that are due (docs/ARCHITECTURE.md, "Recurring tasks").
 *
 * One transaction per occurrence: the schedule's row, taken FOR UPDATE
 * SKIP LOCKED (another supervisor serves another schedule meanwhile);
 * the occurrence's row of schedule_fires, whose primary key (schedule,
 * occurrence) lets it be written once; the task, by the enqueue of every
 * task (enqueue_in_tx: pause rules apply, a paused user's or type's task
 * is born held); the schedule's next occurrence. All or nothing: a
 * supervisor killed in the middle leaves the occurrence due, and the
 * next supervisor to look enqueues it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define USEC          1000000LL
#define MISSED_COUNT  1000 /* missed occurrences counted one by one, at most */
#define FIRES_KEPT_US (7LL * 86400 * USEC) /* a schedule's fires kept this long */

struct fire_ctx {
    unsigned grace_s;
    bool found;
    uint64_t id, business_id, task_id;
    at_enqueue req;
    char cron[AT_CRON_BUF], tz[AT_TZ_BUF];
    int missed_policy;
    at_time occurrence, now;
    char *payload;
    size_t payload_len;
};

static int
fill_due(const db_res *r, void *elem, at_error *err)
{
    struct fire_ctx *x = elem;
    x->id = db_u64(r, 0);
    x->business_id = db_u64(r, 1);
    db_copy(r, 2, x->cron, sizeof x->cron);
    db_copy(r, 3, x->tz, sizeof x->tz);
    size_t len = 0;
    const char *p = db_col(r, 6, &len);
    x->req = (at_enqueue){.business_id = x->business_id, .user_id = db_u64(r, 5),
                          .task_type_id = db_u64(r, 4), .priority = (int) db_i64(r, 7)};
    const char *m = db_col(r, 8, NULL);
    x->missed_policy = m && at_missed_parse(m) == AT_MISSED_ONCE ? AT_MISSED_ONCE
                                                                  : AT_MISSED_SKIP;
    x->occurrence = db_time(r, 9);
    x->now = db_time(r, 10);
    free(x->payload);
    x->payload = NULL;
    if (p) {
        if (!(x->payload = malloc(len + 1)))
            return at_error_set(err, AT_ENOMEM, "out of memory");
        memcpy(x->payload, p, len);
        x->payload[len] = 0;
        x->req.payload = x->payload;
        x->req.payload_len = len;
    }
    return AT_OK;
}

/* How many occurrences of c there are from first to last (first is one),
 * counted up to MISSED_COUNT. */
static unsigned
count_from(const at_cron *c, const char *tz, at_time first, at_time last)
{
    unsigned n = 1;
    at_time t = first, next;
    at_error e;
    while (n < MISSED_COUNT && at_cron_next(c, tz, t, &next, &e) == AT_OK && next <= last) {
        t = next;
        n++;
    }
    return n;
}

/* Writes the occurrence's row and its task; a request the enqueue
 * refuses (the user left, a payload the type no longer takes) is
 * recorded as the occurrence's error, and the schedule goes on. */
static int
fire(at_db *db, struct fire_ctx *x, unsigned occurrences, char *error, size_t errlen,
     at_error *err)
{
    db_arg a[] = {da_u64(x->id), da_time(x->occurrence), da_u64(occurrences), da_time(x->now)};
    int rc = db_exec(db, 0,
                     "INSERT INTO schedule_fires (schedule_id, occurrence_at, occurrences, "
                     "fired_at) VALUES (?, ?, ?, ?)",
                     a, AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_ECONFLICT) /* enqueued already: the key holds, whatever else went wrong */
        return AT_OK;
    if (rc)
        return rc;
    bool bad = false;
    at_error e = {0};
    rc = enqueue_in_tx(db, &x->req, &x->task_id, &bad, &e);
    if (rc && !bad) {
        *err = e;
        return rc;
    }
    if (rc) {
        x->task_id = 0;
        snprintf(error, errlen, "%s", e.msg);
    }
    db_arg b[] = {x->task_id ? da_u64(x->task_id) : da_null(), error[0] ? da_str(error) : da_null(),
                  da_u64(x->id), da_time(x->occurrence)};
    if ((rc = db_exec(db, 0,
                      "UPDATE schedule_fires SET task_id = ?, error = ? "
                      "WHERE schedule_id = ? AND occurrence_at = ?",
                      b, AT_COUNT(b), NULL, NULL, err)))
        return rc;
    db_arg d[] = {da_u64(x->id), da_time(x->occurrence - FIRES_KEPT_US)};
    return db_exec(db, 0, "DELETE FROM schedule_fires WHERE schedule_id = ? AND occurrence_at < ?",
                   d, AT_COUNT(d), NULL, NULL, err);
}

static void
say_missed(const struct fire_ctx *x, unsigned n, bool ran)
{
    char from[32];
    at_time_format(x->occurrence, from, sizeof from);
    at_log(AT_LOG_INFO, "schedule #%llu: %s%u occurrence%s from %s UTC missed; %s",
           (unsigned long long) x->id, n >= MISSED_COUNT ? "at least " : "", n,
           n == 1 ? "" : "s", from, ran ? "run once" : "skipped");
}

static int
fire_tx(at_db *db, void *vctx, at_error *err)
{
    struct fire_ctx *x = vctx;
    x->found = false;
    x->task_id = 0;
    int rc = db_row(db, 0,
                    "SELECT id, business_id, cron, time_zone, task_type_id, user_id, payload, "
                    "priority, missed, next_run_at, UTC_TIMESTAMP(6) FROM schedules "
                    "WHERE paused = 0 AND next_run_at <= UTC_TIMESTAMP(6) "
                    "ORDER BY next_run_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                    NULL, 0, fill_due, x, "schedule", err);
    if (rc == AT_ENOTFOUND)
        return AT_OK;
    if (rc)
        return rc;
    x->found = true;
    char error[1001] = "";
    at_cron c;
    at_time next = 0;
    at_error e = {0};
    bool missed = x->now - x->occurrence >= (at_time) x->grace_s * USEC;
    at_time from = missed ? x->now - (at_time) x->grace_s * USEC : x->occurrence;
    if (at_cron_parse(x->cron, AT_CRON_SECONDS, &c, &e) ||
        at_cron_next(&c, x->tz, from, &next, &e))
        snprintf(error, sizeof error, "%s; the schedule is paused", e.msg);
    if (error[0] == 0 && (!missed || x->missed_policy == AT_MISSED_ONCE)) {
        unsigned n = missed ? count_from(&c, x->tz, x->occurrence, from) : 1;
        if (missed)
            say_missed(x, n, true);
        if ((rc = fire(db, x, n, error, sizeof error, err)))
            return rc;
    } else if (error[0] == 0) {
        say_missed(x, count_from(&c, x->tz, x->occurrence, from), false);
    }
    bool fired = !missed || x->missed_policy == AT_MISSED_ONCE;
    db_arg a[] = {da_time(next ? next : x->occurrence), da_i64(next ? 0 : 1),
                  da_i64(fired ? 1 : 0), da_time(x->now),
                  da_i64(fired ? 1 : 0), x->task_id ? da_u64(x->task_id) : da_null(),
                  error[0] ? da_str(error) : da_null(), da_u64(x->id)};
    return db_exec(db, 0,
                   "UPDATE schedules SET next_run_at = ?, paused = ?, "
                   "last_fired_at = IF(?, ?, last_fired_at), "
                   "last_task_id = IF(?, ?, last_task_id), last_error = ? WHERE id = ?",
                   a, AT_COUNT(a), NULL, NULL, err);
}

int
at_schedule_run_due(at_db *db, unsigned grace_s, unsigned max, unsigned *fired, at_error *err)
{
    *fired = 0;
    uint64_t due = 0;
    int rc = db_query_u64(db, DB_RETRY,
                          "SELECT COUNT(*) FROM (SELECT 1 FROM schedules WHERE paused = 0 AND "
                          "next_run_at <= UTC_TIMESTAMP(6) LIMIT 1) d",
                          NULL, 0, &due, err);
    struct fire_ctx x = {.grace_s = grace_s};
    for (unsigned i = 0; rc == AT_OK && due && i < max; i++) {
        rc = db_tx(db, true, fire_tx, &x, err);
        if (rc || !x.found)
            break;
        if (x.task_id) {
            (*fired)++;
            at_wake(db, x.business_id);
        }
    }
    free(x.payload);
    return rc ? at_error_wrap(err, "schedules") : AT_OK;
}
