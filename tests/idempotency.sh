#!/usr/bin/env bash
# tests/idempotency.sh: idempotent enqueue through nginx, the app and the
# database: POST /api/v1/tasks with an Idempotency-Key gives back the
# first task (200, the document a GET reads) when sent again; 20
# identical POSTs at once make one task; the same key with another body
# is 409; keys are per business; a bad key is 400 and enqueues nothing;
# a bulk request with a key is 400; an expired key enqueues anew; a key
# whose task was deleted is 409; a relative run_at sent again is the same
# request; the key costs the enqueue one statement, no key none; the
# command line's --idempotency-key; and the totals stay exact.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

HTTP_TEST=idempotency
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

RUN=idem$$t$(date +%s)
A=${RUN}a B=${RUN}b
cli business add "$A" "Idem A $RUN"
cli business add "$B" "Idem B $RUN"
A_ID=$(q "SELECT id FROM businesses WHERE slug = '$A'")
B_ID=$(q "SELECT id FROM businesses WHERE slug = '$B'")
UA=ua-$RUN@example.org UB=ub-$RUN@example.org
cli user add "$UA" "Ann Idem $RUN" --no-password
cli member add --business "$A" --user "$UA" --role member
cli user add "$UB" "Ben Idem $RUN" --no-password
cli member add --business "$B" --user "$UB" --role member
cli member add --business "$B" --user "$UA" --role member
T=$RUN.export
cli type add "$T"
TOKEN=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" idem)
TOKEN_B=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$B" idem)

api() { # api TOKEN METHOD PATH [CURL-ARGS]
    local tok=$1 method=$2 path=$3
    shift 3
    req "" -H "Authorization: Bearer $tok" -X "$method" "$@" "$URL$path"
}
post() { # post TOKEN KEY FIELD=VALUE...: POST /api/v1/tasks with the key ("" for none)
    local tok=$1 key=$2 f args=()
    shift 2
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    api "$tok" POST /api/v1/tasks ${key:+-H "Idempotency-Key: $key"} "${args[@]}"
}
ntasks() { q "SELECT COUNT(*) FROM tasks WHERE business_id = ${1:-$A_ID}"; }
counters_clean() { # counters_clean NAME: counters check finds nothing wrong
    run --config "$ASYNCTASKS_TEST_CONFIG" counters check --business "$A"
    is "$RC" 0 "$1: counters check is clean"
    [ "$RC" = 0 ] || diag "$OUT"
}

# ==== the same key twice ====

N0=$(ntasks)
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 1"
status_is 201 "the first POST with a key: 201"
ID=$(xp 'string(/*/@id)')
like "$ID" '^[1-9][0-9]*$' "... it names its task"
cp -- "$BF" "$WORK/first.xml"
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 1"
status_is 200 "the same POST again: 200"
is "$(xp 'string(/*/@id)')" "$ID" "... with the first task's id"
cmp -s "$WORK/first.xml" "$BF"
ok $? "... and the first answer's document, byte for byte"
is "$LOC" "/admin/async-tasks/tasks/$ID?business=$A" "... and its Location"
is "$(ntasks)" "$((N0 + 1))" "two POSTs with one key made one task"
post "$TOKEN" "\"k-$RUN-1\"" "user=$UA" "type=$T" "payload=report 1"
status_is 200 "the key in double quotes is the same key"
is "$(xp 'string(/*/@id)')" "$ID" "... and gives the same task"
post "$TOKEN" "K-$RUN-1" "user=$UA" "type=$T" "payload=report 1"
status_is 201 "keys are case-sensitive: another case is another key"

# ==== the statements it costs ====

# The fewest of several: a worker's first wake-up of the executors reads
# their addresses once, and the token's last use is written once a minute.
fewest() { # fewest KEY-PREFIX: the fewest statements of 6 POSTs ("" for no key)
    local i n min=
    for i in 1 2 3 4 5 6; do
        post "$TOKEN" "${1:+$1-$i}" "user=$UA" "type=$T"
        [ "$ST" = 201 ] || diag "status $ST: $BODY" >&2
        n=$(hdr X-Statement-Count)
        [ -z "$min" ] || [ "$n" -lt "$min" ] && min=$n
    done
    echo "$min"
}
is "$(fewest "")" 7 "a POST without a key runs the enqueue's seven statements"
is "$(fewest "cost-$RUN")" 8 "a POST with a key runs one statement more: the key's INSERT"

# ==== another body ====

post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 2"
status_is 409 "the same key with another payload: 409"
like "$(xp 'string(/*/@message)')" "idempotency key 'k-$RUN-1' was used for another request \\(task #$ID\\)" \
    "... says the key was used for another request, and which task"
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 1" "priority=5"
status_is 409 "the same key with another priority: 409"
is "$(ntasks)" "$((N0 + 14))" "the refused requests made no task"

# ==== per business ====

NB0=$(ntasks "$B_ID")
post "$TOKEN_B" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 1"
status_is 201 "the same key and body in another business: 201"
IDB=$(xp 'string(/*/@id)')
ok "$([ "$IDB" != "$ID" ]; echo $?)" "... a task of its own"
is "$(ntasks "$B_ID")" "$((NB0 + 1))" "... in that business"

# ==== bad keys ====

N1=$(ntasks)
bad_key() { # bad_key KEY NAME
    post "$TOKEN" "$1" "user=$UA" "type=$T"
    status_is 400 "$2: 400"
    like "$(xp 'string(/*/@message)')" "idempotency key" "$2: says what is wrong with the key"
}
bad_key "$(printf 'x%.0s' $(seq 256))" "a key of 256 characters"
like "$(xp 'string(/*/@message)')" "at most 255" "... and the limit"
bad_key 'a b' "a key with a space"
bad_key '""' "an empty quoted key"
bad_key 'k"x' "a key with a quote inside"
bad_key 'k\x' "a key with a backslash"
is "$(ntasks)" "$N1" "bad keys enqueued nothing"
post "$TOKEN" "pct%C3%A9-$RUN" "user=$UA" "type=$T"
status_is 201 "a key with a percent sign is fine"
post "$TOKEN" "$(printf 'y%.0s' $(seq 255))" "user=$UA" "type=$T"
status_is 201 "a key of 255 characters is fine"

# bulk requests take no key
req "" -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: bulk-$RUN" \
    -H "Content-Type: application/xml" \
    --data-binary "<tasks xmlns=\"urn:asynctasks:api:1\"><task user=\"$UA\" type=\"$T\"/></tasks>" \
    "$URL/api/v1/tasks"
status_is 400 "a bulk request with an Idempotency-Key: 400"
like "$(xp 'string(/*/@message)')" "single task" "... says a key goes with a single task"

# ==== relative run_at, sent again ====

post "$TOKEN" "rel-$RUN" "user=$UA" "type=$T" "run_at=+1h"
status_is 201 "a task for +1h with a key"
IDR=$(xp 'string(/*/@id)')
sleep 1.1
post "$TOKEN" "rel-$RUN" "user=$UA" "type=$T" "run_at=+1h"
status_is 200 "the same request a second later: the same request, 200"
is "$(xp 'string(/*/@id)')" "$IDR" "... the first task"

# ==== 20 at once ====

N2=$(ntasks)
for i in $(seq 20); do
    curl -sS -o "$WORK/par.$i" -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
        -H "Idempotency-Key: par-$RUN" --data-urlencode "user=$UA" --data-urlencode "type=$T" \
        --data-urlencode "payload=export all" "$URL/api/v1/tasks" >"$WORK/par.st.$i" &
done
wait
is "$(ntasks)" "$((N2 + 1))" "20 identical POSTs at once made exactly one task"
is "$(cat "$WORK"/par.st.* | sort | uniq -c | awk '{ print $2 ":" $1 }' | tr '\n' ' ')" \
    "200:19 201:1 " "... one 201, nineteen 200"
PIDS=$(for i in $(seq 20); do echo "$(xp 'string(/*/@id)' "$WORK/par.$i")"; done | sort | uniq -c)
is "$(printf '%s\n' "$PIDS" | wc -l)" 1 "... all with the same id"
[ "$(printf '%s\n' "$PIDS" | wc -l)" = 1 ] || {
    diag "ids: $PIDS"
    for i in $(seq 20); do diag "$i: $(cat "$WORK/par.st.$i") $(head -c 300 "$WORK/par.$i")"; done
}
is "$(q "SELECT COUNT(*) FROM idempotency_keys WHERE business_id = $A_ID AND idem_key = 'par-$RUN'")" 1 \
    "... and one key row"
counters_clean "after the concurrent POSTs"

# ==== expired, and deleted ====

q "UPDATE idempotency_keys SET created_at = UTC_TIMESTAMP(6) - INTERVAL 25 HOUR
   WHERE business_id = $A_ID AND idem_key = 'k-$RUN-1'"
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 2"
status_is 201 "a key older than 24 hours may be used again: 201"
ID2=$(xp 'string(/*/@id)')
ok "$([ "$ID2" != "$ID" ]; echo $?)" "... a new task"
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 2"
is "$ST $(xp 'string(/*/@id)')" "200 $ID2" "... and the key now gives that one"

run --config "$ASYNCTASKS_TEST_CONFIG" tasks delete --business "$A" "$ID2"
is "$RC" 0 "the key's task is deleted"
post "$TOKEN" "k-$RUN-1" "user=$UA" "type=$T" "payload=report 2"
status_is 409 "the key of a deleted task: 409"
like "$(xp 'string(/*/@message)')" "was used for task #$ID2, which has been deleted" \
    "... says the task is gone"

# ==== the command line ====

run --config "$ASYNCTASKS_TEST_CONFIG" enqueue --business "$A" --user "$UA" --type "$T" \
    --payload "cli 1" --idempotency-key "cli-$RUN"
is "$RC" 0 "enqueue --idempotency-key: exit 0"
CID=$OUT
like "$CID" '^[1-9][0-9]*$' "... prints the task's id"
run --config "$ASYNCTASKS_TEST_CONFIG" enqueue --business "$A" --user "$UA" --type "$T" \
    --payload "cli 1" --idempotency-key "cli-$RUN"
is "$RC" 0 "the same again: exit 0"
like "$OUT" "^asynctasks: task $CID was enqueued with this idempotency key" \
    "... says nothing new was enqueued"
like "$OUT" "$CID\$" "... and prints the first task's id"
post "$TOKEN" "cli-$RUN" "user=$UA" "type=$T" "payload=cli 1"
is "$ST $(xp 'string(/*/@id)')" "200 $CID" "the API gives the task the command line made with the key"
run --config "$ASYNCTASKS_TEST_CONFIG" enqueue --business "$A" --user "$UA" --type "$T" \
    --payload "cli 2" --idempotency-key "cli-$RUN"
is "$RC" 1 "another payload with the key: exit 1"
like "$OUT" "used for another request" "... says why"
run --config "$ASYNCTASKS_TEST_CONFIG" enqueue --business "$A" --user "$UA" --type "$T" \
    --idempotency-key "a b"
is "$RC" 65 "a bad key: exit 65"
like "$OUT" "visible ASCII" "... says what a key may hold"

counters_clean "at the end"
done_testing
