/* h_audit.c: the Audit Log page: every pause, resume, edit and delete of
 * the business, newest first, a page at a time. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#define AUDIT_PAGE 50

int
h_audit(fc_ctx *c)
{
    const fc_value *before = fc_arg(c, "before");
    at_audit_entry *v = NULL;
    size_t n = 0;
    at_error err;
    /* one more than shown tells whether there is an older page */
    if (at_audit_list(c->db, c->business.id, before->present ? (uint64_t) before->i : 0,
                      AUDIT_PAGE + 1, &v, &n, &err))
        return fc_fail(c, &err);
    bool older = n > AUDIT_PAGE;
    if (older)
        n = AUDIT_PAGE;
    char iso[40];
    if (c->want_xml) {
        vw_xml_begin(c, "audit-log");
        vw_attr(c, "business", c->business.slug);
        for (size_t i = 0; i < n; i++) {
            vw_start(c, "entry", NULL);
            vw_attrf(c, "id", "%" PRIu64, v[i].id);
            vw_attr(c, "at", vw_iso(v[i].at, iso, sizeof iso));
            vw_attr(c, "actor", v[i].actor);
            vw_attr(c, "action", v[i].action);
            vw_attr(c, "target-kind", v[i].target_kind);
            if (v[i].target_id)
                vw_attrf(c, "target-id", "%" PRIu64, v[i].target_id);
            vw_attr(c, "target", v[i].target_name);
            vw_attr(c, "reason", v[i].reason);
            vw_attr(c, "detail", v[i].detail);
            vw_end_void(c);
        }
        vw_start(c, "page", NULL);
        if (older)
            vw_attrf(c, "before", "%" PRIu64, v[n - 1].id);
        vw_end_void(c);
        vw_xml_end(c);
        free(v);
        return 0;
    }
    at_business *bv = NULL;
    size_t bn = 0;
    if (at_business_list_admin(c->db, c->user.id, &bv, &bn, &err)) {
        free(v);
        return fc_fail(c, &err);
    }
    vw_page_begin(c, "Audit Log");
    vw_elem(c, "h1", NULL, "Audit Log");
    vw_start(c, "div", "toolbar");
    fc_business_form(c, "/admin/audit-log", NULL, bv, bn);
    vw_end(c);
    free(bv);
    vw_start(c, "p", "lead");
    vw_textf(c, "Every pause, resume, edit and delete in %s, newest first.", c->business.name);
    vw_end(c);
    vw_start(c, "div", "table-wrap");
    vw_start(c, "table", "audit");
    static const char *const heads[] = {"Time (UTC)", "Actor", "Action", "Target", "Reason",
                                        "Detail"};
    vw_table_head(c, heads, 6);
    vw_start(c, "tbody", NULL);
    if (n == 0)
        vw_empty_row(c, 6, "Nothing has been recorded yet");
    for (size_t i = 0; i < n; i++) {
        char target[AT_NAME_BUF + 32];
        snprintf(target, sizeof target, "%s %s",
                 strcmp(v[i].target_kind, "task_type") == 0 ? "task type" : v[i].target_kind,
                 v[i].target_name);
        vw_start(c, "tr", NULL);
        vw_start(c, "td", NULL);
        vw_attr(c, "data-label", "Time");
        vw_time(c, v[i].at);
        vw_end(c);
        const char *cells[] = {v[i].actor, v[i].action, target, v[i].reason, v[i].detail};
        for (size_t k = 0; k < 5; k++) {
            vw_start(c, "td", NULL);
            vw_attr(c, "data-label", heads[k + 1]);
            vw_text(c, cells[k]);
            vw_end(c);
        }
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
    vw_end(c);
    if (older) {
        char url[256];
        snprintf(url, sizeof url, "/admin/audit-log?business=%s&before=%" PRIu64,
                 c->business.slug, v[n - 1].id);
        vw_start(c, "nav", "pager");
        vw_start(c, "a", "button secondary");
        vw_attr(c, "rel", "next");
        vw_attr(c, "href", url);
        vw_text(c, "Older ›");
        vw_end(c);
        vw_end(c);
    }
    free(v);
    return vw_page_end(c);
}
