/* enqueue.c: new tasks, one at a time or many in one transaction.
 *
 * Every way in (the CLI, the HTTP API, the C client, demo data) comes
 * through here, so the checks are made once: priority, run-at, the payload
 * against its type's parameters, membership of the user in the business. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* After an enqueue matched nothing, finds out which reference was wrong. */
static int
explain_missing(at_db *db, const at_enqueue *req, at_error *err)
{
    at_business b;
    at_user u;
    at_task_type t;
    at_error tmp;
    if (at_business_get_by_id(db, req->business_id, &b, &tmp))
        return at_error_set(err, tmp.code, "%s", tmp.msg);
    if (at_user_get_by_id(db, req->user_id, &u, &tmp))
        return at_error_set(err, tmp.code, "%s", tmp.msg);
    if (at_task_type_get_by_id(db, req->task_type_id, &t, &tmp))
        return at_error_set(err, tmp.code, "%s", tmp.msg);
    return at_error_set(err, AT_ENOTFOUND, "user '%s' is not a member of business '%s'", u.email,
                        b.slug);
}

/* What can be checked without writing. */
static int
check_request(at_db *db, const at_enqueue *req, at_error *err)
{
    int rc = at_task_check_priority(req->priority, err);
    if (rc)
        return rc;
    if (req->run_at < 0)
        return at_error_set(err, AT_EINVAL, "run-at time is before 1970");
    return at_task_check_payload(db, req->task_type_id, req->payload, req->payload_len, err);
}

/* One INSERT ... SELECT copies the names the list sorts on and the type's
 * attempt limit, and proves membership: all or nothing. */
static int
insert_one(at_db *db, const at_enqueue *req, uint64_t *id, at_error *err)
{
    unsigned char *blob = NULL;
    size_t bloblen = 0;
    int enc = 0;
    int rc;
    if (req->payload &&
        (rc = at_payload_encode(req->payload, req->payload_len, &blob, &bloblen, &enc, err)))
        return rc;
    db_arg a[] = {da_i64(req->priority),
                  da_time(req->run_at),
                  req->payload ? da_blob(blob, bloblen) : da_null(),
                  da_i64(enc),
                  da_u64(req->payload ? req->payload_len : 0),
                  da_u64(req->task_type_id),
                  da_u64(req->business_id),
                  da_u64(req->user_id)};
    uint64_t affected = 0, newid = 0;
    rc = db_exec(db, 0,
                 "INSERT INTO tasks (business_id, user_id, task_type_id, user_name, type_name, "
                 "priority, run_at, max_attempts, payload, payload_encoding, payload_size, "
                 "created_at, updated_at) "
                 "SELECT m.business_id, u.id, t.id, u.name, t.name, ?, "
                 "COALESCE(?, UTC_TIMESTAMP(6)), t.max_attempts, ?, ?, ?, "
                 "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) "
                 "FROM memberships m JOIN users u ON u.id = m.user_id "
                 "JOIN task_types t ON t.id = ? "
                 "WHERE m.business_id = ? AND m.user_id = ?",
                 a, AT_COUNT(a), &affected, &newid, err);
    free(blob);
    if (rc)
        return rc;
    if (affected == 0)
        return explain_missing(db, req, err);
    if (id)
        *id = newid;
    return AT_OK;
}

int
at_task_enqueue(at_db *db, const at_enqueue *req, uint64_t *id, at_error *err)
{
    int rc = check_request(db, req, err);
    if (rc == AT_OK)
        rc = insert_one(db, req, id, err);
    if (rc)
        return at_error_wrap(err, "enqueue");
    at_wake(db);
    return AT_OK;
}

struct many_ctx {
    const at_enqueue *reqs;
    size_t n;
    uint64_t *ids;
    at_error *item_errs;
    size_t nbad;
    size_t first_bad;
};

static int
many_tx(at_db *db, void *vctx, at_error *err)
{
    struct many_ctx *x = vctx;
    x->nbad = 0; /* a rerun after a deadlock starts afresh */
    for (size_t i = 0; i < x->n; i++) {
        uint64_t id = 0;
        at_error e = {0};
        int rc = insert_one(db, &x->reqs[i], &id, &e);
        if (rc == AT_EDB || rc == AT_ENOMEM) {
            *err = e;
            return rc;
        }
        if (rc) {
            if (x->item_errs)
                x->item_errs[i] = e;
            if (x->nbad++ == 0) {
                x->first_bad = i;
                *err = e;
            }
            continue;
        }
        if (x->ids)
            x->ids[i] = id;
    }
    return x->nbad ? err->code : AT_OK;
}

int
at_task_enqueue_many(at_db *db, const at_enqueue *reqs, size_t n, uint64_t *ids,
                     at_error *item_errs, at_error *err)
{
    if (n == 0 || n > AT_ENQUEUE_MANY_MAX)
        return at_error_set(err, AT_EINVAL, "enqueue: 1 to %d tasks at once, not %zu",
                            AT_ENQUEUE_MANY_MAX, n);
    struct many_ctx x = {reqs, n, ids, item_errs, 0, 0};
    if (item_errs)
        memset(item_errs, 0, n * sizeof *item_errs);
    /* Checks first, every item: the caller hears of each bad one. */
    for (size_t i = 0; i < n; i++) {
        at_error e = {0};
        int rc = check_request(db, &reqs[i], &e);
        if (rc == AT_EDB || rc == AT_ENOMEM) {
            *err = e;
            return at_error_wrap(err, "enqueue");
        }
        if (rc) {
            if (item_errs)
                item_errs[i] = e;
            if (x.nbad++ == 0) {
                x.first_bad = i;
                *err = e;
            }
        }
    }
    int rc = x.nbad ? err->code : db_tx(db, false, many_tx, &x, err);
    if (rc && x.nbad) {
        at_error first = *err;
        if (x.nbad == 1)
            return at_error_set(err, first.code, "enqueue: task %zu of %zu: %s: nothing was enqueued",
                                x.first_bad + 1, n, first.msg);
        return at_error_set(err, first.code,
                            "enqueue: %zu of %zu tasks are invalid, the first is task %zu: %s: "
                            "nothing was enqueued",
                            x.nbad, n, x.first_bad + 1, first.msg);
    }
    if (rc)
        return at_error_wrap(err, "enqueue");
    at_wake(db);
    return AT_OK;
}
