/* executor_list.c: the executors of every supervisor, with what each is
 * running, for the Executors page. The supervisors write these rows;
 * this file only reads them. */
#include "config.h"

#include <string.h>

#include "internal.h"

#include <asynctasks/run.h>

static int
fill(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_executor_info *e = elem;
    memset(e, 0, sizeof *e);
    e->id = db_u64(r, 0);
    e->supervisor_id = db_u64(r, 1);
    db_copy(r, 2, e->host, sizeof e->host);
    e->pid = (int) db_i64(r, 3);
    e->supervisor_pid = (int) db_i64(r, 4);
    e->started_at = db_time(r, 5);
    e->heartbeat_at = db_time(r, 6);
    e->supervisor_heartbeat_at = db_time(r, 7);
    e->tasks_run = db_u64(r, 8);
    e->task_id = db_u64(r, 9);
    e->task_business_id = db_u64(r, 10);
    db_copy(r, 11, e->task_type, sizeof e->task_type);
    db_copy(r, 12, e->task_user, sizeof e->task_user);
    e->task_started_at = db_time(r, 13);
    return AT_OK;
}

int
at_executor_list(at_db *db, unsigned limit, at_executor_info **out, size_t *n, int *more,
                 at_error *err)
{
    *more = 0;
    if (limit < 1 || limit > 10000)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 10000, not %u", limit);
    /* A current_task_id whose task is gone (deleted meanwhile) reads as
     * idle: the LEFT JOIN finds no task. The sort is over the executors
     * table, which holds a row per running executor: a deployment's size,
     * not the data's. */
    db_arg a[] = {da_u64((uint64_t) limit + 1)};
    int rc = db_rows(db, DB_RETRY,
                     "SELECT e.id, e.supervisor_id, e.host, e.pid, e.supervisor_pid, e.started_at, "
                     "e.heartbeat_at, s.heartbeat_at, e.tasks_run, t.id, t.business_id, "
                     "t.type_name, t.user_name, COALESCE(e.task_started_at, t.started_at) "
                     "FROM executors e JOIN supervisors s ON s.id = e.supervisor_id "
                     "LEFT JOIN tasks t ON t.id = e.current_task_id "
                     "ORDER BY e.host, e.pid, e.id LIMIT ?",
                     a, 1, sizeof **out, fill, (void **) out, n, err);
    if (rc == AT_OK && *n > limit) {
        *n = limit;
        *more = 1;
    }
    return rc;
}
