/* membership.c: who belongs to which business, and with what role; the
 * members of a business, a page at a time. What a role allows is
 * access.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *
at_role_str(int role)
{
    switch (role) {
    case AT_ROLE_MEMBER: return "member";
    case AT_ROLE_BUSINESS_ADMIN: return "business_admin";
    default: return "none";
    }
}

int
at_role_parse(const char *s)
{
    if (s && strcmp(s, "member") == 0)
        return AT_ROLE_MEMBER;
    if (s && strcmp(s, "business_admin") == 0)
        return AT_ROLE_BUSINESS_ADMIN;
    return AT_ROLE_NONE;
}

struct member_add {
    uint64_t business_id, user_id;
    int role;
};

static int
member_add_tx(at_db *db, void *vctx, at_error *err)
{
    const struct member_add *x = vctx;
    /* the name and the email are copied for the member list's order and
     * search (schema/005, 006) */
    db_arg a[] = {da_u64(x->business_id), da_u64(x->user_id), da_str(at_role_str(x->role)),
                  da_u64(x->user_id), da_u64(x->user_id)};
    int rc = db_exec(db, 0,
                     "INSERT INTO memberships (business_id, user_id, role, user_name, user_email) "
                     "VALUES (?, ?, ?, COALESCE((SELECT name FROM users WHERE id = ?), ''), "
                     "COALESCE((SELECT email FROM users WHERE id = ?), '')) "
                     "ON DUPLICATE KEY UPDATE role = VALUES(role), user_name = VALUES(user_name), "
                     "user_email = VALUES(user_email)",
                     a, AT_COUNT(a), NULL, NULL, err);
    if (rc == AT_OK)
        rc = member_grams_add(db, x->business_id, x->user_id, err); /* schema/007 */
    return rc;
}

int
at_member_add(at_db *db, uint64_t business_id, uint64_t user_id, int role, at_error *err)
{
    if (role != AT_ROLE_MEMBER && role != AT_ROLE_BUSINESS_ADMIN)
        return at_error_set(err, AT_EINVAL, "role must be member or business_admin");
    struct member_add x = {business_id, user_id, role};
    int rc = db_tx(db, true, member_add_tx, &x, err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no business #%llu or no user #%llu",
                            (unsigned long long) business_id, (unsigned long long) user_id);
    return rc ? at_error_wrap(err, "add member") : AT_OK;
}

struct member_remove {
    const at_actor *actor;
    uint64_t business_id, user_id;
    bool force;
};

struct admin_row {
    uint64_t user_id;
    int role;
};

static int
fill_admin_row(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    struct admin_row *a = elem;
    a->user_id = db_u64(r, 0);
    a->role = at_role_parse(db_col(r, 1, NULL));
    return AT_OK;
}

/* Locks the member's row and the business's admins' rows (two removals
 * at once cannot each leave the other as the last admin); says what the
 * member's role is and how many admins the business has. */
static int
lock_member(at_db *db, const struct member_remove *x, int *role, size_t *admins, at_error *err)
{
    struct admin_row *v = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(x->business_id), da_u64(x->user_id)};
    int rc = db_rows(db, 0,
                     "SELECT user_id, role FROM memberships WHERE business_id = ? "
                     "AND (user_id = ? OR role = 'business_admin') FOR UPDATE",
                     a, AT_COUNT(a), sizeof *v, fill_admin_row, (void **) &v, &n, err);
    *role = AT_ROLE_NONE;
    *admins = 0;
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        if (v[i].user_id == x->user_id)
            *role = v[i].role;
        *admins += v[i].role == AT_ROLE_BUSINESS_ADMIN;
    }
    free(v);
    return rc;
}

static int
member_remove_tx(at_db *db, void *vctx, at_error *err)
{
    const struct member_remove *x = vctx;
    at_user u;
    at_business b;
    int role;
    size_t admins;
    int rc = at_user_get_by_id(db, x->user_id, &u, err);
    if (rc == AT_OK)
        rc = at_business_get_by_id(db, x->business_id, &b, err);
    if (rc == AT_OK)
        rc = lock_member(db, x, &role, &admins, err);
    if (rc)
        return rc;
    if (role == AT_ROLE_NONE)
        return at_error_set(err, AT_ENOTFOUND, "user '%s' is not a member of business '%s'",
                            u.email, b.slug);
    bool last = role == AT_ROLE_BUSINESS_ADMIN && admins == 1;
    if (last && !x->force)
        return at_error_set(err, AT_ESTATE,
                            "%s is the last business_admin of %s: make another member an admin "
                            "first, or remove with --force",
                            u.email, b.slug);
    db_arg a[] = {da_u64(x->business_id), da_u64(x->user_id)};
    rc = member_grams_remove(db, x->business_id, x->user_id, err); /* schema/007 */
    if (rc == AT_OK)
        rc = db_exec(db, 0, "DELETE FROM memberships WHERE business_id = ? AND user_id = ?", a,
                     AT_COUNT(a), NULL, NULL, err);
    char detail[64];
    snprintf(detail, sizeof detail, "was %s%s", at_role_str(role),
             last ? "; the last admin (forced)" : "");
    if (rc == AT_OK)
        rc = at_audit_write(db, x->business_id, x->actor, "remove_member", "user", u.id, u.email,
                            NULL, detail, err);
    return rc;
}

int
at_member_remove(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t user_id,
                 bool force, at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct member_remove x = {actor, business_id, user_id, force};
    rc = db_tx(db, true, member_remove_tx, &x, err);
    return rc ? at_error_wrap(err, "remove member") : AT_OK;
}

/* ---- the members of a business, a page at a time ---- */

/* Read in the order of memberships_name (business_id, user_name, user_id,
 * user_email): the index is named, as the task list's are, because the
 * planner may prefer sorting every member of the business to stopping
 * after a page. The search filters that index alone; only the members
 * shown have their user row read. */
#define MEMBER_PAGE_SQL                                                                            \
    "SELECT " AT_USER_COLS " "                                                                     \
    "FROM memberships m FORCE INDEX (memberships_name) JOIN users u ON u.id = m.user_id "          \
    "WHERE m.business_id = ? AND (m.user_name LIKE ? OR m.user_email LIKE ?) "                     \
    "AND (m.user_name > ? OR (m.user_name = ? AND m.user_id > ?)) "                                \
    "ORDER BY m.user_name, m.user_id LIMIT ?"

typedef struct member_query {
    at_name_keyset_q k;
    db_arg args[7];
} member_query;

static int
member_query_make(uint64_t business_id, const char *search, const char *after, unsigned limit,
                  member_query *m, at_error *err)
{
    int rc = at_name_keyset("user", search, after, limit, &m->k, err);
    if (rc)
        return rc;
    db_arg a[] = {da_u64(business_id), da_str(m->k.like), da_str(m->k.like), da_str(m->k.name),
                  da_str(m->k.name), da_u64(m->k.id), da_u64((uint64_t) limit + 1)};
    memcpy(m->args, a, sizeof a);
    return AT_OK;
}

int
at_member_search(at_db *db, uint64_t business_id, const char *search, const char *after,
                 unsigned limit, at_user_page *page, at_error *err)
{
    memset(page, 0, sizeof *page);
    member_query m;
    int rc = member_query_make(business_id, search, after, limit, &m, err);
    if (rc)
        return rc;
    size_t n;
    rc = db_rows(db, DB_RETRY, MEMBER_PAGE_SQL, m.args, AT_COUNT(m.args), sizeof *page->rows,
                 at_user_fill, (void **) &page->rows, &n, err);
    if (rc)
        return rc;
    page->n = n;
    if (n > limit) {
        page->n = limit;
        page->has_next = 1;
        const at_user *last = &page->rows[limit - 1];
        at_cursor_name(0, last->name, last->id, page->next, sizeof page->next);
    }
    return AT_OK;
}

int
at_member_search_explain(at_db *db, uint64_t business_id, const char *search, const char *after,
                         unsigned limit, char **plan, at_error *err)
{
    *plan = NULL;
    member_query m;
    int rc = member_query_make(business_id, search, after, limit, &m, err);
    return rc ? rc : db_explain(db, "EXPLAIN " MEMBER_PAGE_SQL, m.args, AT_COUNT(m.args), plan, err);
}

void
at_user_page_free(at_user_page *page)
{
    if (page) {
        free(page->rows);
        memset(page, 0, sizeof *page);
    }
}
