/* counts.c: the totals of a business's tasks that its admin sees: queued,
 * paused, running, failed, and finished today.
 *
 * They are counters, changed by the same transactions that change the
 * tasks (enqueue, claim, the end of an attempt, edit, delete, a pause that
 * flips lanes), so a page reads them in O(1) and they are exact. Each
 * business has up to COUNT_SLOTS rows; a connection always writes the same
 * slot, so concurrent enqueues and finishes seldom wait on one row, and
 * the total is the sum over the slots. "Finished today" is kept per slot
 * with the day it counts; a slot last written yesterday counts 0 today.
 *
 * The same rows carry what GET /metrics counts (schema/014, stats.c): the
 * tasks finished by outcome and the histograms of attempts, added by the
 * statement that ends the attempts adds to the totals.
 *
 * at_counts_rebuild recomputes the lanes and the counters of a business
 * from its tasks, and the counts of its members' name pieces
 * (member_grams.c) from the pieces (after a restore, or writes that
 * bypassed the library); the metrics' counters are history the tasks no
 * longer tell, and it leaves them as they are. at_counts_verify compares
 * without writing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
at_task_counts_fill_at(const db_res *r, unsigned col, at_task_counts *c)
{
    uint64_t *v[] = {&c->queued, &c->paused, &c->running, &c->failed, &c->finished_today};
    const char *s = db_col(r, col, NULL);
    for (unsigned i = 0; i < AT_COUNT(v); i++) {
        char *end = NULL;
        long long x = s ? strtoll(s, &end, 10) : 0;
        *v[i] = x > 0 ? (uint64_t) x : 0;
        s = end && *end == ',' ? end + 1 : NULL;
    }
    /* the cap's column, when the row has it */
    unsigned cap = col + 1;
    c->max_running =
        r->ncols > cap && !db_isnull(r, cap) ? (int64_t) db_u64(r, cap) : AT_CAP_DEFAULT;
}

static int
fill_counts(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_task_counts_fill_at(r, 0, elem);
    return AT_OK;
}

/* The business's slots, summed, and its own cap (internal.h). */
#define TOTALS_SQL "SELECT " AT_TOTALS_OF("?")

int
at_task_counts_get(at_db *db, uint64_t business_id, at_task_counts *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    db_arg a[AT_TOTALS_NCOLS];
    for (unsigned i = 0; i < AT_TOTALS_NCOLS; i++)
        a[i] = da_u64(business_id);
    int rc = db_row(db, DB_RETRY, TOTALS_SQL, a, AT_COUNT(a), fill_counts, out, "counts", err);
    return rc ? at_error_wrap(err, "task counts") : AT_OK;
}

int
at_task_counts_explain(at_db *db, uint64_t business_id, char **plan, at_error *err)
{
    db_arg a[AT_TOTALS_NCOLS];
    for (unsigned i = 0; i < AT_TOTALS_NCOLS; i++)
        a[i] = da_u64(business_id);
    return db_explain(db, "EXPLAIN " TOTALS_SQL, a, AT_COUNT(a), plan, err);
}

static int
by_business(const void *x, const void *y)
{
    const counts_delta *a = x, *b = y;
    return a->business_id < b->business_id ? -1 : a->business_id > b->business_id;
}

/* The metrics' columns of task_counts (schema/014), in the order of
 * metric_values. */
#define METRIC_COLS (4 + 2 * (AT_HIST_BUCKETS + 1))

static void
metric_col(unsigned i, char *buf, size_t size)
{
    static const char *const outcomes[] = {"done_succeeded", "done_failed", "done_cancelled",
                                           "retried"};
    if (i < 4) {
        snprintf(buf, size, "%s", outcomes[i]);
        return;
    }
    i -= 4;
    const char *h = i <= AT_HIST_BUCKETS ? "wait" : "run";
    i %= AT_HIST_BUCKETS + 1;
    if (i == AT_HIST_BUCKETS)
        snprintf(buf, size, "%s_sum_us", h);
    else
        snprintf(buf, size, "%s_b%u", h, i);
}

static void
metric_values(const counts_delta *d, int64_t *v)
{
    v[0] = d->succeeded_total;
    v[1] = d->failed_total;
    v[2] = d->cancelled_total;
    v[3] = d->retried_total;
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++) {
        v[4 + i] = d->wait[i];
        v[4 + AT_HIST_BUCKETS + 1 + i] = d->run[i];
    }
    v[4 + AT_HIST_BUCKETS] = d->wait_sum_us;
    v[4 + 2 * AT_HIST_BUCKETS + 1] = d->run_sum_us;
}

static bool
has_metrics(const counts_delta *d)
{
    int64_t v[METRIC_COLS];
    metric_values(d, v);
    for (unsigned i = 0; i < METRIC_COLS; i++)
        if (v[i])
            return true;
    return false;
}

static bool
is_zero(const counts_delta *d)
{
    return !d->queued && !d->paused && !d->running && !d->failed && !d->finished_today &&
           !has_metrics(d);
}

/* Rows in business order: transactions that change several businesses'
 * counters lock their rows in one order. The ends of attempts write the
 * metrics' columns in the same statement; enqueues and pauses, which have
 * none, write the short one. */
int
counts_add(at_db *db, const counts_delta *d, size_t n, at_error *err)
{
    counts_delta *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t k = 0;
    bool metrics = false;
    for (size_t i = 0; i < n; i++)
        if (!is_zero(&d[i])) {
            v[k++] = d[i];
            metrics = metrics || has_metrics(&d[i]);
        }
    qsort(v, k, sizeof *v, by_business);
    strbuf sql = {0};
    arglist a = {0};
    char col[32];
    sb_add(&sql, "INSERT INTO task_counts (business_id, slot, queued, paused, running, failed, "
                 "finished_day, finished");
    for (unsigned c = 0; metrics && c < METRIC_COLS; c++) {
        metric_col(c, col, sizeof col);
        sb_add(&sql, ", ");
        sb_add(&sql, col);
    }
    sb_add(&sql, ") VALUES ");
    /* padded to the shape's class (sb_class) with the last business's row
     * adding nothing */
    counts_delta z = {.business_id = k ? v[k - 1].business_id : 0};
    for (size_t i = 0; i < sb_class(k); i++) {
        const counts_delta *r = i < k ? &v[i] : &z;
        sb_add(&sql, i ? ", (?, ?, ?, ?, ?, ?, UTC_DATE(), ?" : "(?, ?, ?, ?, ?, ?, UTC_DATE(), ?");
        args_add(&a, da_u64(r->business_id));
        args_add(&a, da_u64(db_slot(db)));
        args_add(&a, da_i64(r->queued));
        args_add(&a, da_i64(r->paused));
        args_add(&a, da_i64(r->running));
        args_add(&a, da_i64(r->failed));
        args_add(&a, da_i64(r->finished_today));
        if (metrics) {
            int64_t m[METRIC_COLS];
            metric_values(r, m);
            sb_add(&sql, ", ");
            sb_placeholders(&sql, METRIC_COLS);
            for (unsigned c = 0; c < METRIC_COLS; c++)
                args_add(&a, da_i64(m[c]));
        }
        sb_add(&sql, ")");
    }
    sb_add(&sql, " ON DUPLICATE KEY UPDATE queued = queued + VALUES(queued), "
                 "paused = paused + VALUES(paused), running = running + VALUES(running), "
                 "failed = failed + VALUES(failed), "
                 "finished = IF(finished_day = UTC_DATE(), finished, 0) + VALUES(finished), "
                 "finished_day = UTC_DATE()");
    for (unsigned c = 0; metrics && c < METRIC_COLS; c++) {
        metric_col(c, col, sizeof col);
        sb_add(&sql, ", ");
        sb_add(&sql, col);
        sb_add(&sql, " = ");
        sb_add(&sql, col);
        sb_add(&sql, " + VALUES(");
        sb_add(&sql, col);
        sb_add(&sql, ")");
    }
    int rc = k ? db_exec_sb(db, 0, &sql, &a, NULL, NULL, err) : AT_OK;
    sb_free(&sql);
    args_free(&a);
    free(v);
    return rc;
}

counts_delta *
counts_acc_get(counts_acc *acc, uint64_t business_id)
{
    for (size_t i = 0; i < acc->n; i++)
        if (acc->v[i].business_id == business_id)
            return &acc->v[i];
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 4;
        counts_delta *v = realloc(acc->v, cap * sizeof *v);
        if (!v) {
            acc->oom = true;
            return NULL;
        }
        acc->v = v;
        acc->cap = cap;
    }
    counts_delta *d = &acc->v[acc->n++];
    memset(d, 0, sizeof *d);
    d->business_id = business_id;
    return d;
}

int
counts_acc_write(at_db *db, counts_acc *acc, at_error *err)
{
    if (acc->oom)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    return acc->n ? counts_add(db, acc->v, acc->n, err) : AT_OK;
}

void
counts_acc_free(counts_acc *acc)
{
    free(acc->v);
    memset(acc, 0, sizeof *acc);
}

/* ---- rebuild and verify ---- */

/* The true totals, counted from the tasks and the lanes' held flags, in
 * the counters' own shape (AT_TOTALS_OF). */
static int
count_actual(at_db *db, uint64_t business_id, at_task_counts *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    db_arg a[] = {da_u64(business_id), da_u64(business_id)};
    return db_row(db, 0,
                  "SELECT CONCAT_WS(',', "
                  "COALESCE(SUM(t.state = 'queued' AND NOT COALESCE(l.held, 0)), 0), "
                  "COALESCE(SUM(t.state = 'queued' AND COALESCE(l.held, 0)), 0), "
                  "COALESCE(SUM(t.state = 'running'), 0), COALESCE(SUM(t.state = 'failed'), 0), "
                  "COALESCE(SUM(t.finished = 1 AND t.finished_at >= UTC_DATE()), 0)) "
                  "FROM tasks t LEFT JOIN lanes l ON l.business_id = ? "
                  "AND l.user_id = t.user_id AND l.task_type_id = t.task_type_id "
                  "AND l.priority = t.priority WHERE t.business_id = ?",
                  a, AT_COUNT(a), fill_counts, out, "counts", err);
}

static int
lock_all(at_db *db, uint64_t business_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    uint64_t id;
    int rc = db_query_u64(db, 0, "SELECT id FROM businesses WHERE id = ? FOR UPDATE", a, 1, &id,
                          err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no business #%llu",
                            (unsigned long long) business_id);
    if (rc == AT_OK)
        rc = db_exec(db, 0, "SELECT id FROM lanes WHERE business_id = ? FOR UPDATE", a, 1, NULL,
                     NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0, "SELECT slot FROM task_counts WHERE business_id = ? FOR UPDATE", a, 1,
                     NULL, NULL, err);
    return rc;
}

static int
rebuild_lanes(at_db *db, uint64_t business_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    int rc = db_exec(db, 0, "DELETE FROM lanes WHERE business_id = ?", a, 1, NULL, NULL, err);
    strbuf sql = {0};
    sb_add(&sql, "INSERT INTO lanes (business_id, user_id, task_type_id, priority, held, queued) "
                 "SELECT g.business_id, g.user_id, g.task_type_id, g.priority, ");
    pause_held_sql(&sql, "g.business_id", "g.user_id", "g.task_type_id");
    sb_add(&sql, ", g.n FROM (SELECT business_id, user_id, task_type_id, priority, COUNT(*) AS n "
                 "FROM tasks WHERE business_id = ? AND state = 'queued' "
                 "GROUP BY business_id, user_id, task_type_id, priority) g");
    if (rc == AT_OK)
        rc = sql.oom ? at_error_set(err, AT_ENOMEM, "out of memory")
                     : db_exec(db, 0, sql.p, a, 1, NULL, NULL, err);
    sb_free(&sql);
    if (rc == AT_OK)
        rc = lanes_refresh_business(db, business_id, err);
    return rc;
}

struct rebuild_ctx {
    uint64_t business_id;
    at_task_counts before, after;
};

static int
rebuild_tx(at_db *db, void *vctx, at_error *err)
{
    struct rebuild_ctx *x = vctx;
    int rc = lock_all(db, x->business_id, err);
    if (rc == AT_OK)
        rc = at_task_counts_get(db, x->business_id, &x->before, err);
    if (rc == AT_OK)
        rc = rebuild_lanes(db, x->business_id, err);
    if (rc == AT_OK)
        rc = count_actual(db, x->business_id, &x->after, err);
    db_arg a[] = {da_u64(x->business_id)};
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "UPDATE task_counts SET queued = 0, paused = 0, running = 0, failed = 0, "
                     "finished = 0 WHERE business_id = ?",
                     a, 1, NULL, NULL, err);
    if (rc == AT_OK) {
        counts_delta d = {.business_id = x->business_id,
                          .queued = (int64_t) x->after.queued,
                          .paused = (int64_t) x->after.paused,
                          .running = (int64_t) x->after.running,
                          .failed = (int64_t) x->after.failed,
                          .finished_today = (int64_t) x->after.finished_today};
        rc = counts_add(db, &d, 1, err);
    }
    if (rc == AT_OK)
        rc = member_gram_counts_rebuild(db, x->business_id, err); /* schema/013 */
    /* lane ids changed: leftover lane work starts over, harmlessly */
    if (rc == AT_OK)
        rc = db_exec(db, 0, "UPDATE lane_work SET after_lane_id = 0 WHERE business_id = ?", a, 1,
                     NULL, NULL, err);
    return rc;
}

int
at_counts_rebuild(at_db *db, uint64_t business_id, at_task_counts *before, at_task_counts *after,
                  at_error *err)
{
    struct rebuild_ctx x = {.business_id = business_id};
    int rc = db_tx(db, false, rebuild_tx, &x, err);
    if (rc)
        return at_error_wrap(err, "rebuild the counters of business #%llu",
                             (unsigned long long) business_id);
    if (before)
        *before = x.before;
    if (after)
        *after = x.after;
    return AT_OK;
}

int
at_counts_rebuild_all(at_db *db, at_error *err)
{
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = db_rows(db, DB_RETRY, "SELECT id FROM businesses ORDER BY id", NULL, 0, sizeof *ids,
                     db_fill_u64, (void **) &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        rc = at_counts_rebuild(db, ids[i], NULL, NULL, err);
    free(ids);
    return rc;
}

/* Lanes whose queued count or held flag disagrees with the tasks and the
 * rules, and queued tasks without a lane. */
static int
count_bad_lanes(at_db *db, uint64_t business_id, uint64_t *bad, at_error *err)
{
    strbuf sql = {0};
    sb_add(&sql, "SELECT (SELECT COUNT(*) FROM lanes l LEFT JOIN (SELECT user_id, task_type_id, "
                 "priority, COUNT(*) AS n FROM tasks WHERE business_id = ? AND state = 'queued' "
                 "GROUP BY user_id, task_type_id, priority) g ON g.user_id = l.user_id "
                 "AND g.task_type_id = l.task_type_id AND g.priority = l.priority "
                 "WHERE l.business_id = ? AND (l.queued <> COALESCE(g.n, 0) OR l.held <> ");
    pause_held_sql(&sql, "l.business_id", "l.user_id", "l.task_type_id");
    sb_add(&sql, ")) + (SELECT COUNT(*) FROM tasks t WHERE t.business_id = ? "
                 "AND t.state = 'queued' AND NOT EXISTS (SELECT 1 FROM lanes l "
                 "WHERE l.business_id = t.business_id AND l.user_id = t.user_id "
                 "AND l.task_type_id = t.task_type_id AND l.priority = t.priority))");
    db_arg a[] = {da_u64(business_id), da_u64(business_id), da_u64(business_id)};
    int rc = sql.oom ? at_error_set(err, AT_ENOMEM, "out of memory")
                     : db_query_u64(db, DB_RETRY, sql.p, a, AT_COUNT(a), bad, err);
    sb_free(&sql);
    return rc;
}

int
at_counts_verify(at_db *db, uint64_t business_id, at_task_counts *stored, at_task_counts *actual,
                 uint64_t *bad_lanes, at_error *err)
{
    int rc = at_task_counts_get(db, business_id, stored, err);
    if (rc == AT_OK)
        rc = count_actual(db, business_id, actual, err);
    if (rc == AT_OK)
        rc = count_bad_lanes(db, business_id, bad_lanes, err);
    return rc ? at_error_wrap(err, "verify the counters of business #%llu",
                              (unsigned long long) business_id)
              : AT_OK;
}
