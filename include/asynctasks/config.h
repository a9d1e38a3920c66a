/* config.h: the asynctasks.conf file, shared by every program. */
#ifndef ASYNCTASKS_CONFIG_H
#define ASYNCTASKS_CONFIG_H

#include <asynctasks/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most days a retain_* key takes: a hundred years. */
#define AT_RETAIN_DAYS_MAX 36500

enum at_log_level { AT_LOG_ERROR = 0, AT_LOG_WARN, AT_LOG_INFO, AT_LOG_DEBUG };

typedef struct at_config {
    char *path; /* the file this came from */

    /* Database: a unix socket, or host and port. */
    char *db_socket;
    char *db_host;
    unsigned db_port;
    char *db_user;
    char *db_password; /* from db_password or the contents of db_password_file */
    char *db_password_file; /* where it came from (absolute), or NULL */
    /* at_config_reload only: db_password_file could not be read, and the
     * password read from it before was kept */
    unsigned db_password_kept;
    char *db_name;
    unsigned db_timeout; /* seconds, for connect, read and write */

    char *plugin_dir;
    unsigned executors;
    char *fcgi_listen;
    unsigned fcgi_processes;
    /* The socket asynctasks-fcgi binds itself: its owner and group (names;
     * NULL: as created) and permission bits (default 0660). */
    char *fcgi_socket_owner;
    char *fcgi_socket_group;
    unsigned fcgi_socket_mode;
    /* The path of the site the screen lives under ("/tasks"), written before
     * every address it makes and cookie path; "" for the root. */
    char *base_path;
    char *spool_dir;
    int log_level;
    int log_syslog; /* log = syslog: the programs log to syslog (daemon), not stderr */

    /* The supervisor (asynctasksd(8)); user and group apply to asynctasks-fcgi too. */
    char *pidfile;
    char *user;         /* run as this account when started as root (at_account_of) */
    char *group;        /* and this group, rather than the account's own */
    char *wake_address; /* IPv4 address of the wake-up socket, or "off" */
    unsigned poll_interval_ms;    /* an idle executor looks for work this often */
    unsigned heartbeat_interval;  /* seconds */
    unsigned shutdown_grace;      /* seconds running tasks get on SIGTERM */
    unsigned cancel_grace;        /* seconds a cancelled task gets to stop */
    unsigned retry_backoff;       /* seconds before the first retry */
    unsigned executor_max_rss_mb; /* an executor above this is replaced */
    unsigned max_running;         /* a business's cap on running tasks, unless it sets its
                                   * own; 0: none */

    /* GET /metrics (asynctasks-fcgi(8)): allowed to a request that sends
     * "Authorization: Bearer" with the contents of metrics_token_file, or
     * that comes from an address of metrics_allow (addresses and
     * address/prefix networks, separated by spaces). Neither set: metrics
     * are off, and /metrics answers 404. */
    char *metrics_token;      /* the contents of metrics_token_file, or NULL */
    char *metrics_token_file; /* where it came from (absolute), or NULL */
    char *metrics_allow;
    /* Retention (asynctasksd(8), asynctasks prune): days finished tasks
     * (with their attempts), audit entries and spool files are kept; 0,
     * the default, keeps them forever. */
    unsigned retain_finished_days;
    unsigned retain_audit_days;
    unsigned retain_spool_days;
    unsigned retain_interval; /* seconds between the supervisor's prunes (3600) */
    unsigned retain_batch;    /* rows per transaction (1000) */
    unsigned retain_pause_ms; /* between two batches (100) */

    /* Recurring tasks: an occurrence the supervisors reach more than this
     * many seconds after its time is missed, and its schedule's policy
     * skips it or runs the missed ones once (60). */
    unsigned schedule_grace;

    /* For tests only: 1 lets a cron expression have a sixth field, the
     * seconds, first. */
    unsigned test_schedule_seconds;

    /* For tests only: 1 makes asynctasks-fcgi tell, in the header
     * X-Statement-Count of every answer, how many database statements the
     * request ran. */
    unsigned test_statement_header;
} at_config;

/* Finds the configuration: explicit_path if not NULL, else
 * $ASYNCTASKS_CONFIG, else at_config_default_path(); then parses it. */
int at_config_load(const char *explicit_path, at_config **out, at_error *err);

/* Reads prev's file again, as at_config_load would, for a running
 * program's reload. When its db_password_file is the same file as before
 * and cannot be read now (the program has left root behind), the password
 * read from it before is kept and *out's db_password_kept says so. */
int at_config_reload(const at_config *prev, at_config **out, at_error *err);

/* Parses one file. Errors name "file:line". */
int at_config_parse_file(const char *path, at_config **out, at_error *err);

/* Parses text as if it had been read from a file called name; relative
 * paths are resolved against basedir. */
int at_config_parse_string(const char *name, const char *basedir, const char *text,
                           at_config **out, at_error *err);

void at_config_free(at_config *cfg);

/* $(sysconfdir)/asynctasks.conf, as configured at build time. */
const char *at_config_default_path(void);

const char *at_log_level_str(int level);

#ifdef __cplusplus
}
#endif
#endif
