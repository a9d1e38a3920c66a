/* schedule.h: recurring tasks: cron expressions (cron.c), time zones
 * (tz.c), a business's schedules (schedule.c) and the supervisors'
 * enqueue of their occurrences (schedule_fire.c). */
#ifndef ASYNCTASKS_SCHEDULE_H
#define ASYNCTASKS_SCHEDULE_H

#include <stdbool.h>
#include <asynctasks/db.h>
#include <asynctasks/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- cron expressions (cron.c) ----
 * Five fields, minute hour day-of-month month day-of-week, each a list of
 * items separated by commas: "*", N, N-M, each with an optional "/STEP"
 * (N/STEP is N-max/STEP); months JAN..DEC and days SUN..SAT by name too
 * (any case), day-of-week 7 is Sunday as 0 is. When both day fields are
 * restricted (neither begins with "*"), a day matches either (cron's OR
 * rule); otherwise both. The macros @yearly (@annually), @monthly,
 * @weekly, @daily (@midnight) and @hourly stand for their expressions.
 * With AT_CRON_SECONDS a sixth field, seconds, may come first: for tests
 * (the configuration's test_schedule_seconds). */
#define AT_CRON_MAX     200 /* characters of an expression */
#define AT_CRON_BUF     (AT_CRON_MAX + 1)
#define AT_CRON_SECONDS 1u

typedef struct at_cron {
    uint64_t sec, min; /* bits 0..59 */
    uint32_t hour;     /* bits 0..23 */
    uint32_t dom;      /* bits 1..31 */
    uint16_t mon;      /* bits 1..12 */
    uint8_t dow;       /* bits 0..6, Sunday 0 */
    bool dom_star, dow_star; /* the field began with "*" */
} at_cron;

/* AT_EINVAL naming the field and what is wrong with it. */
int at_cron_parse(const char *expr, unsigned flags, at_cron *out, at_error *err);

/* The first local wall-clock time after wall (seconds since 1970 of a
 * calendar read as if it were UTC) that c matches, within nine years;
 * 0 and *next 0 when there is none. */
int at_cron_next_wall(const at_cron *c, int64_t wall, int64_t *next);

/* The first occurrence of c after the instant after (microseconds), in
 * time zone tz: AT_ENOTFOUND when there is none within nine years. A
 * local time that does not exist (the hour skipped when clocks go
 * forward) is moved to the end of the gap, the first instant after it;
 * several in one gap are one occurrence. A local time that happens twice
 * (clocks going back) is an occurrence once, at its first instance. */
int at_cron_next(const at_cron *c, const char *tz, at_time after, at_time *next, at_error *err);

/* ---- time zones (tz.c) ---- */
#define AT_TZ_MAX 64
#define AT_TZ_BUF (AT_TZ_MAX + 1)
/* An IANA time zone name this host has (tzdata: $TZDIR or
 * /usr/share/zoneinfo), such as Europe/Berlin or UTC; AT_EINVAL naming it
 * otherwise. */
int at_tz_check(const char *name, at_error *err);

/* ---- schedules (schedule.c) ---- */
#define AT_SCHEDULES_MAX 1000 /* per business */
enum at_missed { AT_MISSED_SKIP = 0, AT_MISSED_ONCE = 1 };
const char *at_missed_str(int missed);
int at_missed_parse(const char *s); /* -1 when unknown */

typedef struct at_schedule_new {
    uint64_t business_id;
    const char *cron;
    const char *time_zone;
    const char *type_name;
    const char *user_email; /* a member of the business */
    const char *payload;    /* may be NULL */
    size_t payload_len;
    int priority;
    int missed; /* enum at_missed */
    int paused;
    unsigned cron_flags; /* AT_CRON_SECONDS when the configuration allows */
} at_schedule_new;

typedef struct at_schedule {
    uint64_t id, business_id;
    char cron[AT_CRON_BUF];
    char time_zone[AT_TZ_BUF];
    uint64_t task_type_id, user_id;
    char type_name[AT_TYPE_NAME_BUF];
    char user_email[AT_NAME_BUF];
    char *payload; /* NULL: none; at_schedule_clear frees it */
    int priority;
    int missed;
    int paused;
    at_time next_run_at; /* the next occurrence to enqueue */
    at_time last_fired_at;
    uint64_t last_task_id;
    char last_error[1001];
    at_time created_at;
    char created_by[AT_NAME_BUF];
} at_schedule;
void at_schedule_clear(at_schedule *s);
void at_schedules_free(at_schedule *v, size_t n);

/* Checks everything (cron, zone, type, member, payload against the
 * type's parameters, priority) and adds the schedule, audited; its first
 * occurrence is the first after now. */
int at_schedule_add(at_db *db, const at_actor *actor, const at_schedule_new *in, uint64_t *id,
                    at_error *err);
/* A business's schedules, by id (payloads not read). *out malloc'd. */
int at_schedule_list(at_db *db, uint64_t business_id, at_schedule **out, size_t *n,
                     at_error *err);
int at_schedule_get(at_db *db, uint64_t business_id, uint64_t id, at_schedule *out,
                    at_error *err);
/* Removes a schedule, audited. Tasks it enqueued stay. */
int at_schedule_remove(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                       at_error *err);
/* Pauses or resumes a schedule, audited: a paused schedule enqueues
 * nothing; one resumed goes on with its first occurrence after now (what
 * fell in the pause is not run). Pausing a paused one changes nothing
 * and says so (*changed 0). */
int at_schedule_set_paused(at_db *db, const at_actor *actor, uint64_t business_id, uint64_t id,
                           int paused, int *changed, at_error *err);

/* ---- the supervisors' side (schedule_fire.c) ----
 * Enqueues the occurrences that are due, each exactly once across every
 * supervisor, through the enqueue of every task (pause rules apply). An
 * occurrence reached more than grace_s seconds after its time is missed:
 * a schedule's policy skips the missed ones, or enqueues one task for
 * them all. At most max schedules are served; *fired counts the tasks
 * enqueued. When none is due this is one indexed read. */
int at_schedule_run_due(at_db *db, unsigned grace_s, unsigned max, unsigned *fired,
                        at_error *err);

#ifdef __cplusplus
}
#endif
#endif
