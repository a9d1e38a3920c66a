/* error.h: status codes and the error record every libasynctasks call fills. */
#ifndef ASYNCTASKS_ERROR_H
#define ASYNCTASKS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every function returns AT_OK (0) or one of these negative codes, and
 * when it fails it also explains why in the at_error it was handed. */
enum at_status {
    AT_OK = 0,
    AT_EINVAL = -1,    /* the caller's input is invalid */
    AT_ENOTFOUND = -2, /* a named business, user, task ... does not exist */
    AT_ECONFLICT = -3, /* duplicate, or the object changed meanwhile */
    AT_ESTATE = -4,    /* not allowed in the object's current state */
    AT_EDB = -5,       /* the database failed or is unreachable */
    AT_ENOMEM = -6,
    AT_EIO = -7,     /* a file could not be read or written */
    AT_ECONFIG = -8, /* the configuration is wrong */
    AT_ESCHEMA = -9, /* the database schema does not fit this build */
    AT_EDENIED = -10, /* the actor may not do this */
    AT_EPLUGIN = -11  /* a plugin was refused */
};

#define AT_ERROR_MSG_MAX 512

typedef struct at_error {
    int code;
    char msg[AT_ERROR_MSG_MAX];
} at_error;

/* Records code and message in err (which may be NULL) and returns code. */
int at_error_set(at_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with "what: ", keeping the code. */
int at_error_wrap(at_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void at_error_clear(at_error *err);

/* A short name for a status code: "invalid input", "not found", ... */
const char *at_status_str(int code);

#ifdef __cplusplus
}
#endif
#endif
