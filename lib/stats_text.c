/* stats_text.c: the stats in the Prometheus text exposition format,
 * version 0.0.4: a "# HELP" and a "# TYPE" line before each family, then
 * its samples. Label values escape backslash, double quote and line feed
 * (\\, \", \n); HELP text escapes backslash and line feed. Businesses are
 * labelled by slug, which never changes; their names, which may, are the
 * labels of asynctasks_business_info. Durations are in seconds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include <asynctasks/run.h>

static void
label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* HELP and TYPE of a family; help is ours, and needs no escaping. */
static void
family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
per_business(FILE *f, const at_stats *s, const char *name, const char *label,
             const char *value, size_t off)
{
    for (size_t i = 0; i < s->nbusinesses; i++) {
        const at_business_stats *b = &s->businesses[i];
        fprintf(f, "%s{business=\"", name);
        label_value(f, b->slug);
        if (label) {
            fprintf(f, "\",%s=\"", label);
            label_value(f, value);
        }
        fprintf(f, "\"} %llu\n",
                (unsigned long long) *(const uint64_t *) ((const char *) b + off));
    }
}

#define OFF(field) offsetof(at_business_stats, field)

static void
businesses(FILE *f, const at_stats *s)
{
    family(f, "asynctasks_business_info", "gauge", "A business: its slug and its name.");
    for (size_t i = 0; i < s->nbusinesses; i++) {
        fputs("asynctasks_business_info{business=\"", f);
        label_value(f, s->businesses[i].slug);
        fputs("\",name=\"", f);
        label_value(f, s->businesses[i].name);
        fputs("\"} 1\n", f);
    }
    family(f, "asynctasks_tasks", "gauge",
           "Tasks now, by business and state: queued (held by no pause rule), paused (queued "
           "and held by one), running, failed (finished as failed, not deleted).");
    static const struct {
        const char *state;
        size_t off;
    } states[] = {{"queued", OFF(queued)},
                  {"paused", OFF(paused)},
                  {"running", OFF(running)},
                  {"failed", OFF(failed)}};
    for (size_t k = 0; k < AT_COUNT(states); k++)
        per_business(f, s, "asynctasks_tasks", "state", states[k].state, states[k].off);
    family(f, "asynctasks_tasks_finished_total", "counter",
           "Tasks that reached a final state, by business and outcome.");
    static const struct {
        const char *outcome;
        size_t off;
    } outcomes[] = {{"succeeded", OFF(succeeded_total)},
                    {"failed", OFF(failed_total)},
                    {"cancelled", OFF(cancelled_total)}};
    for (size_t k = 0; k < AT_COUNT(outcomes); k++)
        per_business(f, s, "asynctasks_tasks_finished_total", "outcome", outcomes[k].outcome,
                     outcomes[k].off);
    family(f, "asynctasks_task_retries_total", "counter",
           "Attempts that failed and left their task queued for another, by business.");
    per_business(f, s, "asynctasks_task_retries_total", NULL, NULL, OFF(retried_total));
}

static void
histogram(FILE *f, const char *name, const char *help, const at_histogram *h)
{
    family(f, name, "histogram", help);
    uint64_t cum = 0;
    for (unsigned i = 0; i < AT_HIST_BUCKETS; i++) {
        cum += h->bucket[i];
        if (i < AT_HIST_BOUNDS)
            fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, (double) at_hist_bound_us(i) / 1e6,
                    (unsigned long long) cum);
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long) cum);
    }
    fprintf(f, "%s_sum %llu.%06llu\n", name, (unsigned long long) (h->sum_us / 1000000),
            (unsigned long long) (h->sum_us % 1000000));
    fprintf(f, "%s_count %llu\n", name, (unsigned long long) cum);
}

int
at_stats_prometheus(const at_stats *s, char **out, size_t *len, at_error *err)
{
    *out = NULL;
    *len = 0;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return at_error_set(err, AT_ENOMEM, "out of memory");
    businesses(f, s);
    family(f, "asynctasks_oldest_due_task_age_seconds", "gauge",
           "How long ago the run_at of the oldest queued task came, paused or not; 0 when no "
           "task is due.");
    fprintf(f, "asynctasks_oldest_due_task_age_seconds %lld.%06lld\n",
            (long long) (s->oldest_due_age_us / 1000000),
            (long long) (s->oldest_due_age_us % 1000000));
    fprintf(f,
            "# HELP asynctasks_executors Live executors (a heartbeat in the last %d seconds), "
            "busy with a task or idle.\n# TYPE asynctasks_executors gauge\n",
            AT_EXECUTOR_STALE_S);
    uint64_t busy = s->executors_busy < s->executors ? s->executors_busy : s->executors;
    fprintf(f, "asynctasks_executors{state=\"busy\"} %llu\n", (unsigned long long) busy);
    fprintf(f, "asynctasks_executors{state=\"idle\"} %llu\n",
            (unsigned long long) (s->executors - busy));
    histogram(f, "asynctasks_task_wait_seconds",
              "How long attempts waited to start, from their task's run_at (its enqueue, or "
              "the time it was given); counted when the attempt ends.",
              &s->wait);
    histogram(f, "asynctasks_task_run_seconds", "How long attempts ran; counted when they end.",
              &s->run);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        free(buf);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    *out = buf;
    *len = n;
    return AT_OK;
}
