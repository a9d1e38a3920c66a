/* resolve.c: enqueue requests from names, for many tasks at once
 * (resolve.h). Looking up 1,000 tasks' business, user and type one by one
 * would cost 3,000 statements; here each kind of name costs one statement
 * per thousand distinct names not seen before, membership one more, and
 * each task type's parameters one, all remembered for the resolver's life.
 *
 * A batch of names travels as one JSON array, bound as one argument, and
 * JSON_TABLE turns it into a table joined to the unique index of the
 * names: the statement text is constant, the database compares names with
 * its own collation (as the single lookups do), and each row says by its
 * position which name it answers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include <asynctasks/resolve.h>

#define BATCH   1000       /* names in one statement */
#define PENDING UINT64_MAX /* asked for, not answered yet */
#define XSTR(x) STR(x)
#define STR(x)  #x

enum kind { K_BUSINESS, K_USER, K_TYPE, K_COUNT };

#define NAMES_TABLE(len)                                                                           \
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (pos FOR ORDINALITY, name VARCHAR(" len ") PATH '$')) j "

static const char *const lookup_sql[K_COUNT] = {
    "SELECT j.pos, b.id " NAMES_TABLE(XSTR(AT_SLUG_MAX)) "JOIN businesses b ON b.slug = j.name",
    "SELECT j.pos, u.id " NAMES_TABLE(XSTR(AT_NAME_MAX)) "JOIN users u ON u.email = j.name",
    "SELECT j.pos, t.id " NAMES_TABLE(
        XSTR(AT_TYPE_NAME_MAX)) "JOIN task_types t ON t.name = j.name",
};

static const char members_sql[] =
    "SELECT j.pos, 1 FROM JSON_TABLE(?, '$[*]' COLUMNS (pos FOR ORDINALITY, "
    "b BIGINT UNSIGNED PATH '$[0]', u BIGINT UNSIGNED PATH '$[1]')) j "
    "JOIN memberships m ON m.business_id = j.b AND m.user_id = j.u";

struct type_decls {
    at_param_decl *d;
    size_t n;
};

struct at_resolver {
    at_db *db;
    namemap ids[K_COUNT]; /* name -> id; 0: there is none */
    namemap members;      /* (business id, user id) -> 1 member, 0 not */
    namemap decls;        /* type id -> 1 + its index in types */
    struct type_decls *types;
    size_t ntypes;
};

/* A membership question, as the key of the members map. */
struct pair {
    uint64_t business_id, user_id;
};

/* One answer of a lookup: the position of the name asked, and its id. */
struct hit {
    uint64_t pos, id;
};

static int
oom(at_error *err)
{
    return at_error_set(err, AT_ENOMEM, "out of memory");
}

int
at_resolver_open(at_db *db, at_resolver **out, at_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return oom(err);
    (*out)->db = db;
    return AT_OK;
}

void
at_resolver_close(at_resolver *r)
{
    if (!r)
        return;
    for (int k = 0; k < K_COUNT; k++)
        namemap_free(&r->ids[k]);
    namemap_free(&r->members);
    namemap_free(&r->decls);
    for (size_t i = 0; i < r->ntypes; i++)
        free(r->types[i].d);
    free(r->types);
    free(r);
}

/* ---- the lookups ---- */

static void
json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* The JSON array of n names, or of n pairs when pairs is set. */
static int
json_array(const char *const *names, const struct pair *pairs, size_t n, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    if (!f)
        return -1;
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        if (pairs)
            fprintf(f, "[%llu,%llu]", (unsigned long long) pairs[i].business_id,
                    (unsigned long long) pairs[i].user_id);
        else
            json_string(f, names[i]);
    }
    fputc(']', f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int
fill_hit(const db_res *res, void *elem, at_error *err)
{
    struct hit *h = elem;
    h->pos = db_u64(res, 0);
    h->id = db_u64(res, 1);
    return AT_OK;
}

/* The value of the i-th key asked (which the asker has put). */
static uint64_t *
key_value(namemap *map, const char *const *names, const struct pair *pairs, size_t i)
{
    if (pairs)
        return namemap_get(map, &pairs[i], sizeof *pairs);
    return namemap_get(map, names[i], strlen(names[i]));
}

/* Asks one statement for the ids of n keys (names, or pairs) and records
 * the answers in map: the id found, 0 for a key nobody has. */
static int
lookup(at_resolver *r, const char *sql, namemap *map, const char *const *names,
       const struct pair *pairs, size_t n, at_error *err)
{
    char *json;
    size_t jlen;
    if (json_array(names, pairs, n, &json, &jlen))
        return oom(err);
    db_arg a[] = {da_strn(json, jlen)};
    struct hit *hits = NULL;
    size_t nhits = 0;
    int rc =
        db_rows(r->db, DB_RETRY, sql, a, 1, sizeof *hits, fill_hit, (void **) &hits, &nhits, err);
    free(json);
    for (size_t i = 0; rc == AT_OK && i < nhits; i++)
        if (hits[i].pos >= 1 && hits[i].pos <= n)
            *key_value(map, names, pairs, (size_t) hits[i].pos - 1) = hits[i].id;
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        uint64_t *v = key_value(map, names, pairs, i);
        if (*v == PENDING) /* nobody has it */
            *v = 0;
    }
    free(hits);
    return rc;
}

/* Looks up the keys in batches. */
static int
lookup_all(at_resolver *r, const char *sql, namemap *map, const char **names, struct pair *pairs,
           size_t n, at_error *err)
{
    int rc = AT_OK;
    for (size_t at = 0; rc == AT_OK && at < n; at += BATCH)
        rc = lookup(r, sql, map, names ? names + at : NULL, pairs ? pairs + at : NULL,
                    n - at < BATCH ? n - at : BATCH, err);
    return rc;
}

/* ---- the names of each task ---- */

static const char *
name_of(const at_task_names *t, int k)
{
    return k == K_BUSINESS ? t->business : k == K_USER ? t->user : t->type;
}

static int
check_name(int k, const char *s, at_error *e)
{
    static const char *const what[K_COUNT] = {"business", "user's email", "task type"};
    if (!s || !*s)
        return at_error_set(e, AT_EINVAL, "the %s is missing", what[k]);
    if (k == K_BUSINESS)
        return at_check_slug(s, e);
    return k == K_USER ? at_check_email(s, e) : at_check_type_name(s, e);
}

/* Checks the names of kind k and looks up those not seen before. */
static int
resolve_kind(at_resolver *r, int k, const at_task_names *names, size_t n, at_error *errs,
             const char **want, at_error *err)
{
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = name_of(&names[i], k);
        if (errs[i].code || check_name(k, s, &errs[i]))
            continue;
        if (namemap_get(&r->ids[k], s, strlen(s)))
            continue;
        if (!namemap_put(&r->ids[k], s, strlen(s), PENDING))
            return oom(err);
        want[nwant++] = s;
    }
    return lookup_all(r, lookup_sql[k], &r->ids[k], want, NULL, nwant, err);
}

static uint64_t
id_of(const at_resolver *r, int k, const char *s)
{
    return *namemap_get(&r->ids[k], s, strlen(s));
}

static void
not_a_member(const at_task_names *t, at_error *e)
{
    at_error_set(e, AT_ENOTFOUND, "user '%s' is not a member of business '%s'", t->user,
                 t->business);
}

static int
resolve_ids(at_resolver *r, const at_task_names *names, at_enqueue *reqs, size_t n, at_error *errs,
            at_error *err)
{
    const char **want = malloc(n * sizeof *want);
    if (!want)
        return oom(err);
    int rc = AT_OK;
    for (int k = 0; rc == AT_OK && k < K_COUNT; k++)
        rc = resolve_kind(r, k, names, n, errs, want, err);
    free(want);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        if (errs[i].code)
            continue;
        const at_task_names *t = &names[i];
        reqs[i].business_id = id_of(r, K_BUSINESS, t->business);
        reqs[i].user_id = id_of(r, K_USER, t->user);
        reqs[i].task_type_id = id_of(r, K_TYPE, t->type);
        if (!reqs[i].business_id)
            at_error_set(&errs[i], AT_ENOTFOUND, "no business '%s'", t->business);
        else if (!reqs[i].user_id)
            not_a_member(t, &errs[i]); /* as for a user of another business */
        else if (!reqs[i].task_type_id)
            at_error_set(&errs[i], AT_ENOTFOUND, "no task type '%s'", t->type);
    }
    return rc;
}

static int
resolve_members(at_resolver *r, const at_task_names *names, const at_enqueue *reqs, size_t n,
                at_error *errs, at_error *err)
{
    struct pair *want = malloc(n * sizeof *want);
    if (!want)
        return oom(err);
    size_t nwant = 0;
    int rc = AT_OK;
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        struct pair p = {reqs[i].business_id, reqs[i].user_id};
        if (errs[i].code || namemap_get(&r->members, &p, sizeof p))
            continue;
        if (!namemap_put(&r->members, &p, sizeof p, PENDING)) {
            rc = oom(err);
            break;
        }
        want[nwant++] = p;
    }
    if (rc == AT_OK)
        rc = lookup_all(r, members_sql, &r->members, NULL, want, nwant, err);
    free(want);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        struct pair p = {reqs[i].business_id, reqs[i].user_id};
        if (!errs[i].code && !*namemap_get(&r->members, &p, sizeof p))
            not_a_member(&names[i], &errs[i]);
    }
    return rc;
}

/* ---- the checks enqueue makes ---- */

/* The declared parameters of a type, read once. */
static int
type_decls(at_resolver *r, uint64_t type_id, const struct type_decls **out, at_error *err)
{
    uint64_t *at = namemap_get(&r->decls, &type_id, sizeof type_id);
    if (at) {
        *out = &r->types[*at - 1];
        return AT_OK;
    }
    struct type_decls *v = realloc(r->types, (r->ntypes + 1) * sizeof *v);
    if (!v)
        return oom(err);
    r->types = v;
    struct type_decls *t = &r->types[r->ntypes];
    int rc = at_task_type_params(r->db, type_id, &t->d, &t->n, err);
    if (rc == AT_ENOTFOUND) /* gone meanwhile: enqueue will say so */
        rc = AT_OK;
    if (rc)
        return rc;
    if (!namemap_put(&r->decls, &type_id, sizeof type_id, r->ntypes + 1)) {
        free(t->d);
        return oom(err);
    }
    r->ntypes++;
    *out = t;
    return AT_OK;
}

static int
check_requests(at_resolver *r, const at_enqueue *reqs, size_t n, at_error *errs, at_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct type_decls *t = NULL;
        if (errs[i].code)
            continue;
        int rc = type_decls(r, reqs[i].task_type_id, &t, err);
        if (rc)
            return rc;
        at_task_check_request(&reqs[i], t->d, t->n, &errs[i]);
    }
    return AT_OK;
}

/* Counts the bad items and names the first in err. */
static int
summarize(const at_error *errs, size_t n, size_t *nbad, at_error *err)
{
    size_t first = n;
    *nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (errs[i].code && (*nbad)++ == 0)
            first = i;
    if (*nbad == 0)
        return AT_OK;
    return at_error_items(err, &errs[first], first, *nbad, n);
}

int
at_resolver_prepare(at_resolver *r, const at_task_names *names, at_enqueue *reqs, size_t n,
                    at_error *item_errs, size_t *nbad, at_error *err)
{
    *nbad = 0;
    if (n == 0)
        return AT_OK;
    at_error *errs = item_errs ? item_errs : malloc(n * sizeof *errs);
    if (!errs)
        return oom(err);
    memset(errs, 0, n * sizeof *errs);
    int rc = resolve_ids(r, names, reqs, n, errs, err);
    if (rc == AT_OK)
        rc = resolve_members(r, names, reqs, n, errs, err);
    if (rc == AT_OK)
        rc = check_requests(r, reqs, n, errs, err);
    if (rc == AT_OK)
        rc = summarize(errs, n, nbad, err);
    if (errs != item_errs)
        free(errs);
    return rc;
}
