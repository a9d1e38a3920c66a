/* model_params.c: task-type parameters: declarations and their checks,
 * the stored text form and its decoding of damaged text, payload checks
 * and lookups at their edges; then, against the real database, types
 * registered with parameters, and enqueue and edit refusing payloads that
 * do not fit them while writing nothing. */
#include <stdlib.h>
#include <string.h>

#include <asynctasks/plugin.h>

#include "tap.h"
#include "testdb.h"

static at_param_decl
decl(const char *name, int type, int required, const char *def, int64_t min, int64_t max)
{
    at_param_decl d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", name);
    d.type = type;
    d.required = required;
    if (def) {
        d.has_default = 1;
        snprintf(d.default_value, sizeof d.default_value, "%s", def);
    }
    d.min = min;
    d.max = max;
    return d;
}

static int
same_decls(const at_param_decl *a, const at_param_decl *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, b[i].name) || a[i].type != b[i].type ||
            a[i].required != b[i].required || a[i].has_default != b[i].has_default ||
            strcmp(a[i].default_value, b[i].default_value) || a[i].min != b[i].min ||
            a[i].max != b[i].max || strcmp(a[i].description, b[i].description))
            return 0;
    return 1;
}

/* The declarations most checks below use. */
static at_param_decl decls[4];
#define NDECLS 4

static int
check(const char *payload, at_error *err)
{
    return at_params_check(decls, NDECLS, payload, strlen(payload), err);
}

static void
test_decls(void)
{
    at_error err = {0};
    at_param_decl d = decl("size_2", AT_PLUGIN_PARAM_INT, 0, "5", 1, 10);
    ok(at_param_decl_check(&d, &err) == AT_OK, "a good declaration passes: %s", err.msg);
    const struct {
        at_param_decl d;
        const char *why, *says;
    } bad[] = {
        {decl("Size", AT_PLUGIN_PARAM_INT, 0, NULL, 0, 0), "capital letter", "a-z, 0-9"},
        {decl("2size", AT_PLUGIN_PARAM_INT, 0, NULL, 0, 0), "leading digit", "starting"},
        {decl("", AT_PLUGIN_PARAM_INT, 0, NULL, 0, 0), "empty name", "parameter name"},
        {decl("a-b", AT_PLUGIN_PARAM_INT, 0, NULL, 0, 0), "dash", "a-z, 0-9"},
        {decl("x", 9, 0, NULL, 0, 0), "unknown type", "unknown type 9"},
        {decl("x", AT_PLUGIN_PARAM_INT, 0, NULL, 5, 1), "min above max", "above maximum"},
        {decl("x", AT_PLUGIN_PARAM_BOOL, 0, NULL, 0, 1), "bool with limits", "no limits"},
        {decl("x", AT_PLUGIN_PARAM_STRING, 0, NULL, -1, 5), "negative length", "length limits"},
        {decl("x", AT_PLUGIN_PARAM_STRING, 0, NULL, 0, AT_PARAM_VALUE_MAX + 1), "length over 1000",
         "length limits"},
        {decl("x", AT_PLUGIN_PARAM_INT, 1, "3", 0, 0), "required with a default", "required"},
        {decl("x", AT_PLUGIN_PARAM_INT, 0, "11", 1, 10), "default out of range", "default"},
        {decl("x", AT_PLUGIN_PARAM_INT, 0, "ten", 0, 0), "default not a number", "whole number"},
        {decl("x", AT_PLUGIN_PARAM_BOOL, 0, "yes", 0, 0), "bool default not true/false", "'true'"},
        {decl("x", AT_PLUGIN_PARAM_STRING, 0, "a\tb", 0, 0), "default with a tab", "control"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok(at_param_decl_check(&bad[i].d, &err) == AT_EINVAL, "declaration refused: %s",
           bad[i].why);
        has_str(err.msg, bad[i].says, "  and the message says why");
    }
    char longname[AT_PARAM_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[AT_PARAM_NAME_MAX] = 0;
    d = decl(longname, AT_PLUGIN_PARAM_BOOL, 0, NULL, 0, 0);
    ok(at_param_decl_check(&d, &err) == AT_OK, "a name of 64 characters passes");
    snprintf(d.description, sizeof d.description, "%s", "bad\x01");
    ok(at_param_decl_check(&d, &err) == AT_EINVAL, "a description with a control byte is refused");
}

static void
test_encoding(void)
{
    at_error err = {0};
    at_param_decl v[3];
    v[0] = decl("path", AT_PLUGIN_PARAM_STRING, 0, "C:\\dir\\tmp =x", 0, 40);
    snprintf(v[0].description, sizeof v[0].description, "%s", "Back\\slash, \\t and \\n literally");
    v[1] = decl("count", AT_PLUGIN_PARAM_INT, 1, NULL, INT64_MIN, INT64_MAX);
    v[2] = decl("on", AT_PLUGIN_PARAM_BOOL, 0, "", 0, 0);
    v[2].has_default = 1;
    snprintf(v[2].default_value, sizeof v[2].default_value, "false");
    char *text = NULL;
    ok(at_params_encode(v, 3, &text, &err) == AT_OK, "three declarations encode: %s", err.msg);
    ok(text && strstr(text, "C:\\\\dir\\\\tmp =x\t") && strstr(text, "\\\\t and"),
       "backslashes are escaped");
    at_param_decl *back = NULL;
    size_t n = 0;
    ok(at_params_decode(text, &back, &n, &err) == AT_OK && n == 3, "and decode: %s", err.msg);
    ok(n == 3 && same_decls(back, v, 3), "to exactly what was encoded");
    free(back);
    free(text);

    ok(at_params_encode(NULL, 0, &text, &err) == AT_OK && text && !*text,
       "no declarations encode as ''");
    free(text);
    ok(at_params_decode("", &back, &n, &err) == AT_OK && n == 0 && !back, "'' decodes to none");

    /* stored text damaged by hand or by a bug is refused, never guessed at */
    const struct {
        const char *text, *why;
    } bad[] = {
        {"v2\nx\tint\t0\t-\t0\t0\t\n", "unknown format"},
        {"v1\nx\tint\t0\t-\t0\t0\n", "six fields"},
        {"v1\nx\tint\t0\t-\t0\t0\t\t\n", "eight fields"},
        {"v1\nx\tint\t0\t-\t0\t0\t\\q\n", "unknown escape"},
        {"v1\nx\tint\t0\t-\t0\t0\tends in \\\n", "escape at the end"},
        {"v1\nx\tfloat\t0\t-\t0\t0\t\n", "unknown type"},
        {"v1\nx\tint\t2\t-\t0\t0\t\n", "bad required flag"},
        {"v1\nx\tint\t0\t?\t0\t0\t\n", "bad default marker"},
        {"v1\nx\tint\t0\t-\t1x\t0\t\n", "bad limit"},
        {"v1\nx\tint\t0\t-\t99999999999999999999\t0\t\n", "limit out of int64"},
        {"v1\nx\tint\t0\t-\t0\t0\t\nx\tbool\t0\t-\t0\t0\t\n", "a name twice"},
        {"v1\nx\tint\t0\t-\t0\t0\t", "last line unterminated"},
        {"v1\nx\tint\t0\t-\t0\t0\ta\\tb\n", "a description with a tab"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        back = NULL;
        ok(at_params_decode(bad[i].text, &back, &n, &err) == AT_EINVAL && !back && n == 0,
           "damaged stored parameters refused: %s", bad[i].why);
        has_str(err.msg, "stored parameters", "  the message says what was damaged");
    }
}

static void
test_payloads(void)
{
    at_error err = {0};
    decls[0] = decl("n", AT_PLUGIN_PARAM_INT, 1, NULL, -10, 10);
    decls[1] = decl("name", AT_PLUGIN_PARAM_STRING, 0, NULL, 2, 3);
    decls[2] = decl("on", AT_PLUGIN_PARAM_BOOL, 0, NULL, 0, 0);
    decls[3] = decl("big", AT_PLUGIN_PARAM_INT, 0, NULL, 0, 0);

    ok(check("n=0", &err) == AT_OK, "the one required parameter alone passes: %s", err.msg);
    ok(check("n=-10\r\n\r\nname=éèê\non=true\nbig=-9223372036854775808\n", &err) == AT_OK,
       "CRLF, blank lines, 3 characters of 2 bytes, int64 minimum: %s", err.msg);
    ok(check("n=10\nbig=9223372036854775807", &err) == AT_OK, "int64 maximum passes");
    const struct {
        const char *payload, *why, *says;
    } bad[] = {
        {"", "empty payload, n required", "parameter 'n' is required"},
        {"name=ab", "missing required", "parameter 'n' is required"},
        {"n=1\nn=2", "given twice", "given twice (first on line 1)"},
        {"n=1\nsize=2", "undeclared", "unknown parameter 'size' (declared: n, name, on, big)"},
        {"n=1\nN=2", "names are case-sensitive", "unknown parameter 'N'"},
        {"n=1\njust text", "line without '='", "line 2 is not of the form name=value"},
        {"n=11", "above max", "must be -10 to 10, not 11"},
        {"n=-11", "below min", "must be -10 to 10, not -11"},
        {"n=", "empty int", "whole number"},
        {"n=-", "lone minus", "whole number"},
        {"n=+5", "plus sign", "whole number"},
        {"n= 5", "leading space", "whole number"},
        {"n=5x", "trailing junk", "whole number"},
        {"n=0x10", "hex", "whole number"},
        {"n=1\nbig=9223372036854775808", "above int64", "whole number"},
        {"n=1\non=yes", "bool not true/false", "'true' or 'false'"},
        {"n=1\non=TRUE", "bool is case-sensitive", "'true' or 'false'"},
        {"n=1\nname=a", "string too short", "too short: 1 characters, at least 2"},
        {"n=1\nname=abcd", "string too long", "too long: 4 characters, at most 3"},
        {"n=1\nname=a\x01", "control character", "control character"},
        {"n=1\nname=a\tb", "tab", "control character"},
        {"n=1\nname=\xc3\x28x", "invalid UTF-8", "UTF-8"},
        {"n=1\n=3", "empty name", "unknown parameter ''"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok(check(bad[i].payload, &err) == AT_EINVAL, "payload refused: %s", bad[i].why);
        has_str(err.msg, bad[i].says, "  message");
    }
    ok(at_params_check(decls, NDECLS, "n=1\0x", 5, &err) == AT_EINVAL,
       "a NUL byte inside a value is refused");
    at_param_decl s = decl("s", AT_PLUGIN_PARAM_STRING, 0, NULL, 0, 0);
    char big[AT_PARAM_VALUE_MAX + 8];
    memcpy(big, "s=", 2);
    memset(big + 2, 'x', AT_PARAM_VALUE_MAX);
    big[AT_PARAM_VALUE_MAX + 2] = 0;
    ok(at_params_check(&s, 1, big, strlen(big), &err) == AT_OK,
       "a string of 1000 characters passes without declared limits");
    strcat(big, "x");
    ok(at_params_check(&s, 1, big, strlen(big), &err) == AT_EINVAL,
       "1001 characters do not, even without declared limits");
    ok(at_params_check(&s, 1, "s=a=b", 5, &err) == AT_OK, "a value may hold '='");

    /* lookups */
    char buf[8];
    const char *p = "a=1\r\nbb=two\nc=\nd=x=y\nlast=end";
    size_t len = strlen(p);
    ok(at_params_get(p, len, "a", buf, sizeof buf) == 1 && strcmp(buf, "1") == 0,
       "get: CR dropped");
    ok(at_params_get(p, len, "bb", buf, sizeof buf) == 1 && strcmp(buf, "two") == 0, "get: bb");
    ok(at_params_get(p, len, "b", buf, sizeof buf) == 0 && buf[0] == 0,
       "get: a prefix of a name is not the name");
    ok(at_params_get(p, len, "c", buf, sizeof buf) == 1 && buf[0] == 0, "get: empty value");
    ok(at_params_get(p, len, "d", buf, sizeof buf) == 1 && strcmp(buf, "x=y") == 0,
       "get: value with '='");
    ok(at_params_get(p, len, "last", buf, sizeof buf) == 1 && strcmp(buf, "end") == 0,
       "get: last line without a newline");
    ok(at_params_get(p, len, "last", buf, 3) == -1, "get: too small a buffer is -1");
    ok(at_params_get(p, 3, "bb", buf, sizeof buf) == 0, "get: only within len");
    ok(at_params_get(NULL, 0, "a", buf, sizeof buf) == 0, "get: NULL payload");
}

/* How many tasks the business has. */
static uint64_t
task_count(at_db *db, uint64_t biz)
{
    at_task_query q = {.business_id = biz, .filter = AT_FILTER_ALL, .limit = 1};
    uint64_t n;
    int more;
    at_error err = {0};
    if (at_task_count(db, &q, 100, &n, &more, &err))
        bail("%s", err.msg);
    return n;
}

static void
test_db(void)
{
    at_db *db = testdb_open();
    at_error err = {0};
    uint64_t biz = testdb_business(db, "params");
    uint64_t user = testdb_user(db, biz, "Paula Params");
    char name[AT_TYPE_NAME_BUF];
    snprintf(name, sizeof name, "params-%s", testdb_tag());
    uint64_t type = 0, again = 0;
    ok(at_task_type_register_params(db, name, "with params", 30, 2, decls, NDECLS, &type, &err) ==
           AT_OK,
       "type registered with parameters: %s", err.msg);
    at_param_decl *got = NULL;
    size_t n = 0;
    ok(at_task_type_params(db, type, &got, &n, &err) == AT_OK && n == NDECLS &&
           same_decls(got, decls, NDECLS),
       "its parameters read back exactly");
    free(got);
    ok(at_task_type_register(db, name, "by hand", 60, 3, &again, &err) == AT_OK && again == type,
       "registering it again by hand keeps its id");
    ok(at_task_type_params(db, type, &got, &n, &err) == AT_OK && n == NDECLS,
       "and keeps its parameters");
    free(got);
    ok(at_task_type_params(db, 999999999, &got, &n, &err) == AT_ENOTFOUND,
       "parameters of an unknown type: not found");

    at_enqueue req = {biz, user, type, "name=ab", 7, 0, 0, NULL, NULL};
    uint64_t id = 0;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "enqueue without the required one refused");
    has_str(err.msg, "enqueue: payload: parameter 'n' is required", "  the message names it");
    req.payload = "n=99";
    req.payload_len = 4;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "enqueue with n out of range refused");
    has_str(err.msg, "parameter 'n' must be -10 to 10, not 99", "  the message names it");
    req.payload = NULL;
    req.payload_len = 0;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "enqueue with no payload refused");
    is_int(task_count(db, biz), 0, "the refusals wrote no task");
    req.payload = "n=3\non=false";
    req.payload_len = strlen(req.payload);
    ok(at_task_enqueue(db, &req, &id, &err) == AT_OK, "a fitting payload is enqueued: %s",
       err.msg);

    at_actor actor = {0, "cli:test"};
    at_task_edit edit = {0};
    edit.payload = "n=3\non=maybe";
    edit.payload_len = strlen(edit.payload);
    ok(at_task_update(db, &actor, biz, id, 1, &edit, &err) == AT_EINVAL,
       "an edit to a payload that does not fit is refused");
    has_str(err.msg, "parameter 'on' must be 'true' or 'false'", "  the message names it");
    at_task t;
    ok(at_task_get(db, biz, id, &t, &err) == AT_OK && t.version == 1 &&
           strcmp(t.payload, "n=3\non=false") == 0,
       "and the task is unchanged");
    at_task_clear(&t);
    edit.payload = "n=-4";
    edit.payload_len = 4;
    ok(at_task_update(db, &actor, biz, id, 1, &edit, &err) == AT_OK,
       "a fitting edit is saved: %s", err.msg);

    /* a type without parameters takes any text, as before */
    uint64_t free_type = testdb_type(db, "params-free");
    at_enqueue req2 = {biz, user, free_type, "any {text} = at all", 19, 0, 0, NULL, NULL};
    ok(at_task_enqueue(db, &req2, &id, &err) == AT_OK, "a type without parameters takes any text");
    testdb_close(db);
}

int
main(void)
{
    test_decls();
    test_encoding();
    test_payloads();
    test_db();
    return done_testing();
}
