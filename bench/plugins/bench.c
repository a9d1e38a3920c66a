/* bench.c: the task types of bench/throughput and bench/enqueue. Ten
 * no-op types, bench-0 to bench-9, for workloads spread over several types,
 * each task succeeding at once, so that what is measured is what the
 * system costs per task; and bench-sleep, which takes ms=N (one line, as a
 * tab-separated bulk enqueue line can carry it) and sleeps that long.
 * Built like plugins/noop.c, against plugin.h alone; not installed. */
#include <stdlib.h>
#include <time.h>

#include <asynctasks/plugin.h>

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

static const at_plugin_param sleep_params[] = {
    {.name = "ms",
     .type = AT_PLUGIN_PARAM_INT,
     .required = 1,
     .min = 0,
     .max = 60000,
     .description = "How long to sleep, in milliseconds"},
};

static int
run_sleep(const at_host *host, at_job *job, void *state)
{
    (void) state;
    /* the host has checked it against its declaration */
    long ms = atol(host->param(job, "ms"));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    host->result(job, "ok");
    return AT_PLUGIN_OK;
}

#define BENCH_TYPE(n)                                                                             \
    {.name = "bench-" #n,                                                                         \
     .description = "Does nothing and succeeds at once (benchmark type " #n ")",                  \
     .timeout_s = 60,                                                                             \
     .max_attempts = 1,                                                                           \
     .run = run}

static const at_plugin_task_type types[] = {
    BENCH_TYPE(0), BENCH_TYPE(1), BENCH_TYPE(2), BENCH_TYPE(3), BENCH_TYPE(4),
    BENCH_TYPE(5), BENCH_TYPE(6), BENCH_TYPE(7), BENCH_TYPE(8), BENCH_TYPE(9),
    {.name = "bench-sleep",
     .description = "Sleeps ms=N milliseconds, then succeeds",
     .timeout_s = 120,
     .max_attempts = 1,
     .params = sleep_params,
     .nparams = sizeof sleep_params / sizeof sleep_params[0],
     .run = run_sleep},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "bench",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
