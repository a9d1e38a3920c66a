#!/usr/bin/env bash
# write_fail.sh: an answer the app cannot write whole is never sent in
# part. In one instance of asynctasks-fcgi libxml2 runs out of memory for
# real (tests/xml_alloc_fail.c, preloaded: every allocation libxml2 asks
# for of LIMIT bytes or more fails); the task list as XHTML, gzipped and
# as XML, a task's page and the API's task, each larger than that, then
# answer 500 with a short page of their own, whole, and nothing of the
# page that failed. An instance without the fault answers the same
# requests 200 in full. The worker that failed lives on and serves a
# small page. Talks FastCGI to both directly.
. "$top_srcdir/tests/lib.sh"

FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi
SHIM=$top_builddir/tests/.libs/xml_alloc_fail.so
[ -r "$SHIM" ] || bail "$SHIM is missing (make check builds it)"
for tool in cgi-fcgi xmllint gzip pgrep; do
    command -v "$tool" >/dev/null || bail "$tool is needed"
done
# A build with AddressSanitizer wants its runtime first among the
# preloaded libraries.
PRELOAD=$SHIM
asan=$(ldd "$FCGI" 2>/dev/null | awk '/libasan/ { print $3 }')
[ -n "$asan" ] && PRELOAD="$asan $SHIM"
LIMIT=8192

work=$(mktemp -d "${TMPDIR:-/tmp}/at-write-fail.XXXXXX") || bail "mktemp"
CONF=$work/fcgi.conf
grep -v '^fcgi_processes' "$ASYNCTASKS_TEST_CONFIG" >"$CONF"
echo "fcgi_processes = 1" >>"$CONF"
REFUSED=$work/refused
# the workers may run as another account (the configuration's user): they
# write the refusals there
chmod 0711 "$work"
: >"$REFUSED"
chmod 0666 "$REFUSED"
cleanup() {
    local p
    for p in "$work"/*.pid; do
        [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

worker_of() { pgrep -P "$(cat "$work/$1.pid")"; }
serving() { [ -S "$work/$1.sock" ] && [ -s "$work/$1.pid" ] && [ -n "$(worker_of "$1")" ]; }
# start NAME [VAR=VALUE...]: an instance on $work/NAME.sock, its one
# worker started, with the environment given.
start() {
    local name=$1
    shift
    env "$@" "$FCGI" --config "$CONF" --listen "$work/$name.sock" --pidfile "$work/$name.pid" \
        >>"$work/$name.log" 2>&1 &
    wait_until 10 serving "$name"
}
start plain || bail "the instance without the fault does not start: $(cat "$work/plain.log")"
start faulty LD_PRELOAD="$PRELOAD" AT_TEST_XML_ALLOC_OVER=$LIMIT AT_TEST_XML_ALLOC_LOG="$REFUSED" ||
    bail "the instance with the fault does not start: $(cat "$work/faulty.log")"
FAULTY_WORKER=$(worker_of faulty)

# ---- the data: a business, its admin with a session, tasks whose pages
# are larger than LIMIT ----
db=$(sed -n 's/^db_name = //p' "$ASYNCTASKS_TEST_CONFIG")
RUN=w$$t$(date +%s)
slug=$RUN admin="admin.$RUN@test.example.com" type=$RUN.type
MARK=$RUN # in every page of this test: the slug, the type, the payloads
run --config "$ASYNCTASKS_TEST_CONFIG" business add "$slug" "Write fail $RUN" &&
    run --config "$ASYNCTASKS_TEST_CONFIG" user add "$admin" "Wren Fail" --no-password &&
    run --config "$ASYNCTASKS_TEST_CONFIG" member add --business "$slug" --user "$admin" \
        --role business_admin &&
    run --config "$ASYNCTASKS_TEST_CONFIG" type add "$type" || bail "setting up: $OUT"
long=$(head -c 30000 /dev/zero | tr '\0' 'x')
{
    printf '%s\t%s\t%s\t\t\t%s %s\n' "$slug" "$admin" "$type" "$MARK" "$long"
    for i in $(seq 1 60); do
        printf '%s\t%s\t%s\t\t\t%s %d\n' "$slug" "$admin" "$type" "$MARK" "$i"
    done
} >"$work/tasks"
run --config "$ASYNCTASKS_TEST_CONFIG" enqueue --from "$work/tasks" --ids
[ "$RC" = 0 ] || bail "enqueue: $OUT"
BIG=$(printf '%s\n' "$OUT" | head -n 1)
tok=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
sql -D "$db" -e "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
    SELECT UNHEX(SHA2('$tok', 256)), id, '$tok', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
    UTC_TIMESTAMP(6) + INTERVAL 1 HOUR FROM users WHERE email = '$admin'" || bail "no session"
TOKEN=$("$AT" --config "$ASYNCTASKS_TEST_CONFIG" token create "$slug" wf 2>&1) ||
    bail "token create: $TOKEN"

# ---- requests ----

# get NAME PATH QUERY [VAR=VALUE...]: GET over FastCGI from instance NAME,
# as the admin's browser (the VARs add to or replace its parameters). The
# status is in ST, the headers in $work/h, the body in $work/b, the
# length the app declared in CL.
get() {
    local name=$1 path=$2 query=$3 hlen
    shift 3
    env -i PATH="$PATH" REQUEST_METHOD=GET DOCUMENT_URI="$path" QUERY_STRING="$query" \
        HTTP_ACCEPT=text/html HTTP_COOKIE="at_session=$tok" REMOTE_ADDR=127.0.0.1 "$@" \
        cgi-fcgi -bind -connect "$work/$name.sock" </dev/null >"$work/out" 2>"$work/err"
    sed -n '1,/^\r$/p' "$work/out" >"$work/h"
    hlen=$(wc -c <"$work/h")
    tail -c +$((hlen + 1)) "$work/out" >"$work/b"
    ST=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$work/h")
    CL=$(sed -n 's/^Content-Length: \([0-9]*\).*/\1/p' "$work/h")
}
header() { sed -n "s/^$1: \\(.*\\)\\r\$/\\1/p" "$work/h"; }
contains() { grep -Fq -- "$2" "$1"; }

# page NAME PATH QUERY [VAR=VALUE...]: the page from the instance without
# the fault, then from the one with it.
page() {
    local what=$1 path=$2 query=$3 size logged
    shift 3
    get plain "$path" "$query" "$@"
    is "$ST" 200 "$what, no fault: 200"
    size=$(wc -c <"$work/b")
    ok "$([ "$size" -gt "$LIMIT" ] && [ "$size" = "$CL" ]; echo $?)" \
        "$what, no fault: whole ($size bytes, as declared: $CL), larger than $LIMIT"
    ok "$(contains "$work/b" "$MARK"; echo $?)" "$what, no fault: shows the tasks"
    wellformed_body "$what, no fault"

    : >"$REFUSED"
    LOG_AT=$(wc -c <"$work/faulty.log")
    get faulty "$path" "$query" "$@"
    ok "$([ -s "$REFUSED" ]; echo $?)" "$what, libxml2 out of memory: an allocation was refused"
    is "$ST" 500 "$what, libxml2 out of memory: 500"
    is "$(wc -c <"$work/b")" "$CL" "$what, libxml2 out of memory: the body is whole, as declared"
    ok "$(! contains "$work/b" "$MARK"; echo $?)" \
        "$what, libxml2 out of memory: nothing of the page"
    ok "$(contains "$work/b" "could not be written in full"; echo $?)" \
        "$what, libxml2 out of memory: the page says what happened"
    wellformed_body "$what, libxml2 out of memory"
    is "$(header Location)$(header Set-Cookie)" "" "$what, libxml2 out of memory: no header of the page"
    logged=$(tail -c +$((LOG_AT + 1)) "$work/faulty.log" | grep "GET $path: the answer could not be written")
    ok $? "$what, libxml2 out of memory: logged"
    [ -n "$logged" ] && diag "$logged"
}
wellformed_body() {
    local err
    err=$(xmllint --noout "$work/b" 2>&1)
    ok $? "$1: well-formed"
    [ -z "$err" ] || diag "$(printf '%s' "$err" | head -n 3)"
}

# error_document NAME: the body is an error of docs/views.rng, status 500.
error_document() {
    local err rc
    err=$(xmllint --noout --relaxng "$top_srcdir/docs/views.rng" "$work/b" 2>&1)
    rc=$?
    ok $rc "$1, libxml2 out of memory: a document of docs/views.rng"
    [ $rc = 0 ] || diag "$(printf '%s' "$err" | head -n 3)"
    is "$(xmllint --xpath 'concat(local-name(/*), " ", /*/@status)' "$work/b" 2>&1)" "error 500" \
        "$1, libxml2 out of memory: an error, status 500"
}

LIST=/admin/async-tasks TASK=/admin/async-tasks/tasks/$BIG
page "the task list" "$LIST" "business=$slug&status=all"
is "$(header Content-Type)" "text/html; charset=utf-8" "the task list, libxml2 out of memory: as HTML"
page "the task list as XML" "$LIST" "business=$slug&status=all&format=xml"
is "$(header Content-Type)" "application/xml; charset=utf-8" \
    "the task list as XML, libxml2 out of memory: as XML"
error_document "the task list as XML"
page "a task's page" "$TASK" "business=$slug"
page "a task's page as XHTML" "$TASK" "business=$slug" HTTP_ACCEPT=application/xhtml+xml
is "$(header Content-Type)" "application/xhtml+xml; charset=utf-8" \
    "a task's page as XHTML, libxml2 out of memory: as XHTML"
page "the API's task" "/api/v1/tasks/$BIG" "" HTTP_COOKIE= HTTP_AUTHORIZATION="Bearer $TOKEN"
error_document "the API's task"

# gzip: the short page is what is compressed.
get faulty "$LIST" "business=$slug&status=all" HTTP_ACCEPT_ENCODING=gzip
is "$ST" 500 "the task list gzipped, libxml2 out of memory: 500"
is "$(header Content-Encoding)" gzip "the task list gzipped, libxml2 out of memory: gzipped"
gzip -dc <"$work/b" >"$work/unzipped" 2>/dev/null
ok $? "the task list gzipped, libxml2 out of memory: the body is a whole gzip stream"
ok "$(contains "$work/unzipped" "could not be written in full" && ! contains "$work/unzipped" "$MARK"; echo $?)" \
    "the task list gzipped, libxml2 out of memory: the short page, nothing of the list"

# The worker lives on: a page smaller than LIMIT is served whole by it.
get faulty /login "" HTTP_COOKIE=
is "$ST" 200 "after the failures, a small page: 200"
ok "$(contains "$work/b" "</html>"; echo $?)" "after the failures, a small page: whole"
is "$(worker_of faulty)" "$FAULTY_WORKER" "after the failures: the same worker"

sql -D "$db" -e "DELETE FROM sessions WHERE token_hash = UNHEX(SHA2('$tok', 256))"
done_testing
