#!/usr/bin/env bash
# tests/api.sh: the HTTP API for programs, through nginx, the app and the
# database: API tokens made, listed and revoked with the command line;
# POST /api/v1/tasks and GET /api/v1/tasks/ID with no token, a bad one, a
# revoked one, a session cookie instead of a token, the token of another
# business; every answer an XML document that docs/views.rng accepts; a
# task enqueued is the task the command line shows; each bad parameter is
# a 400 that says which; payloads checked against the parameters a task
# type declares; live states as the executors leave them.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

REGISTER=$top_builddir/tests/register-type
[ -x "$REGISTER" ] || bail "$REGISTER is missing (make check builds it)"
HTTP_TEST=api
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"
curl -s -o /dev/null "$URL/login" || bail "nothing answers at $URL"

# ---- the data of this run ----

RUN=api$$t$(date +%s)
A=${RUN}a B=${RUN}b
cli business add "$A" "API A $RUN"
cli business add "$B" "API B $RUN"
A_ID=$(q "SELECT id FROM businesses WHERE slug = '$A'")
B_ID=$(q "SELECT id FROM businesses WHERE slug = '$B'")
UA=ua-$RUN@example.org UB=ub-$RUN@example.org UADM=adm-$RUN@example.org
PW="pw $RUN"
cli user add "$UA" "Ann API $RUN" --no-password
cli member add --business "$A" --user "$UA" --role member
cli user add "$UB" "Ben API $RUN" --no-password
cli member add --business "$B" --user "$UB" --role member
cli user add "$UADM" "Adm API $RUN" --password-file - <<<"$PW"
cli member add --business "$A" --user "$UADM" --role business_admin
T=$RUN.plain TP=$RUN.params
cli type add "$T"
"$REGISTER" "$ASYNCTASKS_TEST_CONFIG" "$TP" "count:int:1:-:1:100:How many" \
    "title:string:0:untitled:1:20:The title" "urgent:bool:0:false:0:0:Hurry" >/dev/null ||
    bail "cannot register $TP"

# ==== tokens on the command line ====

TOKEN=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" ci 2>"$WORK/err")
is "$?" 0 "token create: exit 0"
like "$TOKEN" '^atk_[0-9a-f]{64}$' "token create: prints the token alone on stdout"
is "$(cat "$WORK/err")" "" "token create: nothing on stderr"
is "$(q "SELECT COUNT(*) FROM api_tokens WHERE business_id = $A_ID AND name = 'ci'
         AND token_hash = UNHEX(SHA2('$TOKEN', 256))")" 1 \
    "token create: the database holds the token's SHA-256"
is "$(q "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '$TOKEN' OR name = '$TOKEN'")" 0 \
    "token create: the database does not hold the token itself"
run --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" ci
is "$RC" 1 "token create with a name the business has: exit 1"
like "$OUT" "already has a token named 'ci'" "token create with a name the business has: says so"
run --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" " "
is "$RC" 65 "token create with a blank name: exit 65"
run --config "$ASYNCTASKS_TEST_CONFIG" token create "no-such-$RUN" x
is "$RC" 1 "token create for a business that does not exist: exit 1"
run --config "$ASYNCTASKS_TEST_CONFIG" token create "$A"
is "$RC" 64 "token create without a name: usage error"
TOKEN_B=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$B" ci)
like "$TOKEN_B" '^atk_[0-9a-f]{64}$' "another business may use the same token name"
TOKEN_OLD=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" old)
run --config "$ASYNCTASKS_TEST_CONFIG" token list "$A"
is "$RC" 0 "token list: exit 0"
like "$OUT" " ci$" "token list: names the token"
like "$(printf '%s\n' "$OUT" | grep ' ci$')" '^[0-9]+ +[0-9-]+ [0-9:]+ +- +- +ci$' \
    "token list: created, never used, not revoked"
ok "$([[ $OUT != *"${TOKEN#atk_}"* ]]; echo $?)" "token list: never shows the secret"
run --config "$ASYNCTASKS_TEST_CONFIG" audit list --business "$A"
like "$OUT" "create_token" "token create is in the audit log"

# ==== refusals before anything is read ====

api() { # api TOKEN METHOD PATH [CURL-ARGS]: a request with the token ("" for none)
    local tok=$1 method=$2 path=$3
    shift 3
    req "" ${tok:+-H "Authorization: Bearer $tok"} -X "$method" "$@" "$URL$path"
}
enqueue() { # enqueue TOKEN FIELD=VALUE...: POST /api/v1/tasks with the fields
    local tok=$1 f args=()
    shift
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    api "$tok" POST /api/v1/tasks "${args[@]}"
}
xml_error() { # xml_error STATUS NAME: an XML error document of that status
    status_is "$1" "$2: $1"
    is "$CT" "application/xml; charset=utf-8" "$2: XML"
    is "$(xp 'string(/*/@status)')" "$1" "$2: an error document of status $1"
    valid "$2: valid"
}
ntasks() { q "SELECT COUNT(*) FROM tasks WHERE business_id IN ($A_ID, $B_ID)"; }
N0=$(ntasks)

enqueue "" "user=$UA" "type=$T"
xml_error 401 "POST without a token"
like "$(hdr WWW-Authenticate)" '^Bearer realm="asynctasks"$' "POST without a token: WWW-Authenticate: Bearer"
like "$(xp 'string(/*/@message)')" "Authorization: Bearer" "POST without a token: says what to send"
sec "a 401 of the API"
enqueue "atk_$(printf '0%.0s' $(seq 64))" "user=$UA" "type=$T"
xml_error 401 "POST with a token that does not exist"
like "$(hdr WWW-Authenticate)" '^Bearer .*error="invalid_token"' \
    "POST with a token that does not exist: WWW-Authenticate: Bearer, invalid_token"
cp -- "$BF" "$WORK/unknown.xml"
enqueue "${TOKEN}0" "user=$UA" "type=$T"
xml_error 401 "POST with a malformed token"
cmp -s "$BF" "$WORK/unknown.xml"
ok $? "a malformed token and an unknown one get the same answer"
req "" -H "Authorization: Basic $(printf 'a:b' | base64)" --data-urlencode "user=$UA" \
    --data-urlencode "type=$T" "$URL/api/v1/tasks"
xml_error 401 "POST with Basic credentials"
# a browser's session is not a token: the API never looks at cookies
J=$WORK/jar
: >"$J"
login_form "$J" "$UADM" "$PW"
status_is 303 "the admin of A logs in"
req "$J" --data-urlencode "user=$UA" --data-urlencode "type=$T" "$URL/api/v1/tasks"
xml_error 401 "POST with a session cookie and no token"
is "$(ntasks)" "$N0" "the refused requests enqueued nothing"

# ==== enqueue ====

enqueue "$TOKEN" "user=$UA" "type=$T" "payload=line one
line <two> & 'three'" "priority=7" "run_at=+1h"
status_is 201 "POST a task: 201 Created"
is "$CT" "application/xml; charset=utf-8" "POST a task: XML"
valid "POST a task: valid"
sec "an API answer"
ID=$(xp 'string(/*/@id)')
like "$ID" '^[1-9][0-9]*$' "POST a task: the answer carries its id"
is "$LOC" "/admin/async-tasks/tasks/$ID?business=$A" "POST a task: Location is its page"
is "$(xp 'concat(local-name(/*), " ", /*/@business, " ", /*/@status, " ", /*/@priority, " ", /*/@type)')" \
    "task $A queued 7 $T" "POST a task: the task's document, queued"
is "$(xp 'string(//*[local-name()="payload"])')" "line one
line <two> & 'three'" "POST a task: the payload as sent"
# the answer is built from what was written, not read back: it must be
# what a read gives
cp -- "$BF" "$WORK/answer.xml"
api "$TOKEN" GET "/api/v1/tasks/$ID"
status_is 200 "GET the new task: 200"
cmp -s "$WORK/answer.xml" "$BF"
ok $? "the answer to the POST is the task as a GET reads it back"
run --config "$ASYNCTASKS_TEST_CONFIG" tasks show --business "$A" "$ID"
is "$RC" 0 "the command line shows the task"
like "$OUT" "task type: +$T" "the command line shows its type"
like "$OUT" "user: +Ann API $RUN" "the command line shows its user"
like "$OUT" "priority: +7" "the command line shows its priority"
is "$(q "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), run_at) BETWEEN 58 AND 60 FROM tasks WHERE id = $ID")" 1 \
    "run_at +1h is an hour from now"
run --config "$ASYNCTASKS_TEST_CONFIG" token list "$A"
like "$(printf '%s\n' "$OUT" | grep ' ci$')" '^[0-9]+ +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +- +ci$' \
    "token list: the token was used"
enqueue "$TOKEN" "user=$UA" "type=$T"
status_is 201 "POST with only user and type: 201"
is "$(xp 'concat(/*/@priority, " ", /*/@status)')" "0 queued" "POST with only user and type: priority 0"
ID2=$(xp 'string(/*/@id)')
is "$(q "SELECT payload IS NULL FROM tasks WHERE id = $ID2")" 1 "POST without a payload: none stored"

# a paused user's new task says so at once
cli pause user --business "$A" "$UA" --reason "api test"
enqueue "$TOKEN" "user=$UA" "type=$T"
status_is 201 "POST for a paused user: 201"
is "$(xp 'concat(/*/@status, " ", //*[local-name()="paused-by"]/@reason)')" "paused api test" \
    "POST for a paused user: paused, with the rule"
valid "POST for a paused user: valid"
cp -- "$BF" "$WORK/answer.xml"
api "$TOKEN" GET "/api/v1/tasks/$(xp 'string(/*/@id)')"
cmp -s "$WORK/answer.xml" "$BF"
ok $? "the answer for a paused user's task is the task as a GET reads it back"
cli resume all --business "$A"

# ==== another business ====

N1=$(ntasks)
enqueue "$TOKEN" "user=$UB" "type=$T"
xml_error 404 "POST with A's token for a user of B"
is "$(xp 'string(/*/@message)')" "user '$UB' is not a member of this business" \
    "POST with A's token for a user of B: says the user is not in the business"
sed "s/$UB/EMAIL/" "$BF" >"$WORK/other.xml"
NOBODY=nobody-$RUN@example.org
enqueue "$TOKEN" "user=$NOBODY" "type=$T"
xml_error 404 "POST for an email nobody has"
sed "s/$NOBODY/EMAIL/" "$BF" >"$WORK/nobody.xml"
cmp -s "$WORK/other.xml" "$WORK/nobody.xml"
ok $? "a user of another business and an unknown email get the same answer"
is "$(ntasks)" "$N1" "nothing was enqueued in either business"
enqueue "$TOKEN_B" "user=$UB" "type=$T"
status_is 201 "B's token enqueues for B's user"
is "$(xp 'string(/*/@business)')" "$B" "B's token: the task is B's"
ID_B=$(xp 'string(/*/@id)')

# ==== bad parameters ====

bad() { # bad STATUS MESSAGE-ERE NAME FIELD=VALUE...
    local st=$1 re=$2 name=$3
    shift 3
    enqueue "$TOKEN" "$@"
    xml_error "$st" "$name"
    like "$(xp 'string(/*/@message)')" "$re" "$name: says why"
}
N2=$(ntasks)
bad 400 "parameter user is missing" "POST without user" "type=$T"
bad 400 "parameter type is missing" "POST without type" "user=$UA"
bad 400 "priority must be a whole number from -1000 to 1000" "POST with priority 5000" \
    "user=$UA" "type=$T" "priority=5000"
bad 400 "priority must be a whole number" "POST with priority abc" "user=$UA" "type=$T" "priority=abc"
bad 400 "^parameter run_at: " "POST with a run_at that is no time" "user=$UA" "type=$T" "run_at=soonish"
bad 400 "email" "POST with a user that is no email" "user=not an email" "type=$T"
bad 400 "task type" "POST with a type name that cannot be" "user=$UA" "type=Bad Type!"
bad 404 "task type '$RUN.none'" "POST with a type that does not exist" "user=$UA" "type=$RUN.none"
bad 400 "parameter 'count' is required" "POST of a type with parameters, without a required one" \
    "user=$UA" "type=$TP" "payload=title=x"
bad 400 "parameter 'count' must be 1 to 100, not 500" "POST with a parameter out of range" \
    "user=$UA" "type=$TP" "payload=count=500"
bad 400 "parameter 'count' must be a whole number, not 'many'" "POST with a parameter of the wrong type" \
    "user=$UA" "type=$TP" "payload=count=many"
bad 400 "unknown parameter 'colour' \\(declared: count, title, urgent\\)" "POST with an undeclared parameter" \
    "user=$UA" "type=$TP" "payload=count=1
colour=red"
bad 400 "parameter 'urgent' must be 'true' or 'false', not 'maybe'" "POST with a bad boolean" \
    "user=$UA" "type=$TP" "payload=count=1
urgent=maybe"
bad 400 "parameter 'title' is too long: 21 characters, at most 20" "POST with a string too long" \
    "user=$UA" "type=$TP" "payload=count=1
title=$(printf 'x%.0s' $(seq 21))"
is "$(ntasks)" "$N2" "no bad request enqueued anything"
enqueue "$TOKEN" "user=$UA" "type=$TP" "payload=count=3
title=Süd & <Nord>
urgent=true"
status_is 201 "POST of a type with parameters, fitting them: 201"
valid "POST of a type with parameters: valid"
cp -- "$BF" "$WORK/answer.xml"
api "$TOKEN" GET "/api/v1/tasks/$(xp 'string(/*/@id)')"
cmp -s "$WORK/answer.xml" "$BF"
ok $? "the answer for a type with parameters is the task as a GET reads it back"
req "" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"user": "x"}' "$URL/api/v1/tasks"
xml_error 415 "POST of JSON"

# ==== methods ====

api "$TOKEN" GET /api/v1/tasks
xml_error 405 "GET /api/v1/tasks"
is "$(hdr Allow)" "POST" "GET /api/v1/tasks: Allow: POST"
api "$TOKEN" DELETE "/api/v1/tasks/$ID"
xml_error 405 "DELETE /api/v1/tasks/ID"
is "$(hdr Allow)" "GET, HEAD" "DELETE /api/v1/tasks/ID: Allow: GET, HEAD"
api "$TOKEN" PUT /api/v1/tasks
xml_error 405 "PUT /api/v1/tasks"

# ==== reading a task back ====

api "$TOKEN" GET "/api/v1/tasks/$ID"
status_is 200 "GET a task: 200"
valid "GET a task: valid"
is "$(xp 'concat(/*/@id, " ", /*/@status, " ", /*/@attempts, " ", /*/@max-attempts)')" "$ID queued 0 3" \
    "GET a task: queued, no attempt yet"
api "" GET "/api/v1/tasks/$ID"
xml_error 401 "GET a task without a token"
api "$TOKEN" GET "/api/v1/tasks/$ID_B"
xml_error 404 "GET a task of B with A's token"
like "$(xp 'string(/*/@message)')" "no task #$ID_B in this business" "GET a task of B with A's token: no such task"
api "$TOKEN" GET /api/v1/tasks/999999999999
xml_error 404 "GET a task that does not exist"
# the states an executor leaves a task in
q "UPDATE tasks SET state = 'running', attempts = 1, started_at = UTC_TIMESTAMP(6),
   progress_done = 40, progress_total = 160 WHERE id = $ID"
api "$TOKEN" GET "/api/v1/tasks/$ID"
valid "GET a running task: valid"
is "$(xp 'concat(/*/@status, " ", /*/@attempts, " ", /*/@progress-done, "/", /*/@progress-total)')" \
    "running 1 40/160" "GET a running task: running, the attempt, the progress"
like "$(xp 'string(/*/@started-at)')" '^[0-9-]+T[0-9:.]+Z$' "GET a running task: when it started"
q "UPDATE tasks SET state = 'failed', finished_at = UTC_TIMESTAMP(6), duration_us = 2500000,
   last_error = 'disk <full> & more' WHERE id = $ID"
api "$TOKEN" GET "/api/v1/tasks/$ID"
valid "GET a failed task: valid"
is "$(xp 'concat(/*/@status, " ", /*/@duration-us, " ", //*[local-name()="error"])')" \
    "failed 2500000 disk <full> & more" "GET a failed task: failed, how long, the error"
like "$(xp 'string(/*/@finished-at)')" '^[0-9-]+T[0-9:.]+Z$' "GET a failed task: when it ended"
q "UPDATE tasks SET state = 'succeeded', last_error = NULL, result = 'wrote 3 files' WHERE id = $ID"
api "$TOKEN" GET "/api/v1/tasks/$ID"
is "$(xp 'concat(/*/@status, " ", //*[local-name()="result"])')" "succeeded wrote 3 files" \
    "GET a succeeded task: succeeded, the result"
valid "GET a succeeded task: valid"

# ==== revoking ====

run --config "$ASYNCTASKS_TEST_CONFIG" token revoke "$A" ci
is "$RC" 0 "token revoke: exit 0"
enqueue "$TOKEN" "user=$UA" "type=$T"
xml_error 401 "POST with a revoked token"
cmp -s "$BF" "$WORK/unknown.xml"
ok $? "a revoked token gets the answer of an unknown one"
api "$TOKEN" GET "/api/v1/tasks/$ID"
xml_error 401 "GET with a revoked token"
enqueue "$TOKEN_OLD" "user=$UA" "type=$T"
status_is 201 "another token of the business still works"
run --config "$ASYNCTASKS_TEST_CONFIG" token revoke "$A" ci
is "$RC" 1 "token revoke of a revoked token: exit 1"
like "$OUT" "no live token named 'ci'" "token revoke of a revoked token: says so"
run --config "$ASYNCTASKS_TEST_CONFIG" token list "$A"
like "$(printf '%s\n' "$OUT" | grep ' ci$')" '^[0-9]+ +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +[0-9-]+ [0-9:]+ +ci$' \
    "token list: the token is revoked"
run --config "$ASYNCTASKS_TEST_CONFIG" audit list --business "$A"
like "$OUT" "revoke_token" "token revoke is in the audit log"
enqueue "$TOKEN_B" "user=$UB" "type=$T"
status_is 201 "revoking A's token leaves B's alone"

done_testing
