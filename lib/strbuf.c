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
