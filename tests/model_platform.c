/* model_platform.c: the platform's pause rules beside the businesses'
 * own: the evaluator over both kinds, the lanes' held flags (the SQL twin)
 * and the totals in every business, present and future, resume of one
 * kind leaving the other, Resume All, expiry, who may set them, their
 * audit entries, and their lane work across businesses. In a database of
 * its own: a platform rule shows in every business of the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

static at_actor op = {0, "cli:operator"};

/* The evaluator alone: a business's rule and a platform rule on the same
 * target, and the platform rule's expiry. */
static void
evaluator(void)
{
    at_pause_rule r[3] = {{0}};
    r[0].id = 1, r[0].business_id = 4, r[0].scope = AT_SCOPE_TASK_TYPE, r[0].target_id = 7;
    r[1].id = 1, r[1].business_id = 0, r[1].scope = AT_SCOPE_TASK_TYPE, r[1].target_id = 7;
    r[2].id = 2, r[2].business_id = 0, r[2].scope = AT_SCOPE_USER, r[2].target_id = 5,
    r[2].until = 1000;
    at_pause_set both = {4, 500, r, 3, 1};
    ok(at_pause_match(&both, 9, 7) == &r[0], "evaluator: the business's rule reported first");
    at_pause_set platform_only = {4, 500, r + 1, 2, 1};
    ok(at_pause_match(&platform_only, 9, 7) == &r[1] && at_pause_rule_platform(&r[1]),
       "evaluator: with the business's rule gone, the platform rule still holds");
    ok(at_pause_match(&both, 5, 7) == &r[2], "evaluator: a platform user rule wins over a type rule");
    both.now = 1000;
    ok(at_pause_match(&both, 5, 9) == NULL, "evaluator: a platform rule at its expiry holds nothing");
    at_pause_set business_only = {4, 500, r, 1, 1};
    ok(at_pause_match(&business_only, 9, 7) == &r[0] && !at_pause_rule_platform(&r[0]),
       "evaluator: with the platform rule gone, the business's rule still holds");
}

static int
paused(at_db *db, uint64_t biz, uint64_t user, uint64_t type, at_pause_rule *rule)
{
    int p = -1;
    at_error err = {0};
    if (at_pause_check(db, biz, user, type, &p, rule, &err))
        bail("%s", err.msg);
    return p;
}

static at_task_counts
counts(at_db *db, uint64_t biz)
{
    at_task_counts c;
    at_error err = {0};
    if (at_task_counts_get(db, biz, &c, &err))
        bail("%s", err.msg);
    return c;
}

/* The stored totals and lanes agree with the tasks and both kinds of
 * rules (the SQL twin, as counters check runs it). */
static int
consistent(at_db *db, uint64_t biz)
{
    at_task_counts stored, actual;
    uint64_t bad = 1;
    at_error err = {0};
    if (at_counts_verify(db, biz, &stored, &actual, &bad, &err))
        bail("%s", err.msg);
    return bad == 0 && stored.queued == actual.queued && stored.paused == actual.paused;
}

static void
dispatch(at_db *db)
{
    int woken;
    at_error err = {0};
    if (at_dispatch(db, &woken, &err))
        bail("%s", err.msg);
}

static uint64_t
audit_count(at_db *db, uint64_t biz, const char *action)
{
    at_audit_entry *v;
    size_t n;
    at_error err = {0};
    if (at_audit_list(db, biz, 0, 1000, &v, &n, &err))
        bail("%s", err.msg);
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(v[i].action, action) == 0;
    free(v);
    return k;
}

/* A type used by more users than one chunk of lane work (2,000 lanes),
 * over two businesses: the first chunk in the pause's transaction, the
 * rest across the businesses, by (business, lane) order. */
static void
many_lanes(at_db *db)
{
    at_error err = {0};
    enum { PER = 1100 };
    uint64_t type = testdb_type(db, "many");
    uint64_t biz[2] = {testdb_business(db, "many-a"), testdb_business(db, "many-b")};
    at_enqueue *reqs = calloc(PER, sizeof *reqs);
    uint64_t *ids = calloc(PER, sizeof *ids);
    if (!reqs || !ids)
        bail("out of memory");
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < PER; i++) {
            char name[32];
            snprintf(name, sizeof name, "Many %d-%d", b, i);
            reqs[i] = (at_enqueue){biz[b], testdb_user(db, biz[b], name), type, NULL, 0, 0, 0, NULL, NULL};
        }
        for (int half = 0; half < 2; half++)
            if (at_task_enqueue_many(db, reqs + half * (PER / 2), PER / 2, ids, NULL, &err))
                bail("%s", err.msg);
    }
    ok(at_platform_pause_add(db, &op, AT_SCOPE_TASK_TYPE, &type, 1, "many", 0, &err) == AT_OK,
       "pause a type of %d lanes in two businesses for all: %s", 2 * PER, err.msg);
    for (int i = 0; i < 100; i++)
        dispatch(db);
    ok(counts(db, biz[0]).paused == PER && counts(db, biz[1]).paused == PER &&
           counts(db, biz[0]).queued == 0 && counts(db, biz[1]).queued == 0,
       "every lane of both businesses is held, the first chunk and the rest");
    ok(consistent(db, biz[0]) && consistent(db, biz[1]), "lanes and totals agree with the rules");
    ok(at_platform_pause_resume(db, &op, AT_SCOPE_TASK_TYPE, type, &err) == AT_OK,
       "resume it: %s", err.msg);
    for (int i = 0; i < 100; i++)
        dispatch(db);
    ok(counts(db, biz[0]).queued == PER && counts(db, biz[1]).queued == PER &&
           counts(db, biz[0]).paused == 0 && counts(db, biz[1]).paused == 0,
       "every lane of both businesses is released");
    free(reqs);
    free(ids);
}

int
main(void)
{
    evaluator();
    char name[64];
    snprintf(name, sizeof name, "platform_%s", testdb_tag());
    at_db *db = rawdb_own_db(name);
    at_error err = {0};
    uint64_t a = testdb_business(db, "plat-a"), b = testdb_business(db, "plat-b");
    uint64_t pia = testdb_user(db, a, "Pia Platform"), ray = testdb_user(db, b, "Ray Runs");
    if (at_member_add(db, b, pia, AT_ROLE_MEMBER, &err) ||
        at_member_add(db, a, ray, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    uint64_t mail = testdb_type(db, "mailing"), report = testdb_type(db, "report");
    uint64_t admin = testdb_user(db, a, "Alma Admin"), boss = testdb_user(db, 0, "Pat Platform");
    if (at_member_add(db, a, admin, AT_ROLE_BUSINESS_ADMIN, &err) ||
        at_platform_admin_add(db, &op, boss, &err))
        bail("%s", err.msg);
    at_actor business_admin = {admin, "alma@example.com"}, platform_admin = {boss, "pat@example.com"};
    testdb_task(db, a, ray, mail);
    testdb_task(db, b, ray, mail);
    testdb_task(db, a, pia, report);

    /* Who may. */
    ok(at_platform_pause_add(db, &business_admin, AT_SCOPE_TASK_TYPE, &mail, 1, "", 0, &err) ==
           AT_EDENIED && strstr(err.msg, "platform admin"),
       "a business admin may not pause for all businesses (%s)", err.msg);
    ok(paused(db, a, ray, mail, NULL) == 0, "and nothing was paused");
    ok(at_platform_pause_resume(db, &business_admin, AT_SCOPE_TASK_TYPE, mail, &err) ==
           AT_EDENIED,
       "nor resume for all businesses");
    uint64_t nobody = 999999999;
    ok(at_platform_pause_add(db, &op, AT_SCOPE_TASK_TYPE, &nobody, 1, "", 0, &err) ==
           AT_ENOTFOUND,
       "an unknown type is refused (%s)", err.msg);
    uint64_t some[2] = {mail, nobody};
    ok(at_platform_pause_add(db, &op, AT_SCOPE_TASK_TYPE, some, 2, "", 0, &err) == AT_ENOTFOUND &&
           paused(db, a, ray, mail, NULL) == 0,
       "all targets or none: a known type is not paused beside an unknown one");

    /* A platform pause holds in every business. */
    ok(at_platform_pause_add(db, &platform_admin, AT_SCOPE_TASK_TYPE, &mail, 1, "provider down", 0,
                             &err) == AT_OK,
       "a platform admin pauses a type for all businesses: %s", err.msg);
    at_pause_rule rule;
    ok(paused(db, a, ray, mail, &rule) == 1 && at_pause_rule_platform(&rule) &&
           strcmp(rule.reason, "provider down") == 0 &&
           strcmp(rule.paused_by_name, "pat@example.com") == 0,
       "held in one business, by the platform rule, with its reason and who set it");
    ok(paused(db, b, ray, mail, NULL) == 1, "held in the other");
    ok(paused(db, a, pia, report, NULL) == 0, "another type runs");
    ok(counts(db, a).paused == 1 && counts(db, b).paused == 1 && counts(db, a).queued == 1,
       "each business's queued task of the type is counted paused");
    ok(consistent(db, a) && consistent(db, b), "lanes agree with both kinds of rules");
    uint64_t later = testdb_business(db, "plat-later");
    if (at_member_add(db, later, ray, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    testdb_task(db, later, ray, mail);
    ok(paused(db, later, ray, mail, NULL) == 1 && counts(db, later).paused == 1 &&
           counts(db, later).queued == 0,
       "a business made after the pause: its new task is held at enqueue");
    at_task t;
    at_pause_set rules;
    at_time now;
    at_db_now(db, &now, &err);
    uint64_t tid = testdb_task(db, b, ray, mail);
    ok(at_task_get_held(db, b, tid, now, &t, &rules, &err) == AT_OK &&
           strcmp(at_task_status(&t, &rules, NULL), "paused") == 0,
       "a task page reads it paused");
    at_task_clear(&t);
    at_pause_set_free(&rules);

    /* The two kinds side by side. */
    ok(at_pause_add(db, &business_admin, a, AT_SCOPE_TASK_TYPE, &mail, 1, "ours too", 0, &err) ==
           AT_OK,
       "the business pauses the same type itself");
    ok(at_pause_resume(db, &business_admin, a, AT_SCOPE_TASK_TYPE, mail, &err) == AT_OK &&
           paused(db, a, ray, mail, NULL) == 1 && counts(db, a).paused == 1,
       "resuming the business's rule leaves the task held by the platform's");
    ok(at_pause_resume(db, &business_admin, a, AT_SCOPE_TASK_TYPE, mail, &err) == AT_ENOTFOUND,
       "the platform rule is not the business's to resume (%s)", err.msg);
    ok(at_pause_add(db, &business_admin, a, AT_SCOPE_USER, &ray, 1, "", 0, &err) == AT_OK &&
           at_pause_add(db, &business_admin, a, AT_SCOPE_TASK_TYPE, &report, 1, "", 0, &err) ==
               AT_OK,
       "the business pauses a user and another type");
    unsigned removed = 0, left = 0;
    uint64_t released = 0;
    ok(at_pause_resume_all(db, &business_admin, a, &removed, &released, &left, &err) == AT_OK,
       "Resume All in the business");
    ok(removed == 2 && left == 1, "it removed its 2 rules and left the platform rule (%u, %u)",
       removed, left);
    ok(released == 1 && paused(db, a, ray, mail, NULL) == 1 && paused(db, a, pia, report, NULL) == 0,
       "it released what only its rules held (%llu), not what the platform holds",
       (unsigned long long) released);
    ok(consistent(db, a), "lanes agree after Resume All");
    ok(at_pause_add(db, &business_admin, b, AT_SCOPE_TASK_TYPE, &mail, 1, "", 0, &err) == AT_OK &&
           at_platform_pause_resume(db, &platform_admin, AT_SCOPE_TASK_TYPE, mail, &err) == AT_OK,
       "a business pauses the type too, then the platform resumes it");
    ok(paused(db, b, ray, mail, NULL) == 1 && paused(db, a, ray, mail, NULL) == 0 &&
           counts(db, b).paused == 2 && counts(db, a).paused == 0,
       "the business's own rule still holds there; elsewhere the tasks are released");
    ok(consistent(db, a) && consistent(db, b) && consistent(db, later),
       "lanes agree with the rules in every business");
    ok(at_platform_pause_resume(db, &op, AT_SCOPE_TASK_TYPE, mail, &err) == AT_ENOTFOUND &&
           strstr(err.msg, "not paused"),
       "resuming it again: not paused (%s)", err.msg);
    ok(at_pause_resume(db, &business_admin, b, AT_SCOPE_TASK_TYPE, mail, &err) == AT_OK,
       "clean up the business's rule");

    /* Two businesses' own rules on one target: a resume in one releases
     * its lanes, whatever the other's rule. */
    ok(at_pause_add(db, &op, a, AT_SCOPE_TASK_TYPE, &report, 1, "", 0, &err) == AT_OK &&
           at_pause_add(db, &op, b, AT_SCOPE_TASK_TYPE, &report, 1, "", 0, &err) == AT_OK &&
           at_pause_resume(db, &op, a, AT_SCOPE_TASK_TYPE, report, &err) == AT_OK,
       "two businesses pause one type; one resumes it");
    ok(paused(db, a, pia, report, NULL) == 0 && counts(db, a).paused == 0 && consistent(db, a),
       "that business's lanes are released, the other's rule notwithstanding");
    ok(at_pause_resume(db, &op, b, AT_SCOPE_TASK_TYPE, report, &err) == AT_OK, "the other resumes");

    /* A user, in every business they belong to; expiry. */
    at_db_now(db, &now, &err);
    ok(at_platform_pause_add(db, &op, AT_SCOPE_USER, &ray, 1, "", now - 1000000, &err) ==
           AT_EINVAL,
       "an expiry in the past is refused (%s)", err.msg);
    ok(at_platform_pause_add(db, &op, AT_SCOPE_USER, &ray, 1, "for a second", now + 1500000,
                             &err) == AT_OK,
       "pause a user for all businesses, for a second and a half");
    ok(paused(db, a, ray, mail, NULL) == 1 && paused(db, b, ray, report, NULL) == 1 &&
           paused(db, later, ray, mail, NULL) == 1,
       "the user is held in each business");
    usleep(1700000);
    ok(paused(db, b, ray, mail, NULL) == 0, "after its expiry the rule holds nothing");
    dispatch(db);
    ok(counts(db, b).paused == 0 && counts(db, later).paused == 0 && consistent(db, b),
       "the dispatcher removed it and let its lanes go");
    at_pause_set set;
    ok(at_platform_pause_load(db, &set, &err) == AT_OK && set.n == 0, "no platform rule is left");
    at_pause_set_free(&set);

    /* The audit: the platform's log. */
    ok(audit_count(db, AT_AUDIT_PLATFORM, "pause") == 2 &&
           audit_count(db, AT_AUDIT_PLATFORM, "resume") == 1,
       "the platform's log has its pauses and resumes");
    ok(audit_count(db, later, "pause") == 2 && audit_count(db, later, "resume") == 1,
       "a business's log shows them too, that business made after the first of them");
    ok(audit_count(db, a, "pause") == 2 + 4 && audit_count(db, a, "resume") == 1 + 2 &&
           audit_count(db, a, "resume_all") == 2,
       "beside its own entries");

    many_lanes(db);
    at_db_close(db);
    done_testing();
}
