/* hello.c: an asynctasks plugin, as small as a useful one gets. It
 * declares the task type "hello", whose payload may name someone
 * ("name=Ada"), and whose result greets them.
 *
 * Build it against the installed SDK:  make
 * Check it:                            asynctasks plugin check ./hello.so
 * Try it:                              asynctasks plugin run ./hello.so hello name=Ada
 * See asynctasks-plugin(3). */
#include <stdio.h>

#include <asynctasks/plugin.h>

static const at_plugin_param params[] = {
    {.name = "name",
     .type = AT_PLUGIN_PARAM_STRING,
     .default_value = "world",
     .min = 1,
     .max = 100,
     .description = "Who to greet"},
};

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    char greeting[256];
    /* the host checked the payload against params before this call */
    snprintf(greeting, sizeof greeting, "Hello, %s!", host->param(job, "name"));
    host->log(job, AT_PLUGIN_LOG_INFO, "greeting %s", host->param(job, "name"));
    /* progress and the like only where the host has them (a newer
     * plugin may run on an older host) */
    if (AT_HOST_HAS(host, progress))
        host->progress(job, 1, 1);
    if (host->result(job, greeting) != 0) {
        host->error(job, "the greeting was refused");
        return AT_PLUGIN_FAIL;
    }
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "hello",
     .description = "Greets someone",
     .params = params,
     .nparams = sizeof params / sizeof params[0],
     .timeout_s = 10,
     .max_attempts = 1,
     .run = run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "hello",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
