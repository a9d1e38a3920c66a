/* metrics_access.c: who may read GET /metrics (stats.h, docs/SECURITY.md).
 *
 * A request is let in by either of two keys of the configuration:
 *  - metrics_token_file: the request sends "Authorization: Bearer TOKEN"
 *    with the file's contents. Both are hashed (SHA-256) and the digests
 *    compared without an early exit, so neither the time taken nor its
 *    dependence on the length tells anything about the token.
 *  - metrics_allow: the request comes from one of these addresses or
 *    networks. The address is REMOTE_ADDR, the peer the web server saw:
 *    behind a proxy on the same host every request would come from it, so
 *    there the token is the key to use (or nginx's real_ip module).
 * With neither set, metrics are off. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define WORD_MAX 64 /* an address with its prefix */

typedef struct net {
    unsigned char a[16]; /* an IPv4 address as IPv4-mapped IPv6 */
    unsigned bits;       /* of a[] that must match */
} net;

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An address, IPv4 or IPv6, as 16 bytes; *v4 says it was IPv4 (or mapped). */
static int
parse_addr(const char *s, unsigned char out[16], int *v4)
{
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memcpy(out, v4_mapped, 12);
        memcpy(out + 12, &a4, 4);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *v4 = memcmp(out, v4_mapped, 12) == 0;
        return 0;
    }
    return -1;
}

/* "addr" or "addr/prefix". */
static int
parse_net(const char *word, net *n)
{
    char buf[WORD_MAX + 1];
    size_t len = strlen(word);
    if (len > WORD_MAX)
        return -1;
    memcpy(buf, word, len + 1);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    int v4;
    if (parse_addr(buf, n->a, &v4))
        return -1;
    unsigned max = v4 ? 32 : 128;
    n->bits = 128;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p))
            return -1;
        unsigned prefix = (unsigned) atoi(p);
        if (prefix > max)
            return -1;
        n->bits = prefix + (128 - max);
    }
    return 0;
}

static int
net_has(const net *n, const unsigned char a[16])
{
    unsigned full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->a, a, full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char) (0xff << (8 - rest));
    return (n->a[full] & mask) == (a[full] & mask);
}

/* Calls fn for each word of text separated by spaces or tabs; stops at the
 * first that fn refuses (returns non-zero), and returns that. */
static int
each_word(const char *text, int (*fn)(const char *word, void *ctx), void *ctx)
{
    const char *p = text;
    while (*p) {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t");
        if (!n)
            break;
        /* a word too long to be an address is cut one byte past the
         * longest, which parse_net refuses */
        char word[WORD_MAX + 2];
        size_t k = n > WORD_MAX ? WORD_MAX + 1 : n;
        memcpy(word, p, k);
        word[k] = 0;
        int rc = fn(word, ctx);
        if (rc)
            return rc;
        p += n;
    }
    return 0;
}

static int
check_word(const char *word, void *ctx)
{
    at_error *err = ctx;
    net n;
    if (parse_net(word, &n))
        return at_error_set(err, AT_ECONFIG,
                            "'%.60s' is not an IPv4 or IPv6 address, or one with a /prefix",
                            word);
    return 0;
}

int
at_metrics_allow_check(const char *text, at_error *err)
{
    if (!text[strspn(text, " \t")])
        return at_error_set(err, AT_ECONFIG, "no address given");
    return each_word(text, check_word, err);
}

struct match_ctx {
    unsigned char a[16];
};

static int
match_word(const char *word, void *ctx)
{
    struct match_ctx *m = ctx;
    net n;
    return parse_net(word, &n) == 0 && net_has(&n, m->a);
}

static int
address_allowed(const char *allow, const char *remote_addr)
{
    struct match_ctx m;
    int v4;
    if (!allow || !remote_addr || !*remote_addr || strlen(remote_addr) > WORD_MAX ||
        parse_addr(remote_addr, m.a, &v4))
        return 0;
    return each_word(allow, match_word, &m) == 1;
}

static int
token_allowed(const char *token, const char *authorization)
{
    if (!token || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    const char *got = authorization + 7;
    got += strspn(got, " ");
    if (!*got)
        return 0;
    unsigned char a[32], b[32];
    at_sha256(got, strlen(got), a);
    at_sha256(token, strlen(token), b);
    unsigned char diff = 0;
    for (size_t i = 0; i < sizeof a; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

int
at_metrics_access(const at_config *cfg, const char *remote_addr, const char *authorization)
{
    if (!cfg->metrics_token && !cfg->metrics_allow)
        return AT_ENOTFOUND;
    if (token_allowed(cfg->metrics_token, authorization) ||
        address_allowed(cfg->metrics_allow, remote_addr))
        return AT_OK;
    return AT_EDENIED;
}
