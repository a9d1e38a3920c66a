/* progress.c: a running task's progress, as its handler reports it. Only
 * the executor that holds the task's lease may write it, so a task that
 * was recovered and runs elsewhere is never overwritten by the old run. */
#include "config.h"

#include <asynctasks/run.h>

#include "internal.h"

int
at_task_progress(at_db *db, uint64_t executor_id, uint64_t task_id, uint64_t done, uint64_t total,
                 at_error *err)
{
    db_arg a[] = {da_u64(done), da_u64(total), da_u64(task_id), da_u64(executor_id)};
    /* Idempotent: the same numbers may be written twice. */
    return db_exec(db, DB_RETRY,
                   "UPDATE tasks SET progress_done = ?, progress_total = ? "
                   "WHERE id = ? AND lease_owner = ? AND state = 'running'",
                   a, AT_COUNT(a), NULL, NULL, err);
}
