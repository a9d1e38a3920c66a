#!/usr/bin/env bash
# tests/schedule.sh: recurring tasks with the real supervisors. The
# command line (add, list, pause, resume, remove, its refusals and audit
# entries); each occurrence enqueued exactly once by two supervisors, one
# of them killed with SIGKILL and started again; the missed policies
# after every supervisor was down; pause rules applied to what a
# schedule enqueues; a paused schedule enqueuing nothing. Schedules of
# seconds (test_schedule_seconds) keep it to about a minute: the code
# path is the one minutes take.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

sv_setup sched noop
"$AT" --config "$SVCONF" business add other "Other" >/dev/null || bail "business add"
"$AT" --config "$SVCONF" user add v@example.com "User Two" --no-password >/dev/null || bail "user add"
"$AT" --config "$SVCONF" member add --business other --user v@example.com --role member >/dev/null ||
    bail "member add"
"$AT" --config "$SVCONF" type add noop >/dev/null || bail "type add"
# The same configuration without the testing key: five fields only.
PLAIN=$SVDIR/plain.conf
sv_conf executors 1 poll_interval_ms 200
cp "$SVCONF" "$PLAIN"
sv_conf test_schedule_seconds 1 schedule_grace 3
C=$SVCONF

# ---- the command line ----
checkf 64 "needs --business, --cron, --type and --user" "add without options" \
    schedule add --business biz
checkf 65 "cron: minute field: '61' is not from 0 to 59" "a bad minute" \
    schedule add --business biz --cron "61 * * * *" --type noop --user u@example.com
checkf 65 "cron: day-of-week field: 'FUN' is not a number, a name, a range or *" "a bad day" \
    schedule add --business biz --cron "0 0 * * FUN" --type noop --user u@example.com
checkf 65 "never comes" "30 February" \
    schedule add --business biz --cron "0 0 30 2 *" --type noop --user u@example.com
checkf 65 "no time zone 'Europe/Atlantis'" "an unknown zone" \
    schedule add --business biz --cron "0 0 * * *" --tz Europe/Atlantis --type noop --user u@example.com
checkf 1 "no task type 'nosuch'" "an unknown type" \
    schedule add --business biz --cron "0 0 * * *" --type nosuch --user u@example.com
checkf 1 "user 'v@example.com' is not a member of this business" "a user of another business" \
    schedule add --business biz --cron "0 0 * * *" --type noop --user v@example.com
checkf 64 "--priority must be a whole number from -1000 to 1000" "a priority out of range" \
    schedule add --business biz --cron "0 0 * * *" --type noop --user u@example.com --priority 5000
checkf 64 "--missed takes skip or once, not 'twice'" "a bad policy" \
    schedule add --business biz --cron "0 0 * * *" --type noop --user u@example.com --missed twice
C=$PLAIN checkf 65 "more than five fields" "seconds only with test_schedule_seconds" \
    schedule add --business biz --cron "*/2 * * * * *" --type noop --user u@example.com
is "$(q "SELECT COUNT(*) FROM schedules")" 0 "nothing refused was added"

run --config "$C" schedule add --business biz --cron "30 2 * * *" --tz Europe/Berlin --type noop \
    --user u@example.com --payload "nightly" --priority 5 --paused
is "$RC" 0 "add: exit 0"
like "$OUT" '^[0-9]+$' "add prints the id"
NIGHTLY=$OUT
checkf 0 "30 2 * * *" "list shows it" schedule list --business biz
has "$OUT" "Europe/Berlin" "list shows its zone"
has "$OUT" "paused" "list shows it paused"
checkf 0 "no schedules in other" "another business's list" schedule list --business other
checkf 1 "no schedule #$NIGHTLY in this business" "another business cannot pause it" \
    schedule pause --business other "$NIGHTLY"
checkf 0 "schedule #$NIGHTLY was paused already" "pausing a paused one" \
    schedule pause --business biz "$NIGHTLY"
checkf 0 "schedule #$NIGHTLY resumed in biz" "resume" schedule resume --business biz "$NIGHTLY"
# its next time is 02:30 in Berlin: 00:30 or 01:30 UTC
like "$(q "SELECT TIME(next_run_at) FROM schedules WHERE id = $NIGHTLY")" '^0[01]:30:00' \
    "resumed: its next time is 02:30 Berlin time, in UTC"
checkf 64 "takes one schedule ID" "pause without an id" schedule pause --business biz
checkf 64 "must be a whole number" "pause with a bad id" schedule pause --business biz x1
checkf 0 "schedule #$NIGHTLY removed in biz" "remove" schedule remove --business biz "$NIGHTLY"
checkf 1 "no schedule #$NIGHTLY" "remove it again" schedule remove --business biz "$NIGHTLY"
is "$(q "SELECT GROUP_CONCAT(action ORDER BY id) FROM audit_log WHERE target_kind = 'schedule'")" \
    "schedule_add,schedule_resume,schedule_remove" "audited: add, resume, remove (no-ops are not)"
has "$(q "SELECT detail FROM audit_log WHERE action = 'schedule_add'")" \
    "cron=30 2 * * * tz=Europe/Berlin type=noop user=u@example.com priority=5 missed=skip paused" \
    "the audit entry describes the schedule"

# ---- exactly once, with two supervisors and kills ----
add() { # add CRON MISSED : prints the id
    "$AT" --config "$C" schedule add --business biz --cron "$1" --type noop --user u@example.com \
        --missed "$2"
}
ONCE=$(add "*/2 * * * * *" once)
SKIP=$(add "1-59/2 * * * * *" skip)
sv_start "$SVDIR/one.pid"
one=$SVPID
sv_start "$SVDIR/two.pid"
two=$SVPID
sleep 5
kill -KILL "$one"
wait "$one" 2>/dev/null
sleep 4
sv_start "$SVDIR/one.pid"
one=$SVPID
sleep 4
# every supervisor down for longer than the grace: missed occurrences
kill -KILL "$one" "$two"
wait "$one" "$two" 2>/dev/null
down_at=$(q "SELECT UTC_TIMESTAMP(6)")
sleep 9
up_at=$(q "SELECT UTC_TIMESTAMP(6)")
sv_start "$SVDIR/one.pid"
one=$SVPID
sleep 5
sv_stop "$one"
fired() { q "SELECT COUNT(*) FROM schedule_fires WHERE schedule_id = $1"; }
span() { # the occurrences from the first fire to the last, every 2 s
    q "SELECT TIMESTAMPDIFF(SECOND, MIN(occurrence_at), MAX(occurrence_at)) DIV 2 + 1 FROM schedule_fires WHERE schedule_id = $1"
}
tasks=$(q "SELECT COUNT(*) FROM tasks")
fires=$(q "SELECT COUNT(*) FROM schedule_fires")
is "$tasks" "$fires" "one task per fire ($tasks tasks)"
is "$(q "SELECT COUNT(DISTINCT task_id) FROM schedule_fires WHERE task_id IS NOT NULL")" "$fires" \
    "every fire has a task of its own"
is "$(q "SELECT COUNT(*) FROM schedule_fires f JOIN tasks t ON t.id = f.task_id")" "$fires" \
    "every fire's task is there"
ok "$([ "$(fired "$ONCE")" -ge 8 ] && echo 0 || echo 1)" "the schedules fired through the run ($(fired "$ONCE"))"
is "$(q "SELECT SUM(occurrences) FROM schedule_fires WHERE schedule_id = $ONCE")" "$(span "$ONCE")" \
    "run once: every occurrence from the first to the last is in exactly one task"
is "$(q "SELECT COUNT(*) FROM schedule_fires WHERE schedule_id = $ONCE AND occurrences > 1")" 1 \
    "run once: the occurrences missed while all were down are one task"
is "$(q "SELECT COUNT(*) FROM schedule_fires WHERE schedule_id = $ONCE AND occurrences > 1 AND occurrence_at BETWEEN '$down_at' - INTERVAL 2 SECOND AND '$up_at'")" 1 \
    "run once: that task stands for the time they were down"
is "$(q "SELECT SUM(occurrences) FROM schedule_fires WHERE schedule_id = $SKIP")" "$(fired "$SKIP")" \
    "skip: no task stands for more than one occurrence"
is "$(q "SELECT COUNT(*) FROM schedule_fires WHERE schedule_id = $SKIP AND occurrence_at > '$down_at' + INTERVAL 1 SECOND AND occurrence_at < '$up_at' - INTERVAL 3 SECOND")" 0 \
    "skip: the occurrences missed while all were down were not enqueued"
ok "$([ "$(fired "$SKIP")" -lt "$(span "$SKIP")" ] && echo 0 || echo 1)" \
    "skip: fewer tasks than occurrences ($(fired "$SKIP") of $(span "$SKIP"))"
after="FROM schedule_fires WHERE schedule_id = $SKIP AND occurrence_at > '$up_at'"
is "$(q "SELECT COUNT(*) > 0 AND COUNT(*) = TIMESTAMPDIFF(SECOND, MIN(occurrence_at), MAX(occurrence_at)) DIV 2 + 1 $after")" 1 \
    "skip: after the restart every occurrence is enqueued again"
is "$(q "SELECT COUNT(*) FROM tasks WHERE state <> 'succeeded'")" 0 "every task ran"
has "$(cat "$SVDIR/sv.log")" "missed; skipped" "the supervisor logs the skipped occurrences"

# ---- pause rules apply; a paused schedule enqueues nothing ----
"$AT" --config "$C" pause user --business biz u@example.com --reason "on leave" >/dev/null ||
    bail "pause user"
"$AT" --config "$C" schedule pause --business biz "$SKIP" >/dev/null || bail "schedule pause"
before=$(fired "$SKIP")
sv_start "$SVDIR/one.pid"
one=$SVPID
n0=$(q "SELECT COUNT(*) FROM tasks")
wait_for 10 "SELECT COUNT(*) >= $n0 + 2 FROM tasks"
ok $? "a paused user's schedule still enqueues"
sleep 1
held=$(q "SELECT COUNT(*) FROM tasks WHERE created_at > (SELECT MAX(paused_at) FROM pause_rules)")
ok "$([ "$held" -ge 2 ] && echo 0 || echo 1)" "tasks enqueued under the pause: $held"
is "$(q "SELECT COUNT(*) FROM tasks WHERE state = 'queued' AND created_at > (SELECT MAX(paused_at) FROM pause_rules)")" \
    "$held" "... all held: queued, not run"
has "$("$AT" --config "$C" tasks list --business biz 2>&1)" "paused" "the command line shows them paused"
is "$(fired "$SKIP")" "$before" "a paused schedule enqueued nothing"
sv_stop "$one"
"$AT" --config "$C" resume user --business biz u@example.com >/dev/null || bail "resume user"
checkf 0 "schedule #$SKIP resumed" "resume the schedule" schedule resume --business biz "$SKIP"
is "$(q "SELECT next_run_at > UTC_TIMESTAMP(6) - INTERVAL 1 SECOND FROM schedules WHERE id = $SKIP")" 1 \
    "resumed: it goes on from now, the paused time is not run"
# ---- a schedule whose user left the business ----
"$AT" --config "$C" user add w@example.com "User Three" --no-password >/dev/null || bail "user add"
"$AT" --config "$C" member add --business biz --user w@example.com --role member >/dev/null ||
    bail "member add"
LEFT=$("$AT" --config "$C" schedule add --business biz --cron "*/2 * * * * *" --type noop \
    --user w@example.com)
"$AT" --config "$C" member remove --business biz --user w@example.com >/dev/null || bail "member remove"
sv_start "$SVDIR/one.pid"
one=$SVPID
wait_for 10 "SELECT COUNT(*) >= 2 FROM schedule_fires WHERE schedule_id = $LEFT"
ok $? "a schedule whose user left still comes round"
sv_stop "$one"
has "$(q "SELECT last_error FROM schedules WHERE id = $LEFT")" \
    "is not a member of business 'biz'" "... its last error says why it enqueued nothing"
is "$(q "SELECT COUNT(*) FROM schedule_fires WHERE schedule_id = $LEFT AND (task_id IS NOT NULL OR error IS NULL)")" 0 \
    "... and no occurrence has a task"
is "$(q "SELECT COUNT(*) FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.email = 'w@example.com'")" 0 \
    "... none was enqueued"
has "$("$AT" --config "$C" schedule list --business biz 2>&1)" "is not a member" \
    "schedule list shows the error"
sv_log_clean
done_testing
