#!/usr/bin/env bash
# tests/dashboard.sh: a business's dashboard with a real supervisor on the
# database behind the test admin screen (real nginx, real FastCGI app):
# tasks of the behave test plugin succeed and fail, and once the
# executors have added their counts the XML view's buckets and failures
# say exactly what ran, with the latest error; a run that kills its
# executor is counted by the supervisor that recovers it; the page's two SVG charts
# carry their accessible names, descriptions and legends; the oldest due
# task and a pause show; the rollups' rows are kept per minute and per
# hour and the prune removes old ones; an admin of another business is
# refused, bad parameters get 400.
HTTP_TEST=dashboard
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/http_lib.sh"
. "$top_srcdir/tests/svlib.sh"

URL=${ASYNCTASKS_TEST_URL:?ASYNCTASKS_TEST_URL is not set: run the tests through dev/check}
SVDB=$DB # svlib.sh's q: the test database
PAGE=/admin/dashboard
RUN=db$$t$(date +%s)
D=${RUN}d O=${RUN}o
PW="pw $RUN"
ADMIN=admin-$RUN@example.org OTHER=other-$RUN@example.org MEMBER=m-$RUN@example.org
cli business add "$D" "Dashboard $RUN"
cli business add "$O" "Other $RUN"
D_ID=$(q "SELECT id FROM businesses WHERE slug = '$D'")
cli user add "$ADMIN" "Admin $RUN" --password-file - <<<"$PW"
cli user add "$OTHER" "Other admin $RUN" --password-file - <<<"$PW"
cli user add "$MEMBER" "Member $RUN" --no-password
cli member add --business "$D" --user "$ADMIN" --role business_admin
cli member add --business "$O" --user "$OTHER" --role business_admin
cli member add --business "$D" --user "$MEMBER" --role member
cli type add "$RUN-idle" # no executor runs it: a due task that waits

JAR=$WORK/jar OJAR=$WORK/ojar
: >"$JAR"
: >"$OJAR"
login_form "$JAR" "$ADMIN" "$PW"
[ "$ST" = 303 ] || bail "cannot log in: $ST"
login_form "$OJAR" "$OTHER" "$PW"
[ "$ST" = 303 ] || bail "cannot log in as the other admin: $ST"

dash_xml() { req "$JAR" "$URL$PAGE?business=$D&format=xml"; }
# sum SERIES ATTRIBUTE: the series' buckets added up
sum() { xp "sum(//*[local-name()='series'][@name='$1']/*[local-name()='bucket']/@$2)"; }

# ---- a business with nothing yet ----
dash_xml
status_is 200 "the XML view of a new business's dashboard"
valid "... is a dashboard views.rng accepts"
is "$(xp "count(//*[local-name()='series'][@name='minutes']/*)")" 60 "... 60 minutes"
is "$(xp "count(//*[local-name()='series'][@name='hours']/*)")" 168 "... 168 hours"
is "$(sum minutes started)/$(sum hours started)" "0/0" "... all empty"
is "$(xp "count(//*[local-name()='oldest-due'])")" 0 "... and no task is due"
is "$(xp "count(//*[local-name()='failure'] | //*[local-name()='rule'][@of='business'])")" 0 \
    "... no failure, no rule of its own"

# ---- a supervisor runs 5 tasks that succeed and 3 that fail ----
# Its executors appear on the Executors page, which other tests check
# under this lock.
exec 9>"${TMPDIR:-/tmp}/asynctasks-executors-$DB.lock"
flock -w 600 9 || bail "cannot lock the executors"
SVDIR=$WORK/sv
mkdir -p "$SVDIR/plugins" "$SVDIR/spool"
ln -sf "$(plugin_so behave)" "$SVDIR/plugins/behave.so"
ln -sf "$(plugin_so crash)" "$SVDIR/plugins/crash.so"
SVCONF=$SVDIR/asynctasks.conf
grep -Ev '^(plugin_dir|executors|spool_dir|log_level|pidfile|user) ' "$ASYNCTASKS_TEST_CONFIG" \
    >"$SVDIR/base.conf"
sv_conf executors 2 poll_interval_ms 500
sv_start
ok $? "a supervisor with the behave plugin runs on the admin screen's database"

ERR="disk full <&> \"$RUN\""
for i in 1 2 3 4 5; do cli enqueue --business "$D" --user "$MEMBER" --type test.status --payload "code=0"; done
for i in 1 2 3; do
    cli enqueue --business "$D" --user "$MEMBER" --type test.status --payload $'code=2\nmsg='"$ERR $i"
done
wait_for 30 "SELECT COUNT(*) = 8 FROM tasks WHERE business_id = $D_ID AND state IN ('succeeded', 'failed')"
ok $? "the 8 tasks ran"
is "$(q "SELECT CONCAT(SUM(state = 'succeeded'), '/', SUM(state = 'failed')) FROM tasks WHERE business_id = $D_ID")" \
    "5/3" "... 5 succeeded and 3 failed"

# The counts reach the database within a few seconds of the ends (the
# executors add them every 2 s, and when idle as soon as they are due).
got=
for _ in $(seq 1 100); do
    dash_xml
    got="$(sum minutes started)/$(sum minutes succeeded)/$(sum minutes failed)"
    [ "$got" = 8/5/3 ] && break
    sleep 0.2
done
is "$got" 8/5/3 "the last hour's chart: 8 started, 5 succeeded, 3 failed"
valid "... the XML view still a valid dashboard"
is "$(sum hours started)/$(sum hours succeeded)/$(sum hours failed)" 8/5/3 "the last week's chart says the same"
is "$(q "SELECT CONCAT(SUM(started), '/', SUM(succeeded), '/', SUM(failed)) FROM task_rollups
         WHERE business_id = $D_ID AND span = 'minute'")" 8/5/3 "the minute rows hold the counts"
is "$(q "SELECT CONCAT(SUM(started), '/', SUM(succeeded), '/', SUM(failed)) FROM task_rollups
         WHERE business_id = $D_ID AND span = 'hour'")" 8/5/3 "so do the hour rows"
F="//*[local-name()='failure'][@type='test.status']"
is "$(xp "string($F/@failed)")" 3 "failures by type: test.status failed 3 times"
LATEST_ID=$(xp "string($F/@task-id)")
is "$(q "SELECT state FROM tasks WHERE business_id = $D_ID AND id = ${LATEST_ID:-0}")" failed \
    "... its latest error is one of a failed task of the business"
is "$(xp "string($F/*[local-name()='error'])")" "$(q "SELECT last_error FROM tasks WHERE id = $LATEST_ID")" \
    "... with that task's error, as it was"
like "$(xp "string($F/*[local-name()='error'])")" "^disk full <&> \"$RUN\" [123]\$" "... the text the handler set"

# ---- the page ----
req "$JAR" "$URL$PAGE?business=$D"
status_is 200 "the dashboard page"
wellformed "... is well-formed"
S="//*[local-name()='svg'][@role='img']"
is "$(xp "count($S)")" 2 "... two SVG charts with role img"
is "$(xp "string($S[@id='chart-minutes']/@aria-label)")" \
    "Tasks started, succeeded and failed per minute, last hour" "... the hour's chart is named"
is "$(xp "string($S[@id='chart-hours']/@aria-label)")" \
    "Tasks started, succeeded and failed per hour, last 7 days" "... the week's chart is named"
is "$(xp "string($S[@id='chart-minutes']/*[local-name()='title'])")" \
    "Tasks started, succeeded and failed per minute, last hour" "... with its title"
like "$(xp "string($S[@id='chart-minutes']/*[local-name()='desc'])")" \
    '^Over the last hour: 8 started, 5 succeeded, 3 failed\.' "... a description that says the numbers"
is "$(xp "string($S[@id='chart-minutes']/@aria-describedby)")" "chart-minutes-desc" "... and points to it"
is "$(xp "string(//*[local-name()='svg'][@id='chart-minutes']//*[local-name()='desc']/@id)")" \
    "chart-minutes-desc" "... which has that id"
is "$(xp "count($S[@id='chart-hours']//*[local-name()='polyline'])")" 3 "... three lines a chart"
is "$(xp "count($S//*[local-name()='polyline'][@stroke-dasharray])")" 4 \
    "... two of each in a dash pattern (readable without colour)"
LEG=$(xp "$S[@id='chart-minutes']//*[local-name()='g'][@class='legend']" | sed 's/<[^>]*>/|/g')
like "$LEG" 'Started, solid: 8' "the legend names the solid line, with its total"
like "$LEG" 'Succeeded, dashed: 5' "... the dashed one"
like "$LEG" 'Failed, dotted: 3' "... and the dotted one"
like "$(xp "string($S[@id='chart-minutes'])")" 'Attempts per minute' "the value axis is labelled"
like "$(xp "string($S[@id='chart-minutes'])")" 'Time \(UTC\)' "... and the time axis"
like "$(xp "string(//*[local-name()='td'][contains(@class,'error')])")" "^disk full <&> \"$RUN\" [123]\$" \
    "the latest error shows in the failures table"
body_has "disk full &lt;&amp;&gt;" "... escaped"
body_has 'href="/admin/dashboard"' "the Admin menu links to the dashboard"

# ---- a run that kills its executor ----
# Its executor never counts it: the supervisor that recovers the task
# adds the start and the failure, with the signal as the error. test.crash
# has 2 attempts, a second of backoff apart here.
cli enqueue --business "$D" --user "$MEMBER" --type test.crash
CRASH=$OUT
wait_for 30 "SELECT attempts = 2 AND state = 'failed' FROM tasks WHERE id = $CRASH"
ok $? "a test.crash task killed its executor twice and failed"
CF="//*[local-name()='failure'][@type='test.crash']"
got=
for _ in $(seq 1 100); do
    dash_xml
    got=$(xp "string($CF/@failed)")
    [ "$got" = 2 ] && break
    sleep 0.2
done
is "$got" 2 "the dashboard counts both crashed runs as failures of test.crash"
like "$(xp "string($CF/*[local-name()='error'])")" 'signal 11' "... with the signal that ended them"
is "$(xp "string($CF/@task-id)")" "$CRASH" "... of that task"
is "$(sum minutes started)/$(sum minutes failed)" 10/5 "... and in the last hour's chart: 10 started, 5 failed"

# ---- a pause and a due task ----
cli pause type --business "$D" "$RUN-idle" --reason "supplier down $RUN" --until +2h
cli enqueue --business "$D" --user "$MEMBER" --type "$RUN-idle"
IDLE=$OUT
dash_xml
R="//*[local-name()='rule'][@of='business'][@target='$RUN-idle']"
is "$(xp "string($R/@reason)")" "supplier down $RUN" "a pause shows in the XML view, with its reason"
like "$(xp "string($R/@until)")" '^[0-9-]+T[0-9:.]+Z$' "... and its expiry"
is "$(xp "count(//*[local-name()='oldest-due'])")" 0 "a paused task is not the oldest due"
req "$JAR" "$URL$PAGE?business=$D"
body_has "supplier down $RUN" "the page shows the pause's reason"
cli resume type --business "$D" "$RUN-idle"
dash_xml
is "$(xp "string(//*[local-name()='oldest-due']/@run-at)")" \
    "$(q "SELECT DATE_FORMAT(run_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM tasks WHERE id = $IDLE")" \
    "once resumed, its task is the oldest due, by its run-at"
like "$(xp "string(//*[local-name()='oldest-due']/@age-seconds)")" '^[0-9]+$' "... with its age"
req "$JAR" "$URL$PAGE?business=$D"
like "$(xp "string(//*[local-name()='section'][contains(@class,'oldest-due')])")" 'waiting: due since' \
    "the page says how long it has waited"

# ---- who may see it, and what it refuses ----
req "$OJAR" "$URL$PAGE?business=$D"
status_is 404 "an admin of another business is refused, as on every admin page"
body_has "There is no such business" "... told there is no such business"
req "$OJAR" "$URL$PAGE?business=$O"
status_is 200 "... and sees their own"
req "" "$URL$PAGE?business=$D"
status_is 303 "without a session: to the login page"
req "$JAR" "$URL$PAGE?business=$D&format=pdf"
status_is 400 "a bad format: 400"
req "$JAR" "$URL$PAGE?business=Not%20A%20Slug"
status_is 400 "a bad business: 400"
req "$JAR" -X POST --data "business=$D" "$URL$PAGE"
like "$ST" '^40[45]$' "a POST is not a way to the dashboard ($ST)"

# ---- the prune removes old buckets and keeps the charts' ----
TT=$(q "SELECT id FROM task_types WHERE name = '$RUN-idle'")
q "INSERT INTO task_rollups (business_id, span, bucket, task_type_id, started) VALUES
   ($D_ID, 'minute', UTC_TIMESTAMP() - INTERVAL 3 HOUR, $TT, 1),
   ($D_ID, 'hour', UTC_TIMESTAMP() - INTERVAL 9 DAY, $TT, 1),
   ($D_ID, 'hour', UTC_TIMESTAMP() - INTERVAL 6 DAY, $TT, 1)"
q "INSERT INTO task_type_errors (business_id, task_type_id, error_at, task_id, error) VALUES
   ($D_ID, $TT, UTC_TIMESTAMP() - INTERVAL 9 DAY, 1, 'old')"
# a prune that keeps every kind of history but audit entries of a century
{ cat "$ASYNCTASKS_TEST_CONFIG"; echo "retain_audit_days = 36500"; } >"$WORK/prune.conf"
run --config "$WORK/prune.conf" prune
is "$RC" 0 "asynctasks prune"
is "$(q "SELECT COUNT(*) FROM task_rollups WHERE business_id = $D_ID AND task_type_id = $TT")" 1 \
    "... removed the old minute and hour rows, kept the one in the week"
is "$(q "SELECT COUNT(*) FROM task_type_errors WHERE business_id = $D_ID AND task_type_id = $TT")" 0 \
    "... and the old error"
is "$(q "SELECT SUM(started) FROM task_rollups r JOIN task_types t ON t.id = r.task_type_id
         WHERE r.business_id = $D_ID AND t.name = 'test.status'")" 16 "... and every recent row"

sv_stop
ok $? "the supervisor stops"
sv_log_clean
done_testing
