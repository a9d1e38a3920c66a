/* rawdb.c: see rawdb.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asynctasks/asynctasks.h>

#include "rawdb.h"
#include "tap.h"

MYSQL *
rawdb_open(void)
{
    at_config *cfg;
    at_error err = {0};
    if (at_config_parse_file(getenv("ASYNCTASKS_TEST_CONFIG"), &cfg, &err))
        bail("%s", err.msg);
    MYSQL *raw = mysql_init(NULL);
    if (!raw || !mysql_real_connect(raw, cfg->db_socket ? "localhost" : cfg->db_host,
                                    cfg->db_user, cfg->db_password, cfg->db_name, cfg->db_port,
                                    cfg->db_socket, 0))
        bail("cannot connect: %s", raw ? mysql_error(raw) : "out of memory");
    at_config_free(cfg);
    return raw;
}

void
rawdb_sql(MYSQL *raw, const char *fmt, ...)
{
    char q[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    if (mysql_query(raw, q))
        bail("%s: %s", q, mysql_error(raw));
}

char *
rawdb_value(MYSQL *raw, const char *sql, char *buf, size_t size)
{
    rawdb_sql(raw, "%s", sql);
    MYSQL_RES *res = mysql_store_result(raw);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    snprintf(buf, size, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(res);
    return buf;
}

unsigned long long
rawdb_task_col(MYSQL *raw, const char *col, unsigned long long id)
{
    char q[256];
    snprintf(q, sizeof q, "SELECT %s FROM tasks WHERE id = %llu", col, id);
    if (mysql_query(raw, q))
        bail("%s: %s", q, mysql_error(raw));
    MYSQL_RES *r = mysql_store_result(raw);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    unsigned long long v = row && row[0] ? strtoull(row[0], NULL, 10) : ~0ull;
    mysql_free_result(r);
    return v;
}

at_db *
rawdb_own_db(const char *name)
{
    at_config *cfg;
    at_error err = {0};
    if (at_config_parse_file(getenv("ASYNCTASKS_TEST_CONFIG"), &cfg, &err))
        bail("%s", err.msg);
    char db_name[96];
    snprintf(db_name, sizeof db_name, "asynctasks_test_%s", name);
    MYSQL *raw = rawdb_open();
    rawdb_sql(raw, "DROP DATABASE IF EXISTS `%s`", db_name);
    rawdb_sql(raw, "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci",
              db_name);
    mysql_close(raw);
    free(cfg->db_name);
    cfg->db_name = strdup(db_name);
    at_db *db = NULL;
    int applied;
    if (!cfg->db_name || at_db_open(cfg, &db, &err) || at_migrate(db, &applied, &err))
        bail("%s: %s", db_name, err.msg);
    at_config_free(cfg);
    return db;
}

unsigned
rawdb_audit_count(MYSQL *raw, uint64_t business_id, const char *action)
{
    char q[256], buf[32];
    snprintf(q, sizeof q,
             "SELECT COUNT(*) FROM audit_log WHERE business_id = %llu AND action = '%s'",
             (unsigned long long) business_id, action);
    return (unsigned) strtoul(rawdb_value(raw, q, buf, sizeof buf), NULL, 10);
}
