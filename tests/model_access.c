/* model_access.c: a request's context (lib/access.c) against the real
 * database: who is logged in, what they administer, the business a
 * request names and the role there, the one-shot message and the clock,
 * all in one statement; the Business menu, the businesses among others a
 * person may see, roles, platform admins; and the statement counter that
 * holds pages to their budget. One function per case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testdb.h"

static at_db *db;
static uint64_t biz, other, admin, member, platform, outsider;
static at_business b_biz, b_other;
static char t_admin[AT_TOKEN_LEN + 1], t_member[AT_TOKEN_LEN + 1], t_platform[AT_TOKEN_LEN + 1];

static void
session(uint64_t user, char *token)
{
    at_session s;
    at_error err = {0};
    if (at_session_create(db, user, 3600, token, &s, &err))
        bail("%s", err.msg);
}

static void
setup(void)
{
    at_error err = {0};
    biz = testdb_business(db, "acc");
    other = testdb_business(db, "acc-other");
    admin = testdb_user(db, 0, "Ada Admin");
    member = testdb_user(db, biz, "Nora Member");
    platform = testdb_user(db, 0, "Pia Platform");
    outsider = testdb_user(db, 0, "Otto Outsider");
    if (at_member_add(db, biz, admin, AT_ROLE_BUSINESS_ADMIN, &err) ||
        at_platform_admin_add(db, &(at_actor){0, "cli:test"}, platform, &err) ||
        at_business_get_by_id(db, biz, &b_biz, &err) ||
        at_business_get_by_id(db, other, &b_other, &err))
        bail("%s", err.msg);
    session(admin, t_admin);
    session(member, t_member);
    session(platform, t_platform);
}

/* The context of token asking for slug (either may be NULL). */
static at_access
load(const char *token, const char *slug)
{
    at_access a;
    at_error err = {0};
    at_access_req req = {token, 600, slug, {NULL}};
    if (at_access_load(db, &req, &a, &err))
        bail("at_access_load: %s", err.msg);
    return a;
}

static void
test_anonymous(void)
{
    at_access a = load(NULL, b_biz.slug);
    ok(!a.logged_in && !a.administers && !a.business_ok && a.business.id == 0,
       "anonymous: nobody, nothing, not even the business");
    ok(a.now > 1700000000LL * 1000000, "anonymous: the database clock comes along");
    a = load("not-a-token", NULL);
    ok(!a.logged_in, "a malformed token: nobody");
    char wrong[AT_TOKEN_LEN + 1];
    memcpy(wrong, t_admin, sizeof wrong);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    ok(!load(wrong, NULL).logged_in, "another token: nobody");
}

/* Several session cookies (a browser sends one per domain and path that
 * set it): the one that names a live session is used, wherever it comes;
 * two live ones are never chosen between. */
static void
test_several_tokens(void)
{
    char stale[AT_TOKEN_LEN + 1];
    memcpy(stale, t_admin, sizeof stale);
    stale[0] = stale[0] == 'a' ? 'b' : 'a';
    at_access a;
    at_error err = {0};
    at_access_req req = {stale, 600, b_biz.slug, {"not-a-token", t_admin}};
    ok(at_access_load(db, &req, &a, &err) == AT_OK && a.logged_in && a.user.id == admin &&
           a.business_ok && a.token == req.more_tokens[1],
       "a stale and a malformed token before the live one: the live one's context");
    at_access_req first = {t_admin, 600, NULL, {stale, NULL}};
    ok(at_access_load(db, &first, &a, &err) == AT_OK && a.logged_in && a.token == t_admin,
       "the live one before a stale one: the same");
    at_access_req twice = {t_admin, 600, NULL, {t_admin, NULL}};
    ok(at_access_load(db, &twice, &a, &err) == AT_OK && a.logged_in && a.user.id == admin,
       "the same token twice is one session");
    at_access_req two = {t_member, 600, b_biz.slug, {stale, t_admin}};
    err.msg[0] = 0;
    int rc = at_access_load(db, &two, &a, &err);
    ok(rc == AT_ECONFLICT && !a.logged_in && a.user.id == 0 && !a.business_ok,
       "two live sessions: refused, neither is taken");
    has_str(err.msg, "2 live sessions", "and the error says so");
}

static void
test_business_admin(void)
{
    at_access a = load(t_admin, b_biz.slug);
    ok(a.logged_in && a.user.id == admin && strstr(a.user.email, "@test.example.com") &&
           strcmp(a.user.name, "Ada Admin") == 0,
       "the session's user");
    ok(strlen(a.session.csrf) == AT_TOKEN_LEN, "the session's CSRF token");
    ok(a.administers && !a.platform_admin, "a business admin administers something");
    ok(a.business_ok && a.business.id == biz && strcmp(a.business.slug, b_biz.slug) == 0 &&
           a.role == AT_ROLE_BUSINESS_ADMIN,
       "their business, with their role");
}

static void
test_foreign_is_missing(void)
{
    at_access a = load(t_admin, b_other.slug);
    at_access none = load(t_admin, "no-such-business-acc");
    ok(!a.business_ok && a.business.id == 0 && a.role == AT_ROLE_NONE,
       "another business: not theirs");
    ok(!none.business_ok && memcmp(&a.business, &none.business, sizeof a.business) == 0 &&
           a.role == none.role,
       "and exactly like one that does not exist");
    ok(!load(t_admin, "Bad Slug!").business_ok, "a malformed slug names nothing");
}

static void
test_member(void)
{
    at_access a = load(t_member, b_biz.slug);
    ok(a.logged_in && !a.administers, "a member administers nothing");
    ok(!a.business_ok, "not even the business they belong to");
}

static void
test_platform_admin(void)
{
    at_access a = load(t_platform, b_other.slug);
    ok(a.logged_in && a.platform_admin && a.administers, "a platform admin");
    ok(a.business_ok && a.business.id == other && a.role == AT_ROLE_NONE,
       "administers a business they are no member of");
}

static void
test_idle(void)
{
    at_access a;
    at_error err = {0};
    sleep(2);
    at_access_req req = {t_member, 1, NULL, {NULL}};
    ok(at_access_load(db, &req, &a, &err) == AT_OK && !a.logged_in,
       "a session idle longer than allowed has ended");
    ok(load(t_member, NULL).logged_in, "within the idle time it is there");
}

static void
test_flash(void)
{
    at_error err = {0};
    ok(load(t_admin, NULL).flash[0] == 0, "no message");
    ok(at_session_flash_set(db, t_admin, "Task #1 saved.", &err) == AT_OK, "a message is kept");
    at_access a = load(t_admin, NULL);
    is_str(a.flash, "Task #1 saved.", "the context reads it");
    ok(strcmp(load(t_admin, NULL).flash, "Task #1 saved.") == 0, "reading does not clear it");
    ok(at_session_flash_clear(db, t_admin, "Another message.", &err) == AT_OK &&
           strcmp(load(t_admin, NULL).flash, "Task #1 saved.") == 0,
       "clearing another message leaves this one");
    ok(at_session_flash_clear(db, t_admin, a.flash, &err) == AT_OK &&
           load(t_admin, NULL).flash[0] == 0,
       "clearing the one shown removes it");
}

static void
test_menu(void)
{
    at_error err = {0};
    at_access a = load(t_admin, NULL);
    at_business *v = NULL;
    size_t n = 0;
    int more = -1;
    ok(at_access_businesses(db, &a, 10, &v, &n, &more, &err) == AT_OK && n == 1 &&
           v[0].id == biz && more == 0,
       "a business admin's menu: their business");
    free(v);
    a = load(t_platform, NULL);
    ok(at_access_businesses(db, &a, 1, &v, &n, &more, &err) == AT_OK && n == 1 && more == 1,
       "a platform admin's menu: cut at its size, and more");
    free(v);
    ok(at_access_businesses(db, &a, 2, &v, &n, &more, &err) == AT_OK && n == 2 &&
           strcmp(v[0].slug, v[1].slug) < 0,
       "by slug");
    free(v);
    a = load(t_member, NULL);
    ok(at_access_businesses(db, &a, 10, &v, &n, &more, &err) == AT_OK && n == 0 && !v,
       "a member's menu: empty");
    ok(at_access_businesses(db, &a, 0, &v, &n, &more, &err) == AT_EINVAL, "a menu of none: refused");
}

/* The menu read with the context: the same businesses in the same order
 * as at_access_businesses, and the same context as at_access_load. */
static void
test_menu_with_context(void)
{
    at_error err = {0};
    uint64_t zed = testdb_business(db, "zz-acc-menu"), aye = testdb_business(db, "aa-acc-menu");
    if (at_member_add(db, zed, admin, AT_ROLE_BUSINESS_ADMIN, &err) ||
        at_member_add(db, aye, admin, AT_ROLE_BUSINESS_ADMIN, &err) ||
        at_member_add(db, other, admin, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    const char *tokens[] = {t_admin, t_platform, t_member, NULL};
    const char *who[] = {"a business admin", "a platform admin", "a member", "nobody"};
    for (int i = 0; i < 4; i++) {
        for (unsigned limit = 1; limit <= 4; limit += 3) {
            at_access plain = load(tokens[i], b_biz.slug), a;
            at_access_req req = {tokens[i], 600, b_biz.slug, {NULL}};
            at_access_more m = {.menu_max = limit, .totals = 1};
            at_business *want = NULL;
            size_t nwant = 0;
            int more_want = 0;
            int rc = at_access_load_more(db, &req, &a, &m, &err);
            at_business *menu = m.menu;
            size_t n = m.nmenu;
            int more = m.menu_more;
            if (plain.logged_in &&
                at_access_businesses(db, &plain, limit, &want, &nwant, &more_want, &err))
                bail("%s", err.msg);
            int same = rc == AT_OK && menu != NULL && n == nwant && more == more_want;
            /* a cut list is not a menu: its order is not promised */
            for (size_t k = 0; same && !more && k < n; k++)
                same = menu[k].id == want[k].id && strcmp(menu[k].name, want[k].name) == 0;
            ok(same, "%s, menu of %u: %zu businesses%s, as at_access_businesses", who[i],
               limit, n, more ? " and more" : "");
            ok(a.logged_in == plain.logged_in && a.user.id == plain.user.id &&
                   a.business_ok == plain.business_ok && a.business.id == plain.business.id &&
                   a.role == plain.role && a.platform_admin == plain.platform_admin &&
                   a.administers == plain.administers,
               "%s: the same context as without the menu", who[i]);
            at_task_counts c;
            if (at_task_counts_get(db, biz, &c, &err))
                bail("%s", err.msg);
            ok(a.business_ok ? memcmp(&m.counts, &c, sizeof c) == 0
                             : m.counts.queued == 0 && m.counts.max_running == 0,
               "%s: the business's totals %s", who[i],
               a.business_ok ? "as at_task_counts_get reads them" : "only when theirs");
            free(menu);
            free(want);
        }
    }
    at_access_req req = {t_admin, 600, b_biz.slug, {NULL}};
    at_access a;
    at_access_more m = {.menu_max = 100, .totals = 1};
    load(t_admin, NULL); /* marks the session seen, if a minute has passed */
    uint64_t before = at_db_statements(db);
    ok(at_access_load_more(db, &req, &a, &m, &err) == AT_OK && m.nmenu == 3 &&
           strcmp(m.menu[0].slug, m.menu[1].slug) < 0 &&
           strcmp(m.menu[1].slug, m.menu[2].slug) < 0 && a.business_ok,
       "a business admin of three: all three, by slug");
    is_int(at_db_statements(db) - before, 1, "with the totals, in the context's one statement");
    free(m.menu);
    m = (at_access_more){.menu_max = 10001};
    ok(at_access_load_more(db, &req, &a, &m, &err) == AT_EINVAL && m.menu == NULL,
       "a menu of more than 10,000: refused (%s)", err.msg);
}

static void
test_among(void)
{
    at_error err = {0};
    uint64_t ids[] = {other, biz, 999999999};
    at_business *v = NULL;
    size_t n = 0;
    at_access a = load(t_admin, NULL);
    ok(at_access_businesses_among(db, &a, ids, 3, &v, &n, &err) == AT_OK && n == 1 &&
           v[0].id == biz,
       "among some businesses, a business admin sees theirs");
    free(v);
    a = load(t_platform, NULL);
    ok(at_access_businesses_among(db, &a, ids, 3, &v, &n, &err) == AT_OK && n == 2,
       "a platform admin every one that exists");
    free(v);
    a = load(t_member, NULL);
    ok(at_access_businesses_among(db, &a, ids, 3, &v, &n, &err) == AT_OK && n == 0,
       "a member none");
}

static void
test_roles(void)
{
    at_error err = {0};
    int role = -1;
    ok(at_member_role(db, biz, member, &role, &err) == AT_OK && role == AT_ROLE_MEMBER, "member");
    ok(at_member_role(db, biz, admin, &role, &err) == AT_OK && role == AT_ROLE_BUSINESS_ADMIN,
       "business admin");
    ok(at_member_role(db, biz, outsider, &role, &err) == AT_OK && role == AT_ROLE_NONE,
       "not a member");
    /* by email, with the user, in one statement */
    const uint64_t who[] = {member, admin, outsider};
    const int want[] = {AT_ROLE_MEMBER, AT_ROLE_BUSINESS_ADMIN, AT_ROLE_NONE};
    for (int i = 0; i < 3; i++) {
        at_user u, by_id;
        if (at_user_get_by_id(db, who[i], &by_id, &err))
            bail("%s", err.msg);
        role = -1;
        ok(at_member_get(db, biz, by_id.email, &u, &role, &err) == AT_OK && u.id == who[i] &&
               strcmp(u.name, by_id.name) == 0 && role == want[i],
           "by email: %s, role %d", by_id.name, role);
    }
    at_user u;
    ok(at_member_get(db, biz, "nobody@test.example.com", &u, &role, &err) == AT_ENOTFOUND &&
           strstr(err.msg, "nobody@test.example.com") != NULL,
       "by email: no such user, named: %s", err.msg);
    ok(at_member_get(db, biz, "not an email", &u, &role, &err) == AT_EINVAL,
       "by email: a malformed email is refused: %s", err.msg);
    uint64_t ids[] = {admin, platform, outsider};
    int flags[3] = {-1, -1, -1};
    ok(at_access_platform_admins(db, ids, 3, flags, &err) == AT_OK && flags[0] == 0 &&
           flags[1] == 1 && flags[2] == 0,
       "which of them are platform admins");
}

static void
test_statements(void)
{
    at_error err = {0};
    at_time now;
    load(t_admin, b_biz.slug); /* marks the session seen, if a minute has passed */
    uint64_t before = at_db_statements(db);
    load(t_admin, b_biz.slug);
    is_int(at_db_statements(db) - before, 1, "the whole context is one statement");
    before = at_db_statements(db);
    at_db_now(db, &now, &err);
    is_int(at_db_statements(db) - before, 1, "a query counts one");
    uint64_t u = member;
    before = at_db_statements(db);
    ok(at_pause_add(db, &(at_actor){0, "cli:test"}, biz, AT_SCOPE_USER, &u, 1, NULL, 0, &err) ==
           AT_OK,
       "a pause, in a transaction");
    /* start and end of the transaction (autocommit off, commit, on again)
     * and at least the lock, the rule and the audit entry */
    ok(at_db_statements(db) - before >= 6, "counts its transaction control too (%llu)",
       (unsigned long long) (at_db_statements(db) - before));
}

int
main(void)
{
    db = testdb_open();
    setup();
    test_anonymous();
    test_several_tokens();
    test_business_admin();
    test_foreign_is_missing();
    test_member();
    test_platform_admin();
    test_flash();
    test_menu();
    test_among();
    test_roles();
    test_statements();
    test_menu_with_context();
    test_idle();
    testdb_close(db);
    return done_testing();
}
