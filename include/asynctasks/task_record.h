/* task_record.h: a task as the client API reads it (client.h): its record,
 * its states and the limits of what it holds. Installed. */
#ifndef ASYNCTASKS_TASK_RECORD_H
#define ASYNCTASKS_TASK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stored states. "paused" is not one of them: a queued task is paused
 * while a live pause rule of its business matches it. */
enum at_task_state {
    AT_TASK_QUEUED = 1,
    AT_TASK_RUNNING,
    AT_TASK_SUCCEEDED,
    AT_TASK_FAILED,
    AT_TASK_CANCELLED
};

#define AT_PRIORITY_MIN     (-1000)
#define AT_PRIORITY_MAX     1000
#define AT_PAYLOAD_MAX      (4u * 1024u * 1024u) /* bytes, before compression */
#define AT_ENQUEUE_MANY_MAX 1000 /* tasks enqueued in one transaction */

typedef struct at_task {
    uint64_t id;
    uint64_t business_id;
    uint64_t user_id;
    uint64_t task_type_id;
    char user_name[AT_NAME_BUF];
    char type_name[AT_TYPE_NAME_BUF];
    int state;
    int priority;
    at_time run_at;
    at_time created_at;
    at_time updated_at;
    at_time started_at;
    at_time finished_at;
    unsigned attempts;
    unsigned max_attempts;
    unsigned version; /* bumped by every change: optimistic concurrency */
    int cancel_requested;
    uint64_t progress_done, progress_total; /* of the running attempt; total 0: unknown */
    int64_t duration_us;                    /* of the last attempt; -1: none yet */
    size_t payload_size; /* uncompressed */
    char *payload;       /* NUL-terminated UTF-8; only from a read of one task */
    char *last_error;    /* may be NULL */
    char *result;        /* may be NULL */
} at_task;

void at_task_clear(at_task *t); /* frees payload, last_error, result */

const char *at_task_state_str(int state); /* "queued", "running", ... */
int at_task_state_parse(const char *s);   /* 0 when unknown */

#ifdef __cplusplus
}
#endif
#endif
