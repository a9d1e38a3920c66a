/* fuzz_params.c: a fuzz target for the payload parameter parser
 * (lib/params.c: at_params_check, at_params_get). The input is
 * "DECLARATIONS\0PAYLOAD": the declarations in their stored "v1" text, or,
 * when there is no NUL or they do not decode, a fixed set with one
 * parameter of each type. A payload that is accepted names each declared
 * parameter at most once, gives every required one, and at_params_get
 * reads back values that pass the check again when written as a payload
 * of their own; a refusal is a message in valid UTF-8. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <asynctasks/asynctasks.h>
#include <asynctasks/plugin.h>

#include "fuzz.h"

static const at_param_decl fixed[] = {
    {.name = "title", .type = AT_PLUGIN_PARAM_STRING, .required = 1, .min = 2, .max = 40,
     .description = "a title"},
    {.name = "note", .type = AT_PLUGIN_PARAM_STRING, .has_default = 1, .default_value = "none",
     .description = "free text"},
    {.name = "count", .type = AT_PLUGIN_PARAM_INT, .min = -5, .max = 1000000,
     .description = "how many"},
    {.name = "big", .type = AT_PLUGIN_PARAM_INT, .description = "any number"},
    {.name = "dry_run", .type = AT_PLUGIN_PARAM_BOOL, .has_default = 1, .default_value = "false",
     .description = "only pretend"},
};

static void
check_accepted(const at_param_decl *d, size_t n, const char *payload, size_t len)
{
    /* every value read back, rewritten as a payload of its own */
    char *again = NULL;
    size_t alen = 0;
    FILE *f = open_memstream(&again, &alen);
    fuzz_check(f != NULL);
    static char value[AT_PARAM_VALUE_MAX * 4 + 1];
    for (size_t i = 0; i < n; i++) {
        int got = at_params_get(payload, len, d[i].name, value, sizeof value);
        fuzz_check(got == 0 || got == 1);
        fuzz_check(got == 1 || !d[i].required);
        fuzz_check(got == 1 || value[0] == 0);
        if (got == 1) {
            fuzz_check(strchr(value, '\n') == NULL);
            fprintf(f, "%s=%s\n", d[i].name, value);
        }
    }
    fuzz_check(fclose(f) == 0);
    at_error err = {0};
    if (at_params_check(d, n, again, alen, &err) != AT_OK) {
        fprintf(stderr, "written back:\n%s\nrefused: %s\n", again, err.msg);
        fuzz_check(!"the values read back make a valid payload");
    }
    free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    at_param_decl *decoded = NULL;
    size_t n = 0;
    const at_param_decl *d = fixed;
    size_t nd = sizeof fixed / sizeof fixed[0];
    const char *payload = (const char *) data;
    size_t len = size;
    if (nul) {
        at_error err = {0};
        if (at_params_decode((const char *) data, &decoded, &n, &err) == AT_OK && n > 0) {
            d = decoded;
            nd = n;
        }
        payload = (const char *) nul + 1;
        len = size - (size_t) (nul + 1 - data);
    }
    char *p = fuzz_bytes((const uint8_t *) payload, len);
    at_error err = {0};
    int rc = at_params_check(d, nd, p, len, &err);
    if (rc == AT_OK) {
        check_accepted(d, nd, p, len);
    } else {
        fuzz_check(rc == AT_EINVAL);
        fuzz_check(err.msg[0] && at_utf8_valid(err.msg, strlen(err.msg)));
    }
    free(p);
    free(decoded);
    return 0;
}
