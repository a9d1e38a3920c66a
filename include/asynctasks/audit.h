/* audit.h: the record of every pause, resume, edit and delete. */
#ifndef ASYNCTASKS_AUDIT_H
#define ASYNCTASKS_AUDIT_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_AUDIT_DETAIL_BUF 1024

typedef struct at_audit_entry {
    uint64_t id;
    uint64_t business_id;
    at_time at;
    uint64_t actor_id; /* 0: the operator */
    char actor[AT_NAME_BUF];
    char action[32]; /* pause, resume, resume_all, edit, delete, cancel */
    char target_kind[16]; /* user, task_type, task */
    uint64_t target_id;
    char target_name[AT_NAME_BUF];
    char reason[AT_REASON_BUF];
    char detail[AT_AUDIT_DETAIL_BUF];
} at_audit_entry;

/* Newest first; before_id 0 starts at the newest. *out is malloc'd. */
int at_audit_list(at_db *db, uint64_t business_id, uint64_t before_id, unsigned limit,
                  at_audit_entry **out, size_t *n, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
