/* model_bulk.c: the batch step of bulk actions against the real database.
 *
 * - Retry over "finished": failed and cancelled tasks are queued again,
 *   succeeded ones are skipped and counted so; one audit entry with the
 *   filter and the counts.
 * - Cancel over "pending": queued and paused tasks end cancelled, a
 *   running one is asked to stop; Delete over a user search removes only
 *   that user's tasks and asks the running one to stop.
 * - Cursor resumption: small batches, a runner that lost its lease does
 *   nothing, another takes the job over where its cursor stands, and no
 *   task is counted twice.
 * - Cancel mid-way: the job stops with done < estimate, one audit entry,
 *   a second cancel is refused.
 * - Tasks that change between the count and their batch (retried, removed,
 *   created after the start) are skipped or left alone.
 * - After each, the totals and lanes agree with the tasks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

static const at_actor actor = {0, "cli:model-bulk"};
static uint64_t sup, exec_id;

/* Claims the next task of type; ends it with outcome unless outcome is 0
 * (then it stays running, its worker returned in *keep). */
static uint64_t
run_one(at_db *db, uint64_t type, int outcome, at_worker **keep, at_claim *kept)
{
    at_claim c;
    int got;
    at_worker *w = testdb_claim(db, exec_id, type, &c, &got);
    if (!got)
        bail("no task of type %llu to run", (unsigned long long) type);
    if (!outcome) {
        *keep = w;
        *kept = c;
        return c.task_id;
    }
    uint64_t id = c.task_id;
    testdb_end(w, &c, outcome, outcome == AT_OUTCOME_FAILED ? "boom" : NULL);
    return id;
}

static int
state_of(at_db *db, uint64_t biz, uint64_t id)
{
    at_task t;
    at_error err;
    if (at_task_get(db, biz, id, &t, &err))
        return err.code == AT_ENOTFOUND ? 0 : -1;
    int s = t.state;
    at_task_clear(&t);
    return s;
}

static at_bulk_job
job_of(at_db *db, uint64_t biz, uint64_t id)
{
    at_bulk_job j;
    at_error err;
    if (at_bulk_get(db, biz, id, &j, &err))
        bail("bulk get: %s", err.msg);
    return j;
}

/* Starts a job and claims it for runner. */
static uint64_t
start(at_db *db, const at_bulk_filter *f, const char *runner)
{
    uint64_t id = 0, got = 0;
    at_error err;
    if (at_bulk_start(db, &actor, f, NULL, &id, &err) || at_bulk_claim(db, runner, id, &got, &err))
        bail("start: %s", err.msg);
    if (got != id)
        bail("job %llu was not claimed", (unsigned long long) id);
    return id;
}

static void
test_retry(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "bulk-retry");
    uint64_t user = testdb_user(db, biz, "Bulk Retry");
    uint64_t type = testdb_type(db, "bulkretry");
    uint64_t f1 = testdb_task(db, biz, user, type), f2 = testdb_task(db, biz, user, type);
    uint64_t s1 = testdb_task(db, biz, user, type), c1 = testdb_task(db, biz, user, type);
    uint64_t q1 = testdb_task(db, biz, user, type);
    run_one(db, type, AT_OUTCOME_FAILED, NULL, NULL);
    run_one(db, type, AT_OUTCOME_FAILED, NULL, NULL);
    run_one(db, type, AT_OUTCOME_SUCCEEDED, NULL, NULL);
    run_one(db, type, AT_OUTCOME_CANCELLED, NULL, NULL);
    testdb_counters_clean(db, biz, "before");

    at_bulk_filter f = {biz, AT_ACTION_RETRY, AT_FILTER_FINISHED, NULL, NULL};
    at_task_page page;
    is_int(at_bulk_preview(db, &f, 2, &page, &err), AT_OK, "the preview is read");
    ok(page.count == 4 && !page.count_more && page.n == 2 && page.rows[0].id == f1,
       "it counts the 4 finished tasks and shows the oldest first (%llu)",
       (unsigned long long) page.count);
    at_task_page_free(&page);

    f.action = AT_ACTION_RUN_NOW;
    is_int(at_bulk_start(db, &actor, &f, NULL, &(uint64_t){0}, &err), AT_EINVAL,
           "run-now is no bulk action");
    f.action = AT_ACTION_RETRY;
    uint64_t job = start(db, &f, "model-bulk:a");
    is_int(at_bulk_run(db, job, "model-bulk:a", 0, NULL, &err), AT_OK, "the job runs");
    at_bulk_job j = job_of(db, biz, job);
    ok(j.state == AT_BULK_DONE && j.done == 3 && j.skipped == 1 && j.estimate == 4,
       "it is done: 3 retried, 1 (succeeded) skipped, of 4 (%s, %llu, %llu)",
       at_bulk_state_str(j.state), (unsigned long long) j.done, (unsigned long long) j.skipped);
    ok(state_of(db, biz, f1) == AT_TASK_QUEUED && state_of(db, biz, f2) == AT_TASK_QUEUED &&
           state_of(db, biz, c1) == AT_TASK_QUEUED && state_of(db, biz, s1) == AT_TASK_SUCCEEDED &&
           state_of(db, biz, q1) == AT_TASK_QUEUED,
       "failed and cancelled tasks are queued again, the succeeded one is left");
    is_int(rawdb_audit_count(raw, biz, "bulk_retry"), 1, "one audit entry for the job");
    is_int(rawdb_audit_count(raw, biz, "retry"), 0, "and none per task");
    char q[256], buf[AT_AUDIT_DETAIL_BUF];
    snprintf(q, sizeof q, "SELECT CONCAT(target_name, ' | ', detail) FROM audit_log WHERE "
             "business_id = %llu AND action = 'bulk_retry'", (unsigned long long) biz);
    has_str(rawdb_value(raw, q, buf, sizeof buf), "status finished | finished: 3 task(s) done, 1 skipped",
            "the entry names the filter and the counts");
    testdb_counters_clean(db, biz, "retried");
    int more = 1;
    is_int(at_bulk_step(db, job, "model-bulk:a", 0, &more, &err), AT_OK,
           "a step of an ended job is no error");
    is_int(more, 0, "... and does nothing");
    is_int(at_bulk_cancel(db, &actor, biz, job, &err), AT_ESTATE, "an ended job is not cancelled");
    has_str(err.msg, "is done already", "... and the message says so");
    is_int(at_bulk_get(db, biz + 1000000, job, &j, &err), AT_ENOTFOUND,
           "another business does not see the job");
}

static void
test_cancel_delete(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "bulk-cancel");
    uint64_t ann = testdb_user(db, biz, "Ann Bulk"), bob = testdb_user(db, biz, "Bob Bulk");
    uint64_t type = testdb_type(db, "bulkcancel");
    uint64_t r1 = testdb_task(db, biz, ann, type);
    at_worker *w;
    at_claim c;
    is_int(run_one(db, type, 0, &w, &c), r1, "a task is running");
    uint64_t a1 = testdb_task(db, biz, ann, type), b1 = testdb_task(db, biz, bob, type);
    uint64_t b2 = testdb_task(db, biz, bob, type);
    is_int(at_pause_add(db, &actor, biz, AT_SCOPE_USER, &bob, 1, "hold", 0, &err), AT_OK,
           "Bob is paused");
    at_bulk_filter f = {biz, AT_ACTION_CANCEL, AT_FILTER_PENDING, "Bob", NULL};
    uint64_t job = start(db, &f, "model-bulk:c");
    is_int(at_bulk_run(db, job, "model-bulk:c", 0, NULL, &err), AT_OK, "cancel over Bob runs");
    at_bulk_job j = job_of(db, biz, job);
    ok(j.done == 2 && j.skipped == 0, "Bob's 2 paused tasks are cancelled");
    ok(state_of(db, biz, b1) == AT_TASK_CANCELLED && state_of(db, biz, b2) == AT_TASK_CANCELLED &&
           state_of(db, biz, a1) == AT_TASK_QUEUED,
       "... and Ann's task is left");
    testdb_counters_clean(db, biz, "cancelled paused");

    f.user_search = NULL;
    job = start(db, &f, "model-bulk:c");
    is_int(at_bulk_run(db, job, "model-bulk:c", 0, NULL, &err), AT_OK, "cancel over pending runs");
    j = job_of(db, biz, job);
    ok(j.done == 2 && j.skipped == 0, "the queued task is cancelled, the running one asked");
    is_int(state_of(db, biz, a1), AT_TASK_CANCELLED, "the queued one is cancelled");
    is_int((int) rawdb_task_col(raw, "cancel_requested", r1), 1,
           "the running one has a cancel request");
    testdb_counters_clean(db, biz, "cancelled");
    job = start(db, &f, "model-bulk:c");
    at_bulk_run(db, job, "model-bulk:c", 0, NULL, &err);
    j = job_of(db, biz, job);
    ok(j.done == 0 && j.skipped == 1, "a second cancel skips the task asked already");

    at_bulk_filter d = {biz, AT_ACTION_DELETE, AT_FILTER_ALL, "Ann", NULL};
    job = start(db, &d, "model-bulk:d");
    is_int(at_bulk_run(db, job, "model-bulk:d", 0, NULL, &err), AT_OK, "delete over Ann runs");
    j = job_of(db, biz, job);
    ok(j.done == 2 && j.skipped == 0, "Ann's 2 tasks are acted on");
    ok(state_of(db, biz, a1) == 0 && state_of(db, biz, r1) == AT_TASK_RUNNING &&
           state_of(db, biz, b1) == AT_TASK_CANCELLED,
       "the cancelled one is removed, the running one stays (asked to stop), Bob's stay");
    is_int(rawdb_audit_count(raw, biz, "bulk_delete"), 1, "one audit entry for the delete");
    is_int(rawdb_audit_count(raw, biz, "bulk_cancel"), 3, "one for each cancel job");
    testdb_end(w, &c, AT_OUTCOME_CANCELLED, NULL);
    testdb_counters_clean(db, biz, "deleted");
}

static void
test_resume_and_cancel(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "bulk-resume");
    uint64_t user = testdb_user(db, biz, "Resume Bulk");
    uint64_t type = testdb_type(db, "bulkresume");
    uint64_t ids[12];
    for (int i = 0; i < 12; i++)
        ids[i] = testdb_task(db, biz, user, type);
    at_bulk_filter f = {biz, AT_ACTION_CANCEL, AT_FILTER_PENDING, NULL, "bulkresume"};
    uint64_t job = start(db, &f, "model-bulk:a");
    int more = 0;
    is_int(at_bulk_step(db, job, "model-bulk:a", 3, &more, &err), AT_OK, "a batch of 3");
    at_bulk_job j = job_of(db, biz, job);
    ok(more && j.done == 3 && j.state == AT_BULK_RUNNING && j.batches == 1,
       "3 done, the job goes on");
    is_int(state_of(db, biz, ids[3]), AT_TASK_QUEUED, "the 4th task is not touched yet");
    is_int(at_bulk_step(db, job, "model-bulk:b", 3, &more, &err), AT_OK,
           "another runner's step is no error");
    j = job_of(db, biz, job);
    ok(!more && j.done == 3, "... and does nothing: the lease is not its");
    uint64_t got = 0;
    is_int(at_bulk_claim(db, "model-bulk:b", job, &got, &err), AT_OK, "a claim of a leased job");
    is_int((int) got, 0, "... gets nothing while the lease holds");
    rawdb_sql(raw, "UPDATE bulk_jobs SET lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                   "WHERE id = %llu", (unsigned long long) job);
    int any = 0;
    is_int(at_bulk_waiting(db, &any, &err), AT_OK, "the waiting jobs are looked for");
    is_int(any, 1, "the job whose lease ran out is waiting");
    is_int(at_bulk_claim(db, "model-bulk:b", job, &got, &err), AT_OK, "it is claimed again");
    ok(got == job, "... by the other runner");
    is_int(at_bulk_step(db, job, "model-bulk:a", 3, &more, &err), AT_OK, "the first runner steps");
    ok(!more && job_of(db, biz, job).done == 3, "... and does nothing: it lost the lease");
    is_int(at_bulk_step(db, job, "model-bulk:b", 3, &more, &err), AT_OK,
           "the new runner steps");
    j = job_of(db, biz, job);
    ok(more && j.done == 6, "it goes on from the cursor: 6 done, none twice");
    ok(state_of(db, biz, ids[5]) == AT_TASK_CANCELLED && state_of(db, biz, ids[6]) == AT_TASK_QUEUED,
       "tasks 4 to 6 were its batch");

    is_int(at_bulk_cancel(db, &actor, biz, job, &err), AT_OK, "the job is cancelled mid-way");
    j = job_of(db, biz, job);
    ok(j.state == AT_BULK_CANCELLED && j.done == 6 && j.done < j.estimate && j.finished_at,
       "it stopped with 6 of %llu done", (unsigned long long) j.estimate);
    has_str(j.ended_by, "cli:model-bulk", "who cancelled it is kept");
    is_int(at_bulk_step(db, job, "model-bulk:b", 3, &more, &err), AT_OK,
           "its runner's next step is no error");
    ok(!more && job_of(db, biz, job).done == 6, "... and does nothing");
    is_int(state_of(db, biz, ids[6]), AT_TASK_QUEUED, "the rest stay queued");
    is_int(rawdb_audit_count(raw, biz, "bulk_cancel"), 1, "one audit entry");
    char q[256], buf[AT_AUDIT_DETAIL_BUF];
    snprintf(q, sizeof q, "SELECT detail FROM audit_log WHERE business_id = %llu AND "
             "action = 'bulk_cancel'", (unsigned long long) biz);
    has_str(rawdb_value(raw, q, buf, sizeof buf), "cancelled: 6 task(s) done",
            "it says the job was cancelled with 6 done");
    is_int(at_bulk_cancel(db, &actor, biz, job, &err), AT_ESTATE, "a second cancel is refused");
    testdb_counters_clean(db, biz, "cancelled mid-way");
}

static void
test_changed(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "bulk-changed");
    uint64_t user = testdb_user(db, biz, "Changed Bulk");
    uint64_t type = testdb_type(db, "bulkchanged");
    uint64_t ids[4];
    for (int i = 0; i < 4; i++) {
        ids[i] = testdb_task(db, biz, user, type);
        run_one(db, type, AT_OUTCOME_FAILED, NULL, NULL);
    }
    at_bulk_filter f = {biz, AT_ACTION_RETRY, AT_FILTER_FINISHED, NULL, NULL};
    at_task_page page;
    at_bulk_preview(db, &f, 10, &page, &err);
    is_int((int) page.count, 4, "4 failed tasks are counted");
    at_task_page_free(&page);
    uint64_t job = start(db, &f, "model-bulk:x");
    is_int(at_task_retry(db, &actor, biz, ids[1], &err), AT_OK,
           "one is retried alone after the count");
    is_int(at_task_delete(db, &actor, biz, ids[2], NULL, &err), AT_OK, "one is deleted");
    run_one(db, type, AT_OUTCOME_FAILED, NULL, NULL); /* ids[1] fails again: finished anew */
    sleep(1);
    uint64_t late = testdb_task(db, biz, user, type);
    run_one(db, type, AT_OUTCOME_FAILED, NULL, NULL);
    is_int(state_of(db, biz, late), AT_TASK_FAILED, "a task created after the start failed");
    is_int(at_bulk_run(db, job, "model-bulk:x", 1, NULL, &err), AT_OK, "the job runs, 1 a batch");
    at_bulk_job j = job_of(db, biz, job);
    ok(j.state == AT_BULK_DONE && j.done == 3 && j.skipped == 0,
       "3 retried (the one retried alone had failed again), the deleted one gone from the list "
       "(%llu done, %llu skipped)",
       (unsigned long long) j.done, (unsigned long long) j.skipped);
    is_int(state_of(db, biz, late), AT_TASK_FAILED, "the task created after the start is left");
    testdb_counters_clean(db, biz, "changed");

    /* a task that changes under the batch's feet: queued again between
     * the list's read and its lock is skipped by the rule */
    uint64_t type2 = testdb_type(db, "bulkchanged2");
    uint64_t t2 = testdb_task(db, biz, user, type2);
    run_one(db, type2, AT_OUTCOME_FAILED, NULL, NULL);
    at_bulk_filter all = {biz, AT_ACTION_RETRY, AT_FILTER_ALL, NULL, NULL};
    job = start(db, &all, "model-bulk:y");
    is_int(at_task_retry(db, &actor, biz, t2, &err), AT_OK, "a failed task is retried alone");
    /* batches of 2 over a view whose skipped tasks stay in it: each
     * batch goes on from the cursor the last one left */
    int more = 1, steps = 0;
    while (more && steps < 20 && at_bulk_step(db, job, "model-bulk:y", 2, &more, &err) == AT_OK)
        steps++;
    is_int(steps, 3, "5 tasks in batches of 2: 3 batches");
    char q[160], cur[AT_CURSOR_BUF];
    snprintf(q, sizeof q, "SELECT cursor_after FROM bulk_jobs WHERE id = %llu",
             (unsigned long long) job);
    ok(strncmp(rawdb_value(raw, q, cur, sizeof cur), "c", 1) == 0,
       "the cursor kept is the list's (%s)", cur);
    j = job_of(db, biz, job);
    ok(j.state == AT_BULK_DONE && j.skipped >= 1 && j.done + j.skipped == j.estimate,
       "the task queued meanwhile is skipped, and done + skipped = the estimate (%llu + %llu of "
       "%llu)",
       (unsigned long long) j.done, (unsigned long long) j.skipped,
       (unsigned long long) j.estimate);
    testdb_counters_clean(db, biz, "skipped");

    uint64_t mine = 0;
    is_int(at_bulk_start(db, &actor, &all, "model-bulk:own", &mine, &err), AT_OK,
           "a job started by its runner");
    j = job_of(db, biz, mine);
    ok(j.state == AT_BULK_RUNNING && strcmp(j.runner, "model-bulk:own") == 0,
       "... is running and its runner's at once: no one else can claim it first");
    uint64_t got = 1;
    is_int(at_bulk_claim(db, "model-bulk:other", mine, &got, &err), AT_OK, "another's claim");
    is_int((int) got, 0, "... gets nothing");
    is_int(at_bulk_cancel(db, &actor, biz, mine, &err), AT_OK, "it is cancelled");
}

int
main(void)
{
    at_db *db = testdb_open();
    MYSQL *raw = rawdb_open();
    at_error err;
    exec_id = testdb_executor(db, "model-bulk", &sup);
    test_retry(db, raw);
    test_cancel_delete(db, raw);
    test_resume_and_cancel(db, raw);
    test_changed(db, raw);
    at_supervisor_unregister(db, sup, &err);
    mysql_close(raw);
    testdb_close(db);
    return done_testing();
}
