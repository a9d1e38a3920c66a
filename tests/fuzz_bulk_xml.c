/* fuzz_bulk_xml.c: a fuzz target for the reader of bulk enqueue
 * documents (fcgi/bulk_xml.c). The input is the request body. Beyond the
 * sanitizers' checks, every result is held to what bulk_xml.h promises.
 * Run by make check over its corpus and by dev/fuzz (tests/fuzz.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "bulk_xml.h"
#include "fuzz.h"

#define MAX 8

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const attrs[] = {"user", "type", "priority", "run_at", NULL};
    char *body = fuzz_bytes(data, size);
    fc_bulk b;
    at_error err = {0};
    int rc = fc_bulk_parse(body, size, attrs, "payload", MAX, &b, &err);
    if (rc != AT_OK) {
        fuzz_check(rc == AT_EINVAL || rc == AT_ENOMEM);
        fuzz_check(b.v == NULL && b.n == 0 && err.msg[0]);
        fuzz_check(at_utf8_valid(err.msg, strlen(err.msg)));
        fuzz_check(!b.too_many || rc == AT_EINVAL);
    } else {
        fuzz_check(b.n >= 1 && b.n <= MAX && !b.too_many);
        for (size_t i = 0; i < b.n; i++) {
            const fc_kvlist *f = &b.v[i].fields;
            if (b.v[i].err.code)
                fuzz_check(b.v[i].err.msg[0] != 0 &&
                           at_utf8_valid(b.v[i].err.msg, strlen(b.v[i].err.msg)));
            for (size_t k = 0; k < f->n; k++) {
                fuzz_check(strlen(f->v[k].value) == f->v[k].len);
                fuzz_check(fc_text_ok(f->v[k].value, SIZE_MAX));
                int known = strcmp(f->v[k].key, "payload") == 0;
                for (const char *const *a = attrs; *a; a++)
                    known |= strcmp(f->v[k].key, *a) == 0;
                fuzz_check(known);
            }
        }
    }
    fc_bulk_free(&b);
    fuzz_check(b.v == NULL && b.n == 0);
    free(body);
    return 0;
}
