#!/usr/bin/env bash
# tests/two_supervisors.sh: two supervisors with two executors each share
# one database; 2,000 tasks arrive at once. Every task runs exactly once,
# and both supervisors take part.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

N=2000
sv_setup two noop
sv_conf executors 2 poll_interval_ms 200
sv_start "$SVDIR/one.pid"
one=$SVPID
sv_start "$SVDIR/two.pid"
two=$SVPID
is "$(q "SELECT COUNT(*) FROM supervisors")" 2 "two supervisors are registered"
q "INSERT INTO tasks (business_id, user_id, task_type_id, user_name, type_name, run_at, max_attempts, created_at, updated_at)
   SELECT b.id, u.id, ty.id, u.name, ty.name, UTC_TIMESTAMP(6), 3, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
   FROM seq_1_to_$N s JOIN businesses b ON b.slug = 'biz' JOIN users u ON u.email = 'u@example.com'
   JOIN task_types ty ON ty.name = 'noop'"
"$AT" --config "$SVCONF" counters rebuild --business biz >/dev/null
wait_for 120 "SELECT COUNT(*) = $N FROM tasks WHERE state = 'succeeded'"
ok $? "all $N tasks succeeded"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$N" "one attempt per task: none ran twice"
is "$(q "SELECT COUNT(*) FROM tasks WHERE attempts <> 1")" 0 "every task counts one attempt"
is "$(q "SELECT COUNT(DISTINCT e.supervisor_id) FROM task_attempts a JOIN executors e ON e.id = a.executor_id")" 2 \
    "both supervisors ran tasks"
is "$(q "SELECT COUNT(DISTINCT executor_id) FROM task_attempts")" 4 "all four executors ran tasks"
sv_stop "$one"
sv_stop "$two"
is "$(q "SELECT COUNT(*) FROM supervisors")" 0 "both unregistered on SIGTERM"
sv_log_clean
done_testing
