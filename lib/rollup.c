/* rollup.c: the dashboard's counts (schema/020), gathered in an
 * executor's memory and added to the database in one transaction every
 * ROLLUP_FLUSH_MS or so, and when the executor leaves: started, succeeded
 * and failed attempts per business, task type and minute (and the hour
 * the minute is in), and each type's latest error. No statement rides on
 * a task's claim or end; a process killed outright loses the counts it
 * had not added yet (docs/ARCHITECTURE.md, "The dashboard"). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <asynctasks/log.h>

#define CELLS_MAX   4096 /* kept while the database is away; more are dropped */
#define ROWS_PER_SQL 1000 /* rows of one INSERT (7 placeholders each) */
#define ERROR_MAX   1000 /* bytes of an error kept */
#define US_PER_S    1000000

static int64_t
floor_to(at_time t, int64_t span_s)
{
    int64_t s = t / US_PER_S;
    return s - (s % span_s + span_s) % span_s;
}

void
rollup_count(rollup_acc *a, uint64_t business_id, uint64_t type_id, at_time at, int what)
{
    int64_t minute = floor_to(at, 60);
    rollup_cell *c = NULL;
    for (size_t i = a->n; i-- > 0 && !c;) /* the newest first: the likeliest */
        if (a->v[i].business_id == business_id && a->v[i].type_id == type_id &&
            a->v[i].minute == minute)
            c = &a->v[i];
    if (!c) {
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            rollup_cell *v = cap <= CELLS_MAX ? realloc(a->v, cap * sizeof *v) : NULL;
            if (!v) {
                a->dropped++;
                return;
            }
            a->v = v;
            a->cap = cap;
        }
        c = &a->v[a->n++];
        memset(c, 0, sizeof *c);
        c->business_id = business_id;
        c->type_id = type_id;
        c->minute = minute;
    }
    c->n[what]++;
}

void
rollup_error(rollup_acc *a, uint64_t business_id, uint64_t type_id, uint64_t task_id, at_time at,
             const char *text)
{
    rollup_err *e = NULL;
    for (size_t i = 0; i < a->ne && !e; i++)
        if (a->e[i].business_id == business_id && a->e[i].type_id == type_id)
            e = &a->e[i];
    if (e && e->at > at)
        return; /* a later one is kept */
    size_t len = strnlen(text ? text : "", ERROR_MAX);
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, text ? text : "", len);
    copy[len] = 0;
    at_utf8_scrub(copy); /* a cut may fall inside a character */
    if (!e) {
        if (a->ne == a->ecap) {
            size_t cap = a->ecap ? a->ecap * 2 : 4;
            rollup_err *v = cap <= CELLS_MAX ? realloc(a->e, cap * sizeof *v) : NULL;
            if (!v) {
                free(copy);
                return;
            }
            a->e = v;
            a->ecap = cap;
        }
        e = &a->e[a->ne++];
        e->text = NULL;
    }
    free(e->text);
    e->business_id = business_id;
    e->type_id = type_id;
    e->task_id = task_id;
    e->at = at;
    e->text = copy;
}

void
rollup_attempt(rollup_acc *a, uint64_t business_id, uint64_t type_id, uint64_t task_id,
               at_time started_at, at_time end, int outcome, const char *error)
{
    rollup_count(a, business_id, type_id, started_at, ROLLUP_STARTED);
    if (outcome == AT_OUTCOME_SUCCEEDED) {
        rollup_count(a, business_id, type_id, end, ROLLUP_SUCCEEDED);
    } else if (outcome == AT_OUTCOME_FAILED || outcome == AT_OUTCOME_RETRY) {
        rollup_count(a, business_id, type_id, end, ROLLUP_FAILED);
        rollup_error(a, business_id, type_id, task_id, end,
                     error ? error : "failed without saying why");
    }
}

bool
rollup_pending(const rollup_acc *a)
{
    return a->n > 0 || a->ne > 0;
}

static void
forget(rollup_acc *a)
{
    for (size_t i = 0; i < a->ne; i++)
        free(a->e[i].text);
    a->n = a->ne = 0;
}

void
rollup_free(rollup_acc *a)
{
    forget(a);
    free(a->v);
    free(a->e);
    memset(a, 0, sizeof *a);
}

/* One row of task_rollups: span 1 minute, 2 hour (the ENUM's order). */
typedef struct row {
    uint64_t business_id;
    int span;
    int64_t bucket; /* seconds */
    uint64_t type_id;
    uint32_t n[ROLLUP_KINDS];
} row;

/* The primary key's order: transactions that add to the same rows lock
 * them in one order. */
static int
by_key(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->business_id != b->business_id)
        return a->business_id < b->business_id ? -1 : 1;
    if (a->span != b->span)
        return a->span < b->span ? -1 : 1;
    if (a->bucket != b->bucket)
        return a->bucket < b->bucket ? -1 : 1;
    if (a->type_id != b->type_id)
        return a->type_id < b->type_id ? -1 : 1;
    return 0;
}

/* Each cell as its minute's row and its hour's, sorted, equal keys
 * merged; *n rows. */
static row *
rows_of(const rollup_acc *a, size_t *n)
{
    row *v = malloc((2 * a->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < a->n; i++) {
        const rollup_cell *c = &a->v[i];
        row m = {c->business_id, 1, c->minute, c->type_id, {0}};
        memcpy(m.n, c->n, sizeof m.n);
        v[2 * i] = m;
        m.span = 2;
        m.bucket = c->minute - (c->minute % 3600 + 3600) % 3600;
        v[2 * i + 1] = m;
    }
    qsort(v, 2 * a->n, sizeof *v, by_key);
    size_t k = 0;
    for (size_t i = 0; i < 2 * a->n; i++) {
        if (k && by_key(&v[k - 1], &v[i]) == 0) {
            for (int j = 0; j < ROLLUP_KINDS; j++)
                v[k - 1].n[j] += v[i].n[j];
        } else {
            v[k++] = v[i];
        }
    }
    *n = k;
    return v;
}

/* One multi-row INSERT ... ON DUPLICATE KEY UPDATE: head, then row_sql
 * (its placeholders) n times, each row's arguments added by args, then
 * tail. The rows are padded to their shape's class (sb_class) with rows
 * that pad adds: ones that change nothing the rows before have written. */
typedef void (*row_args_fn)(arglist *a, const void *v, size_t i);
static int
upsert(at_db *db, const char *head, const char *row_sql, const char *tail, const void *v,
       size_t n, row_args_fn args, row_args_fn pad, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, head);
    for (size_t i = 0; i < sb_class(n); i++) {
        sb_add(&sql, i ? ", " : "");
        sb_add(&sql, row_sql);
        (i < n ? args : pad)(&a, v, i < n ? i : n - 1);
    }
    sb_add(&sql, tail);
    int rc = db_exec_sb(db, 0, &sql, &a, NULL, NULL, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

static void
row_args(arglist *a, const void *v, size_t i)
{
    const row *r = (const row *) v + i;
    args_add(a, da_u64(r->business_id));
    args_add(a, da_str(r->span == 1 ? "minute" : "hour"));
    args_add(a, da_time((at_time) r->bucket * US_PER_S));
    args_add(a, da_u64(r->type_id));
    for (int j = 0; j < ROLLUP_KINDS; j++)
        args_add(a, da_u64(r->n[j]));
}

/* The last row's key with nothing to add. */
static void
row_pad(arglist *a, const void *v, size_t i)
{
    row r = ((const row *) v)[i];
    memset(r.n, 0, sizeof r.n);
    row_args(a, &r, 0);
}

static int
add_rows(at_db *db, const row *v, size_t n, at_error *err)
{
    return upsert(db,
                  "INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started, "
                  "succeeded, failed) VALUES ",
                  "(?, ?, ?, ?, ?, ?, ?)",
                  " ON DUPLICATE KEY UPDATE started = started + VALUES(started), "
                  "succeeded = succeeded + VALUES(succeeded), failed = failed + VALUES(failed)",
                  v, n, row_args, row_pad, err);
}

static int
by_error_key(const void *pa, const void *pb)
{
    const rollup_err *a = pa, *b = pb;
    if (a->business_id != b->business_id)
        return a->business_id < b->business_id ? -1 : 1;
    return a->type_id < b->type_id ? -1 : a->type_id > b->type_id;
}

static void
error_args(arglist *a, const void *v, size_t i)
{
    const rollup_err *e = (const rollup_err *) v + i;
    args_add(a, da_u64(e->business_id));
    args_add(a, da_u64(e->type_id));
    args_add(a, da_time(e->at));
    args_add(a, da_u64(e->task_id));
    args_add(a, da_str(e->text));
}

/* The latest error of each type: a row keeps whichever is later, its own
 * or the one added (error and task first, as they compare with the old
 * time). */
static int
add_errors(at_db *db, rollup_err *v, size_t n, at_error *err)
{
    qsort(v, n, sizeof *v, by_error_key);
    return upsert(db,
                  "INSERT INTO task_type_errors (business_id, task_type_id, error_at, task_id, "
                  "error) VALUES ",
                  "(?, ?, ?, ?, ?)",
                  " ON DUPLICATE KEY UPDATE "
                  "error = IF(VALUES(error_at) >= error_at, VALUES(error), error), "
                  "task_id = IF(VALUES(error_at) >= error_at, VALUES(task_id), task_id), "
                  "error_at = GREATEST(error_at, VALUES(error_at))",
                  v, n, error_args, error_args, err); /* the same error again keeps it */
}

struct flush_ctx {
    rollup_acc *a;
    row *rows;
    size_t nrows;
};

static int
flush_tx(at_db *db, void *vctx, at_error *err)
{
    struct flush_ctx *x = vctx;
    int rc = AT_OK;
    for (size_t i = 0; rc == AT_OK && i < x->nrows; i += ROWS_PER_SQL) {
        size_t k = x->nrows - i < ROWS_PER_SQL ? x->nrows - i : ROWS_PER_SQL;
        rc = add_rows(db, x->rows + i, k, err);
    }
    for (size_t i = 0; rc == AT_OK && i < x->a->ne; i += ROWS_PER_SQL) {
        size_t k = x->a->ne - i < ROWS_PER_SQL ? x->a->ne - i : ROWS_PER_SQL;
        rc = add_errors(db, x->a->e + i, k, err);
    }
    return rc;
}

int
rollup_flush(at_db *db, rollup_acc *a, at_error *err)
{
    if (a->dropped) {
        at_log(AT_LOG_WARN, "dashboard: %llu counts dropped while the database was away",
               (unsigned long long) a->dropped);
        a->dropped = 0;
    }
    if (!rollup_pending(a))
        return AT_OK;
    struct flush_ctx x = {a, NULL, 0};
    x.rows = rows_of(a, &x.nrows);
    if (!x.rows)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    /* not idempotent: a commit whose answer was lost is not run again */
    int rc = db_tx(db, false, flush_tx, &x, err);
    free(x.rows);
    if (rc)
        return at_error_wrap(err, "dashboard counts");
    forget(a);
    return AT_OK;
}

/* ---- retention ---- */

#define MINUTES_KEPT_S (2 * 3600 + 600) /* the last hour's chart, and some */
#define HOURS_KEPT_S   (8 * 86400)      /* the last week's chart, and a day */

int
rollup_prune(at_db *db, unsigned batch, bool dry_run, uint64_t *removed, at_error *err)
{
    static const struct {
        const char *count, *del;
        int64_t kept_s;
    } kinds[] = {
        {"SELECT COUNT(*) FROM task_rollups WHERE span = 'minute' AND bucket < UTC_TIMESTAMP() "
         "- INTERVAL ? SECOND",
         "DELETE FROM task_rollups WHERE span = 'minute' AND bucket < UTC_TIMESTAMP() - "
         "INTERVAL ? SECOND ORDER BY span, bucket LIMIT ?",
         MINUTES_KEPT_S},
        {"SELECT COUNT(*) FROM task_rollups WHERE span = 'hour' AND bucket < UTC_TIMESTAMP() "
         "- INTERVAL ? SECOND",
         "DELETE FROM task_rollups WHERE span = 'hour' AND bucket < UTC_TIMESTAMP() - "
         "INTERVAL ? SECOND ORDER BY span, bucket LIMIT ?",
         HOURS_KEPT_S},
        {"SELECT COUNT(*) FROM task_type_errors WHERE error_at < UTC_TIMESTAMP(6) - "
         "INTERVAL ? SECOND",
         "DELETE FROM task_type_errors WHERE error_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND "
         "ORDER BY error_at LIMIT ?",
         HOURS_KEPT_S},
    };
    *removed = 0;
    for (size_t k = 0; k < AT_COUNT(kinds); k++) {
        db_arg a[] = {da_i64(kinds[k].kept_s), da_u64(batch)};
        uint64_t n = 0;
        if (dry_run) {
            int rc = db_query_u64(db, DB_RETRY, kinds[k].count, a, 1, &n, err);
            if (rc)
                return rc;
            *removed += n;
            continue;
        }
        do {
            int rc = db_exec(db, DB_RETRY, kinds[k].del, a, AT_COUNT(a), &n, NULL, err);
            if (rc)
                return rc;
            *removed += n;
        } while (n == batch);
    }
    return AT_OK;
}
