#!/usr/bin/env bash
# tests/share.sh: how executors are shared between businesses, with two
# supervisors of two executors each on one database.
# - Fair turns: business A queues a backlog first, then B a few tasks; B's
#   tasks do not wait for A's backlog to drain.
# - A cap: business C may run at most 2 tasks at once, over both
#   supervisors; its tasks' run times never overlap more than that.
# - Expiry: a pause with --until lets its tasks go by itself.
# - The totals equal the tasks' own count afterwards.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

sv_setup share svtest
for b in a b c; do
    "$AT" --config "$SVCONF" business add "$b" "Business $b" >/dev/null || bail "business $b"
    "$AT" --config "$SVCONF" member add --business "$b" --user u@example.com --role member >/dev/null ||
        bail "member $b"
done
sv_conf executors 2 poll_interval_ms 200
sv_start "$SVDIR/one.pid"
one=$SVPID
sv_start "$SVDIR/two.pid"
two=$SVPID
wait_for 10 "SELECT COUNT(*) = 1 FROM task_types WHERE name = 'test.nap'" || bail "types"

# enqueue_n BUSINESS N MS : N naps of MS milliseconds, in one call.
enqueue_n() {
    local i
    for ((i = 0; i < $2; i++)); do
        printf '%s\tu@example.com\ttest.nap\t\t\tms=%s\n' "$1" "$3"
    done | "$AT" --config "$SVCONF" enqueue --from - >/dev/null || bail "enqueue into $1"
}

# ---- fair turns ----
"$AT" --config "$SVCONF" pause type --business a test.nap >/dev/null
enqueue_n a 60 150
enqueue_n b 4 150
"$AT" --config "$SVCONF" resume type --business a test.nap >/dev/null
wait_for 60 "SELECT COUNT(*) = 4 FROM tasks t JOIN businesses b ON b.id = t.business_id WHERE b.slug = 'b' AND t.state = 'succeeded'"
ok $? "business B's tasks ran"
# the rank of B's last start among all starts
rank=$(q "SELECT COUNT(*) FROM task_attempts a WHERE a.started_at <= (SELECT MAX(x.started_at) FROM task_attempts x JOIN businesses b ON b.id = x.business_id WHERE b.slug = 'b')")
ok $((rank > 20)) "B's four tasks started among the first 20 of 64 (the last as number $rank), not after A's 60"
wait_for 60 "SELECT COUNT(*) = 64 FROM tasks WHERE state = 'succeeded'"
ok $? "A's backlog ran too"

# ---- a cap over both supervisors ----
"$AT" --config "$SVCONF" business set c --max-running 2 >/dev/null
ok $? "business C is capped at 2 running tasks"
like "$("$AT" --config "$SVCONF" business list)" 'c +2 +Business c' "business list shows the cap"
# The cap proves something only when both supervisors ran C's tasks. An
# executor that ends a task asks for the next one at once, before the
# others' wake-up or poll, so the two that took the first two tasks may
# keep every slot to themselves: another 12 then, at most 5 rounds in all.
supervisors_of_c() {
    q "SELECT COUNT(DISTINCT e.supervisor_id) FROM task_attempts a JOIN executors e ON e.id = a.executor_id JOIN businesses b ON b.id = a.business_id WHERE b.slug = 'c'"
}
ran=1
for ((round = 1; round <= 5; round++)); do
    enqueue_n c 12 300
    if ! wait_for 60 "SELECT COUNT(*) = $((12 * round)) FROM tasks t JOIN businesses b ON b.id = t.business_id WHERE b.slug = 'c' AND t.state = 'succeeded'"; then
        ran=0
        break
    fi
    [ "$(supervisors_of_c)" = 2 ] && break
done
((round > 5)) && round=5
ok $((1 - ran)) "C's tasks ran, $((12 * round)) of them in $round round(s)"
most=$(q "SELECT MAX(n) FROM (SELECT (SELECT COUNT(*) FROM task_attempts y WHERE y.business_id = x.business_id AND y.started_at <= x.started_at AND y.finished_at > x.started_at) AS n FROM task_attempts x JOIN businesses b ON b.id = x.business_id WHERE b.slug = 'c') t")
is "$most" 2 "at most 2 of C's tasks ever ran at once, on four executors"
is "$(supervisors_of_c)" 2 "... with both supervisors taking part"
OUT=$("$AT" --config "$SVCONF" business set c --max-running lots 2>&1)
is "$?" 64 "a cap that is not a number is a usage error"
"$AT" --config "$SVCONF" business set c --max-running default >/dev/null
like "$("$AT" --config "$SVCONF" business list)" 'c +default +Business c' "the cap goes back to the default"

# ---- expiry ----
"$AT" --config "$SVCONF" pause user --business b u@example.com --until +2s >/dev/null
ok $? "a pause of 2 seconds"
enqueue_n b 3 10
sleep 1
is "$(q "SELECT COUNT(*) FROM tasks t JOIN businesses b ON b.id = t.business_id WHERE b.slug = 'b' AND t.state = 'queued'")" 3 \
    "while it holds, the tasks wait"
wait_for 10 "SELECT COUNT(*) = 7 FROM tasks t JOIN businesses b ON b.id = t.business_id WHERE b.slug = 'b' AND t.state = 'succeeded'"
ok $? "when it expires they run, with no one resuming them"

# ---- the totals ----
sv_stop "$one"
sv_stop "$two"
OUT=$("$AT" --config "$SVCONF" counters check)
is "$?" 0 "the totals equal the tasks' count"
like "$OUT" 'c: ok' "... for every business"
sv_log_clean
done_testing
