/* model_pause.c: pause rules and their evaluation (expiry included), Resume
 * All, and the audit entries of pause, resume, edit and delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testdb.h"

static at_actor alice = {0, "alice@example.com"};

static int
paused(at_db *db, uint64_t biz, uint64_t user, uint64_t type, at_pause_rule *rule)
{
    int p = -1;
    at_error err = {0};
    if (at_pause_check(db, biz, user, type, &p, rule, &err))
        bail("%s", err.msg);
    return p;
}

/* The business's own entries: its log shows the platform's pauses too,
 * which other tests of the shared database may make. */
static size_t
audit(at_db *db, uint64_t biz, at_audit_entry **v)
{
    size_t n, k = 0;
    at_error err = {0};
    if (at_audit_list(db, biz, 0, 1000, v, &n, &err))
        bail("%s", err.msg);
    for (size_t i = 0; i < n; i++)
        if ((*v)[i].business_id == biz)
            (*v)[k++] = (*v)[i];
    return k;
}

/* The business's own rules, without the platform's. */
static size_t
rule_count(at_db *db, uint64_t biz)
{
    at_pause_set set;
    at_error err = {0};
    if (at_pause_load(db, biz, &set, &err))
        bail("%s", err.msg);
    size_t n = 0;
    for (size_t i = 0; i < set.n; i++)
        n += !at_pause_rule_platform(&set.rules[i]);
    at_pause_set_free(&set);
    return n;
}

/* The evaluator alone, over rule sets made here. */
static void
evaluator(void)
{
    at_pause_rule r[4] = {{0}};
    r[0].id = 1, r[0].scope = AT_SCOPE_TASK_TYPE, r[0].target_id = 7, r[0].paused_at = 100;
    r[1].id = 2, r[1].scope = AT_SCOPE_USER, r[1].target_id = 5, r[1].paused_at = 200;
    r[2].id = 3, r[2].scope = AT_SCOPE_USER, r[2].target_id = 6, r[2].paused_at = 300,
    r[2].until = 1000;
    r[3].id = 4, r[3].scope = AT_SCOPE_TASK_TYPE, r[3].target_id = 7, r[3].paused_at = 400;
    at_pause_set set = {1, 500, r, 4, 1};
    ok(at_pause_match(&set, 9, 9) == NULL, "evaluator: unmatched task runs");
    ok(at_pause_match(&set, 5, 9) == &r[1], "evaluator: user rule holds");
    ok(at_pause_match(&set, 9, 7) == &r[0], "evaluator: type rule holds, the older one first");
    ok(at_pause_match(&set, 5, 7) == &r[1], "evaluator: a user rule wins over a type rule");
    ok(at_pause_match(&set, 6, 9) == &r[2], "evaluator: rule before its expiry holds");
    set.now = 1000;
    ok(at_pause_match(&set, 6, 9) == NULL, "evaluator: rule at its expiry no longer holds");
    set.now = 5000;
    ok(at_pause_match(&set, 6, 9) == NULL, "evaluator: expired rule holds nothing");
    ok(at_pause_match(&set, 5, 9) == &r[1], "evaluator: rule without expiry still holds");
    at_pause_set empty = {1, 500, NULL, 0, 1};
    ok(at_pause_match(&empty, 5, 7) == NULL, "evaluator: no rules, nothing paused");
    at_pause_set none;
    at_pause_counts counts = {7, 7};
    at_pause_none(3, 900, &none, &counts);
    ok(none.business_id == 3 && none.now == 900 && none.whole && none.n == 0 &&
           counts.users == 0 && counts.types == 0 && at_pause_match(&none, 5, 7) == NULL,
       "a business with no rules: a whole, empty set, counted 0, holding nothing");
}

/* Two sets hold the same rules in the same order. */
static int
same_rules(const at_pause_set *a, const at_pause_set *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->rules[i].id != b->rules[i].id)
            return 0;
    return 1;
}

/* A scope's rules taken from a whole set are those read for the scope;
 * from a set that is not whole (more than 64 live rules), they are read. */
static void
scope_of(at_db *db)
{
    at_error err = {0};
    uint64_t biz = testdb_business(db, "pause-scope");
    uint64_t users[80], type = testdb_type(db, "scope-export");
    for (int i = 0; i < 80; i++) {
        char name[32];
        snprintf(name, sizeof name, "Scope User %02d", i);
        users[i] = testdb_user(db, biz, name);
    }
    /* out of id order, so that the order is the function's */
    uint64_t few[3] = {users[7], users[2], users[5]};
    if (at_pause_add(db, &alice, biz, AT_SCOPE_USER, few, 3, "", 0, &err) ||
        at_pause_add(db, &alice, biz, AT_SCOPE_TASK_TYPE, &type, 1, "", 0, &err))
        bail("%s", err.msg);
    for (int round = 0; round < 2; round++) {
        at_pause_set known, got, want;
        at_time now;
        if (at_db_now(db, &now, &err) ||
            at_pause_load_for(db, biz, now, users, 1, &type, 1, &known, NULL, &err))
            bail("%s", err.msg);
        ok(known.whole == (round == 0), "%s live rules: the set is %s", round ? "70" : "4",
           round ? "not whole" : "whole");
        for (int scope = AT_SCOPE_USER; scope <= AT_SCOPE_TASK_TYPE; scope++) {
            unsigned limit = scope == AT_SCOPE_USER ? 2 : 10;
            ok(at_pause_load_scope_of(db, &known, scope, limit, &got, &err) == AT_OK &&
                   at_pause_load_scope(db, biz, now, scope, limit, &want, &err) == AT_OK,
               "%s rules of one scope, both ways", round ? "70" : "4");
            ok(same_rules(&got, &want) && got.n == (scope == AT_SCOPE_USER ? 2u : 1u),
               "the same %zu rules in the same order (scope %d, limit %u)", got.n, scope,
               limit);
            at_pause_set_free(&got);
            at_pause_set_free(&want);
        }
        ok(at_pause_load_scope_of(db, &known, 9, 1, &got, &err) == AT_EINVAL,
           "an unknown scope is refused");
        at_pause_set_free(&known);
        if (round == 0 &&
            at_pause_add(db, &alice, biz, AT_SCOPE_USER, users + 10, 66, "", 0, &err))
            bail("%s", err.msg);
    }
}

/* A task with the rules that may hold it, in one read: only live rules
 * naming its user or its type, oldest first. */
static void
task_held(at_db *db)
{
    at_error err = {0};
    uint64_t biz = testdb_business(db, "pause-held");
    uint64_t other_biz = testdb_business(db, "pause-held-other");
    uint64_t who = testdb_user(db, biz, "Hanna Held"), bystander = testdb_user(db, biz, "Ben By");
    uint64_t type = testdb_type(db, "held-export"), type2 = testdb_type(db, "held-report");
    uint64_t id = testdb_task(db, biz, who, type);
    at_task t;
    at_pause_set rules;
    at_time now;
    if (at_db_now(db, &now, &err))
        bail("%s", err.msg);
    ok(at_task_get_held(db, biz, id, now, &t, &rules, &err) == AT_OK && t.id == id &&
           t.user_id == who && rules.n == 0 &&
           strcmp(at_task_status(&t, &rules, NULL), "queued") == 0,
       "a task no rule names: queued, no rules");
    at_task_clear(&t);
    at_pause_set_free(&rules);
    if (at_pause_add(db, &alice, biz, AT_SCOPE_USER, &bystander, 1, "", 0, &err) ||
        at_pause_add(db, &alice, biz, AT_SCOPE_TASK_TYPE, &type2, 1, "", 0, &err))
        bail("%s", err.msg);
    ok(at_task_get_held(db, biz, id, now, &t, &rules, &err) == AT_OK && rules.n == 0,
       "rules of another user and another type are not read");
    at_task_clear(&t);
    at_pause_set_free(&rules);
    if (at_pause_add(db, &alice, biz, AT_SCOPE_TASK_TYPE, &type, 1, "type first", 0, &err) ||
        at_pause_add(db, &alice, biz, AT_SCOPE_USER, &who, 1, "then the user", now + 60000000LL,
                     &err))
        bail("%s", err.msg);
    const at_pause_rule *by = NULL;
    if (at_db_now(db, &now, &err))
        bail("%s", err.msg);
    ok(at_task_get_held(db, biz, id, now, &t, &rules, &err) == AT_OK && rules.n == 2 &&
           rules.rules[0].scope == AT_SCOPE_TASK_TYPE && rules.rules[1].scope == AT_SCOPE_USER &&
           strcmp(rules.rules[1].target_name, "Hanna Held") == 0,
       "both rules that name it, oldest first, with their targets' names");
    ok(strcmp(at_task_status(&t, &rules, &by), "paused") == 0 && by &&
           strcmp(by->reason, "then the user") == 0,
       "paused, by the user's rule (a user rule wins)");
    ok(t.payload == NULL || t.payload_size == strlen(t.payload), "the task comes whole");
    at_task_clear(&t);
    at_pause_set_free(&rules);
    ok(at_task_get_held(db, biz, id, now + 120000000LL, &t, &rules, &err) == AT_OK &&
           rules.n == 1 && rules.rules[0].scope == AT_SCOPE_TASK_TYPE,
       "at a later clock, the expired user rule is not read");
    at_task_clear(&t);
    at_pause_set_free(&rules);
    ok(at_task_get_held(db, other_biz, id, now, &t, &rules, &err) == AT_ENOTFOUND &&
           strstr(err.msg, "no task") != NULL,
       "another business's task: not found (%s)", err.msg);
    ok(at_task_get_held(db, biz, id + 1000000, now, &t, &rules, &err) == AT_ENOTFOUND,
       "no such task: not found");
}

int
main(void)
{
    evaluator();
    at_db *db = testdb_open();
    at_error err = {0};
    uint64_t biz = testdb_business(db, "pause");
    uint64_t biz2 = testdb_business(db, "pause-other");
    uint64_t u[4];
    for (int i = 0; i < 4; i++) {
        static const char *const n[] = {"Pia Paused", "Quentin Quiet", "Rita Runs", "Sam Solo"};
        u[i] = testdb_user(db, biz, n[i]);
    }
    at_member_add(db, biz2, u[0], AT_ROLE_MEMBER, &err);
    uint64_t t_exp = testdb_type(db, "export"), t_rep = testdb_type(db, "report");
    uint64_t outsider = testdb_user(db, 0, "Olga Outsider");
    alice.user_id = testdb_user(db, biz, "Alice Admin");

    /* Pause two users in one call. */
    at_time before;
    at_db_now(db, &before, &err);
    uint64_t two[] = {u[0], u[1]};
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, two, 2, "too many exports", 0, &err) == AT_OK,
       "pause two users at once: %s", err.msg);
    at_time after;
    at_db_now(db, &after, &err);
    at_pause_rule rule;
    ok(paused(db, biz, u[0], t_exp, &rule) == 1, "first user's tasks are paused");
    ok(rule.scope == AT_SCOPE_USER && rule.target_id == u[0], "held by that user's rule");
    is_str(rule.reason, "too many exports", "rule keeps the reason");
    is_str(rule.paused_by_name, "alice@example.com", "rule names who paused");
    ok(rule.paused_by == alice.user_id, "rule keeps the actor's id");
    ok(rule.paused_at >= before && rule.paused_at <= after, "rule says when");
    is_str(rule.target_name, "Pia Paused", "rule names its target");
    ok(rule.until == 0, "no expiry");
    ok(paused(db, biz, u[1], t_rep, NULL) == 1, "second user's tasks are paused");
    ok(paused(db, biz, u[2], t_exp, NULL) == 0, "a third user runs");
    ok(paused(db, biz2, u[0], t_exp, NULL) == 0, "the same user in another business runs");

    at_audit_entry *v;
    size_t n = audit(db, biz, &v);
    is_int(n, 2, "one audit entry per paused user");
    int good = n == 2;
    for (size_t i = 0; i < n; i++) {
        good &= strcmp(v[i].action, "pause") == 0 && strcmp(v[i].target_kind, "user") == 0 &&
                strcmp(v[i].actor, "alice@example.com") == 0 && v[i].actor_id == alice.user_id &&
                strcmp(v[i].reason, "too many exports") == 0 && v[i].at >= before &&
                v[i].at <= after;
    }
    ok(good, "audit entries: action, target kind, actor, reason and time");
    ok(n == 2 && ((v[0].target_id == u[1] && strcmp(v[0].target_name, "Quentin Quiet") == 0) ||
                  (v[1].target_id == u[1] && strcmp(v[1].target_name, "Quentin Quiet") == 0)),
       "audit entry names its target");
    free(v);

    /* Pausing again updates the rule instead of adding one. */
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, two, 1, "changed my mind", 0, &err) == AT_OK,
       "pause the same user again");
    is_int(rule_count(db, biz), 2, "still two rules");
    paused(db, biz, u[0], t_exp, &rule);
    is_str(rule.reason, "changed my mind", "the rule has the new reason");

    /* A type rule holds every user's tasks of that type. */
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_TASK_TYPE, &t_rep, 1, "", 0, &err) == AT_OK,
       "pause a task type");
    ok(paused(db, biz, u[2], t_rep, &rule) == 1 && rule.scope == AT_SCOPE_TASK_TYPE,
       "type rule holds a third user's report");
    ok(paused(db, biz, u[2], t_exp, NULL) == 0, "but not their export");
    ok(paused(db, biz, u[0], t_rep, &rule) == 1 && rule.scope == AT_SCOPE_USER,
       "user rule reported first when both hold");

    /* Refusals write nothing. */
    size_t rules0 = rule_count(db, biz), audit0 = audit(db, biz, &v);
    free(v);
    uint64_t mixed[] = {u[3], outsider};
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, mixed, 2, "", 0, &err) == AT_ENOTFOUND,
       "a non-member among the targets refuses the whole call");
    has_str(err.msg, "not a member", "message says why");
    ok(paused(db, biz, u[3], t_exp, NULL) == 0, "the valid target was not paused either");
    at_time past = before - 1000000;
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, &u[3], 1, "", past, &err) == AT_EINVAL,
       "an expiry in the past is refused");
    has_str(err.msg, "not in the future", "expiry message");
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, NULL, 0, "", 0, &err) == AT_EINVAL,
       "nothing to pause is refused");
    uint64_t nosuch = 999999999;
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_TASK_TYPE, &nosuch, 1, "", 0, &err) == AT_ENOTFOUND,
       "an unknown task type is refused");
    ok(at_pause_add(db, &alice, 999999999, AT_SCOPE_USER, &u[3], 1, "", 0, &err) == AT_ENOTFOUND,
       "an unknown business is refused");
    ok(at_pause_add(db, &alice, biz, 9, &u[3], 1, "", 0, &err) == AT_EINVAL, "a bad scope is refused");
    char longreason[AT_REASON_MAX + 2];
    memset(longreason, 'r', sizeof longreason - 1);
    longreason[sizeof longreason - 1] = 0;
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, &u[3], 1, longreason, 0, &err) == AT_EINVAL,
       "an overlong reason is refused");
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, &u[3], 1, "bad \xff", 0, &err) == AT_EINVAL,
       "a reason that is not UTF-8 is refused");
    at_actor nobody = {0, ""};
    ok(at_pause_add(db, &nobody, biz, AT_SCOPE_USER, &u[3], 1, "", 0, &err) == AT_EINVAL,
       "an actor without a name is refused");
    is_int(rule_count(db, biz), rules0, "no rule was written by the refusals");
    is_int(audit(db, biz, &v), audit0, "no audit entry was written by the refusals");
    free(v);

    /* Expiry: a rule that runs out stops holding by itself. */
    at_time now;
    at_db_now(db, &now, &err);
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, &u[3], 1, "brief", now + 1500000, &err) ==
           AT_OK,
       "pause for 1.5 seconds");
    ok(paused(db, biz, u[3], t_exp, &rule) == 1 && rule.until == now + 1500000,
       "paused, with its expiry");
    usleep(1700000);
    ok(paused(db, biz, u[3], t_exp, NULL) == 0, "after the expiry the tasks run again");
    ok(at_pause_resume(db, &alice, biz, AT_SCOPE_USER, u[3], &err) == AT_ENOTFOUND,
       "resuming an expired pause says it is not paused");

    /* Resume one. */
    ok(at_pause_resume(db, &alice, biz, AT_SCOPE_USER, u[1], &err) == AT_OK, "resume one user");
    ok(paused(db, biz, u[1], t_exp, NULL) == 0, "their tasks run again");
    ok(paused(db, biz, u[0], t_exp, NULL) == 1, "the other paused user stays paused");
    ok(at_pause_resume(db, &alice, biz, AT_SCOPE_USER, u[1], &err) == AT_ENOTFOUND,
       "resuming again: not paused");
    has_str(err.msg, "is not paused", "message says so");
    n = audit(db, biz, &v);
    ok(n > 0 && strcmp(v[0].action, "resume") == 0 && v[0].target_id == u[1],
       "resume is audited, newest first");
    free(v);

    /* Resume All: queued tasks held by the rules count as released. */
    uint64_t held = 0;
    for (int i = 0; i < 3; i++)
        testdb_task(db, biz, u[0], t_exp), held++; /* user rule */
    for (int i = 0; i < 2; i++)
        testdb_task(db, biz, u[2], t_rep), held++; /* type rule */
    testdb_task(db, biz, u[0], t_rep), held++;     /* both rules: counted once */
    testdb_task(db, biz, u[2], t_exp);             /* not held */
    testdb_task(db, biz2, u[0], t_exp);            /* other business */
    uint64_t extra_user = u[1];
    ok(at_pause_add(db, &alice, biz, AT_SCOPE_USER, &extra_user, 1, "", 0, &err) == AT_OK,
       "pause a user without tasks");
    size_t live = rule_count(db, biz);
    is_int(live, 3, "three live rules before Resume All");
    size_t audit_before = audit(db, biz, &v);
    free(v);
    unsigned removed = 0;
    uint64_t released = 0;
    ok(at_pause_resume_all(db, &alice, biz, &removed, &released, NULL, &err) == AT_OK, "Resume All");
    is_int(removed, 3, "reports three rules removed");
    is_int(released, held, "reports the queued tasks the rules held");
    is_int(rule_count(db, biz), 0, "no rule left");
    ok(paused(db, biz, u[0], t_exp, NULL) == 0 && paused(db, biz, u[2], t_rep, NULL) == 0,
       "the held tasks are runnable");
    n = audit(db, biz, &v);
    is_int(n, audit_before + 3, "one audit entry per removed rule");
    good = n >= 3;
    for (size_t i = 0; i < 3 && i < n; i++)
        good &= strcmp(v[i].action, "resume_all") == 0 && v[i].actor_id == alice.user_id;
    ok(good, "entries say resume_all, by alice");
    free(v);
    ok(at_pause_resume_all(db, &alice, biz, &removed, &released, NULL, &err) == AT_OK && removed == 0 &&
           released == 0,
       "Resume All with nothing paused removes nothing");
    ok(at_pause_resume_all(db, &alice, 999999999, &removed, &released, NULL, &err) == AT_ENOTFOUND,
       "Resume All of an unknown business is refused");

    /* Edit and delete are audited too; a stale edit is refused. */
    uint64_t tid = testdb_task(db, biz, u[2], t_exp);
    at_task t;
    at_task_get(db, biz, tid, &t, &err);
    unsigned v1 = t.version;
    at_task_clear(&t);
    at_task_edit e = {1, 42, 0, 0, "{\"rows\":5}", 10};
    ok(at_task_update(db, &alice, biz, tid, v1, &e, &err) == AT_OK, "edit a queued task");
    at_task_get(db, biz, tid, &t, &err);
    ok(t.priority == 42 && t.version == v1 + 1 && t.payload && strcmp(t.payload, "{\"rows\":5}") == 0,
       "edit saved, version bumped");
    at_task_clear(&t);
    e.priority = 7;
    ok(at_task_update(db, &alice, biz, tid, v1, &e, &err) == AT_ECONFLICT,
       "an edit based on the old version is refused");
    has_str(err.msg, "changed by someone else", "conflict message");
    at_task_get(db, biz, tid, &t, &err);
    ok(t.priority == 42, "the refused edit changed nothing");
    at_task_clear(&t);
    ok(at_task_update(db, &alice, biz2, tid, v1 + 1, &e, &err) == AT_ENOTFOUND,
       "a task of another business cannot be edited");
    n = audit(db, biz, &v);
    ok(n > 0 && strcmp(v[0].action, "edit") == 0 && v[0].target_id == tid &&
           strstr(v[0].detail, "priority 0 -> 42") != NULL,
       "edit is audited with what changed");
    free(v);
    int cancel = -1;
    ok(at_task_delete(db, &alice, biz2, tid, &cancel, &err) == AT_ENOTFOUND,
       "a task of another business cannot be deleted");
    ok(at_task_delete(db, &alice, biz, tid, &cancel, &err) == AT_OK && cancel == 0,
       "delete a queued task");
    ok(at_task_get(db, biz, tid, &t, &err) == AT_ENOTFOUND, "it is gone");
    n = audit(db, biz, &v);
    ok(n > 0 && strcmp(v[0].action, "delete") == 0 && v[0].target_id == tid,
       "delete is audited");
    free(v);
    ok(at_task_delete(db, &alice, biz, tid, &cancel, &err) == AT_ENOTFOUND,
       "deleting it again: not found");
    ok(audit(db, biz2, &v) == 0, "the other business's audit log is untouched");
    free(v);

    scope_of(db);
    task_held(db);
    testdb_close(db);
    return done_testing();
}
