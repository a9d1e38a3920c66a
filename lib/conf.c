/* conf.c: reads asynctasks.conf: "key = value" lines and "#" comment
 * lines. Every key is declared once in the table below with its checker;
 * anything else is an error naming file:line. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#ifndef AT_SYSCONFDIR
#define AT_SYSCONFDIR "/etc"
#endif
#ifndef AT_PLUGINDIR
#define AT_PLUGINDIR "/usr/lib/asynctasks/plugins"
#endif
#ifndef AT_RUNDIR
#define AT_RUNDIR "/run/asynctasks"
#endif
#ifndef AT_SPOOLDIR
#define AT_SPOOLDIR "/var/spool/asynctasks"
#endif

#define LINE_MAX_BYTES 4096
#define SUN_PATH_MAX   107 /* sizeof(sockaddr_un.sun_path) - 1 */

enum kind {
    K_STRING, K_PATH, K_SOCKET, K_UINT, K_LOGLEVEL, K_LOGTO, K_SECRET_FILE, K_ACCOUNT, K_MODE,
    K_URLPATH, K_ADDRESSES
};

#define ACCOUNT_NAME_MAX 32 /* as useradd allows */
#define BASE_PATH_MAX    200

struct key {
    const char *name;
    enum kind kind;
    size_t off;                 /* char* or unsigned/int field in at_config */
    unsigned long min, max;     /* for K_UINT */
    const char *help;           /* what the value is, for error messages */
};

#define F(field) offsetof(at_config, field)

static const struct key keys[] = {
    {"db_socket", K_SOCKET, F(db_socket), 0, 0, "the MariaDB unix socket"},
    {"db_host", K_STRING, F(db_host), 0, 0, "the MariaDB host name"},
    {"db_port", K_UINT, F(db_port), 1, 65535, "the MariaDB TCP port"},
    {"db_user", K_STRING, F(db_user), 0, 0, "the MariaDB user"},
    {"db_password", K_STRING, F(db_password), 0, 0, "the MariaDB password"},
    {"db_password_file", K_SECRET_FILE, F(db_password), 0, 0, "a file holding the password"},
    {"db_name", K_STRING, F(db_name), 0, 0, "the database name"},
    {"db_timeout", K_UINT, F(db_timeout), 1, 3600, "seconds"},
    {"plugin_dir", K_PATH, F(plugin_dir), 0, 0, "the plugin directory"},
    {"executors", K_UINT, F(executors), 1, 256, "the number of executors"},
    {"fcgi_listen", K_SOCKET, F(fcgi_listen), 0, 0, "the FastCGI unix socket"},
    {"fcgi_processes", K_UINT, F(fcgi_processes), 1, 256, "the number of FastCGI processes"},
    {"spool_dir", K_PATH, F(spool_dir), 0, 0, "the spool directory"},
    {"log_level", K_LOGLEVEL, F(log_level), 0, 0, "error, warn, info or debug"},
    {"log", K_LOGTO, F(log_syslog), 0, 0, "stderr or syslog"},
    {"pidfile", K_PATH, F(pidfile), 0, 0, "the supervisor's pidfile"},
    {"user", K_ACCOUNT, F(user), 0, 0, "the account the programs run as when started as root"},
    {"group", K_ACCOUNT, F(group), 0, 0, "the group the programs run as when started as root"},
    {"fcgi_socket_owner", K_ACCOUNT, F(fcgi_socket_owner), 0, 0, "the FastCGI socket's owner"},
    {"fcgi_socket_group", K_ACCOUNT, F(fcgi_socket_group), 0, 0, "the FastCGI socket's group"},
    {"fcgi_socket_mode", K_MODE, F(fcgi_socket_mode), 0, 0777,
     "the FastCGI socket's permissions, in octal"},
    {"base_path", K_URLPATH, F(base_path), 0, 0, "the path the screen lives under, as /tasks"},
    {"wake_address", K_STRING, F(wake_address), 0, 0, "an IPv4 address, or off"},
    {"poll_interval_ms", K_UINT, F(poll_interval_ms), 10, 60000, "milliseconds"},
    {"heartbeat_interval", K_UINT, F(heartbeat_interval), 1, 300, "seconds"},
    {"shutdown_grace", K_UINT, F(shutdown_grace), 0, 86400, "seconds"},
    {"cancel_grace", K_UINT, F(cancel_grace), 0, 3600, "seconds"},
    {"retry_backoff", K_UINT, F(retry_backoff), 1, 86400, "seconds"},
    {"executor_max_rss_mb", K_UINT, F(executor_max_rss_mb), 16, 1048576, "MiB"},
    {"max_running", K_UINT, F(max_running), 0, 1000000,
     "the running tasks a business may have (0: any number)"},
    {"metrics_token_file", K_SECRET_FILE, F(metrics_token), 0, 0,
     "a file holding the token that may read /metrics"},
    {"metrics_allow", K_ADDRESSES, F(metrics_allow), 0, 0,
     "the addresses that may read /metrics, separated by spaces"},
    {"retain_finished_days", K_UINT, F(retain_finished_days), 0, AT_RETAIN_DAYS_MAX,
     "days finished tasks are kept; 0 keeps them forever"},
    {"retain_audit_days", K_UINT, F(retain_audit_days), 0, AT_RETAIN_DAYS_MAX,
     "days audit entries are kept; 0 keeps them forever"},
    {"retain_spool_days", K_UINT, F(retain_spool_days), 0, AT_RETAIN_DAYS_MAX,
     "days spool files are kept; 0 keeps them forever"},
    {"retain_interval", K_UINT, F(retain_interval), 1, 604800,
     "seconds between the supervisor's prunes"},
    {"retain_batch", K_UINT, F(retain_batch), 1, 100000, "rows removed per transaction"},
    {"retain_pause_ms", K_UINT, F(retain_pause_ms), 0, 60000,
     "milliseconds between two batches of a prune"},
    {"schedule_grace", K_UINT, F(schedule_grace), 1, 86400,
     "seconds after which an occurrence of a schedule counts as missed"},
    {"test_statement_header", K_UINT, F(test_statement_header), 0, 1, "0 or 1"},
    {"test_schedule_seconds", K_UINT, F(test_schedule_seconds), 0, 1, "0 or 1"},
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *
at_log_level_str(int level)
{
    return level >= 0 && level < (int) AT_COUNT(level_names) ? level_names[level] : "?";
}

const char *
at_config_default_path(void)
{
    return AT_SYSCONFDIR "/asynctasks.conf";
}

static char **
str_field(at_config *c, const struct key *k)
{
    return (char **) ((char *) c + k->off);
}

void
at_config_free(at_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < AT_COUNT(keys); i++) {
        if (keys[i].kind == K_UINT || keys[i].kind == K_LOGLEVEL || keys[i].kind == K_LOGTO ||
            keys[i].kind == K_MODE)
            continue;
        char **f = str_field(c, &keys[i]);
        if (*f && (keys[i].kind == K_SECRET_FILE || strcmp(keys[i].name, "db_password") == 0)) {
            at_wipe_str(*f);
        }
        free(*f);
        *f = NULL;
    }
    free(c->path);
    free(c->db_password_file);
    free(c->metrics_token_file);
    free(c);
}

static int
set_defaults(at_config *c)
{
    c->db_user = strdup("asynctasks");
    c->db_name = strdup("asynctasks");
    c->plugin_dir = strdup(AT_PLUGINDIR);
    c->fcgi_listen = strdup(AT_RUNDIR "/fcgi.sock");
    c->base_path = strdup("");
    c->spool_dir = strdup(AT_SPOOLDIR);
    c->db_timeout = 10;
    c->executors = 4;
    c->fcgi_processes = 4;
    c->fcgi_socket_mode = 0660;
    c->log_level = AT_LOG_INFO;
    c->pidfile = strdup(AT_RUNDIR "/asynctasksd.pid");
    c->wake_address = strdup("127.0.0.1");
    c->poll_interval_ms = 1000;
    c->heartbeat_interval = 5;
    c->shutdown_grace = 30;
    c->cancel_grace = 10;
    c->retry_backoff = 10;
    c->executor_max_rss_mb = 1024;
    c->retain_interval = 3600;
    c->retain_batch = 1000;
    c->retain_pause_ms = 100;
    c->schedule_grace = 60;
    return c->db_user && c->db_name && c->plugin_dir && c->fcgi_listen && c->base_path &&
                   c->spool_dir && c->pidfile && c->wake_address
               ? 0
               : -1;
}

/* Relative paths in the file mean relative to the file's directory. */
static char *
resolve(const char *basedir, const char *v)
{
    if (v[0] == '/' || !basedir || !*basedir)
        return strdup(v);
    size_t n = strlen(basedir) + strlen(v) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", basedir, v);
    return p;
}

static int
read_secret(const char *where, const char *key, const char *path, char **out, at_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        at_error_set(err, AT_ECONFIG, "%s: cannot read %s %s: %s", where, key, path, strerror(e));
        errno = e; /* for secret_of */
        return AT_ECONFIG;
    }
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    int bad = ferror(f);
    int more = !feof(f) && fgetc(f) != EOF;
    fclose(f);
    if (bad)
        return at_error_set(err, AT_ECONFIG, "%s: cannot read %s %s", where, key, path);
    if (more)
        return at_error_set(err, AT_ECONFIG, "%s: %s %s is longer than %zu bytes", where,
                            key, path, sizeof buf - 2);
    buf[n] = 0;
    /* One line; the newline an editor adds is not part of the password. */
    char *nl = strpbrk(buf, "\r\n");
    if (nl) {
        if (nl[strspn(nl, "\r\n")] != 0)
            return at_error_set(err, AT_ECONFIG, "%s: %s %s has more than one line", where,
                                key, path);
        *nl = 0;
    }
    if (!buf[0])
        return at_error_set(err, AT_ECONFIG, "%s: %s %s is empty", where, key, path);
    *out = strdup(buf);
    at_wipe(buf, sizeof buf);
    return *out ? AT_OK : at_error_set(err, AT_ENOMEM, "out of memory");
}

/* Where a secret file key keeps the file's absolute path. */
static char **
secret_path_field(at_config *c, const struct key *k)
{
    return strcmp(k->name, "db_password_file") == 0 ? &c->db_password_file
                                                    : &c->metrics_token_file;
}

/* The secret of the file at path: the file's, or, when a reload (prev)
 * finds it unreadable (the program has since left root behind), the one
 * read from the same file before. */
static int
secret_of(at_config *c, const struct key *k, const char *where, const char *path,
          const at_config *prev, char **out, at_error *err)
{
    int rc = read_secret(where, k->name, path, out, err);
    if (rc && errno == EACCES && prev) {
        const char *prev_secret = *str_field((at_config *) prev, k);
        const char *prev_path = *secret_path_field((at_config *) prev, k);
        if (prev_secret && prev_path && strcmp(prev_path, path) == 0) {
            *out = strdup(prev_secret);
            if (strcmp(k->name, "db_password_file") == 0)
                c->db_password_kept = 1;
            return *out ? AT_OK : at_error_set(err, AT_ENOMEM, "out of memory");
        }
    }
    return rc;
}

/* An account or group name as useradd and groupadd allow it: letters,
 * digits, '_', '.' and '-', not starting with '-', at most 32 bytes. */
static int
account_name_ok(const char *v)
{
    size_t n = strlen(v);
    return n <= ACCOUNT_NAME_MAX && v[0] != '-' && strspn(v,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A base path is written into every address the screen makes, into
 * cookie paths and into nginx's location: "/" and segments of letters,
 * digits, '-', '_', '.' and '~', never "." or "..", no slash at the end.
 * "/" alone is the root. */
static int
base_path_ok(const char *v)
{
    size_t n = strlen(v);
    if (v[0] != '/' || n > BASE_PATH_MAX)
        return 0;
    if (n == 1)
        return 1;
    if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~/") != n)
        return 0;
    for (const char *seg = v + 1;; ) {
        size_t len = strcspn(seg, "/");
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!seg[len])
            return 1;
        seg += len + 1;
    }
}

static int
set_value(at_config *c, const struct key *k, const char *v, const char *where,
          const char *basedir, const at_config *prev, at_error *err)
{
    if (!*v)
        return at_error_set(err, AT_ECONFIG, "%s: %s has an empty value (expected %s)", where,
                            k->name, k->help);
    switch (k->kind) {
    case K_UINT: {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || errno || n < k->min || n > k->max)
            return at_error_set(err, AT_ECONFIG,
                                "%s: %s must be a whole number from %lu to %lu (%s), not '%s'",
                                where, k->name, k->min, k->max, k->help, v);
        *(unsigned *) ((char *) c + k->off) = (unsigned) n;
        return AT_OK;
    }
    case K_MODE: {
        char *end;
        unsigned long n = strtoul(v, &end, 8);
        if (v[0] < '0' || v[0] > '7' || *end || strlen(v) > 4 || n > k->max)
            return at_error_set(err, AT_ECONFIG,
                                "%s: %s must be permission bits in octal from 0 to 0777 (as "
                                "0660), not '%s'",
                                where, k->name, v);
        *(unsigned *) ((char *) c + k->off) = (unsigned) n;
        return AT_OK;
    }
    case K_LOGLEVEL:
        for (size_t i = 0; i < AT_COUNT(level_names); i++) {
            if (strcmp(v, level_names[i]) == 0) {
                *(int *) ((char *) c + k->off) = (int) i;
                return AT_OK;
            }
        }
        return at_error_set(err, AT_ECONFIG, "%s: log_level must be error, warn, info or debug, not '%s'",
                            where, v);
    case K_LOGTO:
        if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0)
            return at_error_set(err, AT_ECONFIG, "%s: log must be stderr or syslog, not '%s'",
                                where, v);
        *(int *) ((char *) c + k->off) = strcmp(v, "syslog") == 0;
        return AT_OK;
    case K_SECRET_FILE: {
        char *path = resolve(basedir, v);
        if (!path)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        char *secret = NULL;
        int rc = secret_of(c, k, where, path, prev, &secret, err);
        if (rc) {
            free(path);
            return rc;
        }
        char **f = str_field(c, k);
        free(*f);
        *f = secret;
        char **pf = secret_path_field(c, k);
        free(*pf);
        *pf = path;
        return AT_OK;
    }
    case K_ADDRESSES: {
        at_error e;
        if (at_metrics_allow_check(v, &e))
            return at_error_set(err, AT_ECONFIG, "%s: %s: %s", where, k->name, e.msg);
        char *s = strdup(v);
        if (!s)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        char **f = str_field(c, k);
        free(*f);
        *f = s;
        return AT_OK;
    }
    case K_PATH:
    case K_SOCKET: {
        char *path = resolve(basedir, v);
        if (!path)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        if (k->kind == K_SOCKET && strlen(path) > SUN_PATH_MAX) {
            at_error_set(err, AT_ECONFIG, "%s: %s is %zu bytes long; a unix socket path may have at most %d",
                         where, k->name, strlen(path), SUN_PATH_MAX);
            free(path);
            return AT_ECONFIG;
        }
        char **f = str_field(c, k);
        free(*f);
        *f = path;
        return AT_OK;
    }
    case K_ACCOUNT:
        if (!account_name_ok(v))
            return at_error_set(err, AT_ECONFIG,
                                "%s: %s must be a name of at most %d letters, digits, '_', '.' "
                                "or '-' (%s), not '%.60s'",
                                where, k->name, ACCOUNT_NAME_MAX, k->help, v);
        /* a good name is kept as text */
        /* fall through */
    case K_URLPATH:
        if (k->kind == K_URLPATH && !base_path_ok(v))
            return at_error_set(err, AT_ECONFIG,
                                "%s: %s must be a path of at most %d bytes as /tasks: '/' and "
                                "then letters, digits, '-', '_', '.', '~' and single '/' between "
                                "segments, no '.' or '..' segment, no '/' at the end; not '%.60s'",
                                where, k->name, BASE_PATH_MAX, v);
        if (k->kind == K_URLPATH && strcmp(v, "/") == 0)
            v = ""; /* the root: nothing goes before the app's own paths */
        /* fall through */
    case K_STRING: {
        char *s = strdup(v);
        if (!s)
            return at_error_set(err, AT_ENOMEM, "out of memory");
        char **f = str_field(c, k);
        free(*f);
        *f = s;
        return AT_OK;
    }
    }
    return AT_OK;
}

/* A control character but tab: never kept, and never quoted in a
 * message, where it would reach a terminal. */
static int
has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < 0x20 && *s != '\t')
            return 1;
    return 0;
}

static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* The line key was set on, 0 when it was not. */
static unsigned
line_of(const unsigned *seen_line, const char *key)
{
    for (size_t k = 0; k < AT_COUNT(keys); k++)
        if (strcmp(keys[k].name, key) == 0)
            return seen_line[k];
    return 0;
}

/* Keys that mean nothing without another: report the line of the first. */
static int
needs_check(const char *name, const unsigned *seen_line, at_error *err)
{
    static const char *const needs[][2] = {{"group", "user"}};
    for (size_t i = 0; i < AT_COUNT(needs); i++) {
        unsigned la = line_of(seen_line, needs[i][0]);
        if (la && !line_of(seen_line, needs[i][1]))
            return at_error_set(err, AT_ECONFIG, "%s:%u: %s is set without %s", name, la,
                                needs[i][0], needs[i][1]);
    }
    return AT_OK;
}

static int
parse_string(const char *name, const char *basedir, const char *text, const at_config *prev,
             at_config **out, at_error *err)
{
    *out = NULL;
    at_config *c = calloc(1, sizeof *c);
    if (!c || set_defaults(c) || !(c->path = strdup(name))) {
        at_config_free(c);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    unsigned seen_line[AT_COUNT(keys)] = {0};
    char line[LINE_MAX_BYTES + 2];
    char where[PATH_MAX + 32];
    const char *p = text;
    unsigned lineno = 0;
    int rc = AT_OK;
    while (*p) {
        lineno++;
        snprintf(where, sizeof where, "%s:%u", name, lineno);
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);
        if (len > LINE_MAX_BYTES) {
            rc = at_error_set(err, AT_ECONFIG, "%s: line is longer than %d bytes", where,
                              LINE_MAX_BYTES);
            goto out;
        }
        memcpy(line, p, len);
        line[len] = 0;
        p = nl ? nl + 1 : p + len;
        if (memchr(line, 0, len) || !at_utf8_valid(line, len)) {
            rc = at_error_set(err, AT_ECONFIG, "%s: line is not valid UTF-8 text", where);
            goto out;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = has_control(s) ? at_error_set(err, AT_ECONFIG, "%s: expected 'key = value'", where)
                                : at_error_set(err, AT_ECONFIG,
                                               "%s: expected 'key = value', got '%.60s'", where, s);
            goto out;
        }
        *eq = 0;
        char *key = trim(s);
        char *val = trim(eq + 1);
        if (has_control(key)) {
            rc = at_error_set(err, AT_ECONFIG, "%s: a key contains a control character", where);
            goto out;
        }
        size_t vl = strlen(val);
        /* Quotes keep spaces at either end of a value. */
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = 0;
            val++;
        }
        if (has_control(val)) {
            rc = at_error_set(err, AT_ECONFIG, "%s: value of %s contains a control character",
                              where, key);
            goto out;
        }
        size_t ki = AT_COUNT(keys);
        for (size_t i = 0; i < AT_COUNT(keys); i++)
            if (strcmp(keys[i].name, key) == 0)
                ki = i;
        if (ki == AT_COUNT(keys)) {
            rc = at_error_set(err, AT_ECONFIG, "%s: unknown key '%.60s'", where, key);
            goto out;
        }
        if (seen_line[ki]) {
            rc = at_error_set(err, AT_ECONFIG, "%s: %s is already set on line %u", where, key,
                              seen_line[ki]);
            goto out;
        }
        seen_line[ki] = lineno;
        rc = set_value(c, &keys[ki], val, where, basedir, prev, err);
        if (rc)
            goto out;
    }
    /* Keys that exclude each other: report the later line. */
    static const char *const pairs[][2] = {{"db_socket", "db_host"},
                                           {"db_password", "db_password_file"},
                                           {"db_socket", "db_port"}};
    for (size_t i = 0; i < AT_COUNT(pairs); i++) {
        unsigned la = line_of(seen_line, pairs[i][0]), lb = line_of(seen_line, pairs[i][1]);
        if (la && lb) {
            rc = at_error_set(err, AT_ECONFIG, "%s:%u: set either %s (line %u) or %s, not both",
                              name, la > lb ? la : lb, pairs[i][0], la, pairs[i][1]);
            goto out;
        }
    }
    rc = needs_check(name, seen_line, err);
out:
    memset(line, 0, sizeof line);
    if (rc) {
        at_config_free(c);
        return rc;
    }
    *out = c;
    return AT_OK;
}

static int
parse_file(const char *path, const at_config *prev, at_config **out, at_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return at_error_set(err, AT_ECONFIG, "cannot open config file %s: %s", path,
                            strerror(errno));
    size_t cap = 8192, len = 0;
    char *text = malloc(cap);
    int rc = AT_OK;
    while (text) {
        size_t n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            if (cap >= (1u << 20)) {
                rc = at_error_set(err, AT_ECONFIG, "config file %s is larger than 1 MiB", path);
                break;
            }
            char *t = realloc(text, cap * 2);
            if (!t) {
                free(text);
                text = NULL;
                break;
            }
            text = t;
            cap *= 2;
        }
    }
    if (!rc && text && ferror(f))
        rc = at_error_set(err, AT_ECONFIG, "cannot read config file %s: %s", path, strerror(errno));
    fclose(f);
    if (!text)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    if (rc) {
        free(text);
        return rc;
    }
    text[len] = 0;
    if (strlen(text) != len) {
        free(text);
        return at_error_set(err, AT_ECONFIG, "config file %s contains a NUL byte", path);
    }
    char dir[PATH_MAX];
    at_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    else
        at_strlcpy(dir, ".", sizeof dir);
    /* Relative paths inside must not depend on the caller's cwd later. */
    char absdir[PATH_MAX];
    const char *base = realpath(dir, absdir) ? absdir : dir;
    rc = parse_string(path, base, text, prev, out, err);
    free(text);
    return rc;
}

int
at_config_parse_string(const char *name, const char *basedir, const char *text, at_config **out,
                       at_error *err)
{
    return parse_string(name, basedir, text, NULL, out, err);
}

int
at_config_parse_file(const char *path, at_config **out, at_error *err)
{
    return parse_file(path, NULL, out, err);
}

int
at_config_reload(const at_config *prev, at_config **out, at_error *err)
{
    *out = NULL;
    return parse_file(prev->path, prev, out, err);
}

int
at_config_load(const char *explicit_path, at_config **out, at_error *err)
{
    *out = NULL;
    const char *path = explicit_path, *from = "--config";
    if (!path || !*path) {
        path = getenv("ASYNCTASKS_CONFIG");
        from = "ASYNCTASKS_CONFIG";
    }
    if (!path || !*path) {
        path = at_config_default_path();
        if (access(path, F_OK) != 0)
            return at_error_set(err, AT_ECONFIG,
                                "no configuration: %s: %s (give --config FILE or set "
                                "ASYNCTASKS_CONFIG)",
                                path, strerror(errno));
        from = NULL;
    }
    if (from && access(path, F_OK) != 0)
        return at_error_set(err, AT_ECONFIG, "cannot open config file %s (from %s): %s", path,
                            from, strerror(errno));
    return at_config_parse_file(path, out, err);
}
