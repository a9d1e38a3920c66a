/* business.c: the tenants every other row belongs to. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
at_business_fill(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_business_fill_at(r, 0, elem);
    return AT_OK;
}

void
at_business_fill_at(const db_res *r, unsigned col, at_business *b)
{
    memset(b, 0, sizeof *b);
    b->id = db_u64(r, col);
    db_copy(r, col + 1, b->slug, sizeof b->slug);
    db_copy(r, col + 2, b->name, sizeof b->name);
    b->created_at = db_time(r, col + 3);
}

int
at_business_add(at_db *db, const char *slug, const char *name, uint64_t *id, at_error *err)
{
    int rc = at_check_slug(slug, err);
    if (rc == AT_OK)
        rc = at_text_check("business name", name, AT_NAME_MAX, 0, 0, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(slug), da_str(name)};
    uint64_t newid = 0;
    rc = db_exec(db, 0, "INSERT INTO businesses (slug, name) VALUES (?, ?)", a, 2, NULL, &newid,
                 err);
    if (rc == AT_ECONFLICT)
        return at_error_set(err, AT_ECONFLICT, "business '%s' already exists", slug);
    if (rc)
        return at_error_wrap(err, "add business '%s'", slug);
    if (id)
        *id = newid;
    return AT_OK;
}

int
at_business_get(at_db *db, const char *slug, at_business *out, at_error *err)
{
    int rc = at_check_slug(slug, err);
    if (rc)
        return rc;
    db_arg a[] = {da_str(slug)};
    char what[AT_SLUG_BUF + 16];
    snprintf(what, sizeof what, "business '%s'", slug);
    return db_row(db, DB_RETRY, "SELECT " AT_BUSINESS_COLS " FROM businesses b WHERE b.slug = ?", a,
                  1, at_business_fill, out, what, err);
}

int
at_business_get_by_id(at_db *db, uint64_t id, at_business *out, at_error *err)
{
    db_arg a[] = {da_u64(id)};
    char what[48];
    snprintf(what, sizeof what, "business #%llu", (unsigned long long) id);
    return db_row(db, DB_RETRY, "SELECT " AT_BUSINESS_COLS " FROM businesses b WHERE b.id = ?", a, 1,
                  at_business_fill, out, what, err);
}

int
at_business_list(at_db *db, at_business **out, size_t *n, at_error *err)
{
    return db_rows(db, DB_RETRY, "SELECT " AT_BUSINESS_COLS " FROM businesses b ORDER BY b.slug",
                   NULL, 0, sizeof **out, at_business_fill, (void **) out, n, err);
}
