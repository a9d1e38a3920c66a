#!/usr/bin/env bash
# tests/bulk.sh: a bulk action at 100,000 tasks, through the screen (real
# nginx, real FastCGI app) and a real supervisor on its database: the
# confirmation page counts them and shows the first; the job runs in
# batches under the supervisor while the list page is read again and again
# and answers with its rows; its progress is seen part-way; Cancel stops
# it with fewer done than matched; the tasks, the job's counts, the one
# audit entry and the business's totals and lanes (counters check) agree
# after. A supervisor killed under a job: another takes the job over once
# its lease has run out, and no task is counted twice. Then the command
# line: --dry-run, refusal without --yes, and a bulk job it runs itself,
# shown on the screen. Runs after the other
# tests (see Makefile.am): its supervisor would run their tasks.
HTTP_TEST=bulk
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/http_lib.sh"
. "$top_srcdir/tests/svlib.sh"

N=100000
URL=${ASYNCTASKS_TEST_URL:?ASYNCTASKS_TEST_URL is not set: run the tests through dev/check}
SVDIR=$WORK/sv
SVDB=$DB
mkdir -p "$SVDIR/plugins" "$SVDIR/spool"
ln -sf "$(plugin_so noop)" "$SVDIR/plugins/noop.so"
SVCONF=$SVDIR/asynctasks.conf
grep -Ev '^(plugin_dir|executors|spool_dir|log_level|pidfile|user) ' "$ASYNCTASKS_TEST_CONFIG" \
    >"$SVDIR/base.conf"
sv_conf executors 1

cli() { "$AT" --config "$SVCONF" "$@"; }
B=bulk-$$
PW=bulk-secret-$$
ADMIN=admin-$$@bulk.example
TYPE=bulkjob$$
OTHER=other$$
cli business add "$B" "Bulk $$" >/dev/null || bail "business add"
printf '%s\n' "$PW" | cli user add "$ADMIN" "Bulk Admin $$" --password-file - >/dev/null ||
    bail "user add"
cli user add "worker-$$@bulk.example" "Bulk Worker $$" --no-password >/dev/null || bail "user add"
cli member add --business "$B" --user "$ADMIN" --role business_admin >/dev/null || bail "member add"
cli member add --business "$B" --user "worker-$$@bulk.example" --role member >/dev/null ||
    bail "member add"
cli type add "$TYPE" >/dev/null || bail "type add"
cli type add "$OTHER" >/dev/null || bail "type add"
B_ID=$(q "SELECT id FROM businesses WHERE slug = '$B'")

# 100,000 tasks, due in two days (nothing runs them), written in
# transactions of 1,000 by enqueue --from
awk -v n="$N" -v b="$B" -v u="worker-$$@bulk.example" -v t="$TYPE" 'BEGIN {
    for (i = 1; i <= n; i++) printf "%s\t%s\t%s\t0\t+2d\n", b, u, t
}' >"$WORK/tasks.tsv"
OUT=$(cli enqueue --from "$WORK/tasks.tsv" 2>&1) || bail "enqueue --from: $OUT"
is "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $B_ID")" "$N" "$N tasks are queued"

JAR=$WORK/jar
login_form "$JAR" "$ADMIN" "$PW"
status_is 303 "the business admin logs in"

# ---- the confirmation page ----
req "$JAR" "$URL/admin/async-tasks/bulk/cancel?business=$B&type=$TYPE"
status_is 200 "GET bulk/cancel over a type search: 200"
like "$(xp 'normalize-space(//*[contains(@class,"bulk-count")])')" "^more than 1000 tasks of Bulk $$ match this view \(status pending, type '$TYPE'\)\.$" \
    "a search's count is cut at the list's window, and says so"
req "$JAR" "$URL/admin/async-tasks/bulk/cancel?business=$B"
status_is 200 "GET bulk/cancel over the pending view: 200"
like "$(xp 'normalize-space(//*[contains(@class,"bulk-count")])')" "^$N tasks of Bulk $$ match this view \(status pending\)\.$" \
    "it counts the $N pending tasks and names the filter"
is "$(xp 'count(//*[contains(@class,"bulk-sample")]//*[local-name()="tbody"]/*[local-name()="tr"])')" 10 \
    "it shows the first 10 of them"
FIRST=$(q "SELECT MIN(id) FROM tasks WHERE business_id = $B_ID")
is "$(xp 'normalize-space(//*[contains(@class,"bulk-sample")]//*[local-name()="tbody"]/*[local-name()="tr"][1]/*[local-name()="td"][1])')" \
    "#$FIRST" "... oldest first"
TOKEN=$(csrf_in_body)
[ -n "$TOKEN" ] || bail "no CSRF token on the confirmation page"
is "$(xp 'string(//*[contains(@class,"bulk-confirm")]//*[local-name()="form"][@method="post"]//*[local-name()="button"][@type="submit"])')" \
    "Cancel $N tasks" "its button says what it does"
req "$JAR" --data "csrf=$(rand_token)&business=$B" "$URL/admin/async-tasks/bulk/cancel"
status_is 403 "the POST without the page's CSRF token: 403"
is "$(q "SELECT COUNT(*) FROM bulk_jobs WHERE business_id = $B_ID")" 0 "... and starts nothing"

sv_start
ok $? "a supervisor runs on the screen's database"

# ---- the job, under the supervisor, while the list is read ----
req "$JAR" --data-urlencode "csrf=$TOKEN" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/bulk/cancel"
status_is 303 "POST bulk/cancel: 303"
like "$LOC" "^/admin/async-tasks/bulk-jobs/[0-9]+[?]business=$B$" "... to the job's progress page"
JOB=$(q "SELECT MAX(id) FROM bulk_jobs WHERE business_id = $B_ID")
# 5 tasks of another type, created after the job started: not its
for i in 1 2 3 4 5; do
    cli enqueue --business "$B" --user "worker-$$@bulk.example" --type "$OTHER" \
        --run-at +2d >/dev/null || bail "enqueue"
done
PROGRESS="$URL/admin/async-tasks/bulk-jobs/$JOB?business=$B"

# reads the list (default view, and the searched one) and the progress page
# until the job is part-way; every list page must answer 200 with rows
lists=0 bad_lists=0 seen_part=0 done_now=0
list_rows() { xp 'count(//*[local-name()="table"][contains(@class,"tasks")]/*[local-name()="tbody"]/*[local-name()="tr"]/*[local-name()="td"][not(@class="empty")][1])'; }
part_way() {
    local view
    for view in "" "&type=$TYPE&status=all"; do
        req "$JAR" "$URL/admin/async-tasks?business=$B$view"
        lists=$((lists + 1))
        if [ "$ST" != 200 ] || [ "$(list_rows)" -lt 1 ]; then
            bad_lists=$((bad_lists + 1))
            diag "list page $view: status $ST, $(list_rows) rows"
        fi
    done
    req "$JAR" "$PROGRESS"
    local done state
    done=$(xp 'normalize-space(//*[contains(@class,"bulk-counts")])')
    state=$(xp 'normalize-space(//*[contains(@class,"bulk-state")])')
    done=${done%% done*}
    done_now=$done
    [ "$state" = running ] && [ "${done:-0}" -ge 2000 ] && [ "$lists" -ge 10 ] && seen_part=1
    [ "$seen_part" = 1 ]
}
wait_until 300 part_way
ok $? "the progress page shows the job running, part-way ($done_now done)"
is "$bad_lists" 0 "the list page answered 200 with rows all the while ($lists pages)"
is "$(xp 'count(//*[local-name()="progress"])')" 1 "the progress page has a progress bar"
is "$(xp 'string(//*[local-name()="a"][contains(@class,"refresh")]/@href)')" \
    "/admin/async-tasks/bulk-jobs/$JOB?business=$B" "... and a Refresh link, for a page without script"

# ---- Cancel ----
TOKEN=$(csrf_in_body)
req "$JAR" --data-urlencode "csrf=$TOKEN" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/bulk-jobs/$JOB/cancel"
status_is 303 "POST the job's Cancel: 303"
is "$LOC" "/admin/async-tasks/bulk-jobs/$JOB?business=$B" "... back to its page"
req "$JAR" "$PROGRESS"
is "$(xp 'normalize-space(//*[contains(@class,"bulk-state")])')" cancelled "the page says cancelled"
is "$(xp 'count(//*[contains(@class,"bulk-cancel")])')" 0 "... and offers no Cancel any more"
DONE=$(q "SELECT done_count FROM bulk_jobs WHERE id = $JOB")
SKIPPED=$(q "SELECT skipped_count FROM bulk_jobs WHERE id = $JOB")
ok "$([ "$DONE" -gt 0 ] && [ "$DONE" -lt "$N" ]; echo $?)" \
    "the job stopped part-way: $DONE of $N done"
is "$SKIPPED" 0 "none was skipped (all were queued)"
CANCELLED=$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $B_ID AND state = 'cancelled'")
is "$CANCELLED" "$DONE" "the tasks cancelled are the job's count"
sleep 2
is "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $B_ID AND state = 'cancelled'")" \
    "$CANCELLED" "no batch ran after the cancel"
is "$(q "SELECT COUNT(*) FROM tasks t JOIN task_types y ON y.id = t.task_type_id
         WHERE t.business_id = $B_ID AND y.name = '$OTHER' AND t.state = 'queued'")" 5 \
    "the tasks created after the start are untouched"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = $B_ID AND action = 'bulk_cancel'")" 1 \
    "one audit entry for the job"
like "$(q "SELECT CONCAT(actor, ' | ', target_name, ' | ', detail) FROM audit_log
           WHERE business_id = $B_ID AND action = 'bulk_cancel'")" \
    "^$ADMIN \| status pending \| cancelled: $DONE task\(s\) done, 0 skipped, of $N tasks matching when started; cancelled by $ADMIN$" \
    "it names who, the filter and the count"
is "$(q "SELECT COUNT(*) FROM audit_log WHERE business_id = $B_ID AND action = 'cancel'")" 0 \
    "and there is no entry per task"
req "$JAR" --data-urlencode "csrf=$TOKEN" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/bulk-jobs/$JOB/cancel"
status_is 409 "a second Cancel: 409"
body_has "is cancelled already: nothing was done" "... and says why"
check_counters() {
    run --config "$SVCONF" counters check --business "$B"
    is "$RC" 0 "counters check after $1: exit 0"
    like "$OUT" "^$B: ok$" "counters check after $1: the totals and lanes agree with the tasks"
}
check_counters "the cancelled job"

# ---- a supervisor killed under a job: another takes it over ----
# Retry all over the pending view: every task is skipped (none failed or
# was cancelled), one row lock each: a job long enough to be caught running.
req "$JAR" "$URL/admin/async-tasks/bulk/retry?business=$B"
TOKEN=$(csrf_in_body)
req "$JAR" --data-urlencode "csrf=$TOKEN" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/bulk/retry"
status_is 303 "POST bulk/retry over the pending view: 303"
RJOB=$(q "SELECT MAX(id) FROM bulk_jobs WHERE business_id = $B_ID")
wait_for 60 "SELECT skipped_count > 0 AND runner LIKE 'asynctasksd:%' FROM bulk_jobs WHERE id = $RJOB"
ok $? "the supervisor runs the job"
OLD=$(q "SELECT runner FROM bulk_jobs WHERE id = $RJOB")
kill -KILL "$SVPID"
wait "$SVPID" 2>/dev/null
AT_KILL=$(q "SELECT skipped_count FROM bulk_jobs WHERE id = $RJOB")
is "$(q "SELECT state FROM bulk_jobs WHERE id = $RJOB")" running \
    "killed with its supervisor, the job is left running ($AT_KILL skipped)"
sv_start
ok $? "another supervisor starts"
wait_for 90 "SELECT runner <> '$OLD' AND skipped_count > $AT_KILL FROM bulk_jobs WHERE id = $RJOB"
ok $? "it takes the job over once the lease has run out, and goes on from its cursor"
req "$JAR" "$URL/admin/async-tasks/bulk-jobs/$RJOB?business=$B"
TOKEN=$(csrf_in_body)
req "$JAR" --data-urlencode "csrf=$TOKEN" --data-urlencode "business=$B" \
    "$URL/admin/async-tasks/bulk-jobs/$RJOB/cancel"
status_is 303 "the job is cancelled"
# every task of the view up to the cursor was skipped once, none twice
CUR=$(q "SELECT cursor_after FROM bulk_jobs WHERE id = $RJOB")
KEY=${CUR#c} KEY=${KEY%-*} CID=${CUR##*-}
like "$CUR" '^c[0-9]+-[0-9]+$' "the job's cursor is the list's ($CUR)"
is "$(q "SELECT skipped_count FROM bulk_jobs WHERE id = $RJOB")" \
    "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $B_ID AND state IN ('queued', 'running')
          AND (created_at, id) <= (TIMESTAMPADD(MICROSECOND, ${KEY:-0}, '1970-01-01'), ${CID:-0})")" \
    "the job skipped each task up to its cursor once, across the two supervisors"
is "$(q "SELECT done_count FROM bulk_jobs WHERE id = $RJOB")" 0 "... and retried none"
check_counters "the job taken over"

# ---- the command line ----
C=$SVCONF
check 0 "^5 tasks match \(status pending, type '$OTHER'\); the first:" "tasks cancel --dry-run" \
    tasks cancel --business "$B" --type "$OTHER" --dry-run
like "$OUT" "worker-|Bulk Worker $$" "... and shows them"
check 64 "give --yes to act on these tasks, or --dry-run to only see them; nothing was done" \
    "tasks cancel without --yes, not on a terminal" tasks cancel --business "$B" --type "$OTHER"
check 0 "^bulk job [0-9]+ done: 5 tasks cancelled or asked to stop, 0 skipped$" \
    "tasks cancel --yes runs the job" tasks cancel --business "$B" --type "$OTHER" --yes
CJOB=$(q "SELECT MAX(id) FROM bulk_jobs WHERE business_id = $B_ID")
req "$JAR" "$URL/admin/async-tasks/bulk-jobs/$CJOB?business=$B"
status_is 200 "the command line's job shows on the screen"
is "$(xp 'normalize-space(//*[contains(@class,"bulk-counts")])')" \
    "5 done, 0 skipped, of 5 tasks matching when it started" "... with its counts"
check 0 "^bulk job [0-9]+ done: 5 tasks deleted or asked to stop, 0 skipped$" \
    "tasks delete over the finished ones" tasks delete --business "$B" --type "$OTHER" \
    --status finished --yes
check 0 "^0 tasks match" "nothing of that type is left" tasks retry --business "$B" \
    --type "$OTHER" --status all --dry-run
check_counters "the command line's jobs"

sv_stop
sv_log_clean
done_testing
