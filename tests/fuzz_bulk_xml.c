/* fuzz_bulk_xml.c: a coverage-guided fuzz target for the reader of bulk
 * enqueue documents (fcgi/bulk_xml.c). Not part of make check; built and
 * run on demand, from the top of a configured tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=undefined -Iinclude -Ifcgi -Ilib -I. \
 *       $(pkg-config --cflags libmariadb libxml-2.0) tests/fuzz_bulk_xml.c \
 *       fcgi/bulk_xml.c fcgi/request.c lib/error.c lib/text.c \
 *       $(pkg-config --libs libxml-2.0) -o var/fuzz_bulk_xml
 *   mkdir -p var/fuzz-bulk-corpus
 *   var/fuzz_bulk_xml -max_total_time=60 -max_len=4096 var/fuzz-bulk-corpus
 *
 * Beyond the sanitizers' checks, every result is held to what bulk_xml.h
 * promises, and a broken promise aborts so that it is reported like a
 * crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulk_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 8

static void
check(int cond)
{
    if (!cond)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const attrs[] = {"user", "type", "priority", "run_at", NULL};
    /* exactly size bytes, so that a read past the end is caught */
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    fc_bulk b;
    at_error err = {0};
    int rc = fc_bulk_parse(body, size, attrs, "payload", MAX, &b, &err);
    if (rc != AT_OK) {
        check(rc == AT_EINVAL || rc == AT_ENOMEM);
        check(b.v == NULL && b.n == 0 && err.msg[0]);
        check(!b.too_many || rc == AT_EINVAL);
    } else {
        check(b.n >= 1 && b.n <= MAX && !b.too_many);
        for (size_t i = 0; i < b.n; i++) {
            const fc_kvlist *f = &b.v[i].fields;
            if (b.v[i].err.code)
                check(b.v[i].err.msg[0] != 0);
            for (size_t k = 0; k < f->n; k++) {
                check(strlen(f->v[k].value) == f->v[k].len);
                check(fc_text_ok(f->v[k].value, SIZE_MAX));
                int known = strcmp(f->v[k].key, "payload") == 0;
                for (const char *const *a = attrs; *a; a++)
                    known |= strcmp(f->v[k].key, *a) == 0;
                check(known);
            }
        }
    }
    fc_bulk_free(&b);
    check(b.v == NULL && b.n == 0);
    free(body);
    return 0;
}
