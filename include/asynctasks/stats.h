/* stats.h: the numbers of operations, one library call for GET /metrics
 * and "asynctasks stats": tasks by business and state, the age of the
 * oldest due task, finished tasks by outcome, live executors, and how long
 * attempts waited and ran. Each is read from counters kept as tasks change
 * (docs/ARCHITECTURE.md, "Health and metrics"): two statements, whatever
 * the number of tasks. */
#ifndef ASYNCTASKS_STATS_H
#define ASYNCTASKS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <asynctasks/config.h>
#include <asynctasks/db.h>
#include <asynctasks/error.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The histograms' buckets: AT_HIST_BOUNDS upper bounds, then one for
 * anything longer ("+Inf"). */
#define AT_HIST_BOUNDS  12
#define AT_HIST_BUCKETS (AT_HIST_BOUNDS + 1)
/* The upper bound of bucket i < AT_HIST_BOUNDS, in microseconds. */
int64_t at_hist_bound_us(unsigned i);
/* The bucket a duration falls in (its bound is the first >= it). */
unsigned at_hist_bucket(int64_t us);

/* A histogram as stored: per bucket, not cumulative. */
typedef struct at_histogram {
    uint64_t bucket[AT_HIST_BUCKETS];
    uint64_t sum_us;
} at_histogram;
/* The observations: the sum of the buckets. */
uint64_t at_histogram_count(const at_histogram *h);

typedef struct at_business_stats {
    uint64_t id;
    char slug[AT_SLUG_BUF];
    char name[AT_NAME_BUF];
    /* now: queued (held by no rule), paused (queued, held by a rule),
     * running, failed (in state failed, not deleted) */
    uint64_t queued, paused, running, failed;
    /* since the counters began: tasks that reached each final state, and
     * attempts that ended in a retry */
    uint64_t succeeded_total, failed_total, cancelled_total, retried_total;
} at_business_stats;

typedef struct at_stats {
    at_business_stats *businesses; /* every business, in id order */
    size_t nbusinesses;
    /* the queued task whose run_at came longest ago, paused or not;
     * has_due 0: none is due */
    int has_due;
    int64_t oldest_due_age_us;
    /* executors whose heartbeat is at most AT_EXECUTOR_STALE_S old, and of
     * them those running a task */
    uint64_t executors, executors_busy;
    at_histogram wait; /* from run_at to the attempt's start */
    at_histogram run;  /* from the attempt's start to its end */
    int64_t now;       /* the database clock when they were read */
} at_stats;

int at_stats_get(at_db *db, at_stats *out, at_error *err);
void at_stats_free(at_stats *s);

/* The database's plans for the two statements, like at_task_list_explain. */
int at_stats_explain(at_db *db, char **plan, at_error *err);

/* The stats in the Prometheus text exposition format, version 0.0.4
 * (stats_text.c): *out is malloc'd, NUL-terminated, *len bytes. */
int at_stats_prometheus(const at_stats *s, char **out, size_t *len, at_error *err);

/* Whether a request may read /metrics (metrics_access.c): AT_OK when its
 * bearer token is the configured metrics token (compared in constant
 * time) or its address is in metrics_allow; AT_EDENIED when not;
 * AT_ENOTFOUND when neither is configured, and metrics are off.
 * authorization is the Authorization header or NULL, remote_addr the
 * client's address as the web server saw it, or NULL. */
int at_metrics_access(const at_config *cfg, const char *remote_addr, const char *authorization);

/* Whether text is a valid metrics_allow list: addresses (IPv4 or IPv6)
 * and networks (address/prefix) separated by spaces; if not, err says
 * which word is wrong. */
int at_metrics_allow_check(const char *text, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
