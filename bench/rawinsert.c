/* rawinsert.c: tasks written straight into the tasks table with multi-row
 * INSERTs of 1,000 rows, one transaction each: the raw rate that
 * bench/enqueue sets the bulk HTTP enqueue against, and the bulk loader of
 * bench/page. Row i is for the business's i-th member and the i-th task
 * type (round robin, in id order) with the payload {"n":i}; queued and due
 * now, or with --history spread over the last 30 days and mostly finished,
 * as a platform's history is, and every hundredth the first member's. Prints one line of key=value figures.
 *   rawinsert CONFIG BUSINESS ROWS [--history] */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchdb.h"

#define ROWS_MAX   100000000UL
#define PER_INSERT 1000
#define COLS       15
#define NAME_BUF   800 /* 190 characters of up to 4 bytes */
#define DAY_S      86400

typedef struct named {
    uint64_t id, max_attempts;
    char name[NAME_BUF];
} named;

typedef struct list {
    named *v;
    size_t n;
} list;

/* The bound values of one row. */
typedef struct row {
    uint64_t business, user, type, attempts, max_attempts, payload_size;
    int64_t priority;
    const char *state, *user_name, *type_name;
    unsigned long state_len, user_len, type_len, payload_len;
    char payload[32];
    MYSQL_TIME run_at, created, updated, finished;
    my_bool finished_null;
} row;

/* Reads (id, name[, max_attempts]) rows of a statement with one u64
 * parameter (or none when param is NULL). */
static list
read_named(MYSQL *m, const char *sql, const uint64_t *param)
{
    MYSQL_STMT *st = bdb_prepare(m, sql);
    MYSQL_BIND in = param ? bdb_u64(param) : (MYSQL_BIND){0};
    bdb_execute(st, param ? &in : NULL);
    named cur = {0};
    unsigned long nlen = 0;
    MYSQL_BIND out[3] = {
        {.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &cur.id, .is_unsigned = 1},
        {.buffer_type = MYSQL_TYPE_STRING, .buffer = cur.name, .buffer_length = NAME_BUF - 1,
         .length = &nlen},
        {.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &cur.max_attempts, .is_unsigned = 1}};
    if (mysql_stmt_field_count(st) < 2 || mysql_stmt_bind_result(st, out) ||
        mysql_stmt_store_result(st))
        bench_die("%s", mysql_stmt_error(st));
    list l = {calloc(mysql_stmt_num_rows(st) + 1, sizeof(named)), 0};
    if (!l.v)
        bench_die("out of memory");
    while (mysql_stmt_fetch(st) == 0) {
        cur.name[nlen < NAME_BUF ? nlen : NAME_BUF - 1] = 0;
        l.v[l.n++] = cur;
    }
    mysql_stmt_close(st);
    return l;
}

static MYSQL_TIME
to_time(time_t t, unsigned long us)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    return (MYSQL_TIME){.year = (unsigned) tm.tm_year + 1900, .month = (unsigned) tm.tm_mon + 1,
                        .day = (unsigned) tm.tm_mday, .hour = (unsigned) tm.tm_hour,
                        .minute = (unsigned) tm.tm_min, .second = (unsigned) tm.tm_sec,
                        .second_part = us, .time_type = MYSQL_TIMESTAMP_DATETIME};
}

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* With --history, every HEAVY_EVERY-th task is the first member's (by
 * id): a platform has users much busier than the rest, and that member's
 * tasks fill a page at any size from 5,000 up (bench/page searches for
 * them). */
#define HEAVY_EVERY 100

/* Row i: queued and due now, or (history) a past task in a random state. */
static void
make_row(row *r, uint64_t i, uint64_t business, const list *users, const list *types,
         time_t now, bool history, uint64_t *seed)
{
    const named *u = &users->v[history && i % HEAVY_EVERY == 0 ? 0 : i % users->n];
    const named *t = &types->v[i % types->n];
    r->business = business;
    r->user = u->id;
    r->type = t->id;
    r->user_name = u->name;
    r->type_name = t->name;
    r->user_len = (unsigned long) strlen(u->name);
    r->type_len = (unsigned long) strlen(t->name);
    r->max_attempts = t->max_attempts;
    snprintf(r->payload, sizeof r->payload, "{\"n\":%llu}", (unsigned long long) i);
    r->payload_len = (unsigned long) strlen(r->payload);
    r->payload_size = r->payload_len;
    uint64_t x = history ? rnd(seed) : 0;
    unsigned roll = (unsigned) (x % 100);
    r->state = !history || roll < 25 ? "queued"
               : roll < 90           ? "succeeded"
               : roll < 97           ? "failed"
                                     : "cancelled";
    r->state_len = (unsigned long) strlen(r->state);
    bool done = history && roll >= 25;
    time_t created = now - (time_t) ((x >> 8) % (30 * DAY_S));
    unsigned long us = (unsigned long) ((x >> 40) % 1000000);
    r->priority = history ? (int64_t) ((x >> 32) % 3) * 5 - 5 : 0;
    r->attempts = done ? 1 : 0;
    r->created = r->run_at = to_time(created, us);
    r->updated = r->finished = to_time(created + (done ? 5 : 0), us);
    r->finished_null = !done;
}

static void
bind_row(MYSQL_BIND *b, row *r)
{
    b[0] = bdb_u64(&r->business);
    b[1] = bdb_u64(&r->user);
    b[2] = bdb_u64(&r->type);
    b[3] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_STRING, .buffer = (void *) r->user_name,
                        .length = &r->user_len};
    b[4] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_STRING, .buffer = (void *) r->type_name,
                        .length = &r->type_len};
    b[5] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_STRING, .buffer = (void *) r->state,
                        .length = &r->state_len};
    b[6] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_LONGLONG, .buffer = &r->priority};
    b[7] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_DATETIME, .buffer = &r->run_at};
    b[8] = bdb_u64(&r->max_attempts);
    b[9] = bdb_u64(&r->attempts);
    b[10] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_BLOB, .buffer = r->payload,
                         .length = &r->payload_len};
    b[11] = bdb_u64(&r->payload_size);
    b[12] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_DATETIME, .buffer = &r->created};
    b[13] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_DATETIME, .buffer = &r->updated};
    b[14] = (MYSQL_BIND){.buffer_type = MYSQL_TYPE_DATETIME, .buffer = &r->finished,
                         .is_null = &r->finished_null};
}

static MYSQL_STMT *
prepare_insert(MYSQL *m, size_t n)
{
    return bdb_prepare_list(
        m,
        "INSERT INTO tasks (business_id, user_id, task_type_id, user_name, type_name, state, "
        "priority, run_at, max_attempts, attempts, payload, payload_size, created_at, "
        "updated_at, finished_at) VALUES ",
        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", n, "");
}

int
main(int argc, char **argv)
{
    bench_name = "rawinsert";
    bool history = argc == 5 && strcmp(argv[4], "--history") == 0;
    if (argc != 4 && !history) {
        fprintf(stderr, "usage: rawinsert CONFIG BUSINESS ROWS [--history]\n");
        return 64;
    }
    unsigned long rows = bench_count("ROWS", argv[3], ROWS_MAX);
    MYSQL *m = bdb_open(argv[1]);
    unsigned long slen;
    MYSQL_BIND slug = bdb_str(argv[2], &slen);
    MYSQL_STMT *st = bdb_prepare(m, "SELECT id FROM businesses WHERE slug = ?");
    uint64_t business = 0;
    bdb_execute(st, &slug);
    if (bdb_fetch_u64(st, &business, 1) != 1)
        bench_die("no business '%s'", argv[2]);
    mysql_stmt_close(st);
    list users = read_named(m,
                            "SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = "
                            "m.user_id WHERE m.business_id = ? ORDER BY u.id",
                            &business);
    list types = read_named(m, "SELECT id, name, max_attempts FROM task_types ORDER BY id", NULL);
    if (users.n == 0 || types.n == 0)
        bench_die("business '%s' needs members and the database task types", argv[2]);
    time_t now = (time_t) bdb_value(m, "SELECT UNIX_TIMESTAMP()");

    row *r = calloc(PER_INSERT, sizeof *r);
    MYSQL_BIND *b = calloc(PER_INSERT * COLS, sizeof *b);
    if (!r || !b)
        bench_die("out of memory");
    MYSQL_STMT *full = prepare_insert(m, PER_INSERT);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    double t0 = bench_seconds();
    for (unsigned long done = 0; done < rows;) {
        size_t n = rows - done < PER_INSERT ? rows - done : PER_INSERT;
        for (size_t i = 0; i < n; i++) {
            make_row(&r[i], done + i, business, &users, &types, now, history, &seed);
            bind_row(&b[i * COLS], &r[i]);
        }
        st = n == PER_INSERT ? full : prepare_insert(m, n);
        bdb_execute(st, b);
        if (st != full)
            mysql_stmt_close(st);
        done += n;
    }
    double secs = bench_seconds() - t0;
    mysql_stmt_close(full);
    mysql_close(m);
    free(r);
    free(b);
    free(users.v);
    free(types.v);
    printf("rawinsert rows=%lu per_statement=%d seconds=%.3f rows_per_s=%.0f\n", rows, PER_INSERT,
           secs, (double) rows / secs);
    return 0;
}
