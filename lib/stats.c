/* stats.c: the numbers of operations (stats.h), for GET /metrics and
 * "asynctasks stats", in two statements whatever the number of tasks:
 *  - the counters of task_counts, summed per business over its slots:
 *    O(businesses), every business in id order, none of them sorted;
 *  - the oldest due task's run_at, from the lanes' heads (two index
 *    dives into lanes_waiting), with the executors' heartbeats (a row per
 *    running executor) and the database clock.
 * docs/ARCHITECTURE.md ("Health and metrics") has their plans. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <asynctasks/run.h>

/* Upper bounds of the histograms' buckets, in microseconds (schema/014). */
static const int64_t bounds_us[AT_HIST_BOUNDS] = {
    10000,     50000,      100000,      500000,       1000000,      5000000,
    10000000,  30000000,   60000000,    300000000,    1800000000,   3600000000};

int64_t
at_hist_bound_us(unsigned i)
{
    return i < AT_HIST_BOUNDS ? bounds_us[i] : INT64_MAX;
}

unsigned
at_hist_bucket(int64_t us)
{
    unsigned i = 0;
    while (i < AT_HIST_BOUNDS && us > bounds_us[i])
        i++;
    return i;
}

uint64_t
at_histogram_count(const at_histogram *h)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++)
        n += h->bucket[i];
    return n;
}

/* A sum over slots; a counter that drifted below zero reads 0. */
static uint64_t
count_col(const db_res *r, unsigned col)
{
    int64_t v = db_i64(r, col);
    return v > 0 ? (uint64_t) v : 0;
}

#define HIST_SUMS(h)                                                                               \
    "SUM(c." h "_b0), SUM(c." h "_b1), SUM(c." h "_b2), SUM(c." h "_b3), SUM(c." h "_b4), "        \
    "SUM(c." h "_b5), SUM(c." h "_b6), SUM(c." h "_b7), SUM(c." h "_b8), SUM(c." h "_b9), "        \
    "SUM(c." h "_b10), SUM(c." h "_b11), SUM(c." h "_b12), SUM(c." h "_sum_us)"

#define BUSINESS_SQL                                                                               \
    "SELECT b.id, b.slug, b.name, SUM(c.queued), SUM(c.paused), SUM(c.running), "                  \
    "SUM(c.failed), SUM(c.done_succeeded), SUM(c.done_failed), SUM(c.done_cancelled), "            \
    "SUM(c.retried), " HIST_SUMS("wait") ", " HIST_SUMS("run") " "                                 \
    "FROM businesses b LEFT JOIN task_counts c ON c.business_id = b.id "                           \
    "GROUP BY b.id ORDER BY b.id"
#define BUSINESS_COLS 11 /* before the histograms */

/* A business's row, with its slots' histograms as they come */
typedef struct brow {
    at_business_stats b;
    at_histogram wait, run;
} brow;

static void
fill_hist(const db_res *r, unsigned col, at_histogram *h)
{
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++)
        h->bucket[i] = count_col(r, col + i);
    h->sum_us = count_col(r, col + AT_HIST_BUCKETS);
}

static int
fill_business(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    brow *x = elem;
    memset(x, 0, sizeof *x);
    at_business_stats *b = &x->b;
    b->id = db_u64(r, 0);
    db_copy(r, 1, b->slug, sizeof b->slug);
    db_copy(r, 2, b->name, sizeof b->name);
    uint64_t *v[] = {&b->queued,          &b->paused,       &b->running,
                     &b->failed,          &b->succeeded_total, &b->failed_total,
                     &b->cancelled_total, &b->retried_total};
    for (unsigned i = 0; i < AT_COUNT(v); i++)
        *v[i] = count_col(r, 3 + i);
    fill_hist(r, BUSINESS_COLS, &x->wait);
    fill_hist(r, BUSINESS_COLS + AT_HIST_BUCKETS + 1, &x->run);
    return AT_OK;
}

static void
hist_add(at_histogram *to, const at_histogram *h)
{
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++)
        to->bucket[i] += h->bucket[i];
    to->sum_us += h->sum_us;
}

static int
read_businesses(at_db *db, at_stats *s, at_error *err)
{
    brow *v = NULL;
    size_t n = 0;
    int rc = db_rows(db, DB_RETRY, BUSINESS_SQL, NULL, 0, sizeof *v, fill_business, (void **) &v,
                     &n, err);
    if (rc)
        return rc;
    s->businesses = calloc(n ? n : 1, sizeof *s->businesses);
    if (!s->businesses) {
        free(v);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        s->businesses[i] = v[i].b;
        hist_add(&s->wait, &v[i].wait);
        hist_add(&s->run, &v[i].run);
    }
    s->nbusinesses = n;
    free(v);
    return AT_OK;
}

/* The oldest head of a lane that is due (by its flag), and of one that is
 * not by its flag but whose time has come before the dispatcher noticed:
 * each a MIN read from the end of lanes_waiting (due, head_run_at). */
#define DUE_SQL                                                                                    \
    "SELECT (SELECT MIN(head_run_at) FROM lanes WHERE due = 1), "                                  \
    "(SELECT MIN(head_run_at) FROM lanes WHERE due = 0), UTC_TIMESTAMP(6), "                       \
    "(SELECT COUNT(*) FROM executors WHERE heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND), " \
    "(SELECT COUNT(*) FROM executors WHERE heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND "  \
    "AND current_task_id IS NOT NULL)"

static int
fill_due(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_stats *s = elem;
    at_time a = db_time(r, 0), b = db_time(r, 1), oldest = a;
    if (!oldest || (b && b < oldest))
        oldest = b;
    s->now = db_time(r, 2);
    s->has_due = oldest && oldest <= s->now;
    s->oldest_due_age_us = s->has_due ? s->now - oldest : 0;
    s->executors = db_u64(r, 3);
    s->executors_busy = db_u64(r, 4);
    return AT_OK;
}

int
at_stats_get(at_db *db, at_stats *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = read_businesses(db, out, err);
    db_arg a[] = {da_u64(AT_EXECUTOR_STALE_S), da_u64(AT_EXECUTOR_STALE_S)};
    if (rc == AT_OK)
        rc = db_row(db, DB_RETRY, DUE_SQL, a, AT_COUNT(a), fill_due, out, "stats", err);
    if (rc) {
        at_stats_free(out);
        return at_error_wrap(err, "read the stats");
    }
    return AT_OK;
}

void
at_stats_free(at_stats *s)
{
    if (!s)
        return;
    free(s->businesses);
    memset(s, 0, sizeof *s);
}

int
at_stats_explain(at_db *db, char **plan, at_error *err)
{
    *plan = NULL;
    char *p1 = NULL, *p2 = NULL;
    db_arg a[] = {da_u64(AT_EXECUTOR_STALE_S), da_u64(AT_EXECUTOR_STALE_S)};
    int rc = db_explain(db, "EXPLAIN " BUSINESS_SQL, NULL, 0, &p1, err);
    if (rc == AT_OK)
        rc = db_explain(db, "EXPLAIN " DUE_SQL, a, AT_COUNT(a), &p2, err);
    if (rc == AT_OK) {
        size_t n = strlen(p1) + strlen(p2) + 1;
        *plan = malloc(n);
        if (*plan)
            snprintf(*plan, n, "%s%s", p1, p2);
        else
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
    }
    free(p1);
    free(p2);
    return rc;
}
