/* client.h: the C client API: how platform code enqueues tasks and reads
 * their state, by business slug, user email and task type name.
 *
 * The installed library, libasynctasks (pkg-config asynctasks), exports
 * this API and no more: the functions declared here, in task_record.h and
 * in error.h. */
#ifndef ASYNCTASKS_CLIENT_H
#define ASYNCTASKS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <asynctasks/error.h>
#include <asynctasks/task_record.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_client at_client;

/* Reads the configuration (config_path, else $ASYNCTASKS_CONFIG, else the
 * default path) and connects to the database. */
int at_client_open(const char *config_path, at_client **out, at_error *err);
void at_client_close(at_client *c);

typedef struct at_client_task {
    const char *business;  /* slug */
    const char *user;      /* email of a member of the business */
    const char *type;      /* task type name */
    const char *payload;   /* UTF-8, may be NULL; "name=value" lines for
                            * types with parameters */
    size_t payload_len;    /* 0 with a payload: strlen(payload) */
    int priority;          /* AT_PRIORITY_MIN..MAX */
    at_time run_at;        /* 0: now */
} at_client_task;

/* Enqueues one task and wakes an idle executor. */
int at_client_enqueue(at_client *c, const at_client_task *t, uint64_t *id, at_error *err);

/* The same with an idempotency key: 1 to AT_IDEM_KEY_MAX visible ASCII
 * characters without quotes or backslashes (AT_EINVAL otherwise). Within
 * 24 hours of its first use in the business, the same key with the same
 * task (user, type, priority, run_at, payload) enqueues nothing and gives
 * the first task's id, *existing (may be NULL) set to 1; with another
 * task it is AT_ECONFLICT, as it is when the first task has been deleted
 * since. Of many calls with one key at once, exactly one enqueues. So a
 * call that failed without an answer (a lost connection) can be made
 * again without the risk of a second task. */
int at_client_enqueue_idempotent(at_client *c, const at_client_task *t, const char *key,
                                 uint64_t *id, int *existing, at_error *err);

/* Enqueues n tasks (1..AT_ENQUEUE_MANY_MAX) in one transaction, all or
 * none, and wakes an idle executor once. The names are looked up in bulk.
 * Every task is checked first: when any is bad nothing is written, err
 * names the first ("task 3 of 10: no task type 'x'") and item_errs (n
 * entries, may be NULL) holds each task's own error (code AT_OK for the
 * good ones). ids (n entries, may be NULL) receives the new ids in
 * order. */
int at_client_enqueue_many(at_client *c, const at_client_task *tasks, size_t n, uint64_t *ids,
                           at_error *item_errs, at_error *err);

/* Reads a task of the business (at_task_clear it after). */
int at_client_get(at_client *c, const char *business, uint64_t id, at_task *out, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
