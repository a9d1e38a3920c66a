/* pause_platform.c: the platform's pause rules, which hold a user or a
 * task type in every business, present and future.
 *
 * They are set and lifted by a platform admin or the operator only
 * (at_access_platform_rules), beside the businesses' own rules: a resume
 * of one kind never lifts the other. Every change takes the platform row
 * exclusively by bumping its epoch, which the executors' re-check takes
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

/* Live platform rules at most: every business's pages read them all. */
#define PLATFORM_RULES_MAX 1000

/* The platform rules' columns, as AT_RULE_COLS with business 0. */
#define PLATFORM_RULE_COLS                                                                         \
    "r.id, 0, r.scope, r.target_id, COALESCE(u.name, t.name, ''), r.reason, "                     \
    "r.paused_by, r.paused_by_name, r.paused_at, r.paused_until"
#define PLATFORM_RULE_FROM "FROM platform_pause_rules r " AT_RULE_NAMES
#define PLATFORM_LIVE "(r.paused_until IS NULL OR r.paused_until > ?)"

/* Takes the platform row for the rest of the transaction and bumps its
 * epoch: executors' cached platform rules of an older epoch are read
 * again before their next run. */
static int
lock_platform(at_db *db, at_error *err)
{
    uint64_t n = 0;
    int rc = db_exec(db, 0, "UPDATE platform SET pause_epoch = pause_epoch + 1 WHERE id = 1", NULL,
                     0, &n, NULL, err);
    if (rc == AT_OK && n == 0)
        rc = at_error_set(err, AT_ESCHEMA, "the platform row is missing: run asynctasks migrate");
    return rc;
}

/* A platform target's name: a user (by email, as the CLI names them) or
 * a registered task type. */
static int
target_name(at_db *db, int scope, uint64_t target, char *name, size_t len, at_error *err)
{
    db_arg a[] = {da_u64(target)};
    db_res r;
    int rc = db_query(db, 0,
                      scope == AT_SCOPE_USER ? "SELECT name FROM users WHERE id = ?"
                                             : "SELECT name FROM task_types WHERE id = ?",
                      a, 1, &r, err);
    if (rc)
        return rc;
    rc = db_fetch(&r, err);
    if (rc == 1) {
        db_copy(&r, 0, name, len);
        rc = AT_OK;
    } else if (rc == 0) {
        rc = at_error_set(err, AT_ENOTFOUND,
                          scope == AT_SCOPE_USER ? "no user #%llu" : "no task type #%llu",
                          (unsigned long long) target);
    }
    db_res_close(&r);
    return rc;
}

struct expired {
    int scope;
    uint64_t target;
};

static int
fill_expired(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    struct expired *e = elem;
    e->scope = at_scope_parse(db_col(r, 0, NULL));
    e->target = db_u64(r, 1);
    return AT_OK;
}

/* Removes the platform rules whose expiry has passed and lets their lanes
 * go; the caller holds the platform row. */
static int
expire_rules(at_db *db, int *left, size_t *n, at_error *err)
{
    struct expired *v = NULL;
    *n = 0;
    int rc = db_rows(db, 0,
                     "SELECT scope, target_id FROM platform_pause_rules "
                     "WHERE paused_until IS NOT NULL AND paused_until <= UTC_TIMESTAMP(6) "
                     "FOR UPDATE",
                     NULL, 0, sizeof *v, fill_expired, (void **) &v, n, err);
    if (rc == AT_OK && *n)
        rc = db_exec(db, 0,
                     "DELETE FROM platform_pause_rules "
                     "WHERE paused_until IS NOT NULL AND paused_until <= UTC_TIMESTAMP(6)",
                     NULL, 0, NULL, NULL, err);
    for (size_t i = 0; rc == AT_OK && i < *n; i++)
        rc = lanes_rehold_target(db, 0, v[i].scope, v[i].target, left, err);
    free(v);
    return rc;
}

static int
live_count(at_db *db, uint64_t *n, at_error *err)
{
    return db_query_u64(db, 0,
                        "SELECT COUNT(*) FROM platform_pause_rules "
                        "WHERE paused_until IS NULL OR paused_until > UTC_TIMESTAMP(6)",
                        NULL, 0, n, err);
}

struct add_ctx {
    const at_actor *actor;
    int scope;
    const uint64_t *targets;
    size_t n;
    const char *reason;
    at_time until;
    int lanes_left;
};

static int
add_one(at_db *db, struct add_ctx *c, uint64_t target, at_time now, const char *detail,
        at_error *err)
{
    char name[AT_NAME_BUF];
    int rc = target_name(db, c->scope, target, name, sizeof name, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(at_scope_str(c->scope)),
                  da_u64(target),
                  da_str(c->reason),
                  c->actor->user_id ? da_u64(c->actor->user_id) : da_null(),
                  da_str(c->actor->name),
                  da_time(now),
                  da_time(c->until)};
    rc = db_exec(db, 0,
                 "INSERT INTO platform_pause_rules (scope, target_id, reason, paused_by, "
                 "paused_by_name, paused_at, paused_until) VALUES (?, ?, ?, ?, ?, ?, ?) "
                 "ON DUPLICATE KEY UPDATE reason = VALUES(reason), "
                 "paused_by = VALUES(paused_by), paused_by_name = VALUES(paused_by_name), "
                 "paused_at = VALUES(paused_at), paused_until = VALUES(paused_until)",
                 a, AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_OK)
        rc = lanes_rehold_target(db, 0, c->scope, target, &c->lanes_left, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, AT_AUDIT_PLATFORM, c->actor, "pause", at_scope_str(c->scope),
                            target, name, c->reason, detail, err);
    return rc;
}

static int
add_tx(at_db *db, void *vctx, at_error *err)
{
    struct add_ctx *c = vctx;
    c->lanes_left = 0;
    size_t expired = 0;
    at_time now = 0;
    char detail[64];
    int rc = at_access_platform_rules(db, c->actor, err);
    if (rc == AT_OK)
        rc = lock_platform(db, err);
    if (rc == AT_OK)
        rc = expire_rules(db, &c->lanes_left, &expired, err);
    if (rc == AT_OK)
        rc = at_db_now(db, &now, err);
    if (rc == AT_OK)
        rc = pause_until_check(now, c->until, detail, sizeof detail, err);
    for (size_t i = 0; i < c->n && rc == AT_OK; i++) {
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            dup |= c->targets[k] == c->targets[i];
        if (!dup)
            rc = add_one(db, c, c->targets[i], now, detail, err);
    }
    uint64_t live = 0;
    if (rc == AT_OK)
        rc = live_count(db, &live, err);
    if (rc == AT_OK && live > PLATFORM_RULES_MAX)
        rc = at_error_set(err, AT_EINVAL,
                          "the platform may have at most %d pause rules: resume some first",
                          PLATFORM_RULES_MAX);
    return rc;
}

int
at_platform_pause_add(at_db *db, const at_actor *actor, int scope, const uint64_t *targets,
                      size_t n, const char *reason, at_time until, at_error *err)
{
    int rc = pause_add_check(actor, scope, reason, n, until, err);
    if (rc)
        return rc;
    struct add_ctx c = {actor, scope, targets, n, reason ? reason : "", until, 0};
    rc = db_tx(db, false, add_tx, &c, err);
    if (rc == AT_OK)
        pause_finish_lanes(db, c.lanes_left, 0);
    return rc;
}

struct resume_ctx {
    const at_actor *actor;
    int scope;
    uint64_t target;
    int lanes_left;
};

static int
resume_tx(at_db *db, void *vctx, at_error *err)
{
    struct resume_ctx *c = vctx;
    c->lanes_left = 0;
    size_t expired = 0;
    int rc = at_access_platform_rules(db, c->actor, err);
    if (rc == AT_OK)
        rc = lock_platform(db, err);
    if (rc == AT_OK)
        rc = expire_rules(db, &c->lanes_left, &expired, err);
    if (rc)
        return rc;
    char name[AT_NAME_BUF] = "";
    at_error ignore;
    target_name(db, c->scope, c->target, name, sizeof name, &ignore);
    db_arg a[] = {da_str(at_scope_str(c->scope)), da_u64(c->target)};
    uint64_t n = 0;
    rc = db_exec(db, 0, "DELETE FROM platform_pause_rules WHERE scope = ? AND target_id = ?", a, 2,
                 &n, NULL, err);
    if (rc)
        return rc;
    if (n == 0)
        return at_error_set(err, AT_ENOTFOUND, "%s %s is not paused for all businesses",
                            c->scope == AT_SCOPE_USER ? "user" : "task type",
                            name[0] ? name : "(unknown)");
    rc = lanes_rehold_target(db, 0, c->scope, c->target, &c->lanes_left, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, AT_AUDIT_PLATFORM, c->actor, "resume", at_scope_str(c->scope),
                            c->target, name, NULL, NULL, err);
    return rc;
}

int
at_platform_pause_resume(at_db *db, const at_actor *actor, int scope, uint64_t target,
                         at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = pause_check_scope(scope, err);
    if (rc)
        return rc;
    struct resume_ctx c = {actor, scope, target, 0};
    rc = db_tx(db, false, resume_tx, &c, err);
    if (rc == AT_OK) {
        pause_finish_lanes(db, c.lanes_left, 1);
        at_wake(db, 0); /* the tasks it held, in any business, may run now */
    }
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
    int rc = lock_platform(db, err);
    if (rc == AT_OK)
        rc = expire_rules(db, &left, n, err);
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
