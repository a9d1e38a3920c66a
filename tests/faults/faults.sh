#!/usr/bin/env bash
# tests/faults/faults.sh: faults under a mixed load. The load of
# tests/faults/load.sh (single and bulk enqueues over the HTTP API, list
# pages read through nginx, pauses and resumes from the screen and the
# command line) runs for ASYNCTASKS_FAULTS_SECONDS (60), with
# ASYNCTASKS_FAULTS_BULK (50) tasks a bulk request, on two supervisors
# while this test kills an executor every few seconds, kills a supervisor
# and starts it again, kills a FastCGI worker and then the FastCGI master
# and starts it again, restarts MariaDB, fills the spool file system (a
# tmpfs of its own) under export tasks, and a plugin hangs and another
# crashes on some payloads. Each fault is checked to have happened. Then,
# with every task run, the invariants of a task system are checked in SQL
# and against what the load was answered, and printed as a table. Runs
# after every other test, alone (see Makefile.am): it restarts MariaDB.
# Needs root, for the tmpfs.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"
. "$top_srcdir/tests/faults/load.sh"
[ -n "${ASYNCTASKS_TEST_ROOT:-}" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run the tests through dev/check"
. "$ASYNCTASKS_TEST_ROOT/dev/lib.sh"
[ "$(id -u)" -eq 0 ] || {
    skip "tests/faults/faults.sh mounts a tmpfs for the spool: it must run as root"
    done_testing
    exit 1
}

SECONDS_LOAD=${ASYNCTASKS_FAULTS_SECONDS:-60}
[[ $SECONDS_LOAD =~ ^[0-9]+$ ]] && [ "$SECONDS_LOAD" -ge 40 ] ||
    bail "ASYNCTASKS_FAULTS_SECONDS must be a number of seconds, at least 40 (the faults take that long)"
url_port=${ASYNCTASKS_TEST_URL##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
# beside the test screen: its port + 20 (tests/bench.sh takes + 10 and up)
PORT=$((url_port + 20))
WEB=test/faults
FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi

sv_setup faults svtest faulty export
sv_conf executors 2 poll_interval_ms 200
SPOOL=$SVDIR/spool
EV=$SVDIR/events # START END NAME: the faults' windows, epoch microseconds

cleanup() {
    [ -z "${LOAD_DIR:-}" ] || touch "$LOAD_DIR/stop"
    sv_cleanup
    at_web_stop "$WEB"
    # a test that died mid-outage leaves the server as it found it
    at_db_running >/dev/null 2>&1 || at_db_start >/dev/null 2>&1
    if mountpoint -q "$SPOOL"; then umount "$SPOOL" || umount -l "$SPOOL"; fi
}
trap cleanup EXIT

mount -t tmpfs -o size=1m,mode=0755 at-faults-spool "$SPOOL" || bail "cannot mount a tmpfs on $SPOOL"
at_web_start "$WEB" "$PORT" "$SVCONF" "$FCGI" >/dev/null || bail "cannot start nginx and the app on port $PORT"
FPID=$(at_web_dir "$WEB")/fcgi.pid
sv_start "$SVDIR/one.pid"
SV1=$SVPID
sv_start "$SVDIR/two.pid"
SV2=$SVPID
wait_for 10 "SELECT COUNT(*) = 2 FROM task_types WHERE name LIKE 'test.faulty.%'" || bail "the faulty plugin's types"

LOAD_DIR=$SVDIR/load LOAD_AT=$AT LOAD_CONF=$SVCONF LOAD_URL=http://127.0.0.1:$PORT LOAD_BIZ=faults
LOAD_TYPES=(test.storm.0 test.faulty.hang test.storm.1 test.faulty.crash test.storm.2 test.storm.3)
LOAD_FAULTS=1 LOAD_BULK=${ASYNCTASKS_FAULTS_BULK:-50}
load_q() { q "$1"; }
load_setup || bail "the load's business, people, token and session"
BIZ_ID=$(q "SELECT id FROM businesses WHERE slug = 'faults'")

now() { load_now; }
event() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$EV"; }
# gone PID : the process has ended (gone, or a zombie not reaped yet).
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
executors_of() { # executors_of PID... : their live executors' pids
    local p
    for p in "$@"; do
        q "SELECT e.pid FROM executors e JOIN supervisors s ON s.id = e.supervisor_id
           WHERE s.pid = $p AND e.pid > 0" 2>/dev/null
    done | while read -r p; do [ -d "/proc/$p" ] && ! gone "$p" && echo "$p"; done
}

# ---- kill -9 a random executor every 3 s, for the whole load ----
killer() {
    local p t
    while [ ! -e "$LOAD_DIR/stop" ]; do
        sleep 3
        p=$(executors_of "$(cat "$SVDIR/one.pid")" "$(cat "$SVDIR/two.pid")" 2>/dev/null | shuf -n 1)
        [ -n "$p" ] || continue
        t=$(now)
        kill -KILL "$p" 2>/dev/null || continue
        if wait_until 5 gone "$p"; then
            echo "$t $p killed"
        else
            echo "$t $p survived"
        fi
    done >>"$SVDIR/executor-kills"
}

T0=$(now)
load_start || bail "the load did not start"
killer &
KILLER=$!
at() { # at SECONDS : sleeps until that many seconds after the load began
    local d=$((T0 + $1 * 1000000 - $(now)))
    [ "$d" -le 0 ] || sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
}

# ---- a supervisor: kill -9, then started again ----
at 6
# (an executor killed twice within 5 s of its start is replaced after a
# delay: wait for one)
wait_until 30 eval '[ -n "$(executors_of "$SV1")" ]'
ex1=$(executors_of "$SV1" | tr '\n' ' ')
kill -KILL "$SV1"
wait "$SV1"
is "$?" 137 "fault: supervisor one (pid $SV1) was killed by SIGKILL"
left=""
for p in $ex1; do wait_until 5 gone "$p" || left="$left $p"; done
is "${ex1:+x}${left:-}" "x" "fault: its executors ($ex1) died with it"
sleep 2
sv_start "$SVDIR/one.pid"
SV1=$SVPID
kill -0 "$SV1" 2>/dev/null
ok $? "fault: supervisor one started again on its pidfile (pid $SV1)"

# ---- a FastCGI worker, then the master: kill -9 ----
at 14
MASTER=$(cat "$FPID")
nw=$(pgrep -c -P "$MASTER")
w=$(pgrep -P "$MASTER" | shuf -n 1)
t=$(now)
kill -KILL "$w"
wait_until 5 gone "$w"
ok $? "fault: a FastCGI worker (pid $w) was killed"
event "$t" "$(now)" worker-kill
wait_until 5 eval '[ "$(pgrep -P "$MASTER" | grep -cvx "$w")" -eq "$nw" ]'
ok $? "the master started a worker in its place ($nw workers)"
at 18
ws=$(pgrep -P "$MASTER" | tr '\n' ' ')
t=$(now)
kill -KILL "$MASTER"
wait_until 5 gone "$MASTER"
ok $? "fault: the FastCGI master (pid $MASTER) was killed"
# its workers end with it, once they have answered what they serve
left=""
for p in $ws; do wait_until 35 gone "$p" || left="$left $p"; done
is "${ws:+x}${left:-}" x "its workers ($ws) ended with it"
# started again as its service would be: same command, tried again until
# the old workers have let go of the socket
started=1
for _ in $(seq 1 40); do
    at_web_app_start "$WEB" "$SVCONF" "$FCGI" 2>>"$SVDIR/app-restarts" && { started=0; break; }
    sleep 0.5
done
ok $started "the FastCGI master started again (pid $(cat "$FPID" 2>/dev/null))"
event "$t" "$(now)" app-down

# ---- MariaDB: stopped, started again ----
at 26
t=$(now)
at_db_stop >/dev/null 2>&1
! at_db_ping
ok $? "fault: MariaDB is down"
sleep 3
at_db_start >/dev/null 2>&1
at_db_ping
ok $? "MariaDB is up again"
event "$t" "$(now)" db-down

# ---- the spool: full under export tasks, then free again ----
at 34
dd if=/dev/zero of="$SPOOL/fill" bs=64k 2>"$SVDIR/dd.err"
grep -q 'No space left on device' "$SVDIR/dd.err"
ok $? "fault: the spool file system filled up"
is "$(df --output=avail -B1 "$SPOOL" | tail -n 1 | tr -d ' ')" 0 "... to its last byte"
full_ids=""
for i in 1 2 3; do
    full_ids="$full_ids${full_ids:+,}$("$AT" --config "$SVCONF" enqueue --business faults \
        --user "${LOAD_MEMBERS[0]}" --type export)"
done
wait_for 20 "SELECT COUNT(*) >= 1 FROM task_attempts WHERE task_id IN ($full_ids) AND error LIKE '%No space left%'"
ok $? "exports met the full spool and said so ($(q "SELECT error FROM task_attempts WHERE task_id IN ($full_ids) AND error LIKE '%No space left%' LIMIT 1"))"
rm -f "$SPOOL/fill"
free_ids=""
for i in 1 2; do
    free_ids="$free_ids${free_ids:+,}$("$AT" --config "$SVCONF" enqueue --business faults \
        --user "${LOAD_MEMBERS[0]}" --type export)"
done

# ---- the rest of the load, 10 s after the last outage at least ----
at "$SECONDS_LOAD"
sleep "$(awk -v last="$(awk 'END { print $2 }' "$EV")" -v now="$(now)" \
    'BEGIN { d = (last + 10000000 - now) / 1e6; print (d > 0 ? d : 0) }')"
load_stop
wait "$KILLER"
diag "load: $(wc -l <"$LOAD_DIR/api") tasks sent, $(wc -l <"$LOAD_DIR/pages") pages read, $(wc -l <"$LOAD_DIR/ops") pauses and resumes"
kills=$(grep -c ' killed$' "$SVDIR/executor-kills")
ok "$([ "$kills" -ge 3 ]; echo $?)" "fault: executors were killed by SIGKILL every 3 s ($kills of them)"
is "$(grep -c ' survived$' "$SVDIR/executor-kills")" 0 "... and each one died"

# ---- every task to its end ----
"$AT" --config "$SVCONF" resume all --business faults >/dev/null
wait_for 240 "SELECT COUNT(*) = 0 FROM tasks WHERE business_id = $BIZ_ID AND state IN ('queued', 'running')"
ok $? "after the load and a Resume All every task ended"
q "SELECT COUNT(*) FROM task_attempts a JOIN tasks t ON t.id = a.task_id
   WHERE t.type_name = 'test.faulty.hang' AND a.error LIKE '%timed out%'" >"$SVDIR/n"
ok "$([ "$(cat "$SVDIR/n")" -ge 1 ]; echo $?)" "fault: the plugin hung on some payloads, and its timeout ended it ($(cat "$SVDIR/n") attempts)"
q "SELECT COUNT(*) FROM task_attempts a JOIN tasks t ON t.id = a.task_id
   WHERE t.type_name = 'test.faulty.crash' AND a.error LIKE '%SIGSEGV%'" >"$SVDIR/n"
ok "$([ "$(cat "$SVDIR/n")" -ge 1 ]; echo $?)" "fault: the other crashed on some payloads ($(cat "$SVDIR/n") attempts)"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($free_ids) AND state = 'succeeded'")" 2 \
    "exports enqueued once the spool had room again succeeded"
sv_stop "$SV1"
sv_stop "$SV2"

# ---- the invariants ----
# What the load was answered, as tables beside the product's.
{
    echo "CREATE TABLE load_api (tag VARCHAR(64), status INT, id BIGINT UNSIGNED NULL, s BIGINT, e BIGINT);"
    awk '{ gsub("_", " ", $4); printf "INSERT INTO load_api VALUES (\x27%s\x27, %d, %s, %s, %s);\n", $4, $3, ($5 == "-" ? "NULL" : $5), $1, $2 }' "$LOAD_DIR/api"
    echo "CREATE TABLE load_ops (via VARCHAR(8), action VARCHAR(16), kind VARCHAR(16), target BIGINT UNSIGNED, status INT, tag VARCHAR(64), s BIGINT, e BIGINT);"
    awk '{ printf "INSERT INTO load_ops VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27, %s, %d, \x27%s\x27, %s, %s);\n", $3, $4, ($5 == "type" ? "task_type" : $5), $6, $7, $8, $1, $2 }' "$LOAD_DIR/ops"
    echo "CREATE TABLE load_pages (status INT, s BIGINT, e BIGINT);"
    awk '{ printf "INSERT INTO load_pages VALUES (%d, %s, %s);\n", $3, $1, $2 }' "$LOAD_DIR/pages"
    echo "CREATE TABLE load_events (name VARCHAR(32), s BIGINT, e BIGINT);"
    awk '{ printf "INSERT INTO load_events VALUES (\x27%s\x27, %s, %s);\n", $3, $1, $2 }' "$EV"
} >"$SVDIR/load.sql"
sql "$SVDB" <"$SVDIR/load.sql" || bail "cannot load the load's records"

TABLE=()
# inv NAME EXPECTED FOUND : a row of the table and a test point.
inv() {
    local r=ok
    [ "$2" = "$3" ] || r=FAIL
    TABLE+=("$(printf '| %s | %s | %s | %s |' "$1" "$2" "$3" "$r")")
    is "$3" "$2" "invariant: $1"
}
OK2XX="status BETWEEN 200 AND 299"
inv "tasks the API answered 2xx for, sent" ">0" "$(q "SELECT IF(COUNT(*) > 0, '>0', '0') FROM load_api WHERE $OK2XX")"
inv "answered tasks not present exactly once, under the id answered" 0 \
    "$(q "SELECT COUNT(*) FROM load_api a WHERE $OK2XX AND (a.id IS NULL
          OR (SELECT COUNT(*) FROM tasks t WHERE t.business_id = $BIZ_ID AND t.payload = a.tag) <> 1
          OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.id AND t.payload = a.tag))")"
inv "unanswered tasks present more than once" 0 \
    "$(q "SELECT COUNT(*) FROM load_api a WHERE NOT ($OK2XX)
          AND (SELECT COUNT(*) FROM tasks t WHERE t.business_id = $BIZ_ID AND t.payload = a.tag) > 1")"
inv "tasks nobody enqueued" 0 \
    "$(q "SELECT COUNT(*) FROM tasks t WHERE t.business_id = $BIZ_ID AND t.type_name <> 'export'
          AND NOT EXISTS (SELECT 1 FROM load_api a WHERE a.tag = t.payload)")"
inv "tasks not in a final state" 0 \
    "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $BIZ_ID
          AND (state NOT IN ('succeeded', 'failed', 'cancelled') OR finished <> 1)")"
inv "tasks whose attempt count differs from their attempts' rows" 0 \
    "$(q "SELECT COUNT(*) FROM tasks t WHERE t.business_id = $BIZ_ID AND t.attempts <>
          (SELECT COUNT(*) FROM task_attempts a WHERE a.task_id = t.id AND a.outcome <> 'requeued')")"
inv "attempts after a succeeded one (a task ran twice)" 0 \
    "$(q "SELECT COUNT(*) FROM task_attempts a JOIN task_attempts b ON b.task_id = a.task_id
          AND b.attempt > a.attempt WHERE a.business_id = $BIZ_ID AND a.outcome = 'succeeded'")"
inv "runs again after an attempt that does not say why it ended" 0 \
    "$(q "SELECT COUNT(*) FROM task_attempts a WHERE a.business_id = $BIZ_ID
          AND EXISTS (SELECT 1 FROM task_attempts b WHERE b.task_id = a.task_id AND b.attempt > a.attempt)
          AND (a.outcome NOT IN ('retry', 'requeued') OR COALESCE(a.error, '') = '')")"
inv "succeeded tasks without exactly one succeeded attempt, their last" 0 \
    "$(q "SELECT COUNT(*) FROM tasks t WHERE t.business_id = $BIZ_ID AND t.state = 'succeeded'
          AND ((SELECT COUNT(*) FROM task_attempts a WHERE a.task_id = t.id AND a.outcome = 'succeeded') <> 1
               OR (SELECT a.outcome FROM task_attempts a WHERE a.task_id = t.id
                   ORDER BY a.attempt DESC LIMIT 1) <> 'succeeded')")"
inv "attempts still open" 0 "$(q "SELECT COUNT(*) FROM task_attempts WHERE business_id = $BIZ_ID AND outcome = 'running'")"
inv "attempts of tasks created while a pause held them (the check sees pauses)" ">0" \
    "$(pause_in_force t.created_at | awk '{ print ($1 > 0 ? ">0" : $1) }')"
inv "starts while a matching pause was in force (audit log)" 0 "$(pause_in_force a.started_at)"
inv "pauses answered success without their audit entry" 0 \
    "$(q "SELECT COUNT(*) FROM load_ops o WHERE o.action = 'pause' AND o.status = IF(o.via = 'web', 303, 0)
          AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.business_id = $BIZ_ID AND l.action = 'pause'
                          AND l.reason = o.tag AND l.target_kind = o.kind AND l.target_id = o.target)")"
# a resume carries no text of its own: per target and way, the entries
# must cover the resumes answered success, and be no more than those
# plus the ones whose answer was lost (no answer or 5xx from the screen;
# exit 69, the database failing, from the command line)
inv "resumes answered success without their audit entry, or entries no resume made" 0 \
    "$(q "WITH r AS (SELECT via, kind, target, SUM(status = IF(via = 'web', 303, 0)) AS good,
                            SUM(IF(via = 'web', status = 0 OR status >= 500, status = 69)) AS lost
                     FROM load_ops WHERE action = 'resume' GROUP BY via, kind, target),
            l AS (SELECT IF(actor LIKE 'cli:%', 'cli', 'web') AS via, target_kind AS kind, target_id AS target,
                         COUNT(*) AS n FROM audit_log
                  WHERE business_id = $BIZ_ID AND action = 'resume' GROUP BY 1, 2, 3)
       SELECT COUNT(*) FROM r LEFT JOIN l USING (via, kind, target)
       WHERE COALESCE(l.n, 0) < r.good OR COALESCE(l.n, 0) > r.good + r.lost")"
inv "screen and command-line actions made, of both kinds" "web+cli" \
    "$(q "SELECT CONCAT_WS('+', IF(SUM(via = 'web' AND status = 303) > 0, 'web', NULL),
                             IF(SUM(via = 'cli' AND status = 0) > 0, 'cli', NULL)) FROM load_ops")"
inv "finished tasks that keep a lease" 0 \
    "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $BIZ_ID AND finished = 1
          AND (lease_owner IS NOT NULL OR lease_until IS NOT NULL)")"
"$AT" --config "$SVCONF" counters check --business faults >"$SVDIR/counters" 2>&1
inv "counters check (exit status)" 0 "$?"
OUTAGE="EXISTS (SELECT 1 FROM load_events v WHERE p.e >= v.s AND p.s <= v.e + 5000000)"
inv "pages answered 5xx or not at all outside an outage (DB, app) and its 5 s after" 0 \
    "$(q "SELECT COUNT(*) FROM load_pages p WHERE (p.status >= 500 OR p.status = 0) AND NOT $OUTAGE")"
inv "API enqueues answered other than 2xx outside an outage and its 5 s after" 0 \
    "$(q "SELECT COUNT(*) FROM load_api p WHERE NOT (p.$OK2XX) AND NOT $OUTAGE")"
inv "pauses and resumes the screen answered 5xx or not at all outside an outage" 0 \
    "$(q "SELECT COUNT(*) FROM load_ops p WHERE p.via = 'web' AND (p.status >= 500 OR p.status = 0)
          AND NOT $OUTAGE")"
inv "pages answered 5xx or not at all while MariaDB was down" ">0" \
    "$(q "SELECT IF(COUNT(*) > 0, '>0', '0') FROM load_pages p JOIN load_events v ON v.name = 'db-down'
          AND p.s >= v.s AND p.e <= v.e WHERE p.status >= 500")"
for ev in db-down app-down; do
    inv "pages served within 5 s of the $ev outage's end" yes \
        "$(q "SELECT IF(MIN(p.s) <= v.e + 5000000, 'yes', CONCAT('after ', ROUND((MIN(p.s) - v.e) / 1e6, 1), ' s'))
              FROM load_events v JOIN load_pages p ON p.s >= v.e AND p.status = 200 WHERE v.name = '$ev'")"
done

echo "# | invariant | expected | found | |"
echo "# |---|---|---|---|"
for row in "${TABLE[@]}"; do echo "# $row"; done
if [ -s "$SVDIR/counters" ] && ! grep -q '^0$' <<<"$(wc -l <"$SVDIR/counters")"; then
    sed 's/^/#   counters: /' "$SVDIR/counters" | head -n 10
fi
sv_log_clean
grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$(at_var)/log/fcgi-${WEB//\//-}.log" >/dev/null 2>&1
ok $((!$?)) "no sanitizer report in the app's log"
done_testing
