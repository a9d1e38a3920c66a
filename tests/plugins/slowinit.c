/* slowinit.c: test plugin; its init() takes 2 s, so each executor's
 * first "test.slowinit" task waits for it and later ones do not. */
#include <time.h>

#include "testplugin.h"

static int
init(const at_host *host, void **state)
{
    struct timespec ts = {2, 0};
    while (nanosleep(&ts, &ts) != 0)
        ;
    host->log(NULL, AT_PLUGIN_LOG_INFO, "slowinit: initialised");
    *state = NULL;
    return 0;
}

static const at_plugin_task_type types[] = {
    {.name = "test.slowinit", .description = "Succeeds; its plugin's init takes 2 s",
     .timeout_s = 10, .max_attempts = 1, .run = test_ok_run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER, .name = "test-slowinit", .version = "test", .types = types,
    .ntypes = 1,      .init = init,
};
