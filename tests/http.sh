#!/usr/bin/env bash
# tests/http.sh: the admin screen over HTTP, through nginx, the app and the
# database, the way a browser uses it: every route for every kind of
# visitor (anonymous, a member who administers nothing, the admin of
# another business, the business's admin, a platform admin); pausing,
# resuming, editing and deleting with their audit trail; escaping of
# hostile names in HTML and XML; searches with SQL metacharacters; CSRF;
# oversized and malformed requests, after each of which the app must still
# run the same processes; security headers, cookies, login throttling,
# content negotiation with the XML views checked against docs/views.rng,
# gzip, and the static files.
#
# Needs ASYNCTASKS_TEST_URL (the test instance, as dev/check starts it)
# and ASYNCTASKS_TEST_FCGI_PIDFILE; the data it makes is named after the
# run, so it shares the test database with the other tests.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

URL=${ASYNCTASKS_TEST_URL:-}
PIDFILE=${ASYNCTASKS_TEST_FCGI_PIDFILE:-}
FCGI_LOG=${ASYNCTASKS_TEST_FCGI_LOG:-}
[ -n "$URL" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
if [ -z "$PIDFILE" ] || [ ! -s "$PIDFILE" ]; then
    bail "ASYNCTASKS_TEST_FCGI_PIDFILE names no pid file"
fi
for tool in curl xmllint gzip awk pgrep; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
START=$(date +%s)
# requests and checks: req, took, hdr, xp, status_is, valid, sec, q ...
HTTP_TEST=http
# shellcheck source=http_lib.sh
. "$top_srcdir/tests/http_lib.sh"

watch_app "$PIDFILE"
LOG_AT=0
[ -n "$FCGI_LOG" ] && [ -f "$FCGI_LOG" ] && LOG_AT=$(stat -c %s -- "$FCGI_LOG")

# ---- the data of this run ----

RUN=h$$t$(date +%s)
A=${RUN}a B=${RUN}b GHOST=${RUN}zz
diag "run $RUN: businesses $A and $B"
PW="pw $RUN & 'q' \"d\" =+%25 ü"
cli business add "$A" "Business A <b>$RUN</b> &amp;"
cli business add "$B" "Business B $RUN"
A_ID=$(q "SELECT id FROM businesses WHERE slug = '$A'")
B_ID=$(q "SELECT id FROM businesses WHERE slug = '$B'")

declare -A EMAIL NAME UID_
# user KEY NAME [BUSINESS ROLE]: adds user KEY (email KEY-RUN@example.org);
# only those who log in get a password (hashing one takes a while).
user() {
    local key=$1 name=$2 email="$1-$RUN@example.org"
    case $key in
    pa | ba | bb | mem | lock) cli user add "$email" "$name" --password-file - <<<"$PW" ;;
    *) cli user add "$email" "$name" --no-password ;;
    esac
    EMAIL[$key]=$email NAME[$key]=$name
    UID_[$key]=$(q "SELECT id FROM users WHERE email = '$email'")
    if [ $# -ge 4 ]; then cli member add --business "$3" --user "$email" --role "$4"; fi
}
user pa "Platform Admin $RUN"
cli platform-admin add "${EMAIL[pa]}"
user ba "Business Admin $RUN" "$A" business_admin
user bb "Other Admin $RUN" "$B" business_admin
user mem "Plain Member $RUN" "$A" member
user lock "Locked Out $RUN"
user ub "B Member $RUN" "$B" member
user ux "<script>alert(1)</script> $RUN" "$A" member
user ui "\"><img src=x onerror=alert(1)> &amp; $RUN" "$A" member
user up "Pct 100% $RUN" "$A" member
user uu "Und a_b $RUN" "$A" member
user uq "O'Brien \"q\" back\\slash $RUN" "$A" member
user us "Robert'); DROP TABLE tasks;-- $RUN" "$A" member
user upl "Plain Pérson $RUN" "$A" member
user um1 "Matrix One $RUN" "$A" member
user um2 "Matrix Two $RUN" "$A" member

T1=$RUN.exp T2=$RUN.rep T3=${RUN}_und TM1=$RUN.ma TM2=$RUN.mb
cli type add "$T1" --description "<script>alert(1)</script> exports"
cli type add "$T2" --description "\"><img src=x onerror=alert(1)> &amp; reports"
cli type add "$T3" --description "plain"
cli type add "$TM1"
cli type add "$TM2"
declare -A TYPE_ID
for t in "$T1" "$T2" "$T3" "$TM1" "$TM2"; do
    TYPE_ID[$t]=$(q "SELECT id FROM task_types WHERE name = '$t'")
done

PAYLOAD=$'<script>alert(1)</script>\n"><img src=x onerror=alert(1)> &amp; ]]> \'end\''
printf '%s' "$PAYLOAD" >"$WORK/payload"
enqueue() { # enqueue VAR USER-KEY TYPE [BUSINESS]: a task; VAR is its id
    cli enqueue --business "${4:-$A}" --user "${EMAIL[$2]}" --type "$3" --payload-file "$WORK/payload"
    printf -v "$1" '%s' "$OUT"
}

# The visitors: a cookie jar and a CSRF token each; anonymous has no jar,
# and a token that belongs to no session.
declare -A JAR CSRF
JAR[anon]="" CSRF[anon]=$(rand_token)
declare -A WHO=([anon]="anonymous" [mem]="a member who administers nothing"
    [bb]="the admin of another business" [ba]="the business admin" [pa]="a platform admin")

# login ROLE: logs ROLE in as a browser does (the form, then the post)
# with a jar of its own; CSRF[ROLE] is the session's token.
login() {
    local role=$1 jar=$WORK/jar.$1
    : >"$jar"
    JAR[$role]=$jar
    login_form "$jar" "${EMAIL[$role]}" "$PW"
    status_is 303 "log in as ${WHO[$role]}: 303"
    is "$LOC" /admin/async-tasks "log in as ${WHO[$role]}: to the task list"
    req "$jar" "$URL/admin/audit-log?business=$A"
    CSRF[$role]=$(csrf_in_body)
    like "${CSRF[$role]}" '^[0-9a-f]{64}$' "log in as ${WHO[$role]}: the pages carry a CSRF token"
}

# ==== logging in ====

# The first visit: a login form whose token is also in a cookie.
J0=$WORK/jar.first
: >"$J0"
req "$J0" "$URL/admin/audit-log?business=$A"
status_is 303 "anonymous GET of a page: 303"
NEXT_LOC=$LOC
is "$NEXT_LOC" "/login?next=$(enc "/admin/audit-log?business=$A")" \
    "anonymous GET of a page: to the login page, remembering the page"
sec "a redirect"
req "$J0" "$URL$NEXT_LOC"
status_is 200 "the login form: 200"
sec "the login form"
wellformed "the login form is well-formed"
is "$(xp 'string(//*[local-name()="input"][@name="next"]/@value)')" "/admin/audit-log?business=$A" \
    "the login form carries the page to go back to"
TOK=$(csrf_in_body)
is "$(set_cookie at_login)" "$TOK" "the login form's token is also in the at_login cookie"
like "$(hdr Set-Cookie | grep '^at_login=')" '; HttpOnly; SameSite=Strict' \
    "the at_login cookie is HttpOnly and SameSite=Strict"
# a session cookie planted before login must not survive it
PLANTED=$(rand_token)
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tat_session\t%s\n' "$PLANTED" >>"$J0"
req "$J0" --data-urlencode "csrf=$TOK" --data-urlencode "email=${EMAIL[ba]}" \
    --data-urlencode "password=$PW" --data-urlencode "next=/admin/audit-log?business=$A" "$URL/login"
status_is 303 "log in with next: 303"
is "$LOC" "/admin/audit-log?business=$A" "log in with next: back to the page asked for"
SC=$(hdr Set-Cookie | grep '^at_session=')
like "$SC" '^at_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict' \
    "the session cookie is HttpOnly, SameSite=Strict, for the whole site"
NEWTOK=$(set_cookie at_session)
ok "$([ -n "$NEWTOK" ] && [ "$NEWTOK" != "$PLANTED" ]; echo $?)" \
    "the session cookie after login is not the one planted before it"
like "$(hdr Set-Cookie | grep '^at_login=')" '^at_login=; .*Max-Age=0' "login clears the at_login cookie"
req "$J0" "$URL/admin/audit-log?business=$A"
status_is 200 "the page asked for, after login: 200"
body_has "<h1>Audit Log</h1>" "the page asked for, after login: the audit log"

# GET /login?next= takes local paths only (a browser drops tabs and line
# breaks from a URL, so "/<TAB>/host" would lead to another site)
for bad in "//evil.example/x" "https://evil.example/" '/\evil.example' $'/\t/evil.example/x' \
    $'/\n/evil.example/x'; do
    req "" -G --data-urlencode "next=$bad" "$URL/login"
    status_is 400 "GET /login?next=$(printf '%q' "$bad"): 400, no open redirect"
done

# Every Location is made of checked values, percent-encoded, and fits the
# 4 KiB buffer nginx reads the app's headers into (else: 502).
STOP=$(printf '\343\200\202') # U+3002, the ideographic full stop
req "$J0" -G --data-urlencode "next=/${STOP}evil" "$URL/login"
status_is 303 "logged in, GET /login?next=/%E3%80%82evil: 303"
is "$LOC" "/%E3%80%82evil" "... to the path percent-encoded, not in raw UTF-8"
ZZ=$(head -c 6000 /dev/zero | tr '\0' z)
STOPS=$(for _ in $(seq 100); do printf '%%E3%%80%%82'; done)
LONGQ="business=$A&zz=$ZZ&user=$STOPS&sort=user"
req "" "$URL/admin/async-tasks?$LONGQ"
status_is 303 "anonymous GET with a query of ${#LONGQ} bytes: 303, not 502"
ok "$([ "${#LOC}" -le 2048 ]; echo $?)" "... its Location fits in 2048 bytes (${#LOC})"
is "$LOC" "/login?next=$(enc "/admin/async-tasks?business=$A&sort=user")" \
    "... back to the page with its checked parameters that fit, the unknown one left out"
req "" "$URL/admin/async-tasks?business=$A&sort=sideways&zz=1"
is "$ST $LOC" "303 /login?next=$(enc /admin/async-tasks)" \
    "anonymous GET with a parameter that fails its check: back to the bare page"
req "$J0" "$URL/admin/async-tasks?zz=$ZZ&sort=user&user=$STOPS"
status_is 303 "logged in, a page without business and a long query: 303, not 502"
is "$LOC" "/admin/async-tasks?business=$A&sort=user&user=$STOPS" \
    "... to the first business, with the checked parameters, the unknown one left out"

for role in mem bb ba pa; do login "$role"; done

# ==== an empty business ====

req "${JAR[ba]}" "$URL/admin/async-tasks?business=$A"
status_is 200 "the list of a business without tasks: 200"
body_has "There are no tasks to show" "the list of a business without tasks says so"
is "$(xp 'normalize-space(//*[@class="totals"])')" \
    "Queued0Paused0Running0Failed0Finished today0Max runningno cap" \
    "the list of a business without tasks: its totals are all 0"
cp -- "$BF" "$WORK/empty.html"
req "${JAR[ba]}" "$URL/admin/async-tasks?business=$A&format=xml"
is "$(xp 'string(//*[local-name()="totals"]/@queued)')/$(xp 'count(//*[local-name()="task"])')" "0/0" \
    "the XML list of a business without tasks: totals 0, no task"
is "$(xp 'string(//*[local-name()="option"][@selected])' "$WORK/empty.html")" "Business A <b>$RUN</b> &amp;" \
    "a business name with markup is shown as text"

# ==== tasks ====

enqueue T_X1 ux "$T1"
enqueue T_X2 ux "$T2"
enqueue T_I ui "$T1"
enqueue T_P up "$T2"
enqueue T_U uu "$T3"
enqueue T_Q uq "$T2"
enqueue T_S us "$T1"
enqueue T_ED upl "$T1"
enqueue T_DEL upl "$T2"
enqueue T_DBA upl "$T1"
enqueue T_DPA upl "$T1"
enqueue T_B ub "$T1" "$B"
declare -A UM=([ba]=${UID_[um1]} [pa]=${UID_[um2]})
declare -A TM=([ba]=${TYPE_ID[$TM1]} [pa]=${TYPE_ID[$TM2]})
declare -A TD=([ba]=$T_DBA [pa]=$T_DPA)

# What the app's data looks like, to compare before and after requests
# that must change nothing.
snapshot() {
    q "SELECT CONCAT_WS(' ',
        (SELECT COUNT(*) FROM pause_rules WHERE business_id = $A_ID),
        (SELECT COUNT(*) FROM tasks WHERE business_id = $A_ID),
        (SELECT COALESCE(SUM(version), 0) FROM tasks WHERE business_id = $A_ID),
        (SELECT COUNT(*) FROM audit_log WHERE business_id = $A_ID),
        (SELECT COUNT(*) FROM pause_rules WHERE business_id = $B_ID),
        (SELECT CONCAT(version, priority) FROM tasks WHERE id = $T_B))"
}

# ==== every route, every visitor ====

# subst ROLE TEXT: SUB is TEXT with {U} (a user to pause), {T} (a task type),
# {D} (a task to delete) and {V} (the current version of task T_ED).
subst() {
    local k=ba
    [ "$1" = pa ] && k=pa
    SUB=$2
    SUB=${SUB//\{U\}/${UM[$k]}}
    SUB=${SUB//\{T\}/${TM[$k]}}
    SUB=${SUB//\{D\}/${TD[$k]}}
    if [[ $SUB == *'{V}'* ]]; then SUB=${SUB//\{V\}/$(q "SELECT version FROM tasks WHERE id = $T_ED")}; fi
}
# call ROLE METHOD PATH DATA [CURL-ARGS]: GET PATH?DATA, or POST DATA
# with the role's CSRF token to PATH.
call() {
    local role=$1 method=$2 path=$3 data=$4
    shift 4
    if [ "$method" = GET ]; then
        req "${JAR[$role]}" "$@" "$URL$path${data:+?$data}"
    else
        req "${JAR[$role]}" "$@" --data "csrf=${CSRF[$role]}${data:+&$data}" "$URL$path"
    fi
}

# matrix METHOD PATH DATA MARKER ROLE=WANT...: asks PATH as each visitor.
# WANT: login (303 to the login page, which comes back), ended (403, no
# session), 403 (administers nothing), 404 (as for a business that does
# not exist), 200 (the page, with MARKER in it), 303:URL or 303~ERE.
matrix() {
    local method=$1 path=$2 data=$3 marker=$4 w role want p d what before="" after secbad=""
    shift 4
    for w in "$@"; do
        role=${w%%=*} want=${w#*=}
        subst "$role" "$path"
        p=$SUB
        subst "$role" "$data"
        d=$SUB
        what="$method ${p} as ${WHO[$role]}"
        # (the visitors who may not change anything come first)
        [ "$method" = POST ] && [ -z "$before" ] && before=$(snapshot)
        call "$role" "$method" "$p" "$d"
        sec_check
        [ -z "$SECP" ] || secbad="$secbad $role:$ST($SECP)"
        case $want in
        login)
            status_is 303 "$what: 303"
            is "$LOC" "/login?next=$(enc "$p${d:+?$d}")" "$what: to login, then back"
            ;;
        ended)
            status_is 403 "$what: 403"
            body_has "Your session has ended: log in again." "$what: says to log in"
            ;;
        403)
            status_is 403 "$what: 403"
            body_has "You do not administer any business." "$what: says why"
            ;;
        404)
            status_is 404 "$what: 404"
            cp -- "$BF" "$WORK/real"
            call "$role" "$method" "$p" "${d//business=$A/business=$GHOST}"
            if [ "$ST" = 404 ] && cmp -s "$BF" "$WORK/real"; then
                ok 0 "$what: the same answer as for a business that does not exist"
            else
                ok 1 "$what: the same answer as for a business that does not exist"
                diag "for $GHOST: status $ST; $(diff "$WORK/real" "$BF" | head -n 4)"
            fi
            ;;
        200)
            status_is 200 "$what: 200"
            body_has "$marker" "$what: the page"
            ;;
        303:*)
            status_is 303 "$what: 303"
            is "$LOC" "${want#303:}" "$what: redirected"
            ;;
        303~*)
            status_is 303 "$what: 303"
            like "$LOC" "${want#303~}" "$what: redirected"
            ;;
        esac
        if [ "$method" = POST ]; then
            case $want in
            303*) ;;
            *)
                after=$(snapshot)
                is "$after" "$before" "$what: changed nothing"
                ;;
            esac
        fi
    done
    if [ -z "$secbad" ]; then
        ok 0 "$method $path: security headers on every answer"
    else
        ok 1 "$method $path: security headers on every answer"
        diag "$secbad"
    fi
}

LIST="/admin/async-tasks?business=$A"
matrix GET / "" "" anon=303:/login mem=303:/admin/async-tasks bb=303:/admin/async-tasks \
    ba=303:/admin/async-tasks pa=303:/admin/async-tasks
matrix GET /login "" "<h1>Log in</h1>" anon=200 mem=303:/admin/async-tasks \
    bb=303:/admin/async-tasks ba=303:/admin/async-tasks pa=303:/admin/async-tasks
matrix GET /admin/async-tasks "" "" anon=login mem=403 "bb=303:/admin/async-tasks?business=$B" \
    "ba=303:$LIST" 'pa=303~^/admin/async-tasks\?business=[a-z0-9-]+$'
matrix GET /admin/async-tasks "business=$A" "<h1>Async Tasks</h1>" anon=login mem=403 bb=404 \
    ba=200 pa=200
matrix GET /admin/async-tasks/resume-all "business=$A" "<h1>Resume All</h1>" anon=login \
    mem=403 bb=404 ba=200 pa=200
matrix GET /admin/async-tasks/pause-user "business=$A" 'id="pause-panel-title">Pause User</h2>' \
    anon=login mem=403 bb=404 ba=200 pa=200
matrix GET /admin/async-tasks/pause-type "business=$A&q=$RUN" \
    'id="pause-panel-title">Pause Task Type</h2>' anon=login mem=403 bb=404 ba=200 pa=200
matrix GET "/admin/async-tasks/tasks/$T_ED" "business=$A" "<h1>Task #$T_ED</h1>" anon=login \
    mem=403 bb=404 ba=200 pa=200
matrix GET "/admin/async-tasks/tasks/$T_ED/edit" "business=$A" "<h1>Edit task #$T_ED</h1>" \
    anon=login mem=403 bb=404 ba=200 pa=200
matrix GET "/admin/async-tasks/tasks/$T_ED/delete" "business=$A" "<h1>Delete task #$T_ED</h1>" \
    anon=login mem=403 bb=404 ba=200 pa=200
matrix GET /admin/audit-log "business=$A" "<h1>Audit Log</h1>" anon=login mem=403 bb=404 \
    ba=200 pa=200
matrix GET /admin/executors "" "<h1>Executors</h1>" anon=login mem=403 bb=200 ba=200 pa=200

matrix POST /admin/async-tasks/pause-user "business=$A&target={U}&reason=matrix" "" anon=ended \
    mem=403 bb=404 "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT GROUP_CONCAT(target_id ORDER BY target_id) FROM pause_rules
         WHERE business_id = $A_ID AND scope = 'user'")" "${UID_[um1]},${UID_[um2]}" \
    "POST pause-user: the two admins' pauses are there, no other"
matrix POST /admin/async-tasks/resume-user "business=$A&target={U}" "" anon=ended mem=403 \
    bb=404 "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT COUNT(*) FROM pause_rules WHERE business_id = $A_ID")" 0 \
    "POST resume-user: both pauses removed"
matrix POST /admin/async-tasks/pause-type "business=$A&target={T}" "" anon=ended mem=403 bb=404 \
    "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT GROUP_CONCAT(target_id ORDER BY target_id) FROM pause_rules
         WHERE business_id = $A_ID AND scope = 'task_type'")" \
    "$(printf '%s\n' "${TYPE_ID[$TM1]}" "${TYPE_ID[$TM2]}" | sort -n | paste -sd,)" \
    "POST pause-type: the two admins' pauses are there, no other"
matrix POST /admin/async-tasks/resume-type "business=$A&target={T}" "" anon=ended mem=403 \
    bb=404 "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT COUNT(*) FROM pause_rules WHERE business_id = $A_ID")" 0 \
    "POST resume-type: both pauses removed"
matrix POST /admin/async-tasks/resume-all "business=$A" "" anon=ended mem=403 bb=404 \
    "ba=303:$LIST" "pa=303:$LIST"
V0=$(q "SELECT version FROM tasks WHERE id = $T_ED")
matrix POST "/admin/async-tasks/tasks/$T_ED/edit" "business=$A&version={V}&priority=5&run_at=now&payload=matrix" \
    "" anon=ended mem=403 bb=404 "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT CONCAT(version - $V0, ' ', priority) FROM tasks WHERE id = $T_ED")" "2 5" \
    "POST edit: the two admins' edits were saved, no other"
matrix POST "/admin/async-tasks/tasks/{D}/delete" "business=$A" "" anon=ended mem=403 bb=404 \
    "ba=303:$LIST" "pa=303:$LIST"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id IN ($T_DBA, $T_DPA)")" 0 \
    "POST delete: the two admins' deletes were done"
req "${JAR[ba]}" "$URL/admin/async-tasks?business=$A"
is "$(xp 'string(//*[@class="flash"])')" "Task #$T_DBA deleted." \
    "the next page says what was done last"
# bulk actions: a view that selects nothing (the job it starts does nothing)
NONE_TYPE=no-such-type-zz
matrix GET /admin/async-tasks/bulk/cancel "business=$A&type=$NONE_TYPE" \
    "<h1>Cancel: every task of this view</h1>" anon=login mem=403 bb=404 ba=200 pa=200
matrix POST /admin/async-tasks/bulk/cancel "business=$A&type=$NONE_TYPE" "" anon=ended mem=403 \
    bb=404 "ba=303~^/admin/async-tasks/bulk-jobs/[0-9]+[?]business=$A\$" \
    "pa=303~^/admin/async-tasks/bulk-jobs/[0-9]+[?]business=$A\$"
JOB=$(q "SELECT MAX(id) FROM bulk_jobs WHERE business_id = $A_ID")
is "$(q "SELECT COUNT(*) FROM bulk_jobs WHERE business_id = $A_ID AND type_search = '$NONE_TYPE'")" 2 \
    "POST bulk/cancel: the two admins' jobs were started, no other"
matrix GET "/admin/async-tasks/bulk-jobs/$JOB" "business=$A" "<h1>Bulk cancel #$JOB</h1>" \
    anon=login mem=403 bb=404 ba=200 pa=200
call bb GET "/admin/async-tasks/bulk-jobs/$JOB" "business=$B"
status_is 404 "a bulk job of A through B's address: 404"
body_has "no bulk job #$JOB in this business" "... says there is no such job"
call bb POST "/admin/async-tasks/bulk-jobs/$JOB/cancel" "business=$B"
status_is 404 "the Cancel of a bulk job of A through B's address: 404"
is "$(q "SELECT state <> 'cancelled' FROM bulk_jobs WHERE id = $JOB")" 1 \
    "... and the job is not cancelled (a supervisor of another test may run it meanwhile)"

# a task of business B, asked through business A's address
before=$(snapshot)
for role in ba pa; do
    for path in "tasks/$T_B" "tasks/$T_B/edit" "tasks/$T_B/delete"; do
        call "$role" GET "/admin/async-tasks/$path" "business=$A"
        status_is 404 "GET $path (a task of B) through A as ${WHO[$role]}: 404"
        body_has "no task #$T_B in this business" \
            "GET $path (a task of B) through A as ${WHO[$role]}: says there is no such task"
    done
    call "$role" POST "/admin/async-tasks/tasks/$T_B/edit" "business=$A&version=1&priority=9&run_at=now"
    status_is 404 "POST edit of a task of B through A as ${WHO[$role]}: 404"
    call "$role" POST "/admin/async-tasks/tasks/$T_B/delete" "business=$A"
    status_is 404 "POST delete of a task of B through A as ${WHO[$role]}: 404"
done
is "$(snapshot)" "$before" "the task of B is unchanged"
call ba GET "/admin/async-tasks/tasks/999999999999" "business=$A"
status_is 404 "a task id that does not exist: 404"
body_has "no task #999999999999 in this business" "a task id that does not exist: the same message"
call bb GET "/admin/async-tasks/tasks/$T_B" "business=$B"
status_is 200 "the admin of B sees B's task"
call bb GET "/admin/async-tasks/tasks/$T_ED" "business=$B"
status_is 404 "the admin of B asking for a task of A through B: 404"
call mem GET /admin/async-tasks "business=$GHOST"
status_is 403 "a member who administers nothing, asking for a business that does not exist: 403"

# methods and media types
req "" -X DELETE "$URL/admin/async-tasks"
status_is 405 "DELETE /admin/async-tasks: 405"
is "$(hdr Allow)" "GET, HEAD" "DELETE /admin/async-tasks: Allow: GET, HEAD"
sec "a 405"
req "" "$URL/logout"
status_is 405 "GET /logout: 405"
is "$(hdr Allow)" POST "GET /logout: Allow: POST"
req "" "$URL/admin/no-such-page"
status_is 404 "an unknown address: 404"
body_has "There is no such page." "an unknown address: says so"
sec "the app's 404"
call ba POST /admin/async-tasks/resume-all "" -H 'Content-Type: application/json'
status_is 415 "a POST that is not a form: 415"
sec "a 415"
# the media type is parsed, not matched as a prefix
for ct in 'application/x-www-form-urlencodedXYZ' 'application/x-www-form-urlencoded-not' \
    'application/x-www-form-urlencoded x'; do
    call ba POST /admin/async-tasks/resume-all "" -H "Content-Type: $ct"
    status_is 415 "Content-Type '$ct': 415"
done
for ct in 'application/x-www-form-urlencoded; charset=UTF-8' 'APPLICATION/X-WWW-FORM-URLENCODED' \
    'application/x-www-form-urlencoded ;charset=utf-8'; do
    # no business: refused after the form is read, and nothing resumed
    call ba POST /admin/async-tasks/resume-all "" -H "Content-Type: $ct"
    ok "$([ "$ST" != 415 ] && [ "$ST" != 303 ]; echo $?)" "Content-Type '$ct': read as a form ($ST)"
done

# ==== pause, resume, edit, delete: what the screen shows ====

REASON="<script>alert(1)</script> \"><img src=x onerror=alert(1)> &amp; 'why'"
REASON2="type reason <script>alert(2)</script> &amp;"
call ba POST /admin/async-tasks/pause-user "business=$A&target=${UID_[ux]}&reason=$(enc "$REASON")"
status_is 303 "Pause User: 303"
is "$LOC" "$LIST" "Pause User: back to the list"
req "${JAR[ba]}" "$URL$LIST"
status_is 200 "the list after Pause User: 200"
sec "a page"
no_raw "the list after Pause User"
is "$(xp 'string(//*[@class="flash"])')" "Paused 1 user: ${NAME[ux]}." \
    "the list says who was paused (escaped, and read back as given)"
for t in "$T_X1" "$T_X2"; do
    is "$(xp "string(//*[@id='task-$t']/@data-status)")" paused "task $t of the paused user: paused"
    held=$(xp "string(//*[@id='task-$t']//*[@class='held-by'])")
    like "$held" "^User .* paused by $(printf '%s' "${EMAIL[ba]}" | sed 's/[.]/\\./g') at [0-9-]+ [0-9:]+ UTC: " \
        "task $t of the paused user: says who paused it and when"
    is "${held#*UTC: }" "$REASON" "task $t of the paused user: gives the reason as typed"
done
is "$(xp "string(//*[@id='task-$T_X1']/*[@class='user'])")" "${NAME[ux]}" \
    "a user name with <script> is shown as text"
is "$(xp "string(//*[@id='task-$T_I']/*[@class='user'])")" "${NAME[ui]}" \
    "a user name with \"><img> and &amp; is shown as text"
for t in "$T_I" "$T_P" "$T_ED"; do
    is "$(xp "string(//*[@id='task-$t']/@data-status)")" queued "task $t of another user: queued"
done
like "$(xp 'string(//*[@class="paused-summary"])')" "^Paused now in .*: 1 user and 0 task types\.$" \
    "the list sums up what is paused"

call pa POST /admin/async-tasks/pause-type "business=$A&target=${TYPE_ID[$T2]}&reason=$(enc "$REASON2")"
status_is 303 "Pause Task Type: 303"
req "${JAR[pa]}" "$URL$LIST&format=xml"
status_is 200 "the XML list after Pause Task Type: 200"
valid "the XML list with paused tasks is valid"
tx() { xp "string(//*[local-name()='task'][@id='$1']/$2)"; }
for t in "$T_P" "$T_Q" "$T_DEL"; do
    is "$(tx "$t" @status) $(tx "$t" "*[local-name()='paused-by']/@scope")" "paused task_type" \
        "task $t of the paused type: paused by the type rule"
    is "$(tx "$t" "*[local-name()='paused-by']/@by")" "${EMAIL[pa]}" \
        "task $t of the paused type: paused by the platform admin"
    is "$(tx "$t" "*[local-name()='paused-by']/@reason")" "$REASON2" \
        "task $t of the paused type: the reason as typed"
done
is "$(tx "$T_X2" "*[local-name()='paused-by']/@scope") $(tx "$T_X2" "*[local-name()='paused-by']/@by")" \
    "user ${EMAIL[ba]}" "a task held by both pauses names the user rule"
is "$(tx "$T_X1" @user)" "${NAME[ux]}" "XML: a user name with <script> reads back as given"
is "$(tx "$T_I" @user)" "${NAME[ui]}" "XML: a user name with \"><img> and &amp; reads back as given"
is "$(tx "$T_X1" "*[local-name()='paused-by']/@reason")" "$REASON" \
    "XML: the reason with markup reads back as given"
is "$(tx "$T_I" @status) $(tx "$T_U" @status) $(tx "$T_S" @status)" "queued queued queued" \
    "XML: the other tasks are queued"
no_raw "the XML list"
req "${JAR[pa]}" "$URL$LIST"
like "$(xp "string(//*[@id='task-$T_P']//*[@class='held-by'])")" \
    "^Task type $T2 paused by $(printf '%s' "${EMAIL[pa]}" | sed 's/[.]/\\./g') at " \
    "the list: a task of the paused type says which type and who"

# the panels and pages that show names, reasons, descriptions, payloads
req "${JAR[ba]}" "$URL/admin/async-tasks/pause-user?business=$A"
status_is 200 "the Pause User panel: 200"
no_raw "the Pause User panel"
is "$(xp "string(//*[local-name()='label'][@for='pick-${UID_[ux]}'])")" "${NAME[ux]}" \
    "the Pause User panel: a name with <script> is text"
# shellcheck disable=SC2016 # a sed expression, not a shell one
like "$(xp 'string(//*[@class="paused-list"])')" "paused by .*: $(printf '%s' "$REASON" | sed 's/[][\.*^$(){}?+|/]/\\&/g')" \
    "the Pause User panel lists the pause with its reason"
req "${JAR[ba]}" "$URL/admin/async-tasks/pause-user?business=$A&format=xml"
valid "the XML Pause User panel is valid"
ux() { xp "string(//*[local-name()='user'][@id='$1']/$2)"; }
is "$(ux "${UID_[ux]}" @paused) $(ux "${UID_[ux]}" @paused-by)" "true ${EMAIL[ba]}" \
    "XML Pause User panel: the user is paused, by the business admin"
is "$(ux "${UID_[ux]}" @reason)" "$REASON" "XML Pause User panel: the reason as typed"
is "$(ux "${UID_[ui]}" @name) $(ux "${UID_[ui]}" @paused)" "${NAME[ui]} false" \
    "XML Pause User panel: another user, not paused"
no_raw "the XML Pause User panel"
req "${JAR[ba]}" "$URL/admin/async-tasks/pause-type?business=$A&q=$RUN"
status_is 200 "the Pause Task Type panel: 200"
no_raw "the Pause Task Type panel"
is "$(xp "string(//*[local-name()='label'][@for='pick-${TYPE_ID[$T1]}']/following-sibling::*[1])")" \
    "<script>alert(1)</script> exports" "the Pause Task Type panel: a description with <script> is text"
is "$(xp "string(//*[local-name()='label'][@for='pick-${TYPE_ID[$T2]}']/following-sibling::*[1])")" \
    "\"><img src=x onerror=alert(1)> &amp; reports" \
    "the Pause Task Type panel: a description with \"><img> and &amp; is text"
req "${JAR[ba]}" "$URL/admin/async-tasks/pause-type?business=$A&q=$RUN&format=xml"
valid "the XML Pause Task Type panel is valid"
tt() { xp "string(//*[local-name()='task-type'][@name='$1']/$2)"; }
is "$(tt "$T2" @paused) $(tt "$T2" @paused-by) $(tt "$T1" @paused)" "true ${EMAIL[pa]} false" \
    "XML Pause Task Type panel: the paused type, by whom, and one that is not"
is "$(tt "$T2" @reason)" "$REASON2" "XML Pause Task Type panel: the reason as typed"
is "$(xp 'count(//*[local-name()="task-type"])')" 5 "XML Pause Task Type panel: the run's 5 types match q"

req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_X1?business=$A"
status_is 200 "the task page: 200"
no_raw "the task page"
is "$(xp 'string(//*[local-name()="pre"])')" "$PAYLOAD" "the task page shows the payload as given"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_X1?business=$A&format=xml"
valid "the XML task is valid"
is "$(xp 'string(//*[local-name()="payload"])')" "$PAYLOAD" "the XML task: the payload as given"
is "$(xp 'string(/*/@status)') $(xp 'string(/*/*[local-name()="paused-by"]/@scope)')" \
    "paused user" "the XML task: paused by the user rule"
no_raw "the XML task"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_X1/edit?business=$A"
no_raw "the edit form"
is "$(xp 'string(//*[local-name()="textarea"])')" "$PAYLOAD" "the edit form holds the payload as given"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_X1/delete?business=$A"
no_raw "the delete form"
req "${JAR[ba]}" -H 'Accept: text/html' "$URL$LIST"
like "$CT" '^text/html; charset=utf-8$' "the list as text/html"
no_raw "the list as text/html"

# Resume All
held=$(q "SELECT COUNT(*) FROM tasks t WHERE business_id = $A_ID AND state = 'queued' AND
          EXISTS (SELECT 1 FROM pause_rules r WHERE r.business_id = t.business_id AND
                  ((r.scope = 'user' AND r.target_id = t.user_id) OR
                   (r.scope = 'task_type' AND r.target_id = t.task_type_id)))")
is "$held" 5 "five tasks are held before Resume All"
call ba POST /admin/async-tasks/resume-all "business=$A"
status_is 303 "Resume All: 303"
req "${JAR[ba]}" "$URL$LIST"
is "$(xp 'string(//*[@class="flash"])')" "Resume All: 2 pauses removed, 5 tasks released." \
    "Resume All says how many pauses were removed and tasks released"
is "$(xp 'count(//*[@data-status="paused"])')" 0 "no task is paused after Resume All"
is "$(q "SELECT COUNT(*) FROM pause_rules WHERE business_id = $A_ID")" 0 "Resume All removed the rules"
call ba POST /admin/async-tasks/resume-all "business=$A"
req "${JAR[ba]}" "$URL$LIST"
like "$(xp 'string(//*[@class="flash"])')" '^Nothing was paused in ' "Resume All again: nothing was paused"

# Edit, and an edit from a stale form
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_ED/edit?business=$A"
status_is 200 "the edit form: 200"
VER=$(xp 'string(//*[local-name()="input"][@name="version"]/@value)')
is "$VER" "$(q "SELECT version FROM tasks WHERE id = $T_ED")" "the edit form carries the version"
EDITED='edited <b>bold</b> &amp; "q"'
EDIT="business=$A&version=$VER&priority=7&run_at=2030-01-01T10:00&payload=$(enc "$EDITED")"
call ba POST "/admin/async-tasks/tasks/$T_ED/edit" "$EDIT"
status_is 303 "Edit: 303"
is "$(q "SELECT CONCAT_WS(' ', priority, run_at, version) FROM tasks WHERE id = $T_ED")" \
    "7 2030-01-01 10:00:00.000000 $((VER + 1))" "Edit saved priority and run-at, and bumped the version"
req "${JAR[ba]}" "$URL$LIST"
is "$(xp 'string(//*[@class="flash"])')" "Task #$T_ED saved." "Edit: the list says it was saved"
call ba POST "/admin/async-tasks/tasks/$T_ED/edit" \
    "business=$A&version=$VER&priority=-3&run_at=2031-01-01T10:00&payload=stale"
status_is 409 "Edit with a stale version: 409"
sec "a 409"
is "$(xp 'string(//*[@role="alert"])')" \
    "task #$T_ED was changed by someone else since it was read (version $VER, now $((VER + 1))): nothing was saved" \
    "Edit with a stale version: says why nothing was saved"
is "$(xp 'string(//*[local-name()="textarea"])')" "$EDITED" "Edit with a stale version: the form shows what is there now"
is "$(q "SELECT CONCAT_WS(' ', priority, run_at, version) FROM tasks WHERE id = $T_ED")" \
    "7 2030-01-01 10:00:00.000000 $((VER + 1))" "Edit with a stale version: nothing was saved"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_ED?business=$A&format=xml"
is "$(xp 'string(//*[local-name()="payload"])')" "$EDITED" "Edit with a stale version: the payload is the saved one"

# Delete
call ba POST "/admin/async-tasks/tasks/$T_DEL/delete" "business=$A"
status_is 303 "Delete: 303"
is "$(q "SELECT COUNT(*) FROM tasks WHERE id = $T_DEL")" 0 "Delete removed the queued task"
req "${JAR[ba]}" "$URL$LIST"
is "$(xp 'string(//*[@class="flash"])')" "Task #$T_DEL deleted." "Delete: the list says so"
is "$(xp "count(//*[@id='task-$T_DEL'])")" 0 "Delete: the task is no longer listed"
call ba GET "/admin/async-tasks/tasks/$T_DEL" "business=$A"
status_is 404 "the deleted task: 404"

# The audit log
req "${JAR[ba]}" "$URL/admin/audit-log?business=$A&format=xml"
status_is 200 "the XML audit log: 200"
valid "the XML audit log is valid"
no_raw "the XML audit log"
ae() { xp "string(//*[local-name()='entry'][$1]/@$2)"; }
is "$(for i in 1 2 3 4 5 6; do printf '%s:%s ' "$(ae $i action)" "$(ae $i target-kind)"; done)" \
    "delete:task edit:task resume_all:$(ae 3 target-kind) resume_all:$(ae 4 target-kind) pause:task_type pause:user " \
    "the audit log: delete, edit, Resume All of two pauses, the type pause, the user pause; newest first"
is "$(printf '%s\n' "$(ae 3 target-kind)" "$(ae 4 target-kind)" | sort | paste -sd' ')" \
    "task_type user" "the audit log: Resume All removed the user pause and the type pause"
is "$(ae 1 target-id) $(ae 2 target-id) $(ae 5 target-id) $(ae 6 target-id)" \
    "$T_DEL $T_ED ${TYPE_ID[$T2]} ${UID_[ux]}" "the audit log names the targets"
is "$(ae 1 actor) $(ae 2 actor) $(ae 5 actor) $(ae 6 actor)" \
    "${EMAIL[ba]} ${EMAIL[ba]} ${EMAIL[pa]} ${EMAIL[ba]}" "the audit log names who did it"
is "$(ae 6 reason)" "$REASON" "the audit log keeps the reason as typed"
is "$(ae 6 target)" "${NAME[ux]}" "the audit log keeps the user's name as given"
req "${JAR[ba]}" "$URL/admin/audit-log?business=$A"
status_is 200 "the audit log page: 200"
no_raw "the audit log page"
row=$(xp 'string(//*[local-name()="tbody"]/*[1])')
like "$row" "delete" "the audit log page: the newest entry is the delete"
is "$(xp "string((//*[local-name()='tbody']/*)[6]/*[5])")" "$REASON" \
    "the audit log page: the reason with markup is text"

# ==== searches with SQL metacharacters ====

tables() {
    sql --raw -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables
                  WHERE table_schema = '$DB' AND table_name IN
                  ('tasks', 'users', 'pause_rules', 'task_types', 'memberships', 'audit_log')"
}
TABLES=$(tables)
NTASKS=$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $A_ID")
# matching FIELDS...: from "id<TAB>text..." lines on stdin, the ids whose
# texts hold TERM, ignoring case.
matching() {
    local id a b
    while IFS=$'\t' read -r id a b; do
        if [[ ${a,,} == *"${TERM,,}"* || ${b,,} == *"${TERM,,}"* ]]; then echo "$id"; fi
    done | sort -n | paste -sd' '
}
ids() { xp "//*[local-name()='$1']/@id" | grep -o '[0-9]\+' | sort -n | paste -sd' '; }
q "SELECT id, user_name FROM tasks WHERE business_id = $A_ID" >"$WORK/task-users"
q "SELECT id, type_name FROM tasks WHERE business_id = $A_ID" >"$WORK/task-types"
q "SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
   WHERE m.business_id = $A_ID" >"$WORK/members"
# shellcheck disable=SC1003 # '\' is a backslash
for TERM in "'" '"' '%' '_' '\' "' OR 1=1 --" "; DROP TABLE tasks;"; do
    t=$(enc "$TERM")
    req "${JAR[ba]}" "$URL$LIST&status=all&format=xml&user=$t"
    status_is 200 "list, user search [$TERM]: 200"
    is "$(ids task)" "$(matching <"$WORK/task-users")" \
        "list, user search [$TERM]: the tasks of users whose name holds it, literally"
    req "${JAR[ba]}" "$URL$LIST&status=all&format=xml&type=$t"
    status_is 200 "list, type search [$TERM]: 200"
    is "$(ids task)" "$(matching <"$WORK/task-types")" \
        "list, type search [$TERM]: the tasks of types whose name holds it, literally"
    req "${JAR[ba]}" "$URL/admin/async-tasks/pause-user?business=$A&format=xml&q=$t"
    status_is 200 "Pause User search [$TERM]: 200"
    is "$(ids user)" "$(matching <"$WORK/members")" \
        "Pause User search [$TERM]: the members whose name or email holds it, literally"
    req "${JAR[ba]}" "$URL/admin/async-tasks/pause-type?business=$A&format=xml&q=$t"
    status_is 200 "Pause Task Type search [$TERM]: 200"
    names=$(xp "//*[local-name()='task-type']/@name" | grep -o 'name="[^"]*"' | sed 's/^name="//; s/"$//')
    bad=$(printf '%s\n' "$names" | grep -vF -- "$TERM" | grep -c .)
    mine=$(printf '%s\n' "$names" | grep -c "^$RUN")
    want_mine=0
    [ "$TERM" = _ ] && want_mine=1
    is "$bad $mine" "0 $want_mine" "Pause Task Type search [$TERM]: only names that hold it, literally"
    req "${JAR[ba]}" "$URL$LIST&user=$t&type=$t"
    status_is 200 "the list page, both searches [$TERM]: 200"
    is "$(xp 'string(//*[@id="q-user"]/@value)')" "$TERM" "the list page shows the search as typed"
done
is "$(tables)" "$TABLES" "the tables are all still there"
is "$(q "SELECT COUNT(*) FROM tasks WHERE business_id = $A_ID")" "$NTASKS" "the tasks are all still there"
req "${JAR[ba]}" -G --data-urlencode "user=\"><script>alert(1)</script>" "$URL$LIST"
no_raw "a search with markup, shown back"
is "$(xp 'string(//*[@id="q-user"]/@value)')" "\"><script>alert(1)</script>" \
    "a search with markup is shown back as typed"

# ==== live statuses ====

enqueue T_RUN upl "$T1"
enqueue T_FAIL upl "$T2"
enqueue T_CAN upl "$T1"
enqueue T_OK upl "$T2"
enqueue T_QUE upl "$T1"
# the states the executors leave tasks in, written as they write them
q "UPDATE tasks SET state = 'running', attempts = 1, started_at = '2030-01-02 03:04:05',
   progress_done = 40, progress_total = 160 WHERE id = $T_RUN;
   UPDATE tasks SET state = 'failed', attempts = 3, started_at = UTC_TIMESTAMP(6),
   finished_at = UTC_TIMESTAMP(6), duration_us = 2500000,
   last_error = 'disk <full> & \"more\"' WHERE id = $T_FAIL;
   UPDATE tasks SET state = 'cancelled', attempts = 1, finished_at = UTC_TIMESTAMP(6)
   WHERE id = $T_CAN;
   UPDATE tasks SET state = 'succeeded', attempts = 2, finished_at = UTC_TIMESTAMP(6),
   duration_us = 185000000, result = 'wrote <3> files' WHERE id = $T_OK"
# a rule that holds the user's queued task, and not the others
cli pause user --business "$A" "${EMAIL[upl]}" --reason "live"
row() { xp "string(//*[@id='task-$1']$2)"; }
req "${JAR[ba]}" "$URL$LIST"
status_is 200 "the pending list with a running task: 200"
is "$(row "$T_RUN" /@data-status)" running "a running task is listed as pending, running"
like "$(row "$T_RUN" "//*[@class='detail']")" '^since 2030-01-02 03:04:05, 40 of 160 done \(25%\)$' \
    "a running task: since when, and its progress"
is "$(row "$T_RUN" "//*[@class='held-by']")" "" "a running task of a paused user is not held by the rule"
is "$(row "$T_QUE" /@data-status)" paused "the paused user's queued task: paused"
like "$(row "$T_QUE" "//*[@class='held-by']")" 'paused by .*: live$' "the paused user's queued task: the rule"
is "$(row "$T_FAIL" /@data-status)" "" "a failed task is not in the pending list"
req "${JAR[ba]}" "$URL$LIST&status=finished"
is "$(row "$T_FAIL" /@data-status) $(row "$T_CAN" /@data-status) $(row "$T_OK" /@data-status)" \
    "failed cancelled succeeded" "the finished list: failed, cancelled, succeeded"
is "$(row "$T_FAIL" "//*[@class='detail']")" 'disk <full> & "more"' "a failed task: its error, as text"
is "$(row "$T_FAIL" "//*[@class='held-by']")" "" "a failed task of a paused user is not held by the rule"
no_raw "the finished list"
req "${JAR[ba]}" "$URL$LIST&status=all&format=xml"
valid "the XML list with live states: valid"
is "$(xp "concat(//*[local-name()='task'][@id='$T_RUN']/@progress-done, '/', //*[local-name()='task'][@id='$T_RUN']/@progress-total)")" \
    "40/160" "the XML list: a running task's progress"
is "$(xp "string(//*[local-name()='task'][@id='$T_OK']/@duration-us)")" 185000000 \
    "the XML list: how long a finished task took"
is "$(xp "count(//*[local-name()='task'][@id='$T_RUN' or @id='$T_FAIL']/*[local-name()='paused-by'])")" 0 \
    "the XML list: no rule holds a running or failed task"
dd() { xp "string(//*[local-name()='dt'][.='$1']/following-sibling::*[local-name()='dd'][1])"; }
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_RUN?business=$A"
is "$(dd Status) | $(dd 'Started at') | $(dd Attempts) | $(dd Progress)" \
    "running | 2030-01-02 03:04:05 UTC | 1 of 3 | 40 of 160 done (25%)" \
    "the page of a running task: status, start, attempts, progress"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_FAIL?business=$A"
is "$(dd Status) | $(dd Attempts) | $(dd Duration) | $(dd 'Last error')" \
    'failed | 3 of 3 | 2.5 s | disk <full> & "more"' \
    "the page of a failed task: status, attempts, duration, error"
no_raw "the page of a failed task"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_OK?business=$A"
is "$(dd Status) | $(dd Duration) | $(dd Result)" "succeeded | 3 min 5 s | wrote <3> files" \
    "the page of a succeeded task: status, duration, result"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_CAN?business=$A"
is "$(dd Status)" cancelled "the page of a cancelled task: cancelled"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_QUE?business=$A"
is "$(dd Status)" paused "the page of a held task: paused"
like "$(dd 'Held by')" "^User ${NAME[upl]} paused by .* at [0-9-]+ [0-9:]+ UTC" \
    "the page of a held task: the rule, in the list's words"
cli resume all --business "$A"

# ==== executors ====

# Executor rows are global: the browser test makes some too. Each holds
# this lock while rows of its own exist, so that "none" can be seen.
exec 9>"${TMPDIR:-/tmp}/asynctasks-executors-$DB.lock"
flock -w 600 9 || bail "cannot lock the executors"
is "$(q "SELECT COUNT(*) FROM executors")" 0 "no executor rows before the test makes any"
req "${JAR[ba]}" "$URL/admin/executors"
status_is 200 "the Executors page without executors: 200"
body_has "There are no executors running" "the Executors page without executors says so"
req "${JAR[ba]}" "$URL/admin/executors?format=xml"
valid "the XML Executors view without executors: valid"
is "$(xp 'count(//*[local-name()="executor"])')" 0 "the XML Executors view without executors: none"
enqueue T_EXB ub "$T1" "$B"
SUP=$(q "INSERT INTO supervisors (host, pid, started_at, heartbeat_at)
         VALUES ('host-$RUN', 4100, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)); SELECT LAST_INSERT_ID()")
xrow() { # xrow PID TASK STARTED HEARTBEAT: an executor row; prints its id
    q "INSERT INTO executors (host, pid, supervisor_pid, started_at, heartbeat_at, current_task_id,
       supervisor_id, task_started_at, tasks_run)
       VALUES ('host-$RUN', $1, 4100, '2030-01-01 00:00:00', $4, $2, $SUP, $3, 7);
       SELECT LAST_INSERT_ID()"
}
EX_A=$(xrow 4101 "$T_RUN" "'2030-01-02 03:04:05'" "UTC_TIMESTAMP(6)")
EX_B=$(xrow 4102 "$T_EXB" "UTC_TIMESTAMP(6)" "UTC_TIMESTAMP(6)")
EX_IDLE=$(xrow 4103 NULL NULL "UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE")
er() { xp "string(//*[@id='executor-$1']$2)"; }
for role in ba pa bb; do
    req "${JAR[$role]}" "$URL/admin/executors"
    status_is 200 "the Executors page as ${WHO[$role]}: 200"
    no_raw "the Executors page as ${WHO[$role]}"
    is "$(er "$EX_IDLE" "/*[@class='host']") $(er "$EX_IDLE" "/*[@class='pid']") $(er "$EX_IDLE" "/*[@class='supervisor-pid']")" \
        "host-$RUN 4103 4100" "the Executors page as ${WHO[$role]}: host, pid, supervisor pid"
    is "$(er "$EX_IDLE" /@data-state) $(er "$EX_IDLE" "//*[contains(@class, 'status-stale')]")" "idle stale" \
        "the Executors page as ${WHO[$role]}: an idle executor, its old heartbeat marked stale"
    is "$(er "$EX_A" "//*[contains(@class, 'status-stale')]")" "" \
        "the Executors page as ${WHO[$role]}: a fresh heartbeat is not stale"
    is "$(er "$EX_A" "/*[@class='started']")" "2030-01-01 00:00:00" \
        "the Executors page as ${WHO[$role]}: when the executor started"
done
# what each may see of the task an executor runs
req "${JAR[ba]}" "$URL/admin/executors"
is "$(er "$EX_A" /@data-state)" running "the admin of A sees what runs for A"
like "$(er "$EX_A" "/*[@class='current-task']")" "^#$T_RUN $T1 for ${NAME[upl]} \(.*\)since 2030-01-02 03:04:05$" \
    "the admin of A: the task's id, type, user and start"
is "$(er "$EX_A" "//*[local-name()='a']/@href")" "/admin/async-tasks/tasks/$T_RUN?business=$A" \
    "the admin of A: a link to the task"
is "$(er "$EX_B" /@data-state) $(er "$EX_B" "/*[@class='current-task']")" "busy busy" \
    "the admin of A sees only that B's executor is busy"
ok "$([[ $BODY != *"${NAME[ub]}"* && $BODY != *"task-$T_EXB"* && $BODY != *"/tasks/$T_EXB?"* ]]; echo $?)" \
    "the admin of A learns nothing of B's task"
req "${JAR[bb]}" "$URL/admin/executors"
is "$(er "$EX_A" /@data-state) $(er "$EX_B" /@data-state)" "busy running" \
    "the admin of B sees B's task and not A's"
req "${JAR[pa]}" "$URL/admin/executors"
is "$(er "$EX_A" /@data-state) $(er "$EX_B" /@data-state)" "running running" \
    "a platform admin sees every task"
req "${JAR[ba]}" "$URL/admin/executors?format=xml"
status_is 200 "the XML Executors view: 200"
valid "the XML Executors view: valid"
ex() { xp "string(//*[local-name()='executor'][@id='$1']/$2)"; }
is "$(ex "$EX_A" @state) $(ex "$EX_A" "*[local-name()='current-task']/@id") $(ex "$EX_A" @stale)" \
    "running $T_RUN false" "the XML Executors view: A's task, fresh"
is "$(ex "$EX_B" @state) $(xp "count(//*[local-name()='executor'][@id='$EX_B']/*)")" "busy 0" \
    "the XML Executors view: B's task hidden"
is "$(ex "$EX_IDLE" @state) $(ex "$EX_IDLE" @stale) $(ex "$EX_IDLE" @tasks-run)" "idle true 7" \
    "the XML Executors view: idle, stale, tasks run"
req "${JAR[ba]}" "$URL$LIST"
like "$(xp 'string(//*[local-name()="nav"]//*[local-name()="a"][.="Executors"]/@href)')" '^/admin/executors$' \
    "the Admin menu leads to Executors"
q "DELETE FROM executors WHERE supervisor_id = $SUP; DELETE FROM supervisors WHERE id = $SUP"
exec 9>&-

# ==== CSRF ====

CSRF_POST="business=$A&target=${UID_[um1]}"
before=$(snapshot)
req "${JAR[ba]}" --data "$CSRF_POST" "$URL/admin/async-tasks/pause-user"
status_is 403 "POST without a CSRF token: 403"
body_has "This form has expired or did not come from this site." "POST without a CSRF token: says why"
sec "a 403"
req "${JAR[ba]}" --data "csrf=&$CSRF_POST" "$URL/admin/async-tasks/pause-user"
status_is 403 "POST with an empty CSRF token: 403"
req "${JAR[ba]}" --data "csrf=$(rand_token)&$CSRF_POST" "$URL/admin/async-tasks/pause-user"
status_is 403 "POST with a wrong CSRF token: 403"
req "${JAR[ba]}" --data "csrf=${CSRF[pa]}&$CSRF_POST" "$URL/admin/async-tasks/pause-user"
status_is 403 "POST with another session's CSRF token: 403"
req "${JAR[ba]}" --data "csrf=${CSRF[ba]}x&$CSRF_POST" "$URL/admin/async-tasks/pause-user"
status_is 403 "POST with the token and more: 403"
req "${JAR[ba]}" --data "csrf=${CSRF[pa]}" "$URL/logout"
status_is 403 "logout with another session's CSRF token: 403"
is "$(snapshot)" "$before" "the refused posts changed nothing"
req "${JAR[ba]}" "$URL$LIST"
status_is 200 "the session survives a refused logout"
# the login form's token
J1=$WORK/jar.csrf1 J2=$WORK/jar.csrf2
: >"$J1"
: >"$J2"
req "$J1" "$URL/login"
TOK1=$(csrf_in_body)
req "$J2" "$URL/login"
TOK2=$(csrf_in_body)
req "$J1" --data-urlencode "csrf=$TOK2" --data-urlencode "email=${EMAIL[ba]}" \
    --data-urlencode "password=$PW" "$URL/login"
status_is 403 "login with a token that is not the cookie's: 403"
is "$(set_cookie at_session)" "" "login with a mismatched token: no session"
req "" --data-urlencode "csrf=$TOK1" --data-urlencode "email=${EMAIL[ba]}" \
    --data-urlencode "password=$PW" "$URL/login"
status_is 403 "login without the at_login cookie: 403"
is "$(set_cookie at_session)" "" "login without the at_login cookie: no session"
req "$J1" --data-urlencode "email=${EMAIL[ba]}" --data-urlencode "password=$PW" "$URL/login"
status_is 403 "login without a token: 403"
is "$(set_cookie at_session)" "" "login without a token: no session"
# an empty at_login cookie (which a sibling site can plant) and an empty
# token field are no matching pair
req "" -H 'Cookie: at_login=' --data-urlencode "csrf=" --data-urlencode "email=${EMAIL[ba]}" \
    --data-urlencode "password=$PW" "$URL/login"
status_is 403 "login with an empty at_login cookie and an empty token: 403"
is "$(set_cookie at_session)" "" "login with empty tokens: no session"

# ==== content negotiation and the XML views ====

req "${JAR[ba]}" -H 'Accept: text/html' "$URL$LIST"
is "$CT" "text/html; charset=utf-8" "Accept: text/html gives text/html"
is "$(head -c 15 "$BF")" "<!DOCTYPE html>" "text/html starts with the doctype"
wellformed "text/html is well-formed XML too"
req "${JAR[ba]}" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "$URL$LIST"
is "$CT" "application/xhtml+xml; charset=utf-8" "a browser's Accept gives application/xhtml+xml"
wellformed "application/xhtml+xml is well-formed"
req "${JAR[ba]}" "$URL$LIST&format=xml"
is "$CT" "application/xml; charset=utf-8" "?format=xml gives application/xml"
sec "an XML view"
valid "?format=xml: valid"
req "${JAR[ba]}" -H 'Accept: application/xml' "$URL$LIST"
is "$CT" "application/xml; charset=utf-8" "Accept: application/xml gives application/xml"
valid "Accept: application/xml: valid"
req "${JAR[ba]}" -H 'Accept: text/html;q=0.5, application/xml' "$URL/admin/audit-log?business=$A"
is "$CT" "application/xml; charset=utf-8" "Accept preferring XML to HTML gives XML"
cp -- "$BF" "$WORK/audit.xml"
req "${JAR[ba]}" "$URL$LIST&status=all&sort=user&dir=asc&limit=25&user=a&type=$RUN&format=xml"
valid "the XML list with every parameter: valid"
is "$(xp 'concat(/*/@sort, " ", /*/@dir, " ", /*/@status, " ", /*/@limit, " ", /*/@user-search)')" \
    "user asc all 25 a" "the XML list says how it was asked for"
req "${JAR[ba]}" "$URL$LIST&limit=25&status=all&format=xml"
cp -- "$BF" "$WORK/list.xml"
# error documents
req "" "$URL$LIST&format=xml"
is "$ST $CT" "401 application/xml; charset=utf-8" "anonymous, XML: 401 as an XML error"
valid "the XML 401 is valid"
sec "a 401"
req "${JAR[mem]}" "$URL$LIST&format=xml"
is "$ST $(xp 'string(/*/@status)')" "403 403" "a member, XML: 403 as an XML error"
valid "the XML 403 is valid"
req "${JAR[bb]}" "$URL$LIST&format=xml"
is "$ST $(xp 'string(/*/@message)')" "404 There is no such business." "the admin of B, XML: 404"
valid "the XML 404 is valid"
req "${JAR[ba]}" "$URL/admin/async-tasks/tasks/$T_B?business=$A&format=xml"
is "$ST $(xp 'local-name(/*)')" "404 error" "a task of B through A, XML: 404 as an XML error"
valid "the XML 404 of a task is valid"
req "${JAR[ba]}" "$URL$LIST&sort=bogus&format=xml"
is "$ST $(xp 'string(/*/@message)')" "400 parameter sort has an unknown value" "a bad parameter, XML: 400"
valid "the XML 400 is valid"
req "${JAR[ba]}" "$URL$LIST&format=xml&format=html"
is "$ST $(xp 'string(/*/@message)')" "400 parameter format is given more than once" \
    "a parameter given twice, each value valid: 400, not the first or the last"
req "${JAR[ba]}" "$URL$LIST&sort=user&sort=bogus"
is "$ST" 400 "a parameter given twice, one value bad: 400"
req "" -X PUT "$URL/admin/async-tasks?format=xml"
is "$ST $(xp 'string(/*/@status)')" "405 405" "a wrong method, XML: 405"
valid "the XML 405 is valid"
# the schema is precise: what the app never sends is refused
cp -- "$WORK/list.xml" "$BF"
refused() { # refused NAME SED-EXPR: the list document changed so is invalid
    sed -e "$2" "$WORK/list.xml" >"$WORK/bad.xml"
    if cmp -s "$WORK/list.xml" "$WORK/bad.xml"; then
        ok 1 "the schema refuses $1"
        diag "the edit changed nothing"
    elif xmllint --noout --relaxng "$RNG" "$WORK/bad.xml" >/dev/null 2>&1; then
        ok 1 "the schema refuses $1"
    else
        ok 0 "the schema refuses $1"
    fi
}
refused "an unknown status" 's/status="queued"/status="sleeping"/'
refused "an id of 0" 's/ id="[0-9]*"/ id="0"/'
refused "a time that is not a dateTime" 's/created-at="[^"]*"/created-at="yesterday"/'
refused "a count that is not a number" 's/queued="\([0-9]*\)"/queued="many"/'
refused "an element of no known name" 's|<page|<pager|; s|</page>|</pager>|'
refused "another namespace" 's|urn:asynctasks:views:1|urn:example:other|'

# ==== gzip ====

req "${JAR[ba]}" "$URL$LIST"
req "${JAR[ba]}" "$URL$LIST"
cp -- "$BF" "$WORK/plain.html"
req "${JAR[ba]}" -H 'Accept-Encoding: gzip' "$URL$LIST"
is "$(hdr Content-Encoding)" gzip "Accept-Encoding: gzip: Content-Encoding: gzip"
sec "a gzipped page"
if gzip -dc <"$BF" >"$WORK/unzipped.html" 2>/dev/null; then
    ok 0 "the gzipped page decompresses"
else
    ok 1 "the gzipped page decompresses"
fi
cmp -s "$WORK/unzipped.html" "$WORK/plain.html"
ok $? "the gzipped page is the page, byte for byte"
req "${JAR[ba]}" -H 'Accept-Encoding: gzip;q=0, identity' "$URL$LIST"
is "$(hdr Content-Encoding)" "" "gzip;q=0: no gzip"

# ==== HEAD ====

req "${JAR[ba]}" -I "$URL$LIST"
status_is 200 "HEAD of the list: 200"
like "$(hdr Content-Length)" '^[1-9][0-9]*$' "HEAD of the list: the length of the page"
sec "a HEAD"

# ==== static files ====

for f in app.css:text/css app.js:javascript icon.svg:image/svg\\+xml; do
    req "" "$URL/static/${f%%:*}"
    status_is 200 "/static/${f%%:*}: 200"
    like "$CT" "${f#*:}" "/static/${f%%:*}: its type"
    like "$(hdr Cache-Control | paste -sd,)" 'max-age=[1-9]' "/static/${f%%:*}: Cache-Control max-age"
    like "$(hdr Expires)" 'GMT$' "/static/${f%%:*}: Expires"
    cmp -s "$BF" "$top_srcdir/web/${f%%:*}"
    ok $? "/static/${f%%:*}: the file of web/"
    sec "/static/${f%%:*}"
done
req "" "$URL/static/no-such.css"
status_is 404 "a static file that does not exist: 404"
sec "nginx's 404"

# ==== oversized bodies ====

FORM=(-H 'Content-Type: application/x-www-form-urlencoded')
{
    printf 'x='
    head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' a
} >"$WORK/17m"
req_next "${JAR[ba]}" "${FORM[@]}" --data-binary @"$WORK/17m" "$URL/admin/async-tasks/resume-all"
status_is 413 "a 17 MiB body: 413"
body_has "The request body is larger than 16777216 bytes." "a 17 MiB body: the app's page says why"
sec "the app's 413"
alive "after a 17 MiB body"
{
    cat "$WORK/17m"
    head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' a
} >"$WORK/25m"
rm -f -- "$WORK/17m"
req_next "${JAR[ba]}" "${FORM[@]}" --data-binary @"$WORK/25m" "$URL/admin/async-tasks/resume-all"
status_is 413 "a 25 MiB body: 413"
body_has "413 Request Entity Too Large" "a 25 MiB body: nginx refuses it"
sec "nginx's 413"
rm -f -- "$WORK/25m"
alive "after a 25 MiB body"

# ==== malformed requests ====

bad_query() { # bad_query NAME QUERY [JAR PATH]
    req_next "${3:-}" "$URL${4:-/login}?$2"
    status_is 400 "$1: 400"
    body_has 'class="error-message"' "$1: the app's page says why"
    alive "$1"
}
bad_query "a lone %" "%"
bad_query "a % at the end" "next=%"
bad_query "%zz" "next=%zz"
bad_query "%0 (one digit)" "next=%0"
bad_query "%00" "next=%00"
bad_query "%ff (invalid UTF-8)" "next=%ff"
bad_query "an overlong UTF-8 sequence" "next=%c0%af"
bad_query "a control character (%01)" "next=%01"
bad_query "an escape character (%1b)" "next=%1b"
bad_query "DEL (%7f)" "next=%7f"
bad_query "a C1 control (%c2%85)" "next=%c2%85"
bad_query "a key with '<'" "a%3Cb=1"
bad_query "a key with a space" "a%20b=1"
bad_query "an empty key" "=1"
bad_query "a key of 65 characters" "$(printf 'k%.0s' $(seq 65))=1"
bad_query "300 parameters" "$(for i in $(seq 300); do printf 'p%d=1&' "$i"; done)"
bad_query "%ff in a search, logged in" "business=$A&user=%ff" "${JAR[ba]}" /admin/async-tasks
bad_cookie() { # bad_cookie NAME COOKIE-HEADER
    req_next "" -H "Cookie: $2" "$URL/login"
    status_is 400 "$1: 400"
    sec "$1"
    alive "$1"
}
bad_cookie "our cookie's value with a double quote inside" 'at_a=b"c'
bad_cookie "our cookie's value with a backslash" 'at_a=b\c'
bad_cookie "our cookie's value with a comma" 'at_a=b,c'
bad_cookie "our cookie's name with a space" 'at_a b=1'
bad_cookie "our cookie without =" 'at_session'
bad_cookie "our cookie with a non-ASCII byte" "pref=1; at_a=$(printf 'caf\303\251')"
bad_cookie "65 of our cookies" "$(for i in $(seq 65); do printf 'at_c%d=1; ' "$i"; done)"
bad_cookie "our cookie's value of 4097 bytes" "at_a=$(head -c 4097 /dev/zero | tr '\0' v)"
bad_cookie "a Cookie header over 8 KiB" "a=$(head -c 3000 /dev/zero | tr '\0' v); b=$(head -c 3000 /dev/zero | tr '\0' v); c=$(head -c 3000 /dev/zero | tr '\0' v)"
# Another application on the host or a parent domain: its cookies reach
# us too, and are none of our business.
for ck in 'pref=hello world' 'ui={"a":1}' "name=$(printf '\303\251')" 'flag' 'a b=1' '=1' \
    'a=b"c; x=y\z' "$(for i in $(seq 65); do printf 'c%d=1; ' "$i"; done)"; do
    req_next "" -H "Cookie: $ck" "$URL/login"
    status_is 200 "another application's cookie '${ck:0:20}': the login form"
    alive "another application's cookie '${ck:0:20}'"
done
T_BA=$(jar_cookie "${JAR[ba]}" at_session)
T_PA=$(jar_cookie "${JAR[pa]}" at_session)
req "" -H "Cookie: pref=hello world; at_session=$T_BA; flag; ui={\"a\":1}" "$URL$LIST"
status_is 200 "another application's cookies around the session's: the list"
# Two session cookies: a stale one (a parent domain's, or one that ended)
# does not hide the live one, in either order; two live ones are never
# chosen between.
STALE=$(rand_token)
req "" -H "Cookie: at_session=$STALE; at_session=$T_BA" "$URL$LIST"
status_is 200 "a stale session cookie before the live one: the list"
req "" -H "Cookie: at_session=$T_BA; at_session=$STALE" "$URL$LIST"
status_is 200 "the live session cookie before a stale one: the list"
req "" -H "Cookie: at_session=$T_BA; at_session=$T_PA" "$URL$LIST"
status_is 400 "two live session cookies: 400"
body_has "Delete the at_session cookies of this site" "two live session cookies: the page says which cookie to clear"
sec "two live session cookies"
req "" -H "Cookie: at_session=$T_BA; at_session=$T_PA" "$URL/login"
status_is 400 "two live session cookies: the login form says so too"
req "" -H "Cookie: at_session=$STALE; at_session=$STALE; at_session=$STALE; at_session=$T_BA" "$URL$LIST"
status_is 400 "four session cookies: 400"
body_has "Delete the at_session cookies of this site" "four session cookies: the page says which cookie to clear"
bad_body() { # bad_body NAME BODY [JAR PATH]
    req_next "${3:-}" "${FORM[@]}" --data-binary "$2" "$URL${4:-/login}"
    status_is 400 "$1: 400"
    body_has 'class="error-message"' "$1: the app's page says why"
    alive "$1"
}
bad_body "a form with %zz" "csrf=%zz&email=a@b&password=x"
bad_body "a form with a lone %" "csrf=x&email=a@b&password=%"
bad_body "a form with invalid UTF-8" "csrf=x&email=%ff&password=x"
bad_body "a form with a NUL" "csrf=x&email=a%00b&password=x"
bad_body "a form with a bad key" "csrf=x&e%3Dmail=a&pass%20word=x"
bad_body "a form with 300 fields" "$(for i in $(seq 300); do printf 'f%d=1&' "$i"; done)"
bad_body "a logged-in form with %zz" "csrf=${CSRF[ba]}&business=$A&target=1&%zz" "${JAR[ba]}" \
    /admin/async-tasks/pause-user
req_next "" -H 'Content-Type: application/json' --data-binary '{"a":1}' "$URL/login"
status_is 415 "a JSON body: 415"
alive "a JSON body"
is "$(snapshot)" "$before" "the malformed requests changed nothing"

# ==== failed logins ====

LJ=$WORK/jar.lock
: >"$LJ"
req "$LJ" "$URL/login"
LTOK=$(csrf_in_body)
login_as() { # login_as EMAIL PASSWORD
    req "$LJ" --data-urlencode "csrf=$LTOK" --data-urlencode "email=$1" --data-urlencode "password=$2" \
        "$URL/login"
}
login_as "${EMAIL[lock]}" "not the password"
status_is 401 "a wrong password: 401"
is "$(xp 'string(//*[@role="alert"])')" "Wrong email or password." "a wrong password: says so"
is "$(set_cookie at_session)" "" "a wrong password: no session"
sec "a failed login"
sed "s/$(printf '%s' "${EMAIL[lock]}" | sed 's/[.]/\\./g')/EMAIL/g" "$BF" >"$WORK/wrong.html"
NOBODY="nobody-$RUN@example.org"
login_as "$NOBODY" "not the password"
status_is 401 "an unknown email: 401"
is "$(xp 'string(//*[@role="alert"])')" "Wrong email or password." "an unknown email: the same message"
sed "s/$(printf '%s' "$NOBODY" | sed 's/[.]/\\./g')/EMAIL/g" "$BF" >"$WORK/unknown.html"
cmp -s "$WORK/wrong.html" "$WORK/unknown.html"
ok $? "an unknown email and a wrong password get the same page"
for i in 2 3 4 5; do
    login_as "${EMAIL[lock]}" "wrong $i"
    status_is 401 "failed login $i: 401"
done
login_as "${EMAIL[lock]}" "$PW"
status_is 429 "the 6th login after 5 failures, even with the right password: 429"
like "$(hdr Retry-After)" '^[1-9][0-9]*$' "429: Retry-After in seconds"
like "$(xp 'string(//*[@role="alert"])')" '^Too many failed logins for this email\. Try again in [0-9]+ seconds?\.$' \
    "429: says why and for how long"
is "$(set_cookie at_session)" "" "429: no session"
sec "a 429"
login_as "${EMAIL[ba]}" "$PW"
status_is 303 "another email is not locked"

# ==== logging in again, and out ====

for role in mem bb ba pa; do
    old=$(jar_cookie "${JAR[$role]}" at_session)
    req "${JAR[$role]}" --data-urlencode "csrf=${CSRF[$role]}" --data-urlencode "email=${EMAIL[$role]}" \
        --data-urlencode "password=$PW" "$URL/login"
    status_is 303 "${WHO[$role]} logs in again: 303"
    new=$(set_cookie at_session)
    ok "$([ -n "$new" ] && [ "$new" != "$old" ]; echo $?)" "${WHO[$role]} logs in again: a new session cookie"
    req "" -H "Cookie: at_session=$old" "$URL$LIST"
    is "$ST ${LOC:0:7}" "303 /login?" "${WHO[$role]} logs in again: the old session is over"
    req "${JAR[$role]}" "$URL/admin/audit-log?business=$A"
    CSRF[$role]=$(csrf_in_body)
done
req "" --data "csrf=${CSRF[anon]}" "$URL/logout"
status_is 403 "POST /logout as anonymous: 403"
for role in mem bb ba pa; do
    old=$(jar_cookie "${JAR[$role]}" at_session)
    is "$(q "SELECT COUNT(*) FROM sessions WHERE token_hash = UNHEX(SHA2('$old', 256))")" 1 \
        "${WHO[$role]}: the session is in the database before logout"
    req "${JAR[$role]}" --data "csrf=${CSRF[$role]}" "$URL/logout"
    status_is 303 "${WHO[$role]} logs out: 303"
    is "$LOC" /login "${WHO[$role]} logs out: to the login page"
    like "$(hdr Set-Cookie | grep '^at_session=')" '^at_session=;.*Max-Age=0' \
        "${WHO[$role]} logs out: the cookie is cleared"
    req "" -H "Cookie: at_session=$old" "$URL$LIST"
    is "$ST ${LOC:0:7}" "303 /login?" "${WHO[$role]} logs out: the old cookie, replayed, is not a session"
    req "" -H "Cookie: at_session=$old" --data "csrf=${CSRF[$role]}&business=$A" \
        "$URL/admin/async-tasks/resume-all"
    status_is 403 "${WHO[$role]} logs out: a replayed post is refused"
    is "$(q "SELECT COUNT(*) FROM sessions WHERE token_hash = UNHEX(SHA2('$old', 256))")" 0 \
        "${WHO[$role]} logs out: the session is gone from the database"
done

# ==== the app held up ====

req_next "" "$URL/static/app.css"
alive "at the end"
if [ -n "$FCGI_LOG" ] && [ -f "$FCGI_LOG" ]; then
    crashes=$(tail -c "+$((LOG_AT + 1))" -- "$FCGI_LOG" | grep -E 'worker [0-9]+ ended|Sanitizer|runtime error:')
    is "$crashes" "" "the app's log tells of no crashed worker and no sanitizer report"
fi
diag "$(($(date +%s) - START)) s"
# ==== a password change ends the user's sessions ====

PWC=pwc-$RUN@example.org
cli user add "$PWC" "Pat Change" --password-file - <<<"$PW"
cli member add --business "$A" --user "$PWC" --role business_admin
for j in 1 2; do
    : >"$WORK/pwc$j"
    login_form "$WORK/pwc$j" "$PWC" "$PW"
    status_is 303 "password change: login $j before it"
done
req "$WORK/pwc1" "$URL/admin/async-tasks?business=$A"
status_is 200 "password change: the list, logged in"
run --config "$ASYNCTASKS_TEST_CONFIG" user passwd "$PWC" --password-file - <<<"new $PW"
is "$RC" 0 "user passwd: exit 0"
is "$OUT" "password of $PWC changed; 2 sessions ended" "user passwd: says it ended both sessions"
for j in 1 2; do
    req "$WORK/pwc$j" "$URL/admin/async-tasks?business=$A"
    status_is 303 "password change: session $j is over"
    like "$LOC" '^/login' "password change: session $j is sent to the login"
done
: >"$WORK/pwc3"
login_form "$WORK/pwc3" "$PWC" "$PW"
status_is 401 "password change: the old password no longer logs in"
login_form "$WORK/pwc3" "$PWC" "new $PW"
status_is 303 "password change: the new one does"
run --config "$ASYNCTASKS_TEST_CONFIG" user passwd "$PWC" --password-file - <<<"third $PW"
is "$OUT" "password of $PWC changed; 1 session ended" "user passwd: counts one session"

done_testing
