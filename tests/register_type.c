/* register_type.c: a helper of the shell and browser tests (not a test of
 * its own): registers a task type with declared parameters through the
 * library, as the supervisor does for a plugin's types, so that the tests
 * need not know how declarations are stored.
 *   register-type CONFIG TYPE PARAM...
 * PARAM is NAME:TYPE:REQUIRED:DEFAULT:MIN:MAX:DESCRIPTION with TYPE one of
 * string, int, bool; REQUIRED 0 or 1; DEFAULT "-" for none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>
#include <asynctasks/plugin.h>

static int
field(char **s, char *out, size_t len, int last)
{
    char *p = *s;
    if (!p)
        return -1;
    char *colon = last ? NULL : strchr(p, ':');
    size_t n = colon ? (size_t) (colon - p) : strlen(p);
    if ((!colon && !last) || n >= len)
        return -1;
    memcpy(out, p, n);
    out[n] = 0;
    *s = colon ? colon + 1 : NULL;
    return 0;
}

static int
parse(char *spec, at_param_decl *d)
{
    char type[16], req[4], num[32];
    memset(d, 0, sizeof *d);
    if (field(&spec, d->name, sizeof d->name, 0) || field(&spec, type, sizeof type, 0) ||
        field(&spec, req, sizeof req, 0) ||
        field(&spec, d->default_value, sizeof d->default_value, 0))
        return -1;
    d->type = strcmp(type, "string") == 0 ? AT_PLUGIN_PARAM_STRING
              : strcmp(type, "int") == 0  ? AT_PLUGIN_PARAM_INT
              : strcmp(type, "bool") == 0 ? AT_PLUGIN_PARAM_BOOL
                                          : 0;
    d->required = strcmp(req, "1") == 0;
    d->has_default = strcmp(d->default_value, "-") != 0;
    if (!d->has_default)
        d->default_value[0] = 0;
    if (field(&spec, num, sizeof num, 0))
        return -1;
    d->min = strtoll(num, NULL, 10);
    if (field(&spec, num, sizeof num, 0))
        return -1;
    d->max = strtoll(num, NULL, 10);
    return field(&spec, d->description, sizeof d->description, 1);
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: register-type CONFIG TYPE PARAM...\n");
        return 64;
    }
    size_t n = (size_t) argc - 3;
    at_param_decl *d = calloc(n ? n : 1, sizeof *d);
    if (!d)
        return 70;
    for (size_t k = 0; k < n; k++) {
        if (parse(argv[3 + k], &d[k])) {
            fprintf(stderr, "register-type: cannot read '%s'\n", argv[3 + k]);
            return 64;
        }
    }
    at_config *cfg;
    at_db *db;
    at_error err = {0};
    uint64_t id;
    if (at_config_parse_file(argv[1], &cfg, &err) || at_db_open(cfg, &db, &err) ||
        at_task_type_register_params(db, argv[2], "registered by the tests", 300, 3, d, n, &id,
                                     &err)) {
        fprintf(stderr, "register-type: %s\n", err.msg);
        return 1;
    }
    printf("%llu\n", (unsigned long long) id);
    at_db_close(db);
    at_config_free(cfg);
    free(d);
    return 0;
}
