/* h_tasks.c: the Async Tasks page: business selection, search, sort,
 * status filter, keyset pages, the task table with each task's live
 * status, and Resume All. All of the list's state lives in the URL. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define COUNT_CAP 10000

void
fc_listview_from(const fc_ctx *c, fc_listview *lv)
{
    lv->sort = fc_arg(c, "sort")->s;
    lv->dir = fc_arg(c, "dir")->s;
    lv->status = fc_arg(c, "status")->s;
    lv->user = fc_arg(c, "user")->s;
    lv->type = fc_arg(c, "type")->s;
    lv->limit = fc_arg(c, "limit")->s;
}

/* Defaults are left out, so that URLs stay short and equal views share
 * one URL. */
static const char *
unless(const char *v, const char *def)
{
    return v && strcmp(v, def) != 0 ? v : NULL;
}

char *
fc_list_url(const fc_ctx *c, const fc_listview *lv, char *buf, size_t len)
{
    const char *pairs[] = {"business", c->business.slug,
                           "sort",     unless(lv->sort, "created"),
                           "dir",      unless(lv->dir, "desc"),
                           "status",   unless(lv->status, "pending"),
                           "user",     lv->user,
                           "type",     lv->type,
                           "limit",    unless(lv->limit, "50")};
    char q[3000];
    snprintf(buf, len, "/admin/async-tasks?%s", vw_query(q, sizeof q, pairs, 7));
    return buf;
}

void
vw_listview_hidden(fc_ctx *c, const fc_listview *lv)
{
    vw_hidden(c, "sort", unless(lv->sort, "created"));
    vw_hidden(c, "dir", unless(lv->dir, "desc"));
    vw_hidden(c, "status", unless(lv->status, "pending"));
    vw_hidden(c, "user", lv->user);
    vw_hidden(c, "type", lv->type);
    vw_hidden(c, "limit", unless(lv->limit, "50"));
}

/* The list URL with a page cursor added. */
static char *
page_url(const fc_ctx *c, const fc_listview *lv, const char *key, const char *cursor, char *buf,
         size_t len)
{
    fc_list_url(c, lv, buf, len);
    const char *pairs[] = {key, cursor};
    char q[1200];
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "&%s", vw_query(q, sizeof q, pairs, 1));
    return buf;
}

/* What a person reads in the Status column. */
const char *
fc_status_word(const at_task *t, const at_pause_rule *rule)
{
    if (t->state == AT_TASK_QUEUED && rule)
        return "paused";
    if (t->state == AT_TASK_RUNNING && t->cancel_requested)
        return "cancelling";
    return at_task_state_str(t->state);
}

void
fc_rule_note(fc_ctx *c, const at_pause_rule *r, const char *element, bool name_target)
{
    char at[32], until[32];
    vw_start(c, element, "held-by");
    if (name_target)
        vw_textf(c, "%s %s ", r->scope == AT_SCOPE_USER ? "User" : "Task type", r->target_name);
    vw_textf(c, "paused by %s at %s UTC", r->paused_by_name,
             at_time_format(r->paused_at, at, sizeof at));
    if (r->until)
        vw_textf(c, ", until %s UTC", at_time_format(r->until, until, sizeof until));
    if (r->reason[0])
        vw_textf(c, ": %s", r->reason);
    vw_end(c);
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

static void
status_cell(fc_ctx *c, const at_task *t, const at_pause_rule *rule)
{
    const char *word = fc_status_word(t, rule);
    char cls[64];
    snprintf(cls, sizeof cls, "status status-%s", word);
    vw_elem(c, "span", cls, word);
    if (rule) {
        fc_rule_note(c, rule, "span", true);
    } else if (t->state == AT_TASK_RUNNING && t->started_at) {
        vw_start(c, "span", "detail");
        vw_text(c, "since ");
        vw_time(c, t->started_at);
        fc_progress_text(c, t, ", ");
        vw_end(c);
    } else if (t->state == AT_TASK_FAILED && t->last_error) {
        vw_elem(c, "span", "detail", t->last_error);
    } else if (t->state == AT_TASK_QUEUED && t->run_at > c->now) {
        vw_start(c, "span", "detail");
        vw_text(c, "runs at ");
        vw_time(c, t->run_at);
        vw_end(c);
    }
}

static void
sort_header(fc_ctx *c, const fc_listview *lv, const char *key, const char *label)
{
    bool current = strcmp(lv->sort, key) == 0;
    bool desc = strcmp(lv->dir, "desc") == 0;
    vw_start(c, "th", NULL);
    vw_attr(c, "scope", "col");
    if (current)
        vw_attr(c, "aria-sort", desc ? "descending" : "ascending");
    /* a click on the current column turns the order round */
    char url[4096];
    fc_listview v = *lv;
    v.sort = key;
    v.dir = current && !desc ? "desc" : current ? "asc" : strcmp(key, "created") == 0 ? "desc" : "asc";
    vw_start(c, "a", current ? "sort current" : "sort");
    vw_attr(c, "href", fc_list_url(c, &v, url, sizeof url));
    vw_text(c, label);
    if (current) {
        vw_start(c, "span", "arrow");
        vw_attr(c, "aria-hidden", "true");
        vw_text(c, desc ? " ▼" : " ▲");
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
}

void
fc_business_form(fc_ctx *c, const char *action, const fc_listview *lv, const at_business *v,
                 size_t n)
{
    vw_form_begin(c, "get", action, "business-select");
    vw_attr(c, "id", "business-form");
    vw_label(c, "business", "Business");
    vw_start(c, "select", NULL);
    vw_attr(c, "id", "business");
    vw_attr(c, "name", "business");
    for (size_t i = 0; i < n; i++) {
        vw_start(c, "option", NULL);
        vw_attr(c, "value", v[i].slug);
        if (v[i].id == c->business.id)
            vw_attr(c, "selected", "selected");
        vw_text(c, v[i].name);
        vw_end(c);
    }
    vw_end(c);
    /* switching keeps the sort and the search */
    if (lv)
        vw_listview_hidden(c, lv);
    vw_button(c, "submit", "secondary js-hide", "Switch");
    vw_end(c);
}

static void
action_link(fc_ctx *c, const char *path, const fc_listview *lv, const char *dialog,
            const char *cls, const char *text)
{
    char url[4096], list[4096];
    fc_list_url(c, lv, list, sizeof list);
    /* the list URL's query, moved onto the action's path */
    snprintf(url, sizeof url, "%s%s", path, strchr(list, '?'));
    vw_start(c, "a", cls);
    vw_attr(c, "href", url);
    vw_attr(c, "data-dialog", dialog);
    vw_text(c, text);
    vw_end(c);
}

static void
filters_form(fc_ctx *c, const fc_listview *lv)
{
    static const char *const status_v[] = {"pending", "finished", "all", NULL};
    static const char *const status_l[] = {"Pending (queued, paused, running)", "Finished", "All"};
    static const char *const sort_v[] = {"created", "user", "type", NULL};
    static const char *const sort_l[] = {"Created At", "User", "Task Type"};
    static const char *const dir_v[] = {"desc", "asc", NULL};
    static const char *const dir_l[] = {"Descending", "Ascending"};
    static const char *const limit_v[] = {"25", "50", "100", "200", NULL};
    static const char *const limit_l[] = {"25", "50", "100", "200"};
    vw_form_begin(c, "get", "/admin/async-tasks", "filters");
    vw_attr(c, "role", "search");
    vw_hidden(c, "business", c->business.slug);
    vw_start(c, "div", "field");
    vw_input(c, "search", "q-user", "user", lv->user, "User");
    vw_end(c);
    vw_start(c, "div", "field");
    vw_input(c, "search", "q-type", "type", lv->type, "Task Type");
    vw_end(c);
    vw_start(c, "div", "field");
    vw_select(c, "f-status", "status", "Status", status_v, status_l, lv->status);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_select(c, "f-sort", "sort", "Sort by", sort_v, sort_l, lv->sort);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_select(c, "f-dir", "dir", "Order", dir_v, dir_l, lv->dir);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_select(c, "f-limit", "limit", "Per page", limit_v, limit_l, lv->limit);
    vw_end(c);
    vw_start(c, "div", "field buttons");
    vw_button(c, "submit", "primary", "Search");
    char reset[256];
    snprintf(reset, sizeof reset, "/admin/async-tasks?business=%s", c->business.slug);
    vw_link(c, reset, "button secondary", "Reset");
    vw_end(c);
    vw_end(c);
}

static void
task_row(fc_ctx *c, const fc_listview *lv, const at_task *t, const at_pause_rule *rule)
{
    char url[4096], list[4096], id[32];
    snprintf(id, sizeof id, "task-%" PRIu64, t->id);
    vw_start(c, "tr", NULL);
    vw_attr(c, "id", id);
    vw_attr(c, "data-status", fc_status_word(t, rule));
    vw_start(c, "td", "user");
    vw_attr(c, "data-label", "User");
    vw_text(c, t->user_name);
    vw_end(c);
    vw_start(c, "td", "type");
    vw_attr(c, "data-label", "Task Type");
    vw_text(c, t->type_name);
    vw_end(c);
    vw_start(c, "td", "created");
    vw_attr(c, "data-label", "Created At");
    vw_time(c, t->created_at);
    vw_end(c);
    vw_start(c, "td", "status-cell");
    vw_attr(c, "data-label", "Status");
    status_cell(c, t, rule);
    vw_end(c);
    vw_start(c, "td", "actions");
    vw_attr(c, "data-label", "Actions");
    fc_list_url(c, lv, list, sizeof list);
    const char *q = strchr(list, '?');
    snprintf(url, sizeof url, "/admin/async-tasks/tasks/%" PRIu64 "/edit%s", t->id, q);
    vw_link(c, url, "edit", "Edit");
    snprintf(url, sizeof url, "/admin/async-tasks/tasks/%" PRIu64 "/delete%s", t->id, q);
    vw_start(c, "a", "delete danger");
    vw_attr(c, "href", url);
    vw_attr(c, "data-dialog", "delete-dialog");
    vw_attrf(c, "data-what", "%s for %s (task #%" PRIu64 ")", t->type_name, t->user_name, t->id);
    vw_text(c, "Delete");
    vw_end(c);
    vw_end(c);
    vw_end(c);
}

/* A confirmation dialog's form: Cancel closes the dialog, the other
 * button posts to action (set by the script when empty). */
static void
confirm_form(fc_ctx *c, const fc_listview *lv, const char *action, const char *cls,
             const char *text)
{
    vw_form_begin(c, "post", action, "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, lv);
    vw_start(c, "button", "secondary");
    vw_attr(c, "type", "submit");
    vw_attr(c, "formmethod", "dialog");
    vw_attr(c, "value", "cancel");
    vw_text(c, "Cancel");
    vw_end(c);
    vw_button(c, "submit", cls, text);
    vw_end(c);
}

static void
dialogs(fc_ctx *c, const fc_listview *lv)
{
    /* Resume All: the confirmation the spec asks for */
    vw_start(c, "dialog", "confirm");
    vw_attr(c, "id", "resume-all-dialog");
    vw_attr(c, "aria-labelledby", "resume-all-title");
    vw_start(c, "h2", NULL);
    vw_attr(c, "id", "resume-all-title");
    vw_text(c, "Resume All");
    vw_end(c);
    vw_start(c, "p", NULL);
    vw_textf(c, "Resume every paused task of %s? All pauses of users and task types in this "
                "business are removed, and their tasks become runnable at once.",
             c->business.name);
    vw_end(c);
    confirm_form(c, lv, "/admin/async-tasks/resume-all", "primary", "Resume All");
    vw_end(c);

    /* Pause User and Pause Task Type: filled from their pages on opening */
    static const char *const ids[] = {"pause-user-dialog", "pause-type-dialog"};
    static const char *const titles[] = {"Pause User", "Pause Task Type"};
    for (int i = 0; i < 2; i++) {
        vw_start(c, "dialog", "panel");
        vw_attr(c, "id", ids[i]);
        vw_attr(c, "aria-label", titles[i]);
        vw_start(c, "div", "panel-slot");
        vw_elem(c, "p", "loading", "Loading…");
        vw_end(c);
        vw_start(c, "form", "dialog-close");
        vw_attr(c, "method", "dialog");
        vw_button(c, "submit", "secondary", "Close");
        vw_end(c);
        vw_end(c);
    }

    /* Delete: one dialog; the script points its form at the task */
    vw_start(c, "dialog", "confirm");
    vw_attr(c, "id", "delete-dialog");
    vw_attr(c, "aria-labelledby", "delete-title");
    vw_start(c, "h2", NULL);
    vw_attr(c, "id", "delete-title");
    vw_text(c, "Delete task");
    vw_end(c);
    vw_start(c, "p", NULL);
    vw_text(c, "Delete ");
    vw_elem(c, "strong", "what", "this task");
    vw_text(c, "? A queued task is removed; a running one is asked to stop.");
    vw_end(c);
    confirm_form(c, lv, "", "danger", "Delete");
    vw_end(c);
}

void
fc_xml_task_fields(fc_ctx *c, const at_task *t, const at_pause_rule *rule)
{
    char iso[40];
    vw_attrf(c, "id", "%" PRIu64, t->id);
    vw_attrf(c, "user-id", "%" PRIu64, t->user_id);
    vw_attr(c, "user", t->user_name);
    vw_attr(c, "type", t->type_name);
    vw_attr(c, "status", fc_status_word(t, rule));
    vw_attr(c, "created-at", vw_iso(t->created_at, iso, sizeof iso));
    vw_attr(c, "run-at", vw_iso(t->run_at, iso, sizeof iso));
    if (t->started_at)
        vw_attr(c, "started-at", vw_iso(t->started_at, iso, sizeof iso));
    if (t->finished_at)
        vw_attr(c, "finished-at", vw_iso(t->finished_at, iso, sizeof iso));
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
    if (rule) {
        vw_start(c, "paused-by", NULL);
        vw_attr(c, "scope", at_scope_str(rule->scope));
        vw_attr(c, "target", rule->target_name);
        vw_attr(c, "by", rule->paused_by_name);
        vw_attr(c, "at", vw_iso(rule->paused_at, iso, sizeof iso));
        if (rule->until)
            vw_attr(c, "until", vw_iso(rule->until, iso, sizeof iso));
        vw_attr(c, "reason", rule->reason);
        vw_end_void(c);
    }
    if (t->last_error)
        vw_elem(c, "error", NULL, t->last_error);
}

/* The rule that holds t: only a queued task is held; one that runs or
 * has ended is not, whatever rules there are now. */
static const at_pause_rule *
holding(const at_pause_set *rules, const at_task *t)
{
    return t->state == AT_TASK_QUEUED ? at_pause_match(rules, t->user_id, t->task_type_id) : NULL;
}

static void
xml_task(fc_ctx *c, const at_task *t, const at_pause_rule *rule)
{
    vw_start(c, "task", NULL);
    fc_xml_task_fields(c, t, rule);
    vw_end(c);
}

static void
pager(fc_ctx *c, const fc_listview *lv, const at_task_page *page)
{
    char url[4096];
    vw_start(c, "nav", "pager");
    vw_attr(c, "aria-label", "Pages");
    if (page->has_prev) {
        vw_start(c, "a", "button secondary");
        vw_attr(c, "rel", "prev");
        vw_attr(c, "href", page_url(c, lv, "before", page->prev, url, sizeof url));
        vw_text(c, "‹ Previous");
        vw_end(c);
    }
    if (page->has_next) {
        vw_start(c, "a", "button secondary");
        vw_attr(c, "rel", "next");
        vw_attr(c, "href", page_url(c, lv, "after", page->next, url, sizeof url));
        vw_text(c, "Next ›");
        vw_end(c);
    }
    vw_end(c);
}

int
h_tasks(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    at_task_query q = {0};
    q.business_id = c->business.id;
    q.sort = at_sort_parse(lv.sort);
    q.desc = strcmp(lv.dir, "desc") == 0;
    q.filter = at_filter_parse(lv.status);
    q.user_search = lv.user;
    q.type_search = lv.type;
    q.after = fc_arg(c, "after")->s;
    q.before = fc_arg(c, "before")->s;
    q.limit = (unsigned) atoi(lv.limit);
    if (q.after && q.before)
        return fc_error(c, 400, "Give either after or before, not both.");
    at_error err;
    at_task_page page;
    at_pause_set rules;
    uint64_t total = 0;
    int more = 0;
    if (at_pause_load(c->db, c->business.id, &rules, &err))
        return fc_fail(c, &err);
    if (at_task_list(c->db, &q, &page, &err) ||
        at_task_count(c->db, &q, COUNT_CAP, &total, &more, &err)) {
        at_pause_set_free(&rules);
        return fc_fail(c, &err);
    }
    if (c->want_xml) {
        vw_xml_begin(c, "tasks");
        vw_attr(c, "business", c->business.slug);
        vw_attr(c, "sort", lv.sort);
        vw_attr(c, "dir", lv.dir);
        vw_attr(c, "status", lv.status);
        vw_attr(c, "user-search", lv.user);
        vw_attr(c, "type-search", lv.type);
        vw_attr(c, "limit", lv.limit);
        vw_attrf(c, "total", "%" PRIu64, total);
        vw_attr(c, "total-is-minimum", more ? "true" : "false");
        for (size_t i = 0; i < page.n; i++)
            xml_task(c, &page.rows[i], holding(&rules, &page.rows[i]));
        vw_start(c, "page", NULL);
        if (page.has_next)
            vw_attr(c, "next", page.next);
        if (page.has_prev)
            vw_attr(c, "prev", page.prev);
        vw_end_void(c);
        vw_xml_end(c);
        at_task_page_free(&page);
        at_pause_set_free(&rules);
        return 0;
    }
    at_business *bv = NULL;
    size_t bn = 0;
    if (at_business_list_admin(c->db, c->user.id, &bv, &bn, &err)) {
        at_task_page_free(&page);
        at_pause_set_free(&rules);
        return fc_fail(c, &err);
    }
    vw_page_begin(c, "Async Tasks");
    vw_elem(c, "h1", NULL, "Async Tasks");
    vw_elem(c, "p", "lead",
            "View and manage asynchronous tasks triggered by users: pause and resume them by "
            "user or by task type.");
    vw_start(c, "div", "toolbar");
    fc_business_form(c, "/admin/async-tasks", &lv, bv, bn);
    vw_start(c, "div", "actions");
    action_link(c, "/admin/async-tasks/resume-all", &lv, "resume-all-dialog", "button",
                "Resume All");
    action_link(c, "/admin/async-tasks/pause-user", &lv, "pause-user-dialog", "button",
                "Pause User");
    action_link(c, "/admin/async-tasks/pause-type", &lv, "pause-type-dialog", "button",
                "Pause Task Type");
    vw_end(c);
    vw_end(c);
    size_t pu = 0, pt = 0;
    for (size_t i = 0; i < rules.n; i++)
        rules.rules[i].scope == AT_SCOPE_USER ? pu++ : pt++;
    if (rules.n) {
        vw_start(c, "p", "paused-summary");
        vw_textf(c, "Paused now in %s: %zu user%s and %zu task type%s.", c->business.name, pu,
                 pu == 1 ? "" : "s", pt, pt == 1 ? "" : "s");
        vw_end(c);
    }
    filters_form(c, &lv);
    vw_start(c, "p", "count");
    if (more)
        vw_textf(c, "More than %u tasks", COUNT_CAP);
    else
        vw_textf(c, "%" PRIu64 " task%s", total, total == 1 ? "" : "s");
    vw_end(c);
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "tasks");
    vw_attrf(c, "aria-label", "Tasks of %s", c->business.name);
    vw_start(c, "thead", NULL);
    vw_start(c, "tr", NULL);
    sort_header(c, &lv, "user", "User");
    sort_header(c, &lv, "type", "Task Type");
    sort_header(c, &lv, "created", "Created At");
    vw_start(c, "th", NULL);
    vw_attr(c, "scope", "col");
    vw_text(c, "Status");
    vw_end(c);
    vw_start(c, "th", NULL);
    vw_attr(c, "scope", "col");
    vw_text(c, "Actions");
    vw_end(c);
    vw_end(c);
    vw_end(c); /* thead */
    vw_start(c, "tbody", NULL);
    if (page.n == 0)
        vw_empty_row(c, 5, "There are no tasks to show");
    for (size_t i = 0; i < page.n; i++)
        task_row(c, &lv, &page.rows[i], holding(&rules, &page.rows[i]));
    vw_end(c); /* tbody */
    vw_end(c); /* table */
    vw_end(c); /* div */
    pager(c, &lv, &page);
    dialogs(c, &lv);
    vw_page_end(c);
    free(bv);
    at_task_page_free(&page);
    at_pause_set_free(&rules);
    return 0;
}

int
h_resume_all_form(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    char back[4096];
    fc_list_url(c, &lv, back, sizeof back);
    vw_page_begin(c, "Resume All");
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, "Resume All");
    vw_start(c, "p", NULL);
    vw_textf(c, "Resume every paused task of %s? All pauses of users and task types in this "
                "business are removed, and their tasks become runnable at once.",
             c->business.name);
    vw_end(c);
    vw_form_begin(c, "post", "/admin/async-tasks/resume-all", "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, &lv);
    vw_link(c, back, "button secondary", "Cancel");
    vw_button(c, "submit", "primary", "Resume All");
    vw_end(c);
    vw_end(c);
    return vw_page_end(c);
}

int
h_resume_all(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    unsigned removed = 0;
    uint64_t released = 0;
    at_error err;
    if (at_pause_resume_all(c->db, &c->actor, c->business.id, &removed, &released, &err))
        return fc_fail(c, &err);
    if (removed == 0)
        fc_flash(c, "Nothing was paused in %s.", c->business.name);
    else
        fc_flash(c, "Resume All: %u pause%s removed, %" PRIu64 " task%s released.", removed,
                 removed == 1 ? "" : "s", released, released == 1 ? "" : "s");
    char url[4096];
    return fc_redirect(c, fc_list_url(c, &lv, url, sizeof url));
}
