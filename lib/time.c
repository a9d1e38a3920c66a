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

static int
days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
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
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (at_time) timegm(&tm) * USEC + usec;
    return 0;
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
    if (len == 0)
        return buf;
    if (t == 0) {
        buf[0] = 0;
        return buf;
    }
    time_t secs = (time_t) (t / USEC);
    if (t < 0 && t % USEC)
        secs -= 1;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
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
