/* uri.h: the addresses the app puts in a Location header. Pure functions
 * over strings, like request.h, so that params.c and the tests use them
 * without the rest of the app. */
#ifndef FC_URI_H
#define FC_URI_H

#include <stddef.h>

/* Bytes of a Location's value at most. nginx reads a FastCGI response's
 * headers into one buffer of 4 KiB by default (fastcgi_buffer_size) and
 * answers 502 when they do not fit; the other headers of a redirect
 * (security headers, two Set-Cookie) take under 1 KiB. The base path
 * (at most 200 bytes, conf.c) comes on top of it. */
#define FC_LOCATION_MAX 2048

/* The length of s written as a URI reference: every byte outside RFC
 * 3986's characters (unreserved, reserved and '%') counts three, as %XX. */
size_t fc_uri_len(const char *s);

/* Writes s as a URI reference into out, which has room for fc_uri_len(s)
 * bytes and a NUL: controls, space, non-ASCII and "<>\^`{|} become %XX,
 * so that nothing in s can end the header or carry raw UTF-8. */
void fc_uri_write(const char *s, char *out);

#endif
