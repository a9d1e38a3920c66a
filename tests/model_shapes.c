/* model_shapes.c: statements whose placeholders follow a count are
 * prepared in a few shapes only (strbuf.c, sb_class), so that a
 * connection's statement cache, and the memory it holds in the process
 * and the server, stops growing once the shapes have been seen; and the
 * padding that makes the shapes writes nothing of its own. Against the
 * real test database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tap.h"
#include "testdb.h"

#define NBIZ 64

static void
test_classes(void)
{
    size_t in[] = {0, 1, 2, 3, 4, 5, 31, 32, 33, 1000};
    size_t want[] = {0, 1, 2, 4, 4, 8, 32, 32, 64, 1024};
    int good = 1;
    for (size_t i = 0; i < AT_COUNT(in); i++)
        if (sb_class(in[i]) != want[i]) {
            diag("sb_class(%zu) = %zu, not %zu", in[i], sb_class(in[i]), want[i]);
            good = 0;
        }
    ok(good, "a count's class is the next power of two (0 stays 0)");

    strbuf sql = {0};
    arglist a = {0};
    args_add(&a, da_u64(1));
    for (uint64_t v = 7; v <= 9; v++)
        args_add(&a, da_u64(v));
    sb_in_list(&sql, &a, 3);
    is_str(sql.p, "?, ?, ?, ?", "an IN list of 3 has the placeholders of 4");
    ok(a.n == 5 && a.v[4].u == 9 && a.v[3].u == 9 && a.v[1].u == 7,
       "... its last value repeated into the extra place, the others as they were");
    sb_free(&sql);
    args_free(&a);

    args_add(&a, da_u64(5));
    args_add(&a, da_u64(6));
    args_repeat_row(&a, 2);
    ok(a.n == 4 && a.v[2].u == 5 && a.v[3].u == 6, "args_repeat_row adds the last row again");
    args_nulls(&a, 3);
    ok(a.n == 7 && a.v[6].type == DA_NULL, "args_nulls adds NULLs");
    args_free(&a);
}

static uint64_t
sum_queued(at_db *db, const uint64_t *biz, size_t n)
{
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT COALESCE(SUM(queued), 0) FROM task_counts WHERE business_id IN (");
    sb_placeholders(&sql, n);
    sb_add(&sql, ")");
    for (size_t i = 0; i < n; i++)
        args_add(&a, da_u64(biz[i]));
    uint64_t got = 0;
    at_error err;
    if (db_query_u64(db, 0, sql.p, a.v, (unsigned) a.n, &got, &err) != AT_OK)
        bail("sum of queued: %s", err.msg);
    sb_free(&sql);
    args_free(&a);
    return got;
}

/* counts_add with 1 to NBIZ businesses' rows, adding one queued task to
 * each, then taking it away. */
static void
test_counts(at_db *db)
{
    uint64_t biz[NBIZ];
    for (size_t i = 0; i < NBIZ; i++) {
        char what[32];
        snprintf(what, sizeof what, "shapes%zu", i);
        biz[i] = testdb_business(db, what);
    }
    counts_delta d[NBIZ];
    at_error err;
    size_t before = db_cached(db);
    int good = 1;
    for (int sign = 1; sign >= -1; sign -= 2)
        for (size_t n = 1; n <= NBIZ && good; n++) {
            memset(d, 0, sizeof d);
            for (size_t i = 0; i < n; i++) {
                d[i].business_id = biz[i];
                d[i].queued = sign;
            }
            good = counts_add(db, d, n, &err) == AT_OK;
        }
    ok(good, "counts_add with 1 to %d rows, and back", NBIZ);
    size_t grew = db_cached(db) - before;
    ok(grew <= 7, "... prepared %zu statements for 64 counts, one a class (1 to 64: 7)", grew);
    for (size_t n = 1; n <= NBIZ && good; n++) {
        memset(d, 0, sizeof d);
        for (size_t i = 0; i < n; i++) {
            d[i].business_id = biz[i];
            d[i].queued = 1;
        }
        good = counts_add(db, d, n, &err) == AT_OK;
    }
    is_int((long long) sum_queued(db, biz, NBIZ), NBIZ * (NBIZ + 1) / 2,
           "... the padding rows added nothing: 1 + 2 + ... + 64 queued");
    for (size_t n = 1; n <= NBIZ && good; n++) {
        memset(d, 0, sizeof d);
        for (size_t i = 0; i < n; i++) {
            d[i].business_id = biz[i];
            d[i].queued = -1;
        }
        good = counts_add(db, d, n, &err) == AT_OK;
    }
    is_int((long long) sum_queued(db, biz, NBIZ), 0, "... and taken away, none");
}

/* The dashboard's flush with 1 to 40 minutes' cells. */
static void
test_rollups(at_db *db)
{
    uint64_t biz = testdb_business(db, "shapes-rollup");
    uint64_t type = testdb_type(db, "shapes-rollup");
    at_time now = at_time_now();
    at_error err;
    rollup_acc acc = {0};
    rollup_count(&acc, biz, type, now, ROLLUP_STARTED);
    if (rollup_flush(db, &acc, &err) != AT_OK)
        bail("rollup_flush: %s", err.msg);
    size_t before = db_cached(db);
    uint64_t want = 1;
    int good = 1;
    for (size_t n = 1; n <= 40 && good; n++) {
        for (size_t i = 0; i < n; i++) {
            rollup_count(&acc, biz, type, now - (at_time) i * 60 * 1000000, ROLLUP_STARTED);
            want++;
        }
        rollup_error(&acc, biz, type, 1, now, "shapes");
        good = rollup_flush(db, &acc, &err) == AT_OK;
    }
    rollup_free(&acc);
    ok(good, "the dashboard's counts added with 1 to 40 minutes' rows");
    size_t grew = db_cached(db) - before;
    ok(grew <= 6, "... prepared %zu more statements for them, one a class (2 to 64: 6)", grew);
    db_arg a[] = {da_u64(biz)};
    uint64_t got = 0;
    if (db_query_u64(db, 0,
                     "SELECT COALESCE(SUM(started), 0) FROM task_rollups WHERE business_id = ? "
                     "AND span = 'minute'",
                     a, 1, &got, &err) != AT_OK)
        bail("sum of rollups: %s", err.msg);
    is_int((long long) got, (long long) want, "... and the minute rows hold every start once");
}

int
main(void)
{
    at_db *db = testdb_open();
    test_classes();
    test_counts(db);
    test_rollups(db);
    testdb_close(db);
    return done_testing();
}
