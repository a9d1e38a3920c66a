/* http.c: one request, from the FastCGI parameters to the response: parse
 * and check the input, find the route, establish who is asking, check the
 * CSRF token and the parameters, run the handler, and send the answer
 * (security headers always, gzip when the client takes it). */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>
#include <zlib.h>

#include "app.h"
#include "http.h"

static const char *
status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

const fc_value *
fc_arg_of(const fc_ctx *c, const fc_value *vals, const char *name)
{
    static const fc_value absent = {0};
    if (!c->route)
        return &absent;
    for (size_t k = 0; k < c->route->nparams; k++)
        if (strcmp(c->route->params[k].name, name) == 0)
            return &vals[k];
    return &absent;
}

const fc_value *
fc_arg(const fc_ctx *c, const char *name)
{
    return fc_arg_of(c, c->p, name);
}

int
fc_add_header(fc_ctx *c, const char *name, const char *value)
{
    if (c->resp.nheaders == sizeof c->resp.headers / sizeof c->resp.headers[0])
        return -1;
    fc_header *h = &c->resp.headers[c->resp.nheaders];
    h->name = strdup(name);
    h->value = strdup(value);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return -1;
    }
    c->resp.nheaders++;
    return 0;
}

int
fc_text(fc_ctx *c, int status, const char *type, const char *text, size_t len)
{
    wr_drop(c);
    free(c->resp.location);
    c->resp.location = NULL;
    c->resp.status = status;
    c->resp.type = type;
    c->resp.body = len < INT_MAX ? xmlBufferCreateSize(len + 1) : NULL;
    if (!c->resp.body || xmlBufferAdd(c->resp.body, (const xmlChar *) text, (int) len) != 0) {
        wr_drop(c);
        c->resp.status = 500;
        c->resp.type = NULL;
        c->resp.static_body = "Out of memory.\n";
    }
    return 0;
}

int
fc_set_cookie(fc_ctx *c, const char *name, const char *value, const char *path, int max_age)
{
    /* the app's "/" under a base path is the base itself: "/tasks/" would
     * leave out the address "/tasks", and "/tasks" takes in everything
     * under it but not "/tasks2" (RFC 6265, 5.1.4) */
    const char *base = fc_base(c);
    if (*base && strcmp(path, "/") == 0)
        path = "";
    char v[1024];
    snprintf(v, sizeof v, "%s=%s; Path=%s%s; HttpOnly; SameSite=Strict%s%s", name,
             value ? value : "", base, path, c->https ? "; Secure" : "",
             value ? "" : "; Max-Age=0");
    if (value && max_age > 0) {
        size_t n = strlen(v);
        snprintf(v + n, sizeof v - n, "; Max-Age=%d", max_age);
    }
    return fc_add_header(c, "Set-Cookie", v);
}

int
fc_redirect(fc_ctx *c, const char *location)
{
    /* the base path is made of characters a URI takes as they are */
    const char *base = fc_base(c);
    size_t blen = strlen(base), len = blen + fc_uri_len(location);
    if (len > FC_LOCATION_MAX + blen) {
        at_log(AT_LOG_ERROR, "%s %s: a redirect of %zu bytes", c->method, c->path, len);
        return fc_error(c, 500, "The address to go on to is too long.");
    }
    char *loc = malloc(len + 1);
    if (!loc)
        return fc_error(c, 500, "Out of memory.");
    memcpy(loc, base, blen);
    fc_uri_write(location, loc + blen);
    wr_drop(c);
    free(c->resp.location);
    c->resp.location = loc;
    c->resp.status = 303;
    return 0;
}

/* This page's address for a redirect, from checked values only: the
 * route's path (c->path matched it), business when given, then each
 * parameter the route declares and the query gave, in the route's order,
 * its value having passed its check (vals). Unknown parameters are left
 * out, and so is whatever would make it longer than max. */
static void
self_url(const fc_ctx *c, const fc_value *vals, const char *business, size_t max, vw_url *u)
{
    u->max = max;
    vw_url_path(u, c->path);
    vw_url_param(u, "business", business);
    for (size_t k = 0; vals && k < c->route->nparams; k++) {
        const char *name = c->route->params[k].name;
        const fc_kv *kv = fc_kv_get(&c->qs, name);
        if (vals[k].present && kv && (!business || strcmp(name, "business") != 0))
            vw_url_param(u, name, kv->value);
    }
}

void
fc_flash(fc_ctx *c, const char *fmt, ...)
{
    char msg[AT_FLASH_BUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    at_error err;
    if (c->acc.logged_in && at_session_flash_set(c->db, c->token, msg, &err))
        at_log(AT_LOG_WARN, "cannot keep a message for the next page: %s", err.msg);
}

int
fc_error(fc_ctx *c, int status, const char *message)
{
    wr_drop(c);
    free(c->resp.location);
    c->resp.location = NULL;
    c->resp.status = status;
    if (c->want_xml) {
        if (vw_xml_begin(c, "error") == 0) {
            vw_attrf(c, "status", "%d", status);
            vw_attr(c, "message", message);
            vw_xml_end(c);
        }
        return 0;
    }
    char title[64];
    snprintf(title, sizeof title, "%d %s", status, status_text(status));
    if (vw_page_begin(c, title) == 0) {
        vw_start(c, "section", "error-page");
        vw_elem(c, "h1", NULL, title);
        vw_elem(c, "p", "error-message", message);
        vw_start(c, "p", NULL);
        vw_link(c, c->acc.logged_in ? "/admin/async-tasks" : "/login", NULL,
                c->acc.logged_in ? "Back to Async Tasks" : "Log in");
        vw_end(c);
        vw_end(c);
        vw_page_end(c);
    }
    return 0;
}

int
fc_fail(fc_ctx *c, const at_error *err)
{
    switch (err->code) {
    case AT_ENOTFOUND: return fc_error(c, 404, err->msg);
    case AT_EINVAL: return fc_error(c, 400, err->msg);
    case AT_ECONFLICT:
    case AT_ESTATE: return fc_error(c, 409, err->msg);
    case AT_EDENIED: return fc_error(c, 403, err->msg);
    case AT_EDB:
    case AT_ESCHEMA:
        at_log(AT_LOG_ERROR, "%s %s: %s", c->method, c->path, err->msg);
        return fc_error(c, 503, "The database is not available at the moment; try again shortly.");
    default:
        at_log(AT_LOG_ERROR, "%s %s: %s", c->method, c->path, err->msg);
        return fc_error(c, 500, "Something went wrong on our side; it has been logged.");
    }
}

/* ---- an answer that could not be written ---- */

/* What replaces it: constants, so that answering takes no memory; the
 * page's stylesheet link is written into a static buffer, after the base
 * path. */
#define WRITE_FAILED_MESSAGE                                                                       \
    "The answer could not be written in full, so none of it was sent. It has been logged; "        \
    "try again shortly."
#define WRITE_FAILED_HTML                                                                          \
    "<!DOCTYPE html>\n"                                                                            \
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>"     \
    "<title>500 Internal Server Error · asynctasks</title>"                                        \
    "<link rel=\"stylesheet\" href=\"%s/static/app.css\"/></head><body><main id=\"main\">"         \
    "<section class=\"error-page\"><h1>500 Internal Server Error</h1>"                             \
    "<p class=\"error-message\">" WRITE_FAILED_MESSAGE "</p></section></main></body></html>\n"
/* the page with the longest base path the configuration takes (conf.c) */
static char write_failed_page[sizeof WRITE_FAILED_HTML + 256];
static const char write_failed_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<error xmlns=\"urn:asynctasks:views:1\" status=\"500\" message=\"" WRITE_FAILED_MESSAGE
    "\"/>\n";

static void
drop_headers(fc_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->nheaders = 0;
}

void
fc_write_failed(fc_ctx *c)
{
    /* a writer still open: its body was never ended nor flushed */
    if (c->w)
        wr_fail(c, "the body was left unfinished");
    if (!c->write_failed)
        return;
    at_log(AT_LOG_ERROR, "%s %s: the answer could not be written (%s); answered 500",
           c->method, c->path, c->write_failed);
    wr_drop(c);
    drop_headers(&c->resp);
    free(c->resp.location);
    c->resp.location = NULL;
    c->resp.status = 500;
    if (c->want_xml) {
        c->resp.type = "application/xml; charset=utf-8";
        c->resp.static_body = write_failed_xml;
    } else {
        c->resp.type =
            c->xhtml ? "application/xhtml+xml; charset=utf-8" : "text/html; charset=utf-8";
        snprintf(write_failed_page, sizeof write_failed_page, WRITE_FAILED_HTML, fc_base(c));
        c->resp.static_body = write_failed_page;
    }
}

/* ---- sending ---- */

/* The process's one deflate stream, made on first use and reset for each
 * response: a fresh one per response cost its 256 KiB of state in
 * allocation and zeroing, and the heap's growth and trim after every
 * request (brk, page faults, TLB shootdowns) took a third of the app's time
 * under load. Level 1: the page compresses to about the same size, for a
 * third of the CPU. */
static z_stream gz;
static int gz_ready;

static int
gzip_body(const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
    if (!gz_ready) {
        memset(&gz, 0, sizeof gz);
        /* 15 + 16: a gzip wrapper rather than zlib's */
        if (deflateInit2(&gz, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        gz_ready = 1;
    } else if (deflateReset(&gz) != Z_OK) {
        return -1;
    }
    if (len > UINT_MAX)
        return -1;
    size_t cap = deflateBound(&gz, (uLong) len);
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    gz.next_in = (Bytef *) in;
    gz.avail_in = (uInt) len;
    gz.next_out = buf;
    gz.avail_out = (uInt) cap;
    if (deflate(&gz, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = gz.total_out;
    return 0;
}

/* The answer's bytes to the web server. Once a write fails (the
 * connection is gone) nothing more is tried; the failure is logged once.
 * The body is whole in memory before the first byte goes: a page is never
 * sent in part. */
typedef struct sender {
    FCGX_Stream *out;
    const fc_ctx *c;
    bool failed;
} sender;

static void
send_failed(sender *s)
{
    s->failed = true;
    at_log(AT_LOG_WARN, "%s %s: the answer could not be sent (FastCGI error %d)", s->c->method,
           s->c->path, FCGX_GetError(s->out));
}

static void
send_bytes(sender *s, const void *p, size_t n)
{
    if (!s->failed && FCGX_PutStr(p, (int) n, s->out) != (int) n)
        send_failed(s);
}

static void
send_str(sender *s, const char *str)
{
    send_bytes(s, str, strlen(str));
}

static void send_fmt(sender *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
send_fmt(sender *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int rc = FCGX_VFPrintF(s->out, fmt, ap);
    va_end(ap);
    if (rc < 0)
        send_failed(s);
}

static void
send_response(fc_ctx *c, FCGX_Stream *out)
{
    fc_resp *r = &c->resp;
    sender s = {out, c, false};
    if (!r->status)
        r->status = 200;
    send_fmt(&s, "Status: %d %s\r\n", r->status, status_text(r->status));
    /* on every response, whatever produced it */
    send_str(&s, "Content-Security-Policy: default-src 'none'; script-src 'self'; "
                 "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
                 "X-Content-Type-Options: nosniff\r\n"
                 "X-Frame-Options: DENY\r\n"
                 "Referrer-Policy: same-origin\r\n"
                 "Cache-Control: no-store\r\n"
                 "Vary: Accept, Accept-Encoding, Cookie\r\n");
    for (size_t i = 0; i < r->nheaders; i++)
        send_fmt(&s, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
    /* for tests only (test_statement_header): the request's round trips */
    if (c->cfg->test_statement_header)
        send_fmt(&s, "X-Statement-Count: %lu\r\n",
                 (unsigned long) (at_db_statements(c->db) - c->statements_at_start));
    if (r->location)
        send_fmt(&s, "Location: %s\r\n", r->location);
    const unsigned char *body = (const unsigned char *) r->static_body;
    size_t len = body ? strlen(r->static_body) : 0;
    if (r->body) {
        body = xmlBufferContent(r->body);
        len = (size_t) xmlBufferLength(r->body);
    }
    unsigned char *z = NULL;
    size_t zlen = 0;
    /* a body that cannot be compressed (out of memory) goes as it is */
    if (body && len > 256 && c->gzip && gzip_body(body, len, &z, &zlen) == 0) {
        send_str(&s, "Content-Encoding: gzip\r\n");
        body = z;
        len = zlen;
    }
    if (body) {
        send_fmt(&s, "Content-Type: %s\r\n", r->type ? r->type : "text/plain; charset=utf-8");
        send_fmt(&s, "Content-Length: %lu\r\n\r\n", (unsigned long) len);
        if (!c->head)
            send_bytes(&s, body, len);
    } else {
        send_str(&s, "Content-Length: 0\r\n\r\n");
    }
    free(z);
}

/* ---- routing ---- */

/* Matches path against a pattern with at most one "{id}" segment. */
static int
path_match(const char *pattern, const char *path, uint64_t *id)
{
    const char *brace = strstr(pattern, "{id}");
    if (!brace)
        return strcmp(pattern, path) == 0;
    size_t pre = (size_t) (brace - pattern);
    if (strncmp(pattern, path, pre) != 0)
        return 0;
    const char *p = path + pre;
    if (*p < '1' || *p > '9')
        return 0;
    uint64_t v = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 18)
            return 0;
        v = v * 10 + (uint64_t) (*p - '0');
    }
    if (strcmp(p, brace + 4) != 0)
        return 0;
    *id = v;
    return 1;
}

static const fc_route *
find_route(fc_ctx *c, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < fc_nroutes; i++) {
        uint64_t id = 0;
        if (!path_match(fc_routes[i].path, c->path, &id))
            continue;
        *path_known = 1;
        if (strcmp(fc_routes[i].method, c->method) == 0) {
            c->path_id = id;
            return &fc_routes[i];
        }
    }
    return NULL;
}

static void
allow_header(fc_ctx *c)
{
    char allow[64] = "";
    for (size_t i = 0; i < fc_nroutes; i++) {
        uint64_t id;
        if (path_match(fc_routes[i].path, c->path, &id) && !strstr(allow, fc_routes[i].method)) {
            if (allow[0])
                strncat(allow, ", ", sizeof allow - strlen(allow) - 1);
            strncat(allow, fc_routes[i].method, sizeof allow - strlen(allow) - 1);
            if (strcmp(fc_routes[i].method, "GET") == 0)
                strncat(allow, ", HEAD", sizeof allow - strlen(allow) - 1);
        }
    }
    fc_add_header(c, "Allow", allow);
}

/* ---- who is asking ---- */

/* Two sessions are never guessed between: the visitor is told which
 * cookie to clear. */
#define FC_TOO_MANY_SESSIONS                                                                       \
    "Your browser sent more than one " FC_SESSION_COOKIE " cookie that names a session here, "    \
    "or too many of them. Delete the " FC_SESSION_COOKIE " cookies of this site and of its "      \
    "parent domains, then log in again."

/* The values of the session cookies into req, in the order sent: a
 * browser sends one for each domain and path that set one, and the
 * context finds which names a live session. More than it tries is a
 * refusal that says what to do. */
static int
session_cookies(fc_ctx *c, at_access_req *req)
{
    size_t n = 0;
    for (size_t i = 0; i < c->cookies.n; i++) {
        if (strcmp(c->cookies.v[i].key, FC_SESSION_COOKIE) != 0)
            continue;
        if (n == AT_ACCESS_TOKENS) {
            fc_error(c, 400, FC_TOO_MANY_SESSIONS);
            return -1;
        }
        if (n == 0)
            req->session_token = c->cookies.v[i].value;
        else
            req->more_tokens[n - 1] = c->cookies.v[i].value;
        n++;
    }
    return 0;
}

/* The request's context, one statement: the session of the cookie, the
 * user, the business the request names and what they may do there, the
 * message for this page and the clock (lib/access.c decides). */
static int
load_context(fc_ctx *c, bool post)
{
    const fc_kv *b = fc_kv_get(post ? &c->form : &c->qs, "business");
    at_access_req req = {NULL, FC_SESSION_IDLE, b && b->len ? b->value : NULL, {NULL}};
    at_error err;
    if (session_cookies(c, &req))
        return -1;
    at_access_more more = {0};
    if ((c->route->loads & FC_LOAD_MENU) && !c->want_xml)
        more.menu_max = FC_BUSINESS_MENU_MAX;
    /* also for a searched list, which shows no totals: whether the business
     * has any pause rule comes with them */
    more.totals = (c->route->loads & FC_LOAD_TOTALS) != 0;
    if (c->route->loads & FC_LOAD_SEARCH) {
        const fc_kv *u = fc_kv_get(&c->qs, "user"), *t = fc_kv_get(&c->qs, "type");
        more.user_search = c->user_search = u ? u->value : NULL;
        more.type_search = c->type_search = t ? t->value : NULL;
    }
    int rc = at_access_load_more(c->db, &req, &c->acc, &more, &err);
    c->user_ids = more.user_ids;
    c->type_ids = more.type_ids;
    if (rc == AT_ECONFLICT)
        return fc_error(c, 400, FC_TOO_MANY_SESSIONS), -1;
    if (rc)
        return fc_fail(c, &err), -1;
    c->businesses = more.menu;
    c->nbusinesses = more.nmenu;
    c->more_businesses = more.menu_more;
    c->totals = more.counts;
    c->no_rules = !more.has_rules;
    if (c->acc.logged_in) {
        snprintf(c->token, sizeof c->token, "%s", c->acc.token);
        c->actor.user_id = c->acc.user.id;
        c->actor.name = c->acc.user.email;
    }
    return 0;
}

/* Without a business, the first the admin manages (a redirect keeps the
 * URL bookmarkable); one they may not administer is, to them, none. */
static int
check_business(fc_ctx *c)
{
    at_error err;
    if (!fc_arg(c, "business")->present) {
        if (strcmp(c->method, "GET") != 0) {
            fc_error(c, 400, "parameter business is missing");
            return -1;
        }
        at_business *v = NULL;
        size_t n = 0;
        int more;
        if (at_access_businesses(c->db, &c->acc, 1, &v, &n, &more, &err))
            return fc_fail(c, &err), -1;
        if (n == 0) {
            fc_error(c, 403, "You do not administer any business.");
        } else {
            vw_url url = {0};
            self_url(c, c->p, v[0].slug, FC_LOCATION_MAX, &url);
            if (url.p)
                fc_redirect(c, url.p);
            else
                fc_error(c, 500, "Out of memory.");
            vw_url_free(&url);
        }
        free(v);
        return -1;
    }
    if (!c->acc.business_ok) {
        fc_error(c, 404, "There is no such business.");
        return -1;
    }
    return 0;
}

static int
check_csrf(fc_ctx *c)
{
    const fc_kv *f = fc_kv_get(&c->form, "csrf");
    const char *want = NULL;
    if (c->acc.logged_in) {
        want = c->acc.session.csrf;
    } else {
        const fc_kv *ck = fc_kv_get(&c->cookies, FC_LOGIN_COOKIE);
        want = ck ? ck->value : NULL;
    }
    if (!f || !want || !at_token_equal(f->value, want)) {
        fc_error(c, 403,
                 "This form has expired or did not come from this site. Reload the page and "
                 "try again.");
        return -1;
    }
    return 0;
}

/* ---- the request ---- */

static const char *
param(FCGX_Request *r, const char *name)
{
    const char *v = FCGX_GetParam(name, r->envp);
    return v ? v : "";
}

/* To the login page, which comes back here: next is this page with the
 * parameters of its query that pass the route's checks (none when one
 * fails), short enough that encoded once more it fits a Location. */
static void
to_login(fc_ctx *c)
{
    static const char login[] = "/login";
    fc_value vals[FC_PARAMS_PER_ROUTE];
    at_error err;
    size_t n = c->route->nparams;
    bool checked = n <= FC_PARAMS_PER_ROUTE &&
                   fc_params_check(c->route->params, n, &c->qs, c->acc.now, vals, &err) == AT_OK;
    vw_url next = {0}, url = {0};
    /* "?next=" and each byte of next as %XX at worst */
    self_url(c, checked ? vals : NULL, NULL, (FC_LOCATION_MAX - sizeof login - 6) / 3, &next);
    if (n <= FC_PARAMS_PER_ROUTE)
        fc_params_free(vals, n);
    vw_url_path(&url, login);
    vw_url_param(&url, "next", next.p);
    if (url.p && next.p)
        fc_redirect(c, url.p);
    else
        fc_error(c, 500, "Out of memory.");
    vw_url_free(&next);
    vw_url_free(&url);
}

/* The session of a browser: a page that needs one sends the visitor to the
 * login page and back; every POST must carry the CSRF token. */
static int
check_visitor(fc_ctx *c, bool post)
{
    if (load_context(c, post))
        return -1;
    if (c->route->access != FC_PUBLIC && !c->acc.logged_in) {
        if (post || c->want_xml) {
            fc_error(c, post ? 403 : 401, "Your session has ended: log in again.");
            return -1;
        }
        to_login(c);
        return -1;
    }
    if (post && check_csrf(c))
        return -1;
    return 0;
}

/* A program's API token (RFC 6750). Cookies are not looked at: a browser
 * never sends this header by itself, so a page of another site cannot
 * make one of these requests, and the API needs no CSRF token. */
static int
check_bearer(fc_ctx *c)
{
    const char *h = c->authorization;
    at_error err;
    if (!*h) {
        fc_add_header(c, "WWW-Authenticate", "Bearer realm=\"asynctasks\"");
        fc_error(c, 401, "This address needs an API token: send the header "
                         "\"Authorization: Bearer TOKEN\".");
        return -1;
    }
    const char *tok = strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : "";
    while (*tok == ' ')
        tok++;
    int rc =
        at_api_token_context(c->db, tok, &c->api_token, &c->acc.business, &c->acc.now, &err);
    if (rc == AT_EDENIED) {
        fc_add_header(c, "WWW-Authenticate", "Bearer realm=\"asynctasks\", error=\"invalid_token\"");
        fc_error(c, 401, "The API token is not valid: it is unknown, revoked or malformed.");
        return -1;
    }
    if (rc) {
        fc_fail(c, &err);
        return -1;
    }
    return 0;
}

/* Whether a Content-Type names the media type: the type whole, then
 * nothing but white space before its parameters, if any. */
static bool
media_type_is(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    if (strncasecmp(content_type, type, n) != 0)
        return false;
    const char *rest = content_type + n + strspn(content_type + n, " \t");
    return *rest == 0 || *rest == ';';
}

/* The API also takes an XML document of many tasks; its handler reads it
 * (fcgi/bulk_xml.c) once the token is checked, and checks each task
 * against the route's parameters. */
static bool
takes_xml(const fc_ctx *c)
{
    return c->route->access == FC_TOKEN && media_type_is(c->content_type, "application/xml");
}

static int
read_body(fc_ctx *c, FCGX_Request *r)
{
    const char *cl = param(r, "CONTENT_LENGTH");
    char *end;
    unsigned long long len = *cl ? strtoull(cl, &end, 10) : 0;
    if (*cl && (*end || cl[0] == '-')) {
        fc_error(c, 400, "Content-Length is not a number.");
        return -1;
    }
    if (len > FC_BODY_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "The request body is larger than %u bytes.", FC_BODY_MAX);
        fc_error(c, 413, msg);
        return -1;
    }
    bool xml = takes_xml(c);
    if (len == 0 && !xml)
        return 0;
    if (!xml && !media_type_is(c->content_type, "application/x-www-form-urlencoded")) {
        fc_error(c, 415, c->route->access == FC_TOKEN
                             ? "Send a form (application/x-www-form-urlencoded), or many tasks "
                               "as an XML document (application/xml)."
                             : "Forms must be sent as application/x-www-form-urlencoded.");
        return -1;
    }
    char *body = malloc(len + 1);
    if (!body) {
        fc_error(c, 500, "Out of memory.");
        return -1;
    }
    int got = FCGX_GetStr(body, (int) len, r->in);
    if (got < 0 || (unsigned long long) got != len) {
        free(body);
        fc_error(c, 400, "The request body ended early.");
        return -1;
    }
    body[len] = 0;
    if (xml) {
        c->xml_body = body;
        c->xml_body_len = (size_t) len;
        return 0;
    }
    at_error err;
    int rc = fc_parse_urlencoded(body, len, &c->form, &err);
    free(body);
    if (rc) {
        fc_error(c, 400, err.msg);
        return -1;
    }
    return 0;
}

static void
negotiate(fc_ctx *c, FCGX_Request *r)
{
    c->accept = param(r, "HTTP_ACCEPT");
    c->accept_encoding = param(r, "HTTP_ACCEPT_ENCODING");
    c->gzip = fc_accept_gzip(c->accept_encoding) > 0;
    int html = fc_accept_q(c->accept, "text/html");
    int xhtml = fc_accept_q(c->accept, "application/xhtml+xml");
    int xml = fc_accept_q(c->accept, "application/xml");
    c->xhtml = xhtml > 0 && xhtml >= html;
    /* XML only when asked for more than any page */
    c->want_xml = xml > html && xml > xhtml;
    const fc_kv *f = fc_kv_get(&c->qs, "format");
    if (f && strcmp(f->value, "xml") == 0)
        c->want_xml = true;
}

/* The request's path within the screen: what follows the base path
 * ("/tasks/login" is "/login", "/tasks" itself is "/"). A path outside
 * it is no page of the screen's (-1). nginx passes the path as
 * DOCUMENT_URI, decoded and with "." and ".." resolved; the base is
 * matched in whole segments, so that "/tasks2" is not under "/tasks". */
static int
in_base(fc_ctx *c)
{
    const char *base = fc_base(c);
    size_t n = strlen(base);
    if (!n)
        return 0;
    if (strncmp(c->path, base, n) != 0 || (c->path[n] != '/' && c->path[n] != 0))
        return -1;
    c->path = c->path[n] ? c->path + n : "/";
    return 0;
}

static void
run(fc_ctx *c, FCGX_Request *r)
{
    at_error err;
    c->method = param(r, "REQUEST_METHOD");
    /* HEAD is GET without the body (send_response leaves it out) */
    if (strcmp(c->method, "HEAD") == 0) {
        c->head = true;
        c->method = "GET";
    }
    c->path = param(r, "DOCUMENT_URI");
    if (!*c->path)
        c->path = param(r, "SCRIPT_NAME");
    c->query = param(r, "QUERY_STRING");
    c->content_type = param(r, "CONTENT_TYPE");
    c->remote_addr = param(r, "REMOTE_ADDR");
    c->authorization = param(r, "HTTP_AUTHORIZATION");
    c->idempotency_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->envp);
    c->https = strcmp(param(r, "HTTPS"), "on") == 0;
    if (!fc_text_ok(c->path, 2048) || !fc_text_ok(c->method, 16)) {
        fc_error(c, 400, "The request path is not valid.");
        return;
    }
    if (in_base(c)) {
        fc_error(c, 404, "There is no such page.");
        return;
    }
    /* A malformed query or cookie header is refused, never guessed at. */
    if (fc_parse_urlencoded(c->query, strlen(c->query), &c->qs, &err)) {
        fc_error(c, 400, err.msg);
        return;
    }
    negotiate(c, r);
    /* the API speaks XML only, its refusals included */
    if (strncmp(c->path, "/api/", 5) == 0)
        c->want_xml = true;
    if (fc_parse_cookies(param(r, "HTTP_COOKIE"), &c->cookies, &err)) {
        fc_error(c, 400, err.msg);
        return;
    }
    int known;
    const fc_route *rt = find_route(c, &known);
    if (!rt) {
        if (known) {
            allow_header(c);
            fc_error(c, 405, "This address does not take that method.");
        } else {
            fc_error(c, 404, "There is no such page.");
        }
        return;
    }
    c->route = rt;
    /* monitoring reads no session and no body: no cookie, no throttle */
    if (rt->access == FC_OPS) {
        rt->handler(c);
        return;
    }
    bool post = strcmp(c->method, "POST") == 0;
    if (post && read_body(c, r))
        return;
    if (rt->access == FC_TOKEN ? check_bearer(c) : check_visitor(c, post))
        return;
    /* who may not use the page at all hears so before anything about its
     * parameters */
    bool admin = rt->access == FC_ADMIN || rt->access == FC_ADMIN_ANY;
    if (admin && !c->acc.administers) {
        fc_error(c, 403, "You do not administer any business.");
        return;
    }
    if (rt->nparams > FC_PARAMS_PER_ROUTE) {
        fc_error(c, 500, "A route declares too many parameters.");
        return;
    }
    if (!c->xml_body && fc_params_check(rt->params, rt->nparams, post ? &c->form : &c->qs,
                                        c->acc.now, c->p, &err)) {
        fc_error(c, 400, err.msg);
        return;
    }
    if (rt->access == FC_ADMIN && check_business(c))
        return;
    /* the message is this page's: shown once, then gone */
    if (c->acc.flash[0] && !post && !c->want_xml && !c->head) {
        snprintf(c->flash, sizeof c->flash, "%s", c->acc.flash);
        if (at_session_flash_clear(c->db, c->token, c->flash, &err))
            at_log(AT_LOG_WARN, "cannot clear the message of this page: %s", err.msg);
    }
    rt->handler(c);
}

void
fc_handle(FCGX_Request *r, at_db *db, const at_config *cfg)
{
    fc_ctx c;
    memset(&c, 0, sizeof c);
    c.db = db;
    c.cfg = cfg;
    c.statements_at_start = at_db_statements(db);
    run(&c, r);
    fc_write_failed(&c);
    send_response(&c, r->out);
    wr_drop(&c);
    free(c.resp.location);
    drop_headers(&c.resp);
    if (c.route)
        fc_params_free(c.p, c.route->nparams);
    free(c.businesses);
    at_search_ids_free(&c.user_ids);
    at_search_ids_free(&c.type_ids);
    free(c.xml_body);
    fc_kvlist_free(&c.qs);
    fc_kvlist_free(&c.form);
    fc_kvlist_free(&c.cookies);
}
