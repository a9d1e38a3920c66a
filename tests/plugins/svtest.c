/* svtest.c: task types for the supervisor tests: a nap that can be
 * retried and cancelled, one that ignores cancels, and eight no-op types
 * for the pause storm. */
#include <time.h>

#include <asynctasks/plugin.h>

static const at_plugin_param nap_params[] = {
    {.name = "ms", .type = AT_PLUGIN_PARAM_INT, .required = 1, .min = 0, .max = 600000,
     .description = "How long to nap, in milliseconds"},
};

/* The ms parameter (the host has checked it is 0..600000). */
static long
ms_of(const at_host *host, at_job *job)
{
    const char *v = host->param(job, "ms");
    long ms = 0;
    for (const char *p = v ? v : ""; *p >= '0' && *p <= '9'; p++)
        ms = ms * 10 + (*p - '0');
    return ms;
}

static int
nap(const at_host *host, at_job *job, void *state)
{
    (void) state;
    long ms = ms_of(host, job);
    for (long done = 0; done < ms; done += 10) {
        if (host->should_stop(job))
            return AT_PLUGIN_CANCELLED;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        host->progress(job, (uint64_t) done, (uint64_t) ms);
    }
    host->result(job, "rested");
    return AT_PLUGIN_OK;
}

/* Naps like test.nap but never looks at should_stop. */
static int
stubborn(const at_host *host, at_job *job, void *state)
{
    (void) state;
    long ms = ms_of(host, job);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return AT_PLUGIN_OK;
}

static int
quick(const at_host *host, at_job *job, void *state)
{
    (void) state;
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

#define STORM(n) {.name = "test.storm." #n, .description = "Does nothing (pause storm)", \
                  .timeout_s = 30, .max_attempts = 3, .run = quick}

static const at_plugin_task_type types[] = {
    {.name = "test.nap", .description = "Naps for ms milliseconds; retried up to 3 times",
     .params = nap_params, .nparams = 1, .timeout_s = 120, .max_attempts = 3, .run = nap},
    {.name = "test.stubborn", .description = "Naps, ignoring should_stop",
     .params = nap_params, .nparams = 1, .timeout_s = 120, .max_attempts = 1, .run = stubborn},
    STORM(0), STORM(1), STORM(2), STORM(3), STORM(4), STORM(5), STORM(6), STORM(7),
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "test-supervisor",
    .version = "test",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
