/* audit.c: the append-only record of who paused, resumed, edited or
 * deleted what, when and why. Entries are written inside the transaction
 * of the change they describe, so neither exists without the other. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Cuts s to at most max characters (and dstlen - 1 bytes) without
 * splitting a UTF-8 sequence. */
static void
cut(const char *s, size_t max, char *dst, size_t dstlen)
{
    size_t i = 0, chars = 0;
    while (s[i] && chars < max) {
        size_t k = 1;
        while (s[i + k] && ((unsigned char) s[i + k] & 0xC0) == 0x80)
            k++;
        if (i + k >= dstlen)
            break;
        i += k;
        chars++;
    }
    memcpy(dst, s, i);
    dst[i] = 0;
}

int
at_audit_write(at_db *db, uint64_t business_id, const at_actor *actor, const char *action,
               const char *target_kind, uint64_t target_id, const char *target_name,
               const char *reason, const char *detail, at_error *err)
{
    char tn[AT_NAME_BUF], dt[AT_AUDIT_DETAIL_BUF];
    cut(target_name ? target_name : "", AT_NAME_MAX, tn, sizeof tn);
    cut(detail ? detail : "", 1000, dt, sizeof dt);
    db_arg a[] = {da_u64(business_id),
                  actor->user_id ? da_u64(actor->user_id) : da_null(),
                  da_str(actor->name),
                  da_str(action),
                  da_str(target_kind),
                  target_id ? da_u64(target_id) : da_null(),
                  da_str(tn),
                  da_str(reason ? reason : ""),
                  da_str(dt)};
    int rc = db_exec(db, 0,
                     "INSERT INTO audit_log (business_id, created_at, actor_id, actor, action, "
                     "target_kind, target_id, target_name, reason, detail) "
                     "VALUES (?, UTC_TIMESTAMP(6), ?, ?, ?, ?, ?, ?, ?, ?)",
                     a, AT_COUNT(a), NULL, NULL, err);
    return rc ? at_error_wrap(err, "write audit entry") : AT_OK;
}

#define AUDIT_COLS                                                                                 \
    "id, business_id, created_at, actor_id, actor, action, target_kind, target_id, target_name, "  \
    "reason, detail"

static int
fill(const db_res *r, void *elem, at_error *err)
{
    at_audit_entry *e = elem;
    e->id = db_u64(r, 0);
    e->business_id = db_u64(r, 1);
    e->at = db_time(r, 2);
    e->actor_id = db_u64(r, 3);
    db_copy(r, 4, e->actor, sizeof e->actor);
    db_copy(r, 5, e->action, sizeof e->action);
    db_copy(r, 6, e->target_kind, sizeof e->target_kind);
    e->target_id = db_u64(r, 7);
    db_copy(r, 8, e->target_name, sizeof e->target_name);
    db_copy(r, 9, e->reason, sizeof e->reason);
    db_copy(r, 10, e->detail, sizeof e->detail);
    return AT_OK;
}

/* Both ways read audit_log_business (business_id, id), named because the
 * planner may walk the primary key from the cursor instead, through every
 * other business's entries. Going back (newer): the oldest rows above the
 * cursor, cut at the page, then turned newest first. */
#define NEWER_SQL                                                                                  \
    "SELECT * FROM (SELECT " AUDIT_COLS " FROM audit_log FORCE INDEX (audit_log_business) "       \
    "WHERE business_id = ? AND id > ? ORDER BY id LIMIT ?) newer ORDER BY id DESC"
#define OLDER_SQL                                                                                  \
    "SELECT " AUDIT_COLS " FROM audit_log FORCE INDEX (audit_log_business) "                      \
    "WHERE business_id = ? AND id < ? ORDER BY id DESC LIMIT ?"

/* The platform's pauses and resumes, which every business's log shows
 * beside its own entries: a platform rule holds in every business, those
 * made later too, so they are read from the platform's log rather than
 * written once per business. The same two ways, over the platform's
 * entries (few: its pauses, prunes, people). */
#define PLATFORM_PAUSES "business_id = 0 AND action IN ('pause', 'resume')"
#define PLATFORM_NEWER_SQL                                                                         \
    "SELECT * FROM (SELECT " AUDIT_COLS " FROM audit_log FORCE INDEX (audit_log_business) "       \
    "WHERE " PLATFORM_PAUSES " AND id > ? ORDER BY id LIMIT ?) newer ORDER BY id DESC"
#define PLATFORM_OLDER_SQL                                                                         \
    "SELECT " AUDIT_COLS " FROM audit_log FORCE INDEX (audit_log_business) "                      \
    "WHERE " PLATFORM_PAUSES " AND id < ? ORDER BY id DESC LIMIT ?"

/* Two lists newest first merged into one, newest first, cut at max. */
static void
merge_newest_first(at_audit_entry *a, size_t na, const at_audit_entry *b, size_t nb, size_t max,
                   at_audit_entry *out, size_t *n)
{
    size_t i = 0, k = 0;
    *n = 0;
    while (*n < max && (i < na || k < nb))
        out[(*n)++] = k == nb || (i < na && a[i].id > b[k].id) ? a[i++] : b[k++];
}

static int
audit_rows(at_db *db, uint64_t business_id, bool newer, uint64_t key, unsigned limit,
           at_audit_entry **out, size_t *n, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(key), da_u64((uint64_t) limit + 1)};
    int rc = db_rows(db, DB_RETRY, newer ? NEWER_SQL : OLDER_SQL, a, 3, sizeof **out, fill,
                     (void **) out, n, err);
    if (rc || business_id == AT_AUDIT_PLATFORM)
        return rc;
    at_audit_entry *p = NULL;
    size_t np = 0;
    rc = db_rows(db, DB_RETRY, newer ? PLATFORM_NEWER_SQL : PLATFORM_OLDER_SQL, a + 1, 2,
                 sizeof *p, fill, (void **) &p, &np, err);
    if (rc == AT_OK && np) {
        /* newer: both hold the oldest above the cursor, so the cut keeps
         * the oldest of the merge; older: the newest below it */
        size_t max = (size_t) limit + 1, total = *n + np, m = 0;
        at_audit_entry *v = malloc(total * sizeof *v);
        if (!v) {
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
        } else {
            merge_newest_first(*out, *n, p, np, total, v, &m);
            if (newer && m > max) {
                memmove(v, v + (m - max), max * sizeof *v);
                m = max;
            } else if (m > max) {
                m = max;
            }
            free(*out);
            *out = v;
            *n = m;
        }
    }
    free(p);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int
at_audit_list(at_db *db, uint64_t business_id, uint64_t before_id, unsigned limit,
              at_audit_entry **out, size_t *n, at_error *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 1000, not %u", limit);
    /* a page going back from before_id, without the one more row that
     * tells whether there is another */
    int rc = audit_rows(db, business_id, false, before_id ? before_id : UINT64_MAX, limit, out, n,
                        err);
    if (rc == AT_OK && *n > limit)
        *n = limit;
    return rc;
}

int
at_audit_page_get(at_db *db, uint64_t business_id, uint64_t before, uint64_t after,
                  unsigned limit, at_audit_page *page, at_error *err)
{
    memset(page, 0, sizeof *page);
    if (limit == 0 || limit > 1000)
        return at_error_set(err, AT_EINVAL, "limit must be 1 to 1000, not %u", limit);
    if (before && after)
        return at_error_set(err, AT_EINVAL, "give either before or after, not both");
    bool newer = after != 0;
    int rc = audit_rows(db, business_id, newer, newer ? after : before ? before : UINT64_MAX,
                        limit, &page->rows, &page->n, err);
    if (rc == AT_OK && newer && page->n <= limit) {
        /* fewer than a page above: that is the newest page */
        free(page->rows);
        newer = false;
        after = 0;
        rc = audit_rows(db, business_id, false, UINT64_MAX, limit, &page->rows, &page->n, err);
    }
    if (rc) {
        at_audit_page_free(page);
        return rc;
    }
    at_keyset_trim(page->rows, sizeof *page->rows, &page->n, limit, newer, before != 0,
                   &page->has_older, &page->has_newer);
    if (page->n) {
        page->newer = page->rows[0].id;
        page->older = page->rows[page->n - 1].id;
    }
    return AT_OK;
}

void
at_audit_page_free(at_audit_page *page)
{
    if (page) {
        free(page->rows);
        memset(page, 0, sizeof *page);
    }
}

int
at_audit_page_explain(at_db *db, uint64_t business_id, uint64_t before, uint64_t after,
                      unsigned limit, char **plan, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_u64(after ? after : before ? before : UINT64_MAX),
                  da_u64((uint64_t) limit + 1)};
    int rc = db_explain(db, after ? "EXPLAIN " NEWER_SQL : "EXPLAIN " OLDER_SQL, a, 3, plan, err);
    if (rc || business_id == AT_AUDIT_PLATFORM)
        return rc;
    /* and the platform's pauses beside it: its rows after the first plan's */
    char *more = NULL;
    rc = db_explain(db, after ? "EXPLAIN " PLATFORM_NEWER_SQL : "EXPLAIN " PLATFORM_OLDER_SQL,
                    a + 1, 2, &more, err);
    const char *rows = more ? strchr(more, '\n') : NULL;
    if (rc == AT_OK && rows && rows[1]) {
        size_t len = strlen(*plan);
        char *both = realloc(*plan, len + strlen(rows + 1) + 2);
        if (!both) {
            rc = at_error_set(err, AT_ENOMEM, "out of memory");
        } else {
            *plan = both;
            if (len && both[len - 1] != '\n')
                both[len++] = '\n';
            strcpy(both + len, rows + 1);
        }
    }
    free(more);
    if (rc) {
        free(*plan);
        *plan = NULL;
    }
    return rc;
}
