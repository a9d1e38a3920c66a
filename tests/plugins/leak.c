/* leak.c: test plugin; "test.leak" leaks memory on every run (32 MiB
 * unless the payload's "mib" says otherwise), touching every page so the
 * memory is really used. mmap keeps it out of leak checkers' reports: the
 * leak is the point. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testplugin.h"

static const at_plugin_param params[] = {
    {.name = "mib", .type = AT_PLUGIN_PARAM_INT, .default_value = "32", .min = 1, .max = 1024,
     .description = "MiB leaked per run"},
};

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    size_t len = (size_t) atol(host->param(job, "mib")) << 20;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        host->error(job, "mmap of %zu bytes failed", len);
        return AT_PLUGIN_FAIL;
    }
    memset(p, 0xa5, len);
    host->result(job, "leaked");
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "test.leak", .description = "Leaks memory on every run", .params = params,
     .nparams = 1, .timeout_s = 30, .max_attempts = 1, .run = run},
};
TEST_PLUGIN("test-leak");
