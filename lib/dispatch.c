/* dispatch.c: the periodic work every supervisor does for the database as
 * a whole: due lanes, expired pause rules, leftover lane flags. Any number
 * of supervisors may do it at once: each step is idempotent, and the
 * leftover work is taken row by row with SKIP LOCKED. */
#include "config.h"

#include "internal.h"

#define LANE_WORK_BUDGET_MS 50 /* per dispatch: a tick of the supervisor's loop */

int
at_dispatch(at_db *db, int *woken, at_error *err)
{
    *woken = 0;
    uint64_t due = 0, expired = 0, platform_expired = 0;
    unsigned chunks = 0;
    int rc = lanes_wake_due(db, &due, err);
    if (rc == AT_OK)
        rc = pause_expire_due(db, &expired, err);
    if (rc == AT_OK)
        rc = pause_platform_expire_due(db, &platform_expired, err);
    if (rc == AT_OK)
        rc = at_lane_work_run(db, LANE_WORK_BUDGET_MS, &chunks, err);
    *woken = due || expired || platform_expired || chunks;
    return rc ? at_error_wrap(err, "dispatch") : AT_OK;
}
