/* params.c: the route parameter validators of fcgi/params.c on their own:
 * every type with what it takes and what it refuses, defaults, required
 * parameters, empty fields, repeated ids, and messages that name the
 * parameter. One function per case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "tap.h"
#include "uri.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1764410400000000LL /* 2025-11-29 10:00:00 UTC */

static const char *const colours[] = {"red", "green", NULL};

static const fc_param spec[] = {
    {"business", FC_P_SLUG, 0, 0, 0, NULL, NULL},
    {"colour", FC_P_ENUM, 0, 0, 0, colours, "green"},
    {"n", FC_P_INT, 0, -5, 200, NULL, "50"},
    {"id", FC_P_ID, 0, 0, 0, NULL, NULL},
    {"target", FC_P_IDS, 0, 0, 0, NULL, NULL},
    {"name", FC_P_TEXT, 0, 0, 10, NULL, NULL},
    {"body", FC_P_MULTILINE, 0, 0, 20, NULL, NULL},
    {"after", FC_P_CURSOR, 0, 0, 0, NULL, NULL},
    {"csrf", FC_P_TOKEN, 0, 0, 0, NULL, NULL},
    {"until", FC_P_TIME, 0, 0, 0, NULL, NULL},
    {"next", FC_P_PATH, 0, 0, 0, NULL, NULL},
};
enum { P_BUSINESS, P_COLOUR, P_N, P_ID, P_TARGET, P_NAME, P_BODY, P_AFTER, P_CSRF, P_UNTIL, P_NEXT };

static fc_value out[N(spec)];
static fc_kvlist in; /* the values in out point into it: kept until the next check */
static at_error err;

/* Checks query against spec: the status; out and err hold the rest. */
static int
check(const char *query)
{
    fc_params_free(out, N(spec));
    fc_kvlist_free(&in);
    if (fc_parse_urlencoded(query, strlen(query), &in, &err))
        bail("cannot parse %s: %s", query, err.msg);
    return fc_params_check(spec, N(spec), &in, NOW, out, &err);
}

static void
refused(const char *query, const char *name, const char *what)
{
    int rc = check(query);
    ok(rc == AT_EINVAL && strstr(err.msg, name) != NULL, "%s: refused, naming %s", what, name);
    if (rc == AT_OK)
        diag("  %s was taken", query);
    else if (!strstr(err.msg, name))
        diag("  the message: %s", err.msg);
}

static void
test_defaults(void)
{
    ok(check("") == AT_OK, "nothing given");
    ok(!out[P_BUSINESS].present && out[P_BUSINESS].s == NULL, "an absent parameter");
    ok(out[P_COLOUR].present && out[P_COLOUR].i == 1 && strcmp(out[P_COLOUR].s, "green") == 0,
       "an enum's default");
    ok(out[P_N].present && out[P_N].i == 50, "an int's default");
    ok(check("name=&colour=&unknown=x") == AT_OK && !out[P_NAME].present &&
           out[P_COLOUR].i == 1,
       "an empty field is an absent one; unknown names are ignored");
}

static void
test_slug_enum_int(void)
{
    ok(check("business=acme-2&colour=red&n=-5") == AT_OK && strcmp(out[P_BUSINESS].s, "acme-2") == 0 &&
           out[P_COLOUR].i == 0 && out[P_N].i == -5,
       "a slug, an enum value, the smallest int");
    refused("business=Acme", "business", "a slug with a capital");
    refused("business=-acme", "business", "a slug starting with -");
    refused("colour=blue", "colour", "an unknown enum value");
    refused("n=201", "n", "an int above its max");
    refused("n=1e3", "n", "an int in another notation");
    refused("n=99999999999999999999", "n", "an int beyond 64 bits");
}

static void
test_ids(void)
{
    ok(check("id=42&target=3&target=7&target=3") == AT_OK && out[P_ID].i == 42 &&
           out[P_TARGET].nids == 3 && out[P_TARGET].ids[1] == 7,
       "an id, and ids of a repeated key in order");
    refused("id=0", "id", "an id of 0");
    refused("id=-1", "id", "a negative id");
    refused("target=3&target=x", "target", "an id list with something else in it");
}

static void
test_text(void)
{
    ok(check("name=Z%C3%B6e%20%F0%9D%94%82&body=a%0D%0Ab") == AT_OK &&
           strcmp(out[P_NAME].s, "Zöe \xf0\x9d\x94\x82") == 0 && strcmp(out[P_BODY].s, "a\r\nb") == 0,
       "text in characters, multiline text with line breaks");
    ok(check("name=%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82"
             "%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82%F0%9D%94%82") == AT_OK,
       "ten 4-byte characters fit a limit of ten characters");
    refused("name=abcdefghijk", "name", "text over its limit");
    refused("name=a%0Ab", "name", "a line break in one-line text");
    refused("body=123456789012345678901", "body", "multiline text over its bytes");
}

static void
test_cursor(void)
{
    /* the longest cursor there is: a user sort of 190 4-byte characters */
    char q[AT_CURSOR_BUF + 64];
    size_t j = (size_t) snprintf(q, sizeof q, "after=u");
    for (int i = 0; i < 190; i++)
        j += (size_t) snprintf(q + j, sizeof q - j, "f09d9482");
    snprintf(q + j, sizeof q - j, "-18446744073709551615");
    int rc = check(q);
    size_t got = rc == AT_OK && out[P_AFTER].s ? strlen(out[P_AFTER].s) : 0;
    ok(got == 1 + 190 * 8 + 21, "the longest cursor (%zu characters) is taken whole", got);
    if (rc)
        diag("  %s", err.msg);
    refused("after=c123-ABC", "after", "a cursor with capitals");
    refused("after=c1%2B2-3", "after", "a cursor with another character");
    char *big = malloc(AT_CURSOR_BUF + 16);
    if (!big)
        bail("out of memory");
    strcpy(big, "after=");
    memset(big + 6, 'a', AT_CURSOR_BUF);
    big[6 + AT_CURSOR_BUF] = 0;
    refused(big, "after", "a cursor longer than any the app makes");
    free(big);
}

static void
test_token_time_path(void)
{
    ok(check("csrf=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") == AT_OK,
       "a token");
    refused("csrf=0123456789abcdef", "csrf", "a short token");
    refused("csrf=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "csrf",
            "a token with capitals");
    ok(check("until=%2B1h") == AT_OK && out[P_UNTIL].t == NOW + 3600LL * 1000000,
       "a relative time counts from the request's clock");
    ok(check("until=2026-01-02T03%3A04") == AT_OK && out[P_UNTIL].t == 1767323040000000LL,
       "a datetime-local value, in UTC");
    refused("until=yesterday", "until", "a time that is none");
    ok(check("next=%2Fadmin%2Fasync-tasks%3Fbusiness%3Dacme") == AT_OK, "a local path");
    refused("next=%2F%2Fevil.example", "next", "a path to another host");
    refused("next=%2F%5Cevil.example", "next", "a path with a backslash");
    refused("next=https%3A%2F%2Fevil.example", "next", "a URL");
    refused("next=%2F%09%2Fevil.example", "next", "a path with a tab");
    refused("next=%2Fa%0D%0AX-Injected:+1", "next", "a path with a line break");
}

/* "next=/" and n bytes of unit (given %-encoded, counting raw each) */
static char *
long_next(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(sizeof "next=%2F" + n * ul);
    if (!s)
        bail("out of memory");
    strcpy(s, "next=%2F");
    for (size_t i = 0; i < n; i++)
        memcpy(s + 8 + i * ul, unit, ul + 1);
    return s;
}

/* A path to return to becomes a Location: it must fit one once
 * percent-encoded, however many bytes each character takes there. */
static void
test_path_fits_location(void)
{
    char *s = long_next("a", FC_LOCATION_MAX - 1);
    ok(check(s) == AT_OK, "a local path of %d bytes", FC_LOCATION_MAX);
    free(s);
    s = long_next("a", FC_LOCATION_MAX);
    refused(s, "next", "a local path of one byte more");
    free(s);
    s = long_next("%E3%80%82", (FC_LOCATION_MAX - 1) / 9);
    ok(check(s) == AT_OK, "a local path of %d ideographic full stops (9 bytes each encoded)",
       (FC_LOCATION_MAX - 1) / 9);
    free(s);
    s = long_next("%E3%80%82", (FC_LOCATION_MAX - 1) / 9 + 1);
    refused(s, "next", "one more, counted encoded");
    free(s);
}

/* What a Location is written as (uri.c). */
static void
test_uri(void)
{
    static const struct {
        const char *in, *want, *what;
    } cases[] = {
        {"/login", "/login", "a path as it is"},
        {"/a?b=c%20d&e=f;g", "/a?b=c%20d&e=f;g", "query characters and escapes as they are"},
        {"/\xe3\x80\x82" "evil", "/%E3%80%82evil", "UTF-8 percent-encoded"},
        {"/a\r\nX-Injected: 1", "/a%0D%0AX-Injected:%201", "a line break cannot end the header"},
        {"/<\"{|}\\^`>", "/%3C%22%7B%7C%7D%5C%5E%60%3E", "what RFC 3986 does not allow"},
        {"/\x7f\x01", "/%7F%01", "controls and DEL"},
        {"", "", "nothing"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char buf[64];
        size_t n = fc_uri_len(cases[i].in);
        fc_uri_write(cases[i].in, buf);
        is_str(buf, cases[i].want, "uri: %s", cases[i].what);
        is_int((long long) n, (long long) strlen(cases[i].want), "uri: %s: its length", cases[i].what);
    }
}

static void
test_required(void)
{
    static const fc_param need[] = {{"business", FC_P_SLUG, 1, 0, 0, NULL, NULL},
                                    {"target", FC_P_IDS, 1, 0, 0, NULL, NULL}};
    fc_value v[2];
    fc_kvlist req = {0};
    fc_parse_urlencoded("target=1", 8, &req, &err);
    ok(fc_params_check(need, 2, &req, NOW, v, &err) == AT_EINVAL &&
           strcmp(err.msg, "parameter business is missing") == 0,
       "a required parameter missing: named");
    fc_params_free(v, 2);
    fc_kvlist_free(&req);
    fc_parse_urlencoded("business=acme", 13, &req, &err);
    ok(fc_params_check(need, 2, &req, NOW, v, &err) == AT_EINVAL && strstr(err.msg, "target"),
       "a required list missing: named");
    fc_params_free(v, 2);
    fc_kvlist_free(&req);
}

int
main(void)
{
    test_defaults();
    test_slug_enum_int();
    test_ids();
    test_text();
    test_cursor();
    test_token_time_path();
    test_path_fits_location();
    test_uri();
    test_required();
    fc_params_free(out, N(spec));
    fc_kvlist_free(&in);
    return done_testing();
}
