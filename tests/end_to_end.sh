#!/usr/bin/env bash
# tests/end_to_end.sh: the whole path, as in dev/demo: a supervisor runs
# on the database behind the test admin screen (real nginx, real FastCGI
# app). Tasks enqueued through the HTTP API, the command line and the C
# client API run through the plugins; a user paused in the admin screen has
# their tasks held, and Resume All there lets them run. Runs after the other
# tests (see Makefile.am): its supervisor would run their tasks.
HTTP_TEST=end_to_end
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/http_lib.sh"
. "$top_srcdir/tests/svlib.sh"

URL=${ASYNCTASKS_TEST_URL:?ASYNCTASKS_TEST_URL is not set: run the tests through dev/check}
SVDIR=$WORK/sv
SVDB=$DB
mkdir -p "$SVDIR/plugins" "$SVDIR/spool"
chmod 0777 "$SVDIR/spool"
for p in noop sleep export; do ln -sf "$(plugin_so "$p")" "$SVDIR/plugins/$p.so"; done
# the supervisor's own configuration: the test database, its plugins
SVCONF=$SVDIR/asynctasks.conf
grep -Ev '^(plugin_dir|executors|spool_dir|log_level|pidfile|user) ' "$ASYNCTASKS_TEST_CONFIG" \
    >"$SVDIR/base.conf"
sv_conf executors 2 poll_interval_ms 10000

cli() { "$AT" --config "$SVCONF" "$@"; }
B=e2e-$$
PW=end-to-end-secret-$$
cli business add "$B" "End to End $$" >/dev/null || bail "business add"
for u in admin worker; do
    printf '%s\n' "$PW" | cli user add "$u-$$@e2e.example" "E2E $u $$" --password-file - >/dev/null ||
        bail "user add"
done
cli member add --business "$B" --user "admin-$$@e2e.example" --role business_admin >/dev/null
cli member add --business "$B" --user "worker-$$@e2e.example" --role member >/dev/null
WORKER_ID=$(q "SELECT id FROM users WHERE email = 'worker-$$@e2e.example'")
TOKEN=$(cli token create "$B" e2e)
like "$TOKEN" '^atk_[0-9a-f]{64}$' "an API token for the business"

sv_start
ok $? "the supervisor runs on the admin screen's database"

# ---- HTTP API ----
api() { req "" -H "Authorization: Bearer $TOKEN" "$@"; }
api --data-urlencode "user=worker-$$@e2e.example" --data-urlencode "type=noop" "$URL/api/v1/tasks"
status_is 201 "POST /api/v1/tasks: 201"
HID=$(xp 'string(//*[local-name()="task"]/@id)')
like "$HID" '^[0-9]+$' "... the answer carries the task id ($HID)"
wait_for 5 "SELECT state = 'succeeded' FROM tasks WHERE id = ${HID:-0}"
ok $? "the task enqueued over HTTP ran through the noop plugin, woken at once"
api "$URL/api/v1/tasks/$HID"
status_is 200 "GET /api/v1/tasks/ID: 200"
like "$BODY" 'succeeded' "... says succeeded"

# ---- the command line: a real export ----
EID=$(cli enqueue --business "$B" --user "worker-$$@e2e.example" --type export)
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = ${EID:-0}"
ok $? "an export enqueued from the command line succeeds"
RESULT=$(q "SELECT result FROM tasks WHERE id = ${EID:-0}")
FILE=$(printf '%s\n' "$RESULT" | sed -n 's/^path=//p')
ROWS=$(printf '%s\n' "$RESULT" | sed -n 's/^rows=//p')
ok $([ -f "$FILE" ] && echo 0 || echo 1) "... its result names the file ($FILE)"
is "$(gzip -dc "$FILE" | tail -n +2 | wc -l)" "$ROWS" "... a gzip'd CSV with the rows the result counts"
is "$ROWS" "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = (SELECT id FROM businesses WHERE slug = '$B') AND id <= ${EID:-0}")" \
    "... one per task of the business, itself included"

# ---- the C client API ----
ENQ=$top_builddir/examples/client/enqueue
# shape: the example's output with each id as ID, on one line
shape() { printf '%s\n' "$1" | sed 's/^[1-9][0-9]*$/ID/' | tr '\n' ' '; }
OUT=$("$ENQ" --config "$SVCONF" --wait "$B" "worker-$$@e2e.example" sleep "seconds=1" 2>&1)
is "$?" 0 "the C client API enqueues and waits"
is "$(shape "$OUT")" "ID succeeded " "... the sleep task succeeded ($OUT)"
OUT=$("$ENQ" --config "$SVCONF" --count 3 --wait "$B" "worker-$$@e2e.example" sleep \
    $'seconds=0\nms=50' 2>&1)
is "$?" 0 "the C client API enqueues three at once and waits"
is "$(shape "$OUT")" "ID ID ID succeeded succeeded succeeded " "... the three sleep tasks succeeded ($OUT)"
OUT=$("$ENQ" --config "$SVCONF" --count 2 "$B" "worker-$$@e2e.example" no.such.type 2>&1)
is "$?" 66 "the C client API refuses a bulk enqueue of an unknown type"
like "$OUT" "the first is task 1: no task type 'no.such.type'" "... naming the first bad task"
OUT=$("$ENQ" --config "$SVCONF" no-such-business "worker-$$@e2e.example" noop 2>&1)
is "$?" 66 "the C client API reports an unknown business"
like "$OUT" 'no-such-business' "... by name"

# ---- pause in the admin screen holds; Resume All there releases ----
JAR=$WORK/jar
: >"$JAR"
login_form "$JAR" "admin-$$@e2e.example" "$PW"
status_is 303 "the business admin logs in"
req "$JAR" "$URL/admin/async-tasks?business=$B"
CSRF=$(csrf_in_body)
req "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "business=$B" \
    --data-urlencode "target=$WORKER_ID" --data-urlencode "reason=end to end" \
    "$URL/admin/async-tasks/pause-user"
status_is 303 "Pause User in the admin screen"
api --data-urlencode "user=worker-$$@e2e.example" --data-urlencode "type=noop" "$URL/api/v1/tasks"
PID_=$(xp 'string(//*[local-name()="task"]/@id)')
sleep 2
is "$(state_of "${PID_:-0}")" queued "a task of the paused user is held"
req "$JAR" "$URL/admin/async-tasks?business=$B"
body_has 'paused' "the task list shows it paused"
req "$JAR" --data-urlencode "csrf=$CSRF" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/resume-all"
status_is 303 "Resume All in the admin screen"
wait_for 5 "SELECT state = 'succeeded' FROM tasks WHERE id = ${PID_:-0}"
ok $? "after Resume All the held task runs"
req "$JAR" "$URL/admin/executors"
status_is 200 "the Executors page answers"
body_has "$(hostname)" "... listing this host's executors"

sv_stop
cli token revoke "$B" e2e >/dev/null
sv_log_clean
done_testing
