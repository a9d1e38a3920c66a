/* tasktype.c: the registry of task types that handlers exist for. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TYPE_COLS "id, name, description, timeout_s, max_attempts"
#define TIMEOUT_MAX  AT_TYPE_TIMEOUT_MAX
#define ATTEMPTS_MAX AT_TYPE_ATTEMPTS_MAX

static int
fill(const db_res *r, void *elem, at_error *err)
{
    at_task_type *t = elem;
    memset(t, 0, sizeof *t);
    t->id = db_u64(r, 0);
    db_copy(r, 1, t->name, sizeof t->name);
    db_copy(r, 2, t->description, sizeof t->description);
    t->timeout_s = (unsigned) db_u64(r, 3);
    t->max_attempts = (unsigned) db_u64(r, 4);
    return AT_OK;
}

/* Registers the type; params_text NULL keeps the stored parameters. */
static int
register_type(at_db *db, const char *name, const char *description, unsigned timeout_s,
              unsigned max_attempts, const char *params_text, uint64_t *id, at_error *err)
{
    int rc = at_check_type_name(name, err);
    if (rc == AT_OK)
        rc = at_text_check("task type description", description, AT_DESC_MAX, 1, 0, err);
    if (rc)
        return rc;
    if (timeout_s < 1 || timeout_s > TIMEOUT_MAX)
        return at_error_set(err, AT_EINVAL, "timeout must be 1 to %u seconds, not %u", TIMEOUT_MAX,
                            timeout_s);
    if (max_attempts < 1 || max_attempts > ATTEMPTS_MAX)
        return at_error_set(err, AT_EINVAL, "max attempts must be 1 to %u, not %u", ATTEMPTS_MAX,
                            max_attempts);
    db_arg a[] = {da_str(name), da_str(description ? description : ""), da_u64(timeout_s),
                  da_u64(max_attempts), da_str(params_text ? params_text : "")};
    uint64_t newid = 0;
    /* LAST_INSERT_ID(id) makes the existing row's id come back as well;
     * one statement writes the type and its parameters together. */
    if (params_text)
        rc = db_exec(db, DB_RETRY,
                     "INSERT INTO task_types (name, description, timeout_s, max_attempts, params) "
                     "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), "
                     "description = VALUES(description), timeout_s = VALUES(timeout_s), "
                     "max_attempts = VALUES(max_attempts), params = VALUES(params), "
                     "updated_at = UTC_TIMESTAMP(6)",
                     a, 5, NULL, &newid, err);
    else
        rc = db_exec(db, DB_RETRY,
                     "INSERT INTO task_types (name, description, timeout_s, max_attempts) "
                     "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), "
                     "description = VALUES(description), timeout_s = VALUES(timeout_s), "
                     "max_attempts = VALUES(max_attempts), updated_at = UTC_TIMESTAMP(6)",
                     a, 4, NULL, &newid, err);
    if (rc)
        return at_error_wrap(err, "register task type '%s'", name);
    if (id)
        *id = newid;
    return AT_OK;
}

/* Keeps the parameters a plugin declared: a type registered by hand for a
 * handler elsewhere declares none, and re-registering it by hand must not
 * strip what the supervisor stored. */
int
at_task_type_register(at_db *db, const char *name, const char *description, unsigned timeout_s,
                      unsigned max_attempts, uint64_t *id, at_error *err)
{
    return register_type(db, name, description, timeout_s, max_attempts, NULL, id, err);
}

int
at_task_type_register_params(at_db *db, const char *name, const char *description,
                             unsigned timeout_s, unsigned max_attempts,
                             const at_param_decl *params, size_t n, uint64_t *id, at_error *err)
{
    if (n > AT_PARAMS_MAX)
        return at_error_set(err, AT_EINVAL, "task type '%s' declares %zu parameters, at most %d",
                            name, n, AT_PARAMS_MAX);
    char *text;
    int rc = at_params_encode(params, n, &text, err);
    if (rc)
        return at_error_wrap(err, "task type '%s'", name);
    rc = register_type(db, name, description, timeout_s, max_attempts, text, id, err);
    free(text);
    return rc;
}

static int
fill_params(const db_res *r, void *elem, at_error *err)
{
    bool oom = false;
    char **text = elem;
    *text = db_dup(r, 0, &oom);
    return oom ? at_error_set(err, AT_ENOMEM, "out of memory") : AT_OK;
}

int
at_task_type_params(at_db *db, uint64_t type_id, at_param_decl **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    db_arg a[] = {da_u64(type_id)};
    char what[48], *text = NULL;
    snprintf(what, sizeof what, "task type #%llu", (unsigned long long) type_id);
    int rc = db_row(db, DB_RETRY, "SELECT params FROM task_types WHERE id = ?", a, 1, fill_params,
                    &text, what, err);
    if (rc == AT_OK)
        rc = at_params_decode(text, out, n, err);
    free(text);
    if (rc && rc != AT_ENOTFOUND)
        return at_error_wrap(err, "task type #%llu", (unsigned long long) type_id);
    return rc;
}

int
at_task_type_get(at_db *db, const char *name, at_task_type *out, at_error *err)
{
    int rc = at_check_type_name(name, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(name)};
    char what[AT_TYPE_NAME_BUF + 16];
    snprintf(what, sizeof what, "task type '%s'", name);
    return db_row(db, DB_RETRY, "SELECT " TYPE_COLS " FROM task_types WHERE name = ?", a, 1, fill,
                  out, what, err);
}

int
at_task_type_get_by_id(at_db *db, uint64_t id, at_task_type *out, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    char what[48];
    snprintf(what, sizeof what, "task type #%llu", (unsigned long long) id);
    return db_row(db, DB_RETRY, "SELECT " TYPE_COLS " FROM task_types WHERE id = ?", a, 1, fill,
                  out, what, err);
}

int
at_task_type_list(at_db *db, const char *search, at_task_type **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    int rc = at_check_search("task type search", search, err);
    if (rc)
        return rc;
    char like[AT_LIKE_BUF];
    db_arg a[] = {da_str(at_like_pattern(search ? search : "", like, sizeof like))};
    return db_rows(db, DB_RETRY,
                   "SELECT " TYPE_COLS " FROM task_types WHERE name LIKE ? ORDER BY name", a, 1,
                   sizeof **out, fill, (void **) out, n, err);
}

/* ---- the Pause Task Type dialog: types by name, a page at a time ---- */

/* Names are unique: the page is a range of task_types_name, read in order
 * and cut after a page, whatever the number of types plugins register. */
#define TYPE_PAGE_SQL                                                                              \
    "SELECT " TYPE_COLS " FROM task_types FORCE INDEX (task_types_name) "                          \
    "WHERE name LIKE ? AND name > ? ORDER BY name LIMIT ?"

typedef struct type_query {
    at_name_keyset_q k;
    db_arg args[3];
} type_query;

static int
type_query_make(const char *search, const char *after, unsigned limit, type_query *q,
                at_error *err)
{
    int rc = at_name_keyset("task type", search, after, limit, &q->k, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(q->k.like), da_str(q->k.name), da_u64((uint64_t) limit + 1)};
    memcpy(q->args, a, sizeof a);
    return AT_OK;
}

int
at_task_type_search(at_db *db, const char *search, const char *after, unsigned limit,
                    at_task_type_page *page, at_error *err)
{
    memset(page, 0, sizeof *page);
    type_query q;
    int rc = type_query_make(search, after, limit, &q, err);
    if (rc)
        return rc;
    size_t n;
    rc = db_rows(db, DB_RETRY, TYPE_PAGE_SQL, q.args, AT_COUNT(q.args), sizeof *page->rows, fill,
                 (void **) &page->rows, &n, err);
    if (rc)
        return rc;
    page->n = n;
    if (n > limit) {
        page->n = limit;
        page->has_next = 1;
        const at_task_type *last = &page->rows[limit - 1];
        at_cursor_name(0, last->name, last->id, page->next, sizeof page->next);
    }
    return AT_OK;
}

int
at_task_type_search_explain(at_db *db, const char *search, const char *after, unsigned limit,
                            char **plan, at_error *err)
{
    *plan = NULL;
    type_query q;
    int rc = type_query_make(search, after, limit, &q, err);
    return rc ? rc : db_explain(db, "EXPLAIN " TYPE_PAGE_SQL, q.args, AT_COUNT(q.args), plan, err);
}

void
at_task_type_page_free(at_task_type_page *page)
{
    if (page) {
        free(page->rows);
        memset(page, 0, sizeof *page);
    }
}
