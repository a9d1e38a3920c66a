/* exit.c: test plugin; "test.exit" ends the executor with exit(3) in the
 * middle of run(), as a careless plugin might. */
#include <stdlib.h>

#include "testplugin.h"

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) host, (void) job, (void) state;
    exit(3);
}

static const at_plugin_task_type types[] = {
    {.name = "test.exit", .description = "Calls exit(3)", .timeout_s = 10, .max_attempts = 2,
     .run = run},
};
TEST_PLUGIN("test-exit");
