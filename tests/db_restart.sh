#!/usr/bin/env bash
# tests/db_restart.sh: MariaDB restarts while tasks run. The supervisor and
# its executors reconnect, results written during the outage wait for the
# database, and every task ends succeeded: nothing is lost. The outage is
# logged once when it begins and once when it ends. Runs after every
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
# the outage is one event in each process's log, not a line per try
starts=$(grep -c 'retrying, and saying so when it works again' "$SVDIR/sv.log")
ends=$(grep -c 'working again after [0-9]* failed tr' "$SVDIR/sv.log")
most=$(grep 'retrying, and saying so when it works again' "$SVDIR/sv.log" |
    sed -n 's/.*asynctasksd\[\([0-9]*\)\].*/\1/p' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
once=$([ "$starts" -ge 1 ] && [ "${most:-0}" -eq 1 ]; echo $?)
ok "$once" "the outage was logged when it began, once by each process that met it ($starts processes)"
if [ "$once" -ne 0 ]; then
    grep -E 'retrying, and saying so|working again after|still failing' "$SVDIR/sv.log" |
        while IFS= read -r line; do diag "$line"; done
fi
is "$ends" "$starts" "and once when it ended, with the count of failed tries"
grep 'working again after' "$SVDIR/sv.log" | head -n 3 | while IFS= read -r line; do diag "$line"; done
is "$(q "SELECT COUNT(*) FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $SVPID")" 3 \
    "three executors are still registered"
id=$(enqueue test.nap "ms=1")
wait_for 10 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "a task enqueued after the restart runs"
sv_stop
sv_log_clean
done_testing
