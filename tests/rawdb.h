/* rawdb.h: the test database straight through the client library, for the
 * states and the interleavings the product's API does not make on demand
 * (a lease, a transaction left open). */
#ifndef AT_RAWDB_H
#define AT_RAWDB_H

#include <mysql.h>

#include <asynctasks/asynctasks.h>

/* Connects with $ASYNCTASKS_TEST_CONFIG's account; bails out on failure. */
MYSQL *rawdb_open(void);
/* Runs a statement; bails out on failure. */
void rawdb_sql(MYSQL *raw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first column of the first row of a query, as text in buf ("" when
 * there is none or it is NULL). */
char *rawdb_value(MYSQL *raw, const char *sql, char *buf, size_t size);
/* A number column of one task (~0 when there is none). */
unsigned long long rawdb_task_col(MYSQL *raw, const char *col, unsigned long long id);

/* How many audit entries of the business have this action. */
unsigned rawdb_audit_count(MYSQL *raw, uint64_t business_id, const char *action);

/* A fresh, migrated database of the test's own, asynctasks_test_NAME (the
 * test account may make those): for what must not see other tests' rows.
 * at_db_close it. */
at_db *rawdb_own_db(const char *name);

#endif
