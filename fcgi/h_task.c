/* h_task.c: one task: its detail (page and XML) with its attempts a page
 * at a time and its actions, the Edit form with optimistic concurrency,
 * and Delete with its confirmation (Retry, Run now and Discard:
 * h_task_action.c). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <asynctasks/plugin.h>

#include "app.h"

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

/* "850 ms", "12.4 s", "3 min 20 s", "2 h 5 min" */
static char *
duration(int64_t us, char *buf, size_t len)
{
    int64_t ms = us / 1000, s = us / 1000000;
    if (ms < 1000)
        snprintf(buf, len, "%" PRId64 " ms", ms);
    else if (s < 60)
        snprintf(buf, len, "%.1f s", (double) us / 1e6);
    else if (s < 3600)
        snprintf(buf, len, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
    else
        snprintf(buf, len, "%" PRId64 " h %" PRId64 " min", s / 3600, s / 60 % 60);
    return buf;
}

#define ATTEMPTS_PAGE 20

/* The task page's URL with the list's state and one more parameter. */
static void
task_url(fc_ctx *c, const fc_listview *lv, uint64_t id, const char *key, unsigned value,
         vw_url *u)
{
    char path[64], v[16];
    snprintf(path, sizeof path, "/admin/async-tasks/tasks/%" PRIu64, id);
    fc_list_url(c, lv, path, u);
    snprintf(v, sizeof v, "%u", value);
    vw_url_param(u, key, v);
}

/* Every run of the task, newest first, a page at a time. */
static void
attempts_table(fc_ctx *c, const fc_listview *lv, const at_task *t, const at_attempt_page *a)
{
    vw_elem(c, "h2", NULL, "Attempts");
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "attempts");
    vw_attr(c, "aria-label", "Attempts");
    static const char *const heads[] = {"#", "Started", "Ended", "Outcome", "Executor", "Error"};
    vw_table_head(c, heads, 6);
    vw_start(c, "tbody", NULL);
    if (a->n == 0)
        vw_empty_row(c, 6, "Not run yet");
    for (size_t i = 0; i < a->n; i++) {
        const at_attempt *r = &a->rows[i];
        char id[32];
        snprintf(id, sizeof id, "attempt-%u", r->attempt);
        vw_start(c, "tr", NULL);
        vw_attr(c, "id", id); /* the key the live updates find it by */
        vw_start(c, "td", NULL);
        vw_textf(c, "%u", r->attempt);
        vw_end(c);
        vw_start(c, "td", NULL);
        vw_time(c, r->started_at);
        vw_end(c);
        vw_start(c, "td", NULL);
        if (r->finished_at)
            vw_time(c, r->finished_at);
        vw_end(c);
        vw_elem(c, "td", "outcome", r->outcome);
        vw_start(c, "td", NULL);
        vw_textf(c, "%s, pid %d", r->host, r->pid);
        vw_end(c);
        vw_elem(c, "td", NULL, r->error);
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
    vw_end(c);
    vw_url newer = {0}, older = {0};
    if (a->has_newer)
        task_url(c, lv, t->id, "after", a->newer, &newer);
    if (a->has_older)
        task_url(c, lv, t->id, "before", a->older, &older);
    if (a->has_newer || a->has_older)
        vw_pager(c, a->has_newer ? vw_href(c, &newer) : NULL, "‹ Newer attempts",
                 a->has_older ? vw_href(c, &older) : NULL, "Older attempts ›");
    vw_url_free(&newer);
    vw_url_free(&older);
}

/* What can be done with the task in its state: Edit while queued,
 * Retry, Run now, and Discard for a finished task where the list says
 * Delete (the same removal, kept to finished tasks). */
static void
task_actions(fc_ctx *c, const fc_listview *lv, const at_task *t)
{
    vw_start(c, "p", "actions task-actions");
    if (t->state == AT_TASK_QUEUED) {
        char path[96];
        snprintf(path, sizeof path, "/admin/async-tasks/tasks/%" PRIu64 "/edit", t->id);
        vw_url url = {0};
        fc_list_url(c, lv, path, &url);
        vw_link(c, vw_href(c, &url), "edit", "Edit");
        vw_url_free(&url);
    }
    fc_task_action_link(c, lv, t, AT_ACTION_RETRY);
    fc_task_action_link(c, lv, t, AT_ACTION_RUN_NOW);
    fc_task_action_link(c, lv, t, AT_ACTION_DISCARD);
    if (t->state == AT_TASK_QUEUED || t->state == AT_TASK_RUNNING)
        fc_task_delete_link(c, lv, t);
    vw_end(c);
}

static void
task_page(fc_ctx *c, const at_task *t, const at_pause_set *rules, const at_attempt_page *a)
{
    char buf[64];
    fc_listview lv;
    fc_listview_from(c, &lv);
    vw_url back = {0};
    fc_list_url(c, &lv, "/admin/async-tasks", &back);
    snprintf(buf, sizeof buf, "Task #%" PRIu64, t->id);
    vw_page_begin(c, buf);
    vw_elem(c, "h1", NULL, buf);
    vw_start(c, "dl", "task-detail");
    row(c, "User", t->user_name);
    row(c, "Task Type", t->type_name);
    const at_pause_rule *rule;
    row(c, "Status", at_task_status(t, rules, &rule));
    if (rule) {
        char what[AT_RULE_TEXT_BUF];
        row(c, "Held by", at_pause_rule_text(rule, 1, what, sizeof what));
    }
    row_time(c, "Created At", t->created_at);
    row_time(c, "Runs at", t->run_at);
    row_time(c, "Started at", t->started_at);
    row_time(c, "Finished at", t->finished_at);
    snprintf(buf, sizeof buf, "%d", t->priority);
    row(c, "Priority", buf);
    snprintf(buf, sizeof buf, "%u of %u", t->attempts, t->max_attempts);
    row(c, "Attempts", buf);
    if (t->state == AT_TASK_RUNNING && t->progress_total > 0) {
        vw_elem(c, "dt", NULL, "Progress");
        vw_start(c, "dd", NULL);
        fc_progress_text(c, t, "");
        vw_end(c);
    }
    if (t->duration_us >= 0)
        row(c, "Duration", duration(t->duration_us, buf, sizeof buf));
    if (t->last_error)
        row(c, "Last error", t->last_error);
    if (t->result)
        row(c, "Result", t->result);
    vw_end(c);
    vw_elem(c, "h2", NULL, "Payload");
    vw_elem(c, "pre", "payload", t->payload && *t->payload ? t->payload : "(empty)");
    attempts_table(c, &lv, t, a);
    task_actions(c, &lv, t);
    vw_start(c, "p", "dialog-buttons");
    vw_link(c, vw_href(c, &back), "button secondary", "Back to the list");
    vw_end(c);
    vw_url_free(&back);
    fc_task_dialogs(c, &lv);
    vw_page_end(c);
}

int
h_task(fc_ctx *c)
{
    at_task t;
    at_pause_set rules;
    if (fc_task_load(c, c->path_id, &t, &rules))
        return 0;
    at_attempt_page a;
    at_error err;
    if (at_task_attempts(c->db, c->acc.business.id, t.id, (unsigned) fc_arg(c, "before")->i,
                         (unsigned) fc_arg(c, "after")->i, ATTEMPTS_PAGE, &a, &err))
        fc_fail(c, &err);
    else if (c->want_xml)
        fc_xml_task_document(c, &t, &rules, &a);
    else
        task_page(c, &t, &rules, &a);
    at_attempt_page_free(&a);
    at_pause_set_free(&rules);
    at_task_clear(&t);
    return 0;
}

/* A datetime-local control's value: "YYYY-MM-DDTHH:MM:SS" in UTC. */
static char *
local_value(at_time t, char *buf, size_t len)
{
    at_time_format(t, buf, len);
    if (buf[0])
        buf[10] = 'T';
    return buf;
}

/* One field per declared parameter, filled from payload: a number for
 * INT, a choice for BOOL, a line of text for STRING. */
static void
param_field(fc_ctx *c, const at_param_decl *d, size_t k, const char *payload)
{
    char id[32], hint[40], name[32], value[AT_PARAM_VALUE_MAX * 4 + 1];
    snprintf(id, sizeof id, "edit-param-%zu", k);
    snprintf(hint, sizeof hint, "edit-param-%zu-hint", k);
    snprintf(name, sizeof name, "param.%zu", k);
    int has = payload && at_params_get(payload, strlen(payload), d->name, value, sizeof value) == 1;
    if (!has)
        value[0] = 0;
    bool limited = d->min != 0 || d->max != 0;
    vw_start(c, "div", "field param");
    vw_label(c, id, d->name);
    if (d->type == AT_PLUGIN_PARAM_BOOL) {
        char unset[AT_PARAM_VALUE_MAX * 4 + 32];
        snprintf(unset, sizeof unset, d->has_default ? "(default: %s)" : "(not set)",
                 d->default_value);
        const char *values[] = {"", "true", "false", NULL};
        const char *labels[] = {unset, "true", "false"};
        /* a required one has no "not set" */
        size_t first = d->required ? 1 : 0;
        vw_select(c, id, name, NULL, values + first, labels + first, value);
    } else {
        vw_start(c, "input", NULL);
        vw_attr(c, "type", d->type == AT_PLUGIN_PARAM_INT ? "number" : "text");
        vw_attr(c, "id", id);
        vw_attr(c, "name", name);
        vw_attr(c, "value", value);
        if (d->has_default)
            vw_attr(c, "placeholder", d->default_value);
        if (d->type == AT_PLUGIN_PARAM_INT) {
            vw_attr(c, "step", "1");
            if (limited) {
                vw_attrf(c, "min", "%" PRId64, d->min);
                vw_attrf(c, "max", "%" PRId64, d->max);
            }
        } else {
            vw_attrf(c, "maxlength", "%" PRId64, limited ? d->max : (int64_t) AT_PARAM_VALUE_MAX);
            if (limited && d->min > 0)
                vw_attrf(c, "minlength", "%" PRId64, d->min);
        }
        if (d->required)
            vw_attr(c, "required", "required");
        if (d->description[0])
            vw_attr(c, "aria-describedby", hint);
        vw_end_void(c);
    }
    if (d->description[0]) {
        vw_start(c, "p", "hint");
        vw_attr(c, "id", hint);
        vw_text(c, d->description);
        vw_end(c);
    }
    vw_end(c);
}

/* The Edit form showing t (or what was sent for it); d[0..n) are the
 * declared parameters of its type, none: the payload as text. */
static int
edit_page(fc_ctx *c, const at_task *t, const at_param_decl *d, size_t n, const char *message,
          int status)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    char title[64], action[96], buf[64];
    vw_url back = {0};
    fc_list_url(c, &lv, "/admin/async-tasks", &back);
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
    vw_hidden(c, "business", c->acc.business.slug);
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
    if (n > 0) {
        vw_start(c, "fieldset", "params");
        vw_elem(c, "legend", NULL, "Parameters");
        for (size_t k = 0; k < n; k++)
            param_field(c, &d[k], k, t->payload);
        vw_end(c);
    } else {
        vw_start(c, "div", "field");
        vw_label(c, "edit-payload", "Payload");
        vw_start(c, "textarea", NULL);
        vw_attr(c, "id", "edit-payload");
        vw_attr(c, "name", "payload");
        vw_attr(c, "rows", "10");
        vw_text(c, t->payload ? t->payload : "");
        vw_end(c);
        vw_end(c);
    }
    vw_start(c, "div", "dialog-buttons");
    vw_link(c, vw_href(c, &back), "button secondary", "Cancel");
    vw_button(c, "submit", "primary", "Save");
    vw_end(c);
    vw_end(c);
    vw_url_free(&back);
    return vw_page_end(c);
}

static int
load_decls(fc_ctx *c, const at_task *t, at_param_decl **d, size_t *n)
{
    at_error err;
    if (at_task_type_params(c->db, t->task_type_id, d, n, &err))
        return fc_fail(c, &err), -1;
    return 0;
}

/* The task alone, without the rules that hold it. */
static int
task_only(fc_ctx *c, at_task *t)
{
    at_error err;
    if (at_task_get(c->db, c->acc.business.id, c->path_id, t, &err))
        return fc_fail(c, &err), -1;
    return 0;
}

int
h_task_edit_form(fc_ctx *c)
{
    at_task t;
    if (task_only(c, &t))
        return 0;
    at_param_decl *d = NULL;
    size_t n = 0;
    if (t.state != AT_TASK_QUEUED) {
        char msg[160];
        snprintf(msg, sizeof msg, "Task #%" PRIu64 " is %s: only a queued or paused task can be edited.",
                 t.id, at_task_state_str(t.state));
        fc_error(c, 409, msg);
    } else if (load_decls(c, &t, &d, &n) == 0) {
        edit_page(c, &t, d, n, NULL, 200);
    }
    free(d);
    at_task_clear(&t);
    return 0;
}

/* The payload the parameter fields make: "name=value" lines in the
 * declared order, empty fields left out (the default then applies).
 * malloc'd into *out; on a refusal, the message is in err. */
static int
params_payload(fc_ctx *c, const at_param_decl *d, size_t n, char **out, at_error *err)
{
    size_t cap = 1;
    const fc_kv *v[AT_PARAMS_MAX] = {0};
    for (size_t k = 0; k < n && k < AT_PARAMS_MAX; k++) {
        char key[32];
        snprintf(key, sizeof key, "param.%zu", k);
        v[k] = fc_kv_get(&c->form, key);
        if (v[k] && v[k]->len && strpbrk(v[k]->value, "\r\n"))
            return at_error_set(err, AT_EINVAL, "parameter %s must be one line", d[k].name);
        if (v[k])
            cap += strlen(d[k].name) + v[k]->len + 2;
    }
    char *p = malloc(cap);
    if (!p)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t j = 0;
    for (size_t k = 0; k < n && k < AT_PARAMS_MAX; k++)
        if (v[k] && v[k]->len)
            j += (size_t) snprintf(p + j, cap - j, "%s=%s\n", d[k].name, v[k]->value);
    p[j] = 0;
    *out = p;
    return at_params_check(d, n, p, j, err);
}

int
h_task_edit(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    at_task t;
    if (task_only(c, &t))
        return 0;
    at_param_decl *d = NULL;
    size_t n = 0;
    char *built = NULL;
    if (load_decls(c, &t, &d, &n))
        goto out;
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
    at_error err;
    int rc = AT_OK;
    if (n > 0) {
        /* a type with parameters: the payload is what its fields make */
        rc = params_payload(c, d, n, &built, &err);
        e.payload = built;
    }
    e.payload_len = e.payload ? strlen(e.payload) : 0;
    if (rc == AT_OK)
        rc = at_task_update(c->db, &c->actor, c->acc.business.id, c->path_id,
                            (unsigned) fc_arg(c, "version")->i, &e, &err);
    if (rc == AT_EINVAL) {
        /* the form again, as it was filled in, and what is wrong with it */
        at_task shown = t;
        shown.priority = e.priority;
        shown.run_at = e.run_at;
        if (e.payload)
            shown.payload = (char *) e.payload; /* borrowed: shown is not cleared */
        edit_page(c, &shown, d, n, err.msg, 400);
    } else if (rc == AT_ECONFLICT) {
        /* show what is there now, and say why nothing was saved */
        at_task now;
        at_error err2;
        if (at_task_get(c->db, c->acc.business.id, c->path_id, &now, &err2) == AT_OK) {
            edit_page(c, &now, d, n, err.msg, 409);
            at_task_clear(&now);
        } else {
            fc_fail(c, &err);
        }
    } else if (rc) {
        fc_fail(c, &err);
    } else {
        fc_flash(c, "Task #%" PRIu64 " saved.", c->path_id);
        fc_redirect_list(c, &lv);
    }
out:
    free(built);
    free(d);
    at_task_clear(&t);
    return 0;
}

int
h_task_delete_form(fc_ctx *c)
{
    at_task t;
    at_pause_set rules;
    if (fc_task_load(c, c->path_id, &t, &rules))
        return 0;
    fc_listview lv;
    fc_listview_from(c, &lv);
    char title[64], action[96];
    snprintf(title, sizeof title, "Delete task #%" PRIu64, t.id);
    snprintf(action, sizeof action, "/admin/async-tasks/tasks/%" PRIu64 "/delete", t.id);
    vw_page_begin(c, title);
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, title);
    vw_start(c, "p", NULL);
    vw_textf(c, "Delete %s for %s (%s)? ", t.type_name, t.user_name,
             at_task_status(&t, &rules, NULL));
    vw_text(c, t.state == AT_TASK_RUNNING
                   ? "It is running: it will be asked to stop, and end as cancelled."
                   : "It is removed; the audit log keeps a record.");
    vw_end(c);
    fc_confirm_page_form(c, &lv, action, "danger", "Delete");
    vw_end(c);
    at_pause_set_free(&rules);
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
    if (at_task_delete(c->db, &c->actor, c->acc.business.id, c->path_id, &cancelled, &err))
        return fc_fail(c, &err);
    if (cancelled)
        fc_flash(c, "Task #%" PRIu64 " is running: it has been asked to stop.", c->path_id);
    else
        fc_flash(c, "Task #%" PRIu64 " deleted.", c->path_id);
    return fc_redirect_list(c, &lv);
}
