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
OUT=$(yes "$(printf 'biz\tu@example.com\tnoop')" | head -n "$N" |
    "$AT" --config "$SVCONF" enqueue --from - 2>&1)
is "$OUT" "enqueued $N tasks" "$N tasks enqueued at once"
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
