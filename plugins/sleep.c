/* sleep.c: the task type "sleep": waits as long as its payload says,
 * reporting progress, and stops early when asked to. For demonstrations
 * and for testing timeouts, cancelling and draining. */
#include <stdlib.h>
#include <time.h>

#include <asynctasks/plugin.h>

#define STEP_MS 50 /* how often should_stop is looked at */

static const at_plugin_param params[] = {
    {.name = "seconds",
     .type = AT_PLUGIN_PARAM_INT,
     .required = 1,
     .min = 0,
     .max = 86400,
     .description = "How long to sleep, in seconds"},
    {.name = "ms",
     .type = AT_PLUGIN_PARAM_INT,
     .default_value = "0",
     .min = 0,
     .max = 999,
     .description = "Milliseconds added to the seconds"},
};

static void
nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    /* a signal (the stop request) cuts the nap short, which is fine */
    nanosleep(&ts, NULL);
}

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    /* the host has checked both against their declarations */
    long total = atol(host->param(job, "seconds")) * 1000 + atol(host->param(job, "ms"));
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long done = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (done >= total)
            break;
        host->progress(job, (uint64_t) done, (uint64_t) total);
        if (host->should_stop(job)) {
            host->error(job, "stopped after %ld of %ld ms", done, total);
            return AT_PLUGIN_CANCELLED;
        }
        nap(total - done < STEP_MS ? total - done : STEP_MS);
    }
    host->progress(job, (uint64_t) total, (uint64_t) total);
    host->result(job, "slept");
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "sleep",
     .description = "Sleeps for the given seconds, reporting progress",
     .params = params,
     .nparams = sizeof params / sizeof params[0],
     .timeout_s = 86400 + 60,
     .max_attempts = 1,
     .run = run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "sleep",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
