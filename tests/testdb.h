/* testdb.h: the model tests' access to the real test database. */
#ifndef AT_TESTDB_H
#define AT_TESTDB_H

#include <asynctasks/asynctasks.h>

/* Opens $ASYNCTASKS_TEST_CONFIG's database and migrates it; bails out
 * when there is none (dev/check provides it). */
at_db *testdb_open(void);
void testdb_close(at_db *db);

/* A new business / user / task type whose names no other test run uses. */
uint64_t testdb_business(at_db *db, const char *what);
uint64_t testdb_user(at_db *db, uint64_t business_id, const char *name);
uint64_t testdb_type(at_db *db, const char *what);

/* Enqueues a task or bails out. */
uint64_t testdb_task(at_db *db, uint64_t business_id, uint64_t user_id, uint64_t type_id);

/* 1 when the business's totals and lanes agree with its tasks
 * (at_counts_verify); else 0 and what differs in why. */
int testdb_counts_agree(at_db *db, uint64_t business_id, char *why, size_t len);
/* The same as a test point (tap.h's ok and diag, in the test's own
 * file), named "WHAT: the totals and lanes agree with the tasks". */
#define testdb_counters_clean(db, business_id, what)                                               \
    do {                                                                                           \
        char why_[300];                                                                            \
        if (!ok(testdb_counts_agree((db), (business_id), why_, sizeof why_),                      \
                "%s: the totals and lanes agree with the tasks", (what)))                          \
            diag("%s", why_);                                                                      \
    } while (0)

/* A supervisor and one executor of it registered as this process, named
 * name (for claims: testdb_claim); the executor's id. */
uint64_t testdb_executor(at_db *db, const char *name, uint64_t *supervisor_id);
/* A worker of the executor that has claimed the next task of the type
 * into *c (*got 0: there was none); ended by testdb_end. */
at_worker *testdb_claim(at_db *db, uint64_t exec_id, uint64_t type_id, at_claim *c, int *got);
/* Ends the claim c (may be NULL: none) with outcome and error, and the
 * worker. */
void testdb_end(at_worker *w, at_claim *c, int outcome, const char *error);

/* A unique tag for this process, for names. */
const char *testdb_tag(void);

#endif
