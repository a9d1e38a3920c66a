/* bulk_xml.c: the reader of bulk enqueue documents (fcgi/bulk_xml.c), on
 * its own: tasks read into form fields exactly; every shape the schema
 * does not allow refused, the document's as a whole and each task's on
 * its own; and hostile documents (entity expansion, external entities,
 * deep nesting, bad bytes, too many tasks) refused without harm. One
 * function per case. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk_xml.h"
#include "tap.h"

static const char *const attrs[] = {"user", "type", "priority", "run_at", NULL};

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define OPEN "<tasks xmlns=\"urn:asynctasks:api:1\">"

static int
parse_max(const char *doc, size_t max, fc_bulk *b, at_error *err)
{
    *err = (at_error){0};
    return fc_bulk_parse(doc, strlen(doc), attrs, "payload", max, b, err);
}

static int
parse(const char *doc, fc_bulk *b, at_error *err)
{
    return parse_max(doc, 1000, b, err);
}

static const char *
field(const fc_bulk *b, size_t i, const char *key)
{
    const fc_kv *kv = fc_kv_get(&b->v[i].fields, key);
    return kv ? kv->value : NULL;
}

/* A document refused as a whole, with a message that contains want. */
static void
refused(const char *doc, const char *want, const char *what)
{
    fc_bulk b;
    at_error err;
    int rc = parse(doc, &b, &err);
    ok(rc == AT_EINVAL && b.n == 0 && !b.v, "%s: refused, nothing kept", what);
    has_str(err.msg, want, "%s: says why", what);
    fc_bulk_free(&b);
}

/* A document of one good task and one bad one: the bad one's message. */
static void
bad_task(const char *task, const char *want, const char *what)
{
    char doc[4096];
    snprintf(doc, sizeof doc, OPEN "<task user=\"a@b.c\" type=\"t\"/>%s</tasks>", task);
    fc_bulk b;
    at_error err;
    int rc = parse(doc, &b, &err);
    ok(rc == AT_OK && b.n == 2 && b.v[0].err.code == AT_OK, "%s: the document is read", what);
    ok(b.n == 2 && b.v[1].err.code == AT_EINVAL, "%s: the task is refused on its own", what);
    has_str(b.n == 2 ? b.v[1].err.msg : "", want, "%s: says why", what);
    fc_bulk_free(&b);
}

static void
test_good(void)
{
    const char *doc =
        HEAD "<!-- a mailing -->\n" OPEN "\n"
             "  <task user=\"bob@example.com\" type=\"report\" priority=\"-7\" "
             "run_at=\"+1h\">\n"
             "    <payload>month=2026-10 &amp; &lt;all&gt;&#13;\nline  two </payload>\n"
             "  </task>\n"
             "  <?note ignored?><task type=\"noop\" user=\"zoë@example.com\"/>\n"
             "  <task user=\"c@d.e\" type=\"x\"><payload><![CDATA[<raw> & ]]>"
             "<!-- not text -->tail</payload></task>\n"
             "</tasks>\n";
    fc_bulk b;
    at_error err;
    ok(parse(doc, &b, &err) == AT_OK, "three tasks: read (%s)", err.msg);
    is_int(b.n, 3, "three tasks: three items, in order");
    if (b.n != 3)
        bail("cannot go on");
    ok(!b.v[0].err.code && !b.v[1].err.code && !b.v[2].err.code, "no task has an error");
    is_str(field(&b, 0, "user"), "bob@example.com", "the user attribute");
    is_str(field(&b, 0, "type"), "report", "the type attribute");
    is_str(field(&b, 0, "priority"), "-7", "the priority attribute");
    is_str(field(&b, 0, "run_at"), "+1h", "the run_at attribute");
    is_str(field(&b, 0, "payload"), "month=2026-10 & <all>\r\nline  two ",
           "the payload: entities decoded, spaces and a CR by reference kept");
    is_str(field(&b, 1, "user"), "zoë@example.com", "text beyond ASCII");
    ok(field(&b, 1, "payload") == NULL && field(&b, 1, "priority") == NULL,
       "what a task leaves out is absent");
    is_str(field(&b, 2, "payload"), "<raw> & tail", "CDATA kept as text, comments left out");
    fc_bulk_free(&b);
}

static void
test_documents_refused(void)
{
    refused("", "not well-formed XML", "an empty body");
    refused(OPEN "<task user=\"a\">", "not well-formed XML: line 1", "a document cut short");
    refused("<tasks><task user=\"a@b.c\" type=\"t\"/></tasks>",
            "root must be <tasks xmlns=\"urn:asynctasks:api:1\">", "no namespace");
    refused("<tasks xmlns=\"urn:other\"><task/></tasks>", "root must be <tasks",
            "another namespace");
    refused("<task xmlns=\"urn:asynctasks:api:1\" user=\"a@b.c\" type=\"t\"/>",
            "root must be <tasks", "a task as the root");
    refused("<tasks xmlns=\"urn:asynctasks:api:1\" mode=\"fast\"><task/></tasks>",
            "takes no attributes", "an attribute on tasks");
    refused(OPEN "</tasks>", "holds no task", "no task");
    refused(OPEN "  <!-- none -->\n</tasks>", "holds no task", "only a comment");
    refused(OPEN "<task/><job/></tasks>", "line 1: element 'job' is not allowed in tasks",
            "another element between tasks");
    refused(OPEN "<task/>stray</tasks>", "line 1: text is not allowed between tasks",
            "text between tasks");
    refused(OPEN "<task user=\"&nobody;\"/></tasks>", "Entity 'nobody' not defined",
            "an entity never declared");
    refused(OPEN "<task user=\"\xff\xfe\"/></tasks>", "not well-formed XML",
            "bytes that are not UTF-8");
    refused("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" OPEN
            "<task user=\"caf\xe9\"/></tasks>",
            "not well-formed XML", "Latin-1 declared: read as UTF-8 all the same");
}

static void
test_hostile(void)
{
    refused(
        HEAD
        "<!DOCTYPE tasks [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d "
        "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
        "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f "
        "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
        "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h "
        "\"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]>" OPEN
        "<task user=\"&h;\" type=\"t\"><payload>&h;&h;&h;&h;</payload></task></tasks>",
        "DTDs and entity declarations are not accepted", "entity expansion (billion laughs)");
    refused(HEAD "<!DOCTYPE tasks [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" OPEN
                 "<task user=\"a@b.c\" type=\"t\"><payload>&x;</payload></task></tasks>",
            "DTDs and entity declarations are not accepted", "an external entity (XXE)");
    refused(HEAD "<!DOCTYPE tasks SYSTEM \"http://127.0.0.1:1/evil.dtd\">" OPEN "<task/></tasks>",
            "DTDs and entity declarations are not accepted", "an external DTD");
    refused(HEAD "<!DOCTYPE tasks>" OPEN "<task/></tasks>",
            "DTDs and entity declarations are not accepted", "an empty DOCTYPE");
    /* nesting far beyond any limit: libxml2 stops it, nothing recurses */
    size_t depth = 100000;
    char *deep = malloc(sizeof OPEN + 6 + depth * 3 + 1);
    char *p = deep + sprintf(deep, OPEN "<task>");
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "<a>");
    refused(deep, "not well-formed XML", "elements nested 100,000 deep, never closed");
    free(deep);
}

static void
test_count(void)
{
    size_t max = 1000;
    char *doc = malloc(64 + (max + 1) * 40);
    strcpy(doc, OPEN);
    for (size_t i = 0; i < max; i++)
        strcat(doc, "<task user=\"a@b.c\" type=\"t\"/>");
    strcat(doc, "</tasks>");
    fc_bulk b;
    at_error err;
    ok(parse_max(doc, max, &b, &err) == AT_OK && b.n == max, "1,000 tasks: read");
    fc_bulk_free(&b);
    strcpy(doc + strlen(doc) - strlen("</tasks>"), "<task/></tasks>");
    ok(parse_max(doc, max, &b, &err) == AT_EINVAL && b.too_many && b.n == 0,
       "1,001 tasks: refused as too many, nothing kept");
    has_str(err.msg, "more than 1000 tasks: send at most 1000", "1,001 tasks: says the limit");
    free(doc);
}

static void
test_tasks_refused(void)
{
    bad_task("<task user=\"a@b.c\" prio=\"5\"/>",
             "attribute 'prio' is not allowed: a task takes user, type, priority, run_at",
             "an unknown attribute");
    bad_task("<task xmlns:x=\"urn:x\" x:user=\"a@b.c\"/>", "attribute 'user' is not allowed",
             "an attribute in another namespace");
    bad_task("<task><note/></task>", "element 'note' is not allowed in a task: only payload is",
             "an unknown element in a task");
    bad_task("<task><payload>a</payload><payload>b</payload></task>", "at most one payload",
             "two payloads");
    bad_task("<task><payload>a<b/></payload></task>", "the payload holds text, not elements",
             "an element in the payload");
    bad_task("<task><payload kind=\"x\">a</payload></task>",
             "the payload element takes no attributes", "an attribute on the payload");
    bad_task("<task>loose</task>", "text is not allowed in a task outside its payload",
             "text outside the payload");
    bad_task("<task user=\"a&#x85;b@c.d\"/>", "user holds characters that are not allowed",
             "a C1 control character in an attribute");
    bad_task("<task><payload>x&#x7f;</payload></task>",
             "payload holds characters that are not allowed", "DEL in the payload");
}

int
main(void)
{
    test_good();
    test_documents_refused();
    test_hostile();
    test_count();
    test_tasks_refused();
    return done_testing();
}
