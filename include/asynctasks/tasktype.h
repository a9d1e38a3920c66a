/* tasktype.h: the kinds of task handlers exist for. */
#ifndef ASYNCTASKS_TASKTYPE_H
#define ASYNCTASKS_TASKTYPE_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_task_type {
    uint64_t id;
    char name[AT_TYPE_NAME_BUF];
    char description[AT_DESC_BUF];
    unsigned timeout_s;
    unsigned max_attempts;
} at_task_type;

/* Creates the type, or updates description, timeout and attempts of an
 * existing one. name: 1-100 of [a-z0-9_.-], starting with a letter. */
int at_task_type_register(at_db *db, const char *name, const char *description,
                          unsigned timeout_s, unsigned max_attempts, uint64_t *id, at_error *err);
int at_task_type_get(at_db *db, const char *name, at_task_type *out, at_error *err);
int at_task_type_get_by_id(at_db *db, uint64_t id, at_task_type *out, at_error *err);
/* By name; search (may be NULL) matches a part of the name. */
int at_task_type_list(at_db *db, const char *search, at_task_type **out, size_t *n,
                      at_error *err);

#ifdef __cplusplus
}
#endif
#endif
