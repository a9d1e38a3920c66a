/* h_pause.c: Pause User and Pause Task Type: the panel that searches the
 * business's members (or the task types) on the server, a page at a time,
 * with checkboxes for a bulk pause and what is paused now; and the pause
 * and resume actions. The same panel is a page of its own (no script) and
 * the content of the dialogs on the task list (with script). It reads a
 * page of names and the rules of those names, never every member, type or
 * rule. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define PANEL_PAGE 25
#define PAUSED_LIST_MAX 50 /* what is paused now, listed at most */

static int
scope_of(const fc_ctx *c)
{
    return strstr(c->path, "-type") ? AT_SCOPE_TASK_TYPE : AT_SCOPE_USER;
}

/* The rule of one target: the business's own first (a set lists them
 * before the platform's), then the platform's. */
static const at_pause_rule *
rule_for(const at_pause_set *set, int scope, uint64_t id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->rules[i].scope == scope && set->rules[i].target_id == id)
            return &set->rules[i];
    return NULL;
}

/* Whether the pause or resume asked for is the platform's ("where=all"). */
static bool
everywhere(fc_ctx *c)
{
    const char *w = fc_arg(c, "where")->s;
    return w && strcmp(w, "all") == 0;
}

/* The rules of one scope that name ids[0..n) (the rest of the set empty). */
static int
rules_of(fc_ctx *c, int scope, const uint64_t *ids, size_t n, at_pause_set *set, at_error *err)
{
    bool users = scope == AT_SCOPE_USER;
    return at_pause_load_for(c->db, c->acc.business.id, c->acc.now, users ? ids : NULL,
                             users ? n : 0, users ? NULL : ids, users ? 0 : n, set, NULL, err);
}

/* What the panel shows: a page of members or of task types, the rules
 * of those, and (some of) what is paused now. */
typedef struct panel {
    int scope;
    bool users;
    const char *title, *path, *search;
    at_user_page members;
    at_task_type_page types;
    size_t n;
    const char *next; /* the next page's cursor, or NULL */
    at_pause_set rules;  /* of the rows shown */
    at_pause_set paused; /* the first PAUSED_LIST_MAX + 1 paused now */
} panel;

static uint64_t
row_id(const panel *p, size_t i)
{
    return p->users ? p->members.rows[i].id : p->types.rows[i].id;
}

static const char *
row_name(const panel *p, size_t i)
{
    return p->users ? p->members.rows[i].name : p->types.rows[i].name;
}

static const char *
row_more(const panel *p, size_t i)
{
    return p->users ? p->members.rows[i].email : p->types.rows[i].description;
}

static int
panel_load(fc_ctx *c, panel *p, at_error *err)
{
    const char *after = fc_arg(c, "after")->s;
    int rc = p->users ? at_member_search(c->db, c->acc.business.id, p->search, after, PANEL_PAGE,
                                         &p->members, err)
                      : at_task_type_search(c->db, p->search, after, PANEL_PAGE, &p->types, err);
    if (rc)
        return rc;
    p->n = p->users ? p->members.n : p->types.n;
    if (p->users ? p->members.has_next : p->types.has_next)
        p->next = p->users ? p->members.next : p->types.next;
    uint64_t *ids = calloc(p->n + 1, sizeof *ids);
    if (!ids)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++)
        ids[i] = row_id(p, i);
    rc = rules_of(c, p->scope, ids, p->n, &p->rules, err);
    free(ids);
    if (rc == AT_OK)
        rc = at_pause_load_scope_of(c->db, &p->rules, p->scope, PAUSED_LIST_MAX + 1, &p->paused,
                                    err);
    return rc;
}

static void
panel_free(panel *p)
{
    at_user_page_free(&p->members);
    at_task_type_page_free(&p->types);
    at_pause_set_free(&p->rules);
    at_pause_set_free(&p->paused);
}

/* A paused target's Resume: it belongs to the resume form below the
 * table (forms do not nest), and sends its own target. */
static void
resume_button(fc_ctx *c, const at_pause_rule *r)
{
    vw_start(c, "button", "secondary small");
    vw_attr(c, "type", "submit");
    vw_attr(c, "form", at_pause_rule_platform(r) ? "resume-platform-form" : "resume-form");
    vw_attr(c, "name", "target");
    vw_attrf(c, "value", "%" PRIu64, r->target_id);
    vw_attrf(c, "aria-label", "Resume %s", r->target_name);
    vw_text(c, "Resume");
    vw_end(c);
}

/* One row of the picking table; resume: give a paused one its Resume
 * (one that the list of what is paused does not show). */
static void
pick_row(fc_ctx *c, uint64_t id, const char *name, const char *second,
         const at_pause_rule *paused, bool resume)
{
    char box[48];
    snprintf(box, sizeof box, "pick-%" PRIu64, id);
    vw_start(c, "tr", paused ? "paused" : NULL);
    vw_start(c, "td", "pick");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "checkbox");
    vw_attr(c, "id", box);
    vw_attr(c, "name", "target");
    vw_attrf(c, "value", "%" PRIu64, id);
    vw_end_void(c);
    vw_end(c);
    vw_start(c, "td", "name");
    vw_label(c, box, name);
    if (second && *second)
        vw_elem(c, "span", "secondary-text", second);
    vw_end(c);
    vw_start(c, "td", "state");
    if (paused) {
        bool platform = at_pause_rule_platform(paused);
        vw_elem(c, "span", "status status-paused",
                platform ? "paused for all businesses" : "paused");
        /* a platform rule: only a platform admin lifts it */
        if (resume && (!platform || c->acc.platform_admin))
            resume_button(c, paused);
    } else {
        vw_elem(c, "span", "status status-running-ok", "active");
    }
    vw_end(c);
    vw_end(c);
}

static void
expiry_fields(fc_ctx *c)
{
    static const char *const v[] = {"", "15m", "1h", "1d", "until", NULL};
    static const char *const l[] = {"Never (until resumed)", "After 15 minutes", "After 1 hour",
                                    "After 1 day", "At the date below"};
    vw_start(c, "fieldset", "pause-options");
    vw_elem(c, "legend", NULL, "Pause options");
    vw_start(c, "div", "field");
    vw_label(c, "pause-reason", "Reason (optional)");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "text");
    vw_attr(c, "id", "pause-reason");
    vw_attr(c, "name", "reason");
    vw_attr(c, "maxlength", "500");
    vw_end_void(c);
    vw_end(c);
    vw_start(c, "div", "field");
    vw_select(c, "pause-expiry", "expiry", "Expires", v, l, "");
    vw_end(c);
    vw_start(c, "div", "field");
    vw_input(c, "datetime-local", "pause-until", "until", NULL, "Date (UTC)");
    vw_end(c);
    vw_end(c);
}

static const char *
resume_action(int scope)
{
    return scope == AT_SCOPE_USER ? "/admin/async-tasks/resume-user"
                                  : "/admin/async-tasks/resume-type";
}

/* The form every Resume button of the panel submits, with its own
 * target. */
static void
resume_form(fc_ctx *c, const fc_listview *lv, int scope, bool platform)
{
    vw_form_begin(c, "post", resume_action(scope), "resume-form");
    vw_attr(c, "id", platform ? "resume-platform-form" : "resume-form");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, lv);
    if (platform)
        vw_hidden(c, "where", "all");
    vw_end(c);
}

/* Where the pause applies: shown to platform admins only, who may pause
 * a target in every business. */
static void
where_fields(fc_ctx *c, const panel *p)
{
    if (!c->acc.platform_admin)
        return;
    vw_start(c, "fieldset", "pause-where");
    vw_elem(c, "legend", NULL, "Scope");
    static const char *const v[] = {"business", "all"};
    for (int i = 0; i < 2; i++) {
        char id[24];
        snprintf(id, sizeof id, "pause-where-%s", v[i]);
        vw_start(c, "div", "field radio");
        vw_start(c, "input", NULL);
        vw_attr(c, "type", "radio");
        vw_attr(c, "id", id);
        vw_attr(c, "name", "where");
        vw_attr(c, "value", v[i]);
        if (i == 0)
            vw_attr(c, "checked", "checked");
        vw_end_void(c);
        if (i == 0) {
            char text[AT_NAME_BUF + 32];
            snprintf(text, sizeof text, "This business (%s)", c->acc.business.name);
            vw_label(c, id, text);
        } else {
            vw_label(c, id,
                     p->users ? "All businesses, present and future (the user in every "
                                "business they belong to)"
                              : "All businesses, present and future");
        }
        vw_end(c);
    }
    vw_end(c);
}

static void
xml_rows(fc_ctx *c, const panel *p)
{
    char iso[40];
    for (size_t i = 0; i < p->n; i++) {
        uint64_t id = row_id(p, i);
        const at_pause_rule *r = rule_for(&p->rules, p->scope, id);
        vw_start(c, p->users ? "user" : "task-type", NULL);
        vw_attrf(c, "id", "%" PRIu64, id);
        vw_attr(c, "name", row_name(p, i));
        if (p->users)
            vw_attr(c, "email", row_more(p, i));
        vw_attr(c, "paused", r ? "true" : "false");
        if (r) {
            vw_attr(c, "paused-of", at_pause_rule_platform(r) ? "platform" : "business");
            vw_attr(c, "paused-by", r->paused_by_name);
            vw_attr(c, "paused-at", at_time_iso(r->paused_at, iso, sizeof iso));
            if (r->until)
                vw_attr(c, "paused-until", at_time_iso(r->until, iso, sizeof iso));
            vw_attr(c, "reason", r->reason);
        }
        vw_end_void(c);
    }
}

static void
panel_xml(fc_ctx *c, const panel *p)
{
    vw_xml_begin(c, p->users ? "users" : "task-types");
    vw_attr(c, "business", c->acc.business.slug);
    xml_rows(c, p);
    vw_start(c, "page", NULL);
    if (p->next)
        vw_attr(c, "next", p->next);
    vw_end_void(c);
    vw_xml_end(c);
}

static void
search_form(fc_ctx *c, const panel *p, const fc_listview *lv)
{
    vw_form_begin(c, "get", p->path, "panel-search");
    vw_attr(c, "role", "search");
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, lv);
    vw_input(c, "search", "pause-q", "q", p->search,
             p->users ? "Search users" : "Search task types");
    vw_button(c, "submit", "secondary", "Search");
    vw_end(c);
}

/* Whether the list of what is paused now shows target's rule. */
static bool
listed(const panel *p, uint64_t target)
{
    size_t shown = p->paused.n > PAUSED_LIST_MAX ? PAUSED_LIST_MAX : p->paused.n;
    for (size_t i = 0; i < shown; i++)
        if (p->paused.rules[i].target_id == target)
            return true;
    return false;
}

static void
pick_table(fc_ctx *c, const panel *p)
{
    vw_start(c, "table", "pick");
    vw_start(c, "thead", NULL);
    vw_start(c, "tr", NULL);
    vw_start(c, "th", "pick");
    vw_attr(c, "scope", "col");
    vw_start(c, "input", "select-all");
    vw_attr(c, "type", "checkbox");
    vw_attr(c, "hidden", "hidden"); /* the script shows it */
    vw_attr(c, "aria-label",
            p->users ? "Select all users shown" : "Select all task types shown");
    vw_end_void(c);
    vw_end(c);
    vw_start(c, "th", NULL);
    vw_attr(c, "scope", "col");
    vw_text(c, p->users ? "User" : "Task Type");
    vw_end(c);
    vw_start(c, "th", NULL);
    vw_attr(c, "scope", "col");
    vw_text(c, "State");
    vw_end(c);
    vw_end(c);
    vw_end(c);
    vw_start(c, "tbody", NULL);
    for (size_t i = 0; i < p->n; i++) {
        uint64_t id = row_id(p, i);
        pick_row(c, id, row_name(p, i), row_more(p, i), rule_for(&p->rules, p->scope, id),
                 !listed(p, id));
    }
    vw_end(c);
    vw_end(c);
}

/* The next page of the search; the list's state goes along, so that a
 * pause from a later page returns to the same list. */
static void
more_link(fc_ctx *c, const panel *p, const fc_listview *lv)
{
    vw_url url = {0};
    fc_list_url(c, lv, p->path, &url);
    vw_url_param(&url, "q", p->search);
    vw_url_param(&url, "after", p->next);
    vw_start(c, "nav", "pager");
    vw_start(c, "a", "button secondary more");
    vw_attr(c, "rel", "next");
    vw_url_attr(c, "href", vw_href(c, &url));
    vw_text(c, p->users ? "More users ›" : "More task types ›");
    vw_end(c);
    vw_end(c);
    vw_url_free(&url);
}

static void
pause_form(fc_ctx *c, const panel *p, const fc_listview *lv)
{
    vw_form_begin(c, "post", p->path, "pause-form");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, lv);
    if (p->n == 0)
        vw_elem(c, "p", "empty", p->users ? "No users match." : "No task types match.");
    else
        pick_table(c, p);
    if (p->next)
        more_link(c, p, lv);
    where_fields(c, p);
    expiry_fields(c);
    vw_start(c, "div", "dialog-buttons");
    vw_url back = {0};
    fc_list_url(c, lv, "/admin/async-tasks", &back);
    vw_link(c, vw_href(c, &back), "button secondary js-hide", "Back to the list");
    vw_url_free(&back);
    vw_button(c, "submit", "primary",
              p->users ? "Pause selected users" : "Pause selected task types");
    vw_end(c);
    vw_end(c);
}

/* What is paused now, each with its Resume; beyond PAUSED_LIST_MAX the
 * search finds the others, and their rows in the table carry the Resume. */
static void
paused_list(fc_ctx *c, const panel *p)
{
    vw_elem(c, "h3", NULL, p->users ? "Users paused now" : "Task types paused now");
    size_t shown = p->paused.n > PAUSED_LIST_MAX ? PAUSED_LIST_MAX : p->paused.n;
    if (shown == 0) {
        vw_elem(c, "p", "empty", p->users ? "No user is paused." : "No task type is paused.");
        return;
    }
    vw_start(c, "ul", "paused-list");
    for (size_t i = 0; i < shown; i++) {
        const at_pause_rule *r = &p->paused.rules[i];
        vw_start(c, "li", NULL);
        vw_elem(c, "span", "name", r->target_name);
        fc_rule_note(c, r, "small", false);
        resume_button(c, r);
        vw_end(c);
    }
    vw_end(c);
    if (p->paused.n > shown)
        vw_elem(c, "p", "more-paused",
                p->users ? "More users are paused: search for one to resume it."
                         : "More task types are paused: search for one to resume it.");
}

/* The platform's rules of the scope: shown in every business, lifted only
 * by a platform admin. */
static void
platform_list(fc_ctx *c, const panel *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->rules.n; i++)
        n += at_pause_rule_platform(&p->rules.rules[i]) && p->rules.rules[i].scope == p->scope;
    if (n == 0)
        return;
    vw_elem(c, "h3", NULL,
            p->users ? "Users paused for all businesses" : "Task types paused for all businesses");
    if (!c->acc.platform_admin)
        vw_elem(c, "p", "platform-note",
                "Platform rules: set by a platform admin for every business. Only a platform "
                "admin can resume them.");
    vw_start(c, "ul", "paused-list platform-rules");
    for (size_t i = 0; i < p->rules.n; i++) {
        const at_pause_rule *r = &p->rules.rules[i];
        if (!at_pause_rule_platform(r) || r->scope != p->scope)
            continue;
        vw_start(c, "li", "platform-rule");
        vw_elem(c, "span", "name", r->target_name);
        fc_rule_note(c, r, "small", false);
        if (c->acc.platform_admin)
            resume_button(c, r);
        vw_end(c);
    }
    vw_end(c);
}

static void
panel_html(fc_ctx *c, const panel *p, const fc_listview *lv)
{
    vw_page_begin(c, p->title);
    vw_elem(c, "h1", NULL, p->title); /* the page's; the dialog takes only the panel */
    vw_start(c, "section", "pause-panel");
    vw_attr(c, "id", "pause-panel");
    vw_attr(c, "data-scope", p->users ? "user" : "type");
    vw_start(c, "h2", NULL);
    vw_attr(c, "id", "pause-panel-title");
    vw_text(c, p->title);
    vw_end(c);
    vw_start(c, "p", "lead");
    vw_textf(c, "%s in %s: their queued tasks and any added later wait until resumed. "
                "Running tasks finish.",
             p->users ? "Pause users" : "Pause task types", c->acc.business.name);
    vw_end(c);
    search_form(c, p, lv);
    pause_form(c, p, lv);
    paused_list(c, p);
    platform_list(c, p);
    resume_form(c, lv, p->scope, false);
    if (c->acc.platform_admin)
        resume_form(c, lv, p->scope, true);
    vw_end(c); /* section */
    vw_page_end(c);
}

int
h_pause_panel(fc_ctx *c)
{
    panel p;
    memset(&p, 0, sizeof p);
    p.scope = scope_of(c);
    p.users = p.scope == AT_SCOPE_USER;
    p.title = p.users ? "Pause User" : "Pause Task Type";
    p.path = p.users ? "/admin/async-tasks/pause-user" : "/admin/async-tasks/pause-type";
    p.search = fc_arg(c, "q")->s;
    fc_listview lv;
    fc_listview_from(c, &lv);
    at_error err;
    if (panel_load(c, &p, &err))
        fc_fail(c, &err);
    else if (c->want_xml)
        panel_xml(c, &p);
    else
        panel_html(c, &p, &lv);
    panel_free(&p);
    return 0;
}

/* "Bob, Carol" for the flash, as far as it fits. */
static void
target_names(fc_ctx *c, int scope, const uint64_t *ids, size_t n, char *names, size_t len)
{
    at_pause_set rules;
    at_error err;
    names[0] = 0;
    if (rules_of(c, scope, ids, n, &rules, &err))
        return;
    for (size_t k = 0; k < n; k++) {
        const at_pause_rule *r = rule_for(&rules, scope, ids[k]);
        size_t used = strlen(names);
        if (!r || used + strlen(r->target_name) + 3 >= len)
            continue;
        snprintf(names + used, len - used, "%s%s", used ? ", " : "", r->target_name);
    }
    at_pause_set_free(&rules);
}

int
h_pause(fc_ctx *c)
{
    int scope = scope_of(c);
    fc_listview lv;
    fc_listview_from(c, &lv);
    const fc_value *targets = fc_arg(c, "target");
    const char *expiry = fc_arg(c, "expiry")->s;
    at_time until = 0;
    at_error err;
    if (expiry && strcmp(expiry, "until") == 0) {
        const fc_value *u = fc_arg(c, "until");
        if (!u->present)
            return fc_error(c, 400, "Choose the date the pause ends, or another expiry.");
        until = u->t;
    } else if (expiry && *expiry) {
        char rel[8];
        snprintf(rel, sizeof rel, "+%s", expiry);
        if (at_time_parse(rel, c->acc.now, &until, &err))
            return fc_fail(c, &err);
    }
    bool all = everywhere(c);
    if (all ? at_platform_pause_add(c->db, &c->actor, scope, targets->ids, targets->nids,
                                    fc_arg(c, "reason")->s, until, &err)
            : at_pause_add(c->db, &c->actor, c->acc.business.id, scope, targets->ids,
                           targets->nids, fc_arg(c, "reason")->s, until, &err))
        return fc_fail(c, &err);
    /* name what was paused, as far as the message allows */
    char names[400];
    target_names(c, scope, targets->ids, targets->nids, names, sizeof names);
    fc_flash(c, "Paused %zu %s%s%s: %s.", targets->nids,
             scope == AT_SCOPE_USER ? "user" : "task type", targets->nids == 1 ? "" : "s",
             all ? " for all businesses" : "", names);
    return fc_redirect_list(c, &lv);
}

int
h_resume(fc_ctx *c)
{
    int scope = scope_of(c);
    fc_listview lv;
    fc_listview_from(c, &lv);
    uint64_t target = (uint64_t) fc_arg(c, "target")->i;
    at_error err;
    char name[AT_NAME_BUF];
    target_names(c, scope, &target, 1, name, sizeof name);
    bool all = everywhere(c);
    if (all ? at_platform_pause_resume(c->db, &c->actor, scope, target, &err)
            : at_pause_resume(c->db, &c->actor, c->acc.business.id, scope, target, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Resumed %s %s%s.", scope == AT_SCOPE_USER ? "user" : "task type", name,
             all ? " for all businesses" : "");
    return fc_redirect_list(c, &lv);
}
