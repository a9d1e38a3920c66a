/* request.c: parsers for what a client sends: urlencoded query strings and
 * forms, the Cookie header, Accept and Accept-Encoding. Every byte here
 * comes from the network, so each parser bounds its work and its output,
 * words its errors so they can be shown to the client without repeating
 * bytes that failed validation, and leaves nothing allocated when it fails. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/util.h>

#include "request.h"

/* ---- shared helpers ---- */

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char) (c - 'A' + 'a') : c;
}

/* The HTTP token characters, which are also the cookie-name characters. */
static int
is_tchar(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* Length of s, but no more than max + 1 bytes are read: enough to tell that
 * s is too long without walking an unbounded string. */
static size_t
bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n <= max && s[n])
        n++;
    return n;
}

enum text_verdict { TEXT_OK, TEXT_BAD_UTF8, TEXT_CONTROL };

/* Values and headers may hold any character but the controls (C0, DEL and
 * C1), tab, CR and LF excepted because textareas send them. */
static int
text_verdict(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    if (!at_utf8_valid(s, len))
        return TEXT_BAD_UTF8;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F)
            return TEXT_CONTROL;
        /* In valid UTF-8, U+0080..U+009F are exactly C2 80..C2 9F. */
        if (c == 0xC2 && i + 1 < len && p[i + 1] < 0xA0)
            return TEXT_CONTROL;
    }
    return TEXT_OK;
}

static int
oom(at_error *err)
{
    return at_error_set(err, AT_ENOMEM, "out of memory");
}

/* Appends a pair taking ownership of key and value, which are freed on
 * failure so that the caller has one thing less to undo. */
static int
list_push(fc_kvlist *l, size_t *cap, char *key, char *value, size_t len, at_error *err)
{
    if (l->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        fc_kv *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) {
            free(key);
            free(value);
            return oom(err);
        }
        l->v = nv;
        *cap = ncap;
    }
    l->v[l->n].key = key;
    l->v[l->n].value = value;
    l->v[l->n].len = len;
    l->n++;
    return AT_OK;
}

static char *
copy_bytes(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

/* ---- application/x-www-form-urlencoded ---- */

static int
key_char_ok(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-' || c == '[' || c == ']';
}

/* Decodes s[0..len) ('+' and %XX) into a fresh NUL-terminated string. The
 * first pass only measures, so that an oversized field is refused before
 * anything is allocated for it. base is the field's offset in the whole
 * input and what names the field; both are for the messages only. */
static int
url_decode(const char *s, size_t len, size_t base, size_t limit, const char *what, char **out,
           size_t *outlen, at_error *err)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t n = 0;
    *out = NULL;
    for (size_t i = 0; i < len; n++) {
        if (p[i] == '%') {
            if (len - i < 3)
                return at_error_set(err, AT_EINVAL,
                                    "%s has an incomplete %%-escape at byte %zu: '%%' must be "
                                    "followed by two hex digits",
                                    what, base + i + 1);
            int hi = hex_value(p[i + 1]), lo = hex_value(p[i + 2]);
            if (hi < 0 || lo < 0)
                return at_error_set(err, AT_EINVAL,
                                    "%s has an invalid %%-escape at byte %zu: '%%' must be "
                                    "followed by two hex digits",
                                    what, base + i + 1);
            if (hi == 0 && lo == 0)
                return at_error_set(err, AT_EINVAL, "%s contains a NUL byte (%%00) at byte %zu",
                                    what, base + i + 1);
            i += 3;
        } else if (p[i] == 0) {
            return at_error_set(err, AT_EINVAL, "%s contains a NUL byte at byte %zu", what,
                                base + i + 1);
        } else {
            i++;
        }
    }
    if (n > limit)
        return at_error_set(err, AT_EINVAL, "%s is longer than %zu bytes", what, limit);
    char *d = malloc(n + 1);
    if (!d)
        return oom(err);
    size_t j = 0;
    for (size_t i = 0; i < len; j++) {
        if (p[i] == '%') {
            d[j] = (char) (hex_value(p[i + 1]) << 4 | hex_value(p[i + 2]));
            i += 3;
        } else {
            d[j] = p[i] == '+' ? ' ' : (char) p[i];
            i++;
        }
    }
    d[j] = 0;
    *out = d;
    *outlen = j;
    return AT_OK;
}

/* Decodes and checks one "key[=value]" pair; number counts from 1 and
 * base is the pair's offset, both for the messages. */
static int
url_pair(const char *s, size_t len, size_t number, size_t base, fc_kvlist *l, size_t *cap,
         at_error *err)
{
    char *key = NULL, *value = NULL;
    size_t klen = 0, vlen = 0;
    const char *eq = memchr(s, '=', len);
    size_t kraw = eq ? (size_t) (eq - s) : len;
    char what[FC_KEY_MAX + 32];
    int rc;

    /* The key is checked whole before the value is even decoded, so that
     * messages about the value can name it. */
    snprintf(what, sizeof what, "the name of parameter %zu", number);
    rc = url_decode(s, kraw, base, FC_KEY_MAX, what, &key, &klen, err);
    if (rc)
        goto out;
    if (klen == 0) {
        rc = at_error_set(err, AT_EINVAL, "parameter %zu has an empty name", number);
        goto out;
    }
    for (size_t i = 0; i < klen; i++) {
        if (!key_char_ok((unsigned char) key[i])) {
            rc = at_error_set(err, AT_EINVAL,
                              "the name of parameter %zu may hold only letters, digits and "
                              "'_', '.', '-', '[', ']'",
                              number);
            goto out;
        }
    }

    /* key passed the rule above, so repeating it is safe. */
    snprintf(what, sizeof what, "the value of '%s'", key);
    if (eq) {
        rc = url_decode(eq + 1, len - kraw - 1, base + kraw + 1, FC_VALUE_MAX, what, &value, &vlen,
                        err);
    } else {
        value = copy_bytes("", 0);
        rc = value ? AT_OK : oom(err);
    }
    if (rc)
        goto out;
    switch (text_verdict(value, vlen)) {
    case TEXT_BAD_UTF8:
        rc = at_error_set(err, AT_EINVAL, "%s is not valid UTF-8", what);
        goto out;
    case TEXT_CONTROL:
        rc = at_error_set(err, AT_EINVAL, "%s contains a control character", what);
        goto out;
    }
    rc = list_push(l, cap, key, value, vlen, err);
    key = value = NULL; /* owned by the list now, or already freed */
out:
    free(key);
    free(value);
    return rc;
}

int
fc_parse_urlencoded(const char *s, size_t len, fc_kvlist *out, at_error *err)
{
    fc_kvlist l = {NULL, 0};
    size_t cap = 0, count = 0;
    int rc = AT_OK;

    if (!out)
        return at_error_set(err, AT_EINVAL, "no list to fill");
    out->v = NULL;
    out->n = 0;
    if (!s && len > 0)
        return at_error_set(err, AT_EINVAL, "no input");
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t) (amp - s) : len;
        if (end > i) {
            if (++count > FC_PARAMS_MAX) {
                rc =
                    at_error_set(err, AT_EINVAL, "too many parameters (at most %d)", FC_PARAMS_MAX);
                goto out;
            }
            rc = url_pair(s + i, end - i, count, i, &l, &cap, err);
            if (rc)
                goto out;
        }
        i = end + 1;
    }
out:
    if (rc)
        fc_kvlist_free(&l);
    else
        *out = l;
    return rc;
}

/* ---- Cookie ---- */

/* cookie-octet: printable ASCII without space, '"', ',', ';' and '\'. */
static int
is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

/* Whether the piece s[0..len) (OWS trimmed) is one of our cookies: its
 * name, up to the first '=' or the end, begins with FC_COOKIE_PREFIX.
 * Others belong to whatever else shares the host or a parent domain, and
 * are not ours to judge. */
static int
is_ours(const char *s, size_t len)
{
    size_t plen = sizeof FC_COOKIE_PREFIX - 1;
    return len >= plen && memcmp(s, FC_COOKIE_PREFIX, plen) == 0;
}

/* Checks one of our "name=value" pieces (OWS already trimmed) and adds
 * it, repeated names included. */
static int
cookie_pair(const char *s, size_t len, size_t number, fc_kvlist *l, size_t *cap, at_error *err)
{
    const char *eq = memchr(s, '=', len);
    if (!eq)
        return at_error_set(err, AT_EINVAL, "cookie %zu has no '='", number);
    size_t nlen = (size_t) (eq - s);
    if (nlen > FC_KEY_MAX)
        return at_error_set(err, AT_EINVAL, "the name of cookie %zu is longer than %d bytes",
                            number, FC_KEY_MAX);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char) s[i]))
            return at_error_set(err, AT_EINVAL,
                                "the name of cookie %zu holds a character not allowed there",
                                number);

    const char *v = eq + 1;
    size_t vlen = len - nlen - 1;
    if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
        v++;
        vlen -= 2;
    }
    /* The name is a checked token and at most FC_KEY_MAX bytes: safe to
     * repeat, and short enough for the message. */
    if (vlen > FC_COOKIE_MAX)
        return at_error_set(err, AT_EINVAL, "cookie '%.*s' is longer than %d bytes", (int) nlen, s,
                            FC_COOKIE_MAX);
    for (size_t i = 0; i < vlen; i++)
        if (!is_cookie_octet((unsigned char) v[i]))
            return at_error_set(err, AT_EINVAL,
                                "cookie '%.*s' holds a character not allowed in a cookie value",
                                (int) nlen, s);
    char *key = copy_bytes(s, nlen), *value = copy_bytes(v, vlen);
    if (!key || !value) {
        free(key);
        free(value);
        return oom(err);
    }
    return list_push(l, cap, key, value, vlen, err);
}

int
fc_parse_cookies(const char *s, fc_kvlist *out, at_error *err)
{
    fc_kvlist l = {NULL, 0};
    size_t cap = 0, number = 0;
    int rc = AT_OK;

    if (!out)
        return at_error_set(err, AT_EINVAL, "no list to fill");
    out->v = NULL;
    out->n = 0;
    if (!s)
        return AT_OK;
    size_t len = bounded_len(s, FC_HEADER_MAX);
    if (len > FC_HEADER_MAX)
        return at_error_set(err, AT_EINVAL, "the Cookie header is longer than %d bytes",
                            FC_HEADER_MAX);
    for (size_t i = 0; i < len;) {
        const char *semi = memchr(s + i, ';', len - i);
        size_t end = semi ? (size_t) (semi - s) : len, b = i, e = end;
        while (b < e && is_ows((unsigned char) s[b]))
            b++;
        while (e > b && is_ows((unsigned char) s[e - 1]))
            e--;
        /* An empty piece ("a=1;;b=2", a trailing "; ") holds no cookie and
         * harms nothing, so it is skipped rather than refused; so is
         * another application's cookie, whatever it holds. */
        if (e > b && (++number, is_ours(s + b, e - b))) {
            if (l.n == FC_COOKIES_MAX) {
                rc = at_error_set(err, AT_EINVAL, "too many of our cookies (at most %d)",
                                  FC_COOKIES_MAX);
                goto out;
            }
            rc = cookie_pair(s + b, e - b, number, &l, &cap, err);
            if (rc)
                goto out;
        }
        i = end + 1;
    }
out:
    if (rc)
        fc_kvlist_free(&l);
    else
        *out = l;
    return rc;
}

void
fc_kvlist_free(fc_kvlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const fc_kv *
fc_kv_get(const fc_kvlist *l, const char *key)
{
    if (!l || !key)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    return NULL;
}

const fc_kv *
fc_kv_get_after(const fc_kvlist *l, const fc_kv *kv, const char *key)
{
    for (size_t i = (size_t) (kv - l->v) + 1; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return &l->v[i];
    return NULL;
}

/* ---- Accept and Accept-Encoding ---- */

/* One element of a comma-separated list: "token[/token] *(; name=value)".
 * The pieces point into the header. */
typedef struct list_item {
    const char *type;
    size_t type_len;
    const char *sub; /* NULL when the element has no '/' */
    size_t sub_len;
    int q; /* 0..1000 */
} list_item;

static size_t
scan_token(const char *s, size_t i, size_t len)
{
    while (i < len && is_tchar((unsigned char) s[i]))
        i++;
    return i;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as an
 * integer in thousandths, or -1. */
static int
parse_qvalue(const char *s, size_t len)
{
    if (len == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    if (len == 1)
        return s[0] == '1' ? 1000 : 0;
    if (s[1] != '.' || len > 5)
        return -1;
    int q = 0, scale = 100;
    for (size_t i = 2; i < len; i++) {
        if (!is_digit((unsigned char) s[i]))
            return -1;
        q += (s[i] - '0') * scale;
        scale /= 10;
    }
    if (s[0] == '1')
        return q == 0 ? 1000 : -1;
    return q;
}

/* Skips to just past the next top-level comma (one outside a quoted
 * string), or to the end. */
static size_t
skip_element(const char *s, size_t i, size_t len)
{
    int quoted = 0;
    for (; i < len; i++) {
        if (quoted && s[i] == '\\')
            i++;
        else if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == ',')
            return i + 1;
    }
    return len;
}

/* Parses the element starting at *pos and moves *pos past it. Returns 1
 * with *it filled, 0 for an empty element, -1 for one that cannot be
 * understood (and is therefore ignored by the callers). A q that is
 * present but not a qvalue makes q 0: the client plainly meant to weigh
 * the range, and refusing it is the cautious reading. */
static int
parse_item(const char *s, size_t len, size_t *pos, int want_sub, list_item *it)
{
    size_t i = *pos, start;
    int q_seen = 0;

    while (i < len && is_ows((unsigned char) s[i]))
        i++;
    if (i == len || s[i] == ',') {
        *pos = i < len ? i + 1 : len;
        return 0;
    }
    it->q = 1000;
    it->sub = NULL;
    it->sub_len = 0;
    start = i;
    i = scan_token(s, i, len);
    if (i == start)
        goto bad;
    it->type = s + start;
    it->type_len = i - start;
    if (want_sub) {
        if (i == len || s[i] != '/')
            goto bad;
        start = ++i;
        i = scan_token(s, i, len);
        if (i == start)
            goto bad;
        it->sub = s + start;
        it->sub_len = i - start;
    }
    for (;;) {
        while (i < len && is_ows((unsigned char) s[i]))
            i++;
        if (i == len || s[i] == ',')
            break;
        if (s[i] != ';')
            goto bad;
        i++;
        while (i < len && is_ows((unsigned char) s[i]))
            i++;
        size_t name = i;
        i = scan_token(s, i, len);
        if (i == name || i == len || s[i] != '=')
            goto bad;
        int is_q = i - name == 1 && lower((unsigned char) s[name]) == 'q';
        size_t value = ++i;
        if (i < len && s[i] == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\' && i + 1 < len)
                    i++;
            if (i == len)
                goto bad;
            i++;
        } else {
            /* An empty value is let through so that "q=" counts as an
             * invalid q rather than an unreadable range. */
            i = scan_token(s, i, len);
        }
        if (is_q && !q_seen) {
            int q = parse_qvalue(s + value, i - value);
            it->q = q < 0 ? 0 : q;
            q_seen = 1;
        }
    }
    *pos = i < len ? i + 1 : len;
    return 1;
bad:
    *pos = skip_element(s, i, len);
    return -1;
}

static int
same_token(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char) a[i]) != lower((unsigned char) b[i]))
            return 0;
    return 1;
}

int
fc_accept_q(const char *accept, const char *type)
{
    /* A type that is not "token/token" can match nothing. */
    if (!type)
        return 0;
    size_t tlen = strlen(type), main_len = scan_token(type, 0, tlen);
    if (main_len == 0 || main_len + 1 >= tlen || type[main_len] != '/' ||
        scan_token(type, main_len + 1, tlen) != tlen)
        return 0;
    const char *sub = type + main_len + 1;
    size_t sub_len = tlen - main_len - 1;
    if (!accept)
        return 1000;
    size_t len = bounded_len(accept, FC_HEADER_MAX);
    if (len > FC_HEADER_MAX)
        return 0;

    /* Rank 3 is an exact range, 2 the type with any subtype, 1 any type.
     * Ranges of equal rank differ only in parameters that are not matched
     * on ("text/html;level=1;q=0, text/html"), so the best q among them
     * wins rather than whichever came first. */
    int best_rank = 0, best_q = 0, elements = 0;
    for (size_t pos = 0; pos < len;) {
        list_item it;
        int r = parse_item(accept, len, &pos, 1, &it);
        if (r == 0)
            continue;
        elements++;
        if (r < 0)
            continue;
        int star_type = it.type_len == 1 && it.type[0] == '*';
        int star_sub = it.sub_len == 1 && it.sub[0] == '*';
        int rank;
        if (star_type && star_sub)
            rank = 1;
        else if (star_type)
            continue; /* a star type needs a star subtype */
        else if (!same_token(it.type, it.type_len, type, main_len))
            continue;
        else if (star_sub)
            rank = 2;
        else if (same_token(it.sub, it.sub_len, sub, sub_len))
            rank = 3;
        else
            continue;
        if (rank > best_rank || (rank == best_rank && it.q > best_q)) {
            best_rank = rank;
            best_q = it.q;
        }
    }
    /* A header with no elements at all ("", " , ") says nothing, like no
     * header. */
    if (elements == 0)
        return 1000;
    return best_q;
}

int
fc_accept_gzip(const char *accept_encoding)
{
    if (!accept_encoding)
        return 0;
    size_t len = bounded_len(accept_encoding, FC_HEADER_MAX);
    if (len > FC_HEADER_MAX)
        return 0;
    int gzip_q = -1, star_q = -1;
    for (size_t pos = 0; pos < len;) {
        list_item it;
        if (parse_item(accept_encoding, len, &pos, 0, &it) <= 0)
            continue;
        if (same_token(it.type, it.type_len, "gzip", 4) ||
            same_token(it.type, it.type_len, "x-gzip", 6)) {
            if (it.q > gzip_q)
                gzip_q = it.q;
        } else if (it.type_len == 1 && it.type[0] == '*') {
            if (it.q > star_q)
                star_q = it.q;
        }
    }
    if (gzip_q >= 0)
        return gzip_q;
    return star_q >= 0 ? star_q : 0;
}

int
fc_text_ok(const char *s, size_t max)
{
    if (!s)
        return 0;
    size_t len = bounded_len(s, max);
    if (len > max)
        return 0;
    return text_verdict(s, len) == TEXT_OK;
}
