/* task_view.c: one task as the list, its own page and the API show it:
 * its status (the library's rule), the pause rule that holds it, its
 * progress, and its XML form. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

int
fc_task_load(fc_ctx *c, uint64_t id, at_task *t, at_pause_set *rules)
{
    at_error err;
    if (at_task_get_held(c->db, c->acc.business.id, id, c->acc.now, t, rules, &err))
        return fc_fail(c, &err), -1;
    return 0;
}

void
fc_rule_note(fc_ctx *c, const at_pause_rule *r, const char *element, bool name_target)
{
    char text[AT_RULE_TEXT_BUF];
    vw_start(c, element, "held-by");
    vw_text(c, at_pause_rule_text(r, name_target, text, sizeof text));
    vw_end(c);
}

void
fc_task_link(fc_ctx *c, uint64_t id)
{
    char path[96], label[40];
    vw_url u = {0};
    snprintf(path, sizeof path, "/admin/async-tasks/tasks/%" PRIu64, id);
    snprintf(label, sizeof label, "#%" PRIu64, id);
    vw_url_path(&u, path);
    vw_url_param(&u, "business", c->acc.business.slug);
    vw_link(c, vw_href(c, &u), NULL, label);
    vw_url_free(&u);
}

void
fc_progress_text(fc_ctx *c, const at_task *t, const char *before)
{
    if (t->state != AT_TASK_RUNNING || t->progress_total == 0)
        return;
    uint64_t done = t->progress_done < t->progress_total ? t->progress_done : t->progress_total;
    vw_textf(c, "%s%" PRIu64 " of %" PRIu64 " done (%u%%)", before, t->progress_done,
             t->progress_total, (unsigned) (done * 100 / t->progress_total));
}

void
fc_platform_rules_html(fc_ctx *c, const at_pause_set *set)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        n += at_pause_rule_platform(&set->rules[i]);
    if (n == 0)
        return;
    vw_start(c, "section", "platform-rules");
    vw_attr(c, "aria-label", "Platform rules");
    vw_start(c, "p", "platform-rules-lead");
    vw_textf(c, "Paused for all businesses by a platform admin (only a platform admin can "
                "resume %s):",
             n == 1 ? "it" : "them");
    vw_end(c);
    vw_start(c, "ul", NULL);
    for (size_t i = 0; i < set->n; i++)
        if (at_pause_rule_platform(&set->rules[i]))
            fc_rule_note(c, &set->rules[i], "li", true);
    vw_end(c);
    vw_end(c);
}

static void
rule_attrs(fc_ctx *c, const at_pause_rule *rule)
{
    char iso[40];
    vw_attr(c, "scope", at_scope_str(rule->scope));
    vw_attr(c, "of", at_pause_rule_platform(rule) ? "platform" : "business");
    vw_attr(c, "target", rule->target_name);
    vw_attr(c, "by", rule->paused_by_name);
    vw_attr(c, "at", at_time_iso(rule->paused_at, iso, sizeof iso));
    if (rule->until)
        vw_attr(c, "until", at_time_iso(rule->until, iso, sizeof iso));
    vw_attr(c, "reason", rule->reason);
}

void
fc_platform_rules_xml(fc_ctx *c, const at_pause_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        if (!at_pause_rule_platform(&set->rules[i]))
            continue;
        fc_rule_xml(c, "platform-rule", &set->rules[i]);
    }
}

/* "retry run-now discard": the row actions that apply to the task now,
 * by the library's rule, for the admin screen's script that redraws a
 * row (absent: none). The API's documents have none: run-now depends on
 * the clock, and a POST's answer must be what a GET reads back. */
static void
xml_actions(fc_ctx *c, const at_task *t)
{
    if (c->route && c->route->access == FC_TOKEN)
        return;
    static const int actions[] = {AT_ACTION_RETRY, AT_ACTION_RUN_NOW, AT_ACTION_DISCARD};
    char list[64] = "", why[200];
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (at_task_action_refusal(t, actions[i], c->acc.now, why, sizeof why))
            continue;
        if (list[0])
            strcat(list, " ");
        strcat(list, at_task_action_str(actions[i]));
    }
    if (list[0])
        vw_attr(c, "actions", list);
}

void
fc_rule_xml(fc_ctx *c, const char *name, const at_pause_rule *r)
{
    vw_start(c, name, NULL);
    rule_attrs(c, r);
    vw_end_void(c);
}

void
fc_xml_task_fields(fc_ctx *c, const at_task *t, const at_pause_set *rules)
{
    char iso[40];
    const at_pause_rule *rule;
    const char *status = at_task_status(t, rules, &rule);
    vw_attrf(c, "id", "%" PRIu64, t->id);
    vw_attrf(c, "user-id", "%" PRIu64, t->user_id);
    vw_attr(c, "user", t->user_name);
    vw_attr(c, "type", t->type_name);
    vw_attr(c, "status", status);
    vw_attr(c, "created-at", at_time_iso(t->created_at, iso, sizeof iso));
    vw_attr(c, "run-at", at_time_iso(t->run_at, iso, sizeof iso));
    if (t->started_at)
        vw_attr(c, "started-at", at_time_iso(t->started_at, iso, sizeof iso));
    if (t->finished_at)
        vw_attr(c, "finished-at", at_time_iso(t->finished_at, iso, sizeof iso));
    vw_attrf(c, "priority", "%d", t->priority);
    vw_attrf(c, "attempts", "%u", t->attempts);
    vw_attrf(c, "max-attempts", "%u", t->max_attempts);
    vw_attrf(c, "version", "%u", t->version);
    if (t->state == AT_TASK_RUNNING && t->progress_total > 0) {
        vw_attrf(c, "progress-done", "%" PRIu64, t->progress_done);
        vw_attrf(c, "progress-total", "%" PRIu64, t->progress_total);
    }
    if (t->duration_us >= 0)
        vw_attrf(c, "duration-us", "%" PRId64, t->duration_us);
    xml_actions(c, t);
    if (rule)
        fc_rule_xml(c, "paused-by", rule);
    if (t->last_error)
        vw_elem(c, "error", NULL, t->last_error);
}

static void
xml_attempts(fc_ctx *c, const at_attempt_page *a)
{
    char iso[40];
    for (size_t i = 0; i < a->n; i++) {
        const at_attempt *r = &a->rows[i];
        vw_start(c, "attempt", NULL);
        vw_attrf(c, "number", "%u", r->attempt);
        vw_attr(c, "started-at", at_time_iso(r->started_at, iso, sizeof iso));
        if (r->finished_at)
            vw_attr(c, "finished-at", at_time_iso(r->finished_at, iso, sizeof iso));
        vw_attr(c, "outcome", r->outcome);
        vw_attr(c, "host", r->host);
        vw_attrf(c, "pid", "%d", r->pid);
        if (r->error)
            vw_text(c, r->error);
        vw_end(c);
    }
    vw_start(c, "attempts-page", NULL);
    if (a->has_older)
        vw_attrf(c, "older", "%u", a->older);
    if (a->has_newer)
        vw_attrf(c, "newer", "%u", a->newer);
    vw_end_void(c);
}

void
fc_xml_task_document(fc_ctx *c, const at_task *t, const at_pause_set *rules,
                     const at_attempt_page *attempts)
{
    vw_xml_begin(c, "task");
    vw_attr(c, "business", c->acc.business.slug);
    fc_xml_task_fields(c, t, rules);
    if (t->result)
        vw_elem(c, "result", NULL, t->result);
    vw_elem(c, "payload", NULL, t->payload ? t->payload : "");
    if (attempts)
        xml_attempts(c, attempts);
    vw_xml_end(c);
}
