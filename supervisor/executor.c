/* executor.c: one executor process: takes the next task from its worker
 * (which claims in batches and re-checks the business's pause rules
 * immediately before each run, so a task a pause holds never starts),
 * runs it through its plugin, hands back how it ended, and again, until
 * told to stop.
 *
 * It opens its own database connection after the fork. It tells its
 * supervisor on the pipe when a task starts and when its handler
 * returns, with the outcome: if the executor dies before the outcome is
 * written, the supervisor writes it. SIGUSR1 asks the running task to
 * stop (cancel: should_stop turns true); SIGUSR2 asks the executor to
 * exit once its task is done (drain). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sv.h"

#define FINISH_RETRY_S 120 /* how long a result waits for the database */

static volatile sig_atomic_t stop_task, drain;

static void
on_signal(int sig)
{
    if (sig == SIGUSR1)
        stop_task = 1;
    else if (sig == SIGUSR2 || sig == SIGTERM)
        drain = 1;
}

static void
say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line to the supervisor; a supervisor that is gone takes us with it
 * (PR_SET_PDEATHSIG), so a failed write needs no handling here. */
static void
say(int fd, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t) n < sizeof buf) {
        ssize_t w;
        do
            w = write(fd, buf, (size_t) n);
        while (w < 0 && errno == EINTR);
    }
}

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !drain)
        ;
}

/* Waits for a wake-up datagram or the poll interval, whichever is first. */
static void
wait_for_work(int wake_fd, unsigned poll_ms)
{
    if (wake_fd < 0) {
        sleep_ms(poll_ms);
        return;
    }
    struct pollfd p = {wake_fd, POLLIN, 0};
    if (poll(&p, 1, (int) poll_ms) > 0) {
        char b[16];
        while (recv(wake_fd, b, sizeof b, MSG_DONTWAIT) >= 0)
            ; /* one claim answers any number of pokes */
    }
}

static size_t
rss_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (size_t) ((unsigned long long) res * (unsigned long long) sysconf(_SC_PAGESIZE) >> 20);
}

static int
outcome_of(int status)
{
    switch (status) {
    case AT_PLUGIN_OK: return AT_OUTCOME_SUCCEEDED;
    case AT_PLUGIN_FAIL: return AT_OUTCOME_FAILED;
    case AT_PLUGIN_CANCELLED: return AT_OUTCOME_CANCELLED;
    default: return AT_OUTCOME_RETRY;
    }
}

/* Before each re-check: the supervisor must not give back the task. */
static void
tell_check(void *ctx, uint64_t task_id)
{
    say(*(int *) ctx, "C %llu\n", (unsigned long long) task_id);
}

static int64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
run_one(sv *s, at_db *db, at_worker *w, uint64_t exec_id, int pipe_fd, at_claim *c)
{
    at_handler *h = at_plugins_find_id(s->plugins, c->task_type_id);
    at_job_outcome o = {0};
    say(pipe_fd, "S %llu %u %lld\n", (unsigned long long) c->task_id, c->timeout_s,
        (long long) c->started_at);
    stop_task = 0;
    int64_t t0 = now_us();
    if (!h) {
        /* claimed only types we handle; a reload in between is the one way */
        o.status = AT_PLUGIN_RETRY;
        o.error = strdup("no handler for this task type in this executor");
    } else {
        at_job_info info = {
            .task_id = c->task_id,
            .business_id = c->business_id,
            .user_id = c->user_id,
            .attempt = c->attempt,
            .payload = c->payload,
            .payload_len = c->payload_len,
            .spool_dir = s->cfg->spool_dir,
            .db = db,
            .executor_id = exec_id,
            .stop = &stop_task,
        };
        at_error err;
        if (at_job_run(h, &info, &o, &err) != AT_OK) {
            at_job_outcome_clear(&o);
            o.status = AT_PLUGIN_RETRY;
            o.error = strdup(err.msg);
        }
    }
    int64_t dur = now_us() - t0;
    int outcome = outcome_of(o.status);
    say(pipe_fd, "R %llu %d %lld\n", (unsigned long long) c->task_id, outcome, (long long) dur);
    at_error err;
    if (at_worker_done(w, c, outcome, o.result, o.error, dur, s->cfg->retry_backoff, &err))
        at_log(AT_LOG_WARN, "task #%llu: %s", (unsigned long long) c->task_id, err.msg);
    at_job_outcome_clear(&o);
}

/* Before leaving: the tasks claimed and not started go back, and the ends
 * are written, waiting out a database that is away for a while. */
static void
leave(at_worker *w)
{
    int64_t give_up = sv_now_ms() + FINISH_RETRY_S * 1000;
    for (int waited = 0;; waited++) {
        at_error err;
        if (at_worker_release(w, &err) == AT_OK)
            return;
        if (sv_now_ms() > give_up) {
            at_log(AT_LOG_WARN, "executor: %s; leaving %zu results to the lease's recovery",
                   err.msg, at_worker_pending(w));
            return;
        }
        if (!waited)
            at_log(AT_LOG_WARN, "executor: %s; retrying for up to %d s", err.msg,
                   FINISH_RETRY_S);
        sleep_ms(500);
    }
}

int
sv_executor_main(sv *s, uint64_t exec_id, int pipe_fd)
{
    sv_signal(SIGUSR1, on_signal);
    sv_signal(SIGUSR2, on_signal);
    sv_signal(SIGTERM, on_signal);
    sv_child_signals();

    at_db *db = NULL;
    at_error err;
    /* The supervisor's connection belongs to the supervisor: this process
     * opens its own and never touches that one. */
    sv_outage down = {0};
    while (!drain && at_db_open(s->cfg, &db, &err) != AT_OK) {
        sv_outage_fail(&down, "executor", err.msg);
        sleep_ms(1000);
    }
    sv_outage_ok(&down, "executor");
    if (drain) {
        at_db_close(db);
        return 0;
    }
    at_plugins_init(s->plugins);
    uint64_t *types = NULL;
    size_t ntypes = at_plugins_runnable(s->plugins, &types);
    at_worker *w = NULL;
    if (ntypes == 0)
        at_log(AT_LOG_WARN, "executor: no task type can run here (no plugin loaded or "
                            "initialised); idle");
    else if (at_worker_open(db, exec_id, types, ntypes, s->cfg->max_running, &w, &err) != AT_OK)
        at_log(AT_LOG_ERROR, "executor: %s; idle", err.msg);
    else
        at_worker_on_check(w, tell_check, &pipe_fd);

    while (!drain) {
        at_claim c;
        int got = 0;
        if (!w) {
            wait_for_work(-1, s->cfg->poll_interval_ms);
            continue;
        }
        if (at_worker_next(w, &c, &got, &err) != AT_OK) {
            sv_outage_fail(&down, "executor", err.msg);
            sleep_ms(s->cfg->poll_interval_ms);
            continue;
        }
        /* the worker may answer from the claims it holds, or give a task
         * back, without the database: only a connection again means it
         * is back (a lost one is dropped until a reconnect works) */
        if (at_db_thread_id(db))
            sv_outage_ok(&down, "executor");
        if (!got) {
            /* idle: the dashboard's counts are added when due, not at
             * the next task */
            int flush_ms = at_worker_rollup_wait_ms(w);
            unsigned wait_ms = s->cfg->poll_interval_ms;
            if (flush_ms >= 0 && (unsigned) flush_ms < wait_ms)
                wait_ms = (unsigned) flush_ms + 1;
            wait_for_work(s->wake_fd, wait_ms);
            continue;
        }
        run_one(s, db, w, exec_id, pipe_fd, &c);
        at_claim_clear(&c);
        size_t rss = rss_mb();
        if (rss > s->cfg->executor_max_rss_mb) {
            /* A handler that leaks hurts the next tasks only until here. */
            at_log(AT_LOG_WARN, "executor: %zu MiB resident, above executor_max_rss_mb %u: "
                   "exiting to be replaced", rss, s->cfg->executor_max_rss_mb);
            say(pipe_fd, "X memory\n");
            break;
        }
    }
    if (w)
        leave(w);
    at_worker_close(w);
    free(types);
    at_plugins_fini(s->plugins);
    at_db_close(db);
    return 0;
}
