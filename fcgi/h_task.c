/* h_task.c: one task: its detail (page and XML), the Edit form with
 * optimistic concurrency, and Delete with its confirmation. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"

static int
load(fc_ctx *c, at_task *t, at_pause_rule *rule, int *paused)
{
    at_error err;
    if (at_task_get(c->db, c->business.id, c->path_id, t, &err))
        return fc_fail(c, &err), -1;
    *paused = 0;
    if (t->state == AT_TASK_QUEUED &&
        at_pause_check(c->db, c->business.id, t->user_id, t->task_type_id, paused, rule, &err)) {
        at_task_clear(t);
        return fc_fail(c, &err), -1;
    }
    return 0;
}

static void
row(fc_ctx *c, const char *label, const char *value)
{
    vw_elem(c, "dt", NULL, label);
    vw_elem(c, "dd", NULL, value);
}

static void
row_time(fc_ctx *c, const char *label, at_time t)
{
    if (!t)
        return;
    vw_elem(c, "dt", NULL, label);
    vw_start(c, "dd", NULL);
    vw_time(c, t);
    vw_text(c, " UTC");
    vw_end(c);
}

int
h_task(fc_ctx *c)
{
    at_task t;
    at_pause_rule rule;
    int paused;
    if (load(c, &t, &rule, &paused))
        return 0;
    char buf[64];
    if (c->want_xml) {
        vw_xml_begin(c, "task");
        vw_attr(c, "business", c->business.slug);
        fc_xml_task_fields(c, &t, paused ? &rule : NULL);
        if (t.result)
            vw_elem(c, "result", NULL, t.result);
        vw_elem(c, "payload", NULL, t.payload ? t.payload : "");
        vw_xml_end(c);
        at_task_clear(&t);
        return 0;
    }
    fc_listview lv;
    fc_listview_from(c, &lv);
    char back[4096];
    fc_list_url(c, &lv, back, sizeof back);
    snprintf(buf, sizeof buf, "Task #%" PRIu64, t.id);
    vw_page_begin(c, buf);
    vw_elem(c, "h1", NULL, buf);
    vw_start(c, "dl", "task-detail");
    row(c, "User", t.user_name);
    row(c, "Task Type", t.type_name);
    row(c, "Status", fc_status_word(&t, paused ? &rule : NULL));
    if (paused) {
        char what[AT_NAME_BUF * 2 + 64];
        snprintf(what, sizeof what, "%s %s, paused by %s", rule.scope == AT_SCOPE_USER ? "user" : "task type",
                 rule.target_name, rule.paused_by_name);
        row(c, "Held by", what);
    }
    row_time(c, "Created At", t.created_at);
    row_time(c, "Runs at", t.run_at);
    row_time(c, "Started at", t.started_at);
    row_time(c, "Finished at", t.finished_at);
    snprintf(buf, sizeof buf, "%d", t.priority);
    row(c, "Priority", buf);
    snprintf(buf, sizeof buf, "%u of %u", t.attempts, t.max_attempts);
    row(c, "Attempts", buf);
    if (t.last_error)
        row(c, "Last error", t.last_error);
    if (t.result)
        row(c, "Result", t.result);
    vw_end(c);
    vw_elem(c, "h2", NULL, "Payload");
    vw_elem(c, "pre", "payload", t.payload && *t.payload ? t.payload : "(empty)");
    vw_start(c, "p", "dialog-buttons");
    vw_link(c, back, "button secondary", "Back to the list");
    vw_end(c);
    at_task_clear(&t);
    return vw_page_end(c);
}

/* A datetime-local control's value: "YYYY-MM-DDTHH:MM:SS" in UTC. */
static char *
local_value(at_time t, char *buf, size_t len)
{
    time_t s = (time_t) (t / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

static int
edit_page(fc_ctx *c, const at_task *t, const char *message, int status)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    char back[4096], title[64], action[96], buf[64];
    fc_list_url(c, &lv, back, sizeof back);
    snprintf(title, sizeof title, "Edit task #%" PRIu64, t->id);
    snprintf(action, sizeof action, "/admin/async-tasks/tasks/%" PRIu64 "/edit", t->id);
    c->resp.status = status;
    vw_page_begin(c, title);
    vw_elem(c, "h1", NULL, title);
    vw_start(c, "p", "lead");
    vw_textf(c, "%s for %s, created ", t->type_name, t->user_name);
    vw_time(c, t->created_at);
    vw_text(c, " UTC.");
    vw_end(c);
    if (message) {
        vw_start(c, "p", "form-error");
        vw_attr(c, "role", "alert");
        vw_text(c, message);
        vw_end(c);
    }
    vw_form_begin(c, "post", action, "stack edit-task");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, &lv);
    snprintf(buf, sizeof buf, "%u", t->version);
    vw_hidden(c, "version", buf);
    vw_start(c, "div", "field");
    vw_label(c, "edit-priority", "Priority (-1000 to 1000, higher first)");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "number");
    vw_attr(c, "id", "edit-priority");
    vw_attr(c, "name", "priority");
    vw_attrf(c, "value", "%d", t->priority);
    vw_attrf(c, "min", "%d", AT_PRIORITY_MIN);
    vw_attrf(c, "max", "%d", AT_PRIORITY_MAX);
    vw_attr(c, "step", "1");
    vw_attr(c, "required", "required");
    vw_end_void(c);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_label(c, "edit-run-at", "Run at (UTC)");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "datetime-local");
    vw_attr(c, "id", "edit-run-at");
    vw_attr(c, "name", "run_at");
    vw_attr(c, "value", local_value(t->run_at, buf, sizeof buf));
    vw_attr(c, "step", "1");
    vw_attr(c, "required", "required");
    vw_end_void(c);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_label(c, "edit-payload", "Payload");
    vw_start(c, "textarea", NULL);
    vw_attr(c, "id", "edit-payload");
    vw_attr(c, "name", "payload");
    vw_attr(c, "rows", "10");
    vw_text(c, t->payload ? t->payload : "");
    vw_end(c);
    vw_end(c);
    vw_start(c, "div", "dialog-buttons");
    vw_link(c, back, "button secondary", "Cancel");
    vw_button(c, "submit", "primary", "Save");
    vw_end(c);
    vw_end(c);
    return vw_page_end(c);
}

int
h_task_edit_form(fc_ctx *c)
{
    at_task t;
    at_pause_rule rule;
    int paused;
    if (load(c, &t, &rule, &paused))
        return 0;
    int rc;
    if (t.state != AT_TASK_QUEUED) {
        char msg[160];
        snprintf(msg, sizeof msg, "Task #%" PRIu64 " is %s: only a queued or paused task can be edited.",
                 t.id, at_task_state_str(t.state));
        rc = fc_error(c, 409, msg);
    } else {
        rc = edit_page(c, &t, NULL, 200);
    }
    at_task_clear(&t);
    return rc;
}

int
h_task_edit(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    const fc_value *payload = fc_arg(c, "payload");
    /* the form always sends the field: sent empty is an empty payload,
     * not sent at all keeps the old one */
    bool sent = fc_kv_get(&c->form, "payload") != NULL;
    at_task_edit e = {0};
    e.has_priority = 1;
    e.priority = (int) fc_arg(c, "priority")->i;
    e.has_run_at = 1;
    e.run_at = fc_arg(c, "run_at")->t;
    e.payload = payload->present ? payload->s : sent ? "" : NULL;
    e.payload_len = e.payload ? strlen(e.payload) : 0;
    at_error err;
    int rc = at_task_update(c->db, &c->actor, c->business.id, c->path_id,
                            (unsigned) fc_arg(c, "version")->i, &e, &err);
    if (rc == AT_ECONFLICT || rc == AT_ESTATE) {
        /* show what is there now, and say why nothing was saved */
        at_task t;
        at_error err2;
        if (rc == AT_ECONFLICT && at_task_get(c->db, c->business.id, c->path_id, &t, &err2) == AT_OK) {
            edit_page(c, &t, err.msg, 409);
            at_task_clear(&t);
            return 0;
        }
        return fc_fail(c, &err);
    }
    if (rc)
        return fc_fail(c, &err);
    fc_flash(c, "Task #%" PRIu64 " saved.", c->path_id);
    char url[4096];
    return fc_redirect(c, fc_list_url(c, &lv, url, sizeof url));
}

int
h_task_delete_form(fc_ctx *c)
{
    at_task t;
    at_pause_rule rule;
    int paused;
    if (load(c, &t, &rule, &paused))
        return 0;
    fc_listview lv;
    fc_listview_from(c, &lv);
    char back[4096], title[64], action[96];
    fc_list_url(c, &lv, back, sizeof back);
    snprintf(title, sizeof title, "Delete task #%" PRIu64, t.id);
    snprintf(action, sizeof action, "/admin/async-tasks/tasks/%" PRIu64 "/delete", t.id);
    vw_page_begin(c, title);
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, title);
    vw_start(c, "p", NULL);
    vw_textf(c, "Delete %s for %s (%s)? ", t.type_name, t.user_name, fc_status_word(&t, paused ? &rule : NULL));
    vw_text(c, t.state == AT_TASK_RUNNING
                   ? "It is running: it will be asked to stop, and end as cancelled."
                   : "It is removed; the audit log keeps a record.");
    vw_end(c);
    vw_form_begin(c, "post", action, "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, &lv);
    vw_link(c, back, "button secondary", "Cancel");
    vw_button(c, "submit", "danger", "Delete");
    vw_end(c);
    vw_end(c);
    at_task_clear(&t);
    return vw_page_end(c);
}

int
h_task_delete(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    at_error err;
    int cancelled = 0;
    if (at_task_delete(c->db, &c->actor, c->business.id, c->path_id, &cancelled, &err))
        return fc_fail(c, &err);
    if (cancelled)
        fc_flash(c, "Task #%" PRIu64 " is running: it has been asked to stop.", c->path_id);
    else
        fc_flash(c, "Task #%" PRIu64 " deleted.", c->path_id);
    char url[4096];
    return fc_redirect(c, fc_list_url(c, &lv, url, sizeof url));
}
