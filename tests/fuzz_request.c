/* fuzz_request.c: a coverage-guided fuzz target for the request parsers of
 * fcgi/request.c. Not part of make check; built and run on demand, from
 * the top of a configured tree (config.h is needed by lib/text.c, whose
 * internal header also pulls in the database client's headers):
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined -Iinclude -Ifcgi -Ilib -I. \
 *       $(pkg-config --cflags libmariadb) tests/fuzz_request.c \
 *       fcgi/request.c lib/error.c lib/text.c -o var/fuzz_request
 *   mkdir -p var/fuzz-corpus
 *   var/fuzz_request -max_total_time=60 -max_len=4096 var/fuzz-corpus
 *
 * The first byte chooses the parser, the rest is its input. Beyond the
 * sanitizers' checks, every result is held to what request.h promises, and
 * a broken promise aborts so that it is reported like a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
    if (!cond)
        abort();
}

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
        check(rc == AT_EINVAL || rc == AT_ENOMEM);
        check(l->v == NULL && l->n == 0 && printable(err->msg));
        return;
    }
    check(l->n <= (size_t) (cookie ? FC_COOKIES_MAX : FC_PARAMS_MAX));
    for (size_t i = 0; i < l->n; i++) {
        const fc_kv *kv = &l->v[i];
        size_t kl = strlen(kv->key);
        check(kl >= 1 && kl <= FC_KEY_MAX);
        for (size_t j = 0; j < kl; j++)
            check(key_char((unsigned char) kv->key[j], cookie));
        check(strlen(kv->value) == kv->len && fc_text_ok(kv->value, SIZE_MAX));
        check(fc_kv_get(l, kv->key) != NULL);
        /* only our own cookies are kept, repeats included */
        if (cookie)
            check(kv->len <= FC_COOKIE_MAX &&
                  strncmp(kv->key, FC_COOKIE_PREFIX, strlen(FC_COOKIE_PREFIX)) == 0);
    }
    fc_kvlist_free(l);
    check(l->v == NULL && l->n == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"text/html", "application/json", "image/png"};
    if (size < 1)
        return 0;
    unsigned sel = data[0] % 6;
    size_t len = size - 1;
    /* Exactly len bytes for the parser that takes a length, so that a read
     * past the end is caught; a NUL-terminated copy for the others. */
    char *raw = malloc(len ? len : 1), *str = malloc(len + 1);
    if (!raw || !str)
        goto out;
    memcpy(raw, data + 1, len);
    memcpy(str, data + 1, len);
    str[len] = 0;

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
            check(q >= 0 && q <= 1000);
            *nl = '\n';
        }
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            int q = fc_accept_q(str, types[i]);
            check(q >= 0 && q <= 1000);
        }
    }
    if (sel == 3 || sel == 5) {
        int q = fc_accept_gzip(str);
        check(q >= 0 && q <= 1000);
    }
    if (sel == 4 || sel == 5) {
        size_t max = len ? (unsigned char) str[0] : 0;
        int t = fc_text_ok(str, max);
        check(t == 0 || t == 1);
        check(!t || strlen(str) <= max);
    }
out:
    free(raw);
    free(str);
    return 0;
}
