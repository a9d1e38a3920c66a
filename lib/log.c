/* log.c: one line per event, to stderr or syslog. A line is written with a
 * single write(2) so that the lines of many processes sharing stderr do
 * not interleave. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <asynctasks/log.h>

static const char *log_ident = "asynctasks";
static int log_level = AT_LOG_INFO;
static int log_syslog;

void
at_log_init(const char *ident, int level, int use_syslog)
{
    log_ident = ident;
    log_level = level;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
at_log_set_syslog(int on)
{
    if (on && !log_syslog)
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    else if (!on && log_syslog)
        closelog();
    log_syslog = on;
}

void
at_log_set_level(int level)
{
    log_level = level;
}

void
at_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_syslog) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        syslog(prio[level < 0 ? 0 : level > 3 ? 3 : level], "%s", msg);
        return;
    }
    char line[2300], ts[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(line, sizeof line, "%s.%03ldZ %s[%ld] %s: %s\n", ts, now.tv_nsec / 1000000,
                     log_ident, (long) getpid(), at_log_level_str(level), msg);
    if (n > 0) {
        size_t len = (size_t) n < sizeof line ? (size_t) n : sizeof line - 1;
        line[len - 1] = '\n';
        ssize_t ignored = write(STDERR_FILENO, line, len);
        (void) ignored;
    }
}
