/* resolve.h: enqueue requests from the names callers know (business slug,
 * user email, task type name), for many tasks at once: the names are
 * looked up in bulk, a few statements per thousand distinct names, and
 * kept for the resolver's life. */
#ifndef ASYNCTASKS_RESOLVE_H
#define ASYNCTASKS_RESOLVE_H

#include <asynctasks/db.h>
#include <asynctasks/error.h>
#include <asynctasks/task.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_task_names {
    const char *business; /* slug */
    const char *user;     /* email of a member of the business */
    const char *type;     /* task type name */
} at_task_names;

typedef struct at_resolver at_resolver;

/* A resolver remembers every name it has looked up, found or not: keep
 * one for one batch of work (a request, a file), not for a process's
 * life, or it would not see names added since. */
int at_resolver_open(at_db *db, at_resolver **out, at_error *err);
void at_resolver_close(at_resolver *r);

/* Fills the ids of reqs[i] from names[i], for n tasks, and checks each
 * request as enqueue will (priority, run-at, payload against its type's
 * parameters, membership of the user in the business), so that a caller
 * that writes them in several transactions knows before the first that
 * every one is good. The caller sets each request's payload, priority
 * and run_at. item_errs (n entries, may be NULL) receives each item's
 * own error (code AT_OK when good), *nbad how many are bad. An unknown
 * email and a user of another business get the same message, so that the
 * answer tells nothing about who uses the platform elsewhere.
 * Returns AT_OK when every item is good; else the first bad item's code
 * with err naming it ("task 3 of 10: ..."), or a failure of the database
 * (then *nbad may be 0). */
int at_resolver_prepare(at_resolver *r, const at_task_names *names, at_enqueue *reqs, size_t n,
                        at_error *item_errs, size_t *nbad, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
