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

/* Login throttling (login.c; docs/SECURITY.md, "Logging in"). Failed
 * logins are counted per (email, client address) and per client address,
 * for known emails and unknown ones alike, each count in a window of
 * AT_LOGIN_WINDOW_S that opens with its first failure. Past a limit, the
 * attempt is refused without its password being checked until the window
 * ends. */
#define AT_LOGIN_WINDOW_S (15 * 60)
#define AT_LOGIN_PAIR_MAX 5  /* failures of one email from one address */
#define AT_LOGIN_ADDR_MAX 50 /* failures of any emails from one address */
#define AT_LOGIN_ADDR_BUF 48 /* "ffff:ffff:ffff:ffff::/64" */

typedef enum at_login_block {
    AT_LOGIN_FREE,   /* check the password */
    AT_LOGIN_EMAIL,  /* this email from this address is over its limit */
    AT_LOGIN_ADDRESS /* this address is over its limit */
} at_login_block;

typedef struct at_login_try {
    char addr[AT_LOGIN_ADDR_BUF]; /* the address as counted */
    char email[AT_NAME_BUF];      /* the email as counted */
    at_login_block blocked;
    unsigned wait_s; /* when blocked: seconds until the window ends */
} at_login_try;

/* The client address as it is counted: IPv4 as it is, an IPv4-mapped
 * IPv6 address as its IPv4, any other IPv6 address as its /64
 * ("2001:db8:1:2::/64"). AT_EINVAL for anything else. */
int at_login_address(const char *remote_addr, char out[AT_LOGIN_ADDR_BUF], at_error *err);

/* Counts an attempt to log in as email from remote_addr (the FastCGI
 * REMOTE_ADDR; one that is no address counts as "unknown") before its
 * password is checked, and says in t whether it is blocked. Check the
 * password only when t->blocked is AT_LOGIN_FREE. Deletes a few expired
 * rows on the way. */
int at_login_attempt(at_db *db, const char *email, const char *remote_addr, at_login_try *t,
                     at_error *err);
/* The password was right: the attempt was no failure. Clears the count of
 * the email from that address and gives the address its try back. */
int at_login_succeeded(at_db *db, const at_login_try *t, at_error *err);
/* Clears the counts of email (from every address), of address (all its
 * own and every email's from it), or, given both, of that email from that
 * address and of the address; *cleared says how many. Written to the
 * platform's audit log. */
int at_login_unlock(at_db *db, const at_actor *actor, const char *email, const char *address,
                    uint64_t *cleared, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
