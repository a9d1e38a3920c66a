/* client_many.c: at_client_enqueue_many, the C client API's bulk enqueue,
 * against the real database: tasks written in order with their fields,
 * all or none when any is bad (each bad one named, nothing written), the
 * limits, 1,000 at once, held tasks held by a live pause, and one wake-up
 * datagram per call rather than one per task; and
 * at_client_enqueue_idempotent. One function per case. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

static at_db *db;
static at_client *client;
static MYSQL *raw;
static uint64_t biz, member, type;
static char slug[AT_SLUG_BUF], email[AT_NAME_BUF], type_name[AT_TYPE_NAME_BUF];

static void
setup(void)
{
    at_error err = {0};
    at_business b;
    at_user u;
    at_task_type t;
    biz = testdb_business(db, "cmany");
    member = testdb_user(db, biz, "Carl Many");
    type = testdb_type(db, "cmany");
    if (at_business_get_by_id(db, biz, &b, &err) || at_user_get_by_id(db, member, &u, &err) ||
        at_task_type_get_by_id(db, type, &t, &err))
        bail("%s", err.msg);
    snprintf(slug, sizeof slug, "%s", b.slug);
    snprintf(email, sizeof email, "%s", u.email);
    snprintf(type_name, sizeof type_name, "%s", t.name);
    if (at_client_open(getenv("ASYNCTASKS_TEST_CONFIG"), &client, &err))
        bail("%s", err.msg);
}

static unsigned long long
tasks_of_business(void)
{
    char q[128];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM tasks WHERE business_id = %llu",
             (unsigned long long) biz);
    if (mysql_query(raw, q))
        bail("%s", mysql_error(raw));
    MYSQL_RES *r = mysql_store_result(raw);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    unsigned long long n = row ? strtoull(row[0], NULL, 10) : ~0ull;
    mysql_free_result(r);
    return n;
}

/* n good tasks of this test's business, priority i for the i-th. */
static at_client_task *
good_tasks(size_t n)
{
    at_client_task *v = calloc(n, sizeof *v);
    if (!v)
        bail("out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = (at_client_task){
            .business = slug, .user = email, .type = type_name, .priority = (int) (i % 1000)};
    return v;
}

static void
test_good(void)
{
    at_client_task t[3] = {{slug, email, type_name, "first", 0, 5, 0},
                           {slug, email, type_name, NULL, 0, -5, 0},
                           {slug, email, type_name, "third\npayload", 0, 0, 0}};
    uint64_t ids[3] = {0};
    at_error errs[3], err = {0};
    int rc = at_client_enqueue_many(client, t, 3, ids, errs, &err);
    ok(rc == AT_OK, "three tasks: enqueued (%s)", err.msg);
    ok(ids[0] && ids[1] > ids[0] && ids[2] > ids[1], "their ids, in order");
    for (size_t i = 0; i < 3; i++) {
        at_task got;
        if (at_client_get(client, slug, ids[i], &got, &err))
            bail("%s", err.msg);
        ok(got.user_id == member && got.task_type_id == type && got.priority == t[i].priority &&
               got.state == AT_TASK_QUEUED,
           "task %zu: its user, type, priority, queued", i + 1);
        is_str(got.payload ? got.payload : "(none)", t[i].payload ? t[i].payload : "(none)",
               "task %zu: its payload", i + 1);
        at_task_clear(&got);
    }
}

static void
test_all_or_nothing(void)
{
    at_client_task *t = good_tasks(5);
    t[1].type = "no.such.type.cm";
    t[3].user = "stranger@elsewhere.example";
    uint64_t ids[5] = {0};
    at_error errs[5], err = {0};
    unsigned long long before = tasks_of_business();
    int rc = at_client_enqueue_many(client, t, 5, ids, errs, &err);
    ok(rc == AT_ENOTFOUND, "two bad of five: refused");
    is_int(tasks_of_business(), before, "two bad of five: nothing was written");
    is_str(
        err.msg,
        "enqueue: 2 of 5 tasks are invalid, the first is task 2: no task type 'no.such.type.cm': "
        "nothing was enqueued",
        "the message counts the bad ones and names the first");
    is_str(errs[1].msg, "no task type 'no.such.type.cm'", "the second task's own error");
    char want[512];
    snprintf(want, sizeof want,
             "user 'stranger@elsewhere.example' is not a member of business '%s'", slug);
    is_str(errs[3].msg, want, "the fourth task's own error");
    ok(!errs[0].code && !errs[2].code && !errs[4].code, "the good ones have none");
    free(t);
}

static void
test_limits(void)
{
    at_client_task *t = good_tasks(AT_ENQUEUE_MANY_MAX + 1);
    at_error err = {0};
    unsigned long long before = tasks_of_business();
    ok(at_client_enqueue_many(client, t, 0, NULL, NULL, &err) == AT_EINVAL, "no task: refused");
    ok(at_client_enqueue_many(client, t, AT_ENQUEUE_MANY_MAX + 1, NULL, NULL, &err) == AT_EINVAL,
       "1,001 tasks: refused");
    has_str(err.msg, "1 to 1000 tasks at once, not 1001",
            "1,001 tasks: the message says the limit");
    is_int(tasks_of_business(), before, "neither wrote anything");
    uint64_t *ids = calloc(AT_ENQUEUE_MANY_MAX, sizeof *ids);
    err = (at_error){0};
    int rc = at_client_enqueue_many(client, t, AT_ENQUEUE_MANY_MAX, ids, NULL, &err);
    ok(rc == AT_OK, "1,000 tasks: enqueued (%s)", err.msg);
    is_int(tasks_of_business(), before + AT_ENQUEUE_MANY_MAX, "1,000 tasks: all written");
    size_t rising = 0;
    for (size_t i = 1; i < AT_ENQUEUE_MANY_MAX; i++)
        rising += ids[i] > ids[i - 1];
    is_int(rising, AT_ENQUEUE_MANY_MAX - 1, "1,000 tasks: 1,000 ids, in order");
    free(ids);
    free(t);
}

/* A live pause holds the new tasks it names, and only those. */
static void
test_paused(void)
{
    uint64_t other = testdb_user(db, biz, "Paula Paused");
    at_user u;
    at_error err = {0};
    if (at_user_get_by_id(db, other, &u, &err))
        bail("%s", err.msg);
    at_actor actor = {0, "cli:test"};
    if (at_pause_add(db, &actor, biz, AT_SCOPE_USER, &other, 1, "bulk test", 0, &err))
        bail("%s", err.msg);
    at_client_task t[2] = {{slug, u.email, type_name, NULL, 0, 0, 0},
                           {slug, email, type_name, NULL, 0, 0, 0}};
    uint64_t ids[2];
    ok(at_client_enqueue_many(client, t, 2, ids, NULL, &err) == AT_OK,
       "under a pause of one user: enqueued (%s)", err.msg);
    at_pause_set set;
    if (at_pause_load(db, biz, &set, &err))
        bail("%s", err.msg);
    for (size_t i = 0; i < 2; i++) {
        at_task got;
        if (at_client_get(client, slug, ids[i], &got, &err))
            bail("%s", err.msg);
        const at_pause_rule *rule = at_pause_match(&set, got.user_id, got.task_type_id);
        if (i == 0)
            ok(got.state == AT_TASK_QUEUED && rule && strcmp(rule->reason, "bulk test") == 0,
               "the paused user's new task is queued and held by the rule");
        else
            ok(got.state == AT_TASK_QUEUED && !rule, "the other user's is queued and not held");
        at_task_clear(&got);
    }
    at_pause_set_free(&set);
    if (at_pause_resume_all(db, &actor, biz, NULL, NULL, NULL, &err))
        bail("%s", err.msg);
}

/* ---- the wake-up ---- */

static int
wake_socket(char *addr, size_t len)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) ||
        getsockname(s, (struct sockaddr *) &a, &alen))
        bail("cannot bind a UDP socket");
    snprintf(addr, len, "127.0.0.1:%u", ntohs(a.sin_port));
    return s;
}

/* The datagrams that have arrived and name this test's business (after a
 * moment for stragglers); those of other businesses are read and left out. */
static int
datagrams(int s)
{
    struct pollfd p = {s, POLLIN, 0};
    char want[24], buf[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long) biz);
    int n = 0;
    poll(&p, 1, 200);
    ssize_t len;
    while ((len = recv(s, buf, sizeof buf - 1, 0)) >= 0) {
        buf[len] = 0;
        n += strcmp(buf, want) == 0;
    }
    return n;
}

/* A supervisor row advertising our socket: every enqueue of any process
 * on the test database that refreshes its list meanwhile wakes us too,
 * but names its own business, so the counts are exact. */
static void
test_one_wakeup(void)
{
    char addr[64];
    int s = wake_socket(addr, sizeof addr);
    rawdb_sql(raw,
              "INSERT INTO supervisors (host, pid, wake_addr, started_at, heartbeat_at) VALUES "
              "('client-many-test', 1, '%s', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
              addr);
    unsigned long long sup = mysql_insert_id(raw);
    at_client_task *t = good_tasks(200);
    at_error err = {0};
    if (at_client_enqueue_many(client, t, 200, NULL, NULL, &err))
        bail("%s", err.msg);
    int bulk = datagrams(s);
    for (size_t i = 0; i < 20; i++)
        if (at_client_enqueue(client, &t[i], NULL, &err))
            bail("%s", err.msg);
    int single = datagrams(s);
    is_int(bulk, 1, "200 tasks in one call: one wake-up, naming the business");
    is_int(single, 20, "20 tasks one by one: a wake-up each");
    rawdb_sql(raw, "DELETE FROM supervisors WHERE id = %llu", sup);
    close(s);
    free(t);
}

/* The same key twice: one task; another task under it: refused; a bad
 * key: refused; the bulk enqueue takes no key. */
static void
test_idempotent(void)
{
    at_error err;
    at_client_task t = {slug, email, type_name, "once", 0, 3, 0};
    uint64_t id1 = 0, id2 = 0;
    int existing = -1;
    unsigned long long n0 = tasks_of_business();
    is_int(at_client_enqueue_idempotent(client, &t, "c-api-key-1", &id1, &existing, &err), AT_OK,
           "idempotent: the first call enqueues");
    is_int(existing, 0, "... a new task");
    is_int(at_client_enqueue_idempotent(client, &t, "c-api-key-1", &id2, &existing, &err), AT_OK,
           "idempotent: the same call again succeeds");
    ok(existing == 1 && id2 == id1, "... with the first task's id, and says so");
    is_int(tasks_of_business(), n0 + 1, "idempotent: one task for two calls");
    at_client_task other = t;
    other.payload = "twice";
    is_int(at_client_enqueue_idempotent(client, &other, "c-api-key-1", &id2, NULL, &err),
           AT_ECONFLICT, "idempotent: another payload under the key is refused");
    has_str(err.msg, "used for another request", "... and the message says so");
    is_int(at_client_enqueue_idempotent(client, &t, "bad key", &id2, NULL, &err), AT_EINVAL,
           "idempotent: a key with a space is refused");
    is_int(at_client_enqueue_idempotent(client, &t, NULL, &id2, NULL, &err), AT_EINVAL,
           "idempotent: no key is refused");
    is_int(tasks_of_business(), n0 + 1, "idempotent: the refused calls wrote nothing");

    /* 25 hours later: the prune removes the key, whatever the retention
     * keeps, and the key may serve another task */
    char q[256];
    snprintf(q, sizeof q,
             "UPDATE idempotency_keys SET created_at = UTC_TIMESTAMP(6) - INTERVAL 25 HOUR "
             "WHERE business_id = %llu AND idem_key = 'c-api-key-1'",
             (unsigned long long) biz);
    rawdb_sql(raw, "%s", q);
    at_prune_policy p = {.batch = 100};
    at_prune_result r;
    static const at_actor actor = {0, "cli:client-many"};
    is_int(at_prune(db, &actor, &p, false, NULL, &r, &err), AT_OK,
           "idempotent: a prune that keeps every kind runs");
    ok(r.idem_keys >= 1 && r.tasks == 0 && r.audit == 0,
       "... and removes the expired key (%llu keys), nothing else",
       (unsigned long long) r.idem_keys);
    is_int(at_client_enqueue_idempotent(client, &other, "c-api-key-1", &id2, &existing, &err),
           AT_OK, "idempotent: the expired key serves another task");
    ok(existing == 0 && id2 != id1, "... a new one");
}

int
main(void)
{
    db = testdb_open();
    raw = rawdb_open();
    setup();
    test_one_wakeup(); /* first: this process reads the addresses at its first wake-up */
    test_good();
    test_all_or_nothing();
    test_limits();
    test_paused();
    test_idempotent();
    at_client_close(client);
    mysql_close(raw);
    testdb_close(db);
    return done_testing();
}
