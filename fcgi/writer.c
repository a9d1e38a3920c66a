/* writer.c: the body of an answer, written whole in memory before a byte
 * of it is sent: libxml2's xmlTextWriter into an xmlBuffer, every call's
 * result checked, and at the end what libxml2 reported besides. The first
 * failure (libxml2 out of memory, a helper's allocation) is kept in
 * c->write_failed, and every write after it does nothing; http.c then
 * answers 500 instead of the broken body (fc_write_failed). The view
 * helpers (view.c) write only through here. */
#include "config.h"

#include <libxml/xmlerror.h>

#include "app.h"

#define X(s) ((const xmlChar *) (s))

void
wr_fail(fc_ctx *c, const char *what)
{
    if (!c->write_failed)
        c->write_failed = what;
}

/* rc is the result of a libxml2 call, what its failure: < 0 is one. */
static void
check(fc_ctx *c, int rc, const char *what)
{
    if (rc < 0)
        wr_fail(c, what);
}

static bool
writing(const fc_ctx *c)
{
    return c->w && !c->write_failed;
}

int
wr_open(fc_ctx *c)
{
    wr_drop(c);
    /* what libxml2 reports from here on is this body's (wr_close) */
    xmlResetLastError();
    c->resp.body = xmlBufferCreate();
    if (!c->resp.body) {
        wr_fail(c, "xmlBufferCreate failed");
        return -1;
    }
    c->w = xmlNewTextWriterMemory(c->resp.body, 0);
    if (!c->w) {
        wr_fail(c, "xmlNewTextWriterMemory failed");
        return -1;
    }
    return 0;
}

/* Some of libxml2's failures are not in any result: xmlTextWriterWriteString
 * leaves out text whose escaping ran out of memory and returns success.
 * Each is reported, though, as the thread's last error. */
static void
check_reported(fc_ctx *c)
{
    const xmlError *e = xmlGetLastError();
    if (e && e->level >= XML_ERR_ERROR)
        wr_fail(c, e->code == XML_ERR_NO_MEMORY ? "libxml2 reported running out of memory"
                                                : "libxml2 reported an error");
}

int
wr_close(fc_ctx *c)
{
    if (writing(c)) {
        check(c, xmlTextWriterEndDocument(c->w), "xmlTextWriterEndDocument failed");
        if (!c->write_failed)
            check(c, xmlTextWriterFlush(c->w), "xmlTextWriterFlush failed");
        check_reported(c);
    }
    if (c->w) {
        xmlFreeTextWriter(c->w);
        c->w = NULL;
    }
    c->depth = 0;
    return c->write_failed ? -1 : 0;
}

void
wr_drop(fc_ctx *c)
{
    if (c->w) {
        xmlFreeTextWriter(c->w);
        c->w = NULL;
    }
    if (c->resp.body) {
        xmlBufferFree(c->resp.body);
        c->resp.body = NULL;
    }
    c->depth = 0;
    c->write_failed = NULL;
}

void
wr_declaration(fc_ctx *c)
{
    if (writing(c))
        check(c, xmlTextWriterStartDocument(c->w, NULL, "UTF-8", NULL),
              "xmlTextWriterStartDocument failed");
}

void
wr_doctype(fc_ctx *c, const char *name)
{
    if (!writing(c))
        return;
    check(c, xmlTextWriterWriteDTD(c->w, X(name), NULL, NULL, NULL),
          "xmlTextWriterWriteDTD failed");
    if (!c->write_failed)
        check(c, xmlTextWriterWriteRaw(c->w, X("\n")), "xmlTextWriterWriteRaw failed");
}

void
wr_start(fc_ctx *c, const char *name)
{
    if (!writing(c))
        return;
    check(c, xmlTextWriterStartElement(c->w, X(name)), "xmlTextWriterStartElement failed");
    if (!c->write_failed)
        c->depth++;
}

/* depth goes down after a failure too, so that a loop closing what is
 * open ends. */
void
wr_end(fc_ctx *c, bool full)
{
    if (c->depth == 0)
        return;
    c->depth--;
    if (!writing(c))
        return;
    if (full)
        check(c, xmlTextWriterFullEndElement(c->w), "xmlTextWriterFullEndElement failed");
    else
        check(c, xmlTextWriterEndElement(c->w), "xmlTextWriterEndElement failed");
}

void
wr_attr(fc_ctx *c, const char *name, const char *value)
{
    if (writing(c))
        check(c, xmlTextWriterWriteAttribute(c->w, X(name), X(value)),
              "xmlTextWriterWriteAttribute failed");
}

void
wr_attr_joined(fc_ctx *c, const char *name, const char *first, const char *second)
{
    if (!writing(c))
        return;
    check(c, xmlTextWriterStartAttribute(c->w, X(name)), "xmlTextWriterStartAttribute failed");
    if (!c->write_failed)
        check(c, xmlTextWriterWriteString(c->w, X(first)), "xmlTextWriterWriteString failed");
    if (!c->write_failed)
        check(c, xmlTextWriterWriteString(c->w, X(second)), "xmlTextWriterWriteString failed");
    if (!c->write_failed)
        check(c, xmlTextWriterEndAttribute(c->w), "xmlTextWriterEndAttribute failed");
}

void
wr_string(fc_ctx *c, const char *text)
{
    if (writing(c))
        check(c, xmlTextWriterWriteString(c->w, X(text)), "xmlTextWriterWriteString failed");
}
