/* demo.c: handlers for the demo data's task types (import, report,
 * mailing, thumbnail, invoice, sync, cleanup), so that the demo's tasks
 * really run: each works for up to a second, reports progress, and now
 * and then fails the way real work does, to show retries. Built for
 * dev/demo; not installed. */
#include <stdlib.h>
#include <time.h>

#include <asynctasks/plugin.h>

static int
work(const at_host *host, at_job *job, void *state)
{
    (void) state;
    /* the same task behaves the same way on every attempt but the last */
    unsigned seed = (unsigned) (host->task_id(job) * 2654435761u);
    unsigned steps = 3 + seed % 8; /* 0.3 to 1 s: the demo's backlog drains in minutes */
    for (unsigned i = 0; i < steps; i++) {
        if (host->should_stop(job))
            return AT_PLUGIN_CANCELLED;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        host->progress(job, i + 1, steps);
    }
    if (seed % 17 == 0 && host->attempt(job) == 1) {
        host->error(job, "the remote service answered 503; will retry");
        return AT_PLUGIN_RETRY;
    }
    if (seed % 53 == 0) {
        host->error(job, "the input file is corrupt (checksum mismatch)");
        return AT_PLUGIN_FAIL;
    }
    host->result(job, "done");
    return AT_PLUGIN_OK;
}

#define DEMO(n, d, t, a) {.name = n, .description = d, .timeout_s = t, .max_attempts = a, .run = work}

static const at_plugin_task_type types[] = {
    DEMO("import", "Imports records from an uploaded file", 900, 3),
    DEMO("report", "Builds a periodic business report", 300, 2),
    DEMO("mailing", "Sends a mailing to a list of recipients", 1800, 5),
    DEMO("thumbnail", "Renders image thumbnails", 120, 3),
    DEMO("invoice", "Generates and sends invoices", 300, 4),
    DEMO("sync", "Synchronises with an external calendar", 120, 5),
    DEMO("cleanup", "Removes expired temporary files", 600, 1),
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "demo",
    .version = "1",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
