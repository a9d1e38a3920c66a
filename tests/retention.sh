#!/usr/bin/env bash
# tests/retention.sh: retention on real data. Finished tasks (with their
# attempts), audit entries and spool files older than their retain_*_days
# are removed, exactly those, by "asynctasks prune" (which, with
# --dry-run, counts the same and removes nothing) and by the supervisor by
# itself every retain_interval; in batches of retain_batch rows; queued and
# running tasks never; the businesses' counters stay equal to the tasks;
# every prune is in the platform's audit log; a supervisor killed in the
# middle of a prune leaves consistent data and an entry that says what
# was removed; pages keep paging across what went.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"
# shellcheck source=svlib.sh
. "$top_srcdir/tests/svlib.sh"

sv_setup retention noop sleep
C=$SVCONF
export ASYNCTASKS_CONFIG=$SVCONF
"$AT" demo-data --tasks 1500 --users 50 >/dev/null || bail "demo-data"

# ---- the fixture ----
# Demo tasks are history without attempts: one attempt each, two for the
# failed ones. Every other finished task finished 40 days ago, the rest 2
# days ago; some queued tasks carry a finished_at from long ago, as no
# task should, to show that only the state decides.
q "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, pid, started_at,
       finished_at, outcome)
   SELECT id, 1, business_id, 0, 'fixture', 1, created_at, finished_at, state
   FROM tasks WHERE finished = 1" || bail "attempts"
q "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, pid, started_at,
       finished_at, outcome)
   SELECT id, 2, business_id, 0, 'fixture', 1, created_at, finished_at, 'failed'
   FROM tasks WHERE state = 'failed'" || bail "second attempts"
q "UPDATE tasks SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 40 DAY WHERE finished = 1 AND id % 2 = 0" ||
    bail "old"
# One old task with more attempts than a batch holds: a batch of its own.
MANY=$(q "SELECT MIN(id) FROM tasks WHERE state = 'failed' AND id % 2 = 0")
q "INSERT INTO task_attempts (task_id, attempt, business_id, executor_id, host, pid, started_at,
       finished_at, outcome)
   SELECT id, 2 + seq, business_id, 0, 'fixture', 1, created_at, finished_at, 'retry'
   FROM tasks JOIN seq_1_to_150 WHERE id = $MANY" || bail "many attempts"
q "UPDATE tasks SET attempts = 152 WHERE id = $MANY" || bail "many attempts"
q "UPDATE tasks SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 2 DAY WHERE finished = 1 AND id % 2 = 1" ||
    bail "recent"
q "UPDATE tasks SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 90 DAY WHERE state = 'queued' AND id % 3 = 0" ||
    bail "stale queued"
# finished today changed under the counters: the fixture's own repair
"$AT" counters rebuild >/dev/null || bail "counters rebuild"
run counters check
is "$RC" 0 "the fixture's counters equal the tasks"

OLD_TASKS=$(q "SELECT COUNT(*) FROM tasks WHERE finished = 1 AND id % 2 = 0")
OLD_ATTEMPTS=$(q "SELECT COUNT(*) FROM task_attempts a JOIN tasks t ON t.id = a.task_id
                  WHERE t.finished = 1 AND t.id % 2 = 0")
OLD_FAILED=$(q "SELECT COUNT(*) FROM tasks WHERE state = 'failed' AND id % 2 = 0")
ok "$([ "$OLD_TASKS" -gt 300 ] && [ "$OLD_FAILED" -gt 0 ]; echo $?)" \
    "the fixture has $OLD_TASKS old finished tasks, $OLD_FAILED of them failed"

# Audit entries: 250 of biz's and 30 of the platform's from 400 days ago,
# 20 from today.
biz=$(q "SELECT id FROM businesses WHERE slug = 'biz'")
q "INSERT INTO audit_log (business_id, created_at, actor, action, target_kind, target_name)
   SELECT IF(seq <= 250, $biz, 0), UTC_TIMESTAMP(6) - INTERVAL 400 DAY + INTERVAL seq SECOND,
          'cli:fixture', 'pause', 'user', 'old'
   FROM seq_1_to_280" || bail "old audit"
q "INSERT INTO audit_log (business_id, created_at, actor, action, target_kind, target_name)
   SELECT $biz, UTC_TIMESTAMP(6), 'cli:fixture', 'pause', 'user', 'new' FROM seq_1_to_20" ||
    bail "new audit"
OLD_AUDIT=280
AUDIT_ALL=$(q "SELECT COUNT(*) FROM audit_log")

# Spool files: old ones (a finished export, a temporary file a crash left,
# one in a subdirectory, a symbolic link) and new ones; a link to a
# directory outside, whose old file must stay; an old empty directory,
# which stays.
S=$SVDIR/spool
OUTSIDE=$SVDIR/outside
mkdir -p "$S/sub" "$S/emptydir" "$OUTSIDE/dir"
head -c 1000 /dev/zero >"$S/export-1-1-old.csv.gz"
head -c 300 /dev/zero >"$S/.export-1-2-old.csv.gz.tmp"
head -c 50 /dev/zero >"$S/sub/old.txt"
echo precious >"$OUTSIDE/target"
echo precious >"$OUTSIDE/dir/old-outside"
ln -s "$OUTSIDE/target" "$S/old-link"
ln -s "$OUTSIDE/dir" "$S/dir-link"
echo new >"$S/export-1-3-new.csv.gz"
echo new >"$S/sub/new.txt"
touch -d '40 days ago' "$S/export-1-1-old.csv.gz" "$S/.export-1-2-old.csv.gz.tmp" "$S/sub/old.txt" \
    "$OUTSIDE/target" "$OUTSIDE/dir/old-outside" "$S/emptydir" "$S/sub"
touch -h -d '40 days ago' "$S/old-link" "$S/dir-link"
# the three files and the two links (a link goes, never what it names)
OLD_SPOOL=5
OLD_BYTES=1350
spool_list() { (cd "$S" && find . -mindepth 1 | sort); }
SPOOL_BEFORE=$(spool_list)

# A finished task of acme that will go, and a cursor of a page of finished
# tasks whose rows will go.
GONE=$(q "SELECT t.id FROM tasks t JOIN businesses b ON b.id = t.business_id
          WHERE b.slug = 'acme' AND t.finished = 1 AND t.id % 2 = 0 ORDER BY t.id LIMIT 1")
run tasks list --business acme --status finished --sort created --asc --limit 5
CURSOR=$(printf '%s\n' "$OUT" | sed -n 's/^next page: --after //p')
[ -n "$CURSOR" ] || bail "no cursor: $OUT"
OLD_AUDIT_ID=$(q "SELECT MIN(id) + 10 FROM audit_log WHERE business_id = $biz")

# ---- today's tasks, run for real ----
sv_start
for i in 1 2 3 4 5; do enqueue noop >/dev/null || bail "enqueue"; done
wait_for 30 "SELECT COUNT(*) = 5 FROM tasks t JOIN task_types y ON y.id = t.task_type_id
             WHERE y.name = 'noop' AND t.state = 'succeeded'" ||
    bail "the noop tasks did not run"
sv_stop
TODAY=$(q "SELECT COUNT(*) FROM tasks WHERE finished_at >= UTC_DATE()")
is "$TODAY" 5 "five tasks finished today"
QUEUED=$(q "SELECT COUNT(*) FROM tasks WHERE state = 'queued'")
TASKS_ALL=$(q "SELECT COUNT(*) FROM tasks")
ATTEMPTS_ALL=$(q "SELECT COUNT(*) FROM task_attempts")

# ---- the configuration ----
sv_conf retain_finished_days 30 retain_audit_days 365 retain_spool_days 30 retain_batch 100 \
    retain_pause_ms 0
for bad in "retain_finished_days = -1" "retain_audit_days = 36501" "retain_spool_days = x" \
    "retain_batch = 0" "retain_interval = 0" "retain_pause_ms = 60001"; do
    cp "$SVCONF" "$SVDIR/bad.conf"
    key=${bad%% =*}
    grep -v "^$key = " "$SVCONF" >"$SVDIR/bad.conf"
    echo "$bad" >>"$SVDIR/bad.conf"
    run --config "$SVDIR/bad.conf" prune --dry-run
    is "$RC" 78 "'$bad' is refused (exit 78)"
    like "$OUT" "bad.conf:[0-9]+: $key must be a whole number from" "... naming the file, line and key"
done
run prune --help
is "$RC" 0 "prune --help: exit 0"
like "$OUT" "^usage: asynctasks prune" "prune --help: prints usage"
run prune --bogus
is "$RC" 64 "an unknown option: exit 64"
run prune extra
is "$RC" 64 "an argument: exit 64"

# ---- the dry run ----
run prune --dry-run
is "$RC" 0 "prune --dry-run: exit 0"
DRY=$OUT
count_of() { printf '%s\n' "$1" | sed -n "s/^$2: *\([0-9]*\).*/\1/p"; }
is "$(count_of "$DRY" "finished tasks")" "$OLD_TASKS" "the dry run counts the old finished tasks"
is "$(count_of "$DRY" "attempts")" "$OLD_ATTEMPTS" "... their attempts"
is "$(count_of "$DRY" "audit entries")" "$OLD_AUDIT" "... the old audit entries"
is "$(count_of "$DRY" "spool files")" "$OLD_SPOOL" "... the old spool files"
is "$(count_of "$DRY" "spool bytes")" "$OLD_BYTES" "... and their bytes"
has "$DRY" "nothing was removed" "... and says it removed nothing"
is "$(q "SELECT COUNT(*) FROM tasks")" "$TASKS_ALL" "the dry run removed no task"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$ATTEMPTS_ALL" "... no attempt"
is "$(q "SELECT COUNT(*) FROM audit_log")" "$AUDIT_ALL" "... no audit entry, and wrote none"
is "$(spool_list)" "$SPOOL_BEFORE" "... no spool file"

# ---- the prune ----
run prune
is "$RC" 0 "prune: exit 0"
REAL=$OUT
for k in "finished tasks" attempts "audit entries" "spool files" "spool bytes"; do
    is "$(count_of "$REAL" "$k")" "$(count_of "$DRY" "$k")" "prune removed as many $k as the dry run counted"
done
ok "$([ "$(count_of "$REAL" batches)" -gt 2 ]; echo $?)" \
    "more rows than one batch went in several batches ($(count_of "$REAL" batches))"
is "$(q "SELECT COUNT(*) FROM tasks")" "$((TASKS_ALL - OLD_TASKS))" "exactly the old finished tasks are gone"
is "$(q "SELECT COUNT(*) FROM tasks WHERE finished = 1 AND id % 2 = 0 AND finished_at < UTC_DATE()")" 0 \
    "... none of them is left"
is "$(q "SELECT COUNT(*) FROM tasks WHERE state = 'queued'")" "$QUEUED" \
    "every queued task is there, an old finished_at or not"
is "$(q "SELECT COUNT(*) FROM tasks WHERE finished_at >= UTC_DATE()")" 5 "the tasks finished today are there"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$((ATTEMPTS_ALL - OLD_ATTEMPTS))" \
    "exactly their attempts are gone"
is "$(q "SELECT COUNT(*) FROM task_attempts a LEFT JOIN tasks t ON t.id = a.task_id WHERE t.id IS NULL")" 0 \
    "no attempt is left without its task"
is "$(q "SELECT COUNT(*) FROM task_attempts WHERE task_id = $MANY")" 0 \
    "a task with more attempts than a batch holds went, with all of them"
run counters check
is "$RC" 0 "the counters equal the tasks after the prune (counters check)"
[ "$RC" = 0 ] || diag "$OUT"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE target_name = 'old'")" 0 "the old audit entries are gone"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE target_name = 'new'")" 20 "the new ones are there"
is "$(spool_list)" "$(printf '%s\n' ./emptydir ./export-1-3-new.csv.gz ./sub ./sub/new.txt)" \
    "exactly the old spool files are gone; directories stay"
ok "$([ -f "$OUTSIDE/target" ] && [ -f "$OUTSIDE/dir/old-outside" ]; echo $?)" \
    "what links in the spool pointed to is untouched"

# The audit entry: who, what, the cut-offs.
entry=$(q "SELECT CONCAT_WS('|', business_id, actor, action, detail) FROM audit_log
           WHERE action = 'prune' ORDER BY id DESC LIMIT 1")
like "$entry" "^0\|cli:[^|]+\|prune\|finished_before=[0-9T:.-]+Z tasks=$OLD_TASKS attempts=$OLD_ATTEMPTS audit_before=[^ ]+ audit_entries=$OLD_AUDIT spool_before=[^ ]+ spool_files=$OLD_SPOOL spool_bytes=$OLD_BYTES batches=[0-9]+ state=done$" \
    "the prune is in the platform's audit log: who, the cut-offs and the counts"
run audit list --platform
like "$OUT" "prune" "audit list --platform shows it"

# Pages over what went.
run tasks list --business acme --status finished --sort created --asc --limit 5 --after "$CURSOR"
is "$RC" 0 "the task list's next page, whose cursor's rows are gone: exit 0"
like "$OUT" "next page: --after" "... and it pages on"
run audit list --business biz --before "$OLD_AUDIT_ID"
is "$RC" 0 "the audit log's page before a pruned entry: exit 0"
run audit list --business biz --limit 5
is "$RC" 0 "the audit log's newest page"
like "$OUT" "new" "... shows the entries kept"
run tasks show --business acme "$GONE"
is "$RC" 1 "a pruned task is not found (exit 1), as any task that never was"
like "$OUT" "no task" "... and the message says so"

# Again: nothing is old enough; the operator's prune is recorded anyway.
run prune
is "$RC" 0 "a second prune: exit 0"
is "$(count_of "$OUT" "finished tasks")" 0 "... removes nothing"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'prune'")" 2 \
    "... is recorded too, and the first prune's entry is kept"

# ---- the supervisor, by itself, and killed in the middle ----
# The recent finished tasks become old; the batches small and slow.
q "UPDATE tasks SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 40 DAY
   WHERE finished = 1 AND finished_at < UTC_DATE()" || bail "older"
sv_conf retain_interval 1 retain_batch 20 retain_pause_ms 300
old_left() { q "SELECT COUNT(*) FROM tasks WHERE finished = 1 AND finished_at < UTC_DATE()"; }

# Ctrl-C stops asynctasks prune after its batch.
before_int=$(old_left)
"$AT" prune >"$SVDIR/int.out" 2>&1 &
pruner=$!
wait_for 40 "SELECT COUNT(*) BETWEEN 1 AND $((before_int - 20)) FROM tasks
             WHERE finished = 1 AND finished_at < UTC_DATE()" || bail "asynctasks prune did not start"
kill -INT "$pruner"
wait "$pruner"
is "$?" 1 "Ctrl-C stops asynctasks prune: exit 1"
has "$(cat "$SVDIR/int.out")" "stopped before the end" "... and it says so"
left=$(old_left)
like "$(q "SELECT detail FROM audit_log WHERE action = 'prune' ORDER BY id DESC LIMIT 1")" \
    " tasks=$((before_int - left)) .*state=stopped$" "... and so does its entry, with what it removed"
run counters check
is "$RC" 0 "after the Ctrl-C, the counters equal the tasks"
OLD2=$(q "SELECT COUNT(*) FROM tasks WHERE finished = 1 AND finished_at < UTC_DATE()")
OLD2_ATTEMPTS=$(q "SELECT COUNT(*) FROM task_attempts a JOIN tasks t ON t.id = a.task_id
                   WHERE t.finished = 1 AND t.finished_at < UTC_DATE()")
PRUNES=$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'prune'")
DONE=$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'prune' AND detail LIKE '%state=done'")
sv_start
# A running task is never pruned, whatever its finished_at says.
SLEEPER=$(enqueue sleep seconds=600)
wait_started 30 "$SLEEPER" || bail "the sleep task did not start"
q "UPDATE tasks SET finished_at = UTC_TIMESTAMP(6) - INTERVAL 90 DAY WHERE id = $SLEEPER"
wait_for 40 "SELECT COUNT(*) BETWEEN 1 AND $((OLD2 - 40)) FROM tasks
             WHERE finished = 1 AND finished_at < UTC_DATE()" ||
    bail "the supervisor did not start pruning: $(tail -n 5 "$SVDIR/sv.log")"
run prune
is "$RC" 1 "prune while the supervisor prunes: exit 1"
like "$OUT" "another prune is under way" "... another prune is under way"
kids=$(children_of "$SVPID")
kill -KILL "$SVPID"
wait "$SVPID" 2>/dev/null
left=$(old_left)
gone=$((OLD2 - left))
ok "$([ "$left" -gt 0 ] && [ "$gone" -gt 0 ]; echo $?)" \
    "killed in the middle of its prune: $gone removed, $left left"
# gone, or dead and not reaped yet by whoever inherited them
gone_all() {
    local k st
    for k in $kids; do
        st=$(awk '{ print $3 }' "/proc/$k/stat" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ] || return 1
    done
}
wait_until 10 gone_all
ok $? "its executors and its pruner died with it"
is "$(q "SELECT COUNT(*) FROM task_attempts a LEFT JOIN tasks t ON t.id = a.task_id WHERE t.id IS NULL")" 0 \
    "after the kill, no attempt is left without its task"
run counters check
is "$RC" 0 "after the kill, the counters equal the tasks"
[ "$RC" = 0 ] || diag "$OUT"
entry=$(q "SELECT CONCAT_WS('|', actor, detail) FROM audit_log WHERE action = 'prune' ORDER BY id DESC LIMIT 1")
like "$entry" "^asynctasksd:[^|]+\|finished_before=[^ ]+ tasks=$gone attempts=[0-9]+ .*state=running$" \
    "the killed prune's entry names the supervisor and says exactly what it removed"
is "$(q "SELECT state FROM tasks WHERE id = $SLEEPER")" running "the running task is there"

# SIGTERM stops a prune after its batch; the supervisor waits for it.
sv_start
before_term=$(old_left)
wait_for 40 "SELECT COUNT(*) BETWEEN 1 AND $((before_term - 20)) FROM tasks
             WHERE finished = 1 AND finished_at < UTC_DATE()" ||
    bail "the second supervisor did not start pruning: $(tail -n 5 "$SVDIR/sv.log")"
kids=$(children_of "$SVPID")
sv_stop
wait_until 10 gone_all
ok $? "SIGTERM in the middle of a prune: the supervisor and its pruner are gone"
left=$(old_left)
entry=$(q "SELECT detail FROM audit_log WHERE action = 'prune' ORDER BY id DESC LIMIT 1")
like "$entry" " tasks=$((before_term - left)) .*state=stopped$" \
    "its entry says it stopped, and what it removed ($((before_term - left)) tasks)"
run counters check
is "$RC" 0 "after the stop, the counters equal the tasks"

# A new supervisor goes on, within bounded time, by itself.
sv_start
wait_for 60 "SELECT COUNT(*) = 0 FROM tasks WHERE finished = 1 AND finished_at < UTC_DATE()" ||
    diag "$(tail -n 5 "$SVDIR/sv.log")"
is "$(old_left)" 0 "a new supervisor prunes the rest by itself"
wait_for 20 "SELECT COUNT(*) = $((DONE + 1)) FROM audit_log WHERE action = 'prune' AND detail LIKE '%state=done'"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'prune'")" "$((PRUNES + 3))" \
    "three supervisors' prunes are recorded (killed, stopped, done), and no later one that removed nothing"
is "$(q "SELECT SUM(SUBSTRING_INDEX(SUBSTRING_INDEX(detail, 'tasks=', -1), ' ', 1))
         FROM audit_log WHERE action = 'prune' AND actor LIKE 'asynctasksd:%'")" "$OLD2" \
    "the supervisors' entries add up to every task removed"
is "$(q "SELECT SUM(SUBSTRING_INDEX(SUBSTRING_INDEX(detail, 'attempts=', -1), ' ', 1))
         FROM audit_log WHERE action = 'prune' AND actor LIKE 'asynctasksd:%'")" "$OLD2_ATTEMPTS" \
    "... and every attempt"
like "$(q "SELECT detail FROM audit_log WHERE action = 'prune' ORDER BY id DESC LIMIT 1")" \
    "batches=([2-9]|[1-9][0-9]+) state=done$" "the supervisor's prune went in several batches"
# The recovery of the killed supervisor's tasks ended it today.
is "$(q "SELECT COUNT(*) FROM tasks WHERE id = $SLEEPER AND finished_at >= UTC_DATE()")" 1 \
    "the task that was running is there, ended today by the recovery"

sv_stop
run counters check
is "$RC" 0 "the counters equal the tasks at the end"
[ "$RC" = 0 ] || diag "$OUT"
sv_log_clean

# With every retain_*_days 0, a prune keeps every kind, and still removes
# an idempotency key past its 24 hours, as the supervisor's does.
sv_conf retain_finished_days 0 retain_audit_days 0 retain_spool_days 0
q "INSERT INTO idempotency_keys (business_id, idem_key, request_hash, task_id, created_at)
   SELECT business_id, 'expired-key', REPEAT('x', 32), id, UTC_TIMESTAMP(6) - INTERVAL 25 HOUR
   FROM tasks LIMIT 1"
TASKS_ALL=$(q "SELECT COUNT(*) FROM tasks")
run prune
is "$RC" 0 "prune with every retain_*_days 0: exit 0"
has "$OUT" "finished tasks:  kept (retain_finished_days is 0: forever)" \
    "... it keeps the finished tasks, and says why"
has "$OUT" "idempotency keys: 1 (past their 24 hours)" "... and removes the expired key all the same"
is "$(q "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'expired-key'")" 0 "... which is gone"
is "$(q "SELECT COUNT(*) FROM tasks")" "$TASKS_ALL" "... and no task"

sql -e "DROP DATABASE $SVDB"
rm -rf -- "$SVDIR"
done_testing
