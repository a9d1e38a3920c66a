/* hang.c: test plugin; "test.hang" never returns and ignores
 * should_stop, so only the timeout (2 s) ends it. */
#include <unistd.h>

#include "testplugin.h"

static int __attribute__((noreturn))
run(const at_host *host, at_job *job, void *state)
{
    (void) host, (void) job, (void) state;
    for (;;)
        sleep(1);
}

static const at_plugin_task_type types[] = {
    {.name = "test.hang", .description = "Hangs, ignoring should_stop", .timeout_s = 2,
     .max_attempts = 2, .run = run},
};
TEST_PLUGIN("test-hang");
