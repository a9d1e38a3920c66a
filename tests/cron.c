/* cron.c: the cron parser and the next occurrence: lists, ranges, steps,
 * names, the day-of-month/day-of-week OR rule, month ends, leap years,
 * and daylight saving time in Europe/Berlin and America/New_York. */
#include <stdint.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

/* The occurrence of expr in tz after the UTC time after, as UTC text. */
static const char *
next_of(const char *expr, unsigned flags, const char *tz, const char *after)
{
    static char out[64];
    at_error err = {0};
    at_cron c;
    at_time a, n;
    if (at_cron_parse(expr, flags, &c, &err) || at_time_parse(after, 0, &a, &err) ||
        at_cron_next(&c, tz, a, &n, &err)) {
        snprintf(out, sizeof out, "error: %.50s", err.msg);
        return out;
    }
    return at_time_format(n, out, sizeof out);
}

#define NEXT(expr, tz, after, want) is_str(next_of(expr, 0, tz, after), want, "%s in %s after %s", \
                                           expr, tz, after)

static void
refused(const char *expr, const char *words)
{
    at_cron c;
    at_error err = {0};
    int rc = at_cron_parse(expr, 0, &c, &err);
    if (!ok(rc == AT_EINVAL && strstr(err.msg, words), "'%s' refused: %s", expr, words))
        diag("  rc %d, message: %s", rc, err.msg);
}

int
main(void)
{
    at_error err = {0};
    /* lists, ranges, steps */
    NEXT("*/15 * * * *", "UTC", "2026-01-01 10:07", "2026-01-01 10:15:00");
    NEXT("*/15 * * * *", "UTC", "2026-01-01 10:15", "2026-01-01 10:30:00");
    NEXT("0 9-17/4 * * *", "UTC", "2026-01-01 13:00", "2026-01-01 17:00:00");
    NEXT("0 9-17/4 * * *", "UTC", "2026-01-01 17:00", "2026-01-02 09:00:00");
    NEXT("5,10,50 1 * * *", "UTC", "2026-01-01 01:10", "2026-01-01 01:50:00");
    NEXT("10/20 * * * *", "UTC", "2026-01-01 00:31", "2026-01-01 00:50:00");
    NEXT("0 0 1,15 * *", "UTC", "2026-01-01 00:00", "2026-01-15 00:00:00");
    /* month ends and leap years */
    NEXT("0 0 31 * *", "UTC", "2026-01-31 00:00", "2026-03-31 00:00:00");
    NEXT("0 12 30 * *", "UTC", "2026-01-30 12:00", "2026-03-30 12:00:00");
    NEXT("0 0 29 2 *", "UTC", "2026-01-01 00:00", "2028-02-29 00:00:00");
    NEXT("0 0 29 2 *", "UTC", "2096-03-01 00:00", "2104-02-29 00:00:00");
    NEXT("59 23 31 12 *", "UTC", "2026-12-31 23:59", "2027-12-31 23:59:00");
    /* names; 7 is Sunday */
    NEXT("30 8 * JAN-MAR MON-FRI", "UTC", "2026-01-02 09:00", "2026-01-05 08:30:00");
    NEXT("0 0 * * 7", "UTC", "2026-01-01 00:00", "2026-01-04 00:00:00");
    NEXT("0 0 * * sun", "UTC", "2026-01-01 00:00", "2026-01-04 00:00:00");
    /* 7/STEP: from Sunday on, the 7 read as its 0 (the fuzzer found
     * that it made an empty field: a schedule that never ran) */
    NEXT("0 0 * * 7/7", "UTC", "2026-01-01 00:00", "2026-01-04 00:00:00");
    NEXT("0 0 * * 7/3", "UTC", "2026-01-04 00:00", "2026-01-07 00:00:00");
    NEXT("0 0 1 jun *", "UTC", "2026-01-01 00:00", "2026-06-01 00:00:00");
    /* both day fields restricted: either (2026-01-02 is a Friday) */
    NEXT("0 0 13 * FRI", "UTC", "2026-01-01 00:00", "2026-01-02 00:00:00");
    NEXT("0 0 13 * FRI", "UTC", "2026-01-09 00:00", "2026-01-13 00:00:00");
    /* one beginning with "*": both (odd days that are Mondays) */
    NEXT("0 0 */2 * MON", "UTC", "2026-01-01 00:00", "2026-01-05 00:00:00");
    NEXT("0 0 */2 * MON", "UTC", "2026-01-05 00:00", "2026-01-19 00:00:00");
    NEXT("@monthly", "UTC", "2026-01-15 00:00", "2026-02-01 00:00:00");
    NEXT("@weekly", "UTC", "2026-01-01 00:00", "2026-01-04 00:00:00");
    is_str(next_of("0 0 30 2 *", 0, "UTC", "2026-01-01 00:00"),
           "error: cron: no occurrence within 9 years", "30 February never comes");

    /* Europe/Berlin: 2026-03-29 02:00 CET becomes 03:00 CEST (01:00 UTC);
     * 02:30 does not exist that day and moves to 03:00 CEST */
    NEXT("30 2 * * *", "Europe/Berlin", "2026-03-28 02:00", "2026-03-29 01:00:00");
    NEXT("30 2 * * *", "Europe/Berlin", "2026-03-29 01:00", "2026-03-30 00:30:00");
    NEXT("*/30 * * * *", "Europe/Berlin", "2026-03-29 00:30", "2026-03-29 01:00:00");
    NEXT("*/30 * * * *", "Europe/Berlin", "2026-03-29 01:00", "2026-03-29 01:30:00");
    NEXT("0 9 * * *", "Europe/Berlin", "2026-03-28 12:00", "2026-03-29 07:00:00");
    /* 2026-10-25 03:00 CEST becomes 02:00 CET (01:00 UTC): 02:30 happens
     * twice and is an occurrence once, the first time */
    NEXT("30 2 * * *", "Europe/Berlin", "2026-10-24 23:00", "2026-10-25 00:30:00");
    NEXT("30 2 * * *", "Europe/Berlin", "2026-10-25 00:30", "2026-10-26 01:30:00");
    NEXT("0 * * * *", "Europe/Berlin", "2026-10-25 00:00", "2026-10-25 02:00:00");
    NEXT("0 9 * * *", "Europe/Berlin", "2026-10-25 12:00", "2026-10-26 08:00:00");
    /* America/New_York: 2026-03-08 02:00 EST becomes 03:00 EDT (07:00
     * UTC); 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC) */
    NEXT("30 2 * * *", "America/New_York", "2026-03-07 12:00", "2026-03-08 07:00:00");
    NEXT("30 2 * * *", "America/New_York", "2026-03-08 07:00", "2026-03-09 06:30:00");
    NEXT("30 1 * * *", "America/New_York", "2026-10-31 12:00", "2026-11-01 05:30:00");
    NEXT("30 1 * * *", "America/New_York", "2026-11-01 05:30", "2026-11-02 06:30:00");
    NEXT("0 0 1 * *", "America/New_York", "2026-06-15 00:00", "2026-07-01 04:00:00");

    /* a sixth field, seconds, only when asked for */
    is_str(next_of("*/5 * * * * *", AT_CRON_SECONDS, "UTC", "2026-01-01 10:00:03"),
           "2026-01-01 10:00:05", "seconds field: every 5 s");
    is_str(next_of("0 * * * *", AT_CRON_SECONDS, "UTC", "2026-01-01 10:00:03"),
           "2026-01-01 11:00:00", "five fields with seconds allowed: second 0");
    refused("*/5 * * * * *", "more than five fields");

    /* refusals name the field */
    refused("60 * * * *", "minute field: '60' is not from 0 to 59");
    refused("* 24 * * *", "hour field: '24' is not from 0 to 23");
    refused("* * 0 * *", "day-of-month field: '0' is not from 1 to 31");
    refused("* * * 13 *", "month field: '13' is not from 1 to 12 (or JAN to DEC)");
    refused("* * * * 8", "day-of-week field: '8' is not from 0 to 7 (or SUN to SAT)");
    refused("* * * *", "4 fields, not five");
    refused("", "0 fields, not five");
    refused("5-1 * * * *", "minute field: '5-1' is a range that goes backwards");
    refused("*/0 * * * *", "minute field: '*/0' has a step");
    refused("MON * * * *", "minute field: 'MON' is not a number");
    refused("* * * * MONDAY", "day-of-week field: 'MONDAY'");
    refused("1,,2 * * * *", "minute field: an empty item");
    refused("1- * * * *", "minute field: '1-' has a range without its end");
    refused("@reboot", "unknown macro '@reboot'");
    refused("* * * * * * *", "more than five fields");

    /* time zones */
    ok(at_tz_check("Europe/Berlin", &err) == AT_OK, "Europe/Berlin is a time zone");
    ok(at_tz_check("UTC", &err) == AT_OK, "UTC is a time zone");
    ok(at_tz_check("Mars/Olympus_Mons", &err) == AT_EINVAL &&
           strstr(err.msg, "no time zone 'Mars/Olympus_Mons'"),
       "an unknown zone is refused by name");
    ok(at_tz_check("../../etc/passwd", &err) == AT_EINVAL, "a path is no zone");
    ok(at_tz_check("/etc/localtime", &err) == AT_EINVAL, "nor an absolute one");
    ok(at_tz_check("", &err) == AT_EINVAL, "nor nothing");
    ok(at_tz_check("zone.tab", &err) == AT_EINVAL, "nor tzdata's other files");
    has_str(next_of("0 0 * * *", 0, "Nowhere/Land", "2026-01-01 00:00"),
            "error: time zone: no time zone 'Nowhere/Land'", "next in an unknown zone refused");
    printf("1..%d\n", tap_n);
    return tap_failed != 0;
}
