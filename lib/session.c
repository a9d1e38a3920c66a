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
    at_wipe(raw, sizeof raw);
    return AT_OK;
}

int
at_token_equal(const char *a, const char *b)
{
    /* nothing is a token: two empty strings are not a matching secret
     * (an empty form field against an empty cookie) */
    if (!a || !b || !*a || !*b)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

/* A token is 64 hex digits; anything else is not worth a query. */
bool
at_session_token_ok(const char *t)
{
    if (!t || strlen(t) != AT_TOKEN_LEN)
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
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

void
at_session_seen(at_db *db, const char *token, at_time now, at_session *s)
{
    /* Once a minute is enough for the idle limit, and spares most reads
     * a write. A failure only makes the session end a minute early. */
    if (now - s->last_seen_at <= (at_time) SEEN_EVERY_S * 1000000)
        return;
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    db_arg b[] = {da_blob(hash, sizeof hash)};
    at_error ignore;
    if (db_exec(db, DB_RETRY, "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(6) WHERE token_hash = ?",
                b, 1, NULL, NULL, &ignore) == AT_OK)
        s->last_seen_at = now;
}

/* The liveness rule is access.c's: a session is what its context says. */
int
at_session_get(at_db *db, const char *token, unsigned idle_s, at_session *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    at_access a;
    at_access_req req = {.session_token = token, .idle_s = idle_s};
    int rc = at_access_load(db, &req, &a, err);
    if (rc)
        return rc;
    if (!a.logged_in)
        return at_error_set(err, AT_ENOTFOUND, "no session");
    *out = a.session;
    return AT_OK;
}

int
at_session_end(at_db *db, const char *token, at_error *err)
{
    if (!at_session_token_ok(token))
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
    if (!at_session_token_ok(token))
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
    if (!at_session_token_ok(token))
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
    return at_session_flash_clear(db, token, msg, err);
}

int
at_session_flash_clear(at_db *db, const char *token, const char *shown, at_error *err)
{
    if (!at_session_token_ok(token) || !shown || !*shown)
        return AT_OK;
    unsigned char hash[32];
    at_sha256(token, AT_TOKEN_LEN, hash);
    /* only the message that was shown: one set meanwhile stays for the
     * next page */
    db_arg a[] = {da_blob(hash, sizeof hash), da_str(shown)};
    return db_exec(db, DB_RETRY, "UPDATE sessions SET flash = NULL WHERE token_hash = ? AND flash = ?",
                   a, 2, NULL, NULL, err);
}
