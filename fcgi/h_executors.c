/* h_executors.c: the Executors page: every executor of every supervisor,
 * what it runs and when it was last heard of. Executors serve every
 * business, so every admin sees them all; what a busy one is running is
 * shown only to those who administer that task's business. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/run.h>

#include "app.h"

#define STALE_S AT_EXECUTOR_STALE_S /* a heartbeat older than this is stale */
#define EXECUTORS_MAX 500 /* shown at most */

/* The business of a task the admin may see (one of v[0..n)), or NULL. */
static const at_business *
visible(const at_business *v, size_t n, uint64_t business_id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == business_id)
            return &v[i];
    return NULL;
}

static bool
stale(const fc_ctx *c, const at_executor_info *e)
{
    return c->acc.now - e->heartbeat_at > (at_time) STALE_S * 1000000;
}

static const char *
state_word(const at_executor_info *e, const at_business *b)
{
    return !e->task_id ? "idle" : b ? "running" : "busy";
}

static void
xml_executor(fc_ctx *c, const at_executor_info *e, const at_business *b)
{
    char iso[40];
    vw_start(c, "executor", NULL);
    vw_attrf(c, "id", "%" PRIu64, e->id);
    vw_attr(c, "host", e->host);
    vw_attrf(c, "pid", "%d", e->pid);
    vw_attrf(c, "supervisor-pid", "%d", e->supervisor_pid);
    vw_attr(c, "started-at", at_time_iso(e->started_at, iso, sizeof iso));
    vw_attr(c, "heartbeat-at", at_time_iso(e->heartbeat_at, iso, sizeof iso));
    vw_attr(c, "stale", stale(c, e) ? "true" : "false");
    vw_attrf(c, "tasks-run", "%" PRIu64, e->tasks_run);
    vw_attr(c, "state", state_word(e, b));
    if (e->task_id && b) {
        vw_start(c, "current-task", NULL);
        vw_attrf(c, "id", "%" PRIu64, e->task_id);
        vw_attr(c, "business", b->slug);
        vw_attr(c, "business-name", b->name);
        vw_attr(c, "type", e->task_type);
        vw_attr(c, "user", e->task_user);
        if (e->task_started_at)
            vw_attr(c, "started-at", at_time_iso(e->task_started_at, iso, sizeof iso));
        vw_end_void(c);
    }
    vw_end_void(c);
}

static void
cell(fc_ctx *c, const char *cls, const char *label)
{
    vw_start(c, "td", cls);
    vw_attr(c, "data-label", label);
}

static void
html_executor(fc_ctx *c, const at_executor_info *e, const at_business *b)
{
    char id[32];
    snprintf(id, sizeof id, "executor-%" PRIu64, e->id);
    vw_start(c, "tr", NULL);
    vw_attr(c, "id", id);
    vw_attr(c, "data-state", state_word(e, b));
    cell(c, "host", "Host");
    vw_text(c, e->host);
    vw_end(c);
    cell(c, "pid", "PID");
    vw_textf(c, "%d", e->pid);
    vw_end(c);
    cell(c, "supervisor-pid", "Supervisor PID");
    vw_textf(c, "%d", e->supervisor_pid);
    vw_end(c);
    cell(c, "started", "Started");
    vw_time(c, e->started_at);
    vw_end(c);
    cell(c, "current-task", "Current task");
    if (!e->task_id) {
        vw_elem(c, "span", "status status-idle", "idle");
    } else if (!b) {
        /* a task of a business this admin does not manage */
        vw_elem(c, "span", "status status-busy", "busy");
    } else {
        char url[160], text[64];
        snprintf(url, sizeof url, "/admin/async-tasks/tasks/%" PRIu64 "?business=%s", e->task_id,
                 b->slug);
        snprintf(text, sizeof text, "#%" PRIu64, e->task_id);
        vw_link(c, url, "task-link", text);
        vw_textf(c, " %s for %s (%s)", e->task_type, e->task_user, b->name);
        if (e->task_started_at) {
            vw_start(c, "span", "detail");
            vw_text(c, "since ");
            vw_time(c, e->task_started_at);
            vw_end(c);
        }
    }
    vw_end(c);
    cell(c, stale(c, e) ? "heartbeat stale" : "heartbeat", "Heartbeat");
    vw_time(c, e->heartbeat_at);
    if (stale(c, e))
        vw_elem(c, "span", "status status-stale", "stale");
    vw_end(c);
    vw_end(c);
}

/* The businesses of the executors' tasks that the reader administers:
 * one lookup of at most a page's worth of ids. */
static int
visible_businesses(fc_ctx *c, const at_executor_info *v, size_t n, at_business **out,
                   size_t *nout, at_error *err)
{
    uint64_t *ids = calloc(n + 1, sizeof *ids);
    if (!ids)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].task_id)
            ids[k++] = v[i].task_business_id;
    int rc = at_access_businesses_among(c->db, &c->acc, ids, k, out, nout, err);
    free(ids);
    return rc;
}

static void
html_executors(fc_ctx *c, const at_executor_info *v, size_t n, int more, const at_business *bv,
               size_t bn)
{
    vw_page_begin(c, "Executors");
    vw_elem(c, "h1", NULL, "Executors");
    vw_start(c, "p", "lead");
    vw_textf(c, "The processes that run tasks, on every host, and what each is running now. A "
                "heartbeat older than %d seconds is marked stale.",
             STALE_S);
    vw_end(c);
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "executors");
    vw_attr(c, "aria-label", "Executors");
    static const char *const heads[] = {"Host", "PID", "Supervisor PID", "Started",
                                        "Current task", "Heartbeat"};
    vw_table_head(c, heads, 6);
    vw_start(c, "tbody", NULL);
    if (n == 0)
        vw_empty_row(c, 6, "There are no executors running");
    for (size_t i = 0; i < n; i++)
        html_executor(c, &v[i], visible(bv, bn, v[i].task_business_id));
    vw_end(c);
    vw_end(c);
    vw_end(c);
    if (more)
        vw_elem(c, "p", "more", "There are more executors than this page shows.");
    vw_page_end(c);
}

int
h_executors(fc_ctx *c)
{
    at_error err;
    at_executor_info *v = NULL;
    size_t n = 0, bn = 0;
    int more = 0;
    at_business *bv = NULL;
    if (at_executor_list(c->db, EXECUTORS_MAX, &v, &n, &more, &err) ||
        visible_businesses(c, v, n, &bv, &bn, &err)) {
        free(v);
        return fc_fail(c, &err);
    }
    if (c->want_xml) {
        char iso[40];
        vw_xml_begin(c, "executors");
        vw_attr(c, "now", at_time_iso(c->acc.now, iso, sizeof iso));
        vw_attrf(c, "stale-after", "%d", STALE_S);
        for (size_t i = 0; i < n; i++)
            xml_executor(c, &v[i], visible(bv, bn, v[i].task_business_id));
        vw_xml_end(c);
    } else {
        html_executors(c, v, n, more, bv, bn);
    }
    free(v);
    free(bv);
    return 0;
}
