/* user.h: the platform's users, their passwords, memberships and roles. */
#ifndef ASYNCTASKS_USER_H
#define ASYNCTASKS_USER_H

#include <stdbool.h>

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_user {
    uint64_t id;
    char email[AT_NAME_BUF];
    char name[AT_NAME_BUF];
    at_time created_at;
    at_time disabled_at; /* 0: may log in */
} at_user;

enum at_role { AT_ROLE_NONE = 0, AT_ROLE_MEMBER = 1, AT_ROLE_BUSINESS_ADMIN = 2 };

/* password may be NULL: the user then cannot log in until one is set. */
int at_user_add(at_db *db, const char *email, const char *name, const char *password,
                uint64_t *id, at_error *err);
/* Sets the password and, in the same transaction, ends every session of
 * the user: whoever was logged in with the old one must log in again.
 * *ended (may be NULL): how many sessions that ended. */
int at_user_set_password(at_db *db, uint64_t user_id, const char *password, uint64_t *ended,
                         at_error *err);
/* Disables (disabled true) or enables the user. Disabling ends every
 * session of the user in the same transaction, and the request context
 * skips a disabled user's sessions, so a session made by a login that
 * raced the change ends too; a disabled user cannot log in. Memberships,
 * pause rules and tasks stay. Audited (disable_user, enable_user) in the
 * log of every business the user belongs to and in the platform's
 * (business 0). *changed: 0 when the user already was so (then nothing
 * is written); *ended (may be NULL): the sessions ended. */
int at_user_set_disabled(at_db *db, const at_actor *actor, uint64_t user_id, bool disabled,
                         int *changed, uint64_t *ended, at_error *err);
int at_user_get(at_db *db, const char *email, at_user *out, at_error *err);
int at_user_get_by_id(at_db *db, uint64_t id, at_user *out, at_error *err);

/* Checks email and password. Unknown user, wrong password and disabled
 * user all give AT_EDENIED with the same message, so the answer leaks
 * none of them (nor whether a disabled user's password was right). For
 * a disabled user whose password was right, out is filled, with its
 * disabled_at, so that the caller can log why; otherwise it is zeroed. */
int at_user_authenticate(at_db *db, const char *email, const char *password, at_user *out,
                         at_error *err);

/* Users by email; business_id 0 lists every user, else that business's
 * members. search (may be NULL) matches a part of the name or email. */
int at_user_list(at_db *db, uint64_t business_id, const char *search, at_user **out, size_t *n,
                 at_error *err);

/* One page of a business's members, by name then id, whose name or email
 * contains search (may be NULL). after: the cursor of the previous page's
 * last row (NULL for the first page). Reads the membership's copy of the
 * name in the order of an index (memberships_name): O(page) whatever the
 * number of members, but for a search that matches few of them. */
#define AT_USER_CURSOR_BUF (AT_NAME_BUF * 2 + 24)
typedef struct at_user_page {
    at_user *rows;
    size_t n;
    int has_next;
    char next[AT_USER_CURSOR_BUF];
} at_user_page;
int at_member_search(at_db *db, uint64_t business_id, const char *search, const char *after,
                     unsigned limit, at_user_page *page, at_error *err);
void at_user_page_free(at_user_page *page);
/* The database's plan for that page's query, as at_task_list_explain
 * prints one. */
int at_member_search_explain(at_db *db, uint64_t business_id, const char *search,
                             const char *after, unsigned limit, char **plan, at_error *err);

/* Adds the user to the business, or changes their role there. */
int at_member_add(at_db *db, uint64_t business_id, uint64_t user_id, int role, at_error *err);
/* Removes the user from the business: the membership, with the pieces of
 * the name the task list's user search finds members by. The business's
 * last business_admin is refused (AT_ESTATE) unless force. Their tasks
 * and any pause rule naming them stay. Audited (remove_member). */
int at_member_remove(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t user_id,
                     bool force, at_error *err);
/* at_member_role, who is a member with what role, is in access.h. */

const char *at_role_str(int role);
int at_role_parse(const char *s); /* AT_ROLE_NONE when unknown */

/* Password hashing (yescrypt). out must hold AT_PASSWORD_HASH_MAX bytes. */
#define AT_PASSWORD_HASH_MAX 256
#define AT_PASSWORD_MAX      511 /* what libcrypt accepts */
int at_password_hash(const char *password, char *out, size_t outlen, at_error *err);
/* 1 when password matches hash, 0 otherwise (also for a malformed hash). */
int at_password_verify(const char *password, const char *hash);

#ifdef __cplusplus
}
#endif
#endif
