/* access.h: who is asking, and what they may administer. Every rule of
 * "who may administer what" is decided in one place, lib/access.c: a
 * platform admin administers every business, a business admin the
 * businesses where their role is business_admin, anybody else none; a
 * business that is not theirs looks exactly like one that does not
 * exist. A request's whole context comes from one statement. */
#ifndef ASYNCTASKS_ACCESS_H
#define ASYNCTASKS_ACCESS_H

#include <asynctasks/business.h>
#include <asynctasks/db.h>
#include <asynctasks/session.h>
#include <asynctasks/task.h>
#include <asynctasks/types.h>
#include <asynctasks/user.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Session tokens one request may offer: a browser sends a cookie once for
 * each domain and path that set it, and a stale one of a parent domain
 * must not hide the live one. */
#define AT_ACCESS_TOKENS 3

/* What a request brings; every field may be NULL or 0. */
typedef struct at_access_req {
    const char *session_token; /* the session cookie's value */
    unsigned idle_s;           /* a session idle this long has ended */
    const char *business;      /* the slug of the business the request names */
    /* the values of further session cookies, in the order sent */
    const char *more_tokens[AT_ACCESS_TOKENS - 1];
} at_access_req;

/* The context of one request. */
typedef struct at_access {
    at_time now;    /* the database clock, read with the rest */
    int logged_in;  /* a live session: session and user are set */
    at_session session;
    at_user user;
    int platform_admin;  /* administers every business */
    int administers;     /* administers at least one business */
    int business_ok;     /* the named business exists and they administer it */
    at_business business; /* when business_ok */
    int role;            /* their membership role there (AT_ROLE_*) */
    char flash[AT_FLASH_BUF]; /* the session's one-shot message, "" for none */
    const char *token;   /* when logged_in: the request's token that named it */
} at_access;

/* Loads the context in one statement: the live session of the token (a
 * session idle idle_s seconds, or past its end, is none) with its user and
 * CSRF token, whether they administer anything, the named business with
 * their role there, the one-shot message and the database clock. Marks the
 * session seen (a write at most once a minute). The message is only read:
 * at_session_flash_clear removes it once a page has shown it. A malformed
 * token or slug counts as absent. Of the request's tokens, the one that
 * names a live session is used, whichever it is; when two name live
 * sessions, none is chosen: AT_ECONFLICT. */
int at_access_load(at_db *db, const at_access_req *req, at_access *out, at_error *err);
/* What a page may need besides the context, read in the same statement. */
typedef struct at_access_more {
    /* in */
    unsigned menu_max; /* 1 to 10000: the Business menu, at most this many; 0: none */
    int totals;        /* 1: the named business's totals (at_task_counts_get), and
                        * whether it has pause rules */
    /* the task list's searches, may be NULL: resolved into user_ids and
     * type_ids (of the named business) for at_task_query */
    const char *user_search, *type_search;
    /* out: the businesses the user administers as at_access_businesses gives
     * them (by slug; when menu_more, there are others and the list is not
     * in slug order), a business admin's in the same statement, a platform
     * admin's in a second one; menu is malloc'd (free() it), also when
     * empty. counts: the totals, when asked for and business_ok;
     * has_rules: 0 only when they were and the business has no pause rule
     * at all, live or expired (then none of its tasks is held). */
    at_business *menu;
    size_t nmenu;
    int menu_more;
    at_task_counts counts;
    int has_rules;
    /* the searches' ids, resolved when given, valid and business_ok (free
     * them with at_search_ids_free, whatever at_access_load_more returns) */
    at_search_ids user_ids, type_ids;
} at_access_more;
/* at_access_load, and what more asks for. */
int at_access_load_more(at_db *db, const at_access_req *req, at_access *out, at_access_more *more,
                        at_error *err);

/* The businesses the user of a administers, by slug: at most limit of
 * them, *more 1 when there are others. *out is malloc'd (free() it). */
int at_access_businesses(at_db *db, const at_access *a, unsigned limit, at_business **out,
                         size_t *n, int *more, at_error *err);

/* Of the businesses ids[0..n), those the user of a administers (*out
 * malloc'd, in no particular order). For pages that show things of many
 * businesses, each only to that business's admins. */
int at_access_businesses_among(at_db *db, const at_access *a, const uint64_t *ids, size_t n,
                               at_business **out, size_t *nout, at_error *err);

/* *role is the user's role in the business, AT_ROLE_NONE when they are
 * not a member. */
int at_member_role(at_db *db, uint64_t business_id, uint64_t user_id, int *role, at_error *err);
/* The user with this email and their role in the business, in one
 * statement: AT_EINVAL for a malformed email, AT_ENOTFOUND for no such
 * user, else *u and *role (AT_ROLE_NONE when not a member). */
int at_member_get(at_db *db, uint64_t business_id, const char *email, at_user *u, int *role,
                  at_error *err);

/* Makes user_id a platform admin (again: no error, and no entry).
 * Audited (add_platform_admin) in the platform's log, business 0. */
int at_platform_admin_add(at_db *db, const at_actor *actor, uint64_t user_id, at_error *err);
/* Takes the platform admin's right away: AT_ENOTFOUND when the user is
 * not one, AT_ESTATE when they are the last one (the screen would have
 * nobody to administer new businesses). Audited (remove_platform_admin)
 * in the platform's log, business 0. */
int at_platform_admin_remove(at_db *db, const at_actor *actor, uint64_t user_id, at_error *err);

/* Whether the actor may change the platform's pause rules, which hold
 * in every business: the operator (an actor without user id: the command
 * line on the database's own account) or a platform admin. AT_EDENIED
 * otherwise. Inside a transaction, the admin's row stays locked in share
 * mode until its end, so a removal of the right waits for the change. */
int at_access_platform_rules(at_db *db, const at_actor *actor, at_error *err);

/* flags[i] is 1 when ids[i] is a platform admin, else 0. */
int at_access_platform_admins(at_db *db, const uint64_t *ids, size_t n, int *flags,
                              at_error *err);

#ifdef __cplusplus
}
#endif
#endif
