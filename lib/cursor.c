/* cursor.c: the page cursors of every keyset-paged list. A cursor is
 * "<tag><key>-<id>": the tag is one lower-case letter (or none) that names
 * the order it belongs to, the key is the sort column of the row it stands
 * for (the hex of a name's UTF-8 bytes, or a decimal number) and the id
 * breaks ties. Cursors are opaque to users and are read back as strictly
 * as any other input: only [a-z0-9-], and a name must be valid UTF-8. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char hex[] = "0123456789abcdef";

void
at_cursor_name(char tag, const char *name, uint64_t id, char *out, size_t len)
{
    size_t j = 0;
    if (tag && j + 1 < len)
        out[j++] = tag;
    for (const unsigned char *p = (const unsigned char *) name; *p && j + 3 < len; p++) {
        out[j++] = hex[*p >> 4];
        out[j++] = hex[*p & 15];
    }
    snprintf(out + j, len - j, "-%" PRIu64, id);
}

void
at_cursor_number(char tag, int64_t key, uint64_t id, char *out, size_t len)
{
    if (tag)
        snprintf(out, len, "%c%" PRId64 "-%" PRIu64, tag, key, id);
    else
        snprintf(out, len, "%" PRId64 "-%" PRIu64, key, id);
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The key after the tag, its length, and the id after the last '-'. */
static int
split(char tag, const char *s, const char **key, size_t *keylen, uint64_t *id)
{
    if (!s || strlen(s) >= AT_CURSOR_BUF)
        return -1;
    if (tag) {
        if (s[0] != tag)
            return -1;
        s++;
    }
    const char *dash = strrchr(s, '-');
    if (!dash || dash[1] < '1' || dash[1] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(dash + 1, &end, 10);
    if (*end || errno)
        return -1;
    *key = s;
    *keylen = (size_t) (dash - s);
    *id = v;
    return 0;
}

int
at_cursor_name_parse(char tag, const char *s, char *name, size_t namelen, uint64_t *id)
{
    const char *key;
    size_t hl;
    if (split(tag, s, &key, &hl, id) || hl % 2 || hl / 2 >= namelen)
        return -1;
    for (size_t i = 0; i < hl; i += 2) {
        int hi = hexval(key[i]), lo = hexval(key[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        name[i / 2] = (char) (hi * 16 + lo);
    }
    name[hl / 2] = 0;
    if (strlen(name) != hl / 2 || !at_utf8_valid(name, hl / 2))
        return -1;
    return 0;
}

int
at_cursor_number_parse(char tag, const char *s, int64_t *key, uint64_t *id)
{
    const char *k;
    size_t kl;
    if (split(tag, s, &k, &kl, id) || kl == 0 || kl > 19)
        return -1;
    for (size_t i = 0; i < kl; i++)
        if (k[i] < '0' || k[i] > '9')
            return -1;
    char digits[20];
    memcpy(digits, k, kl);
    digits[kl] = 0;
    errno = 0;
    long long v = strtoll(digits, NULL, 10);
    if (errno)
        return -1;
    *key = v;
    return 0;
}

void
at_keyset_trim(void *rows, size_t size, size_t *n, unsigned limit, bool newer, bool from_cursor,
               int *has_older, int *has_newer)
{
    bool extra = *n > limit;
    /* going back, the row beyond the page is the newest, the first */
    if (extra && newer)
        memmove(rows, (char *) rows + size, limit * size);
    if (extra)
        *n = limit;
    *has_older = newer ? *n > 0 : extra;
    *has_newer = newer ? extra : from_cursor && *n > 0;
}

int
at_name_keyset(const char *what, const char *search, const char *after, unsigned limit,
               at_name_keyset_q *k, at_error *err)
{
    memset(k, 0, sizeof *k);
    if (limit < 1 || limit > 500)
        return at_error_set(err, AT_EINVAL, "page size must be 1 to 500, not %u", limit);
    char label[64];
    snprintf(label, sizeof label, "%s search", what);
    int rc = at_check_search(label, search, err);
    if (rc)
        return rc;
    if (after && *after && at_cursor_name_parse(0, after, k->name, sizeof k->name, &k->id))
        return at_error_set(err, AT_EINVAL, "%s list cursor is malformed", what);
    at_like_pattern(search ? search : "", k->like, sizeof k->like);
    return AT_OK;
}
