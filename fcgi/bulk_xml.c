/* bulk_xml.c: the XML document of a bulk enqueue (bulk_xml.h). libxml2
 * reads the body into a tree with no network access and with its limits
 * on depth and sizes in force; the parser is stopped at a DOCTYPE, before
 * any declaration in it is read, so that no entity is ever defined: no
 * external entity can be fetched and none can expand. Then the tree is
 * walked along the one shape the schema allows, and each task's
 * attributes and payload become form fields. Messages repeat no more of
 * the document than short names that the parser has already checked. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "bulk_xml.h"

#define NAME_SHOWN 64 /* bytes of a name that a message repeats */

static int
oom(at_error *err)
{
    return at_error_set(err, AT_ENOMEM, "out of memory");
}

/* A name for a message: the name, or a placeholder for a long one. */
static const char *
shown(const xmlChar *name)
{
    return name && strlen((const char *) name) <= NAME_SHOWN ? (const char *) name : "(long name)";
}

/* ---- reading ---- */

struct state {
    bool dtd;
};

/* A DOCTYPE is where entities are declared: the parser stops at its
 * start. */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
    xmlParserCtxtPtr p = ctx;
    ((struct state *) p->_private)->dtd = true;
    xmlStopParser(p);
}

static void
not_well_formed(xmlParserCtxtPtr p, at_error *err)
{
    const xmlError *e = xmlCtxtGetLastError(p);
    char msg[256] = "the parser gave up";
    if (e && e->message) {
        snprintf(msg, sizeof msg, "%s", e->message);
        msg[strcspn(msg, "\r\n")] = 0;
    }
    at_error_set(err, AT_EINVAL, "the body is not well-formed XML: line %d: %s", e ? e->line : 0,
                 msg);
}

static int
read_doc(const char *body, size_t len, xmlDocPtr *doc, at_error *err)
{
    *doc = NULL;
    if (len > INT_MAX)
        return at_error_set(err, AT_EINVAL, "the body is too large");
    xmlInitParser();
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    if (!p)
        return oom(err);
    struct state st = {false};
    p->_private = &st;
    p->sax->internalSubset = refuse_dtd;
    p->sax->externalSubset = refuse_dtd;
    /* UTF-8 whatever the document declares; no NOENT, DTDLOAD, HUGE */
    *doc = xmlCtxtReadMemory(p, body, (int) len, NULL, "UTF-8",
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                 XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES);
    int rc = AT_OK;
    if (st.dtd)
        rc = at_error_set(err, AT_EINVAL,
                          "the document has a DOCTYPE: DTDs and entity declarations are not "
                          "accepted");
    else if (!*doc || !p->wellFormed)
        rc = (not_well_formed(p, err), AT_EINVAL);
    if (rc) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }
    xmlFreeParserCtxt(p);
    return rc;
}

/* ---- the shape ---- */

static bool
is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST FC_BULK_NS) &&
           xmlStrEqual(n->name, BAD_CAST name);
}

/* Text that is only layout between elements. */
static bool
is_blank_text(const xmlNode *n)
{
    if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
        return false;
    for (const xmlChar *s = n->content; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

/* Comments and processing instructions may stand anywhere. */
static bool
is_aside(const xmlNode *n)
{
    return n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE;
}

static int
check_root(const xmlNode *root, at_error *err)
{
    if (!root || !is_element(root, "tasks"))
        return at_error_set(err, AT_EINVAL,
                            "the document's root must be <tasks xmlns=\"" FC_BULK_NS "\">");
    if (root->properties)
        return at_error_set(err, AT_EINVAL, "the tasks element takes no attributes");
    return AT_OK;
}

/* Counts the task elements, refusing anything else between them. */
static int
count_tasks(xmlNode *root, size_t max, fc_bulk *out, size_t *n, at_error *err)
{
    *n = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (is_element(c, "task")) {
            if (++*n > max) {
                out->too_many = true;
                return at_error_set(err, AT_EINVAL,
                                    "the document holds more than %zu tasks: send at most %zu in "
                                    "one request",
                                    max, max);
            }
        } else if (c->type == XML_ELEMENT_NODE) {
            return at_error_set(err, AT_EINVAL,
                                "line %ld: element '%s' is not allowed in tasks: only task is",
                                xmlGetLineNo(c), shown(c->name));
        } else if (!is_blank_text(c) && !is_aside(c)) {
            return at_error_set(err, AT_EINVAL, "line %ld: text is not allowed between tasks",
                                xmlGetLineNo(c));
        }
    }
    if (*n == 0)
        return at_error_set(err, AT_EINVAL, "the document holds no task");
    return AT_OK;
}

/* ---- one task ---- */

static bool
listed(const char *const *names, const xmlChar *name)
{
    for (; *names; names++)
        if (xmlStrEqual(BAD_CAST * names, name))
            return true;
    return false;
}

/* Takes value (malloc'd by libxml2) as field key of the item. */
static int
push(fc_bulk_item *it, const char *key, xmlChar *value)
{
    fc_kv *kv = &it->fields.v[it->fields.n];
    if (!value)
        return oom(&it->err);
    if (!fc_text_ok((const char *) value, FC_VALUE_MAX)) {
        xmlFree(value);
        return at_error_set(&it->err, AT_EINVAL,
                            "%s holds characters that are not allowed (control characters)", key);
    }
    kv->key = strdup(key);
    kv->len = strlen((const char *) value);
    kv->value = malloc(kv->len + 1);
    if (kv->key && kv->value)
        memcpy(kv->value, value, kv->len + 1);
    xmlFree(value);
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        return oom(&it->err);
    }
    it->fields.n++;
    return AT_OK;
}

static int
read_attrs(const xmlNode *task, const char *const *attrs, fc_bulk_item *it)
{
    for (xmlAttr *a = task->properties; a; a = a->next) {
        if (a->ns || !listed(attrs, a->name)) {
            char names[256] = "";
            for (const char *const *p = attrs; *p; p++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         p == attrs ? "" : ", ", *p);
            return at_error_set(&it->err, AT_EINVAL,
                                "attribute '%s' is not allowed: a task takes %s", shown(a->name),
                                names);
        }
        int rc = push(it, (const char *) a->name, xmlNodeGetContent((const xmlNode *) a));
        if (rc)
            return rc;
    }
    return AT_OK;
}

/* The text of the field's element: text only, no attributes. */
static int
read_text(const xmlNode *el, const char *field, fc_bulk_item *it)
{
    if (el->properties)
        return at_error_set(&it->err, AT_EINVAL, "the %s element takes no attributes", field);
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf)
        return oom(&it->err);
    int rc = AT_OK;
    for (const xmlNode *c = el->children; c && rc == AT_OK; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (xmlBufferCat(buf, c->content))
                rc = oom(&it->err);
        } else if (!is_aside(c)) {
            rc = at_error_set(&it->err, AT_EINVAL, "the %s holds text, not elements", field);
        }
    }
    if (rc == AT_OK)
        rc = push(it, field, xmlStrdup(xmlBufferContent(buf)));
    xmlBufferFree(buf);
    return rc;
}

static int
read_children(const xmlNode *task, const char *text_field, fc_bulk_item *it)
{
    const xmlNode *text_el = NULL;
    for (const xmlNode *c = task->children; c; c = c->next) {
        if (is_element(c, text_field) && !text_el)
            text_el = c;
        else if (is_element(c, text_field))
            return at_error_set(&it->err, AT_EINVAL, "a task has at most one %s", text_field);
        else if (c->type == XML_ELEMENT_NODE)
            return at_error_set(&it->err, AT_EINVAL,
                                "element '%s' is not allowed in a task: only %s is", shown(c->name),
                                text_field);
        else if (!is_blank_text(c) && !is_aside(c))
            return at_error_set(&it->err, AT_EINVAL, "text is not allowed in a task outside its %s",
                                text_field);
    }
    return text_el ? read_text(text_el, text_field, it) : AT_OK;
}

static void
read_task(const xmlNode *task, const char *const *attrs, const char *text_field, fc_bulk_item *it)
{
    size_t cap = 1;
    for (const xmlAttr *a = task->properties; a; a = a->next)
        cap++;
    it->fields.v = calloc(cap, sizeof *it->fields.v);
    if (!it->fields.v) {
        oom(&it->err);
        return;
    }
    if (read_attrs(task, attrs, it) == AT_OK)
        read_children(task, text_field, it);
}

int
fc_bulk_parse(const char *body, size_t len, const char *const *attrs, const char *text_field,
              size_t max, fc_bulk *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    xmlDocPtr doc;
    int rc = read_doc(body, len, &doc, err);
    if (rc)
        return rc;
    xmlNode *root = xmlDocGetRootElement(doc);
    size_t n = 0;
    rc = check_root(root, err);
    if (rc == AT_OK)
        rc = count_tasks(root, max, out, &n, err);
    if (rc == AT_OK && !(out->v = calloc(n, sizeof *out->v)))
        rc = oom(err);
    for (xmlNode *c = rc ? NULL : root->children; c; c = c->next)
        if (is_element(c, "task"))
            read_task(c, attrs, text_field, &out->v[out->n++]);
    xmlFreeDoc(doc);
    if (rc) {
        bool too_many = out->too_many;
        fc_bulk_free(out);
        out->too_many = too_many;
    }
    return rc;
}

void
fc_bulk_free(fc_bulk *b)
{
    for (size_t i = 0; i < b->n; i++)
        fc_kvlist_free(&b->v[i].fields);
    free(b->v);
    memset(b, 0, sizeof *b);
}
