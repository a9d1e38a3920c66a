/* payload.c: how task payloads are stored: as given, or deflated by zlib
 * when they are large enough for it to pay. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

int
at_payload_check(const char *in, size_t len, at_error *err)
{
    if (len > AT_PAYLOAD_MAX)
        return at_error_set(err, AT_EINVAL, "payload is too large: %zu bytes, at most %u", len,
                            AT_PAYLOAD_MAX);
    if (len > 0 && memchr(in, 0, len))
        return at_error_set(err, AT_EINVAL, "payload contains a NUL byte: it must be text");
    if (!at_utf8_valid(in, len))
        return at_error_set(err, AT_EINVAL, "payload is not valid UTF-8");
    return AT_OK;
}

int
at_payload_encode(const char *in, size_t len, unsigned char **out, size_t *outlen, int *encoding,
                  at_error *err)
{
    *out = NULL;
    *outlen = 0;
    *encoding = 0;
    int rc = at_payload_check(in, len, err);
    if (rc)
        return rc;
    if (len > AT_PAYLOAD_COMPRESS) {
        uLongf cap = compressBound((uLong) len);
        unsigned char *z = malloc(cap);
        if (!z)
            return at_error_set(err, AT_ENOMEM, "out of memory compressing the payload");
        int zrc = compress2(z, &cap, (const Bytef *) in, (uLong) len, Z_DEFAULT_COMPRESSION);
        if (zrc != Z_OK) {
            free(z);
            return at_error_set(err, AT_EINVAL, "payload compression failed (zlib %d)", zrc);
        }
        if (cap < len) {
            *out = z;
            *outlen = cap;
            *encoding = 1;
            return AT_OK;
        }
        free(z); /* incompressible: store as is */
    }
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    if (len)
        memcpy(copy, in, len);
    *out = copy;
    *outlen = len;
    return AT_OK;
}

int
at_payload_decode(const unsigned char *in, size_t len, int encoding, size_t orig_len, char **out,
                  at_error *err)
{
    *out = NULL;
    if (orig_len > AT_PAYLOAD_MAX)
        return at_error_set(err, AT_EINVAL, "stored payload claims %zu bytes, more than %u",
                            orig_len, AT_PAYLOAD_MAX);
    char *buf = malloc(orig_len + 1);
    if (!buf)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    if (encoding == 0) {
        if (len != orig_len) {
            free(buf);
            return at_error_set(err, AT_EINVAL, "stored payload is %zu bytes, expected %zu", len,
                                orig_len);
        }
        if (len)
            memcpy(buf, in, len);
    } else if (encoding == 1) {
        uLongf got = (uLongf) orig_len;
        int zrc = uncompress((Bytef *) buf, &got, in, (uLong) len);
        if (zrc != Z_OK || got != orig_len) {
            free(buf);
            return at_error_set(err, AT_EINVAL, "stored payload does not decompress (zlib %d)", zrc);
        }
    } else {
        free(buf);
        return at_error_set(err, AT_EINVAL, "stored payload has unknown encoding %d", encoding);
    }
    buf[orig_len] = 0;
    *out = buf;
    return AT_OK;
}
