/* request.h: parsing what a client sends: query strings, urlencoded forms,
 * cookies, Accept and Accept-Encoding. Pure functions over strings: no
 * FastCGI, no database, no globals, so that they can be tested and fuzzed
 * on their own. Every input is untrusted; every failure is AT_EINVAL (or
 * AT_ENOMEM) with a message fit to show the client. */
#ifndef FC_REQUEST_H
#define FC_REQUEST_H

#include <stddef.h>

#include <asynctasks/error.h>

#define FC_PARAMS_MAX    256           /* pairs in one query string or form */
#define FC_KEY_MAX       64            /* bytes of a parameter name */
#define FC_VALUE_MAX     (13u << 20)   /* bytes of one decoded value */
#define FC_COOKIE_PREFIX "at_"         /* what names our cookies */
#define FC_COOKIES_MAX   64            /* of ours in one header */
#define FC_COOKIE_MAX    4096          /* bytes of one cookie value */
#define FC_HEADER_MAX    8192          /* bytes of an Accept or Cookie header */

typedef struct fc_kv {
    char *key;   /* NUL-terminated, 1..FC_KEY_MAX bytes: [A-Za-z0-9_.-] and [] for
                    forms, HTTP token characters for cookies */
    char *value; /* NUL-terminated, valid UTF-8, may be empty */
    size_t len;  /* of value */
} fc_kv;

typedef struct fc_kvlist {
    fc_kv *v;
    size_t n;
} fc_kvlist;

/* application/x-www-form-urlencoded, as in a query string or a POST body:
 * pairs split on '&' (empty pairs skipped), key and value split on the
 * first '=', '+' is a space, %XX is a byte (a malformed escape is an
 * error). Decoded keys must match the key rule; decoded values must be
 * valid UTF-8 without control characters other than tab, CR and LF.
 * A key may repeat (checkbox lists). A pair without '=' has an empty
 * value. */
int fc_parse_urlencoded(const char *s, size_t len, fc_kvlist *out, at_error *err);

/* The Cookie header: "name=value; name2=value2". Only our own cookies,
 * those whose names begin with FC_COOKIE_PREFIX, are read: a browser sends
 * us the cookies of every application on the host and its parent domains,
 * and what they hold is none of our business. Ours are checked strictly:
 * names of at most FC_KEY_MAX of the cookie-name token characters, values
 * of cookie-octets (optionally in double quotes), at most FC_COOKIE_MAX,
 * at most FC_COOKIES_MAX of them. A repeated name is kept each time, in
 * the header's order (fc_kv_get finds the first): the caller decides what
 * two of them mean. "cookie N" in a message counts every cookie. */
int fc_parse_cookies(const char *s, fc_kvlist *out, at_error *err);

void fc_kvlist_free(fc_kvlist *l);

/* The first value of key, or NULL. */
const fc_kv *fc_kv_get(const fc_kvlist *l, const char *key);
/* The next pair of key after kv (one of l's), or NULL. */
const fc_kv *fc_kv_get_after(const fc_kvlist *l, const fc_kv *kv, const char *key);

/* The q-value (0..1000) an Accept header gives the media type "type/sub":
 * the most specific matching range wins: "type/sub", then "type/" followed
 * by a star, then the star pair. A NULL or empty header accepts everything
 * (1000). A range without q counts 1000, one with an invalid q counts 0, and
 * an unreadable range matches nothing. */
int fc_accept_q(const char *accept, const char *type);

/* The q-value (0..1000) Accept-Encoding gives "gzip" (or "*"); identity
 * handling is not needed. NULL or empty: 0. */
int fc_accept_gzip(const char *accept_encoding);

/* 1 when s is valid UTF-8 of at most max bytes with no control characters
 * but tab, CR, LF (for headers and paths). */
int fc_text_ok(const char *s, size_t max);

#endif
