/* noop.c: the task type "noop", which succeeds at once. It measures what
 * the system costs per task: claim, run, finish, with no work between. */
#include <asynctasks/plugin.h>

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "noop",
     .description = "Does nothing and succeeds at once (for benchmarks)",
     .timeout_s = 60,
     .max_attempts = 1,
     .run = run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "noop",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
