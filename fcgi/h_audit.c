/* h_audit.c: the Audit Log page: every pause, resume, edit and delete of
 * the business, newest first, a page at a time by keyset (Newer, Older),
 * so that a page costs the same at a million entries as at ten. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define AUDIT_PAGE 50

static void
xml_audit(fc_ctx *c, const at_audit_page *pg)
{
    char iso[40];
    vw_xml_begin(c, "audit-log");
    vw_attr(c, "business", c->acc.business.slug);
    for (size_t i = 0; i < pg->n; i++) {
        const at_audit_entry *e = &pg->rows[i];
        vw_start(c, "entry", NULL);
        vw_attrf(c, "id", "%" PRIu64, e->id);
        vw_attr(c, "at", at_time_iso(e->at, iso, sizeof iso));
        vw_attr(c, "actor", e->actor);
        vw_attr(c, "action", e->action);
        vw_attr(c, "of", e->business_id == AT_AUDIT_PLATFORM ? "platform" : "business");
        vw_attr(c, "target-kind", e->target_kind);
        if (e->target_id)
            vw_attrf(c, "target-id", "%" PRIu64, e->target_id);
        vw_attr(c, "target", e->target_name);
        vw_attr(c, "reason", e->reason);
        vw_attr(c, "detail", e->detail);
        vw_end_void(c);
    }
    vw_start(c, "page", NULL);
    if (pg->has_older)
        vw_attrf(c, "before", "%" PRIu64, pg->older);
    if (pg->has_newer)
        vw_attrf(c, "after", "%" PRIu64, pg->newer);
    vw_end_void(c);
    vw_xml_end(c);
}

static void
audit_row(fc_ctx *c, const at_audit_entry *e, const char *const *heads)
{
    char target[AT_NAME_BUF + 32];
    snprintf(target, sizeof target, "%s %s",
             strcmp(e->target_kind, "task_type") == 0 ? "task type" : e->target_kind,
             e->target_name);
    vw_start(c, "tr", NULL);
    vw_start(c, "td", NULL);
    vw_attr(c, "data-label", "Time");
    vw_time(c, e->at);
    vw_end(c);
    /* the platform's pauses, shown in every business's log */
    char action[AT_NAME_BUF];
    snprintf(action, sizeof action, "%s%s", e->action,
             e->business_id == AT_AUDIT_PLATFORM ? " (all businesses)" : "");
    const char *cells[] = {e->actor, action, target, e->reason, e->detail};
    for (size_t k = 0; k < 5; k++) {
        vw_start(c, "td", NULL);
        vw_attr(c, "data-label", heads[k + 1]);
        vw_text(c, cells[k]);
        vw_end(c);
    }
    vw_end(c);
}

/* "/admin/audit-log?business=..&key=id" */
static void
audit_url(fc_ctx *c, const char *key, uint64_t id, vw_url *u)
{
    char v[24];
    snprintf(v, sizeof v, "%" PRIu64, id);
    vw_url_path(u, "/admin/audit-log");
    vw_url_param(u, "business", c->acc.business.slug);
    vw_url_param(u, key, v);
}

static void
html_audit(fc_ctx *c, const at_audit_page *pg)
{
    vw_page_begin(c, "Audit Log");
    vw_elem(c, "h1", NULL, "Audit Log");
    vw_start(c, "div", "toolbar");
    fc_business_form(c, "/admin/audit-log", NULL);
    vw_end(c);
    vw_start(c, "p", "lead");
    vw_textf(c, "Every pause, resume, edit and delete in %s, newest first.", c->acc.business.name);
    vw_end(c);
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "audit");
    static const char *const heads[] = {"Time (UTC)", "Actor", "Action", "Target", "Reason",
                                        "Detail"};
    vw_table_head(c, heads, 6);
    vw_start(c, "tbody", NULL);
    if (pg->n == 0)
        vw_empty_row(c, 6, "Nothing has been recorded yet");
    for (size_t i = 0; i < pg->n; i++)
        audit_row(c, &pg->rows[i], heads);
    vw_end(c);
    vw_end(c);
    vw_end(c);
    vw_url newer = {0}, older = {0};
    if (pg->has_newer)
        audit_url(c, "after", pg->newer, &newer);
    if (pg->has_older)
        audit_url(c, "before", pg->older, &older);
    if (pg->has_newer || pg->has_older)
        vw_pager(c, pg->has_newer ? vw_href(c, &newer) : NULL, "‹ Newer",
                 pg->has_older ? vw_href(c, &older) : NULL, "Older ›");
    vw_url_free(&newer);
    vw_url_free(&older);
    vw_page_end(c);
}

int
h_audit(fc_ctx *c)
{
    const fc_value *before = fc_arg(c, "before"), *after = fc_arg(c, "after");
    if (before->present && after->present)
        return fc_error(c, 400, "Give either after or before, not both.");
    at_audit_page pg;
    at_error err;
    if (at_audit_page_get(c->db, c->acc.business.id, (uint64_t) before->i, (uint64_t) after->i,
                          AUDIT_PAGE, &pg, &err))
        return fc_fail(c, &err);
    if (c->want_xml)
        xml_audit(c, &pg);
    else
        html_audit(c, &pg);
    at_audit_page_free(&pg);
    return 0;
}
