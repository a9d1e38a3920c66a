/* wake.c: placeholder, being written. Until the supervisor's wake-up
 * lands, at_wake does nothing: executors then find new work at their next
 * poll. */
#include "config.h"

#include "internal.h"

#include <asynctasks/run.h>

void
at_wake(at_db *db)
{
    (void) db;
}
