/* payload.c: payload storage round trips, compressed and not. */
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

static void
roundtrip(const char *in, size_t len, int want_enc, const char *what)
{
    unsigned char *enc = NULL;
    size_t enclen = 0;
    int encoding = -1;
    at_error err = {0};
    ok(at_payload_encode(in, len, &enc, &enclen, &encoding, &err) == AT_OK, "%s: encodes", what);
    is_int(encoding, want_enc, "%s: encoding", what);
    if (want_enc == 1)
        ok(enclen < len, "%s: compressed %zu -> %zu bytes", what, len, enclen);
    else
        is_int(enclen, len, "%s: stored as is", what);
    char *out = NULL;
    ok(at_payload_decode(enc, enclen, encoding, len, &out, &err) == AT_OK, "%s: decodes", what);
    ok(out && memcmp(out, in, len) == 0 && out[len] == 0, "%s: same bytes back, NUL-terminated",
       what);
    free(enc);
    free(out);
}

int
main(void)
{
    at_error err = {0};
    roundtrip("", 0, 0, "empty");
    roundtrip("{\"rows\":1}", 10, 0, "small");

    char *big = malloc(AT_PAYLOAD_MAX + 2);
    for (size_t i = 0; i < AT_PAYLOAD_MAX + 1; i++)
        big[i] = (char) ('a' + i % 7);
    roundtrip(big, AT_PAYLOAD_COMPRESS, 0, "exactly at the threshold");
    roundtrip(big, AT_PAYLOAD_COMPRESS + 1, 1, "just above the threshold");
    roundtrip(big, AT_PAYLOAD_MAX, 1, "the largest payload");
    unsigned x = 12345;
    for (size_t i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (char) (0x21 + (x >> 16) % 94);
    }
    roundtrip(big, 4096, 1, "random printable text");

    const char *utf = "{\"name\":\"Zoë Ángel 🚀\"}";
    roundtrip(utf, strlen(utf), 0, "UTF-8 text");

    unsigned char *enc;
    size_t enclen;
    int encoding;
    memset(big, 'a', AT_PAYLOAD_MAX + 1);
    ok(at_payload_encode(big, AT_PAYLOAD_MAX + 1, &enc, &enclen, &encoding, &err) == AT_EINVAL,
       "one byte over the limit refused");
    has_str(err.msg, "too large", "size limit message");
    ok(at_payload_encode("a\0b", 3, &enc, &enclen, &encoding, &err) == AT_EINVAL, "NUL refused");
    has_str(err.msg, "NUL", "NUL message");
    ok(at_payload_encode("caf\xc3", 4, &enc, &enclen, &encoding, &err) == AT_EINVAL,
       "invalid UTF-8 refused");
    has_str(err.msg, "UTF-8", "UTF-8 message");

    char *out = NULL;
    ok(at_payload_decode((const unsigned char *) "garbage", 7, 1, 100, &out, &err) == AT_EINVAL,
       "corrupt compressed data refused");
    ok(out == NULL, "nothing returned for corrupt data");
    ok(at_payload_decode((const unsigned char *) "abc", 3, 0, 4, &out, &err) == AT_EINVAL,
       "wrong stored length refused");
    ok(at_payload_decode((const unsigned char *) "abc", 3, 7, 3, &out, &err) == AT_EINVAL,
       "unknown encoding refused");
    has_str(err.msg, "encoding", "encoding message");
    /* a compressed payload whose stored size lies */
    memset(big, 'b', 5000);
    ok(at_payload_encode(big, 5000, &enc, &enclen, &encoding, &err) == AT_OK, "encode 5000");
    ok(at_payload_decode(enc, enclen, encoding, 4000, &out, &err) == AT_EINVAL,
       "compressed size mismatch refused");
    ok(at_payload_decode(enc, enclen, encoding, AT_PAYLOAD_MAX + 1, &out, &err) == AT_EINVAL,
       "stored size above the limit refused");
    free(enc);
    free(big);
    return done_testing();
}
