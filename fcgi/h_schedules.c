/* h_schedules.c: the Schedules page of a business: its recurring tasks,
 * a form to add one, and pause, resume and remove, each confirmed (a
 * dialog with script, a page of its own without), posted with the CSRF
 * token and audited by the library. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

#define PAGE "/admin/schedules"

/* What each action on one schedule is called and asks. */
static const struct action {
    const char *verb, *title, *button, *cls, *question, *done;
} actions[] = {
    {"pause", "Pause schedule", "Pause", "primary",
     "It enqueues nothing until it is resumed; what falls in the pause is not run.", "paused"},
    {"resume", "Resume schedule", "Resume", "primary",
     "It goes on from its next time; what fell in the pause is not run.", "resumed"},
    {"remove", "Remove schedule", "Remove", "danger",
     "It is removed; the tasks it enqueued stay, and the audit log keeps a record.", "removed"},
};

/* The action named by the path's last segment. */
static const struct action *
action_of(const fc_ctx *c)
{
    const char *verb = strrchr(c->path, '/');
    for (size_t i = 0; verb && i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(verb + 1, actions[i].verb) == 0)
            return &actions[i];
    return NULL;
}

static void
page_url(fc_ctx *c, vw_url *u)
{
    vw_url_path(u, PAGE);
    vw_url_param(u, "business", c->acc.business.slug);
}

static void
describe(const at_schedule *s, char *out, size_t len)
{
    snprintf(out, len, "%s for %s at %s (%s), schedule #%" PRIu64, s->type_name, s->user_email,
             s->cron, s->time_zone, s->id);
}

static void
xml_schedules(fc_ctx *c, const at_schedule *v, size_t n)
{
    char iso[40];
    vw_xml_begin(c, "schedules");
    vw_attr(c, "business", c->acc.business.slug);
    for (size_t i = 0; i < n; i++) {
        const at_schedule *s = &v[i];
        vw_start(c, "schedule", NULL);
        vw_attrf(c, "id", "%" PRIu64, s->id);
        vw_attr(c, "cron", s->cron);
        vw_attr(c, "time-zone", s->time_zone);
        vw_attr(c, "type", s->type_name);
        vw_attr(c, "user", s->user_email);
        vw_attrf(c, "priority", "%d", s->priority);
        vw_attr(c, "missed", at_missed_str(s->missed));
        vw_attr(c, "state", s->paused ? "paused" : "active");
        if (!s->paused)
            vw_attr(c, "next-run-at", at_time_iso(s->next_run_at, iso, sizeof iso));
        if (s->last_fired_at)
            vw_attr(c, "last-fired-at", at_time_iso(s->last_fired_at, iso, sizeof iso));
        if (s->last_task_id)
            vw_attrf(c, "last-task-id", "%" PRIu64, s->last_task_id);
        if (s->last_error[0])
            vw_attr(c, "last-error", s->last_error);
        vw_end_void(c);
    }
    vw_xml_end(c);
}

/* A row's action: a link to its confirmation page, which the script
 * opens as the page's dialog for that action instead. */
static void
action_link(fc_ctx *c, const at_schedule *s, const struct action *a)
{
    char what[AT_TYPE_NAME_BUF + AT_NAME_BUF + AT_CRON_BUF + AT_TZ_BUF + 64];
    vw_url u = {0};
    char path[96];
    snprintf(path, sizeof path, PAGE "/%" PRIu64 "/%s", s->id, a->verb);
    vw_url_path(&u, path);
    vw_url_param(&u, "business", c->acc.business.slug);
    describe(s, what, sizeof what);
    vw_start(c, "a", strcmp(a->cls, "danger") == 0 ? "delete danger" : "edit");
    vw_url_attr(c, "href", vw_href(c, &u));
    vw_url_free(&u);
    vw_attrf(c, "data-dialog", "schedule-%s-dialog", a->verb);
    vw_attr(c, "data-what", what);
    vw_text(c, a->button);
    vw_end(c);
}

static void
schedule_row(fc_ctx *c, const at_schedule *s, const char *const *heads)
{
    char num[32];
    vw_start(c, "tr", NULL);
    snprintf(num, sizeof num, "%d", s->priority);
    const char *cells[] = {s->cron, s->time_zone, s->type_name, s->user_email, num,
                           at_missed_str(s->missed), s->paused ? "paused" : "active"};
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
        vw_start(c, "td", NULL);
        vw_attr(c, "data-label", heads[k]);
        vw_text(c, cells[k]);
        vw_end(c);
    }
    vw_start(c, "td", NULL);
    vw_attr(c, "data-label", heads[7]);
    if (!s->paused)
        vw_time(c, s->next_run_at);
    else
        vw_text(c, "-");
    vw_end(c);
    vw_start(c, "td", NULL);
    vw_attr(c, "data-label", heads[8]);
    if (s->last_task_id) {
        fc_task_link(c, s->last_task_id);
        vw_text(c, " ");
    }
    if (s->last_fired_at)
        vw_time(c, s->last_fired_at);
    if (s->last_error[0])
        vw_elem(c, "span", "error", s->last_error);
    if (!s->last_fired_at && !s->last_error[0])
        vw_text(c, "-");
    vw_end(c);
    vw_start(c, "td", "actions");
    vw_attr(c, "data-label", heads[9]);
    action_link(c, s, &actions[s->paused ? 1 : 0]);
    vw_text(c, " ");
    action_link(c, s, &actions[2]);
    vw_end(c);
    vw_end(c);
}

/* One confirmation dialog per action; the script points its form at the
 * schedule of the link that opened it. */
static void
dialogs(fc_ctx *c)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        const struct action *a = &actions[i];
        char id[48];
        snprintf(id, sizeof id, "schedule-%s-dialog", a->verb);
        vw_start(c, "dialog", "confirm link-confirm");
        vw_attr(c, "id", id);
        vw_attrf(c, "aria-labelledby", "%s-title", id);
        vw_start(c, "h2", NULL);
        vw_attrf(c, "id", "%s-title", id);
        vw_text(c, a->title);
        vw_end(c);
        vw_start(c, "p", NULL);
        vw_textf(c, "%s ", a->button);
        vw_elem(c, "strong", "what", "this schedule");
        vw_textf(c, "? %s", a->question);
        vw_end(c);
        vw_form_begin(c, "post", "", "dialog-buttons");
        vw_csrf(c);
        vw_hidden(c, "business", c->acc.business.slug);
        vw_dialog_cancel(c);
        vw_button(c, "submit", a->cls, a->button);
        vw_end(c);
        vw_end(c);
    }
}

static void
field(fc_ctx *c, const char *type, const char *name, const char *value, const char *label,
      bool required)
{
    char id[48];
    snprintf(id, sizeof id, "schedule-%s", name);
    vw_start(c, "div", "field");
    vw_label(c, id, label);
    vw_start(c, "input", NULL);
    vw_attr(c, "type", type);
    vw_attr(c, "id", id);
    vw_attr(c, "name", name);
    if (value)
        vw_attr(c, "value", value);
    if (required)
        vw_attr(c, "required", "required");
    vw_end_void(c);
    vw_end(c);
}

static void
add_form(fc_ctx *c)
{
    vw_start(c, "section", "schedule-add");
    vw_elem(c, "h2", NULL, "Add a schedule");
    vw_start(c, "p", "hint");
    vw_text(c, "Cron: minute hour day-of-month month day-of-week, such as \"30 2 * * MON-FRI\" "
               "or @daily. Time zone: an IANA name such as Europe/Berlin.");
    vw_end(c);
    vw_form_begin(c, "post", PAGE, "schedule-form");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    field(c, "text", "cron", NULL, "Cron expression", true);
    field(c, "text", "tz", "UTC", "Time zone", true);
    field(c, "text", "type", NULL, "Task type", true);
    field(c, "email", "user", NULL, "User (member's email)", true);
    vw_start(c, "div", "field");
    vw_label(c, "schedule-payload", "Payload");
    vw_start(c, "textarea", NULL);
    vw_attr(c, "id", "schedule-payload");
    vw_attr(c, "name", "payload");
    vw_attr(c, "rows", "3");
    vw_text(c, "");
    vw_end(c);
    vw_end(c);
    field(c, "number", "priority", "0", "Priority (-1000 to 1000)", false);
    static const char *const mv[] = {"skip", "once", NULL};
    static const char *const ml[] = {"Skip them", "Run once for all of them", NULL};
    vw_start(c, "div", "field");
    vw_select(c, "schedule-missed", "missed", "Occurrences missed while no supervisor ran", mv,
              ml, "skip");
    vw_end(c);
    vw_start(c, "div", "field check");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "checkbox");
    vw_attr(c, "id", "schedule-paused");
    vw_attr(c, "name", "paused");
    vw_attr(c, "value", "1");
    vw_end_void(c);
    vw_label(c, "schedule-paused", "Paused");
    vw_end(c);
    vw_start(c, "div", "dialog-buttons");
    vw_button(c, "submit", "primary", "Add schedule");
    vw_end(c);
    vw_end(c); /* form */
    vw_end(c); /* section */
}

static void
html_schedules(fc_ctx *c, const at_schedule *v, size_t n)
{
    vw_page_begin(c, "Schedules");
    vw_elem(c, "h1", NULL, "Schedules");
    vw_start(c, "div", "toolbar");
    fc_business_form(c, PAGE, NULL);
    vw_end(c);
    vw_start(c, "p", "lead");
    vw_textf(c, "The recurring tasks of %s: each schedule enqueues a task at the times its cron "
                "expression names, in its time zone. Its tasks obey pauses like any other.",
             c->acc.business.name);
    vw_end(c);
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "schedules");
    static const char *const heads[] = {"Cron", "Time zone", "Task type", "User", "Priority",
                                        "Missed", "State", "Next (UTC)", "Last", "Actions"};
    vw_table_head(c, heads, 10);
    vw_start(c, "tbody", NULL);
    if (n == 0)
        vw_empty_row(c, 10, "There are no schedules yet");
    for (size_t i = 0; i < n; i++)
        schedule_row(c, &v[i], heads);
    vw_end(c);
    vw_end(c);
    vw_end(c);
    add_form(c);
    dialogs(c);
    vw_page_end(c);
}

int
h_schedules(fc_ctx *c)
{
    at_schedule *v = NULL;
    size_t n = 0;
    at_error err;
    if (at_schedule_list(c->db, c->acc.business.id, &v, &n, &err))
        return fc_fail(c, &err);
    if (c->want_xml)
        xml_schedules(c, v, n);
    else
        html_schedules(c, v, n);
    at_schedules_free(v, n);
    return 0;
}

int
h_schedule_add(fc_ctx *c)
{
    const fc_value *payload = fc_arg(c, "payload");
    at_schedule_new in = {
        .business_id = c->acc.business.id,
        .cron = fc_arg(c, "cron")->s,
        .time_zone = fc_arg(c, "tz")->s,
        .type_name = fc_arg(c, "type")->s,
        .user_email = fc_arg(c, "user")->s,
        .payload = payload->present ? payload->s : NULL,
        .payload_len = payload->present ? strlen(payload->s) : 0,
        .priority = (int) fc_arg(c, "priority")->i,
        .missed = (int) fc_arg(c, "missed")->i,
        .paused = fc_arg(c, "paused")->present,
        .cron_flags = c->cfg->test_schedule_seconds ? AT_CRON_SECONDS : 0,
    };
    uint64_t id = 0;
    at_error err;
    if (at_schedule_add(c->db, &c->actor, &in, &id, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Schedule #%" PRIu64 " added: %s at %s (%s).", id, in.type_name, in.cron,
             in.time_zone);
    vw_url u = {0};
    page_url(c, &u);
    int rc = u.oom ? fc_error(c, 500, "out of memory") : fc_redirect(c, u.p);
    vw_url_free(&u);
    return rc;
}

int
h_schedule_confirm(fc_ctx *c)
{
    const struct action *a = action_of(c);
    at_schedule s;
    at_error err;
    if (!a)
        return fc_error(c, 404, "No such page.");
    if (at_schedule_get(c->db, c->acc.business.id, c->path_id, &s, &err))
        return fc_fail(c, &err);
    char what[AT_TYPE_NAME_BUF + AT_NAME_BUF + AT_CRON_BUF + AT_TZ_BUF + 64], action[96];
    describe(&s, what, sizeof what);
    snprintf(action, sizeof action, PAGE "/%" PRIu64 "/%s", s.id, a->verb);
    vw_url back = {0};
    page_url(c, &back);
    vw_page_begin(c, a->title);
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, a->title);
    vw_start(c, "p", NULL);
    vw_textf(c, "%s %s? %s", a->button, what, a->question);
    vw_end(c);
    vw_form_begin(c, "post", action, "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_link(c, vw_href(c, &back), "button secondary", "Cancel");
    vw_button(c, "submit", a->cls, a->button);
    vw_end(c);
    vw_end(c);
    vw_url_free(&back);
    at_schedule_clear(&s);
    return vw_page_end(c);
}

int
h_schedule_change(fc_ctx *c)
{
    const struct action *a = action_of(c);
    if (!a)
        return fc_error(c, 404, "No such page.");
    at_error err;
    int changed = 1, rc;
    if (a == &actions[2])
        rc = at_schedule_remove(c->db, &c->actor, c->acc.business.id, c->path_id, &err);
    else
        rc = at_schedule_set_paused(c->db, &c->actor, c->acc.business.id, c->path_id,
                                    a == &actions[0], &changed, &err);
    if (rc)
        return fc_fail(c, &err);
    fc_flash(c, changed ? "Schedule #%" PRIu64 " %s." : "Schedule #%" PRIu64 " was %s already.",
             c->path_id, a->done);
    vw_url u = {0};
    page_url(c, &u);
    rc = u.oom ? fc_error(c, 500, "out of memory") : fc_redirect(c, u.p);
    vw_url_free(&u);
    return rc;
}
