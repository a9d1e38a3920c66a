/* view.c: pages and XML documents written with libxml2's xmlTextWriter
 * (through writer.c, which checks every call): the layout every page
 * shares, and small helpers through which all text reaches the output
 * escaped. The markup is polyglot XHTML5: well-formed
 * XML that browsers also read as HTML (non-void elements always get an end
 * tag). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"

#define XHTML_NS "http://www.w3.org/1999/xhtml"
#define VIEWS_NS "urn:asynctasks:views:1"

/* XML 1.0 allows no control characters but tab, LF and CR, and neither
 * U+FFFE nor U+FFFF. Text that holds them (a payload may) is written with
 * U+FFFD in their place, so that the document stays well-formed. */
static char *
xml_safe(const char *s)
{
    size_t n = strlen(s), extra = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) s[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
            extra += 2;
    }
    char *out = malloc(n + extra + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) s[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
            memcpy(out + j, "\xef\xbf\xbd", 3);
            j += 3;
        } else if (ch == 0xef && i + 2 < n && (unsigned char) s[i + 1] == 0xbf &&
                   ((unsigned char) s[i + 2] == 0xbe || (unsigned char) s[i + 2] == 0xbf)) {
            memcpy(out + j, "\xef\xbf\xbd", 3);
            j += 3;
            i += 2;
        } else {
            out[j++] = (char) ch;
        }
    }
    out[j] = 0;
    return out;
}

/* Text as XML may hold it: s itself when it is printable ASCII (most
 * text: labels, classes, URLs, ids), else a copy made safe (*owned, to
 * free), or U+FFFD alone for text that is not UTF-8. NULL: out of memory. */
static const char *
safe_text(const char *s, char **owned)
{
    *owned = NULL;
    const unsigned char *p = (const unsigned char *) s;
    while (*p >= 0x20 && *p < 0x7f)
        p++;
    if (!*p)
        return s;
    if (!at_utf8_valid(s, strlen(s)))
        return "\xef\xbf\xbd";
    return *owned = xml_safe(s);
}

void
vw_text(fc_ctx *c, const char *text)
{
    if (!text || !*text)
        return;
    char *owned;
    const char *safe = safe_text(text, &owned);
    if (safe)
        wr_string(c, safe);
    else
        wr_fail(c, "out of memory for a text");
    free(owned);
}

/* Formats into a buffer of the right size: a fixed one could cut a UTF-8
 * sequence, and the text would then print as U+FFFD. */
static char *
vformat(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0)
        return NULL;
    char *buf = malloc((size_t) n + 1);
    if (buf)
        vsnprintf(buf, (size_t) n + 1, fmt, ap);
    return buf;
}

void
vw_textf(fc_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *buf = vformat(fmt, ap);
    va_end(ap);
    if (!buf)
        wr_fail(c, "out of memory for a formatted text");
    vw_text(c, buf);
    free(buf);
}

void
vw_attr(fc_ctx *c, const char *name, const char *value)
{
    if (!value)
        return;
    char *owned;
    const char *safe = safe_text(value, &owned);
    if (safe)
        wr_attr(c, name, safe);
    else
        wr_fail(c, "out of memory for an attribute");
    free(owned);
}

void
vw_attrf(fc_ctx *c, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *buf = vformat(fmt, ap);
    va_end(ap);
    if (!buf)
        wr_fail(c, "out of memory for a formatted attribute");
    vw_attr(c, name, buf);
    free(buf);
}

void
vw_start(fc_ctx *c, const char *name, const char *cls)
{
    wr_start(c, name);
    if (cls)
        vw_attr(c, "class", cls);
}

void
vw_end(fc_ctx *c)
{
    wr_end(c, true);
}

void
vw_end_void(fc_ctx *c)
{
    wr_end(c, false);
}

void
vw_elem(fc_ctx *c, const char *name, const char *cls, const char *text)
{
    vw_start(c, name, cls);
    vw_text(c, text);
    vw_end(c);
}

const char *
fc_base(const fc_ctx *c)
{
    return c->cfg && c->cfg->base_path ? c->cfg->base_path : "";
}

void
vw_url_attr(fc_ctx *c, const char *name, const char *path)
{
    if (!path) {
        wr_fail(c, "no URL for an attribute");
        return;
    }
    wr_attr_joined(c, name, fc_base(c), path);
}

void
vw_link(fc_ctx *c, const char *href, const char *cls, const char *text)
{
    vw_start(c, "a", cls);
    vw_url_attr(c, "href", href);
    vw_text(c, text);
    vw_end(c);
}

void
vw_time(fc_ctx *c, at_time t)
{
    char iso[40], human[32];
    vw_start(c, "time", NULL);
    vw_attr(c, "datetime", at_time_iso(t, iso, sizeof iso));
    vw_text(c, at_time_format(t, human, sizeof human));
    vw_end(c);
}

/* ---- URLs ---- */

static void
url_grow(vw_url *u, size_t more)
{
    if (u->oom)
        return;
    if (u->len + more + 1 > u->cap) {
        size_t cap = u->cap ? u->cap : 256;
        while (cap < u->len + more + 1)
            cap *= 2;
        char *p = realloc(u->p, cap);
        if (!p) {
            free(u->p);
            memset(u, 0, sizeof *u);
            u->oom = true;
            return;
        }
        u->p = p;
        u->cap = cap;
    }
}

static void
url_put(vw_url *u, const char *s, size_t n)
{
    url_grow(u, n);
    if (u->oom)
        return;
    memcpy(u->p + u->len, s, n);
    u->len += n;
    u->p[u->len] = 0;
}

void
vw_url_path(vw_url *u, const char *path)
{
    url_put(u, path, strlen(path));
}

static const char url_keep[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

/* The bytes "&key=value" adds, value encoded. */
static size_t
param_len(const char *key, const char *value)
{
    size_t n = 2 + strlen(key);
    for (const unsigned char *p = (const unsigned char *) value; *p; p++)
        n += strchr(url_keep, *p) ? 1 : 3;
    return n;
}

void
vw_url_param(vw_url *u, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!value || !*value || u->oom)
        return;
    if (u->max && u->len + param_len(key, value) > u->max) {
        u->dropped = true;
        return;
    }
    url_put(u, u->p && strchr(u->p, '?') ? "&" : "?", 1);
    url_put(u, key, strlen(key));
    url_put(u, "=", 1);
    for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
        if (strchr(url_keep, *p)) {
            url_put(u, (const char *) p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            url_put(u, esc, 3);
        }
    }
}

void
vw_url_free(vw_url *u)
{
    free(u->p);
    memset(u, 0, sizeof *u);
}

const char *
vw_href(fc_ctx *c, const vw_url *u)
{
    if (u->oom)
        wr_fail(c, "out of memory for a URL");
    return u->p;
}

static void
pager_link(fc_ctx *c, const char *rel, const char *url, const char *label)
{
    if (!url)
        return;
    vw_start(c, "a", "button secondary");
    vw_attr(c, "rel", rel);
    vw_url_attr(c, "href", url);
    vw_text(c, label);
    vw_end(c);
}

void
vw_pager(fc_ctx *c, const char *newer_url, const char *newer_label, const char *older_url,
         const char *older_label)
{
    vw_start(c, "nav", "pager");
    vw_attr(c, "aria-label", "Pages");
    pager_link(c, "prev", newer_url, newer_label);
    pager_link(c, "next", older_url, older_label);
    vw_end(c);
}

void
vw_table_head(fc_ctx *c, const char *const *heads, size_t n)
{
    vw_start(c, "thead", NULL);
    vw_start(c, "tr", NULL);
    for (size_t k = 0; k < n; k++) {
        vw_start(c, "th", NULL);
        vw_attr(c, "scope", "col");
        vw_text(c, heads[k]);
        vw_end(c);
    }
    vw_end(c);
    vw_end(c);
}

void
vw_empty_row(fc_ctx *c, int colspan, const char *text)
{
    vw_start(c, "tr", NULL);
    vw_start(c, "td", "empty");
    vw_attrf(c, "colspan", "%d", colspan);
    vw_text(c, text);
    vw_end(c);
    vw_end(c);
}

/* ---- forms ---- */

void
vw_form_begin(fc_ctx *c, const char *method, const char *action, const char *cls)
{
    vw_start(c, "form", cls);
    vw_attr(c, "method", method);
    vw_url_attr(c, "action", action);
}

void
vw_hidden(fc_ctx *c, const char *name, const char *value)
{
    if (!value)
        return;
    vw_start(c, "input", NULL);
    vw_attr(c, "type", "hidden");
    vw_attr(c, "name", name);
    vw_attr(c, "value", value);
    vw_end_void(c);
}

void
vw_csrf(fc_ctx *c)
{
    vw_hidden(c, "csrf", c->acc.session.csrf);
}

void
vw_label(fc_ctx *c, const char *for_id, const char *text)
{
    vw_start(c, "label", NULL);
    vw_attr(c, "for", for_id);
    vw_text(c, text);
    vw_end(c);
}

void
vw_input(fc_ctx *c, const char *type, const char *id, const char *name, const char *value,
         const char *label)
{
    if (label)
        vw_label(c, id, label);
    vw_start(c, "input", NULL);
    vw_attr(c, "type", type);
    vw_attr(c, "id", id);
    vw_attr(c, "name", name);
    vw_attr(c, "value", value);
    vw_end_void(c);
}

void
vw_button(fc_ctx *c, const char *type, const char *cls, const char *text)
{
    vw_start(c, "button", cls);
    vw_attr(c, "type", type);
    vw_text(c, text);
    vw_end(c);
}

void
vw_select(fc_ctx *c, const char *id, const char *name, const char *label,
          const char *const *values, const char *const *labels, const char *selected)
{
    if (label)
        vw_label(c, id, label);
    vw_start(c, "select", NULL);
    vw_attr(c, "id", id);
    vw_attr(c, "name", name);
    for (size_t i = 0; values[i]; i++) {
        vw_start(c, "option", NULL);
        vw_attr(c, "value", values[i]);
        if (selected && strcmp(selected, values[i]) == 0)
            vw_attr(c, "selected", "selected");
        vw_text(c, labels[i]);
        vw_end(c);
    }
    vw_end(c);
}

/* ---- documents ---- */

static void
layout_header(fc_ctx *c)
{
    vw_start(c, "header", "topbar");
    vw_link(c, "/admin/async-tasks", "brand", "asynctasks");
    if (c->acc.logged_in) {
        vw_start(c, "nav", "mainnav");
        vw_attr(c, "aria-label", "Main");
        /* A disclosure menu: it opens and closes without any script. */
        vw_start(c, "details", "menu");
        vw_elem(c, "summary", NULL, "Admin");
        vw_start(c, "ul", NULL);
        vw_start(c, "li", NULL);
        vw_link(c, "/admin/dashboard", NULL, "Dashboard");
        vw_end(c);
        vw_start(c, "li", NULL);
        vw_link(c, "/admin/async-tasks", NULL, "Async Tasks");
        vw_end(c);
        vw_start(c, "li", NULL);
        vw_link(c, "/admin/audit-log", NULL, "Audit Log");
        vw_end(c);
        vw_start(c, "li", NULL);
        vw_link(c, "/admin/schedules", NULL, "Schedules");
        vw_end(c);
        vw_start(c, "li", NULL);
        vw_link(c, "/admin/executors", NULL, "Executors");
        vw_end(c);
        vw_end(c); /* ul */
        vw_end(c); /* details */
        vw_end(c); /* nav */
        vw_start(c, "div", "account");
        vw_elem(c, "span", "who", c->acc.user.email);
        vw_form_begin(c, "post", "/logout", "logout");
        vw_csrf(c);
        vw_button(c, "submit", "link", "Log out");
        vw_end(c);
        vw_end(c); /* div */
    }
    vw_end(c); /* header */
}

int
vw_page_begin(fc_ctx *c, const char *title)
{
    if (wr_open(c))
        return -1;
    c->resp.type = c->xhtml ? "application/xhtml+xml; charset=utf-8" : "text/html; charset=utf-8";
    if (c->xhtml)
        wr_declaration(c);
    wr_doctype(c, "html");
    vw_start(c, "html", NULL);
    vw_attr(c, "xmlns", XHTML_NS);
    vw_attr(c, "lang", "en");
    vw_start(c, "head", NULL);
    vw_start(c, "meta", NULL);
    vw_attr(c, "charset", "utf-8");
    vw_end_void(c);
    vw_start(c, "meta", NULL);
    vw_attr(c, "name", "viewport");
    vw_attr(c, "content", "width=device-width, initial-scale=1");
    vw_end_void(c);
    vw_start(c, "title", NULL);
    vw_textf(c, "%s · asynctasks", title);
    vw_end(c);
    vw_start(c, "link", NULL);
    vw_attr(c, "rel", "stylesheet");
    vw_url_attr(c, "href", "/static/app.css");
    vw_end_void(c);
    vw_start(c, "link", NULL);
    vw_attr(c, "rel", "icon");
    vw_url_attr(c, "href", "/static/icon.svg");
    vw_attr(c, "type", "image/svg+xml");
    vw_end_void(c);
    vw_start(c, "script", NULL);
    vw_url_attr(c, "src", "/static/app.js");
    vw_attr(c, "defer", "defer");
    vw_end(c);
    vw_end(c); /* head */
    vw_start(c, "body", NULL);
    vw_start(c, "a", "skip");
    vw_attr(c, "href", "#main");
    vw_text(c, "Skip to content");
    vw_end(c);
    layout_header(c);
    vw_start(c, "main", NULL);
    vw_attr(c, "id", "main");
    if (c->flash[0]) {
        vw_start(c, "p", "flash");
        vw_attr(c, "role", "status");
        vw_text(c, c->flash);
        vw_end(c);
    }
    return 0;
}

int
vw_page_end(fc_ctx *c)
{
    while (c->depth > 0)
        vw_end(c); /* with full end tags: <main></main>, never <main/> */
    return wr_close(c);
}

int
vw_xml_begin(fc_ctx *c, const char *root)
{
    if (wr_open(c))
        return -1;
    c->resp.type = "application/xml; charset=utf-8";
    wr_declaration(c);
    vw_start(c, root, NULL);
    vw_attr(c, "xmlns", VIEWS_NS);
    return 0;
}

int
vw_xml_end(fc_ctx *c)
{
    return vw_page_end(c);
}

void
vw_dialog_cancel(fc_ctx *c)
{
    vw_start(c, "button", "secondary");
    vw_attr(c, "type", "submit");
    vw_attr(c, "formmethod", "dialog");
    vw_attr(c, "value", "cancel");
    vw_text(c, "Cancel");
    vw_end(c);
}
