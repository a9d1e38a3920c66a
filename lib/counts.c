/* counts.c: the totals of a business's tasks that its admin sees: queued,
 * paused, running, failed, and finished today. */
#include "config.h"

#include <string.h>

#include "internal.h"

static int
fill_counts(const db_res *r, void *elem, at_error *err)
{
    at_task_counts *c = elem;
    c->queued = db_u64(r, 0);
    c->paused = db_u64(r, 1);
    c->running = db_u64(r, 2);
    c->failed = db_u64(r, 3);
    c->finished_today = db_u64(r, 4);
    return AT_OK;
}

int
at_task_counts_get(at_db *db, uint64_t business_id, at_task_counts *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    db_arg a[] = {da_u64(business_id), da_u64(business_id)};
    int rc = db_row(db, DB_RETRY,
                    "SELECT COALESCE(SUM(t.state = 'queued' AND NOT EXISTS (SELECT 1 FROM "
                    "pause_rules p WHERE p.business_id = t.business_id AND ((p.scope = 'user' "
                    "AND p.target_id = t.user_id) OR (p.scope = 'task_type' AND p.target_id = "
                    "t.task_type_id)) AND (p.paused_until IS NULL OR p.paused_until > "
                    "UTC_TIMESTAMP(6)))), 0), "
                    "COALESCE(SUM(t.state = 'queued' AND EXISTS (SELECT 1 FROM "
                    "pause_rules p WHERE p.business_id = t.business_id AND ((p.scope = 'user' "
                    "AND p.target_id = t.user_id) OR (p.scope = 'task_type' AND p.target_id = "
                    "t.task_type_id)) AND (p.paused_until IS NULL OR p.paused_until > "
                    "UTC_TIMESTAMP(6)))), 0), "
                    "COALESCE(SUM(t.state = 'running'), 0), COALESCE(SUM(t.state = 'failed'), 0), "
                    "(SELECT COUNT(*) FROM tasks f WHERE f.business_id = ? AND f.finished = 1 "
                    "AND f.finished_at >= UTC_DATE()) "
                    "FROM tasks t WHERE t.business_id = ?",
                    a, 2, fill_counts, out, "counts", err);
    return rc ? at_error_wrap(err, "task counts") : AT_OK;
}
