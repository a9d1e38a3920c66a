/* internal.h: what the files of lib/ share and nobody else sees: the
 * prepared-statement layer over MariaDB Connector/C, and small helpers. */
#ifndef AT_INTERNAL_H
#define AT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mysql.h>

#include <asynctasks/asynctasks.h>

#define AT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- whether a plugin may be loaded (plugin_trust.c) ---- */

/* The plugin directory dir and every directory up to / belong to root or
 * the running user and are writable by nobody else (AT_EPLUGIN, naming
 * the path and why); AT_EIO if dir cannot be resolved. */
int at_plugin_trust_dir(const char *dir, at_error *err);
/* The same of the file path and its directories (sticky ones on the way
 * allowed); *resolved: its malloc'd real path, to dlopen. */
int at_plugin_trust_file(const char *path, char **resolved, at_error *err);

/* Makes the string s valid UTF-8 in place: a byte that begins no valid
 * sequence becomes '?', a sequence cut short at the end is cut off
 * (text.c). Every error message passes through it (error.c), since a
 * message may quote what it refuses, or be cut to fit. */
void at_utf8_scrub(char *s);

/* ---- a plugin's descriptor (plugin_load.c) ---- */

struct at_loaded_plugin;
struct at_plugin;
/* Checks the descriptor d of p (header, names, task types, parameters),
 * as read from the file p->path, and copies it into p's own layout
 * (p->desc, p->handlers); AT_EPLUGIN naming p->path and what is wrong.
 * On failure p holds what was copied, for at_plugin_close. */
int at_plugin_desc_load(struct at_loaded_plugin *p, const struct at_plugin *d, at_error *err);

/* ---- statement arguments ---- */

enum db_arg_type { DA_NULL, DA_I64, DA_U64, DA_STR, DA_BLOB, DA_TIME };

typedef struct db_arg {
    int type;
    int64_t i;
    uint64_t u;
    const void *p;
    size_t len;
} db_arg;

static inline db_arg
da_null(void)
{
    db_arg a = {.type = DA_NULL};
    return a;
}
static inline db_arg
da_i64(int64_t v)
{
    db_arg a = {.type = DA_I64, .i = v};
    return a;
}
static inline db_arg
da_u64(uint64_t v)
{
    db_arg a = {.type = DA_U64, .u = v};
    return a;
}
/* NULL s binds SQL NULL. */
static inline db_arg
da_str(const char *s)
{
    db_arg a = {.type = s ? DA_STR : DA_NULL, .p = s, .len = s ? strlen(s) : 0};
    return a;
}
static inline db_arg
da_strn(const char *s, size_t len)
{
    db_arg a = {.type = DA_STR, .p = s, .len = len};
    return a;
}
static inline db_arg
da_blob(const void *p, size_t len)
{
    db_arg a = {.type = p ? DA_BLOB : DA_NULL, .p = p, .len = len};
    return a;
}
/* at_time 0 binds SQL NULL. */
static inline db_arg
da_time(at_time t)
{
    db_arg a = {.type = t ? DA_TIME : DA_NULL, .i = t};
    return a;
}

/* ---- results ---- */

/* A column read as a number or a time rather than as text. */
typedef struct db_native {
    enum { DN_TEXT, DN_INT, DN_TIME } kind;
    bool is_unsigned;
    bool texted;       /* buf holds its text (db_col was asked) */
    unsigned decimals; /* of a time: the digits of its fraction */
    union {
        int64_t i;
        MYSQL_TIME t;
    } v;
} db_native;

typedef struct db_res {
    struct at_db *db;
    MYSQL_STMT *st;
    unsigned ncols;
    MYSQL_BIND *bind;
    char **buf;
    unsigned long *cap;
    unsigned long *len;
    my_bool *isnull;
    my_bool *trunc;
    db_native *nat;
    unsigned warnings; /* the statement's (a LIMIT ROWS EXAMINED cut is one) */
} db_res;

/* Flags for db_exec / db_query. */
#define DB_RETRY 1u /* idempotent: after a lost connection, reconnect and retry once */

/* Runs a statement that returns no rows. affected and insert_id may be
 * NULL. sql must be a string constant or built only from constant parts:
 * every value travels as an argument. */
int db_exec(struct at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
            uint64_t *affected, uint64_t *insert_id, at_error *err);

/* Runs a query; rows are buffered, then read with db_fetch. */
int db_query(struct at_db *db, unsigned flags, const char *sql, const db_arg *args,
             unsigned nargs, db_res *res, at_error *err);
/* Names the first bad item of a batch of n, of nbad bad ones, in err:
 * "task I of N: why" or "B of N tasks are invalid, the first is task I: why".
 * Returns first's code. */
int at_error_items(at_error *err, const at_error *first, size_t first_idx, size_t nbad, size_t n);

/* Turns err's message into "enqueue: why: nothing was enqueued", keeping
 * its code, for a batch refused as a whole. */
int at_error_nothing_enqueued(at_error *err);

/* 1: a row is there; 0: no more rows; <0: error. */
int db_fetch(db_res *res, at_error *err);
void db_res_close(db_res *res);

bool db_isnull(const db_res *res, unsigned col);
/* Column text (NUL-terminated) or NULL for SQL NULL; *len may be NULL. */
const char *db_col(const db_res *res, unsigned col, size_t *len);
uint64_t db_u64(const db_res *res, unsigned col);
int64_t db_i64(const db_res *res, unsigned col);
at_time db_time(const db_res *res, unsigned col); /* 0 for NULL */
/* Copies the column into dst (size dstlen), "" for NULL. */
void db_copy(const db_res *res, unsigned col, char *dst, size_t dstlen);
/* malloc'd copy, NULL for SQL NULL; sets *oom on allocation failure. */
char *db_dup(const db_res *res, unsigned col, bool *oom);

/* Whether the last failure was a lost connection. */
bool db_lost(const struct at_db *db);
/* Whether the last failure was a sort stopped by the statement's LIMIT
 * ROWS EXAMINED (which ends a sort with an error, not with a warning). */
bool db_sort_stopped(const struct at_db *db);

/* Fills one element from the current row; returns AT_OK or an error. */
typedef int (*db_fill_fn)(const db_res *res, void *elem, at_error *err);

/* One row into *elem. AT_ENOTFOUND, with the message "no <what>", when
 * there is none. */
int db_row(struct at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
           db_fill_fn fill, void *elem, const char *what, at_error *err);

/* Every row into a malloc'd array of elements of elem_size bytes (*out is
 * NULL and *n 0 when there are none). */
int db_rows(struct at_db *db, unsigned flags, const char *sql, const db_arg *args, unsigned nargs,
            size_t elem_size, db_fill_fn fill, void **out, size_t *n, at_error *err);

/* Fills a uint64_t from the first column. */
int db_fill_u64(const db_res *res, void *elem, at_error *err);

/* The first column of one row as a number. */
int db_query_u64(struct at_db *db, unsigned flags, const char *sql, const db_arg *args,
                 unsigned nargs, uint64_t *out, at_error *err);

/* Runs sql, an EXPLAIN statement, and writes its plan as text, one line
 * per plan row: "select_type<TAB>table<TAB>type<TAB>key<TAB>rows<TAB>Extra" (*out
 * malloc'd). */
int db_explain(struct at_db *db, const char *sql, const db_arg *args, unsigned nargs, char **out,
               at_error *err);

/* Runs fn inside a transaction, committing when it returns AT_OK and
 * rolling back otherwise. A deadlock or lock timeout reruns it (a few
 * times); a lost connection before COMMIT reconnects and reruns it once,
 * and so does one during COMMIT when idempotent is true. */
typedef int (*db_tx_fn)(struct at_db *db, void *ctx, at_error *err);
int db_tx(struct at_db *db, bool idempotent, db_tx_fn fn, void *ctx, at_error *err);

/* ---- statements of varying shape (strbuf.c) ---- */

/* Only constant SQL fragments go into a strbuf; values go into an arglist. */
typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf;
void sb_add(strbuf *b, const char *s);
void sb_placeholders(strbuf *b, size_t n); /* "?, ?, ?" */
/* n rounded up to its shape class, a power of two (strbuf.c) */
size_t sb_class(size_t n);
void sb_free(strbuf *b);
/* Rows of bound values as a derived table, each column "name TYPE"
 * ("b UNSIGNED", "r DATETIME(6)"): the values go into the arglist row by
 * row. */
void sb_rows(strbuf *b, const char *const *cols, size_t ncols, size_t nrows);

typedef struct arglist {
    db_arg *v;
    size_t n, cap;
    bool oom;
} arglist;
void args_add(arglist *l, db_arg a);
void args_free(arglist *l);
/* An IN list of n values, the last n arguments added: placeholders for
 * sb_class(n), the last value repeated into the extra places (the same
 * set). */
void sb_in_list(strbuf *b, arglist *a, size_t n);
/* n NULL arguments: the padding of rows of values (sb_rows for
 * sb_class(n) rows), which the statement must match with nothing. */
void args_nulls(arglist *a, size_t n);
/* The last row of ncols arguments again: the padding of rows of values
 * (VALUES lists) whose statement writes the same row twice as once (an
 * upsert that sets, or adds zeros). */
void args_repeat_row(arglist *a, size_t ncols);
/* Whether building the statement or its arguments ran out of memory. */
bool sb_failed(const strbuf *b, const arglist *a);

/* ---- the pieces of members' names (member_grams.c, schema/007) ---- */

/* Adds the pieces of a member's name (with the membership, in its
 * transaction). */
int member_grams_add(struct at_db *db, uint64_t business_id, uint64_t user_id, at_error *err);
/* Removes them (before the membership, whose copy of the name they are
 * found by). */
int member_grams_remove(struct at_db *db, uint64_t business_id, uint64_t user_id,
                        at_error *err);
/* The statement "SELECT ... AS id" of the user ids of the business's
 * members whose name holds term (at most limit of them), and its
 * arguments; the business is business_sql ("?", or a subquery with one
 * placeholder), bound to business. like is term as a LIKE pattern
 * (at_like_pattern). q keeps the pieces the arguments point to, so it
 * lives as long as they do. */
#define MEMBER_GRAM_CHARS   3 /* the longest piece, in characters */
#define MEMBER_GRAMS_LOOKED 4 /* the most pieces a search looks up */
typedef struct member_grams_q {
    char gram[MEMBER_GRAMS_LOOKED][MEMBER_GRAM_CHARS * 4 + 1];
} member_grams_q;
void member_grams_select(strbuf *sql, arglist *a, member_grams_q *q, const char *business_sql,
                         db_arg business, const char *term, const char *like, unsigned limit);
/* When term is a single piece, the condition "more than limit members
 * have it" from the piece's count (schema/013), one row read, and true;
 * otherwise nothing, and false. Arguments as member_grams_select's. */
bool member_grams_dense(strbuf *sql, arglist *a, member_grams_q *q, const char *business_sql,
                        db_arg business, const char *term, unsigned limit);
/* Makes the business's piece counts again from its pieces. */
int member_gram_counts_rebuild(struct at_db *db, uint64_t business_id, at_error *err);

/* db_exec, db_rows and db_query of a built statement (a may be NULL);
 * both are freed, whatever happens. */
int db_exec_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, uint64_t *affected,
               uint64_t *insert_id, at_error *err);
int db_rows_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, size_t elem_size,
               db_fill_fn fill, void **out, size_t *n, at_error *err);
int db_query_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, db_res *r,
                at_error *err);

/* ---- caches of bulk work (namemap.c) ---- */

/* A hash map from byte strings (copied in) to numbers. A value's address
 * holds until the next put. */
typedef struct namemap {
    struct namemap_slot *slots;
    size_t cap, n;
} namemap;
/* The value under key[0..len), or NULL when there is none. */
uint64_t *namemap_get(const namemap *m, const void *key, size_t len);
/* Stores value under key, replacing any; NULL when out of memory. */
uint64_t *namemap_put(namemap *m, const void *key, size_t len, uint64_t value);
void namemap_free(namemap *m);

/* ---- text and time ---- */

/* Copies src into dst (size dstlen) and returns dst; never overflows. */
char *at_strlcpy(char *dst, const char *src, size_t dstlen);
char *at_strdup(const char *s); /* NULL-safe */

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" into microseconds; 0 on error. */
at_time at_time_from_sql(const char *s, size_t len);
/* The time of a UTC calendar date and clock, or 0 when it is not one
 * (before 1970, after 9999, or no such day or time). */
at_time at_time_from_parts(int y, int mo, int d, int h, int mi, int sec, long usec);

/* The proleptic Gregorian calendar (time.c): days from 1970-01-01 to
 * y-m-d and back; the days of a month. */
int64_t days_from_civil(int64_t y, int m, int d);
void civil_from_days(int64_t z, int64_t *y, int *m, int *d);
int days_in_month(int y, int m);

/* A time zone entered for a computation (tz.c): TZ set to it, and put
 * back as it was by tz_leave. tz_offset: seconds east of UTC at t. */
typedef struct tz_scope {
    bool had;
    char *saved;
} tz_scope;
int tz_enter(const char *name, tz_scope *s, at_error *err);
void tz_leave(tz_scope *s);
long tz_offset(int64_t t);

int at_check_search(const char *what, const char *s, at_error *err);

/* "%s%" with LIKE's metacharacters in s escaped: a search for "50%_off"
 * finds exactly that text. out needs 2 * strlen(s) + 3 bytes. */
#define AT_LIKE_BUF (AT_SEARCH_MAX * 4 * 2 + 3)
char *at_like_pattern(const char *s, char *out, size_t outlen);

/* ---- list searches resolved into ids (search_ids.c) ---- */

/* The most ids a search is resolved into; more, and the list filters
 * names instead. */
#define SEARCH_IDS_MAX 1000
enum { SEARCH_USERS, SEARCH_TYPES };
/* What a search's statement's arguments point to: keep it as long as
 * them. */
typedef struct search_sql {
    member_grams_q grams;
    char like[AT_LIKE_BUF];
} search_sql;
/* The statement selecting the ids (column id) that search, of kind,
 * matches, at most SEARCH_IDS_MAX + 1 of them; for users, of the business
 * business_sql bound to business (as member_grams_select). */
void search_ids_select(strbuf *sql, arglist *a, search_sql *keep, int kind,
                       const char *business_sql, db_arg business, const char *search);
/* The same as one column of another statement, "(SELECT ...)", whose
 * text search_ids_parse reads. */
void search_ids_column(strbuf *sql, arglist *a, search_sql *keep, int kind,
                       const char *business_sql, db_arg business, const char *search);
/* That column's text into *out (ids malloc'd): 0, or -1 when it is not
 * whole (then resolve with a statement of its own). */
int search_ids_parse(const char *s, size_t len, at_search_ids *out);
/* Runs a statement of search_ids_select into *out. */
int search_ids_run(struct at_db *db, const strbuf *sql, const arglist *a, at_search_ids *out,
                   at_error *err);

/* ---- page cursors (cursor.c) ----
 * "<tag><key>-<id>": tag a letter naming the order (0: none), key the hex
 * of a name's UTF-8 or a decimal number, id the row's id. out needs
 * AT_CURSOR_BUF bytes for a name of up to AT_NAME_MAX characters. The
 * parsers return 0, or -1 for anything that is not such a cursor. */
void at_cursor_name(char tag, const char *name, uint64_t id, char *out, size_t len);
void at_cursor_number(char tag, int64_t key, uint64_t id, char *out, size_t len);
int at_cursor_name_parse(char tag, const char *s, char *name, size_t namelen, uint64_t *id);
int at_cursor_number_parse(char tag, const char *s, int64_t *key, uint64_t *id);

/* Pages of names in name order (the Pause dialogs'): the search as a
 * LIKE pattern, and the name and id of the cursor the page starts after
 * ("" and 0 for the first page). what names the list in messages. */
typedef struct at_name_keyset_q {
    char like[AT_LIKE_BUF];
    char name[AT_NAME_BUF];
    uint64_t id;
} at_name_keyset_q;
int at_name_keyset(const char *what, const char *search, const char *after, unsigned limit,
                   at_name_keyset_q *k, at_error *err);

/* Newest-first pages keyed by a number (the audit log, attempts): rows
 * (*n of size bytes, newest first) were read as limit + 1 older than a
 * cursor (from_cursor) or the newest, or, going back (newer), the limit + 1
 * just newer than one. Drops the row beyond the page and says which ways
 * there are more. */
void at_keyset_trim(void *rows, size_t size, size_t *n, unsigned limit, bool newer,
                    bool from_cursor, int *has_older, int *has_newer);

/* A business from the columns AT_BUSINESS_COLS of businesses b
 * (business.c). */
#define AT_BUSINESS_COLS "b.id, b.slug, b.name, b.created_at"
int at_business_fill(const db_res *r, void *elem, at_error *err);
/* The same four columns, from column col on. */
void at_business_fill_at(const db_res *r, unsigned col, at_business *b);

/* A user from the columns AT_USER_COLS of users u (user.c). */
#define AT_USER_COLS "u.id, u.email, u.name, u.created_at, u.disabled_at"
#define AT_USER_NCOLS 5
int at_user_fill(const db_res *r, void *elem, at_error *err);

/* Fills a task from a row of the list columns (task_list.c's LIST_COLS:
 * everything but the payload). */
int at_task_row_list(const db_res *r, at_task *t, at_error *err);
/* Every column of a task, payload included, of tasks k (task.c), and a
 * task from them. */
#define AT_TASK_COLS                                                                               \
    "k.id, k.business_id, k.user_id, k.task_type_id, k.user_name, k.type_name, k.state, "          \
    "k.priority, k.run_at, k.created_at, k.updated_at, k.started_at, k.finished_at, k.attempts, "  \
    "k.max_attempts, k.version, k.cancel_requested, k.payload_size, k.last_error, k.result, "      \
    "k.payload, k.payload_encoding, k.progress_done, k.progress_total, k.duration_us"
#define AT_TASK_NCOLS 25
int at_task_row(const db_res *r, at_task *t, at_error *err);

/* The checks every way into the tasks table makes (task.c): a priority in
 * range, and a payload that fits its type's declared parameters. */
int at_task_check_priority(int p, at_error *err);
int at_task_check_payload(struct at_db *db, uint64_t type_id, const char *payload, size_t len,
                          at_error *err);
/* All that enqueue checks of one request without the database, given the
 * declarations d[0..n) of its type: priority, run-at, the payload's text
 * and its fit to the declarations. */
/* One task by ids inside the caller's transaction (a schedule's
 * occurrence), with every check and rule of at_task_enqueue but no
 * wake-up (the caller wakes the executors after its commit); *bad: the
 * request itself was refused (a member gone, a payload its type no
 * longer takes), as opposed to the database failing. The check alone,
 * writing nothing: enqueue_check_in_tx. */
int enqueue_in_tx(struct at_db *db, const at_enqueue *req, uint64_t *id, bool *bad, at_error *err);
int enqueue_check_in_tx(struct at_db *db, const at_enqueue *req, at_error *err);
int at_task_check_request(const at_enqueue *req, const at_param_decl *d, size_t n, at_error *err);

/* One task (task.c): read and locked FOR UPDATE in the caller's
 * transaction; its name in the audit log ("type / user"); a finished
 * task's part of the totals taken out of them. */
int task_lock(struct at_db *db, uint64_t business_id, uint64_t id, at_task *out, at_error *err);
#define TASK_AUDIT_NAME_BUF (AT_NAME_BUF + AT_TYPE_NAME_BUF + 8)
void task_audit_name(const at_task *t, char *buf, size_t len);
int task_uncount_finished(struct at_db *db, const at_task *t, at_error *err);
/* The writes of the task actions, without their audit entries, on a task
 * locked (task_lock) and found fit by at_task_action_refusal: one task of
 * a bulk job (bulk.c) or of a single action. detail: what the task was,
 * for an audit entry. *cancel_requested: 1 when a running task was asked
 * to stop instead (Cancel, Delete). */
int task_action_write(struct at_db *db, const at_task *t, int action, at_time now, char *detail,
                      size_t len, int *cancel_requested, at_error *err);
/* Delete's writes: the row and its part of the lanes and totals, or for
 * a running task the cancel request (*cancel 1). */
int task_delete_write(struct at_db *db, const at_task *t, int *cancel, char *detail, size_t len,
                      at_error *err);
/* A running task's cancel request, which its executor sees. */
int task_request_cancel(struct at_db *db, const at_task *t, at_error *err);

/* Idempotency keys (idempotency.c): the request's hash (its user, type,
 * priority, run-at and payload), the key written beside its task (a
 * duplicate is AT_ECONFLICT), what a taken key stands for, an expired
 * one forgotten, and the expired ones removed by the prune (*removed;
 * with dry_run, counted). */
enum { IDEM_NONE, IDEM_SAME, IDEM_OTHER, IDEM_GONE, IDEM_EXPIRED };
void idem_hash(const at_enqueue *req, unsigned char out[32]);
int idem_insert(struct at_db *db, uint64_t business_id, const char *key,
                const unsigned char hash[32], uint64_t task_id, at_time now, at_error *err);
int idem_lookup(struct at_db *db, uint64_t business_id, const char *key,
                const unsigned char hash[32], uint64_t *task_id, int *state, at_error *err);
int idem_forget_expired(struct at_db *db, uint64_t business_id, const char *key, at_error *err);
int idem_prune(struct at_db *db, unsigned batch, bool dry_run, uint64_t *removed, at_error *err);

/* ---- the dashboard's counts (rollup.c, schema/020) ---- */

/* Attempts of one business and task type in one minute of the database's
 * clock, counted in memory until a flush adds them. */
enum { ROLLUP_STARTED, ROLLUP_SUCCEEDED, ROLLUP_FAILED, ROLLUP_KINDS };
#define ROLLUP_FLUSH_MS 2000 /* how often a worker adds its counts */
typedef struct rollup_cell {
    uint64_t business_id, type_id;
    int64_t minute; /* its start, seconds since the epoch */
    uint32_t n[ROLLUP_KINDS];
} rollup_cell;
/* The latest error of one business's task type (text malloc'd). */
typedef struct rollup_err {
    uint64_t business_id, type_id, task_id;
    at_time at;
    char *text;
} rollup_err;
typedef struct rollup_acc {
    rollup_cell *v;
    size_t n, cap;
    rollup_err *e;
    size_t ne, ecap;
    uint64_t dropped; /* counts that found no room (memory, or a long outage) */
} rollup_acc;
/* One attempt's start, success or failure (ROLLUP_*) at time at. */
void rollup_count(rollup_acc *a, uint64_t business_id, uint64_t type_id, at_time at, int what);
/* An error of a task of the type at time at; the latest is kept. */
void rollup_error(rollup_acc *a, uint64_t business_id, uint64_t type_id, uint64_t task_id,
                  at_time at, const char *text);
/* A run that started at started_at and ended at end with outcome (AT_OUTCOME_*):
 * its start, and its success or failure (a failure to be retried counts;
 * a cancel or a requeue does not) with its error. */
void rollup_attempt(rollup_acc *a, uint64_t business_id, uint64_t type_id, uint64_t task_id,
                    at_time started_at, at_time end, int outcome, const char *error);
bool rollup_pending(const rollup_acc *a);
/* Adds the counts (as minute and hour rows) and errors in one
 * transaction, and forgets them; kept when it fails, for the next. */
int rollup_flush(struct at_db *db, rollup_acc *a, at_error *err);
void rollup_free(rollup_acc *a);
/* The retention of rollups: minute rows after about two hours, hour rows
 * and errors after eight days, batch rows a statement (with dry_run,
 * counted). */
int rollup_prune(struct at_db *db, unsigned batch, bool dry_run, uint64_t *removed, at_error *err);

/* ---- lanes (lane.c) and counters (counts.c) ---- */

typedef struct lane_key {
    uint64_t business_id, user_id, type_id;
    int priority;
} lane_key;

/* Tasks entering a lane: n of them, the earliest by (run_at, id) given;
 * held_known: whether a live rule names the lane is known already (held),
 * read under the business's row lock in the same transaction. */
typedef struct lane_add {
    lane_key key;
    unsigned n;
    at_time run_at;
    uint64_t id;
    bool held_known, held;
} lane_add;

/* Adds queued tasks to their lanes (a new lane is held when a live rule
 * names it) and counts them as queued or paused. */
int lanes_enter(struct at_db *db, const lane_add *v, size_t n, at_error *err);
/* Changes a lane's queued count by delta and recomputes its head from its
 * tasks; for tasks that leave it (claimed, deleted) or move in it. */
int lane_refresh(struct at_db *db, const lane_key *k, int64_t delta, at_error *err);
/* A queued task left its lane for good (deleted, or moved to another
 * lane): the lane's count and head, and the queued or paused total. */
int lane_task_gone(struct at_db *db, const lane_key *k, at_error *err);
/* Recomputes the heads of all lanes of a business. */
int lanes_refresh_business(struct at_db *db, uint64_t business_id, at_error *err);
/* Brings one lane's held flag in line with the rules (a lane whose flag
 * lagged: the re-check found a task of it held). */
int lane_rehold_one(struct at_db *db, const lane_key *k, at_error *err);
/* Pause targets besides AT_SCOPE_USER and AT_SCOPE_TASK_TYPE: every held
 * lane of the business (after rules were removed). */
#define LANE_SCOPE_HELD 3
#define LANE_CHUNK      2000 /* lanes per transaction when flags are brought in line */
/* Where a walk over a target's lanes stopped: lanes of one business go
 * in id order, a platform target's (business 0) in (business, id) order. */
typedef struct lane_cursor {
    uint64_t business_id, id;
} lane_cursor;
/* Brings the held flags of up to max lanes of one pause target in line
 * with the live rules, after the cursor *after (see lane.c). Business 0:
 * the target's lanes in every business. */
int lanes_rehold(struct at_db *db, uint64_t business_id, int scope, uint64_t target, unsigned max,
                 lane_cursor *after, int *done, at_error *err);
/* The same inside a change of rules: the first chunk now, the rest left
 * as lane work (*left set) for at_lane_work_run after the commit. */
int lanes_rehold_target(struct at_db *db, uint64_t business_id, int scope, uint64_t target,
                        int *left, at_error *err);
/* Marks lanes whose head's run_at has come as due. */
int lanes_wake_due(struct at_db *db, uint64_t *woken, at_error *err);

/* Changes to a business's totals. */
typedef struct counts_delta {
    uint64_t business_id;
    int64_t queued, paused, running, failed, finished_today;
    /* what GET /metrics reports (schema/014), from the ends of attempts:
     * tasks finished by outcome, attempts retried, and the histograms of
     * attempts' waits and runs (stats.h); counts_add writes these columns
     * only when a delta of its batch has any */
    int64_t succeeded_total, failed_total, cancelled_total, retried_total;
    int64_t wait[AT_HIST_BUCKETS], wait_sum_us;
    int64_t run[AT_HIST_BUCKETS], run_sum_us;
} counts_delta;
int counts_add(struct at_db *db, const counts_delta *d, size_t n, at_error *err);

/* Deltas gathered per business over a transaction, written once. */
typedef struct counts_acc {
    counts_delta *v;
    size_t n, cap;
    bool oom;
} counts_acc;
counts_delta *counts_acc_get(counts_acc *acc, uint64_t business_id); /* NULL: out of memory */
int counts_acc_write(struct at_db *db, counts_acc *acc, at_error *err);
void counts_acc_free(counts_acc *acc);

/* ---- the end of attempts (finish.c) ---- */

/* How one claimed task ended, as its executor (or whoever recovers it)
 * reports it. */
typedef struct finish_rec {
    uint64_t task_id;
    int outcome;         /* AT_OUTCOME_*; REQUEUE refunds the attempt */
    int ran;             /* the handler ran: an attempt row is written */
    at_time started_at;  /* of the run, database clock; 0: unknown */
    int64_t duration_us; /* of the run */
    const char *result, *error;
    unsigned backoff_s;
    int held;            /* given back because a rule holds it: its lane's
                          * flag is brought in line with the rules */
    /* set by the write: the task's state after it (0: the lease was lost
     * and nothing was written) and the outcome recorded */
    int final_state, final_outcome;
} finish_rec;

/* Writes the ends of tasks whose lease executor_id holds, inside the
 * caller's transaction; counter changes go into acc. */
int finish_in_tx(struct at_db *db, uint64_t executor_id, finish_rec *v, size_t n,
                 counts_acc *acc, at_error *err);
/* The same as a transaction of its own. */
int finish_many(struct at_db *db, uint64_t executor_id, finish_rec *v, size_t n, at_error *err);

/* ---- claiming (claim.c) ---- */

typedef struct claim_req {
    uint64_t executor_id;
    const uint64_t *types;  /* the task types this executor runs */
    const unsigned *limits; /* per type: most tasks of it in one batch */
    size_t ntypes;
    unsigned max;            /* tasks at most */
    unsigned cap_default;    /* running tasks a business may have, when it sets none; 0: any */
    uint64_t after_business; /* the claim serves the next business after this one */
} claim_req;

/* A claimed task, and why it cannot run when its payload is damaged. */
typedef struct claimed {
    at_claim c;
    char *payload_error;
} claimed;
void claimed_clear(claimed *t);

/* Claims up to q->max due tasks of one business (out has room for
 * q->max), inside the caller's transaction; *business is the business
 * served (0: none had work). Counter changes go into acc. */
int claim_in_tx(struct at_db *db, const claim_req *q, claimed *out, size_t *n, uint64_t *business,
                counts_acc *acc, at_error *err);

/* What the re-check before a run found. */
typedef struct recheck_res {
    int mine;       /* still claimed by this executor */
    int cancel;     /* its cancel was requested */
    uint64_t epoch; /* of its business's rules */
    uint64_t platform_epoch; /* of the platform's rules */
    at_time now;    /* the database clock: the run's start */
} recheck_res;
/* The re-check statement; run it outside a transaction. */
int recheck(struct at_db *db, uint64_t executor_id, uint64_t task_id, recheck_res *out,
            at_error *err);

/* The SQL twin of at_pause_match for the lanes: appends an expression,
 * true when a live rule of business b, or of the platform, names user u
 * or task type t (column references, constant text; as "?" they come in
 * the order b, u, b, t, u, t). */
void pause_held_sql(strbuf *sql, const char *b, const char *u, const char *t);

/* The totals of business b (a column or "?"), as two columns: the
 * counters' slots summed, as the text "queued,paused,running,failed,
 * finished today", and the business's own cap (NULL: the default); each
 * a range of one business's rows. And a row's totals from column col on
 * (counts.c). The sums are one subquery: MariaDB runs each scalar
 * subquery on its own, and five of them were a third of the cost of the
 * request's context statement (docs/ARCHITECTURE.md, "The context
 * statement"). */
#define AT_TOTALS_OF(b)                                                                            \
    "(SELECT CONCAT_WS(',', COALESCE(SUM(queued), 0), COALESCE(SUM(paused), 0), "                  \
    "COALESCE(SUM(running), 0), COALESCE(SUM(failed), 0), "                                        \
    "COALESCE(SUM(IF(finished_day = UTC_DATE(), finished, 0)), 0)) "                               \
    "FROM task_counts WHERE business_id = " b "), "                                                \
    "(SELECT max_running FROM business_limits WHERE business_id = " b ")"
#define AT_TOTALS_NCOLS 2
void at_task_counts_fill_at(const db_res *r, unsigned col, at_task_counts *c);

/* A pause rule with its target's name: the columns of pause_rules r, and
 * the joins that name the target (pause.c). */
#define AT_RULE_COLS                                                                               \
    "r.id, r.business_id, r.scope, r.target_id, COALESCE(u.name, t.name, ''), r.reason, "         \
    "r.paused_by, r.paused_by_name, r.paused_at, r.paused_until"
#define AT_RULE_NAMES                                                                              \
    "LEFT JOIN users u ON r.scope = 'user' AND u.id = r.target_id "                                \
    "LEFT JOIN task_types t ON r.scope = 'task_type' AND t.id = r.target_id"
/* The platform's rules the same way, with business 0, live at "?"; at
 * most PLATFORM_RULES_MAX of them live (every business's pages read them
 * all). */
#define PLATFORM_RULES_MAX 1000
#define PLATFORM_RULE_COLS                                                                         \
    "r.id, 0, r.scope, r.target_id, COALESCE(u.name, t.name, ''), r.reason, "                     \
    "r.paused_by, r.paused_by_name, r.paused_at, r.paused_until"
#define PLATFORM_RULE_FROM "FROM platform_pause_rules r " AT_RULE_NAMES
#define PLATFORM_LIVE "(r.paused_until IS NULL OR r.paused_until > ?)"
/* Whether business b has any pause rule at all (live, or expired and
 * not yet removed): when not, nothing of it is held. */
#define AT_HAS_RULES(b)                                                                            \
    "(EXISTS (SELECT 1 FROM pause_rules pr WHERE pr.business_id = " b ") "                        \
    "OR EXISTS (SELECT 1 FROM platform_pause_rules))"
/* Appends the rule of AT_RULE_COLS from column first of row r to set
 * (*cap: the room allocated so far, 0 at first). */
int pause_set_add(at_pause_set *set, const db_res *r, unsigned first, size_t *cap,
                  at_error *err);

/* A business's live rules and the pause epoch they belong to, read in one
 * consistent view. */
int pause_load_epoch(struct at_db *db, uint64_t business_id, at_pause_set *set, uint64_t *epoch,
                     at_error *err);

/* Removes the rules whose expiry has passed, business by business, and
 * lets their lanes go; *expired counts the businesses. */
int pause_expire_due(struct at_db *db, uint64_t *expired, at_error *err);

/* What a change of either kind of rules shares (pause.c): the checks of a
 * pause's arguments; of its expiry against the clock (detail gets "until
 * ... UTC", or ""); and the lane work it left, run for a while after its
 * commit (a resume's longer than a pause's). */
int pause_check_scope(int scope, at_error *err);
int pause_add_check(const at_actor *actor, int scope, const char *reason, size_t n, at_time until,
                    at_error *err);
int pause_until_check(at_time now, at_time until, char *detail, size_t len, at_error *err);
void pause_finish_lanes(struct at_db *db, int left, int resume);

/* Removes the owner's expired rules (a business's, or the platform's
 * for owner 0) and lets their lanes go; the caller holds the owner's
 * row. *expired (may be NULL) counts them. */
int pause_expire_rules(struct at_db *db, uint64_t owner, int *left, size_t *expired,
                       at_error *err);

/* The platform's rules (pause_platform.c): what a change of them takes
 * (pause.c): the platform row, exclusively, its epoch bumped; and the cap
 * on live platform rules. */
int pause_platform_lock(struct at_db *db, at_error *err);
int pause_platform_cap_check(struct at_db *db, at_error *err);
/* Appends the live ones at now
 * to set (those naming user_id or type_id when either is not 0; at most a
 * few hundred in all, the platform's cap). */
int pause_platform_append(struct at_db *db, at_time now, uint64_t user_id, uint64_t type_id,
                          at_pause_set *set, at_error *err);
/* The platform's live rules and the epoch they belong to, in one view. */
int pause_load_platform_epoch(struct at_db *db, at_pause_set *set, uint64_t *epoch,
                              at_error *err);
/* Removes the platform rules whose expiry has passed; *expired counts them. */
int pause_platform_expire_due(struct at_db *db, uint64_t *expired, at_error *err);

/* The counters slot this connection writes. */
unsigned db_slot(const struct at_db *db);
/* Statements prepared and kept on the connection (at most STMT_CACHE_MAX). */
size_t db_cached(const struct at_db *db);

/* Writes one audit entry inside the caller's transaction. */
int at_audit_write(struct at_db *db, uint64_t business_id, const at_actor *actor,
                   const char *action, const char *target_kind, uint64_t target_id,
                   const char *target_name, const char *reason, const char *detail,
                   at_error *err);

/* Sessions (session.c): whether a token is well formed (64 hex digits),
 * and the "seen" mark at_access_load sets on the session it found. */
bool at_session_token_ok(const char *token);
void at_session_seen(struct at_db *db, const char *token, at_time now, at_session *s);

/* Migrations' checksums (schema_status.c): the migration that added
 * schema_version.checksum, and the recording of this build's checksum
 * for every applied migration that has none yet (the migrate run that
 * reaches SCHEMA_CHECKSUM_VERSION, and each one after it). */
#define SCHEMA_CHECKSUM_VERSION 11
int schema_checksums_record(struct at_db *db, at_error *err);
/* Whether the database has its schema_version table yet (migrate.c). */
int schema_version_exists(struct at_db *db, uint64_t *exists, at_error *err);

/* Checks the actor is well formed (a name, 1..190 characters). */
int at_actor_check(const at_actor *actor, at_error *err);

#endif
