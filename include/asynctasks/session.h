/* session.h: logins: sessions, their CSRF tokens and one-shot messages,
 * and the throttling of failed logins. Who may administer what is
 * access.h's. */
#ifndef ASYNCTASKS_SESSION_H
#define ASYNCTASKS_SESSION_H

#include <asynctasks/business.h>
#include <asynctasks/db.h>
#include <asynctasks/types.h>
#include <asynctasks/util.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_FLASH_MAX 500 /* characters */
#define AT_FLASH_BUF (AT_FLASH_MAX * 4 + 1)

typedef struct at_session {
    uint64_t user_id;
    char csrf[AT_TOKEN_LEN + 1]; /* goes into every form of this session */
    at_time created_at;
    at_time last_seen_at;
    at_time expires_at; /* absolute end */
} at_session;

/* Starts a session for the user: a new random token (*token, for the
 * cookie; only its SHA-256 is stored) and CSRF token. It ends lifetime_s
 * after now at the latest. */
int at_session_create(at_db *db, uint64_t user_id, unsigned lifetime_s,
                      char token[AT_TOKEN_LEN + 1], at_session *out, at_error *err);

/* The live session of token: AT_ENOTFOUND when there is none, it was
 * ended, it has been idle idle_s seconds or it reached its end. Marks it
 * seen (at most once a minute, to keep reads cheap). The same as the
 * session of at_access_load. */
int at_session_get(at_db *db, const char *token, unsigned idle_s, at_session *out, at_error *err);

/* Ends the session (logout); ending one that is gone is not an error. */
int at_session_end(at_db *db, const char *token, at_error *err);

/* The one-shot message shown on the next page (after a redirect). */
int at_session_flash_set(at_db *db, const char *token, const char *msg, at_error *err);
/* Reads and clears it; "" when there is none. */
int at_session_flash_take(at_db *db, const char *token, char *buf, size_t len, at_error *err);
/* Clears it once a page has shown it (at_access_load read it), unless
 * another message has replaced it since. */
int at_session_flash_clear(at_db *db, const char *token, const char *shown, at_error *err);

/* Login throttling, per email (known or not). *wait_s > 0: refuse for that
 * long. Five failures within 15 minutes lock out for 30 s, doubling with
 * each further failure up to 15 minutes. */
int at_login_check(at_db *db, const char *email, unsigned *wait_s, at_error *err);
int at_login_failed(at_db *db, const char *email, at_error *err);
int at_login_succeeded(at_db *db, const char *email, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
