/* job.c: running one task through its plugin's handler, and the table of
 * host functions (at_host) the handler calls back into. Everything a
 * plugin hands the host (messages, results, progress) is checked here
 * before it goes further. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <asynctasks/loader.h>
#include <asynctasks/run.h>

#include "internal.h"

#define PROGRESS_INTERVAL_NS 250000000L /* at most 4 progress writes a second */
#define EACH_PAGE            AT_LIST_MAX
#define VALIDATE_MSG_MAX     1024

struct at_job {
    at_handler *h;
    const at_job_info *info;
    char *result;
    char *error;
    char *spool;
    /* declared parameters' values, looked up on first use */
    char *param_vals[AT_PARAMS_MAX];
    uint64_t param_seen;
    /* progress: the last reported and when it was last written */
    uint64_t done, total;
    int pending, written, warned;
    struct timespec last_write;
};

static const char *const status_names[] = {"ok", "retry", "fail", "cancelled"};

const char *
at_plugin_status_str(int status)
{
    return status >= 0 && status < (int) AT_COUNT(status_names) ? status_names[status] : "unknown";
}

/* Makes text safe to store: a cut-off UTF-8 sequence at the end is
 * dropped; other invalid bytes become '?'. */
static void
utf8_mend(char *s)
{
    size_t len = strlen(s);
    if (at_utf8_valid(s, len))
        return;
    for (size_t k = 1; k <= 3 && k <= len; k++) {
        if (at_utf8_valid(s, len - k)) {
            s[len - k] = 0;
            return;
        }
    }
    for (char *p = s; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
}

static char *vformat(size_t max, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static char *
vformat(size_t max, const char *fmt, va_list ap)
{
    char *buf = malloc(max);
    if (!buf)
        return NULL;
    vsnprintf(buf, max, fmt, ap);
    utf8_mend(buf);
    return buf;
}

/* ---- the host table ---- */

static void AT_PLUGIN_PRINTF(3, 4)
host_log(at_job *job, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one event, one log line */
    for (char *p = msg; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = ' ';
    if (level < AT_PLUGIN_LOG_ERROR)
        level = AT_PLUGIN_LOG_ERROR;
    if (level > AT_PLUGIN_LOG_DEBUG)
        level = AT_PLUGIN_LOG_DEBUG;
    if (job)
        at_log(level, "task %llu (%s): %s", (unsigned long long) job->info->task_id,
               job->h->type.name, msg);
    else
        at_log(level, "plugin: %s", msg);
}

static void
write_progress(at_job *job)
{
    at_error err = {0};
    const at_job_info *in = job->info;
    if (at_task_progress(in->db, in->executor_id, in->task_id, job->done, job->total, &err) &&
        !job->warned) {
        /* progress is best effort: the task goes on */
        at_log(AT_LOG_WARN, "task %llu: cannot record progress: %s",
               (unsigned long long) in->task_id, err.msg);
        job->warned = 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &job->last_write);
    job->pending = 0;
    job->written = 1;
}

static void
host_progress(at_job *job, uint64_t done, uint64_t total)
{
    if (!job)
        return;
    job->done = done;
    job->total = total;
    job->pending = 1;
    if (!job->info->db)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = (long long) (now.tv_sec - job->last_write.tv_sec) * 1000000000LL +
                   (now.tv_nsec - job->last_write.tv_nsec);
    if (!job->written || ns >= PROGRESS_INTERVAL_NS)
        write_progress(job);
}

static const char *
host_payload(at_job *job, size_t *len)
{
    const char *p = job && job->info->payload ? job->info->payload : "";
    if (len)
        *len = job && job->info->payload ? job->info->payload_len : 0;
    return p;
}

static const char *
host_param(at_job *job, const char *name)
{
    if (!job || !name)
        return NULL;
    const at_handler *h = job->h;
    for (size_t i = 0; i < h->nparams; i++) {
        const at_param_decl *d = &h->params[i];
        if (strcmp(d->name, name) != 0)
            continue;
        if (!(job->param_seen & (1ull << i))) {
            char buf[AT_PARAM_VALUE_MAX * 4 + 1];
            size_t len;
            const char *p = host_payload(job, &len);
            if (at_params_get(p, len, name, buf, sizeof buf) == 1)
                job->param_vals[i] = strdup(buf);
            else if (d->has_default)
                job->param_vals[i] = strdup(d->default_value);
            job->param_seen |= 1ull << i;
        }
        return job->param_vals[i];
    }
    return NULL;
}

static int
host_should_stop(at_job *job)
{
    return job && job->info->stop ? *job->info->stop != 0 : 0;
}

static int
host_result(at_job *job, const char *text)
{
    if (!job)
        return -1;
    if (!text) {
        free(job->result);
        job->result = NULL;
        return 0;
    }
    size_t len = strlen(text);
    if (len > AT_RESULT_MAX || !at_utf8_valid(text, len)) {
        at_log(AT_LOG_WARN, "task %llu (%s): result refused: %s",
               (unsigned long long) job->info->task_id, job->h->type.name,
               len > AT_RESULT_MAX ? "longer than 64 KiB" : "not valid UTF-8");
        return -1;
    }
    char *copy = strdup(text);
    if (!copy)
        return -1;
    free(job->result);
    job->result = copy;
    return 0;
}

static void AT_PLUGIN_PRINTF(2, 3)
host_error(at_job *job, const char *fmt, ...)
{
    if (!job)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(AT_ERRTEXT_MAX, fmt, ap);
    va_end(ap);
    if (!msg)
        return;
    free(job->error);
    job->error = msg;
}

static uint64_t
host_task_id(at_job *job)
{
    return job ? job->info->task_id : 0;
}

static uint64_t
host_business_id(at_job *job)
{
    return job ? job->info->business_id : 0;
}

static uint64_t
host_user_id(at_job *job)
{
    return job ? job->info->user_id : 0;
}

static unsigned
host_attempt(at_job *job)
{
    return job ? job->info->attempt : 0;
}

static const char *
host_spool_dir(at_job *job)
{
    if (!job || !job->info->spool_dir)
        return NULL;
    if (!job->spool && (job->spool = strdup(job->info->spool_dir))) {
        size_t n = strlen(job->spool);
        while (n > 1 && job->spool[n - 1] == '/')
            job->spool[--n] = 0;
    }
    return job->spool;
}

/* The business's tasks, newest first, read a page at a time through the
 * list's keyset pagination: a million tasks never sit in memory at once. */
static int
host_each_task(at_job *job, int (*row)(void *ctx, const char *const *fields, size_t nfields),
               void *ctx)
{
    if (!job || !row)
        return -1;
    if (!job->info->db) {
        host_error(job, "each_task needs the database, which this run does not have");
        return -1;
    }
    at_task_query q = {.business_id = job->info->business_id,
                       .sort = AT_SORT_CREATED,
                       .desc = 1,
                       .filter = AT_FILTER_ALL,
                       .limit = EACH_PAGE};
    char cursor[AT_CURSOR_BUF];
    for (;;) {
        at_task_page page;
        at_error err = {0};
        if (at_task_list(job->info->db, &q, &page, &err)) {
            host_error(job, "cannot read the tasks of business #%llu: %s",
                       (unsigned long long) job->info->business_id, err.msg);
            return -1;
        }
        int stop = 0;
        for (size_t i = 0; i < page.n && !stop; i++) {
            const at_task *t = &page.rows[i];
            char id[24], attempts[16], created[32], started[32], finished[32];
            snprintf(id, sizeof id, "%llu", (unsigned long long) t->id);
            snprintf(attempts, sizeof attempts, "%u", t->attempts);
            const char *fields[AT_PLUGIN_TASK_NFIELDS] = {
                [AT_PLUGIN_TASK_ID] = id,
                [AT_PLUGIN_TASK_USER] = t->user_name,
                [AT_PLUGIN_TASK_TYPE] = t->type_name,
                [AT_PLUGIN_TASK_STATE] = at_task_state_str(t->state),
                [AT_PLUGIN_TASK_CREATED_AT] = at_time_format(t->created_at, created, sizeof created),
                [AT_PLUGIN_TASK_STARTED_AT] = at_time_format(t->started_at, started, sizeof started),
                [AT_PLUGIN_TASK_FINISHED_AT] =
                    at_time_format(t->finished_at, finished, sizeof finished),
                [AT_PLUGIN_TASK_ATTEMPTS] = attempts,
                [AT_PLUGIN_TASK_LAST_ERROR] = t->last_error ? t->last_error : ""};
            stop = row(ctx, fields, AT_PLUGIN_TASK_NFIELDS);
        }
        int more = page.has_next && !stop;
        at_strlcpy(cursor, page.next, sizeof cursor);
        at_task_page_free(&page);
        if (!more)
            return 0;
        q.after = cursor;
    }
}

static const at_host host_table = {
    .size = sizeof(at_host),
    .abi_version = AT_PLUGIN_ABI_VERSION,
    .log = host_log,
    .progress = host_progress,
    .payload = host_payload,
    .param = host_param,
    .should_stop = host_should_stop,
    .result = host_result,
    .error = host_error,
    .task_id = host_task_id,
    .business_id = host_business_id,
    .user_id = host_user_id,
    .attempt = host_attempt,
    .spool_dir = host_spool_dir,
    .each_task = host_each_task,
};

/* ---- one run ---- */

static int __attribute__((format(printf, 3, 4)))
finish(at_job_outcome *out, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->status = status;
    out->error = vformat(AT_ERRTEXT_MAX, fmt, ap);
    va_end(ap);
    return out->error ? AT_OK : AT_ENOMEM;
}

/* Once per process: each executor initialises after its fork. */
static void
plugin_init(at_loaded_plugin *p)
{
    if (p->init_done)
        return;
    p->init_done = 1;
    p->init_rc = p->desc.init ? p->desc.init(&host_table, &p->state) : 0;
    if (p->init_rc)
        at_log(AT_LOG_ERROR, "plugin '%s' (%s) failed to initialise: init returned %d",
               p->desc.name, p->path, p->init_rc);
}

void
at_plugins_init(at_plugin_set *set)
{
    for (size_t i = 0; set && i < set->n; i++)
        plugin_init(set->plugins[i]);
}

size_t
at_plugins_runnable(const at_plugin_set *set, uint64_t **ids)
{
    size_t n = 0, cap = 0;
    *ids = NULL;
    for (size_t i = 0; set && i < set->n; i++)
        cap += set->plugins[i]->nhandlers;
    if (cap == 0 || !(*ids = malloc(cap * sizeof **ids)))
        return 0;
    for (size_t i = 0; i < set->n; i++) {
        const at_loaded_plugin *p = set->plugins[i];
        if (p->init_done && p->init_rc)
            continue;
        for (size_t k = 0; k < p->nhandlers; k++)
            if (p->handlers[k].type_id)
                (*ids)[n++] = p->handlers[k].type_id;
    }
    return n;
}

/* Refusals before run(): the plugin's init, the declared parameters and
 * the validate hook. 1 when the task must not run (out is filled). */
static int
refuse_before_run(at_handler *h, const char *payload, size_t len, at_job_outcome *out, int *rc)
{
    at_loaded_plugin *p = h->plugin;
    plugin_init(p);
    if (p->init_rc) {
        *rc = finish(out, AT_PLUGIN_RETRY, "plugin '%s' (%s) failed to initialise: init returned %d",
                     p->desc.name, p->path, p->init_rc);
        return 1;
    }
    at_error err = {0};
    if (h->nparams && at_params_check(h->params, h->nparams, payload, len, &err)) {
        *rc = finish(out, AT_PLUGIN_FAIL, "%s", err.msg);
        return 1;
    }
    if (h->type.validate) {
        char msg[VALIDATE_MSG_MAX] = "";
        if (h->type.validate(payload, len, msg, sizeof msg)) {
            msg[sizeof msg - 1] = 0;
            *rc = finish(out, AT_PLUGIN_FAIL, "payload refused by task type '%s': %s",
                         h->type.name, msg[0] ? msg : "no reason given");
            return 1;
        }
    }
    return 0;
}

int
at_job_run(at_handler *h, const at_job_info *info, at_job_outcome *out, at_error *err)
{
    memset(out, 0, sizeof *out);
    const char *payload = info->payload ? info->payload : "";
    size_t len = info->payload ? info->payload_len : 0;
    int rc = AT_OK;
    if (refuse_before_run(h, payload, len, out, &rc))
        return rc ? at_error_set(err, rc, "out of memory") : AT_OK;
    struct at_job job = {.h = h, .info = info};
    int status = h->type.run(&host_table, &job, h->plugin->state);
    if (job.pending && info->db)
        write_progress(&job); /* the last report is always written */
    if (status < AT_PLUGIN_OK || status > AT_PLUGIN_CANCELLED) {
        rc = finish(out, AT_PLUGIN_RETRY, "task type '%s': handler returned unknown status %d",
                    h->type.name, status);
    } else if (status == AT_PLUGIN_CANCELLED && !job.error && info->stop && *info->stop) {
        rc = finish(out, status, "cancelled on request: the handler stopped");
    } else if (status != AT_PLUGIN_OK && !job.error) {
        rc = finish(out, status, "task type '%s' %s without saying why", h->type.name,
                    status == AT_PLUGIN_CANCELLED ? "was cancelled" : "failed");
    } else {
        out->status = status;
        if (status != AT_PLUGIN_OK) {
            out->error = job.error;
            job.error = NULL;
        }
    }
    out->result = job.result;
    free(job.error);
    free(job.spool);
    for (size_t i = 0; i < h->nparams; i++)
        free(job.param_vals[i]);
    if (rc) {
        at_job_outcome_clear(out);
        return at_error_set(err, rc, "out of memory");
    }
    return AT_OK;
}

void
at_job_outcome_clear(at_job_outcome *o)
{
    if (!o)
        return;
    free(o->result);
    free(o->error);
    o->result = o->error = NULL;
}

void
at_plugins_fini(at_plugin_set *set)
{
    for (size_t i = 0; set && i < set->n; i++) {
        at_loaded_plugin *p = set->plugins[i];
        if (p->init_done && p->init_rc == 0 && p->desc.fini)
            p->desc.fini(p->state);
        p->init_done = 0;
        p->state = NULL;
    }
}
