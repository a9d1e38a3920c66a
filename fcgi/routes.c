/* routes.c: every address the app answers, with the parameters each takes
 * and who may use it. Handlers read only what is declared here. */
#include "config.h"

#include "app.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sorts[] = {"created", "user", "type", NULL};
static const char *const dirs[] = {"desc", "asc", NULL};
static const char *const statuses[] = {"pending", "finished", "all", NULL};
static const char *const limits[] = {"25", "50", "100", "200", NULL};
static const char *const formats[] = {"html", "xml", NULL};
static const char *const expiries[] = {"", "15m", "1h", "1d", "until", NULL};
/* where a pause or resume applies: this business, or every business (a
 * platform rule: a platform admin's, lib/access.c) */
static const char *const wheres[] = {"business", "all", NULL};

/* The task list's state, which every page that returns to it carries. */
#define LISTVIEW                                                                                   \
    {"sort", FC_P_ENUM, 0, 0, 0, sorts, "created"},                                                \
        {"dir", FC_P_ENUM, 0, 0, 0, dirs, "desc"},                                                 \
        {"status", FC_P_ENUM, 0, 0, 0, statuses, "pending"},                                       \
        {"user", FC_P_TEXT, 0, 0, AT_SEARCH_MAX, NULL, NULL},                                      \
        {"type", FC_P_TEXT, 0, 0, AT_SEARCH_MAX, NULL, NULL},                                      \
        {"limit", FC_P_ENUM, 0, 0, 0, limits, "50"}

#define BUSINESS {"business", FC_P_SLUG, 0, 0, 0, NULL, NULL}
#define BUSINESS_REQ {"business", FC_P_SLUG, 1, 0, 0, NULL, NULL}
#define FORMAT {"format", FC_P_ENUM, 0, 0, 0, formats, "html"}

static const fc_param p_none[] = {FORMAT};

static const fc_param p_login_form[] = {{"next", FC_P_PATH, 0, 0, 0, NULL, NULL}};
static const fc_param p_login[] = {
    {"email", FC_P_TEXT, 1, 0, AT_NAME_MAX, NULL, NULL},
    {"password", FC_P_MULTILINE, 1, 0, AT_PASSWORD_MAX, NULL, NULL},
    {"next", FC_P_PATH, 0, 0, 0, NULL, NULL},
};

static const fc_param p_tasks[] = {
    BUSINESS,
    LISTVIEW,
    {"after", FC_P_CURSOR, 0, 0, 0, NULL, NULL},
    {"before", FC_P_CURSOR, 0, 0, 0, NULL, NULL},
    FORMAT,
};

static const fc_param p_resume_all_form[] = {BUSINESS, LISTVIEW};
static const fc_param p_resume_all[] = {BUSINESS_REQ, LISTVIEW};

static const fc_param p_pause_panel[] = {
    BUSINESS,
    LISTVIEW,
    {"q", FC_P_TEXT, 0, 0, AT_SEARCH_MAX, NULL, NULL},
    {"after", FC_P_CURSOR, 0, 0, 0, NULL, NULL},
    FORMAT,
};
static const fc_param p_pause[] = {
    BUSINESS_REQ,
    LISTVIEW,
    {"target", FC_P_IDS, 1, 0, 0, NULL, NULL},
    {"reason", FC_P_TEXT, 0, 0, AT_REASON_MAX, NULL, NULL},
    {"expiry", FC_P_ENUM, 0, 0, 0, expiries, ""},
    {"until", FC_P_TIME, 0, 0, 0, NULL, NULL},
    {"where", FC_P_ENUM, 0, 0, 0, wheres, "business"},
};
static const fc_param p_resume[] = {
    BUSINESS_REQ,
    LISTVIEW,
    {"target", FC_P_ID, 1, 0, 0, NULL, NULL},
    {"where", FC_P_ENUM, 0, 0, 0, wheres, "business"},
};

static const fc_param p_task[] = {BUSINESS, LISTVIEW, FORMAT};
/* the task page pages its attempts by their number */
static const fc_param p_task_page[] = {
    BUSINESS,
    LISTVIEW,
    {"before", FC_P_INT, 0, 1, 4294967295LL, NULL, NULL},
    {"after", FC_P_INT, 0, 1, 4294967295LL, NULL, NULL},
    FORMAT,
};
static const fc_param p_task_edit[] = {
    BUSINESS_REQ,
    LISTVIEW,
    {"version", FC_P_INT, 1, 1, 4294967295LL, NULL, NULL},
    {"priority", FC_P_INT, 1, AT_PRIORITY_MIN, AT_PRIORITY_MAX, NULL, NULL},
    {"run_at", FC_P_TIME, 1, 0, 0, NULL, NULL},
    {"payload", FC_P_MULTILINE, 0, 0, AT_PAYLOAD_MAX, NULL, NULL},
};
/* Delete, Retry, Run now, Discard: the business and the list's state */
static const fc_param p_task_delete[] = {BUSINESS_REQ, LISTVIEW};

/* Bulk actions: the list's view names the tasks; a job, its business. */
static const fc_param p_bulk_form[] = {BUSINESS, LISTVIEW};
static const fc_param p_bulk_start[] = {BUSINESS_REQ, LISTVIEW};
static const fc_param p_bulk_job[] = {BUSINESS};
static const fc_param p_bulk_cancel[] = {BUSINESS_REQ};

static const fc_param p_audit[] = {
    BUSINESS,
    {"before", FC_P_ID, 0, 0, 0, NULL, NULL},
    {"after", FC_P_ID, 0, 0, 0, NULL, NULL},
    FORMAT,
};

static const fc_param p_executors[] = {FORMAT};
static const fc_param p_dashboard[] = {BUSINESS, FORMAT};

/* Schedules: the CLI's schedule add, as a form. */
static const char *const missed_policies[] = {"skip", "once", NULL};
static const char *const checked[] = {"1", NULL};
static const fc_param p_schedules[] = {BUSINESS, FORMAT};
static const fc_param p_schedule_add[] = {
    BUSINESS_REQ,
    {"cron", FC_P_TEXT, 1, 0, AT_CRON_MAX, NULL, NULL},
    {"tz", FC_P_TEXT, 0, 0, AT_TZ_MAX, NULL, "UTC"},
    {"type", FC_P_TEXT, 1, 0, AT_TYPE_NAME_MAX, NULL, NULL},
    {"user", FC_P_TEXT, 1, 0, AT_NAME_MAX, NULL, NULL},
    {"payload", FC_P_MULTILINE, 0, 0, AT_PAYLOAD_MAX, NULL, NULL},
    {"priority", FC_P_INT, 0, AT_PRIORITY_MIN, AT_PRIORITY_MAX, NULL, "0"},
    {"missed", FC_P_ENUM, 0, 0, 0, missed_policies, "skip"},
    {"paused", FC_P_ENUM, 0, 0, 0, checked, NULL},
};
static const fc_param p_schedule_confirm[] = {BUSINESS};
static const fc_param p_schedule_change[] = {BUSINESS_REQ};

/* The API: the same names and forms as the CLI's enqueue and the Edit
 * form. */
static const fc_param p_api_enqueue[] = {
    {"user", FC_P_TEXT, 1, 0, AT_NAME_MAX, NULL, NULL},
    {"type", FC_P_TEXT, 1, 0, AT_TYPE_NAME_MAX, NULL, NULL},
    {"payload", FC_P_MULTILINE, 0, 0, AT_PAYLOAD_MAX, NULL, NULL},
    {"priority", FC_P_INT, 0, AT_PRIORITY_MIN, AT_PRIORITY_MAX, NULL, "0"},
    {"run_at", FC_P_TIME, 0, 0, 0, NULL, NULL},
};

/* The last field: what the page reads with the context (FC_LOAD_*). */
const fc_route fc_routes[] = {
    {"GET", "/", h_root, FC_PUBLIC, p_none, N(p_none), 0},
    {"GET", "/login", h_login_form, FC_PUBLIC, p_login_form, N(p_login_form), 0},
    {"POST", "/login", h_login, FC_PUBLIC, p_login, N(p_login), 0},
    {"POST", "/logout", h_logout, FC_LOGIN, NULL, 0, 0},
    {"GET", "/admin/async-tasks", h_tasks, FC_ADMIN, p_tasks, N(p_tasks),
     FC_LOAD_MENU | FC_LOAD_TOTALS | FC_LOAD_SEARCH},
    {"GET", "/admin/async-tasks/resume-all", h_resume_all_form, FC_ADMIN, p_resume_all_form,
     N(p_resume_all_form), 0},
    {"POST", "/admin/async-tasks/resume-all", h_resume_all, FC_ADMIN, p_resume_all,
     N(p_resume_all), 0},
    {"GET", "/admin/async-tasks/pause-user", h_pause_panel, FC_ADMIN, p_pause_panel,
     N(p_pause_panel), 0},
    {"POST", "/admin/async-tasks/pause-user", h_pause, FC_ADMIN, p_pause, N(p_pause), 0},
    {"POST", "/admin/async-tasks/resume-user", h_resume, FC_ADMIN, p_resume, N(p_resume), 0},
    {"GET", "/admin/async-tasks/pause-type", h_pause_panel, FC_ADMIN, p_pause_panel,
     N(p_pause_panel), 0},
    {"POST", "/admin/async-tasks/pause-type", h_pause, FC_ADMIN, p_pause, N(p_pause), 0},
    {"POST", "/admin/async-tasks/resume-type", h_resume, FC_ADMIN, p_resume, N(p_resume), 0},
    {"GET", "/admin/async-tasks/tasks/{id}", h_task, FC_ADMIN, p_task_page, N(p_task_page), 0},
    {"GET", "/admin/async-tasks/tasks/{id}/edit", h_task_edit_form, FC_ADMIN, p_task, N(p_task),
     0},
    {"POST", "/admin/async-tasks/tasks/{id}/edit", h_task_edit, FC_ADMIN, p_task_edit,
     N(p_task_edit), 0},
    {"GET", "/admin/async-tasks/tasks/{id}/delete", h_task_delete_form, FC_ADMIN, p_task,
     N(p_task), 0},
    {"POST", "/admin/async-tasks/tasks/{id}/delete", h_task_delete, FC_ADMIN, p_task_delete,
     N(p_task_delete), 0},
    {"GET", "/admin/async-tasks/tasks/{id}/retry", h_task_action_form, FC_ADMIN, p_task, N(p_task),
     0},
    {"POST", "/admin/async-tasks/tasks/{id}/retry", h_task_action, FC_ADMIN, p_task_delete,
     N(p_task_delete), 0},
    {"GET", "/admin/async-tasks/tasks/{id}/run-now", h_task_action_form, FC_ADMIN, p_task,
     N(p_task), 0},
    {"POST", "/admin/async-tasks/tasks/{id}/run-now", h_task_action, FC_ADMIN, p_task_delete,
     N(p_task_delete), 0},
    {"GET", "/admin/async-tasks/tasks/{id}/discard", h_task_action_form, FC_ADMIN, p_task,
     N(p_task), 0},
    {"POST", "/admin/async-tasks/tasks/{id}/discard", h_task_action, FC_ADMIN, p_task_delete,
     N(p_task_delete), 0},
    {"GET", "/admin/async-tasks/bulk/retry", h_bulk_form, FC_ADMIN, p_bulk_form, N(p_bulk_form), 0},
    {"POST", "/admin/async-tasks/bulk/retry", h_bulk_start, FC_ADMIN, p_bulk_start,
     N(p_bulk_start), 0},
    {"GET", "/admin/async-tasks/bulk/cancel", h_bulk_form, FC_ADMIN, p_bulk_form, N(p_bulk_form),
     0},
    {"POST", "/admin/async-tasks/bulk/cancel", h_bulk_start, FC_ADMIN, p_bulk_start,
     N(p_bulk_start), 0},
    {"GET", "/admin/async-tasks/bulk/delete", h_bulk_form, FC_ADMIN, p_bulk_form, N(p_bulk_form),
     0},
    {"POST", "/admin/async-tasks/bulk/delete", h_bulk_start, FC_ADMIN, p_bulk_start,
     N(p_bulk_start), 0},
    {"GET", "/admin/async-tasks/bulk-jobs/{id}", h_bulk_job, FC_ADMIN, p_bulk_job, N(p_bulk_job),
     0},
    {"POST", "/admin/async-tasks/bulk-jobs/{id}/cancel", h_bulk_cancel, FC_ADMIN, p_bulk_cancel,
     N(p_bulk_cancel), 0},
    {"GET", "/admin/dashboard", h_dashboard, FC_ADMIN, p_dashboard, N(p_dashboard),
     FC_LOAD_MENU | FC_LOAD_TOTALS},
    {"GET", "/admin/audit-log", h_audit, FC_ADMIN, p_audit, N(p_audit), FC_LOAD_MENU},
    {"GET", "/admin/schedules", h_schedules, FC_ADMIN, p_schedules, N(p_schedules),
     FC_LOAD_MENU},
    {"POST", "/admin/schedules", h_schedule_add, FC_ADMIN, p_schedule_add, N(p_schedule_add), 0},
    {"GET", "/admin/schedules/{id}/pause", h_schedule_confirm, FC_ADMIN, p_schedule_confirm,
     N(p_schedule_confirm), 0},
    {"POST", "/admin/schedules/{id}/pause", h_schedule_change, FC_ADMIN, p_schedule_change,
     N(p_schedule_change), 0},
    {"GET", "/admin/schedules/{id}/resume", h_schedule_confirm, FC_ADMIN, p_schedule_confirm,
     N(p_schedule_confirm), 0},
    {"POST", "/admin/schedules/{id}/resume", h_schedule_change, FC_ADMIN, p_schedule_change,
     N(p_schedule_change), 0},
    {"GET", "/admin/schedules/{id}/remove", h_schedule_confirm, FC_ADMIN, p_schedule_confirm,
     N(p_schedule_confirm), 0},
    {"POST", "/admin/schedules/{id}/remove", h_schedule_change, FC_ADMIN, p_schedule_change,
     N(p_schedule_change), 0},
    {"GET", "/admin/executors", h_executors, FC_ADMIN_ANY, p_executors, N(p_executors), 0},
    {"POST", "/api/v1/tasks", h_api_enqueue, FC_TOKEN, p_api_enqueue, N(p_api_enqueue), 0},
    {"GET", "/api/v1/tasks/{id}", h_api_task, FC_TOKEN, NULL, 0, 0},
    {"GET", "/healthz", h_healthz, FC_OPS, NULL, 0, 0},
    {"GET", "/metrics", h_metrics, FC_OPS, NULL, 0, 0},
};
const size_t fc_nroutes = N(fc_routes);
