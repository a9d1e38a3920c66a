/* h_resume_all.c: Resume All: its confirmation as a page of its own (the
 * list shows the same as a dialog), and the action. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "app.h"

void
fc_resume_all_question(fc_ctx *c)
{
    vw_start(c, "p", NULL);
    vw_textf(c, "Resume every paused task of %s? All pauses of users and task types in this "
                "business are removed, and their tasks become runnable at once. Platform rules, "
                "which pause a user or a task type in every business, are left in place.",
             c->acc.business.name);
    vw_end(c);
}

int
h_resume_all_form(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    vw_url back = {0};
    fc_list_url(c, &lv, "/admin/async-tasks", &back);
    vw_page_begin(c, "Resume All");
    vw_start(c, "section", "confirm-page");
    vw_elem(c, "h1", NULL, "Resume All");
    fc_resume_all_question(c);
    vw_form_begin(c, "post", "/admin/async-tasks/resume-all", "dialog-buttons");
    vw_csrf(c);
    vw_hidden(c, "business", c->acc.business.slug);
    vw_listview_hidden(c, &lv);
    vw_link(c, vw_href(c, &back), "button secondary", "Cancel");
    vw_button(c, "submit", "primary", "Resume All");
    vw_end(c);
    vw_end(c);
    vw_url_free(&back);
    return vw_page_end(c);
}

int
h_resume_all(fc_ctx *c)
{
    fc_listview lv;
    fc_listview_from(c, &lv);
    unsigned removed = 0, left = 0;
    uint64_t released = 0;
    at_error err;
    if (at_pause_resume_all(c->db, &c->actor, c->acc.business.id, &removed, &released, &left,
                            &err))
        return fc_fail(c, &err);
    char kept[96] = "";
    if (left)
        snprintf(kept, sizeof kept, " %u platform rule%s left in place: only a platform admin "
                 "lifts %s.", left, left == 1 ? "" : "s", left == 1 ? "it" : "them");
    if (removed == 0)
        fc_flash(c, "Nothing was paused in %s.%s", c->acc.business.name, kept);
    else
        fc_flash(c, "Resume All: %u pause%s removed, %" PRIu64 " task%s released.%s", removed,
                 removed == 1 ? "" : "s", released, released == 1 ? "" : "s", kept);
    return fc_redirect_list(c, &lv);
}
