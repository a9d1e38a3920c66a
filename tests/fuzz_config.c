/* fuzz_config.c: a fuzz target for the configuration file parser
 * (lib/conf.c), through at_config_parse_string. The input is the file's
 * text. A configuration it accepts is written back as a file, every value
 * quoted, and must parse again to the same values; a refusal must be an
 * error naming the file, readable on a terminal. Paths resolve against a
 * directory that does not exist, so that db_password_file names no real
 * file unless the input gives an absolute path. */
#include <stdio.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "fuzz.h"
#include "internal.h"

#define NAME    "fuzz.conf"
#define BASEDIR "/nonexistent/asynctasks-fuzz"

enum kind { STR, NUM, SIGNED };

/* Every setting of at_config, as the file names it. */
static const struct field {
    const char *key;
    enum kind kind;
    size_t off;
} fields[] = {
#define S(k)    {#k, STR, offsetof(at_config, k)}
#define N(k)    {#k, NUM, offsetof(at_config, k)}
    S(db_socket), S(db_host), N(db_port), S(db_user), S(db_password), S(db_name),
    N(db_timeout), S(plugin_dir), N(executors), S(fcgi_listen), N(fcgi_processes),
    S(fcgi_socket_owner), S(fcgi_socket_group), S(spool_dir), S(pidfile), S(user), S(group),
    S(wake_address), N(poll_interval_ms), N(heartbeat_interval), N(shutdown_grace),
    N(cancel_grace), N(retry_backoff), N(executor_max_rss_mb), N(max_running),
    N(test_statement_header),
#undef S
#undef N
};

static const char *
str_of(const at_config *c, const struct field *f)
{
    return *(char *const *) ((const char *) c + f->off);
}

static unsigned
num_of(const at_config *c, const struct field *f)
{
    return *(const unsigned *) ((const char *) c + f->off);
}

/* Valid UTF-8 without control characters but tab: safe on a terminal. */
static int
readable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 && *p != '\t')
            return 0;
    return at_utf8_valid(s, strlen(s));
}

static void
check_accepted(const at_config *c)
{
    fuzz_check(strcmp(c->path, NAME) == 0);
    fuzz_check(c->db_user && c->db_name && c->plugin_dir && c->fcgi_listen && c->spool_dir &&
               c->pidfile && c->wake_address);
    fuzz_check(!(c->db_socket && c->db_host));
    fuzz_check(c->log_level >= AT_LOG_ERROR && c->log_level <= AT_LOG_DEBUG);
    fuzz_check(c->log_syslog == 0 || c->log_syslog == 1);
    fuzz_check(c->fcgi_socket_mode <= 0777);
    fuzz_check(!c->group || c->user);
    fuzz_check(strlen(c->fcgi_listen) <= 107 && (!c->db_socket || strlen(c->db_socket) <= 107));
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *s = fields[i].kind == STR ? str_of(c, &fields[i]) : NULL;
        /* a password read from a file is as the file has it */
        if (c->db_password_file && s == c->db_password)
            continue;
        fuzz_check(!s || (*s && readable(s)));
    }
}

/* The longest value written back: its line must fit the parser's 4096
 * bytes, with the key and the quotes. */
#define VALUE_BACK_MAX 4000

/* c written back as a configuration file, or NULL when a value is too
 * long to be written on a line (a relative path resolved to one). */
static char *
write_back(const at_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fuzz_check(f != NULL);
    int fits = 1;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *fl = &fields[i];
        const char *s = fl->kind == STR ? str_of(c, fl) : NULL;
        if (s)
            fits &= strlen(s) <= VALUE_BACK_MAX;
        if (s)
            fprintf(f, "%s = \"%s\"\n", fl->key, s);
        else if (fl->kind == NUM && (num_of(c, fl) || strcmp(fl->key, "db_port") != 0))
            fprintf(f, "%s = %u\n", fl->key, num_of(c, fl));
    }
    fprintf(f, "fcgi_socket_mode = 0%o\nlog_level = %s\nlog = %s\n", c->fcgi_socket_mode,
            at_log_level_str(c->log_level), c->log_syslog ? "syslog" : "stderr");
    fuzz_check(fclose(f) == 0);
    if (!fits) {
        free(text);
        return NULL;
    }
    return text;
}

static void
check_same(const at_config *a, const at_config *b)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        if (f->kind == STR) {
            const char *x = str_of(a, f), *y = str_of(b, f);
            fuzz_check((!x && !y) || (x && y && strcmp(x, y) == 0));
        } else {
            fuzz_check(num_of(a, f) == num_of(b, f));
        }
    }
    fuzz_check(a->fcgi_socket_mode == b->fcgi_socket_mode && a->log_level == b->log_level &&
               a->log_syslog == b->log_syslog);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    at_config *c = NULL;
    at_error err = {0};
    int rc = at_config_parse_string(NAME, BASEDIR, text, &c, &err);
    if (rc != AT_OK) {
        fuzz_check(c == NULL);
        fuzz_check(rc == AT_ECONFIG || rc == AT_ENOMEM);
        fuzz_check(err.msg[0] && readable(err.msg));
        fuzz_check(rc != AT_ECONFIG || strncmp(err.msg, NAME ":", strlen(NAME ":")) == 0);
    } else {
        check_accepted(c);
        /* db_password_file gave db_password: the password itself is written */
        char *again = write_back(c);
        if (!again)
            goto out;
        at_config *c2 = NULL;
        at_error err2 = {0};
        if (at_config_parse_string(NAME, BASEDIR, again, &c2, &err2) != AT_OK) {
            fprintf(stderr, "written back:\n%s\nrefused: %s\n", again, err2.msg);
            fuzz_check(!"the configuration written back parses");
        }
        check_same(c, c2);
        at_config_free(c2);
        free(again);
    }
out:
    at_config_free(c);
    free(text);
    return 0;
}
