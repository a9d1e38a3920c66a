/* session.c: login sessions, keyed by the SHA-256 of a random token that
 * only the client holds; their CSRF tokens and one-shot messages. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"

#define SEEN_EVERY_S 60

int
at_random_token(char out[AT_TOKEN_LEN + 1], at_error *err)
{
    unsigned char raw[AT_TOKEN_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return at_error_set(err, AT_EIO, "no random bytes from the system: %s",
                                strerror(errno));
        got += (size_t) n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[AT_TOKEN_LEN] = 0;
    memset(raw, 0, sizeof raw);
    return AT_OK;
}

int
at_token_equal(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

/* A token is 64 hex digits; anything else is not worth a query. */
static int
token_ok(const char *t)
{
    if (!t || strlen(t) != AT_TOKEN_LEN)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int
at_session_create(at_db *db, uint64_t user_id, unsigned lifetime_s,
                  char token[AT_TOKEN_LEN + 1], at_session *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    if (lifetime_s == 0)
        return at_error_set(err, AT_EINVAL, "a session must last at least a second");
    int rc = at_random_token(token, err);
    if (rc == AT_OK)
        rc = at_random_token(out->csrf, err);
    if (rc)
        return rc;
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    at_time now;
    if ((rc = at_db_now(db, &now, err)))
        return rc;
    out->user_id = user_id;
    out->created_at = out->last_seen_at = now;
    out->expires_at = now + (at_time) lifetime_s * 1000000;
    db_arg a[] = {da_blob(hash, sizeof hash), da_u64(user_id), da_str(out->csrf), da_time(now),
                  da_time(now), da_time(out->expires_at)};
    rc = db_exec(db, 0,
                 "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, "
                 "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                 a, AT_COUNT(a), NULL, NULL, err);
    if (rc)
        return at_error_wrap(err, "start session");
    /* Sessions of anyone that ran out are of no more use to anybody. */
    at_error ignore;
    db_exec(db, DB_RETRY, "DELETE FROM sessions WHERE expires_at <= UTC_TIMESTAMP(6) LIMIT 100",
            NULL, 0, NULL, NULL, &ignore);
    return AT_OK;
}

struct found {
    at_session *s;
    at_time now;
};

static int
fill(const db_res *r, void *elem, at_error *err)
{
    struct found *f = elem;
    f->s->user_id = db_u64(r, 0);
    db_copy(r, 1, f->s->csrf, sizeof f->s->csrf);
    f->s->created_at = db_time(r, 2);
    f->s->last_seen_at = db_time(r, 3);
    f->s->expires_at = db_time(r, 4);
    f->now = db_time(r, 5);
    return AT_OK;
}

int
at_session_get(at_db *db, const char *token, unsigned idle_s, at_session *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    if (!token_ok(token))
        return at_error_set(err, AT_ENOTFOUND, "no session");
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    struct found f = {out, 0};
    db_arg a[] = {da_blob(hash, sizeof hash), da_u64(idle_s)};
    int rc = db_row(db, DB_RETRY,
                    "SELECT user_id, csrf_token, created_at, last_seen_at, expires_at, "
                    "UTC_TIMESTAMP(6) FROM sessions WHERE token_hash = ? "
                    "AND expires_at > UTC_TIMESTAMP(6) "
                    "AND last_seen_at > UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
                    a, 2, fill, &f, "session", err);
    if (rc)
        return rc;
    if (f.now - out->last_seen_at > (at_time) SEEN_EVERY_S * 1000000) {
        db_arg b[] = {da_blob(hash, sizeof hash)};
        rc = db_exec(db, DB_RETRY,
                     "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6) WHERE token_hash = ?", b,
                     1, NULL, NULL, err);
        out->last_seen_at = f.now;
    }
    return rc;
}

int
at_session_end(at_db *db, const char *token, at_error *err)
{
    if (!token_ok(token))
        return AT_OK;
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    db_arg a[] = {da_blob(hash, sizeof hash)};
    return db_exec(db, DB_RETRY, "DELETE FROM sessions WHERE token_hash = ?", a, 1, NULL, NULL,
                   err);
}

int
at_session_flash_set(at_db *db, const char *token, const char *msg, at_error *err)
{
    int rc = at_text_check("message", msg, AT_FLASH_MAX, 0, 0, err);
    if (rc)
        return rc;
    if (!token_ok(token))
        return at_error_set(err, AT_ENOTFOUND, "no session");
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    db_arg a[] = {da_str(msg), da_blob(hash, sizeof hash)};
    return db_exec(db, DB_RETRY, "UPDATE sessions SET flash = ? WHERE token_hash = ?", a, 2, NULL,
                   NULL, err);
}

static int
fill_flash(const db_res *r, void *elem, at_error *err)
{
    char *buf = elem;
    db_copy(r, 0, buf, AT_FLASH_BUF);
    return AT_OK;
}

int
at_session_flash_take(at_db *db, const char *token, char *buf, size_t len, at_error *err)
{
    if (len)
        buf[0] = 0;
    if (!token_ok(token))
        return AT_OK;
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    char msg[AT_FLASH_BUF] = "";
    db_arg a[] = {da_blob(hash, sizeof hash)};
    int rc = db_row(db, DB_RETRY,
                    "SELECT flash FROM sessions WHERE token_hash = ? AND flash IS NOT NULL", a, 1,
                    fill_flash, msg, "message", err);
    if (rc == AT_ENOTFOUND)
        return AT_OK;
    if (rc)
        return rc;
    at_strlcpy(buf, msg, len);
    return db_exec(db, DB_RETRY, "UPDATE sessions SET flash = NULL WHERE token_hash = ?", a, 1,
                   NULL, NULL, err);
}

int
at_admin_business(at_db *db, uint64_t user_id, const char *slug, at_business *b, at_error *err)
{
    at_error tmp;
    int rc = at_business_get(db, slug, b, &tmp);
    if (rc != AT_OK && rc != AT_ENOTFOUND && rc != AT_EINVAL)
        return at_error_set(err, rc, "%s", tmp.msg);
    uint64_t platform = 0, admin_here = 0, admin_anywhere = 0;
    db_arg a[] = {da_u64(user_id), da_u64(rc == AT_OK ? b->id : 0), da_u64(user_id),
                  da_u64(user_id)};
    db_res r;
    int qrc = db_query(db, DB_RETRY,
                       "SELECT EXISTS (SELECT 1 FROM platform_admins WHERE user_id = ?), "
                       "EXISTS (SELECT 1 FROM memberships WHERE business_id = ? AND user_id = ? "
                       "AND role = 'business_admin'), "
                       "EXISTS (SELECT 1 FROM memberships WHERE user_id = ? "
                       "AND role = 'business_admin')",
                       a, AT_COUNT(a), &r, err);
    if (qrc)
        return qrc;
    if ((qrc = db_fetch(&r, err)) == 1) {
        platform = db_u64(&r, 0);
        admin_here = db_u64(&r, 1);
        admin_anywhere = db_u64(&r, 2);
    }
    db_res_close(&r);
    if (qrc < 0)
        return qrc;
    if (!platform && !admin_anywhere)
        return at_error_set(err, AT_EDENIED, "you do not administer any business");
    if (rc == AT_OK && (platform || admin_here))
        return AT_OK;
    memset(b, 0, sizeof *b);
    return at_error_set(err, AT_ENOTFOUND, "no such business");
}
