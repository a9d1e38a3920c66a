/* prune.c: retention: removes finished tasks (with their attempts) and
 * audit entries older than their cut-offs, and then the spool's old files
 * (spool.c); and, whatever the policy, the idempotency keys past their 24
 * hours (idempotency.c) and the dashboard's buckets past their charts
 * (rollup.c).
 *
 * Each batch is one short transaction over an ordered range of one index
 * (schema 015): it never holds locks that a claim, an enqueue or a page
 * waits on for longer than one batch takes, and a pause between batches
 * lets everything else through. A task is taken only while finished, under
 * its row lock, and the business's counters lose what its removal takes
 * from them in the same transaction, so they stay equal to the tasks.
 *
 * One process prunes at a time: the one that holds the database's named
 * lock (GET_LOCK), which ends with its connection, so a pruner that dies
 * leaves nothing to clean up. Correctness does not rest on the lock (each
 * batch locks what it removes); it only keeps two supervisors from doing
 * the same work.
 *
 * The prune's audit entry is written by the first batch that removes
 * anything, inside that batch's transaction, and each later batch rewrites
 * its counts in its own: whatever was removed, the entry says so. Audit
 * entries are removed only up to the newest id there was when the prune
 * began, so the prune never removes its own entry, nor anything written
 * while it runs. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* The lock's name is the server's, not the database's: it names the
 * database so that two installations on one server do not wait on each
 * other. At most 64 characters, as MySQL allows. */
#define LOCK_NAME "LEFT(CONCAT('asynctasks prune ', DATABASE()), 64)"

/* The oldest finished tasks, locked, in the order of tasks_finished_at. */
#define PICK_SQL                                                                                   \
    "SELECT id, business_id, state = 'failed', finished_at >= UTC_DATE(), attempts "              \
    "FROM tasks FORCE INDEX (tasks_finished_at) "                                                 \
    "WHERE finished = 1 AND finished_at < ? ORDER BY finished_at, id LIMIT ? FOR UPDATE"
#define ATTEMPTS_DEL_SQL "DELETE FROM task_attempts WHERE task_id IN ("
#define TASKS_DEL_SQL    "DELETE FROM tasks WHERE finished = 1 AND id IN ("
/* The oldest audit entries, through audit_log_created. */
#define AUDIT_DEL_SQL                                                                              \
    "DELETE FROM audit_log WHERE created_at < ? AND id <= ? ORDER BY created_at, id LIMIT ?"
#define COUNT_TASKS_SQL                                                                            \
    "SELECT COUNT(*) FROM tasks FORCE INDEX (tasks_finished_at) "                                 \
    "WHERE finished = 1 AND finished_at < ?"
#define COUNT_ATTEMPTS_SQL                                                                         \
    "SELECT COUNT(*) FROM tasks t FORCE INDEX (tasks_finished_at) "                               \
    "JOIN task_attempts a ON a.task_id = t.id WHERE t.finished = 1 AND t.finished_at < ?"
#define COUNT_AUDIT_SQL "SELECT COUNT(*) FROM audit_log WHERE created_at < ? AND id <= ?"

void
at_prune_policy_of(const at_config *cfg, at_prune_policy *p)
{
    memset(p, 0, sizeof *p);
    p->finished_days = cfg->retain_finished_days;
    p->audit_days = cfg->retain_audit_days;
    p->spool_days = cfg->retain_spool_days;
    p->spool_dir = cfg->spool_dir;
    p->batch = cfg->retain_batch ? cfg->retain_batch : 1000;
    p->pause_ms = cfg->retain_pause_ms;
}

typedef struct prune_run {
    const at_actor *actor;
    const at_prune_policy *p;
    at_prune_result *r;
    volatile sig_atomic_t *stop;
    uint64_t audit_max; /* the newest audit entry when the prune began */
} prune_run;

static bool
stopped(const prune_run *x)
{
    return x->stop && *x->stop;
}

/* Sleeps the pause between batches; a signal (a stop) cuts it short. */
static void
pause_between(const prune_run *x)
{
    struct timespec ts = {x->p->pause_ms / 1000, (long) (x->p->pause_ms % 1000) * 1000000L};
    while (!stopped(x) && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int
fill_time(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    *(at_time *) elem = db_time(r, 0);
    return AT_OK;
}

/* days before the database's now; 0 for 0 days (kept forever). */
static int
cutoff(at_db *db, unsigned days, at_time *out, at_error *err)
{
    *out = 0;
    if (!days)
        return AT_OK;
    db_arg a[] = {da_u64(days)};
    return db_row(db, DB_RETRY, "SELECT UTC_TIMESTAMP(6) - INTERVAL ? DAY", a, 1, fill_time, out,
                  "clock", err);
}

/* ---- the prune's audit entry ---- */

static void
detail_of(const at_prune_result *r, const char *state, char *buf, size_t len)
{
    char t[40];
    size_t n = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__);                             \
        if (k > 0)                                                                                 \
            n += (size_t) k;                                                                       \
    } while (0)
    buf[0] = 0;
    if (r->finished_before)
        PUT("finished_before=%s tasks=%llu attempts=%llu ",
            at_time_iso(r->finished_before, t, sizeof t), (unsigned long long) r->tasks,
            (unsigned long long) r->attempts);
    if (r->audit_before)
        PUT("audit_before=%s audit_entries=%llu ", at_time_iso(r->audit_before, t, sizeof t),
            (unsigned long long) r->audit);
    if (r->spool_before)
        PUT("spool_before=%s spool_files=%llu spool_bytes=%llu ",
            at_time_iso(r->spool_before, t, sizeof t), (unsigned long long) r->spool_files,
            (unsigned long long) r->spool_bytes);
    PUT("batches=%u state=%s", r->batches, state);
#undef PUT
}

/* Writes the entry (the first time) or brings it up to date, for r as it
 * will be once the transaction commits; a new entry's id into *new_id. */
static int
record(at_db *db, const prune_run *x, const at_prune_result *r, const char *state,
       uint64_t *new_id, at_error *err)
{
    char detail[AT_AUDIT_DETAIL_BUF];
    detail_of(r, state, detail, sizeof detail);
    if (r->audit_id) {
        db_arg a[] = {da_str(detail), da_u64(r->audit_id)};
        return db_exec(db, 0, "UPDATE audit_log SET detail = ? WHERE id = ?", a, 2, NULL, NULL,
                       err);
    }
    int rc = at_audit_write(db, AT_AUDIT_PLATFORM, x->actor, "prune", "retention", 0, "", "",
                            detail, err);
    if (rc == AT_OK)
        rc = db_query_u64(db, 0, "SELECT LAST_INSERT_ID()", NULL, 0, new_id, err);
    return rc;
}

/* ---- one batch of tasks ---- */

typedef struct picked {
    uint64_t id, business_id, attempts;
    int failed, today;
} picked;

static int
fill_picked(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    picked *t = elem;
    t->id = db_u64(r, 0);
    t->business_id = db_u64(r, 1);
    t->failed = db_u64(r, 2) != 0;
    t->today = db_u64(r, 3) != 0;
    t->attempts = db_u64(r, 4);
    return AT_OK;
}

typedef struct batch {
    const prune_run *x;
    uint64_t tasks, attempts, audit, audit_id;
    bool last; /* the range is used up */
} batch;

/* DELETE ... IN (the ids of v[0..n)) ...; *affected the rows it removed. */
static int
delete_ids(at_db *db, const char *head, const picked *v, size_t n, uint64_t *affected,
           at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, head);
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(v[i].id));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ")");
    int rc = db_exec_sb(db, 0, &sql, &a, affected, NULL, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* The counters lose the failed tasks, and the tasks finished today, that
 * go (the others are in no counter). */
static int
uncount(at_db *db, const picked *v, size_t n, at_error *err)
{
    counts_acc acc = {0};
    for (size_t i = 0; i < n; i++) {
        if (!v[i].failed && !v[i].today)
            continue;
        counts_delta *d = counts_acc_get(&acc, v[i].business_id);
        if (d) {
            d->failed -= v[i].failed;
            d->finished_today -= v[i].today;
        }
    }
    int rc = counts_acc_write(db, &acc, err);
    counts_acc_free(&acc);
    return rc;
}

/* A batch holds about p->batch rows, the tasks' attempts counted: as many
 * of the picked tasks as fit, and at least one. */
static size_t
fit(const picked *v, size_t n, unsigned limit)
{
    uint64_t rows = 0;
    size_t k = 0;
    while (k < n && (k == 0 || rows + 1 + v[k].attempts <= limit))
        rows += 1 + v[k++].attempts;
    return k;
}

static int
tasks_batch_tx(at_db *db, void *vctx, at_error *err)
{
    batch *b = vctx;
    const prune_run *x = b->x;
    b->tasks = b->attempts = b->audit_id = 0;
    b->last = false;
    picked *v = NULL;
    size_t n = 0;
    db_arg a[] = {da_time(x->r->finished_before), da_u64(x->p->batch)};
    int rc = db_rows(db, 0, PICK_SQL, a, 2, sizeof *v, fill_picked, (void **) &v, &n, err);
    if (rc)
        return rc;
    size_t k = fit(v, n, x->p->batch);
    b->last = k == n && n < x->p->batch;
    uint64_t gone = 0;
    if (k)
        rc = delete_ids(db, ATTEMPTS_DEL_SQL, v, k, &b->attempts, err);
    if (k && rc == AT_OK)
        rc = delete_ids(db, TASKS_DEL_SQL, v, k, &gone, err);
    if (k && rc == AT_OK && gone != k)
        rc = at_error_set(err, AT_ECONFLICT, "%llu of %zu tasks changed while being removed",
                          (unsigned long long) (k - gone), k);
    if (k && rc == AT_OK)
        rc = uncount(db, v, k, err);
    if (k && rc == AT_OK) {
        b->tasks = k;
        at_prune_result next = *x->r;
        next.tasks += b->tasks;
        next.attempts += b->attempts;
        next.batches++;
        rc = record(db, x, &next, "running", &b->audit_id, err);
    }
    free(v);
    return rc;
}

static int
audit_batch_tx(at_db *db, void *vctx, at_error *err)
{
    batch *b = vctx;
    const prune_run *x = b->x;
    b->audit = b->audit_id = 0;
    db_arg a[] = {da_time(x->r->audit_before), da_u64(x->audit_max), da_u64(x->p->batch)};
    int rc = db_exec(db, 0, AUDIT_DEL_SQL, a, 3, &b->audit, NULL, err);
    b->last = rc == AT_OK && b->audit < x->p->batch;
    if (rc == AT_OK && b->audit) {
        at_prune_result next = *x->r;
        next.audit += b->audit;
        next.batches++;
        rc = record(db, x, &next, "running", &b->audit_id, err);
    }
    return rc;
}

/* Whether this connection still holds the lock (a reconnect drops it). */
static int
lock_held(at_db *db, at_error *err)
{
    uint64_t held = 0;
    int rc = db_query_u64(db, 0, "SELECT COALESCE(IS_USED_LOCK(" LOCK_NAME ") = CONNECTION_ID(), 0)",
                          NULL, 0, &held, err);
    if (rc == AT_OK && !held)
        rc = at_error_set(err, AT_ECONFLICT,
                          "the prune lost its lock with its database connection; the next "
                          "prune goes on from here");
    return rc;
}

/* Runs batches of fn until the range is used up or a stop. */
static int
batches(at_db *db, prune_run *x, db_tx_fn fn, at_error *err)
{
    for (;;) {
        if (stopped(x)) {
            x->r->stopped = true;
            return AT_OK;
        }
        int rc = lock_held(db, err);
        batch b = {.x = x};
        if (rc == AT_OK)
            rc = db_tx(db, false, fn, &b, err);
        if (rc)
            return rc;
        x->r->tasks += b.tasks;
        x->r->attempts += b.attempts;
        x->r->audit += b.audit;
        if (b.tasks || b.audit)
            x->r->batches++;
        if (b.audit_id)
            x->r->audit_id = b.audit_id;
        if (b.last)
            return AT_OK;
        pause_between(x);
    }
}

static int
record_tx(at_db *db, void *vctx, at_error *err)
{
    batch *b = vctx;
    b->audit_id = 0;
    return record(db, b->x, b->x->r, b->x->r->stopped ? "stopped" : "done", &b->audit_id, err);
}

/* The entry's last word: the spool's counts and the end. */
static int
record_end(at_db *db, prune_run *x, bool always, at_error *err)
{
    if (!x->r->audit_id && !always && !x->r->spool_files)
        return AT_OK;
    batch b = {.x = x};
    int rc = db_tx(db, false, record_tx, &b, err);
    if (rc == AT_OK && b.audit_id)
        x->r->audit_id = b.audit_id;
    return rc;
}

static int
count_all(at_db *db, prune_run *x, at_error *err)
{
    at_prune_result *r = x->r;
    int rc = AT_OK;
    if (r->finished_before) {
        db_arg a[] = {da_time(r->finished_before)};
        rc = db_query_u64(db, DB_RETRY, COUNT_TASKS_SQL, a, 1, &r->tasks, err);
        if (rc == AT_OK)
            rc = db_query_u64(db, DB_RETRY, COUNT_ATTEMPTS_SQL, a, 1, &r->attempts, err);
    }
    if (rc == AT_OK && r->audit_before) {
        db_arg a[] = {da_time(r->audit_before), da_u64(x->audit_max)};
        rc = db_query_u64(db, DB_RETRY, COUNT_AUDIT_SQL, a, 2, &r->audit, err);
    }
    return rc;
}

/* The spool's files are not the database's: a failure there is reported
 * in the result, and the database's part stands. */
static void
spool(prune_run *x, bool dry_run)
{
    if (!x->p->spool_days || stopped(x))
        return;
    int64_t before = (int64_t) time(NULL) - (int64_t) x->p->spool_days * 86400;
    x->r->spool_before = (at_time) before * 1000000;
    at_error err = {0};
    if (at_spool_prune(x->p->spool_dir, before, dry_run, x->p->batch, x->p->pause_ms, x->stop,
                       x->r, &err) != AT_OK) {
        x->r->spool_failed++;
        at_strlcpy(x->r->spool_error, err.msg, sizeof x->r->spool_error);
    }
}

static int
prune_locked(at_db *db, prune_run *x, bool dry_run, at_error *err)
{
    at_prune_result *r = x->r;
    int rc = cutoff(db, x->p->finished_days, &r->finished_before, err);
    if (rc == AT_OK)
        rc = cutoff(db, x->p->audit_days, &r->audit_before, err);
    if (rc == AT_OK && r->audit_before)
        rc = db_query_u64(db, DB_RETRY, "SELECT COALESCE(MAX(id), 0) FROM audit_log", NULL, 0,
                          &x->audit_max, err);
    if (rc)
        return rc;
    if (dry_run) {
        rc = count_all(db, x, err);
        if (rc == AT_OK)
            rc = idem_prune(db, x->p->batch, true, &r->idem_keys, err);
        if (rc == AT_OK)
            rc = rollup_prune(db, x->p->batch, true, &r->rollups, err);
        if (rc == AT_OK)
            spool(x, true);
        return rc;
    }
    /* expired idempotency keys: no record of theirs, they only count 24
     * hours (an enqueue checks the age itself) */
    rc = idem_prune(db, x->p->batch, false, &r->idem_keys, err);
    /* the dashboard's buckets past their charts (rollup.c) */
    if (rc == AT_OK)
        rc = rollup_prune(db, x->p->batch, false, &r->rollups, err);
    if (r->finished_before)
        rc = batches(db, x, tasks_batch_tx, err);
    if (rc == AT_OK && r->audit_before)
        rc = batches(db, x, audit_batch_tx, err);
    if (rc == AT_OK)
        spool(x, false);
    if (rc == AT_OK)
        rc = record_end(db, x, x->p->always_record, err);
    return rc;
}

int
at_prune(at_db *db, const at_actor *actor, const at_prune_policy *p, bool dry_run,
         volatile sig_atomic_t *stop, at_prune_result *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    if (!p->batch)
        return at_error_set(err, AT_EINVAL, "a prune's batch must hold at least one row");
    prune_run x = {actor, p, out, stop, 0};
    if (dry_run)
        return prune_locked(db, &x, true, err) ? at_error_wrap(err, "prune (dry run)") : AT_OK;
    uint64_t got = 0;
    int rc = db_query_u64(db, 0, "SELECT COALESCE(GET_LOCK(" LOCK_NAME ", 0), 0)", NULL, 0, &got,
                          err);
    if (rc)
        return at_error_wrap(err, "prune: take the lock");
    if (!got) {
        out->busy = true;
        return AT_OK;
    }
    rc = prune_locked(db, &x, false, err);
    at_error rerr = {0};
    uint64_t released = 0;
    db_query_u64(db, 0, "SELECT COALESCE(RELEASE_LOCK(" LOCK_NAME "), 0)", NULL, 0, &released,
                 &rerr);
    return rc ? at_error_wrap(err, "prune") : AT_OK;
}

/* ---- plans ---- */

int
at_prune_explain(at_db *db, char **plan, at_error *err)
{
    *plan = NULL;
    /* a cut-off as retention sets one: older than most rows */
    at_time t = at_time_now() - (at_time) 90 * 86400 * 1000000;
    static const struct {
        const char *name, *sql;
        int args; /* 1: cut-off, batch; 2: one id; 3: cut-off, id, batch; 4: cut-off; 5: cut-off, id */
    } q[] = {
        {"the oldest finished tasks of a batch", "EXPLAIN " PICK_SQL, 1},
        {"their attempts", "EXPLAIN " ATTEMPTS_DEL_SQL "?)", 2},
        {"the tasks", "EXPLAIN " TASKS_DEL_SQL "?)", 2},
        {"the oldest audit entries of a batch", "EXPLAIN " AUDIT_DEL_SQL, 3},
        {"dry run: finished tasks", "EXPLAIN " COUNT_TASKS_SQL, 4},
        {"dry run: their attempts", "EXPLAIN " COUNT_ATTEMPTS_SQL, 4},
        {"dry run: audit entries", "EXPLAIN " COUNT_AUDIT_SQL, 5},
    };
    strbuf out = {0};
    int rc = AT_OK;
    for (size_t i = 0; rc == AT_OK && i < AT_COUNT(q); i++) {
        db_arg a[3];
        unsigned n = 0;
        switch (q[i].args) {
        case 1: a[0] = da_time(t); a[1] = da_u64(1000); n = 2; break;
        case 2: a[0] = da_u64(1); n = 1; break;
        case 3: a[0] = da_time(t); a[1] = da_u64(UINT64_MAX >> 1); a[2] = da_u64(1000); n = 3; break;
        case 4: a[0] = da_time(t); n = 1; break;
        default: a[0] = da_time(t); a[1] = da_u64(UINT64_MAX >> 1); n = 2; break;
        }
        char *p = NULL;
        rc = db_explain(db, q[i].sql, a, n, &p, err);
        if (rc == AT_OK) {
            sb_add(&out, "-- ");
            sb_add(&out, q[i].name);
            sb_add(&out, "\n");
            sb_add(&out, p);
        }
        free(p);
    }
    if (rc == AT_OK && out.oom)
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    if (rc == AT_OK) {
        *plan = out.p ? out.p : strdup("");
        out.p = NULL;
        if (!*plan)
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
    }
    sb_free(&out);
    return rc;
}
