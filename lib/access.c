/* access.c: who is asking and what they may administer. The one file
 * that knows the rules: a platform admin (a row in platform_admins)
 * administers every business; a business admin (a membership with role
 * business_admin) the businesses of those memberships; nobody else any.
 * The request's whole context is one statement, so that a page starts
 * with one round trip, not a handful. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Everything a request needs to know before its page, in one row: the
 * clock; the live session and its user; the two admin flags; the named
 * business and the user's role there. The one-row derived table makes
 * the row come back for an anonymous request too (the clock alone). */
#define CONTEXT_COLS                                                                               \
    "SELECT UTC_TIMESTAMP(6), s.user_id, s.csrf_token, s.created_at, s.last_seen_at, "            \
    "s.expires_at, s.flash, u.email, u.name, u.created_at, p.user_id IS NOT NULL, "                \
    "EXISTS (SELECT 1 FROM memberships a WHERE a.user_id = u.id "                             \
    "AND a.role = 'business_admin'), "                                                             \
    "b.id, b.slug, b.name, b.created_at, m.role"
/* The live sessions among the request's tokens (AT_ACCESS_TOKENS of them,
 * NULL for none), counted by their primary key: the session is the one
 * when there is exactly one, and none is guessed at when there are more.
 * A session of a disabled user is not live (its user's row, by its
 * primary key, in the same statement). Then: how many, and which. */
#define CONTEXT_LIVE_SEVERAL ", live.n, s.token_hash"
#define CONTEXT_FROM_SEVERAL                                                                       \
    " FROM (SELECT COUNT(*) n, MIN(x.token_hash) h FROM sessions x "                               \
    "JOIN users d ON d.id = x.user_id AND d.disabled_at IS NULL "                                  \
    "WHERE x.token_hash IN (?, ?, ?) AND x.expires_at > UTC_TIMESTAMP(6) "                         \
    "AND x.last_seen_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND) live "                             \
    "LEFT JOIN sessions s ON s.token_hash = live.h AND live.n = 1 "                                \
    "LEFT JOIN users u ON u.id = s.user_id"
/* The same for a request with one token (or none), nearly every one: its
 * session joined by its key, and its user unless disabled; a third
 * cheaper (measured in docs/ARCHITECTURE.md, "The context statement").
 * A disabled user's session row may come, without its user: no session. */
#define CONTEXT_LIVE_ONE ", u.id IS NOT NULL, s.token_hash"
#define CONTEXT_FROM_ONE                                                                           \
    " FROM (SELECT 1) one "                                                                        \
    "LEFT JOIN sessions s ON s.token_hash = ? AND s.expires_at > UTC_TIMESTAMP(6) "                \
    "AND s.last_seen_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND "                                   \
    "LEFT JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL"
/* Either way, the rest: the admin flags, the named business and the role
 * there. */
#define CONTEXT_FROM_REST                                                                          \
    " LEFT JOIN platform_admins p ON p.user_id = u.id "                                            \
    "LEFT JOIN businesses b ON b.slug = ? AND u.id IS NOT NULL "                                   \
    "LEFT JOIN memberships m ON m.business_id = b.id AND m.user_id = u.id"
#define CONTEXT_NCOLS 19
/* A business admin's Business menu: the same row once for each business
 * they administer (unsorted: the few rows are sorted here, and a cut list
 * is not shown as a menu), or once with NULLs there. */
#define MENU_COLS ", l.id, l.slug, l.name, l.created_at"
#define MENU_NCOLS 4
#define MENU_FROM                                                                                  \
    " LEFT JOIN memberships am ON am.user_id = u.id AND am.role = 'business_admin' "         \
    "AND p.user_id IS NULL "                                                                       \
    "LEFT JOIN businesses l ON l.id = am.business_id LIMIT ?"
/* The named business's totals (counts.c), and whether it has any pause
 * rule, on each row. */
#define TOTALS_COLS ", " AT_TOTALS_OF("b.id") ", " AT_HAS_RULES("b.id")

_Static_assert(AT_ACCESS_TOKENS == 3, "CONTEXT_FROM_SEVERAL has a placeholder for each token");

/* The request's session tokens, and their hashes as the sessions table
 * keys them. */
typedef struct tokens {
    const char *token[AT_ACCESS_TOKENS];
    unsigned char hash[AT_ACCESS_TOKENS][32];
    unsigned live; /* the live sessions among them, from the context */
} tokens;

static void
tokens_of(const at_access_req *req, tokens *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < AT_ACCESS_TOKENS; i++) {
        const char *tok = i == 0 ? req->session_token : req->more_tokens[i - 1];
        if (tok && at_session_token_ok(tok)) {
            t->token[i] = tok;
            at_sha256(tok, AT_TOKEN_LEN, t->hash[i]);
        }
    }
}

/* Which of the request's tokens the row's session is. */
static const char *
token_of_row(const db_res *r, const tokens *t)
{
    size_t len = 0;
    const char *h = db_col(r, CONTEXT_NCOLS - 1, &len);
    for (size_t i = 0; h && len == 32 && i < AT_ACCESS_TOKENS; i++)
        if (t->token[i] && memcmp(h, t->hash[i], 32) == 0)
            return t->token[i];
    return NULL;
}

static int
fill_context(const db_res *r, at_access *a, tokens *t)
{
    a->now = db_time(r, 0);
    t->live = (unsigned) db_i64(r, CONTEXT_NCOLS - 2);
    if (db_isnull(r, 1) || db_isnull(r, 7) || !(a->token = token_of_row(r, t)))
        return AT_OK; /* no live session, or more than one */
    a->logged_in = 1;
    a->session.user_id = db_u64(r, 1);
    db_copy(r, 2, a->session.csrf, sizeof a->session.csrf);
    a->session.created_at = db_time(r, 3);
    a->session.last_seen_at = db_time(r, 4);
    a->session.expires_at = db_time(r, 5);
    db_copy(r, 6, a->flash, sizeof a->flash);
    a->user.id = a->session.user_id;
    db_copy(r, 7, a->user.email, sizeof a->user.email);
    db_copy(r, 8, a->user.name, sizeof a->user.name);
    a->user.created_at = db_time(r, 9);
    a->platform_admin = db_i64(r, 10) != 0;
    a->administers = a->platform_admin || db_i64(r, 11) != 0;
    if (!db_isnull(r, 12)) {
        at_business_fill_at(r, 12, &a->business);
        a->role = at_role_parse(db_col(r, 16, NULL));
    }
    return AT_OK;
}

/* The rule: a platform admin administers every business, a business
 * admin those where that is their role. Any other business, existing or
 * not, is "no such business" to them. */
static void
decide(at_access *out)
{
    out->business_ok = out->business.id &&
                       (out->platform_admin || out->role == AT_ROLE_BUSINESS_ADMIN);
    if (!out->business_ok) {
        memset(&out->business, 0, sizeof out->business);
        out->role = AT_ROLE_NONE;
    }
}

static int
by_slug(const void *x, const void *y)
{
    return strcmp(((const at_business *) x)->slug, ((const at_business *) y)->slug);
}

/* The task list's searches, each a column of the context statement
 * (search_ids.c), and what their arguments point to. Only a valid search
 * of a valid slug is resolved; the list resolves any other itself. */
typedef struct searches {
    const char *term[2];
    search_sql keep[2];
} searches;
static const int search_kinds[2] = {SEARCH_USERS, SEARCH_TYPES};

static void
searches_of(const at_access_more *m, const char *slug, searches *s)
{
    const char *given[2] = {m->user_search, m->type_search};
    for (int k = 0; k < 2; k++)
        s->term[k] = slug && given[k] && *given[k] && at_check_search("", given[k], NULL) == AT_OK
                         ? given[k]
                         : NULL;
}

/* The request's one session token (its index), -1 for none, or -2 when it
 * brings several different ones (a token sent twice is one). */
static int
only_token(const tokens *t)
{
    int one = -1;
    for (int i = 0; i < AT_ACCESS_TOKENS; i++) {
        if (!t->token[i])
            continue;
        if (one < 0)
            one = i;
        else if (memcmp(t->hash[i], t->hash[one], sizeof t->hash[i]) != 0)
            return -2;
    }
    return one;
}

/* The session's joins and their arguments: for several tokens the count
 * of their live sessions, else the one token's session directly. */
static void
add_session(strbuf *sql, arglist *a, const tokens *t, unsigned idle_s)
{
    int one = only_token(t);
    if (one == -2) {
        sb_add(sql, CONTEXT_FROM_SEVERAL);
        for (size_t i = 0; i < AT_ACCESS_TOKENS; i++)
            args_add(a, t->token[i] ? da_blob(t->hash[i], sizeof t->hash[i]) : da_null());
    } else {
        sb_add(sql, CONTEXT_FROM_ONE);
        args_add(a, one >= 0 ? da_blob(t->hash[one], sizeof t->hash[one]) : da_null());
    }
    args_add(a, da_u64(idle_s));
}

/* The statement: the context's columns, the menu's, the totals', the
 * searches' (whose arguments, in the select list, come first), then the
 * joins. */
static void
build(strbuf *sql, arglist *a, const tokens *t, unsigned idle_s, const at_access_more *m,
      const char *slug, searches *s)
{
    sb_add(sql, CONTEXT_COLS);
    sb_add(sql, only_token(t) == -2 ? CONTEXT_LIVE_SEVERAL : CONTEXT_LIVE_ONE);
    if (m->menu_max)
        sb_add(sql, MENU_COLS);
    if (m->totals)
        sb_add(sql, TOTALS_COLS);
    for (int k = 0; k < 2; k++) {
        if (!s->term[k])
            continue;
        sb_add(sql, ", ");
        search_ids_column(sql, a, &s->keep[k], search_kinds[k],
                          "(SELECT id FROM businesses WHERE slug = ?)", da_str(slug), s->term[k]);
    }
    add_session(sql, a, t, idle_s);
    sb_add(sql, CONTEXT_FROM_REST);
    args_add(a, da_str(slug));
    if (m->menu_max) {
        sb_add(sql, MENU_FROM);
        args_add(a, da_u64((uint64_t) m->menu_max + 1));
    }
}

/* The searches' columns from col on; one that did not come whole (a
 * server whose group_concat_max_len is below 21 kB cuts it) stays
 * unresolved, and the list resolves it with a statement of its own. */
static void
read_searches(const db_res *r, unsigned col, const searches *s, at_access_more *m)
{
    at_search_ids *out[2] = {&m->user_ids, &m->type_ids};
    for (int k = 0; k < 2; k++) {
        if (!s->term[k])
            continue;
        size_t len = 0;
        const char *text = db_col(r, col++, &len);
        (void) search_ids_parse(text, len, out[k]);
    }
}

static void
no_searches(at_access_more *more)
{
    at_search_ids_free(&more->user_ids);
    at_search_ids_free(&more->type_ids);
}

/* The context's rows: the first fills the context (and the totals), each
 * a business of the menu; more than the menu's size of them is a list too
 * long for a menu. */
static int
read_rows(db_res *r, at_access *out, tokens *t, at_access_more *m, const searches *s,
          at_business *menu, at_error *err)
{
    int rc;
    size_t rows = 0;
    unsigned totals_col = CONTEXT_NCOLS + (m->menu_max ? MENU_NCOLS : 0);
    unsigned search_col = totals_col + (m->totals ? AT_TOTALS_NCOLS + 1 : 0);
    while ((rc = db_fetch(r, err)) == 1) {
        if (rows++ == 0) {
            fill_context(r, out, t);
            if (m->totals) {
                at_task_counts_fill_at(r, totals_col, &m->counts);
                m->has_rules = db_i64(r, totals_col + AT_TOTALS_NCOLS) != 0;
            }
            read_searches(r, search_col, s, m);
        }
        if (!m->menu_max || db_isnull(r, CONTEXT_NCOLS))
            continue;
        if (m->nmenu == m->menu_max)
            m->menu_more = 1;
        else
            at_business_fill_at(r, CONTEXT_NCOLS, &menu[m->nmenu++]);
    }
    if (rc < 0)
        return rc;
    if (rows == 0)
        return at_error_set(err, AT_ENOTFOUND, "no request context");
    if (m->nmenu > 1)
        qsort(menu, m->nmenu, sizeof *menu, by_slug);
    return AT_OK;
}

static int
load_rows(at_db *db, unsigned idle_s, const char *slug, at_access *out, tokens *t,
          at_access_more *m, at_error *err)
{
    at_business *menu = NULL;
    if (m->menu_max && !(menu = calloc((size_t) m->menu_max + 1, sizeof *menu)))
        return at_error_set(err, AT_ENOMEM, "out of memory");
    strbuf sql = {0};
    arglist a = {0};
    searches s;
    searches_of(m, slug, &s);
    build(&sql, &a, t, idle_s, m, slug, &s);
    db_res r;
    int rc = sb_failed(&sql, &a)
                 ? at_error_set(err, AT_ENOMEM, "out of memory")
                 : db_query(db, DB_RETRY, sql.p, a.v, (unsigned) a.n, &r, err);
    sb_free(&sql);
    args_free(&a);
    if (rc == AT_OK) {
        rc = read_rows(&r, out, t, m, &s, menu, err);
        db_res_close(&r);
    }
    m->menu = menu;
    /* a platform admin's menu is every business: read in slug order */
    if (rc == AT_OK && m->menu_max && out->logged_in && out->platform_admin) {
        free(m->menu);
        m->menu = NULL;
        rc = at_access_businesses(db, out, m->menu_max, &m->menu, &m->nmenu, &m->menu_more, err);
    }
    return rc;
}

/* No totals, and rules assumed (has_rules 0 would skip reading them). */
static void
no_totals(at_access_more *more)
{
    memset(&more->counts, 0, sizeof more->counts);
    more->has_rules = 1;
}

static void
no_menu(at_access_more *more)
{
    free(more->menu);
    more->menu = NULL;
    more->nmenu = 0;
    more->menu_more = 0;
}

int
at_access_load(at_db *db, const at_access_req *req, at_access *out, at_error *err)
{
    at_access_more none = {0};
    return at_access_load_more(db, req, out, &none, err);
}

int
at_access_load_more(at_db *db, const at_access_req *req, at_access *out, at_access_more *more,
                    at_error *err)
{
    memset(out, 0, sizeof *out);
    more->menu = NULL;
    no_menu(more);
    no_totals(more);
    memset(&more->user_ids, 0, sizeof more->user_ids);
    memset(&more->type_ids, 0, sizeof more->type_ids);
    if (more->menu_max > 10000)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 10000, not %u", more->menu_max);
    tokens t;
    tokens_of(req, &t);
    const char *slug = req->business && at_check_slug(req->business, NULL) == AT_OK
                           ? req->business
                           : NULL;
    int rc = load_rows(db, req->idle_s, slug, out, &t, more, err);
    if (rc == AT_OK && t.live > 1)
        rc = at_error_set(err, AT_ECONFLICT, "the request names %u live sessions", t.live);
    if (rc) {
        no_menu(more);
        no_totals(more);
        no_searches(more);
        memset(out, 0, sizeof *out);
        return rc == AT_ECONFLICT ? rc : at_error_wrap(err, "who is asking");
    }
    decide(out);
    if (!out->business_ok) { /* of no business of theirs */
        no_totals(more);
        no_searches(more);
    }
    if (out->logged_in)
        at_session_seen(db, out->token, out->now, &out->session);
    return AT_OK;
}

int
at_access_businesses(at_db *db, const at_access *a, unsigned limit, at_business **out, size_t *n,
                     int *more, at_error *err)
{
    *out = NULL;
    *n = 0;
    *more = 0;
    if (limit < 1 || limit > 10000)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 10000, not %u", limit);
    if (!a->logged_in || !a->administers)
        return AT_OK;
    int rc;
    if (a->platform_admin) {
        db_arg b[] = {da_u64((uint64_t) limit + 1)};
        rc = db_rows(db, DB_RETRY,
                     "SELECT " AT_BUSINESS_COLS " FROM businesses b ORDER BY b.slug LIMIT ?", b, 1,
                     sizeof **out, at_business_fill, (void **) out, n, err);
    } else {
        /* sorts the businesses of one person's admin memberships: few */
        db_arg b[] = {da_u64(a->user.id), da_u64((uint64_t) limit + 1)};
        rc = db_rows(db, DB_RETRY,
                     "SELECT " AT_BUSINESS_COLS " FROM memberships m "
                     "JOIN businesses b ON b.id = m.business_id "
                     "WHERE m.user_id = ? AND m.role = 'business_admin' ORDER BY b.slug LIMIT ?",
                     b, 2, sizeof **out, at_business_fill, (void **) out, n, err);
    }
    if (rc)
        return rc;
    if (*n > limit) {
        *n = limit;
        *more = 1;
    }
    return AT_OK;
}

int
at_access_businesses_among(at_db *db, const at_access *a, const uint64_t *ids, size_t n,
                           at_business **out, size_t *nout, at_error *err)
{
    *out = NULL;
    *nout = 0;
    if (n == 0 || !a->logged_in || !a->administers)
        return AT_OK;
    strbuf sql = {0};
    arglist args = {0};
    sb_add(&sql, "SELECT " AT_BUSINESS_COLS " FROM businesses b");
    if (!a->platform_admin) {
        sb_add(&sql, " JOIN memberships m ON m.business_id = b.id AND m.user_id = ? "
                     "AND m.role = 'business_admin'");
        args_add(&args, da_u64(a->user.id));
    }
    sb_add(&sql, " WHERE b.id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(&args, da_u64(ids[i]));
    sb_in_list(&sql, &args, n);
    sb_add(&sql, ")");
    int rc = sql.oom || args.oom
                 ? at_error_set(err, AT_ENOMEM, "out of memory")
                 : db_rows(db, DB_RETRY, sql.p, args.v, (unsigned) args.n, sizeof **out,
                           at_business_fill, (void **) out, nout, err);
    sb_free(&sql);
    args_free(&args);
    return rc;
}

int
at_member_role(at_db *db, uint64_t business_id, uint64_t user_id, int *role, at_error *err)
{
    *role = AT_ROLE_NONE;
    db_arg a[] = {da_u64(business_id), da_u64(user_id)};
    db_res r;
    int rc = db_query(db, DB_RETRY,
                      "SELECT role FROM memberships WHERE business_id = ? AND user_id = ?", a, 2,
                      &r, err);
    if (rc)
        return rc;
    if ((rc = db_fetch(&r, err)) == 1)
        *role = at_role_parse(db_col(&r, 0, NULL));
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

struct member_row {
    at_user *u;
    int *role;
};

static int
fill_member(const db_res *r, void *elem, at_error *err)
{
    struct member_row *m = elem;
    at_user_fill(r, m->u, err);
    *m->role = db_isnull(r, AT_USER_NCOLS) ? AT_ROLE_NONE
                                          : at_role_parse(db_col(r, AT_USER_NCOLS, NULL));
    return AT_OK;
}

int
at_member_get(at_db *db, uint64_t business_id, const char *email, at_user *u, int *role,
              at_error *err)
{
    memset(u, 0, sizeof *u);
    *role = AT_ROLE_NONE;
    int rc = at_check_email(email, err);
    if (rc)
        return rc;
    db_arg a[] = {da_u64(business_id), da_str(email)};
    struct member_row m = {u, role};
    char what[AT_NAME_BUF + 16];
    snprintf(what, sizeof what, "user '%s'", email);
    return db_row(db, DB_RETRY,
                  "SELECT " AT_USER_COLS ", m.role FROM users u "
                  "LEFT JOIN memberships m ON m.business_id = ? AND m.user_id = u.id "
                  "WHERE u.email = ?",
                  a, AT_COUNT(a), fill_member, &m, what, err);
}

static int
fill_id(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    *(uint64_t *) elem = db_u64(r, 0);
    return AT_OK;
}

int
at_access_platform_admins(at_db *db, const uint64_t *ids, size_t n, int *flags, at_error *err)
{
    for (size_t i = 0; i < n; i++)
        flags[i] = 0;
    if (n == 0)
        return AT_OK;
    strbuf sql = {0};
    arglist args = {0};
    sb_add(&sql, "SELECT user_id FROM platform_admins WHERE user_id IN (");
    for (size_t i = 0; i < n; i++)
        args_add(&args, da_u64(ids[i]));
    sb_in_list(&sql, &args, n);
    sb_add(&sql, ")");
    uint64_t *admins = NULL;
    size_t na = 0;
    int rc = sql.oom || args.oom
                 ? at_error_set(err, AT_ENOMEM, "out of memory")
                 : db_rows(db, DB_RETRY, sql.p, args.v, (unsigned) args.n, sizeof *admins,
                           fill_id, (void **) &admins, &na, err);
    sb_free(&sql);
    args_free(&args);
    for (size_t k = 0; rc == AT_OK && k < na; k++)
        for (size_t i = 0; i < n; i++)
            if (ids[i] == admins[k])
                flags[i] = 1;
    free(admins);
    return rc;
}

int
at_access_platform_rules(at_db *db, const at_actor *actor, at_error *err)
{
    if (actor->user_id == 0)
        return AT_OK; /* the operator */
    uint64_t n = 0;
    db_arg a[] = {da_u64(actor->user_id)};
    int rc = db_query_u64(db, 0,
                          "SELECT COUNT(*) FROM platform_admins p JOIN users u ON u.id = p.user_id "
                          "AND u.disabled_at IS NULL WHERE p.user_id = ? LOCK IN SHARE MODE",
                          a, 1, &n, err);
    if (rc == AT_OK && n == 0)
        rc = at_error_set(err, AT_EDENIED,
                          "only a platform admin may pause or resume for all businesses");
    return rc;
}

struct admin_change {
    const at_actor *actor;
    uint64_t user_id;
};

static int
admin_add_tx(at_db *db, void *ctx, at_error *err)
{
    const struct admin_change *x = ctx;
    at_user u;
    int rc = at_user_get_by_id(db, x->user_id, &u, err);
    if (rc)
        return rc;
    db_arg a[] = {da_u64(x->user_id)};
    uint64_t added = 0;
    rc = db_exec(db, 0, "INSERT IGNORE INTO platform_admins (user_id) VALUES (?)", a, 1, &added,
                 NULL, err);
    if (rc == AT_OK && added)
        rc = at_audit_write(db, AT_AUDIT_PLATFORM, x->actor, "add_platform_admin", "user", u.id,
                            u.email, NULL, NULL, err);
    return rc;
}

/* Makes a user a platform admin: of every business, now and later. */
int
at_platform_admin_add(at_db *db, const at_actor *actor, uint64_t user_id, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct admin_change x = {actor, user_id};
    rc = db_tx(db, true, admin_add_tx, &x, err);
    return rc ? at_error_wrap(err, "add platform admin") : AT_OK;
}

static int
admin_remove_tx(at_db *db, void *ctx, at_error *err)
{
    const struct admin_change *x = ctx;
    /* every platform admin's row, locked: two removals at once cannot
     * each leave the other as the last one and both go */
    uint64_t *ids = NULL;
    size_t n = 0, found = 0;
    int rc = db_rows(db, 0, "SELECT user_id FROM platform_admins FOR UPDATE", NULL, 0,
                     sizeof *ids, fill_id, (void **) &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        found += ids[i] == x->user_id;
    free(ids);
    at_user u;
    if (rc == AT_OK)
        rc = at_user_get_by_id(db, x->user_id, &u, err);
    if (rc)
        return rc;
    if (!found)
        return at_error_set(err, AT_ENOTFOUND, "%s is not a platform admin", u.email);
    if (n == 1)
        return at_error_set(err, AT_ESTATE,
                            "%s is the last platform admin: make another one first "
                            "(asynctasks platform-admin add EMAIL)",
                            u.email);
    db_arg a[] = {da_u64(x->user_id)};
    rc = db_exec(db, 0, "DELETE FROM platform_admins WHERE user_id = ?", a, 1, NULL, NULL, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, AT_AUDIT_PLATFORM, x->actor, "remove_platform_admin", "user",
                            u.id, u.email, NULL, NULL, err);
    return rc;
}

int
at_platform_admin_remove(at_db *db, const at_actor *actor, uint64_t user_id, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct admin_change x = {actor, user_id};
    return db_tx(db, true, admin_remove_tx, &x, err);
}
