/* fuzz_cron.c: a fuzz target for cron expressions (lib/cron.c). A
 * refusal is AT_EINVAL with a message in valid UTF-8 that begins
 * "cron: "; an expression read has a value in every field and none out
 * of its range, reads the same with the seconds field allowed, and its
 * next occurrence is later, matches every field, and is the same in UTC
 * by wall clock and by instant; in Europe/Berlin it is later too. */
#include <string.h>
#include <time.h>

#include <asynctasks/asynctasks.h>

#include "fuzz.h"

#define AFTER ((int64_t) 1774742400) /* 2026-03-29 00:00:00 UTC, a day of a transition */

static void
check_fields(const at_cron *c)
{
    fuzz_check(c->sec && c->sec >> 60 == 0 && c->min && c->min >> 60 == 0);
    fuzz_check(c->hour && c->hour >> 24 == 0);
    fuzz_check(c->dom && (c->dom & 1) == 0);
    fuzz_check(c->mon && (c->mon & 1) == 0 && c->mon >> 13 == 0);
    fuzz_check(c->dow && c->dow >> 7 == 0);
}

/* t, a wall time, matches c. */
static void
check_match(const at_cron *c, int64_t t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    fuzz_check(gmtime_r(&tt, &tm) != NULL);
    fuzz_check(c->sec >> tm.tm_sec & 1 && c->min >> tm.tm_min & 1 && c->hour >> tm.tm_hour & 1);
    fuzz_check(c->mon >> (tm.tm_mon + 1) & 1);
    int dom = c->dom >> tm.tm_mday & 1, dow = c->dow >> tm.tm_wday & 1;
    fuzz_check(c->dom_star || c->dow_star ? dom && dow : dom || dow);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    at_cron c, c6;
    at_error err = {0};
    int rc = at_cron_parse(s, 0, &c, &err);
    int rc6 = at_cron_parse(s, AT_CRON_SECONDS, &c6, &err);
    if (rc != AT_OK) {
        fuzz_check(rc == AT_EINVAL && strncmp(err.msg, "cron: ", 6) == 0);
        fuzz_check(at_utf8_valid(err.msg, strlen(err.msg)));
        fuzz_check(rc6 == AT_OK || rc6 == AT_EINVAL);
        if (rc6 != AT_OK) {
            free(s);
            return 0;
        }
        c = c6;
    } else {
        fuzz_check(rc6 == AT_OK && memcmp(&c, &c6, sizeof c) == 0);
    }
    check_fields(&c);
    int64_t w;
    if (at_cron_next_wall(&c, AFTER, &w)) {
        fuzz_check(w > AFTER);
        check_match(&c, w);
        at_time n;
        fuzz_check(at_cron_next(&c, "UTC", (at_time) AFTER * 1000000, &n, &err) == AT_OK);
        fuzz_check(n == (at_time) w * 1000000);
        if (at_cron_next(&c, "Europe/Berlin", (at_time) AFTER * 1000000, &n, &err) == AT_OK)
            fuzz_check(n > (at_time) AFTER * 1000000);
    }
    free(s);
    return 0;
}
