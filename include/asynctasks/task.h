/* task.h: tasks: enqueue, read, list, edit, delete. The record itself is
 * task_record.h. */
#ifndef ASYNCTASKS_TASK_H
#define ASYNCTASKS_TASK_H

#include <asynctasks/db.h>
#include <asynctasks/task_record.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_PAYLOAD_COMPRESS 1024u /* payloads above this are zlib-compressed */

typedef struct at_enqueue {
    uint64_t business_id;
    uint64_t user_id;      /* must be a member of the business */
    uint64_t task_type_id; /* must be registered */
    const char *payload;   /* UTF-8 text, may be NULL */
    size_t payload_len;
    int priority;   /* AT_PRIORITY_MIN..MAX, higher runs first */
    at_time run_at; /* 0: now */
    /* NULL, or an idempotency key (at_idem_key_parse'd; single enqueues
     * only): the same key within AT_IDEM_TTL_S in the same business gives
     * the first task back instead of a second one, the same key with
     * another request (user, type, priority, run-at, payload) is
     * AT_ECONFLICT, as is a key whose task has been deleted since */
    const char *idem_key;
    /* with a key: run_at as the caller wrote it ("+1h"), which the key's
     * request is compared by instead of run_at, so that a request sent
     * again with a relative time is the same request; NULL: run_at */
    const char *run_at_text;
} at_enqueue;

int at_task_enqueue(at_db *db, const at_enqueue *req, uint64_t *id, at_error *err);
/* The same; *existing (may be NULL) is 1 when req's idempotency key gave
 * back the task it was first used for, 0 for a new task. */
int at_task_enqueue_keyed(at_db *db, const at_enqueue *req, uint64_t *id, int *existing,
                          at_error *err);
/* An idempotency key as a program sends it: the key alone, or in double
 * quotes (the quotes are dropped); checked, into out. AT_EINVAL with
 * what is wrong. */
int at_idem_key_parse(const char *text, char out[AT_IDEM_KEY_BUF], at_error *err);
/* A run-at as written, for at_enqueue.run_at_text: text when it is
 * relative ("now", "+N..."), which comes out another time at each
 * sending; NULL for an absolute one, compared by its value. */
const char *at_idem_run_at_text(const char *text);

/* Enqueues one task whose user is named by email and whose type by name
 * (the HTTP API's way): the names are resolved by the enqueue's own
 * statement, so it costs no lookups of its own. req's user_id and
 * task_type_id are not read. An email that is not a member of the
 * business is AT_ENOTFOUND "user '...' is not a member of this business",
 * an unknown type AT_ENOTFOUND "no task type '...'", malformed names
 * AT_EINVAL. On success *out is the task as written (at_task_clear it),
 * and *held is 1 when a live pause rule names its user or its type: its
 * status is then "paused", and which rule says so is read with the
 * task. With req->idem_key, *existing (may be NULL) is 1 when the key
 * gave back the task it was first used for: then only out->id is set
 * (the caller reads the task as it is now). */
int at_task_enqueue_named(at_db *db, const at_enqueue *req, const char *user_email,
                          const char *type_name, at_task *out, int *held, int *existing,
                          at_error *err);

/* Enqueues n tasks (1..AT_ENQUEUE_MANY_MAX) in one transaction: all or
 * none. Every item is checked; when any is bad nothing is written, err
 * names the first ("task 3 of 10: ...") and item_errs (n entries, may be
 * NULL) holds each item's own error (code AT_OK for good ones). ids (n
 * entries, may be NULL) receives the new ids in order. The executors are
 * woken once. Items take no idempotency key (AT_EINVAL). */
int at_task_enqueue_many(at_db *db, const at_enqueue *reqs, size_t n, uint64_t *ids,
                         at_error *item_errs, at_error *err);

/* Reads one task of the business, payload decompressed. */
int at_task_get(at_db *db, uint64_t business_id, uint64_t id, at_task *out, at_error *err);

/* What an edit changes; a NULL / has_ field left 0 keeps the old value. */
typedef struct at_task_edit {
    int has_priority;
    int priority;
    int has_run_at;
    at_time run_at;
    const char *payload;
    size_t payload_len;
} at_task_edit;

/* Edits a queued task if its version is still expect_version: else
 * AT_ECONFLICT (changed meanwhile) or AT_ESTATE (started or finished),
 * and nothing is written. Audited. */
int at_task_update(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                   unsigned expect_version, const at_task_edit *edit, at_error *err);

/* Deletes a task that is not running; for a running one records a cancel
 * request instead (*cancel_requested = 1). Audited. */
int at_task_delete(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                   int *cancel_requested, at_error *err);

/* The row actions on one task besides Edit and Delete. */
enum at_task_action {
    AT_ACTION_RETRY = 1, /* a failed or cancelled task: queued again, a new attempts budget */
    AT_ACTION_RUN_NOW,   /* a queued task whose run-at is still to come: due now */
    AT_ACTION_DISCARD,   /* a finished task: removed */
    AT_ACTION_CANCEL,    /* a queued task: cancelled; a running one: asked to stop */
    AT_ACTION_DELETE     /* any task: removed, or asked to stop when running (at_task_delete) */
};

/* The one rule of which action applies to which task: NULL when action
 * applies to t at the database time now, else why not, in words, written
 * into buf ("task #7 is running: only a failed or cancelled task can be
 * retried"). The library applies it under the task's row lock; the screen
 * and the command line use it to offer the actions. */
const char *at_task_action_refusal(const at_task *t, int action, at_time now, char *buf,
                                   size_t len);
const char *at_task_action_str(int action); /* "retry", "run-now", "discard", "cancel", "delete" */
int at_task_action_parse(const char *s);    /* 0 when unknown */

/* Retry: a failed or cancelled task goes back to queued, due now, with as
 * many attempts again as its type allows (max_attempts becomes its
 * attempts so far plus the type's limit); its attempts stay on record and
 * the next is numbered after them. It enters its lane, held when a live
 * rule names its user or type. Audited. AT_ESTATE, and nothing written,
 * when the task is in another state by the time its row is locked. */
int at_task_retry(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                  at_error *err);
/* Run now: a queued task whose run-at (a retry's backoff, or a time it
 * was given) is still to come becomes due now. A pause that holds it
 * still holds it. Audited; AT_ESTATE when it is not queued or already
 * due. */
int at_task_run_now(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                    at_error *err);
/* Discard: removes a finished task (succeeded, failed or cancelled), as
 * Delete does, but never anything else: AT_ESTATE for a queued or
 * running task. Audited. */
int at_task_discard(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                    at_error *err);
/* Cancel: a queued task (held or not) becomes cancelled, finished now,
 * and leaves its lane; a running one gets a cancel request, as Delete
 * gives it. Audited; AT_ESTATE for a finished task or a running one asked
 * already. */
int at_task_cancel(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                   at_error *err);
/* One of them by its enum at_task_action (Delete: at_task_delete). */
int at_task_act(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id, int action,
                at_error *err);

/* Listing: one business, sorted, searched, keyset-paginated. */
enum at_sort { AT_SORT_CREATED = 0, AT_SORT_USER, AT_SORT_TYPE };
enum at_filter { AT_FILTER_PENDING = 0, AT_FILTER_FINISHED, AT_FILTER_ALL };

#define AT_CURSOR_BUF  (AT_NAME_BUF * 2 + 48)
#define AT_LIST_MAX    500 /* largest page */
#define AT_SEARCH_MAX  100 /* characters */

/* The ids that a list search matches, found before the list (a column of
 * the request's context, at_access_load_more): resolved 1 when they were;
 * overflow 1 when they are more than the list reads by id (then n is 0);
 * ids malloc'd (at_search_ids_free). */
typedef struct at_search_ids {
    int resolved;
    int overflow;
    size_t n;
    uint64_t *ids;
} at_search_ids;
void at_search_ids_free(at_search_ids *s);

typedef struct at_task_query {
    uint64_t business_id;
    int sort;   /* enum at_sort */
    int desc;   /* 1: descending */
    int filter; /* enum at_filter: pending = queued or running */
    const char *user_search; /* part of the user's name, may be NULL */
    const char *type_search; /* part of the task type's name, may be NULL */
    const char *after;  /* cursor: the page after this one */
    const char *before; /* cursor: the page before this one */
    unsigned limit;     /* 1..AT_LIST_MAX */
    /* user_search and type_search resolved beforehand for this business,
     * or NULL (or not resolved) for the list to resolve them */
    const at_search_ids *user_ids, *type_ids;
} at_task_query;

typedef struct at_task_page {
    at_task *rows; /* without payload */
    size_t n;
    int has_next, has_prev;
    char next[AT_CURSOR_BUF]; /* cursor of the last row, for "after" */
    char prev[AT_CURSOR_BUF]; /* cursor of the first row, for "before" */
    uint64_t count; /* at_task_list_counted: what q selects (cursors aside), up to the cap */
    int count_more; /* ... and 1 when there are more than that */
    /* 1: a searched page whose matches are sparse was searched through a
     * window of rows that ended before the page was full; the link in the
     * reading direction (next, or prev going back) searches on from there */
    int window_cut;
} at_task_page;

int at_task_list(at_db *db, const at_task_query *q, at_task_page *page, at_error *err);
/* The same page, and page->count: how many tasks q selects, counted no
 * further than cap (page->count_more 1 when there are more), through the
 * same plan, so that a search is resolved once. A bounded count, never a
 * scan; a first page that holds them all needs no count at all. */
int at_task_list_counted(at_db *db, const at_task_query *q, unsigned cap, at_task_page *page,
                         at_error *err);

/* How many tasks q selects (cursors and limit ignored), counting no further
 * than cap: *count is then cap and *more 1. The count costs O(cap). */
int at_task_count(at_db *db, const at_task_query *q, unsigned cap, uint64_t *count, int *more,
                  at_error *err);
void at_task_page_free(at_task_page *page);

/* The totals a business admin sees, exact, read in O(1). */
typedef struct at_task_counts {
    uint64_t queued;         /* waiting to run, held by no rule */
    uint64_t paused;         /* queued and held by a live pause rule */
    uint64_t running;
    uint64_t failed;         /* in state failed */
    uint64_t finished_today; /* finished since 00:00 UTC, whatever the outcome */
    int64_t max_running;     /* the business's own cap on running tasks: AT_CAP_DEFAULT (-1)
                              * when the configured default applies, 0 for no cap */
} at_task_counts;

int at_task_counts_get(at_db *db, uint64_t business_id, at_task_counts *out, at_error *err);

/* The database's plan for reading them, like at_task_list_explain. */
int at_task_counts_explain(at_db *db, uint64_t business_id, char **plan, at_error *err);

/* Recomputes a business's lanes and totals from its tasks and rules (and
 * the counts of its members' name pieces, from the pieces), with
 * its claims and changes held off meanwhile; before and after (may be
 * NULL) are the totals as they were and as they are. For repairs: after a
 * restore, or writes to the tables that bypassed the library. */
int at_counts_rebuild(at_db *db, uint64_t business_id, at_task_counts *before,
                      at_task_counts *after, at_error *err);
/* The same for every business. */
int at_counts_rebuild_all(at_db *db, at_error *err);
/* Compares without writing: the stored totals, the totals counted from
 * the tasks, and how many lanes disagree with their tasks or rules (or are
 * missing). Meaningful when nothing changes meanwhile. */
int at_counts_verify(at_db *db, uint64_t business_id, at_task_counts *stored,
                     at_task_counts *actual, uint64_t *bad_lanes, at_error *err);
/* How many pieces of its members' names have a count (of the members who
 * have the piece, which the user search reads) that differs from the
 * pieces; at_counts_rebuild makes the counts again. */
int at_member_gram_counts_verify(at_db *db, uint64_t business_id, uint64_t *off,
                                 at_error *err);
/* One run of a task, as the task page shows it. */
typedef struct at_attempt {
    unsigned attempt; /* from 1 */
    uint64_t executor_id;
    char host[256];
    int pid;
    at_time started_at, finished_at; /* finished_at 0: still running */
    char outcome[16]; /* running, succeeded, failed, retry, cancelled, requeued */
    char *error;      /* the first 300 characters, or NULL */
} at_attempt;

/* A page of a task's attempts, newest first: those before attempt before
 * (0: from the newest) or, going back, those after after (reaching the
 * newest that way gives the newest page). Pass older as before= and newer
 * as after=. */
typedef struct at_attempt_page {
    at_attempt *rows;
    size_t n;
    int has_older, has_newer;
    unsigned older, newer; /* the last and the first row's numbers */
} at_attempt_page;
int at_task_attempts(at_db *db, uint64_t business_id, uint64_t task_id, unsigned before,
                     unsigned after, unsigned limit, at_attempt_page *page, at_error *err);
void at_attempt_page_free(at_attempt_page *page);

/* The database's query plan for q, one line per plan row, as
 * "table<TAB>type<TAB>key<TAB>rows<TAB>extra". For operators and tests. */
int at_task_list_explain(at_db *db, const at_task_query *q, char **plan, at_error *err);

const char *at_sort_str(int sort);
int at_sort_parse(const char *s); /* -1 when unknown */
const char *at_filter_str(int filter);
int at_filter_parse(const char *s); /* -1 when unknown */

#ifdef __cplusplus
}
#endif
#endif
