/* initfail.c: test plugin whose init() fails: its "test.initfail" tasks
 * fail (to be retried) with a message naming the plugin. */
#include "testplugin.h"

static int
init(const at_host *host, void **state)
{
    (void) host, (void) state;
    return 7;
}

static const at_plugin_task_type types[] = {
    {.name = "test.initfail", .description = "Never runs: init fails", .timeout_s = 10,
     .max_attempts = 2, .run = test_ok_run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER, .name = "test-initfail", .version = "test", .types = types,
    .ntypes = 1,      .init = init,
};
