/* tz.c: IANA time zones, by the C library's reading of tzdata: a name is
 * checked against the files of $TZDIR or /usr/share/zoneinfo, and a zone
 * is entered by setting TZ for the time of a computation (the programs
 * are single-threaded; nothing else of theirs reads local time). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static const char *
tz_dir(void)
{
    const char *d = getenv("TZDIR");
    return d && d[0] ? d : "/usr/share/zoneinfo";
}

/* Letters, digits, "_", "+", "-", and "/" between components that do
 * not begin with ".". */
static int
name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AT_TZ_MAX || s[0] == '/' || s[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' || ch == '-' || ch == '/';
        if (!ok || (ch == '/' && s[i + 1] == '/'))
            return 0;
    }
    return 1;
}

int
at_tz_check(const char *name, at_error *err)
{
    if (!name_ok(name))
        return at_error_set(err, AT_EINVAL, "time zone: '%s' is not a time zone name such as "
                                            "Europe/Berlin or UTC", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tz_dir(), name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char magic[4] = {0};
    ssize_t got = fd >= 0 ? read(fd, magic, sizeof magic) : -1;
    if (fd >= 0)
        close(fd);
    if (got == 4 && memcmp(magic, "TZif", 4) == 0)
        return AT_OK;
    if (strcmp(name, "UTC") == 0)
        return AT_OK; /* the C library's own, with or without tzdata */
    return at_error_set(err, AT_EINVAL, "time zone: no time zone '%s' (the IANA names of %s, "
                                        "such as Europe/Berlin)", name, tz_dir());
}

int
tz_enter(const char *name, tz_scope *s, at_error *err)
{
    int rc = at_tz_check(name, err);
    if (rc)
        return rc;
    const char *old = getenv("TZ");
    s->had = old != NULL;
    s->saved = old ? strdup(old) : NULL;
    char tz[AT_TZ_BUF + 1];
    snprintf(tz, sizeof tz, ":%s", name);
    if ((old && !s->saved) || setenv("TZ", tz, 1) != 0) {
        free(s->saved);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    tzset();
    return AT_OK;
}

void
tz_leave(tz_scope *s)
{
    if (s->had)
        setenv("TZ", s->saved, 1);
    else
        unsetenv("TZ");
    free(s->saved);
    s->saved = NULL;
    tzset();
}

long
tz_offset(int64_t t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}
