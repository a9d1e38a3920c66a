/* migrate.c: brings the database schema up to the migrations compiled into
 * this build, one at a time, recording each in schema_version. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "internal.h"

#define LANES_VERSION 4 /* the migration that brought lanes and counters */
#include "schema_sql.h"

/* one lock per database: other databases on the server migrate freely */
static const char lock_name[] = "asynctasks.migrate.";

int
at_schema_latest(void)
{
    return at_migration_count ? at_migrations[at_migration_count - 1].version : 0;
}

int
schema_version_exists(at_db *db, uint64_t *exists, at_error *err)
{
    return db_query_u64(db, DB_RETRY,
                        "SELECT COUNT(*) FROM information_schema.tables "
                        "WHERE table_schema = DATABASE() AND table_name = 'schema_version'",
                        NULL, 0, exists, err);
}

int
at_schema_version(at_db *db, int *version, at_error *err)
{
    *version = 0;
    db_res r;
    /* information_schema first: a missing table is "version 0", not an error. */
    uint64_t exists = 0;
    int rc = schema_version_exists(db, &exists, err);
    if (rc)
        return rc;
    if (!exists)
        return AT_OK;
    rc = db_query(db, DB_RETRY, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, 0,
                  &r, err);
    if (rc)
        return rc;
    if ((rc = db_fetch(&r, err)) == 1) {
        *version = (int) db_i64(&r, 0);
        rc = AT_OK;
    }
    db_res_close(&r);
    return rc < 0 ? rc : AT_OK;
}

int
at_schema_check(at_db *db, at_error *err)
{
    int v;
    int rc = at_schema_version(db, &v, err);
    if (rc)
        return rc;
    int latest = at_schema_latest();
    if (v < latest)
        return at_error_set(err, AT_ESCHEMA,
                            "the database schema is at version %d, this build needs %d: run "
                            "'asynctasks migrate'",
                            v, latest);
    if (v > latest)
        return at_error_set(err, AT_ESCHEMA,
                            "the database schema is at version %d, newer than this build's %d: "
                            "upgrade asynctasks",
                            v, latest);
    return AT_OK;
}

/* Runs each statement of one migration: statements end with ';' at the end
 * of a line; lines starting with "--" are comments. */
static int
apply(at_db *db, const struct at_migration *m, at_error *err)
{
    size_t cap = strlen(m->sql) + 1;
    char *stmt = malloc(cap);
    if (!stmt)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t len = 0;
    unsigned n = 0;
    int rc = AT_OK;
    const char *p = m->sql;
    while (*p && rc == AT_OK) {
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t) (nl - p) : strlen(p);
        const char *s = p;
        p = nl ? nl + 1 : p + ll;
        while (ll && (*s == ' ' || *s == '\t'))
            s++, ll--;
        while (ll && (s[ll - 1] == ' ' || s[ll - 1] == '\t' || s[ll - 1] == '\r'))
            ll--;
        if (ll == 0 || (ll >= 2 && s[0] == '-' && s[1] == '-'))
            continue;
        memcpy(stmt + len, s, ll);
        len += ll;
        if (s[ll - 1] == ';') {
            stmt[len - 1] = 0;
            n++;
            rc = db_exec(db, 0, stmt, NULL, 0, NULL, NULL, err);
            if (rc) {
                at_error_wrap(err, "migration %03d-%s, statement %u", m->version, m->name, n);
                /* The database answered: the schema, not the server, is at fault. */
                if (!db_lost(db)) {
                    rc = AT_ESCHEMA;
                    if (err)
                        err->code = rc;
                }
            }
            len = 0;
        } else {
            stmt[len++] = '\n';
        }
    }
    if (rc == AT_OK && len > 0)
        rc = at_error_set(err, AT_ESCHEMA, "migration %03d-%s ends without ';'", m->version,
                          m->name);
    free(stmt);
    return rc;
}

int
at_migrate(at_db *db, int *applied, at_error *err)
{
    *applied = 0;
    uint64_t got = 0;
    /* Two migrate runs at once would race on DDL: serialise them. */
    db_arg lk[] = {da_str(lock_name), da_i64(60)};
    int rc = db_query_u64(db, 0, "SELECT GET_LOCK(CONCAT(?, DATABASE()), ?)", lk, 2, &got, err);
    if (rc)
        return rc;
    if (got != 1)
        return at_error_set(err, AT_ECONFLICT,
                            "another migration is running (waited 60 s for its lock)");
    rc = db_exec(db, 0,
                 "CREATE TABLE IF NOT EXISTS schema_version ("
                 " version INT UNSIGNED NOT NULL PRIMARY KEY,"
                 " name VARCHAR(100) NOT NULL,"
                 " applied_at DATETIME(6) NOT NULL"
                 ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci",
                 NULL, 0, NULL, NULL, err);
    int current = 0;
    if (rc == AT_OK)
        rc = at_schema_version(db, &current, err);
    if (rc == AT_OK && current > at_schema_latest())
        rc = at_error_set(err, AT_ESCHEMA,
                          "the database schema is at version %d, newer than this build's %d: "
                          "refusing to touch it; upgrade asynctasks",
                          current, at_schema_latest());
    for (unsigned i = 0; rc == AT_OK && i < at_migration_count; i++) {
        const struct at_migration *m = &at_migrations[i];
        if (m->version <= current)
            continue;
        rc = apply(db, m, err);
        if (rc == AT_OK) {
            db_arg a[] = {da_i64(m->version), da_str(m->name)};
            rc = db_exec(db, 0,
                         "INSERT INTO schema_version (version, name, applied_at) "
                         "VALUES (?, ?, UTC_TIMESTAMP(6))",
                         a, 2, NULL, NULL, err);
        }
        if (rc == AT_OK)
            (*applied)++;
    }
    /* every applied migration's checksum, once the column is there */
    if (rc == AT_OK && at_schema_latest() >= SCHEMA_CHECKSUM_VERSION)
        rc = schema_checksums_record(db, err);
    /* Lanes and counters came with migration 4: made from the tasks that
     * were there before it. */
    if (rc == AT_OK && current < LANES_VERSION && at_schema_latest() >= LANES_VERSION)
        rc = at_counts_rebuild_all(db, err);
    at_error tmp;
    db_arg rl[] = {da_str(lock_name)};
    uint64_t ignored;
    db_query_u64(db, 0, "SELECT RELEASE_LOCK(CONCAT(?, DATABASE()))", rl, 1, &ignored, &tmp);
    return rc;
}
