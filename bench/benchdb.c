/* benchdb.c: see benchdb.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/config.h>

#include "benchdb.h"

MYSQL *
bdb_open(const char *config)
{
    at_config *cfg = NULL;
    at_error err;
    if (at_config_parse_file(config, &cfg, &err))
        bench_die("%s", err.msg);
    MYSQL *m = mysql_init(NULL);
    if (!m)
        bench_die("out of memory");
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    mysql_options(m, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    if (!mysql_real_connect(m, cfg->db_socket ? "localhost" : cfg->db_host, cfg->db_user,
                            cfg->db_password, cfg->db_name, cfg->db_port, cfg->db_socket, 0))
        bench_die("cannot connect to %s: %s", cfg->db_name, mysql_error(m));
    at_config_free(cfg);
    return m;
}

MYSQL_STMT *
bdb_prepare(MYSQL *m, const char *sql)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (!st)
        bench_die("out of memory");
    if (mysql_stmt_prepare(st, sql, strlen(sql)))
        bench_die("%.200s: %s", sql, mysql_stmt_error(st));
    return st;
}

MYSQL_STMT *
bdb_prepare_list(MYSQL *m, const char *head, const char *item, size_t n, const char *tail)
{
    size_t hl = strlen(head), il = strlen(item), tl = strlen(tail);
    char *sql = malloc(hl + n * (il + 1) + tl + 1);
    if (!sql)
        bench_die("out of memory");
    char *p = sql;
    memcpy(p, head, hl);
    p += hl;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, item, il);
        p += il;
    }
    memcpy(p, tail, tl + 1);
    MYSQL_STMT *st = bdb_prepare(m, sql);
    free(sql);
    return st;
}

void
bdb_execute(MYSQL_STMT *st, MYSQL_BIND *in)
{
    if ((in && mysql_stmt_bind_param(st, in)) || mysql_stmt_execute(st))
        bench_die("%s", mysql_stmt_error(st));
}

void
bdb_do(MYSQL *m, const char *sql)
{
    MYSQL_STMT *st = bdb_prepare(m, sql);
    bdb_execute(st, NULL);
    mysql_stmt_close(st);
}

size_t
bdb_fetch_u64(MYSQL_STMT *st, uint64_t *out, size_t max)
{
    uint64_t v = 0;
    my_bool is_null = 0;
    MYSQL_BIND b = {.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &v, .is_unsigned = 1,
                    .is_null = &is_null};
    if (mysql_stmt_bind_result(st, &b) || mysql_stmt_store_result(st))
        bench_die("%s", mysql_stmt_error(st));
    size_t n = 0;
    int rc;
    while ((rc = mysql_stmt_fetch(st)) == 0) {
        if (n < max)
            out[n++] = is_null ? 0 : v;
    }
    if (rc == 1)
        bench_die("%s", mysql_stmt_error(st));
    mysql_stmt_free_result(st);
    return n;
}

uint64_t
bdb_value(MYSQL *m, const char *sql)
{
    MYSQL_STMT *st = bdb_prepare(m, sql);
    uint64_t v = 0;
    bdb_execute(st, NULL);
    if (bdb_fetch_u64(st, &v, 1) != 1)
        bench_die("%.200s: no row", sql);
    mysql_stmt_close(st);
    return v;
}

void
bdb_commit(MYSQL *m)
{
    if (mysql_commit(m))
        bench_die("commit: %s", mysql_error(m));
}

MYSQL_BIND
bdb_u64(const uint64_t *v)
{
    return (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = (void *) v,
                        .is_unsigned = 1};
}

MYSQL_BIND
bdb_str(const char *s, unsigned long *len)
{
    *len = (unsigned long) strlen(s);
    return (MYSQL_BIND){.buffer_type = MYSQL_TYPE_STRING, .buffer = (void *) s,
                        .buffer_length = *len, .length = len};
}
