/* login.c: throttling failed logins per email, whether or not an account
 * has it, so that guessing passwords is slow and tells nothing about which
 * accounts exist. */
#include "config.h"

#include <string.h>

#include "internal.h"

#define WINDOW_S   (15 * 60) /* failures older than this are forgotten */
#define FREE_TRIES 5
#define FIRST_LOCK 30
#define MAX_LOCK   (15 * 60)

typedef struct record {
    unsigned failures;
    at_time first_at, locked_until, now;
} record;

static int
fill(const db_res *r, void *elem, at_error *err)
{
    record *rec = elem;
    rec->failures = (unsigned) db_u64(r, 0);
    rec->first_at = db_time(r, 1);
    rec->locked_until = db_time(r, 2);
    rec->now = db_time(r, 3);
    return AT_OK;
}

static int
load(at_db *db, const char *email, bool lock, record *rec, at_error *err)
{
    memset(rec, 0, sizeof *rec);
    db_arg a[] = {da_str(email)};
    int rc = db_row(db, lock ? 0 : DB_RETRY,
                    lock ? "SELECT failures, first_at, locked_until, UTC_TIMESTAMP(6) "
                           "FROM login_failures WHERE email = ? FOR UPDATE"
                         : "SELECT failures, first_at, locked_until, UTC_TIMESTAMP(6) "
                           "FROM login_failures WHERE email = ?",
                    a, 1, fill, rec, "record", err);
    if (rc == AT_ENOTFOUND) {
        memset(rec, 0, sizeof *rec);
        return at_db_now(db, &rec->now, err);
    }
    return rc;
}

/* Emails that cannot be stored are throttled as one. */
static const char *
key(const char *email)
{
    return email && at_text_check("email", email, AT_NAME_MAX, 0, 0, NULL) == AT_OK ? email
                                                                                   : "(invalid)";
}

int
at_login_check(at_db *db, const char *email, unsigned *wait_s, at_error *err)
{
    *wait_s = 0;
    record rec;
    int rc = load(db, key(email), false, &rec, err);
    if (rc == AT_OK && rec.locked_until > rec.now)
        *wait_s = (unsigned) ((rec.locked_until - rec.now + 999999) / 1000000);
    return rc;
}

static int
failed_tx(at_db *db, void *ctx, at_error *err)
{
    const char *email = ctx;
    record rec;
    int rc = load(db, email, true, &rec, err);
    if (rc)
        return rc;
    if (rec.failures == 0 || rec.now - rec.first_at > (at_time) WINDOW_S * 1000000) {
        rec.failures = 0;
        rec.first_at = rec.now;
    }
    rec.failures++;
    at_time locked = 0;
    if (rec.failures >= FREE_TRIES) {
        unsigned shift = rec.failures - FREE_TRIES, lock_s = FIRST_LOCK;
        while (shift-- > 0 && lock_s < MAX_LOCK)
            lock_s *= 2;
        if (lock_s > MAX_LOCK)
            lock_s = MAX_LOCK;
        locked = rec.now + (at_time) lock_s * 1000000;
    }
    db_arg a[] = {da_str(email), da_u64(rec.failures), da_time(rec.first_at), da_time(locked)};
    return db_exec(db, 0,
                   "INSERT INTO login_failures (email, failures, first_at, locked_until) "
                   "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE failures = VALUES(failures), "
                   "first_at = VALUES(first_at), locked_until = VALUES(locked_until)",
                   a, AT_COUNT(a), NULL, NULL, err);
}

int
at_login_failed(at_db *db, const char *email, at_error *err)
{
    return db_tx(db, true, failed_tx, (void *) key(email), err);
}

int
at_login_succeeded(at_db *db, const char *email, at_error *err)
{
    db_arg a[] = {da_str(key(email))};
    return db_exec(db, DB_RETRY, "DELETE FROM login_failures WHERE email = ?", a, 1, NULL, NULL,
                   err);
}
