/* idempotency.c: idempotency keys of single enqueues (schema 016).
 *
 * A program that sends a task with a key and, told nothing (a timeout, a
 * lost answer), sends it again must not get a second task. The key is
 * written in the enqueue's own transaction, right after the task's row,
 * into a table whose primary key is (business, key): of two enqueues with
 * one key, the second's INSERT waits for the first's commit and then fails
 * as a duplicate, so its whole transaction rolls back and the first task
 * is the answer. No read precedes the write, so no race lets two through.
 * With the key goes a hash of the request (user, type, priority, run-at,
 * payload): the same key with another request is refused, not mistaken
 * for a retry. A key stands for AT_IDEM_TTL_S; after that it may be used
 * again, and the retention prune removes it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

int
at_idem_key_parse(const char *text, char out[AT_IDEM_KEY_BUF], at_error *err)
{
    out[0] = 0;
    size_t n = text ? strlen(text) : 0;
    /* the quoted form of the HTTP header's draft standard (a structured
     * field's string): the quotes are not part of the key */
    if (n >= 2 && text[0] == '"' && text[n - 1] == '"') {
        text++;
        n -= 2;
    }
    if (n == 0)
        return at_error_set(err, AT_EINVAL, "the idempotency key is empty");
    if (n > AT_IDEM_KEY_MAX)
        return at_error_set(err, AT_EINVAL,
                            "the idempotency key is %zu characters long; at most %d are allowed",
                            n, AT_IDEM_KEY_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) text[i];
        if (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\')
            return at_error_set(err, AT_EINVAL,
                                "the idempotency key may hold only visible ASCII characters "
                                "(no spaces, quotes or backslashes); character %zu is not one",
                                i + 1);
    }
    memcpy(out, text, n);
    out[n] = 0;
    return AT_OK;
}

const char *
at_idem_run_at_text(const char *text)
{
    return text && (text[0] == '+' || strcasecmp(text, "now") == 0) ? text : NULL;
}

void
idem_hash(const at_enqueue *req, unsigned char out[32])
{
    unsigned char body[32];
    at_sha256(req->payload ? req->payload : "", req->payload ? req->payload_len : 0, body);
    unsigned char when[32];
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long) req->run_at);
    const char *w = req->run_at_text ? req->run_at_text : t;
    at_sha256(w, strlen(w), when);
    char head[160];
    int n = snprintf(head, sizeof head, "task 1\n%llu\n%llu\n%d\n%c\n%d\n",
                     (unsigned long long) req->user_id, (unsigned long long) req->task_type_id,
                     req->priority, req->run_at_text ? 't' : 'n', req->payload != NULL);
    unsigned char buf[sizeof head + 64];
    memcpy(buf, head, (size_t) n);
    memcpy(buf + n, body, 32);
    memcpy(buf + n + 32, when, 32);
    at_sha256(buf, (size_t) n + 64, out);
}

int
idem_insert(at_db *db, uint64_t business_id, const char *key, const unsigned char hash[32],
            uint64_t task_id, at_time now, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_str(key), da_blob(hash, 32), da_u64(task_id),
                  da_time(now)};
    return db_exec(db, 0,
                   "INSERT INTO idempotency_keys (business_id, idem_key, request_hash, task_id, "
                   "created_at) VALUES (?, ?, ?, ?, ?)",
                   a, AT_COUNT(a), NULL, NULL, err);
}

struct found {
    uint64_t task_id;
    int same, expired, exists;
};

static int
fill_found(const db_res *r, void *elem, at_error *err)
{
    (void) err;
    struct found *f = elem;
    f->task_id = db_u64(r, 0);
    f->same = (int) db_i64(r, 1);
    f->expired = (int) db_i64(r, 2);
    f->exists = (int) db_i64(r, 3);
    return AT_OK;
}

int
idem_lookup(at_db *db, uint64_t business_id, const char *key, const unsigned char hash[32],
            uint64_t *task_id, int *state, at_error *err)
{
    db_arg a[] = {da_blob(hash, 32), da_u64(AT_IDEM_TTL_S), da_u64(business_id), da_str(key)};
    struct found f;
    int rc = db_row(db, DB_RETRY,
                    "SELECT k.task_id, k.request_hash = ?, "
                    "k.created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND, t.id IS NOT NULL "
                    "FROM idempotency_keys k LEFT JOIN tasks t ON t.id = k.task_id "
                    "AND t.business_id = k.business_id WHERE k.business_id = ? AND k.idem_key = ?",
                    a, AT_COUNT(a), fill_found, &f, "idempotency key", err);
    *task_id = 0;
    if (rc == AT_ENOTFOUND) {
        *state = IDEM_NONE;
        return AT_OK;
    }
    if (rc)
        return rc;
    *task_id = f.task_id;
    *state = f.expired ? IDEM_EXPIRED : !f.same ? IDEM_OTHER : !f.exists ? IDEM_GONE : IDEM_SAME;
    return AT_OK;
}

int
idem_forget_expired(at_db *db, uint64_t business_id, const char *key, at_error *err)
{
    db_arg a[] = {da_u64(business_id), da_str(key), da_u64(AT_IDEM_TTL_S)};
    return db_exec(db, 0,
                   "DELETE FROM idempotency_keys WHERE business_id = ? AND idem_key = ? "
                   "AND created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
                   a, AT_COUNT(a), NULL, NULL, err);
}

int
idem_prune(at_db *db, unsigned batch, bool dry_run, uint64_t *removed, at_error *err)
{
    *removed = 0;
    db_arg a[] = {da_u64(AT_IDEM_TTL_S), da_u64(batch)};
    if (dry_run)
        return db_query_u64(db, DB_RETRY,
                            "SELECT COUNT(*) FROM idempotency_keys "
                            "WHERE created_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
                            a, 1, removed, err);
    for (;;) {
        uint64_t n = 0;
        int rc = db_exec(db, DB_RETRY,
                         "DELETE FROM idempotency_keys WHERE created_at < UTC_TIMESTAMP(6) - "
                         "INTERVAL ? SECOND ORDER BY created_at LIMIT ?",
                         a, AT_COUNT(a), &n, NULL, err);
        if (rc)
            return rc;
        *removed += n;
        if (n < batch)
            return AT_OK;
    }
}
