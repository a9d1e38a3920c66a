/* pause.c: pause rules and the one evaluator that decides whether a task is
 * paused.
 *
 * A rule names a user or a task type of one business and holds every task
 * of the business it names, queued now or enqueued later, until it is
 * resumed or its expiry passes. Changes to a business's rules take that
 * business's row lock, which is what lets the executors' re-check before a
 * run line up with them: a pause that has returned is seen by every check
 * that starts after it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PAUSE_TARGETS_MAX 1000
/* How long a pause or resume call goes on bringing lane flags in line
 * after its commit before leaving the rest to the dispatcher. A pause
 * returns quickly (its rule already holds); a resume waits longer, so
 * that what it released is runnable when it returns. */
#define PAUSE_LANES_BUDGET_MS  300
#define RESUME_LANES_BUDGET_MS 3000

const char *
at_scope_str(int scope)
{
    return scope == AT_SCOPE_USER ? "user" : scope == AT_SCOPE_TASK_TYPE ? "task_type" : "?";
}

int
at_scope_parse(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "user") == 0)
        return AT_SCOPE_USER;
    if (strcmp(s, "task_type") == 0 || strcmp(s, "type") == 0)
        return AT_SCOPE_TASK_TYPE;
    return 0;
}

void
pause_held_sql(strbuf *sql, const char *b, const char *u, const char *t)
{
    static const char live[] = " AND (pr.paused_until IS NULL OR pr.paused_until > "
                               "UTC_TIMESTAMP(6)))";
    sb_add(sql, "(EXISTS (SELECT 1 FROM pause_rules pr WHERE pr.business_id = ");
    sb_add(sql, b);
    sb_add(sql, " AND pr.scope = 'user' AND pr.target_id = ");
    sb_add(sql, u);
    sb_add(sql, live);
    sb_add(sql, " OR EXISTS (SELECT 1 FROM pause_rules pr WHERE pr.business_id = ");
    sb_add(sql, b);
    sb_add(sql, " AND pr.scope = 'task_type' AND pr.target_id = ");
    sb_add(sql, t);
    sb_add(sql, live);
    /* the platform's rules: one key lookup each */
    sb_add(sql, " OR EXISTS (SELECT 1 FROM platform_pause_rules pr WHERE pr.scope = 'user' "
                "AND pr.target_id = ");
    sb_add(sql, u);
    sb_add(sql, live);
    sb_add(sql, " OR EXISTS (SELECT 1 FROM platform_pause_rules pr WHERE pr.scope = 'task_type' "
                "AND pr.target_id = ");
    sb_add(sql, t);
    sb_add(sql, live);
    sb_add(sql, ")");
}

/* Takes the business's row lock for the rest of the transaction, and
 * bumps its epoch: an executor's cached rules of an older epoch are read
 * again before its next run. */
static int
lock_business(at_db *db, uint64_t business_id, at_error *err)
{
    uint64_t n = 0;
    db_arg a[] = {da_u64(business_id)};
    int rc = db_exec(db, 0, "UPDATE businesses SET pause_epoch = pause_epoch + 1 WHERE id = ?", a,
                     1, &n, NULL, err);
    if (rc == AT_OK && n == 0)
        return at_error_set(err, AT_ENOTFOUND, "no business #%llu",
                            (unsigned long long) business_id);
    return rc;
}

/* Name of a target, which must belong to the business: a member, or a
 * registered task type; of the platform's (business 0): any user. */
static int
target_name(at_db *db, uint64_t business_id, int scope, uint64_t target, char *name,
            size_t namelen, at_error *err)
{
    db_res r;
    int rc;
    if (scope == AT_SCOPE_USER && !business_id) {
        db_arg a[] = {da_u64(target)};
        rc = db_query(db, 0, "SELECT name FROM users WHERE id = ?", a, 1, &r, err);
    } else if (scope == AT_SCOPE_USER) {
        db_arg a[] = {da_u64(business_id), da_u64(target)};
        rc = db_query(db, 0,
                      "SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id "
                      "WHERE m.business_id = ? AND m.user_id = ?",
                      a, 2, &r, err);
    } else {
        db_arg a[] = {da_u64(target)};
        rc = db_query(db, 0, "SELECT name FROM task_types WHERE id = ?", a, 1, &r, err);
    }
    if (rc)
        return rc;
    rc = db_fetch(&r, err);
    if (rc == 1) {
        db_copy(&r, 0, name, namelen);
        rc = AT_OK;
    } else if (rc == 0) {
        rc = at_error_set(err, AT_ENOTFOUND,
                          scope != AT_SCOPE_USER ? "no task type #%llu"
                          : business_id          ? "user #%llu is not a member of this business"
                                                 : "no user #%llu",
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
    struct expired *e = elem;
    e->scope = at_scope_parse(db_col(r, 0, NULL));
    e->target = db_u64(r, 1);
    return AT_OK;
}

/* Expired rules hold nothing: removing them keeps the set small and lets
 * their lanes go. The caller holds the owner's row: the business's, or
 * (owner 0) the platform's. *expired (may be NULL) counts them. */
int
pause_expire_rules(at_db *db, uint64_t owner, int *left, size_t *expired, at_error *err)
{
    struct expired *v = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(owner)};
    int rc = owner ? db_rows(db, 0,
                             "SELECT scope, target_id FROM pause_rules WHERE business_id = ? "
                             "AND paused_until IS NOT NULL AND paused_until <= UTC_TIMESTAMP(6) "
                             "FOR UPDATE",
                             a, 1, sizeof *v, fill_expired, (void **) &v, &n, err)
                   : db_rows(db, 0,
                             "SELECT scope, target_id FROM platform_pause_rules "
                             "WHERE paused_until IS NOT NULL "
                             "AND paused_until <= UTC_TIMESTAMP(6) FOR UPDATE",
                             NULL, 0, sizeof *v, fill_expired, (void **) &v, &n, err);
    if (rc == AT_OK && n)
        rc = owner ? db_exec(db, 0,
                             "DELETE FROM pause_rules WHERE business_id = ? "
                             "AND paused_until IS NOT NULL AND paused_until <= UTC_TIMESTAMP(6)",
                             a, 1, NULL, NULL, err)
                   : db_exec(db, 0,
                             "DELETE FROM platform_pause_rules WHERE paused_until IS NOT NULL "
                             "AND paused_until <= UTC_TIMESTAMP(6)",
                             NULL, 0, NULL, NULL, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        rc = lanes_rehold_target(db, owner, v[i].scope, v[i].target, left, err);
    free(v);
    if (expired)
        *expired = rc ? 0 : n;
    return rc;
}

/* ---- a change of rules: a business's, or the platform's (owner 0) ---- */

/* The owner's row, exclusively, with its epoch bumped; then the owner's
 * expired rules removed (their lanes let go). A platform change is a
 * platform admin's or the operator's only. */
static int
begin_change(at_db *db, const at_actor *actor, uint64_t owner, int *left, at_error *err)
{
    int rc;
    if (!owner) {
        rc = at_access_platform_rules(db, actor, err);
        if (rc == AT_OK)
            rc = pause_platform_lock(db, err);
    } else {
        rc = lock_business(db, owner, err);
    }
    return rc ? rc : pause_expire_rules(db, owner, left, NULL, err);
}

#define RULE_COLUMNS "scope, target_id, reason, paused_by, paused_by_name, paused_at, paused_until) "
#define RULE_UPDATE                                                                                \
    " ON DUPLICATE KEY UPDATE reason = VALUES(reason), "                                           \
    "paused_by = VALUES(paused_by), paused_by_name = VALUES(paused_by_name), "                     \
    "paused_at = VALUES(paused_at), paused_until = VALUES(paused_until)"

struct add_ctx {
    const at_actor *actor;
    uint64_t owner; /* the business, or 0: the platform */
    int scope;
    const uint64_t *targets;
    size_t n;
    const char *reason;
    at_time until;
    int lanes_left; /* lane bookkeeping continues after the commit */
};

/* One target's rule, its lanes (of the business, or of every business)
 * and its audit entry (in the business's log, or the platform's). */
static int
add_one(at_db *db, struct add_ctx *c, uint64_t target, at_time now, const char *detail,
        at_error *err)
{
    char name[AT_NAME_BUF];
    int rc = target_name(db, c->owner, c->scope, target, name, sizeof name, err);
    if (rc)
        return rc;
    /* the platform's rules have no business column: its rule goes
     * without the first argument */
    db_arg a[] = {da_u64(c->owner),
                  da_str(at_scope_str(c->scope)),
                  da_u64(target),
                  da_str(c->reason),
                  c->actor->user_id ? da_u64(c->actor->user_id) : da_null(),
                  da_str(c->actor->name),
                  da_time(now),
                  da_time(c->until)};
    rc = db_exec(db, 0,
                 c->owner ? "INSERT INTO pause_rules (business_id, " RULE_COLUMNS
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)" RULE_UPDATE
                          : "INSERT INTO platform_pause_rules (" RULE_COLUMNS
                            "VALUES (?, ?, ?, ?, ?, ?, ?)" RULE_UPDATE,
                 c->owner ? a : a + 1, AT_COUNT(a) - (c->owner ? 0 : 1), NULL, NULL, err);
    if (rc == AT_OK)
        rc = lanes_rehold_target(db, c->owner, c->scope, target, &c->lanes_left, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->owner, c->actor, "pause", at_scope_str(c->scope), target, name,
                            c->reason, detail, err);
    return rc;
}

static int
add_tx(at_db *db, void *vctx, at_error *err)
{
    struct add_ctx *c = vctx;
    c->lanes_left = 0;
    at_time now = 0;
    char detail[64];
    int rc = begin_change(db, c->actor, c->owner, &c->lanes_left, err);
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
    if (rc == AT_OK && !c->owner)
        rc = pause_platform_cap_check(db, err);
    return rc;
}

void
pause_finish_lanes(at_db *db, int left, int resume)
{
    at_error ignore;
    if (left)
        at_lane_work_run(db, resume ? RESUME_LANES_BUDGET_MS : PAUSE_LANES_BUDGET_MS, NULL,
                         &ignore);
}

int
pause_check_scope(int scope, at_error *err)
{
    if (scope != AT_SCOPE_USER && scope != AT_SCOPE_TASK_TYPE)
        return at_error_set(err, AT_EINVAL, "pause scope must be user or task type");
    return AT_OK;
}

int
pause_add_check(const at_actor *actor, int scope, const char *reason, size_t n, at_time until,
                at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = pause_check_scope(scope, err);
    if (rc == AT_OK)
        rc = at_text_check("reason", reason ? reason : "", AT_REASON_MAX, 1, 0, err);
    if (rc)
        return rc;
    if (n == 0)
        return at_error_set(err, AT_EINVAL, "nothing to pause: select at least one %s",
                            scope == AT_SCOPE_USER ? "user" : "task type");
    if (n > PAUSE_TARGETS_MAX)
        return at_error_set(err, AT_EINVAL, "at most %d targets can be paused at once",
                            PAUSE_TARGETS_MAX);
    if (until < 0)
        return at_error_set(err, AT_EINVAL, "pause expiry is before 1970");
    return AT_OK;
}

int
pause_until_check(at_time now, at_time until, char *detail, size_t len, at_error *err)
{
    char tb[32];
    detail[0] = 0;
    if (until && until <= now)
        return at_error_set(err, AT_EINVAL, "pause expiry %s UTC is not in the future",
                            at_time_format(until, tb, sizeof tb));
    if (until)
        snprintf(detail, len, "until %s UTC", at_time_format(until, tb, sizeof tb));
    return AT_OK;
}

/* A pause of targets by the owner (a business, or 0: the platform). */
static int
pause_add(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
          const uint64_t *targets, size_t n, const char *reason, at_time until, at_error *err)
{
    int rc = pause_add_check(actor, scope, reason, n, until, err);
    if (rc)
        return rc;
    struct add_ctx c = {actor, business_id, scope, targets, n, reason ? reason : "", until, 0};
    rc = db_tx(db, false, add_tx, &c, err);
    if (rc == AT_OK)
        pause_finish_lanes(db, c.lanes_left, 0);
    return rc;
}

int
at_pause_add(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
             const uint64_t *targets, size_t n, const char *reason, at_time until, at_error *err)
{
    if (business_id == 0)
        return at_error_set(err, AT_ENOTFOUND, "no business #0");
    return pause_add(db, actor, business_id, scope, targets, n, reason, until, err);
}

int
at_platform_pause_add(at_db *db, const at_actor *actor, int scope, const uint64_t *targets,
                      size_t n, const char *reason, at_time until, at_error *err)
{
    return pause_add(db, actor, 0, scope, targets, n, reason, until, err);
}

struct resume_ctx {
    const at_actor *actor;
    uint64_t owner; /* the business, or 0: the platform */
    int scope;
    uint64_t target;
    int lanes_left;
};

static int
resume_tx(at_db *db, void *vctx, at_error *err)
{
    struct resume_ctx *c = vctx;
    c->lanes_left = 0;
    int rc = begin_change(db, c->actor, c->owner, &c->lanes_left, err);
    if (rc)
        return rc;
    char name[AT_NAME_BUF] = "";
    at_error ignore;
    target_name(db, c->owner, c->scope, c->target, name, sizeof name, &ignore);
    db_arg a[] = {da_u64(c->owner), da_str(at_scope_str(c->scope)), da_u64(c->target)};
    uint64_t n = 0;
    rc = c->owner ? db_exec(db, 0,
                            "DELETE FROM pause_rules WHERE business_id = ? AND scope = ? "
                            "AND target_id = ?",
                            a, 3, &n, NULL, err)
                  : db_exec(db, 0,
                            "DELETE FROM platform_pause_rules WHERE scope = ? AND target_id = ?",
                            a + 1, 2, &n, NULL, err);
    if (rc)
        return rc;
    if (n == 0)
        return at_error_set(err, AT_ENOTFOUND, "%s %s is not paused%s",
                            c->scope == AT_SCOPE_USER ? "user" : "task type",
                            name[0] ? name : "(unknown)", c->owner ? "" : " for all businesses");
    rc = lanes_rehold_target(db, c->owner, c->scope, c->target, &c->lanes_left, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->owner, c->actor, "resume", at_scope_str(c->scope), c->target,
                            name, NULL, NULL, err);
    return rc;
}

/* A resume of one target by the owner (a business, or 0: the platform). */
static int
pause_resume(at_db *db, const at_actor *actor, uint64_t owner, int scope, uint64_t target,
             at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = pause_check_scope(scope, err);
    if (rc)
        return rc;
    struct resume_ctx c = {actor, owner, scope, target, 0};
    rc = db_tx(db, false, resume_tx, &c, err);
    if (rc == AT_OK) {
        pause_finish_lanes(db, c.lanes_left, 1);
        at_wake(db, owner); /* the tasks it held may run now (0: in any business) */
    }
    return rc;
}

int
at_pause_resume(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
                uint64_t target, at_error *err)
{
    if (business_id == 0)
        return at_error_set(err, AT_ENOTFOUND, "no business #0");
    return pause_resume(db, actor, business_id, scope, target, err);
}

int
at_platform_pause_resume(at_db *db, const at_actor *actor, int scope, uint64_t target,
                         at_error *err)
{
    return pause_resume(db, actor, 0, scope, target, err);
}

/* ---- reading rules ---- */

/* A rule with its target's name (internal.h). */
#define RULE_COLS AT_RULE_COLS
#define RULE_FROM "FROM pause_rules r " AT_RULE_NAMES

/* A rule from its columns (RULE_COLS), which start at column c. */
static void
rule_from(const db_res *r, unsigned c, at_pause_rule *p)
{
    p->id = db_u64(r, c);
    p->business_id = db_u64(r, c + 1);
    p->scope = at_scope_parse(db_col(r, c + 2, NULL));
    p->target_id = db_u64(r, c + 3);
    db_copy(r, c + 4, p->target_name, sizeof p->target_name);
    db_copy(r, c + 5, p->reason, sizeof p->reason);
    p->paused_by = db_u64(r, c + 6);
    db_copy(r, c + 7, p->paused_by_name, sizeof p->paused_by_name);
    p->paused_at = db_time(r, c + 8);
    p->until = db_time(r, c + 9);
}

static int
fill_rule(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    rule_from(r, 0, elem);
    return AT_OK;
}

int
at_pause_load(at_db *db, uint64_t business_id, at_pause_set *set, at_error *err)
{
    memset(set, 0, sizeof *set);
    set->business_id = business_id;
    int rc = at_db_now(db, &set->now, err);
    db_arg a[] = {da_u64(business_id), da_time(set->now)};
    if (rc == AT_OK)
        rc = db_rows(db, DB_RETRY,
                     "SELECT " RULE_COLS " " RULE_FROM
                     " WHERE r.business_id = ? AND (r.paused_until IS NULL OR r.paused_until > ?) "
                     "ORDER BY r.paused_at, r.id",
                     a, 2, sizeof *set->rules, fill_rule, (void **) &set->rules, &set->n, err);
    if (rc == AT_OK)
        rc = pause_platform_append(db, set->now, 0, 0, set, err);
    if (rc)
        at_pause_set_free(set);
    else
        set->whole = 1;
    return rc;
}

struct epoch_rows {
    at_pause_set *set;
    uint64_t epoch;
};

/* The business's epoch and its live rules, read together: one statement,
 * one read view, so the rules are exactly those of that epoch. The
 * business's row comes first; a row without rule columns means none. */
int
pause_load_epoch(at_db *db, uint64_t business_id, at_pause_set *set, uint64_t *epoch,
                 at_error *err)
{
    memset(set, 0, sizeof *set);
    set->business_id = business_id;
    *epoch = 0;
    db_arg a[] = {da_u64(business_id)};
    db_res r;
    int rc = db_query(db, DB_RETRY,
                      "SELECT b.pause_epoch, UTC_TIMESTAMP(6), " RULE_COLS
                      " FROM businesses b LEFT JOIN pause_rules r ON r.business_id = b.id "
                      "AND (r.paused_until IS NULL OR r.paused_until > UTC_TIMESTAMP(6)) "
                      "LEFT JOIN users u ON r.scope = 'user' AND u.id = r.target_id "
                      "LEFT JOIN task_types t ON r.scope = 'task_type' AND t.id = r.target_id "
                      "WHERE b.id = ? ORDER BY r.paused_at, r.id",
                      a, 1, &r, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while ((rc = db_fetch(&r, err)) == 1) {
        *epoch = db_u64(&r, 0);
        set->now = db_time(&r, 1);
        if (db_isnull(&r, 2))
            continue; /* the business has no rule */
        if (set->n == cap) {
            cap = cap ? cap * 2 : 8;
            at_pause_rule *v = realloc(set->rules, cap * sizeof *v);
            if (!v) {
                rc = at_error_set(err, AT_ENOMEM, "out of memory");
                break;
            }
            set->rules = v;
        }
        rule_from(&r, 2, &set->rules[set->n++]);
    }
    db_res_close(&r);
    if (rc < 0) {
        at_pause_set_free(set);
        return rc;
    }
    return AT_OK;
}

void
at_pause_set_free(at_pause_set *set)
{
    if (!set)
        return;
    free(set->rules);
    set->rules = NULL;
    set->n = 0;
    set->whole = 0;
}

/* ---- reading what a page shows: O(page), never O(rules) ---- */

/* Live rules of one scope of the business, counted up to a cap: the
 * derived table stops at cap + 1 rows. */
#define COUNT_LIVE(scope)                                                                          \
    "(SELECT COUNT(*) FROM (SELECT 1 FROM pause_rules WHERE business_id = ? AND scope = '" scope  \
    "' AND (paused_until IS NULL OR paused_until > ?) LIMIT ?) c)"

int
pause_set_add(at_pause_set *set, const db_res *r, unsigned first, size_t *cap, at_error *err)
{
    if (set->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        at_pause_rule *v = realloc(set->rules, ncap * sizeof *v);
        if (!v)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        set->rules = v;
        *cap = ncap;
    }
    memset(&set->rules[set->n], 0, sizeof set->rules[set->n]);
    rule_from(r, first, &set->rules[set->n++]);
    return AT_OK;
}

/* Runs sql (whose rule columns start at column first) into set. */
static int
read_rules(at_db *db, const strbuf *sql, const arglist *a, unsigned first, at_pause_set *set,
           at_pause_counts *counts, at_error *err)
{
    if (sql->oom || a->oom)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    db_res r;
    int rc = db_query(db, DB_RETRY, sql->p, a->v, (unsigned) a->n, &r, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while ((rc = db_fetch(&r, err)) == 1) {
        if (first && counts) {
            counts->users = (unsigned) db_u64(&r, 0);
            counts->types = (unsigned) db_u64(&r, 1);
        }
        if (db_isnull(&r, first))
            continue; /* the counts' row, without a rule */
        if ((rc = pause_set_add(set, &r, first, &cap, err)) != AT_OK)
            break;
    }
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

static void
add_in(strbuf *sql, arglist *a, const char *scope, const uint64_t *ids, size_t n)
{
    sb_add(sql, "(r.scope = '");
    sb_add(sql, scope);
    sb_add(sql, "' AND r.target_id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(a, da_u64(ids[i]));
    sb_in_list(sql, a, n);
    sb_add(sql, "))");
}

/* Up to FEW_RULES live rules are read whole: a range of the rules' key,
 * then counted and put in age order here. The statement that looks up a
 * page's targets and counts in SQL took about 2.5 times as long
 * (measured beside the list page, docs/ARCHITECTURE.md). */
#define FEW_RULES 64

/* The business's rules before the platform's, each oldest first, as
 * "ORDER BY r.paused_at, r.id". */
static int
rule_older(const void *pa, const void *pb)
{
    const at_pause_rule *a = pa, *b = pb;
    if (at_pause_rule_platform(a) != at_pause_rule_platform(b))
        return at_pause_rule_platform(a) ? 1 : -1;
    if (a->paused_at != b->paused_at)
        return a->paused_at < b->paused_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The business's live rules (of one scope, when scope is not NULL) in the
 * order of the rules' unique key: a range read cut at limit; with
 * platform, the platform's live rules after them in the same statement. */
static int
read_live_range(at_db *db, uint64_t business_id, const char *scope, at_time now, unsigned limit,
                bool platform, at_pause_set *set, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "(SELECT " RULE_COLS " " RULE_FROM " WHERE r.business_id = ? ");
    args_add(&a, da_u64(business_id));
    if (scope) {
        sb_add(&sql, "AND r.scope = ? ");
        args_add(&a, da_str(scope));
    }
    sb_add(&sql, "AND (r.paused_until IS NULL OR r.paused_until > ?) "
                 "ORDER BY r.business_id, r.scope, r.target_id LIMIT ?)");
    args_add(&a, da_time(now));
    args_add(&a, da_u64(limit));
    if (platform) {
        sb_add(&sql, " UNION ALL (SELECT " PLATFORM_RULE_COLS " " PLATFORM_RULE_FROM
                     " WHERE " PLATFORM_LIVE " LIMIT ?)");
        args_add(&a, da_time(now));
        args_add(&a, da_u64(PLATFORM_RULES_MAX));
    }
    int rc = read_rules(db, &sql, &a, 0, set, NULL, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* The business's live rules and then the platform's into set when the
 * business has at most FEW_RULES (*whole = true), else *whole = false and
 * set empty. One statement. */
static int
load_few(at_db *db, uint64_t business_id, at_time now, at_pause_set *set,
         at_pause_counts *counts, bool *whole, at_error *err)
{
    int rc = read_live_range(db, business_id, NULL, now, FEW_RULES + 1, true, set, err);
    size_t own = 0;
    for (size_t i = 0; rc == AT_OK && i < set->n; i++)
        own += !at_pause_rule_platform(&set->rules[i]);
    *whole = rc == AT_OK && own <= FEW_RULES;
    if (!*whole) {
        at_pause_set_free(set);
        set->business_id = business_id;
        set->now = now;
        return rc;
    }
    set->whole = 1;
    if (set->n > 1)
        qsort(set->rules, set->n, sizeof *set->rules, rule_older);
    if (counts) {
        memset(counts, 0, sizeof *counts);
        for (size_t i = 0; i < own; i++) /* the business's: they come first */
            if (set->rules[i].scope == AT_SCOPE_USER)
                counts->users++;
            else
                counts->types++;
    }
    return AT_OK;
}

void
at_pause_none(uint64_t business_id, at_time now, at_pause_set *set, at_pause_counts *counts)
{
    *set = (at_pause_set){business_id, now, NULL, 0, 1};
    if (counts)
        memset(counts, 0, sizeof *counts);
}

int
at_pause_load_for(at_db *db, uint64_t business_id, at_time now, const uint64_t *users,
                  size_t nusers, const uint64_t *types, size_t ntypes, at_pause_set *set,
                  at_pause_counts *counts, at_error *err)
{
    memset(set, 0, sizeof *set);
    set->business_id = business_id;
    set->now = now;
    bool whole = false;
    int rc0 = load_few(db, business_id, now, set, counts, &whole, err);
    if (rc0 || whole)
        return rc0;
    strbuf sql = {0};
    arglist a = {0};
    /* one row at least: the counts, and the rules that name the targets */
    sb_add(&sql, "SELECT n.users, n.types, " RULE_COLS " FROM (SELECT " COUNT_LIVE("user")
                 " AS users, " COUNT_LIVE("task_type") " AS types) n "
                 "LEFT JOIN pause_rules r ON r.business_id = ? "
                 "AND (r.paused_until IS NULL OR r.paused_until > ?) AND (");
    for (int k = 0; k < 2; k++) {
        args_add(&a, da_u64(business_id));
        args_add(&a, da_time(now));
        args_add(&a, da_u64(AT_PAUSE_COUNT_CAP + 1));
    }
    args_add(&a, da_u64(business_id));
    args_add(&a, da_time(now));
    if (nusers)
        add_in(&sql, &a, "user", users, nusers);
    if (nusers && ntypes)
        sb_add(&sql, " OR ");
    if (ntypes)
        add_in(&sql, &a, "task_type", types, ntypes);
    if (!nusers && !ntypes)
        sb_add(&sql, "FALSE");
    sb_add(&sql, ") "
                 "LEFT JOIN users u ON r.scope = 'user' AND u.id = r.target_id "
                 "LEFT JOIN task_types t ON r.scope = 'task_type' AND t.id = r.target_id "
                 "ORDER BY r.paused_at, r.id");
    int rc = read_rules(db, &sql, &a, 2, set, counts, err);
    sb_free(&sql);
    args_free(&a);
    if (rc == AT_OK)
        rc = pause_platform_append(db, now, 0, 0, set, err);
    if (rc)
        at_pause_set_free(set);
    return rc;
}

int
at_pause_load_scope(at_db *db, uint64_t business_id, at_time now, int scope, unsigned limit,
                    at_pause_set *set, at_error *err)
{
    memset(set, 0, sizeof *set);
    set->business_id = business_id;
    set->now = now;
    int rc = pause_check_scope(scope, err);
    if (rc)
        return rc;
    rc = read_live_range(db, business_id, at_scope_str(scope), now, limit, false, set, err);
    if (rc)
        at_pause_set_free(set);
    return rc;
}

static int
by_target(const void *pa, const void *pb)
{
    const at_pause_rule *a = pa, *b = pb;
    return a->target_id < b->target_id ? -1 : a->target_id > b->target_id;
}

int
at_pause_load_scope_of(at_db *db, const at_pause_set *known, int scope, unsigned limit,
                       at_pause_set *set, at_error *err)
{
    if (!known->whole)
        return at_pause_load_scope(db, known->business_id, known->now, scope, limit, set, err);
    memset(set, 0, sizeof *set);
    set->business_id = known->business_id;
    set->now = known->now;
    int rc = pause_check_scope(scope, err);
    if (rc)
        return rc;
    set->rules = calloc(known->n + 1, sizeof *set->rules);
    if (!set->rules)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; i < known->n; i++)
        if (known->rules[i].scope == scope && !at_pause_rule_platform(&known->rules[i]))
            set->rules[set->n++] = known->rules[i];
    /* the order of the range read: one scope's rules by target */
    qsort(set->rules, set->n, sizeof *set->rules, by_target);
    if (set->n > limit)
        set->n = limit;
    return AT_OK;
}

const at_pause_rule *
at_pause_match(const at_pause_set *set, uint64_t user_id, uint64_t task_type_id)
{
    const at_pause_rule *by_type = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const at_pause_rule *r = &set->rules[i];
        if (r->until && r->until <= set->now)
            continue; /* expired */
        if (r->scope == AT_SCOPE_USER && r->target_id == user_id)
            return r;
        if (r->scope == AT_SCOPE_TASK_TYPE && r->target_id == task_type_id && !by_type)
            by_type = r;
    }
    return by_type;
}

int
at_pause_check(at_db *db, uint64_t business_id, uint64_t user_id, uint64_t task_type_id,
               int *paused, at_pause_rule *rule, at_error *err)
{
    *paused = 0;
    at_pause_set set;
    int rc = at_pause_load(db, business_id, &set, err);
    if (rc)
        return rc;
    const at_pause_rule *r = at_pause_match(&set, user_id, task_type_id);
    if (r) {
        *paused = 1;
        if (rule)
            *rule = *r;
    }
    at_pause_set_free(&set);
    return AT_OK;
}

/* ---- Resume All ---- */

struct all_ctx {
    const at_actor *actor;
    uint64_t business_id;
    unsigned removed, platform_left;
    uint64_t released;
    int lanes_left;
};

/* The business's held lanes that no platform rule holds: what removing
 * its own rules releases. */
#define RELEASED_SQL                                                                               \
    "SELECT COALESCE(SUM(l.queued), 0) FROM lanes l FORCE INDEX (lanes_held) "                     \
    "WHERE l.held = 1 AND l.business_id = ? AND NOT EXISTS (SELECT 1 FROM platform_pause_rules pr " \
    "WHERE ((pr.scope = 'user' AND pr.target_id = l.user_id) OR (pr.scope = 'task_type' "        \
    "AND pr.target_id = l.task_type_id)) AND (pr.paused_until IS NULL "                           \
    "OR pr.paused_until > UTC_TIMESTAMP(6)))"

static int
all_tx(at_db *db, void *vctx, at_error *err)
{
    struct all_ctx *c = vctx;
    c->removed = 0;
    c->platform_left = 0;
    c->released = 0;
    c->lanes_left = 0;
    int rc = lock_business(db, c->business_id, err);
    at_pause_set set = {0};
    db_arg a[] = {da_u64(c->business_id)};
    if (rc == AT_OK)
        rc = at_pause_load(db, c->business_id, &set, err);
    /* what the rules held: the queued tasks of the held lanes */
    if (rc == AT_OK)
        rc = db_query_u64(db, 0, RELEASED_SQL, a, 1, &c->released, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0, "DELETE FROM pause_rules WHERE business_id = ?", a, 1, NULL, NULL,
                     err);
    if (rc == AT_OK)
        rc = lanes_rehold_target(db, c->business_id, LANE_SCOPE_HELD, 0, &c->lanes_left, err);
    for (size_t i = 0; rc == AT_OK && i < set.n; i++) {
        const at_pause_rule *r = &set.rules[i];
        if (at_pause_rule_platform(r)) {
            c->platform_left++; /* not the business's to lift */
            continue;
        }
        /* the reason is the pause's; the resume itself has none */
        char detail[AT_NAME_BUF + AT_REASON_BUF + 64], at[32];
        snprintf(detail, sizeof detail, "Resume All; paused by %s at %s UTC%s%s",
                 r->paused_by_name, at_time_format(r->paused_at, at, sizeof at),
                 r->reason[0] ? ": " : "", r->reason);
        rc = at_audit_write(db, c->business_id, c->actor, "resume_all", at_scope_str(r->scope),
                            r->target_id, r->target_name, NULL, detail, err);
    }
    if (rc == AT_OK)
        c->removed = (unsigned) set.n - c->platform_left;
    at_pause_set_free(&set);
    return rc;
}

int
at_pause_resume_all(at_db *db, const at_actor *actor, uint64_t business_id,
                    unsigned *rules_removed, uint64_t *tasks_released, unsigned *platform_left,
                    at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct all_ctx c = {actor, business_id, 0, 0, 0, 0};
    rc = db_tx(db, false, all_tx, &c, err);
    if (rc == AT_OK) {
        pause_finish_lanes(db, c.lanes_left, 1);
        at_wake(db, business_id);
    }
    if (rules_removed)
        *rules_removed = rc ? 0 : c.removed;
    if (tasks_released)
        *tasks_released = rc ? 0 : c.released;
    if (platform_left)
        *platform_left = rc ? 0 : c.platform_left;
    return rc;
}

/* ---- expiry, for the supervisors' dispatcher ---- */

static int
expire_tx(at_db *db, void *vctx, at_error *err)
{
    uint64_t *business_id = vctx;
    int left = 0;
    int rc = lock_business(db, *business_id, err);
    if (rc == AT_OK)
        rc = pause_expire_rules(db, *business_id, &left, NULL, err);
    return rc;
}

int
pause_expire_due(at_db *db, uint64_t *expired, at_error *err)
{
    *expired = 0;
    uint64_t *ids = NULL;
    size_t n = 0;
    int rc = db_rows(db, DB_RETRY,
                     "SELECT DISTINCT business_id FROM pause_rules FORCE INDEX (pause_rules_until) "
                     "WHERE paused_until <= UTC_TIMESTAMP(6) LIMIT 100",
                     NULL, 0, sizeof *ids, db_fill_u64, (void **) &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        rc = db_tx(db, false, expire_tx, &ids[i], err);
    free(ids);
    if (rc == AT_OK)
        *expired = n;
    return rc;
}
