#!/usr/bin/env bash
# tests/pidns.sh: supervisors in two pid namespaces of one host share its
# hostname and one database, and neither takes the other for dead, though
# the pid each registered names no process in the other's namespace: only
# a supervisor of the same boot and pid namespace judges another by its
# pid. Tasks run on both for 15 s (three recovery passes) and none of them
# is ended, retried or moved. Then a supervisor is killed, and another of
# its own namespace recovers its tasks within the 5 s of a recovery pass;
# a pid taken again by another process counts as gone, and a supervisor
# that could not tell its neighbourhood is judged by nobody.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

if [ "$(id -u)" -ne 0 ]; then
    skip "a new pid namespace needs root"
    done_testing
    exit
fi
command -v unshare >/dev/null && command -v nsenter >/dev/null || bail "unshare and nsenter are needed"

sv_setup pidns svtest
sv_conf executors 2 poll_interval_ms 200

# ns_start NSPID : a supervisor in a new pid namespace with its own /proc,
# as pid NSPID there, so that its pid names no process here either; its log
# is $SVDIR/ns.log. Sets NSJOB (unshare, whose death ends the namespace).
ns_start() {
    # shellcheck disable=SC2016
    unshare --pid --fork --mount-proc --kill-child sh -c '
        echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid || exit 1
        "$2" --config "$3" --pidfile "$4" &
        wait $!' sh "$1" "$SVD" "$SVCONF" "$SVDIR/ns.pid" >>"$SVDIR/ns.log" 2>&1 &
    NSJOB=$!
    wait_for 20 "SELECT COUNT(*) >= 1 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $1 AND e.pid > 0" ||
        { diag "the supervisor in a new pid namespace did not start; log:"; sed 's/^/#   /' "$SVDIR/ns.log" | tail -n 20; }
}

# start_of PID : the process's start time, field 22 of its stat (counted
# after the command name, which may hold spaces)
start_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }

# recovered LOG PID : the lines in which the supervisor PID logged a recovery
recovered() { grep -E "\[$2\] .*(recovered the tasks of dead supervisor|registering again)" "$1"; }

# ---- one supervisor here, one in a new pid namespace ----
sv_start "$SVDIR/host.pid"
A=$SVPID
AID=$(q "SELECT id FROM supervisors WHERE pid = $A")
NSPID=300001
while [ -e "/proc/$NSPID" ] || [ "$NSPID" -eq "$A" ]; do NSPID=$((NSPID + 1000)); done
ns_start "$NSPID"
BID=$(q "SELECT id FROM supervisors WHERE pid = $NSPID")
BH=$(children_of "$(children_of "$NSJOB")")
[ -n "$AID" ] && [ -n "$BID" ] && [ -n "$BH" ] || bail "the two supervisors did not start"
# what made the old rule take each for dead: its pid is gone in the other's eyes
kill -0 "$NSPID" 2>/dev/null
ok "$((!$?))" "the namespaced supervisor's pid ($NSPID) names no process here"
nsenter -t "$BH" -p -m sh -c "kill -0 $A" 2>/dev/null
ok "$((!$?))" "this namespace's supervisor's pid ($A) names no process in the other namespace"
is "$(q "SELECT COUNT(DISTINCT host), COUNT(DISTINCT neighbourhood), COUNT(*) FROM supervisors")" \
    "1	2	2" "the two supervisors share a hostname but not a neighbourhood"
like "$(q "SELECT neighbourhood FROM supervisors WHERE id = $AID")" \
    "^$(cat /proc/sys/kernel/random/boot_id) $(readlink /proc/self/ns/pid | sed 's/[][]/\\&/g')\$" \
    "a neighbourhood is the boot id and the pid namespace"
is "$(q "SELECT pid_start FROM supervisors WHERE id = $AID")" "$(start_of "$A")" \
    "the supervisor's start time is registered with its pid"

# ---- four long tasks, two on each ----
tasks=
for _ in 1 2 3 4; do tasks="$tasks${tasks:+,}$(enqueue test.nap "ms=45000")"; done
wait_for 20 "SELECT COUNT(*) = 4 AND COUNT(DISTINCT e.supervisor_id) = 2 FROM tasks t JOIN executors e ON e.id = t.lease_owner WHERE t.id IN ($tasks) AND t.state = 'running' AND t.started_at IS NOT NULL"
ok $? "the four tasks run, on both supervisors"
leases() { q "SELECT GROUP_CONCAT(id, ':', lease_owner, ':', attempts ORDER BY id) FROM tasks WHERE id IN ($tasks)"; }
before=$(leases)

sleep 15
is "$(recovered "$SVDIR/sv.log" "$A")" "" "in 15 s the supervisor here recovered nobody and did not register again"
is "$(recovered "$SVDIR/ns.log" "$NSPID")" "" "... nor did the one in the other namespace"
is "$(q "SELECT GROUP_CONCAT(id ORDER BY id) FROM supervisors")" "$AID,$BID" \
    "both supervisors keep their rows"
is "$(q "SELECT COUNT(*) FROM task_attempts WHERE task_id IN ($tasks)")" 0 \
    "no attempt of the running tasks was ended (none failed or retried)"
is "$(leases)" "$before" "every task is still leased to its executor, in its first attempt"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($tasks) AND state = 'running'")" 4 \
    "the four tasks still run"

# ---- a supervisor killed in a shared namespace is recovered ----
sv_start "$SVDIR/third.pid"
C=$SVPID
is "$(q "SELECT COUNT(DISTINCT neighbourhood) FROM supervisors WHERE pid IN ($A, $C)")" 1 \
    "a second supervisor here is the first one's neighbour"
held=$(q "SELECT GROUP_CONCAT(t.id ORDER BY t.id) FROM tasks t JOIN executors e ON e.id = t.lease_owner WHERE t.id IN ($tasks) AND e.supervisor_id = $AID")
nheld=$(q "SELECT COUNT(*) FROM tasks t JOIN executors e ON e.id = t.lease_owner WHERE t.id IN ($tasks) AND e.supervisor_id = $AID")
is "$nheld" 2 "the supervisor to be killed runs two of the tasks"
kill -KILL "$A"
wait "$A" 2>/dev/null
# The recovery pass runs every 5 s; one more second for this poll's queries.
wait_for 6 "SELECT COUNT(*) = $nheld FROM task_attempts WHERE task_id IN ($held) AND outcome = 'retry' AND error LIKE '%supervisor (pid $A %'"
ok $? "its neighbour recovers the killed supervisor's tasks within 5 s, as a dead supervisor's"
like "$(recovered "$SVDIR/sv.log" "$C")" "recovered the tasks of dead supervisor #$AID \(pid $A\)" \
    "... and says so in its log"
is "$(recovered "$SVDIR/ns.log" "$NSPID")" "" "the supervisor in the other namespace recovered nothing"
is "$(q "SELECT COUNT(*) FROM supervisors WHERE id = $AID")" 0 "the killed supervisor's row is gone"
is "$(q "SELECT COUNT(*) FROM task_attempts WHERE task_id IN ($tasks) AND task_id NOT IN ($held)")" 0 \
    "the tasks of the live supervisor in the other namespace were left alone"

# ---- a pid taken again, and a supervisor that could not tell ----
# Rows as another supervisor would have registered them: one whose pid now
# names a process started at another time, one whose pid and start match
# a live process, one of unknown neighbourhood whose pid is gone.
sleep 120 &
other=$!
start=$(start_of "$other")
hood=$(q "SELECT neighbourhood FROM supervisors WHERE pid = $C")
gone=$NSPID
while kill -0 "$gone" 2>/dev/null; do gone=$((gone + 1)); done
fake() { # fake NEIGHBOURHOOD PID START : a supervisors row; prints its id
    q "INSERT INTO supervisors (host, neighbourhood, pid, pid_start, started_at, heartbeat_at)
       VALUES ('fake', $1, $2, $3, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) RETURNING id"
}
alive=$(fake "'$hood'" "$other" "$start")
unknown=$(fake NULL "$gone" 0)
reused=$(fake "'$hood'" "$other" "$((start - 1))")
wait_for 6 "SELECT COUNT(*) = 0 FROM supervisors WHERE id = $reused"
ok $? "a neighbour whose pid names a process started at another time is taken for dead"
is "$(q "SELECT GROUP_CONCAT(id ORDER BY id) FROM supervisors WHERE host = 'fake'")" "$alive,$unknown" \
    "in the same pass, one whose pid and start match lives on, and one of no known neighbourhood is left to its lease"
q "DELETE FROM supervisors WHERE host = 'fake'"
kill "$other"

kill -TERM "$BH"
wait "$NSJOB" 2>/dev/null
sv_stop "$C"
is "$(q "SELECT COUNT(*) FROM supervisors")" 0 "both live supervisors unregistered on SIGTERM"
sv_log_clean
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$SVDIR/ns.log" >/dev/null 2>&1; then
    ok 1 "no sanitizer report in the namespaced supervisor's log"
else
    ok 0 "no sanitizer report in the namespaced supervisor's log"
fi
done_testing
