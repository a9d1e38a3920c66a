/* totals.c: a business's totals (its counters, read with the context in
 * O(1)), its cap on running tasks and how many rules pause it, as the task list and the dashboard
 * show them, in the page and in the XML view. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "app.h"

/* The cap on the business's running tasks that applies: its own, else the
 * configured default; 0 for none. */
static uint64_t
cap_of(const fc_ctx *c, const at_task_counts *n)
{
    return n->max_running == AT_CAP_DEFAULT ? c->cfg->max_running : (uint64_t) n->max_running;
}

static void
cap_item(fc_ctx *c, const at_task_counts *n)
{
    uint64_t cap = cap_of(c, n);
    vw_start(c, "div", "max-running");
    vw_elem(c, "dt", NULL, "Max running");
    vw_start(c, "dd", NULL);
    if (cap == 0)
        vw_text(c, "no cap");
    else
        vw_textf(c, "%" PRIu64, cap);
    if (n->max_running == AT_CAP_DEFAULT && cap)
        vw_text(c, " (the default)");
    vw_end(c);
    vw_end(c);
}

/* The business's totals, exact: one row of counters, and its cap. */
void
fc_totals_html(fc_ctx *c, const at_task_counts *n)
{
    const struct {
        const char *cls, *label;
        uint64_t v;
    } items[] = {{"queued", "Queued", n->queued},
                 {"paused", "Paused", n->paused},
                 {"running", "Running", n->running},
                 {"failed", "Failed", n->failed},
                 {"finished-today", "Finished today", n->finished_today}};
    vw_start(c, "dl", "totals");
    vw_attrf(c, "aria-label", "Tasks of %s", c->acc.business.name);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        vw_start(c, "div", items[i].cls);
        vw_elem(c, "dt", NULL, items[i].label);
        vw_start(c, "dd", NULL);
        vw_textf(c, "%" PRIu64, items[i].v);
        vw_end(c);
        vw_end(c);
    }
    cap_item(c, n);
    vw_end(c);
}

void
fc_totals_xml(fc_ctx *c, const at_task_counts *n)
{
    vw_start(c, "totals", NULL);
    vw_attrf(c, "queued", "%" PRIu64, n->queued);
    vw_attrf(c, "paused", "%" PRIu64, n->paused);
    vw_attrf(c, "running", "%" PRIu64, n->running);
    vw_attrf(c, "failed", "%" PRIu64, n->failed);
    vw_attrf(c, "finished-today", "%" PRIu64, n->finished_today);
    vw_attrf(c, "max-running", "%" PRIu64, cap_of(c, n));
    vw_attr(c, "max-running-default", n->max_running == AT_CAP_DEFAULT ? "true" : "false");
    vw_end_void(c);
}

/* "Paused now in Acme: 2 users and 1 task type." (a count past the cap is
 * "100+") */
void
fc_paused_summary(fc_ctx *c, const at_pause_counts *n)
{
    unsigned nu = n->users, nt = n->types;
    if (nu + nt == 0)
        return;
    char u[16], t[16];
    snprintf(u, sizeof u, nu > AT_PAUSE_COUNT_CAP ? "%u+" : "%u",
             nu > AT_PAUSE_COUNT_CAP ? AT_PAUSE_COUNT_CAP : nu);
    snprintf(t, sizeof t, nt > AT_PAUSE_COUNT_CAP ? "%u+" : "%u",
             nt > AT_PAUSE_COUNT_CAP ? AT_PAUSE_COUNT_CAP : nt);
    vw_start(c, "p", "paused-summary");
    vw_textf(c, "Paused now in %s: %s user%s and %s task type%s.", c->acc.business.name, u,
             nu == 1 ? "" : "s", t, nt == 1 ? "" : "s");
    vw_end(c);
}
