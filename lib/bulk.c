/* bulk.c: bulk actions: Retry, Cancel or Delete every task of a business
 * that a list view's filter selects (docs/ARCHITECTURE.md, "Bulk
 * actions").
 *
 * A job is a row of bulk_jobs (schema/019). Its tasks are read with the
 * list's own query (at_task_list, created order, oldest first) a batch at
 * a time after the job's cursor, which is the list's keyset cursor; each
 * task is then locked, checked again (the filter's state, and the one rule
 * of which action fits which task, at_task_action_refusal) and acted on
 * by the single actions' own writes (task_action_write), or skipped. The
 * batch, the job's counts, cursor and lease are one transaction: a runner
 * killed in the middle leaves the batch undone and the job where the last
 * commit left it, for another runner to take once the lease has run out.
 * The transaction that ends a job (its last batch, or a cancel) writes its
 * one audit entry. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/run.h>

#include "internal.h"

static const char *const state_names[] = {NULL, "queued", "running", "done", "cancelled"};

const char *
at_bulk_state_str(int state)
{
    return state > 0 && state < (int) AT_COUNT(state_names) ? state_names[state] : "?";
}

static int
state_parse(const char *s)
{
    for (size_t i = 1; s && i < AT_COUNT(state_names); i++)
        if (strcmp(s, state_names[i]) == 0)
            return (int) i;
    return 0;
}

int
at_bulk_check_action(int action, at_error *err)
{
    if (action == AT_ACTION_RETRY || action == AT_ACTION_CANCEL || action == AT_ACTION_DELETE)
        return AT_OK;
    return at_error_set(err, AT_EINVAL, "a bulk action is retry, cancel or delete");
}

void
at_bulk_filter_text(int filter, const char *user_search, const char *type_search, char *buf,
                    size_t len)
{
    int n = snprintf(buf, len, "status %s", at_filter_str(filter));
    if (n >= 0 && (size_t) n < len && user_search && *user_search)
        n += snprintf(buf + n, len - (size_t) n, ", user '%s'", user_search);
    if (n >= 0 && (size_t) n < len && type_search && *type_search)
        snprintf(buf + n, len - (size_t) n, ", type '%s'", type_search);
}

const char *
at_bulk_count_text(uint64_t n, int more, char *buf, size_t len)
{
    if (more && n == 0)
        snprintf(buf, len, "an uncounted number of tasks");
    else
        snprintf(buf, len, "%s%llu task%s", more ? "more than " : "", (unsigned long long) n,
                 n == 1 && !more ? "" : "s");
    return buf;
}

static const char *
nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* The list's query over f: created order, oldest first. */
static at_task_query
query_of(const at_bulk_filter *f, const char *after, unsigned limit)
{
    at_task_query q = {.business_id = f->business_id,
                       .sort = AT_SORT_CREATED,
                       .desc = 0,
                       .filter = f->filter,
                       .user_search = nonempty(f->user_search),
                       .type_search = nonempty(f->type_search),
                       .after = after,
                       .limit = limit};
    return q;
}

static int
check_filter(const at_bulk_filter *f, at_error *err)
{
    int rc = at_bulk_check_action(f->action, err);
    if (rc == AT_OK && (f->filter < AT_FILTER_PENDING || f->filter > AT_FILTER_ALL))
        rc = at_error_set(err, AT_EINVAL, "unknown status filter %d", f->filter);
    if (rc == AT_OK && f->user_search)
        rc = at_check_search("user search", f->user_search, err);
    if (rc == AT_OK && f->type_search)
        rc = at_check_search("type search", f->type_search, err);
    return rc;
}

int
at_bulk_preview(at_db *db, const at_bulk_filter *f, unsigned sample, at_task_page *page,
                at_error *err)
{
    memset(page, 0, sizeof *page);
    int rc = check_filter(f, err);
    if (rc)
        return rc;
    at_task_query q = query_of(f, NULL, sample ? sample : 1);
    return at_task_list_counted(db, &q, AT_BULK_COUNT_CAP, page, err);
}

int
at_bulk_start(at_db *db, const at_actor *actor, const at_bulk_filter *f, const char *runner,
              uint64_t *id, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = check_filter(f, err);
    if (rc)
        return rc;
    at_task_query q = query_of(f, NULL, 1);
    uint64_t count = 0;
    int more = 0;
    if ((rc = at_task_count(db, &q, AT_BULK_COUNT_CAP, &count, &more, err)))
        return rc;
    db_arg a[] = {da_u64(f->business_id),
                  da_str(at_task_action_str(f->action)),
                  da_str(at_filter_str(f->filter)),
                  nonempty(f->user_search) ? da_str(f->user_search) : da_null(),
                  nonempty(f->type_search) ? da_str(f->type_search) : da_null(),
                  da_u64(actor->user_id),
                  da_str(actor->name),
                  da_u64(count),
                  da_i64(more),
                  da_str(runner ? "running" : "queued"),
                  runner ? da_str(runner) : da_null(),
                  da_i64(runner ? AT_BULK_LEASE_S : 0)};
    rc = db_exec(db, 0,
                 "INSERT INTO bulk_jobs (business_id, action, status_filter, user_search, "
                 "type_search, created_by, created_by_name, estimate, estimate_more, state, "
                 "runner, lease_until, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                 "?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, UTC_TIMESTAMP(6), "
                 "UTC_TIMESTAMP(6))",
                 a, AT_COUNT(a), NULL, id, err);
    return rc;
}

#define JOB_COLS                                                                                   \
    "j.id, j.business_id, j.action, j.status_filter, j.user_search, j.type_search, "             \
    "j.created_by, j.created_by_name, j.state, j.estimate, j.estimate_more, j.done_count, "      \
    "j.skipped_count, j.batches, j.cursor_after, j.runner, j.lease_until, j.started_at, "        \
    "j.updated_at, j.finished_at, j.ended_by_name, UTC_TIMESTAMP(6)"

/* A job as read, with what a batch needs besides. */
typedef struct job_row {
    at_bulk_job job;
    uint64_t created_by;
    char cursor[AT_CURSOR_BUF];
    at_time now;
} job_row;

static int
fill_job(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    job_row *x = elem;
    at_bulk_job *j = &x->job;
    memset(x, 0, sizeof *x);
    j->id = db_u64(r, 0);
    j->business_id = db_u64(r, 1);
    j->action = at_task_action_parse(db_col(r, 2, NULL));
    j->filter = at_filter_parse(db_col(r, 3, NULL));
    db_copy(r, 4, j->user_search, sizeof j->user_search);
    db_copy(r, 5, j->type_search, sizeof j->type_search);
    x->created_by = db_u64(r, 6);
    db_copy(r, 7, j->created_by, sizeof j->created_by);
    j->state = state_parse(db_col(r, 8, NULL));
    j->estimate = db_u64(r, 9);
    j->estimate_more = (int) db_i64(r, 10);
    j->done = db_u64(r, 11);
    j->skipped = db_u64(r, 12);
    j->batches = (unsigned) db_u64(r, 13);
    db_copy(r, 14, x->cursor, sizeof x->cursor);
    db_copy(r, 15, j->runner, sizeof j->runner);
    j->lease_until = db_time(r, 16);
    j->started_at = db_time(r, 17);
    j->updated_at = db_time(r, 18);
    j->finished_at = db_time(r, 19);
    db_copy(r, 20, j->ended_by, sizeof j->ended_by);
    x->now = db_time(r, 21);
    return AT_OK;
}

static int
job_read(at_db *db, uint64_t business_id, uint64_t id, bool lock, job_row *out, at_error *err)
{
    db_arg a[] = {da_u64(id), da_u64(business_id), da_u64(business_id)};
    int rc = db_row(db, lock ? 0 : DB_RETRY,
                    lock ? "SELECT " JOB_COLS " FROM bulk_jobs j WHERE j.id = ? "
                           "AND (j.business_id = ? OR ? = 0) FOR UPDATE"
                         : "SELECT " JOB_COLS " FROM bulk_jobs j WHERE j.id = ? "
                           "AND (j.business_id = ? OR ? = 0)",
                    a, AT_COUNT(a), fill_job, out, "such bulk job", err);
    if (rc == AT_ENOTFOUND)
        rc = at_error_set(err, AT_ENOTFOUND, "no bulk job #%llu in this business",
                          (unsigned long long) id);
    return rc;
}

int
at_bulk_get(at_db *db, uint64_t business_id, uint64_t id, at_bulk_job *out, at_error *err)
{
    job_row x;
    int rc = job_read(db, business_id, id, false, &x, err);
    if (rc == AT_OK)
        *out = x.job;
    return rc;
}

/* The job's one audit entry, in the transaction that ends it: the action,
 * the filter and the counts. */
static int
audit_end(at_db *db, const job_row *x, const char *ended_by, at_error *err)
{
    const at_bulk_job *j = &x->job;
    char name[300], detail[AT_AUDIT_DETAIL_BUF], action[32], est[64];
    at_bulk_filter_text(j->filter, j->user_search, j->type_search, name, sizeof name);
    snprintf(action, sizeof action, "bulk_%s", at_task_action_str(j->action));
    snprintf(detail, sizeof detail,
             "%s: %llu task(s) done, %llu skipped, of %s matching when started%s%s",
             ended_by ? "cancelled" : "finished", (unsigned long long) j->done,
             (unsigned long long) j->skipped,
             at_bulk_count_text(j->estimate, j->estimate_more, est, sizeof est),
             ended_by ? "; cancelled by " : "", ended_by ? ended_by : "");
    at_actor starter = {x->created_by, j->created_by};
    return at_audit_write(db, j->business_id, &starter, action, "bulk_job", j->id, name, NULL,
                          detail, err);
}

struct cancel_ctx {
    const at_actor *actor;
    uint64_t business_id, id;
};

static int
cancel_tx(at_db *db, void *vctx, at_error *err)
{
    struct cancel_ctx *c = vctx;
    job_row x;
    int rc = job_read(db, c->business_id, c->id, true, &x, err);
    if (rc)
        return rc;
    if (x.job.state == AT_BULK_DONE || x.job.state == AT_BULK_CANCELLED)
        return at_error_set(err, AT_ESTATE, "bulk job #%llu is %s already: nothing was done",
                            (unsigned long long) c->id, at_bulk_state_str(x.job.state));
    db_arg a[] = {da_str(c->actor->name), da_u64(c->id)};
    rc = db_exec(db, 0,
                 "UPDATE bulk_jobs SET state = 'cancelled', finished_at = UTC_TIMESTAMP(6), "
                 "updated_at = UTC_TIMESTAMP(6), ended_by_name = ?, lease_until = NULL "
                 "WHERE id = ?",
                 a, AT_COUNT(a), NULL, NULL, err);
    return rc ? rc : audit_end(db, &x, c->actor->name, err);
}

int
at_bulk_cancel(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
               at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct cancel_ctx c = {actor, business_id, id};
    return db_tx(db, false, cancel_tx, &c, err);
}

/* A job waits for a runner when it is queued, or when its runner's lease
 * ran out (the runner died). at_bulk_waiting reads the two halves apart, so
 * each can use its index. */
#define QUEUED_JOB "state = 'queued'"
#define ORPHANED_JOB "state = 'running' AND lease_until < UTC_TIMESTAMP(6)"
#define WAITING "(" QUEUED_JOB " OR (" ORPHANED_JOB "))"

int
at_bulk_waiting(at_db *db, int *any, at_error *err)
{
    uint64_t n = 0;
    int rc = db_query_u64(db, DB_RETRY,
                          "SELECT COUNT(*) FROM (SELECT 1 FROM bulk_jobs WHERE " QUEUED_JOB
                          " UNION ALL SELECT 1 FROM bulk_jobs WHERE " ORPHANED_JOB " LIMIT 1) w",
                          NULL, 0, &n, err);
    *any = rc == AT_OK && n > 0;
    return rc;
}

struct claim_ctx {
    const char *runner;
    uint64_t only, got;
};

static int
claim_tx(at_db *db, void *vctx, at_error *err)
{
    struct claim_ctx *c = vctx;
    c->got = 0;
    db_arg a[] = {da_u64(c->only), da_u64(c->only)};
    uint64_t id = 0;
    int rc = db_query_u64(db, 0,
                          "SELECT id FROM bulk_jobs WHERE " WAITING " AND (? = 0 OR id = ?) "
                          "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                          a, AT_COUNT(a), &id, err);
    if (rc == AT_ENOTFOUND || (rc == AT_OK && id == 0))
        return AT_OK;
    if (rc)
        return rc;
    db_arg b[] = {da_str(c->runner), da_i64(AT_BULK_LEASE_S), da_u64(id)};
    rc = db_exec(db, 0,
                 "UPDATE bulk_jobs SET state = 'running', runner = ?, lease_until = "
                 "UTC_TIMESTAMP(6) + INTERVAL ? SECOND, updated_at = UTC_TIMESTAMP(6) "
                 "WHERE id = ?",
                 b, AT_COUNT(b), NULL, NULL, err);
    if (rc == AT_OK)
        c->got = id;
    return rc;
}

int
at_bulk_claim(at_db *db, const char *runner, uint64_t id, uint64_t *got, at_error *err)
{
    struct claim_ctx c = {runner, id, 0};
    int rc = db_tx(db, false, claim_tx, &c, err);
    *got = rc == AT_OK ? c.got : 0;
    return rc;
}

/* Whether t is still one the filter selects, as the list's state split
 * has it (pending: queued or running). */
static bool
filter_holds(int filter, const at_task *t)
{
    bool pending = t->state == AT_TASK_QUEUED || t->state == AT_TASK_RUNNING;
    return filter == AT_FILTER_ALL || (filter == AT_FILTER_PENDING) == pending;
}

struct step_ctx {
    uint64_t id;
    const char *runner;
    unsigned batch;
    /* out, set again by each try of the transaction */
    int more;
    bool woke;
    uint64_t business_id;
};

/* One task of the batch: locked, checked, acted on or skipped. */
static int
one_task(at_db *db, const job_row *x, const at_task *row, uint64_t *done, uint64_t *skipped,
         at_error *err)
{
    at_task t;
    int rc = task_lock(db, x->job.business_id, row->id, &t, err);
    if (rc == AT_ENOTFOUND) { /* removed since the list read it */
        (*skipped)++;
        return AT_OK;
    }
    if (rc)
        return rc;
    char why[200], detail[200];
    int asked = 0;
    if (!filter_holds(x->job.filter, &t) ||
        at_task_action_refusal(&t, x->job.action, x->now, why, sizeof why))
        (*skipped)++;
    else if ((rc = task_action_write(db, &t, x->job.action, x->now, detail, sizeof detail,
                                     &asked, err)) == AT_OK)
        (*done)++;
    at_task_clear(&t);
    return rc;
}

static int
step_tx(at_db *db, void *vctx, at_error *err)
{
    struct step_ctx *c = vctx;
    c->more = 0;
    c->woke = false;
    job_row x;
    int rc = job_read(db, 0, c->id, true, &x, err);
    if (rc)
        return rc;
    c->business_id = x.job.business_id;
    if (x.job.state != AT_BULK_RUNNING || strcmp(x.job.runner, c->runner) != 0)
        return AT_OK; /* ended, cancelled, or taken over */
    at_bulk_filter f = {x.job.business_id, x.job.action, x.job.filter, x.job.user_search,
                        x.job.type_search};
    at_task_query q = query_of(&f, x.cursor[0] ? x.cursor : NULL, c->batch);
    at_task_page page;
    if ((rc = at_task_list(db, &q, &page, err)))
        return rc;
    uint64_t done = 0, skipped = 0;
    bool past = false; /* reached the tasks created after the job started */
    for (size_t i = 0; rc == AT_OK && i < page.n; i++) {
        if (page.rows[i].created_at > x.job.started_at) {
            past = true;
            break;
        }
        rc = one_task(db, &x, &page.rows[i], &done, &skipped, err);
    }
    /* where the next batch starts (the page is freed before the write);
     * a cursor that does not move (no row, and the same cursor again)
     * would step in place for ever */
    char next[AT_CURSOR_BUF];
    snprintf(next, sizeof next, "%s", page.has_next ? page.next : x.cursor);
    bool stuck = page.n == 0 && page.has_next && strcmp(next, x.cursor) == 0;
    bool end = past || !page.has_next || stuck;
    at_task_page_free(&page);
    db_arg a[] = {da_str(next),           da_u64(done), da_u64(skipped), da_i64(AT_BULK_LEASE_S),
                  da_str(end ? "done" : "running"), da_i64(end), da_u64(c->id)};
    if (rc)
        return rc;
    rc = db_exec(db, 0,
                 "UPDATE bulk_jobs SET cursor_after = ?, done_count = done_count + ?, "
                 "skipped_count = skipped_count + ?, batches = batches + 1, "
                 "lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, state = ?, "
                 "finished_at = IF(?, UTC_TIMESTAMP(6), NULL), "
                 "updated_at = UTC_TIMESTAMP(6) WHERE id = ?",
                 a, AT_COUNT(a), NULL, NULL, err);
    x.job.done += done;
    x.job.skipped += skipped;
    if (rc == AT_OK && end)
        rc = audit_end(db, &x, NULL, err);
    c->more = !end;
    c->woke = done > 0 && x.job.action == AT_ACTION_RETRY;
    return rc;
}

int
at_bulk_step(at_db *db, uint64_t id, const char *runner, unsigned batch, int *more,
             at_error *err)
{
    if (!batch || batch > AT_LIST_MAX)
        batch = AT_BULK_BATCH;
    struct step_ctx c = {id, runner, batch, 0, false, 0};
    int rc = db_tx(db, false, step_tx, &c, err);
    *more = rc == AT_OK && c.more;
    if (rc == AT_OK && c.woke)
        at_wake(db, c.business_id); /* retried tasks: an idle executor takes them */
    return rc;
}

int
at_bulk_run(at_db *db, uint64_t id, const char *runner, unsigned batch,
            volatile sig_atomic_t *stop, at_error *err)
{
    int more = 1, rc = AT_OK;
    while (more && !(stop && *stop) && (rc = at_bulk_step(db, id, runner, batch, &more, err)) == AT_OK)
        ;
    return rc;
}
