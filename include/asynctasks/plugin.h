/* plugin.h: the one header a task-type plugin needs.
 *
 * A plugin is a shared object that exports one descriptor, an at_plugin
 * named AT_PLUGIN_SYMBOL ("asynctasks_plugin"). The descriptor declares the
 * task types the plugin handles. The host never links plugins against
 * itself and plugins never link against the host: everything a handler may
 * ask of the host comes through the at_host table passed to every call.
 *
 * Compatibility rules (see asynctasks-plugin(3)):
 *  - magic and abi_version must match exactly; abi_version changes only
 *    when a change cannot be made by growing a struct;
 *  - every struct here only ever grows at its end; each carries (or is
 *    accompanied by) its size as the other side compiled it, so a newer
 *    host reads an older plugin and the other way round;
 *  - a plugin calls an at_host function only when host->size shows that
 *    the host has it (AT_HOST_HAS).
 *
 * This header depends on nothing but the C standard library. */
#ifndef ASYNCTASKS_PLUGIN_H
#define ASYNCTASKS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AT_PLUGIN_MAGIC       0x41545350u /* "ATSP" */
#define AT_PLUGIN_ABI_VERSION 1u
#define AT_PLUGIN_SYMBOL      "asynctasks_plugin"

#if defined(__GNUC__)
#define AT_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define AT_PLUGIN_EXPORT
#endif

#if defined(__GNUC__)
#define AT_PLUGIN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AT_PLUGIN_PRINTF(f, a)
#endif

/* What a handler's run() returns. */
enum at_plugin_status {
    AT_PLUGIN_OK = 0,        /* done: the task succeeded */
    AT_PLUGIN_RETRY = 1,     /* failed; retried with backoff while attempts remain */
    AT_PLUGIN_FAIL = 2,      /* failed for good: no retry (bad payload, ...) */
    AT_PLUGIN_CANCELLED = 3  /* stopped because should_stop() said so */
};

/* Levels for host->log. */
enum at_plugin_log_level {
    AT_PLUGIN_LOG_ERROR = 0,
    AT_PLUGIN_LOG_WARN = 1,
    AT_PLUGIN_LOG_INFO = 2,
    AT_PLUGIN_LOG_DEBUG = 3
};

/* Parameter types. A payload of a task type that declares parameters is
 * "name=value" lines (UTF-8, one per line); the host checks it against the
 * declarations when the task is enqueued or edited, and the admin screen's
 * Edit form shows one field per parameter. */
enum at_plugin_param_type {
    AT_PLUGIN_PARAM_STRING = 1, /* min/max: length in characters */
    AT_PLUGIN_PARAM_INT = 2,    /* min/max: value */
    AT_PLUGIN_PARAM_BOOL = 3    /* "true" or "false"; min/max unused */
};

typedef struct at_plugin_param {
    const char *name; /* [a-z][a-z0-9_]*, at most 64 characters */
    int type;         /* enum at_plugin_param_type */
    int required;     /* 1: the payload must give it */
    const char *default_value; /* text, or NULL: none */
    int64_t min, max; /* limits; min == max == 0: none */
    const char *description;
    /* grows here */
} at_plugin_param;

/* The job handle: opaque, valid during one run() call only. In init()
 * and fini() there is no job: host->log then takes NULL. */
typedef struct at_job at_job;

/* The fields host->each_task hands row(), in this order. Times are UTC
 * "YYYY-MM-DD HH:MM:SS", "" when not set; last_error "" when none. */
enum at_plugin_task_field {
    AT_PLUGIN_TASK_ID = 0,
    AT_PLUGIN_TASK_USER,        /* the user's name */
    AT_PLUGIN_TASK_TYPE,        /* the task type's name */
    AT_PLUGIN_TASK_STATE,       /* queued, running, succeeded, failed, cancelled */
    AT_PLUGIN_TASK_CREATED_AT,
    AT_PLUGIN_TASK_STARTED_AT,
    AT_PLUGIN_TASK_FINISHED_AT,
    AT_PLUGIN_TASK_ATTEMPTS,
    AT_PLUGIN_TASK_LAST_ERROR,
    AT_PLUGIN_TASK_NFIELDS /* fields may be appended: use nfields */
};

/* Functions the host lends the plugin. Every pointer up to the size the
 * host declares is set. */
typedef struct at_host {
    uint32_t size;        /* sizeof(at_host) as the host compiled it */
    uint32_t abi_version; /* AT_PLUGIN_ABI_VERSION of the host */

    /* A line in the executor's log, tagged with the task. */
    void (*log)(at_job *job, int level, const char *fmt, ...) AT_PLUGIN_PRINTF(3, 4);
    /* Progress: done out of total (total 0: unknown). Cheap to call often;
     * the host writes it to the database at most a few times a second. */
    void (*progress)(at_job *job, uint64_t done, uint64_t total);
    /* The task's payload as stored (NUL-terminated; "" when none). */
    const char *(*payload)(at_job *job, size_t *len);
    /* A declared parameter's value: the payload's, else the default, else
     * NULL. */
    const char *(*param)(at_job *job, const char *name);
    /* Non-zero once the task is being cancelled or the executor must stop:
     * the handler should return AT_PLUGIN_CANCELLED soon. Cheap to call. */
    int (*should_stop)(at_job *job);
    /* The task's result text (UTF-8, at most 64 KiB), replacing any earlier
     * one. Returns 0, or -1 when the text is refused. */
    int (*result)(at_job *job, const char *text);
    /* The error message recorded when run() fails (printf-style). */
    void (*error)(at_job *job, const char *fmt, ...) AT_PLUGIN_PRINTF(2, 3);
    /* Facts about the task. */
    uint64_t (*task_id)(at_job *job);
    uint64_t (*business_id)(at_job *job);
    uint64_t (*user_id)(at_job *job);
    unsigned (*attempt)(at_job *job); /* 1 on the first run */
    /* A directory the task may write its files into, with a trailing
     * slash removed (the configured spool_dir). */
    const char *(*spool_dir)(at_job *job);
    /* Opens a read-only database query over the task's business, for
     * plugins that report on it (export). Returns 0 and calls row() per
     * task of the business, newest first, until row returns non-zero;
     * -1 on error (see host->error for the reason). fields[] are
     * enum at_plugin_task_field; the strings live until row returns. */
    int (*each_task)(at_job *job,
                     int (*row)(void *ctx, const char *const *fields, size_t nfields),
                     void *ctx);
    /* grows here */
} at_host;

#define AT_HOST_HAS(host, member)                                                                 \
    ((host)->size >= offsetof(at_host, member) + sizeof(((at_host *) 0)->member))

/* One task type. */
typedef struct at_plugin_task_type {
    const char *name;        /* [a-z][a-z0-9_.-]*, at most 100 characters */
    const char *description; /* for the admin screen, at most 500 characters */
    const at_plugin_param *params;
    unsigned nparams;
    unsigned timeout_s;    /* the executor is killed after this; 0: 300 */
    unsigned max_attempts; /* runs before the task fails for good; 0: 3 */
    /* Runs the task. Required. */
    int (*run)(const at_host *host, at_job *job, void *state);
    /* Optional: checks a payload before the task runs. Returns 0, or
     * non-zero with a message in errbuf; the task then fails without a
     * retry. */
    int (*validate)(const char *payload, size_t len, char *errbuf, size_t errlen);
    /* grows here */
} at_plugin_task_type;

/* The descriptor. */
typedef struct at_plugin {
    uint32_t magic;       /* AT_PLUGIN_MAGIC */
    uint32_t abi_version; /* AT_PLUGIN_ABI_VERSION */
    uint32_t size;        /* sizeof(at_plugin) */
    uint32_t type_size;   /* sizeof(at_plugin_task_type): the stride of types[] */
    uint32_t param_size;  /* sizeof(at_plugin_param): the stride of params[] */
    const char *name;     /* the plugin's name */
    const char *version;  /* the plugin's own version, free text */
    const at_plugin_task_type *types;
    unsigned ntypes;
    /* Optional: called once in each executor process before its first
     * task; *state is handed to every run(). Non-zero: the plugin's task
     * types are not run by that executor. */
    int (*init)(const at_host *host, void **state);
    /* Optional: called when the executor exits normally. */
    void (*fini)(void *state);
    /* grows here */
} at_plugin;

/* Fills the header fields of a descriptor; use first in its initializer:
 *   AT_PLUGIN_EXPORT const at_plugin asynctasks_plugin = {
 *       AT_PLUGIN_HEADER, .name = "hello", .version = "1.0", ...}; */
#define AT_PLUGIN_HEADER                                                                           \
    .magic = AT_PLUGIN_MAGIC, .abi_version = AT_PLUGIN_ABI_VERSION, .size = sizeof(at_plugin),     \
    .type_size = sizeof(at_plugin_task_type), .param_size = sizeof(at_plugin_param)

#ifdef __cplusplus
}
#endif
#endif
