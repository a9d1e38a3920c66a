/* worker.c: an executor's side of the database: claims batches, re-checks
 * each task right before it runs, and writes how tasks ended in batches.
 *
 * One transaction writes the ends of the tasks that ran and claims the
 * next batch, so a busy executor commits about once per batch rather
 * than twice per task. A batch holds tasks of one business, and only as
 * many as this executor runs in a few milliseconds, judged by how long
 * tasks of their type took here before: a slow type (or one not seen yet)
 * comes one task at a time, so a batch never keeps tasks from other
 * executors for long, and turns between businesses stay short. Ends wait
 * at most FLUSH_MS before they are written. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include <asynctasks/log.h>

#define BATCH_MAX      32
#define PEND_MAX       (2 * BATCH_MAX)
#define FLUSH_MS       20     /* the longest an end waits before it is written */
#define WINDOW_US      4000   /* a batch is about this much work */
#define RULES_MAX      64     /* businesses whose rules are cached */
#define TIMEOUTS_TTL_S 30     /* task types' timeouts are read again after this */
#define MAX_ROUNDS     8      /* claims per call that start nothing */
#define RECHECK_TRIES  4      /* re-checks of one task while its business's rules change */

struct rules_entry {
    uint64_t business_id, epoch;
    at_pause_set set;
    uint64_t used;
    int valid;
};

struct type_info {
    uint64_t id;
    unsigned limit;   /* tasks per batch */
    int64_t avg_us;   /* run time, moving average; -1: none seen */
    unsigned timeout_s;
};

struct at_worker {
    at_db *db;
    uint64_t executor_id;
    unsigned cap_default;
    size_t ntypes;
    uint64_t *type_ids;
    unsigned *limits;
    struct type_info *types;
    time_t timeouts_at;
    claimed batch[BATCH_MAX];
    size_t nbatch, next;
    finish_rec pend[PEND_MAX];
    size_t npend;
    int64_t pend_since_ms;
    uint64_t last_business;
    struct rules_entry rules[RULES_MAX];
    struct rules_entry platform; /* the platform's rules, by the platform's epoch */
    uint64_t tick;
    void (*before_check)(void *ctx, uint64_t task_id);
    void *hook_ctx;
    int waited; /* ends waited for the database */
    rollup_acc rollup; /* the dashboard's counts, not added yet */
    int64_t rollup_ms; /* when they were last added (or the worker opened) */
    unsigned rollup_failing; /* flushes failed in a row */
};

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct type_info *
type_of(at_worker *w, uint64_t id)
{
    for (size_t i = 0; i < w->ntypes; i++)
        if (w->types[i].id == id)
            return &w->types[i];
    return NULL;
}

static int
fill_timeout(const db_res *r, void *elem, at_error *err)
{
    uint64_t *v = elem;
    v[0] = db_u64(r, 0);
    v[1] = db_u64(r, 1);
    return AT_OK;
}

/* The types' timeouts, read again now and then: an edit of a type's
 * timeout reaches running executors within TIMEOUTS_TTL_S. */
static int
load_timeouts(at_worker *w, at_error *err)
{
    time_t t = time(NULL);
    if (w->timeouts_at && t - w->timeouts_at < TIMEOUTS_TTL_S)
        return AT_OK;
    strbuf sql = {0};
    arglist a = {0};
    sb_add(&sql, "SELECT id, timeout_s FROM task_types WHERE id IN (");
    for (size_t i = 0; i < w->ntypes; i++)
        args_add(&a, da_u64(w->types[i].id));
    sb_in_list(&sql, &a, w->ntypes);
    sb_add(&sql, ")");
    uint64_t(*v)[2] = NULL;
    size_t n = 0;
    int rc = db_rows_sb(w->db, DB_RETRY, &sql, &a, sizeof *v, fill_timeout, (void **) &v, &n, err);
    for (size_t i = 0; rc == AT_OK && i < n; i++) {
        struct type_info *ti = type_of(w, v[i][0]);
        if (ti)
            ti->timeout_s = (unsigned) v[i][1];
    }
    free(v);
    if (rc == AT_OK)
        w->timeouts_at = t;
    return rc;
}

int
at_worker_open(at_db *db, uint64_t executor_id, const uint64_t *types, size_t ntypes,
               unsigned cap_default, at_worker **out, at_error *err)
{
    *out = NULL;
    if (ntypes == 0 || ntypes > AT_CLAIM_TYPES_MAX)
        return at_error_set(err, AT_EINVAL, "claim: 1 to %d task types, not %zu",
                            AT_CLAIM_TYPES_MAX, ntypes);
    at_worker *w = calloc(1, sizeof *w);
    if (w) {
        w->types = calloc(ntypes, sizeof *w->types);
        w->type_ids = calloc(ntypes, sizeof *w->type_ids);
        w->limits = calloc(ntypes, sizeof *w->limits);
    }
    if (!w || !w->types || !w->type_ids || !w->limits) {
        at_worker_close(w);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    w->db = db;
    w->executor_id = executor_id;
    w->cap_default = cap_default;
    w->ntypes = ntypes;
    w->rollup_ms = now_ms();
    for (size_t i = 0; i < ntypes; i++) {
        w->types[i] = (struct type_info){types[i], 1, -1, 300};
        w->type_ids[i] = types[i];
    }
    *out = w;
    return AT_OK;
}

static void
drop_pending(at_worker *w)
{
    for (size_t i = 0; i < w->npend; i++) {
        free((char *) w->pend[i].result);
        free((char *) w->pend[i].error);
    }
    w->npend = 0;
}

static void
drop_batch(at_worker *w)
{
    for (size_t i = w->next; i < w->nbatch; i++)
        claimed_clear(&w->batch[i]);
    w->nbatch = w->next = 0;
}

void
at_worker_close(at_worker *w)
{
    if (!w)
        return;
    drop_pending(w);
    drop_batch(w);
    for (size_t i = 0; i < RULES_MAX; i++)
        at_pause_set_free(&w->rules[i].set);
    at_pause_set_free(&w->platform.set);
    free(w->types);
    free(w->type_ids);
    free(w->limits);
    rollup_free(&w->rollup);
    free(w);
}

/* ---- ends ---- */

static void
log_ends(const finish_rec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const finish_rec *r = &v[i];
        if (!r->final_state)
            at_log(AT_LOG_WARN, "task #%llu: result not recorded: the lease was lost (the task "
                   "was recovered)", (unsigned long long) r->task_id);
        else if (r->ran || r->final_outcome != AT_OUTCOME_REQUEUE)
            at_log(r->final_outcome == AT_OUTCOME_SUCCEEDED ? AT_LOG_INFO : AT_LOG_WARN,
                   "task #%llu: %s%s%s", (unsigned long long) r->task_id,
                   at_outcome_str(r->final_outcome), r->error ? ": " : "",
                   r->error ? r->error : "");
    }
}

/* Adds an end to write; takes copies of the texts. */
static int
pend(at_worker *w, const finish_rec *r, at_error *err)
{
    if (w->npend == PEND_MAX) {
        int rc = at_worker_flush(w, err);
        if (rc)
            return rc;
    }
    finish_rec *p = &w->pend[w->npend];
    *p = *r;
    p->result = r->result ? strdup(r->result) : NULL;
    p->error = r->error ? strdup(r->error) : NULL;
    if ((r->result && !p->result) || (r->error && !p->error)) {
        free((char *) p->result);
        free((char *) p->error);
        return at_error_set(err, AT_ENOMEM, "out of memory");
    }
    if (w->npend++ == 0)
        w->pend_since_ms = now_ms();
    return AT_OK;
}

/* The batch size for each type: as many tasks as take about WINDOW_US
 * here, one for a type not run yet or slower than the window. */
static void
update_limits(at_worker *w)
{
    for (size_t i = 0; i < w->ntypes; i++) {
        int64_t avg = w->types[i].avg_us;
        unsigned lim = avg < 0 ? 1 : avg == 0 ? BATCH_MAX : (unsigned) (WINDOW_US / avg);
        w->types[i].limit = lim < 1 ? 1 : lim > BATCH_MAX ? BATCH_MAX : lim;
        w->limits[i] = w->types[i].limit;
    }
}

struct step_ctx {
    at_worker *w;
    int claim; /* also claim the next batch */
};

static int
step_tx(at_db *db, void *vctx, at_error *err)
{
    struct step_ctx *x = vctx;
    at_worker *w = x->w;
    counts_acc acc = {0};
    if (x->claim)
        drop_batch(w); /* a rerun starts afresh */
    int rc = finish_in_tx(db, w->executor_id, w->pend, w->npend, &acc, err);
    if (rc == AT_OK && x->claim) {
        update_limits(w);
        claim_req q = {w->executor_id, w->type_ids,  w->limits,        w->ntypes,
                       BATCH_MAX,      w->cap_default, w->last_business};
        uint64_t served = 0;
        rc = claim_in_tx(db, &q, w->batch, &w->nbatch, &served, &acc, err);
        /* a business whose claim failed waits its next turn, so that one
         * that keeps failing stops no other */
        if (served)
            w->last_business = served;
    }
    if (rc == AT_OK)
        rc = counts_acc_write(db, &acc, err);
    counts_acc_free(&acc);
    if (rc && x->claim)
        drop_batch(w);
    return rc;
}

/* Writes the ends waiting, and with claim the next batch, in one
 * transaction. The ends are kept when it fails: the next call writes
 * them. */
static int
step(at_worker *w, int claim, at_error *err)
{
    struct step_ctx x = {w, claim};
    int rc = db_tx(w->db, false, step_tx, &x, err);
    if (rc) {
        w->waited |= w->npend > 0;
        return at_error_wrap(err, claim ? "claim" : "record results");
    }
    log_ends(w->pend, w->npend);
    if (w->waited && w->npend)
        at_log(AT_LOG_WARN, "%zu task end%s recorded once the database was back", w->npend,
               w->npend == 1 ? "" : "s");
    w->waited = 0;
    drop_pending(w);
    return AT_OK;
}

int
at_worker_flush(at_worker *w, at_error *err)
{
    return w->npend ? step(w, 0, err) : AT_OK;
}

/* ---- the dashboard's counts ---- */

/* A run's start, and its end by the database's clock: a success, or a
 * failure (retried or not) with its error. */
static void
rollup_done(at_worker *w, const at_claim *c, int outcome, const char *error,
            int64_t duration_us)
{
    rollup_attempt(&w->rollup, c->business_id, c->task_type_id, c->task_id, c->started_at,
                   c->started_at + duration_us, outcome, error);
}

/* Adds the counts when ROLLUP_FLUSH_MS have passed, or now with force. A
 * failure is logged and the counts kept for the next try: the tasks go
 * on. */
static void
rollup_tick(at_worker *w, bool force)
{
    int64_t now = now_ms();
    if (!rollup_pending(&w->rollup) || (!force && now - w->rollup_ms < ROLLUP_FLUSH_MS))
        return;
    at_error err;
    if (rollup_flush(w->db, &w->rollup, &err) == AT_OK)
        w->rollup_failing = 0;
    else if (!w->rollup_failing++) /* once an outage: the claims say the rest */
        at_log(AT_LOG_WARN, "%s; kept for the next try", err.msg);
    w->rollup_ms = now;
}

int
at_worker_rollup_wait_ms(const at_worker *w)
{
    if (!rollup_pending(&w->rollup))
        return -1;
    int64_t left = ROLLUP_FLUSH_MS - (now_ms() - w->rollup_ms);
    return left < 0 ? 0 : (int) left;
}

int
at_worker_done(at_worker *w, const at_claim *c, int outcome, const char *result,
               const char *error, int64_t duration_us, unsigned backoff_s, at_error *err)
{
    struct type_info *ti = type_of(w, c->task_type_id);
    rollup_done(w, c, outcome, error, duration_us);
    if (ti) /* moving average over about eight runs */
        ti->avg_us = ti->avg_us < 0 ? duration_us : (ti->avg_us * 7 + duration_us) / 8;
    finish_rec r = {.task_id = c->task_id,
                    .outcome = outcome,
                    .ran = 1,
                    .started_at = c->started_at,
                    .duration_us = duration_us,
                    .result = result,
                    .error = error,
                    .backoff_s = backoff_s};
    return pend(w, &r, err);
}

/* ---- the re-check ---- */

/* The business's cached rules when they are those of epoch, else NULL. */
static at_pause_set *
rules_at(at_worker *w, uint64_t business_id, uint64_t epoch)
{
    for (size_t i = 0; i < RULES_MAX; i++) {
        struct rules_entry *e = &w->rules[i];
        if (e->valid && e->business_id == business_id && e->epoch == epoch) {
            e->used = ++w->tick;
            return &e->set;
        }
    }
    return NULL;
}

/* Reads the business's rules with the epoch they belong to (one view),
 * into its cache entry or the least recently used one. */
static int
rules_load(at_worker *w, uint64_t business_id, at_error *err)
{
    struct rules_entry *e = NULL, *victim = &w->rules[0];
    for (size_t i = 0; i < RULES_MAX; i++) {
        if (w->rules[i].valid && w->rules[i].business_id == business_id)
            e = &w->rules[i];
        if (!w->rules[i].valid || (victim->valid && w->rules[i].used < victim->used))
            victim = &w->rules[i];
    }
    if (!e)
        e = victim;
    at_pause_set_free(&e->set);
    e->valid = 0;
    int rc = pause_load_epoch(w->db, business_id, &e->set, &e->epoch, err);
    if (rc)
        return rc;
    e->business_id = business_id;
    e->valid = 1;
    e->used = ++w->tick;
    return AT_OK;
}

/* The platform's rules, read again with their epoch (one view). */
static int
platform_load(at_worker *w, at_error *err)
{
    struct rules_entry *e = &w->platform;
    at_pause_set_free(&e->set);
    e->valid = 0;
    int rc = pause_load_platform_epoch(w->db, &e->set, &e->epoch, err);
    if (rc == AT_OK)
        e->valid = 1;
    return rc;
}

/* The re-check, until both its epochs are those of the cached rules:
 * then those rules are the business's and the platform's rules at the
 * moment the statement holds its share locks, which is the moment the
 * task starts (x->now). A pause or resume committed between reading the
 * rules and the re-check moves an epoch, and those rules are read again.
 * *set NULL: the task is not ours or its cancel was requested (x says
 * which), or the rules would not hold still (then the task waits for
 * another turn); else *platform is the platform's rules. */
static int
recheck_rules(at_worker *w, const claimed *t, recheck_res *x, at_pause_set **set,
              at_pause_set **platform, at_error *err)
{
    *set = NULL;
    for (int tries = 0; tries < RECHECK_TRIES; tries++) {
        int rc = recheck(w->db, w->executor_id, t->c.task_id, x, err);
        if (rc || !x->mine || x->cancel)
            return rc;
        bool platform_ok = w->platform.valid && w->platform.epoch == x->platform_epoch;
        at_pause_set *b = rules_at(w, t->c.business_id, x->epoch);
        if (b && platform_ok) {
            *set = b;
            *platform = &w->platform.set;
            return AT_OK;
        }
        if (!b && (rc = rules_load(w, t->c.business_id, err)))
            return rc;
        if (!platform_ok && (rc = platform_load(w, err)))
            return rc;
    }
    return AT_OK;
}

/* The next task of the batch, re-checked; *got 0 when it may not run
 * (then its end, if any, is pending). */
static int
next_of_batch(at_worker *w, at_claim *out, int *got, at_error *err)
{
    claimed *t = &w->batch[w->next];
    finish_rec r = {.task_id = t->c.task_id, .outcome = AT_OUTCOME_REQUEUE, .ran = 0};
    int rc;
    *got = 0;
    if (t->payload_error) {
        r.outcome = AT_OUTCOME_FAILED;
        r.error = t->payload_error;
        /* never started: a failure at this host's time, as no re-check
         * read the database's */
        rollup_count(&w->rollup, t->c.business_id, t->c.task_type_id, at_time_now(),
                     ROLLUP_FAILED);
        rollup_error(&w->rollup, t->c.business_id, t->c.task_type_id, t->c.task_id,
                     at_time_now(), r.error);
    } else {
        recheck_res x;
        at_pause_set *set = NULL, *platform = NULL;
        if (w->before_check)
            w->before_check(w->hook_ctx, t->c.task_id);
        if ((rc = recheck_rules(w, t, &x, &set, &platform, err)))
            return rc; /* the task stays next */
        if (!x.mine) {
            r.task_id = 0; /* another owner now: nothing of ours to write */
        } else if (x.cancel) {
            r.outcome = AT_OUTCOME_CANCELLED;
        } else if (!set) {
            /* rules changing under every look: back to the queue, untouched */
        } else {
            set->now = platform->now = x.now;
            if (!at_pause_match(set, t->c.user_id, t->c.task_type_id) &&
                !at_pause_match(platform, t->c.user_id, t->c.task_type_id)) {
                struct type_info *ti = type_of(w, t->c.task_type_id);
                *out = t->c;
                out->started_at = x.now;
                out->timeout_s = ti ? ti->timeout_s : 300;
                memset(&t->c, 0, sizeof t->c); /* the payload is the caller's now */
                *got = 1;
            }
            else
                r.held = 1; /* held since the claim: given back untouched */
        }
    }
    if (!*got && r.task_id)
        rc = pend(w, &r, err);
    else
        rc = AT_OK;
    if (rc == AT_OK) {
        claimed_clear(t);
        w->next++;
    } else if (*got) {
        *got = 0;
    }
    return rc;
}

int
at_worker_next(at_worker *w, at_claim *out, int *got, at_error *err)
{
    memset(out, 0, sizeof *out);
    *got = 0;
    rollup_tick(w, false);
    int rc = load_timeouts(w, err);
    if (rc)
        return rc;
    /* Claims whose every task is given back (held, cancelled, taken by
     * another) end the call after a few rounds: the executor waits a
     * little rather than spin. */
    for (int rounds = 0; rounds < MAX_ROUNDS;) {
        if (w->next < w->nbatch) {
            if (w->npend && now_ms() - w->pend_since_ms >= FLUSH_MS &&
                (rc = at_worker_flush(w, err)))
                return rc;
            if ((rc = next_of_batch(w, out, got, err)) || *got)
                return rc;
            continue;
        }
        if ((rc = step(w, 1, err)))
            return rc;
        if (w->nbatch == 0)
            return AT_OK; /* nothing to run now; every end is written */
        rounds++;
    }
    return at_worker_flush(w, err);
}

int
at_worker_release(at_worker *w, at_error *err)
{
    int rc = AT_OK;
    while (rc == AT_OK && w->next < w->nbatch) {
        claimed *t = &w->batch[w->next];
        finish_rec r = {.task_id = t->c.task_id, .outcome = AT_OUTCOME_REQUEUE, .ran = 0};
        if ((rc = pend(w, &r, err)) == AT_OK) {
            claimed_clear(t);
            w->next++;
        }
    }
    if (rc == AT_OK)
        rc = at_worker_flush(w, err);
    rollup_tick(w, true);
    return rc;
}

void
at_worker_on_check(at_worker *w, void (*fn)(void *ctx, uint64_t task_id), void *ctx)
{
    w->before_check = fn;
    w->hook_ctx = ctx;
}

size_t
at_worker_pending(const at_worker *w)
{
    return w->npend;
}
