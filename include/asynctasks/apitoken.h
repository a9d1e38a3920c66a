/* apitoken.h: per-business API tokens for the HTTP enqueue endpoint. */
#ifndef ASYNCTASKS_APITOKEN_H
#define ASYNCTASKS_APITOKEN_H

#include <asynctasks/business.h>
#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_TOKEN_TEXT_BUF 80 /* "atk_" + 64 hex digits + NUL, with room */

typedef struct at_api_token {
    uint64_t id;
    uint64_t business_id;
    char name[AT_NAME_BUF];
    at_time created_at;
    at_time last_used_at; /* 0: never */
    at_time revoked_at;   /* 0: live */
} at_api_token;

/* Creates a token for the business; the secret text is written to
 * token (only its SHA-256 is stored, so this is the one chance to see
 * it). Audited. */
int at_api_token_create(at_db *db, const at_actor *actor, uint64_t business_id, const char *name,
                        char token[AT_TOKEN_TEXT_BUF], uint64_t *id, at_error *err);
/* Revokes by name. Audited. */
int at_api_token_revoke(at_db *db, const at_actor *actor, uint64_t business_id, const char *name,
                        at_error *err);
int at_api_token_list(at_db *db, uint64_t business_id, at_api_token **out, size_t *n,
                      at_error *err);
/* The live token with this text: AT_EDENIED (one message for unknown,
 * revoked and malformed tokens) or AT_OK with *out filled. */
int at_api_token_check(at_db *db, const char *token, at_api_token *out, at_error *err);
/* The same, and in the same statement the token's business and the
 * database clock: a request's whole context. */
int at_api_token_context(at_db *db, const char *token, at_api_token *out, at_business *business,
                         at_time *now, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
