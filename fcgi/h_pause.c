/* h_pause.c: Pause User and Pause Task Type: the panel that searches the
 * business's users (or the task types) on the server, a page at a time,
 * with checkboxes for a bulk pause and the list of what is paused now; and
 * the pause and resume actions. The same panel is a page of its own (no
 * script) and the content of the dialogs on the task list (with script). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define PANEL_PAGE 25

static int
scope_of(const fc_ctx *c)
{
    return strstr(c->path, "-type") ? AT_SCOPE_TASK_TYPE : AT_SCOPE_USER;
}

static const at_pause_rule *
rule_for(const at_pause_set *set, int scope, uint64_t id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->rules[i].scope == scope && set->rules[i].target_id == id)
            return &set->rules[i];
    return NULL;
}

/* One row of the picking table. */
static void
pick_row(fc_ctx *c, uint64_t id, const char *name, const char *second,
         const at_pause_rule *paused)
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
    if (paused)
        vw_elem(c, "span", "status status-paused", "paused");
    else
        vw_elem(c, "span", "status status-running-ok", "active");
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

static void
resume_form(fc_ctx *c, const fc_listview *lv, int scope, const at_pause_rule *r)
{
    vw_form_begin(c, "post",
                  scope == AT_SCOPE_USER ? "/admin/async-tasks/resume-user"
                                         : "/admin/async-tasks/resume-type",
                  "inline");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, lv);
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, r->target_id);
    vw_hidden(c, "target", id);
    vw_start(c, "button", "secondary small");
    vw_attr(c, "type", "submit");
    vw_attrf(c, "aria-label", "Resume %s", r->target_name);
    vw_text(c, "Resume");
    vw_end(c);
    vw_end(c);
}

static int
panel_xml(fc_ctx *c, int scope, const at_user_page *users, const at_task_type *types,
          size_t ntypes, const at_pause_set *rules)
{
    char iso[40];
    vw_xml_begin(c, scope == AT_SCOPE_USER ? "users" : "task-types");
    vw_attr(c, "business", c->business.slug);
    size_t n = scope == AT_SCOPE_USER ? users->n : ntypes;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = scope == AT_SCOPE_USER ? users->rows[i].id : types[i].id;
        const at_pause_rule *r = rule_for(rules, scope, id);
        vw_start(c, scope == AT_SCOPE_USER ? "user" : "task-type", NULL);
        vw_attrf(c, "id", "%" PRIu64, id);
        vw_attr(c, "name", scope == AT_SCOPE_USER ? users->rows[i].name : types[i].name);
        if (scope == AT_SCOPE_USER)
            vw_attr(c, "email", users->rows[i].email);
        vw_attr(c, "paused", r ? "true" : "false");
        if (r) {
            vw_attr(c, "paused-by", r->paused_by_name);
            vw_attr(c, "paused-at", vw_iso(r->paused_at, iso, sizeof iso));
            if (r->until)
                vw_attr(c, "paused-until", vw_iso(r->until, iso, sizeof iso));
            vw_attr(c, "reason", r->reason);
        }
        vw_end_void(c);
    }
    if (scope == AT_SCOPE_USER) {
        vw_start(c, "page", NULL);
        if (users->has_next)
            vw_attr(c, "next", users->next);
        vw_end_void(c);
    }
    return vw_xml_end(c);
}

int
h_pause_panel(fc_ctx *c)
{
    int scope = scope_of(c);
    bool users_scope = scope == AT_SCOPE_USER;
    const char *title = users_scope ? "Pause User" : "Pause Task Type";
    const char *path = users_scope ? "/admin/async-tasks/pause-user" : "/admin/async-tasks/pause-type";
    fc_listview lv;
    fc_listview_from(c, &lv);
    const char *search = fc_arg(c, "q")->s;
    at_error err;
    at_pause_set rules;
    at_user_page users = {0};
    at_task_type *types = NULL;
    size_t ntypes = 0;
    if (at_pause_load(c->db, c->business.id, &rules, &err))
        return fc_fail(c, &err);
    int rc = users_scope ? at_member_search(c->db, c->business.id, search, fc_arg(c, "after")->s,
                                            PANEL_PAGE, &users, &err)
                         : at_task_type_list(c->db, search, &types, &ntypes, &err);
    if (rc) {
        at_pause_set_free(&rules);
        return fc_fail(c, &err);
    }
    if (c->want_xml) {
        panel_xml(c, scope, &users, types, ntypes, &rules);
        goto out;
    }
    char back[4096];
    fc_list_url(c, &lv, back, sizeof back);
    vw_page_begin(c, title);
    vw_elem(c, "h1", NULL, title); /* the page's; the dialog takes only the panel */
    vw_start(c, "section", "pause-panel");
    vw_attr(c, "id", "pause-panel");
    vw_attr(c, "data-scope", users_scope ? "user" : "type");
    vw_start(c, "h2", NULL);
    vw_attr(c, "id", "pause-panel-title");
    vw_text(c, title);
    vw_end(c);
    vw_start(c, "p", "lead");
    vw_textf(c, "%s in %s: their queued tasks and any added later wait until resumed. "
                "Running tasks finish.",
             users_scope ? "Pause users" : "Pause task types", c->business.name);
    vw_end(c);

    /* the search, answered by the server */
    vw_form_begin(c, "get", path, "panel-search");
    vw_attr(c, "role", "search");
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, &lv);
    vw_input(c, "search", "pause-q", "q", search, users_scope ? "Search users" : "Search task types");
    vw_button(c, "submit", "secondary", "Search");
    vw_end(c);

    /* the choice, and the bulk pause */
    vw_form_begin(c, "post", path, "pause-form");
    vw_csrf(c);
    vw_hidden(c, "business", c->business.slug);
    vw_listview_hidden(c, &lv);
    size_t n = users_scope ? users.n : ntypes;
    if (n == 0) {
        vw_elem(c, "p", "empty", users_scope ? "No users match." : "No task types match.");
    } else {
        vw_start(c, "table", "pick");
        vw_start(c, "thead", NULL);
        vw_start(c, "tr", NULL);
        vw_start(c, "th", "pick");
        vw_attr(c, "scope", "col");
        vw_start(c, "input", "select-all");
        vw_attr(c, "type", "checkbox");
        vw_attr(c, "hidden", "hidden"); /* the script shows it */
        vw_attr(c, "aria-label", users_scope ? "Select all users shown" : "Select all task types shown");
        vw_end_void(c);
        vw_end(c);
        vw_start(c, "th", NULL);
        vw_attr(c, "scope", "col");
        vw_text(c, users_scope ? "User" : "Task Type");
        vw_end(c);
        vw_start(c, "th", NULL);
        vw_attr(c, "scope", "col");
        vw_text(c, "State");
        vw_end(c);
        vw_end(c);
        vw_end(c);
        vw_start(c, "tbody", NULL);
        for (size_t i = 0; i < n; i++) {
            if (users_scope)
                pick_row(c, users.rows[i].id, users.rows[i].name, users.rows[i].email,
                         rule_for(&rules, scope, users.rows[i].id));
            else
                pick_row(c, types[i].id, types[i].name, types[i].description,
                         rule_for(&rules, scope, types[i].id));
        }
        vw_end(c);
        vw_end(c);
    }
    if (users_scope && users.has_next) {
        /* the list's state goes along, so that a pause from a later page
         * returns to the same list */
        char list[4096], url[4600], more[1400];
        fc_list_url(c, &lv, list, sizeof list);
        const char *pairs[] = {"q", search, "after", users.next};
        snprintf(url, sizeof url, "%s%s&%s", path, strchr(list, '?'),
                 vw_query(more, sizeof more, pairs, 2));
        vw_start(c, "nav", "pager");
        vw_start(c, "a", "button secondary more");
        vw_attr(c, "rel", "next");
        vw_attr(c, "href", url);
        vw_text(c, "More users ›");
        vw_end(c);
        vw_end(c);
    }
    expiry_fields(c);
    vw_start(c, "div", "dialog-buttons");
    vw_link(c, back, "button secondary js-hide", "Back to the list");
    vw_button(c, "submit", "primary",
              users_scope ? "Pause selected users" : "Pause selected task types");
    vw_end(c);
    vw_end(c); /* form */

    /* what is paused now, each with its resume */
    vw_elem(c, "h3", NULL, users_scope ? "Users paused now" : "Task types paused now");
    size_t shown = 0;
    for (size_t i = 0; i < rules.n; i++) {
        const at_pause_rule *r = &rules.rules[i];
        if (r->scope != scope)
            continue;
        if (shown++ == 0)
            vw_start(c, "ul", "paused-list");
        vw_start(c, "li", NULL);
        vw_elem(c, "span", "name", r->target_name);
        fc_rule_note(c, r, "small", false);
        resume_form(c, &lv, scope, r);
        vw_end(c);
    }
    if (shown)
        vw_end(c);
    else
        vw_elem(c, "p", "empty", users_scope ? "No user is paused." : "No task type is paused.");
    vw_end(c); /* section */
    vw_page_end(c);
out:
    at_user_page_free(&users);
    free(types);
    at_pause_set_free(&rules);
    return 0;
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
    if (expiry && strcmp(expiry, "until") == 0) {
        const fc_value *u = fc_arg(c, "until");
        if (!u->present)
            return fc_error(c, 400, "Choose the date the pause ends, or another expiry.");
        until = u->t;
    } else if (expiry && *expiry) {
        at_error err;
        char rel[8];
        snprintf(rel, sizeof rel, "+%s", expiry);
        if (at_time_parse(rel, c->now, &until, &err))
            return fc_fail(c, &err);
    }
    at_error err;
    if (at_pause_add(c->db, &c->actor, c->business.id, scope, targets->ids, targets->nids,
                     fc_arg(c, "reason")->s, until, &err))
        return fc_fail(c, &err);
    /* name what was paused, as far as the message allows */
    at_pause_set rules;
    char names[400] = "";
    if (at_pause_load(c->db, c->business.id, &rules, &err) == AT_OK) {
        for (size_t k = 0; k < targets->nids; k++) {
            const at_pause_rule *r = rule_for(&rules, scope, targets->ids[k]);
            if (!r || strlen(names) + strlen(r->target_name) + 3 >= sizeof names)
                continue;
            if (names[0])
                strcat(names, ", ");
            strcat(names, r->target_name);
        }
        at_pause_set_free(&rules);
    }
    fc_flash(c, "Paused %zu %s%s: %s.", targets->nids,
             scope == AT_SCOPE_USER ? "user" : "task type", targets->nids == 1 ? "" : "s", names);
    char url[4096];
    return fc_redirect(c, fc_list_url(c, &lv, url, sizeof url));
}

int
h_resume(fc_ctx *c)
{
    int scope = scope_of(c);
    fc_listview lv;
    fc_listview_from(c, &lv);
    uint64_t target = (uint64_t) fc_arg(c, "target")->i;
    at_error err;
    at_pause_set rules;
    char name[AT_NAME_BUF] = "";
    if (at_pause_load(c->db, c->business.id, &rules, &err) == AT_OK) {
        const at_pause_rule *r = rule_for(&rules, scope, target);
        if (r)
            snprintf(name, sizeof name, "%s", r->target_name);
        at_pause_set_free(&rules);
    }
    if (at_pause_resume(c->db, &c->actor, c->business.id, scope, target, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Resumed %s %s.", scope == AT_SCOPE_USER ? "user" : "task type", name);
    char url[4096];
    return fc_redirect(c, fc_list_url(c, &lv, url, sizeof url));
}
