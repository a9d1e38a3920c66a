/* attempts.c: a task's runs as the task page shows them, newest first, a
 * page at a time by keyset on the attempt number, so that a task retried
 * many times costs a page to show, not its whole history. The supervisor's
 * claim and finish write these rows (run.c); this file only reads them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ATTEMPT_COLS                                                                               \
    "attempt, executor_id, host, pid, started_at, finished_at, outcome, LEFT(error, 300)"

/* Going back (newer): the oldest attempts above the cursor, cut, then
 * turned newest first; both read the primary key (task_id, attempt). */
#define NEWER_SQL                                                                                  \
    "SELECT * FROM (SELECT " ATTEMPT_COLS " FROM task_attempts WHERE task_id = ? "               \
    "AND business_id = ? AND attempt > ? ORDER BY attempt LIMIT ?) newer ORDER BY attempt DESC"
#define OLDER_SQL                                                                                  \
    "SELECT " ATTEMPT_COLS " FROM task_attempts WHERE task_id = ? AND business_id = ? "          \
    "AND attempt < ? ORDER BY attempt DESC LIMIT ?"

static int
fill(const db_res *r, void *elem, at_error *err)
{
    at_attempt *a = elem;
    memset(a, 0, sizeof *a);
    a->attempt = (unsigned) db_u64(r, 0);
    a->executor_id = db_u64(r, 1);
    db_copy(r, 2, a->host, sizeof a->host);
    a->pid = (int) db_i64(r, 3);
    a->started_at = db_time(r, 4);
    a->finished_at = db_time(r, 5);
    db_copy(r, 6, a->outcome, sizeof a->outcome);
    bool oom = false;
    a->error = db_dup(r, 7, &oom);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

static int
attempt_rows(at_db *db, uint64_t business_id, uint64_t task_id, bool newer, unsigned key,
             unsigned limit, at_attempt_page *page, at_error *err)
{
    db_arg a[] = {da_u64(task_id), da_u64(business_id), da_u64(key),
                  da_u64((uint64_t) limit + 1)};
    return db_rows(db, DB_RETRY, newer ? NEWER_SQL : OLDER_SQL, a, AT_COUNT(a),
                   sizeof *page->rows, fill, (void **) &page->rows, &page->n, err);
}

int
at_task_attempts(at_db *db, uint64_t business_id, uint64_t task_id, unsigned before,
                 unsigned after, unsigned limit, at_attempt_page *page, at_error *err)
{
    memset(page, 0, sizeof *page);
    if (limit == 0 || limit > 500)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 500, not %u", limit);
    if (before && after)
        return at_error_set(err, AT_EINVAL, "give either before or after, not both");
    bool newer = after != 0;
    int rc = attempt_rows(db, business_id, task_id, newer, newer ? after : before ? before : ~0u,
                          limit, page, err);
    if (rc == AT_OK && newer && page->n <= limit) {
        /* fewer than a page above: that is the newest page */
        at_attempt_page_free(page);
        newer = false;
        rc = attempt_rows(db, business_id, task_id, false, ~0u, limit, page, err);
    }
    if (rc) {
        at_attempt_page_free(page);
        return rc;
    }
    if (page->n > limit)
        free(page->rows[newer ? 0 : limit].error); /* the row beyond the page goes */
    at_keyset_trim(page->rows, sizeof *page->rows, &page->n, limit, newer, before != 0,
                   &page->has_older, &page->has_newer);
    if (page->n) {
        page->newer = page->rows[0].attempt;
        page->older = page->rows[page->n - 1].attempt;
    }
    return AT_OK;
}

void
at_attempt_page_free(at_attempt_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->n; i++)
        free(page->rows[i].error);
    free(page->rows);
    memset(page, 0, sizeof *page);
}
