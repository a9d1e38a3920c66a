/* db.c: the connection to MariaDB, and the one way lib/ talks to it:
 * prepared statements, cached per connection, with every value bound as an
 * argument. Lost connections are re-opened; idempotent work is retried. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "internal.h"

#define STMT_CACHE_MAX 192
#define COUNT_SLOTS    8 /* rows per business in task_counts */

struct stmt_entry {
    char *sql;
    uint64_t hash;
    MYSQL_STMT *st;
    uint64_t used; /* last use, for eviction */
    bool busy;     /* a db_res is reading from it */
};

struct at_db {
    MYSQL *my;
    char *host, *socket, *user, *password, *name;
    unsigned port, timeout;
    struct stmt_entry cache[STMT_CACHE_MAX];
    size_t ncache;
    uint64_t tick;
    bool in_tx;
    unsigned last_errno; /* of the last failed call, 0 after success */
    unsigned slot;       /* of task_counts, fixed for the connection's life */
    uint64_t statements; /* run on this connection object, for at_db_statements */
};

/* FNV-1a: statements are found by hash first, then compared. */
static uint64_t
sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 1099511628211ull;
    return h;
}

unsigned
db_slot(const at_db *db)
{
    return db->slot;
}

size_t
db_cached(const at_db *db)
{
    return db->ncache;
}

static bool
errno_lost(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_SERVER_LOST_EXTENDED ||
           e == ER_CONNECTION_KILLED || e == 4031 /* ER_CLIENT_INTERACTION_TIMEOUT */;
}

/* A lock lost to another transaction: the whole transaction is rolled
 * back and run again. InnoDB reports a deadlock or a timeout on a table's
 * AUTO-INC lock (taken by INSERT ... SELECT, as lanes_enter's) as
 * ER_AUTOINC_READ_FAILED rather than as the deadlock it is
 * (tests/churn.sh met it). */
static bool
errno_retryable_tx(unsigned e)
{
    return e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT || e == ER_AUTOINC_READ_FAILED;
}

/* Maps a server error to a status: the caller's mistakes are not "database
 * failures", and the message must say which it is. */
static int
status_of(unsigned e)
{
    switch (e) {
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
        return AT_ECONFLICT;
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
        return AT_ENOTFOUND;
    case ER_ROW_IS_REFERENCED:
    case ER_ROW_IS_REFERENCED_2:
        return AT_ESTATE;
    case ER_DATA_TOO_LONG:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_BAD_NULL_ERROR:
        return AT_EINVAL;
    default:
        return AT_EDB;
    }
}

static int
fail_my(at_db *db, unsigned e, const char *msg, at_error *err)
{
    db->last_errno = e;
    if (errno_lost(e))
        return at_error_set(err, AT_EDB, "lost the connection to the database: %s (%u)", msg, e);
    return at_error_set(err, status_of(e), "database: %s (%u)", msg, e);
}

static void
cache_clear(at_db *db)
{
    for (size_t i = 0; i < db->ncache; i++) {
        if (db->cache[i].st)
            mysql_stmt_close(db->cache[i].st);
        free(db->cache[i].sql);
    }
    db->ncache = 0;
}

static void
disconnect(at_db *db)
{
    cache_clear(db);
    if (db->my)
        mysql_close(db->my);
    db->my = NULL;
}

/* Session settings every connection needs: UTC, strict input, READ
 * COMMITTED (claims and pause checks must see others' commits at once),
 * lock waits shorter than the read timeout, and room for the ids of a
 * list search in one GROUP_CONCAT (search_ids.c: up to 21 kB), whatever
 * the server's default. */
static const char *const session_sql[] = {
    "SET time_zone = '+00:00'",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    ("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
     "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"),
    "SET SESSION innodb_lock_wait_timeout = 10",
    "SET SESSION group_concat_max_len = 1048576",
};

static int
connect_db(at_db *db, at_error *err)
{
    MYSQL *my = mysql_init(NULL);
    if (!my)
        return at_error_set(err, AT_ENOMEM, "database: out of memory");
    unsigned t = db->timeout;
    unsigned rw = t * 2; /* bulk statements may legitimately take longer */
    my_bool on = 1;
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &rw);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &rw);
    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(my, MYSQL_REPORT_DATA_TRUNCATION, &on);
    const char *host = db->socket ? "localhost" : db->host;
    if (!mysql_real_connect(my, host, db->user, db->password, db->name, db->port, db->socket,
                            0)) {
        unsigned e = mysql_errno(my);
        char where[600];
        if (db->socket)
            snprintf(where, sizeof where, "socket %s", db->socket);
        else
            snprintf(where, sizeof where, "%s:%u", host ? host : "localhost",
                     db->port ? db->port : 3306);
        int rc = at_error_set(err, AT_EDB, "cannot connect to database %s as %s at %s: %s (%u)",
                              db->name ? db->name : "(none)", db->user ? db->user : "(default)",
                              where, mysql_error(my), e);
        mysql_close(my);
        db->last_errno = e;
        return rc;
    }
    db->my = my;
    for (size_t i = 0; i < AT_COUNT(session_sql); i++) {
        MYSQL_STMT *st = mysql_stmt_init(my);
        db->statements++;
        int bad = !st || mysql_stmt_prepare(st, session_sql[i], strlen(session_sql[i])) ||
                  mysql_stmt_execute(st);
        if (bad) {
            unsigned e = st ? mysql_stmt_errno(st) : mysql_errno(my);
            at_error_set(err, AT_EDB, "database session setup failed: %s (%u)",
                         st ? mysql_stmt_error(st) : mysql_error(my), e);
            if (st)
                mysql_stmt_close(st);
            disconnect(db);
            db->last_errno = e;
            return AT_EDB;
        }
        mysql_stmt_close(st);
    }
    return AT_OK;
}

int
at_db_open(const at_config *cfg, at_db **out, at_error *err)
{
    *out = NULL;
    at_db *db = calloc(1, sizeof *db);
    if (!db)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    db->host = at_strdup(cfg->db_host);
    db->socket = at_strdup(cfg->db_socket);
    db->user = at_strdup(cfg->db_user);
    db->password = at_strdup(cfg->db_password);
    db->name = at_strdup(cfg->db_name);
    db->port = cfg->db_port;
    db->timeout = cfg->db_timeout ? cfg->db_timeout : 10;
    static unsigned opened;
    db->slot = ((unsigned) getpid() + opened++) % COUNT_SLOTS;
    int rc = connect_db(db, err);
    if (rc) {
        at_db_close(db);
        return rc;
    }
    *out = db;
    return AT_OK;
}

void
at_db_close(at_db *db)
{
    if (!db)
        return;
    disconnect(db);
    free(db->host);
    free(db->socket);
    free(db->user);
    if (db->password) {
        /* the password stays in memory only as long as it must */
        at_wipe_str(db->password);
        free(db->password);
    }
    free(db->name);
    free(db);
}

/* Finds or prepares the statement for sql. *entry is its cache slot, or
 * NULL for a private statement the caller must close: one made while the
 * cached one is being read, or when every slot is being read. */
static int
stmt_get(at_db *db, const char *sql, MYSQL_STMT **out, struct stmt_entry **entry, at_error *err)
{
    *out = NULL;
    *entry = NULL;
    bool busy = false;
    uint64_t hash = sql_hash(sql);
    for (size_t i = 0; i < db->ncache; i++) {
        if (db->cache[i].hash == hash && strcmp(db->cache[i].sql, sql) == 0) {
            if (db->cache[i].busy) {
                busy = true;
                break;
            }
            db->cache[i].used = ++db->tick;
            *out = db->cache[i].st;
            *entry = &db->cache[i];
            return AT_OK;
        }
    }
    MYSQL_STMT *st = mysql_stmt_init(db->my);
    if (!st)
        return at_error_set(err, AT_ENOMEM, "database: out of memory");
    if (mysql_stmt_prepare(st, sql, strlen(sql))) {
        int rc = fail_my(db, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        mysql_stmt_close(st);
        return rc;
    }
    my_bool on = 1;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
    *out = st;
    if (busy)
        return AT_OK;
    if (db->ncache == STMT_CACHE_MAX) {
        /* evict the least recently used statement nobody is reading */
        size_t victim = STMT_CACHE_MAX;
        for (size_t i = 0; i < db->ncache; i++)
            if (!db->cache[i].busy &&
                (victim == STMT_CACHE_MAX || db->cache[i].used < db->cache[victim].used))
                victim = i;
        if (victim == STMT_CACHE_MAX)
            return AT_OK;
        mysql_stmt_close(db->cache[victim].st);
        free(db->cache[victim].sql);
        db->cache[victim] = db->cache[--db->ncache];
    }
    char *copy = strdup(sql);
    if (!copy)
        return AT_OK; /* uncached, still usable */
    struct stmt_entry *e = &db->cache[db->ncache++];
    *e = (struct stmt_entry){copy, hash, st, ++db->tick, false};
    *entry = e;
    return AT_OK;
}

static void
to_mysql_time(at_time t, MYSQL_TIME *mt)
{
    time_t secs = (time_t) (t / 1000000);
    long usec = (long) (t % 1000000);
    if (usec < 0) {
        usec += 1000000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    memset(mt, 0, sizeof *mt);
    mt->year = (unsigned) tm.tm_year + 1900;
    mt->month = (unsigned) tm.tm_mon + 1;
    mt->day = (unsigned) tm.tm_mday;
    mt->hour = (unsigned) tm.tm_hour;
    mt->minute = (unsigned) tm.tm_min;
    mt->second = (unsigned) tm.tm_sec;
    mt->second_part = (unsigned long) usec;
    mt->time_type = MYSQL_TIMESTAMP_DATETIME;
}

static int
bind_args(at_db *db, MYSQL_STMT *st, const db_arg *args, unsigned nargs, MYSQL_BIND **bindp,
          MYSQL_TIME **timesp, at_error *err)
{
    *bindp = NULL;
    *timesp = NULL;
    if (mysql_stmt_param_count(st) != nargs)
        return at_error_set(err, AT_EINVAL, "internal error: statement takes %lu arguments, %u given",
                            mysql_stmt_param_count(st), nargs);
    if (nargs == 0)
        return AT_OK;
    MYSQL_BIND *b = calloc(nargs, sizeof *b);
    MYSQL_TIME *tm = calloc(nargs, sizeof *tm);
    if (!b || !tm) {
        free(b);
        free(tm);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < nargs; i++) {
        const db_arg *a = &args[i];
        switch (a->type) {
        case DA_NULL:
            b[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        case DA_I64:
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *) &a->i;
            break;
        case DA_U64:
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *) &a->u;
            b[i].is_unsigned = 1;
            break;
        case DA_STR:
        case DA_BLOB:
            b[i].buffer_type = a->type == DA_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            b[i].buffer = (void *) (a->p ? a->p : "");
            b[i].buffer_length = (unsigned long) a->len;
            b[i].length_value = (unsigned long) a->len;
            b[i].length = &b[i].length_value;
            break;
        case DA_TIME:
            to_mysql_time(a->i, &tm[i]);
            b[i].buffer_type = MYSQL_TYPE_DATETIME;
            b[i].buffer = &tm[i];
            break;
        }
    }
    if (mysql_stmt_bind_param(st, b)) {
        int rc = fail_my(db, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        free(b);
        free(tm);
        return rc;
    }
    *bindp = b;
    *timesp = tm;
    return AT_OK;
}

/* Prepares (or reuses), binds and executes. On success *stp is the
 * executed statement and *entryp its cache entry (NULL: private). */
static int
run(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
    MYSQL_STMT **stp, struct stmt_entry **entryp, at_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = AT_OK;
        if (!db->my) {
            if (db->in_tx)
                return at_error_set(err, AT_EDB, "lost the connection to the database inside a transaction");
            rc = connect_db(db, err);
            if (rc)
                return rc;
        }
        MYSQL_STMT *st;
        struct stmt_entry *entry;
        rc = stmt_get(db, sql, &st, &entry, err);
        if (rc == AT_OK) {
            MYSQL_BIND *b;
            MYSQL_TIME *tm;
            rc = bind_args(db, st, args, nargs, &b, &tm, err);
            if (rc == AT_OK) {
                db->statements++;
                if (mysql_stmt_execute(st))
                    rc = fail_my(db, mysql_stmt_errno(st), mysql_stmt_error(st), err);
                free(b);
                free(tm);
            }
            if (rc == AT_OK) {
                db->last_errno = 0;
                *stp = st;
                *entryp = entry;
                return AT_OK;
            }
            if (!entry)
                mysql_stmt_close(st);
        }
        if (!errno_lost(db->last_errno))
            return rc;
        /* The connection is gone: drop it so the next call reconnects. */
        disconnect(db);
        if (db->in_tx || attempt > 0 || !(flags & DB_RETRY))
            return rc;
    }
}

bool
db_lost(const at_db *db)
{
    return errno_lost(db->last_errno);
}

bool
db_sort_stopped(const at_db *db)
{
    return db->last_errno == ER_FILSORT_ABORT;
}

int
db_exec(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
        uint64_t *affected, uint64_t *insert_id, at_error *err)
{
    MYSQL_STMT *st;
    struct stmt_entry *entry;
    int rc = run(db, flags, sql, args, nargs, &st, &entry, err);
    if (rc)
        return rc;
    if (affected)
        *affected = (uint64_t) mysql_stmt_affected_rows(st);
    if (insert_id)
        *insert_id = (uint64_t) mysql_stmt_insert_id(st);
    /* A statement that returns rows anyway (SELECT GET_LOCK ...) must be
     * drained before the connection can be used again. */
    if (mysql_stmt_field_count(st) > 0)
        mysql_stmt_free_result(st);
    if (!entry)
        mysql_stmt_close(st);
    return AT_OK;
}

static void
res_reset(db_res *r)
{
    if (r->buf)
        for (unsigned i = 0; i < r->ncols; i++)
            free(r->buf[i]);
    free(r->buf);
    free(r->bind);
    free(r->cap);
    free(r->len);
    free(r->isnull);
    free(r->trunc);
    free(r->nat);
    memset(r, 0, sizeof *r);
}

void
db_res_close(db_res *r)
{
    if (!r || !r->st) {
        if (r)
            res_reset(r);
        return;
    }
    mysql_stmt_free_result(r->st);
    bool cached = false;
    for (size_t i = 0; r->db && i < r->db->ncache; i++) {
        if (r->db->cache[i].st == r->st) {
            r->db->cache[i].busy = false;
            cached = true;
        }
    }
    if (!cached)
        mysql_stmt_close(r->st);
    res_reset(r);
}

/* Integers and times are read as such: as text, the client library
 * would print each one for us to parse it back (measured in
 * docs/ARCHITECTURE.md, "Results as numbers"). Everything else, DECIMAL
 * sums included, is read as text. */
static void
bind_column(db_res *r, unsigned i, const MYSQL_FIELD *f)
{
    db_native *nv = &r->nat[i];
    MYSQL_BIND *b = &r->bind[i];
    b->is_null = &r->isnull[i];
    b->error = &r->trunc[i];
    b->length = &r->len[i];
    switch (f->type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
        nv->kind = DN_INT;
        nv->is_unsigned = (f->flags & UNSIGNED_FLAG) != 0;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->is_unsigned = nv->is_unsigned;
        b->buffer = &nv->v.i;
        b->buffer_length = sizeof nv->v.i;
        break;
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        nv->kind = DN_TIME;
        nv->decimals = f->decimals > 6 ? 0 : f->decimals;
        b->buffer_type = MYSQL_TYPE_DATETIME;
        b->buffer = &nv->v.t;
        b->buffer_length = sizeof nv->v.t;
        break;
    default:
        nv->kind = DN_TEXT;
        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = r->buf[i];
        b->buffer_length = r->cap[i] - 1;
        break;
    }
}

int
db_query(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
         db_res *r, at_error *err)
{
    memset(r, 0, sizeof *r);
    MYSQL_STMT *st;
    struct stmt_entry *entry;
    int rc = run(db, flags, sql, args, nargs, &st, &entry, err);
    if (rc)
        return rc;
    r->db = db;
    r->st = st;
    if (entry)
        entry->busy = true;
    if (mysql_stmt_store_result(st)) {
        rc = fail_my(db, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        db_res_close(r);
        if (errno_lost(db->last_errno))
            disconnect(db);
        return rc;
    }
    r->warnings = mysql_warning_count(db->my);
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    if (!meta) {
        db_res_close(r);
        return at_error_set(err, AT_EINVAL, "internal error: statement returns no rows");
    }
    unsigned n = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    r->ncols = n;
    r->bind = calloc(n, sizeof *r->bind);
    r->buf = calloc(n, sizeof *r->buf);
    r->cap = calloc(n, sizeof *r->cap);
    r->len = calloc(n, sizeof *r->len);
    r->isnull = calloc(n, sizeof *r->isnull);
    r->trunc = calloc(n, sizeof *r->trunc);
    r->nat = calloc(n, sizeof *r->nat);
    if (!r->bind || !r->buf || !r->cap || !r->len || !r->isnull || !r->trunc || !r->nat) {
        mysql_free_result(meta);
        db_res_close(r);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        /* max_length is known after store_result; numbers and times, and
         * their text (db_col), need 64 bytes at most. */
        unsigned long cap = fields[i].max_length > 64 ? fields[i].max_length + 1 : 65;
        r->buf[i] = malloc(cap);
        if (!r->buf[i]) {
            mysql_free_result(meta);
            db_res_close(r);
            return at_error_set(err, AT_ENOMEM, "out of memory");
        }
        r->cap[i] = cap;
        bind_column(r, i, &fields[i]);
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(st, r->bind)) {
        rc = fail_my(db, mysql_stmt_errno(st), mysql_stmt_error(st), err);
        db_res_close(r);
        return rc;
    }
    return AT_OK;
}

int
db_fetch(db_res *r, at_error *err)
{
    int f = mysql_stmt_fetch(r->st);
    if (f == MYSQL_NO_DATA)
        return 0;
    if (f == 1)
        return fail_my(r->db, mysql_stmt_errno(r->st), mysql_stmt_error(r->st), err);
    if (f == MYSQL_DATA_TRUNCATED) {
        /* A column was longer than its buffer: grow it and read it again. */
        for (unsigned i = 0; i < r->ncols; i++) {
            if (!r->trunc[i] || r->nat[i].kind != DN_TEXT)
                continue;
            unsigned long need = r->len[i] + 1;
            char *nb = realloc(r->buf[i], need);
            if (!nb)
                return at_error_set(err, AT_ENOMEM, "out of memory");
            r->buf[i] = nb;
            r->cap[i] = need;
            r->bind[i].buffer = nb;
            r->bind[i].buffer_length = need - 1;
            if (mysql_stmt_fetch_column(r->st, &r->bind[i], i, 0))
                return fail_my(r->db, mysql_stmt_errno(r->st), mysql_stmt_error(r->st), err);
        }
        if (mysql_stmt_bind_result(r->st, r->bind))
            return fail_my(r->db, mysql_stmt_errno(r->st), mysql_stmt_error(r->st), err);
    }
    for (unsigned i = 0; i < r->ncols; i++) {
        r->nat[i].texted = false;
        if (r->nat[i].kind == DN_TEXT)
            r->buf[i][r->isnull[i] ? 0 : r->len[i]] = 0;
    }
    return 1;
}

bool
db_isnull(const db_res *r, unsigned col)
{
    return col >= r->ncols || r->isnull[col];
}

/* The text of a number or time column, as the server would have sent
 * it, written into its buffer. */
static void
native_text(const db_res *r, unsigned col)
{
    db_native *nv = &r->nat[col];
    char *b = r->buf[col];
    size_t cap = r->cap[col];
    int n;
    if (nv->kind == DN_INT) {
        n = nv->is_unsigned ? snprintf(b, cap, "%" PRIu64, (uint64_t) nv->v.i)
                            : snprintf(b, cap, "%" PRId64, nv->v.i);
    } else {
        const MYSQL_TIME *t = &nv->v.t;
        n = snprintf(b, cap, "%04u-%02u-%02u %02u:%02u:%02u", t->year, t->month, t->day, t->hour,
                     t->minute, t->second);
        if (nv->decimals && n > 0 && (size_t) n + 1 + nv->decimals < cap) {
            char frac[8];
            snprintf(frac, sizeof frac, "%06lu", t->second_part % 1000000);
            b[n++] = '.';
            memcpy(b + n, frac, nv->decimals);
            n += (int) nv->decimals;
            b[n] = 0;
        }
    }
    r->len[col] = n > 0 ? (unsigned long) n : 0;
    nv->texted = true;
}

const char *
db_col(const db_res *r, unsigned col, size_t *len)
{
    if (db_isnull(r, col)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (r->nat[col].kind != DN_TEXT && !r->nat[col].texted)
        native_text(r, col);
    if (len)
        *len = r->len[col];
    return r->buf[col];
}

uint64_t
db_u64(const db_res *r, unsigned col)
{
    if (db_isnull(r, col))
        return 0;
    if (r->nat[col].kind == DN_INT)
        return (uint64_t) r->nat[col].v.i;
    const char *s = db_col(r, col, NULL);
    return s ? strtoull(s, NULL, 10) : 0;
}

int64_t
db_i64(const db_res *r, unsigned col)
{
    if (db_isnull(r, col))
        return 0;
    if (r->nat[col].kind == DN_INT)
        return r->nat[col].v.i;
    const char *s = db_col(r, col, NULL);
    return s ? strtoll(s, NULL, 10) : 0;
}

at_time
db_time(const db_res *r, unsigned col)
{
    if (db_isnull(r, col))
        return 0;
    if (r->nat[col].kind == DN_TIME) {
        const MYSQL_TIME *t = &r->nat[col].v.t;
        return at_time_from_parts((int) t->year, (int) t->month, (int) t->day, (int) t->hour,
                                  (int) t->minute, (int) t->second, (long) t->second_part);
    }
    size_t len;
    const char *s = db_col(r, col, &len);
    return s ? at_time_from_sql(s, len) : 0;
}

void
db_copy(const db_res *r, unsigned col, char *dst, size_t dstlen)
{
    const char *s = db_col(r, col, NULL);
    at_strlcpy(dst, s ? s : "", dstlen);
}

char *
db_dup(const db_res *r, unsigned col, bool *oom)
{
    size_t len;
    const char *s = db_col(r, col, &len);
    if (!s)
        return NULL;
    char *d = malloc(len + 1);
    if (!d) {
        *oom = true;
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

int
db_row(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
       db_fill_fn fill, void *elem, const char *what, at_error *err)
{
    db_res r;
    int rc = db_query(db, flags, sql, args, nargs, &r, err);
    if (rc)
        return rc;
    rc = db_fetch(&r, err);
    if (rc == 1)
        rc = fill(&r, elem, err);
    else if (rc == 0)
        rc = at_error_set(err, AT_ENOTFOUND, "no %s", what);
    db_res_close(&r);
    return rc;
}

int
db_rows(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
        size_t elem_size, db_fill_fn fill, void **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    db_res r;
    int rc = db_query(db, flags, sql, args, nargs, &r, err);
    if (rc)
        return rc;
    size_t rows = (size_t) mysql_stmt_num_rows(r.st);
    char *v = rows ? calloc(rows, elem_size) : NULL;
    if (rows && !v) {
        db_res_close(&r);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < rows && (rc = db_fetch(&r, err)) == 1) {
        if ((rc = fill(&r, v + got * elem_size, err)) != AT_OK)
            break;
        got++;
    }
    db_res_close(&r);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = got;
    return AT_OK;
}

int
db_fill_u64(const db_res *r, void *elem, at_error *err)
{
    *(uint64_t *) elem = db_u64(r, 0);
    return AT_OK;
}

static int
fill_time(const db_res *r, void *elem, at_error *err)
{
    *(at_time *) elem = db_time(r, 0);
    return AT_OK;
}

int
db_query_u64(at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
             uint64_t *out, at_error *err)
{
    return db_row(db, flags, sql, args, nargs, db_fill_u64, out, "such row", err);
}

/* Transaction control as plain queries: no values, and one round trip
 * each (autocommit stays on outside transactions). */
static int
tx_query(at_db *db, const char *q, at_error *err)
{
    db->statements++;
    if (mysql_real_query(db->my, q, strlen(q)))
        return fail_my(db, mysql_errno(db->my), mysql_error(db->my), err);
    return AT_OK;
}

int
db_tx(at_db *db, bool idempotent, db_tx_fn fn, void *ctx, at_error *err)
{
    int lost_retries = 0, lock_retries = 0;
    for (;;) {
        int rc = AT_OK;
        if (!db->my && (rc = connect_db(db, err)) != AT_OK)
            return rc;
        db->last_errno = 0;
        if ((rc = tx_query(db, "START TRANSACTION", err)) != AT_OK) {
            if (errno_lost(db->last_errno) && lost_retries++ == 0) {
                disconnect(db);
                continue;
            }
            return rc;
        }
        db->in_tx = true;
        bool committing = false;
        rc = fn(db, ctx, err);
        if (rc == AT_OK && db->my) {
            committing = true;
            rc = tx_query(db, "COMMIT", err);
        }
        unsigned e = db->last_errno;
        if (rc != AT_OK && db->my && !errno_lost(e)) {
            db->statements++;
            mysql_rollback(db->my);
        }
        db->in_tx = false;
        if (rc == AT_OK)
            return AT_OK;
        if (errno_lost(e)) {
            disconnect(db);
            if (lost_retries++ == 0 && (!committing || idempotent))
                continue;
            return rc;
        }
        if (errno_retryable_tx(e) && lock_retries++ < 3) {
            struct timespec ts = {0, 20000000L * lock_retries};
            nanosleep(&ts, NULL);
            continue;
        }
        return rc;
    }
}

int
at_db_rows_read(at_db *db, uint64_t *n, at_error *err)
{
    return db_query_u64(db, DB_RETRY,
                        "SELECT CAST(SUM(VARIABLE_VALUE) AS UNSIGNED) "
                        "FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME IN "
                        "('HANDLER_READ_FIRST', 'HANDLER_READ_KEY', 'HANDLER_READ_NEXT', "
                        "'HANDLER_READ_PREV', 'HANDLER_READ_RND', 'HANDLER_READ_RND_NEXT')",
                        NULL, 0, n, err);
}

uint64_t
at_db_statements(const at_db *db)
{
    return db->statements;
}

unsigned long
at_db_thread_id(at_db *db)
{
    return db->my ? mysql_thread_id(db->my) : 0;
}

int
at_db_now(at_db *db, int64_t *now, at_error *err)
{
    return db_row(db, DB_RETRY, "SELECT UTC_TIMESTAMP(6)", NULL, 0, fill_time, now,
                  "time from the database", err);
}

int
db_explain(at_db *db, const char *sql, const db_arg *args, unsigned nargs, char **out,
           at_error *err)
{
    *out = NULL;
    strbuf text = {0};
    db_res r;
    int rc = db_query(db, DB_RETRY, sql, args, nargs, &r, err);
    if (rc)
        return rc;
    /* id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra */
    static const unsigned cols[] = {1, 2, 3, 5, 8, 9};
    while ((rc = db_fetch(&r, err)) == 1) {
        for (size_t i = 0; i < AT_COUNT(cols); i++) {
            const char *v = db_col(&r, cols[i], NULL);
            sb_add(&text, i ? "\t" : "");
            sb_add(&text, v ? v : "NULL");
        }
        sb_add(&text, "\n");
    }
    db_res_close(&r);
    if (rc == 0 && text.oom)
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
    if (rc == 0) {
        *out = text.p ? text.p : strdup("");
        text.p = NULL;
        if (!*out)
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
    }
    sb_free(&text);
    return rc < 0 ? rc : AT_OK;
}
