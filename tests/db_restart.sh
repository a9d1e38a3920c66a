#!/usr/bin/env bash
# tests/db_restart.sh: MariaDB restarts while tasks run. The supervisor and
# its executors reconnect, results written during the outage wait for the
# database, and every task ends succeeded: nothing is lost. Runs after every
# other test (see Makefile.am), since the restart would upset them.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

[ -n "${ASYNCTASKS_TEST_ROOT:-}" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run the tests through dev/check"
N=60
sv_setup restart svtest
sv_conf executors 3 poll_interval_ms 200
sv_start
ids=""
# a second each: whenever the outage starts, all three executors are mid-task
for i in $(seq 1 $N); do ids="$ids${ids:+,}$(enqueue test.nap "ms=1000")"; done
wait_for 30 "SELECT COUNT(*) >= 3 FROM tasks WHERE id IN ($ids) AND state = 'succeeded'"
ok $? "tasks are running before the restart"
bash -c '. "$1/dev/lib.sh" && at_db_stop && sleep 2 && at_db_start' restart \
    "$ASYNCTASKS_TEST_ROOT" >"$SVDIR/restart.log" 2>&1
ok $? "MariaDB stopped and started again"
kill -0 "$SVPID"
ok $? "the supervisor lived through the outage"
wait_for 120 "SELECT COUNT(*) = $N FROM tasks WHERE id IN ($ids) AND state = 'succeeded'"
ok $? "every task succeeded after the restart"
diag "states: $(q "SELECT GROUP_CONCAT(CONCAT(state, ':', n)) FROM (SELECT state, COUNT(*) n FROM tasks GROUP BY state) x")"
is "$(q "SELECT COUNT(*) FROM task_attempts WHERE outcome = 'running'")" 0 "no attempt is left open"
grep -q 'recorded once the database was back' "$SVDIR/sv.log"
ok $? "results of tasks that ended during the outage waited for the database"
is "$(q "SELECT COUNT(*) FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $SVPID")" 3 \
    "three executors are still registered"
id=$(enqueue test.nap "ms=1")
wait_for 10 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "a task enqueued after the restart runs"
sv_stop
sv_log_clean
done_testing
