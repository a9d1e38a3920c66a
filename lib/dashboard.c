/* dashboard.c: a business's dashboard from the rollups (schema/020): the
 * two charts' buckets in one range read of task_rollups' primary key, the
 * failures by type with their latest errors in a second, and the oldest
 * due task from the heads of the lanes no rule holds (schema/004). O(buckets x task
 * types) rows whatever the number of tasks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define US_PER_S 1000000

/* The start of the bucket of step_s seconds that t is in. */
static at_time
bucket_of(at_time t, unsigned step_s)
{
    int64_t s = t / US_PER_S;
    return (at_time) (s - (s % step_s + step_s) % step_s) * US_PER_S;
}

static int
series_init(at_dash_series *s, unsigned step_s, size_t n, at_time now, at_error *err)
{
    s->step_s = step_s;
    s->n = n;
    s->v = calloc(n, sizeof *s->v);
    if (!s->v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    at_time last = bucket_of(now, step_s);
    for (size_t i = 0; i < n; i++)
        s->v[i].at = last - (at_time) (n - 1 - i) * step_s * US_PER_S;
    return AT_OK;
}

/* The bucket of s that starts at at, or NULL (a row outside the chart). */
static at_dash_point *
point_at(at_dash_series *s, at_time at)
{
    if (s->n == 0 || at < s->v[0].at)
        return NULL;
    uint64_t i = (uint64_t) (at - s->v[0].at) / ((uint64_t) s->step_s * US_PER_S);
    return i < s->n && s->v[i].at == at ? &s->v[i] : NULL;
}

static int
read_series(at_db *db, uint64_t business_id, at_dashboard *d, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_time(d->minutes.v[0].at), da_u64(business_id),
                  da_time(d->hours.v[0].at)};
    db_res r;
    int rc = db_query(db, DB_RETRY,
                      "SELECT span, bucket, SUM(started), SUM(succeeded), SUM(failed) "
                      "FROM task_rollups WHERE (business_id = ? AND span = 'minute' AND "
                      "bucket >= ?) OR (business_id = ? AND span = 'hour' AND bucket >= ?) "
                      "GROUP BY span, bucket",
                      a, AT_COUNT(a), &r, err);
    if (rc)
        return rc;
    while ((rc = db_fetch(&r, err)) > 0) {
        const char *span = db_col(&r, 0, NULL);
        at_dash_series *s = span && strcmp(span, "minute") == 0 ? &d->minutes : &d->hours;
        at_dash_point *p = point_at(s, db_time(&r, 1));
        if (!p)
            continue;
        p->started = db_u64(&r, 2);
        p->succeeded = db_u64(&r, 3);
        p->failed = db_u64(&r, 4);
    }
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

static int
fill_failure(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_dash_failure *f = elem;
    f->type_id = db_u64(r, 0);
    db_copy(r, 1, f->type_name, sizeof f->type_name);
    f->failed = db_u64(r, 2);
    f->error_at = db_time(r, 3);
    f->task_id = db_u64(r, 4);
    db_copy(r, 5, f->error, sizeof f->error);
    return AT_OK;
}

static int
read_failures(at_db *db, uint64_t business_id, at_dashboard *d, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_time(d->hours.v[0].at), da_u64(AT_DASH_FAILURES)};
    void *v = NULL;
    int rc = db_rows(db, DB_RETRY,
                     "SELECT r.task_type_id, MAX(tt.name), SUM(r.failed), MAX(e.error_at), "
                     "MAX(e.task_id), MAX(e.error) FROM task_rollups r "
                     "JOIN task_types tt ON tt.id = r.task_type_id "
                     "LEFT JOIN task_type_errors e ON e.business_id = r.business_id "
                     "AND e.task_type_id = r.task_type_id "
                     "WHERE r.business_id = ? AND r.span = 'hour' AND r.bucket >= ? "
                     "GROUP BY r.task_type_id HAVING SUM(r.failed) > 0 "
                     "ORDER BY SUM(r.failed) DESC, MAX(tt.name) LIMIT ?",
                     a, AT_COUNT(a), sizeof(at_dash_failure), fill_failure, &v, &d->nfailures,
                     err);
    d->failures = v;
    return rc;
}

static int
read_oldest_due(at_db *db, uint64_t business_id, at_dashboard *d, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_time(d->now)};
    db_res r;
    int rc = db_query(db, DB_RETRY,
                      "SELECT MIN(head_run_at) FROM lanes FORCE INDEX (lanes_held) "
                      "WHERE held = 0 AND business_id = ? AND head_run_at <= ?",
                      a, AT_COUNT(a), &r, err);
    if (rc)
        return rc;
    if ((rc = db_fetch(&r, err)) > 0)
        d->oldest_due = db_time(&r, 0);
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

int
at_dashboard_get(at_db *db, uint64_t business_id, at_time now, at_dashboard *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    out->now = now;
    int rc = series_init(&out->minutes, 60, AT_DASH_MINUTES, now, err);
    if (rc == AT_OK)
        rc = series_init(&out->hours, 3600, AT_DASH_HOURS, now, err);
    if (rc == AT_OK)
        rc = read_series(db, business_id, out, err);
    if (rc == AT_OK)
        rc = read_failures(db, business_id, out, err);
    if (rc == AT_OK)
        rc = read_oldest_due(db, business_id, out, err);
    if (rc) {
        at_dashboard_free(out);
        return at_error_wrap(err, "dashboard");
    }
    return AT_OK;
}

void
at_dashboard_free(at_dashboard *d)
{
    free(d->minutes.v);
    free(d->hours.v);
    free(d->failures);
    memset(d, 0, sizeof *d);
}
