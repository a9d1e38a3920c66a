/* model_claim.c: the claim and its re-check, against the real database.
 *
 * - The re-check forced into its race: a pause is half done (the business
 *   row locked and its epoch bumped, the rule written, not committed)
 *   while an executor claims. The claim cannot see the uncommitted rule,
 *   so only the re-check under the business row's share lock stands
 *   between the task and a start after the pause returns: it must wait
 *   for the pause, see its rule and give the task back untouched.
 * - A run records its lease and attempt; the end checks the lease.
 * - Held tasks at the head of the queue cost the claim nothing: it reads
 *   none of them.
 * - A task claimed in a batch and paused before its turn does not start.
 * - A pause's expiry releases its tasks through the dispatcher.
 * - Two businesses share an executor turn by turn.
 * - A business's cap on running tasks holds across executors.
 * - The end of an attempt counts for the metrics in the statement that
 *   changes the totals: no statement more; the stats read them in two. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

static const at_actor cli_actor = {0, "cli:model-claim"};

static uint64_t sup;
/* No neighbourhood: no supervisor judges these rows by their pid. */
static at_supervisor_host model_host = {.name = "model-claim"};

static uint64_t
executor(at_db *db)
{
    uint64_t id = 0;
    at_error err;
    if (at_executor_register(db, sup, "model-claim", (int) getpid(), (int) getpid(), &id, &err))
        bail("%s", err.msg);
    return id;
}

static at_worker *
worker(at_db *db, uint64_t exec, const uint64_t *types, size_t n)
{
    at_worker *w = NULL;
    at_error err;
    if (at_worker_open(db, exec, types, n, 0, &w, &err))
        bail("%s", err.msg);
    return w;
}

/* The next task, or 0; bails out on failure. */
static uint64_t
next(at_worker *w, at_claim *c)
{
    int got = 0;
    at_error err;
    if (at_worker_next(w, c, &got, &err))
        bail("next: %s", err.msg);
    return got ? c->task_id : 0;
}

/* Runs the next task "for" us microseconds of handler time. */
static uint64_t
run_next(at_worker *w, int64_t us)
{
    at_claim c;
    uint64_t id = next(w, &c);
    at_error err;
    if (id && at_worker_done(w, &c, AT_OUTCOME_SUCCEEDED, NULL, NULL, us, 1, &err))
        bail("done: %s", err.msg);
    at_claim_clear(&c);
    return id;
}

static void
flush(at_worker *w)
{
    at_error err;
    if (at_worker_flush(w, &err))
        bail("flush: %s", err.msg);
}

/* at_worker_next in a child with its own connection; "0" (nothing to
 * run), "1" (a task to run) or "E" comes back on the pipe. */
static pid_t
next_in_child(uint64_t exec, uint64_t type, int *fd)
{
    int p[2];
    if (pipe(p) < 0)
        bail("pipe");
    pid_t pid = fork();
    if (pid < 0)
        bail("fork");
    if (pid == 0) {
        close(p[0]);
        at_db *db = testdb_open();
        at_worker *w = worker(db, exec, &type, 1);
        at_claim c;
        int got = 0;
        at_error err;
        char r = at_worker_next(w, &c, &got, &err) ? 'E' : '0' + got;
        if (r == 'E')
            diag("next: %s", err.msg);
        at_claim_clear(&c);
        at_worker_close(w);
        if (write(p[1], &r, 1) != 1)
            _exit(2);
        testdb_close(db);
        _exit(0);
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

static char
answer(int fd, int timeout_ms)
{
    struct pollfd pf = {fd, POLLIN, 0};
    char r = 0;
    if (poll(&pf, 1, timeout_ms) == 1 && read(fd, &r, 1) != 1)
        r = 0;
    return r;
}

static void
test_race(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "race");
    uint64_t user = testdb_user(db, biz, "Racer");
    uint64_t type = testdb_type(db, "race");
    uint64_t task = testdb_task(db, biz, user, type);
    uint64_t exec = executor(db);

    /* The pause, half done, as at_pause_add does it: the row locked with
     * its epoch bumped, the rule written. */
    rawdb_sql(raw, "BEGIN");
    rawdb_sql(raw, "UPDATE businesses SET pause_epoch = pause_epoch + 1 WHERE id = %llu",
              (unsigned long long) biz);
    rawdb_sql(raw,
              "INSERT INTO pause_rules (business_id, scope, target_id, paused_by_name, paused_at) "
              "VALUES (%llu, 'user', %llu, 'model-claim', UTC_TIMESTAMP(6))",
              (unsigned long long) biz, (unsigned long long) user);
    int fd;
    pid_t child = next_in_child(exec, type, &fd);
    is_int(answer(fd, 1000), 0, "while the pause is uncommitted, the re-check waits on the business");
    rawdb_sql(raw, "COMMIT");
    char r = answer(fd, 15000);
    is_int(r, '0', "once the pause has committed, the re-check sees it: nothing runs");
    waitpid(child, NULL, 0);
    close(fd);
    is_int(rawdb_task_col(raw, "attempts", task), 0, "the held task spent no attempt");
    is_int(rawdb_task_col(raw, "state = 'queued'", task), 1, "... and is queued again");
    is_int(rawdb_task_col(raw, "started_at IS NULL", task), 1, "... never started");
    is_int(rawdb_task_col(raw, "lease_owner IS NULL", task), 1, "... and leased to nobody");

    /* Resumed, the next claim runs it. */
    is_int(at_pause_resume(db, &cli_actor, biz, AT_SCOPE_USER, user, &err), AT_OK, "resume");
    at_worker *w = worker(db, exec, &type, 1);
    at_claim c;
    is_int(next(w, &c), task, "after the resume the task is claimed and passes the re-check");
    is_int(c.attempt, 1, "... as its first attempt");
    ok(c.started_at > 0, "... with its start from the database's clock");
    is_int(rawdb_task_col(raw, "lease_owner", task), exec, "the executor holds the lease");
    is_int(rawdb_task_col(raw, "state = 'running'", task), 1, "the task is running");
    is_int(at_worker_done(w, &c, AT_OUTCOME_SUCCEEDED, "done", NULL, 1500, 1, &err), AT_OK,
           "its end is handed to the worker");
    at_claim_clear(&c);
    is_int(rawdb_task_col(raw, "state = 'running'", task), 1, "... and not written yet");
    flush(w);
    is_int(rawdb_task_col(raw, "state = 'succeeded'", task), 1, "written, the task succeeded");
    is_int(rawdb_task_col(raw, "duration_us", task), 1500, "... with the handler's run time");
    rawdb_sql(raw, "SELECT COUNT(*) FROM task_attempts WHERE task_id = %llu AND attempt = 1 "
                   "AND outcome = 'succeeded' AND started_at IS NOT NULL",
              (unsigned long long) task);
    MYSQL_RES *res = mysql_store_result(raw);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    is_str(row ? row[0] : "", "1", "the attempt is recorded");
    mysql_free_result(res);
    at_worker_close(w);

    /* The end of an attempt checks the lease. */
    uint64_t t2 = testdb_task(db, biz, user, type);
    w = worker(db, exec, &type, 1);
    is_int(next(w, &c), t2, "a second task is claimed");
    at_claim_clear(&c);
    is_int(at_task_finish(db, exec + 1000000, t2, AT_OUTCOME_SUCCEEDED, "x", NULL, 1, &err),
           AT_ESTATE, "another executor cannot record its end");
    is_int(at_task_finish(db, exec, t2, AT_OUTCOME_SUCCEEDED, "done", NULL, 1, &err), AT_OK,
           "the lease holder can");
    is_int(at_task_finish(db, exec, t2, AT_OUTCOME_FAILED, NULL, "late", 1, &err), AT_ESTATE,
           "a second record of the same attempt is refused");
    at_worker_close(w);
}

/* 2,000 held tasks at a higher priority ahead of 5 runnable ones, in a
 * database of its own: the rows the claim reads are counted, and other
 * tests' lanes must not be among them. */
static void
test_held_cost_nothing(void)
{
    at_error err;
    at_db *db = rawdb_own_db("claim_cost");
    uint64_t biz = testdb_business(db, "held");
    uint64_t heavy = testdb_user(db, biz, "Heavy");
    uint64_t light = testdb_user(db, biz, "Light");
    uint64_t type = testdb_type(db, "held");
    at_enqueue reqs[1000];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 1000; i++)
            reqs[i] = (at_enqueue){biz, heavy, type, NULL, 0, 5, 0, NULL, NULL};
        if (at_task_enqueue_many(db, reqs, 1000, NULL, NULL, &err))
            bail("%s", err.msg);
    }
    uint64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = testdb_task(db, biz, light, type);
    is_int(at_pause_add(db, &cli_actor, biz, AT_SCOPE_USER, &heavy, 1, "flood", 0, &err), AT_OK,
           "the heavy user is paused");
    uint64_t own_sup = 0, exec = 0;
    if (at_supervisor_register(db, &model_host, "", &own_sup, &err) ||
        at_executor_register(db, own_sup, "model-claim", (int) getpid(), (int) getpid(), &exec,
                             &err))
        bail("%s", err.msg);
    at_worker *w = worker(db, exec, &type, 1);
    at_db *wdb = db;
    uint64_t before = 0, after = 0, base0 = 0, base1 = 0;
    at_db_rows_read(wdb, &base0, &err);
    at_db_rows_read(wdb, &base1, &err);
    at_db_rows_read(wdb, &before, &err);
    at_claim c;
    uint64_t got = next(w, &c);
    at_db_rows_read(wdb, &after, &err);
    ok(got == ids[0], "the claim finds the runnable task behind the held ones");
    uint64_t read = after - before - (base1 - base0);
    ok(read < 100, "and reads %llu rows for it, none of the 2,000 held (fewer than 100)",
       (unsigned long long) read);
    at_claim_clear(&c);
    at_worker_close(w);
    at_task_counts t;
    is_int(at_task_counts_get(db, biz, &t, &err), AT_OK, "the totals read");
    is_int(t.paused, 2000, "2,000 paused");
    is_int(t.queued, 4, "4 queued");
    is_int(t.running, 1, "1 running");
    at_db_close(db);
}

/* A batch claimed while the type is fast; a pause lands before the later
 * tasks' turn. */
static void
test_batch_paused(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "batch");
    uint64_t user = testdb_user(db, biz, "Batcher");
    uint64_t type = testdb_type(db, "batch");
    at_worker *w = worker(db, executor(db), &type, 1);
    /* a few quick runs teach the worker that the type is fast */
    for (int i = 0; i < 3; i++) {
        testdb_task(db, biz, user, type);
        ok(run_next(w, 10) != 0, "warm-up task %d runs", i + 1);
    }
    flush(w);
    uint64_t ids[8];
    for (int i = 0; i < 8; i++)
        ids[i] = testdb_task(db, biz, user, type);
    at_claim c;
    is_int(next(w, &c), ids[0], "the first task of a new batch runs");
    rawdb_sql(raw, "SELECT COUNT(*) FROM tasks WHERE business_id = %llu AND state = 'running'",
              (unsigned long long) biz);
    MYSQL_RES *res = mysql_store_result(raw);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    ok(row && atoi(row[0]) > 1, "the batch claimed %s tasks at once", row ? row[0] : "?");
    mysql_free_result(res);
    is_int(at_pause_add(db, &cli_actor, biz, AT_SCOPE_USER, &user, 1, "stop", 0, &err), AT_OK,
           "the user is paused while the batch runs");
    at_worker_done(w, &c, AT_OUTCOME_SUCCEEDED, NULL, NULL, 10, 1, &err);
    at_claim_clear(&c);
    is_int(next(w, &c), 0, "nothing else of the batch starts");
    int untouched = 0;
    for (int i = 1; i < 8; i++)
        untouched += rawdb_task_col(raw, "state = 'queued' AND attempts = 0 AND lease_owner IS NULL",
                                    ids[i]) == 1;
    is_int(untouched, 7, "the rest of the batch is queued again, untouched");
    rawdb_sql(raw, "SELECT COUNT(*) FROM task_attempts WHERE task_id IN (%llu, %llu)",
              (unsigned long long) ids[1], (unsigned long long) ids[7]);
    res = mysql_store_result(raw);
    row = res ? mysql_fetch_row(res) : NULL;
    is_str(row ? row[0] : "", "0", "and has no attempt");
    mysql_free_result(res);
    at_worker_close(w);
}

static void
test_expiry(at_db *db)
{
    at_error err;
    uint64_t biz = testdb_business(db, "expiry");
    uint64_t user = testdb_user(db, biz, "Expirer");
    uint64_t type = testdb_type(db, "expiry");
    uint64_t task = testdb_task(db, biz, user, type);
    at_time now = 0;
    at_db_now(db, &now, &err);
    is_int(at_pause_add(db, &cli_actor, biz, AT_SCOPE_TASK_TYPE, &type, 1, "brief",
                        now + 2000000, &err),
           AT_OK, "the type is paused for 2 s");
    at_worker *w = worker(db, executor(db), &type, 1);
    is_int(run_next(w, 10), 0, "while the pause holds, nothing runs");
    struct timespec ts = {2, 300000000};
    nanosleep(&ts, NULL);
    int woken = 0;
    is_int(at_dispatch(db, &woken, &err), AT_OK, "the dispatcher runs after the expiry");
    ok(woken, "... and says tasks may run");
    is_int(run_next(w, 10), task, "the task runs once its pause expired");
    flush(w);
    at_worker_close(w);
}

/* Business A with a backlog, B with a few: one executor alternates. */
static void
test_fair(at_db *db)
{
    uint64_t a = testdb_business(db, "fair-a"), b = testdb_business(db, "fair-b");
    uint64_t ua = testdb_user(db, a, "Ann"), ub = testdb_user(db, b, "Ben");
    uint64_t type = testdb_type(db, "fair");
    uint64_t bt[4];
    for (int i = 0; i < 40; i++)
        testdb_task(db, a, ua, type);
    for (int i = 0; i < 4; i++)
        bt[i] = testdb_task(db, b, ub, type);
    at_worker *w = worker(db, executor(db), &type, 1);
    int seen_b = 0, ran = 0;
    /* slow tasks (20 ms each): one task per claim */
    while (ran < 10) {
        uint64_t id = run_next(w, 20000);
        if (!id)
            break;
        ran++;
        for (int i = 0; i < 4; i++)
            seen_b += id == bt[i];
    }
    is_int(seen_b, 4, "all 4 of B's tasks ran among the first 10, though A queued 40 first");
    flush(w);
    at_worker_close(w);
}

static void
test_cap(at_db *db)
{
    at_error err;
    uint64_t biz = testdb_business(db, "cap");
    uint64_t user = testdb_user(db, biz, "Capped");
    uint64_t type = testdb_type(db, "cap");
    for (int i = 0; i < 6; i++)
        testdb_task(db, biz, user, type);
    is_int(at_business_cap_set(db, &cli_actor, biz, 2, &err), AT_OK, "the business is capped at 2");
    int64_t cap = 0;
    is_int(at_business_cap_get(db, biz, &cap, &err), AT_OK, "the cap reads");
    is_int(cap, 2, "... as 2");
    at_db *d[3];
    at_worker *w[3];
    at_claim c[3];
    uint64_t got[3];
    for (int i = 0; i < 3; i++) {
        d[i] = testdb_open();
        w[i] = worker(d[i], executor(db), &type, 1);
        got[i] = next(w[i], &c[i]);
    }
    ok(got[0] && got[1], "two executors each start a task");
    is_int(got[2], 0, "the third starts nothing: the cap holds");
    at_worker_done(w[0], &c[0], AT_OUTCOME_SUCCEEDED, NULL, NULL, 10, 1, &err);
    flush(w[0]);
    ok(next(w[2], &c[2]) != 0, "when one ends, the third may start one");
    for (int i = 0; i < 3; i++) {
        at_claim_clear(&c[i]);
        at_worker_release(w[i], &err);
        at_worker_close(w[i]);
        testdb_close(d[i]);
    }
    is_int(at_business_cap_set(db, &cli_actor, biz, AT_CAP_MAX + 1, &err), AT_EINVAL,
           "a cap beyond the limit is refused");
}

/* One value of raw SQL, as text ("" when none). */
static const at_business_stats *
stats_of(const at_stats *s, uint64_t biz)
{
    for (size_t i = 0; i < s->nbusinesses; i++)
        if (s->businesses[i].id == biz)
            return &s->businesses[i];
    return NULL;
}

static void
test_metrics(at_db *db, MYSQL *raw)
{
    at_error err;
    uint64_t biz = testdb_business(db, "metrics");
    uint64_t user = testdb_user(db, biz, "Metric");
    uint64_t type = testdb_type(db, "metrics");
    uint64_t task = testdb_task(db, biz, user, type);
    uint64_t exec = executor(db);
    at_stats s0;
    is_int(at_stats_get(db, &s0, &err), AT_OK, "metrics: the stats are read");
    at_worker *w = worker(db, exec, &type, 1);
    at_claim c;
    is_int(next(w, &c), task, "metrics: the task is claimed");
    /* 70 ms of handler time, and more than that passes before the end is
     * written, so the end is not cut to the clock */
    is_int(at_worker_done(w, &c, AT_OUTCOME_SUCCEEDED, "ok", NULL, 70000, 1, &err), AT_OK,
           "metrics: its end is handed to the worker");
    at_claim_clear(&c);
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    uint64_t before = at_db_statements(db);
    flush(w);
    /* START TRANSACTION, the tasks locked, their UPDATE, the attempts'
     * INSERT, the counters' INSERT (with the metrics), COMMIT: as before
     * the metrics were kept */
    is_int(at_db_statements(db) - before, 6, "the end of an attempt takes 6 statements, metrics included");
    at_worker_close(w);
    char buf[256], q[512];
    snprintf(q, sizeof q,
             "SELECT CONCAT_WS(' ', SUM(done_succeeded), SUM(done_failed), SUM(retried), "
             "SUM(run_b2), SUM(run_sum_us), SUM(wait_b0 + wait_b1 + wait_b2 + wait_b3 + wait_b4 + "
             "wait_b5 + wait_b6 + wait_b7 + wait_b8 + wait_b9 + wait_b10 + wait_b11 + wait_b12)) "
             "FROM task_counts WHERE business_id = %llu",
             (unsigned long long) biz);
    is_str(rawdb_value(raw, q, buf, sizeof buf), "1 0 0 1 70000 1",
           "it counted a success, and a run of 70 ms (up to 0.1 s) and a wait, in task_counts");

    at_stats s;
    before = at_db_statements(db);
    is_int(at_stats_get(db, &s, &err), AT_OK, "the stats are read again");
    is_int(at_db_statements(db) - before, 2, "... in 2 statements");
    const at_business_stats *b = stats_of(&s, biz);
    ok(b && b->succeeded_total == 1 && b->failed_total == 0 && b->queued == 0 &&
           b->running == 0,
       "the business's stats: one succeeded, none queued or running");
    is_int(s.run.bucket[2] - s0.run.bucket[2], 1, "the run histogram has the attempt in its bucket");
    is_int(s.run.sum_us - s0.run.sum_us, 70000, "... and its 70 ms in the sum");
    is_int(at_histogram_count(&s.wait) - at_histogram_count(&s0.wait), 1,
           "the wait histogram has one more attempt");
    at_stats_free(&s);
    at_stats_free(&s0);

    /* The counters outlive a rebuild of the totals. */
    is_int(at_counts_rebuild(db, biz, NULL, NULL, &err), AT_OK, "the counters are rebuilt");
    is_str(rawdb_value(raw, q, buf, sizeof buf), "1 0 0 1 70000 1",
           "... and the metrics' counters are as they were");

    /* The oldest due task is two MINs of an index, read from its end. */
    char *plan = NULL;
    is_int(at_stats_explain(db, &plan, &err), AT_OK, "the stats' plan");
    const char *p = plan ? plan : "";
    int away = 0;
    for (const char *x = p; (x = strstr(x, "Select tables optimized away")); x++)
        away++;
    is_int(away, 2, "the oldest due head is read from lanes_waiting's end, twice (no rows)");
    ok(!strstr(p, "filesort") && !strstr(p, "temporary"), "no sort and no temporary table");
    if (!away)
        diag("%s", p);
    free(plan);
}

int
main(void)
{
    at_db *db = testdb_open();
    MYSQL *raw = rawdb_open();
    at_error err;
    model_host.pid = (int) getpid();
    is_int(at_supervisor_register(db, &model_host, "", &sup, &err), AT_OK,
           "a supervisor registers");
    test_race(db, raw);
    test_held_cost_nothing();
    test_batch_paused(db, raw);
    test_expiry(db);
    test_fair(db);
    test_cap(db);
    test_metrics(db, raw);
    is_int(at_supervisor_unregister(db, sup, &err), AT_OK, "the supervisor unregisters");
    mysql_close(raw);
    testdb_close(db);
    return done_testing();
}
