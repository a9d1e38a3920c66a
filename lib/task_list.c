/* task_list.c: one business's tasks, sorted, searched and paginated by
 * keyset, so that every page costs the same at a million rows as at ten.
 *
 * The indexes (schema/001) are (business_id, finished, <sort column>, id)
 * per sort column, and (business_id, user_id | task_type_id, finished,
 * created_at, id) for searches; and for "all" in created order the same
 * without finished (schema/008). Pending or finished alone is one index
 * range read in order, and so is "all" in created order; in a name order,
 * "all" is the union of the two ranges, each cut to the page size, merged
 * here.
 *
 * A search is first resolved into the ids of the matching users or task
 * types (search_ids.c; the request's context may have done it already),
 * and the tasks are then read through those ids. When a search matches
 * more than SEARCH_IDS_MAX of them, matches are dense and the copied name
 * is filtered while reading the ordered index instead. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LIST_COLS                                                                                  \
    "t.id, t.business_id, t.user_id, t.task_type_id, t.user_name, t.type_name, t.state, "          \
    "t.priority, t.run_at, t.created_at, t.updated_at, t.started_at, t.finished_at, t.attempts, "  \
    "t.max_attempts, t.version, t.cancel_requested, t.payload_size, LEFT(t.last_error, 300), "     \
    "LEFT(t.result, 300), t.progress_done, t.progress_total, t.duration_us"
#define LIST_NCOLS 23

static const struct {
    const char *name;
    const char *col;
    char tag;
} sorts[] = {
    [AT_SORT_CREATED] = {"created", "created_at", 'c'},
    [AT_SORT_USER] = {"user", "user_name", 'u'},
    [AT_SORT_TYPE] = {"type", "type_name", 't'},
};

static const char *const filters[] = {
    [AT_FILTER_PENDING] = "pending", [AT_FILTER_FINISHED] = "finished", [AT_FILTER_ALL] = "all"};

const char *
at_sort_str(int sort)
{
    return sort >= 0 && sort < (int) AT_COUNT(sorts) ? sorts[sort].name : "?";
}

int
at_sort_parse(const char *s)
{
    for (size_t i = 0; s && i < AT_COUNT(sorts); i++)
        if (strcmp(s, sorts[i].name) == 0)
            return (int) i;
    return -1;
}

const char *
at_filter_str(int f)
{
    return f >= 0 && f < (int) AT_COUNT(filters) ? filters[f] : "?";
}

int
at_filter_parse(const char *s)
{
    for (size_t i = 0; s && i < AT_COUNT(filters); i++)
        if (strcmp(s, filters[i]) == 0)
            return (int) i;
    return -1;
}

/* ---- cursors: "<tag><key>-<id>" (cursor.c), the key in microseconds
 * (c) or the name (u, t). ---- */

typedef struct cursor {
    uint64_t id;
    at_time t;
    char name[AT_NAME_BUF];
} cursor;

static void
cursor_encode(int sort, const at_task *row, char *out, size_t outlen)
{
    if (sort == AT_SORT_CREATED)
        at_cursor_number(sorts[sort].tag, row->created_at, row->id, out, outlen);
    else
        at_cursor_name(sorts[sort].tag, sort == AT_SORT_USER ? row->user_name : row->type_name,
                       row->id, out, outlen);
}

static int
cursor_decode(int sort, const char *s, cursor *c, at_error *err)
{
    memset(c, 0, sizeof *c);
    int bad;
    if (sort == AT_SORT_CREATED) {
        int64_t t = 0;
        bad = at_cursor_number_parse(sorts[sort].tag, s, &t, &c->id) || t <= 0 ||
              t >= 253402300800000000LL /* year 10000 */;
        c->t = t;
    } else {
        bad = at_cursor_name_parse(sorts[sort].tag, s, c->name, sizeof c->name, &c->id);
    }
    if (bad)
        return at_error_set(err, AT_EINVAL,
                            "page cursor is malformed or belongs to another sort order");
    return AT_OK;
}

/* ---- search resolution ---- */

typedef struct idset {
    at_search_ids got;
    bool active; /* a search was given */
    char like[AT_LIKE_BUF];
} idset;

/* The ids that search (of kind) matches: those the caller resolved
 * already (given), or from a statement of their own. */
static int
idset_resolve(at_db *db, idset *set, int kind, uint64_t business_id, const char *search,
              const at_search_ids *given, at_error *err)
{
    memset(set, 0, sizeof *set);
    if (!search || !*search)
        return AT_OK;
    set->active = true;
    at_like_pattern(search, set->like, sizeof set->like);
    if (given && given->resolved) {
        set->got = *given;
        set->got.ids = NULL;
        if (given->n && !(set->got.ids = malloc(given->n * sizeof *given->ids)))
            return at_error_set(err, AT_ENOMEM, "out of memory");
        if (given->n)
            memcpy(set->got.ids, given->ids, given->n * sizeof *given->ids);
        return AT_OK;
    }
    strbuf sql = {0};
    arglist a = {0};
    search_sql keep;
    search_ids_select(&sql, &a, &keep, kind, "?", da_u64(business_id), search);
    int rc = search_ids_run(db, &sql, &a, &set->got, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* Ids to read the tasks by: a search that did not overflow. */
static bool
by_ids(const idset *s)
{
    return s->active && !s->got.overflow;
}

/* ---- the statement ---- */

typedef struct plan {
    const at_task_query *q;
    idset users, types;
    bool has_cursor, backward;
    cursor cur;
    /* the page was searched in a window that ended before it was full:
     * end is the window's last task, where the next search starts */
    bool cut;
    at_task end;
} plan;

/* The tasks a range holds: those with finished = 0 or 1, or every task of
 * the business. */
#define FIN_ANY (-1)

/* The range that a view reads, or FIN_HALVES for "all" read as its two
 * halves. "All" in the created order is one range of the indexes without
 * finished (tasks_all_created, and tasks_all_by_user and _by_type for
 * searches by ids); in a name order, two halves merged. */
#define FIN_HALVES 2

static int
range_of(const plan *p)
{
    if (p->q->filter != AT_FILTER_ALL)
        return p->q->filter == AT_FILTER_FINISHED;
    return p->q->sort == AT_SORT_CREATED ? FIN_ANY : FIN_HALVES;
}

/* FROM tasks t, naming the indexes that can serve the range fin (the
 * planner may not guess that reading an index in order and stopping after
 * a page beats sorting): the ordered one, and with search_indexes those of
 * the searches by ids. */
static void
add_from(strbuf *sql, const plan *p, int fin, bool search_indexes)
{
    sb_add(sql, fin == FIN_ANY ? " FROM tasks t FORCE INDEX (tasks_all_"
                               : " FROM tasks t FORCE INDEX (tasks_list_");
    sb_add(sql, sorts[p->q->sort].name);
    if (search_indexes && by_ids(&p->users))
        sb_add(sql, fin == FIN_ANY ? ", tasks_all_by_user" : ", tasks_by_user");
    if (search_indexes && by_ids(&p->types))
        sb_add(sql, fin == FIN_ANY ? ", tasks_all_by_type" : ", tasks_by_type");
    sb_add(sql, ")");
}

/* WHERE the business, and finished = fin unless FIN_ANY. */
static void
add_range(strbuf *sql, arglist *a, const plan *p, int fin)
{
    sb_add(sql, " WHERE business_id = ?");
    args_add(a, da_u64(p->q->business_id));
    if (fin != FIN_ANY) {
        sb_add(sql, " AND finished = ?");
        args_add(a, da_i64(fin));
    }
}

/* AND the searches: by ids, or by the copied names. */
static void
add_searches(strbuf *sql, arglist *a, const plan *p)
{
    const idset *sets[] = {&p->users, &p->types};
    const char *idcol[] = {"user_id", "task_type_id"};
    const char *namecol[] = {"user_name", "type_name"};
    for (int i = 0; i < 2; i++) {
        const idset *s = sets[i];
        if (!s->active)
            continue;
        sb_add(sql, " AND ");
        if (!by_ids(s)) {
            sb_add(sql, namecol[i]);
            sb_add(sql, " LIKE ?");
            args_add(a, da_str(s->like));
            continue;
        }
        sb_add(sql, idcol[i]);
        sb_add(sql, " IN (");
        for (size_t k = 0; k < s->got.n; k++)
            args_add(a, da_u64(s->got.ids[k]));
        sb_in_list(sql, a, s->got.n);
        sb_add(sql, ")");
    }
}

/* AND past the cursor, in the reading direction. */
static void
add_cursor(strbuf *sql, arglist *a, const plan *p)
{
    if (!p->has_cursor)
        return;
    const at_task_query *q = p->q;
    const char *col = sorts[q->sort].col;
    const char *cmp = (q->desc ^ p->backward) ? " < ?" : " > ?";
    sb_add(sql, " AND (");
    sb_add(sql, col);
    sb_add(sql, cmp);
    sb_add(sql, " OR (");
    sb_add(sql, col);
    sb_add(sql, " = ? AND id");
    sb_add(sql, cmp);
    sb_add(sql, "))");
    for (int k = 0; k < 2; k++)
        args_add(a, q->sort == AT_SORT_CREATED ? da_time(p->cur.t) : da_str(p->cur.name));
    args_add(a, da_u64(p->cur.id));
}

/* One range: tasks of the business with finished = fin (or every task,
 * FIN_ANY), searched, past the cursor; cols is what to select. */
static void
add_half(strbuf *sql, arglist *a, const plan *p, int fin, const char *cols)
{
    sb_add(sql, "SELECT ");
    sb_add(sql, cols);
    add_from(sql, p, fin, true);
    add_range(sql, a, p, fin);
    add_searches(sql, a, p);
    add_cursor(sql, a, p);
}

/* ORDER BY the sort, then id; of the table or derived table named by
 * prefix ("" or "k."). */
static void
add_order(strbuf *sql, const plan *p, const char *prefix)
{
    const char *dir = (p->q->desc ^ p->backward) ? " DESC" : " ASC";
    sb_add(sql, " ORDER BY ");
    sb_add(sql, prefix);
    sb_add(sql, sorts[p->q->sort].col);
    sb_add(sql, dir);
    sb_add(sql, ", ");
    sb_add(sql, prefix);
    sb_add(sql, "id");
    sb_add(sql, dir);
}

/* The view's one range, or for "all" in halves both of them in one UNION
 * ALL: each selecting cols, in the page's order when ordered, cut at
 * limit rows. */
static void
add_ranges(strbuf *sql, arglist *a, const plan *p, const char *cols, bool ordered,
           uint64_t limit)
{
    int range = range_of(p);
    int parts = range == FIN_HALVES ? 2 : 1;
    for (int i = 0; i < parts; i++) {
        if (parts == 2)
            sb_add(sql, i ? ") UNION ALL (" : "(");
        add_half(sql, a, p, parts == 2 ? i : range, cols);
        if (ordered)
            add_order(sql, p, "");
        sb_add(sql, " LIMIT ?");
        args_add(a, da_u64(limit));
    }
    if (parts == 2)
        sb_add(sql, ")");
}

/* ---- searching in windows ----
 *
 * A searched view reads its range in order and keeps the matches; when
 * they are sparse, filling a page would read without bound. So the page
 * statement of a searched view of one range stops after examining a
 * window of rows (LIMIT ROWS EXAMINED). When it stops there, the page is
 * read again from a window of the range's next rows, taken by key from
 * the ordered index, and the window's last task comes along: a page not
 * full by then ends at that task (plan.cut), and the next page searches
 * on from it. Either way a page costs at most a window, never a scan.
 * "All" in a name order, two halves, has a window in each, and its page
 * stops at the nearer of their ends. */
#define SCAN_WINDOW 1000

static bool
windowed(const plan *p)
{
    return p->users.active || p->types.active;
}

/* The rows a window spans: SCAN_WINDOW, or more for big pages. */
static unsigned
window_of(const plan *p)
{
    unsigned w = 4 * (p->q->limit + 1);
    return w > SCAN_WINDOW ? w : SCAN_WINDOW;
}

/* The statement's LIMIT goes on: stop after examining a window of rows
 * (a warning then says so). */
static void
add_examined(strbuf *sql, const plan *p)
{
    char examined[48];
    /* a union of the two halves has no LIMIT of its own yet */
    snprintf(examined, sizeof examined, "%s ROWS EXAMINED %u",
             range_of(p) == FIN_HALVES ? " LIMIT" : "", window_of(p));
    sb_add(sql, examined);
}

/* FROM the range fin past the cursor, in order, unsearched: a window. */
static void
add_window_range(strbuf *sql, arglist *a, const plan *p, int fin)
{
    add_from(sql, p, fin, false);
    add_range(sql, a, p, fin);
    add_cursor(sql, a, p);
    add_order(sql, p, "");
}

/* The window's ids: the range's next window_of rows past the cursor, in
 * order, by key alone. */
static void
add_window_ids(strbuf *sql, arglist *a, const plan *p, int fin)
{
    sb_add(sql, "SELECT t.id");
    add_window_range(sql, a, p, fin);
    sb_add(sql, " LIMIT ?");
    args_add(a, da_u64(window_of(p)));
}

/* What the halves of "all" select beyond the list's columns: which half
 * a row is of (the schema's own finished column), and for the name sorts
 * the key they are merged by besides the id, the name as the collation
 * orders it. */
#define HALF_COLS     ", t.finished"
#define HALF_FINISHED LIST_NCOLS
#define HALF_KEY      (LIST_NCOLS + 1)

/* A view of one range is that range in order, cut at the page. "All" of
 * two halves is the pending and the finished range, each cut to the page
 * and read whole, one after the other in one UNION ALL: MariaDB streams that
 * without a temporary table or a sort, where ordering and cutting the
 * union (as this did before) materialized it and a derived table of it,
 * and under load cost as much again as the page itself (measured in
 * docs/ARCHITECTURE.md, "All without a temporary table"). The two sorted
 * halves are merged here (merge_halves). */
static void
build(strbuf *sql, arglist *a, const plan *p)
{
    char cols[sizeof LIST_COLS HALF_COLS + 64];
    if (range_of(p) != FIN_HALVES)
        snprintf(cols, sizeof cols, "%s", LIST_COLS);
    else if (p->q->sort == AT_SORT_CREATED)
        snprintf(cols, sizeof cols, "%s", LIST_COLS HALF_COLS);
    else
        snprintf(cols, sizeof cols, "%s, WEIGHT_STRING(t.%s)", LIST_COLS HALF_COLS,
                 sorts[p->q->sort].col);
    add_ranges(sql, a, p, cols, true, (uint64_t) p->q->limit + 1);
    if (windowed(p))
        add_examined(sql, p);
}

static int
check_query(const at_task_query *q, at_error *err)
{
    if (q->sort < 0 || q->sort >= (int) AT_COUNT(sorts))
        return at_error_set(err, AT_EINVAL, "unknown sort order %d", q->sort);
    if (q->filter < 0 || q->filter >= (int) AT_COUNT(filters))
        return at_error_set(err, AT_EINVAL, "unknown status filter %d", q->filter);
    if (q->limit < 1 || q->limit > AT_LIST_MAX)
        return at_error_set(err, AT_EINVAL, "page size must be 1 to %d, not %u", AT_LIST_MAX,
                            q->limit);
    if (q->after && q->before)
        return at_error_set(err, AT_EINVAL, "give either a cursor after or before, not both");
    int rc = at_check_search("user search", q->user_search, err);
    if (rc == AT_OK)
        rc = at_check_search("task type search", q->type_search, err);
    return rc;
}

static int
plan_make(at_db *db, const at_task_query *q, plan *p, at_error *err)
{
    memset(p, 0, sizeof *p);
    p->q = q;
    int rc = check_query(q, err);
    if (rc)
        return rc;
    const char *c = q->after ? q->after : q->before;
    if (c && *c) {
        if ((rc = cursor_decode(q->sort, c, &p->cur, err)))
            return rc;
        p->has_cursor = true;
        p->backward = q->before != NULL;
    }
    rc = idset_resolve(db, &p->users, SEARCH_USERS, q->business_id, q->user_search, q->user_ids,
                       err);
    if (rc == AT_OK)
        rc = idset_resolve(db, &p->types, SEARCH_TYPES, q->business_id, q->type_search,
                           q->type_ids, err);
    return rc;
}

static void
plan_free(plan *p)
{
    at_search_ids_free(&p->users.got);
    at_search_ids_free(&p->types.got);
    at_task_clear(&p->end);
}

static bool
plan_empty(const plan *p)
{
    return (by_ids(&p->users) && p->users.got.n == 0) ||
           (by_ids(&p->types) && p->types.got.n == 0);
}

/* A row of a half of "all": its half, and its merge key (name sorts). */
typedef struct half_row {
    at_task t;
    bool finished;
    bool is_end; /* a window's last task, not a match */
    char *key;
    size_t keylen;
} half_row;

/* Which of two rows of the halves comes first in the page's order. */
static int
half_cmp(const plan *p, const half_row *x, const half_row *y)
{
    int c;
    if (p->q->sort == AT_SORT_CREATED) {
        c = (x->t.created_at > y->t.created_at) - (x->t.created_at < y->t.created_at);
    } else {
        size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
        c = memcmp(x->key, y->key, n);
        if (c == 0)
            c = (x->keylen > y->keylen) - (x->keylen < y->keylen);
    }
    if (c == 0)
        c = (x->t.id > y->t.id) - (x->t.id < y->t.id);
    return (p->q->desc ^ p->backward) ? -c : c;
}

/* Merges the two sorted halves, the pending rows (pend) and the finished
 * (fin), into the page's first want rows; the rows left out are freed. */
static void
merge_halves(const plan *p, half_row **pend, size_t np, half_row **fin, size_t nf,
             at_task_page *page, unsigned want)
{
    size_t i = 0, j = 0;
    while (i < np || j < nf) {
        bool first = j == nf || (i < np && half_cmp(p, pend[i], fin[j]) <= 0);
        half_row *h = first ? pend[i++] : fin[j++];
        if (page->n < want)
            page->rows[page->n++] = h->t;
        else
            at_task_clear(&h->t);
    }
}

/* Reads the rows of "all", at most want of each half, with their merge
 * keys; or of a window, with the mark of its last tasks in column mark
 * (0: none). */
static int
read_halves(db_res *r, const plan *p, unsigned mark, half_row *v, size_t max, size_t *n,
            at_error *err)
{
    int rc = 0;
    bool oom = false;
    while (*n < max && (rc = db_fetch(r, err)) == 1) {
        half_row *h = &v[*n];
        if ((rc = at_task_row_list(r, &h->t, err)) != AT_OK)
            return rc;
        (*n)++;
        h->finished = db_i64(r, HALF_FINISHED) != 0;
        h->is_end = mark && db_i64(r, mark) != 0;
        if (p->q->sort != AT_SORT_CREATED) {
            h->key = db_dup(r, HALF_KEY, &oom);
            db_col(r, HALF_KEY, &h->keylen);
            if (oom)
                return at_error_set(err, AT_ENOMEM, "out of memory");
        }
    }
    return rc < 0 ? rc : AT_OK;
}

/* The page of "all": the halves' rows told apart (a half's rows keep
 * their order), then merged. */
static int
fetch_halves(db_res *r, const plan *p, at_task_page *page, unsigned want, at_error *err)
{
    size_t max = 2 * (size_t) want, n = 0, np = 0, nf = 0;
    half_row *v = calloc(max, sizeof *v);
    half_row **pend = calloc(max, sizeof *pend), **fin = calloc(max, sizeof *fin);
    int rc = v && pend && fin ? read_halves(r, p, 0, v, max, &n, err)
                              : at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        if (v[i].finished)
            fin[nf++] = &v[i];
        else
            pend[np++] = &v[i];
    }
    if (rc == AT_OK)
        merge_halves(p, pend, np, fin, nf, page, want);
    else
        for (size_t i = 0; i < n; i++)
            at_task_clear(&v[i].t);
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
    free(pend);
    free(fin);
    return rc;
}

/* The matches in each range's window, in order, cut at the page and one
 * more (marked 0), then the window's last task (marked 1), if the range
 * holds that many rows; with the columns of the halves of "all" (which
 * half, and the merge key in a name order), for one range as for two. */
static void
build_window(strbuf *sql, arglist *a, const plan *p)
{
    int range = range_of(p);
    int parts = range == FIN_HALVES ? 2 : 1;
    char cols[sizeof LIST_COLS HALF_COLS + 64];
    if (p->q->sort == AT_SORT_CREATED)
        snprintf(cols, sizeof cols, "%s", LIST_COLS HALF_COLS);
    else
        snprintf(cols, sizeof cols, "%s, WEIGHT_STRING(t.%s)", LIST_COLS HALF_COLS,
                 sorts[p->q->sort].col);
    for (int i = 0; i < parts; i++) {
        int fin = parts == 2 ? i : range;
        sb_add(sql, i ? " UNION ALL (SELECT " : "(SELECT ");
        sb_add(sql, cols);
        sb_add(sql, ", 0 FROM (");
        add_window_ids(sql, a, p, fin);
        sb_add(sql, ") w JOIN tasks t ON t.id = w.id WHERE TRUE");
        add_searches(sql, a, p);
        add_order(sql, p, "t.");
        sb_add(sql, " LIMIT ?) UNION ALL (SELECT ");
        args_add(a, da_u64((uint64_t) p->q->limit + 1));
        sb_add(sql, cols);
        sb_add(sql, ", 1");
        add_window_range(sql, a, p, fin);
        sb_add(sql, " LIMIT 1 OFFSET ?)");
        args_add(a, da_u64(window_of(p) - 1));
    }
}

/* The window's column that marks its last task. */
static unsigned
window_mark(const plan *p)
{
    return HALF_FINISHED + 1 + (p->q->sort != AT_SORT_CREATED);
}

/* Rows beyond cut (NULL: none) are left out; returns how many stay. */
static size_t
up_to(const plan *p, half_row **v, size_t n, const half_row *cut)
{
    size_t k = 0;
    while (k < n && (!cut || half_cmp(p, v[k], cut) <= 0))
        k++;
    for (size_t i = k; i < n; i++)
        at_task_clear(&v[i]->t);
    return k;
}

/* The page of a window: each range's matches up to the nearer of the
 * windows' last tasks, merged; that task, when the page is not full by
 * then, is where the next page searches on. Two ranges whose windows end
 * apart must both stop at the nearer end: past it, the other range's
 * window has not been read. */
static int
window_page(plan *p, half_row *v, size_t n, at_task_page *page, unsigned want, at_error *err)
{
    half_row **pend = calloc(n + 1, sizeof *pend), **fin = calloc(n + 1, sizeof *fin);
    if (!pend || !fin) {
        free(pend);
        free(fin);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    size_t np = 0, nf = 0;
    half_row *cut = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].is_end)
            *(v[i].finished ? &fin[nf++] : &pend[np++]) = &v[i];
        else if (!cut || half_cmp(p, &v[i], cut) < 0)
            cut = &v[i];
    }
    np = up_to(p, pend, np, cut);
    nf = up_to(p, fin, nf, cut);
    merge_halves(p, pend, np, fin, nf, page, want);
    p->cut = cut && page->n < want;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].is_end)
            continue;
        if (p->cut && &v[i] == cut) { /* the page keeps it */
            p->end = v[i].t;
            memset(&v[i].t, 0, sizeof v[i].t);
        } else {
            at_task_clear(&v[i].t);
        }
    }
    free(pend);
    free(fin);
    return AT_OK;
}

/* The page from a window (page empty, its rows allocated for want). */
static int
fetch_window(at_db *db, plan *p, at_task_page *page, unsigned want, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    build_window(&sql, &a, p);
    db_res r;
    int rc = db_query_sb(db, DB_RETRY, &sql, &a, &r, err);
    if (rc)
        return rc;
    size_t max = 2 * ((size_t) want + 1), n = 0;
    half_row *v = calloc(max, sizeof *v);
    rc = v ? read_halves(&r, p, window_mark(p), v, max, &n, err)
           : at_error_set(err, AT_ENOMEM, "out of memory");
    db_res_close(&r);
    if (rc == AT_OK)
        rc = window_page(p, v, n, page, want, err);
    else
        for (size_t i = 0; i < n; i++)
            at_task_clear(&v[i].t);
    for (size_t i = 0; v && i < n; i++)
        free(v[i].key);
    free(v);
    return rc;
}

/* Drops the rows read so far (the page keeps its allocation). */
static void
page_clear(at_task_page *page)
{
    for (size_t i = 0; i < page->n; i++)
        at_task_clear(&page->rows[i]);
    page->n = 0;
}

/* A plan that sorts the matches before its LIMIT examines them all, and a
 * window stops that sort with an error rather than the warning of a plan
 * read in order: the window is read all the same. */
static bool
stopped_in_sort(at_db *db, const plan *p, int rc)
{
    return rc < 0 && windowed(p) && db_sort_stopped(db);
}

static int
fetch_page(at_db *db, plan *p, at_task_page *page, at_error *err)
{
    p->cut = false;
    at_task_clear(&p->end);
    strbuf sql = {0};
    arglist a = {0};
    build(&sql, &a, p);
    if (sql.oom || a.oom) {
        sb_free(&sql);
        args_free(&a);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    unsigned want = p->q->limit + 1;
    page->rows = calloc(want, sizeof *page->rows);
    if (!page->rows) {
        sb_free(&sql);
        args_free(&a);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    db_res r;
    int rc = db_query(db, DB_RETRY, sql.p, a.v, (unsigned) a.n, &r, err);
    sb_free(&sql);
    args_free(&a);
    if (rc)
        return stopped_in_sort(db, p, rc) ? fetch_window(db, p, page, want, err) : rc;
    if (range_of(p) == FIN_HALVES) {
        rc = fetch_halves(&r, p, page, want, err);
    } else {
        while (page->n < want && (rc = db_fetch(&r, err)) == 1) {
            if ((rc = at_task_row_list(&r, &page->rows[page->n], err)) != AT_OK)
                break;
            page->n++;
        }
    }
    /* stopped at the window: whatever it found may not be the page, so
     * read the window */
    bool stopped = rc >= 0 ? windowed(p) && r.warnings > 0 : stopped_in_sort(db, p, rc);
    db_res_close(&r);
    if (stopped) {
        page_clear(page);
        return fetch_window(db, p, page, want, err);
    }
    return rc < 0 ? rc : AT_OK;
}

void
at_task_page_free(at_task_page *page)
{
    if (!page)
        return;
    page_clear(page);
    free(page->rows);
    memset(page, 0, sizeof *page);
}

/* How many tasks the plan selects, whatever the cursor, counting no further
 * than cap: the page query's own shape, cut at cap + 1 rows. */
static int
count_rows(at_db *db, const plan *page_plan, unsigned cap, uint64_t *count, int *more,
           at_error *err)
{
    *count = 0;
    *more = 0;
    plan p = *page_plan;
    p.has_cursor = p.backward = false;
    if (plan_empty(&p))
        return AT_OK;
    strbuf sql = {0};
    arglist a = {0};
    bool window = windowed(&p);
    if (!window)
        sb_add(&sql, "SELECT COUNT(*) FROM (");
    add_ranges(&sql, &a, &p, "id", false, (uint64_t) cap + 1);
    if (!window)
        sb_add(&sql, ") counted");
    else /* the matches in a window at most, counted here: a cut count is
          * "at least" */
        add_examined(&sql, &p);
    db_res r;
    int rc = db_query_sb(db, DB_RETRY, &sql, &a, &r, err);
    if (rc)
        return rc;
    while ((rc = db_fetch(&r, err)) == 1)
        *count = window ? *count + 1 : db_u64(&r, 0);
    *more = window && r.warnings > 0;
    db_res_close(&r);
    if (rc < 0)
        return rc;
    if (*count > cap) {
        *count = cap;
        *more = 1;
    }
    return AT_OK;
}

static int
check_cap(unsigned cap, at_error *err)
{
    if (cap > 1000000)
        return at_error_set(err, AT_EINVAL, "count cap must be 1 to 1000000, not %u", cap);
    return AT_OK;
}

/* The page in display order, and its links: a row beyond the page means
 * more that way; a page cut at a window goes on from the window's last
 * task; an empty one after a cursor goes back from that cursor. */
static void
page_links(const at_task_query *q, const plan *p, at_task_page *page)
{
    bool extra = page->n > q->limit;
    if (extra)
        at_task_clear(&page->rows[--page->n]);
    bool on = extra || p->cut; /* more in the reading direction */
    page->window_cut = p->cut && !extra;
    if (p->backward) {
        for (size_t i = 0; i < page->n / 2; i++) {
            at_task t = page->rows[i];
            page->rows[i] = page->rows[page->n - 1 - i];
            page->rows[page->n - 1 - i] = t;
        }
        page->has_prev = on;
        page->has_next = true;
    } else {
        page->has_next = on;
        /* an empty page after a cursor has no row to go back from, but a
         * window's does: its cursor */
        page->has_prev = p->has_cursor && (page->n > 0 || p->cut);
    }
    if (page->n > 0) {
        cursor_encode(q->sort, &page->rows[page->n - 1], page->next, sizeof page->next);
        cursor_encode(q->sort, &page->rows[0], page->prev, sizeof page->prev);
    } else if (p->has_cursor) {
        const char *from = p->backward ? q->before : q->after;
        snprintf(p->backward ? page->next : page->prev, AT_CURSOR_BUF, "%s", from);
    }
    if (page->window_cut)
        cursor_encode(q->sort, &p->end, p->backward ? page->prev : page->next, AT_CURSOR_BUF);
}

static int
list(at_db *db, const at_task_query *q, unsigned cap, at_task_page *page, at_error *err)
{
    memset(page, 0, sizeof *page);
    plan p;
    int rc = check_cap(cap, err);
    if (rc == AT_OK)
        rc = plan_make(db, q, &p, err);
    else
        memset(&p, 0, sizeof p);
    if (rc == AT_OK && !plan_empty(&p)) {
        rc = fetch_page(db, &p, page, err);
        if (rc == AT_OK && p.backward && page->n <= q->limit && !p.cut) {
            /* Fewer rows before the cursor than a page: that is the start
             * of the list, so show the first full page instead. */
            at_task_page_free(page);
            p.has_cursor = p.backward = false;
            rc = fetch_page(db, &p, page, err);
        }
    }
    if (rc == AT_OK && cap) {
        /* No second statement when the page already tells: a first page
         * that is not full (nor cut at a window) holds the whole count,
         * and a page with more rows than the cap shows that the count
         * passes it. */
        if (page->n > cap) {
            page->count = cap;
            page->count_more = 1;
        } else if (!p.has_cursor && page->n <= q->limit && !p.cut) {
            page->count = page->n;
        } else {
            rc = count_rows(db, &p, cap, &page->count, &page->count_more, err);
        }
    }
    if (rc == AT_OK)
        page_links(q, &p, page);
    plan_free(&p);
    if (rc)
        at_task_page_free(page);
    return rc;
}

int
at_task_list(at_db *db, const at_task_query *q, at_task_page *page, at_error *err)
{
    return list(db, q, 0, page, err);
}

int
at_task_list_counted(at_db *db, const at_task_query *q, unsigned cap, at_task_page *page,
                     at_error *err)
{
    if (cap < 1)
        return at_error_set(err, AT_EINVAL, "count cap must be 1 to 1000000, not %u", cap);
    return list(db, q, cap, page, err);
}

int
at_task_count(at_db *db, const at_task_query *q, unsigned cap, uint64_t *count, int *more,
              at_error *err)
{
    *count = 0;
    *more = 0;
    if (cap < 1 || check_cap(cap, err))
        return at_error_set(err, AT_EINVAL, "count cap must be 1 to 1000000, not %u", cap);
    at_task_query cq = *q;
    cq.after = cq.before = NULL;
    cq.limit = 1;
    plan p;
    int rc = plan_make(db, &cq, &p, err);
    if (rc == AT_OK)
        rc = count_rows(db, &p, cap, count, more, err);
    plan_free(&p);
    return rc;
}

/* The plan rows of the user search's resolution, which runs before the
 * list (*out malloc'd). */
static int
explain_users(at_db *db, const at_task_query *q, char **out, at_error *err)
{
    strbuf sql = {0};
    arglist a = {0};
    search_sql keep;
    sb_add(&sql, "EXPLAIN ");
    search_ids_select(&sql, &a, &keep, SEARCH_USERS, "?", da_u64(q->business_id),
                      q->user_search);
    int rc = sb_failed(&sql, &a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                                 : db_explain(db, sql.p, a.v, (unsigned) a.n, out, err);
    sb_free(&sql);
    args_free(&a);
    return rc;
}

/* *out, then more after it (*out grown; more freed). */
static int
append_plan(char **out, char *more, at_error *err)
{
    size_t n = strlen(*out);
    char *joined = realloc(*out, n + strlen(more) + 1);
    if (joined) {
        strcpy(joined + n, more);
        *out = joined;
    }
    free(more);
    return joined ? AT_OK : at_error_set(err, AT_ENOMEM, "out of memory");
}

int
at_task_list_explain(at_db *db, const at_task_query *q, char **out, at_error *err)
{
    *out = NULL;
    plan p;
    int rc = plan_make(db, q, &p, err);
    if (rc) {
        plan_free(&p);
        return rc;
    }
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "EXPLAIN ");
    build(&sql, &a, &p);
    plan_free(&p);
    if (sql.oom || a.oom) {
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
        goto out;
    }
    rc = db_explain(db, sql.p, a.v, (unsigned) a.n, out, err);
    char *users = NULL;
    if (rc == AT_OK && q->user_search && *q->user_search &&
        (rc = explain_users(db, q, &users, err)) == AT_OK)
        rc = append_plan(out, users, err);
    if (rc) {
        free(*out);
        *out = NULL;
    }
out:
    sb_free(&sql);
    args_free(&a);
    return rc;
}
