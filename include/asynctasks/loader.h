/* loader.h: the host side of plugins: finding, checking and loading the
 * task-type plugins of a directory (see plugin.h for the plugin side). */
#ifndef ASYNCTASKS_LOADER_H
#define ASYNCTASKS_LOADER_H

#include <asynctasks/db.h>
#include <asynctasks/plugin.h>
#include <asynctasks/tasktype.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One task type of a loaded plugin, copied into the host's own layout
 * (fields the plugin's older struct lacks are zero). */
typedef struct at_handler {
    at_plugin_task_type type;  /* name, description, run, validate, ... */
    at_param_decl *params;     /* the declared parameters, host layout */
    size_t nparams;
    struct at_loaded_plugin *plugin;
    uint64_t type_id;          /* set by at_plugins_register */
} at_handler;

typedef struct at_loaded_plugin {
    char *path;
    void *dl;          /* dlopen handle */
    at_plugin desc;    /* the descriptor, copied into the host's layout */
    at_handler *handlers;
    size_t nhandlers;
    void *state;       /* from init(), per process */
    int init_rc;       /* 0 until init() ran; its result after */
    int init_done;
} at_loaded_plugin;

/* Loads and checks one plugin with dlopen(RTLD_NOW | RTLD_LOCAL). Refuses
 * (AT_EPLUGIN) a missing descriptor, a wrong magic, ABI version or struct
 * size, or a bad declaration; the message names the file and, where they
 * apply, the expected and found values. */
int at_plugin_open(const char *path, at_loaded_plugin **out, at_error *err);
void at_plugin_close(at_loaded_plugin *p);

/* Every plugin of a directory: the *.so files, in name order. */
typedef struct at_plugin_set {
    at_loaded_plugin **plugins;
    size_t n;
    char **refusals; /* one message per file refused */
    size_t nrefusals;
} at_plugin_set;

/* Loads every plugin of dir. A refused plugin (bad file, or a task type
 * that an earlier plugin already declares) lands in set->refusals and
 * never stops the others; only an unreadable dir is an error. */
int at_plugins_load(const char *dir, at_plugin_set **out, at_error *err);
void at_plugins_free(at_plugin_set *set);

/* The handler of a task type, by name or by registered id; NULL if none. */
at_handler *at_plugins_find(const at_plugin_set *set, const char *type_name);
at_handler *at_plugins_find_id(const at_plugin_set *set, uint64_t type_id);

/* Registers every loaded task type in the database (name, description,
 * timeout, attempts, parameters) and fills each handler's type_id. */
int at_plugins_register(at_db *db, at_plugin_set *set, at_error *err);

/* ---- running one task through its handler (lib/job.c) ---- */

#include <signal.h>

/* What the host knows about the task being run. */
typedef struct at_job_info {
    uint64_t task_id, business_id, user_id;
    unsigned attempt;
    const char *payload; /* NUL-terminated; NULL: "" */
    size_t payload_len;
    const char *spool_dir;
    /* Optional: with a database, progress is written to the task (owner
     * executor_id) and each_task works; without, neither does. */
    at_db *db;
    uint64_t executor_id;
    /* Set (by a signal handler) when the task must stop: should_stop. */
    volatile sig_atomic_t *stop;
} at_job_info;

/* The outcome of at_job_run. */
typedef struct at_job_outcome {
    int status;   /* enum at_plugin_status */
    char *result; /* malloc'd or NULL */
    char *error;  /* malloc'd or NULL; set for every status but OK */
} at_job_outcome;
void at_job_outcome_clear(at_job_outcome *o);
/* "ok", "retry", "fail", "cancelled"; "unknown" for anything else. */
const char *at_plugin_status_str(int status);

/* Runs one task: the plugin's init() on first use in this process, the
 * validate hook and the parameter check (a refusal is AT_PLUGIN_FAIL),
 * then run() with the host table. A status outside the enum counts as
 * AT_PLUGIN_RETRY with an error saying so. */
int at_job_run(at_handler *h, const at_job_info *info, at_job_outcome *out, at_error *err);

/* Calls every plugin's init() that has not run yet in this process
 * (executors do this before their first claim, so a slow init delays no
 * task's timeout clock). A failed init is logged with the plugin's name. */
void at_plugins_init(at_plugin_set *set);

/* The registered type ids this process can run: handlers whose plugin
 * initialised. *ids is malloc'd; returns how many. */
size_t at_plugins_runnable(const at_plugin_set *set, uint64_t **ids);

/* Calls every initialised plugin's fini(). */
void at_plugins_fini(at_plugin_set *set);

#ifdef __cplusplus
}
#endif
#endif
