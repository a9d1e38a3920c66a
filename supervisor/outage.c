/* outage.c: a failure that repeats while the database is away, logged as
 * one event: a line when it starts, a reminder every OUTAGE_REMIND_MS,
 * and a line when it ends with how many tries failed over how long; not a
 * line for every try, which at the executors' poll interval would be
 * several a second each. */
#include "config.h"

#include <asynctasks/log.h>

#include "sv.h"

#define OUTAGE_REMIND_MS (5 * 60 * 1000)

void
sv_outage_fail(sv_outage *o, const char *what, const char *msg)
{
    int64_t now = sv_now_ms();
    if (o->fails++ == 0) {
        o->since_ms = o->said_ms = now;
        at_log(AT_LOG_WARN, "%s: %s; retrying, and saying so when it works again", what, msg);
    } else if (now - o->said_ms >= OUTAGE_REMIND_MS) {
        o->said_ms = now;
        at_log(AT_LOG_WARN, "%s: still failing after %u tries over %lld s: %s", what, o->fails,
               (long long) ((now - o->since_ms) / 1000), msg);
    }
}

void
sv_outage_ok(sv_outage *o, const char *what)
{
    if (o->fails == 0)
        return;
    int64_t ms = sv_now_ms() - o->since_ms;
    at_log(AT_LOG_WARN, "%s: working again after %u failed tr%s over %lld.%01lld s", what,
           o->fails, o->fails == 1 ? "y" : "ies", (long long) (ms / 1000),
           (long long) (ms % 1000 / 100));
    o->fails = 0;
}
