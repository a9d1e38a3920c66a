/* demo.h: demonstration data, loaded in bulk. */
#ifndef ASYNCTASKS_DEMO_H
#define ASYNCTASKS_DEMO_H

#include <asynctasks/db.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct at_demo_opts {
    uint64_t tasks;     /* tasks to add over acme and globex */
    unsigned users;     /* generated users per business, besides the named ones */
    unsigned seed;      /* for the pseudo-random spread */
    const char *password; /* every demo login's password */
    /* Called now and then with the tasks written so far. May be NULL. */
    void (*progress)(uint64_t done, uint64_t total, void *ctx);
    void *ctx;
    /* Who loads it, for the audit log; NULL: "cli:demo-data". */
    const at_actor *actor;
} at_demo_opts;

/* Creates (or keeps) the demo businesses acme, globex and initech, the
 * logins admin@example.com (platform admin), alice@example.com (admin of
 * acme and globex), bob@example.com (member of acme), generated users and
 * the task types, then adds opts->tasks tasks to acme and globex. */
int at_demo_load(at_db *db, const at_demo_opts *opts, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
