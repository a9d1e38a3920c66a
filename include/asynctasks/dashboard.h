/* dashboard.h: what a business's dashboard shows beside its totals and
 * its live rules, read in O(buckets) from the rollups the executors keep
 * (schema/020, lib/rollup.c), never from the tasks. */
#ifndef ASYNCTASKS_DASHBOARD_H
#define ASYNCTASKS_DASHBOARD_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_DASH_MINUTES  60  /* the last hour, minute by minute */
#define AT_DASH_HOURS    168 /* the last seven days, hour by hour */
#define AT_DASH_FAILURES 20  /* task types in the failures table, most failed first */
#define AT_DASH_ERROR_BUF 1001

/* Attempts in one bucket, of every task type: started, and ended in
 * success or in failure (a failure that is retried counts too). */
typedef struct at_dash_point {
    at_time at; /* the bucket's start */
    uint64_t started, succeeded, failed;
} at_dash_point;

/* Consecutive buckets of step_s seconds, the last the one now is in (so
 * far): every bucket is there, an empty one with zeros. */
typedef struct at_dash_series {
    unsigned step_s;
    size_t n;
    at_dash_point *v;
} at_dash_series;

/* A task type's failures over the last seven days and its latest error
 * (error_at 0: none kept). */
typedef struct at_dash_failure {
    uint64_t type_id;
    char type_name[AT_TYPE_NAME_BUF];
    uint64_t failed;
    at_time error_at;
    uint64_t task_id;
    char error[AT_DASH_ERROR_BUF];
} at_dash_failure;

typedef struct at_dashboard {
    at_time now; /* the clock it was read at (the request's) */
    /* the run-at of the oldest due task that no rule holds (the least
     * head of the lanes not held, schema/004, that has come); 0 when
     * none is due */
    at_time oldest_due;
    at_dash_series minutes, hours;
    at_dash_failure *failures;
    size_t nfailures;
} at_dashboard;

/* The business's dashboard at now (the database's clock, as the request
 * read it): three statements, each a range of one index. */
int at_dashboard_get(at_db *db, uint64_t business_id, at_time now, at_dashboard *out,
                     at_error *err);
void at_dashboard_free(at_dashboard *d);

#ifdef __cplusplus
}
#endif

#endif
