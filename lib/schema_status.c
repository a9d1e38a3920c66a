/* schema_status.c: each migration's checksum, recorded with it in
 * schema_version (schema/011), and what the database has of the
 * migrations this build carries: applied, pending, or edited after it
 * was applied (its recorded checksum is not that of the build's text). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include "schema_sql.h"

/* The SHA-256 of a migration's text, as 64 lowercase hex digits. */
static void
checksum_of(const struct at_migration *m, char out[AT_SCHEMA_CHECKSUM_BUF])
{
    unsigned char h[32];
    at_sha256(m->sql, strlen(m->sql), h);
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int
schema_checksums_record(at_db *db, at_error *err)
{
    int rc = AT_OK;
    for (unsigned i = 0; rc == AT_OK && i < at_migration_count; i++) {
        char sum[AT_SCHEMA_CHECKSUM_BUF];
        checksum_of(&at_migrations[i], sum);
        db_arg a[] = {da_str(sum), da_i64(at_migrations[i].version)};
        rc = db_exec(db, 0,
                     "UPDATE schema_version SET checksum = ? WHERE version = ? "
                     "AND checksum IS NULL",
                     a, AT_COUNT(a), NULL, NULL, err);
    }
    return rc;
}

/* ---- what the database has ---- */

typedef struct applied_row {
    int version;
    char name[AT_SCHEMA_NAME_BUF];
    at_time applied_at;
    char checksum[AT_SCHEMA_CHECKSUM_BUF];
} applied_row;

static int
fill_applied(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    applied_row *a = elem;
    memset(a, 0, sizeof *a);
    a->version = (int) db_i64(r, 0);
    db_copy(r, 1, a->name, sizeof a->name);
    a->applied_at = db_time(r, 2);
    db_copy(r, 3, a->checksum, sizeof a->checksum);
    return AT_OK;
}

/* The rows of schema_version, none when the table is not there yet; the
 * checksum column read only once it exists. */
static int
applied_rows(at_db *db, applied_row **rows, size_t *n, at_error *err)
{
    *rows = NULL;
    *n = 0;
    uint64_t tables = 0, sums = 0;
    int rc = schema_version_exists(db, &tables, err);
    if (rc == AT_OK && tables)
        rc = db_query_u64(db, DB_RETRY,
                          "SELECT COUNT(*) FROM information_schema.columns "
                          "WHERE table_schema = DATABASE() AND table_name = 'schema_version' "
                          "AND column_name = 'checksum'",
                          NULL, 0, &sums, err);
    if (rc || !tables)
        return rc;
    return db_rows(db, DB_RETRY,
                   sums ? "SELECT version, name, applied_at, checksum FROM schema_version "
                          "ORDER BY version"
                        : "SELECT version, name, applied_at, NULL FROM schema_version "
                          "ORDER BY version",
                   NULL, 0, sizeof **rows, fill_applied, (void **) rows, n, err);
}

static const struct at_migration *
built(int version)
{
    for (unsigned i = 0; i < at_migration_count; i++)
        if (at_migrations[i].version == version)
            return &at_migrations[i];
    return NULL;
}

static void
judge(const applied_row *a, at_schema_migration *s)
{
    const struct at_migration *m = built(a->version);
    s->version = a->version;
    snprintf(s->name, sizeof s->name, "%s", a->name);
    s->applied_at = a->applied_at;
    if (!m) {
        s->state = AT_MIGRATION_UNKNOWN;
        return;
    }
    if (!a->checksum[0]) {
        s->state = AT_MIGRATION_UNCHECKED;
        return;
    }
    char sum[AT_SCHEMA_CHECKSUM_BUF];
    checksum_of(m, sum);
    s->state = strcmp(sum, a->checksum) == 0 ? AT_MIGRATION_APPLIED : AT_MIGRATION_EDITED;
}

int
at_schema_status(at_db *db, at_schema_migration **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    applied_row *rows;
    size_t nrows;
    int rc = applied_rows(db, &rows, &nrows, err);
    if (rc)
        return rc;
    at_schema_migration *v = calloc(nrows + at_migration_count + 1, sizeof *v);
    if (!v) {
        free(rows);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    size_t k = 0, i = 0;
    /* both lists in version order: merged */
    for (unsigned j = 0; i < nrows || j < at_migration_count;) {
        const struct at_migration *m = j < at_migration_count ? &at_migrations[j] : NULL;
        if (i < nrows && (!m || rows[i].version <= m->version)) {
            judge(&rows[i], &v[k++]);
            if (m && rows[i].version == m->version)
                j++;
            i++;
        } else {
            v[k].version = m->version;
            snprintf(v[k].name, sizeof v[k].name, "%s", m->name);
            v[k++].state = AT_MIGRATION_PENDING;
            j++;
        }
    }
    free(rows);
    *out = v;
    *n = k;
    return AT_OK;
}

const char *
at_schema_state_str(int state)
{
    switch (state) {
    case AT_MIGRATION_APPLIED: return "applied";
    case AT_MIGRATION_PENDING: return "pending";
    case AT_MIGRATION_EDITED: return "applied, edited after it was applied";
    case AT_MIGRATION_UNCHECKED:
        return "applied, no checksum yet (the next 'asynctasks migrate' records it)";
    default: return "applied, unknown to this build";
    }
}
