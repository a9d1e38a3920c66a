/* from_line.c: one line of asynctasks enqueue --from (enqueue_from.c):
 *
 *   business<TAB>user-email<TAB>task-type[<TAB>priority[<TAB>run-at[<TAB>payload]]]
 *
 * the payload with \\, \t, \n and \r escaped. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FIELDS 6

/* Undoes the payload's escapes in place: \\, \t, \n, \r. */
static int
unescape(char *s, size_t *len, at_error *err)
{
    static const char escaped[] = "\\tnr", meant[] = "\\\t\n\r";
    char *w = s;
    for (const char *p = s; *p; p++) {
        if (*p != '\\') {
            *w++ = *p;
            continue;
        }
        const char *e = *++p ? strchr(escaped, *p) : NULL;
        if (e) {
            *w++ = meant[e - escaped];
            continue;
        }
        if (*p > ' ' && *p < 0x7f)
            return at_error_set(err, AT_EINVAL,
                                "bad escape '\\%c' in the payload: use \\\\, \\t, \\n or \\r", *p);
        return at_error_set(err, AT_EINVAL, "a backslash in the payload %s: use \\\\, \\t, \\n or \\r",
                            *p ? "before a character it does not escape" : "at the end of the line");
    }
    *w = 0;
    *len = (size_t) (w - s);
    return 0;
}

static int
priority(const char *s, int *out, at_error *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || (*s != '-' && (*s < '0' || *s > '9')) || *end || errno || v < AT_PRIORITY_MIN ||
        v > AT_PRIORITY_MAX)
        return at_error_set(err, AT_EINVAL,
                            "priority must be a whole number from %d to %d, not '%.40s'",
                            AT_PRIORITY_MIN, AT_PRIORITY_MAX, s);
    *out = (int) v;
    return 0;
}

/* Splits the line (NUL-terminated, no line end) into its fields, in
 * place: the sixth is the rest of the line. */
static size_t
split(char *s, char **f)
{
    size_t n = 0;
    f[n++] = s;
    for (char *p = s; n < FIELDS && (p = strchr(p, '\t')); p++) {
        *p = 0;
        f[n++] = p + 1;
    }
    return n;
}

int
cli_from_line(char *s, at_time now, at_task_names *names, at_enqueue *req, at_error *err)
{
    char *f[FIELDS];
    size_t n = split(s, f);
    memset(req, 0, sizeof *req);
    if (n < 3)
        return at_error_set(err, AT_EINVAL,
                            "a task is business<TAB>user-email<TAB>task-type"
                            "[<TAB>priority[<TAB>run-at[<TAB>payload]]]: this line has %zu "
                            "field%s",
                            n, n == 1 ? "" : "s");
    *names = (at_task_names){f[0], f[1], f[2]};
    if (n > 3 && *f[3] && priority(f[3], &req->priority, err))
        return AT_EINVAL;
    if (n > 4 && *f[4] && at_time_parse(f[4], now, &req->run_at, err))
        return at_error_wrap(err, "run-at");
    if (n > 5 && *f[5]) {
        if (unescape(f[5], &req->payload_len, err))
            return AT_EINVAL;
        req->payload = f[5];
    }
    return AT_OK;
}
