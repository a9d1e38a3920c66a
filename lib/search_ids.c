/* search_ids.c: a task list search resolved into the ids of what it
 * matches: the business's members whose name holds the term (through the
 * pieces of their names, member_grams.c), or the task types whose name
 * does. Up to SEARCH_IDS_MAX of them the list reads the tasks through
 * those ids; above, matches are dense and it filters the copied name
 * instead (task_list.c).
 *
 * The resolution is one statement of its own, or a column of another
 * statement (search_ids_column): the request's context (access.c) carries
 * it, so that a searched page makes no round trip for it. The column is
 * "count:id,id,...", and the count tells whether every id came through
 * (a server with a small group_concat_max_len cuts the list; the list
 * then resolves the search itself). A user search of one piece that more
 * than SEARCH_IDS_MAX members have is "SEARCH_IDS_MAX + 1:" and no ids,
 * known from the piece's count (member_grams_dense). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
search_ids_select(strbuf *sql, arglist *a, search_sql *keep, int kind, const char *business_sql,
                  db_arg business, const char *search)
{
    at_like_pattern(search, keep->like, sizeof keep->like);
    if (kind == SEARCH_USERS) {
        member_grams_select(sql, a, &keep->grams, business_sql, business, search, keep->like,
                            SEARCH_IDS_MAX + 1);
        return;
    }
    sb_add(sql, "SELECT id FROM task_types WHERE name LIKE ? LIMIT ?");
    args_add(a, da_str(keep->like));
    args_add(a, da_u64(SEARCH_IDS_MAX + 1));
}

void
search_ids_column(strbuf *sql, arglist *a, search_sql *keep, int kind, const char *business_sql,
                  db_arg business, const char *search)
{
    /* a piece more than SEARCH_IDS_MAX members have overflows for sure:
     * its count says so without reading the ids */
    sb_add(sql, "(SELECT IF(");
    if (kind != SEARCH_USERS || !member_grams_dense(sql, a, &keep->grams, business_sql, business,
                                                    search, SEARCH_IDS_MAX))
        sb_add(sql, "FALSE");
    char over[32];
    snprintf(over, sizeof over, ", '%u:', ", SEARCH_IDS_MAX + 1);
    sb_add(sql, over);
    sb_add(sql, "(SELECT CONCAT(COUNT(*), ':', IFNULL(GROUP_CONCAT(r.id), '')) FROM (");
    search_ids_select(sql, a, keep, kind, business_sql, business, search);
    sb_add(sql, ") r)))");
}

/* n ids taken; the set's own overflow rule. */
static void
settle(at_search_ids *out)
{
    out->resolved = 1;
    if (out->n > SEARCH_IDS_MAX) {
        out->overflow = 1;
        out->n = 0;
    }
}

int
search_ids_parse(const char *s, size_t len, at_search_ids *out)
{
    memset(out, 0, sizeof *out);
    if (!s || len == 0 || len > 64 * (SEARCH_IDS_MAX + 2))
        return -1;
    char *text = strndup(s, len);
    if (!text)
        return -1;
    char *p = text, *end;
    errno = 0;
    unsigned long long count = strtoull(p, &end, 10);
    int bad = end == p || *end != ':' || errno || count > SEARCH_IDS_MAX + 1;
    if (!bad && count > SEARCH_IDS_MAX) { /* too many: the ids, if any, are not needed */
        free(text);
        out->n = count;
        settle(out);
        return 0;
    }
    if (!bad && count > 0 && !(out->ids = calloc(count, sizeof *out->ids)))
        bad = 1;
    for (p = end + 1; !bad && out->n < count; p = end + 1) {
        unsigned long long id = strtoull(p, &end, 10);
        bad = end == p || errno || id == 0 || (*end != ',' && *end != 0) ||
              (*end == 0 && out->n + 1 < count);
        if (!bad)
            out->ids[out->n++] = id;
    }
    bad = bad || out->n != count || (count > 0 && *end != 0) || (count == 0 && *p != 0);
    free(text);
    if (bad) {
        at_search_ids_free(out);
        return -1;
    }
    settle(out);
    return 0;
}

int
search_ids_run(at_db *db, const strbuf *sql, const arglist *a, at_search_ids *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    if (sb_failed(sql, a))
        return at_error_set(err, AT_ENOMEM, "out of memory");
    db_res r;
    int rc = db_query(db, DB_RETRY, sql->p, a->v, (unsigned) a->n, &r, err);
    if (rc)
        return rc;
    if (!(out->ids = calloc(SEARCH_IDS_MAX + 1, sizeof *out->ids))) {
        db_res_close(&r);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    while ((rc = db_fetch(&r, err)) == 1 && out->n <= SEARCH_IDS_MAX)
        out->ids[out->n++] = db_u64(&r, 0);
    db_res_close(&r);
    if (rc < 0) {
        at_search_ids_free(out);
        return rc;
    }
    settle(out);
    return AT_OK;
}

void
at_search_ids_free(at_search_ids *s)
{
    if (!s)
        return;
    free(s->ids);
    memset(s, 0, sizeof *s);
}
