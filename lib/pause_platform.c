/* pause_platform.c: the platform's pause rules, which hold a user or a
 * task type in every business, present and future.
 *
 * They are set and lifted by a platform admin or the operator only
 * (at_access_platform_rules), beside the businesses' own rules: a resume
 * of one kind never lifts the other. A change goes the way of a
 * business's (pause.c), with what is the platform's from here: its row
 * and its cap. Every change takes the platform row exclusively by
 * bumping its epoch, which the executors' re-check takes
 * in share mode beside the business's row, so a platform pause that has
 * returned is seen by every check that starts after it, as a business's
 * is. The lanes of a target are found across businesses through the
 * lanes' user and type indexes, in the chunks of lane work a business's
 * change uses. Audit entries go to the platform's log (AT_AUDIT_PLATFORM);
 * a business's log shows them beside its own (audit.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


/* Takes the platform row for the rest of the transaction and bumps its
 * epoch: executors' cached platform rules of an older epoch are read
 * again before their next run. */
int
pause_platform_lock(at_db *db, at_error *err)
{
    uint64_t n = 0;
    int rc = db_exec(db, 0, "UPDATE platform SET pause_epoch = pause_epoch + 1 WHERE id = 1", NULL,
                     0, &n, NULL, err);
    if (rc == AT_OK && n == 0)
        rc = at_error_set(err, AT_ESCHEMA, "the platform row is missing: run asynctasks migrate");
    return rc;
}

int
pause_platform_cap_check(at_db *db, at_error *err)
{
    uint64_t live = 0;
    int rc = db_query_u64(db, 0,
                          "SELECT COUNT(*) FROM platform_pause_rules "
                          "WHERE paused_until IS NULL OR paused_until > UTC_TIMESTAMP(6)",
                          NULL, 0, &live, err);
    if (rc == AT_OK && live > PLATFORM_RULES_MAX)
        rc = at_error_set(err, AT_EINVAL,
                          "the platform may have at most %d pause rules: resume some first",
                          PLATFORM_RULES_MAX);
    return rc;
}

/* ---- reading ---- */

int
pause_platform_append(at_db *db, at_time now, uint64_t user_id, uint64_t type_id,
                      at_pause_set *set, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT " PLATFORM_RULE_COLS " " PLATFORM_RULE_FROM " WHERE " PLATFORM_LIVE);
    args_add(&a, da_time(now));
    if (user_id || type_id) {
        sb_add(&sql, " AND ((r.scope = 'user' AND r.target_id = ?) "
                     "OR (r.scope = 'task_type' AND r.target_id = ?))");
        args_add(&a, da_u64(user_id));
        args_add(&a, da_u64(type_id));
    }
    sb_add(&sql, " ORDER BY r.paused_at, r.id LIMIT ?");
    args_add(&a, da_u64(PLATFORM_RULES_MAX));
    db_res r;
    int rc = sb_failed(&sql, &a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                 : db_query(db, DB_RETRY, sql.p, a.v, (unsigned) a.n, &r, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        return rc;
    size_t cap = set->n;
    while ((rc = db_fetch(&r, err)) == 1)
        if ((rc = pause_set_add(set, &r, 0, &cap, err)) != AT_OK)
            break;
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

int
pause_load_platform_epoch(at_db *db, at_pause_set *set, uint64_t *epoch, at_error *err)
{
    memset(set, 0, sizeof *set);
    *epoch = 0;
    db_res r;
    /* the platform row first, and its live rules in the same read view */
    int rc = db_query(db, DB_RETRY,
                      "SELECT p.pause_epoch, UTC_TIMESTAMP(6), " PLATFORM_RULE_COLS
                      " FROM platform p LEFT JOIN platform_pause_rules r ON "
                      "(r.paused_until IS NULL OR r.paused_until > UTC_TIMESTAMP(6)) " AT_RULE_NAMES
                      " WHERE p.id = 1 ORDER BY r.paused_at, r.id",
                      NULL, 0, &r, err);
    if (rc)
        return rc;
    size_t cap = 0, rows = 0;
    while ((rc = db_fetch(&r, err)) == 1) {
        rows++;
        *epoch = db_u64(&r, 0);
        set->now = db_time(&r, 1);
        if (!db_isnull(&r, 2) && (rc = pause_set_add(set, &r, 2, &cap, err)) != AT_OK)
            break;
    }
    db_res_close(&r);
    if (rc == 0 && rows == 0)
        rc = at_error_set(err, AT_ESCHEMA, "the platform row is missing: run asynctasks migrate");
    if (rc < 0) {
        at_pause_set_free(set);
        return rc;
    }
    set->whole = 1;
    return AT_OK;
}

int
at_platform_pause_load(at_db *db, at_pause_set *set, at_error *err)
{
    memset(set, 0, sizeof *set);
    int rc = at_db_now(db, &set->now, err);
    if (rc == AT_OK)
        rc = pause_platform_append(db, set->now, 0, 0, set, err);
    if (rc)
        at_pause_set_free(set);
    else
        set->whole = 1;
    return rc;
}

/* ---- expiry, for the supervisors' dispatcher ---- */

static int
expire_tx(at_db *db, void *vctx, at_error *err)
{
    size_t *n = vctx;
    int left = 0;
    int rc = pause_platform_lock(db, err);
    if (rc == AT_OK)
        rc = pause_expire_rules(db, 0, &left, n, err);
    return rc;
}

int
pause_platform_expire_due(at_db *db, uint64_t *expired, at_error *err)
{
    *expired = 0;
    uint64_t any = 0;
    /* a plain read first: most ticks find nothing and lock nothing */
    int rc = db_query_u64(db, DB_RETRY,
                          "SELECT COUNT(*) FROM (SELECT 1 FROM platform_pause_rules "
                          "FORCE INDEX (platform_pause_rules_until) "
                          "WHERE paused_until <= UTC_TIMESTAMP(6) LIMIT 1) x",
                          NULL, 0, &any, err);
    size_t n = 0;
    if (rc == AT_OK && any)
        rc = db_tx(db, false, expire_tx, &n, err);
    if (rc == AT_OK)
        *expired = n;
    return rc;
}
