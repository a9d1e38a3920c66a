/* crash.c: test plugin; "test.crash" dies of SIGSEGV in run(), so the
 * supervisor's handling of a crashed executor can be tested. */
#include <signal.h>

#include "testplugin.h"

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) host, (void) job, (void) state;
    /* the default action even where a sanitizer catches SIGSEGV */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "test.crash", .description = "Crashes (SIGSEGV)", .timeout_s = 10,
     .max_attempts = 2, .run = run},
};
TEST_PLUGIN("test-crash");
