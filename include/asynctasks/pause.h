/* pause.h: pause rules, and the one evaluator that says whether a task is
 * paused. */
#ifndef ASYNCTASKS_PAUSE_H
#define ASYNCTASKS_PAUSE_H

#include <asynctasks/db.h>
#include <asynctasks/task.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum at_pause_scope { AT_SCOPE_USER = 1, AT_SCOPE_TASK_TYPE = 2 };

typedef struct at_pause_rule {
    uint64_t id;
    uint64_t business_id; /* 0: a platform rule, of every business */
    int scope;
    uint64_t target_id; /* a user id or a task type id */
    char target_name[AT_NAME_BUF];
    char reason[AT_REASON_BUF];
    uint64_t paused_by; /* user id, 0 for the operator */
    char paused_by_name[AT_NAME_BUF];
    at_time paused_at;
    at_time until; /* 0: until resumed */
} at_pause_rule;

/* The live rules of one business at one moment of the database clock
 * (all of them, or those a page needs). */
typedef struct at_pause_set {
    uint64_t business_id;
    at_time now;
    at_pause_rule *rules;
    size_t n;
    int whole; /* 1: these are every live rule of the business at now */
} at_pause_set;

/* How many live rules of each scope a business has, counted up to
 * AT_PAUSE_COUNT_CAP + 1. */
#define AT_PAUSE_COUNT_CAP 100
typedef struct at_pause_counts {
    unsigned users, types;
} at_pause_counts;

/* Pauses targets[0..n) (users or task types of the business) in one
 * transaction, one audit entry each. A target already paused gets the new
 * reason and expiry. until 0: until resumed; else it must lie ahead. */
int at_pause_add(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
                 const uint64_t *targets, size_t n, const char *reason, at_time until,
                 at_error *err);

/* Removes the rule for one target: AT_ENOTFOUND when it is not paused. */
int at_pause_resume(at_db *db, const at_actor *actor, uint64_t business_id, int scope,
                    uint64_t target, at_error *err);

/* Removes every rule of the business. *rules_removed counts live rules
 * removed, *tasks_released the queued tasks they were holding that no
 * platform rule holds, *platform_left (may be NULL) the live platform
 * rules, which it leaves in place. */
int at_pause_resume_all(at_db *db, const at_actor *actor, uint64_t business_id,
                        unsigned *rules_removed, uint64_t *tasks_released,
                        unsigned *platform_left, at_error *err);

/* The platform's rules: a user or a task type paused in every business,
 * present and future, beside the businesses' own rules (a resume of one
 * kind never lifts the other). Only a platform admin, or the operator
 * (actor without user id), may change them: AT_EDENIED otherwise. The
 * same as at_pause_add and at_pause_resume otherwise; the audit entries
 * go to the platform's log. */
int at_platform_pause_add(at_db *db, const at_actor *actor, int scope, const uint64_t *targets,
                          size_t n, const char *reason, at_time until, at_error *err);
int at_platform_pause_resume(at_db *db, const at_actor *actor, int scope, uint64_t target,
                             at_error *err);
/* The platform's live rules and the database clock, freshly (each with
 * business_id 0). */
int at_platform_pause_load(at_db *db, at_pause_set *set, at_error *err);
#define at_pause_rule_platform(r) ((r)->business_id == 0)

/* Reads the business's live rules and the database clock, freshly: its
 * own, then the platform's. */
int at_pause_load(at_db *db, uint64_t business_id, at_pause_set *set, at_error *err);
void at_pause_set_free(at_pause_set *set);

/* What a page needs, at the clock now (the request's), reading O(page)
 * rows whatever the number of rules: at least the live rules that name one
 * of users[0..nusers) or types[0..ntypes) (the users and types of a page's
 * tasks: enough for at_pause_match on them), and, when counts is not NULL,
 * the number of live rules of each scope up to the cap. A business with
 * few live rules (the usual case) has all of them read by one short range
 * read; one with more, those of the targets by a second statement. */
int at_pause_load_for(at_db *db, uint64_t business_id, at_time now, const uint64_t *users,
                      size_t nusers, const uint64_t *types, size_t ntypes, at_pause_set *set,
                      at_pause_counts *counts, at_error *err);
/* At most limit live rules of one scope, in target id order. */
int at_pause_load_scope(at_db *db, uint64_t business_id, at_time now, int scope, unsigned limit,
                        at_pause_set *set, at_error *err);
/* The same for the business and clock of known, taken from known without
 * a statement when it holds every live rule (known->whole). */
int at_pause_load_scope_of(at_db *db, const at_pause_set *known, int scope, unsigned limit,
                           at_pause_set *set, at_error *err);

/* The rules of a business known to have none at all (at_access_more's
 * has_rules 0): a whole, empty set at now, and counts (may be NULL) of 0. */
void at_pause_none(uint64_t business_id, at_time now, at_pause_set *set,
                   at_pause_counts *counts);

/* The evaluator: the rule of set that holds a task of this user and type
 * at set->now, or NULL when none does. User rules win over type rules,
 * then the rule that comes first in the set (a business's rules come
 * oldest first, then the platform's). */
const at_pause_rule *at_pause_match(const at_pause_set *set, uint64_t user_id,
                                    uint64_t task_type_id);

/* Fresh read plus evaluator for one task: *paused 1 and *rule filled
 * (rule may be NULL) when it is held. */
int at_pause_check(at_db *db, uint64_t business_id, uint64_t user_id, uint64_t task_type_id,
                   int *paused, at_pause_rule *rule, at_error *err);

/* What a person reads as a task's status (lib/task_status.c), the same
 * on the screen and the command line: "paused" for a queued task that a
 * rule of rules holds (*held_by is that rule, else NULL), "cancelling" for
 * a running one asked to stop, otherwise its state. rules may be NULL. */
const char *at_task_status(const at_task *t, const at_pause_set *rules,
                           const at_pause_rule **held_by);
/* The rules that may hold the tasks of a page (those naming its queued
 * tasks' users and types), with at_pause_load_for: O(page). */
int at_task_page_rules(at_db *db, uint64_t business_id, at_time now, const at_task_page *page,
                       at_pause_set *rules, at_pause_counts *counts, at_error *err);
/* One task of the business (AT_ENOTFOUND when there is none) and, when it
 * is queued, the rules live at now that name its user or its type (enough
 * for at_task_status), in one statement. at_task_clear(t) and
 * at_pause_set_free(rules) after. */
int at_task_get_held(at_db *db, uint64_t business_id, uint64_t id, at_time now, at_task *t,
                     at_pause_set *rules, at_error *err);
/* The rule in words: "User NAME paused by WHO at TIME UTC, until TIME
 * UTC: REASON" (the target left out without name_target). Returns buf. */
#define AT_RULE_TEXT_BUF (AT_NAME_BUF * 2 + AT_REASON_BUF + 128)
char *at_pause_rule_text(const at_pause_rule *r, int name_target, char *buf, size_t len);

const char *at_scope_str(int scope);
int at_scope_parse(const char *s); /* 0 when unknown; accepts user, type, task_type */

#ifdef __cplusplus
}
#endif
#endif
