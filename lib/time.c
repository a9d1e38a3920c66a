/* time.c: the one time format users type and read, all UTC. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"

#define USEC 1000000LL

at_time
at_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (at_time) ts.tv_sec * USEC + ts.tv_nsec / 1000;
}

int
days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* Days from 1970-01-01 to y-m-d, and back, in the proleptic Gregorian
 * calendar, by eras of 400 years (146097 days); what timegm and gmtime_r
 * compute, without their locale and time-zone locks. */
int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                 /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;         /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *
put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char) ('0' + v % 10);
    return p + n;
}

/* Writes t as "YYYY-MM-DD<sep>HH:MM:SS", then ".uuuuuuZ" when usec; ""
 * for 0, and for a year outside 0 to 9999 (which no stored time has). */
static char *
time_write(at_time t, char sep, bool usec, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = 0;
    int64_t secs = t / USEC, frac = t % USEC;
    if (frac < 0) {
        frac += USEC;
        secs -= 1;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (t == 0 || y < 0 || y > 9999 || len < (usec ? 28u : 20u))
        return buf;
    char *p = put_digits(buf, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = sep;
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    if (usec) {
        *p++ = '.';
        p = put_digits(p, frac, 6);
        *p++ = 'Z';
    }
    *p = 0;
    return buf;
}

/* Parses exactly n digits at s. */
static int
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char) s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

at_time
at_time_from_parts(int y, int mo, int d, int h, int mi, int sec, long usec)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || usec < 0 || usec >= USEC)
        return 0;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return (at_time) secs * USEC + usec;
}

static int
parse_absolute(const char *s, at_time *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    long usec = 0;
    size_t n = strlen(s);
    if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return -1;
    const char *p = s + 10;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
            return -1;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec))
                return -1;
            p += 3;
            if (*p == '.') {
                p++;
                int k = 0;
                long frac = 0;
                while (isdigit((unsigned char) *p) && k < 6) {
                    frac = frac * 10 + (*p++ - '0');
                    k++;
                }
                if (k == 0 || isdigit((unsigned char) *p))
                    return -1;
                while (k++ < 6)
                    frac *= 10;
                usec = frac;
            }
        }
        if (*p == 'Z')
            p++;
    }
    if (*p)
        return -1;
    *out = at_time_from_parts(y, mo, d, h, mi, sec, usec);
    return *out ? 0 : -1;
}

int
at_time_parse(const char *s, at_time now, at_time *out, at_error *err)
{
    if (!s || !*s)
        return at_error_set(err, AT_EINVAL, "time is empty");
    if (strcmp(s, "now") == 0) {
        *out = now;
        return AT_OK;
    }
    if (s[0] == '+') {
        char *end;
        if (!isdigit((unsigned char) s[1]))
            goto bad;
        long long v = strtoll(s + 1, &end, 10);
        long long unit;
        if (strcmp(end, "s") == 0)
            unit = 1;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
            unit = 60;
        else if (strcmp(end, "h") == 0)
            unit = 3600;
        else if (strcmp(end, "d") == 0)
            unit = 86400;
        else
            goto bad;
        if (v < 0 || v > 3650LL * 86400 / unit)
            return at_error_set(err, AT_EINVAL, "time '%s' is too far ahead (at most 10 years)", s);
        *out = now + v * unit * USEC;
        return AT_OK;
    }
    if (parse_absolute(s, out) == 0)
        return AT_OK;
bad:
    return at_error_set(err, AT_EINVAL,
                        "time '%.40s' is not understood: use YYYY-MM-DD[ HH:MM[:SS]] (UTC), now, "
                        "or +N followed by s, m, h or d",
                        at_utf8_valid(s, strlen(s)) ? s : "?");
}

char *
at_time_format(at_time t, char *buf, size_t len)
{
    return time_write(t, ' ', false, buf, len);
}

char *
at_time_iso(at_time t, char *buf, size_t len)
{
    return time_write(t, 'T', true, buf, len);
}

at_time
at_time_from_sql(const char *s, size_t len)
{
    char tmp[40];
    if (len >= sizeof tmp)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    at_time t;
    if (parse_absolute(tmp, &t))
        return 0;
    return t;
}
