/* view.c: the page writer of fcgi/view.c on its own: URLs built without a
 * length limit (a pager's cursor for a long name of 4-byte characters
 * must arrive whole), escaping of text and attributes, characters XML
 * cannot carry, the page layout as well-formed XHTML, times, pagers and
 * menus, and a failure kept by the writer. One function per case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "app.h"
#include "tap.h"

/* ---- helpers ---- */

static fc_ctx
ctx(void)
{
    fc_ctx c;
    memset(&c, 0, sizeof c);
    c.xhtml = true;
    return c;
}

/* The body written so far, as a string the caller frees. */
static char *
body(fc_ctx *c)
{
    size_t n = (size_t) xmlBufferLength(c->resp.body);
    char *s = malloc(n + 1);
    if (!s)
        bail("out of memory");
    memcpy(s, xmlBufferContent(c->resp.body), n);
    s[n] = 0;
    xmlBufferFree(c->resp.body);
    c->resp.body = NULL;
    return s;
}

/* The string value of an XPath over the document s (names matched by
 * local-name()), or NULL when s is not well-formed. */
static char *
xpath(const char *s, const char *expr)
{
    xmlDocPtr doc = xmlReadMemory(s, (int) strlen(s), "view.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return NULL;
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = x ? xmlXPathEvalExpression((const xmlChar *) expr, x) : NULL;
    xmlChar *v = o ? xmlXPathCastToString(o) : NULL;
    char *out = v ? strdup((const char *) v) : NULL;
    xmlFree(v);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(x);
    xmlFreeDoc(doc);
    return out;
}

static void
xpath_is(const char *doc, const char *expr, const char *want, const char *what)
{
    char *got = xpath(doc, expr);
    is_str(got, want, "%s", what);
    free(got);
}

/* A user-sort cursor of a name of 190 4-byte characters: the longest
 * there is (about 1,540 characters). */
static char *
long_cursor(void)
{
    char *s = malloc(2 + 190 * 8 + 24);
    if (!s)
        bail("out of memory");
    size_t j = 0;
    s[j++] = 'u';
    for (int i = 0; i < 190; i++) {
        memcpy(s + j, "f09d9482", 8); /* U+1D502 */
        j += 8;
    }
    strcpy(s + j, "-123456789012");
    return s;
}

/* ---- URLs ---- */

static void
test_url_params(void)
{
    vw_url u = {0};
    vw_url_path(&u, "/admin/async-tasks");
    vw_url_param(&u, "business", "acme");
    vw_url_param(&u, "sort", NULL);
    vw_url_param(&u, "dir", "");
    vw_url_param(&u, "user", "Zoë & \"Bo\" 100%/?=#+");
    is_str(u.p, "/admin/async-tasks?business=acme&user=Zo%C3%AB%20%26%20%22Bo%22%20100%25%2F%3F%3D%23%2B",
           "parameters: the first after ?, then &, empty and absent ones left out, "
           "everything but A-Z a-z 0-9 - _ . ~ percent-encoded");
    vw_url_free(&u);
    ok(u.p == NULL && u.len == 0, "freed");
    vw_url_param(&u, "a", "1");
    is_str(u.p, "?a=1", "a URL of parameters alone");
    vw_url_free(&u);
    vw_url_param(&u, "a", NULL);
    ok(u.p == NULL, "nothing added: nothing allocated");
}

static void
test_url_long(void)
{
    char *cursor = long_cursor();
    char search[100 * 4 + 1];
    for (int i = 0; i < 100; i++)
        memcpy(search + i * 4, "\xf0\x9d\x94\x82", 4);
    search[400] = 0;
    vw_url u = {0};
    vw_url_path(&u, "/admin/async-tasks");
    vw_url_param(&u, "business", "a-business-slug-of-sixty-four-characters-which-is-the-limit-xx");
    vw_url_param(&u, "user", search);
    vw_url_param(&u, "type", search);
    vw_url_param(&u, "after", cursor);
    size_t want = strlen("/admin/async-tasks?business=") + 62 + 2 * (strlen("&user=") + 1200) +
                  strlen("&after=") + strlen(cursor);
    is_int(u.len, want, "a URL of two longest searches and the longest cursor is whole (%zu bytes)",
           want);
    ok(u.p && strlen(u.p) == u.len, "and terminated");
    const char *tail = u.p ? strstr(u.p, "&after=") : NULL;
    is_str(tail ? tail + 7 : NULL, cursor, "the cursor arrives unchanged, not cut");
    vw_url_free(&u);
    free(cursor);
}

/* ---- text ---- */

static void
test_escaping(void)
{
    fc_ctx c = ctx();
    ok(vw_xml_begin(&c, "tasks") == 0, "an XML document");
    vw_attr(&c, "business", "<b>\"a\" & 'b'</b>");
    vw_elem(&c, "error", NULL, "<script>alert(1)</script> & ]]>");
    vw_start(&c, "task", NULL);
    vw_attr(&c, "user", "tab\there, bell\x07 and \xef\xbf\xbe");
    vw_textf(&c, "%s #%d", "Zoë", 7);
    vw_end(&c);
    vw_elem(&c, "payload", NULL, "bad \xff UTF-8");
    vw_xml_end(&c);
    char *s = body(&c);
    ok(strstr(s, "<script>") == NULL && strstr(s, "&lt;script&gt;") != NULL,
       "markup in text is escaped");
    xpath_is(s, "string(/*/@business)", "<b>\"a\" & 'b'</b>", "an attribute reads back exactly");
    xpath_is(s, "string(//*[local-name()='error'])", "<script>alert(1)</script> & ]]>",
             "text reads back exactly");
    xpath_is(s, "string(//*[local-name()='task']/@user)",
             "tab\there, bell\xef\xbf\xbd and \xef\xbf\xbd",
             "a control character and U+FFFE become U+FFFD; tab stays");
    xpath_is(s, "string(//*[local-name()='task'])", "Zoë #7", "formatted text");
    xpath_is(s, "string(//*[local-name()='payload'])", "\xef\xbf\xbd",
             "text that is not UTF-8 is one U+FFFD");
    xpath_is(s, "namespace-uri(/*)", "urn:asynctasks:views:1", "in the views' namespace");
    free(s);
}

/* ---- pages ---- */

static void
test_page(void)
{
    fc_ctx c = ctx();
    c.acc.logged_in = 1;
    strcpy(c.acc.user.email, "a<b>@example.com");
    strcpy(c.acc.session.csrf, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    strcpy(c.flash, "Saved & done.");
    ok(vw_page_begin(&c, "Tasks <1>") == 0, "a page");
    ok(strcmp(c.resp.type, "application/xhtml+xml; charset=utf-8") == 0, "XHTML when taken");
    vw_elem(&c, "h1", NULL, "Heading");
    vw_start(&c, "section", NULL); /* left open: the end closes it */
    vw_start(&c, "div", "empty");
    vw_page_end(&c);
    char *s = body(&c);
    xpath_is(s, "string(//*[local-name()='title'])", "Tasks <1> · asynctasks", "the title");
    xpath_is(s, "string(//*[@class='who'])", "a<b>@example.com", "who is logged in, escaped");
    xpath_is(s, "string(//*[@class='flash'])", "Saved & done.", "the one-shot message");
    xpath_is(s, "string(//*[@name='csrf']/@value)", c.acc.session.csrf,
             "the logout form carries the CSRF token");
    ok(strstr(s, "<div class=\"empty\"></div></section></main>") != NULL,
       "open elements are closed with end tags, never <x/>");
    ok(strstr(s, "<script src=\"/static/app.js\" defer=\"defer\"></script>") != NULL,
       "the script element is not self-closed");
    free(s);
}

static void
test_anonymous_page(void)
{
    fc_ctx c = ctx();
    c.xhtml = false;
    vw_page_begin(&c, "Log in");
    vw_page_end(&c);
    ok(strcmp(c.resp.type, "text/html; charset=utf-8") == 0, "HTML for a client without XHTML");
    char *s = body(&c);
    xpath_is(s, "count(//*[@class='who'])", "0", "no account menu without a session");
    xpath_is(s, "count(//*[@name='csrf'])", "0", "no token either");
    free(s);
}

static void
test_pager(void)
{
    fc_ctx c = ctx();
    vw_xml_begin(&c, "t");
    vw_pager(&c, NULL, "‹ Newer", "/x?before=5", "Older ›");
    vw_pager(&c, "/x?after=9", "‹ Newer", NULL, "Older ›");
    vw_xml_end(&c);
    char *s = body(&c);
    xpath_is(s, "count(//*[local-name()='a'])", "2", "one link each");
    xpath_is(s, "string((//*[local-name()='nav'])[1]/*[@rel='next']/@href)", "/x?before=5",
             "older is rel=next");
    xpath_is(s, "string((//*[local-name()='nav'])[2]/*[@rel='prev'])", "‹ Newer",
             "newer is rel=prev");
    free(s);
}

static void
test_select(void)
{
    static const char *const v[] = {"25", "50", NULL};
    static const char *const l[] = {"25 a page", "50 a page"};
    fc_ctx c = ctx();
    vw_xml_begin(&c, "t");
    vw_select(&c, "f-limit", "limit", "Per page", v, l, "50");
    vw_input(&c, "search", "q", "q", "a\"b", "Search");
    vw_xml_end(&c);
    char *s = body(&c);
    xpath_is(s, "string(//*[local-name()='option'][@selected]/@value)", "50", "the choice is selected");
    xpath_is(s, "string(//*[local-name()='label'][@for='f-limit'])", "Per page", "labelled");
    xpath_is(s, "string(//*[local-name()='input']/@value)", "a\"b", "an input's value, escaped");
    free(s);
}

/* ---- a failure ---- */

/* The first failure (here a link whose URL ran out of memory) is the
 * page's: nothing is written after it, the page's end says so, and a new
 * body forgets it. */
static void
test_failure(void)
{
    fc_ctx c = ctx();
    vw_page_begin(&c, "Tasks");
    vw_elem(&c, "h1", NULL, "Before");
    ok(c.write_failed == NULL, "no failure while writing goes well");
    vw_url u = {.oom = true};
    vw_link(&c, vw_href(&c, &u), NULL, "a link");
    is_str(c.write_failed, "out of memory for a URL", "a link's URL out of memory fails the page");
    wr_fail(&c, "a second failure");
    is_str(c.write_failed, "out of memory for a URL", "the first failure is the one kept");
    vw_elem(&c, "p", NULL, "After");
    is_int(vw_page_end(&c), -1, "the page's end says that it failed");
    ok(c.w == NULL && c.depth == 0, "the writer is freed, nothing left open");
    char *s = body(&c);
    ok(strstr(s, "Before") != NULL && strstr(s, "After") == NULL,
       "what came before the failure was written, nothing after it");
    free(s);
    wr_drop(&c);
    ok(c.write_failed == NULL && c.resp.body == NULL, "dropped: the body and its failure");
    ok(vw_xml_begin(&c, "t") == 0 && vw_xml_end(&c) == 0, "a new body is written whole");
    s = body(&c);
    xpath_is(s, "local-name(/*)", "t", "and reads back");
    free(s);
}

int
main(void)
{
    test_url_params();
    test_url_long();
    test_escaping();
    test_page();
    test_anonymous_page();
    test_pager();
    test_select();
    test_failure();
    return done_testing();
}
