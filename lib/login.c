/* login.c: throttling failed logins per (email, client address) and per
 * client address, whether or not an account has the email, so that
 * guessing passwords is slow, tells nothing about which accounts exist,
 * and nobody can lock an owner out from an address that is not theirs
 * (docs/SECURITY.md, "Logging in"). An attempt is counted before its
 * password is checked, each count one statement that adds and reads back
 * at once, so that parallel attempts cannot pass a limit between a read
 * and a write. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define EXPIRED_PER_TRY 8 /* expired rows each attempt deletes, at most */
#define UNKNOWN_ADDR    "unknown"
#define INVALID_EMAIL   "(invalid)"

int
at_login_address(const char *remote_addr, char out[AT_LOGIN_ADDR_BUF], at_error *err)
{
    struct in_addr v4;
    struct in6_addr v6;
    out[0] = 0;
    if (remote_addr && inet_pton(AF_INET, remote_addr, &v4) == 1) {
        inet_ntop(AF_INET, &v4, out, AT_LOGIN_ADDR_BUF);
        return AT_OK;
    }
    if (!remote_addr || inet_pton(AF_INET6, remote_addr, &v6) != 1)
        return at_error_set(err, AT_EINVAL, "'%.64s' is not an IPv4 or IPv6 address",
                            remote_addr ? remote_addr : "");
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
        memcpy(&v4, v6.s6_addr + 12, 4);
        inet_ntop(AF_INET, &v4, out, AT_LOGIN_ADDR_BUF);
        return AT_OK;
    }
    /* One host is given a /64, and picks addresses in it at will. */
    memset(v6.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &v6, text, sizeof text);
    snprintf(out, AT_LOGIN_ADDR_BUF, "%.40s/64", text); /* at most 24 characters */
    return AT_OK;
}

/* Emails that cannot be stored are counted as one; '' is the address's
 * own row. */
static void
email_key(const char *email, char out[AT_NAME_BUF])
{
    bool ok = email && at_text_check("email", email, AT_NAME_MAX, 0, 0, NULL) == AT_OK;
    snprintf(out, AT_NAME_BUF, "%s", ok ? email : INVALID_EMAIL);
}

/* Adds one to the row's count, in a new window when its window has ended,
 * and reads the count back: LAST_INSERT_ID(expr) hands the value the
 * statement wrote to this connection alone. */
static int
count(at_db *db, const char *addr, const char *email, unsigned *n, at_error *err)
{
    db_arg a[] = {da_str(addr), da_str(email), da_u64(AT_LOGIN_WINDOW_S),
                  da_u64(AT_LOGIN_WINDOW_S)};
    uint64_t affected = 0, id = 0;
    int rc = db_exec(db, 0,
                     "INSERT INTO login_throttle (addr, email, failures, window_start) "
                     "VALUES (?, ?, 1, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE "
                     "failures = LAST_INSERT_ID(IF(window_start <= UTC_TIMESTAMP(6) - "
                     "INTERVAL ? SECOND, 1, failures + 1)), "
                     "window_start = IF(window_start <= UTC_TIMESTAMP(6) - INTERVAL ? SECOND, "
                     "UTC_TIMESTAMP(6), window_start)",
                     a, AT_COUNT(a), &affected, &id, err);
    /* one row affected: inserted, the first of its window */
    *n = affected == 1 ? 1 : (unsigned) id;
    return rc;
}

struct window {
    at_time start, now;
};

static int
fill_window(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    struct window *w = elem;
    w->start = db_time(r, 0);
    w->now = db_time(r, 1);
    return AT_OK;
}

/* Seconds until the row's window ends, at least 1. */
static int
wait_of(at_db *db, const char *addr, const char *email, unsigned *wait_s, at_error *err)
{
    struct window w = {0, 0};
    db_arg a[] = {da_str(addr), da_str(email)};
    int rc = db_row(db, 0,
                    "SELECT window_start, UTC_TIMESTAMP(6) FROM login_throttle "
                    "WHERE addr = ? AND email = ?",
                    a, 2, fill_window, &w, "throttle row", err);
    if (rc)
        return rc;
    at_time left = w.start + (at_time) AT_LOGIN_WINDOW_S * 1000000 - w.now;
    *wait_s = left > 0 ? (unsigned) ((left + 999999) / 1000000) : 1;
    return AT_OK;
}

static int
attempt_tx(at_db *db, void *ctx, at_error *err)
{
    at_login_try *t = ctx;
    t->blocked = AT_LOGIN_FREE;
    t->wait_s = 0;
    unsigned n = 0;
    int rc = count(db, t->addr, "", &n, err);
    if (rc == AT_OK && n > AT_LOGIN_ADDR_MAX) {
        t->blocked = AT_LOGIN_ADDRESS;
        return wait_of(db, t->addr, "", &t->wait_s, err);
    }
    if (rc == AT_OK)
        rc = count(db, t->addr, t->email, &n, err);
    if (rc == AT_OK && n > AT_LOGIN_PAIR_MAX) {
        t->blocked = AT_LOGIN_EMAIL;
        return wait_of(db, t->addr, t->email, &t->wait_s, err);
    }
    return rc;
}

/* Deletes a few of the oldest expired rows. Each attempt writes at most
 * two, so the expired ones cannot pile up while logins come. */
static void
expire_some(at_db *db)
{
    at_error err;
    db_arg a[] = {da_u64(AT_LOGIN_WINDOW_S), da_u64(EXPIRED_PER_TRY)};
    if (db_exec(db, 0,
                "DELETE FROM login_throttle WHERE window_start <= UTC_TIMESTAMP(6) - "
                "INTERVAL ? SECOND ORDER BY window_start LIMIT ?",
                a, 2, NULL, NULL, &err))
        at_log(AT_LOG_WARN, "cannot delete expired login throttle rows: %s", err.msg);
}

int
at_login_attempt(at_db *db, const char *email, const char *remote_addr, at_login_try *t,
                 at_error *err)
{
    memset(t, 0, sizeof *t);
    if (at_login_address(remote_addr, t->addr, NULL))
        snprintf(t->addr, sizeof t->addr, "%s", UNKNOWN_ADDR);
    email_key(email, t->email);
    expire_some(db);
    return db_tx(db, false, attempt_tx, t, err);
}

int
at_login_succeeded(at_db *db, const at_login_try *t, at_error *err)
{
    db_arg a[] = {da_str(t->addr), da_str(t->email)};
    int rc = db_exec(db, DB_RETRY, "DELETE FROM login_throttle WHERE addr = ? AND email = ?", a, 2,
                     NULL, NULL, err);
    if (rc)
        return rc;
    db_arg b[] = {da_str(t->addr)};
    return db_exec(db, 0,
                   "UPDATE login_throttle SET failures = failures - 1 "
                   "WHERE addr = ? AND email = '' AND failures > 0",
                   b, 1, NULL, NULL, err);
}

struct unlock_ctx {
    const at_actor *actor;
    const char *email, *addr;
    uint64_t cleared;
};

static int
unlock_tx(at_db *db, void *ctx, at_error *err)
{
    struct unlock_ctx *u = ctx;
    int rc;
    if (u->email && u->addr) {
        db_arg a[] = {da_str(u->addr), da_str(u->email)};
        rc = db_exec(db, 0, "DELETE FROM login_throttle WHERE addr = ? AND email IN (?, '')", a, 2,
                     &u->cleared, NULL, err);
    } else if (u->email) {
        db_arg a[] = {da_str(u->email)};
        rc = db_exec(db, 0, "DELETE FROM login_throttle WHERE email = ?", a, 1, &u->cleared, NULL,
                     err);
    } else {
        db_arg a[] = {da_str(u->addr)};
        rc = db_exec(db, 0, "DELETE FROM login_throttle WHERE addr = ?", a, 1, &u->cleared, NULL,
                     err);
    }
    if (rc)
        return rc;
    char detail[128];
    snprintf(detail, sizeof detail, "address %s; %llu row%s cleared", u->addr ? u->addr : "any",
             (unsigned long long) u->cleared, u->cleared == 1 ? "" : "s");
    return at_audit_write(db, AT_AUDIT_PLATFORM, u->actor, "login_unlock", "login", 0,
                          u->email ? u->email : "", NULL, detail, err);
}

int
at_login_unlock(at_db *db, const at_actor *actor, const char *email, const char *address,
                uint64_t *cleared, at_error *err)
{
    *cleared = 0;
    int rc = at_actor_check(actor, err);
    if (rc)
        return rc;
    if (!email && !address)
        return at_error_set(err, AT_EINVAL, "name an email, an address or both to unlock");
    if (email && (rc = at_text_check("email", email, AT_NAME_MAX, 0, 0, err)))
        return rc;
    char addr[AT_LOGIN_ADDR_BUF];
    if (address && strcmp(address, UNKNOWN_ADDR) == 0)
        snprintf(addr, sizeof addr, "%s", UNKNOWN_ADDR);
    else if (address && (rc = at_login_address(address, addr, err)))
        return rc;
    struct unlock_ctx u = {actor, email, address ? addr : NULL, 0};
    rc = db_tx(db, false, unlock_tx, &u, err);
    if (rc == AT_OK)
        *cleared = u.cleared;
    return rc;
}
