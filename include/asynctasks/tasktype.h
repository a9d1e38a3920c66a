/* tasktype.h: the kinds of task handlers exist for. */
#ifndef ASYNCTASKS_TASKTYPE_H
#define ASYNCTASKS_TASKTYPE_H

#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A parameter a plugin declares for a task type (plugin.h's
 * at_plugin_param, in the host's own layout). A payload of a type with
 * parameters is "name=value" lines. */
#define AT_PARAM_NAME_MAX  64
#define AT_PARAM_VALUE_MAX 1000 /* characters */
#define AT_PARAMS_MAX      64   /* parameters per task type */
typedef struct at_param_decl {
    char name[AT_PARAM_NAME_MAX + 1];
    int type; /* AT_PLUGIN_PARAM_STRING, _INT or _BOOL */
    int required;
    int has_default;
    char default_value[AT_PARAM_VALUE_MAX * 4 + 1];
    int64_t min, max; /* 0, 0: no limits */
    char description[AT_DESC_BUF];
} at_param_decl;

/* Limits of a type's timeout (seconds) and attempts. */
#define AT_TYPE_TIMEOUT_MAX  (7u * 86400u)
#define AT_TYPE_ATTEMPTS_MAX 100u

typedef struct at_task_type {
    uint64_t id;
    char name[AT_TYPE_NAME_BUF];
    char description[AT_DESC_BUF];
    unsigned timeout_s;
    unsigned max_attempts;
} at_task_type;

/* Creates the type, or updates description, timeout and attempts of an
 * existing one. name: 1-100 of [a-z0-9_.-], starting with a letter. */
int at_task_type_register(at_db *db, const char *name, const char *description,
                          unsigned timeout_s, unsigned max_attempts, uint64_t *id, at_error *err);
/* The same, also replacing the declared parameters (params may be NULL
 * when n is 0). */
int at_task_type_register_params(at_db *db, const char *name, const char *description,
                                 unsigned timeout_s, unsigned max_attempts,
                                 const at_param_decl *params, size_t n, uint64_t *id,
                                 at_error *err);
/* The declared parameters of a type: a malloc'd array (NULL, 0 when none). */
int at_task_type_params(at_db *db, uint64_t type_id, at_param_decl **out, size_t *n,
                        at_error *err);

/* Checks one declaration (name, type, limits, default). */
int at_param_decl_check(const at_param_decl *d, at_error *err);
/* Checks a payload against declarations: "name=value" lines, each name
 * declared and given once, values of the declared type within the
 * limits, every required one present. The message names the parameter. */
int at_params_check(const at_param_decl *d, size_t n, const char *payload, size_t len,
                    at_error *err);
/* The value of name in a "name=value" payload, copied into buf; 1 when
 * found, 0 when absent (buf ""), -1 when buf is too small. */
int at_params_get(const char *payload, size_t len, const char *name, char *buf, size_t buflen);
/* Serialisation of declarations for the database (malloc'd text) and
 * back. */
int at_params_encode(const at_param_decl *d, size_t n, char **text, at_error *err);
int at_params_decode(const char *text, at_param_decl **out, size_t *n, at_error *err);
int at_task_type_get(at_db *db, const char *name, at_task_type *out, at_error *err);
int at_task_type_get_by_id(at_db *db, uint64_t id, at_task_type *out, at_error *err);
/* By name; search (may be NULL) matches a part of the name. */
int at_task_type_list(at_db *db, const char *search, at_task_type **out, size_t *n,
                      at_error *err);

/* One page of the types whose name contains search (may be NULL), by
 * name. after: the previous page's next cursor (NULL for the first). An
 * ordered read of the name index, cut after the page. */
#define AT_TYPE_CURSOR_BUF (AT_TYPE_NAME_BUF * 2 + 24)
typedef struct at_task_type_page {
    at_task_type *rows;
    size_t n;
    int has_next;
    char next[AT_TYPE_CURSOR_BUF];
} at_task_type_page;
int at_task_type_search(at_db *db, const char *search, const char *after, unsigned limit,
                        at_task_type_page *page, at_error *err);
void at_task_type_page_free(at_task_type_page *page);
/* The database's plan for that page's query. */
int at_task_type_search_explain(at_db *db, const char *search, const char *after,
                                unsigned limit, char **plan, at_error *err);

#ifdef __cplusplus
}
#endif
#endif
