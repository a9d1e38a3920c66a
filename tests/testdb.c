/* testdb.c: the model tests' access to the real test database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "testdb.h"

static at_config *cfg; /* shared by the connections a test opens */
static unsigned counter, opened;

const char *
testdb_tag(void)
{
    static char tag[32];
    if (!tag[0]) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(tag, sizeof tag, "%ld%03ld", (long) getpid() % 100000,
                 (long) (ts.tv_nsec / 1000000));
    }
    return tag;
}

at_db *
testdb_open(void)
{
    const char *path = getenv("ASYNCTASKS_TEST_CONFIG");
    if (!path || !*path)
        bail("ASYNCTASKS_TEST_CONFIG is not set: run the tests through dev/check");
    at_error err = {0};
    at_db *db;
    if (!cfg && at_config_parse_file(path, &cfg, &err))
        bail("%s", err.msg);
    opened++;
    if (at_db_open(cfg, &db, &err))
        bail("%s", err.msg);
    int applied;
    if (at_migrate(db, &applied, &err))
        bail("%s", err.msg);
    return db;
}

void
testdb_close(at_db *db)
{
    at_db_close(db);
    if (opened && --opened == 0) {
        at_config_free(cfg);
        cfg = NULL;
    }
}

uint64_t
testdb_business(at_db *db, const char *what)
{
    char slug[AT_SLUG_BUF];
    snprintf(slug, sizeof slug, "%s-%s-%u", what, testdb_tag(), ++counter);
    at_error err = {0};
    uint64_t id;
    if (at_business_add(db, slug, slug, &id, &err))
        bail("%s", err.msg);
    return id;
}

uint64_t
testdb_user(at_db *db, uint64_t business_id, const char *name)
{
    char email[AT_NAME_BUF];
    snprintf(email, sizeof email, "u%u.%s@test.example.com", ++counter, testdb_tag());
    at_error err = {0};
    uint64_t id;
    if (at_user_add(db, email, name, NULL, &id, &err))
        bail("%s", err.msg);
    if (business_id && at_member_add(db, business_id, id, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    return id;
}

uint64_t
testdb_type(at_db *db, const char *what)
{
    char name[AT_TYPE_NAME_BUF];
    snprintf(name, sizeof name, "%s-%s-%u", what, testdb_tag(), ++counter);
    at_error err = {0};
    uint64_t id;
    if (at_task_type_register(db, name, "", 60, 3, &id, &err))
        bail("%s", err.msg);
    return id;
}

uint64_t
testdb_task(at_db *db, uint64_t business_id, uint64_t user_id, uint64_t type_id)
{
    at_enqueue req = {business_id, user_id, type_id, NULL, 0, 0, 0, NULL, NULL};
    at_error err = {0};
    uint64_t id;
    if (at_task_enqueue(db, &req, &id, &err))
        bail("%s", err.msg);
    return id;
}

int
testdb_counts_agree(at_db *db, uint64_t business_id, char *why, size_t len)
{
    at_task_counts s, a;
    uint64_t bad = 0;
    at_error err = {0};
    why[0] = 0;
    if (at_counts_verify(db, business_id, &s, &a, &bad, &err)) {
        snprintf(why, len, "%s", err.msg);
        return 0;
    }
    if (!bad && s.queued == a.queued && s.paused == a.paused && s.running == a.running &&
        s.failed == a.failed && s.finished_today == a.finished_today)
        return 1;
    snprintf(why, len,
             "stored q%llu p%llu r%llu f%llu t%llu, actual q%llu p%llu r%llu f%llu t%llu, "
             "%llu bad lanes",
             (unsigned long long) s.queued, (unsigned long long) s.paused,
             (unsigned long long) s.running, (unsigned long long) s.failed,
             (unsigned long long) s.finished_today, (unsigned long long) a.queued,
             (unsigned long long) a.paused, (unsigned long long) a.running,
             (unsigned long long) a.failed, (unsigned long long) a.finished_today,
             (unsigned long long) bad);
    return 0;
}

uint64_t
testdb_executor(at_db *db, const char *name, uint64_t *supervisor_id)
{
    static at_supervisor_host host;
    snprintf(host.name, sizeof host.name, "%s", name);
    host.pid = (int) getpid();
    at_error err = {0};
    uint64_t exec_id = 0;
    if (at_supervisor_register(db, &host, "", supervisor_id, &err) ||
        at_executor_register(db, *supervisor_id, name, (int) getpid(), (int) getpid(), &exec_id,
                             &err))
        bail("%s", err.msg);
    return exec_id;
}

at_worker *
testdb_claim(at_db *db, uint64_t exec_id, uint64_t type_id, at_claim *c, int *got)
{
    at_worker *w = NULL;
    at_error err = {0};
    *got = 0;
    if (at_worker_open(db, exec_id, &type_id, 1, 0, &w, &err))
        bail("%s", err.msg);
    if (at_worker_next(w, c, got, &err))
        bail("next: %s", err.msg);
    return w;
}

void
testdb_end(at_worker *w, at_claim *c, int outcome, const char *error)
{
    at_error err = {0};
    if (c && at_worker_done(w, c, outcome, NULL, error, 1000, 1, &err))
        bail("done: %s", err.msg);
    if (c)
        at_claim_clear(c);
    if (at_worker_flush(w, &err))
        bail("flush: %s", err.msg);
    at_worker_close(w);
}
