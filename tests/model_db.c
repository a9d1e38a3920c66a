/* model_db.c: the database layer against a real server: a connection the
 * server kills is re-opened; idempotent reads and whole transactions are
 * retried, other writes report the loss clearly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testdb.h"

/* Kills one connection from outside, as a server restart or an operator's
 * KILL would. */
static void
kill_connection(unsigned long id)
{
    const char *cnf = getenv("ASYNCTASKS_TEST_CLIENT_CNF");
    if (!cnf)
        bail("ASYNCTASKS_TEST_CLIENT_CNF is not set: run the tests through dev/check");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mariadb --defaults-file='%s' -e 'KILL CONNECTION %lu'", cnf, id);
    if (system(cmd) != 0)
        bail("could not kill connection %lu", id);
}

int
main(void)
{
    at_db *db = testdb_open();
    at_error err = {0};
    at_time t0, t1;
    uint64_t biz = testdb_business(db, "db");
    uint64_t user = testdb_user(db, biz, "Rhea Reconnect");
    uint64_t type = testdb_type(db, "db");

    /* a read after the connection was killed: reconnected and retried */
    unsigned long id1 = at_db_thread_id(db);
    ok(id1 != 0 && at_db_now(db, &t0, &err) == AT_OK, "connected (thread %lu)", id1);
    kill_connection(id1);
    ok(at_db_now(db, &t1, &err) == AT_OK, "a read after the kill succeeds: %s", err.msg);
    unsigned long id2 = at_db_thread_id(db);
    ok(id2 != 0 && id2 != id1, "on a new connection (thread %lu)", id2);
    ok(t1 >= t0, "and the clock goes on");
    at_business b;
    kill_connection(id2);
    ok(at_business_get_by_id(db, biz, &b, &err) == AT_OK && b.id == biz,
       "a cached prepared statement works again after the kill");

    /* a transaction: the loss before COMMIT reruns the whole of it */
    kill_connection(at_db_thread_id(db));
    at_actor actor = {0, "cli:test"};
    ok(at_pause_add(db, &actor, biz, AT_SCOPE_USER, &user, 1, "after a kill", 0, &err) == AT_OK,
       "a pause after the kill succeeds: %s", err.msg);
    /* the business's own: the shared database may hold platform rules */
    at_pause_set set;
    at_pause_load(db, biz, &set, &err);
    size_t own = 0;
    for (size_t i = 0; i < set.n; i++)
        own += !at_pause_rule_platform(&set.rules[i]);
    is_int(own, 1, "exactly one rule");
    at_pause_set_free(&set);
    at_audit_entry *v;
    size_t n = 0;
    at_audit_list(db, biz, 0, 100, &v, &n, &err);
    own = 0;
    for (size_t i = 0; i < n; i++)
        own += v[i].business_id == biz;
    is_int(own, 1, "exactly one audit entry");
    free(v);

    /* a write that is not idempotent is not repeated: it says what happened;
     * the slug is unique, so a second add succeeds only if the first wrote
     * nothing */
    kill_connection(at_db_thread_id(db));
    char slug[AT_SLUG_BUF];
    snprintf(slug, sizeof slug, "db-once-%s", testdb_tag());
    uint64_t bid = 0;
    int rc = at_business_add(db, slug, slug, &bid, &err);
    ok(rc == AT_EDB, "a business add on the killed connection fails");
    has_str(err.msg, "lost the connection to the database", "saying the connection was lost");
    ok(at_business_add(db, slug, slug, &bid, &err) == AT_OK && bid != 0,
       "the next add reconnects and succeeds: the first wrote nothing");

    /* an enqueue reads the type's parameters first, and that read
     * reconnects: the task is written once */
    kill_connection(at_db_thread_id(db));
    at_enqueue req = {biz, user, type, NULL, 0, 0, 0, NULL, NULL};
    uint64_t tid = 0;
    ok(at_task_enqueue(db, &req, &tid, &err) == AT_OK && tid != 0,
       "an enqueue after the kill reconnects and succeeds: %s", err.msg);
    at_task_query q = {biz, AT_SORT_CREATED, 0, AT_FILTER_ALL, NULL, NULL, NULL, NULL, 10, NULL, NULL};
    at_task_page page;
    ok(at_task_list(db, &q, &page, &err) == AT_OK && page.n == 1,
       "one task in the business, not two");
    at_task_page_free(&page);

    /* numbers and times are read as numbers and times, not as text: what
     * was written comes back exactly, negative numbers and fractions of a
     * second included */
    at_time when = 1956100000123456LL; /* 2031-12-27 01:06:40.123456 UTC */
    at_enqueue neg = {biz, user, type, "{}", 2, AT_PRIORITY_MIN, when, NULL, NULL};
    uint64_t nid = 0;
    at_task t;
    ok(at_task_enqueue(db, &neg, &nid, &err) == AT_OK, "a task of the lowest priority: %s",
       err.msg);
    ok(at_db_now(db, &t1, &err) == AT_OK, "the clock after it");
    ok(at_task_get(db, biz, nid, &t, &err) == AT_OK, "read back: %s", err.msg);
    is_int(t.id, nid, "its id");
    is_int(t.priority, AT_PRIORITY_MIN, "its negative priority");
    ok(t.run_at == when, "its run_at to the microsecond (%lld)", (long long) t.run_at);
    ok(t.created_at > 0 && t.created_at <= t1, "its created_at, before the clock read after it");
    is_int(t.payload_size, 2, "its payload size");
    ok(t.finished_at == 0 && t.started_at == 0, "never started: no start or finish time (NULL)");
    at_task_clear(&t);
    at_task_counts counts;
    ok(at_task_counts_get(db, biz, &counts, &err) == AT_OK && counts.queued == 0 &&
           counts.paused == 2 && counts.running == 0 && counts.max_running == AT_CAP_DEFAULT,
       "the business's totals: both tasks paused by the user's rule, none running, the default "
       "cap (queued %llu, paused %llu, running %llu, cap %lld)",
       (unsigned long long) counts.queued, (unsigned long long) counts.paused,
       (unsigned long long) counts.running, (long long) counts.max_running);

    /* an unreachable server: a clear error naming where it looked */
    at_config cfg = {0};
    cfg.db_socket = "/nonexistent/dir/mysqld.sock";
    cfg.db_user = "nobody";
    cfg.db_name = "nothing";
    cfg.db_timeout = 2;
    at_db *bad = NULL;
    ok(at_db_open(&cfg, &bad, &err) == AT_EDB && bad == NULL, "no server: refused");
    has_str(err.msg, "/nonexistent/dir/mysqld.sock", "message names the socket");
    has_str(err.msg, "cannot connect to database nothing as nobody", "and the database and user");

    testdb_close(db);
    return done_testing();
}
