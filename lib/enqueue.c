/* enqueue.c: new tasks, one or many in one transaction.
 *
 * Every way in (the CLI, the HTTP API, the C client, demo data) comes
 * through here, so the checks are made once: priority, run-at, the user's
 * membership of the business, the task type, the payload against the
 * type's parameters. One statement resolves and checks every item and
 * takes the businesses' rows in share mode: a pause (which takes its
 * business's row exclusively) either committed before, and the new tasks'
 * lanes are born held, or waits for this transaction to commit and then
 * flips their lanes itself. Then one multi-row INSERT, the lanes and the
 * counters. The executors are woken once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* enqueue's answer for a key that gave back its first task */
#define AT_EXISTING 1

/* One request as the transaction sees it. */
struct item {
    const at_enqueue *req;
    int resolved;
    char user_name[AT_NAME_BUF];
    char type_name[AT_TYPE_NAME_BUF];
    unsigned max_attempts;
    char *params; /* the type's declarations, as stored */
    unsigned char *blob;
    size_t bloblen;
    int enc;
};

struct many_ctx {
    const at_enqueue *reqs;
    /* a single request by names (at_task_enqueue_named): its email and
     * type name, the ids the statement found, whether a rule holds it */
    const char *email, *type_name;
    at_enqueue named;
    int held;
    bool unresolved;
    size_t n;
    uint64_t *ids;
    at_error *item_errs;
    struct item *items;
    at_time now;
    size_t nbad, first_bad;
    at_error first;
    /* the last type's decoded parameters: items mostly share a type */
    uint64_t decl_type;
    at_param_decl *decls;
    size_t ndecls;
    /* a single request's idempotency key: the request's hash, whether
     * the key's INSERT found it taken, and the task it stands for */
    unsigned char hash[32];
    bool key_taken;
    uint64_t existing;
};

static void
items_clear(struct many_ctx *x)
{
    free(x->decls);
    x->decls = NULL;
    x->ndecls = 0;
    x->decl_type = 0;
    for (size_t i = 0; i < x->n; i++) {
        free(x->items[i].params);
        free(x->items[i].blob);
    }
    memset(x->items, 0, x->n * sizeof *x->items);
}

/* Records what is wrong with item i. */
static void
item_bad(struct many_ctx *x, size_t i, const at_error *e)
{
    if (x->item_errs)
        x->item_errs[i] = *e;
    if (x->nbad++ == 0) {
        x->first_bad = i;
        x->first = *e;
    }
}

static const char *const item_cols[] = {"i UNSIGNED", "b UNSIGNED", "u UNSIGNED", "t UNSIGNED"};

static int
fill_resolved(const db_res *r, void *elem, at_error *err)
{
    struct many_ctx *x = elem;
    uint64_t i = db_u64(r, 0);
    if (i >= x->n)
        return at_error_set(err, AT_EDB, "enqueue: the database answered for item %llu",
                            (unsigned long long) i);
    struct item *it = &x->items[i];
    bool oom = false;
    it->resolved = 1;
    db_copy(r, 1, it->user_name, sizeof it->user_name);
    db_copy(r, 2, it->type_name, sizeof it->type_name);
    it->max_attempts = (unsigned) db_u64(r, 3);
    it->params = db_dup(r, 4, &oom);
    x->now = db_time(r, 5);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

/* Resolves every item in one statement: the names the list sorts on, the
 * type's attempt limit and parameters, the membership, the clock; and
 * takes the businesses' (and the rows it reads') locks in share mode. */
static int
resolve(at_db *db, struct many_ctx *x, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT x.i, u.name, t.name, t.max_attempts, t.params, UTC_TIMESTAMP(6) FROM ");
    sb_rows(&sql, item_cols, AT_COUNT(item_cols), sb_class(x->n)); /* NULL rows join nothing */
    sb_add(&sql, " x JOIN businesses b ON b.id = x.b "
                 "JOIN memberships m ON m.business_id = x.b AND m.user_id = x.u "
                 "JOIN users u ON u.id = x.u JOIN task_types t ON t.id = x.t "
                 "LOCK IN SHARE MODE");
    for (size_t i = 0; i < x->n; i++) {
        args_add(&a, da_u64(i));
        args_add(&a, da_u64(x->reqs[i].business_id));
        args_add(&a, da_u64(x->reqs[i].user_id));
        args_add(&a, da_u64(x->reqs[i].task_type_id));
    }
    args_nulls(&a, (sb_class(x->n) - x->n) * AT_COUNT(item_cols));
    db_res r;
    int rc = sb_failed(&sql, &a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                 : db_query(db, 0, sql.p, a.v, (unsigned) a.n, &r, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        return rc;
    while ((rc = db_fetch(&r, err)) == 1)
        if ((rc = fill_resolved(&r, x, err)))
            break;
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

static int
fill_named(const db_res *r, void *elem, at_error *err)
{
    struct many_ctx *x = elem;
    int rc = fill_resolved(r, x, err);
    x->named.user_id = db_u64(r, 6);
    x->named.task_type_id = db_u64(r, 7);
    x->held = db_i64(r, 8) != 0;
    return rc;
}

/* The single request by names: the same row as resolve's, with the ids
 * the names stand for and whether a live rule holds the new task (the
 * rules cannot change meanwhile: a pause takes the business's row
 * exclusively). No row: the email is no member, or the type is unknown. */
static int
resolve_named(at_db *db, struct many_ctx *x, at_error *err)
{
    strbuf sql = {0};
    sb_add(&sql,
           "SELECT 0, u.name, t.name, t.max_attempts, t.params, UTC_TIMESTAMP(6), u.id, t.id, ");
    pause_held_sql(&sql, "b.id", "u.id", "t.id");
    sb_add(&sql, " FROM businesses b JOIN users u ON u.email = ? "
                 "JOIN memberships m ON m.business_id = b.id AND m.user_id = u.id "
                 "JOIN task_types t ON t.name = ? WHERE b.id = ? LOCK IN SHARE MODE");
    db_arg a[] = {da_str(x->email), da_str(x->type_name), da_u64(x->named.business_id)};
    int rc = sb_failed(&sql, NULL) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                   : db_row(db, 0, sql.p, a, AT_COUNT(a), fill_named, x,
                                            "the task's user and type", err);
    sb_free(&sql);
    if (rc == AT_ENOTFOUND)
        x->unresolved = true;
    return rc;
}

/* An item the resolving statement did not return: which reference was
 * wrong. */
static int
explain_missing(at_db *db, const at_enqueue *req, at_error *err)
{
    at_business b;
    at_user u;
    at_task_type t;
    int rc;
    if ((rc = at_business_get_by_id(db, req->business_id, &b, err)) ||
        (rc = at_user_get_by_id(db, req->user_id, &u, err)) ||
        (rc = at_task_type_get_by_id(db, req->task_type_id, &t, err)))
        return rc;
    return at_error_set(err, AT_ENOTFOUND, "user '%s' is not a member of business '%s'", u.email,
                        b.slug);
}

/* The declarations of item i's type, decoded once per type: items
 * mostly share a type. */
static int
decls_of(struct many_ctx *x, size_t i, const at_param_decl **d, size_t *n, at_error *err)
{
    struct item *it = &x->items[i];
    *d = NULL;
    *n = 0;
    if (!it->resolved || !it->params || !it->params[0])
        return AT_OK;
    if (x->decl_type != it->req->task_type_id) {
        free(x->decls);
        x->decls = NULL;
        x->ndecls = 0;
        x->decl_type = 0;
        int rc = at_params_decode(it->params, &x->decls, &x->ndecls, err);
        if (rc)
            return rc;
        x->decl_type = it->req->task_type_id;
    }
    *d = x->decls;
    *n = x->ndecls;
    return AT_OK;
}

/* Every check of every item, so the caller hears of each bad one. */
static int
check_items(at_db *db, struct many_ctx *x, at_error *err)
{
    for (size_t i = 0; i < x->n; i++) {
        at_error e = {0};
        struct item *it = &x->items[i];
        const at_param_decl *d;
        size_t nd;
        int rc = decls_of(x, i, &d, &nd, &e);
        if (rc == AT_OK)
            rc = at_task_check_request(it->req, d, nd, &e);
        if (rc == AT_OK && !it->resolved)
            rc = explain_missing(db, it->req, &e);
        if (rc == AT_OK && it->req->payload)
            rc = at_payload_encode(it->req->payload, it->req->payload_len, &it->blob,
                                   &it->bloblen, &it->enc, &e);
        if (rc == AT_EDB || rc == AT_ENOMEM) {
            *err = e;
            return rc;
        }
        if (rc)
            item_bad(x, i, &e);
    }
    return x->nbad ? x->first.code : AT_OK;
}

/* One multi-row INSERT; the ids of a single statement's rows follow each
 * other (InnoDB hands out a multi-row INSERT's ids as one block). */
static int
insert_items(at_db *db, struct many_ctx *x, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "INSERT INTO tasks (business_id, user_id, task_type_id, user_name, type_name, "
                 "priority, run_at, max_attempts, payload, payload_encoding, payload_size, "
                 "created_at, updated_at) VALUES ");
    for (size_t i = 0; i < x->n; i++) {
        const struct item *it = &x->items[i];
        const at_enqueue *req = it->req;
        sb_add(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                       : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        args_add(&a, da_u64(req->business_id));
        args_add(&a, da_u64(req->user_id));
        args_add(&a, da_u64(req->task_type_id));
        args_add(&a, da_str(it->user_name));
        args_add(&a, da_str(it->type_name));
        args_add(&a, da_i64(req->priority));
        args_add(&a, da_time(req->run_at ? req->run_at : x->now));
        args_add(&a, da_u64(it->max_attempts));
        args_add(&a, req->payload ? da_blob(it->blob, it->bloblen) : da_null());
        args_add(&a, da_i64(it->enc));
        args_add(&a, da_u64(req->payload ? req->payload_len : 0));
        args_add(&a, da_time(x->now));
        args_add(&a, da_time(x->now));
    }
    uint64_t first = 0, affected = 0;
    int rc = db_exec_sb(db, 0, &sql, &a, &affected, &first, err);
    if (rc == AT_OK && affected != x->n)
        rc = at_error_set(err, AT_EDB, "enqueue: %llu of %zu rows were written",
                          (unsigned long long) affected, x->n);
    for (size_t i = 0; rc == AT_OK && i < x->n; i++)
        x->ids[i] = first + i;
    return rc;
}

static int
same_lane(const lane_key *a, const lane_key *b)
{
    return a->business_id == b->business_id && a->user_id == b->user_id &&
           a->type_id == b->type_id && a->priority == b->priority;
}

/* The new tasks by lane: how many, and the first by (run_at, id). */
static int
enter_lanes(at_db *db, struct many_ctx *x, at_error *err)
{
    lane_add *v = calloc(x->n, sizeof *v);
    if (!v)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t nv = 0;
    for (size_t i = 0; i < x->n; i++) {
        const at_enqueue *req = x->items[i].req;
        lane_key k = {req->business_id, req->user_id, req->task_type_id, req->priority};
        at_time run_at = req->run_at ? req->run_at : x->now;
        size_t j = 0;
        while (j < nv && !same_lane(&v[j].key, &k))
            j++;
        if (j == nv)
            v[nv++] = (lane_add){k, 0, run_at, x->ids[i], x->email != NULL, x->held};
        v[j].n++;
        if (run_at < v[j].run_at) {
            v[j].run_at = run_at;
            v[j].id = x->ids[i];
        }
    }
    int rc = lanes_enter(db, v, nv, err);
    free(v);
    return rc;
}

/* The single request's key, beside its task: a key another transaction
 * wrote first makes this one roll back (key_taken), and waits for that
 * one's commit first (the key is the table's primary key). */
static int
write_key(at_db *db, struct many_ctx *x, at_error *err)
{
    const at_enqueue *req = x->items[0].req;
    idem_hash(req, x->hash);
    int rc = idem_insert(db, req->business_id, req->idem_key, x->hash, x->ids[0], x->now, err);
    x->key_taken = rc == AT_ECONFLICT;
    return rc;
}

/* Resolves and checks every item, writing nothing. */
static int
many_check(at_db *db, struct many_ctx *x, at_error *err)
{
    items_clear(x);
    x->nbad = 0; /* a rerun after a deadlock starts afresh */
    for (size_t i = 0; i < x->n; i++)
        x->items[i].req = &x->reqs[i];
    x->unresolved = false;
    x->key_taken = false;
    int rc = x->email ? resolve_named(db, x, err) : resolve(db, x, err);
    if (rc == AT_OK)
        rc = check_items(db, x, err);
    return rc;
}

static int
many_tx(at_db *db, void *vctx, at_error *err)
{
    struct many_ctx *x = vctx;
    int rc = many_check(db, x, err);
    if (rc == AT_OK)
        rc = insert_items(db, x, err);
    if (rc == AT_OK && x->reqs[0].idem_key)
        rc = write_key(db, x, err);
    if (rc == AT_OK)
        rc = enter_lanes(db, x, err);
    return rc;
}

/* After a rollback for a taken key: what the key stands for. The task it
 * was first used for (x->existing); *again when the key has expired (it
 * is forgotten) or was removed meanwhile, and the enqueue may run again. */
static int
key_outcome(at_db *db, struct many_ctx *x, bool *again, at_error *err)
{
    const at_enqueue *req = &x->reqs[0];
    uint64_t task_id = 0;
    int state;
    *again = false;
    int rc = idem_lookup(db, req->business_id, req->idem_key, x->hash, &task_id, &state, err);
    if (rc)
        return rc;
    switch (state) {
    case IDEM_SAME: x->existing = task_id; return AT_OK;
    case IDEM_OTHER:
        return at_error_set(err, AT_ECONFLICT,
                            "enqueue: idempotency key '%s' was used for another request (task "
                            "#%llu) in the last 24 hours: a key stands for one request",
                            req->idem_key, (unsigned long long) task_id);
    case IDEM_GONE:
        return at_error_set(err, AT_ECONFLICT,
                            "enqueue: idempotency key '%s' was used for task #%llu, which has "
                            "been deleted since",
                            req->idem_key, (unsigned long long) task_id);
    case IDEM_EXPIRED: rc = idem_forget_expired(db, req->business_id, req->idem_key, err); break;
    default: break;
    }
    *again = rc == AT_OK;
    return rc;
}

/* The enqueue's transaction, and with a key that was taken, what it
 * stands for; a key that expired or went meanwhile lets it run again (a
 * few times: each time another enqueue took it first). */
static int
run_tx(at_db *db, struct many_ctx *x, at_error *err)
{
    x->existing = 0;
    for (int tries = 0;; tries++) {
        int rc = db_tx(db, false, many_tx, x, err);
        if (!(rc && x->key_taken) || tries == 3)
            return rc;
        bool again;
        rc = key_outcome(db, x, &again, err);
        if (!again)
            return rc;
    }
}

/* The business of every request, or 0 when they name several. */
static uint64_t
one_business(const at_enqueue *reqs, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (reqs[i].business_id != reqs[0].business_id)
            return 0;
    return n ? reqs[0].business_id : 0;
}

/* The one request of x as at_task_enqueue_named's caller sees it; a
 * name that does not resolve is the error. */
static int
explain_named(at_db *db, const struct many_ctx *x, at_error *err)
{
    at_user u;
    at_task_type t;
    int role;
    int rc = at_member_get(db, x->named.business_id, x->email, &u, &role, err);
    if (rc == AT_ENOTFOUND || (rc == AT_OK && role == AT_ROLE_NONE))
        return at_error_set(err, AT_ENOTFOUND, "user '%s' is not a member of this business",
                            x->email);
    if (rc == AT_OK)
        rc = at_task_type_get(db, x->type_name, &t, err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no task type '%s'", x->type_name);
    return rc;
}

/* The new task of x's one request, as insert_items wrote it; the
 * columns it leaves to their defaults (schema 001) are a new task's:
 * version 1, no attempt, no progress, no duration. */
static int
written_task(const struct many_ctx *x, at_task *t, at_error *err)
{
    const struct item *it = &x->items[0];
    const at_enqueue *req = it->req;
    memset(t, 0, sizeof *t);
    t->id = x->ids[0];
    t->business_id = req->business_id;
    t->user_id = req->user_id;
    t->task_type_id = req->task_type_id;
    memcpy(t->user_name, it->user_name, sizeof t->user_name);
    memcpy(t->type_name, it->type_name, sizeof t->type_name);
    t->state = AT_TASK_QUEUED;
    t->priority = req->priority;
    t->run_at = req->run_at ? req->run_at : x->now;
    t->created_at = t->updated_at = x->now;
    t->max_attempts = it->max_attempts;
    t->version = 1;
    t->duration_us = -1;
    t->payload_size = req->payload ? req->payload_len : 0;
    if (req->payload && !(t->payload = strndup(req->payload, req->payload_len)))
        return at_error_set(err, AT_ENOMEM, "out of memory");
    return AT_OK;
}

static int
enqueue(at_db *db, const at_enqueue *reqs, size_t n, uint64_t *ids, at_error *item_errs,
        at_error *err)
{
    struct item *items = calloc(n, sizeof *items);
    uint64_t *own_ids = ids ? NULL : calloc(n, sizeof *own_ids);
    if (!items || (!ids && !own_ids)) {
        free(items);
        free(own_ids);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    if (item_errs)
        memset(item_errs, 0, n * sizeof *item_errs);
    struct many_ctx x = {.reqs = reqs, .n = n, .ids = ids ? ids : own_ids,
                         .item_errs = item_errs, .items = items};
    int rc = run_tx(db, &x, err);
    items_clear(&x);
    free(items);
    free(own_ids);
    if (rc && x.nbad) {
        if (n == 1)
            return at_error_set(err, x.first.code, "enqueue: %s", x.first.msg);
        at_error_items(err, &x.first, x.first_bad, x.nbad, n);
        return err ? at_error_nothing_enqueued(err) : x.first.code;
    }
    if (rc)
        return x.key_taken ? rc : at_error_wrap(err, "enqueue");
    if (x.existing) {
        if (ids)
            ids[0] = x.existing; /* the key's task: nothing new to wake for */
        return AT_EXISTING;
    }
    at_wake(db, one_business(reqs, n));
    return AT_OK;
}

int
at_task_enqueue_keyed(at_db *db, const at_enqueue *req, uint64_t *id, int *existing,
                      at_error *err)
{
    uint64_t newid = 0;
    char key[AT_IDEM_KEY_BUF];
    at_enqueue r = *req;
    int rc = req->idem_key ? at_idem_key_parse(req->idem_key, key, err) : AT_OK;
    if (rc)
        return rc;
    if (req->idem_key)
        r.idem_key = key;
    rc = enqueue(db, &r, 1, &newid, NULL, err);
    if (existing)
        *existing = rc == AT_EXISTING;
    if (rc == AT_EXISTING)
        rc = AT_OK;
    if (rc == AT_OK && id)
        *id = newid;
    return rc;
}

int
at_task_enqueue(at_db *db, const at_enqueue *req, uint64_t *id, at_error *err)
{
    return at_task_enqueue_keyed(db, req, id, NULL, err);
}

int
at_task_enqueue_many(at_db *db, const at_enqueue *reqs, size_t n, uint64_t *ids,
                     at_error *item_errs, at_error *err)
{
    if (n == 0 || n > AT_ENQUEUE_MANY_MAX)
        return at_error_set(err, AT_EINVAL, "enqueue: 1 to %d tasks at once, not %zu",
                            AT_ENQUEUE_MANY_MAX, n);
    for (size_t i = 0; i < n; i++)
        if (reqs[i].idem_key)
            return at_error_set(err, AT_EINVAL,
                                "enqueue: an idempotency key goes with a single task, not with "
                                "task %zu of %zu",
                                i + 1, n);
    return enqueue(db, reqs, n, ids, item_errs, err);
}

/* One try of at_task_enqueue_named; *again: the names did not resolve
 * in the transaction but do now (a membership or type added meanwhile). */
static int
enqueue_named(at_db *db, struct many_ctx *x, bool *again, at_error *err)
{
    *again = false;
    int rc = run_tx(db, x, err);
    if (rc && x->key_taken)
        return rc;
    if (rc && x->unresolved) {
        rc = explain_named(db, x, err);
        *again = rc == AT_OK;
        return rc ? rc : AT_ENOTFOUND;
    }
    if (rc && x->nbad)
        return at_error_set(err, x->first.code, "enqueue: %s", x->first.msg);
    return rc ? at_error_wrap(err, "enqueue") : AT_OK;
}

int
at_task_enqueue_named(at_db *db, const at_enqueue *req, const char *user_email,
                      const char *type_name, at_task *out, int *held, int *existing,
                      at_error *err)
{
    memset(out, 0, sizeof *out);
    *held = 0;
    if (existing)
        *existing = 0;
    char key[AT_IDEM_KEY_BUF];
    int rc = at_check_email(user_email, err);
    if (rc == AT_OK)
        rc = at_check_type_name(type_name, err);
    if (rc == AT_OK && req->idem_key)
        rc = at_idem_key_parse(req->idem_key, key, err);
    if (rc)
        return rc;
    struct item item = {0};
    uint64_t id = 0;
    struct many_ctx x = {.reqs = &x.named, .n = 1, .ids = &id, .items = &item,
                         .email = user_email, .type_name = type_name, .named = *req};
    x.named.user_id = x.named.task_type_id = 0;
    if (req->idem_key)
        x.named.idem_key = key;
    bool again = true;
    for (int tries = 0; again && tries < 2; tries++)
        rc = enqueue_named(db, &x, &again, err);
    if (again)
        rc = at_error_set(err, AT_EDB,
                          "enqueue: user '%s' and task type '%s' kept changing; try again",
                          user_email, type_name);
    if (rc == AT_OK && x.existing) {
        out->id = x.existing;
        if (existing)
            *existing = 1;
    } else if (rc == AT_OK) {
        at_wake(db, req->business_id);
        *held = x.held;
        rc = written_task(&x, out, err);
    }
    items_clear(&x);
    return rc;
}

/* One request by ids inside the caller's transaction: write (or, with
 * check_only, only check) as at_task_enqueue does. */
static int
one_in_tx(at_db *db, const at_enqueue *req, bool check_only, uint64_t *id, bool *bad,
          at_error *err)
{
    struct item item = {0};
    uint64_t own = 0;
    struct many_ctx x = {.reqs = req, .n = 1, .ids = id ? id : &own, .items = &item};
    int rc = check_only ? many_check(db, &x, err) : many_tx(db, &x, err);
    items_clear(&x);
    *bad = x.nbad > 0;
    if (rc && x.nbad)
        return at_error_set(err, x.first.code, "%s", x.first.msg);
    return rc;
}

int
enqueue_in_tx(at_db *db, const at_enqueue *req, uint64_t *id, bool *bad, at_error *err)
{
    return one_in_tx(db, req, false, id, bad, err);
}

int
enqueue_check_in_tx(at_db *db, const at_enqueue *req, at_error *err)
{
    bool bad;
    return one_in_tx(db, req, true, NULL, &bad, err);
}
