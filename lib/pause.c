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

/* Takes the business's row lock for the rest of the transaction. */
static int
lock_business(at_db *db, uint64_t business_id, at_error *err)
{
    uint64_t id;
    db_arg a[] = {da_u64(business_id)};
    int rc = db_query_u64(db, 0, "SELECT id FROM businesses WHERE id = ? FOR UPDATE", a, 1, &id,
                          err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no business #%llu",
                            (unsigned long long) business_id);
    return rc;
}

/* Name of a target, which must belong to the business: a member, or a
 * registered task type. */
static int
target_name(at_db *db, uint64_t business_id, int scope, uint64_t target, char *name,
            size_t namelen, at_error *err)
{
    db_res r;
    int rc;
    if (scope == AT_SCOPE_USER) {
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
                          scope == AT_SCOPE_USER ? "user #%llu is not a member of this business"
                                                 : "no task type #%llu",
                          (unsigned long long) target);
    }
    db_res_close(&r);
    return rc;
}

/* Expired rules hold nothing; removing them keeps the set small. */
static int
purge_expired(at_db *db, uint64_t business_id, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    return db_exec(db, 0,
                   "DELETE FROM pause_rules WHERE business_id = ? "
                   "AND paused_until IS NOT NULL AND paused_until <= UTC_TIMESTAMP(6)",
                   a, 1, NULL, NULL, err);
}

struct add_ctx {
    const at_actor *actor;
    uint64_t business_id;
    int scope;
    const uint64_t *targets;
    size_t n;
    const char *reason;
    at_time until;
};

static int
add_tx(at_db *db, void *vctx, at_error *err)
{
    struct add_ctx *c = vctx;
    int rc = lock_business(db, c->business_id, err);
    if (rc == AT_OK)
        rc = purge_expired(db, c->business_id, err);
    at_time now = 0;
    if (rc == AT_OK)
        rc = at_db_now(db, &now, err);
    if (rc)
        return rc;
    if (c->until && c->until <= now) {
        char tb[32];
        return at_error_set(err, AT_EINVAL, "pause expiry %s UTC is not in the future",
                            at_time_format(c->until, tb, sizeof tb));
    }
    char detail[64] = "";
    if (c->until) {
        char tb[32];
        snprintf(detail, sizeof detail, "until %s UTC", at_time_format(c->until, tb, sizeof tb));
    }
    for (size_t i = 0; i < c->n && rc == AT_OK; i++) {
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            dup |= c->targets[k] == c->targets[i];
        if (dup)
            continue;
        char name[AT_NAME_BUF];
        rc = target_name(db, c->business_id, c->scope, c->targets[i], name, sizeof name, err);
        if (rc)
            break;
        db_arg a[] = {da_u64(c->business_id),
                      da_str(at_scope_str(c->scope)),
                      da_u64(c->targets[i]),
                      da_str(c->reason),
                      c->actor->user_id ? da_u64(c->actor->user_id) : da_null(),
                      da_str(c->actor->name),
                      da_time(now),
                      da_time(c->until)};
        rc = db_exec(db, 0,
                     "INSERT INTO pause_rules (business_id, scope, target_id, reason, paused_by, "
                     "paused_by_name, paused_at, paused_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON DUPLICATE KEY UPDATE reason = VALUES(reason), "
                     "paused_by = VALUES(paused_by), paused_by_name = VALUES(paused_by_name), "
                     "paused_at = VALUES(paused_at), paused_until = VALUES(paused_until)",
                     a, AT_COUNT(a), NULL, NULL, err);
        if (rc == AT_OK)
            rc = at_audit_write(db, c->business_id, c->actor, "pause", at_scope_str(c->scope),
                                c->targets[i], name, c->reason, detail, err);
    }
    return rc;
}

static int
check_scope(int scope, at_error *err)
{
    if (scope != AT_SCOPE_USER && scope != AT_SCOPE_TASK_TYPE)
        return at_error_set(err, AT_EINVAL, "pause scope must be user or task type");
    return AT_OK;
}

int
at_pause_add(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
             const uint64_t *targets, size_t n, const char *reason, at_time until, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = check_scope(scope, err);
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
    struct add_ctx c = {actor, business_id, scope, targets, n, reason ? reason : "", until};
    return db_tx(db, false, add_tx, &c, err);
}

struct resume_ctx {
    const at_actor *actor;
    uint64_t business_id;
    int scope;
    uint64_t target;
};

static int
resume_tx(at_db *db, void *vctx, at_error *err)
{
    struct resume_ctx *c = vctx;
    int rc = lock_business(db, c->business_id, err);
    if (rc == AT_OK)
        rc = purge_expired(db, c->business_id, err);
    if (rc)
        return rc;
    char name[AT_NAME_BUF] = "";
    at_error ignore;
    target_name(db, c->business_id, c->scope, c->target, name, sizeof name, &ignore);
    db_arg a[] = {da_u64(c->business_id), da_str(at_scope_str(c->scope)), da_u64(c->target)};
    uint64_t n = 0;
    rc = db_exec(db, 0, "DELETE FROM pause_rules WHERE business_id = ? AND scope = ? AND target_id = ?",
                 a, 3, &n, NULL, err);
    if (rc)
        return rc;
    if (n == 0)
        return at_error_set(err, AT_ENOTFOUND, "%s %s is not paused",
                            c->scope == AT_SCOPE_USER ? "user" : "task type",
                            name[0] ? name : "(unknown)");
    return at_audit_write(db, c->business_id, c->actor, "resume", at_scope_str(c->scope),
                          c->target, name, NULL, NULL, err);
}

int
at_pause_resume(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
                uint64_t target, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = check_scope(scope, err);
    if (rc)
        return rc;
    struct resume_ctx c = {actor, business_id, scope, target};
    rc = db_tx(db, false, resume_tx, &c, err);
    if (rc == AT_OK)
        at_wake(db); /* the tasks it held may run now */
    return rc;
}

/* ---- reading rules ---- */

/* A rule with its target's name. */
#define RULE_COLS                                                                                  \
    "r.id, r.business_id, r.scope, r.target_id, COALESCE(u.name, t.name, ''), r.reason, "         \
    "r.paused_by, r.paused_by_name, r.paused_at, r.paused_until"
#define RULE_FROM                                                                                  \
    "FROM pause_rules r "                                                                          \
    "LEFT JOIN users u ON r.scope = 'user' AND u.id = r.target_id "                                \
    "LEFT JOIN task_types t ON r.scope = 'task_type' AND t.id = r.target_id"

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
    if (rc)
        at_pause_set_free(set);
    return rc;
}

void
at_pause_set_free(at_pause_set *set)
{
    if (!set)
        return;
    free(set->rules);
    set->rules = NULL;
    set->n = 0;
}

/* ---- reading what a page shows: O(page), never O(rules) ---- */

/* Live rules of one scope of the business, counted up to a cap: the
 * derived table stops at cap + 1 rows. */
#define COUNT_LIVE(scope)                                                                          \
    "(SELECT COUNT(*) FROM (SELECT 1 FROM pause_rules WHERE business_id = ? AND scope = '" scope  \
    "' AND (paused_until IS NULL OR paused_until > ?) LIMIT ?) c)"

static int
add_rule(at_pause_set *set, const db_res *r, unsigned first, size_t *cap, at_error *err)
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
        if ((rc = add_rule(set, &r, first, &cap, err)) != AT_OK)
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
    sb_placeholders(sql, n);
    sb_add(sql, "))");
    for (size_t i = 0; i < n; i++)
        args_add(a, da_u64(ids[i]));
}

int
at_pause_load_for(at_db *db, uint64_t business_id, at_time now, const uint64_t *users,
                  size_t nusers, const uint64_t *types, size_t ntypes, at_pause_set *set,
                  at_pause_counts *counts, at_error *err)
{
    memset(set, 0, sizeof *set);
    set->business_id = business_id;
    set->now = now;
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
    int rc = check_scope(scope, err);
    if (rc)
        return rc;
    strbuf sql = {0};
    arglist a = {0};
    /* in the order of the rules' unique key: a range read cut at limit */
    sb_add(&sql, "SELECT " RULE_COLS " " RULE_FROM " WHERE r.business_id = ? AND r.scope = ? "
                 "AND (r.paused_until IS NULL OR r.paused_until > ?) "
                 "ORDER BY r.scope, r.target_id LIMIT ?");
    args_add(&a, da_u64(business_id));
    args_add(&a, da_str(at_scope_str(scope)));
    args_add(&a, da_time(now));
    args_add(&a, da_u64(limit));
    rc = read_rules(db, &sql, &a, 0, set, NULL, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        at_pause_set_free(set);
    return rc;
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
    unsigned removed;
    uint64_t released;
};

static int
count_held(at_db *db, const at_pause_set *set, uint64_t *count, at_error *err)
{
    *count = 0;
    strbuf sql = {0};
    arglist a = {0};
    size_t nu = 0, nt = 0;
    for (size_t i = 0; i < set->n; i++)
        set->rules[i].scope == AT_SCOPE_USER ? nu++ : nt++;
    if (nu + nt == 0)
        return AT_OK;
    sb_add(&sql, "SELECT COUNT(*) FROM tasks WHERE business_id = ? AND state = 'queued' AND (");
    args_add(&a, da_u64(set->business_id));
    for (int pass = 0; pass < 2; pass++) {
        int scope = pass == 0 ? AT_SCOPE_USER : AT_SCOPE_TASK_TYPE;
        size_t k = pass == 0 ? nu : nt;
        if (!k)
            continue;
        if (pass == 1 && nu)
            sb_add(&sql, " OR ");
        sb_add(&sql, pass == 0 ? "user_id IN (" : "task_type_id IN (");
        sb_placeholders(&sql, k);
        sb_add(&sql, ")");
        for (size_t i = 0; i < set->n; i++)
            if (set->rules[i].scope == scope)
                args_add(&a, da_u64(set->rules[i].target_id));
    }
    sb_add(&sql, ")");
    int rc = sql.oom || a.oom ? at_error_set(err, AT_ENOMEM, "out of memory")
                              : db_query_u64(db, 0, sql.p, a.v, (unsigned) a.n, count, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

static int
all_tx(at_db *db, void *vctx, at_error *err)
{
    struct all_ctx *c = vctx;
    c->removed = 0;
    c->released = 0;
    int rc = lock_business(db, c->business_id, err);
    at_pause_set set = {0};
    if (rc == AT_OK)
        rc = at_pause_load(db, c->business_id, &set, err);
    if (rc == AT_OK)
        rc = count_held(db, &set, &c->released, err);
    if (rc == AT_OK) {
        db_arg a[] = {da_u64(c->business_id)};
        rc = db_exec(db, 0, "DELETE FROM pause_rules WHERE business_id = ?", a, 1, NULL, NULL,
                     err);
    }
    for (size_t i = 0; rc == AT_OK && i < set.n; i++) {
        const at_pause_rule *r = &set.rules[i];
        /* the reason is the pause's; the resume itself has none */
        char detail[AT_NAME_BUF + AT_REASON_BUF + 64], at[32];
        snprintf(detail, sizeof detail, "Resume All; paused by %s at %s UTC%s%s",
                 r->paused_by_name, at_time_format(r->paused_at, at, sizeof at),
                 r->reason[0] ? ": " : "", r->reason);
        rc = at_audit_write(db, c->business_id, c->actor, "resume_all", at_scope_str(r->scope),
                            r->target_id, r->target_name, NULL, detail, err);
    }
    if (rc == AT_OK)
        c->removed = (unsigned) set.n;
    at_pause_set_free(&set);
    return rc;
}

int
at_pause_resume_all(at_db *db, const at_actor *actor, uint64_t business_id,
                    unsigned *rules_removed, uint64_t *tasks_released, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct all_ctx c = {actor, business_id, 0, 0};
    rc = db_tx(db, false, all_tx, &c, err);
    if (rc == AT_OK)
        at_wake(db);
    if (rules_removed)
        *rules_removed = rc ? 0 : c.removed;
    if (tasks_released)
        *tasks_released = rc ? 0 : c.released;
    return rc;
}
