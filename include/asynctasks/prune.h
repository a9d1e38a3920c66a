/* prune.h: retention. Finished tasks (with their attempts), audit entries
 * and spool files older than the configured number of days are removed in
 * bounded batches, one transaction each, by one process at a time; each
 * prune is recorded in the platform's audit log. */
#ifndef ASYNCTASKS_PRUNE_H
#define ASYNCTASKS_PRUNE_H

#include <signal.h>
#include <stdbool.h>

#include <asynctasks/config.h>
#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What to keep, and how to remove the rest. Days 0: keep forever. */
typedef struct at_prune_policy {
    unsigned finished_days; /* finished tasks, by finished_at */
    unsigned audit_days;    /* audit entries, by created_at */
    unsigned spool_days;    /* files under spool_dir, by modification time */
    const char *spool_dir;
    unsigned batch;    /* rows (tasks with their attempts, or entries) per transaction */
    unsigned pause_ms; /* between two batches */
    /* write the audit entry even when nothing was removed (an operator's
     * prune); otherwise only a prune that removed something is recorded */
    bool always_record;
} at_prune_policy;

/* The policy of a configuration (retain_* keys, spool_dir). */
void at_prune_policy_of(const at_config *cfg, at_prune_policy *p);

typedef struct at_prune_result {
    /* the cut-offs: what is older goes; 0 where the kind is kept forever */
    at_time finished_before, audit_before, spool_before;
    uint64_t tasks, attempts, audit, spool_files, spool_bytes;
    uint64_t idem_keys; /* idempotency keys past their 24 hours (whatever the policy) */
    uint64_t rollups; /* the dashboard's old buckets and errors (whatever the policy) */
    unsigned batches; /* transactions that removed rows */
    uint64_t audit_id; /* the prune's own audit entry; 0: none written */
    bool busy;         /* another prune holds the lock: nothing was done */
    bool stopped;      /* *stop turned true: the rest is left for next time */
    /* spool entries that could not be removed or read (the first one's
     * error in spool_error); the rest of the prune went on */
    uint64_t spool_failed;
    char spool_error[300];
} at_prune_result;

/* Removes, as policy p says, what is older than its cut-off, computed once
 * at the start from the database's clock (the spool's from this host's).
 * A task is removed only while finished; the business's totals of failed
 * tasks (and of tasks finished today) are brought down in the same
 * transaction. The audit entry (business AT_AUDIT_PLATFORM, action
 * "prune", actor as given) is written by the first batch that removes
 * anything, and every later batch updates its counts in its own
 * transaction, so that after a kill it says what was removed. stop, if not
 * NULL, is read between batches. With dry_run nothing is removed or
 * written, no lock is taken, and *out holds what would go. out->busy,
 * with AT_OK, when another process is pruning. */
int at_prune(at_db *db, const at_actor *actor, const at_prune_policy *p, bool dry_run,
             volatile sig_atomic_t *stop, at_prune_result *out, at_error *err);

/* The database's plans for the statements of a batch, one block per
 * statement, each headed by "-- NAME". */
int at_prune_explain(at_db *db, char **plan, at_error *err);

/* Files (not directories) under dir modified before the cut-off (seconds
 * since the epoch), removed unless dry_run: the walk never follows a
 * symbolic link and stays on dir's file system. batch and pause_ms pace
 * it as at_prune's batches are paced; stop as for at_prune. */
int at_spool_prune(const char *dir, int64_t before, bool dry_run, unsigned batch,
                   unsigned pause_ms, volatile sig_atomic_t *stop, at_prune_result *out,
                   at_error *err);

#ifdef __cplusplus
}
#endif
#endif
