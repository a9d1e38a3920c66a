#!/usr/bin/env bash
# fcgi.sh: asynctasks-fcgi as a process: it keeps its workers alive, finishes
# the request in flight on SIGTERM before it stops, reloads on SIGHUP
# without dropping requests, keeps running on a bad reload, and takes its
# socket on fd 0 from a process manager. Talks FastCGI to it directly.
. "$top_srcdir/tests/lib.sh"

FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi
command -v cgi-fcgi >/dev/null || bail "cgi-fcgi is missing (Debian package libfcgi-bin)"
command -v spawn-fcgi >/dev/null || bail "spawn-fcgi is missing (Debian package spawn-fcgi)"

work=$(mktemp -d "${TMPDIR:-/tmp}/at-fcgi.XXXXXX") || bail "mktemp"
SOCK=$work/fcgi.sock
PIDF=$work/fcgi.pid
LOG=$work/fcgi.log
CONF=$work/fcgi.conf
grep -v '^fcgi_processes' "$ASYNCTASKS_TEST_CONFIG" >"$CONF"
echo "fcgi_processes = 2" >>"$CONF"
cleanup() {
    [ -s "$PIDF" ] && kill -KILL "$(cat "$PIDF")" 2>/dev/null
    pkill -KILL -f "$work/" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# request METHOD PATH [BODY [COOKIE [QUERY]]]: one FastCGI request;
# prints the response (headers and body) as the app wrote it. QUERY goes
# to the app as it is, as no web server would pass it.
request() {
    local method=$1 path=$2 body=${3:-} cookie=${4:-} query=${5:-}
    env -i PATH="$PATH" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" REQUEST_METHOD="$method" \
        DOCUMENT_URI="$path" QUERY_STRING="$query" HTTP_ACCEPT="text/html" HTTP_COOKIE="$cookie" \
        CONTENT_TYPE="application/x-www-form-urlencoded" CONTENT_LENGTH="${#body}" \
        REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$SOCK" <<<"$body" 2>&1
}
status_of() { sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1; }
workers() { pgrep -P "$(cat "$PIDF")" | sort | tr '\n' ' '; }
alive() { [ -s "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
two_workers() { [ "$(workers | wc -w)" -eq 2 ]; }

start() {
    rm -f "$PIDF" "$SOCK"
    "$FCGI" --config "$CONF" --listen "$SOCK" --pidfile "$PIDF" >>"$LOG" 2>&1 &
    wait_until 10 test -S "$SOCK" && wait_until 10 alive && wait_until 10 two_workers
}

start
ok $? "starts with two workers"
is "$(request GET /login | status_of)" 200 "answers a request"
ok "$( [ "$(stat -c %a "$SOCK")" = 660 ]; echo $?)" "socket is owner and group only (660)"

# A Location is built from checked values only: a line break in the raw
# query makes no header of its own. The admin of one business, with a
# session made here.
db=$(sed -n 's/^db_name = //p' "$ASYNCTASKS_TEST_CONFIG")
slug="fcgi-$$" admin="fcgi.$$@test.example.com"
run --config "$ASYNCTASKS_TEST_CONFIG" business add "$slug" "FastCGI $$" &&
    run --config "$ASYNCTASKS_TEST_CONFIG" user add "$admin" "Fay Cgi" --no-password &&
    run --config "$ASYNCTASKS_TEST_CONFIG" member add --business "$slug" --user "$admin" \
        --role business_admin || bail "setting up the admin: $OUT"
tok=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
sql -D "$db" -e "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
    SELECT UNHEX(SHA2('$tok', 256)), id, '$tok', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6),
    UTC_TIMESTAMP(6) + INTERVAL 1 HOUR FROM users WHERE email = '$admin'"
headers() { sed -n '1,/^\r\{0,1\}$/p'; }
location() { headers | sed -n 's/^Location: \(.*\)\r$/\1/p'; }
injected=$(request GET /admin/async-tasks "" "at_session=$tok" $'zz=a\r\nX-Injected: 1&sort=user')
is "$(status_of <<<"$injected")" 303 "a page without business, CR LF in the raw query: 303"
is "$(headers <<<"$injected" | grep -c '^X-Injected')" 0 "... no header of the query's own"
is "$(location <<<"$injected")" "/admin/async-tasks?business=$slug&sort=user" \
    "... to the business with the checked parameter, the unknown one left out"
injected=$(request GET /admin/async-tasks "" "" $'business=x&zz=a\r\nX-Injected: 1')
is "$(headers <<<"$injected" | grep -c '^X-Injected')" 0 "logged out, CR LF in the raw query: no header of its own"
is "$(location <<<"$injected")" "/login?next=%2Fadmin%2Fasync-tasks%3Fbusiness%3Dx" \
    "... to the login and back, with the checked parameter only"
sql -D "$db" -e "DELETE FROM sessions WHERE token_hash = UNHEX(SHA2('$tok', 256))"

# A worker that dies is replaced.
before=$(workers)
victim=$(echo "$before" | awk '{print $1}')
kill -KILL "$victim"
wait_until 10 two_workers
after=$(workers)
ok "$( [ "$after" != "$before" ] && ! echo "$after" | grep -qw "$victim"; echo $?)" "a killed worker is replaced (was: $before, now: $after)"
is "$(request GET /login | status_of)" 200 "and requests still work"

# SIGHUP: new workers with the new configuration, no request lost.
sed -i 's/^fcgi_processes = 2/fcgi_processes = 3/' "$CONF"
before=$(workers)
fails=0
(for _ in $(seq 1 30); do
    s=$(request GET /login | status_of)
    [ "$s" = 200 ] || echo "got $s" >>"$work/reload-failures"
done) &
loader=$!
sleep 0.2
kill -HUP "$(cat "$PIDF")"
three_new() { [ "$(workers | wc -w)" -eq 3 ]; }
wait_until 15 three_new
ok $? "SIGHUP: three workers after raising fcgi_processes"
wait "$loader"
[ -s "$work/reload-failures" ] && fails=$(wc -l <"$work/reload-failures")
is "$fails" 0 "no request failed during the reload"
now=$(workers)
common=$(comm -12 <(echo "$before" | tr ' ' '\n' | sort) <(echo "$now" | tr ' ' '\n' | sort) | grep -c .)
is "$common" 0 "every worker was replaced"

# A reload with a broken configuration keeps the running one.
cp "$CONF" "$work/good.conf"
echo "bogus_key = 1" >>"$CONF"
before=$(workers)
kill -HUP "$(cat "$PIDF")"
sleep 1
ok "$(alive; echo $?)" "bad reload: still running"
is "$(workers)" "$before" "bad reload: the same workers"
like "$(cat "$LOG")" "reload refused.*unknown key 'bogus_key'" "bad reload: the error is logged"
cp "$work/good.conf" "$CONF"

# SIGTERM lets the request in flight finish. The request is held by a row
# lock taken here: a wrong login for an email whose failure count is locked.
email="held.$$@test.example.com"
sql -e "INSERT INTO login_failures (email, failures, first_at) VALUES ('$email', 1, UTC_TIMESTAMP(6))" \
    -D "$(sed -n 's/^db_name = //p' "$ASYNCTASKS_TEST_CONFIG")"
form=$(request GET /login)
tok=$(printf '%s' "$form" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
[ -n "$tok" ] || bail "no login token"
(sql -D "$db" -e "BEGIN; SELECT failures FROM login_failures WHERE email = '$email' FOR UPDATE; SELECT SLEEP(3); COMMIT" >/dev/null) &
locker=$!
sleep 0.5
start_ms=$(date +%s%3N)
request POST /login "csrf=$tok&email=$email&password=wrong" "at_login=$tok" >"$work/held.out" &
held=$!
sleep 1
kill -TERM "$(cat "$PIDF")"
sleep 0.5
ok "$(alive; echo $?)" "SIGTERM: still running while a request is in flight"
wait "$held"
end_ms=$(date +%s%3N)
is "$(status_of <"$work/held.out")" 401 "the request in flight got its answer (wrong password)"
ok "$( [ $((end_ms - start_ms)) -ge 1500 ]; echo $?)" "after waiting for the lock ($((end_ms - start_ms)) ms)"
wait "$locker"
gone() { ! alive; }
wait_until 10 gone
ok $? "then it stopped"
ok "$( [ ! -e "$SOCK" ]; echo $?)" "and removed its socket"
sql -D "$db" -e "DELETE FROM login_failures WHERE email = '$email'"

# The socket on fd 0, as a process manager hands it over.
rm -f "$PIDF"
spawn-fcgi -s "$SOCK" -P "$PIDF" -- "$FCGI" --config "$CONF" >>"$LOG" 2>&1
three() { [ "$(workers | wc -w)" -eq 3 ]; }
wait_until 10 alive && wait_until 10 three
ok $? "started by a process manager with its three workers"
like "$(readlink "/proc/$(cat "$PIDF")/fd/0")" "^socket:" "fd 0 is the listening socket"
is "$(request GET /login | status_of)" 200 "answers on it"
kill -TERM "$(cat "$PIDF")"
wait_until 10 gone
ok $? "stops on SIGTERM"

# The socket named by the configuration (fcgi_listen), after a reload
# that replaced the configuration: SIGTERM still removes it.
CSOCK=$work/conf.sock
sed -i '/^fcgi_listen/d' "$CONF"
echo "fcgi_listen = $CSOCK" >>"$CONF"
rm -f "$PIDF"
"$FCGI" --config "$CONF" --pidfile "$PIDF" >>"$LOG" 2>&1 &
wait_until 10 test -S "$CSOCK" && wait_until 10 alive && wait_until 10 three
ok $? "listens on fcgi_listen of the configuration"
reloads=$(grep -c "configuration reloaded" "$LOG")
kill -HUP "$(cat "$PIDF")"
reloaded() { [ "$(grep -c "configuration reloaded" "$LOG")" -gt "$reloads" ]; }
wait_until 10 reloaded
ok $? "reloads on SIGHUP"
SOCK=$CSOCK
is "$(request GET /login | status_of)" 200 "answers after the reload"

# A second instance on the same socket, or with the same pidfile, is
# refused and leaves the first one serving. (Each such start is cut at 10
# s: one that wrongly runs on fails its exit status instead of hanging.)
out=$(timeout 10 "$FCGI" --config "$CONF" --listen "$CSOCK" 2>&1)
is "$?" 1 "a second instance on a live socket exits 1"
like "$out" "cannot listen on $CSOCK: another server is listening there" "and says why, naming the socket"
out=$(timeout 10 "$FCGI" --config "$CONF" --listen "$work/other.sock" --pidfile "$PIDF" 2>&1)
is "$?" 1 "a second instance with the same pidfile exits 1"
like "$out" "another asynctasks-fcgi holds $PIDF \\(pid $(cat "$PIDF")\\)" "and names the pidfile and the pid"
ok "$( [ ! -e "$work/other.sock" ]; echo $?)" "without making its socket"
is "$(request GET /login | status_of)" 200 "the first still answers on its socket"

master=$(cat "$PIDF")
kill -TERM "$master"
wait_until 10 gone
ok $? "stops on SIGTERM after the reload"
ok "$( [ ! -e "$CSOCK" ]; echo $?)" "and removes the socket named by the configuration"
ok "$( [ ! -e "$PIDF" ]; echo $?)" "and its pidfile"

# Sockets that cannot be: a missing directory, a file in the way, a path
# too long; each refused with the path and exit status 1. A socket file
# nobody listens on (left by a crash) is replaced.
out=$(timeout 10 "$FCGI" --config "$CONF" --listen "$work/no/such/dir/fcgi.sock" 2>&1)
is "$?" 1 "a socket in a missing directory: exit 1"
like "$out" "cannot listen on $work/no/such/dir/fcgi.sock: its directory does not exist" \
    "and the message names the path"
echo "keep me" >"$work/plain"
out=$(timeout 10 "$FCGI" --config "$CONF" --listen "$work/plain" 2>&1)
is "$?" 1 "a regular file at the socket's path: exit 1"
like "$out" "cannot listen on $work/plain: it exists and is not a socket" "and says so"
is "$(cat "$work/plain")" "keep me" "the file is left alone"
long="$work/$(printf 'x%.0s' $(seq 1 120)).sock"
out=$(timeout 10 "$FCGI" --config "$CONF" --listen "$long" 2>&1)
is "$?" 1 "a socket path too long: exit 1"
like "$out" "a socket path has at most 107 bytes" "and says how long it may be"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$CSOCK" ||
    bail "cannot leave a stale socket"
ok "$( [ -S "$CSOCK" ]; echo $?)" "a stale socket file is there"
"$FCGI" --config "$CONF" --pidfile "$PIDF" >>"$LOG" 2>&1 &
wait_until 10 alive && wait_until 10 three
ok $? "starts over a stale socket"
is "$(request GET /login | status_of)" 200 "and answers on it"
kill -TERM "$(cat "$PIDF")"
wait_until 10 gone
ok $? "stops"
done_testing
