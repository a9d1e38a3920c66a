/* claim.c: claiming a batch of due tasks, and the re-check before each
 * run.
 *
 * The claim reads lanes, never held tasks: ready lanes (held by no rule,
 * with a due head) of the next business after the one this executor
 * served last, so executors turn over the businesses that have work and
 * no business waits behind another's backlog. Within the business it
 * takes the lanes in priority, then run_at order, locks the first ones
 * nobody else is claiming from (SKIP LOCKED), and takes their first due
 * tasks (SKIP LOCKED again). A business's cap on running tasks is
 * counted under its business_limits row, so two supervisors never exceed
 * it together.
 *
 * The re-check is a single statement outside any transaction: the task's
 * row, its business's row and the platform's row in share mode. A pause
 * takes the business's row (or, for all businesses, the platform's)
 * exclusively and bumps its epoch, so the statement either comes before
 * the pause's audit time or after its commit, and then sees the new
 * epoch; the executor's rules of an older epoch are read again and
 * matched by at_pause_match, the one evaluator. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CAND_LANES 4 /* lanes looked at per claim */
#define CLAIM_TRIES 4 /* businesses tried per claim */

void
at_claim_clear(at_claim *c)
{
    if (!c)
        return;
    free(c->payload);
    memset(c, 0, sizeof *c);
}

struct cand {
    uint64_t business_id, lane_id;
    lane_key key;
    unsigned cap;
    int locked;
    int visited; /* its tasks were read: its head and count are written anew */
    unsigned taken;
};

static int
fill_cand(const db_res *r, void *elem, at_error *err)
{
    struct cand *c = elem;
    memset(c, 0, sizeof *c);
    c->business_id = db_u64(r, 0);
    c->lane_id = db_u64(r, 1);
    c->key.business_id = c->business_id;
    c->key.user_id = db_u64(r, 2);
    c->key.type_id = db_u64(r, 3);
    c->key.priority = (int) db_i64(r, 4);
    c->cap = (unsigned) db_u64(r, 5);
    return AT_OK;
}

/* The candidate lanes statement: the best ready lanes of the given types
 * of the first business after a given one that has any. The business is
 * a constant of the statement (a scalar subquery read once,
 * from the ready index alone), so the lanes come in index order: no sort,
 * a few rows read. */
static void
cand_sql(strbuf *sql, arglist *a, const claim_req *q, uint64_t after)
{
    sb_add(sql, "SELECT l.business_id, l.id, l.user_id, l.task_type_id, l.priority, "
                "COALESCE(bl.max_running, ?) FROM lanes l FORCE INDEX (lanes_ready) "
                "LEFT JOIN business_limits bl ON bl.business_id = l.business_id "
                "WHERE l.ready = 1 AND l.task_type_id IN (");
    args_add(a, da_u64(q->cap_default));
    for (size_t i = 0; i < q->ntypes; i++)
        args_add(a, da_u64(q->types[i]));
    sb_in_list(sql, a, q->ntypes);
    sb_add(sql, ") AND l.business_id = (SELECT MIN(business_id) FROM lanes FORCE INDEX "
                "(lanes_ready) WHERE ready = 1 AND business_id > ? AND task_type_id IN (");
    args_add(a, da_u64(after));
    for (size_t i = 0; i < q->ntypes; i++)
        args_add(a, da_u64(q->types[i]));
    sb_in_list(sql, a, q->ntypes);
    sb_add(sql, ")) ORDER BY l.priority DESC, l.head_run_at, l.head_id LIMIT ?");
    args_add(a, da_u64(CAND_LANES));
}

static int
candidates(at_db *db, const claim_req *q, uint64_t after, struct cand **out, size_t *n,
           at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    cand_sql(&sql, &a, q, after);
    int rc = db_rows_sb(db, 0, &sql, &a, sizeof **out, fill_cand, (void **) out, n, err);
    return rc;
}

/* Room under the business's cap: its row in business_limits is locked
 * (made when missing) until the commit, then its running tasks counted.
 * The counter changes of this transaction so far are written first, so
 * the count includes them. */
static int
cap_room(at_db *db, uint64_t business_id, unsigned cap, counts_acc *acc, unsigned *room,
         at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    int rc = db_exec(db, 0,
                     "INSERT INTO business_limits (business_id) VALUES (?) "
                     "ON DUPLICATE KEY UPDATE business_id = business_id",
                     a, 1, NULL, NULL, err);
    if (rc == AT_OK) {
        rc = counts_acc_write(db, acc, err);
        counts_acc_free(acc);
    }
    uint64_t running = 0;
    if (rc == AT_OK)
        rc = db_query_u64(db, 0,
                          "SELECT COALESCE(SUM(running), 0) FROM task_counts WHERE business_id = ?",
                          a, 1, &running, err);
    *room = rc == AT_OK && running < cap ? cap - (unsigned) running : 0;
    return rc;
}

/* Locks the candidate lanes nobody else is claiming from, in id order;
 * when every one is taken, waits for the best. */
static int
lock_lanes(at_db *db, struct cand *c, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT id FROM lanes WHERE ready = 1 AND id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(c[i].lane_id));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ") ORDER BY id FOR UPDATE SKIP LOCKED");
    uint64_t *ids = NULL;
    size_t k = 0;
    int rc = db_rows_sb(db, 0, &sql, &a, sizeof *ids, db_fill_u64, (void **) &ids, &k, err);
    if (rc == AT_OK && k == 0) {
        db_arg w[] = {da_u64(c[0].lane_id)};
        rc = db_rows(db, 0, "SELECT id FROM lanes WHERE id = ? AND ready = 1 FOR UPDATE", w, 1,
                     sizeof *ids, db_fill_u64, (void **) &ids, &k, err);
    }
    for (size_t i = 0; rc == AT_OK && i < k; i++)
        for (size_t j = 0; j < n; j++)
            if (c[j].lane_id == ids[i])
                c[j].locked = 1;
    free(ids);
    return rc;
}

struct take_ctx {
    claimed *out;
    size_t n;
};

static int
fill_task(const db_res *r, void *elem, at_error *err)
{
    claimed *t = elem;
    memset(t, 0, sizeof *t);
    at_claim *c = &t->c;
    c->task_id = db_u64(r, 0);
    c->business_id = db_u64(r, 1);
    c->user_id = db_u64(r, 2);
    c->task_type_id = db_u64(r, 3);
    c->attempt = (unsigned) db_u64(r, 4) + 1;
    c->max_attempts = (unsigned) db_u64(r, 5);
    size_t size = (size_t) db_u64(r, 8);
    if (db_isnull(r, 6)) {
        c->payload = strdup("");
        c->payload_len = 0;
        return c->payload ? AT_OK : at_error_set(err, AT_ENOMEM, "out of memory");
    }
    size_t len;
    const char *p = db_col(r, 6, &len);
    at_error e;
    if (at_payload_decode((const unsigned char *) p, len, (int) db_i64(r, 7), size, &c->payload,
                          &e) != AT_OK) {
        /* A payload that cannot be read fails its task, not the claim. */
        t->payload_error = strdup(e.msg);
        c->payload = strdup("");
        return t->payload_error && c->payload ? AT_OK
                                              : at_error_set(err, AT_ENOMEM, "out of memory");
    }
    c->payload_len = size;
    return AT_OK;
}

/* Up to want due tasks of one lane, locked. */
static int
take_from_lane(at_db *db, const struct cand *c, unsigned want, claimed **out, size_t *n,
               at_error *err)
{
    db_arg a[] = {da_u64(c->key.business_id), da_u64(c->key.user_id), da_u64(c->key.type_id),
                  da_i64(c->key.priority), da_u64(want)};
    return db_rows(db, 0,
                   "SELECT id, business_id, user_id, task_type_id, attempts, max_attempts, "
                   "payload, payload_encoding, payload_size FROM tasks FORCE INDEX (tasks_lane) "
                   "WHERE business_id = ? AND user_id = ? AND task_type_id = ? AND priority = ? "
                   "AND finished = 0 AND state = 'queued' AND run_at <= UTC_TIMESTAMP(6) "
                   "ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
                   a, AT_COUNT(a), sizeof **out, fill_task, (void **) out, n, err);
}

static int
mark_running(at_db *db, uint64_t executor_id, const claimed *v, size_t n, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "UPDATE tasks SET state = 'running', attempts = attempts + 1, lease_owner = ?, "
                 "lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, started_at = NULL, "
                 "finished_at = NULL, duration_us = NULL, progress_done = 0, "
                 "progress_total = 0, version = version + 1, updated_at = UTC_TIMESTAMP(6) "
                 "WHERE id IN (");
    args_add(&a, da_u64(executor_id));
    args_add(&a, da_u64(AT_LEASE_S));
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(v[i].c.task_id));
    sb_in_list(&sql, &a, n);
    sb_add(&sql, ")");
    int rc = db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
    return rc;
}

static unsigned
type_limit(const claim_req *q, uint64_t type_id)
{
    for (size_t i = 0; i < q->ntypes; i++)
        if (q->types[i] == type_id)
            return q->limits ? q->limits[i] : 1;
    return 1;
}

/* Takes tasks from the locked lanes in their order, while the batch's
 * limit (the smallest of its types') allows. */
static int
take(at_db *db, const claim_req *q, struct cand *c, size_t nc, unsigned room, claimed *out,
     size_t *n, at_error *err)
{
    unsigned limit = q->max < room ? q->max : room;
    int rc = AT_OK;
    for (size_t i = 0; rc == AT_OK && i < nc && *n < limit; i++) {
        if (!c[i].locked)
            continue;
        unsigned tl = type_limit(q, c[i].key.type_id);
        if (*n && tl < limit)
            break; /* a slower type waits for a batch of its own */
        if (tl < limit)
            limit = tl;
        claimed *got = NULL;
        size_t k = 0;
        rc = take_from_lane(db, &c[i], limit - (unsigned) *n, &got, &k, err);
        for (size_t j = 0; j < k; j++)
            out[(*n)++] = got[j];
        c[i].taken = (unsigned) k;
        c[i].visited = 1;
        free(got);
    }
    return rc;
}

/* Lanes read (taken from, or found with nothing due after all) get their
 * count and head anew; lanes locked but not reached are as they were. */
static int
refresh_lanes(at_db *db, const struct cand *c, size_t nc, at_error *err)
{
    int rc = AT_OK;
    for (size_t i = 0; rc == AT_OK && i < nc; i++)
        if (c[i].visited)
            rc = lane_refresh(db, &c[i].key, -(int64_t) c[i].taken, err);
    return rc;
}

/* One business: *n tasks claimed (0: nothing there for us now). */
static int
claim_business(at_db *db, const claim_req *q, struct cand *c, size_t nc, claimed *out, size_t *n,
               counts_acc *acc, at_error *err)
{
    unsigned room = q->max;
    int rc = AT_OK;
    if (c[0].cap)
        rc = cap_room(db, c[0].business_id, c[0].cap, acc, &room, err);
    if (rc || room == 0)
        return rc;
    if ((rc = lock_lanes(db, c, nc, err)))
        return rc;
    if ((rc = take(db, q, c, nc, room, out, n, err)))
        return rc;
    if (*n && (rc = mark_running(db, q->executor_id, out, *n, err)))
        return rc;
    if ((rc = refresh_lanes(db, c, nc, err)))
        return rc;
    counts_delta *d = counts_acc_get(acc, c[0].business_id);
    if (!d)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    d->queued -= (int64_t) *n;
    d->running += (int64_t) *n;
    return AT_OK;
}

int
claim_in_tx(at_db *db, const claim_req *q, claimed *out, size_t *n, uint64_t *business,
            counts_acc *acc, at_error *err)
{
    *n = 0;
    *business = 0;
    uint64_t after = q->after_business;
    int wrapped = after == 0;
    int rc = AT_OK;
    for (int tries = 0; rc == AT_OK && tries < CLAIM_TRIES && *n == 0; tries++) {
        struct cand *c = NULL;
        size_t nc = 0;
        if ((rc = candidates(db, q, after, &c, &nc, err)))
            break;
        if (nc == 0) {
            free(c);
            if (wrapped)
                break; /* no business has a ready lane */
            wrapped = 1;
            after = 0;
            continue;
        }
        *business = c[0].business_id;
        rc = claim_business(db, q, c, nc, out, n, acc, err);
        after = c[0].business_id;
        free(c);
    }
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            claimed_clear(&out[i]);
        *n = 0;
    }
    return rc;
}

void
claimed_clear(claimed *t)
{
    at_claim_clear(&t->c);
    free(t->payload_error);
    t->payload_error = NULL;
}

/* ---- the re-check ---- */

static int
fill_recheck(const db_res *r, void *elem, at_error *err)
{
    recheck_res *x = elem;
    x->mine = (int) db_i64(r, 0);
    x->cancel = (int) db_i64(r, 1);
    x->epoch = db_u64(r, 2);
    x->platform_epoch = db_u64(r, 3);
    x->now = db_time(r, 4);
    return AT_OK;
}

int
recheck(at_db *db, uint64_t executor_id, uint64_t task_id, recheck_res *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    db_arg a[] = {da_u64(executor_id), da_u64(task_id)};
    /* SYSDATE, not UTC_TIMESTAMP: the time when the row locks are held
     * (after any wait for a pause or resume), not when the statement
     * began. The session's time zone is UTC. */
    int rc = db_row(db, 0,
                    "SELECT t.state = 'running' AND t.lease_owner <=> ?, t.cancel_requested, "
                    "b.pause_epoch, p.pause_epoch, SYSDATE(6) FROM tasks t "
                    "JOIN businesses b ON b.id = t.business_id JOIN platform p ON p.id = 1 "
                    "WHERE t.id = ? LOCK IN SHARE MODE",
                    a, AT_COUNT(a), fill_recheck, out, "claimed task", err);
    if (rc == AT_ENOTFOUND) { /* deleted meanwhile: not ours to run */
        out->mine = 0;
        rc = AT_OK;
    }
    return rc;
}

/* ---- the plan, for operators and tests ---- */

int
at_claim_explain(at_db *db, const uint64_t *type_ids, size_t ntypes, char **plan, at_error *err)
{
    *plan = NULL;
    if (ntypes == 0 || ntypes > AT_CLAIM_TYPES_MAX)
        return at_error_set(err, AT_EINVAL, "claim: 1 to %d task types, not %zu",
                            AT_CLAIM_TYPES_MAX, ntypes);
    claim_req q = {.types = type_ids, .ntypes = ntypes, .max = 1};
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "EXPLAIN ");
    cand_sql(&sql, &a, &q, 0);
    int rc = sb_failed(&sql, &a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                 : db_explain(db, sql.p, a.v, (unsigned) a.n, plan, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        return rc;
    /* and the read of a lane's tasks */
    char *lane = NULL;
    db_arg l[] = {da_u64(0), da_u64(0), da_u64(0), da_i64(0), da_u64(16)};
    rc = db_explain(db,
                    "EXPLAIN SELECT id FROM tasks FORCE INDEX (tasks_lane) "
                    "WHERE business_id = ? AND user_id = ? AND task_type_id = ? AND priority = ? "
                    "AND finished = 0 AND state = 'queued' AND run_at <= UTC_TIMESTAMP(6) "
                    "ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
                    l, AT_COUNT(l), &lane, err);
    if (rc == AT_OK) {
        char *both = malloc(strlen(*plan) + strlen(lane) + 1);
        if (both) {
            strcpy(both, *plan);
            strcat(both, lane);
            free(*plan);
            *plan = both;
        } else {
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
        }
    }
    free(lane);
    if (rc) {
        free(*plan);
        *plan = NULL;
    }
    return rc;
}
