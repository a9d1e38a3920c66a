/* strbuf.c: growing strings and argument lists, for statements whose shape
 * (not content) varies: IN lists, optional filters, sort orders. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
sb_add(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void
sb_placeholders(strbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_add(b, i ? ", ?" : "?");
}

/* Statement shapes. A statement whose placeholders follow a count n (an
 * IN list, rows of values) is prepared and cached once per text (db.c),
 * so one text per n would fill a connection's cache over hours with
 * rarely used statements, each holding memory in this process and in the
 * server. So such counts are rounded up to a class, the next power of
 * two: an executor's statements take a handful of shapes, all seen in its
 * first minutes, and its memory stays flat (docs/ARCHITECTURE.md,
 * "Statement shapes"). */
size_t
sb_class(size_t n)
{
    size_t c = 1;
    while (c < n)
        c *= 2;
    return n ? c : 0;
}

void
sb_in_list(strbuf *b, arglist *a, size_t n)
{
    size_t c = sb_class(n);
    sb_placeholders(b, c);
    for (size_t i = n; i < c && a->n > 0; i++)
        args_add(a, a->v[a->n - 1]);
}

void
args_repeat_row(arglist *a, size_t ncols)
{
    size_t from = a->n >= ncols ? a->n - ncols : 0, to = a->n;
    for (size_t i = from; i < to; i++)
        args_add(a, a->v[i]);
}

void
args_nulls(arglist *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        args_add(a, da_null());
}

void
sb_free(strbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void
args_add(arglist *l, db_arg a)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        db_arg *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = a;
}

void
args_free(arglist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Rows of bound values as a derived table: "(SELECT CAST(? AS T) AS c,
 * ... UNION ALL SELECT CAST(? AS T), ...)". Each column is "name TYPE";
 * the casts give every column its type whatever the values bound. */
void
sb_rows(strbuf *b, const char *const *cols, size_t ncols, size_t nrows)
{
    sb_add(b, "(");
    for (size_t r = 0; r < nrows; r++) {
        sb_add(b, r ? " UNION ALL SELECT " : "SELECT ");
        for (size_t c = 0; c < ncols; c++) {
            const char *sp = strchr(cols[c], ' ');
            char name[64];
            size_t nl = sp ? (size_t) (sp - cols[c]) : strlen(cols[c]);
            if (nl >= sizeof name)
                nl = sizeof name - 1;
            memcpy(name, cols[c], nl);
            name[nl] = 0;
            sb_add(b, c ? ", CAST(? AS " : "CAST(? AS ");
            sb_add(b, sp ? sp + 1 : "CHAR");
            sb_add(b, ")");
            if (r == 0) {
                sb_add(b, " AS ");
                sb_add(b, name);
            }
        }
    }
    sb_add(b, ")");
}

bool
sb_failed(const strbuf *b, const arglist *a)
{
    return b->oom || (a && a->oom);
}

int
db_exec_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, uint64_t *affected,
           uint64_t *insert_id, at_error *err)
{
    int rc = sb_failed(sql, a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                               : db_exec(db, flags, sql->p, a ? a->v : NULL,
                                         a ? (unsigned) a->n : 0, affected, insert_id, err);
    sb_free(sql);
    if (a)
        args_free(a);
    return rc;
}

int
db_rows_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, size_t elem_size,
           db_fill_fn fill, void **out, size_t *n, at_error *err)
{
    int rc = sb_failed(sql, a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                               : db_rows(db, flags, sql->p, a ? a->v : NULL,
                                         a ? (unsigned) a->n : 0, elem_size, fill, out, n, err);
    sb_free(sql);
    if (a)
        args_free(a);
    return rc;
}

int
db_query_sb(struct at_db *db, unsigned flags, strbuf *sql, arglist *a, db_res *r, at_error *err)
{
    int rc = sb_failed(sql, a) ? at_error_set(err, AT_ENOMEM, "out of memory")
                               : db_query(db, flags, sql->p, a ? a->v : NULL,
                                          a ? (unsigned) a->n : 0, r, err);
    sb_free(sql);
    if (a)
        args_free(a);
    return rc;
}
