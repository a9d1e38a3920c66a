/* schema_sql.h: the migrations compiled into the library (schema_sql.c is
 * generated from the files in schema/). */
#ifndef AT_SCHEMA_SQL_H
#define AT_SCHEMA_SQL_H

struct at_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct at_migration at_migrations[];
extern const unsigned at_migration_count;

#endif
