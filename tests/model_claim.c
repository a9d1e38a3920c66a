/* model_claim.c: the claim's re-check, forced into its race. A pause is
 * half done (the business row locked, the rule written, not committed)
 * while an executor claims: the claim query cannot see the uncommitted
 * rule, so only the re-check under the business row's share lock stands
 * between the task and a start after the pause returns. The claim must
 * wait for the pause, see its rule and leave the task untouched. Also: a
 * claim with nothing held runs, the lease and attempt are recorded, and
 * finish refuses an executor that no longer holds the lease. */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

/* at_claim_next in a child with its own connection; its result ("0", "1"
 * or "E") comes back on the pipe. */
static pid_t
claim_in_child(uint64_t executor, uint64_t type, int *fd)
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
        at_claim c;
        int claimed = 0;
        at_error err;
        char r = at_claim_next(db, executor, &type, 1, &c, &claimed, &err) ? 'E' : '0' + claimed;
        if (r == 'E')
            diag("claim: %s", err.msg);
        at_claim_clear(&c);
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

int
main(void)
{
    at_db *db = testdb_open();
    MYSQL *pauser = rawdb_open();
    at_error err;
    uint64_t biz = testdb_business(db, "claim");
    uint64_t user = testdb_user(db, biz, "Claimer");
    uint64_t type = testdb_type(db, "claim");
    uint64_t task = testdb_task(db, biz, user, type);
    uint64_t sup = 0, exec = 0;
    is_int(at_supervisor_register(db, "model-claim", (int) getpid(), "", &sup, &err), AT_OK,
           "a supervisor registers");
    is_int(at_executor_register(db, sup, "model-claim", (int) getpid(), (int) getpid(), &exec, &err),
           AT_OK, "an executor registers");

    /* The pause, half done, as at_pause_add does it: row lock, rule. */
    rawdb_sql(pauser, "BEGIN");
    rawdb_sql(pauser, "SELECT id FROM businesses WHERE id = %llu FOR UPDATE",
              (unsigned long long) biz);
    mysql_free_result(mysql_store_result(pauser));
    rawdb_sql(pauser,
              "INSERT INTO pause_rules (business_id, scope, target_id, paused_by_name, paused_at) "
              "VALUES (%llu, 'user', %llu, 'model-claim', UTC_TIMESTAMP(6))",
              (unsigned long long) biz, (unsigned long long) user);
    int fd;
    pid_t child = claim_in_child(exec, type, &fd);
    is_int(answer(fd, 1000), 0, "while the pause is uncommitted, the claim waits on the business");
    rawdb_sql(pauser, "COMMIT");
    char r = answer(fd, 15000);
    is_int(r, '0', "once the pause has committed, the claim's re-check sees it: nothing claimed");
    waitpid(child, NULL, 0);
    close(fd);
    is_int(rawdb_task_col(pauser, "attempts", task), 0, "the held task spent no attempt");
    is_int(rawdb_task_col(pauser, "state = 'queued'", task), 1, "... and is still queued");
    is_int(rawdb_task_col(pauser, "started_at IS NULL", task), 1, "... never started");

    /* Resumed, the same claim runs it. */
    rawdb_sql(pauser, "DELETE FROM pause_rules WHERE business_id = %llu",
              (unsigned long long) biz);
    at_claim c;
    int claimed = 0;
    is_int(at_claim_next(db, exec, &type, 1, &c, &claimed, &err), AT_OK, "claim after the resume");
    is_int(claimed, 1, "... claims the task");
    is_int(c.task_id, task, "... this one");
    is_int(c.attempt, 1, "... as its first attempt");
    is_int(rawdb_task_col(pauser, "lease_owner", task), exec, "the executor holds the lease");
    is_int(rawdb_task_col(pauser, "state = 'running'", task), 1, "the task is running");
    at_claim_clear(&c);

    /* Finish checks the lease. */
    is_int(at_task_finish(db, exec + 1000000, task, AT_OUTCOME_SUCCEEDED, "x", NULL, 1, &err),
           AT_ESTATE, "another executor cannot record the end");
    is_int(at_task_finish(db, exec, task, AT_OUTCOME_SUCCEEDED, "done", NULL, 1, &err), AT_OK,
           "the lease holder records it");
    is_int(rawdb_task_col(pauser, "state = 'succeeded'", task), 1, "the task succeeded");
    is_int(at_task_finish(db, exec, task, AT_OUTCOME_FAILED, NULL, "late", 1, &err), AT_ESTATE,
           "a second record of the same attempt is refused");

    is_int(at_supervisor_unregister(db, sup, &err), AT_OK, "the supervisor unregisters");
    mysql_close(pauser);
    testdb_close(db);
    return done_testing();
}
