/* model_actions.c: retry, run now and discard against the real database.
 *
 * - Retry: a failed task is queued again with a new attempts budget, its
 *   attempts stay on record and the next one is numbered after them; the
 *   totals move from failed to queued; a cancelled one too; a paused
 *   user's task comes back paused and stays off the claim's path.
 * - Run now: a task waiting for a later run-at becomes due and is claimed.
 * - Discard: finished tasks only.
 * - Each refuses a task in another state with AT_ESTATE and writes
 *   nothing, two connections retrying one task at once make one retry,
 *   each writes its audit entry, and the totals and lanes agree with the
 *   tasks after each (counters check). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

static const at_actor actor = {0, "cli:model-actions"};
static uint64_t sup, exec_id;

/* Claims the next task of type and ends it with outcome; its id, or 0
 * when there was none. */
static uint64_t
run_one(at_db *db, uint64_t type, int outcome, const char *error)
{
    at_claim c;
    int got;
    at_worker *w = testdb_claim(db, exec_id, type, &c, &got);
    uint64_t id = got ? c.task_id : 0;
    testdb_end(w, got ? &c : NULL, outcome, error);
    return id;
}

static at_task
task_of(at_db *db, uint64_t biz, uint64_t id)
{
    at_task t;
    at_error err;
    if (at_task_get(db, biz, id, &t, &err))
        bail("get: %s", err.msg);
    return t;
}

static void
test_retry(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "retry");
    uint64_t user = testdb_user(db, biz, "Retry");
    uint64_t type = testdb_type(db, "retry");
    uint64_t id = testdb_task(db, biz, user, type);

    is_int(at_task_retry(db, &actor, biz, id, &err), AT_ESTATE, "a queued task is not retried");
    has_str(err.msg, "only a failed or cancelled task can be retried", "... and the message says so");
    is_int(at_task_discard(db, &actor, biz, id, &err), AT_ESTATE, "a queued task is not discarded");
    has_str(err.msg, "only a finished task", "... and the message says so");

    is_int(run_one(db, type, AT_OUTCOME_FAILED, "boom 1"), id, "the task runs");
    at_task t = task_of(db, biz, id);
    is_int(t.state, AT_TASK_FAILED, "... and fails");
    at_task_clear(&t);
    at_task_counts n;
    at_task_counts_get(db, biz, &n, &err);
    ok(n.failed == 1 && n.queued == 0, "the totals count it failed");
    testdb_counters_clean(db, biz, "failed");

    is_int(at_task_retry(db, &actor, biz, id, &err), AT_OK, "the failed task is retried");
    t = task_of(db, biz, id);
    ok(t.state == AT_TASK_QUEUED && t.attempts == 1 && t.max_attempts == 4 && t.finished_at == 0,
       "it is queued again with 1 attempt made of 4 (its type allows 3 more)");
    at_task_clear(&t);
    at_task_counts_get(db, biz, &n, &err);
    ok(n.failed == 0 && n.queued == 1 && n.finished_today == 0,
       "the totals moved from failed to queued");
    testdb_counters_clean(db, biz, "retried");
    is_int(rawdb_audit_count(raw, biz, "retry"), 1, "the retry is in the audit log");
    is_int(at_task_retry(db, &actor, biz, id, &err), AT_ESTATE,
           "a second retry finds it queued and does nothing");
    has_str(err.msg, "is queued", "... and says what it is");

    is_int(run_one(db, type, AT_OUTCOME_FAILED, "boom 2"), id, "the retried task runs again");
    at_attempt_page a;
    is_int(at_task_attempts(db, biz, id, 0, 0, 20, &a, &err), AT_OK, "its attempts are read");
    ok(a.n == 2 && a.rows[0].attempt == 2 && a.rows[1].attempt == 1 && a.rows[1].error &&
           strcmp(a.rows[1].error, "boom 1") == 0,
       "both attempts are on record, the second numbered after the first");
    at_attempt_page_free(&a);
    testdb_counters_clean(db, biz, "failed again");

    /* cancelled: asked to stop before it started */
    uint64_t id2 = testdb_task(db, biz, user, type);
    rawdb_sql(raw, "UPDATE tasks SET cancel_requested = 1 WHERE id = %llu",
              (unsigned long long) id2);
    is_int(run_one(db, type, AT_OUTCOME_FAILED, "stopped"), 0,
           "a second task, asked to stop, is not started");
    t = task_of(db, biz, id2);
    is_int(t.state, AT_TASK_CANCELLED, "... and ends cancelled, as it was asked to");
    at_task_clear(&t);
    is_int(at_task_retry(db, &actor, biz, id2, &err), AT_OK, "the cancelled task is retried");
    t = task_of(db, biz, id2);
    ok(t.state == AT_TASK_QUEUED && t.cancel_requested == 0,
       "it is queued again, its cancel request gone");
    at_task_clear(&t);
    testdb_counters_clean(db, biz, "cancelled retried");
    is_int(run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL), id2, "... and it runs to success");

    /* discard */
    is_int(at_task_discard(db, &actor, biz, id2, &err), AT_OK, "the succeeded task is discarded");
    is_int(at_task_get(db, biz, id2, &t, &err), AT_ENOTFOUND, "... it is gone");
    is_int(at_task_discard(db, &actor, biz, id, &err), AT_OK, "the failed task is discarded");
    is_int(rawdb_audit_count(raw, biz, "discard"), 2, "both discards are in the audit log");
    testdb_counters_clean(db, biz, "discarded");
    is_int(at_task_discard(db, &actor, biz, id, &err), AT_ENOTFOUND,
           "a discarded task cannot be discarded again");
}

static void
test_retry_paused(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "retry-paused");
    uint64_t user = testdb_user(db, biz, "Paused");
    uint64_t type = testdb_type(db, "retry-paused");
    uint64_t id = testdb_task(db, biz, user, type);
    is_int(run_one(db, type, AT_OUTCOME_FAILED, "x"), id, "paused: the task runs and fails");
    is_int(at_pause_add(db, &actor, biz, AT_SCOPE_USER, &user, 1, "hold", 0, &err), AT_OK,
           "paused: its user is paused");
    is_int(at_task_retry(db, &actor, biz, id, &err), AT_OK, "paused: the task is retried");
    at_task_counts n;
    at_task_counts_get(db, biz, &n, &err);
    ok(n.paused == 1 && n.queued == 0 && n.failed == 0, "paused: it counts as paused");
    testdb_counters_clean(db, biz, "paused retry");
    char q[256], buf[32];
    snprintf(q, sizeof q, "SELECT CONCAT(held, ready) FROM lanes WHERE business_id = %llu",
             (unsigned long long) biz);
    is_str(rawdb_value(raw, q, buf, sizeof buf), "10", "paused: its lane is held, not ready");
    is_int(run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL), 0, "paused: no executor claims it");
    is_int(at_pause_resume(db, &actor, biz, AT_SCOPE_USER, user, &err), AT_OK,
           "paused: the user is resumed");
    is_int(run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL), id, "paused: then it runs");
    testdb_counters_clean(db, biz, "resumed");
}

static void
test_run_now(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "run-now");
    uint64_t user = testdb_user(db, biz, "Later");
    uint64_t type = testdb_type(db, "run-now");
    at_time now;
    at_db_now(db, &now, &err);
    at_enqueue req = {biz, user, type, NULL, 0, 0, now + 3600LL * 1000000, NULL, NULL};
    uint64_t id;
    is_int(at_task_enqueue(db, &req, &id, &err), AT_OK, "run now: a task for in an hour");
    is_int(run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL), 0, "run now: it is not claimed yet");
    is_int(at_task_run_now(db, &actor, biz, id, &err), AT_OK, "run now: it is made due");
    at_task t = task_of(db, biz, id);
    at_time after;
    at_db_now(db, &after, &err);
    ok(t.state == AT_TASK_QUEUED && t.run_at <= after, "run now: its run-at is now");
    at_task_clear(&t);
    testdb_counters_clean(db, biz, "run now");
    is_int(rawdb_audit_count(raw, biz, "run_now"), 1, "run now: it is in the audit log");
    is_int(at_task_run_now(db, &actor, biz, id, &err), AT_ESTATE, "run now: not twice");
    has_str(err.msg, "due already", "... the message says it is due already");
    is_int(run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL), id, "run now: it is claimed and runs");
    is_int(at_task_run_now(db, &actor, biz, id, &err), AT_ESTATE,
           "run now: a succeeded task is refused");
    has_str(err.msg, "only a queued task can be run now", "... and the message says so");
    is_int(at_task_retry(db, &actor, biz, id, &err), AT_ESTATE,
           "a succeeded task is not retried");
    testdb_counters_clean(db, biz, "run now ran");
}

/* Two connections retry one failed task at once: one retries it, the
 * other finds it queued. */
static void
test_retry_race(at_db *db)
{
    uint64_t biz = testdb_business(db, "retry-race");
    uint64_t user = testdb_user(db, biz, "Race");
    uint64_t type = testdb_type(db, "retry-race");
    uint64_t id = testdb_task(db, biz, user, type);
    is_int(run_one(db, type, AT_OUTCOME_FAILED, "x"), id, "race: the task fails");
    int fds[2][2];
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        if (pipe(fds[i]) < 0 || (pids[i] = fork()) < 0)
            bail("fork");
        if (pids[i] == 0) {
            at_db *own = testdb_open();
            at_error e;
            int rc = at_task_retry(own, &actor, biz, id, &e);
            char r = rc == AT_OK ? 'o' : rc == AT_ESTATE ? 's' : 'e';
            if (write(fds[i][1], &r, 1) != 1)
                _exit(2);
            testdb_close(own);
            _exit(0);
        }
        close(fds[i][1]);
    }
    char got[3] = {0};
    for (int i = 0; i < 2; i++) {
        if (read(fds[i][0], &got[i], 1) != 1)
            got[i] = '?';
        close(fds[i][0]);
        waitpid(pids[i], NULL, 0);
    }
    ok((got[0] == 'o' && got[1] == 's') || (got[0] == 's' && got[1] == 'o'),
       "race: one retry is made, the other is refused (got %s)", got);
    testdb_counters_clean(db, biz, "race");
}

int
main(void)
{
    at_db *db = testdb_open();
    MYSQL *raw = rawdb_open();
    at_error err;
    exec_id = testdb_executor(db, "model-actions", &sup);
    test_retry(db, raw);
    test_retry_paused(db, raw);
    test_run_now(db, raw);
    test_retry_race(db);
    at_supervisor_unregister(db, sup, &err);
    mysql_close(raw);
    testdb_close(db);
    return done_testing();
}
