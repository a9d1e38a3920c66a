/* text.c: UTF-8 checks and the validators for names, slugs and searches.
 * Everything a user types passes through here before it is stored. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 if invalid.
 * *cp receives the code point. */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

int
at_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    unsigned cp;
    while (len > 0) {
        size_t k = utf8_seq(p, len, &cp);
        if (!k)
            return 0;
        p += k;
        len -= k;
    }
    return 1;
}

/* The bytes a sequence led by c takes, 0 for a byte that leads none. */
static size_t
utf8_lead_len(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
}

void
at_utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *) s;
    size_t n = strlen(s);
    unsigned cp;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k) {
            i += k;
            continue;
        }
        size_t want = utf8_lead_len(p[i]), j = i + 1;
        while (j < n && (p[j] & 0xC0) == 0x80)
            j++;
        if (want > n - i && j == n) {
            p[i] = 0; /* a sequence cut short at the end: cut it off */
            return;
        }
        p[i++] = '?';
    }
}

size_t
at_utf8_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char) s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

int
at_text_check(const char *what, const char *s, size_t max, int may_be_empty, int multiline,
              at_error *err)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    const unsigned char *p = (const unsigned char *) s;
    size_t chars = 0;
    unsigned cp;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i, &cp);
        if (!k)
            return at_error_set(err, AT_EINVAL, "%s is not valid UTF-8 (bad byte at offset %zu)",
                                what, i);
        int allowed_ws = multiline && (cp == '\n' || cp == '\t' || cp == '\r');
        if ((cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) && !allowed_ws)
            return at_error_set(err, AT_EINVAL, "%s contains a control character (U+%04X)", what,
                                cp);
        i += k;
        chars++;
    }
    if (chars == 0 && !may_be_empty)
        return at_error_set(err, AT_EINVAL, "%s is empty", what);
    if (chars > max)
        return at_error_set(err, AT_EINVAL, "%s is too long: %zu characters, at most %zu", what,
                            chars, max);
    if (!multiline && chars > 0 && (s[0] == ' ' || s[len - 1] == ' '))
        return at_error_set(err, AT_EINVAL, "%s starts or ends with a space", what);
    return AT_OK;
}

int
at_check_slug(const char *s, at_error *err)
{
    if (!s || !*s)
        return at_error_set(err, AT_EINVAL, "business slug is empty");
    size_t n = strlen(s);
    if (n > AT_SLUG_MAX)
        return at_error_set(err, AT_EINVAL, "business slug is too long: %zu characters, at most %d",
                            n, AT_SLUG_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
            return at_error_set(err, AT_EINVAL,
                                "business slug '%.*s' may hold only a-z, 0-9 and '-' (not first)",
                                AT_SLUG_MAX, at_utf8_valid(s, n) ? s : "?");
    }
    return AT_OK;
}

int
at_check_type_name(const char *s, at_error *err)
{
    if (!s || !*s)
        return at_error_set(err, AT_EINVAL, "task type is empty");
    size_t n = strlen(s);
    if (n > AT_TYPE_NAME_MAX)
        return at_error_set(err, AT_EINVAL, "task type is too long: %zu characters, at most %d", n,
                            AT_TYPE_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '_' ||
                                                      c == '.' || c == '-'));
        if (!ok)
            return at_error_set(err, AT_EINVAL,
                                "task type '%.*s' must start with a-z and hold only a-z, 0-9, "
                                "'_', '.' and '-'",
                                AT_TYPE_NAME_MAX, at_utf8_valid(s, n) ? s : "?");
    }
    return AT_OK;
}

int
at_check_email(const char *s, at_error *err)
{
    int rc = at_text_check("email", s, AT_NAME_MAX, 0, 0, err);
    if (rc)
        return rc;
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strchr(s, ' '))
        return at_error_set(err, AT_EINVAL, "email '%s' is not of the form name@domain", s);
    return AT_OK;
}

int
at_check_search(const char *what, const char *s, at_error *err)
{
    if (!s)
        return AT_OK;
    return at_text_check(what, s, AT_SEARCH_MAX, 1, 0, err);
}

int
at_actor_check(const at_actor *actor, at_error *err)
{
    if (!actor || !actor->name)
        return at_error_set(err, AT_EINVAL, "no actor given");
    return at_text_check("actor name", actor->name, AT_NAME_MAX, 0, 0, err);
}

char *
at_strlcpy(char *dst, const char *src, size_t dstlen)
{
    if (dstlen == 0)
        return dst;
    size_t n = strlen(src);
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return dst;
}

char *
at_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *
at_like_pattern(const char *s, char *out, size_t outlen)
{
    size_t j = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = 0;
        return out;
    }
    out[j++] = '%';
    for (; *s && j + 3 < outlen; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            out[j++] = '\\';
        out[j++] = *s;
    }
    out[j++] = '%';
    out[j] = 0;
    return out;
}
