/* log.h: the programs' log: to stderr with time, program, pid and level, or
 * to syslog. */
#ifndef ASYNCTASKS_LOG_H
#define ASYNCTASKS_LOG_H

#include <asynctasks/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ident: the program's name; level: enum at_log_level; use_syslog: 1 to
 * send lines to syslog instead of stderr. */
void at_log_init(const char *ident, int level, int use_syslog);
void at_log_set_level(int level);
/* 1: to syslog from now on (the configuration's log = syslog), 0: to
 * stderr. */
void at_log_set_syslog(int on);
void at_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
