/* cmd_plugin.c: asynctasks plugin check | list | run: what plugins
 * declare, why one is refused, and running a handler once in this process
 * (for plugin authors; no database). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/loader.h>

#include "cli.h"

static const char help[] =
    "usage: asynctasks plugin check FILE.so...\n"
    "       asynctasks plugin list [--dir DIR]\n"
    "       asynctasks plugin run [--spool-dir DIR] FILE.so TYPE [PAYLOAD|-]\n\n"
    "check: prints what each plugin declares, or why it is refused (exit 65\n"
    "when any is refused).\n"
    "list: loads every plugin of the configured plugin_dir (or DIR) as the\n"
    "supervisor does and prints their task types and the refusals (exit 65\n"
    "when any is refused). Needs no database.\n"
    "run: runs one task of TYPE through the plugin in this process, without a\n"
    "database: PAYLOAD is the task's payload ('-': read standard input). Prints\n"
    "the status, result and error; exits 0 when the task succeeded, else 1.\n"
    "Ctrl-C asks the task to stop. Files go to DIR (default: the current\n"
    "directory).\n";

static const char *
param_type_str(int type)
{
    switch (type) {
    case AT_PLUGIN_PARAM_STRING: return "string";
    case AT_PLUGIN_PARAM_INT: return "int";
    case AT_PLUGIN_PARAM_BOOL: return "bool";
    default: return "unknown";
    }
}

static void
print_param(const at_param_decl *d)
{
    printf("    parameter %s: %s, %s", d->name, param_type_str(d->type),
           d->required ? "required" : "optional");
    if (d->has_default)
        printf(", default '%s'", d->default_value);
    if (d->min || d->max)
        printf(", %" PRId64 " to %" PRId64 "%s", d->min, d->max,
               d->type == AT_PLUGIN_PARAM_STRING ? " characters" : "");
    printf("\n");
    if (d->description[0])
        printf("      %s\n", d->description);
}

static void
print_plugin(const at_loaded_plugin *p)
{
    printf("plugin %s\n  name: %s\n  version: %s\n  ABI: %u\n", p->path, p->desc.name,
           p->desc.version ? p->desc.version : "", p->desc.abi_version);
    for (size_t i = 0; i < p->nhandlers; i++) {
        const at_handler *h = &p->handlers[i];
        printf("  task type %s\n", h->type.name);
        if (h->type.description[0])
            printf("    description: %s\n", h->type.description);
        printf("    timeout: %u s\n    attempts: %u\n    payload check: %s\n", h->type.timeout_s,
               h->type.max_attempts,
               h->type.validate ? "yes" : h->nparams ? "parameters only" : "none");
        for (size_t k = 0; k < h->nparams; k++)
            print_param(&h->params[k]);
    }
}

static int
plugin_check(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("plugin", "plugin check needs FILE.so");
    int refused = 0;
    for (int i = 1; i < argc; i++) {
        at_loaded_plugin *p;
        at_error err = {0};
        if (at_plugin_open(argv[i], &p, &err)) {
            if (err.code != AT_EPLUGIN)
                return cli_fail(&err);
            fprintf(stderr, "asynctasks: %s\n", err.msg);
            refused = 1;
            continue;
        }
        print_plugin(p);
        at_plugin_close(p);
    }
    return refused ? EXIT_DATA : EXIT_OK;
}

/* One row of plugin list's table. */
static void
print_row(const at_loaded_plugin *p, const at_handler *h)
{
    cli_cell(stdout, h->type.name, 24);
    putchar(' ');
    cli_cell(stdout, p->desc.name, 20);
    putchar(' ');
    cli_cell(stdout, p->desc.version ? p->desc.version : "", 8);
    putchar(' ');
    cli_cell(stdout, p->path, 0);
    putchar('\n');
}

static int
plugin_list(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'd')
            return cli_bad_option("plugin");
        dir = optarg;
    }
    if (optind != argc)
        return cli_usage("plugin", "unexpected argument '%s'", argv[optind]);
    at_error err = {0};
    if (!dir) {
        if (!c->cfg && at_config_load(c->config_path, &c->cfg, &err))
            return cli_fail(&err);
        dir = c->cfg->plugin_dir;
    }
    at_plugin_set *set;
    if (at_plugins_load(dir, &set, &err))
        return cli_fail(&err);
    printf("%-24s %-20s %-8s %s\n", "TYPE", "PLUGIN", "VERSION", "FILE");
    for (size_t i = 0; i < set->n; i++) {
        const at_loaded_plugin *p = set->plugins[i];
        for (size_t k = 0; k < p->nhandlers; k++)
            print_row(p, &p->handlers[k]);
    }
    for (size_t i = 0; i < set->nrefusals; i++)
        fprintf(stderr, "asynctasks: refused: %s\n", set->refusals[i]);
    int rc = set->nrefusals ? EXIT_DATA : EXIT_OK;
    at_plugins_free(set);
    return rc;
}

/* Prints each line of text after label, so that a multi-line result
 * stays readable and greppable. */
static void
print_lines(const char *label, const char *text)
{
    while (text) {
        const char *nl = strchr(text, '\n');
        int len = nl ? (int) (nl - text) : (int) strlen(text);
        printf("%s: %.*s\n", label, len, text);
        text = nl ? nl + 1 : NULL;
    }
}

static int
plugin_run(int argc, char **argv)
{
    static const struct option opts[] = {{"spool-dir", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *spool = ".";
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 's')
            return cli_bad_option("plugin");
        spool = optarg;
    }
    if (argc - optind < 2 || argc - optind > 3)
        return cli_usage("plugin", "plugin run takes FILE.so TYPE [PAYLOAD]");
    const char *file = argv[optind], *type = argv[optind + 1];
    at_error err = {0};
    at_loaded_plugin *p;
    if (at_plugin_open(file, &p, &err))
        return cli_fail(&err);
    int rc = EXIT_FAIL;
    at_handler *h = NULL;
    for (size_t i = 0; i < p->nhandlers; i++)
        if (strcmp(p->handlers[i].type.name, type) == 0)
            h = &p->handlers[i];
    char *payload = NULL;
    size_t len = 0;
    if (!h) {
        rc = cli_usage("plugin", "plugin %s declares no task type '%s'", file, type);
        goto out;
    }
    if (argc - optind == 3) {
        const char *arg = argv[optind + 2];
        if (strcmp(arg, "-") == 0) {
            if (cli_read_file("-", AT_PAYLOAD_MAX, &payload, &len, &err)) {
                rc = cli_fail(&err);
                goto out;
            }
        } else if (!(payload = strdup(arg))) {
            rc = EXIT_SOFTWARE;
            goto out;
        } else {
            len = strlen(payload);
        }
    }
    cli_catch_stop(); /* a handler's sleep ends at once and it looks again */
    at_job_info info = {.attempt = 1,
                        .payload = payload,
                        .payload_len = len,
                        .spool_dir = spool,
                        .stop = &cli_stop_requested};
    at_job_outcome out;
    if (at_job_run(h, &info, &out, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    printf("status: %s\n", at_plugin_status_str(out.status));
    print_lines("result", out.result);
    print_lines("error", out.error);
    rc = out.status == AT_PLUGIN_OK ? EXIT_OK : EXIT_FAIL;
    at_job_outcome_clear(&out);
    {
        at_plugin_set one = {.plugins = &p, .n = 1};
        at_plugins_fini(&one);
    }
out:
    free(payload);
    at_plugin_close(p);
    return rc;
}

int
cmd_plugin(cli *c, int argc, char **argv)
{
    int hc = cli_help(argc, argv, help);
    if (hc >= 0)
        return hc;
    const char *sub = argv[1];
    argv = cli_shift(argv), argc--;
    if (strcmp(sub, "check") == 0)
        return plugin_check(argc, argv);
    if (strcmp(sub, "list") == 0)
        return plugin_list(c, argc, argv);
    if (strcmp(sub, "run") == 0)
        return plugin_run(argc, argv);
    return cli_usage("plugin", "unknown subcommand '%s'", sub);
}
