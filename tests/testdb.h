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

/* A unique tag for this process, for names. */
const char *testdb_tag(void);

#endif
