#!/usr/bin/env bash
# tests/churn.sh: the pause guarantee at the rate a program can pause and
# resume: one task type paused and resumed 1,000 times (a few milliseconds
# apart) while 4 executors run the 40,000 tasks fed meanwhile. No task may
# start while a pause of its type is in force: between a pause's audit
# entry and the next resume's. Where tests/storm.sh has operators at the
# command line, this puts the re-check's race with a pause or a resume
# under a thousandfold more pressure.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

CYCLES=${ASYNCTASKS_CHURN_CYCLES:-1000}
CHURN=$top_builddir/tests/pause-churn
[ -x "$CHURN" ] || bail "$CHURN is missing (make check builds it)"

sv_setup churn svtest
sv_conf executors 4 poll_interval_ms 200
sv_start
wait_for 10 "SELECT COUNT(*) = 1 FROM task_types WHERE name = 'test.storm.0'" || bail "types"
B=$(q "SELECT id FROM businesses WHERE slug = 'biz'")
U=$(q "SELECT id FROM users WHERE email = 'u@example.com'")
T=$(q "SELECT id FROM task_types WHERE name = 'test.storm.0'")
"$CHURN" "$SVCONF" "$B" "$U" "$T" "$CYCLES"
ok $? "$CYCLES pauses and resumes of one type, with tasks fed between them"
wait_for 300 "SELECT COUNT(*) = 0 FROM tasks WHERE state IN ('queued', 'running')"
ok $? "every task ran in the end"
is "$(q "SELECT COUNT(*) FROM tasks")" "$((CYCLES / 5 * 200))" "no task was lost"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$((CYCLES / 5 * 200))" "none ran twice"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause'")" "$CYCLES" "every pause is in the audit log"
in_force=$(q "WITH ev AS (SELECT action, created_at FROM audit_log WHERE target_kind = 'task_type' AND target_id = $T),
                   iv AS (SELECT p.created_at AS s, (SELECT MIN(r.created_at) FROM ev r
                                  WHERE r.action <> 'pause' AND r.created_at > p.created_at) AS e
                          FROM ev p WHERE p.action = 'pause')
              SELECT COUNT(*) FROM task_attempts a JOIN iv
              ON a.started_at > iv.s AND (iv.e IS NULL OR a.started_at <= iv.e)")
is "$in_force" 0 "no task started while a pause of its type was in force"
sv_stop
OUT=$("$AT" --config "$SVCONF" counters check --business biz)
is "$?" 0 "the totals equal the tasks' own count: $(echo $OUT)"
sv_log_clean
done_testing
