/* h_task_action.c: Retry, Run now and Discard, a task's row actions
 * besides Edit and Delete: the links the list's rows and the task page
 * offer (only where the library's rule, at_task_action_refusal, lets the
 * action apply), their confirmation pages (without script) and dialogs
 * (with), and the POSTs. The dialogs of the task actions, Delete's among
 * them, are written here for the list and the task page alike. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

/* What the screen says of each action; its path after /tasks/{id}/ and
 * its dialog's id are its name (at_task_action_str), as on the command
 * line. */
struct action_text {
    int action;
    const char *label;    /* the link's and the button's text */
    const char *title, *title_end; /* the confirmation page's heading, around "#N" */
    const char *dialog;   /* the dialog's heading */
    const char *cls;      /* the button's class */
    const char *question; /* the dialog's question, after "<label> <what>? " */
    const char *done;     /* the flash message, after "Task #N " */
};

static const struct action_text texts[] = {
    {AT_ACTION_RETRY, "Retry", "Retry task", "", "Retry task", "primary",
     "It is queued again with a new budget of attempts; its attempts so far stay on record. "
     "A pause that names its user or type holds it.",
     "is queued again."},
    {AT_ACTION_RUN_NOW, "Run now", "Run task", " now", "Run task now",
     "primary",
     "It no longer waits for its run-at time (a retry's backoff, or the time it was given). "
     "A pause that names its user or type still holds it.",
     "is due now."},
    {AT_ACTION_DISCARD, "Discard", "Discard task", "", "Discard task",
     "danger",
     "It is removed; the audit log keeps a record.", "discarded."},
};

static const struct action_text *
text_of(int action)
{
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].action == action)
            return &texts[i];
    return &texts[0];
}

/* "import for Ann (task #12)": what a dialog names. */
static void
what_attr(fc_ctx *c, const at_task *t)
{
    vw_attrf(c, "data-what", "%s for %s (task #%" PRIu64 ")", t->type_name, t->user_name, t->id);
}

/* A link to path's confirmation page that the script opens as dialog. */
static void
dialog_link(fc_ctx *c, const fc_listview *lv, const at_task *t, const char *slug,
            const char *cls, const char *label)
{
    char path[96], dialog[32];
    snprintf(path, sizeof path, "/admin/async-tasks/tasks/%" PRIu64 "/%s", t->id, slug);
    snprintf(dialog, sizeof dialog, "%s-dialog", slug);
    vw_url url = {0};
    fc_list_url(c, lv, path, &url);
    vw_start(c, "a", cls);
    vw_url_attr(c, "href", vw_href(c, &url));
    vw_url_free(&url);
    vw_attr(c, "data-dialog", dialog);
    what_attr(c, t);
    vw_text(c, label);
    vw_end(c);
}

void
fc_task_action_link(fc_ctx *c, const fc_listview *lv, const at_task *t, int action)
{
    char why[200];
    if (at_task_action_refusal(t, action, c->acc.now, why, sizeof why))
        return;
    const struct action_text *x = text_of(action);
    char cls[48];
    const char *slug = at_task_action_str(action);
    snprintf(cls, sizeof cls, "%s%s", slug, action == AT_ACTION_DISCARD ? " danger" : "");
    dialog_link(c, lv, t, slug, cls, x->label);
}

void
fc_task_delete_link(fc_ctx *c, const fc_listview *lv, const at_task *t)
{
    dialog_link(c, lv, t, "delete", "delete danger", "Delete");
}

void
fc_confirm_form(fc_ctx *c, const fc_listview *lv, const char *action, const char *cls,
                const char *text)
{
    vw_form_begin(c, "post", action, "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, lv);
    vw_dialog_cancel(c);
    vw_button(c, "submit", cls, text);
    vw_end(c);
}

void
fc_confirm_page_form(fc_ctx *c, const fc_listview *lv, const char *action, const char *cls,
                     const char *text)
{
    vw_url back = {0};
    fc_list_url(c, lv, "/admin/async-tasks", &back);
    vw_form_begin(c, "post", action, "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, lv);
    vw_link(c, vw_href(c, &back), "button secondary", "Cancel");
    vw_button(c, "submit", cls, text);
    vw_end(c);
    vw_url_free(&back);
}

/* One dialog; the script points its form at the task and names it. */
static void
task_dialog(fc_ctx *c, const fc_listview *lv, const char *slug, const char *title,
            const char *label, const char *question, const char *cls)
{
    char id[32], title_id[32];
    snprintf(id, sizeof id, "%s-dialog", slug);
    snprintf(title_id, sizeof title_id, "%s-title", slug);
    vw_start(c, "dialog", "confirm task-confirm");
    vw_attr(c, "id", id);
    vw_attr(c, "aria-labelledby", title_id);
    vw_start(c, "h2", NULL);
    vw_attr(c, "id", title_id);
    vw_text(c, title);
    vw_end(c);
    vw_start(c, "p", NULL);
    vw_textf(c, "%s ", label);
    vw_elem(c, "strong", "what", "this task");
    vw_textf(c, "? %s", question);
    vw_end(c);
    fc_confirm_form(c, lv, "", cls, label);
    vw_end(c);
}

void
fc_task_dialogs(fc_ctx *c, const fc_listview *lv)
{
    task_dialog(c, lv, "delete", "Delete task", "Delete",
                "A queued task is removed; a running one is asked to stop.", "danger");
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        task_dialog(c, lv, at_task_action_str(texts[i].action), texts[i].dialog, texts[i].label,
                    texts[i].question, texts[i].cls);
}

/* The confirmation page; a task the action does not apply to (any more)
 * gets 409 and why. */
static int
action_form(fc_ctx *c, int action)
{
    at_task t;
    at_pause_set rules;
    if (fc_task_load(c, c->path_id, &t, &rules))
        return 0;
    const struct action_text *x = text_of(action);
    char why[200];
    if (at_task_action_refusal(&t, action, c->acc.now, why, sizeof why)) {
        char msg[240];
        snprintf(msg, sizeof msg, "%c%s.", 'T', why + 1);
        at_pause_set_free(&rules);
        at_task_clear(&t);
        return fc_error(c, 409, msg);
    }
    fc_listview lv;
    fc_listview_from(c, &lv);
    char title[64], action_url[96];
    snprintf(title, sizeof title, "%s #%" PRIu64 "%s", x->title, t.id, x->title_end);
    snprintf(action_url, sizeof action_url, "/admin/async-tasks/tasks/%" PRIu64 "/%s", t.id,
             at_task_action_str(action));
    vw_page_begin(c, title);
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, title);
    vw_start(c, "p", NULL);
    vw_textf(c, "%s %s for %s (%s", x->label, t.type_name, t.user_name,
             at_task_status(&t, &rules, NULL));
    if (action == AT_ACTION_RUN_NOW) {
        vw_text(c, ", to run at ");
        vw_time(c, t.run_at);
        vw_text(c, " UTC");
    } else if (t.attempts) {
        vw_textf(c, ", %u attempt%s", t.attempts, t.attempts == 1 ? "" : "s");
    }
    vw_textf(c, ")? %s", x->question);
    vw_end(c);
    fc_confirm_page_form(c, &lv, action_url, x->cls, x->label);
    vw_end(c);
    at_pause_set_free(&rules);
    at_task_clear(&t);
    return vw_page_end(c);
}

/* The POST: a task that changed since its page was read is refused with
 * 409 and why (the library's AT_ESTATE), and nothing is done. */
static int
action_post(fc_ctx *c, int action)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    at_error err;
    if (at_task_act(c->db, &c->actor, c->acc.business.id, c->path_id, action, &err))
        return fc_fail(c, &err);
    fc_flash(c, "Task #%" PRIu64 " %s", c->path_id, text_of(action)->done);
    return fc_redirect_list(c, &lv);
}

/* The action a route's path ends with: ".../tasks/{id}/retry". */
static int
action_of(const fc_ctx *c)
{
    const char *slash = strrchr(c->path, '/');
    return slash ? at_task_action_parse(slash + 1) : 0;
}

int
h_task_action_form(fc_ctx *c)
{
    int action = action_of(c);
    return action ? action_form(c, action) : fc_error(c, 404, "No such page.");
}

int
h_task_action(fc_ctx *c)
{
    int action = action_of(c);
    return action ? action_post(c, action) : fc_error(c, 404, "No such page.");
}
