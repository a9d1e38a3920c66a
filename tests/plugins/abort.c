/* abort.c: test plugin; "test.abort" calls abort() in run(). */
#include <stdlib.h>

#include "testplugin.h"

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) host, (void) job, (void) state;
    abort();
}

static const at_plugin_task_type types[] = {
    {.name = "test.abort", .description = "Aborts (SIGABRT)", .timeout_s = 10,
     .max_attempts = 2, .run = run},
};
TEST_PLUGIN("test-abort");
