#!/usr/bin/env bash
# tests/api_bulk.sh: the bulk enqueue of the HTTP API, through nginx, the
# app and the database: POST /api/v1/tasks with an XML document of tasks.
# Good documents enqueue every task, in order, with its fields, and answer
# the ids; a document with any bad task enqueues nothing and names each
# bad one by position (a user of another business told like an unknown
# email); 1,000 tasks at once, 1,001 refused; documents that are not
# well-formed, that declare entities (expansion, external) or that have
# another shape are refused, and the app outlives them; another content
# type, no token or a bad one are refused; tasks enqueued under a live
# pause are held, as the command line, the API and the screen show; one
# request wakes the executors once, not once per task. Every answer is a
# document that docs/views.rng accepts; every document sent as good is one
# that docs/api.rng accepts.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it).
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

URL=${ASYNCTASKS_TEST_URL:-}
PIDFILE=${ASYNCTASKS_TEST_FCGI_PIDFILE:-}
[ -n "$URL" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
[ -n "$PIDFILE" ] && [ -s "$PIDFILE" ] || bail "ASYNCTASKS_TEST_FCGI_PIDFILE names no pid file"
for tool in curl xmllint pgrep; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
REGISTER=$top_builddir/tests/register-type
WAKE_COUNT=$top_builddir/tests/wake-count
for helper in "$REGISTER" "$WAKE_COUNT"; do
    [ -x "$helper" ] || bail "$helper is missing (make check builds it)"
done
HTTP_TEST=api_bulk
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"
API_RNG=$top_srcdir/docs/api.rng
[ -r "$API_RNG" ] || bail "$API_RNG is missing"
watch_app "$PIDFILE"
curl -s -o /dev/null "$URL/login" || bail "nothing answers at $URL"

# ---- the data of this run ----

RUN=bulk$$t$(date +%s)
A=${RUN}a B=${RUN}b
cli business add "$A" "Bulk A $RUN"
cli business add "$B" "Bulk B $RUN"
A_ID=$(q "SELECT id FROM businesses WHERE slug = '$A'")
UA=ua-$RUN@example.org UA2=ua2-$RUN@example.org UB=ub-$RUN@example.org
UADM=adm-$RUN@example.org PW="pw $RUN"
cli user add "$UA" "Ann Bulk $RUN" --no-password
cli member add --business "$A" --user "$UA" --role member
cli user add "$UA2" "Abe Bulk $RUN" --no-password
cli member add --business "$A" --user "$UA2" --role member
cli user add "$UB" "Ben Bulk $RUN" --no-password
cli member add --business "$B" --user "$UB" --role member
cli user add "$UADM" "Adm Bulk $RUN" --password-file - <<<"$PW"
cli member add --business "$A" --user "$UADM" --role business_admin
T=$RUN.plain TP=$RUN.params
cli type add "$T"
"$REGISTER" "$ASYNCTASKS_TEST_CONFIG" "$TP" "count:int:1:-:1:100:How many" >/dev/null ||
    bail "cannot register $TP"
TOKEN=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$A" bulk) || bail "token create"
ntasks() { q "SELECT COUNT(*) FROM tasks WHERE business_id = $A_ID"; }

# ---- requests ----

NS=urn:asynctasks:api:1
# post FILE [CONTENT-TYPE]: the document in FILE, as XML (or the type
# given), with A's token.
post() {
    req "" -H "Authorization: Bearer $TOKEN" -H "Content-Type: ${2:-application/xml}" \
        --data-binary "@$1" "$URL/api/v1/tasks"
}
# doc FILE: a document of one task per line of stdin, "USER TYPE [PRIORITY]"
doc() {
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n<tasks xmlns="%s">\n' "$NS"
        awk '{ printf "  <task user=\"%s\" type=\"%s\"%s/>\n", $1, $2,
               (NF > 2 ? " priority=\"" $3 "\"" : "") }'
        printf '</tasks>\n'
    } >"$1"
}
# sendable FILE NAME: docs/api.rng accepts the document.
sendable() { valid "$2: the document is one docs/api.rng accepts" "$API_RNG" "$1"; }
xml_error() { # xml_error STATUS NAME: an XML error document of that status
    status_is "$1" "$2: $1"
    is "$CT" "application/xml; charset=utf-8" "$2: XML"
    is "$(xp 'string(/*[local-name()="error"]/@status)')" "$1" "$2: an error document of status $1"
    valid "$2: valid"
}
# items: the bad items of an error document, "POSITION: MESSAGE" a line.
items() {
    local i n
    n=$(xp 'count(//*[local-name()="item"])')
    for ((i = 1; i <= ${n:-0}; i++)); do
        printf '%s\n' "$(xp "concat(//*[local-name()='item'][$i]/@position, ': ',
                                   //*[local-name()='item'][$i]/@message)")"
    done
}
ids() { xmllint --xpath '//*[local-name()="task"]/@id' "$BF" 2>/dev/null | grep -o '[0-9]\+'; }

# ==== a good document ====

GOOD=$WORK/good.xml
cat >"$GOOD" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- a mailing, by hand -->
<tasks xmlns="$NS">
  <task user="$UA" type="$T" priority="7" run_at="+1h">
    <payload>line one&#13;
line &lt;two&gt; &amp; 'three' ü</payload>
  </task>
  <task user="$UA2" type="$T"/>
  <task user="$UA" type="$TP" priority="-3"><payload>count=5</payload></task>
</tasks>
EOF
sendable "$GOOD" "three tasks"
N0=$(ntasks)
post "$GOOD"
status_is 201 "three tasks: 201 Created"
is "$CT" "application/xml; charset=utf-8" "three tasks: XML"
valid "three tasks: valid"
sec "a bulk answer"
is "$(xp 'concat(local-name(/*), " ", /*/@business, " ", /*/@count)')" "enqueued $A 3" \
    "three tasks: the answer says how many, for the business"
mapfile -t NEW < <(ids)
is "${#NEW[@]}" 3 "three tasks: three ids"
is "$(ntasks)" $((N0 + 3)) "three tasks: three written"
row() { q "SELECT CONCAT_WS('|', u.email, t.type_name, t.priority, t.state) FROM tasks t
           JOIN users u ON u.id = t.user_id WHERE t.id = $1"; }
is "$(row "${NEW[0]}")" "$UA|$T|7|queued" "the first id is the first task: user, type, priority"
is "$(row "${NEW[1]}")" "$UA2|$T|0|queued" "the second id is the second task, priority 0 by default"
is "$(row "${NEW[2]}")" "$UA|$TP|-3|queued" "the third id is the third task"
ok "$([ "${NEW[0]}" -lt "${NEW[1]}" ] && [ "${NEW[1]}" -lt "${NEW[2]}" ]; echo $?)" "the ids rise in order"
req "" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/tasks/${NEW[0]}"
is "$(xp 'string(//*[local-name()="payload"])')" "line one"$'\r'"
line <two> & 'three' ü" "the payload as written, a CR by reference included"
is "$(q "SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), run_at) BETWEEN 58 AND 60 FROM tasks WHERE id = ${NEW[0]}")" 1 \
    "run_at +1h is an hour from now"
is "$(q "SELECT payload IS NULL FROM tasks WHERE id = ${NEW[1]}")" 1 "a task without a payload has none"
post "$GOOD" 'application/xml; charset=utf-8'
status_is 201 "Content-Type with a charset parameter: 201"

# ==== all or nothing ====

BAD=$WORK/bad.xml
cat >"$BAD" <<EOF
<tasks xmlns="$NS">
  <task user="$UA" type="$T"/>
  <task user="$UA" type="$RUN.none"/>
  <task user="$UA2" type="$T"/>
  <task user="$UB" type="$T"/>
  <task user="nobody-$RUN@example.org" type="$T"/>
  <task user="$UA" type="$T" priority="5000"/>
  <task user="$UA" type="$TP"><payload>count=500</payload></task>
  <task user="$UA" type="$T" run_at="soonish"/>
  <task user="not an email" type="$T"/>
  <task type="$T"/>
  <task user="$UA" type="$T" prio="1"/>
  <task user="$UA" type="$T"/>
</tasks>
EOF
N1=$(ntasks)
post "$BAD"
xml_error 422 "twelve tasks, nine bad"
is "$(xp 'string(/*/@message)')" "9 of 12 tasks cannot be enqueued: nothing was enqueued" \
    "twelve tasks, nine bad: the message counts them"
is "$(ntasks)" "$N1" "twelve tasks, nine bad: nothing was written, the good ones neither"
is "$(items)" "2: no task type '$RUN.none'
4: user '$UB' is not a member of business '$A'
5: user 'nobody-$RUN@example.org' is not a member of business '$A'
6: parameter priority must be a whole number from -1000 to 1000
7: payload line 1: parameter 'count' must be 1 to 100, not 500
8: parameter run_at: time 'soonish' is not understood: use YYYY-MM-DD[ HH:MM[:SS]] (UTC), now, or +N followed by s, m, h or d
9: email 'not an email' is not of the form name@domain
10: parameter user is missing
11: attribute 'prio' is not allowed: a task takes user, type, priority, run_at" \
    "each bad task named by its position, with what is wrong"

# ==== 1,000 and 1,001 ====

BIG=$WORK/big.xml
for i in $(seq 1 1000); do echo "$([ $((i % 2)) = 0 ] && echo "$UA" || echo "$UA2") $T $((i % 200))"; done | doc "$BIG"
sendable "$BIG" "1,000 tasks"
N2=$(ntasks)
post "$BIG"
status_is 201 "1,000 tasks: 201"
valid "1,000 tasks: valid"
is "$(xp 'string(/*/@count)')" 1000 "1,000 tasks: the answer counts them"
mapfile -t NEW < <(ids)
is "${#NEW[@]}" 1000 "1,000 tasks: 1,000 ids"
is "$(printf '%s\n' "${NEW[@]}" | sort -n | uniq | tr '\n' ' ')" "$(printf '%s\n' "${NEW[@]}" | tr '\n' ' ')" \
    "1,000 tasks: the ids rise, none twice"
is "$(ntasks)" $((N2 + 1000)) "1,000 tasks: all written"
is "$(q "SELECT CONCAT(COUNT(*), ' ', SUM(priority)) FROM tasks WHERE id BETWEEN ${NEW[0]} AND ${NEW[999]}")" \
    "1000 $((200 * 199 / 2 * 5))" "1,000 tasks: each with its priority"
( cat "$BIG" | sed '$d'; echo "<task user=\"$UA\" type=\"$T\"/></tasks>" ) >"$WORK/over.xml"
post "$WORK/over.xml"
xml_error 413 "1,001 tasks"
like "$(xp 'string(/*/@message)')" "more than 1000 tasks: send at most 1000 in one request" \
    "1,001 tasks: says the limit"
is "$(ntasks)" $((N2 + 1000)) "1,001 tasks: nothing written"

# ==== documents refused, and the app outlives them ====

refused() { # refused STATUS MESSAGE-ERE NAME: the last request
    xml_error "$1" "$3"
    like "$(xp 'string(/*/@message)')" "$2" "$3: says why"
}
N3=$(ntasks)
printf '<tasks xmlns="%s"><task user="%s" type="%s">' "$NS" "$UA" "$T" >"$WORK/cut.xml"
post "$WORK/cut.xml"
refused 400 "^the body is not well-formed XML: line 1: " "a document cut short"
printf '{"user": "%s"}' "$UA" >"$WORK/json.xml"
post "$WORK/json.xml"
refused 400 "not well-formed XML" "JSON sent as XML"
: >"$WORK/empty.xml"
post "$WORK/empty.xml"
refused 400 "not well-formed XML" "an empty XML body"
{
    printf '<?xml version="1.0"?>\n<!DOCTYPE tasks [\n <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
    prev=a
    for e in b c d e f g h i j; do
        printf ' <!ENTITY %s "%s">\n' "$e" "$(printf "&$prev;%.0s" $(seq 10))"
        prev=$e
    done
    printf ']>\n<tasks xmlns="%s"><task user="%s" type="%s"><payload>&j;&j;</payload></task></tasks>\n' "$NS" "$UA" "$T"
} >"$WORK/laughs.xml"
req_next "" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/xml' \
    --data-binary "@$WORK/laughs.xml" "$URL/api/v1/tasks"
refused 400 "DTDs and entity declarations are not accepted" "entity expansion (a billion laughs)"
alive "entity expansion"
printf '<?xml version="1.0"?>\n<!DOCTYPE tasks [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<tasks xmlns="%s"><task user="%s" type="%s"><payload>&x;</payload></task></tasks>\n' \
    "$NS" "$UA" "$T" >"$WORK/xxe.xml"
post "$WORK/xxe.xml"
refused 400 "DTDs and entity declarations are not accepted" "an external entity"
ok "$([[ $BODY != *root:* ]]; echo $?)" "an external entity: nothing of the file comes back"
{ printf '<tasks xmlns="%s"><task>' "$NS"; printf '<a>%.0s' $(seq 5000); } >"$WORK/deep.xml"
req_next "" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/xml' \
    --data-binary "@$WORK/deep.xml" "$URL/api/v1/tasks"
refused 400 "not well-formed XML" "elements nested 5,000 deep"
alive "deep nesting"
printf '<tasks><task user="%s" type="%s"/></tasks>' "$UA" "$T" >"$WORK/nons.xml"
post "$WORK/nons.xml"
refused 400 'root must be <tasks xmlns="urn:asynctasks:api:1">' "a document without the namespace"
printf '<tasks xmlns="%s"></tasks>' "$NS" >"$WORK/none.xml"
post "$WORK/none.xml"
refused 400 "holds no task" "a document of no task"
printf '<tasks xmlns="%s"><task user="caf\xe9@example.org" type="%s"/></tasks>' "$NS" "$T" >"$WORK/latin1.xml"
post "$WORK/latin1.xml"
refused 400 "not well-formed XML" "bytes that are not UTF-8"
is "$(ntasks)" "$N3" "the refused documents wrote nothing"

# ==== content type and token ====

post "$GOOD" text/plain
refused 415 "or many tasks as an XML document \\(application/xml\\)" "an XML document as text/plain"
post "$GOOD" application/xml-dtd
refused 415 "application/xml" "an XML document as application/xml-dtd"
req "" -H 'Content-Type: application/xml' --data-binary "@$GOOD" "$URL/api/v1/tasks"
refused 401 "Authorization: Bearer" "a document without a token"
req "" -H "Authorization: Bearer ${TOKEN}0" -H 'Content-Type: application/xml' --data-binary "@$GOOD" \
    "$URL/api/v1/tasks"
refused 401 "not valid" "a document with a malformed token"
is "$(ntasks)" "$N3" "nothing was written without a valid token"

# ==== under a live pause ====

cli pause user --business "$A" "$UA" --reason "bulk hold"
printf '%s %s\n%s %s\n' "$UA" "$T" "$UA2" "$T" | doc "$WORK/paused.xml"
post "$WORK/paused.xml"
status_is 201 "two tasks, one of a paused user: 201"
mapfile -t NEW < <(ids)
run --config "$ASYNCTASKS_TEST_CONFIG" tasks show --business "$A" "${NEW[0]}"
like "$OUT" "status: +paused" "tasks show: the paused user's new task is paused"
like "$OUT" "bulk hold" "tasks show: with the rule"
run --config "$ASYNCTASKS_TEST_CONFIG" tasks show --business "$A" "${NEW[1]}"
like "$OUT" "status: +queued" "tasks show: the other user's is queued"
req "" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/tasks/${NEW[0]}"
is "$(xp 'concat(/*/@status, " ", //*[local-name()="paused-by"]/@reason)')" "paused bulk hold" \
    "the API: paused, with the rule"
J=$WORK/jar
: >"$J"
login_form "$J" "$UADM" "$PW"
status_is 303 "the admin of A logs in"
req "$J" "$URL/admin/async-tasks?business=$A&format=xml"
is "$(xp "concat(//*[local-name()='task'][@id='${NEW[0]}']/@status, ' ',
              //*[local-name()='task'][@id='${NEW[1]}']/@status)")" \
    "paused queued" "the screen's list: the held one paused, the other queued"
req "$J" "$URL/admin/async-tasks/tasks/${NEW[0]}?business=$A"
has "$BODY" "<dt>Status</dt><dd>paused</dd><dt>Held by</dt><dd>User Ann Bulk $RUN paused by" \
    "the screen's task page: paused, and the rule that holds it"
cli resume all --business "$A"

# ==== one wake-up per request ====

# wake_start FILE: a counter of the wake-ups that name business A (its
# address on the first line of FILE, in WAKE_ADDR); wake_stop: its count,
# in WAKES.
wake_start() {
    WAKE_OUT=$1
    "$WAKE_COUNT" "$A_ID" >"$WAKE_OUT" &
    WAKE_PID=$!
    for _ in $(seq 50); do
        [ -s "$WAKE_OUT" ] && break
        sleep 0.1
    done
    WAKE_ADDR=$(head -n 1 "$WAKE_OUT")
    [ -n "$WAKE_ADDR" ] || bail "wake-count did not start"
}
wake_stop() {
    sleep 0.5 # for the last datagram
    kill -TERM "$WAKE_PID"
    wait "$WAKE_PID"
    WAKES=$(sed -n 2p "$WAKE_OUT")
}
# A supervisor row that advertises the counter: any process of the test
# database that enqueues meanwhile wakes it too, but names its own
# business, which the counter leaves out.
wake_start "$WORK/wake.bulk"
SUP=$(q "INSERT INTO supervisors (host, pid, wake_addr, started_at, heartbeat_at)
         VALUES ('bulk-$RUN', 1, '$WAKE_ADDR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)); SELECT LAST_INSERT_ID()")
trap 'q "DELETE FROM supervisors WHERE id = $SUP"; rm -rf -- "$WORK"' EXIT
sleep 2 # past the second each worker keeps its list of addresses
post "$BIG"
status_is 201 "1,000 tasks with an executor listening: 201"
wake_stop
is "${WAKES:-0}" 1 "1,000 tasks in one request: one wake-up that names the business"
wake_start "$WORK/wake.single"
q "UPDATE supervisors SET wake_addr = '$WAKE_ADDR' WHERE id = $SUP"
sleep 2
for _ in $(seq 20); do
    req "" -H "Authorization: Bearer $TOKEN" --data-urlencode "user=$UA" --data-urlencode "type=$T" \
        "$URL/api/v1/tasks"
done
wake_stop
is "${WAKES:-0}" 20 "20 single requests: a wake-up each"

done_testing
