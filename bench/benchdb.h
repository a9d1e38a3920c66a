/* benchdb.h: what the database reference programs of bench/ share: a
 * MariaDB connection made from an asynctasks.conf, and prepared statements
 * that stop the program with the server's message when they fail. */
#ifndef AT_BENCHDB_H
#define AT_BENCHDB_H

#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "util.h"

/* Connects with CONFIG's account and database (READ COMMITTED, utf8mb4,
 * UTC, like the product's sessions). */
MYSQL *bdb_open(const char *config);
MYSQL_STMT *bdb_prepare(MYSQL *m, const char *sql);
/* Prepares head, then n copies of item joined by commas, then tail: the
 * rows of a multi-row INSERT, or an IN list. */
MYSQL_STMT *bdb_prepare_list(MYSQL *m, const char *head, const char *item, size_t n,
                             const char *tail);
/* Binds in (may be NULL) and executes. */
void bdb_execute(MYSQL_STMT *st, MYSQL_BIND *in);
/* Prepares, executes and closes a statement without parameters. */
void bdb_do(MYSQL *m, const char *sql);
/* Reads up to max unsigned integers of the first column of st's result. */
size_t bdb_fetch_u64(MYSQL_STMT *st, uint64_t *out, size_t max);
/* One unsigned integer from a statement without parameters. */
uint64_t bdb_value(MYSQL *m, const char *sql);
void bdb_commit(MYSQL *m);
MYSQL_BIND bdb_u64(const uint64_t *v);
MYSQL_BIND bdb_str(const char *s, unsigned long *len);

#endif
