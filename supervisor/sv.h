/* sv.h: what the files of supervisor/ share: the supervisor's state, its
 * executor slots, and the line protocol executors speak on their pipe.
 *
 * Executor to supervisor, one line each:
 *   "C <task>"              it is about to re-check <task>, which it may
 *                           start next
 *   "S <task> <timeout_s> <started>"  a task has started (at <started>,
 *                           microseconds of the database's clock): its
 *                           timeout clock runs
 *   "R <task> <outcome> <duration_us>"  the handler returned; the end is
 *                           written with a later batch (if the executor
 *                           dies first, the supervisor writes it)
 *   "X <why>"               exiting of its own accord (memory, reload) */
#ifndef AT_SV_H
#define AT_SV_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <asynctasks/asynctasks.h>
#include <asynctasks/loader.h>

#define SV_EXECUTORS_MAX 256
#define SV_RETURNED_MAX  32 /* returned tasks remembered per executor: two batches */

/* Why the supervisor killed an executor: decides what its task becomes. */
enum sv_kill { SV_KILL_NONE = 0, SV_KILL_TIMEOUT, SV_KILL_CANCEL, SV_KILL_SHUTDOWN };

typedef struct sv_slot {
    pid_t pid;         /* 0: free */
    uint64_t exec_id;  /* its executors row, the lease owner */
    int fd;            /* read end of its pipe */
    unsigned gen;      /* configuration generation it was started with */
    int64_t born_ms;   /* monotonic */
    uint64_t task_id;  /* running now, 0: idle */
    at_time task_started_at; /* its start, database clock */
    int64_t task_ms;   /* when the task's timeout clock started; 0: stopped */
    at_exec_returned returned[SV_RETURNED_MAX]; /* ring of the last returned tasks */
    size_t nreturned;
    uint64_t tasks_run;
    uint64_t checking; /* being re-checked: it may start next */
    uint64_t released_for; /* the long task for which its batch was given back */
    int changed;       /* since the last publication */
    unsigned timeout_s;
    int drain_sent;    /* told to finish its task and exit */
    int64_t cancel_ms; /* when it was asked to stop the task; 0: not */
    int kill;          /* enum sv_kill */
    char line[128];
    size_t linelen;
} sv_slot;

/* A dead executor's tasks the supervisor could not end yet (database
 * away). */
typedef struct sv_pending {
    uint64_t exec_id;
    at_exec_report report;
    at_exec_returned returned[SV_RETURNED_MAX];
    char why[256];
} sv_pending;

/* A failure that repeats (outage.c): its start, a reminder now and then,
 * and its end are logged, not each try. Zeroed: no failure. */
typedef struct sv_outage {
    unsigned fails;   /* tries failed since the last success */
    int64_t since_ms; /* the first of them */
    int64_t said_ms;  /* when it was last logged */
} sv_outage;

typedef struct sv {
    const char *config_path;
    int syslog_flag; /* --syslog: to syslog whatever the configuration's log says */
    sv_outage heartbeat_down; /* the heartbeat failing, as one event */
    at_config *cfg;
    at_db *db;
    at_plugin_set *plugins;
    uint64_t id; /* supervisors row */
    at_supervisor_host me; /* its host, neighbourhood, pid and start */
    int wake_fd; /* UDP socket idle executors wait on; -1: none */
    char wake_addr[64];
    sv_slot slots[SV_EXECUTORS_MAX];
    unsigned gen;
    int draining;        /* SIGTERM: no new executors */
    int64_t drain_until; /* monotonic ms: then kill what still runs */
    sv_pending *pending;
    size_t npending, pending_cap;
    int backoff_ms; /* respawn delay after executors that die young */
    int64_t spawn_after_ms;
    pid_t pruner_pid;       /* the prune under way (pruner.c); 0: none */
    int64_t prune_after_ms; /* monotonic: when the next may start; 0: not yet set */
    pid_t bulk_pid;         /* the bulk jobs' runner (bulk.c); 0: none */
    int64_t bulk_after_ms;  /* monotonic: when to look for waiting jobs again */
} sv;

extern volatile sig_atomic_t sv_got_term, sv_got_hup, sv_got_chld;

int64_t sv_now_ms(void);

void sv_outage_fail(sv_outage *o, const char *what, const char *msg);
void sv_outage_ok(sv_outage *o, const char *what);
void sv_signal(int sig, void (*fn)(int));
/* In a child, after its own handlers: SIGHUP, SIGINT and SIGPIPE ignored,
 * SIGCHLD as by default, no signal blocked. */
void sv_child_signals(void);

/* supervisor.c */
int sv_run(sv *s);
int sv_load_plugins(sv *s);

/* In a child after fork: closes what belongs to the supervisor alone
 * (the executors' pipes, the pidfile's lock). */
void sv_close_inherited(sv *s);
/* Forks a child that dies with the supervisor (PR_SET_PDEATHSIG), closes
 * what is the supervisor's alone and exits with child_main's status; the
 * child's pid, or 0 when fork failed (logged, for what). */
pid_t sv_spawn(sv *s, int (*child_main)(sv *s), const char *what);

/* pruner.c: starts a prune when one is due; its end (reaped); asks it to
 * stop (SIGTERM) or kills it (SIGKILL). */
void sv_prune_tick(sv *s, int64_t now);
void sv_prune_ended(sv *s, int status);
void sv_prune_stop(sv *s, int sig);

/* bulk.c: starts a runner of bulk jobs when one waits; its end (reaped);
 * asks it to stop (SIGTERM) or kills it (SIGKILL). */
void sv_bulk_tick(sv *s, int64_t now);
void sv_bulk_ended(sv *s, int status);
void sv_bulk_stop(sv *s, int sig);

/* executor.c: the child's whole life; returns its exit status. */
int sv_executor_main(sv *s, uint64_t exec_id, int pipe_fd);

#endif
