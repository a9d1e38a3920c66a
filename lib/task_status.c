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
    int n = snprintf(buf, len, "%s%s%s%spaused by %s at %s UTC",
                     name_target ? (r->scope == AT_SCOPE_USER ? "User" : "Task type") : "",
                     name_target ? " " : "", name_target ? r->target_name : "",
                     name_target ? " " : "", r->paused_by_name,
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
