/* cap.c: a business's cap on running tasks. A business without its own
 * cap has the configured default (max_running); 0 means no cap. The claim
 * enforces it (claim.c); here it is read and set. */
#include "config.h"

#include <stdio.h>

#include "internal.h"

int
at_business_cap_get(at_db *db, uint64_t business_id, int64_t *cap, at_error *err)
{
    *cap = AT_CAP_DEFAULT;
    db_res r;
    db_arg a[] = {da_u64(business_id)};
    int rc = db_query(db, DB_RETRY, "SELECT max_running FROM business_limits WHERE business_id = ?",
                      a, 1, &r, err);
    if (rc)
        return rc;
    if ((rc = db_fetch(&r, err)) == 1 && !db_isnull(&r, 0))
        *cap = (int64_t) db_u64(&r, 0);
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

struct cap_ctx {
    const at_actor *actor;
    uint64_t business_id;
    int64_t cap;
};

static int
cap_tx(at_db *db, void *vctx, at_error *err)
{
    struct cap_ctx *x = vctx;
    at_business b;
    int rc = at_business_get_by_id(db, x->business_id, &b, err);
    db_arg a[] = {da_u64(x->business_id), x->cap < 0 ? da_null() : da_u64((uint64_t) x->cap)};
    if (rc == AT_OK)
        rc = db_exec(db, 0,
                     "INSERT INTO business_limits (business_id, max_running) VALUES (?, ?) "
                     "ON DUPLICATE KEY UPDATE max_running = VALUES(max_running)",
                     a, 2, NULL, NULL, err);
    char detail[64];
    if (x->cap < 0)
        snprintf(detail, sizeof detail, "max running: the default");
    else if (x->cap == 0)
        snprintf(detail, sizeof detail, "max running: no cap");
    else
        snprintf(detail, sizeof detail, "max running: %lld", (long long) x->cap);
    if (rc == AT_OK)
        rc = at_audit_write(db, x->business_id, x->actor, "set", "business", x->business_id,
                            b.slug, NULL, detail, err);
    return rc;
}

int
at_business_cap_set(at_db *db, const at_actor *actor, uint64_t business_id, int64_t cap,
                    at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    if (cap < AT_CAP_DEFAULT || cap > AT_CAP_MAX)
        return at_error_set(err, AT_EINVAL, "max running must be 0 (no cap) to %d, or the default",
                            AT_CAP_MAX);
    struct cap_ctx x = {actor, business_id, cap};
    return db_tx(db, false, cap_tx, &x, err);
}
