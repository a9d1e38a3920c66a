/* model_resolve.c: turning the names of many tasks into enqueue requests
 * (resolve.h) against the real database: ids as the single lookups find
 * them, names compared as the database compares them, more distinct
 * names than one statement takes, every kind of bad item named on its
 * own, an unknown email told like a user of another business, and what a
 * resolver remembers. One function per case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/plugin.h>

#include "tap.h"
#include "testdb.h"

static at_db *db;
static uint64_t biz, member, stranger, plain, typed;
static char slug[AT_SLUG_BUF], email[AT_NAME_BUF], stranger_email[AT_NAME_BUF];
static char plain_name[AT_TYPE_NAME_BUF], typed_name[AT_TYPE_NAME_BUF];

static void
email_of(uint64_t user_id, char *buf, size_t len)
{
    at_user u;
    at_error err = {0};
    if (at_user_get_by_id(db, user_id, &u, &err))
        bail("%s", err.msg);
    snprintf(buf, len, "%s", u.email);
}

static void
setup(void)
{
    at_error err = {0};
    at_business b;
    at_task_type t;
    biz = testdb_business(db, "resolve");
    member = testdb_user(db, biz, "Rita Resolve");
    stranger = testdb_user(db, testdb_business(db, "resolve-other"), "Otto Other");
    plain = testdb_type(db, "resolve");
    at_param_decl count = {
        .name = "count", .type = AT_PLUGIN_PARAM_INT, .required = 1, .min = 1, .max = 10};
    snprintf(typed_name, sizeof typed_name, "resolve.typed-%s", testdb_tag());
    if (at_task_type_register_params(db, typed_name, "", 60, 3, &count, 1, &typed, &err) ||
        at_business_get_by_id(db, biz, &b, &err) || at_task_type_get_by_id(db, plain, &t, &err))
        bail("%s", err.msg);
    snprintf(slug, sizeof slug, "%s", b.slug);
    snprintf(plain_name, sizeof plain_name, "%s", t.name);
    email_of(member, email, sizeof email);
    email_of(stranger, stranger_email, sizeof stranger_email);
}

/* Prepares n requests from names (priority 0, no payload unless set). */
static int
prepare(const at_task_names *names, at_enqueue *reqs, size_t n, at_error *errs, size_t *nbad,
        at_error *err)
{
    at_resolver *r;
    if (at_resolver_open(db, &r, err))
        bail("%s", err->msg);
    int rc = at_resolver_prepare(r, names, reqs, n, errs, nbad, err);
    at_resolver_close(r);
    return rc;
}

static void
test_good(void)
{
    char upper[AT_NAME_BUF];
    snprintf(upper, sizeof upper, "%s", email);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char) (*p - 'a' + 'A');
    at_task_names names[] = {
        {slug, email, plain_name}, {slug, upper, plain_name}, {slug, email, typed_name}};
    at_enqueue reqs[3] = {{0}};
    reqs[2].payload = "count=3";
    reqs[2].payload_len = 7;
    at_error errs[3], err = {0};
    size_t nbad = 9;
    int rc = prepare(names, reqs, 3, errs, &nbad, &err);
    ok(rc == AT_OK && nbad == 0, "three good tasks: prepared (%s)", err.msg);
    ok(reqs[0].business_id == biz && reqs[0].user_id == member && reqs[0].task_type_id == plain,
       "the ids are those of the names");
    is_int(reqs[1].user_id, member,
           "an email in other case is the same user, as the database compares");
    is_int(reqs[2].task_type_id, typed, "a type with parameters and a payload that fits them");
    ok(errs[0].code == AT_OK && errs[1].code == AT_OK && errs[2].code == AT_OK, "no item errors");
}

/* One bad item among good ones: its message, and only its. */
static void
bad_one(at_task_names bad, const char *payload, int priority, int want_code, const char *want,
        const char *what)
{
    at_task_names names[] = {{slug, email, plain_name}, bad, {slug, email, plain_name}};
    at_enqueue reqs[3] = {{0}};
    reqs[1].payload = payload;
    reqs[1].payload_len = payload ? strlen(payload) : 0;
    reqs[1].priority = priority;
    at_error errs[3], err = {0};
    size_t nbad = 0;
    int rc = prepare(names, reqs, 3, errs, &nbad, &err);
    ok(rc == want_code && nbad == 1, "%s: refused as %s", what, at_status_str(want_code));
    is_str(errs[1].msg, want, "%s: the item's message", what);
    ok(errs[0].code == AT_OK && errs[2].code == AT_OK, "%s: the good items have no error", what);
    has_str(err.msg, "task 2 of 3: ", "%s: the summary names the item", what);
}

static void
test_bad_items(void)
{
    char msg[1024];
    bad_one((at_task_names){"no-such-biz-zz", email, plain_name}, NULL, 0, AT_ENOTFOUND,
            "no business 'no-such-biz-zz'", "an unknown business");
    bad_one((at_task_names){"Not A Slug", email, plain_name}, NULL, 0, AT_EINVAL,
            "business slug 'Not A Slug' may hold only a-z, 0-9 and '-' (not first)",
            "a malformed slug");
    snprintf(msg, sizeof msg, "user 'nobody-%s@nowhere.example' is not a member of business '%s'",
             testdb_tag(), slug);
    char nobody[AT_NAME_BUF];
    snprintf(nobody, sizeof nobody, "nobody-%s@nowhere.example", testdb_tag());
    bad_one((at_task_names){slug, nobody, plain_name}, NULL, 0, AT_ENOTFOUND, msg,
            "an email nobody has");
    snprintf(msg, sizeof msg, "user '%s' is not a member of business '%s'", stranger_email, slug);
    bad_one((at_task_names){slug, stranger_email, plain_name}, NULL, 0, AT_ENOTFOUND, msg,
            "a user of another business, told like an unknown email");
    bad_one((at_task_names){slug, "not an email", plain_name}, NULL, 0, AT_EINVAL,
            "email 'not an email' is not of the form name@domain", "a malformed email");
    bad_one((at_task_names){slug, email, "no.such.type.zz"}, NULL, 0, AT_ENOTFOUND,
            "no task type 'no.such.type.zz'", "an unknown type");
    bad_one((at_task_names){slug, NULL, plain_name}, NULL, 0, AT_EINVAL,
            "the user's email is missing", "no email");
    bad_one((at_task_names){slug, email, plain_name}, NULL, 5000, AT_EINVAL,
            "priority must be -1000 to 1000, not 5000", "a priority out of range");
    bad_one((at_task_names){slug, email, typed_name}, "count=11", 0, AT_EINVAL,
            "payload line 1: parameter 'count' must be 1 to 10, not 11",
            "a payload that does not fit the type");
    bad_one((at_task_names){slug, email, typed_name}, NULL, 0, AT_EINVAL,
            "payload: parameter 'count' is required", "a type's required parameter missing");
    bad_one((at_task_names){slug, email, plain_name}, "\xff\xfe", 0, AT_EINVAL,
            "payload is not valid UTF-8", "a payload that is not UTF-8");
}

static void
test_many_bad(void)
{
    at_task_names names[] = {
        {slug, email, "gone.a"}, {slug, email, plain_name}, {slug, email, "gone.b"}};
    at_enqueue reqs[3] = {{0}};
    at_error err = {0};
    size_t nbad = 0;
    int rc = prepare(names, reqs, 3, NULL, &nbad, &err);
    ok(rc == AT_ENOTFOUND && nbad == 2, "two bad of three, without item errors: refused, counted");
    is_str(err.msg, "2 of 3 tasks are invalid, the first is task 1: no task type 'gone.a'",
           "the summary counts them and names the first");
}

/* Names with the characters JSON escapes, and beyond ASCII. */
static void
test_odd_names(void)
{
    char odd[AT_NAME_BUF], upper[AT_NAME_BUF];
    at_error err = {0};
    uint64_t id;
    snprintf(odd, sizeof odd, "q\"uo\\te.zoë.%s@test.example.com", testdb_tag());
    snprintf(upper, sizeof upper, "Q\"UO\\TE.ZOË.%s@TEST.EXAMPLE.COM", testdb_tag());
    if (at_user_add(db, odd, "Zoë Quote", NULL, &id, &err) ||
        at_member_add(db, biz, id, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    at_task_names names[] = {{slug, odd, plain_name}, {slug, upper, plain_name}};
    at_enqueue reqs[2] = {{0}};
    size_t nbad = 9;
    int rc = prepare(names, reqs, 2, NULL, &nbad, &err);
    ok(rc == AT_OK && reqs[0].user_id == id, "an email with a quote, a backslash and an ë (%s)",
       err.msg);
    is_int(reqs[1].user_id, id, "the same in capitals, as the database compares");
}

/* More distinct names than one statement takes. */
static void
test_many_names(void)
{
    enum { N = 1234 };
    static char emails[N][AT_NAME_BUF];
    static at_task_names names[N];
    static at_enqueue reqs[N];
    static uint64_t ids[N];
    at_error err = {0};
    for (size_t i = 0; i < N; i++) {
        ids[i] = testdb_user(db, biz, "Many Names");
        email_of(ids[i], emails[i], sizeof emails[i]);
        names[i] = (at_task_names){slug, emails[i], plain_name};
    }
    names[N - 1].user = stranger_email; /* the last batch's last name */
    size_t nbad = 0;
    int rc = prepare(names, reqs, N, NULL, &nbad, &err);
    ok(rc == AT_ENOTFOUND && nbad == 1, "%d distinct emails, one not a member: only it refused", N);
    size_t right = 0;
    for (size_t i = 0; i + 1 < N; i++)
        right += reqs[i].user_id == ids[i];
    is_int(right, N - 1, "every other email has its user's id, over two statements");
    has_str(err.msg, "task 1234 of 1234: ", "the summary names the last one");
}

/* A resolver remembers answers for its life, a new one asks again. */
static void
test_memory(void)
{
    uint64_t late = testdb_user(db, 0, "Lena Late");
    char late_email[AT_NAME_BUF];
    email_of(late, late_email, sizeof late_email);
    at_task_names names[] = {{slug, late_email, plain_name}};
    at_enqueue reqs[1] = {{0}};
    at_error err = {0};
    size_t nbad = 0;
    at_resolver *r;
    if (at_resolver_open(db, &r, &err))
        bail("%s", err.msg);
    ok(at_resolver_prepare(r, names, reqs, 1, NULL, &nbad, &err) == AT_ENOTFOUND,
       "not yet a member: refused");
    if (at_member_add(db, biz, late, AT_ROLE_MEMBER, &err))
        bail("%s", err.msg);
    ok(at_resolver_prepare(r, names, reqs, 1, NULL, &nbad, &err) == AT_ENOTFOUND,
       "the same resolver remembers the answer");
    at_resolver_close(r);
    ok(prepare(names, reqs, 1, NULL, &nbad, &err) == AT_OK, "a new resolver sees the member");
}

int
main(void)
{
    db = testdb_open();
    setup();
    test_good();
    test_bad_items();
    test_many_bad();
    test_odd_names();
    test_many_names();
    test_memory();
    testdb_close(db);
    return done_testing();
}
