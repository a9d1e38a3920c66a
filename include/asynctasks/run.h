/* run.h: running tasks: supervisors and executors, claiming with the
 * pause re-check, finishing, retrying and recovering, and the wake-up that
 * enqueue sends to idle executors. Used by asynctasksd; the admin screen
 * reads the executor list. */
#ifndef ASYNCTASKS_RUN_H
#define ASYNCTASKS_RUN_H

#include <asynctasks/db.h>
#include <asynctasks/pause.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_HOST_BUF    256
#define AT_RESULT_MAX  (64u * 1024u) /* bytes of a task's result text */
#define AT_ERRTEXT_MAX (16u * 1024u) /* bytes of a task's error text */
#define AT_LEASE_S     90            /* a lease's length; the supervisor's heartbeat renews it */

/* ---- supervisors and executors ---- */

/* Registers a supervisor of this host (*id); wake_addr "ip:port" or "". */
int at_supervisor_register(at_db *db, const char *host, int pid, const char *wake_addr,
                           uint64_t *id, at_error *err);
/* Heartbeat of the supervisor and of its executors' rows, renewing the
 * leases of the tasks they run. AT_ENOTFOUND when the row is gone
 * (removed as stale): register again. */
int at_supervisor_heartbeat(at_db *db, uint64_t id, at_error *err);
/* Removes the supervisor and its executors' rows. */
int at_supervisor_unregister(at_db *db, uint64_t id, at_error *err);

/* The supervisors registered for a host, to find those whose process is
 * gone. */
typedef struct at_supervisor_ref {
    uint64_t id;
    int pid;
} at_supervisor_ref;
int at_supervisor_list_host(at_db *db, const char *host, at_supervisor_ref **out, size_t *n,
                            at_error *err);
/* A supervisor known to be dead (its executors died with it): their tasks
 * are failed (and retried) at once with why, and its rows removed. */
int at_supervisor_reap(at_db *db, uint64_t supervisor_id, const char *why, unsigned backoff_s,
                       at_error *err);

int at_executor_register(at_db *db, uint64_t supervisor_id, const char *host, int pid,
                         int supervisor_pid, uint64_t *id, at_error *err);
int at_executor_set_pid(at_db *db, uint64_t id, int pid, at_error *err);
int at_executor_unregister(at_db *db, uint64_t id, at_error *err);

/* For the Executors page: the executors with their supervisor's host,
 * current task and heartbeat, by host and pid; at most limit of them
 * (*more 1 when there are others). */
typedef struct at_executor_info {
    uint64_t id;
    uint64_t supervisor_id;
    char host[AT_HOST_BUF];
    int pid;
    int supervisor_pid;
    at_time started_at;
    at_time heartbeat_at;
    at_time supervisor_heartbeat_at;
    uint64_t tasks_run;
    uint64_t task_id;          /* 0: idle */
    uint64_t task_business_id; /* the current task's business */
    char task_type[AT_TYPE_NAME_BUF];
    char task_user[AT_NAME_BUF];
    at_time task_started_at;
} at_executor_info;
int at_executor_list(at_db *db, unsigned limit, at_executor_info **out, size_t *n, int *more,
                     at_error *err);

/* ---- claiming ---- */

/* A claimed task, ready to run. */
typedef struct at_claim {
    uint64_t task_id;
    uint64_t business_id;
    uint64_t user_id;
    uint64_t task_type_id;
    unsigned attempt; /* this run's number, from 1 */
    unsigned max_attempts;
    unsigned timeout_s;
    at_time started_at;
    char *payload; /* NUL-terminated, "" when none */
    size_t payload_len;
} at_claim;
void at_claim_clear(at_claim *c);

/* Claims the most urgent runnable task among the given types: queued,
 * due, not held by a live pause rule; FOR UPDATE SKIP LOCKED. Immediately
 * before marking it running it takes the business row in share mode and
 * re-checks the business's pause rules with a fresh read: a task found
 * paused is left queued, untouched (no attempt spent), and the claim
 * looks further. Marks the task running with a lease of
 * AT_LEASE_S seconds owned by executor_id, and records the
 * attempt. *claimed 0 when there is nothing to run. */
int at_claim_next(at_db *db, uint64_t executor_id, const uint64_t *type_ids, size_t ntypes,
                  at_claim *out, int *claimed, at_error *err);

/* The SQL plan of the claim query, one line per plan row like
 * at_task_list_explain. */
int at_claim_explain(at_db *db, const uint64_t *type_ids, size_t ntypes, char **plan,
                     at_error *err);

/* How an attempt ended. */
enum at_outcome {
    AT_OUTCOME_SUCCEEDED = 1,
    AT_OUTCOME_RETRY,     /* failed; retried with backoff while attempts remain */
    AT_OUTCOME_FAILED,    /* failed for good */
    AT_OUTCOME_CANCELLED, /* stopped on request */
    AT_OUTCOME_REQUEUE    /* not the task's fault (shutdown): queued again, attempt refunded */
};

const char *at_outcome_str(int outcome);

/* Records the end of an attempt if executor_id still owns the task's
 * lease (else AT_ESTATE: the lease was lost and the task recovered).
 * A retry whose attempts are used up becomes a failure; a task whose
 * cancel was requested ends cancelled unless it succeeded. backoff_s is
 * the first retry's delay, doubled per attempt up to an hour. */
int at_task_finish(at_db *db, uint64_t executor_id, uint64_t task_id, int outcome,
                   const char *result, const char *error, unsigned backoff_s, at_error *err);

/* The same for the task an executor was running when it died or was
 * killed; outcome as above, error names why ("killed by signal 11
 * (SIGSEGV)", "timed out after 30 s"). No-op when it runs nothing. */
int at_executor_fail_task(at_db *db, uint64_t executor_id, int outcome, const char *error,
                          unsigned backoff_s, at_error *err);

/* Recovers tasks whose lease has run out (their executor vanished): each
 * attempt counts as failed and is retried while attempts remain.
 * *recovered counts them. */
int at_recover_expired(at_db *db, unsigned backoff_s, uint64_t *recovered, at_error *err);

/* Progress of a running task (owner-checked, best effort). */
int at_task_progress(at_db *db, uint64_t executor_id, uint64_t task_id, uint64_t done,
                     uint64_t total, at_error *err);

/* Ids of running tasks of this supervisor's executors whose cancel has
 * been requested, with the executor that runs each. */
typedef struct at_cancel_req {
    uint64_t task_id;
    uint64_t executor_id;
} at_cancel_req;
int at_cancel_requests(at_db *db, uint64_t supervisor_id, at_cancel_req **out, size_t *n,
                       at_error *err);

/* ---- wake-up ---- */

/* Pokes every live supervisor's wake address with one UDP datagram, so an
 * idle executor looks for work at once. Best effort: never fails the
 * caller. Called after enqueue and resume. The list of addresses is cached
 * for a second. */
void at_wake(at_db *db);


#ifdef __cplusplus
}
#endif
#endif
