/* h_dashboard.c: a business's dashboard, the first page under Admin:
 * its totals (read with the context), the oldest task that is due and
 * held by no rule, the charts of attempts started, succeeded and failed
 * per minute over the last hour and per hour over the last seven days
 * (SVG written here, chart.c), the failures by task type with their
 * latest errors, and the live pauses, the business's and the platform's.
 * It reads O(buckets) rows (lib/dashboard.c) and the live rules; the same
 * data is its XML view. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "chart.h"

#define PAGE "/admin/dashboard"
#define LIST "/admin/async-tasks"

typedef struct dash_data {
    at_dashboard d;
    at_pause_set rules; /* every live rule when few (whole), else the platform's */
    at_pause_counts paused;
} dash_data;

/* "3 min 20 s", "2 h 5 min", "4 d 2 h". */
static void
age_text(int64_t us, char *out, size_t len)
{
    int64_t s = us < 0 ? 0 : us / 1000000;
    if (s < 60)
        snprintf(out, len, "%" PRId64 " s", s);
    else if (s < 3600)
        snprintf(out, len, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, len, "%" PRId64 " h %" PRId64 " min", s / 3600, s % 3600 / 60);
    else
        snprintf(out, len, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
}

void
fc_dashboard_link(fc_ctx *c)
{
    vw_url u = {0};
    vw_url_path(&u, PAGE);
    vw_url_param(&u, "business", c->acc.business.slug);
    vw_start(c, "p", "dashboard-link");
    vw_link(c, vw_href(c, &u), "button secondary", "Dashboard: charts, failures and pauses");
    vw_end(c);
    vw_url_free(&u);
}

static void
list_link(fc_ctx *c, const char *text)
{
    vw_url u = {0};
    vw_url_path(&u, LIST);
    vw_url_param(&u, "business", c->acc.business.slug);
    vw_link(c, vw_href(c, &u), NULL, text);
    vw_url_free(&u);
}

/* <section class=cls> headed by <h2 id=cls-title>, which names it. */
static void
section_begin(fc_ctx *c, const char *cls, const char *title)
{
    vw_start(c, "section", cls);
    vw_attrf(c, "aria-labelledby", "%s-title", cls);
    vw_start(c, "h2", NULL);
    vw_attrf(c, "id", "%s-title", cls);
    vw_text(c, title);
    vw_end(c);
}

static void
oldest_due_html(fc_ctx *c, const at_dashboard *d)
{
    section_begin(c, "oldest-due", "Oldest due task");
    vw_start(c, "p", NULL);
    if (d->oldest_due) {
        char age[48];
        age_text(d->now - d->oldest_due, age, sizeof age);
        vw_elem(c, "strong", "age", age);
        vw_text(c, " waiting: due since ");
        vw_time(c, d->oldest_due);
        vw_text(c, ".");
    } else {
        vw_elem(c, "strong", "age", "None");
        vw_text(c, ": no task is waiting past its run-at.");
    }
    vw_end(c);
    vw_elem(c, "p", "note",
            "Counts queued tasks whose run-at has come and that no pause holds; paused tasks "
            "and tasks waiting for a later run-at are left out.");
    vw_end(c);
}

static void
charts_html(fc_ctx *c, const at_dashboard *d)
{
    section_begin(c, "charts", "Attempts over time");
    const ch_chart minutes = {"chart-minutes", "Tasks started, succeeded and failed per minute, "
                              "last hour", "per minute", d->minutes.v, d->minutes.n, 60, 10,
                              "the last hour"};
    const ch_chart hours = {"chart-hours", "Tasks started, succeeded and failed per hour, "
                            "last 7 days", "per hour", d->hours.v, d->hours.n, 3600, 24,
                            "the last 7 days"};
    ch_chart_svg(c, &minutes);
    ch_chart_svg(c, &hours);
    vw_elem(c, "p", "note",
            "A start counts in the minute it began, an end in the minute it ended; a failure "
            "that will be retried counts as a failure. The counts reach the page within a few "
            "seconds.");
    vw_end(c);
}

static void
failures_html(fc_ctx *c, const at_dashboard *d)
{
    static const char *const heads[] = {"Task Type", "Failed (7 days)", "Latest error",
                                        "When", "Task"};
    section_begin(c, "failures", "Failures by task type");
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "failures");
    vw_attr(c, "aria-labelledby", "failures-title");
    vw_table_head(c, heads, 5);
    vw_start(c, "tbody", NULL);
    if (d->nfailures == 0)
        vw_empty_row(c, 5, "No failures in the last 7 days");
    for (size_t i = 0; i < d->nfailures; i++) {
        const at_dash_failure *f = &d->failures[i];
        vw_start(c, "tr", NULL);
        vw_start(c, "td", "type");
        vw_attr(c, "data-label", heads[0]);
        vw_text(c, f->type_name);
        vw_end(c);
        vw_start(c, "td", "failed-count");
        vw_attr(c, "data-label", heads[1]);
        vw_textf(c, "%" PRIu64, f->failed);
        vw_end(c);
        vw_start(c, "td", "error");
        vw_attr(c, "data-label", heads[2]);
        vw_text(c, f->error_at ? f->error : "-");
        vw_end(c);
        vw_start(c, "td", NULL);
        vw_attr(c, "data-label", heads[3]);
        if (f->error_at)
            vw_time(c, f->error_at);
        else
            vw_text(c, "-");
        vw_end(c);
        vw_start(c, "td", NULL);
        vw_attr(c, "data-label", heads[4]);
        if (f->task_id) {
            fc_task_link(c, f->task_id);
        } else {
            vw_text(c, "-");
        }
        vw_end(c);
        vw_end(c);
    }
    vw_end(c); /* tbody */
    vw_end(c); /* table */
    vw_end(c); /* div */
    vw_end(c);
}

static void
pauses_html(fc_ctx *c, const at_pause_set *set, const at_pause_counts *paused)
{
    section_begin(c, "pauses", "Live pauses");
    fc_paused_summary(c, paused);
    if (!set->whole)
        vw_elem(c, "p", "many", "Too many to list here: the task list's Pause User and Pause "
                                "Task Type panels page them. The platform's rules:");
    if (set->n == 0 && set->whole) {
        vw_elem(c, "p", "none", "Nothing is paused: no rule of this business or of the "
                                "platform holds any task.");
    } else {
        vw_start(c, "ul", "rules");
        for (size_t i = 0; i < set->n; i++) {
            const at_pause_rule *r = &set->rules[i];
            char text[AT_RULE_TEXT_BUF];
            vw_start(c, "li", at_pause_rule_platform(r) ? "rule platform" : "rule business");
            vw_elem(c, "strong", "of",
                    at_pause_rule_platform(r) ? "Platform rule (all businesses): "
                                              : "This business: ");
            vw_elem(c, "span", "held-by", at_pause_rule_text(r, 1, text, sizeof text));
            vw_end(c);
        }
        vw_end(c);
    }
    vw_start(c, "p", NULL);
    list_link(c, "Pause or resume users and task types in the task list");
    vw_end(c);
    vw_end(c);
}

static void
html_page(fc_ctx *c, const dash_data *x)
{
    vw_page_begin(c, "Dashboard");
    vw_elem(c, "h1", NULL, "Dashboard");
    vw_elem(c, "p", "lead",
            "How the business's background tasks are doing: what waits, what ran in the last "
            "hour and week, what failed and what is paused.");
    vw_start(c, "div", "toolbar");
    fc_business_form(c, PAGE, NULL);
    vw_start(c, "div", "actions");
    list_link(c, "Task list ›");
    vw_end(c);
    vw_end(c);
    fc_totals_html(c, &c->totals);
    oldest_due_html(c, &x->d);
    charts_html(c, &x->d);
    failures_html(c, &x->d);
    pauses_html(c, &x->rules, &x->paused);
    vw_page_end(c);
}

static void
xml_series(fc_ctx *c, const char *name, const at_dash_series *s)
{
    char iso[40];
    vw_start(c, "series", NULL);
    vw_attr(c, "name", name);
    vw_attrf(c, "step-seconds", "%u", s->step_s);
    for (size_t i = 0; i < s->n; i++) {
        vw_start(c, "bucket", NULL);
        vw_attr(c, "at", at_time_iso(s->v[i].at, iso, sizeof iso));
        vw_attrf(c, "started", "%" PRIu64, s->v[i].started);
        vw_attrf(c, "succeeded", "%" PRIu64, s->v[i].succeeded);
        vw_attrf(c, "failed", "%" PRIu64, s->v[i].failed);
        vw_end_void(c);
    }
    vw_end(c);
}

static void
xml_page(fc_ctx *c, const dash_data *x)
{
    const at_dashboard *d = &x->d;
    char iso[40];
    vw_xml_begin(c, "dashboard");
    vw_attr(c, "business", c->acc.business.slug);
    vw_attr(c, "now", at_time_iso(d->now, iso, sizeof iso));
    fc_totals_xml(c, &c->totals);
    if (d->oldest_due) {
        vw_start(c, "oldest-due", NULL);
        vw_attr(c, "run-at", at_time_iso(d->oldest_due, iso, sizeof iso));
        vw_attrf(c, "age-seconds", "%" PRId64,
                 d->now > d->oldest_due ? (d->now - d->oldest_due) / 1000000 : 0);
        vw_end_void(c);
    }
    xml_series(c, "minutes", &d->minutes);
    xml_series(c, "hours", &d->hours);
    for (size_t i = 0; i < d->nfailures; i++) {
        const at_dash_failure *f = &d->failures[i];
        vw_start(c, "failure", NULL);
        vw_attr(c, "type", f->type_name);
        vw_attrf(c, "failed", "%" PRIu64, f->failed);
        if (f->error_at) {
            vw_attr(c, "latest-error-at", at_time_iso(f->error_at, iso, sizeof iso));
            vw_attrf(c, "task-id", "%" PRIu64, f->task_id);
            vw_elem(c, "error", NULL, f->error);
        }
        vw_end(c);
    }
    for (size_t i = 0; i < x->rules.n; i++)
        fc_rule_xml(c, "rule", &x->rules.rules[i]);
    vw_xml_end(c);
}

int
h_dashboard(fc_ctx *c)
{
    dash_data x;
    memset(&x, 0, sizeof x);
    at_error err;
    int rc = at_dashboard_get(c->db, c->acc.business.id, c->acc.now, &x.d, &err);
    if (rc == AT_OK)
        rc = at_pause_load_for(c->db, c->acc.business.id, c->acc.now, NULL, 0, NULL, 0, &x.rules,
                               &x.paused, &err);
    if (rc)
        fc_fail(c, &err);
    else if (c->want_xml)
        xml_page(c, &x);
    else
        html_page(c, &x);
    at_dashboard_free(&x.d);
    at_pause_set_free(&x.rules);
    return 0;
}
