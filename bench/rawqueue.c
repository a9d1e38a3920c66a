/* rawqueue.c: the raw limit of a queue on MariaDB, the reference of
 * bench/throughput (c). A minimal queue table is filled with ROWS rows;
 * then CONNECTIONS connections each claim BATCH rows per transaction
 * (SELECT ... FOR UPDATE SKIP LOCKED, UPDATE to running, COMMIT) and
 * complete them (UPDATE to done, COMMIT), until none is left. Prints one
 * line of key=value figures.
 *   rawqueue CONFIG ROWS BATCH CONNECTIONS */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchdb.h"

#define ROWS_MAX        100000000UL
#define BATCH_MAX       256
#define CONNS_MAX       64
#define ROWS_PER_INSERT 1000

static const char *config;
static unsigned long batch;

static void
create_table(MYSQL *m)
{
    bdb_do(m, "DROP TABLE IF EXISTS bench_rawqueue");
    bdb_do(m, "CREATE TABLE bench_rawqueue ("
              "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
              "state ENUM('queued','running','done') NOT NULL DEFAULT 'queued', "
              "priority SMALLINT NOT NULL, run_at DATETIME(6) NOT NULL, payload BLOB NULL, "
              "KEY bench_rawqueue_ready (state, priority DESC, run_at, id)) ENGINE=InnoDB");
}

/* "INSERT ... VALUES (?, UTC_TIMESTAMP(6), ?), ..." for n rows. */
static MYSQL_STMT *
prepare_insert(MYSQL *m, size_t n)
{
    return bdb_prepare_list(m, "INSERT INTO bench_rawqueue (priority, run_at, payload) VALUES ",
                            "(?, UTC_TIMESTAMP(6), ?)", n, "");
}

static void
fill(MYSQL *m, unsigned long rows)
{
    static const uint64_t priority = 0;
    static const char payload[] = "";
    unsigned long plen = 0;
    MYSQL_BIND *b = calloc(2 * ROWS_PER_INSERT, sizeof *b);
    if (!b)
        bench_die("out of memory");
    for (size_t i = 0; i < ROWS_PER_INSERT; i++) {
        b[2 * i] = bdb_u64(&priority);
        b[2 * i + 1] = bdb_str(payload, &plen);
    }
    MYSQL_STMT *full = prepare_insert(m, ROWS_PER_INSERT);
    for (unsigned long done = 0; done < rows;) {
        size_t n = rows - done < ROWS_PER_INSERT ? rows - done : ROWS_PER_INSERT;
        MYSQL_STMT *st = n == ROWS_PER_INSERT ? full : prepare_insert(m, n);
        bdb_execute(st, b);
        if (st != full)
            mysql_stmt_close(st);
        done += n;
    }
    mysql_stmt_close(full);
    free(b);
    bdb_commit(m);
}

/* "UPDATE bench_rawqueue SET state = ? WHERE id IN (?, ...)" for n ids. */
static MYSQL_STMT *
prepare_update(MYSQL *m, size_t n)
{
    return bdb_prepare_list(m, "UPDATE bench_rawqueue SET state = ? WHERE id IN (", "?", n, ")");
}

static void
set_state(MYSQL_STMT *st, const char *state, const uint64_t *ids, size_t n)
{
    MYSQL_BIND b[BATCH_MAX + 1];
    unsigned long len;
    b[0] = bdb_str(state, &len);
    for (size_t i = 0; i < n; i++)
        b[i + 1] = bdb_u64(&ids[i]);
    bdb_execute(st, b);
}

/* One connection: claim, commit, complete, commit, until nothing is left. */
static void *
consumer(void *arg)
{
    unsigned long *done = arg;
    mysql_thread_init();
    MYSQL *m = bdb_open(config);
    mysql_autocommit(m, 0);
    MYSQL_STMT *claim = bdb_prepare(
        m, "SELECT id FROM bench_rawqueue FORCE INDEX (bench_rawqueue_ready) "
           "WHERE state = 'queued' AND run_at <= UTC_TIMESTAMP(6) "
           "ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED");
    MYSQL_STMT *update[BATCH_MAX + 1] = {0};
    uint64_t ids[BATCH_MAX], limit = batch;
    MYSQL_BIND lim = bdb_u64(&limit);
    for (;;) {
        bdb_execute(claim, &lim);
        size_t n = bdb_fetch_u64(claim, ids, BATCH_MAX);
        if (n == 0)
            break;
        if (!update[n])
            update[n] = prepare_update(m, n);
        set_state(update[n], "running", ids, n);
        bdb_commit(m);
        set_state(update[n], "done", ids, n);
        bdb_commit(m);
        *done += n;
    }
    bdb_commit(m);
    for (size_t i = 0; i <= BATCH_MAX; i++)
        if (update[i])
            mysql_stmt_close(update[i]);
    mysql_stmt_close(claim);
    mysql_close(m);
    mysql_thread_end();
    return NULL;
}

int
main(int argc, char **argv)
{
    bench_name = "rawqueue";
    if (argc != 5) {
        fprintf(stderr, "usage: rawqueue CONFIG ROWS BATCH CONNECTIONS\n");
        return 64;
    }
    config = argv[1];
    unsigned long rows = bench_count("ROWS", argv[2], ROWS_MAX);
    batch = bench_count("BATCH", argv[3], BATCH_MAX);
    unsigned long conns = bench_count("CONNECTIONS", argv[4], CONNS_MAX);
    if (mysql_library_init(0, NULL, NULL))
        bench_die("cannot initialise the client library");
    MYSQL *m = bdb_open(config);
    mysql_autocommit(m, 0);
    create_table(m);
    fill(m, rows);

    double secs;
    unsigned long total = bench_workers(consumer, conns, &secs);
    uint64_t left = bdb_value(m, "SELECT COUNT(*) FROM bench_rawqueue WHERE state <> 'done'");
    bdb_do(m, "DROP TABLE bench_rawqueue");
    mysql_close(m);
    mysql_library_end();
    if (total != rows || left != 0)
        bench_die("%lu of %lu rows completed, %llu left", total, rows, (unsigned long long) left);
    printf("rawqueue rows=%lu batch=%lu connections=%lu seconds=%.3f rows_per_s=%.0f\n", rows,
           batch, conns, secs, (double) rows / secs);
    return 0;
}
