/* model_input.c: bad input to the model: unknown business or user,
 * over-long names, invalid UTF-8, empty types. Each gets a clear error and
 * writes nothing; good input at the limits is stored exactly. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testdb.h"

static at_db *db;
static uint64_t biz;

static size_t
task_count(void)
{
    at_task_query q = {biz, AT_SORT_CREATED, 0, AT_FILTER_ALL, NULL, NULL, NULL, NULL, 500, NULL, NULL};
    at_task_page page;
    at_error err = {0};
    if (at_task_list(db, &q, &page, &err))
        bail("%s", err.msg);
    size_t n = page.n;
    at_task_page_free(&page);
    return n;
}

static size_t
business_count(void)
{
    at_business *v;
    size_t n;
    at_error err = {0};
    if (at_business_list(db, &v, &n, &err))
        bail("%s", err.msg);
    free(v);
    return n;
}

static int
user_exists(const char *email)
{
    at_user u;
    at_error err = {0};
    return at_user_get(db, email, &u, &err) == AT_OK;
}

/* n copies of s (a UTF-8 character) */
static char *
repeat(const char *s, size_t n)
{
    size_t l = strlen(s);
    char *p = malloc(l * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(p + i * l, s, l);
    p[l * n] = 0;
    return p;
}

int
main(void)
{
    db = testdb_open();
    at_error err = {0};
    biz = testdb_business(db, "input");
    uint64_t member = testdb_user(db, biz, "Mona Member");
    uint64_t stranger = testdb_user(db, 0, "Sven Stranger");
    uint64_t type = testdb_type(db, "input");
    char tag[64];
    snprintf(tag, sizeof tag, "%s", testdb_tag());

    /* enqueue: every reference is checked, nothing is written */
    at_enqueue req = {biz, member, type, "{}", 2, 0, 0, NULL, NULL};
    uint64_t id = 0;
    req.business_id = 999999999;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_ENOTFOUND, "unknown business refused");
    has_str(err.msg, "no business", "message names the business");
    req.business_id = biz;
    req.user_id = 999999999;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_ENOTFOUND, "unknown user refused");
    has_str(err.msg, "no user", "message names the user");
    req.user_id = stranger;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_ENOTFOUND, "non-member refused");
    has_str(err.msg, "is not a member of business", "message says not a member");
    req.user_id = member;
    req.task_type_id = 999999999;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_ENOTFOUND, "unknown task type refused");
    has_str(err.msg, "no task type", "message names the type");
    req.task_type_id = type;
    req.payload = "caf\xc3";
    req.payload_len = 4;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "payload that is not UTF-8 refused");
    has_str(err.msg, "UTF-8", "message says UTF-8");
    req.payload = "a\0b";
    req.payload_len = 3;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "payload with NUL refused");
    char *huge = repeat("x", AT_PAYLOAD_MAX + 1);
    req.payload = huge;
    req.payload_len = AT_PAYLOAD_MAX + 1;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "oversized payload refused");
    req.payload = "{}";
    req.payload_len = 2;
    req.priority = AT_PRIORITY_MAX + 1;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_EINVAL, "priority out of range refused");
    has_str(err.msg, "priority", "message names the priority");
    req.priority = 0;
    is_int(task_count(), 0, "no task written by the refusals");

    /* the largest payload is stored and read back whole */
    req.payload = huge;
    req.payload_len = AT_PAYLOAD_MAX;
    ok(at_task_enqueue(db, &req, &id, &err) == AT_OK, "largest payload accepted: %s", err.msg);
    at_task t;
    ok(at_task_get(db, biz, id, &t, &err) == AT_OK && t.payload_size == AT_PAYLOAD_MAX &&
           memcmp(t.payload, huge, AT_PAYLOAD_MAX) == 0,
       "and read back byte for byte");
    at_task_clear(&t);
    free(huge);

    /* names: empty, over-long, invalid UTF-8, control characters */
    size_t nb = business_count();
    ok(at_business_add(db, "", "x", NULL, &err) == AT_EINVAL, "empty slug refused");
    ok(at_business_add(db, "Bad Slug", "x", NULL, &err) == AT_EINVAL, "slug with capitals refused");
    has_str(err.msg, "a-z, 0-9", "slug message says what is allowed");
    char *slug65 = repeat("s", AT_SLUG_MAX + 1);
    ok(at_business_add(db, slug65, "x", NULL, &err) == AT_EINVAL, "over-long slug refused");
    char okslug[80];
    snprintf(okslug, sizeof okslug, "in-%s-a", tag);
    char *name191 = repeat("n", AT_NAME_MAX + 1);
    ok(at_business_add(db, okslug, name191, NULL, &err) == AT_EINVAL,
       "business name of 191 characters refused");
    has_str(err.msg, "too long", "message says too long");
    ok(at_business_add(db, okslug, "bad \xfe", NULL, &err) == AT_EINVAL,
       "business name that is not UTF-8 refused");
    ok(at_business_add(db, okslug, "", NULL, &err) == AT_EINVAL, "empty business name refused");
    ok(at_business_add(db, okslug, "tab\there", NULL, &err) == AT_EINVAL,
       "business name with a tab refused");
    is_int(business_count(), nb, "no business written by the refusals");
    char *emoji190 = repeat("🚀", AT_NAME_MAX);
    uint64_t bid;
    ok(at_business_add(db, okslug, emoji190, &bid, &err) == AT_OK,
       "190 four-byte characters accepted: %s", err.msg);
    at_business b;
    ok(at_business_get(db, okslug, &b, &err) == AT_OK && strcmp(b.name, emoji190) == 0,
       "and stored exactly (utf8mb4)");
    ok(at_business_add(db, okslug, "again", NULL, &err) == AT_ECONFLICT, "duplicate slug refused");
    has_str(err.msg, "already exists", "duplicate message");
    ok(at_business_get(db, "no-such-business-here", &b, &err) == AT_ENOTFOUND,
       "unknown business lookup: not found");

    char email[200];
    snprintf(email, sizeof email, "in.%s@test.example.com", tag);
    ok(at_user_add(db, email, name191, NULL, NULL, &err) == AT_EINVAL,
       "user name of 191 characters refused");
    ok(at_user_add(db, email, "bad \xc0\x80", NULL, NULL, &err) == AT_EINVAL,
       "user name that is not UTF-8 refused");
    ok(at_user_add(db, email, "a\nb", NULL, NULL, &err) == AT_EINVAL,
       "user name with a newline refused");
    ok(at_user_add(db, "not-an-email", "Name", NULL, NULL, &err) == AT_EINVAL,
       "email without @ refused");
    char *longmail = repeat("m", AT_NAME_MAX);
    longmail[AT_NAME_MAX - 4] = '@';
    longmail[0] = 'x';
    char longmail2[AT_NAME_BUF + 2];
    snprintf(longmail2, sizeof longmail2, "y%s", longmail);
    ok(at_user_add(db, longmail2, "Name", NULL, NULL, &err) == AT_EINVAL,
       "email of 191 characters refused");
    ok(at_user_add(db, email, "Name", "", NULL, &err) == AT_EINVAL, "empty password refused");
    ok(!user_exists(email), "no user written by the refusals");
    const char *evil = "Robert'); DROP TABLE tasks;-- <b>&amp;</b>";
    uint64_t uid;
    ok(at_user_add(db, email, evil, "pw", &uid, &err) == AT_OK, "SQL and markup in a name accepted");
    at_user u;
    ok(at_user_get(db, email, &u, &err) == AT_OK && strcmp(u.name, evil) == 0,
       "and stored as given");
    ok(at_user_add(db, email, "Other", NULL, NULL, &err) == AT_ECONFLICT, "duplicate email refused");
    ok(at_user_authenticate(db, email, "pw", &u, &err) == AT_OK && u.id == uid,
       "authenticate with the right password");
    ok(at_user_authenticate(db, email, "wrong", &u, &err) == AT_EDENIED, "wrong password denied");
    char msg_wrong[AT_ERROR_MSG_MAX];
    strcpy(msg_wrong, err.msg);
    ok(at_user_authenticate(db, "nobody@nowhere.example", "pw", &u, &err) == AT_EDENIED,
       "unknown user denied");
    is_str(err.msg, msg_wrong, "unknown user and wrong password give the same message");
    ok(at_user_authenticate(db, "bad\xff", "pw", &u, &err) == AT_EDENIED,
       "invalid UTF-8 email denied, not an error");

    /* task types */
    ok(at_task_type_register(db, "", "", 60, 3, NULL, &err) == AT_EINVAL, "empty type refused");
    has_str(err.msg, "task type is empty", "message says empty");
    at_task_type tt;
    ok(at_task_type_get(db, "", &tt, &err) == AT_EINVAL, "empty type lookup refused");
    char *type101 = repeat("t", AT_TYPE_NAME_MAX + 1);
    ok(at_task_type_register(db, type101, "", 60, 3, NULL, &err) == AT_EINVAL,
       "type name of 101 characters refused");
    ok(at_task_type_register(db, "Bad Type", "", 60, 3, NULL, &err) == AT_EINVAL,
       "type name with capitals and a space refused");
    ok(at_task_type_register(db, "tÿpe", "", 60, 3, NULL, &err) == AT_EINVAL,
       "type name beyond ASCII refused");
    char tname[80];
    snprintf(tname, sizeof tname, "ok-%s", tag);
    ok(at_task_type_register(db, tname, "", 0, 3, NULL, &err) == AT_EINVAL, "timeout 0 refused");
    ok(at_task_type_register(db, tname, "", 60, 0, NULL, &err) == AT_EINVAL, "0 attempts refused");
    ok(at_task_type_get(db, tname, &tt, &err) == AT_ENOTFOUND, "no type written by the refusals");
    uint64_t t1, t2;
    ok(at_task_type_register(db, tname, "first", 60, 3, &t1, &err) == AT_OK &&
           at_task_type_register(db, tname, "second", 90, 4, &t2, &err) == AT_OK && t1 == t2,
       "registering again updates the same type");
    ok(at_task_type_get(db, tname, &tt, &err) == AT_OK && strcmp(tt.description, "second") == 0 &&
           tt.timeout_s == 90 && tt.max_attempts == 4,
       "with the new description, timeout and attempts");

    /* membership */
    ok(at_member_add(db, biz, stranger, 0, &err) == AT_EINVAL, "bad role refused");
    ok(at_member_add(db, biz, 999999999, AT_ROLE_MEMBER, &err) == AT_ENOTFOUND,
       "unknown user cannot become a member");
    ok(at_member_add(db, 999999999, stranger, AT_ROLE_MEMBER, &err) == AT_ENOTFOUND,
       "unknown business cannot get members");
    int role = -1;
    ok(at_member_role(db, biz, stranger, &role, &err) == AT_OK && role == AT_ROLE_NONE,
       "the stranger is still no member");
    ok(at_member_add(db, biz, stranger, AT_ROLE_BUSINESS_ADMIN, &err) == AT_OK &&
           at_member_role(db, biz, stranger, &role, &err) == AT_OK &&
           role == AT_ROLE_BUSINESS_ADMIN,
       "a member can be made business admin");

    /* edits with bad values change nothing */
    req = (at_enqueue){biz, member, type, "{}", 2, 0, 0, NULL, NULL};
    ok(at_task_enqueue(db, &req, &id, &err) == AT_OK, "a good task");
    at_actor actor = {0, "cli:test"};
    at_task_edit e = {1, AT_PRIORITY_MIN - 1, 0, 0, NULL, 0};
    ok(at_task_update(db, &actor, biz, id, 1, &e, &err) == AT_EINVAL, "edit to a bad priority refused");
    e = (at_task_edit){0, 0, 0, 0, "\xff", 1};
    ok(at_task_update(db, &actor, biz, id, 1, &e, &err) == AT_EINVAL, "edit to a bad payload refused");
    ok(at_task_get(db, biz, id, &t, &err) == AT_OK && t.version == 1 && strcmp(t.payload, "{}") == 0,
       "the task is unchanged");
    at_task_clear(&t);

    free(slug65);
    free(name191);
    free(emoji190);
    free(longmail);
    free(type101);
    testdb_close(db);
    return done_testing();
}
