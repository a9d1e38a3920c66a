/* task_status.c: what a person reads as a task's status, the one rule
 * that the command line and the screen both show: a queued task that a
 * live pause rule holds is "paused", and the rule says who paused what,
 * when, until when and why; a running task asked to stop is "cancelling";
 * any other is its stored state. Only a queued task can be held: one that
 * runs or has ended is shown as it is, whatever rules there are now. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *
at_task_status(const at_task *t, const at_pause_set *rules, const at_pause_rule **held_by)
{
    const at_pause_rule *r = NULL;
    if (t->state == AT_TASK_QUEUED && rules)
        r = at_pause_match(rules, t->user_id, t->task_type_id);
    if (held_by)
        *held_by = r;
    if (r)
        return "paused";
    if (t->state == AT_TASK_RUNNING && t->cancel_requested)
        return "cancelling";
    return at_task_state_str(t->state);
}

char *
at_pause_rule_text(const at_pause_rule *r, int name_target, char *buf, size_t len)
{
    char at[32], until[32];
    int n = snprintf(buf, len, "%s%s%s%spaused%s by %s at %s UTC",
                     name_target ? (r->scope == AT_SCOPE_USER ? "User" : "Task type") : "",
                     name_target ? " " : "", name_target ? r->target_name : "",
                     name_target ? " " : "",
                     at_pause_rule_platform(r) ? " for all businesses" : "", r->paused_by_name,
                     at_time_format(r->paused_at, at, sizeof at));
    if (n >= 0 && (size_t) n < len && r->until)
        n += snprintf(buf + n, len - (size_t) n, ", until %s UTC",
                      at_time_format(r->until, until, sizeof until));
    if (n >= 0 && (size_t) n < len && r->reason[0])
        snprintf(buf + n, len - (size_t) n, ": %s", r->reason);
    return buf;
}

int
at_task_page_rules(at_db *db, uint64_t business_id, at_time now, const at_task_page *page,
                   at_pause_set *rules, at_pause_counts *counts, at_error *err)
{
    uint64_t *users = calloc(page->n + 1, sizeof *users);
    uint64_t *types = calloc(page->n + 1, sizeof *types);
    size_t n = 0;
    int rc;
    if (!users || !types) {
        memset(rules, 0, sizeof *rules);
        rc = at_error_set(err, AT_ENOMEM, "out of memory");
        goto out;
    }
    /* only a queued task can be held */
    for (size_t i = 0; i < page->n; i++) {
        if (page->rows[i].state == AT_TASK_QUEUED) {
            users[n] = page->rows[i].user_id;
            types[n++] = page->rows[i].task_type_id;
        }
    }
    rc = at_pause_load_for(db, business_id, now, users, n, types, n, rules, counts, err);
out:
    free(users);
    free(types);
    return rc;
}

/* A task and the live rules that name its user or its type, when it is
 * queued (the only state a rule can hold): one row per such rule, oldest
 * first, or one row without a rule. */
#define TASK_HELD_SQL                                                                              \
    "SELECT " AT_TASK_COLS ", " AT_RULE_COLS " FROM tasks k "                                      \
    "LEFT JOIN pause_rules r ON k.state = 'queued' AND r.business_id = k.business_id "            \
    "AND (r.paused_until IS NULL OR r.paused_until > ?) "                                          \
    "AND ((r.scope = 'user' AND r.target_id = k.user_id) "                                         \
    "OR (r.scope = 'task_type' AND r.target_id = k.task_type_id)) " AT_RULE_NAMES                  \
    " WHERE k.id = ? AND k.business_id = ? ORDER BY r.paused_at, r.id"

int
at_task_get_held(at_db *db, uint64_t business_id, uint64_t id, at_time now, at_task *t,
                 at_pause_set *rules, at_error *err)
{
    memset(t, 0, sizeof *t);
    memset(rules, 0, sizeof *rules);
    rules->business_id = business_id;
    rules->now = now;
    db_arg a[] = {da_time(now), da_u64(id), da_u64(business_id)};
    db_res r;
    int rc = db_query(db, DB_RETRY, TASK_HELD_SQL, a, AT_COUNT(a), &r, err);
    if (rc)
        return rc;
    size_t rows = 0, cap = 0;
    while (rc == AT_OK && (rc = db_fetch(&r, err)) == 1) {
        rc = rows++ ? AT_OK : at_task_row(&r, t, err);
        if (rc == AT_OK && !db_isnull(&r, AT_TASK_NCOLS))
            rc = pause_set_add(rules, &r, AT_TASK_NCOLS, &cap, err);
    }
    db_res_close(&r);
    if (rc == AT_OK && rows == 0)
        rc = at_error_set(err, AT_ENOTFOUND, "no task #%llu in this business",
                          (unsigned long long) id);
    /* and the platform's rules that name it */
    if (rc == AT_OK && t->state == AT_TASK_QUEUED)
        rc = pause_platform_append(db, now, t->user_id, t->task_type_id, rules, err);
    if (rc) {
        if (rows)
            at_task_clear(t);
        at_pause_set_free(rules);
        return rc;
    }
    return AT_OK;
}
