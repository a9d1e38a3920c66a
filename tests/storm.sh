#!/usr/bin/env bash
# tests/storm.sh: the pause guarantee under load. 20,000 tasks over 40
# users and 8 task types run on 4 executors while three operators pause and
# resume users and types (and now and then Resume All) as fast as they can.
# Afterwards the audit log and the attempts' start times must show no task
# that started while a pause matching it was in force: once a pause has
# returned success, nothing it matches starts.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

TASKS=${ASYNCTASKS_STORM_TASKS:-20000}
USERS=40

sv_setup storm svtest
sv_conf executors 4 poll_interval_ms 200
q "INSERT INTO users (email, name) SELECT CONCAT('s', seq, '@storm.example'), CONCAT('Storm ', seq) FROM seq_1_to_$USERS" ||
    bail "users"
q "INSERT INTO memberships (business_id, user_id) SELECT b.id, u.id FROM businesses b JOIN users u WHERE b.slug = 'biz' AND u.email LIKE '%@storm.example'" ||
    bail "members"
sv_start
wait_for 10 "SELECT COUNT(*) = 8 FROM task_types WHERE name LIKE 'test.storm.%'" || bail "types"

# Operators: each a loop of CLI calls, so every pause goes through the
# product's own path and waits for its success before the next.
operator() {
    local n=$1 i r u t
    i=0
    # until nine tenths of the tasks have run (or 3000 operations)
    while [ $i -lt 3000 ]; do
        [ $((i % 20)) -eq 19 ] && [ "$(q "SELECT COUNT(*) >= $((TASKS * 9 / 10)) FROM tasks WHERE state = 'succeeded'")" = 1 ] && break
        r=$(( (i * 7 + n * 13) % 10 ))
        u=s$(( (i * 11 + n * 5) % USERS + 1 ))@storm.example
        t=test.storm.$(( (i * 3 + n) % 8 ))
        case $r in
        0 | 1 | 2) "$AT" --config "$SVCONF" pause user --business biz "$u" --reason "storm $n" ;;
        3 | 4) "$AT" --config "$SVCONF" pause type --business biz "$t" --reason "storm $n" ;;
        5 | 6) "$AT" --config "$SVCONF" resume user --business biz "$u" ;;
        7 | 8) "$AT" --config "$SVCONF" resume type --business biz "$t" ;;
        9) [ $((i % 3)) -eq 0 ] && "$AT" --config "$SVCONF" resume all --business biz ;;
        esac >/dev/null 2>&1
        i=$((i + 1))
        # now and then, look whether queued tasks are being held
        [ $((i % 10)) -eq 0 ] && q "SELECT COUNT(*) FROM tasks t WHERE t.state = 'queued' AND EXISTS (SELECT 1 FROM pause_rules p WHERE p.business_id = t.business_id AND ((p.scope = 'user' AND p.target_id = t.user_id) OR (p.scope = 'task_type' AND p.target_id = t.task_type_id)))" >>"$SVDIR/held.$n"
    done
}

# The tasks arrive in batches while the operators work, each batch one
# enqueue --from (its tasks spread over the users and types).

storm_feed "$TASKS" "$USERS" 8 biz &
f=$!
operator 1 &
o1=$!
operator 2 &
o2=$!
operator 3 &
o3=$!
wait $f
ok $? "$TASKS tasks fed in 20 batches"
wait $o1 $o2 $o3
diag "operators done: $(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause'") pauses, $(q "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'resume%'") resumes"
"$AT" --config "$SVCONF" resume all --business biz >/dev/null 2>&1
wait_for 600 "SELECT COUNT(*) = $TASKS FROM tasks WHERE state = 'succeeded'"
ok $? "after the storm and a final Resume All, every task succeeded"
is "$(q "SELECT COUNT(*) FROM tasks")" "$TASKS" "no task was lost"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$TASKS" "no task ran twice"

pauses=$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause'")
ok $([ "$pauses" -ge 100 ] && echo 0 || echo 1) "the operators paused $pauses times (at least 100)"
held=$(cat "$SVDIR"/held.* | sort -n | tail -n 1)
ok $([ "${held:-0}" -gt 0 ] && echo 0 || echo 1) "pauses really held queued tasks (up to $held at once)"

created=$(pause_in_force t.created_at)
ok $([ "$created" -gt 0 ] && echo 0 || echo 1) "the check sees tasks created under a pause ($created of them)"
is "$(pause_in_force a.started_at)" 0 "no task started while a pause matching it was in force"
sv_stop
OUT=$("$AT" --config "$SVCONF" counters check --business biz)
is "$?" 0 "the business's totals equal the tasks' own count: $(echo $OUT)"
sv_log_clean
done_testing
