/* plugin_export.c: the bundled export plugin, loaded from the build's
 * plugin directory like the supervisor loads it, run through at_job_run
 * against the real database: the gzip'd CSV it leaves in the spool dir is
 * read back and parsed (quoting, order, every row across many pages), its
 * progress is in the task row, and a stop or a missing spool dir leaves no
 * file behind. */
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>
#include <zlib.h>

#include <asynctasks/loader.h>

#include "rawdb.h"
#include "tap.h"
#include "testdb.h"

#define NTASKS     1203 /* more than two pages of each_task */
#define EXECUTOR   4242
#define TRICKY     "Smith, \"Jo\"" /* a user name CSV must quote */
#define TRICKY_ERR "line one\nline \"two\", done"

static MYSQL *raw; /* see rawdb.h */

/* The test reaches states only executors make (a running task with a
 * lease, a last error) straight through the client library. */

/* ---- reading the export back ---- */

static char *
gunzip(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int got;
    while (buf && (got = gzread(gz, buf + n, (unsigned) (cap - n - 1))) > 0) {
        n += (size_t) got;
        if (cap - n < 2)
            buf = realloc(buf, cap *= 2);
    }
    gzclose(gz);
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

typedef struct csv {
    char ***rows; /* rows[i][k] */
    size_t n;
    int bad; /* not RFC 4180 */
} csv;

/* A strict RFC 4180 reader: CRLF record ends, quoted fields with doubled
 * quotes; anything else marks the file bad. */
static void
csv_parse(const char *s, size_t len, csv *c)
{
    memset(c, 0, sizeof *c);
    size_t i = 0;
    while (i < len && !c->bad) {
        char **fields = calloc(16, sizeof *fields);
        size_t nf = 0;
        for (;;) {
            char *f = malloc(len - i + 1);
            size_t fl = 0;
            if (s[i] == '"') {
                for (i++;; i++) {
                    if (i >= len) {
                        c->bad = 1;
                        break;
                    }
                    if (s[i] == '"' && s[i + 1] == '"')
                        f[fl++] = s[i++];
                    else if (s[i] == '"') {
                        i++;
                        break;
                    } else
                        f[fl++] = s[i];
                }
            } else {
                while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n' && s[i] != '"')
                    f[fl++] = s[i++];
            }
            f[fl] = 0;
            if (nf < 15)
                fields[nf++] = f;
            else
                free(f);
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n')
                i += 2;
            else
                c->bad = 1;
            break;
        }
        if (nf != 9)
            c->bad = 1;
        c->rows = realloc(c->rows, (c->n + 1) * sizeof *c->rows);
        c->rows[c->n++] = fields;
    }
}

static void
csv_free(csv *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t k = 0; c->rows[i][k]; k++)
            free(c->rows[i][k]);
        free(c->rows[i]);
    }
    free(c->rows);
}

static size_t
files_in(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    if (d)
        closedir(d);
    return n;
}

int
main(void)
{
    const char *build = getenv("top_builddir");
    if (!build)
        bail("top_builddir is not set: run the tests through make check");
    at_db *db = testdb_open();
    raw = rawdb_open();
    at_error err = {0};

    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plugins/.libs", build);
    at_plugin_set *set;
    if (at_plugins_load(dir, &set, &err))
        bail("%s", err.msg);
    is_int(set->nrefusals, 0, "the bundled plugins load without refusals");
    at_handler *h = at_plugins_find(set, "export");
    ok(h != NULL, "the export plugin declares 'export'");
    if (!h)
        bail("no export handler in %s", dir);
    ok(at_plugins_register(db, set, &err) == AT_OK && h->type_id, "and registers it: %s",
       err.msg);

    uint64_t biz = testdb_business(db, "export");
    uint64_t plain = testdb_user(db, biz, "Zoë Plain");
    uint64_t tricky = testdb_user(db, biz, TRICKY);
    uint64_t other = testdb_type(db, "export-data");
    uint64_t first = 0, task = 0;
    for (int i = 0; i < NTASKS; i++) {
        uint64_t id = testdb_task(db, biz, i % 2 ? tricky : plain, other);
        if (!first)
            first = id;
    }
    /* names a spreadsheet would run as formulas, and one that starts with
     * the apostrophe that guards them */
    static const char *const formulas[] = {"=HYPERLINK(\"http://evil.example\",\"x\")",
                                           "+1+1", "-2+3", "@SUM(1)", "'quoted"};
#define NFORMULAS (sizeof formulas / sizeof formulas[0])
    for (size_t i = 0; i < NFORMULAS; i++)
        testdb_task(db, biz, testdb_user(db, biz, formulas[i]), other);
    rawdb_sql(raw, "UPDATE tasks SET last_error = '%s', state = 'failed', attempts = 3 WHERE id = %llu",
            "line one\\nline \\\"two\\\", done", (unsigned long long) first);
    /* export declares no parameters: any payload is taken, and ignored */
#define PAYLOAD "{\"format\":\"csv\"}"
    at_enqueue req = {biz, plain, h->type_id, PAYLOAD, strlen(PAYLOAD), 0, 0, NULL, NULL};
    ok(at_task_enqueue(db, &req, &task, &err) == AT_OK,
       "an export task with a free-form payload is enqueued: %s", err.msg);
    rawdb_sql(raw, "UPDATE tasks SET state = 'running', lease_owner = %d, started_at = UTC_TIMESTAMP(6)"
            " WHERE id = %llu",
            EXECUTOR, (unsigned long long) task);

    char spool[] = "/tmp/at-export.XXXXXX";
    if (!mkdtemp(spool))
        bail("mkdtemp failed");
    char spool_slash[64];
    snprintf(spool_slash, sizeof spool_slash, "%s/", spool);
    at_job_info info = {.task_id = task,
                        .business_id = biz,
                        .user_id = plain,
                        .attempt = 1,
                        .payload = PAYLOAD,
                        .payload_len = strlen(PAYLOAD),
                        .spool_dir = spool_slash,
                        .db = db,
                        .executor_id = EXECUTOR};
    at_job_outcome out;
    ok(at_job_run(h, &info, &out, &err) == AT_OK, "the export runs: %s", err.msg);
    is_str(at_plugin_status_str(out.status), "ok", "and succeeds (%s)", out.error ? out.error : "");
    char path[4096] = "";
    unsigned long long rows = 0;
    ok(out.result && sscanf(out.result, "path=%4095[^\n]\nrows=%llu", path, &rows) == 2,
       "its result is path=FILE and rows=N");
    is_int(rows, NTASKS + NFORMULAS + 1, "every task of the business was exported");
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/export-%llu-%llu-", spool, (unsigned long long) biz,
             (unsigned long long) task);
    ok(strncmp(path, prefix, strlen(prefix)) == 0 && strstr(path, ".csv.gz"),
       "the file is named export-<business>-<task>-<time>.csv.gz in the spool dir: %s", path);
    is_int(files_in(spool), 1, "and nothing else (no temporary file) is left there");
    at_job_outcome_clear(&out);

    size_t len = 0;
    char *text = gunzip(path, &len);
    ok(text != NULL && len > 0, "the file is gzip'd");
    csv c;
    csv_parse(text ? text : "", len, &c);
    ok(!c.bad, "and is well-formed CSV with CRLF line ends");
    is_int(c.n, NTASKS + NFORMULAS + 2, "a header row and one row per task");
    is_str(c.n ? c.rows[0][0] : NULL, "id", "the header starts with id");
    is_str(c.n ? c.rows[0][8] : NULL, "last_error", "and ends with last_error");
    int ordered = 1, tricky_ok = 0, err_ok = 0;
    for (size_t i = 1; i < c.n; i++) {
        if (i > 1 && strtoull(c.rows[i][0], NULL, 10) >= strtoull(c.rows[i - 1][0], NULL, 10))
            ordered = 0;
        if (strcmp(c.rows[i][1], TRICKY) == 0)
            tricky_ok++;
        if (strcmp(c.rows[i][8], TRICKY_ERR) == 0 && strcmp(c.rows[i][3], "failed") == 0 &&
            strcmp(c.rows[i][7], "3") == 0)
            err_ok++;
    }
    for (size_t k = 0; k < NFORMULAS; k++) {
        const char *cell = NULL;
        for (size_t i = 1; i < c.n && !cell; i++)
            if (strstr(c.rows[i][1], formulas[k]) == c.rows[i][1] + 1)
                cell = c.rows[i][1];
        ok(cell && cell[0] == '\'' && strcmp(cell + 1, formulas[k]) == 0,
           "a name starting with '%c' is written after an apostrophe, and comes back without it",
           formulas[k][0]);
    }
    ok(c.n > 1 && strtoull(c.rows[1][0], NULL, 10) == task, "the newest task (the export) first");
    ok(ordered, "then newest to oldest");
    is_int(tricky_ok, NTASKS / 2, "a name with a comma and quotes reads back whole");
    is_int(err_ok, 1, "an error with a newline, quotes and a comma reads back whole");
    ok(c.n > 1 && strcmp(c.rows[1][5], "") != 0 && strcmp(c.rows[1][6], "") == 0,
       "a running task has a start time and no finish time");
    ok(c.n > 2 && strcmp(c.rows[2][2], c.rows[3][2]) == 0 && strstr(c.rows[2][2], "export-data"),
       "the type's name is there");
    csv_free(&c);
    free(text);
    unlink(path);

    /* progress: in the task row, owner-checked */
    is_int(rawdb_task_col(raw, "progress_done", task), NTASKS + NFORMULAS + 1,
           "progress done is the row count");
    is_int(rawdb_task_col(raw, "progress_total", task), NTASKS + NFORMULAS + 1,
           "progress total too, at the end");
    rawdb_sql(raw, "UPDATE tasks SET progress_done = 0, progress_total = 0 WHERE id = %llu",
            (unsigned long long) task);
    info.executor_id = EXECUTOR + 1;
    ok(at_job_run(h, &info, &out, &err) == AT_OK && out.status == AT_PLUGIN_OK,
       "an export by an executor without the lease runs");
    is_int(rawdb_task_col(raw, "progress_done", task), 0,
           "but writes no progress to the task");
    if (out.result && sscanf(out.result, "path=%4095[^\n]", path) == 1)
        unlink(path);
    at_job_outcome_clear(&out);

    /* a stop request: cancelled, no file */
    volatile sig_atomic_t stop = 1;
    info.stop = &stop;
    ok(at_job_run(h, &info, &out, &err) == AT_OK && out.status == AT_PLUGIN_CANCELLED,
       "an export asked to stop is cancelled (%s)", out.error ? out.error : "");
    is_int(files_in(spool), 0, "and leaves no file");
    at_job_outcome_clear(&out);
    info.stop = NULL;

    /* an unusable spool dir: retried, with the path in the message */
    info.spool_dir = "/nonexistent/spool";
    ok(at_job_run(h, &info, &out, &err) == AT_OK && out.status == AT_PLUGIN_RETRY,
       "a missing spool dir fails the attempt, to be retried");
    has_str(out.error, "/nonexistent/spool", "and the error names it");
    at_job_outcome_clear(&out);

    rmdir(spool);
    at_plugins_fini(set);
    at_plugins_free(set);
    mysql_close(raw);
    testdb_close(db);
    return done_testing();
}
