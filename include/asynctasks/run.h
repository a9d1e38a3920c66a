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
#define AT_EXECUTOR_STALE_S 30       /* an executor whose heartbeat is older is not counted live */
#define AT_CLAIM_TYPES_MAX 4096      /* task types one executor may run */

/* ---- supervisors and executors ---- */

/* Where a supervisor runs (lib/neighbourhood.c). Supervisors with one
 * hood (one kernel boot and one pid namespace) are neighbours: their pids
 * name the same processes, so they may judge by pid whether another lives.
 * The name (gethostname) is for people only: two hosts, or two pid
 * namespaces of one host, may share it. */
#define AT_HOOD_BUF 128
typedef struct at_supervisor_host {
    char name[AT_HOST_BUF]; /* gethostname() */
    char hood[AT_HOOD_BUF]; /* "<boot id> pid:[<inode>]"; "": unknown, no neighbours */
    int pid;
    uint64_t pid_start; /* the process's start, clock ticks since boot; 0: unknown */
} at_supervisor_host;
/* This process's. */
void at_supervisor_host_self(at_supervisor_host *me);
/* Whether the process pid, started at pid_start (0: unknown), is gone: no
 * such process, or the pid is another process's now. Meaningful only in
 * the caller's neighbourhood. */
int at_process_gone(int pid, uint64_t pid_start);

/* Registers a supervisor (*id); wake_addr "ip:port" or "". */
int at_supervisor_register(at_db *db, const at_supervisor_host *me, const char *wake_addr,
                           uint64_t *id, at_error *err);
/* Heartbeat of the supervisor and of its executors' rows, renewing the
 * leases of the tasks they run. AT_ENOTFOUND when the row is gone
 * (removed as stale): register again. */
int at_supervisor_heartbeat(at_db *db, uint64_t id, at_error *err);
/* Removes the supervisor and its executors' rows. */
int at_supervisor_unregister(at_db *db, uint64_t id, at_error *err);

/* The other supervisors of me's neighbourhood, to find those whose
 * process is gone (at_process_gone); none when me's hood is unknown. */
typedef struct at_supervisor_ref {
    uint64_t id;
    int pid;
    uint64_t pid_start;
} at_supervisor_ref;
int at_supervisor_neighbours(at_db *db, const at_supervisor_host *me, uint64_t my_id,
                             at_supervisor_ref **out, size_t *n, at_error *err);
/* A supervisor known to be dead (its executors died with it): their tasks
 * end at once as in at_recover_expired, with why, and its rows are
 * removed. */
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

/* An executor's side of the database: claims batches of due tasks,
 * re-checks each right before it runs, and writes how tasks ended in
 * batches (see worker.c). One per executor process, on its connection. */
typedef struct at_worker at_worker;

/* types: the task types this executor has handlers for. cap_default: the
 * running tasks a business may have when it sets no cap of its own (0:
 * any number). */
int at_worker_open(at_db *db, uint64_t executor_id, const uint64_t *types, size_t ntypes,
                   unsigned cap_default, at_worker **out, at_error *err);
/* Frees the worker; writes nothing (at_worker_release first). */
void at_worker_close(at_worker *w);

/* The next task to run, claimed and re-checked: its business's pause
 * rules, read afresh when they changed, do not hold it, its cancel was not
 * requested and this executor still holds it; out->started_at is the
 * database's time of the re-check. Tasks found held are given back
 * untouched (no attempt spent). When the batch is used up, the ends
 * waiting are written and the next batch claimed in one transaction.
 * *got 0: nothing to run now, and every end has been written. On failure
 * (the database away) nothing is lost: call again later. */
int at_worker_next(at_worker *w, at_claim *out, int *got, at_error *err);

/* How the task at_worker_next gave ended; written with the next claim,
 * or within a few milliseconds. outcome as for at_task_finish;
 * duration_us is the handler's run time; backoff_s the first retry's
 * delay. */
int at_worker_done(at_worker *w, const at_claim *c, int outcome, const char *result,
                   const char *error, int64_t duration_us, unsigned backoff_s, at_error *err);

/* Writes the ends waiting now. */
int at_worker_flush(at_worker *w, at_error *err);
/* Gives back the claimed tasks not started yet and writes the ends
 * waiting: for an executor that leaves. */
int at_worker_release(at_worker *w, at_error *err);
/* How many ends wait to be written. */
size_t at_worker_pending(const at_worker *w);
/* The dashboard's counts (schema/020): each start, success and failure
 * and each type's latest error are counted in memory and added in one
 * transaction of their own every ROLLUP_FLUSH_MS or so, from
 * at_worker_next, and by at_worker_release; never with a task's claim or
 * end. How long an idle executor may wait before the next flush is due:
 * -1 when nothing waits to be added. */
int at_worker_rollup_wait_ms(const at_worker *w);
/* fn is called right before each task's re-check: an executor tells its
 * supervisor, so that the supervisor never gives back a task the
 * executor may be starting (at_executor_release). */
void at_worker_on_check(at_worker *w, void (*fn)(void *ctx, uint64_t task_id), void *ctx);

/* Gives back the tasks an executor claimed and has not started, while it
 * runs a long task: its batch should not wait behind it. The tasks it
 * holds are locked first; then keep (the supervisor, which drains the
 * executor's pipe at that moment) marks those to keep: the one running,
 * the ones that returned, and the one being re-checked. A re-check that
 * comes later waits for this transaction and finds the task gone.
 * *released counts the tasks given back. */
int at_executor_release(at_db *db, uint64_t executor_id,
                        void (*keep)(void *ctx, const uint64_t *ids, size_t n, int *keep_it),
                        void *ctx, size_t *released, at_error *err);

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

/* What a supervisor knows, from an executor's pipe, of the executor that
 * died or was killed: the task it died in, and the tasks whose handler
 * returned but whose end it may not have written yet. */
typedef struct at_exec_returned {
    uint64_t task_id;
    int outcome;
    at_time started_at;
    int64_t duration_us;
} at_exec_returned;

typedef struct at_exec_report {
    uint64_t task_id;    /* running when it died; 0: none */
    at_time started_at;  /* of that run */
    int outcome;         /* what it becomes: RETRY, CANCELLED, REQUEUE... */
    const char *why;     /* "killed by signal 11 (SIGSEGV)", "timed out after 30 s" */
    const at_exec_returned *returned;
    size_t nreturned;
} at_exec_report;

/* Ends every task the executor holds: the one it died in as r says
 * (error why), the ones that returned with their outcome (a result text
 * not yet written is lost), and those claimed but never started are
 * given back with their attempt refunded. Tasks whose end was written
 * already are left alone. */
int at_executor_recover(at_db *db, uint64_t executor_id, const at_exec_report *r,
                        unsigned backoff_s, at_error *err);

/* What each executor of a supervisor runs now, for the Executors page and
 * the tasks' pages: published by the supervisor within a tenth of a
 * second. */
typedef struct at_executor_state {
    uint64_t executor_id;
    uint64_t task_id; /* 0: idle */
    at_time task_started_at;
    uint64_t tasks_run;
} at_executor_state;
int at_executors_publish(at_db *db, const at_executor_state *v, size_t n, at_error *err);

/* Recovers tasks whose lease has run out (their executor vanished): an
 * attempt whose start was published counts as failed and is retried while
 * attempts remain; a task claimed but not started is given back.
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

/* ---- the dispatcher: each supervisor's periodic work ---- */

/* Lanes whose first task's run-at has come become due; pause rules whose
 * expiry has passed are removed and their lanes released; lane flags left
 * over by pauses and resumes of many lanes are brought in line, for a
 * bounded time. *woken is set when tasks may have become runnable (wake
 * the executors). Cheap when there is nothing to do. */
int at_dispatch(at_db *db, int *woken, at_error *err);

/* The leftover lane flags alone, in chunks, for at most budget_ms;
 * *chunks (may be NULL) counts the chunks done. */
int at_lane_work_run(at_db *db, unsigned budget_ms, unsigned *chunks, at_error *err);

/* ---- wake-up ---- */

/* Pokes every live supervisor's wake address with one UDP datagram, so an
 * idle executor looks for work at once. Best effort: never fails the
 * caller. Called after enqueue and resume. The datagram names business_id
 * in decimal (empty for 0: several businesses, or the database as a
 * whole); executors do not read it. The list of addresses is cached for a
 * second. */
void at_wake(at_db *db, uint64_t business_id);


#ifdef __cplusplus
}
#endif
#endif
