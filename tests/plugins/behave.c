/* behave.c: test plugin with one task type per behaviour of the host
 * that tests check through "asynctasks plugin run": parameters and their
 * defaults, returned statuses, the validate hook, refused results and a
 * database-only host call without a database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testplugin.h"

static const at_plugin_param echo_params[] = {
    {.name = "text", .type = AT_PLUGIN_PARAM_STRING, .min = 2, .max = 20,
     .description = "Some text"},
    {.name = "n", .type = AT_PLUGIN_PARAM_INT, .default_value = "7", .min = -5, .max = 100,
     .description = "A number"},
    {.name = "flag", .type = AT_PLUGIN_PARAM_BOOL, .description = "A switch"},
};

static const char *
or_none(const char *s)
{
    return s ? s : "(none)";
}

/* Echoes the parameters' values as the host gives them. */
static int
echo(const at_host *host, at_job *job, void *state)
{
    (void) state;
    char buf[512];
    size_t len;
    host->payload(job, &len);
    snprintf(buf, sizeof buf, "text=%s\nn=%s\nflag=%s\nundeclared=%s\npayload_len=%zu",
             or_none(host->param(job, "text")), or_none(host->param(job, "n")),
             or_none(host->param(job, "flag")), or_none(host->param(job, "nope")), len);
    host->log(job, AT_PLUGIN_LOG_INFO, "echo: %zu bytes of payload", len);
    host->result(job, buf);
    return AT_PLUGIN_OK;
}

static const at_plugin_param status_params[] = {
    {.name = "code", .type = AT_PLUGIN_PARAM_INT, .required = 1, .min = -100, .max = 100,
     .description = "The status run() returns"},
    {.name = "msg", .type = AT_PLUGIN_PARAM_STRING, .description = "The error message to set"},
};

/* Returns the status the payload asks for, with its error message. */
static int
status(const at_host *host, at_job *job, void *state)
{
    (void) state;
    const char *msg = host->param(job, "msg");
    if (msg)
        host->error(job, "%s", msg);
    return atoi(host->param(job, "code"));
}

static int
validate(const char *payload, size_t len, char *errbuf, size_t errlen)
{
    (void) len;
    if (strstr(payload, "bad")) {
        snprintf(errbuf, errlen, "the payload says 'bad'");
        return 1;
    }
    return 0;
}

static int
validated(const at_host *host, at_job *job, void *state)
{
    (void) state;
    host->result(job, host->payload(job, NULL));
    return AT_PLUGIN_OK;
}

/* Offers the host results it must refuse, then one it must take. */
static int
results(const at_host *host, at_job *job, void *state)
{
    (void) state;
    size_t big = 64 * 1024 + 1;
    char *p = malloc(big + 1);
    if (!p)
        return AT_PLUGIN_RETRY;
    memset(p, 'x', big);
    p[big] = 0;
    int too_long = host->result(job, p);
    p[64 * 1024] = 0;
    int just_fits = host->result(job, p);
    free(p);
    int bad_utf8 = host->result(job, "caf\xc3");
    char buf[128];
    snprintf(buf, sizeof buf, "too_long=%d just_fits=%d bad_utf8=%d", too_long, just_fits,
             bad_utf8);
    host->result(job, buf);
    host->error(job, "not \xff UTF-8");
    return AT_PLUGIN_FAIL;
}

static int
no_db(void *ctx, const char *const *fields, size_t n)
{
    (void) ctx, (void) fields, (void) n;
    return 0;
}

/* each_task without a database must fail with a reason, not crash. */
static int
each(const at_host *host, at_job *job, void *state)
{
    (void) state;
    if (host->each_task(job, no_db, NULL) != 0)
        return AT_PLUGIN_RETRY;
    host->result(job, "each_task worked");
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "test.echo", .description = "Echoes its parameters", .params = echo_params,
     .nparams = 3, .run = echo},
    {.name = "test.status", .description = "Returns the status it is given",
     .params = status_params, .nparams = 2, .run = status},
    {.name = "test.validate", .description = "Refuses payloads that say 'bad'",
     .validate = validate, .run = validated},
    {.name = "test.result", .description = "Offers results the host must refuse",
     .run = results},
    {.name = "test.each", .description = "Reads the business's tasks", .run = each},
};
TEST_PLUGIN("test-behave");
