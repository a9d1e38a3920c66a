/* error.c: filling at_error records. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <asynctasks/error.h>

#include "internal.h"

int
at_error_set(at_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    at_utf8_scrub(err->msg);
    err->code = code;
    return code;
}

int
at_error_wrap(at_error *err, const char *fmt, ...)
{
    if (!err)
        return AT_EINVAL;
    char old[AT_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t) n;
    if (used + 2 < sizeof err->msg) {
        /* "prefix: old message", cut to fit */
        memcpy(err->msg + used, ": ", 2);
        used += 2;
        size_t room = sizeof err->msg - used - 1;
        size_t ol = strlen(old);
        memcpy(err->msg + used, old, ol < room ? ol : room);
        err->msg[used + (ol < room ? ol : room)] = 0;
    }
    at_utf8_scrub(err->msg);
    return err->code;
}

int
at_error_items(at_error *err, const at_error *first, size_t first_idx, size_t nbad, size_t n)
{
    if (nbad == 1)
        return at_error_set(err, first->code, "task %zu of %zu: %s", first_idx + 1, n, first->msg);
    return at_error_set(err, first->code, "%zu of %zu tasks are invalid, the first is task %zu: %s",
                        nbad, n, first_idx + 1, first->msg);
}

int
at_error_nothing_enqueued(at_error *err)
{
    if (!err)
        return AT_EINVAL;
    at_error_wrap(err, "enqueue");
    static const char tail[] = ": nothing was enqueued";
    size_t len = strlen(err->msg);
    if (len + sizeof tail <= sizeof err->msg)
        memcpy(err->msg + len, tail, sizeof tail);
    return err->code;
}

void
at_error_clear(at_error *err)
{
    if (err) {
        err->code = AT_OK;
        err->msg[0] = 0;
    }
}

const char *
at_status_str(int code)
{
    switch (code) {
    case AT_OK: return "ok";
    case AT_EINVAL: return "invalid input";
    case AT_ENOTFOUND: return "not found";
    case AT_ECONFLICT: return "conflict";
    case AT_ESTATE: return "not allowed in this state";
    case AT_EDB: return "database error";
    case AT_ENOMEM: return "out of memory";
    case AT_EIO: return "input/output error";
    case AT_ECONFIG: return "configuration error";
    case AT_ESCHEMA: return "schema mismatch";
    case AT_EDENIED: return "permission denied";
    case AT_EPLUGIN: return "plugin refused";
    default: return "unknown error";
    }
}
