/* app.h: what the files of asynctasks-fcgi share: the request context, the
 * route table's shape, the response, and the view helpers. */
#ifndef FC_APP_H
#define FC_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/xmlwriter.h>

#include <asynctasks/apitoken.h>
#include <asynctasks/asynctasks.h>

#include "params.h"
#include "request.h"
#include "uri.h"

#define FC_BODY_MAX    (16u << 20) /* bytes of a request body */
#define FC_SESSION_COOKIE FC_COOKIE_PREFIX "session"
#define FC_LOGIN_COOKIE   FC_COOKIE_PREFIX "login"
#define FC_SESSION_IDLE   (30 * 60)      /* seconds without a request */
#define FC_SESSION_LIFE   (12 * 60 * 60) /* seconds at most */
#define FC_PARAMS_PER_ROUTE 16

struct fc_ctx;
typedef int (*fc_handler)(struct fc_ctx *c);

enum fc_access {
    FC_PUBLIC, /* anyone */
    FC_LOGIN,  /* any logged-in user */
    FC_ADMIN,  /* an admin of the business named by ?business= */
    FC_ADMIN_ANY, /* an admin of some business (no business needed) */
    FC_TOKEN,     /* a program with an API token ("Authorization: Bearer"); no session */
    FC_OPS        /* monitoring (h_ops.c): no session, no context, no cookie; the
                   * handler decides who may ask */
};

typedef struct fc_route {
    const char *method;  /* "GET" or "POST" */
    const char *path;    /* exact, or with one "{id}" segment */
    fc_handler handler;
    enum fc_access access;
    const fc_param *params;
    size_t nparams;
    unsigned loads; /* FC_LOAD_*: what its page needs with the context */
} fc_route;

/* What a route's page reads in the context's statement (at_access_more):
 * the Business menu (HTML only), the business's totals and whether it has
 * pause rules, the ids that the list's searches (user, type) match. */
enum { FC_LOAD_MENU = 1, FC_LOAD_TOTALS = 2, FC_LOAD_SEARCH = 4 };

typedef struct fc_header {
    char *name, *value;
} fc_header;

typedef struct fc_resp {
    int status;
    const char *type; /* Content-Type */
    xmlBufferPtr body;
    const char *static_body; /* instead of body: a constant (fc_write_failed) */
    char *location;          /* redirect target */
    fc_header headers[8];
    size_t nheaders;
} fc_resp;

typedef struct fc_ctx {
    at_db *db;
    const at_config *cfg;

    /* the request, as the client sent it */
    const char *method, *path, *query;
    const char *accept, *accept_encoding, *content_type, *remote_addr;
    const char *authorization; /* the Authorization header, "" when none */
    const char *idempotency_key; /* the Idempotency-Key header, NULL when none */
    bool https;
    fc_kvlist qs, form, cookies;
    char *xml_body;      /* an XML body (the API's bulk enqueue), NUL-terminated */
    size_t xml_body_len; /* its length */
    uint64_t path_id; /* the {id} of the route, 0 if none */
    bool want_xml;    /* ?format=xml, or Accept prefers XML */
    bool xhtml;       /* the client takes application/xhtml+xml */
    bool gzip;        /* and gzip */
    bool head;        /* a HEAD request: answer as GET, without the body */

    /* who is asking, loaded before the handler runs: the session and its
     * user, the business (FC_ADMIN routes: one they administer; FC_TOKEN:
     * the token's) and the database clock. Handlers read it. */
    at_access acc;
    char token[AT_TOKEN_LEN + 1]; /* the session cookie */
    at_actor actor;
    at_api_token api_token; /* FC_TOKEN routes: the checked token */
    /* the Business menu, read with the context (FC_LOAD_MENU) */
    at_business *businesses;
    size_t nbusinesses;
    int more_businesses; /* more than the menu lists */
    at_task_counts totals; /* the business's, read with the context (FC_LOAD_TOTALS) */
    bool no_rules;         /* with them: the business has no pause rule at all */
    /* the searches user and type as the request gave them, and their ids,
     * read with the context (FC_LOAD_SEARCH) */
    const char *user_search, *type_search;
    at_search_ids user_ids, type_ids;
    char flash[AT_FLASH_BUF]; /* the one-shot message this page shows */

    const fc_route *route;
    fc_value p[FC_PARAMS_PER_ROUTE]; /* the route's parameters, checked */
    uint64_t statements_at_start; /* at_db_statements when the request began */

    fc_resp resp;
    xmlTextWriterPtr w;       /* writing resp.body (writer.c) */
    int depth;                /* elements open in w */
    const char *write_failed; /* what failed first in writing, NULL while nothing has */
} fc_ctx;

/* ---- http.c ---- */

/* The value of parameter name of the current route (NULL when the route
 * declares none such; ->present 0 when absent). */
const fc_value *fc_arg(const fc_ctx *c, const char *name);
/* The same in vals, a set of the route's parameters checked apart (the
 * tasks of a bulk enqueue). */
const fc_value *fc_arg_of(const fc_ctx *c, const fc_value *vals, const char *name);

/* Responses. Each returns 0 so that handlers can "return fc_...". */
/* 303 to location, a URL made of checked values (slugs, numbers, the
 * route's paths, parameters that passed their checks): written
 * percent-encoded (uri.h), and refused with 500 when longer than
 * FC_LOCATION_MAX, as no builder lets it be. */
int fc_redirect(fc_ctx *c, const char *location);
int fc_error(fc_ctx *c, int status, const char *message);
int fc_add_header(fc_ctx *c, const char *name, const char *value);
/* A plain answer: text of len bytes, of Content-Type type. */
int fc_text(fc_ctx *c, int status, const char *type, const char *text, size_t len);
/* Sets the message the next page shows (after a redirect). */
void fc_flash(fc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A cookie: value NULL clears it. */
int fc_set_cookie(fc_ctx *c, const char *name, const char *value, const char *path,
                  int max_age);

/* Maps a library failure to a status page (404, 409, 400, 500...). */
int fc_fail(fc_ctx *c, const at_error *err);

/* Answers 500 with a constant page when the body could not be written
 * whole (c->write_failed, or a writer left open), dropping the body and
 * the handler's headers: nothing of a broken answer is sent. Called once
 * the handler is done. */
void fc_write_failed(fc_ctx *c);

/* Monitoring (h_ops.c): GET /healthz and GET /metrics. */
int h_healthz(fc_ctx *c);
int h_metrics(fc_ctx *c);

/* The route table (routes.c). */
extern const fc_route fc_routes[];
extern const size_t fc_nroutes;

/* ---- writer.c: the body in memory, every libxml2 writer call checked ----
 * The first failure is kept in c->write_failed (what failed), and every
 * write after it does nothing; the view helpers write only through these. */
/* A new body and its writer; -1 (and the failure kept) when out of memory. */
int wr_open(fc_ctx *c);
/* Ends the document and flushes it into the body; frees the writer, keeps
 * the body. -1 when any write of the body failed. */
int wr_close(fc_ctx *c);
/* Frees the writer and the body, and forgets a failure: a new body may
 * follow (an error page instead of a page). */
void wr_drop(fc_ctx *c);
/* Keeps what as the failure, unless one is kept already. */
void wr_fail(fc_ctx *c, const char *what);
void wr_declaration(fc_ctx *c);               /* <?xml version="1.0" encoding="UTF-8"?> */
void wr_doctype(fc_ctx *c, const char *name); /* <!DOCTYPE name> and a line break */
void wr_start(fc_ctx *c, const char *name);
void wr_end(fc_ctx *c, bool full); /* full: with an end tag, never <x/> */
void wr_attr(fc_ctx *c, const char *name, const char *value);
/* An attribute whose value is first then second, both escaped. */
void wr_attr_joined(fc_ctx *c, const char *name, const char *first, const char *second);
void wr_string(fc_ctx *c, const char *text); /* escaped */

/* ---- view.c: XHTML and XML through xmlTextWriter ---- */

/* Starts the body: an XHTML page (title, layout, flash) or, in XML mode,
 * the XML declaration. */
int vw_page_begin(fc_ctx *c, const char *title);
int vw_page_end(fc_ctx *c);
int vw_xml_begin(fc_ctx *c, const char *root);
int vw_xml_end(fc_ctx *c);

/* Elements; all text goes through the writer's escaping. */
void vw_start(fc_ctx *c, const char *name, const char *cls);
void vw_end(fc_ctx *c);       /* closes with a full end tag */
void vw_end_void(fc_ctx *c);  /* closes a void element: <br/> */
void vw_attr(fc_ctx *c, const char *name, const char *value);
void vw_attrf(fc_ctx *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vw_text(fc_ctx *c, const char *text);
void vw_textf(fc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* <name class=cls>text</name> */
void vw_elem(fc_ctx *c, const char *name, const char *cls, const char *text);
/* The screen's own addresses. Handlers, routes and redirects speak of the
 * app's paths ("/admin/async-tasks"); what leaves the app (an href,
 * action or src, a Location, a cookie's Path) has the configured base
 * path before it, added here and in fc_redirect, fc_set_cookie and the
 * API's Location, which take it from fc_base. */
const char *fc_base(const fc_ctx *c); /* "/tasks", or "" at the root */
/* Attribute name (href, action, src) of the app's path; a NULL path is
 * the page's failure (a URL that ran out of memory, vw_href). */
void vw_url_attr(fc_ctx *c, const char *name, const char *path);
/* <a href=href class=cls>text</a>, href one of the app's paths. */
void vw_link(fc_ctx *c, const char *href, const char *cls, const char *text);
void vw_time(fc_ctx *c, at_time t);

/* Tables: <thead> with one column header each; a row of one cell that
 * says the table is empty. */
void vw_table_head(fc_ctx *c, const char *const *heads, size_t n);
void vw_empty_row(fc_ctx *c, int colspan, const char *text);

/* Forms. */
void vw_form_begin(fc_ctx *c, const char *method, const char *action, const char *cls);
void vw_hidden(fc_ctx *c, const char *name, const char *value);
void vw_csrf(fc_ctx *c);
void vw_label(fc_ctx *c, const char *for_id, const char *text);
void vw_input(fc_ctx *c, const char *type, const char *id, const char *name, const char *value,
              const char *label);
void vw_button(fc_ctx *c, const char *type, const char *cls, const char *text);
/* A dialog's Cancel: a submit button of method "dialog", which closes
 * the dialog and posts nothing. */
void vw_dialog_cancel(fc_ctx *c);
/* <select> with option values and labels; selected is a value or NULL. */
void vw_select(fc_ctx *c, const char *id, const char *name, const char *label,
               const char *const *values, const char *const *labels, const char *selected);

/* A URL built piece by piece in a buffer that grows: never cut short.
 * After running out of memory p is NULL and oom is set: a page takes
 * the text through vw_href, for which that is the page's failure; a
 * redirect answers 500. Start with {0}; free with vw_url_free.
 * With max set (a redirect's), a parameter that would make the URL longer
 * is left out whole, and dropped says so. */
typedef struct vw_url {
    char *p;
    size_t len, cap;
    bool oom;
    size_t max;   /* 0: no limit */
    bool dropped; /* a parameter was left out for max */
} vw_url;
/* Appends text as it is (a path). */
void vw_url_path(vw_url *u, const char *path);
/* Appends "?key=value" (or "&key=value" after the first), the value
 * percent-encoded but for A-Z a-z 0-9 - _ . ~; a NULL or empty value adds
 * nothing, nor does one past max. */
void vw_url_param(vw_url *u, const char *key, const char *value);
void vw_url_free(vw_url *u);
/* u's text for a page's link: NULL when building it ran out of memory,
 * and that is then the page's failure (the page is not sent). */
const char *vw_href(fc_ctx *c, const vw_url *u);

/* A pager: a navigation with "‹ newer" (rel prev) and "older ›" (rel
 * next) links, each shown when its URL is not NULL. */
void vw_pager(fc_ctx *c, const char *newer_url, const char *newer_label, const char *older_url,
              const char *older_label);

/* ---- handlers ---- */
int h_root(fc_ctx *c);
int h_login_form(fc_ctx *c);
int h_login(fc_ctx *c);
int h_logout(fc_ctx *c);
int h_tasks(fc_ctx *c);
int h_resume_all_form(fc_ctx *c);
int h_resume_all(fc_ctx *c);
int h_pause_panel(fc_ctx *c);
int h_pause(fc_ctx *c);
int h_resume(fc_ctx *c);
int h_task(fc_ctx *c);
int h_task_edit_form(fc_ctx *c);
int h_task_edit(fc_ctx *c);
int h_task_delete_form(fc_ctx *c);
int h_task_delete(fc_ctx *c);
/* Retry, Run now, Discard: the action is the path's last segment */
int h_task_action_form(fc_ctx *c);
int h_task_action(fc_ctx *c);
int h_audit(fc_ctx *c);
int h_bulk_form(fc_ctx *c);
int h_bulk_start(fc_ctx *c);
int h_bulk_job(fc_ctx *c);
int h_bulk_cancel(fc_ctx *c);
int h_executors(fc_ctx *c);
/* h_dashboard.c: a business's dashboard: totals, the oldest due task,
 * the charts of the last hour and week, failures by type, live pauses. */
int h_dashboard(fc_ctx *c);
/* The dashboard's link, as the task list shows it above its table. */
void fc_dashboard_link(fc_ctx *c);
/* h_schedules.c: the Schedules page, add, and each schedule's pause,
 * resume and remove (the path's last segment), confirmed and posted. */
int h_schedules(fc_ctx *c);
int h_schedule_add(fc_ctx *c);
int h_schedule_confirm(fc_ctx *c);
int h_schedule_change(fc_ctx *c);
int h_api_enqueue(fc_ctx *c);
int h_api_task(fc_ctx *c);
int h_api_enqueue_many(fc_ctx *c); /* h_api_enqueue with an XML body */
/* The payload, priority and run-at of a task the API was sent, from vals
 * (the route's parameters, checked); the ids are the caller's. */
void fc_api_request(const fc_ctx *c, const fc_value *vals, at_enqueue *req);

/* ---- listview.c: the task list's state, which every page that returns
 * to the list carries in its links and forms ---- */
typedef struct fc_listview {
    const char *sort, *dir, *status, *user, *type, *limit;
} fc_listview;
void fc_listview_from(const fc_ctx *c, fc_listview *lv);
/* path, then the business and lv as parameters (defaults left out, so
 * that equal views share one URL). */
void fc_list_url(const fc_ctx *c, const fc_listview *lv, const char *path, vw_url *u);
/* Hidden inputs carrying lv (for forms that return to the list). */
void vw_listview_hidden(fc_ctx *c, const fc_listview *lv);
/* Answers with a redirect to the list in the state lv. */
int fc_redirect_list(fc_ctx *c, const fc_listview *lv);
/* The menu lists this many businesses; an admin of more types a slug. */
#define FC_BUSINESS_MENU_MAX 100
/* The Business menu, the current business chosen; lv (may be NULL) is
 * carried along. */
void fc_business_form(fc_ctx *c, const char *action, const fc_listview *lv);

/* h_bulk.c: the links to the bulk actions on the view lv (Retry, Cancel,
 * Delete every task it selects). */
void fc_bulk_links(fc_ctx *c, const fc_listview *lv);
/* totals.c: the business's totals (read with the context) and the cap
 * on running tasks that applies: a list in the page, <totals/> in XML. */
void fc_totals_html(fc_ctx *c, const at_task_counts *n);
void fc_totals_xml(fc_ctx *c, const at_task_counts *n);
/* "Paused now in Acme: 2 users and 1 task type." (nothing when none) */
void fc_paused_summary(fc_ctx *c, const at_pause_counts *n);

/* h_resume_all.c: the question Resume All asks, as a paragraph. */
void fc_resume_all_question(fc_ctx *c);

/* ---- h_task_action.c: a task's row actions ---- */
/* The link to an action's confirmation (a dialog with script), written
 * only when the action applies to t (at_task_action_refusal). */
void fc_task_action_link(fc_ctx *c, const fc_listview *lv, const at_task *t, int action);
void fc_task_delete_link(fc_ctx *c, const fc_listview *lv, const at_task *t);
/* The dialogs those links open: Delete, Retry, Run now, Discard. */
void fc_task_dialogs(fc_ctx *c, const fc_listview *lv);
/* A confirmation dialog's form: Cancel closes the dialog, the other
 * button posts to action (set by the script when empty). */
void fc_confirm_form(fc_ctx *c, const fc_listview *lv, const char *action, const char *cls,
                     const char *text);
/* A confirmation page's form: Cancel back to the list in the state lv,
 * the other button posts to action. */
void fc_confirm_page_form(fc_ctx *c, const fc_listview *lv, const char *action, const char *cls,
                          const char *text);

/* ---- task_view.c: one task as the list, its page and the API show it ---- */
/* One task of c->acc.business, with the rules that may hold it (only
 * those: O(1) rows); on failure sets the error page and returns -1. */
int fc_task_load(fc_ctx *c, uint64_t id, at_task *t, at_pause_set *rules);
/* A task's attributes and children in the XML views. */
void fc_xml_task_fields(fc_ctx *c, const at_task *t, const at_pause_set *rules);
/* The XML document of one task (root "task"), as the API answers it;
 * attempts (may be NULL) adds its runs, as the detail page does. */
void fc_xml_task_document(fc_ctx *c, const at_task *t, const at_pause_set *rules,
                          const at_attempt_page *attempts);
/* "#ID" linking to task id's page in the current business. */
void fc_task_link(fc_ctx *c, uint64_t id);
/* "40 of 100 done (40%)", after before, for a running task that reports
 * progress; nothing for others. */
void fc_progress_text(fc_ctx *c, const at_task *t, const char *before);
/* Who paused, when, until when and why; name_target adds what is paused. */
void fc_rule_note(fc_ctx *c, const at_pause_rule *r, const char *element, bool name_target);
/* The platform's rules of set, which hold in every business: a list with
 * each rule in words (nothing when there is none), and as XML elements
 * <platform-rule scope= target= by= at= until= reason=/>. Shown in every
 * business; a business admin sees them, only a platform admin lifts them. */
void fc_platform_rules_html(fc_ctx *c, const at_pause_set *set);
void fc_platform_rules_xml(fc_ctx *c, const at_pause_set *set);
/* One rule as the XML element name with its attributes (scope, of,
 * target, by, at, until, reason). */
void fc_rule_xml(fc_ctx *c, const char *name, const at_pause_rule *r);

#endif
