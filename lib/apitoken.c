/* apitoken.c: per-business API tokens for the HTTP enqueue endpoint. The
 * secret is "atk_" and 64 hex digits; the database holds only its SHA-256,
 * so a copy of the table opens nothing, and a lookup by hash leaks nothing
 * through its timing about the secret (the attacker controls the token,
 * not its hash). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

#include <asynctasks/apitoken.h>

#define PREFIX     "atk_"
#define PREFIX_LEN 4
#define USED_EVERY_S 60 /* last_used_at is written at most this often */

/* One message for every refusal, so that a caller learns nothing about
 * which tokens exist or were revoked. */
static int
refuse(at_error *err)
{
    return at_error_set(err, AT_EDENIED, "the API token is not valid");
}

static int
token_form_ok(const char *t)
{
    if (!t || strlen(t) != PREFIX_LEN + AT_TOKEN_LEN || strncmp(t, PREFIX, PREFIX_LEN) != 0)
        return 0;
    for (const char *p = t + PREFIX_LEN; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int
check_name(const char *name, at_error *err)
{
    return at_text_check("token name", name, AT_NAME_MAX, 0, 0, err);
}

struct create_ctx {
    const at_actor *actor;
    uint64_t business_id;
    const char *name;
    const unsigned char *hash;
    uint64_t id;
};

static int
create_tx(at_db *db, void *vctx, at_error *err)
{
    struct create_ctx *c = vctx;
    db_arg a[] = {da_u64(c->business_id), da_str(c->name), da_blob(c->hash, 32)};
    int rc = db_exec(db, 0,
                     "INSERT INTO api_tokens (business_id, name, token_hash, created_at) "
                     "VALUES (?, ?, ?, UTC_TIMESTAMP(6))",
                     a, AT_COUNT(a), NULL, &c->id, err);
    if (rc == AT_ECONFLICT)
        return at_error_set(err, AT_ECONFLICT,
                            "the business already has a token named '%s' (names are not reused, "
                            "even after a revoke)",
                            c->name);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->business_id, c->actor, "create_token", "api_token", c->id,
                            c->name, NULL, NULL, err);
    return rc;
}

int
at_api_token_create(at_db *db, const at_actor *actor, uint64_t business_id, const char *name,
                    char token[AT_TOKEN_TEXT_BUF], uint64_t *id, at_error *err)
{
    token[0] = 0;
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = check_name(name, err);
    if (rc)
        return rc;
    char secret[AT_TOKEN_LEN + 1];
    if ((rc = at_random_token(secret, err)))
        return rc;
    char text[AT_TOKEN_TEXT_BUF];
    snprintf(text, sizeof text, PREFIX "%s", secret);
    unsigned char hash[32];
    at_sha256(text, strlen(text), hash);
    struct create_ctx c = {actor, business_id, name, hash, 0};
    rc = db_tx(db, false, create_tx, &c, err);
    if (rc == AT_OK) {
        memcpy(token, text, strlen(text) + 1);
        if (id)
            *id = c.id;
    }
    at_wipe(secret, sizeof secret);
    at_wipe(text, sizeof text);
    return rc;
}

struct revoke_ctx {
    const at_actor *actor;
    uint64_t business_id;
    const char *name;
};

static int
revoke_tx(at_db *db, void *vctx, at_error *err)
{
    struct revoke_ctx *c = vctx;
    uint64_t id = 0;
    db_arg a[] = {da_u64(c->business_id), da_str(c->name)};
    int rc = db_query_u64(db, 0,
                          "SELECT id FROM api_tokens WHERE business_id = ? AND name = ? "
                          "AND revoked_at IS NULL FOR UPDATE",
                          a, 2, &id, err);
    if (rc == AT_ENOTFOUND || (rc == AT_OK && id == 0))
        return at_error_set(err, AT_ENOTFOUND, "no live token named '%s' in this business",
                            c->name);
    if (rc)
        return rc;
    db_arg b[] = {da_u64(id)};
    rc = db_exec(db, 0, "UPDATE api_tokens SET revoked_at = UTC_TIMESTAMP(6) WHERE id = ?", b, 1,
                 NULL, NULL, err);
    if (rc == AT_OK)
        rc = at_audit_write(db, c->business_id, c->actor, "revoke_token", "api_token", id,
                            c->name, NULL, NULL, err);
    return rc;
}

int
at_api_token_revoke(at_db *db, const at_actor *actor, uint64_t business_id, const char *name,
                    at_error *err)
{
    int rc = at_actor_check(actor, err);
    if (rc == AT_OK)
        rc = check_name(name, err);
    if (rc)
        return rc;
    struct revoke_ctx c = {actor, business_id, name};
    return db_tx(db, false, revoke_tx, &c, err);
}

#define TOKEN_COLS "k.id, k.business_id, k.name, k.created_at, k.last_used_at, k.revoked_at"

static int
fill(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    at_api_token *t = elem;
    memset(t, 0, sizeof *t);
    t->id = db_u64(r, 0);
    t->business_id = db_u64(r, 1);
    db_copy(r, 2, t->name, sizeof t->name);
    t->created_at = db_time(r, 3);
    t->last_used_at = db_time(r, 4);
    t->revoked_at = db_time(r, 5);
    return AT_OK;
}

int
at_api_token_list(at_db *db, uint64_t business_id, at_api_token **out, size_t *n, at_error *err)
{
    db_arg a[] = {da_u64(business_id)};
    return db_rows(db, DB_RETRY,
                   "SELECT " TOKEN_COLS " FROM api_tokens k WHERE k.business_id = ? "
                   "ORDER BY k.name",
                   a, 1, sizeof **out, fill, (void **) out, n, err);
}

/* The row, the database clock (to decide whether last_used_at needs a
 * write) and the token's business. */
struct found {
    at_api_token *t;
    at_business *b;
    at_time now;
};

static int
fill_found(const db_res *r, void *elem, at_error *err)
{
    struct found *f = elem;
    f->now = db_time(r, 6);
    at_business_fill_at(r, 7, f->b);
    return fill(r, f->t, err);
}

int
at_api_token_check(at_db *db, const char *token, at_api_token *out, at_error *err)
{
    at_business b;
    at_time now;
    return at_api_token_context(db, token, out, &b, &now, err);
}

int
at_api_token_context(at_db *db, const char *token, at_api_token *out, at_business *business,
                     at_time *now, at_error *err)
{
    memset(out, 0, sizeof *out);
    memset(business, 0, sizeof *business);
    *now = 0;
    if (!token_form_ok(token))
        return refuse(err);
    unsigned char hash[32];
    at_sha256(token, strlen(token), hash);
    struct found f = {out, business, 0};
    db_arg a[] = {da_blob(hash, sizeof hash)};
    at_error tmp;
    int rc = db_row(db, DB_RETRY,
                    "SELECT " TOKEN_COLS ", UTC_TIMESTAMP(6), " AT_BUSINESS_COLS
                    " FROM api_tokens k JOIN businesses b ON b.id = k.business_id "
                    "WHERE k.token_hash = ? AND k.revoked_at IS NULL",
                    a, 1, fill_found, &f, "token", &tmp);
    if (rc == AT_ENOTFOUND)
        return refuse(err);
    if (rc)
        return at_error_set(err, rc, "%s", tmp.msg);
    *now = f.now;
    /* Once a minute is enough to tell a used token from a forgotten one,
     * and spares the row a write per request. */
    if (!out->last_used_at || f.now - out->last_used_at >= (at_time) USED_EVERY_S * 1000000) {
        db_arg b[] = {da_u64(out->id)};
        at_error ignore;
        if (db_exec(db, DB_RETRY,
                    "UPDATE api_tokens SET last_used_at = UTC_TIMESTAMP(6) WHERE id = ?", b, 1,
                    NULL, NULL, &ignore) == AT_OK)
            out->last_used_at = f.now;
    }
    return AT_OK;
}
