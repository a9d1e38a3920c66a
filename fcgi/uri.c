/* uri.c: the addresses the app puts in a Location header, percent-encoded
 * wherever RFC 3986 does not allow the byte as it is. */
#include "config.h"

#include <string.h>

#include "uri.h"

/* unreserved, gen-delims, sub-delims, and '%' (what the builders of a
 * URL already encoded stays as it is) */
static int
uri_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL);
}

size_t
fc_uri_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        n += uri_char(*p) ? 1 : 3;
    return n;
}

void
fc_uri_write(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (uri_char(*p)) {
            *out++ = (char) *p;
        } else {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        }
    }
    *out = 0;
}
