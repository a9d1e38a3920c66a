/* config.c: asynctasks.conf parsing, every accepted form and every error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asynctasks/asynctasks.h>

#include "tap.h"

static char dir[] = "/tmp/at-config-test.XXXXXX";

static const char *
write_file(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f))
        bail("cannot write %s", path);
    return path;
}

/* Parses text as file "t.conf" and expects failure with a message holding
 * want, which quotes no control character and is valid UTF-8. */
static void
bad(const char *text, const char *want, const char *what)
{
    at_config *c = NULL;
    at_error err = {0};
    int rc = at_config_parse_string("t.conf", dir, text, &c, &err);
    ok(rc == AT_ECONFIG && c == NULL, "%s: refused", what);
    has_str(err.msg, want, "%s: message names the place", what);
    int controls = 0;
    for (const char *p = err.msg; *p; p++)
        controls += (unsigned char) *p < 0x20;
    ok(!controls && at_utf8_valid(err.msg, strlen(err.msg)),
       "%s: the message is UTF-8 without control characters", what);
}

int
main(void)
{
    if (!mkdtemp(dir))
        bail("mkdtemp");
    at_error err = {0};
    at_config *c = NULL;

    /* defaults */
    ok(at_config_parse_string("empty.conf", dir, "", &c, &err) == AT_OK, "empty file parses");
    is_str(c->db_name, "asynctasks", "default db_name");
    is_str(c->db_user, "asynctasks", "default db_user");
    is_int(c->db_timeout, 10, "default db_timeout");
    is_int(c->executors, 4, "default executors");
    is_int(c->log_level, AT_LOG_INFO, "default log_level");
    ok(c->db_socket == NULL && c->db_host == NULL && c->db_password == NULL,
       "no database location or password by default");
    at_config_free(c);

    /* every key, comments, blank lines, spaces, quotes, CRLF, relative paths */
    write_file("pw", "s3cret #not a comment\n", 22);
    const char *full = "# a comment\n"
                       "\n"
                       "   # an indented comment\n"
                       "db_host = db.example.com\r\n"
                       "db_port=3307\n"
                       "db_user =\tat_user  \n"
                       "db_password_file = pw\n"
                       "db_name = \" spaced name \"\n"
                       "db_timeout = 5\n"
                       "plugin_dir = plugins\n"
                       "executors = 256\n"
                       "fcgi_listen = /run/at/fcgi.sock\n"
                       "fcgi_processes = 1\n"
                       "spool_dir = /var/spool/at\n"
                       "log_level = debug";
    ok(at_config_parse_string("full.conf", dir, full, &c, &err) == AT_OK, "full file parses: %s",
       err.msg);
    if (c) {
        is_str(c->path, "full.conf", "path is kept");
        is_str(c->db_host, "db.example.com", "CRLF line end is dropped");
        is_int(c->db_port, 3307, "db_port");
        is_str(c->db_user, "at_user", "tab and trailing spaces trimmed");
        is_str(c->db_password, "s3cret #not a comment", "password comes from the file, newline dropped");
        is_str(c->db_name, " spaced name ", "quotes keep spaces");
        is_int(c->db_timeout, 5, "db_timeout");
        char want[600];
        snprintf(want, sizeof want, "%s/plugins", dir);
        is_str(c->plugin_dir, want, "relative path resolved against the config's directory");
        is_int(c->executors, 256, "executors upper bound accepted");
        is_str(c->fcgi_listen, "/run/at/fcgi.sock", "fcgi_listen");
        is_int(c->fcgi_processes, 1, "fcgi_processes lower bound accepted");
        is_str(c->spool_dir, "/var/spool/at", "spool_dir");
        is_int(c->log_level, AT_LOG_DEBUG, "log_level");
        at_config_free(c);
    }
    ok(at_config_parse_string("s.conf", dir, "db_socket = /run/mysqld/mysqld.sock\ndb_password = x y",
                              &c, &err) == AT_OK,
       "socket and inline password");
    if (c) {
        is_str(c->db_socket, "/run/mysqld/mysqld.sock", "db_socket");
        is_str(c->db_password, "x y", "inline password keeps inner spaces");
        at_config_free(c);
    }
    for (int l = 0; l < 4; l++) {
        static const char *const names[] = {"error", "warn", "info", "debug"};
        char text[64];
        snprintf(text, sizeof text, "log_level = %s\n", names[l]);
        ok(at_config_parse_string("l.conf", dir, text, &c, &err) == AT_OK && c->log_level == l,
           "log_level %s", names[l]);
        is_str(at_log_level_str(l), names[l], "log level name %s", names[l]);
        at_config_free(c);
    }

    /* retention: off by default; days up to a hundred years */
    ok(at_config_parse_string("r.conf", dir, "", &c, &err) == AT_OK && !c->retain_finished_days &&
           !c->retain_audit_days && !c->retain_spool_days && c->retain_interval == 3600 &&
           c->retain_batch == 1000 && c->retain_pause_ms == 100,
       "retention keeps everything by default; a prune an hour, 1000 rows a batch, 100 ms apart");
    at_config_free(c);
    ok(at_config_parse_string("r.conf", dir,
                              "retain_finished_days = 90\nretain_audit_days = 36500\n"
                              "retain_spool_days = 1\nretain_interval = 1\nretain_batch = 1\n"
                              "retain_pause_ms = 0\n",
                              &c, &err) == AT_OK &&
           c->retain_finished_days == 90 && c->retain_audit_days == 36500 &&
           c->retain_spool_days == 1 && c->retain_interval == 1 && c->retain_batch == 1 &&
           c->retain_pause_ms == 0,
       "retention's keys are read, at their bounds");
    at_config_free(c);
    c = NULL;
    ok(at_config_parse_string("r.conf", dir, "retain_audit_days = 1y\n", &c, &err) ==
               AT_ECONFIG && !c,
       "retain_audit_days = 1y refused");
    has_str(err.msg,
            "r.conf:1: retain_audit_days must be a whole number from 0 to 36500 (days audit "
            "entries are kept; 0 keeps them forever), not '1y'",
            "... saying what it takes");

    /* where the programs log */
    ok(at_config_parse_string("l.conf", dir, "", &c, &err) == AT_OK && c->log_syslog == 0,
       "log: stderr by default");
    at_config_free(c);
    ok(at_config_parse_string("l.conf", dir, "log = syslog\n", &c, &err) == AT_OK &&
           c->log_syslog == 1,
       "log = syslog");
    at_config_free(c);
    ok(at_config_parse_string("l.conf", dir, "log = stderr\n", &c, &err) == AT_OK &&
           c->log_syslog == 0,
       "log = stderr");
    at_config_free(c);
    c = NULL;
    ok(at_config_parse_string("l.conf", dir, "log = file\n", &c, &err) == AT_ECONFIG && !c,
       "log = file refused");
    has_str(err.msg, "log must be stderr or syslog, not 'file'", "... saying what log takes");

    /* the accounts and the FastCGI socket's mode */
    ok(at_config_parse_string("empty.conf", dir, "", &c, &err) == AT_OK &&
           c->fcgi_socket_mode == 0660 && !c->fcgi_socket_owner && !c->fcgi_socket_group &&
           !c->group,
       "default fcgi_socket_mode 0660, no socket owner, group or account group");
    at_config_free(c);
    ok(at_config_parse_string("a.conf", dir,
                              "user = www_1.x-y\ngroup = www-data\nfcgi_socket_mode = 0666\n"
                              "fcgi_socket_owner = asynctasks\nfcgi_socket_group = nogroup\n",
                              &c, &err) == AT_OK,
       "accounts, groups and a mode parse");
    is_str(c->group, "www-data", "group kept");
    is_str(c->fcgi_socket_owner, "asynctasks", "fcgi_socket_owner kept");
    is_str(c->fcgi_socket_group, "nogroup", "fcgi_socket_group kept");
    is_int(c->fcgi_socket_mode, 0666, "fcgi_socket_mode read in octal");
    at_config_free(c);
    ok(at_config_parse_string("m.conf", dir, "fcgi_socket_mode = 600\n", &c, &err) == AT_OK &&
           c->fcgi_socket_mode == 0600,
       "fcgi_socket_mode without its leading 0 is octal too");
    at_config_free(c);
    bad("fcgi_socket_mode = 0999\n", "t.conf:1: fcgi_socket_mode must be permission bits in octal",
        "mode with a digit that is not octal");
    bad("fcgi_socket_mode = 1777\n", "t.conf:1: fcgi_socket_mode must be", "mode with the sticky bit");
    bad("fcgi_socket_mode = 00660\n", "t.conf:1: fcgi_socket_mode must be", "mode of five digits");
    bad("fcgi_socket_mode = -660\n", "t.conf:1: fcgi_socket_mode must be", "negative mode");
    bad("user = a b\n", "t.conf:1: user must be a name of at most 32 letters", "account with a space");
    bad("user = -x\n", "t.conf:1: user must be a name", "account starting with -");
    bad("fcgi_socket_group = abcdefghijklmnopqrstuvwxyz0123456\n",
        "t.conf:1: fcgi_socket_group must be a name", "group of 33 bytes");
    bad("db_name = x\ngroup = nogroup\n", "t.conf:2: group is set without user", "group without user");

    /* the base path the screen lives under */
    ok(at_config_parse_string("empty.conf", dir, "", &c, &err) == AT_OK && c->base_path &&
           !*c->base_path,
       "no base_path: the root (\"\")");
    at_config_free(c);
    static const struct {
        const char *conf, *want;
    } bases[] = {{"base_path = /tasks\n", "/tasks"},
                 {"base_path = /\n", ""},
                 {"base_path = /ops/async-tasks_2.x~y\n", "/ops/async-tasks_2.x~y"},
                 {"base_path = /a..b\n", "/a..b"}};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        c = NULL;
        ok(at_config_parse_string("b.conf", dir, bases[i].conf, &c, &err) == AT_OK && c &&
               strcmp(c->base_path, bases[i].want) == 0,
           "base_path kept: %s", bases[i].conf);
        at_config_free(c);
    }
    static const char *const bad_bases[] = {
        "base_path = tasks\n",   "base_path = /tasks/\n", "base_path = /a/../b\n",
        "base_path = /..\n",     "base_path = /a/./b\n",  "base_path = /a//b\n",
        "base_path = //evil\n",  "base_path = /a b\n",    "base_path = /a?b\n",
        "base_path = /a%2e\n",   "base_path = /a\"b\n",   "base_path = /t\xc3\xa4sks\n",
        "base_path = /a<b>\n",   "base_path = /a;b\n",    "base_path = /a\\b\n",
    };
    for (size_t i = 0; i < sizeof bad_bases / sizeof bad_bases[0]; i++)
        bad(bad_bases[i], "t.conf:1: base_path must be a path", bad_bases[i]);
    {
        char longp[260] = "base_path = /";
        memset(longp + strlen(longp), 'a', 200);
        strcat(longp, "\n");
        bad(longp, "t.conf:1: base_path must be a path of at most 200 bytes", "base_path of 201 bytes");
    }

    /* every error names file:line */
    bad("# ok\nbogus = 1\n", "t.conf:2: unknown key 'bogus'", "unknown key");
    bad("db_name\n", "t.conf:1: expected 'key = value'", "line without =");
    bad("\n\ndb_name =   \n", "t.conf:3: db_name has an empty value", "empty value");
    bad("db_name = a\ndb_name = b\n", "t.conf:2: db_name is already set on line 1", "duplicate key");
    bad("executors = 0\n", "t.conf:1: executors must be a whole number from 1 to 256", "below range");
    bad("executors = 257\n", "t.conf:1: executors must be", "above range");
    bad("executors = four\n", "t.conf:1: executors must be", "not a number");
    bad("executors = -1\n", "t.conf:1: executors must be", "negative");
    bad("executors = 3x\n", "t.conf:1: executors must be", "trailing junk");
    bad("db_port = 99999999999999999999999\n", "t.conf:1: db_port must be", "overflow");
    bad("db_timeout = 0\n", "t.conf:1: db_timeout must be", "db_timeout zero");
    bad("fcgi_processes = 300\n", "t.conf:1: fcgi_processes must be", "fcgi_processes range");
    bad("log_level = loud\n", "t.conf:1: log_level must be error, warn, info or debug", "bad log level");
    char longsock[300];
    snprintf(longsock, sizeof longsock, "db_socket = /%0200d\n", 0);
    bad(longsock, "t.conf:1: db_socket is 201 bytes long", "socket path too long");
    bad("db_password = a\ndb_password_file = /nonexistent\n", "t.conf:2:", "password file unreadable");
    write_file("pw2", "x\n", 2);
    bad("db_password = a\ndb_password_file = pw2\n", "t.conf:2: set either db_password (line 1) or db_password_file",
        "password and password file");
    bad("db_socket = /s\ndb_host = h\n", "t.conf:2: set either db_socket (line 1) or db_host",
        "socket and host");
    bad("db_socket = /s\n\ndb_port = 1\n", "t.conf:3: set either db_socket", "socket and port");
    bad("db_password_file = missing-file\n", "t.conf:1: cannot read db_password_file", "missing password file");
    write_file("empty-pw", "\n", 1);
    bad("db_password_file = empty-pw\n", "t.conf:1: db_password_file", "empty password file");
    write_file("two-lines", "a\nb\n", 4);
    bad("db_password_file = two-lines\n", "more than one line", "password file with two lines");
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    write_file("big-pw", big, sizeof big - 1);
    bad("db_password_file = big-pw\n", "is longer than", "oversized password file");
    char longline[5000];
    memset(longline, 'a', sizeof longline);
    memcpy(longline, "db_name = ", 10);
    longline[sizeof longline - 1] = 0;
    bad(longline, "t.conf:1: line is longer than 4096 bytes", "line too long");
    bad("db_name = caf\xc3\n", "t.conf:1: line is not valid UTF-8", "invalid UTF-8");
    bad("db_name = \xc0\xaf\n", "t.conf:1: line is not valid UTF-8", "overlong UTF-8");
    bad("db_name = a\x01" "b\n", "t.conf:1: value of db_name contains a control character", "control character");
    /* found by tests/fuzz_config.c: keys and lines were quoted as they were */
    bad("db\x1b[2J = 1\n", "t.conf:1: a key contains a control character", "control character in a key");
    bad("\x1b]0;title\x07\n", "t.conf:1: expected 'key = value'", "control characters, no '='");
    bad("colour\t= 1\n", "t.conf:1: unknown key 'colour'", "a tab after a key");
    bad("db_name = a\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxé\n", "t.conf:2: expected",
        "a line cut in the middle of a character");

    /* metrics: a token from a file, addresses and networks (who may read
     * GET /metrics, lib/metrics_access.c) */
    write_file("mt", "tok-123\n", 8);
    c = NULL;
    ok(at_config_parse_string("m.conf", dir,
                              "metrics_token_file = mt\n"
                              "metrics_allow = 127.0.0.1 \t 10.0.0.0/8 ::1 fd00::/8\n",
                              &c, &err) == AT_OK,
       "metrics keys parse: %s", err.msg);
    if (c) {
        is_str(c->metrics_token, "tok-123", "the metrics token comes from its file");
        ok(c->metrics_token_file && c->metrics_token_file[0] == '/',
           "... whose absolute path is kept");
        is_int(at_metrics_access(c, "127.0.0.1", NULL), AT_OK, "metrics: an allowed address");
        is_int(at_metrics_access(c, "10.255.0.1", NULL), AT_OK, "metrics: in an allowed network");
        is_int(at_metrics_access(c, "11.0.0.1", NULL), AT_EDENIED, "metrics: outside it");
        is_int(at_metrics_access(c, "fd12::1", NULL), AT_OK, "metrics: in an IPv6 network");
        is_int(at_metrics_access(c, "fe80::1", NULL), AT_EDENIED, "metrics: outside it");
        is_int(at_metrics_access(c, "::ffff:10.1.2.3", NULL), AT_OK,
               "metrics: an IPv4-mapped address matches as IPv4");
        is_int(at_metrics_access(c, "192.0.2.1", "Bearer tok-123"), AT_OK, "metrics: the token");
        is_int(at_metrics_access(c, "192.0.2.1", "Bearer tok-1234"), AT_EDENIED,
               "metrics: a longer token");
        is_int(at_metrics_access(c, "192.0.2.1", "Bearer tok-12"), AT_EDENIED,
               "metrics: a shorter token");
        is_int(at_metrics_access(c, "192.0.2.1", "Bearer "), AT_EDENIED, "metrics: an empty token");
        is_int(at_metrics_access(c, "192.0.2.1", "tok-123"), AT_EDENIED,
               "metrics: the token without its scheme");
        is_int(at_metrics_access(c, NULL, NULL), AT_EDENIED, "metrics: neither");
        at_config_free(c);
    }
    c = NULL;
    ok(at_config_parse_string("e.conf", dir, "", &c, &err) == AT_OK && c &&
           at_metrics_access(c, "127.0.0.1", "Bearer x") == AT_ENOTFOUND,
       "metrics: neither key set, metrics are off");
    at_config_free(c);
    bad("metrics_allow = 127.0.0.1 localhost\n",
        "t.conf:1: metrics_allow: 'localhost' is not an IPv4 or IPv6 address", "a host name");
    bad("metrics_allow = 10.0.0.0/33\n", "t.conf:1: metrics_allow: '10.0.0.0/33'",
        "an IPv4 prefix over 32");
    bad("metrics_allow = ::1/129\n", "t.conf:1: metrics_allow: '::1/129'", "an IPv6 prefix over 128");
    bad("metrics_allow = 10.0.0.0/\n", "t.conf:1: metrics_allow: '10.0.0.0/'", "an empty prefix");
    bad("metrics_allow = 10.0.0.0/-1\n", "t.conf:1: metrics_allow: '10.0.0.0/-1'", "a negative prefix");
    bad("metrics_allow = \" \"\n", "t.conf:1: metrics_allow: no address given", "no address");
    bad("metrics_token_file = missing-file\n", "t.conf:1: cannot read metrics_token_file",
        "a missing metrics token file");
    bad("metrics_token_file = empty-pw\n", "t.conf:1: metrics_token_file", "an empty metrics token file");

    /* files */
    const char *p = write_file("nul.conf", "db_name = a\0b\n", 14);
    ok(at_config_parse_file(p, &c, &err) == AT_ECONFIG, "NUL byte refused");
    has_str(err.msg, "NUL", "NUL byte named");
    ok(at_config_parse_file("/nonexistent/at.conf", &c, &err) == AT_ECONFIG, "missing file refused");
    has_str(err.msg, "/nonexistent/at.conf", "missing file named");
    p = write_file("good.conf", "db_name = fromfile\nbogus\n", 24);
    ok(at_config_parse_file(p, &c, &err) == AT_ECONFIG, "error in a file");
    char want[600];
    snprintf(want, sizeof want, "%s:2:", p);
    has_str(err.msg, want, "file error names path:line");
    char p2[512], q2[512];
    snprintf(p2, sizeof p2, "%s", write_file("good.conf", "db_name = fromfile\n", 19));
    snprintf(q2, sizeof q2, "%s", write_file("other.conf", "db_name = fromenv\n", 18));
    p = p2;
    const char *q = q2;

    /* the search order: --config, then $ASYNCTASKS_CONFIG, then the default */
    setenv("ASYNCTASKS_CONFIG", q, 1);
    ok(at_config_load(p, &c, &err) == AT_OK && strcmp(c->db_name, "fromfile") == 0,
       "explicit path wins over the environment");
    at_config_free(c);
    ok(at_config_load(NULL, &c, &err) == AT_OK && strcmp(c->db_name, "fromenv") == 0,
       "environment used without an explicit path");
    at_config_free(c);
    setenv("ASYNCTASKS_CONFIG", "/nonexistent/env.conf", 1);
    ok(at_config_load(NULL, &c, &err) == AT_ECONFIG, "missing environment file refused");
    has_str(err.msg, "ASYNCTASKS_CONFIG", "message says where the path came from");
    unsetenv("ASYNCTASKS_CONFIG");
    ok(strstr(at_config_default_path(), "/asynctasks.conf") != NULL, "default path is sysconfdir/asynctasks.conf");
    struct stat st;
    if (stat(at_config_default_path(), &st) != 0) {
        ok(at_config_load(NULL, &c, &err) == AT_ECONFIG, "no default file: refused");
        has_str(err.msg, "ASYNCTASKS_CONFIG", "hint names the environment variable");
    } else {
        /* the machine's own file: whatever it holds, it is the one read */
        int rc = at_config_load(NULL, &c, &err);
        ok(rc == AT_OK ? strcmp(c->path, at_config_default_path()) == 0
                       : rc == AT_ECONFIG && strstr(err.msg, at_config_default_path()) != NULL,
           "default file exists here: it is the one read (%s)", rc == AT_OK ? "read" : err.msg);
        at_config_free(c);
    }

    /* tidy up */
    const char *files[] = {"pw", "mt", "pw2", "empty-pw", "two-lines", "big-pw", "nul.conf", "good.conf", "other.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return done_testing();
}
