/* faulty.c: test plugin for tests/faults/: two task types that behave on
 * most payloads and fail badly on some. Payloads are free-form (no
 * parameters), so that the load can tag each task with a text of its own;
 * a payload holding the word "hang" or "crash" picks the fault.
 * "test.faulty.hang" never returns on a "hang" payload and ignores
 * should_stop, so only its timeout (2 s) ends it; "test.faulty.crash" dies
 * of SIGSEGV on a "crash" payload. Any other payload naps 50 ms, so that
 * executors are mid-task when the test kills them. */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testplugin.h"

static int
asks_for(const at_host *host, at_job *job, const char *word)
{
    const char *p = host->payload(job, NULL);
    return p && strstr(p, word) != NULL;
}

static int
nap(const at_host *host, at_job *job)
{
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

static int
run_hang(const at_host *host, at_job *job, void *state)
{
    (void) state;
    if (asks_for(host, job, "hang"))
        for (;;)
            sleep(1);
    return nap(host, job);
}

static int
run_crash(const at_host *host, at_job *job, void *state)
{
    (void) state;
    if (asks_for(host, job, "crash")) {
        /* the default action even where a sanitizer catches SIGSEGV */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    return nap(host, job);
}

static const at_plugin_task_type types[] = {
    {.name = "test.faulty.hang", .description = "Naps 50 ms; hangs on a payload saying hang",
     .timeout_s = 2, .max_attempts = 2, .run = run_hang},
    {.name = "test.faulty.crash", .description = "Naps 50 ms; crashes on a payload saying crash",
     .timeout_s = 10, .max_attempts = 2, .run = run_crash},
};
TEST_PLUGIN("test-faulty");
