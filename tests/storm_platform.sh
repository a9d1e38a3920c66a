#!/usr/bin/env bash
# tests/storm_platform.sh: the pause guarantee with platform rules in the
# mix. 6,000 tasks over 20 users, 6 task types and two businesses run on 4
# executors while three operators pause and resume users and types, in
# one business or for all businesses (platform rules), and now and then
# Resume All in a business, as fast as they can. Afterwards the audit
# logs and the attempts' start times must show no task that started
# while a pause matching it was in force: a business's rule in its
# business, a platform rule in every business.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

TASKS=${ASYNCTASKS_STORM_TASKS:-6000}
USERS=20

sv_setup storm_platform svtest
sv_conf executors 4 poll_interval_ms 200
"$AT" --config "$SVCONF" business add biz2 "Biz Two" >/dev/null || bail "business add"
q "INSERT INTO users (email, name) SELECT CONCAT('s', seq, '@storm.example'), CONCAT('Storm ', seq) FROM seq_1_to_$USERS" ||
    bail "users"
q "INSERT INTO memberships (business_id, user_id) SELECT b.id, u.id FROM businesses b JOIN users u WHERE b.slug IN ('biz', 'biz2') AND u.email LIKE '%@storm.example'" ||
    bail "members"
sv_start
wait_for 10 "SELECT COUNT(*) = 8 FROM task_types WHERE name LIKE 'test.storm.%'" || bail "types"

# Each operator's choices are random and drawn apart: a choice of action
# tied to the user or type by arithmetic would pause some targets and
# never resume them.
operator() {
    local n=$1 i r u t b
    RANDOM=$n
    i=0
    while [ $i -lt 600 ]; do
        [ $((i % 20)) -eq 19 ] && [ "$(q "SELECT COUNT(*) >= $((TASKS * 9 / 10)) FROM tasks WHERE state = 'succeeded'")" = 1 ] && break
        r=$((RANDOM % 12))
        u=s$((RANDOM % USERS + 1))@storm.example
        t=test.storm.$((RANDOM % 6))
        b=biz; [ $((RANDOM % 2)) -eq 0 ] && b=biz2
        # as many pauses as resumes of each kind, so that work goes on
        case $r in
        0) "$AT" --config "$SVCONF" pause user --business $b "$u" --reason "storm $n" ;;
        1) "$AT" --config "$SVCONF" pause type --business $b "$t" --reason "storm $n" ;;
        2 | 3) "$AT" --config "$SVCONF" pause user --all-businesses "$u" --reason "platform $n" ;;
        4) "$AT" --config "$SVCONF" pause type --all-businesses "$t" --reason "platform $n" ;;
        5) "$AT" --config "$SVCONF" resume user --business $b "$u" ;;
        6) "$AT" --config "$SVCONF" resume type --business $b "$t" ;;
        7 | 8) "$AT" --config "$SVCONF" resume user --all-businesses "$u" ;;
        9) "$AT" --config "$SVCONF" resume type --all-businesses "$t" ;;
        10) "$AT" --config "$SVCONF" resume all --business $b ;;
        11) "$AT" --config "$SVCONF" pause list --all-businesses ;;
        esac >/dev/null 2>&1
        i=$((i + 1))
        # now and then, look whether platform rules are holding queued tasks
        [ $((i % 10)) -eq 0 ] && q "SELECT COUNT(*) FROM tasks t WHERE t.state = 'queued' AND EXISTS (SELECT 1 FROM platform_pause_rules p WHERE (p.scope = 'user' AND p.target_id = t.user_id) OR (p.scope = 'task_type' AND p.target_id = t.task_type_id))" >>"$SVDIR/held.$n"
    done
}

storm_feed "$TASKS" "$USERS" 6 biz biz2 &
f=$!
operator 1 &
o1=$!
operator 2 &
o2=$!
operator 3 &
o3=$!
wait $f
ok $? "$TASKS tasks fed in 20 batches to two businesses"
wait $o1 $o2 $o3
diag "operators done: $(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause' AND business_id = 0") platform pauses, $(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause' AND business_id <> 0") business pauses"

# Resume All leaves the platform rules: the tasks they hold stay queued.
left=$(q "SELECT COUNT(*) FROM platform_pause_rules")
for b in biz biz2; do
    OUT=$("$AT" --config "$SVCONF" resume all --business $b 2>&1)
    if [ "$left" -gt 0 ]; then
        like "$OUT" "$left platform rules? left in place" "resume all in $b says it left the $left platform rules"
    else
        like "$OUT" "^resumed all in $b" "resume all in $b"
    fi
done
is "$(q "SELECT COUNT(*) FROM platform_pause_rules")" "$left" "Resume All removed no platform rule"
q "SELECT CONCAT(scope, ' ', target_id) FROM platform_pause_rules" >"$SVDIR/platform.left"
"$AT" --config "$SVCONF" pause list --all-businesses >"$SVDIR/list" 2>&1
while read -r scope id; do
    [ -n "$scope" ] || continue
    if [ "$scope" = user ]; then
        "$AT" --config "$SVCONF" resume user --all-businesses "$(q "SELECT email FROM users WHERE id = $id")" >/dev/null
    else
        "$AT" --config "$SVCONF" resume type --all-businesses "$(q "SELECT name FROM task_types WHERE id = $id")" >/dev/null
    fi
done <"$SVDIR/platform.left"
is "$(q "SELECT COUNT(*) FROM platform_pause_rules")" 0 "the platform rules resumed one by one"
wait_for 600 "SELECT COUNT(*) = $TASKS FROM tasks WHERE state = 'succeeded'"
ok $? "after the storm, every task succeeded"
is "$(q "SELECT COUNT(*) FROM tasks")" "$TASKS" "no task was lost"
is "$(q "SELECT COUNT(*) FROM task_attempts")" "$TASKS" "no task ran twice"

pauses=$(q "SELECT COUNT(*) FROM audit_log WHERE action = 'pause' AND business_id = 0")
ok $([ "$pauses" -ge 30 ] && echo 0 || echo 1) "the operators paused $pauses times for all businesses (at least 30)"
held=$(cat "$SVDIR"/held.* | sort -n | tail -n 1)
ok $([ "${held:-0}" -gt 0 ] && echo 0 || echo 1) "platform rules really held queued tasks (up to $held at once)"

created=$(pause_in_force t.created_at platform)
ok $([ "$created" -gt 0 ] && echo 0 || echo 1) "the check sees tasks created under a platform pause ($created of them)"
is "$(pause_in_force a.started_at)" 0 "no task started while a pause matching it, of its business or the platform, was in force"
sv_stop
for b in biz biz2; do
    OUT=$("$AT" --config "$SVCONF" counters check --business $b)
    is "$?" 0 "$b's totals equal the tasks' own count: $(echo $OUT)"
done
sv_log_clean
done_testing
