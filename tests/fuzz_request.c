/* fuzz_request.c: a fuzz target for the request parsers of
 * fcgi/request.c: query strings and forms, cookies, Accept and
 * Accept-Encoding. The first byte chooses the parser, the rest is its
 * input. Beyond the sanitizers' checks, every result is held to what
 * request.h promises. Run by make check over its corpus and by dev/fuzz
 * (tests/fuzz.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "request.h"

static int
printable(const char *msg)
{
    if (!msg[0])
        return 0;
    for (const unsigned char *p = (const unsigned char *) msg; *p; p++)
        if (*p < 0x20 || *p > 0x7E)
            return 0;
    return 1;
}

static int
key_char(unsigned char c, int cookie)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr(cookie ? "!#$%&'*+-.^_`|~" : "_.-[]", c) != NULL;
}

static void
check_list(int rc, fc_kvlist *l, const at_error *err, int cookie)
{
    if (rc != AT_OK) {
        fuzz_check(rc == AT_EINVAL || rc == AT_ENOMEM);
        fuzz_check(l->v == NULL && l->n == 0 && printable(err->msg));
        return;
    }
    fuzz_check(l->n <= (size_t) (cookie ? FC_COOKIES_MAX : FC_PARAMS_MAX));
    for (size_t i = 0; i < l->n; i++) {
        const fc_kv *kv = &l->v[i];
        size_t kl = strlen(kv->key);
        fuzz_check(kl >= 1 && kl <= FC_KEY_MAX);
        for (size_t j = 0; j < kl; j++)
            fuzz_check(key_char((unsigned char) kv->key[j], cookie));
        fuzz_check(strlen(kv->value) == kv->len && fc_text_ok(kv->value, SIZE_MAX));
        fuzz_check(fc_kv_get(l, kv->key) != NULL);
        /* only our own cookies are kept, repeats included */
        if (cookie)
            fuzz_check(kv->len <= FC_COOKIE_MAX &&
                  strncmp(kv->key, FC_COOKIE_PREFIX, strlen(FC_COOKIE_PREFIX)) == 0);
    }
    fc_kvlist_free(l);
    fuzz_check(l->v == NULL && l->n == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"text/html", "application/json", "image/png"};
    if (size < 1)
        return 0;
    unsigned sel = data[0] % 6;
    size_t len = size - 1;
    /* Exactly len bytes for the parser that takes a length; a C string for
     * the others. */
    char *raw = fuzz_bytes(data + 1, len), *str = fuzz_string(data + 1, len);

    fc_kvlist l;
    at_error err = {0};
    if (sel == 0 || sel == 5)
        check_list(fc_parse_urlencoded(raw, len, &l, &err), &l, &err, 0);
    if (sel == 1 || sel == 5)
        check_list(fc_parse_cookies(str, &l, &err), &l, &err, 1);
    if (sel == 2 || sel == 5) {
        /* "header\ntype": the type asked about is fuzzed too. */
        char *nl = strchr(str, '\n');
        if (nl) {
            *nl = 0;
            int q = fc_accept_q(str, nl + 1);
            fuzz_check(q >= 0 && q <= 1000);
            *nl = '\n';
        }
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            int q = fc_accept_q(str, types[i]);
            fuzz_check(q >= 0 && q <= 1000);
        }
    }
    if (sel == 3 || sel == 5) {
        int q = fc_accept_gzip(str);
        fuzz_check(q >= 0 && q <= 1000);
    }
    if (sel == 4 || sel == 5) {
        size_t max = len ? (unsigned char) str[0] : 0;
        int t = fc_text_ok(str, max);
        fuzz_check(t == 0 || t == 1);
        fuzz_check(!t || strlen(str) <= max);
    }
    free(raw);
    free(str);
    return 0;
}
