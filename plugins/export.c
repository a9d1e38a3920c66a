/* export.c: the task type "export": writes every task of the task's
 * business, newest first, as a gzip'd CSV file (RFC 4180, a header row,
 * CRLF line ends; a cell that would read as a formula starts with an
 * apostrophe) into the spool directory. The file appears under its
 * final name only when complete: it is written under a hidden temporary
 * name and renamed. The result is "path=FILE\nrows=N". It declares no
 * parameters and ignores its payload, so that any payload a platform
 * already sends with its export tasks keeps working. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include <asynctasks/plugin.h>

static const char *const header[] = {"id",          "user",     "type",      "state", "created_at",
                                     "started_at", "finished_at", "attempts", "last_error"};
#define NCOLS (sizeof header / sizeof header[0])

typedef struct export {
    const at_host *host;
    at_job *job;
    gzFile gz;
    unsigned long long rows;
    int failed;    /* a write failed: the error is set */
    int cancelled; /* should_stop said so */
} export;

/* A cell a spreadsheet would take for a formula: it starts with =, +, -,
 * @, tab or CR (OWASP's list). Such a cell is written with an apostrophe
 * before its text, and so is one that starts with an apostrophe, so that
 * a reader gets any cell's text back by dropping one leading apostrophe. */
static int
guarded(const char *s)
{
    return *s && strchr("=+-@\t\r'", *s) != NULL;
}

/* One field, quoted when it holds a comma, quote, CR or LF, or is
 * guarded; quotes inside are doubled. */
static int
put_field(gzFile gz, const char *s)
{
    int guard = guarded(s);
    if (!guard && !strpbrk(s, ",\"\r\n"))
        return gzputs(gz, s) < 0 ? -1 : 0;
    if (gzputc(gz, '"') < 0 || (guard && gzputc(gz, '\'') < 0))
        return -1;
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1)
        if (gzwrite(gz, s, (unsigned) (q - s + 1)) != (int) (q - s + 1) || gzputc(gz, '"') < 0)
            return -1;
    if (*s && gzputs(gz, s) < 0)
        return -1;
    return gzputc(gz, '"') < 0 ? -1 : 0;
}

static int
put_row(gzFile gz, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < NCOLS; i++) {
        if (i && gzputc(gz, ',') < 0)
            return -1;
        if (put_field(gz, i < n && fields[i] ? fields[i] : "") < 0)
            return -1;
    }
    return gzputs(gz, "\r\n") < 0 ? -1 : 0;
}

static int
row(void *ctx, const char *const *fields, size_t nfields)
{
    export *e = ctx;
    if (e->host->should_stop(e->job)) {
        e->cancelled = 1;
        return 1;
    }
    if (put_row(e->gz, fields, nfields) < 0) {
        int zerr;
        const char *msg = gzerror(e->gz, &zerr);
        e->host->error(e->job, "cannot write the export: %s",
                       zerr == Z_ERRNO ? strerror(errno) : msg);
        e->failed = 1;
        return 1;
    }
    e->rows++;
    /* the total is not known without counting every task first */
    e->host->progress(e->job, e->rows, 0);
    return 0;
}

static int
run(const at_host *host, at_job *job, void *state)
{
    (void) state;
    const char *dir = host->spool_dir(job);
    if (!dir || !*dir) {
        host->error(job, "no spool directory is configured");
        return AT_PLUGIN_FAIL;
    }
    char stamp[32], path[4096], tmp[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    int n = snprintf(path, sizeof path, "%s/export-%llu-%llu-%s.csv.gz", dir,
                     (unsigned long long) host->business_id(job),
                     (unsigned long long) host->task_id(job), stamp);
    int m = snprintf(tmp, sizeof tmp, "%s/.export-%llu-%llu-%s.csv.gz.tmp", dir,
                     (unsigned long long) host->business_id(job),
                     (unsigned long long) host->task_id(job), stamp);
    if (n < 0 || m < 0 || (size_t) m >= sizeof tmp) {
        host->error(job, "the spool directory's path is too long");
        return AT_PLUGIN_FAIL;
    }
    /* a retry after a crash starts over: an old temporary file goes */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        host->error(job, "cannot create %s: %s", tmp, strerror(errno));
        return AT_PLUGIN_RETRY;
    }
    export e = {host, job, gzdopen(fd, "wb6"), 0, 0, 0};
    if (!e.gz) {
        close(fd);
        unlink(tmp);
        host->error(job, "cannot start compressing: out of memory");
        return AT_PLUGIN_RETRY;
    }
    int status = AT_PLUGIN_OK;
    if (put_row(e.gz, header, NCOLS) < 0) {
        host->error(job, "cannot write %s", tmp);
        e.failed = 1;
    }
    if (!e.failed && host->each_task(job, row, &e) != 0)
        status = AT_PLUGIN_RETRY; /* the host has said why */
    int zrc = gzclose(e.gz);
    if (status == AT_PLUGIN_OK && !e.failed && !e.cancelled && zrc != Z_OK) {
        host->error(job, "cannot finish %s: %s", tmp,
                    zrc == Z_ERRNO ? strerror(errno) : "compression failed");
        e.failed = 1;
    }
    if (status == AT_PLUGIN_OK && e.failed)
        status = AT_PLUGIN_RETRY;
    if (status == AT_PLUGIN_OK && e.cancelled) {
        host->error(job, "stopped after %llu rows", e.rows);
        status = AT_PLUGIN_CANCELLED;
    }
    if (status == AT_PLUGIN_OK && rename(tmp, path) != 0) {
        host->error(job, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        status = AT_PLUGIN_RETRY;
    }
    if (status != AT_PLUGIN_OK) {
        unlink(tmp);
        return status;
    }
    char result[4200];
    snprintf(result, sizeof result, "path=%s\nrows=%llu", path, e.rows);
    host->progress(job, e.rows, e.rows);
    host->result(job, result);
    host->log(job, AT_PLUGIN_LOG_INFO, "exported %llu tasks to %s", e.rows, path);
    return AT_PLUGIN_OK;
}

static const at_plugin_task_type types[] = {
    {.name = "export",
     .description = "Exports the business's tasks as a gzip'd CSV file into the spool directory",
     .timeout_s = 3600,
     .max_attempts = 3,
     .run = run},
};

AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
    AT_PLUGIN_HEADER,
    .name = "export",
    .version = "1.0",
    .types = types,
    .ntypes = sizeof types / sizeof types[0],
};
