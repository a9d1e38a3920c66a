/* enqueue_from.c: asynctasks enqueue --from FILE|-: many tasks from
 * tab-separated lines, one task a line:
 *
 *   business<TAB>user-email<TAB>task-type[<TAB>priority[<TAB>run-at[<TAB>payload]]]
 *
 * Every line is read and checked first (its fields, then its names and
 * payload in bulk through a resolver), and nothing is written while any
 * line is bad; then the tasks are written in transactions of at most
 * AT_ENQUEUE_MANY_MAX. If a later transaction fails, the message says how
 * many were enqueued before it, and from which line on nothing was. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FROM_MAX     (1ul << 30) /* bytes of input */
#define ERRORS_SHOWN 50          /* bad lines named before the count */

/* A bad line, as it will be shown. */
typedef struct bad_line {
    unsigned long line;
    char msg[AT_ERROR_MSG_MAX];
} bad_line;

/* The tasks of the input: for each, its line, names and request. */
typedef struct from_tasks {
    size_t n, cap;
    unsigned long *line;
    at_task_names *names;
    at_enqueue *reqs;
    /* The bad lines: how many, and the first ones each pass found (the
     * passes go in the order of the lines). */
    size_t nbad;
    bad_line shown[2 * ERRORS_SHOWN];
    size_t nshown, pass_shown;
} from_tasks;

static void
bad(from_tasks *t, unsigned long line, const char *msg)
{
    t->nbad++;
    if (t->pass_shown++ < ERRORS_SHOWN) {
        t->shown[t->nshown].line = line;
        snprintf(t->shown[t->nshown++].msg, sizeof t->shown[0].msg, "%s", msg);
    }
}

static int
by_line(const void *a, const void *b)
{
    unsigned long x = ((const bad_line *) a)->line, y = ((const bad_line *) b)->line;
    return x < y ? -1 : x > y;
}

/* Names the first bad lines, in the order of the lines. */
static int
report_bad(from_tasks *t)
{
    qsort(t->shown, t->nshown, sizeof t->shown[0], by_line);
    for (size_t i = 0; i < t->nshown && i < ERRORS_SHOWN; i++)
        fprintf(stderr, "asynctasks: line %lu: %s\n", t->shown[i].line, t->shown[i].msg);
    if (t->nbad > ERRORS_SHOWN)
        fprintf(stderr, "asynctasks: ... and %zu more bad lines\n", t->nbad - ERRORS_SHOWN);
    fprintf(stderr, "asynctasks: %zu bad line%s: nothing was enqueued\n", t->nbad,
            t->nbad == 1 ? "" : "s");
    return EXIT_DATA;
}

static int
grow(from_tasks *t)
{
    if (t->n < t->cap)
        return 0;
    size_t cap = t->cap ? t->cap * 2 : 1024;
    unsigned long *line = realloc(t->line, cap * sizeof *line);
    if (line)
        t->line = line;
    at_task_names *names = line ? realloc(t->names, cap * sizeof *names) : NULL;
    if (names)
        t->names = names;
    at_enqueue *reqs = names ? realloc(t->reqs, cap * sizeof *reqs) : NULL;
    if (!reqs)
        return -1;
    t->reqs = reqs;
    t->cap = cap;
    return 0;
}

static void
from_free(from_tasks *t)
{
    if (!t)
        return;
    free(t->line);
    free(t->names);
    free(t->reqs);
    free(t);
}

static int
blank(const char *s)
{
    return s[strspn(s, " \t")] == 0;
}

/* Every line of buf (len bytes, NUL-terminated) into t, in place. */
static int
parse_all(char *buf, size_t len, at_time now, from_tasks *t)
{
    at_error err;
    unsigned long no = 0;
    for (char *s = buf; s < buf + len;) {
        char *nl = memchr(s, '\n', (size_t) (buf + len - s));
        char *end = nl ? nl : buf + len;
        size_t n = (size_t) (end - s);
        no++;
        *end = 0;
        if (n && s[n - 1] == '\r') /* CRLF */
            s[--n] = 0;
        if (memchr(s, 0, n)) {
            bad(t, no, "the line holds a NUL byte");
        } else if (!blank(s) && *s != '#') {
            if (grow(t))
                return -1;
            if (cli_from_line(s, now, &t->names[t->n], &t->reqs[t->n], &err))
                bad(t, no, err.msg);
            else
                t->line[t->n++] = no;
        }
        s = end + 1;
    }
    return 0;
}

/* ---- checking and writing ---- */

/* Resolves and checks every task, in slices of the most one transaction
 * takes, naming the line of each bad one. */
static int
check_all(at_db *db, from_tasks *t, at_error *errs, at_error *err)
{
    at_resolver *r;
    int rc = at_resolver_open(db, &r, err);
    t->pass_shown = 0;
    for (size_t at = 0; rc == AT_OK && at < t->n; at += AT_ENQUEUE_MANY_MAX) {
        size_t k = t->n - at < AT_ENQUEUE_MANY_MAX ? t->n - at : AT_ENQUEUE_MANY_MAX, nbad;
        rc = at_resolver_prepare(r, t->names + at, t->reqs + at, k, errs, &nbad, err);
        if (rc && nbad)
            rc = AT_OK;
        for (size_t i = 0; rc == AT_OK && i < k; i++)
            if (errs[i].code)
                bad(t, t->line[at + i], errs[i].msg);
    }
    at_resolver_close(r);
    return rc;
}

/* Says what a failed transaction left: the tasks before it are in. */
static int
write_failed(const from_tasks *t, size_t at, size_t k, const at_error *errs, const at_error *err)
{
    size_t shown = 0;
    for (size_t i = 0; i < k; i++)
        if (errs[i].code && shown++ < ERRORS_SHOWN)
            fprintf(stderr, "asynctasks: line %lu: %s\n", t->line[at + i], errs[i].msg);
    if (!shown)
        fprintf(stderr, "asynctasks: %s\n", err->msg);
    if (at == 0)
        fprintf(stderr, "asynctasks: no task was enqueued\n");
    else
        fprintf(stderr,
                "asynctasks: %zu of %zu tasks were enqueued, those of lines %lu to %lu; none "
                "from line %lu on\n",
                at, t->n, t->line[0], t->line[at - 1], t->line[at]);
    return cli_exit_code(err->code);
}

static int
write_all(at_db *db, const from_tasks *t, int print_ids, at_error *errs)
{
    uint64_t ids[AT_ENQUEUE_MANY_MAX];
    for (size_t at = 0; at < t->n; at += AT_ENQUEUE_MANY_MAX) {
        size_t k = t->n - at < AT_ENQUEUE_MANY_MAX ? t->n - at : AT_ENQUEUE_MANY_MAX;
        at_error err = {0};
        if (at_task_enqueue_many(db, t->reqs + at, k, ids, errs, &err))
            return write_failed(t, at, k, errs, &err);
        for (size_t i = 0; print_ids && i < k; i++)
            printf("%llu\n", (unsigned long long) ids[i]);
    }
    if (!print_ids)
        printf("enqueued %zu task%s\n", t->n, t->n == 1 ? "" : "s");
    return EXIT_OK;
}

int
cli_enqueue_from(cli *c, const char *path, int print_ids)
{
    at_error err = {0};
    char *buf;
    size_t len;
    if (cli_read_file(path, FROM_MAX, &buf, &len, &err))
        return cli_fail(&err);
    at_db *db = cli_db(c, 1);
    from_tasks *t = calloc(1, sizeof *t);
    at_time now = 0;
    at_error *errs = calloc(AT_ENQUEUE_MANY_MAX, sizeof *errs);
    int rc = errs && t ? at_db_now(db, &now, &err) : at_error_set(&err, AT_ENOMEM, "out of memory");
    if (rc == AT_OK && parse_all(buf, len, now, t))
        rc = at_error_set(&err, AT_ENOMEM, "out of memory");
    if (rc == AT_OK)
        rc = check_all(db, t, errs, &err);
    if (rc)
        rc = cli_fail(&err);
    else if (t->nbad)
        rc = report_bad(t);
    else
        rc = write_all(db, t, print_ids, errs);
    from_free(t);
    free(errs);
    free(buf);
    return rc;
}
