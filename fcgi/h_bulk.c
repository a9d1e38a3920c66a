/* h_bulk.c: bulk actions on the list's current view (lib/bulk.c): the
 * links under the filters, the confirmation page (how many tasks match,
 * counted up to a cap, and the first of them), the POST that starts a bulk
 * job, the job's progress page with its Cancel button, and that cancel.
 * Plain pages and forms: they work alike with and without script (the
 * script only refreshes the progress page on its own). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

/* What the screen says of each bulk action. */
struct bulk_text {
    int action;
    const char *label;   /* the link's text */
    const char *verb;    /* the button's, before "N tasks" */
    const char *fits;    /* which tasks it acts on */
    const char *cls;     /* the button's class */
};

static const struct bulk_text texts[] = {
    {AT_ACTION_RETRY, "Retry all", "Retry",
     "Failed and cancelled tasks are queued again with a new budget of attempts (a pause that "
     "names their user or type still holds them); the others are skipped.",
     "primary"},
    {AT_ACTION_CANCEL, "Cancel all", "Cancel",
     "Queued and paused tasks end as cancelled and running ones are asked to stop; finished "
     "tasks are skipped.",
     "danger"},
    {AT_ACTION_DELETE, "Delete all", "Delete",
     "Every task is removed, except running ones, which are asked to stop, as Delete does for "
     "one task.",
     "danger"},
};

static const struct bulk_text *
text_of(int action)
{
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].action == action)
            return &texts[i];
    return NULL;
}

/* The action a route's path ends with: ".../bulk/retry". */
static const struct bulk_text *
path_action(const fc_ctx *c)
{
    const char *slash = strrchr(c->path, '/');
    return slash ? text_of(at_task_action_parse(slash + 1)) : NULL;
}

void
fc_bulk_links(fc_ctx *c, const fc_listview *lv)
{
    vw_start(c, "div", "bulk-actions");
    vw_elem(c, "span", "bulk-label", "Every task of this view:");
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/admin/async-tasks/bulk/%s",
                 at_task_action_str(texts[i].action));
        vw_url url = {0};
        fc_list_url(c, lv, path, &url);
        char cls[48];
        snprintf(cls, sizeof cls, "button secondary bulk-%s", at_task_action_str(texts[i].action));
        vw_link(c, vw_href(c, &url), cls, texts[i].label);
        vw_url_free(&url);
    }
    vw_end(c);
}

/* The action the path names and the view the parameters give; NULL,
 * with the 404 page set, when the path names none. */
static const struct bulk_text *
view_of(fc_ctx *c, fc_listview *lv, at_bulk_filter *f)
{
    const struct bulk_text *x = path_action(c);
    if (!x) {
        fc_error(c, 404, "No such page.");
        return NULL;
    }
    fc_listview_from(c, lv);
    *f = (at_bulk_filter){c->acc.business.id, x->action, at_filter_parse(lv->status), lv->user,
                          lv->type};
    return x;
}

/* "status pending, user 'ann'" */
static void
filter_words(fc_ctx *c, int filter, const char *user, const char *type)
{
    char what[600];
    at_bulk_filter_text(filter, user, type, what, sizeof what);
    vw_elem(c, "span", "bulk-filter", what);
}

static void
count_text(fc_ctx *c, uint64_t n, int more)
{
    char buf[64];
    vw_text(c, at_bulk_count_text(n, more, buf, sizeof buf));
}

static void
sample_table(fc_ctx *c, const at_task_page *page)
{
    static const char *const heads[] = {"Task", "User", "Task Type", "State", "Created At"};
    vw_start(c, "table", "bulk-sample");
    vw_elem(c, "caption", NULL, "The first of them");
    vw_table_head(c, heads, sizeof heads / sizeof heads[0]);
    vw_start(c, "tbody", NULL);
    for (size_t i = 0; i < page->n; i++) {
        const at_task *t = &page->rows[i];
        vw_start(c, "tr", NULL);
        vw_start(c, "td", NULL);
        vw_textf(c, "#%" PRIu64, t->id);
        vw_end(c);
        vw_elem(c, "td", NULL, t->user_name);
        vw_elem(c, "td", NULL, t->type_name);
        vw_elem(c, "td", NULL, at_task_state_str(t->state));
        vw_start(c, "td", NULL);
        vw_time(c, t->created_at);
        vw_end(c);
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
}

int
h_bulk_form(fc_ctx *c)
{
    fc_listview lv;
    at_bulk_filter f;
    const struct bulk_text *x = view_of(c, &lv, &f);
    if (!x)
        return 0;
    at_task_page page;
    at_error err;
    if (at_bulk_preview(c->db, &f, AT_BULK_SAMPLE, &page, &err))
        return fc_fail(c, &err);
    char title[64], action_url[64];
    snprintf(title, sizeof title, "%s: every task of this view", x->verb);
    snprintf(action_url, sizeof action_url, "/admin/async-tasks/bulk/%s",
             at_task_action_str(x->action));
    vw_page_begin(c, title);
    vw_start(c, "section", "confirm-page bulk-confirm");
    vw_elem(c, "h1", NULL, title);
    vw_start(c, "p", "bulk-count");
    count_text(c, page.count, page.count_more);
    vw_textf(c, " of %s match%s this view (", c->acc.business.name,
             page.count == 1 && !page.count_more ? "es" : "");
    filter_words(c, f.filter, f.user_search, f.type_search);
    vw_text(c, ").");
    vw_end(c);
    if (page.count == 0 && !page.count_more) {
        vw_elem(c, "p", NULL, "There is nothing to do.");
        vw_url back = {0};
        fc_list_url(c, &lv, "/admin/async-tasks", &back);
        vw_link(c, vw_href(c, &back), "button secondary", "Back to the list");
        vw_url_free(&back);
    } else {
        sample_table(c, &page);
        vw_start(c, "p", NULL);
        vw_textf(c, "%s ", x->fits);
        vw_text(c, "It runs in batches of a few hundred tasks, in the background; a task that "
                   "changed by the time its batch comes is checked again. One audit entry "
                   "records it.");
        vw_end(c);
        char button[96], n[64];
        snprintf(button, sizeof button, "%s %s", x->verb,
                 page.count_more ? "every matching task"
                                 : at_bulk_count_text(page.count, 0, n, sizeof n));
        fc_confirm_page_form(c, &lv, action_url, x->cls, button);
    }
    vw_end(c);
    at_task_page_free(&page);
    return vw_page_end(c);
}

/* The progress page's address. */
static int
redirect_job(fc_ctx *c, uint64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/admin/async-tasks/bulk-jobs/%" PRIu64, id);
    vw_url u = {0};
    vw_url_path(&u, path);
    vw_url_param(&u, "business", c->acc.business.slug);
    int rc = u.oom ? fc_error(c, 500, "Out of memory.") : fc_redirect(c, u.p);
    vw_url_free(&u);
    return rc;
}

int
h_bulk_start(fc_ctx *c)
{
    fc_listview lv;
    at_bulk_filter f;
    const struct bulk_text *x = view_of(c, &lv, &f);
    if (!x)
        return 0;
    uint64_t id = 0;
    at_error err;
    if (at_bulk_start(c->db, &c->actor, &f, NULL, &id, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Bulk job #%" PRIu64 " started.", id);
    return redirect_job(c, id);
}

static void
job_facts(fc_ctx *c, const at_bulk_job *j)
{
    vw_start(c, "dl", "bulk-facts");
    vw_elem(c, "dt", NULL, "State");
    char cls[48];
    snprintf(cls, sizeof cls, "bulk-state bulk-state-%s", at_bulk_state_str(j->state));
    vw_start(c, "dd", NULL);
    vw_elem(c, "span", cls, at_bulk_state_str(j->state));
    vw_end(c);
    vw_elem(c, "dt", NULL, "Tasks");
    vw_start(c, "dd", "bulk-counts");
    vw_textf(c, "%" PRIu64 " done, %" PRIu64 " skipped, of ", j->done, j->skipped);
    count_text(c, j->estimate, j->estimate_more);
    vw_text(c, " matching when it started");
    vw_end(c);
    vw_elem(c, "dt", NULL, "Filter");
    vw_start(c, "dd", NULL);
    filter_words(c, j->filter, j->user_search, j->type_search);
    vw_end(c);
    vw_elem(c, "dt", NULL, "Started");
    vw_start(c, "dd", NULL);
    vw_time(c, j->started_at);
    vw_textf(c, " UTC by %s", j->created_by);
    vw_end(c);
    if (j->finished_at) {
        vw_elem(c, "dt", NULL, j->state == AT_BULK_CANCELLED ? "Cancelled" : "Finished");
        vw_start(c, "dd", NULL);
        vw_time(c, j->finished_at);
        vw_text(c, " UTC");
        if (j->ended_by[0])
            vw_textf(c, " by %s", j->ended_by);
        vw_end(c);
    }
    vw_end(c);
}

int
h_bulk_job(fc_ctx *c)
{
    at_bulk_job j;
    at_error err;
    if (at_bulk_get(c->db, c->acc.business.id, c->path_id, &j, &err))
        return fc_fail(c, &err);
    const struct bulk_text *x = text_of(j.action);
    char title[64], path[96];
    snprintf(title, sizeof title, "Bulk %s #%" PRIu64, at_task_action_str(j.action), j.id);
    snprintf(path, sizeof path, "/admin/async-tasks/bulk-jobs/%" PRIu64, j.id);
    bool open = j.state == AT_BULK_QUEUED || j.state == AT_BULK_RUNNING;
    vw_page_begin(c, title);
    vw_start(c, "section", "bulk-job");
    if (open)
        vw_attr(c, "data-refresh", "2");
    vw_elem(c, "h1", NULL, title);
    if (x)
        vw_elem(c, "p", NULL, x->fits);
    /* past a capped estimate, how far it has come is not known */
    uint64_t seen = j.done + j.skipped, total = j.estimate;
    bool known = !open || seen < total || !j.estimate_more;
    if (seen > total || !open)
        total = seen;
    vw_start(c, "progress", NULL);
    if (known) {
        vw_attrf(c, "value", "%" PRIu64, seen);
        vw_attrf(c, "max", "%" PRIu64, total ? total : 1);
    }
    vw_attr(c, "aria-label", "Progress");
    vw_textf(c, "%" PRIu64 " of %" PRIu64 "%s", seen, total, known ? "" : "+");
    vw_end(c);
    job_facts(c, &j);
    vw_start(c, "div", "dialog-buttons");
    vw_url back = {0};
    fc_listview lv = {"created", "desc", at_filter_str(j.filter),
                      j.user_search[0] ? j.user_search : NULL,
                      j.type_search[0] ? j.type_search : NULL, "50"};
    fc_list_url(c, &lv, "/admin/async-tasks", &back);
    vw_link(c, vw_href(c, &back), "button secondary", "Back to the list");
    vw_url_free(&back);
    if (open) {
        vw_url self = {0};
        vw_url_path(&self, path);
        vw_url_param(&self, "business", c->acc.business.slug);
        vw_link(c, vw_href(c, &self), "button secondary refresh", "Refresh");
        vw_url_free(&self);
        char cancel[112];
        snprintf(cancel, sizeof cancel, "%s/cancel", path);
        vw_form_begin(c, "post", cancel, "bulk-cancel");
        vw_csrf(c);
        vw_hidden(c, "business", c->acc.business.slug);
        vw_button(c, "submit", "danger", "Cancel the job");
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
    return vw_page_end(c);
}

int
h_bulk_cancel(fc_ctx *c)
{
    at_error err;
    if (at_bulk_cancel(c->db, &c->actor, c->acc.business.id, c->path_id, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Bulk job #%" PRIu64 " cancelled: the tasks done so far stay done.", c->path_id);
    return redirect_job(c, c->path_id);
}
