/* client.c: the C client API (client.h): enqueue and read tasks by the
 * names platform code knows (business slug, user email, type name). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <asynctasks/client.h>

struct at_client {
    at_config *cfg;
    at_db *db;
};

int
at_client_open(const char *config_path, at_client **out, at_error *err)
{
    *out = NULL;
    at_client *c = calloc(1, sizeof *c);
    if (!c)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    int rc = at_config_load(config_path, &c->cfg, err);
    if (rc == AT_OK)
        rc = at_db_open(c->cfg, &c->db, err);
    if (rc == AT_OK)
        rc = at_schema_check(c->db, err);
    if (rc) {
        at_client_close(c);
        return rc;
    }
    *out = c;
    return AT_OK;
}

void
at_client_close(at_client *c)
{
    if (!c)
        return;
    at_db_close(c->db);
    at_config_free(c->cfg);
    free(c);
}

static int
need(const char *what, const char *v, at_error *err)
{
    if (!v || !*v)
        return at_error_set(err, AT_EINVAL, "enqueue: the %s is missing", what);
    return AT_OK;
}

static size_t
payload_len(const at_client_task *t)
{
    return t->payload && !t->payload_len ? strlen(t->payload) : t->payload_len;
}

static int
enqueue_one(at_client *c, const at_client_task *t, const char *key, uint64_t *id,
            int *existing, at_error *err)
{
    if (existing)
        *existing = 0;
    int rc = need("business", t->business, err);
    if (rc == AT_OK)
        rc = need("user", t->user, err);
    if (rc == AT_OK)
        rc = need("task type", t->type, err);
    if (rc)
        return rc;
    at_business b;
    at_user u;
    at_task_type ty;
    if ((rc = at_business_get(c->db, t->business, &b, err)) ||
        (rc = at_user_get(c->db, t->user, &u, err)) ||
        (rc = at_task_type_get(c->db, t->type, &ty, err)))
        return at_error_wrap(err, "enqueue");
    at_enqueue req = {
        .business_id = b.id,
        .user_id = u.id,
        .task_type_id = ty.id,
        .payload = t->payload,
        .payload_len = payload_len(t),
        .priority = t->priority,
        .run_at = t->run_at,
        .idem_key = key,
    };
    return at_task_enqueue_keyed(c->db, &req, id, existing, err);
}

int
at_client_enqueue(at_client *c, const at_client_task *t, uint64_t *id, at_error *err)
{
    return enqueue_one(c, t, NULL, id, NULL, err);
}

int
at_client_enqueue_idempotent(at_client *c, const at_client_task *t, const char *key,
                             uint64_t *id, int *existing, at_error *err)
{
    if (!key)
        return at_error_set(err, AT_EINVAL, "enqueue: the idempotency key is missing");
    return enqueue_one(c, t, key, id, existing, err);
}

int
at_client_enqueue_many(at_client *c, const at_client_task *tasks, size_t n, uint64_t *ids,
                       at_error *item_errs, at_error *err)
{
    if (n == 0 || n > AT_ENQUEUE_MANY_MAX) /* refused there, with the limit */
        return at_task_enqueue_many(c->db, NULL, n, ids, item_errs, err);
    at_task_names *names = calloc(n, sizeof *names);
    at_enqueue *reqs = calloc(n, sizeof *reqs);
    at_resolver *r = NULL;
    size_t nbad;
    int rc = names && reqs ? at_resolver_open(c->db, &r, err)
                           : at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        names[i] = (at_task_names){tasks[i].business, tasks[i].user, tasks[i].type};
        reqs[i].payload = tasks[i].payload;
        reqs[i].payload_len = payload_len(&tasks[i]);
        reqs[i].priority = tasks[i].priority;
        reqs[i].run_at = tasks[i].run_at;
    }
    if (rc == AT_OK && (rc = at_resolver_prepare(r, names, reqs, n, item_errs, &nbad, err)))
        rc = nbad ? at_error_nothing_enqueued(err) : at_error_wrap(err, "enqueue");
    if (rc == AT_OK)
        rc = at_task_enqueue_many(c->db, reqs, n, ids, item_errs, err);
    at_resolver_close(r);
    free(names);
    free(reqs);
    return rc;
}

int
at_client_get(at_client *c, const char *business, uint64_t id, at_task *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    at_business b;
    int rc = need("business", business, err);
    if (rc == AT_OK)
        rc = at_business_get(c->db, business, &b, err);
    if (rc == AT_OK)
        rc = at_task_get(c->db, b.id, id, out, err);
    return rc;
}
