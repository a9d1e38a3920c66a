/* bulk.h: bulk actions: Retry, Cancel or Delete every task of a business
 * that a list view's filter selects, as a job run in short batches
 * (docs/ARCHITECTURE.md, "Bulk actions"). */
#ifndef ASYNCTASKS_BULK_H
#define ASYNCTASKS_BULK_H

#include <signal.h>

#include <asynctasks/db.h>
#include <asynctasks/task.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_BULK_BATCH     200     /* tasks per transaction */
#define AT_BULK_COUNT_CAP 1000000 /* counted no further: "more than" */
#define AT_BULK_SAMPLE    10      /* tasks a confirmation shows */
#define AT_BULK_LEASE_S   30      /* a runner's lease, renewed by every batch */
#define AT_BULK_SEARCH_BUF (AT_SEARCH_MAX * 4 + 1)
#define AT_BULK_RUNNER_BUF 300

/* What a job acts on, and how: the list's filter (created order, both
 * directions alike) and one of AT_ACTION_RETRY, AT_ACTION_CANCEL,
 * AT_ACTION_DELETE. */
typedef struct at_bulk_filter {
    uint64_t business_id;
    int action;
    int filter;              /* enum at_filter */
    const char *user_search; /* may be NULL */
    const char *type_search; /* may be NULL */
} at_bulk_filter;

enum at_bulk_state { AT_BULK_QUEUED = 1, AT_BULK_RUNNING, AT_BULK_DONE, AT_BULK_CANCELLED };

typedef struct at_bulk_job {
    uint64_t id, business_id;
    int action, filter, state;
    char user_search[AT_BULK_SEARCH_BUF], type_search[AT_BULK_SEARCH_BUF];
    char created_by[AT_BULK_RUNNER_BUF], ended_by[AT_BULK_RUNNER_BUF];
    char runner[AT_BULK_RUNNER_BUF];
    uint64_t estimate; /* matching tasks when started, counted up to AT_BULK_COUNT_CAP */
    int estimate_more; /* 1: more than that */
    uint64_t done, skipped;
    unsigned batches;
    at_time started_at, updated_at, finished_at, lease_until;
} at_bulk_job;

/* AT_EINVAL unless action is one a bulk job takes. */
int at_bulk_check_action(int action, at_error *err);
/* "status pending, user 'ann', type 'import'": the filter in words. */
void at_bulk_filter_text(int filter, const char *user_search, const char *type_search, char *buf,
                         size_t len);
const char *at_bulk_state_str(int state);
/* A count as at_task_count gives it: "1 task", "12 tasks", "more than 1000
 * tasks" (counted up to a cap, or, for a search, in a window of rows),
 * "an uncounted number of tasks" (a sparse search's window held none);
 * into buf, which it returns. */
const char *at_bulk_count_text(uint64_t n, int more, char *buf, size_t len); /* "queued", "running", "done", "cancelled" */

/* What a job over f would meet: page->count (up to AT_BULK_COUNT_CAP,
 * page->count_more beyond) and the first sample tasks in its order. */
int at_bulk_preview(at_db *db, const at_bulk_filter *f, unsigned sample, at_task_page *page,
                    at_error *err);
/* Records a new job (its estimate counted now): queued for a runner to
 * claim, or with runner (may be NULL) already claimed by that runner. The
 * tasks created after this moment are not its. */
int at_bulk_start(at_db *db, const at_actor *actor, const at_bulk_filter *f, const char *runner,
                  uint64_t *id, at_error *err);
/* A job of the business; AT_ENOTFOUND if none. */
int at_bulk_get(at_db *db, uint64_t business_id, uint64_t id, at_bulk_job *out, at_error *err);
/* Stops a job between two batches (waiting for the one under way), and
 * writes its audit entry with what was done so far. AT_ESTATE when it has
 * ended already. */
int at_bulk_cancel(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                   at_error *err);
/* Whether a job waits for a runner: queued, or running with its lease run
 * out. One index read. */
int at_bulk_waiting(at_db *db, int *any, at_error *err);
/* Takes such a job for runner (only id when id is not 0): *got its id, 0
 * when none. */
int at_bulk_claim(at_db *db, const char *runner, uint64_t id, uint64_t *got, at_error *err);
/* One batch of a job runner holds: up to batch tasks after its cursor,
 * each locked, checked against the filter and the action's rule
 * (at_task_action_refusal) and acted on or skipped, the cursor, counts
 * and lease moved, all in one transaction; the last batch ends the job
 * with its audit entry. *more: 1 while the job goes on under this runner
 * (0: it ended, was cancelled, or its lease went to another). batch 0,
 * or more than AT_LIST_MAX: AT_BULK_BATCH. */
int at_bulk_step(at_db *db, uint64_t id, const char *runner, unsigned batch, int *more,
                 at_error *err);
/* Steps a claimed job until it ends or *stop is set (between batches). */
int at_bulk_run(at_db *db, uint64_t id, const char *runner, unsigned batch,
                volatile sig_atomic_t *stop, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
