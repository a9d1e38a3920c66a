/* lane.c: the lanes: the queued work of one (business, user, task type,
 * priority), with a held flag that pauses flip and a head that orders the
 * claim.
 *
 * Every change to a lane happens under its row lock, in the transaction
 * that changes its tasks: enqueue, claim, the end of an attempt that
 * queues a task again, edit, delete. The queued count is exact; the head
 * is a hint for the claim's order, recomputed from the tasks whenever the
 * lane changes, and a claim that finds a ready lane empty repairs it. The
 * held flag follows the pause rules through the SQL twin of the one
 * evaluator (pause_held_sql); the executors' re-check against the rules
 * themselves is what keeps a held task from starting, so a flag that lags
 * costs work, never correctness. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* The columns of a lane's new tasks, as a derived table "x". */
static const char *const add_cols[] = {"b UNSIGNED", "u UNSIGNED",    "t UNSIGNED",
                                       "p SIGNED",   "n UNSIGNED",    "r DATETIME(6)",
                                       "h UNSIGNED"};

/* The rows of n lanes' new tasks, padded to their shape's class with rows
 * of NULLs (sb_class), which every statement over them leaves out. */
static void
add_rows(strbuf *sql, arglist *a, const lane_add *v, size_t n)
{
    sb_rows(sql, add_cols, AT_COUNT(add_cols), sb_class(n));
    for (size_t i = 0; i < n; i++) {
        args_add(a, da_u64(v[i].key.business_id));
        args_add(a, da_u64(v[i].key.user_id));
        args_add(a, da_u64(v[i].key.type_id));
        args_add(a, da_i64(v[i].key.priority));
        args_add(a, da_u64(v[i].n));
        args_add(a, da_time(v[i].run_at));
        args_add(a, da_u64(v[i].id));
    }
    args_nulls(a, (sb_class(n) - n) * AT_COUNT(add_cols));
}

#define ENTER_INSERT                                                                               \
    "INSERT INTO lanes (business_id, user_id, task_type_id, priority, held, queued, head_run_at, " \
    "head_id, due) "
/* A new lane is held when a live rule names it; an existing one keeps its
 * flag (pauses keep it) and takes the new tasks' earliest as its head
 * when it comes first. ON DUPLICATE KEY UPDATE assigns left to right,
 * each assignment seeing the ones before. */
static const char enter_update[] =
    " ON DUPLICATE KEY UPDATE "
    "head_id = IF(queued = 0 OR head_run_at IS NULL OR "
    "(VALUES(head_run_at), VALUES(head_id)) < (head_run_at, head_id), VALUES(head_id), head_id), "
    "head_run_at = IF(head_id = VALUES(head_id), VALUES(head_run_at), head_run_at), "
    "queued = queued + VALUES(queued), due = head_run_at <= UTC_TIMESTAMP(6)";

/* Adds the tasks to their lanes, from a derived table of them. */
static int
enter_lanes(at_db *db, const lane_add *v, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, ENTER_INSERT "SELECT x.b, x.u, x.t, x.p, ");
    pause_held_sql(&sql, "x.b", "x.u", "x.t");
    sb_add(&sql, ", x.n, x.r, x.h, x.r <= UTC_TIMESTAMP(6) FROM ");
    add_rows(&sql, &a, v, n);
    sb_add(&sql, " x WHERE x.b IS NOT NULL");
    sb_add(&sql, enter_update);
    return db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
}

/* One lane: INSERT ... VALUES, the common case of a single enqueue. It
 * costs a third of the derived table's form, and takes no table lock for
 * the lane's id, where an INSERT ... SELECT holds the table's AUTO-INC
 * lock to its end and so queues concurrent enqueues behind each other. */
static int
enter_one(at_db *db, const lane_add *v, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, ENTER_INSERT "VALUES (?, ?, ?, ?, ");
    args_add(&a, da_u64(v->key.business_id));
    args_add(&a, da_u64(v->key.user_id));
    args_add(&a, da_u64(v->key.type_id));
    args_add(&a, da_i64(v->key.priority));
    if (v->held_known) {
        sb_add(&sql, "?");
        args_add(&a, da_i64(v->held));
    } else {
        /* business, user; business, type; then the platform's: user, type */
        pause_held_sql(&sql, "?", "?", "?");
        args_add(&a, da_u64(v->key.business_id));
        args_add(&a, da_u64(v->key.user_id));
        args_add(&a, da_u64(v->key.business_id));
        args_add(&a, da_u64(v->key.type_id));
        args_add(&a, da_u64(v->key.user_id));
        args_add(&a, da_u64(v->key.type_id));
    }
    sb_add(&sql, ", ?, ?, ?, ? <= UTC_TIMESTAMP(6))");
    args_add(&a, da_u64(v->n));
    args_add(&a, da_time(v->run_at));
    args_add(&a, da_u64(v->id));
    args_add(&a, da_time(v->run_at));
    sb_add(&sql, enter_update);
    return db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
}

/* Counts the new tasks as queued or paused, as their lanes are held or
 * not; the lanes are locked by enter_lanes. */
#define COUNT_INSERT "INSERT INTO task_counts (business_id, slot, queued, paused) "
#define COUNT_UPDATE                                                                               \
    " ON DUPLICATE KEY UPDATE queued = task_counts.queued + VALUES(queued), "                      \
    "paused = task_counts.paused + VALUES(paused)"

static int
count_entered(at_db *db, const lane_add *v, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, COUNT_INSERT "SELECT l.business_id, ?, SUM(IF(l.held, 0, x.n)), "
                              "SUM(IF(l.held, x.n, 0)) FROM ");
    args_add(&a, da_u64(db_slot(db)));
    add_rows(&sql, &a, v, n);
    sb_add(&sql, " x JOIN lanes l ON l.business_id = x.b AND l.user_id = x.u "
                 "AND l.task_type_id = x.t AND l.priority = x.p GROUP BY l.business_id");
    sb_add(&sql, COUNT_UPDATE);
    return db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
}

/* The same for one lane, read by its key. */
static int
count_one(at_db *db, const lane_add *v, at_error *err)
{
    db_arg a[] = {da_u64(db_slot(db)),        da_u64(v->n),           da_u64(v->n),
                  da_u64(v->key.business_id), da_u64(v->key.user_id), da_u64(v->key.type_id),
                  da_i64(v->key.priority)};
    return db_exec(db, 0,
                   COUNT_INSERT
                   "SELECT l.business_id, ?, IF(l.held, 0, ?), IF(l.held, ?, 0) "
                   "FROM lanes l FORCE INDEX (lanes_key) WHERE l.business_id = ? "
                   "AND l.user_id = ? AND l.task_type_id = ? AND l.priority = ?" COUNT_UPDATE,
                   a, AT_COUNT(a), NULL, NULL, err);
}

int
lanes_enter(at_db *db, const lane_add *v, size_t n, at_error *err)
{
    if (n == 0)
        return AT_OK;
    int rc = n == 1 ? enter_one(db, v, err) : enter_lanes(db, v, n, err);
    if (rc == AT_OK)
        rc = n == 1 ? count_one(db, v, err) : count_entered(db, v, n, err);
    return rc;
}

/* A column of the lane's first queued task. It reads the lane's
 * unfinished tasks in run_at order, so it passes over the lane's running
 * tasks only, a few per executor at most. */
#define HEAD_SQL(col)                                                                              \
    "(SELECT " col " FROM tasks FORCE INDEX (tasks_lane) WHERE business_id = lanes.business_id " \
    "AND user_id = lanes.user_id AND task_type_id = lanes.task_type_id "                          \
    "AND priority = lanes.priority AND finished = 0 AND state = 'queued' "                        \
    "ORDER BY run_at, id LIMIT 1)"

int
lane_refresh(at_db *db, const lane_key *k, int64_t delta, at_error *err)
{
    db_arg a[] = {da_i64(delta), da_u64(k->business_id), da_u64(k->user_id), da_u64(k->type_id),
                  da_i64(k->priority)};
    return db_exec(db, 0,
                   /* never below 0: a count made wrong around the library must not stop
                    * the lane's claims (counters check finds it, rebuild mends it) */
                   "UPDATE lanes FORCE INDEX (lanes_key) "
                   "SET queued = GREATEST(CAST(queued AS SIGNED) + ?, 0), "
                   "head_id = " HEAD_SQL("id") ", head_run_at = " HEAD_SQL("run_at") ", "
                   "due = head_run_at IS NOT NULL AND head_run_at <= UTC_TIMESTAMP(6) "
                   "WHERE business_id = ? AND user_id = ? AND task_type_id = ? AND priority = ?",
                   a, AT_COUNT(a), NULL, NULL, err);
}

int
lane_task_gone(at_db *db, const lane_key *k, at_error *err)
{
    db_arg a[] = {da_u64(k->business_id), da_u64(k->user_id), da_u64(k->type_id),
                  da_i64(k->priority)};
    uint64_t held = 0;
    int rc = db_query_u64(db, 0,
                          "SELECT held FROM lanes FORCE INDEX (lanes_key) WHERE business_id = ? "
                          "AND user_id = ? "
                          "AND task_type_id = ? AND priority = ? FOR UPDATE",
                          a, AT_COUNT(a), &held, err);
    if (rc == AT_ENOTFOUND)
        return AT_OK; /* a task written around the library: nothing to keep */
    if (rc == AT_OK)
        rc = lane_refresh(db, k, -1, err);
    counts_delta d = {.business_id = k->business_id};
    *(held ? &d.paused : &d.queued) = -1;
    if (rc == AT_OK)
        rc = counts_add(db, &d, 1, err);
    return rc;
}

int
lanes_refresh_business(at_db *db, uint64_t business_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    return db_exec(db, 0,
                   "UPDATE lanes SET head_id = " HEAD_SQL("id") ", head_run_at = " HEAD_SQL(
                       "run_at") ", due = head_run_at IS NOT NULL AND head_run_at <= "
                                 "UTC_TIMESTAMP(6) WHERE business_id = ?",
                   a, 1, NULL, NULL, err);
}

/* ---- held flags ---- */

struct flip {
    uint64_t id, business_id;
    unsigned queued;
    int held, want;
};

static int
fill_flip(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    struct flip *f = elem;
    f->id = db_u64(r, 0);
    f->queued = (unsigned) db_u64(r, 1);
    f->held = (int) db_i64(r, 2);
    f->business_id = db_u64(r, 3);
    return AT_OK;
}

/* The lanes of one target, locked, in (business, id) order after a
 * cursor: a user's or a task type's lanes of the business, or of every
 * business (business 0: a platform rule's target, through the same
 * indexes, which lead with the user and the type), or the business's held
 * lanes (after Resume All, when only rules were removed). */
static void
target_lanes_sql(strbuf *sql, arglist *a, uint64_t business_id, int scope, uint64_t target,
                 const lane_cursor *after, unsigned max)
{
    sb_add(sql, "SELECT id, queued, held, business_id FROM lanes ");
    if (scope == AT_SCOPE_USER)
        sb_add(sql, "FORCE INDEX (lanes_user) WHERE user_id = ? ");
    else if (scope == AT_SCOPE_TASK_TYPE)
        sb_add(sql, "FORCE INDEX (lanes_type) WHERE task_type_id = ? ");
    else
        sb_add(sql, "FORCE INDEX (lanes_held) WHERE held = ? ");
    /* the held lanes: "held = 1" takes the target's place */
    args_add(a, da_u64(scope == LANE_SCOPE_HELD ? 1 : target));
    if (business_id) {
        sb_add(sql, "AND business_id = ? AND id > ? ");
        args_add(a, da_u64(business_id));
        args_add(a, da_u64(after->id));
    } else {
        sb_add(sql, "AND (business_id > ? OR (business_id = ? AND id > ?)) ");
        args_add(a, da_u64(after->business_id));
        args_add(a, da_u64(after->business_id));
        args_add(a, da_u64(after->id));
    }
    sb_add(sql, "ORDER BY business_id, id LIMIT ? FOR UPDATE");
    args_add(a, da_u64(max));
}

/* Whether the live rules hold each of the locked lanes v[0..n), read by a
 * statement of its own: under READ COMMITTED its view is taken after the
 * locks are held, so it sees every change of rules that was made by a
 * transaction which held these lanes before (a business's change and a
 * platform change take different rows first; whichever flips a lane last
 * sees the other's rules). */
static int
lanes_want(at_db *db, struct flip *v, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    /* qualified: inside the twin's subqueries a bare business_id would be
     * the rule's own */
    sb_add(&sql, "SELECT l.id, ");
    pause_held_sql(&sql, "l.business_id", "l.user_id", "l.task_type_id");
    sb_add(&sql, " FROM lanes l WHERE l.id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(v[i].id));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ")");
    db_res r;
    int rc = sb_failed(&sql, &a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                 : db_query(db, 0, sql.p, a.v, (unsigned) a.n, &r, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        v[i].want = v[i].held; /* a lane gone meanwhile: left alone */
    while ((rc = db_fetch(&r, err)) == 1) {
        uint64_t id = db_u64(&r, 0);
        for (size_t i = 0; i < n; i++)
            if (v[i].id == id)
                v[i].want = (int) db_i64(&r, 1);
    }
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

/* Flips the lanes whose flag is not what the rules want, and moves their
 * queued tasks between the queued and paused totals of their businesses. */
static int
flip_lanes(at_db *db, const struct flip *v, size_t n, at_error *err)
{
    counts_acc acc = {0};
    strbuf up = {0};
    arglist ua = {0};
    size_t flips = 0;
    sb_add(&up, "UPDATE lanes SET held = NOT held WHERE id IN (");
    for (size_t i = 0; i < n; i++) {
        if (v[i].held == v[i].want)
            continue;
        sb_add(&up, flips++ ? ", ?" : "?");
        args_add(&ua, da_u64(v[i].id));
        int64_t to_paused = v[i].want ? (int64_t) v[i].queued : -(int64_t) v[i].queued;
        counts_delta *d = counts_acc_get(&acc, v[i].business_id);
        if (d) {
            d->queued -= to_paused;
            d->paused += to_paused;
        }
    }
    sb_add(&up, ")");
    int rc = acc.oom ? at_error_set(err, AT_ENOMEM, "out of memory")
             : flips ? db_exec_sb(db, 0, &up, &ua, NULL, NULL, err)
                     : AT_OK;
    sb_free(&up);
    args_free(&ua);
    if (rc == AT_OK && flips)
        rc = counts_acc_write(db, &acc, err);
    counts_acc_free(&acc);
    return rc;
}

/* Locks the lanes of the statement in sql and brings their flags in
 * line: *v the lanes read, *n how many. */
static int
rehold_locked(at_db *db, strbuf *sql, arglist *a, struct flip **v, size_t *n, at_error *err)
{
    *v = NULL;
    *n = 0;
    int rc = sb_failed(sql, a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                               : db_rows(db, 0, sql->p, a->v, (unsigned) a->n, sizeof **v,
                                         fill_flip, (void **) v, n, err);
    sb_free(sql);
    args_free(a);
    if (rc == AT_OK && *n)
        rc = lanes_want(db, *v, *n, err);
    if (rc == AT_OK && *n)
        rc = flip_lanes(db, *v, *n, err);
    return rc;
}

/* Brings the held flags of up to max lanes of one target, after the
 * cursor *after, in line with the live rules, and moves their queued
 * tasks between the queued and paused totals. *after becomes the last
 * lane seen; *done is set when no lane of the target is left after it.
 * The caller holds the row of the rules' owner (the business's, or the
 * platform's for business 0): exclusively for a change of rules, in share
 * mode for leftover work, so those rules cannot change meanwhile. */
int
lanes_rehold(at_db *db, uint64_t business_id, int scope, uint64_t target, unsigned max,
             lane_cursor *after, int *done, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    target_lanes_sql(&sql, &a, business_id, scope, target, after, max);
    struct flip *v = NULL;
    size_t n = 0;
    int rc = rehold_locked(db, &sql, &a, &v, &n, err);
    if (rc == AT_OK) {
        *done = n < max;
        if (n) {
            after->business_id = v[n - 1].business_id;
            after->id = v[n - 1].id;
        }
    }
    free(v);
    return rc;
}

int
lane_rehold_one(at_db *db, const lane_key *k, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT id, queued, held, business_id FROM lanes FORCE INDEX (lanes_key) "
                 "WHERE business_id = ? AND user_id = ? AND task_type_id = ? AND priority = ? "
                 "FOR UPDATE");
    args_add(&a, da_u64(k->business_id));
    args_add(&a, da_u64(k->user_id));
    args_add(&a, da_u64(k->type_id));
    args_add(&a, da_i64(k->priority));
    struct flip *v = NULL;
    size_t n = 0;
    int rc = rehold_locked(db, &sql, &a, &v, &n, err);
    free(v);
    return rc;
}

/* Inside a change of rules: the first chunk of each target at once, the
 * rest left as lane work for after the commit. */
int
lanes_rehold_target(at_db *db, uint64_t business_id, int scope, uint64_t target, int *left,
                    at_error *err)
{
    lane_cursor after = {0, 0};
    int done = 0;
    int rc = lanes_rehold(db, business_id, scope, target, LANE_CHUNK, &after, &done, err);
    if (rc || done)
        return rc;
    *left = 1;
    db_arg a[] = {da_u64(business_id),
                  da_str(scope == AT_SCOPE_USER        ? "user"
                         : scope == AT_SCOPE_TASK_TYPE ? "task_type"
                                                       : "business"),
                  da_u64(target), da_u64(after.business_id), da_u64(after.id)};
    return db_exec(db, 0,
                   "INSERT INTO lane_work (business_id, scope, target_id, after_business_id, "
                   "after_lane_id, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
                   a, AT_COUNT(a), NULL, NULL, err);
}

struct work {
    uint64_t id, business_id, target;
    lane_cursor after;
    int scope;
};

static int
fill_work(const db_res *r, void *elem, at_error *err)
{
    struct work *w = elem;
    const char *s = db_col(r, 2, NULL);
    w->id = db_u64(r, 0);
    w->business_id = db_u64(r, 1);
    w->scope = !s                           ? 0
               : strcmp(s, "user") == 0      ? AT_SCOPE_USER
               : strcmp(s, "task_type") == 0 ? AT_SCOPE_TASK_TYPE
                                            : LANE_SCOPE_HELD;
    w->target = db_u64(r, 3);
    w->after.business_id = db_u64(r, 4);
    w->after.id = db_u64(r, 5);
    return AT_OK;
}

/* One chunk of leftover lane work; *none when there is none. */
static int
work_tx(at_db *db, void *vctx, at_error *err)
{
    int *none = vctx;
    struct work w;
    int rc = db_row(db, 0,
                    "SELECT id, business_id, scope, target_id, after_business_id, after_lane_id "
                    "FROM lane_work "
                    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    NULL, 0, fill_work, &w, "lane work", err);
    *none = rc == AT_ENOTFOUND;
    if (rc)
        return *none ? AT_OK : rc;
    /* the row of the rules' owner: the business's, or the platform's */
    uint64_t bid;
    db_arg b[] = {da_u64(w.business_id)};
    rc = w.business_id
             ? db_query_u64(db, 0, "SELECT id FROM businesses WHERE id = ? LOCK IN SHARE MODE", b,
                            1, &bid, err)
             : db_query_u64(db, 0, "SELECT id FROM platform WHERE id = 1 LOCK IN SHARE MODE", NULL,
                            0, &bid, err);
    int done = 1;
    if (rc == AT_OK)
        rc = lanes_rehold(db, w.business_id, w.scope, w.target, LANE_CHUNK, &w.after, &done, err);
    else if (rc == AT_ENOTFOUND)
        rc = AT_OK; /* the business is gone: so is the work */
    db_arg a[] = {da_u64(w.after.business_id), da_u64(w.after.id), da_u64(w.id)};
    if (rc == AT_OK && done)
        rc = db_exec(db, 0, "DELETE FROM lane_work WHERE id = ?", a + 2, 1, NULL, NULL, err);
    else if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "UPDATE lane_work SET after_business_id = ?, after_lane_id = ? WHERE id = ?",
                     a, 3, NULL, NULL, err);
    return rc;
}

int
at_lane_work_run(at_db *db, unsigned budget_ms, unsigned *chunks, at_error *err)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned n = 0;
    int rc = AT_OK;
    for (;;) {
        int none = 0;
        if ((rc = db_tx(db, false, work_tx, &none, err)) || none)
            break;
        n++;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= budget_ms)
            break;
    }
    if (chunks)
        *chunks = n;
    return rc ? at_error_wrap(err, "lane bookkeeping") : AT_OK;
}

/* ---- the dispatcher's part ---- */

int
lanes_wake_due(at_db *db, uint64_t *woken, at_error *err)
{
    *woken = 0;
    /* A plain read first: most ticks find nothing, and then lock nothing
     * that claims and pauses are using. */
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = db_rows(db, DB_RETRY,
                     "SELECT id FROM lanes FORCE INDEX (lanes_waiting) WHERE due = 0 "
                     "AND head_run_at <= UTC_TIMESTAMP(6) AND queued > 0 ORDER BY id LIMIT 1000",
                     NULL, 0, sizeof *ids, db_fill_u64, (void **) &ids, &n, err);
    if (rc || n == 0) {
        free(ids);
        return rc;
    }
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "UPDATE lanes SET due = 1 WHERE due = 0 AND head_run_at <= UTC_TIMESTAMP(6) "
                 "AND queued > 0 AND id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(ids[i]));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ")");
    free(ids);
    rc = db_exec_sb(db, DB_RETRY, &sql, &a, woken, NULL, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}
