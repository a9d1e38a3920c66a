/* fuzz_route_params.c: a fuzz target for what the app reads from a query
 * string or a form (fcgi/params.c over fcgi/request.c's urlencoded
 * parser): one parameter of every kind the routes declare, among them the
 * audit log's cursors (before, after: ids), the task list's cursors, the
 * login's next= (a local path that becomes a Location), times (run_at,
 * lib/time.c) and CSRF tokens. The input is the query string. Every value
 * that passes is held to its kind: in range, a path that stays on this
 * site and percent-encodes to a header-safe Location, a time that reads
 * back from its ISO form; a refusal is a message in valid UTF-8. */
#include <inttypes.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "fuzz.h"
#include "params.h"
#include "uri.h"

static const char *const formats[] = {"html", "xml", NULL};

enum {
    P_BUSINESS, P_FORMAT, P_LIMIT, P_BEFORE, P_AFTER, P_TARGET, P_Q, P_PAYLOAD, P_CURSOR,
    P_CSRF, P_RUN_AT, P_NEXT, P_COUNT
};

static const fc_param spec[P_COUNT] = {
    [P_BUSINESS] = {"business", FC_P_SLUG, 0, 0, 0, NULL, NULL},
    [P_FORMAT] = {"format", FC_P_ENUM, 0, 0, 0, formats, "html"},
    [P_LIMIT] = {"priority", FC_P_INT, 0, -100, 100, NULL, "0"},
    [P_BEFORE] = {"before", FC_P_ID, 0, 0, 0, NULL, NULL},
    [P_AFTER] = {"after", FC_P_ID, 0, 0, 0, NULL, NULL},
    [P_TARGET] = {"target", FC_P_IDS, 0, 0, 0, NULL, NULL},
    [P_Q] = {"q", FC_P_TEXT, 0, 0, 100, NULL, NULL},
    [P_PAYLOAD] = {"payload", FC_P_MULTILINE, 0, 0, 2000, NULL, NULL},
    [P_CURSOR] = {"cursor", FC_P_CURSOR, 0, 0, 0, NULL, NULL},
    [P_CSRF] = {"csrf", FC_P_TOKEN, 0, 0, 0, NULL, NULL},
    [P_RUN_AT] = {"run_at", FC_P_TIME, 0, 0, 0, NULL, NULL},
    [P_NEXT] = {"next", FC_P_PATH, 0, 0, 0, NULL, NULL},
};

#define NOW ((at_time) 1767225600 * 1000000) /* 2026-01-01 00:00:00 UTC */

static int
number_is(const char *s, long long v)
{
    char *end;
    return strtoll(s, &end, 10) == v && *end == 0;
}

static void
check_path(const char *s)
{
    fuzz_check(s[0] == '/' && s[1] != '/' && s[1] != '\\');
    size_t n = fc_uri_len(s);
    fuzz_check(n <= FC_LOCATION_MAX);
    char *loc = malloc(n + 1);
    fuzz_check(loc != NULL);
    fc_uri_write(s, loc);
    fuzz_check(strlen(loc) == n && loc[0] == '/' && loc[1] != '/' && loc[1] != '\\');
    /* nothing that could end the header, nothing but ASCII */
    for (const unsigned char *p = (const unsigned char *) loc; *p; p++)
        fuzz_check(*p > 0x20 && *p < 0x7f);
    free(loc);
}

static void
check_time(at_time t)
{
    fuzz_check(t > 0);
    char iso[64];
    at_time_iso(t, iso, sizeof iso);
    at_time back = 0;
    at_error err = {0};
    fuzz_check(at_time_parse(iso, NOW, &back, &err) == AT_OK && back == t);
}

static void
check_accepted(const fc_kvlist *in, const fc_value *v)
{
    at_error err = {0};
    for (int k = 0; k < P_COUNT; k++) {
        if (!v[k].present)
            continue;
        const char *s = v[k].s;
        if (k != P_TARGET)
            fuzz_check(s != NULL);
        switch (spec[k].type) {
        case FC_P_SLUG: fuzz_check(at_check_slug(s, &err) == AT_OK); break;
        case FC_P_ENUM:
            fuzz_check(v[k].i >= 0 && v[k].i < 2 && strcmp(s, formats[v[k].i]) == 0);
            break;
        case FC_P_INT:
            fuzz_check(v[k].i >= spec[k].min && v[k].i <= spec[k].max && number_is(s, v[k].i));
            break;
        case FC_P_ID: fuzz_check(v[k].i >= 1 && number_is(s, v[k].i)); break;
        case FC_P_IDS: {
            size_t given = 0;
            for (size_t i = 0; i < in->n; i++)
                given += strcmp(in->v[i].key, spec[k].name) == 0;
            fuzz_check(v[k].nids == given && given > 0);
            for (size_t i = 0; i < v[k].nids; i++)
                fuzz_check(v[k].ids[i] >= 1);
            break;
        }
        case FC_P_TEXT:
            fuzz_check(at_text_check("text", s, (size_t) spec[k].max, 1, 0, &err) == AT_OK);
            break;
        case FC_P_MULTILINE: fuzz_check(strlen(s) <= (size_t) spec[k].max); break;
        case FC_P_CURSOR:
            fuzz_check(strlen(s) < AT_CURSOR_BUF &&
                       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s));
            break;
        case FC_P_TOKEN:
            fuzz_check(strlen(s) == AT_TOKEN_LEN &&
                       strspn(s, "0123456789abcdef") == AT_TOKEN_LEN);
            break;
        case FC_P_TIME: check_time(v[k].t); break;
        case FC_P_PATH: check_path(s); break;
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_bytes(data, size);
    fc_kvlist in = {0};
    at_error err = {0};
    if (fc_parse_urlencoded(q, size, &in, &err) == AT_OK) {
        fc_value v[P_COUNT];
        int rc = fc_params_check(spec, P_COUNT, &in, NOW, v, &err);
        if (rc == AT_OK) {
            check_accepted(&in, v);
        } else {
            fuzz_check(rc == AT_EINVAL || rc == AT_ENOMEM);
            fuzz_check(err.msg[0] && at_utf8_valid(err.msg, strlen(err.msg)));
        }
        fc_params_free(v, P_COUNT);
        fc_kvlist_free(&in);
    }
    free(q);
    return 0;
}
