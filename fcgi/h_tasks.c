/* h_tasks.c: the Async Tasks page: the business's totals, search, sort,
 * status filter, keyset pages, and the task table with each task's live
 * status; its dialogs. Every part of it costs O(page): the page is one
 * index read, the pause rules read are those of the page's tasks, the
 * totals are the business's counters and a searched view counts no
 * further than SEARCH_COUNT_CAP. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define SEARCH_COUNT_CAP 50

/* What the page shows, read before a byte of it is written. */
typedef struct list_data {
    at_task_page page;
    at_pause_set rules;
    at_pause_counts paused; /* live rules, counted up to a cap */
    at_task_counts totals;
    bool searched;
} list_data;

static void
status_cell(fc_ctx *c, const at_task *t, const at_pause_set *rules)
{
    const at_pause_rule *rule;
    const char *word = at_task_status(t, rules, &rule);
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
    } else if (t->state == AT_TASK_QUEUED && t->run_at > c->acc.now) {
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
    fc_listview v = *lv;
    v.sort = key;
    v.dir = current && !desc ? "desc" : current ? "asc" : strcmp(key, "created") == 0 ? "desc" : "asc";
    vw_url url = {0};
    fc_list_url(c, &v, "/admin/async-tasks", &url);
    vw_start(c, "a", current ? "sort current" : "sort");
    vw_url_attr(c, "href", vw_href(c, &url));
    vw_url_free(&url);
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

static void
action_link(fc_ctx *c, const char *path, const fc_listview *lv, const char *dialog,
            const char *text)
{
    vw_url url = {0};
    fc_list_url(c, lv, path, &url);
    vw_start(c, "a", "button");
    vw_url_attr(c, "href", vw_href(c, &url));
    vw_attr(c, "data-dialog", dialog);
    vw_text(c, text);
    vw_end(c);
    vw_url_free(&url);
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
    vw_hidden(c, "business", c->acc.business.slug);
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
    vw_url reset = {0};
    vw_url_path(&reset, "/admin/async-tasks");
    vw_url_param(&reset, "business", c->acc.business.slug);
    vw_link(c, vw_href(c, &reset), "button secondary", "Reset");
    vw_url_free(&reset);
    vw_end(c);
    vw_end(c);
}

static void
task_row(fc_ctx *c, const fc_listview *lv, const at_task *t, const at_pause_set *rules)
{
    char id[32], path[96];
    snprintf(id, sizeof id, "task-%" PRIu64, t->id);
    vw_start(c, "tr", NULL);
    vw_attr(c, "id", id);
    vw_attr(c, "data-status", at_task_status(t, rules, NULL));
    vw_start(c, "td", "user");
    vw_text(c, t->user_name);
    vw_end(c);
    vw_start(c, "td", "type");
    vw_text(c, t->type_name);
    vw_end(c);
    vw_start(c, "td", "created");
    vw_time(c, t->created_at);
    vw_end(c);
    vw_start(c, "td", "status-cell");
    status_cell(c, t, rules);
    vw_end(c);
    vw_start(c, "td", "actions");
    vw_url url = {0};
    snprintf(path, sizeof path, "/admin/async-tasks/tasks/%" PRIu64 "/edit", t->id);
    fc_list_url(c, lv, path, &url);
    vw_link(c, vw_href(c, &url), "edit", "Edit");
    vw_url_free(&url);
    fc_task_action_link(c, lv, t, AT_ACTION_RETRY);
    fc_task_action_link(c, lv, t, AT_ACTION_RUN_NOW);
    fc_task_delete_link(c, lv, t);
    vw_end(c);
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
    fc_resume_all_question(c);
    fc_confirm_form(c, lv, "/admin/async-tasks/resume-all", "primary", "Resume All");
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

    /* Delete, Retry, Run now, Discard */
    fc_task_dialogs(c, lv);
}

static void
pager(fc_ctx *c, const fc_listview *lv, const at_task_page *page)
{
    vw_url prev = {0}, next = {0};
    if (page->has_prev) {
        fc_list_url(c, lv, "/admin/async-tasks", &prev);
        vw_url_param(&prev, "before", page->prev);
    }
    if (page->has_next) {
        fc_list_url(c, lv, "/admin/async-tasks", &next);
        vw_url_param(&next, "after", page->next);
    }
    /* a page cut at a window goes on searching the way it was read */
    bool back = fc_arg(c, "before")->present;
    vw_pager(c, page->has_prev ? vw_href(c, &prev) : NULL,
             page->window_cut && back ? "‹ Search further back" : "‹ Previous",
             page->has_next ? vw_href(c, &next) : NULL,
             page->window_cut && !back ? "Search further ›" : "Next ›");
    vw_url_free(&prev);
    vw_url_free(&next);
}

/* A searched view: how many match, counted no further than the cap, nor
 * than a window of tasks when matches are sparse; and a page that its
 * window ended says so. */
static void
match_count(fc_ctx *c, const at_task_page *page)
{
    if (page->window_cut)
        vw_elem(c, "p", "note",
                "Few tasks match, so this page stopped searching part way to stay quick: "
                "Search further goes on from there.");
    vw_start(c, "p", "count");
    if (page->count_more && page->count >= SEARCH_COUNT_CAP)
        vw_textf(c, "%" PRIu64 "+ tasks match", page->count);
    else if (page->count_more && page->count == 0) /* counted in a window */
        vw_text(c, "No task matches among those searched so far");
    else if (page->count_more)
        vw_textf(c, "At least %" PRIu64 " task%s match%s", page->count,
                 page->count == 1 ? "" : "s", page->count == 1 ? "es" : "");
    else
        vw_textf(c, "%" PRIu64 " task%s match%s", page->count, page->count == 1 ? "" : "s",
                 page->count == 1 ? "es" : "");
    vw_end(c);
}

static void
task_table(fc_ctx *c, const fc_listview *lv, const list_data *d)
{
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "tasks");
    vw_attrf(c, "aria-label", "Tasks of %s", c->acc.business.name);
    vw_start(c, "thead", NULL);
    vw_start(c, "tr", NULL);
    sort_header(c, lv, "user", "User");
    sort_header(c, lv, "type", "Task Type");
    sort_header(c, lv, "created", "Created At");
    static const char *const plain[] = {"Status", "Actions"};
    for (size_t i = 0; i < 2; i++) {
        vw_start(c, "th", NULL);
        vw_attr(c, "scope", "col");
        vw_text(c, plain[i]);
        vw_end(c);
    }
    vw_end(c);
    vw_end(c); /* thead */
    vw_start(c, "tbody", NULL);
    if (d->page.n == 0)
        vw_empty_row(c, 5, "There are no tasks to show");
    for (size_t i = 0; i < d->page.n; i++)
        task_row(c, lv, &d->page.rows[i], &d->rules);
    vw_end(c); /* tbody */
    vw_end(c); /* table */
    vw_end(c); /* div */
}

static void
xml_list(fc_ctx *c, const fc_listview *lv, const list_data *d)
{
    vw_xml_begin(c, "tasks");
    vw_attr(c, "business", c->acc.business.slug);
    vw_attr(c, "sort", lv->sort);
    vw_attr(c, "dir", lv->dir);
    vw_attr(c, "status", lv->status);
    vw_attr(c, "user-search", lv->user);
    vw_attr(c, "type-search", lv->type);
    vw_attr(c, "limit", lv->limit);
    if (d->searched) {
        vw_attrf(c, "matches", "%" PRIu64, d->page.count);
        vw_attr(c, "matches-is-minimum", d->page.count_more ? "true" : "false");
    } else {
        fc_totals_xml(c, &d->totals);
    }
    fc_platform_rules_xml(c, &d->rules);
    for (size_t i = 0; i < d->page.n; i++) {
        vw_start(c, "task", NULL);
        fc_xml_task_fields(c, &d->page.rows[i], &d->rules);
        vw_end(c);
    }
    vw_start(c, "page", NULL);
    if (d->page.window_cut)
        vw_attr(c, "window-cut", "true");
    if (d->page.has_next)
        vw_attr(c, "next", d->page.next);
    if (d->page.has_prev)
        vw_attr(c, "prev", d->page.prev);
    vw_end_void(c);
    vw_xml_end(c);
}

static void
html_list(fc_ctx *c, const fc_listview *lv, const list_data *d)
{
    vw_page_begin(c, "Async Tasks");
    vw_elem(c, "h1", NULL, "Async Tasks");
    vw_elem(c, "p", "lead",
            "View and manage asynchronous tasks triggered by users: pause and resume them by "
            "user or by task type.");
    fc_dashboard_link(c);
    vw_start(c, "div", "toolbar");
    fc_business_form(c, "/admin/async-tasks", lv);
    vw_start(c, "div", "actions");
    action_link(c, "/admin/async-tasks/resume-all", lv, "resume-all-dialog", "Resume All");
    action_link(c, "/admin/async-tasks/pause-user", lv, "pause-user-dialog", "Pause User");
    action_link(c, "/admin/async-tasks/pause-type", lv, "pause-type-dialog", "Pause Task Type");
    vw_end(c);
    vw_end(c);
    fc_paused_summary(c, &d->paused);
    fc_platform_rules_html(c, &d->rules);
    if (!d->searched)
        fc_totals_html(c, &d->totals);
    filters_form(c, lv);
    if (d->searched)
        match_count(c, &d->page);
    fc_bulk_links(c, lv);
    task_table(c, lv, d);
    pager(c, lv, &d->page);
    dialogs(c, lv);
    vw_page_end(c);
}

static int
load(fc_ctx *c, const fc_listview *lv, list_data *d, at_error *err)
{
    at_task_query q = {0};
    q.business_id = c->acc.business.id;
    q.sort = at_sort_parse(lv->sort);
    q.desc = strcmp(lv->dir, "desc") == 0;
    q.filter = at_filter_parse(lv->status);
    q.user_search = lv->user;
    q.type_search = lv->type;
    q.after = fc_arg(c, "after")->s;
    q.before = fc_arg(c, "before")->s;
    q.limit = (unsigned) atoi(lv->limit);
    /* the searches' ids came with the context, for the very same text */
    if (lv->user && c->user_search && strcmp(lv->user, c->user_search) == 0)
        q.user_ids = &c->user_ids;
    if (lv->type && c->type_search && strcmp(lv->type, c->type_search) == 0)
        q.type_ids = &c->type_ids;
    d->searched = lv->user || lv->type;
    int rc = d->searched ? at_task_list_counted(c->db, &q, SEARCH_COUNT_CAP, &d->page, err)
                         : at_task_list(c->db, &q, &d->page, err);
    if (rc == AT_OK && c->no_rules) /* known with the context */
        at_pause_none(c->acc.business.id, c->acc.now, &d->rules, &d->paused);
    else if (rc == AT_OK)
        rc = at_task_page_rules(c->db, c->acc.business.id, c->acc.now, &d->page, &d->rules,
                                &d->paused, err);
    d->totals = c->totals; /* read with the context */
    return rc;
}

int
h_tasks(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    if (fc_arg(c, "after")->present && fc_arg(c, "before")->present)
        return fc_error(c, 400, "Give either after or before, not both.");
    at_error err;
    list_data d;
    memset(&d, 0, sizeof d);
    if (load(c, &lv, &d, &err))
        fc_fail(c, &err);
    else if (c->want_xml)
        xml_list(c, &lv, &d);
    else
        html_list(c, &lv, &d);
    at_task_page_free(&d.page);
    at_pause_set_free(&d.rules);
    return 0;
}
