/* request.c: the request parsers of fcgi/request.c: urlencoded forms and
 * query strings, cookies, Accept, Accept-Encoding and the text check,
 * every rule, limit and error, then a long run of random input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "request.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* Messages go to the client: they must be non-empty printable ASCII, which
 * also proves that no raw input byte that failed validation came back. */
static int
msg_safe(const char *msg)
{
    if (!msg[0])
        return 0;
    for (const unsigned char *p = (const unsigned char *) msg; *p; p++)
        if (*p < 0x20 || *p > 0x7E)
            return 0;
    return 1;
}

/* "key=value;" for every pair, with bytes that would be ambiguous or
 * unreadable written as \xNN, so that a whole list compares as one string. */
static char *
dump(const fc_kvlist *l)
{
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    if (!out)
        bail("out of memory");
    for (size_t i = 0; i < l->n; i++) {
        const char *parts[2] = {l->v[i].key, l->v[i].value};
        size_t lens[2] = {strlen(l->v[i].key), l->v[i].len};
        for (int k = 0; k < 2; k++) {
            for (size_t j = 0; j <= lens[k]; j++) {
                if (n + 8 > cap) {
                    cap *= 2;
                    out = realloc(out, cap);
                    if (!out)
                        bail("out of memory");
                }
                if (j == lens[k]) {
                    out[n++] = k == 0 ? '=' : ';';
                    break;
                }
                unsigned char c = (unsigned char) parts[k][j];
                if (c < 0x20 || c == 0x7F || c == '\\' || c == ';')
                    n += (size_t) sprintf(out + n, "\\x%02X", c);
                else
                    out[n++] = (char) c;
            }
        }
    }
    out[n] = 0;
    return out;
}

static void
dump_is(const fc_kvlist *l, const char *want, const char *parser, const char *what)
{
    char *got = dump(l);
    is_str(got, want, "%s %s: pairs", parser, what);
    free(got);
}

/* Input repeated: "a=1&" n times and so on, in a buffer the caller frees. */
static char *
repeat(const char *unit, size_t n, const char *head, const char *tail)
{
    size_t ul = strlen(unit), hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    if (!s)
        bail("out of memory");
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

/* "NAME00=1; NAME01=1; ..." for n (at most 1000) distinct cookies. */
static char *
many_cookies(const char *name, size_t n)
{
    size_t unit = strlen(name) + 7; /* "000=1; " */
    char *s = malloc(n * unit + 1);
    if (!s)
        bail("out of memory");
    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        snprintf(s + i * unit, unit + 1, "%s%03u=1; ", name, (unsigned) (i % 1000));
    return s;
}

/* ---- urlencoded ---- */

static const struct url_good {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *want;
    const char *what;
} url_good[] = {
    {"", 0, "", "empty input"},
    {"a=1", 0, "a=1;", "one pair"},
    {"a=1&b=2", 0, "a=1;b=2;", "two pairs"},
    {"&&a=1&", 0, "a=1;", "empty pairs skipped"},
    {"&", 0, "", "only a separator"},
    {"&&&", 0, "", "only separators"},
    {"a", 0, "a=;", "pair without '=' has an empty value"},
    {"a=", 0, "a=;", "pair with an empty value"},
    {"a&b=2", 0, "a=;b=2;", "pair without '=' before another"},
    {"a=b=c", 0, "a=b=c;", "'=' inside a value kept"},
    {"a==", 0, "a==;", "value that is just '='"},
    {"q=hello+world", 0, "q=hello world;", "'+' is a space"},
    {"q=hello%20world", 0, "q=hello world;", "%20 is a space"},
    {"q=1%2B1", 0, "q=1+1;", "%2B is a plus"},
    {"q=a+%2B+b", 0, "q=a + b;", "plus and escaped plus together"},
    {"q=+", 0, "q= ;", "value of one space"},
    {"q=%25", 0, "q=%;", "escaped percent"},
    {"q=%2541", 0, "q=%41;", "decoded once only"},
    {"q=%26%3D", 0, "q=&=;", "escaped '&' and '=' do not split"},
    {"n=%C3%A9t%C3%A9", 0, "n=\xc3\xa9t\xc3\xa9;", "two-byte UTF-8 through escapes"},
    {"n=%c3%a9", 0, "n=\xc3\xa9;", "lower-case hex"},
    {"n=%E2%82%AC", 0, "n=\xe2\x82\xac;", "three-byte UTF-8 through escapes"},
    {"n=%F0%9F%9A%80", 0, "n=\xf0\x9f\x9a\x80;", "four-byte UTF-8 through escapes"},
    {"n=caf\xc3\xa9", 0, "n=caf\xc3\xa9;", "raw UTF-8 accepted"},
    {"n=%C2%A0", 0, "n=\xc2\xa0;", "no-break space is not a control character"},
    {"t=a%09b%0D%0Ac", 0, "t=a\\x09b\\x0D\\x0Ac;", "tab, CR and LF allowed in values"},
    {"t=a\tb\r\nc", 0, "t=a\\x09b\\x0D\\x0Ac;", "raw tab, CR and LF allowed in values"},
    {"x=%7E", 0, "x=~;", "escaped tilde"},
    {"%61=1", 0, "a=1;", "escaped key"},
    {"ids[]=1&ids[]=2", 0, "ids[]=1;ids[]=2;", "repeated key with brackets"},
    {"ids%5B%5D=3", 0, "ids[]=3;", "brackets through escapes"},
    {"a.b-c_D9=x", 0, "a.b-c_D9=x;", "every kind of key character"},
    {"a=1&a=2&a=3", 0, "a=1;a=2;a=3;", "repeated keys kept in order"},
    {"a=1&&&b=2", 0, "a=1;b=2;", "runs of separators"},
    {"a=1&b", 3, "a=1;", "length is honoured, not the NUL"},
};

static const struct url_bad {
    const char *in;
    size_t len;
    const char *want;
    const char *what;
} url_bad[] = {
    {"a=%", 0, "incomplete %-escape at byte 3", "lone '%'"},
    {"a=%4", 0, "incomplete %-escape at byte 3", "'%' with one digit"},
    {"a=x%4&b=1", 0, "incomplete %-escape at byte 4", "'%' with one digit before '&'"},
    {"a=%zz", 0, "invalid %-escape at byte 3", "'%' with no hex digits"},
    {"a=%4g", 0, "invalid %-escape", "'%' with one bad digit"},
    {"a=%g4", 0, "invalid %-escape", "'%' with a bad first digit"},
    {"a=%%41", 0, "invalid %-escape", "double '%'"},
    {"a=% 1", 0, "invalid %-escape", "'%' and a space"},
    {"a=%\xff\xff", 0, "invalid %-escape", "'%' and raw high bytes"},
    {"%=1", 0, "the name of parameter 1 has an incomplete", "bad escape in a key"},
    {"a=ok&b=%zz", 0, "the value of 'b' has an invalid %-escape at byte 8",
     "error in the second pair names the key and byte"},
    {"a=%00", 0, "the value of 'a' contains a NUL byte (%00)", "decoded NUL"},
    {"a=b\0c", 5, "the value of 'a' contains a NUL byte", "raw NUL"},
    {"%00=1", 0, "NUL byte", "NUL in a key"},
    {"=1", 0, "parameter 1 has an empty name", "empty key"},
    {"a=1&=2", 0, "parameter 2 has an empty name", "empty key in the second pair"},
    {"=", 0, "empty name", "only '='"},
    {"+=1", 0, "may hold only letters", "key of a space"},
    {"a b=1", 0, "may hold only letters", "raw space in a key"},
    {"a%20b=1", 0, "may hold only letters", "escaped space in a key"},
    {"a/b=1", 0, "may hold only letters", "slash in a key"},
    {"a:b=1", 0, "may hold only letters", "colon in a key"},
    {"a%2Fb=1", 0, "may hold only letters", "escaped slash in a key"},
    {"\xc3\xa9=1", 0, "may hold only letters", "non-ASCII key"},
    {"%C3%A9=1", 0, "may hold only letters", "escaped non-ASCII key"},
    {"a\x01=1", 0, "may hold only letters", "control character in a key"},
    {"a%7F=1", 0, "may hold only letters", "DEL in a key"},
    {"a=%C3", 0, "the value of 'a' is not valid UTF-8", "truncated UTF-8"},
    {"a=%C3%28", 0, "is not valid UTF-8", "bad continuation byte"},
    {"a=%C0%AF", 0, "is not valid UTF-8", "overlong slash"},
    {"a=%E0%80%AF", 0, "is not valid UTF-8", "overlong three-byte"},
    {"a=%ED%A0%80", 0, "is not valid UTF-8", "surrogate"},
    {"a=%F4%90%80%80", 0, "is not valid UTF-8", "above U+10FFFF"},
    {"a=%FF", 0, "is not valid UTF-8", "byte FF"},
    {"a=%80", 0, "is not valid UTF-8", "stray continuation byte"},
    {"a=\xff", 0, "is not valid UTF-8", "raw invalid byte"},
    {"a=%01", 0, "the value of 'a' contains a control character", "U+0001"},
    {"a=%1B", 0, "contains a control character", "escape character"},
    {"a=%7F", 0, "contains a control character", "DEL"},
    {"a=x\x7f", 0, "contains a control character", "raw DEL"},
    {"a=%C2%85", 0, "contains a control character", "C1 control (NEL)"},
    {"a=%C2%9F", 0, "contains a control character", "last C1 control"},
    {"a=x\x01y", 0, "contains a control character", "raw control character"},
    {"a=%0B", 0, "contains a control character", "vertical tab"},
};

static void
test_urlencoded(void)
{
    at_error err = {0};
    fc_kvlist l;

    for (size_t i = 0; i < COUNT(url_good); i++) {
        const struct url_good *c = &url_good[i];
        size_t len = c->len ? c->len : strlen(c->in);
        int rc = fc_parse_urlencoded(c->in, len, &l, &err);
        if (!ok(rc == AT_OK, "urlencoded %s: accepted", c->what))
            diag("  error: %s", err.msg);
        dump_is(&l, c->want, "urlencoded", c->what);
        fc_kvlist_free(&l);
    }
    for (size_t i = 0; i < COUNT(url_bad); i++) {
        const struct url_bad *c = &url_bad[i];
        size_t len = c->len ? c->len : strlen(c->in);
        l.v = (fc_kv *) &l; /* garbage the parser must overwrite, not free */
        l.n = 7;
        err.msg[0] = 0;
        int rc = fc_parse_urlencoded(c->in, len, &l, &err);
        ok(rc == AT_EINVAL && err.code == AT_EINVAL && l.v == NULL && l.n == 0,
           "urlencoded %s: refused, nothing returned", c->what);
        has_str(err.msg, c->want, "urlencoded %s: message", c->what);
        ok(msg_safe(err.msg), "urlencoded %s: message is printable ASCII", c->what);
    }

    /* first value of a repeated key, missing keys */
    ok(fc_parse_urlencoded("a=1&b=2&a=3", 11, &l, &err) == AT_OK, "repeated key parses");
    const fc_kv *kv = fc_kv_get(&l, "a");
    ok(kv && kv == &l.v[0], "fc_kv_get finds the first of a repeated key");
    is_str(kv ? kv->value : NULL, "1", "first value of a repeated key");
    is_int(kv ? kv->len : 99, 1, "len of the value");
    ok(fc_kv_get(&l, "c") == NULL, "fc_kv_get of a missing key");
    ok(fc_kv_get(&l, "A") == NULL, "fc_kv_get is case-sensitive");
    ok(fc_kv_get(&l, NULL) == NULL, "fc_kv_get of NULL key");
    ok(fc_kv_get(NULL, "a") == NULL, "fc_kv_get on NULL list");
    fc_kvlist_free(&l);
    ok(l.v == NULL && l.n == 0, "fc_kvlist_free empties the list");
    fc_kvlist_free(&l);
    ok(l.v == NULL && l.n == 0, "a second fc_kvlist_free leaves the list empty (no double free)");
    fc_kvlist_free(NULL); /* harmless: a crash here would cut the plan short */

    /* value length is the decoded byte count */
    ok(fc_parse_urlencoded("v=%C3%A9+x", 10, &l, &err) == AT_OK, "value with escapes parses");
    is_int(l.n ? l.v[0].len : 0, 4, "len counts decoded bytes");
    fc_kvlist_free(&l);

    /* NULL and missing arguments */
    ok(fc_parse_urlencoded(NULL, 0, &l, &err) == AT_OK && l.n == 0, "NULL with length 0 is empty");
    ok(fc_parse_urlencoded(NULL, 5, &l, &err) == AT_EINVAL, "NULL with a length is refused");
    ok(fc_parse_urlencoded("a=1", 3, NULL, &err) == AT_EINVAL, "NULL list is refused");
    ok(fc_parse_urlencoded("a=%zz", 5, &l, NULL) == AT_EINVAL, "NULL error record is allowed");

    /* parameter count: exactly FC_PARAMS_MAX, and one more */
    char *s = repeat("a=1&", FC_PARAMS_MAX, "", "");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK && l.n == FC_PARAMS_MAX,
       "%d parameters accepted", FC_PARAMS_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("a=1&&", FC_PARAMS_MAX, "&&", "&");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK && l.n == FC_PARAMS_MAX,
       "empty pairs do not count toward the limit");
    fc_kvlist_free(&l);
    free(s);
    s = repeat("a=1&", FC_PARAMS_MAX, "", "b");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL && l.n == 0,
       "%d parameters refused", FC_PARAMS_MAX + 1);
    has_str(err.msg, "too many parameters (at most 256)", "too many parameters: message");
    free(s);
    s = repeat("a&", FC_PARAMS_MAX + 1000, "", "");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL, "far too many parameters refused");
    free(s);

    /* key length after decoding: exactly FC_KEY_MAX, and one more */
    s = repeat("k", FC_KEY_MAX, "", "=v");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK && l.n == 1 &&
           strlen(l.v[0].key) == FC_KEY_MAX,
       "key of %d bytes accepted", FC_KEY_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("k", FC_KEY_MAX + 1, "", "=v");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL, "key of %d bytes refused",
       FC_KEY_MAX + 1);
    has_str(err.msg, "the name of parameter 1 is longer than 64 bytes", "long key: message");
    ok(msg_safe(err.msg), "long key: message is printable ASCII");
    free(s);
    s = repeat("%6B", FC_KEY_MAX, "", "=v");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK, "escaped key of %d bytes accepted",
       FC_KEY_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("%6B", FC_KEY_MAX + 1, "", "=v");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL, "escaped key of %d bytes refused",
       FC_KEY_MAX + 1);
    free(s);
    s = repeat("k", FC_KEY_MAX, "a=1&", "=%zz");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL, "longest key in an error");
    has_str(err.msg,
            "the value of 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk' "
            "has an invalid %-escape at byte",
            "a 64-byte key is repeated whole in messages");
    free(s);

    /* value length after decoding: exactly FC_VALUE_MAX, and one more */
    s = repeat("x", FC_VALUE_MAX, "v=", "");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK && l.n == 1 &&
           l.v[0].len == FC_VALUE_MAX,
       "value of FC_VALUE_MAX bytes accepted");
    fc_kvlist_free(&l);
    free(s);
    s = repeat("x", FC_VALUE_MAX + 1, "v=", "");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_EINVAL,
       "value of FC_VALUE_MAX + 1 bytes refused");
    has_str(err.msg, "the value of 'v' is longer than 13631488 bytes", "long value: message");
    free(s);
    s = repeat("x", FC_VALUE_MAX - 1, "v=", "%41");
    ok(fc_parse_urlencoded(s, strlen(s), &l, &err) == AT_OK && l.n == 1 &&
           l.v[0].len == FC_VALUE_MAX,
       "value limit counts decoded bytes, not raw ones");
    fc_kvlist_free(&l);
    free(s);
}

/* ---- cookies ---- */

static const struct cookie_good {
    const char *in;
    const char *want;
    const char *what;
} cookie_good[] = {
    {NULL, "", "NULL header"},
    {"", "", "empty header"},
    {"   ", "", "header of spaces"},
    {";", "", "header of one ';'"},
    {"at_a=b", "at_a=b;", "one cookie"},
    {"at_a=b; at_c=d", "at_a=b;at_c=d;", "two cookies"},
    {"at_a=b;at_c=d", "at_a=b;at_c=d;", "no space after ';'"},
    {"at_a=b ;  at_c=d", "at_a=b;at_c=d;", "spaces around ';'"},
    {"at_a=b;\tat_c=d\t", "at_a=b;at_c=d;", "tabs around ';'"},
    {"  at_a=b  ", "at_a=b;", "spaces around the header"},
    {"at_a=b; ", "at_a=b;", "trailing '; '"},
    {"at_a=b;;at_c=d", "at_a=b;at_c=d;", "empty piece skipped"},
    {"at_a=", "at_a=;", "empty value"},
    {"at_a=\"\"", "at_a=;", "empty quoted value"},
    {"at_a=\"xyz\"", "at_a=xyz;", "quotes stripped"},
    {"at_a=\"x=y\"; at_b=2", "at_a=x=y;at_b=2;", "quoted value with '='"},
    {"at_a=b=c", "at_a=b=c;", "'=' in a value"},
    {"at_=1", "at_=1;", "the prefix alone is a name"},
    {"at_a=1; at_a=2", "at_a=1;at_a=2;", "a repeated name is kept each time, in order"},
    {"at_a=1; at_b=2; at_a=3", "at_a=1;at_b=2;at_a=3;", "repeated names among others"},
    {"at_A=1; at_a=2", "at_A=1;at_a=2;", "names are case-sensitive"},
    {"at_!#$%&'*+-.^_`|~09AZaz=1", "at_!#$%&'*+-.^_`|~09AZaz=1;",
     "every token character in a name"},
    {"at_a=!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~", "at_a=!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~;",
     "the edges of every cookie-octet range"},
    /* a neighbour's cookies, whatever they hold, are not read */
    {"pref=hello world", "", "another's: space in a value"},
    {"ui={\"a\":1}", "", "another's: JSON"},
    {"name=\xc3\xa9", "", "another's: non-ASCII value"},
    {"flag", "", "another's: a bare name"},
    {"=b", "", "another's: empty name"},
    {"a b=c; \xc3\xa9=1; x=\xff\x01", "", "another's: bad names and octets"},
    {"_ga=GA1.2.1234.5678; sid=abc%3D", "", "another's: everyday cookies"},
    {"pref=hello world; at_session=abc; flag; ui={\"a\":1}", "at_session=abc;",
     "ours among another's"},
    {"AT_a=x y; At_b; at=1; atx=2", "", "names that only look like ours"},
};

static const struct cookie_bad {
    const char *in;
    const char *want;
    const char *what;
} cookie_bad[] = {
    {"at_a", "cookie 1 has no '='", "no '='"},
    {"x=1; at_c", "cookie 2 has no '='", "second pair without '='"},
    {"at_a b=c", "the name of cookie 1 holds a character not allowed there", "space in a name"},
    {"at_a =b", "not allowed there", "space before '='"},
    {"at_a(b=c", "not allowed there", "separator in a name"},
    {"at_a@b=c", "not allowed there", "'@' in a name"},
    {"at_a/b=c", "not allowed there", "'/' in a name"},
    {"at_a\"b=c", "not allowed there", "quote in a name"},
    {"at_a\x01=1", "not allowed there", "control character in a name"},
    {"at_a\x7f=1", "not allowed there", "DEL in a name"},
    {"at_\xc3\xa9=1", "not allowed there", "non-ASCII name"},
    {"at_a=b c", "cookie 'at_a' holds a character not allowed in a cookie value",
     "space in a value"},
    {"at_a= b", "not allowed in a cookie value", "space after '='"},
    {"at_a=b,c", "not allowed in a cookie value", "comma in a value"},
    {"at_a=b\\c", "not allowed in a cookie value", "backslash in a value"},
    {"at_a=x\ty", "not allowed in a cookie value", "tab inside a value"},
    {"at_a=\"b", "not allowed in a cookie value", "opening quote only"},
    {"at_a=b\"", "not allowed in a cookie value", "closing quote only"},
    {"at_a=\"", "not allowed in a cookie value", "a lone quote"},
    {"at_a=\"b\"c\"", "not allowed in a cookie value", "quote inside quotes"},
    {"at_a=\"\"\"", "not allowed in a cookie value", "three quotes"},
    {"at_a=\xc3\xa9", "not allowed in a cookie value", "non-ASCII value"},
    {"at_a=x\x7f", "not allowed in a cookie value", "DEL in a value"},
    {"at_a=x\x01", "not allowed in a cookie value", "control character in a value"},
    {"at_ok=1; at_bad=\xff", "cookie 'at_bad' holds", "error in the second pair names it"},
    {"pref=hello world; at_a=b c", "cookie 'at_a' holds", "ours stays strict beside another's"},
};

static void
test_cookies(void)
{
    at_error err = {0};
    fc_kvlist l;

    for (size_t i = 0; i < COUNT(cookie_good); i++) {
        const struct cookie_good *c = &cookie_good[i];
        int rc = fc_parse_cookies(c->in, &l, &err);
        if (!ok(rc == AT_OK, "cookies %s: accepted", c->what))
            diag("  error: %s", err.msg);
        dump_is(&l, c->want, "cookies", c->what);
        fc_kvlist_free(&l);
    }
    for (size_t i = 0; i < COUNT(cookie_bad); i++) {
        const struct cookie_bad *c = &cookie_bad[i];
        l.v = (fc_kv *) &l;
        l.n = 7;
        err.msg[0] = 0;
        int rc = fc_parse_cookies(c->in, &l, &err);
        ok(rc == AT_EINVAL && err.code == AT_EINVAL && l.v == NULL && l.n == 0,
           "cookies %s: refused, nothing returned", c->what);
        has_str(err.msg, c->want, "cookies %s: message", c->what);
        ok(msg_safe(err.msg), "cookies %s: message is printable ASCII", c->what);
    }
    ok(fc_parse_cookies("at_a=1", NULL, &err) == AT_EINVAL, "NULL list is refused");
    ok(fc_parse_cookies("at_a", &l, NULL) == AT_EINVAL, "NULL error record is allowed");

    ok(fc_parse_cookies("at_sid=abc; at_theme=dark; at_theme=light", &l, &err) == AT_OK,
       "lookup cookies parse");
    const fc_kv *kv = fc_kv_get(&l, "at_theme");
    is_str(kv ? kv->value : NULL, "dark", "fc_kv_get on cookies: the first of a repeated name");
    is_int(kv ? kv->len : 0, 4, "cookie value length");
    fc_kvlist_free(&l);

    /* name length */
    char *s = repeat("n", FC_KEY_MAX - 3, "at_", "=1");
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == 1, "cookie name of %d bytes accepted",
       FC_KEY_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("n", FC_KEY_MAX - 2, "at_", "=1");
    ok(fc_parse_cookies(s, &l, &err) == AT_EINVAL, "cookie name of %d bytes refused",
       FC_KEY_MAX + 1);
    has_str(err.msg, "the name of cookie 1 is longer than 64 bytes", "long cookie name: message");
    free(s);

    /* value size, bare and quoted */
    s = repeat("v", FC_COOKIE_MAX, "at_c=", "");
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == 1 && l.v[0].len == FC_COOKIE_MAX,
       "cookie value of %d bytes accepted", FC_COOKIE_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("v", FC_COOKIE_MAX, "at_c=\"", "\"");
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == 1 && l.v[0].len == FC_COOKIE_MAX,
       "quoted cookie value of %d bytes accepted", FC_COOKIE_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat("v", FC_COOKIE_MAX + 1, "at_c=", "");
    ok(fc_parse_cookies(s, &l, &err) == AT_EINVAL, "cookie value of %d bytes refused",
       FC_COOKIE_MAX + 1);
    has_str(err.msg, "cookie 'at_c' is longer than 4096 bytes", "long cookie: message");
    free(s);

    /* cookie count */
    s = many_cookies("at_c", FC_COOKIES_MAX);
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == FC_COOKIES_MAX, "%d cookies accepted",
       FC_COOKIES_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = many_cookies("at_c", FC_COOKIES_MAX + 1);
    ok(fc_parse_cookies(s, &l, &err) == AT_EINVAL && l.n == 0, "%d cookies refused",
       FC_COOKIES_MAX + 1);
    has_str(err.msg, "too many of our cookies (at most 64)", "too many cookies: message");
    free(s);
    s = many_cookies("c", 2 * FC_COOKIES_MAX);
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == 0,
       "%d cookies of another application are no count of ours", 2 * FC_COOKIES_MAX);
    free(s);

    /* header size */
    s = repeat(" ", FC_HEADER_MAX - 6, "at_a=1", "");
    ok(fc_parse_cookies(s, &l, &err) == AT_OK && l.n == 1, "Cookie header of %d bytes accepted",
       FC_HEADER_MAX);
    fc_kvlist_free(&l);
    free(s);
    s = repeat(" ", FC_HEADER_MAX - 5, "at_a=1", "");
    ok(fc_parse_cookies(s, &l, &err) == AT_EINVAL, "Cookie header of %d bytes refused",
       FC_HEADER_MAX + 1);
    has_str(err.msg, "the Cookie header is longer than 8192 bytes", "long header: message");
    free(s);
    s = repeat("x", 1000000, "at_a=", "");
    ok(fc_parse_cookies(s, &l, &err) == AT_EINVAL, "Cookie header of a megabyte refused");
    free(s);
}

/* ---- Accept ---- */

#define BROWSER                                                                                    \
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/"    \
    "*;q=0.8,application/signed-exchange;v=b3;q=0.7"
#define BROWSER2 "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

static const struct accept_case {
    const char *header;
    const char *type;
    int want;
    const char *what;
} accept_cases[] = {
    {BROWSER, "text/html", 1000, "browser, text/html"},
    {BROWSER, "application/xhtml+xml", 1000, "browser, xhtml"},
    {BROWSER, "application/xml", 900, "browser, application/xml"},
    {BROWSER, "image/webp", 1000, "browser, image/webp"},
    {BROWSER, "image/png", 800, "browser, image/png falls to the star pair"},
    {BROWSER, "application/json", 800, "browser, application/json"},
    {BROWSER, "application/signed-exchange", 700, "browser, parameters before q ignored"},
    {BROWSER, "TEXT/HTML", 1000, "browser, type in capitals"},
    {BROWSER2, "application/json", 800, "second browser, application/json"},
    {BROWSER2, "text/html", 1000, "second browser, text/html"},
    {"*/*", "text/html", 1000, "any type, text/html"},
    {"*/*", "application/json", 1000, "any type, application/json"},
    {"application/xml", "text/html", 0, "only xml, text/html"},
    {"application/xml", "application/xml", 1000, "only xml, xml"},
    {"Application/XML", "application/xml", 1000, "header in capitals"},
    {"application/xml", "Application/Xml", 1000, "type in mixed case"},
    {"text/html;q=0.5, application/xhtml+xml;q=0", "text/html", 500, "q=0.5"},
    {"text/html;q=0.5, application/xhtml+xml;q=0", "application/xhtml+xml", 0, "q=0"},
    {"text/html;q=0.5, application/xhtml+xml;q=0", "application/json", 0, "no match"},
    /* specificity */
    {"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", "text/html", 700, "exact beats type/*"},
    {"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", "text/plain", 300, "type/* beats */*"},
    {"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", "image/png", 500, "*/* when nothing else"},
    {"text/html;q=0, */*", "text/html", 0, "exact q=0 beats */*"},
    {"text/html;q=0, */*", "image/png", 1000, "*/* for the rest"},
    {"*/*;q=0.1, text/*", "text/plain", 1000, "order does not matter"},
    {"text/*", "application/json", 0, "type/* of another type"},
    {"text/html;level=1;q=0, text/html", "text/html", 1000, "equal ranks: best q"},
    {"text/html;q=0.2, text/html;q=0.6", "text/html", 600, "repeated range: best q"},
    {"text/html;q=0.6, text/html;level=1;q=0.2", "text/html", 600, "equal ranks: order ignored"},
    /* q values */
    {"text/html;q=1", "text/html", 1000, "q=1"},
    {"text/html;q=1.", "text/html", 1000, "q=1."},
    {"text/html;q=1.0", "text/html", 1000, "q=1.0"},
    {"text/html;q=1.000", "text/html", 1000, "q=1.000"},
    {"text/html;q=0.", "text/html", 0, "q=0."},
    {"text/html;q=0.05", "text/html", 50, "q=0.05"},
    {"text/html;q=0.123", "text/html", 123, "three decimals"},
    {"text/html;q=0.001", "text/html", 1, "smallest q"},
    {"text/html;Q=0.5", "text/html", 500, "Q in capitals"},
    {"text/html ; q=0.5", "text/html", 500, "spaces around ';'"},
    {"text/html;\tq=0.5", "text/html", 500, "tab after ';'"},
    {"text/html;q=0.5;q=1", "text/html", 500, "first q counts"},
    {"text/html;q=0.4;charset=utf-8", "text/html", 400, "parameter after q"},
    /* invalid q: the range counts, with q=0 */
    {"text/html;q=1.5, */*", "text/html", 0, "q=1.5"},
    {"text/html;q=1.001", "text/html", 0, "q=1.001"},
    {"text/html;q=2", "text/html", 0, "q=2"},
    {"text/html;q=0.1234", "text/html", 0, "four decimals"},
    {"text/html;q=.5", "text/html", 0, "q=.5"},
    {"text/html;q=-1", "text/html", 0, "negative q"},
    {"text/html;q=abc", "text/html", 0, "q=abc"},
    {"text/html;q=0.5x", "text/html", 0, "q with junk"},
    {"text/html;q=, */*", "text/html", 0, "empty q"},
    {"text/html;q=\"0.5\"", "text/html", 0, "quoted q"},
    {"text/html;q=0.5e1", "text/html", 0, "exponent"},
    /* unreadable ranges are ignored */
    {"garbage", "text/html", 0, "a word"},
    {"text", "text/html", 0, "type without subtype"},
    {"text/", "text/html", 0, "empty subtype"},
    {"/html", "text/html", 0, "empty type"},
    {"*/html, text/html;q=0.2", "text/html", 200, "star type with a subtype is ignored"},
    {"text/html;foo, */*;q=0.3", "text/html", 300, "parameter without '=' spoils the range"},
    {"text/html;q = 0.5, */*;q=0.3", "text/html", 300, "spaces around '=' spoil the range"},
    {"text/html junk, */*;q=0.3", "text/html", 300, "junk after the range"},
    {"text/html;foo=\"a,b\";q=0.4, image/png", "text/html", 400, "comma inside quotes"},
    {"text/html;foo=\"a,b\";q=0.4, image/png", "image/png", 1000, "range after quotes"},
    {"text/html;foo=\"a\\\"b\";q=0.4", "text/html", 400, "escaped quote inside quotes"},
    {"text/html;a=\"x, */*", "text/html", 0, "unterminated quote swallows the rest"},
    {"\xff\xfe/\x01, text/html;q=0.9", "text/html", 900, "binary junk ignored"},
    /* empty and blank */
    {NULL, "text/html", 1000, "NULL header"},
    {"", "text/html", 1000, "empty header"},
    {"   ", "text/html", 1000, "blank header"},
    {" , ,", "text/html", 1000, "header of empty elements"},
    {" text/html , application/json;q=0.2 ", "application/json", 200, "spaces everywhere"},
    {",text/html,", "text/html", 1000, "empty elements around"},
    /* the type asked about must be "token/token" */
    {"*/*", NULL, 0, "NULL type"},
    {"*/*", "", 0, "empty type"},
    {"*/*", "text", 0, "type without '/'"},
    {"*/*", "text/", 0, "type without subtype"},
    {"*/*", "/html", 0, "type without main type"},
    {"*/*", "text/html;charset=utf-8", 0, "type with parameters"},
    {NULL, "text", 0, "bad type and no header"},
};

static const struct enc_case {
    const char *header;
    int want;
    const char *what;
} enc_cases[] = {
    {NULL, 0, "NULL"},
    {"", 0, "empty"},
    {" ", 0, "blank"},
    {"gzip, deflate, br", 1000, "a browser's header"},
    {"gzip, deflate, br, zstd", 1000, "with zstd"},
    {"gzip;q=0", 0, "gzip refused"},
    {"*;q=0.1", 100, "star only"},
    {"*", 1000, "bare star"},
    {"identity", 0, "identity only"},
    {"x-gzip", 1000, "x-gzip"},
    {"GZIP", 1000, "capitals"},
    {"X-Gzip;Q=0.3", 300, "x-gzip in capitals with Q"},
    {"deflate, gzip;q=0.5", 500, "gzip weighed"},
    {"gzip;q=0, *", 0, "gzip beats star, even at q=0"},
    {"*;q=0.2, gzip;q=0.8", 800, "gzip beats star"},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", 800, "three codings"},
    {"deflate, *;q=0.4", 400, "star stands in for gzip"},
    {"gzip;q=1.5", 0, "invalid q"},
    {"gzip;q=0.001", 1, "smallest q"},
    {"gzip;q=1.000", 1000, "q=1.000"},
    {"gzipx, gzip2", 0, "longer names do not match"},
    {"gzip/1, *;q=0.5", 500, "unreadable element ignored"},
    {" gzip ; q=0.7 ", 700, "spaces"},
    {"gzip;q=0.5, x-gzip;q=0.9", 900, "both names: best q"},
    {",,gzip,,", 1000, "empty elements"},
};

static void
test_accept(void)
{
    for (size_t i = 0; i < COUNT(accept_cases); i++) {
        const struct accept_case *c = &accept_cases[i];
        is_int(fc_accept_q(c->header, c->type), c->want, "Accept %s", c->what);
    }

    /* header size */
    char *s = repeat(" ", FC_HEADER_MAX - 9, "text/html", "");
    is_int(fc_accept_q(s, "text/html"), 1000, "Accept header of %d bytes is read", FC_HEADER_MAX);
    free(s);
    s = repeat(" ", FC_HEADER_MAX - 8, "text/html", "");
    is_int(fc_accept_q(s, "text/html"), 0, "Accept header of %d bytes gives 0", FC_HEADER_MAX + 1);
    is_int(fc_accept_q(s, "image/png"), 0, "oversized Accept gives 0 for everything");
    free(s);
    s = repeat("*/*, ", 200000, "", "");
    is_int(fc_accept_q(s, "text/html"), 0, "Accept header of a megabyte gives 0");
    free(s);

    for (size_t i = 0; i < COUNT(enc_cases); i++) {
        const struct enc_case *c = &enc_cases[i];
        is_int(fc_accept_gzip(c->header), c->want, "Accept-Encoding %s", c->what);
    }
    s = repeat(" ", FC_HEADER_MAX - 4, "gzip", "");
    is_int(fc_accept_gzip(s), 1000, "Accept-Encoding of %d bytes is read", FC_HEADER_MAX);
    free(s);
    s = repeat(" ", FC_HEADER_MAX - 3, "gzip", "");
    is_int(fc_accept_gzip(s), 0, "Accept-Encoding of %d bytes gives 0", FC_HEADER_MAX + 1);
    free(s);
}

/* ---- fc_text_ok ---- */

static const struct text_case {
    const char *s;
    size_t max;
    int want;
    const char *what;
} text_cases[] = {
    {NULL, 10, 0, "NULL"},
    {"", 0, 1, "empty within 0"},
    {"abc", 3, 1, "exactly the limit"},
    {"abcd", 3, 0, "one over the limit"},
    {"\xc3\xa9", 2, 1, "limit counts bytes: two"},
    {"\xc3\xa9", 1, 0, "limit counts bytes: one is too few"},
    {"a\tb\r\nc", 10, 1, "tab, CR, LF"},
    {"a\x01", 10, 0, "U+0001"},
    {"\x1f", 10, 0, "U+001F"},
    {"a\x7f", 10, 0, "DEL"},
    {"\xc2\x80", 10, 0, "U+0080"},
    {"\xc2\x85", 10, 0, "NEL"},
    {"\xc2\x9f", 10, 0, "U+009F"},
    {"\xc2\xa0", 10, 1, "U+00A0"},
    {"caf\xc3", 10, 0, "truncated UTF-8"},
    {"\xc0\xaf", 10, 0, "overlong"},
    {"\xed\xa0\x80", 10, 0, "surrogate"},
    {"\xf4\x90\x80\x80", 10, 0, "above U+10FFFF"},
    {"\xf0\x9f\x9a\x80", 4, 1, "four-byte character"},
    {"/tasks/42?x=1", SIZE_MAX, 1, "no limit"},
};

static void
test_text(void)
{
    for (size_t i = 0; i < COUNT(text_cases); i++) {
        const struct text_case *c = &text_cases[i];
        is_int(fc_text_ok(c->s, c->max), c->want, "fc_text_ok %s", c->what);
    }
    char *s = repeat("x", 1000000, "", "");
    is_int(fc_text_ok(s, 100), 0, "fc_text_ok stops early on a long string");
    is_int(fc_text_ok(s, 1000000), 1, "fc_text_ok of a megabyte within its limit");
    free(s);
}

/* ---- random input ---- */

static uint64_t rng_state = 0x6173796e637461ULL; /* fixed: runs repeat */

static uint32_t
rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

enum { FORM, COOKIE, ACCEPT, ENCODING, KINDS };

/* Pieces of well-formed input for each parser: separators, then the
 * things they separate. */
static const char *const seps[KINDS][3] = {
    {"&", "&&", "&"}, {"; ", ";", " ;  "}, {",", ", ", " , "}, {",", ", ", " ,"}};
static const char *const atoms[KINDS][8] = {
    {"a=1", "ids[]=7", "x.y=hello+world", "n=%C3%A9t%C3%A9", "k_1=", "q=a%20b%2B", "t=%0D%0A", "a"},
    {"at_sid=abc", "at_a=1", "_ga=GA1.2.3", "at_q=\"v\"", "ui={\"a\":1}", "at_!x=%41",
     "at_A=b=c", "at_a=2"},
    {"text/html", "*/*;q=0.8", "text/*;q=0.3", "application/json;q=1.000", "image/png;level=1",
     "text/html;q=0", "a/b;x=\"1,2\"", "*/*"},
    {"gzip", "x-gzip;q=0.5", "*;q=0.1", "br", "deflate;q=0", "identity", "gzip;q=1.", "*"}};

/* Fills buf (room for cap bytes and a NUL) and returns the length: any
 * bytes, bytes the parsers treat specially, or well-formed input for kind
 * with now and then one byte changed, so that both the error and the
 * success paths are walked deep. */
static size_t
fill(char *buf, size_t cap, int mode, int kind)
{
    static const char special[] = "%=&+;,\"\\/* \t.0123456789abcdefABCDEFqQxyz[]_-\x01\x7f\xc2"
                                  "\x85\xc3\xa9\xff";
    size_t len = rng() % (cap + 1), n = 0;
    if (mode == 0) {
        for (; n < len; n++)
            buf[n] = (char) rng();
    } else if (mode == 1) {
        for (; n < len; n++)
            buf[n] = special[rng() % (sizeof special - 1)];
    } else {
        for (int first = 1;; first = 0) {
            const char *sep = first ? "" : seps[kind][rng() % 3];
            const char *atom = atoms[kind][rng() % 8];
            size_t sl = strlen(sep), al = strlen(atom);
            if (n + sl + al > len)
                break;
            memcpy(buf + n, sep, sl);
            memcpy(buf + n + sl, atom, al);
            n += sl + al;
        }
        if (n && rng() % 4 == 0)
            buf[rng() % n] = (char) rng();
    }
    buf[n] = 0;
    return n;
}

static int
key_ok(const char *k, int cookie)
{
    size_t n = strlen(k);
    if (n < 1 || n > FC_KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) k[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (cookie ? !(alnum || strchr("!#$%&'*+-.^_`|~", c)) : !(alnum || strchr("_.-[]", c)))
            return 0;
    }
    return 1;
}

/* What every successful list promises, and an empty list after failure. */
static int
list_sound(int rc, const fc_kvlist *l, const at_error *err, int cookie)
{
    if (rc != AT_OK)
        return rc == AT_EINVAL && l->v == NULL && l->n == 0 && msg_safe(err->msg);
    if (l->n > (cookie ? FC_COOKIES_MAX : FC_PARAMS_MAX) || (l->n && !l->v))
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        const fc_kv *kv = &l->v[i];
        if (!key_ok(kv->key, cookie) || strlen(kv->value) != kv->len ||
            !fc_text_ok(kv->value, SIZE_MAX))
            return 0;
        if (cookie && (kv->len > FC_COOKIE_MAX || strchr(kv->value, '"') ||
                       strchr(kv->value, ' ') || strchr(kv->value, ';') ||
                       strncmp(kv->key, FC_COOKIE_PREFIX, strlen(FC_COOKIE_PREFIX)) != 0))
            return 0;
    }
    return 1;
}

static void
test_random(void)
{
    static const char *const types[] = {"text/html", "application/json", "image/png", "a/b"};
    char buf[301];
    int urls = 1, cookies = 1, accepts = 1, texts = 1;
    long url_accepted = 0, cookie_accepted = 0, q_positive = 0, gzip_positive = 0;
    at_error err;

    for (int iter = 0; iter < 200000; iter++) {
        int mode = (int) (rng() % 3);
        fc_kvlist l;
        size_t len = fill(buf, 300, mode, FORM);
        err.msg[0] = 0;
        int rc = fc_parse_urlencoded(buf, len, &l, &err);
        if (!list_sound(rc, &l, &err, 0) && urls) {
            urls = 0;
            diag("  urlencoded unsound at iteration %d (rc %d: %s)", iter, rc, err.msg);
        }
        url_accepted += rc == AT_OK && l.n > 0;
        fc_kvlist_free(&l);

        fill(buf, 300, mode, COOKIE);
        err.msg[0] = 0;
        rc = fc_parse_cookies(buf, &l, &err);
        if (!list_sound(rc, &l, &err, 1) && cookies) {
            cookies = 0;
            diag("  cookies unsound at iteration %d (rc %d: %s)", iter, rc, err.msg);
        }
        cookie_accepted += rc == AT_OK && l.n > 0;
        fc_kvlist_free(&l);

        fill(buf, 300, mode, ACCEPT);
        for (size_t t = 0; t < COUNT(types); t++) {
            int q = fc_accept_q(buf, types[t]);
            if ((q < 0 || q > 1000) && accepts) {
                accepts = 0;
                diag("  Accept q %d at iteration %d", q, iter);
            }
            q_positive += buf[0] && q > 0;
        }
        /* the type asked about is not trusted either */
        int q = fc_accept_q("text/html, */*;q=0.5", buf);
        fill(buf, 300, mode, ENCODING);
        int g = fc_accept_gzip(buf);
        gzip_positive += g > 0;
        if ((q < 0 || q > 1000 || g < 0 || g > 1000) && accepts) {
            accepts = 0;
            diag("  q %d / gzip %d at iteration %d", q, g, iter);
        }
        int t = fc_text_ok(buf, rng() % 301);
        if (t != 0 && t != 1 && texts) {
            texts = 0;
            diag("  fc_text_ok %d at iteration %d", t, iter);
        }
    }
    ok(urls, "200000 random inputs: urlencoded returns sound lists or clean errors");
    ok(cookies, "200000 random inputs: cookies return sound lists or clean errors");
    ok(accepts, "200000 random inputs: q-values stay within 0..1000");
    ok(texts, "200000 random inputs: fc_text_ok answers 0 or 1");
    ok(url_accepted > 10000 && cookie_accepted > 10000 && q_positive > 10000 &&
           gzip_positive > 10000,
       "random inputs reach the success paths too (%ld forms, %ld cookie headers, %ld q > 0, "
       "%ld gzip > 0)",
       url_accepted, cookie_accepted, q_positive, gzip_positive);
}

int
main(void)
{
    test_urlencoded();
    test_cookies();
    test_accept();
    test_text();
    test_random();
    return done_testing();
}
