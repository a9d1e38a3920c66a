/* supervisor.c: the supervisor's loop: keeps N executors alive, enforces
 * task timeouts and cancels, heartbeats, recovers the tasks of executors
 * that died, starts the prunes of retention (pruner.c) and the runners of
 * bulk jobs (bulk.c), drains on SIGTERM
 * and reloads on SIGHUP.
 *
 * The supervisor never runs a task itself. It learns what each executor
 * runs from the executor's pipe, so when an executor dies it knows which
 * task to fail and why (a signal, an exit, a timeout) without asking the
 * executor. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sv.h"

#define TICK_MS           100
#define CANCEL_POLL_MS    500
#define RECOVER_MS        5000
#define YOUNG_MS          5000  /* an executor dying sooner counts as dying young */
#define BACKOFF_MAX_MS    30000
#define PENDING_MAX       1024
#define PUBLISH_MS        100
#define RELEASE_AFTER_MS  200 /* a task this long gives its batch back */
#define SCHEDULE_MS       500 /* how often the due schedules are looked for */
#define SCHEDULE_BATCH    20  /* schedules served per look, at most */

volatile sig_atomic_t sv_got_term, sv_got_hup, sv_got_chld;

/* A handler without SA_RESTART: the signal cuts poll() and sleeps short,
 * which is how the loops notice it. */
void
sv_signal(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void
sv_child_signals(void)
{
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int64_t
sv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- plugins ---- */

int
sv_load_plugins(sv *s)
{
    at_error err;
    at_plugin_set *set = NULL;
    /* The old set goes first: the dynamic loader would hand back a file
     * that is still open instead of reading its new version. Executors
     * keep their own copies from their fork. */
    at_plugins_free(s->plugins);
    s->plugins = NULL;
    if (at_plugins_load(s->cfg->plugin_dir, &set, &err) != AT_OK) {
        at_log(AT_LOG_ERROR, "plugins: %s", err.msg);
        return -1;
    }
    for (size_t i = 0; i < set->nrefusals; i++)
        at_log(AT_LOG_ERROR, "plugin refused: %s", set->refusals[i]);
    if (at_plugins_register(s->db, set, &err) != AT_OK) {
        at_log(AT_LOG_ERROR, "plugins: %s", err.msg);
        at_plugins_free(set);
        return -1;
    }
    size_t types = 0;
    for (size_t i = 0; i < set->n; i++) {
        types += set->plugins[i]->nhandlers;
        at_log(AT_LOG_INFO, "plugin %s %s: %zu task type%s", set->plugins[i]->desc.name,
               set->plugins[i]->desc.version ? set->plugins[i]->desc.version : "",
               set->plugins[i]->nhandlers, set->plugins[i]->nhandlers == 1 ? "" : "s");
    }
    if (types == 0)
        at_log(AT_LOG_WARN, "no task types loaded from %s: executors will idle",
               s->cfg->plugin_dir);
    s->plugins = set;
    return 0;
}

/* ---- ends the database could not take yet ---- */

static int
recover(sv *s, sv_pending *p, at_error *err)
{
    p->report.why = p->why;
    p->report.returned = p->returned;
    int rc = at_executor_recover(s->db, p->exec_id, &p->report, s->cfg->retry_backoff, err);
    if (rc == AT_OK)
        rc = at_executor_unregister(s->db, p->exec_id, err);
    return rc;
}

/* Ends the tasks of an executor that died, from what its pipe said; kept
 * for later while the database is away. */
static void
fail_tasks(sv *s, const sv_slot *slot, int outcome, const char *why)
{
    sv_pending p;
    memset(&p, 0, sizeof p);
    p.exec_id = slot->exec_id;
    snprintf(p.why, sizeof p.why, "%s", why);
    p.report.task_id = slot->task_ms || slot->task_id ? slot->task_id : 0;
    p.report.started_at = slot->task_started_at;
    p.report.outcome = outcome;
    p.report.nreturned = slot->nreturned < SV_RETURNED_MAX ? slot->nreturned : SV_RETURNED_MAX;
    memcpy(p.returned, slot->returned, sizeof p.returned);
    at_error err;
    if (recover(s, &p, &err) == AT_OK)
        return;
    at_log(AT_LOG_WARN, "executor #%llu: %s; will retry", (unsigned long long) slot->exec_id,
           err.msg);
    if (s->npending == s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap * 2 : 16;
        sv_pending *v = cap <= PENDING_MAX ? realloc(s->pending, cap * sizeof *v) : NULL;
        if (!v) {
            at_log(AT_LOG_ERROR, "executor #%llu: dropped; its leases will recover its tasks",
                   (unsigned long long) slot->exec_id);
            return;
        }
        s->pending = v;
        s->pending_cap = cap;
    }
    s->pending[s->npending++] = p;
}

static void
retry_pending(sv *s)
{
    size_t keep = 0;
    for (size_t i = 0; i < s->npending; i++) {
        at_error err;
        if (recover(s, &s->pending[i], &err) != AT_OK)
            s->pending[keep++] = s->pending[i];
    }
    s->npending = keep;
}

/* ---- executors ---- */

static size_t
count_live(const sv *s, int only_current)
{
    size_t n = 0;
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        if (s->slots[i].pid && (!only_current || s->slots[i].gen == s->gen))
            n++;
    return n;
}

extern int sv_pidfile_fd;

pid_t
sv_spawn(sv *s, int (*child_main)(sv *s), const char *what)
{
    pid_t pid = fork();
    if (pid < 0) {
        at_log(AT_LOG_ERROR, "%s: fork: %s", what, strerror(errno));
        return 0;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sv_close_inherited(s);
        at_child_exit(child_main(s));
    }
    return pid;
}

void
sv_close_inherited(sv *s)
{
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        if (s->slots[i].pid && s->slots[i].fd >= 0)
            close(s->slots[i].fd);
    if (sv_pidfile_fd >= 0)
        close(sv_pidfile_fd); /* its lock must end with the supervisor */
}

static int
spawn(sv *s, sv_slot *slot)
{
    at_error err;
    uint64_t exec_id = 0;
    if (at_executor_register(s->db, s->id, s->me.name, 0, (int) getpid(), &exec_id, &err)) {
        at_log(AT_LOG_WARN, "executor: %s", err.msg);
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        at_log(AT_LOG_ERROR, "pipe: %s", strerror(errno));
        at_executor_unregister(s->db, exec_id, &err);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        at_log(AT_LOG_ERROR, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        at_executor_unregister(s->db, exec_id, &err);
        return -1;
    }
    if (pid == 0) {
        /* Die with the supervisor, whatever kills it; then the lease or the
         * next supervisor on this host recovers the task. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(p[0]);
        sv_close_inherited(s);
        at_child_exit(sv_executor_main(s, exec_id, p[1]));
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    memset(slot, 0, sizeof *slot);
    slot->pid = pid;
    slot->exec_id = exec_id;
    slot->fd = p[0];
    slot->gen = s->gen;
    slot->born_ms = sv_now_ms();
    if (at_executor_set_pid(s->db, exec_id, (int) pid, &err))
        at_log(AT_LOG_WARN, "executor #%llu: %s", (unsigned long long) exec_id, err.msg);
    at_log(AT_LOG_DEBUG, "executor #%llu started, pid %d", (unsigned long long) exec_id,
           (int) pid);
    return 0;
}

static void
fill_up(sv *s)
{
    if (s->draining || sv_now_ms() < s->spawn_after_ms)
        return;
    /* Replacements for old-generation executors come as they leave. */
    size_t want = s->cfg->executors, have = count_live(s, 0);
    for (size_t i = 0; i < SV_EXECUTORS_MAX && have < want; i++)
        if (!s->slots[i].pid) {
            if (spawn(s, &s->slots[i]) < 0) {
                s->spawn_after_ms = sv_now_ms() + 1000; /* the database is away */
                break;
            }
            have++;
        }
}

static void read_pipe(sv *s, sv_slot *slot);

/* What a dead executor's task becomes, and why. */
static void
executor_died(sv *s, sv_slot *slot, int status)
{
    char why[200];
    int outcome = AT_OUTCOME_RETRY;
    if (slot->kill == SV_KILL_TIMEOUT) {
        snprintf(why, sizeof why, "timed out after %u s: the executor was killed", slot->timeout_s);
    } else if (slot->kill == SV_KILL_CANCEL) {
        outcome = AT_OUTCOME_CANCELLED;
        snprintf(why, sizeof why,
                 "cancelled: the handler did not stop within %u s and was killed",
                 s->cfg->cancel_grace);
    } else if (slot->kill == SV_KILL_SHUTDOWN) {
        outcome = AT_OUTCOME_REQUEUE;
        snprintf(why, sizeof why, "requeued: the supervisor shut down before the task ended");
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(why, sizeof why, "the executor was killed by signal %d (SIG%s)%s", sig,
                 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
                 WCOREDUMP(status) ? ", core dumped" : "");
    } else {
        snprintf(why, sizeof why, "the executor exited with status %d during the task",
                 WEXITSTATUS(status));
    }
    if (slot->task_id)
        at_log(AT_LOG_WARN, "executor pid %d, task #%llu: %s", (int) slot->pid,
               (unsigned long long) slot->task_id, why);
    else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && slot->kill == SV_KILL_NONE)
        at_log(AT_LOG_WARN, "executor pid %d ended: %s", (int) slot->pid, why);
    /* What the pipe said, and the database for the rest. */
    fail_tasks(s, slot, outcome, why);

    int64_t now = sv_now_ms();
    int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!clean && slot->kill == SV_KILL_NONE && now - slot->born_ms < YOUNG_MS) {
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 250;
        if (s->backoff_ms > BACKOFF_MAX_MS)
            s->backoff_ms = BACKOFF_MAX_MS;
        s->spawn_after_ms = now + s->backoff_ms;
        at_log(AT_LOG_WARN, "executors die young: next one in %d ms", s->backoff_ms);
    } else if (clean || now - slot->born_ms >= YOUNG_MS) {
        s->backoff_ms = 0;
    }
    close(slot->fd);
    memset(slot, 0, sizeof *slot);
    slot->fd = -1;
}

static void
reap(sv *s)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == s->pruner_pid) {
            sv_prune_ended(s, status);
            continue;
        }
        if (pid == s->bulk_pid) {
            sv_bulk_ended(s, status);
            continue;
        }
        for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
            if (s->slots[i].pid == pid) {
                read_pipe(s, &s->slots[i]); /* what it said before dying */
                executor_died(s, &s->slots[i], status);
                break;
            }
    }
}

static void
on_line(sv *s, sv_slot *slot, const char *line)
{
    (void) s;
    unsigned long long task = 0;
    unsigned timeout = 0;
    long long at = 0;
    int outcome = 0;
    if (sscanf(line, "C %llu", &task) == 1) {
        slot->checking = task;
    } else if (sscanf(line, "S %llu %u %lld", &task, &timeout, &at) == 3) {
        slot->checking = 0;
        slot->task_id = task;
        slot->task_started_at = at;
        slot->timeout_s = timeout ? timeout : 300;
        slot->task_ms = sv_now_ms();
        slot->cancel_ms = 0;
        slot->changed = 1;
    } else if (sscanf(line, "R %llu %d %lld", &task, &outcome, &at) == 3) {
        at_exec_returned *r = &slot->returned[slot->nreturned++ % SV_RETURNED_MAX];
        *r = (at_exec_returned){task, outcome, slot->task_started_at, at};
        slot->task_id = 0;
        slot->task_ms = 0; /* the handler returned: no timeout applies */
        slot->cancel_ms = 0;
        slot->tasks_run++;
        slot->changed = 1;
    } else if (line[0] == 'X') {
        at_log(AT_LOG_INFO, "executor pid %d leaves: %s", (int) slot->pid, line + 1);
    }
}

static void
read_pipe(sv *s, sv_slot *slot)
{
    for (;;) {
        ssize_t n = read(slot->fd, slot->line + slot->linelen, sizeof slot->line - 1 - slot->linelen);
        if (n <= 0)
            return; /* EOF: the reaper handles the exit */
        slot->linelen += (size_t) n;
        slot->line[slot->linelen] = 0;
        char *nl;
        while ((nl = strchr(slot->line, '\n'))) {
            *nl = 0;
            on_line(s, slot, slot->line);
            size_t rest = slot->linelen - (size_t) (nl + 1 - slot->line);
            memmove(slot->line, nl + 1, rest);
            slot->linelen = rest;
            slot->line[rest] = 0;
        }
        if (slot->linelen == sizeof slot->line - 1)
            slot->linelen = 0; /* a line that long is not ours */
        struct pollfd p = {slot->fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
            return;
    }
}

static void
enforce_timeouts(sv *s, int64_t now)
{
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
        sv_slot *e = &s->slots[i];
        if (!e->pid || !e->task_ms || e->kill)
            continue;
        if (now - e->task_ms >= (int64_t) e->timeout_s * 1000) {
            at_log(AT_LOG_WARN, "task #%llu: timed out after %u s; killing executor pid %d",
                   (unsigned long long) e->task_id, e->timeout_s, (int) e->pid);
            e->kill = SV_KILL_TIMEOUT;
            kill(e->pid, SIGKILL);
        } else if (e->cancel_ms && now - e->cancel_ms >= (int64_t) s->cfg->cancel_grace * 1000) {
            at_log(AT_LOG_WARN, "task #%llu: still running %u s after its cancel; killing "
                   "executor pid %d", (unsigned long long) e->task_id, s->cfg->cancel_grace,
                   (int) e->pid);
            e->kill = SV_KILL_CANCEL;
            kill(e->pid, SIGKILL);
        }
    }
}

static void
poll_cancels(sv *s, int64_t now)
{
    at_cancel_req *v = NULL;
    size_t n = 0;
    at_error err;
    if (at_cancel_requests(s->db, s->id, &v, &n, &err) != AT_OK) {
        at_log(AT_LOG_DEBUG, "cancel requests: %s", err.msg);
        return;
    }
    /* A task claimed but not started is cancelled by its executor's
     * re-check; one that returned is over: only the running one needs the
     * signal. */
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
            sv_slot *e = &s->slots[i];
            if (e->pid && e->exec_id == v[k].executor_id && e->task_id == v[k].task_id &&
                e->task_ms && !e->cancel_ms && !e->kill) {
                at_log(AT_LOG_INFO, "task #%llu: cancel requested; asking executor pid %d to stop",
                       (unsigned long long) v[k].task_id, (int) e->pid);
                e->cancel_ms = now;
                kill(e->pid, SIGUSR1);
            }
        }
    free(v);
}

/* Neighbours (same boot, same pid namespace) whose process is gone died
 * with their executors (PR_SET_PDEATHSIG): their tasks need not wait for
 * the lease. Supervisors elsewhere are left to the lease. */
static void
reap_dead_neighbours(sv *s)
{
    at_supervisor_ref *v = NULL;
    size_t n = 0;
    at_error err;
    if (at_supervisor_neighbours(s->db, &s->me, s->id, &v, &n, &err) != AT_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!at_process_gone(v[i].pid, v[i].pid_start))
            continue;
        char why[AT_HOST_BUF + 64];
        snprintf(why, sizeof why, "the supervisor (pid %d on %s) died while the task ran",
                 v[i].pid, s->me.name);
        if (at_supervisor_reap(s->db, v[i].id, why, s->cfg->retry_backoff, &err) == AT_OK)
            at_log(AT_LOG_WARN, "recovered the tasks of dead supervisor #%llu (pid %d)",
                   (unsigned long long) v[i].id, v[i].pid);
        else
            at_log(AT_LOG_WARN, "dead supervisor #%llu: %s", (unsigned long long) v[i].id,
                   err.msg);
    }
    free(v);
}

static void
heartbeat(sv *s)
{
    at_error err;
    int rc = at_supervisor_heartbeat(s->db, s->id, &err);
    if (rc == AT_ENOTFOUND) {
        /* Removed as stale after a long outage: its tasks were recovered.
         * Start over under a new row, executors included. */
        at_log(AT_LOG_WARN, "%s; registering again and restarting the executors", err.msg);
        if (at_supervisor_register(s->db, &s->me, s->wake_addr, &s->id, &err) == AT_OK)
            s->gen++;
    } else if (rc) {
        sv_outage_fail(&s->heartbeat_down, "heartbeat", err.msg);
        return;
    }
    sv_outage_ok(&s->heartbeat_down, "heartbeat");
}

/* What each executor runs, for the pages and for recovery, when it
 * changed: at most every PUBLISH_MS, so a busy executor costs the
 * database nothing per task. */
static void
publish(sv *s)
{
    at_executor_state v[SV_EXECUTORS_MAX];
    size_t n = 0;
    int changed = 0;
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
        sv_slot *e = &s->slots[i];
        if (!e->pid)
            continue;
        changed |= e->changed;
        v[n++] = (at_executor_state){e->exec_id, e->task_ms ? e->task_id : 0,
                                     e->task_ms ? e->task_started_at : 0, e->tasks_run};
    }
    at_error err;
    if (!changed)
        return;
    if (at_executors_publish(s->db, v, n, &err) != AT_OK) {
        at_log(AT_LOG_DEBUG, "%s", err.msg);
        return;
    }
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        s->slots[i].changed = 0;
}

struct keep_ctx {
    sv *s;
    sv_slot *slot;
};

/* Which of the tasks an executor holds it may be running or about to
 * start, or has run: its pipe is read first, while they are locked. */
static void
keep_started(void *vctx, const uint64_t *ids, size_t n, int *keep)
{
    struct keep_ctx *x = vctx;
    sv_slot *e = x->slot;
    read_pipe(x->s, e);
    for (size_t i = 0; i < n; i++) {
        keep[i] = ids[i] == e->checking || (e->task_ms && ids[i] == e->task_id);
        for (size_t r = 0; r < SV_RETURNED_MAX && !keep[i]; r++)
            keep[i] = r < e->nreturned && e->returned[r].task_id == ids[i];
    }
}

/* An executor in a long task gives back the rest of its batch, so that
 * other executors run it meanwhile (once per task). */
static void
release_waiting(sv *s, int64_t now)
{
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
        sv_slot *e = &s->slots[i];
        if (!e->pid || !e->task_ms || e->kill || e->released_for == e->task_id ||
            now - e->task_ms < RELEASE_AFTER_MS)
            continue;
        e->released_for = e->task_id;
        struct keep_ctx x = {s, e};
        size_t n = 0;
        at_error err;
        if (at_executor_release(s->db, e->exec_id, keep_started, &x, &n, &err) != AT_OK)
            at_log(AT_LOG_DEBUG, "%s", err.msg);
        else if (n)
            at_log(AT_LOG_INFO, "executor pid %d runs task #%llu for long: %zu task%s of its "
                   "batch given back", (int) e->pid, (unsigned long long) e->task_id, n,
                   n == 1 ? "" : "s");
    }
}

/* The periodic work for the database as a whole (at_dispatch). */
static void
dispatch(sv *s)
{
    int woken = 0;
    at_error err;
    if (at_dispatch(s->db, &woken, &err) != AT_OK)
        at_log(AT_LOG_DEBUG, "%s", err.msg);
    else if (woken)
        at_wake(s->db, 0);
}

/* Recurring tasks: the occurrences that are due, a few schedules a
 * tick, so that a burst of them never holds up the loop for long; when
 * none is due, one indexed read. */
static void
schedule_tick(sv *s)
{
    unsigned fired = 0;
    at_error err;
    if (at_schedule_run_due(s->db, s->cfg->schedule_grace, SCHEDULE_BATCH, &fired, &err) !=
        AT_OK)
        at_log(AT_LOG_DEBUG, "%s", err.msg);
}

/* One old-generation executor at a time is told to leave after its task;
 * its replacement starts when it has gone, so no task is cut short and
 * capacity dips by one at most. */
static void
roll(sv *s)
{
    if (s->draining)
        return;
    size_t want = s->cfg->executors, current = count_live(s, 1), live = count_live(s, 0);
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        if (s->slots[i].pid && s->slots[i].drain_sent)
            return; /* one at a time */
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
        sv_slot *e = &s->slots[i];
        int old = e->pid && e->gen != s->gen;
        int extra = e->pid && !old && current > want && live > want;
        if (old || extra) {
            e->drain_sent = 1;
            kill(e->pid, SIGUSR2);
            return;
        }
    }
}

static void
reload(sv *s)
{
    at_config *cfg = NULL;
    at_error err;
    at_log(AT_LOG_INFO, "SIGHUP: reloading %s and the plugins", s->config_path ? s->config_path
                                                                              : "the configuration");
    if (at_config_reload(s->cfg, &cfg, &err) != AT_OK) {
        at_log(AT_LOG_ERROR, "reload: %s; keeping the old configuration", err.msg);
    } else {
        if (cfg->db_password_kept)
            at_log(AT_LOG_INFO, "reload: db_password_file %s is not readable now; keeping the "
                   "password read at start", cfg->db_password_file);
        at_config_free(s->cfg);
        s->cfg = cfg;
        at_log_set_level(cfg->log_level);
        at_log_set_syslog(s->syslog_flag || cfg->log_syslog);
    }
    sv_load_plugins(s);
    s->gen++;
}

static void
drain_start(sv *s)
{
    s->draining = 1;
    s->drain_until = sv_now_ms() + (int64_t) s->cfg->shutdown_grace * 1000;
    at_log(AT_LOG_INFO, "SIGTERM: no new tasks; running ones get %u s", s->cfg->shutdown_grace);
    sv_prune_stop(s, SIGTERM); /* after its batch */
    sv_bulk_stop(s, SIGTERM);
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        if (s->slots[i].pid) {
            s->slots[i].drain_sent = 1;
            kill(s->slots[i].pid, SIGUSR2);
        }
}

static void
drain_deadline(sv *s, int64_t now)
{
    if (now < s->drain_until)
        return;
    sv_prune_stop(s, SIGKILL);
    sv_bulk_stop(s, SIGKILL);
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++) {
        sv_slot *e = &s->slots[i];
        if (e->pid && e->kill != SV_KILL_SHUTDOWN) {
            at_log(AT_LOG_WARN, "grace over: killing executor pid %d%s", (int) e->pid,
                   e->task_id ? " and requeueing its task" : "");
            e->kill = SV_KILL_SHUTDOWN;
            kill(e->pid, SIGKILL);
        }
    }
}

int
sv_run(sv *s)
{
    for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
        s->slots[i].fd = -1;
    int64_t last_hb = 0, last_cancel = 0, last_recover = 0, last_publish = 0, last_dispatch = 0,
            last_schedule = 0;
    struct pollfd pfd[SV_EXECUTORS_MAX];
    sv_slot *which[SV_EXECUTORS_MAX];
    for (;;) {
        int64_t now = sv_now_ms();
        if (sv_got_term && !s->draining)
            drain_start(s);
        if (sv_got_hup) {
            sv_got_hup = 0;
            if (!s->draining)
                reload(s);
        }
        sv_got_chld = 0;
        reap(s);
        if (s->draining) {
            if (count_live(s, 0) == 0 && !s->pruner_pid && !s->bulk_pid)
                break;
            drain_deadline(s, now);
        } else {
            roll(s);
            fill_up(s);
        }
        enforce_timeouts(s, now);
        if (now - last_cancel >= CANCEL_POLL_MS) {
            last_cancel = now;
            poll_cancels(s, now);
        }
        if (now - last_publish >= PUBLISH_MS) {
            last_publish = now;
            publish(s);
        }
        if (!s->draining && now - last_dispatch >= TICK_MS) {
            last_dispatch = now;
            dispatch(s);
            release_waiting(s, now);
        }
        if (!s->draining && now - last_schedule >= SCHEDULE_MS) {
            last_schedule = now;
            schedule_tick(s);
        }
        if (now - last_hb >= (int64_t) s->cfg->heartbeat_interval * 1000) {
            last_hb = now;
            heartbeat(s);
            if (s->npending)
                retry_pending(s);
        }
        if (!s->draining && now - last_recover >= RECOVER_MS) {
            last_recover = now;
            uint64_t n = 0;
            at_error err;
            reap_dead_neighbours(s);
            if (at_recover_expired(s->db, s->cfg->retry_backoff, &n, &err) != AT_OK)
                at_log(AT_LOG_DEBUG, "%s", err.msg);
            else if (n)
                at_log(AT_LOG_WARN, "recovered %llu task%s whose lease ran out",
                       (unsigned long long) n, n == 1 ? "" : "s");
        }
        if (!s->draining) {
            sv_prune_tick(s, now);
            sv_bulk_tick(s, now);
        }

        nfds_t n = 0;
        for (size_t i = 0; i < SV_EXECUTORS_MAX; i++)
            if (s->slots[i].pid && s->slots[i].fd >= 0) {
                pfd[n].fd = s->slots[i].fd;
                pfd[n].events = POLLIN;
                pfd[n].revents = 0;
                which[n++] = &s->slots[i];
            }
        if (sv_got_term != s->draining || sv_got_hup || sv_got_chld)
            continue;
        int r = poll(pfd, n, TICK_MS);
        for (nfds_t i = 0; r > 0 && i < n; i++)
            if (pfd[i].revents & (POLLIN | POLLHUP))
                read_pipe(s, which[i]);
    }
    /* Whatever the executors left unwritten. */
    for (int tries = 0; s->npending && tries < 10; tries++) {
        retry_pending(s);
        if (s->npending)
            sleep(1);
    }
    return 0;
}
