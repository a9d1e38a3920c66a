#!/usr/bin/env bash
# tests/supervisor.sh: the real asynctasksd against the real database: it
# registers the plugins' types, runs tasks, survives handlers that crash,
# abort, exit, hang and leak, kills a hung task at its timeout, cancels,
# replaces a killed executor, recovers after a killed supervisor, drains on
# SIGTERM and reloads on SIGHUP without losing a task.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

sv_setup sv noop sleep crash abort exit hang leak slowinit svtest

# ---- refusal to run as root without an account to become ----
if [ "$(id -u)" -eq 0 ]; then
    grep -v '^user = ' "$SVCONF" >"$SVDIR/root.conf"
    OUT=$("$SVD" --config "$SVDIR/root.conf" --pidfile "$SVDIR/root.pid" 2>&1)
    RC=$?
    is "$RC" 1 "as root without user =, asynctasksd refuses to start"
    like "$OUT" 'refusing to run as root: set "user = NAME"' "... and says what to set"
    printf 'user = no-such-account-here\n' >>"$SVDIR/root.conf"
    OUT=$("$SVD" --config "$SVDIR/root.conf" --pidfile "$SVDIR/root.pid" 2>&1)
    like "$OUT" 'user no-such-account-here: no such account' "an unknown account is named"
else
    OUT=$("$SVD" --config "$SVCONF" --check 2>&1)
    ok $? "--check as a normal user"
    skip "root only: asynctasksd started as root"
    skip "root only: asynctasksd started as root"
fi

# ---- started as root with user = NAME, it runs as NAME ----
if [ "$(id -u)" -eq 0 ]; then
    id asynctasks >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin asynctasks
    P=$SVDIR/priv
    # the plugins writable by root alone, as the loader insists; the
    # pidfile's directory the account's, so that it can remove the file
    mkdir -p "$P/plugins" "$P/run" && cp "$(plugin_so noop)" "$P/plugins/" && chmod -R a+rX "$P" &&
        chown asynctasks "$P/run"
    chmod 0711 "$SVDIR"
    { grep -Ev '^(user|plugin_dir|pidfile) ' "$SVCONF"; echo "user = asynctasks"
      echo "plugin_dir = $P/plugins"; echo "pidfile = $P/run/sv.pid"; } >"$P/asynctasks.conf"
    chmod a+r "$P/asynctasks.conf"
    sock=$(sed -n 's/^db_socket = //p' "$SVCONF")
    "$SVD" --config "$P/asynctasks.conf" >"$P/log" 2>&1 &
    ppid=$!
    if runuser -u asynctasks -- sh -c 'test -w "$1"' sh "$sock" 2>/dev/null; then
        wait_for 20 "SELECT COUNT(*) = 2 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $ppid AND e.pid > 0"
        is "$(ps -o user= -p "$ppid" | tr -d ' ')" asynctasks "started as root with user = asynctasks, it runs as asynctasks"
        is "$(for k in $(children_of "$ppid"); do ps -o user= -p "$k"; done | sort -u | tr -d ' ')" \
            asynctasks "... and so do its executors"
        sv_stop "$ppid"
    else
        # the database socket is out of the account's reach from here: the
        # supervisor must still have changed user before trying it
        wait "$ppid"
        is "$?" 69 "started as root with user = asynctasks, it fails on the unreachable database (69)"
        skip "the executors' account: the database socket is out of the asynctasks account's reach"
    fi
    like "$(cat "$P/log")" 'running as asynctasks \(uid [0-9]+\)' "... after becoming asynctasks"
else
    skip "root only: asynctasksd started as root"
    skip "root only: asynctasksd started as root"
    skip "root only: asynctasksd started as root"
fi

# ---- --check ----
OUT=$("$SVD" --config "$SVCONF" --check 2>&1)
is "$?" 0 "--check loads every plugin"
like "$OUT" 'noop\.so	noop	#[0-9]+' "--check lists the noop type with its id"
like "$OUT" 'test\.crash' "... and the test types"
OUT=$("$SVD" --bogus 2>&1)
is "$?" 64 "an unknown option is a usage error (64)"

# ---- start ----
sv_conf executors 2
sv_start
ok $? "the supervisor starts and registers its executors"
is "$(q "SELECT COUNT(*) FROM executors")" 2 "two executors registered"
is "$(cat "$SVDIR/asynctasksd.pid")" "$SVPID" "the pidfile holds the supervisor's pid"
is "$(q "SELECT GROUP_CONCAT(pid ORDER BY pid) FROM executors")" \
    "$(children_of "$SVPID" | paste -sd, -)" "the executors rows are the supervisor's children"
like "$(q "SELECT wake_addr FROM supervisors WHERE pid = $SVPID")" '^127\.0\.0\.1:[0-9]+$' \
    "the wake-up address is advertised"
like "$(q "SELECT name FROM task_types ORDER BY name" | paste -sd' ' -)" \
    'noop sleep test\.abort test\.crash test\.exit test\.hang test\.leak test\.nap' \
    "the plugins' task types are registered"
OUT=$("$SVD" --config "$SVCONF" 2>&1)
is "$?" 73 "a second supervisor on the same pidfile refuses to start"
like "$OUT" "another asynctasksd holds .*asynctasksd.pid \\(pid $SVPID\\)" "... naming the holder"

# ---- a task runs, woken at once (the poll interval here is 10 s) ----
id=$(enqueue noop)
wait_for 5 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "a noop task succeeds well before the 10 s poll: the wake-up works"
is "$(q "SELECT CONCAT(attempts, ' ', result, ' ', duration_us IS NOT NULL) FROM tasks WHERE id = $id")" \
    "1 ok 1" "attempt, result and duration are recorded"
is "$(q "SELECT CONCAT(outcome, ' ', finished_at IS NOT NULL) FROM task_attempts WHERE task_id = $id")" \
    "succeeded 1" "the attempt is in the attempt history"

# ---- parameters: a bad payload fails without a retry ----
id=$(enqueue test.nap "ms=50")
wait_for 5 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "a task with parameters runs"
OUT=$(enqueue test.nap "ms=abc" 2>&1)
ok $(($? == 0)) "a payload that does not fit the declared parameters is refused at enqueue"
like "$OUT" 'ms' "... naming the parameter"

# ---- handlers that crash, abort or exit ----
pids_before=$(children_of "$SVPID" | paste -sd, -)
crash=$(enqueue test.crash)
abort=$(enqueue test.abort)
exitid=$(enqueue test.exit)
bystander=$(enqueue test.nap "ms=1500")
wait_for 30 "SELECT COUNT(*) = 3 FROM tasks WHERE id IN ($crash, $abort, $exitid) AND state = 'failed'"
ok $? "crashing, aborting and exiting handlers end failed"
like "$(q "SELECT last_error FROM tasks WHERE id = $crash")" 'killed by signal 11 \(SIGSEGV\)' \
    "a crash names SIGSEGV"
like "$(q "SELECT last_error FROM tasks WHERE id = $abort")" 'killed by signal 6 \(SIGABRT\)' \
    "an abort names SIGABRT"
like "$(q "SELECT last_error FROM tasks WHERE id = $exitid")" 'exited with status 3' \
    "an exit names its status"
is "$(q "SELECT attempts FROM tasks WHERE id = $crash")" 2 "a crash is retried up to max attempts"
is "$(q "SELECT GROUP_CONCAT(outcome ORDER BY attempt) FROM task_attempts WHERE task_id = $crash")" \
    "retry,failed" "... the history shows a retry, then the failure"
wait_for 10 "SELECT state = 'succeeded' FROM tasks WHERE id = $bystander"
ok $? "a task running beside the crashes is untouched"
is "$(q "SELECT attempts FROM tasks WHERE id = $bystander")" 1 "... and ran once"
wait_for 10 "SELECT COUNT(*) = 2 FROM executors WHERE pid > 0"
ok $? "dead executors are replaced"
pids_after=$(children_of "$SVPID" | paste -sd, -)
ok $([ "$pids_before" != "$pids_after" ] && echo 0 || echo 1) "... by new processes"

# ---- a hung handler is killed at its timeout (2 s), then retried ----
hang=$(enqueue test.hang)
wait_for 20 "SELECT state = 'failed' FROM tasks WHERE id = $hang"
ok $? "a hung handler's task fails"
like "$(q "SELECT last_error FROM tasks WHERE id = $hang")" 'timed out after 2 s' "... with the timeout"
is "$(q "SELECT attempts FROM tasks WHERE id = $hang")" 2 "... after both attempts"

# ---- cancel: should_stop, and a kill for a handler that ignores it ----
nap=$(enqueue test.nap "ms=60000")
wait_started 10 "$nap"
ok $? "a long task is running"
"$AT" --config "$SVCONF" tasks delete --business biz "$nap" >/dev/null
wait_for 5 "SELECT state = 'cancelled' FROM tasks WHERE id = $nap"
ok $? "deleting a running task cancels it through should_stop"
like "$(q "SELECT last_error FROM tasks WHERE id = $nap")" '^cancelled on request' "... and says so"
stub=$(enqueue test.stubborn "ms=60000")
wait_started 10 "$stub"
"$AT" --config "$SVCONF" tasks delete --business biz "$stub" >/dev/null
wait_for 8 "SELECT state = 'cancelled' FROM tasks WHERE id = $stub"
ok $? "a handler that ignores should_stop is killed after cancel_grace"
like "$(q "SELECT last_error FROM tasks WHERE id = $stub")" 'did not stop within 2 s' "... and says so"

# ---- a leaking handler: its executor is replaced ----
sv_stop
sv_conf executor_max_rss_mb 100
sv_start
leak1=$(enqueue test.leak "mib=150")
wait_for 10 "SELECT state = 'succeeded' FROM tasks WHERE id = $leak1"
ok $? "a leaking handler's task still succeeds"
wait_for 10 "SELECT COUNT(*) = 2 FROM executors WHERE pid > 0 AND tasks_run = 0"
ok $? "its executor, above executor_max_rss_mb, was replaced by a fresh one"
like "$(cat "$SVDIR/sv.log")" 'above executor_max_rss_mb 100: exiting to be replaced' "... as the log says"

# ---- slow plugin init: the timeout clock starts after init ----
slow=$(enqueue test.slowinit)
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = $slow"
ok $? "a task of a plugin whose init is slow succeeds"

# ---- kill -9 of an executor in the middle of a task ----
nap=$(enqueue test.nap "ms=3000")
wait_started 10 "$nap"
epid=$(q "SELECT e.pid FROM executors e WHERE e.current_task_id = $nap")
kill -KILL "$epid"
wait_for 10 "SELECT COUNT(*) = 1 FROM task_attempts WHERE task_id = $nap AND outcome = 'retry' AND error LIKE '%signal 9 (SIGKILL)%'"
ok $? "kill -9 of an executor fails that attempt, naming SIGKILL"
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = $nap"
ok $? "... and the task is retried and succeeds"
is "$(q "SELECT attempts FROM tasks WHERE id = $nap")" 2 "... on its second attempt"

# ---- kill -9 of the supervisor: executors die with it; the next one
# ---- on this host recovers the task at once ----
nap=$(enqueue test.nap "ms=4000")
wait_started 10 "$nap"
kids=$(children_of "$SVPID")
kill -KILL "$SVPID"
wait "$SVPID" 2>/dev/null
sleep 0.5
alive=0
# a dead child not yet reaped by init is a zombie: dead all the same
for k in $kids; do
    st=$(ps -o stat= -p "$k" 2>/dev/null)
    case $st in '' | Z*) ;; *) alive=$((alive + 1)) ;; esac
done
is "$alive" 0 "the executors die with a killed supervisor"
is "$(state_of "$nap")" running "the task still looks running"
old=$SVPID
sv_start
wait_for 15 "SELECT COUNT(*) = 1 FROM task_attempts WHERE task_id = $nap AND error LIKE '%supervisor (pid $old %'"
ok $? "the next supervisor on this host recovers the dead one's task"
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = $nap"
ok $? "... which then runs to the end"
is "$(q "SELECT COUNT(*) FROM supervisors WHERE pid = $old")" 0 "the dead supervisor's row is gone"

# ---- a vanished host: recovery by lease ----
q "INSERT INTO supervisors (host, pid, started_at, heartbeat_at) VALUES ('gone.example', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"
gsv=$(q "SELECT id FROM supervisors WHERE host = 'gone.example'")
q "INSERT INTO executors (supervisor_id, host, pid, supervisor_pid, started_at, heartbeat_at) VALUES ($gsv, 'gone.example', 2, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"
gex=$(q "SELECT id FROM executors WHERE host = 'gone.example'")
# paused while it is made to look claimed there, its lease run out; the
# bookkeeping is rebuilt after the write around the library
"$AT" --config "$SVCONF" pause type --business biz noop >/dev/null
lost=$(enqueue noop)
q "UPDATE tasks SET state = 'running', attempts = 1, max_attempts = 3, lease_owner = $gex, lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND, started_at = UTC_TIMESTAMP(6) WHERE id = $lost"
q "UPDATE executors SET current_task_id = $lost WHERE id = $gex"
"$AT" --config "$SVCONF" counters rebuild --business biz >/dev/null
"$AT" --config "$SVCONF" resume type --business biz noop >/dev/null
wait_for 15 "SELECT state = 'succeeded' FROM tasks WHERE id = $lost"
ok $? "a task whose lease ran out is recovered and runs"
like "$(q "SELECT last_error IS NULL FROM tasks WHERE id = $lost")" 1 "... its success clears the error"
grep -q 'recovered 1 task whose lease ran out' "$SVDIR/sv.log"
ok $? "... and the log tells"

# ---- a stored payload that cannot be read fails alone ----
"$AT" --config "$SVCONF" pause type --business biz test.nap >/dev/null # out of the way while broken
bad=$(enqueue test.nap "ms=1")
q "UPDATE tasks SET payload = 'not deflated', payload_encoding = 1, payload_size = 5 WHERE id = $bad"
"$AT" --config "$SVCONF" resume type --business biz test.nap >/dev/null
good=$(enqueue noop)
wait_for 10 "SELECT COUNT(*) = 2 FROM tasks WHERE (id = $bad AND state = 'failed') OR (id = $good AND state = 'succeeded')"
ok $? "a task whose stored payload is damaged fails, and the queue goes on"
like "$(q "SELECT last_error FROM tasks WHERE id = $bad")" 'does not decompress' "... saying why"

# ---- a long task does not hold the rest of its batch ----
# One executor learns that test.nap is quick, so it claims it in batches:
# [6 s, quick, quick, quick] of one lane, and starts the long one. A
# second supervisor then starts: its executor finds the quick ones only
# if the first supervisor gives them back, and runs them long before the
# 6 s are over.
sv_stop
sv_conf executors 1
sv_start
for i in 1 2 3 4 5 6; do enqueue test.nap "ms=0" >/dev/null; done
wait_for 10 "SELECT COUNT(*) = 0 FROM tasks WHERE state IN ('queued', 'running')"
"$AT" --config "$SVCONF" pause type --business biz test.nap >/dev/null
long=$(enqueue test.nap "ms=6000")
quick=""
for i in 1 2 3; do quick="$quick${quick:+,}$(enqueue test.nap "ms=0")"; done
"$AT" --config "$SVCONF" resume type --business biz test.nap >/dev/null
wait_started 10 "$long"
first=$SVPID
sv_start "$SVDIR/second.pid"
second=$SVPID
wait_for 15 "SELECT COUNT(*) = 3 FROM tasks WHERE id IN ($quick) AND state = 'succeeded'"
ok $? "the quick tasks of the batch ran"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id = $long AND state = 'running'")" 1 \
    "... while the long one still ran: its batch was given back"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($quick) AND attempts = 1")" 3 \
    "... each in one attempt"
like "$(cat "$SVDIR/sv.log")" "runs task #$long for long: [1-3] tasks? of its batch given back" \
    "... which the first supervisor gave back from the long one's batch"
wait_for 15 "SELECT state = 'succeeded' FROM tasks WHERE id = $long"
ok $? "the long one ends as it should"
sv_stop "$second"
sv_stop "$first"
sv_conf executors 2
sv_start

# ---- SIGTERM: running tasks finish within the grace ----
a=$(enqueue test.nap "ms=1500")
b=$(enqueue test.nap "ms=1500")
wait_started 10 "$a"
wait_started 10 "$b"
kill -TERM "$SVPID"
wait "$SVPID"
is "$?" 0 "SIGTERM: the supervisor exits 0"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($a, $b) AND state = 'succeeded'")" 2 \
    "... after its running tasks finished"
is "$(q "SELECT COUNT(*) FROM supervisors WHERE pid = $SVPID")" 0 "... unregistered"
ok $([ ! -e "$SVDIR/asynctasksd.pid" ] && echo 0 || echo 1) "... pidfile removed"

# ---- SIGTERM with a task longer than the grace: put back, not failed ----
sv_conf shutdown_grace 1
sv_start
long=$(enqueue test.nap "ms=30000")
wait_started 10 "$long"
kill -TERM "$SVPID"
wait "$SVPID"
is "$(q "SELECT CONCAT(state, ' ', attempts) FROM tasks WHERE id = $long")" "queued 0" \
    "a task still running at the end of the grace is queued again, attempt refunded"
like "$(q "SELECT last_error FROM tasks WHERE id = $long")" 'requeued: the supervisor shut down' \
    "... saying why"
"$AT" --config "$SVCONF" tasks delete --business biz "$long" >/dev/null

# ---- SIGHUP: new configuration and plugins, executors one by one ----
sv_conf shutdown_grace 5 executors 2
sv_start
old_kids=$(children_of "$SVPID" | paste -sd' ' -)
ids=""
for i in 1 2 3 4 5 6; do ids="$ids${ids:+,}$(enqueue test.nap "ms=700")"; done
wait_for 10 "SELECT COUNT(*) >= 1 FROM tasks WHERE id IN ($ids) AND state = 'running'"
rm -f "$SVDIR/plugins/crash.so"
sv_conf executors 3
kill -HUP "$SVPID"
wait_for 30 "SELECT COUNT(*) = 6 FROM tasks WHERE id IN ($ids) AND state = 'succeeded'"
ok $? "SIGHUP while tasks run: every task succeeds"
is "$(q "SELECT SUM(attempts) FROM tasks WHERE id IN ($ids)")" 6 "... each in one attempt"
wait_for 15 "SELECT COUNT(*) = 3 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $SVPID AND e.pid > 0"
ok $? "the reloaded configuration's executor count applies"
new_kids=$(children_of "$SVPID" | paste -sd' ' -)
same=0
for k in $old_kids; do case " $new_kids " in *" $k "*) same=$((same + 1)) ;; esac; done
is "$same" 0 "every executor was replaced"
crash=$(enqueue test.crash)
sleep 1.5
is "$(state_of "$crash")" queued "a type whose plugin was removed is no longer run"
"$AT" --config "$SVCONF" tasks delete --business biz "$crash" >/dev/null
printf 'executors = many\n' >>"$SVCONF"
kill -HUP "$SVPID"
sleep 1
like "$(tail -n 20 "$SVDIR/sv.log")" 'keeping the old configuration' "a bad configuration on SIGHUP is refused"
kill -0 "$SVPID"
ok $? "... and the supervisor goes on"
sv_conf # the good configuration again, for the CLI
id=$(enqueue noop)
wait_for 5 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "... running tasks"
sv_stop
# after crashes, kills, timeouts, cancels and recoveries
OUT=$("$AT" --config "$SVCONF" counters check --business biz)
is "$?" 0 "the business's totals equal the tasks' own count: $(echo $OUT)"

sv_log_clean
done_testing
