/* audit.h: the record of every pause, resume, edit and delete. */
#ifndef ASYNCTASKS_AUDIT_H
#define ASYNCTASKS_AUDIT_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_AUDIT_DETAIL_BUF 1024
/* The log of what concerns the whole platform rather than one business
 * (login throttles cleared, users disabled and enabled, platform admins
 * removed): business id 0, which no business has. */
#define AT_AUDIT_PLATFORM 0

typedef struct at_audit_entry {
    uint64_t id;
    uint64_t business_id;
    at_time at;
    uint64_t actor_id; /* 0: the operator */
    char actor[AT_NAME_BUF];
    /* pause, resume, resume_all, edit, delete, cancel, create_token,
     * revoke_token, set (a cap), disable_user, enable_user,
     * remove_member, remove_platform_admin */
    char action[32];
    char target_kind[16]; /* user, task_type, task, api_token, business */
    uint64_t target_id;
    char target_name[AT_NAME_BUF];
    char reason[AT_REASON_BUF];
    char detail[AT_AUDIT_DETAIL_BUF];
} at_audit_entry;

/* Newest first; before_id 0 starts at the newest. *out is malloc'd. */
int at_audit_list(at_db *db, uint64_t business_id, uint64_t before_id, unsigned limit,
                  at_audit_entry **out, size_t *n, at_error *err);

/* One page of limit entries, newest first, by keyset on the id: the
 * entries older than before (0: from the newest), or, going back, the
 * ones newer than after (reaching the newest that way gives the newest
 * page). A range read of audit_log_business cut at the page, at any size
 * of the log. Pass older as before= and newer as after=. A business's
 * log holds the platform's pauses and resumes too (business_id 0): a
 * platform rule holds in every business. */
typedef struct at_audit_page {
    at_audit_entry *rows;
    size_t n;
    int has_older, has_newer;
    uint64_t older, newer; /* the last and the first row's ids */
} at_audit_page;
int at_audit_page_get(at_db *db, uint64_t business_id, uint64_t before, uint64_t after,
                      unsigned limit, at_audit_page *page, at_error *err);
void at_audit_page_free(at_audit_page *page);
/* The database's plan for that page's query (for a business, and for
 * the platform's pauses and resumes it shows beside its own entries). */
int at_audit_page_explain(at_db *db, uint64_t business_id, uint64_t before, uint64_t after,
                          unsigned limit, char **plan, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
