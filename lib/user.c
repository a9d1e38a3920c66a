/* user.c: the platform's users and how they prove who they are. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
at_user_fill(const db_res *r, void *elem, at_error *err)
{
    at_user *u = elem;
    memset(u, 0, sizeof *u);
    u->id = db_u64(r, 0);
    db_copy(r, 1, u->email, sizeof u->email);
    db_copy(r, 2, u->name, sizeof u->name);
    u->created_at = db_time(r, 3);
    u->disabled_at = db_time(r, 4);
    return AT_OK;
}

/* A user with their password hash, for authentication only. */
struct with_hash {
    at_user *user;
    char hash[AT_PASSWORD_HASH_MAX];
};

static int
fill_with_hash(const db_res *r, void *elem, at_error *err)
{
    struct with_hash *w = elem;
    db_copy(r, AT_USER_NCOLS, w->hash, sizeof w->hash);
    return at_user_fill(r, w->user, err);
}

int
at_user_add(at_db *db, const char *email, const char *name, const char *password, uint64_t *id,
            at_error *err)
{
    int rc = at_check_email(email, err);
    if (rc == AT_OK)
        rc = at_text_check("user name", name, AT_NAME_MAX, 0, 0, err);
    if (rc)
        return rc;
    char hash[AT_PASSWORD_HASH_MAX] = "";
    if (password && (rc = at_password_hash(password, hash, sizeof hash, err)) != AT_OK)
        return rc;
    db_arg a[] = {da_str(email), da_str(name), da_str(password ? hash : NULL)};
    uint64_t newid = 0;
    rc = db_exec(db, 0, "INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?)", a, 3,
                 NULL, &newid, err);
    if (rc == AT_ECONFLICT)
        return at_error_set(err, AT_ECONFLICT, "user '%s' already exists", email);
    if (rc)
        return at_error_wrap(err, "add user '%s'", email);
    if (id)
        *id = newid;
    return AT_OK;
}

struct new_password {
    uint64_t user_id;
    const char *hash;
    uint64_t changed, ended;
};

static int
password_tx(at_db *db, void *ctx, at_error *err)
{
    struct new_password *p = ctx;
    db_arg a[] = {da_str(p->hash), da_u64(p->user_id)};
    int rc = db_exec(db, 0, "UPDATE users SET password_hash = ? WHERE id = ?", a, 2, &p->changed,
                     NULL, err);
    if (rc == AT_OK)
        rc = db_exec(db, 0, "DELETE FROM sessions WHERE user_id = ?", &a[1], 1, &p->ended, NULL,
                     err);
    return rc;
}

int
at_user_set_password(at_db *db, uint64_t user_id, const char *password, uint64_t *ended,
                     at_error *err)
{
    if (ended)
        *ended = 0;
    char hash[AT_PASSWORD_HASH_MAX];
    int rc = at_password_hash(password, hash, sizeof hash, err);
    if (rc)
        return rc;
    struct new_password p = {user_id, hash, 0, 0};
    rc = db_tx(db, true, password_tx, &p, err);
    if (rc)
        return at_error_wrap(err, "set password");
    if (p.changed == 0) {
        /* unchanged rows count 0 too: tell "no such user" apart */
        at_user u;
        rc = at_user_get_by_id(db, user_id, &u, err);
    }
    if (rc == AT_OK && ended)
        *ended = p.ended;
    return rc;
}

/* ---- disabling and enabling ---- */

struct disable {
    const at_actor *actor;
    uint64_t user_id;
    bool disabled;
    uint64_t changed, ended;
};

static int
fill_u64(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    *(uint64_t *) elem = db_u64(r, 0);
    return AT_OK;
}

/* One entry in the platform's log and one in each business the user
 * belongs to, so that each business's admins see it in theirs. */
static int
audit_everywhere(at_db *db, const struct disable *d, const at_user *u, at_error *err)
{
    const char *action = d->disabled ? "disable_user" : "enable_user";
    char detail[64] = "";
    if (d->disabled)
        snprintf(detail, sizeof detail, "%llu session%s ended", (unsigned long long) d->ended,
                 d->ended == 1 ? "" : "s");
    int rc = at_audit_write(db, AT_AUDIT_PLATFORM, d->actor, action, "user", u->id, u->email,
                            NULL, detail, err);
    uint64_t *ids = NULL;
    size_t n = 0;
    db_arg a[] = {da_u64(u->id)};
    if (rc == AT_OK)
        rc = db_rows(db, 0, "SELECT business_id FROM memberships WHERE user_id = ?", a, 1,
                     sizeof *ids, fill_u64, (void **) &ids, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++)
        rc = at_audit_write(db, ids[i], d->actor, action, "user", u->id, u->email, NULL, detail,
                            err);
    free(ids);
    return rc;
}

static int
disable_tx(at_db *db, void *ctx, at_error *err)
{
    struct disable *d = ctx;
    d->changed = d->ended = 0;
    at_user u;
    db_arg a[] = {da_u64(d->user_id)};
    int rc = db_row(db, 0, "SELECT " AT_USER_COLS " FROM users u WHERE u.id = ? FOR UPDATE", a, 1,
                    at_user_fill, &u, "user", err);
    if (rc == AT_ENOTFOUND)
        return at_error_set(err, AT_ENOTFOUND, "no user #%llu", (unsigned long long) d->user_id);
    if (rc || (u.disabled_at != 0) == d->disabled)
        return rc; /* already so: nothing to write */
    rc = db_exec(db, 0,
                 d->disabled ? "UPDATE users SET disabled_at = UTC_TIMESTAMP(6) WHERE id = ?"
                             : "UPDATE users SET disabled_at = NULL WHERE id = ?",
                 a, 1, &d->changed, NULL, err);
    if (rc == AT_OK && d->disabled)
        rc = db_exec(db, 0, "DELETE FROM sessions WHERE user_id = ?", a, 1, &d->ended, NULL, err);
    if (rc == AT_OK)
        rc = audit_everywhere(db, d, &u, err);
    return rc;
}

int
at_user_set_disabled(at_db *db, const at_actor *actor, uint64_t user_id, bool disabled,
                     int *changed, uint64_t *ended, at_error *err)
{
    *changed = 0;
    if (ended)
        *ended = 0;
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    struct disable d = {actor, user_id, disabled, 0, 0};
    rc = db_tx(db, true, disable_tx, &d, err);
    if (rc)
        return at_error_wrap(err, "%s user", disabled ? "disable" : "enable");
    *changed = d.changed != 0;
    if (ended)
        *ended = d.ended;
    return AT_OK;
}

int
at_user_get(at_db *db, const char *email, at_user *out, at_error *err)
{
    int rc = at_text_check("email", email, AT_NAME_MAX, 0, 0, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(email)};
    char what[AT_NAME_BUF + 16];
    snprintf(what, sizeof what, "user '%s'", email);
    return db_row(db, DB_RETRY, "SELECT " AT_USER_COLS " FROM users u WHERE u.email = ?", a, 1, at_user_fill,
                  out, what, err);
}

int
at_user_get_by_id(at_db *db, uint64_t id, at_user *out, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    char what[48];
    snprintf(what, sizeof what, "user #%llu", (unsigned long long) id);
    return db_row(db, DB_RETRY, "SELECT " AT_USER_COLS " FROM users u WHERE u.id = ?", a, 1, at_user_fill, out,
                  what, err);
}

int
at_user_authenticate(at_db *db, const char *email, const char *password, at_user *out,
                     at_error *err)
{
    /* Verifying against a real hash when the user is unknown makes both
     * failures take the same time. Made once per process. */
    static char decoy[AT_PASSWORD_HASH_MAX];
    if (!decoy[0] && at_password_hash("no user has this password", decoy, sizeof decoy, NULL))
        decoy[0] = 0;
    const char *denied = "wrong email or password";
    memset(out, 0, sizeof *out);
    if (!email || !password || at_text_check("email", email, AT_NAME_MAX, 0, 0, NULL) ||
        strlen(password) > AT_PASSWORD_MAX) {
        at_password_verify(password ? password : "", decoy);
        return at_error_set(err, AT_EDENIED, "%s", denied);
    }
    struct with_hash w = {out, ""};
    db_arg a[] = {da_str(email)};
    int rc = db_row(db, DB_RETRY,
                    "SELECT " AT_USER_COLS ", u.password_hash FROM users u WHERE u.email = ?", a, 1,
                    fill_with_hash, &w, "user", err);
    if (rc == AT_ENOTFOUND) {
        at_password_verify(password, decoy);
        return at_error_set(err, AT_EDENIED, "%s", denied);
    }
    if (rc)
        return rc;
    int ok = at_password_verify(password, w.hash[0] ? w.hash : decoy);
    at_wipe(&w.hash, sizeof w.hash);
    if (!ok)
        memset(out, 0, sizeof *out);
    /* a disabled user is told what a wrong password is told, after the
     * same work: only the caller's log hears the difference */
    if (!ok || out->disabled_at)
        return at_error_set(err, AT_EDENIED, "%s", denied);
    return AT_OK;
}

int
at_user_list(at_db *db, uint64_t business_id, const char *search, at_user **out, size_t *n,
             at_error *err)
{
    *out = NULL;
    *n = 0;
    int rc = at_check_search("user search", search, err);
    if (rc)
        return rc;
    char like[AT_LIKE_BUF];
    at_like_pattern(search ? search : "", like, sizeof like);
    if (business_id) {
        db_arg a[] = {da_u64(business_id), da_str(like), da_str(like)};
        return db_rows(db, DB_RETRY,
                       "SELECT " AT_USER_COLS " FROM memberships m JOIN users u ON u.id = m.user_id "
                       "WHERE m.business_id = ? AND (u.name LIKE ? OR u.email LIKE ?) "
                       "ORDER BY u.email",
                       a, 3, sizeof **out, at_user_fill, (void **) out, n, err);
    }
    db_arg a[] = {da_str(like), da_str(like)};
    return db_rows(db, DB_RETRY,
                   "SELECT " AT_USER_COLS " FROM users u WHERE u.name LIKE ? OR u.email LIKE ? "
                   "ORDER BY u.email",
                   a, 2, sizeof **out, at_user_fill, (void **) out, n, err);
}
