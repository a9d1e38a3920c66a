/* listview.c: the task list's state (business, sort, direction, status
 * filter, searches, page size), which lives in the URL and which every
 * link and form that returns to the list carries; and the Business menu
 * that the list and the audit log share. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"

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

/* The list's parameters other than the business, as name and value
 * pairs (a NULL value: leave it out). */
#define LISTVIEW_PAIRS 6
static void
pairs(const fc_listview *lv, const char *p[2 * LISTVIEW_PAIRS])
{
    const char *v[] = {"sort",   unless(lv->sort, "created"),  "dir",  unless(lv->dir, "desc"),
                       "status", unless(lv->status, "pending"), "user", lv->user,
                       "type",   lv->type,                      "limit", unless(lv->limit, "50")};
    memcpy(p, v, sizeof v);
}

void
fc_list_url(const fc_ctx *c, const fc_listview *lv, const char *path, vw_url *u)
{
    const char *p[2 * LISTVIEW_PAIRS];
    pairs(lv, p);
    vw_url_path(u, path);
    vw_url_param(u, "business", c->acc.business.slug);
    for (size_t i = 0; i < 2 * LISTVIEW_PAIRS; i += 2)
        vw_url_param(u, p[i], p[i + 1]);
}

void
vw_listview_hidden(fc_ctx *c, const fc_listview *lv)
{
    const char *p[2 * LISTVIEW_PAIRS];
    pairs(lv, p);
    for (size_t i = 0; i < 2 * LISTVIEW_PAIRS; i += 2)
        vw_hidden(c, p[i], p[i + 1]);
}

int
fc_redirect_list(fc_ctx *c, const fc_listview *lv)
{
    /* long searches are dropped rather than the redirect refused */
    vw_url u = {.max = FC_LOCATION_MAX};
    fc_list_url(c, lv, "/admin/async-tasks", &u);
    if (!u.p)
        return fc_error(c, 500, "Out of memory.");
    fc_redirect(c, u.p);
    vw_url_free(&u);
    return 0;
}


/* More businesses than a menu can list: the slug is typed instead. */
static void
business_field(fc_ctx *c)
{
    vw_label(c, "business", "Business (slug)");
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "text");
    vw_attr(c, "id", "business");
    vw_attr(c, "name", "business");
    vw_attr(c, "value", c->acc.business.slug);
    vw_attr(c, "required", "required");
    vw_attr(c, "title", c->acc.business.name);
    vw_end_void(c);
}

static void
business_menu(fc_ctx *c)
{
    vw_label(c, "business", "Business");
    vw_start(c, "select", NULL);
    vw_attr(c, "id", "business");
    vw_attr(c, "name", "business");
    for (size_t i = 0; i < c->nbusinesses; i++) {
        const at_business *b = &c->businesses[i];
        vw_start(c, "option", NULL);
        vw_attr(c, "value", b->slug);
        if (b->id == c->acc.business.id)
            vw_attr(c, "selected", "selected");
        vw_text(c, b->name);
        vw_end(c);
    }
    vw_end(c);
}

void
fc_business_form(fc_ctx *c, const char *action, const fc_listview *lv)
{
    vw_form_begin(c, "get", action, "business-select");
    vw_attr(c, "id", "business-form");
    if (c->more_businesses)
        business_field(c);
    else
        business_menu(c);
    /* switching keeps the sort and the search */
    if (lv)
        vw_listview_hidden(c, lv);
    vw_button(c, "submit", "secondary js-hide", "Switch");
    vw_end(c);
}
