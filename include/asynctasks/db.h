/* db.h: the connection to MariaDB and the schema migrations. */
#ifndef ASYNCTASKS_DB_H
#define ASYNCTASKS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <asynctasks/config.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_db at_db;

/* Connects with the configured timeouts, utf8mb4, UTC and READ COMMITTED.
 * A connection lost later is re-opened on demand, and idempotent work is
 * retried once. */
int at_db_open(const at_config *cfg, at_db **out, at_error *err);
void at_db_close(at_db *db);

/* The server's id for this connection (as in its process list), or 0 when
 * there is no connection at the moment. */
unsigned long at_db_thread_id(at_db *db);

/* The rows this connection's statements have read so far (the server's
 * handler read counters): a diagnostic, for tests that prove a statement
 * reads no more than it should. */
int at_db_rows_read(at_db *db, uint64_t *n, at_error *err);
/* How many statements this connection has sent to the server since it
 * was opened: every query and change, the session setup of each
 * (re)connect, and transaction control (start, commit, rollback). Tests
 * read it to hold pages to their budget of round trips. */
uint64_t at_db_statements(const at_db *db);

/* Microseconds since the epoch, by the database server's clock: the one
 * clock that pause expiry, leases and run_at are measured against. */
int at_db_now(at_db *db, int64_t *now, at_error *err);

/* Number of the newest migration built into this binary. */
int at_schema_latest(void);

/* The schema version the database is at (0 when it has none yet). */
int at_schema_version(at_db *db, int *version, at_error *err);

/* Applies the pending migrations in order; *applied counts them. Refuses
 * (AT_ESCHEMA) a database whose schema is newer than this build. */
int at_migrate(at_db *db, int *applied, at_error *err);

/* Refuses (AT_ESCHEMA) a database that is not exactly at
 * at_schema_latest(): programs other than "migrate" call this first. */
int at_schema_check(at_db *db, at_error *err);

/* What the database has of each migration, this build's and its own, in
 * version order (schema_status.c). A migration is checksummed (SHA-256
 * of its text) when applied, from schema 010 on; one applied before that
 * gets the checksum of the text of the build whose migrate reaches 010. */
enum at_migration_state {
    AT_MIGRATION_APPLIED = 1, /* its checksum is that of this build's text */
    AT_MIGRATION_PENDING,     /* this build's, not applied yet */
    AT_MIGRATION_EDITED,      /* applied, and this build's text is not what was */
    AT_MIGRATION_UNCHECKED,   /* applied, no checksum recorded yet */
    AT_MIGRATION_UNKNOWN      /* applied, and this build has no such migration */
};
#define AT_SCHEMA_NAME_BUF     101
#define AT_SCHEMA_CHECKSUM_BUF 65
typedef struct at_schema_migration {
    int version;
    char name[AT_SCHEMA_NAME_BUF];
    int64_t applied_at; /* 0 when pending */
    int state;          /* enum at_migration_state */
} at_schema_migration;
/* *out (malloc'd) holds *n entries. */
int at_schema_status(at_db *db, at_schema_migration **out, size_t *n, at_error *err);
/* A state in words: "applied", "pending", "applied, edited after it was
 * applied", ... */
const char *at_schema_state_str(int state);

#ifdef __cplusplus
}
#endif
#endif
