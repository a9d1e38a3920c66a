/* bench.c: ten no-op task types, bench-0 to bench-9, for bench/throughput
 * and bench/enqueue: workloads spread over several types, each task
 * succeeding at once, so that what is measured is what the system costs
 * per task. Built like plugins/noop.c, against plugin.h alone; not
 * installed. */
#include <asynctasks/plugin.h>

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
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
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "bench",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
