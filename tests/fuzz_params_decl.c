/* fuzz_params_decl.c: a fuzz target for the stored parameter
 * declarations (lib/params.c: the "v1" text of task_types.params, read by
 * at_params_decode). The input is the stored text. Declarations that
 * decode each pass at_param_decl_check, have distinct names, and encode
 * to a text that decodes to the very same declarations and encodes to
 * itself again; a refusal is a message in valid UTF-8. */
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "fuzz.h"

static void
check_same(const at_param_decl *a, const at_param_decl *b)
{
    fuzz_check(strcmp(a->name, b->name) == 0);
    fuzz_check(a->type == b->type && a->required == b->required &&
               a->has_default == b->has_default && a->min == b->min && a->max == b->max);
    fuzz_check(!a->has_default || strcmp(a->default_value, b->default_value) == 0);
    fuzz_check(strcmp(a->description, b->description) == 0);
}

static void
check_decoded(const at_param_decl *d, size_t n)
{
    at_error err = {0};
    for (size_t i = 0; i < n; i++) {
        fuzz_check(at_param_decl_check(&d[i], &err) == AT_OK);
        for (size_t j = 0; j < i; j++)
            fuzz_check(strcmp(d[i].name, d[j].name) != 0);
    }
    char *text = NULL;
    fuzz_check(at_params_encode(d, n, &text, &err) == AT_OK);
    at_param_decl *again = NULL;
    size_t n2 = 0;
    if (at_params_decode(text, &again, &n2, &err) != AT_OK) {
        fprintf(stderr, "encoded:\n%s\nrefused: %s\n", text, err.msg);
        fuzz_check(!"the encoded declarations decode");
    }
    fuzz_check(n2 == n);
    for (size_t i = 0; i < n; i++)
        check_same(&d[i], &again[i]);
    char *text2 = NULL;
    fuzz_check(at_params_encode(again, n2, &text2, &err) == AT_OK);
    fuzz_check(strcmp(text, text2) == 0);
    free(text2);
    free(again);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* stored as a NUL-terminated column value */
    char *text = fuzz_string(data, size);
    at_param_decl *d = NULL;
    size_t n = 0;
    at_error err = {0};
    int rc = at_params_decode(text, &d, &n, &err);
    if (rc == AT_OK) {
        fuzz_check((n == 0) == (d == NULL));
        check_decoded(d, n);
    } else {
        fuzz_check(rc == AT_EINVAL || rc == AT_ENOMEM);
        fuzz_check(d == NULL && n == 0);
        fuzz_check(err.msg[0] && at_utf8_valid(err.msg, strlen(err.msg)));
    }
    free(d);
    free(text);
    return 0;
}
