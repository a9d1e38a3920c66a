#!/usr/bin/env bash
# tests/metrics.sh: GET /healthz, GET /metrics and "asynctasks stats" after
# real traffic: a supervisor runs tasks that succeed and tasks that fail
# after a retry, then the numbers are held to COUNT(*)s of the tables, the
# histograms to their invariants, the text to promtool's check (or, without
# it, to this file's parser), and who may read the metrics to the
# configuration. Ends with MariaDB stopped and started again (/healthz
# answers 503, then 200), so it runs after every other test (Makefile.am).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

[ -n "${ASYNCTASKS_TEST_ROOT:-}" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run the tests through dev/check"
FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi
command -v cgi-fcgi >/dev/null || bail "cgi-fcgi is missing (Debian package libfcgi-bin)"
command -v promtool >/dev/null || bail "promtool is missing (Debian package prometheus)"

sv_setup metrics svtest exit
trap 'sv_cleanup; rm -rf -- "$SVDIR"' EXIT
sv_conf executors 2 poll_interval_ms 200
cfg() { "$AT" --config "$SVCONF" "$@"; }
cfg business add weird 'We"ird \ name' >/dev/null || bail "business add weird"
cfg member add --business weird --user u@example.com --role member >/dev/null || bail "member add"
# a line feed, as only a write around the library could put it there
q "UPDATE businesses SET name = CONCAT('We\"ird \\\\ ', CHAR(10), 'name') WHERE slug = 'weird'"
is "$(q "SELECT HEX(name) FROM businesses WHERE slug = 'weird'")" \
    "$(printf 'We"ird \\ \nname' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
    "business weird's name has a double quote, a backslash and a line feed"

# ---- traffic: 8 successes, 3 failures after a retry each ----
sv_start
for i in 1 2 3 4 5 6; do enqueue test.nap "ms=$((i * 30))" >/dev/null || bail "enqueue"; done
for b in biz weird; do
    cfg enqueue --business "$b" --user u@example.com --type test.nap --payload "ms=5" >/dev/null ||
        bail "enqueue $b"
done
for i in 1 2 3; do enqueue test.exit >/dev/null || bail "enqueue test.exit"; done
wait_for 60 "SELECT COUNT(*) = 11 FROM tasks WHERE finished = 1"
ok $? "the supervisor runs the 11 tasks to their end"
is "$(q "SELECT CONCAT(SUM(state = 'succeeded'), ' ', SUM(state = 'failed')) FROM tasks")" "8 3" \
    "8 succeeded, 3 failed"
is "$(q "SELECT COUNT(*) FROM task_attempts WHERE outcome = 'retry'")" 3 "each failure was retried once"

# ---- the app, with metrics for a token and some addresses ----
work=$SVDIR/fcgi
mkdir -p "$work"
SOCK=$work/fcgi.sock
TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$work/metrics-token"
chmod 600 "$work/metrics-token"
grep -v '^fcgi_processes' "$SVCONF" >"$work/fcgi.conf"
cat >>"$work/fcgi.conf" <<EOF
fcgi_processes = 1
metrics_token_file = $work/metrics-token
metrics_allow = 127.0.0.2 10.1.0.0/16 ::1
EOF
fcgi_start() { # CONF SOCKET
    rm -f "$2"
    "$FCGI" --config "$1" --listen "$2" --pidfile "$2.pid" >>"$work/fcgi.log" 2>&1 &
    wait_until 10 test -S "$2"
}
fcgi_start "$work/fcgi.conf" "$SOCK" || bail "asynctasks-fcgi did not start"

# request METHOD PATH [AUTHORIZATION [REMOTE_ADDR [SOCKET]]]: the answer as the
# app wrote it, headers and body.
request() {
    env -i PATH="$PATH" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" REQUEST_METHOD="$1" \
        DOCUMENT_URI="$2" QUERY_STRING="" HTTP_AUTHORIZATION="${3:-}" \
        REMOTE_ADDR="${4:-127.0.0.1}" cgi-fcgi -bind -connect "${5:-$SOCK}" </dev/null 2>&1
}
status_of() { sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1; }
header() { sed -n '1,/^\r\{0,1\}$/p' | sed -n "s/^$1: \(.*\)\r\$/\1/p"; }
body_of() { sed '1,/^\r\{0,1\}$/d'; }

# ---- /healthz ----
sessions=$(q "SELECT COUNT(*) FROM sessions")
throttle=$(q "SELECT COUNT(*) FROM login_throttle")
R=$(request GET /healthz)
is "$(status_of <<<"$R")" 200 "GET /healthz: 200 with the database up"
is "$(body_of <<<"$R")" "ok" "... saying ok"
is "$(header X-Statement-Count <<<"$R")" 1 "... in one statement"
is "$(header Set-Cookie <<<"$R")" "" "... setting no cookie"
like "$(header Content-Type <<<"$R")" '^text/plain' "... as plain text"
R=$(request HEAD /healthz)
is "$(status_of <<<"$R")" 200 "HEAD /healthz: 200"
is "$(body_of <<<"$R")" "" "... without a body"
is "$(request POST /healthz | status_of)" 405 "POST /healthz: 405"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do request GET /healthz "" 192.0.2.7 >/dev/null; done
is "$(q "SELECT COUNT(*) FROM sessions")" "$sessions" "a dozen health checks make no session"
is "$(q "SELECT COUNT(*) FROM login_throttle")" "$throttle" "... and count nothing in the login throttle"

# through nginx, as deployed (nginx/asynctasks.conf.in passes every path
# but /static/ to the app; the test instance has no metrics configured)
URL=${ASYNCTASKS_TEST_URL:-}
[ -n "$URL" ] || bail "ASYNCTASKS_TEST_URL is not set: run the tests through dev/check"
is "$(curl -s -w ' %{http_code}' "$URL/healthz")" "ok
 200" "GET /healthz through nginx: 200 ok"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" 404 \
    "GET /metrics through nginx, metrics not configured: 404"

# ---- who may read /metrics ----
for case in "Bearer $TOKEN|127.0.0.1|200|the token" \
    "bearer  $TOKEN|192.0.2.1|200|the token, the scheme in lower case, two spaces" \
    "Bearer ${TOKEN}x|127.0.0.1|403|a longer token" \
    "Bearer ${TOKEN%?}|127.0.0.1|403|a shorter token" \
    "Bearer|127.0.0.1|403|an empty token" \
    "Basic $TOKEN|127.0.0.1|403|the token as Basic" \
    "|127.0.0.1|403|no token, an address not allowed" \
    "|127.0.0.2|200|no token, an allowed address" \
    "|10.1.200.3|200|no token, an address of an allowed network" \
    "|10.2.0.1|403|no token, an address outside it" \
    "|::1|200|no token, an allowed IPv6 address" \
    "|::ffff:127.0.0.2|200|no token, an allowed IPv4 address written as IPv6" \
    "|not-an-address|403|no token, a REMOTE_ADDR that is no address" \
    "|	|403|no token, a REMOTE_ADDR of white space" \
    "Bearer wrong|127.0.0.2|200|a wrong token from an allowed address"; do
    IFS='|' read -r auth addr want what <<<"$case"
    R=$(request GET /metrics "$auth" "$addr")
    is "$(status_of <<<"$R")" "$want" "GET /metrics, $what: $want"
done
R=$(request GET /metrics "" 127.0.0.1)
like "$(body_of <<<"$R")" 'metrics token' "a refusal says what lets a request in"
is "$(header Set-Cookie <<<"$R")" "" "... and sets no cookie"
# metrics not configured at all: 404
grep -v '^metrics_' "$work/fcgi.conf" >"$work/off.conf"
fcgi_start "$work/off.conf" "$work/off.sock" || bail "the second asynctasks-fcgi did not start"
R=$(request GET /metrics "Bearer $TOKEN" 127.0.0.1 "$work/off.sock")
is "$(status_of <<<"$R")" 404 "metrics not configured: GET /metrics answers 404, token or not"
like "$(body_of <<<"$R")" 'metrics_token_file or metrics_allow' "... naming the keys that turn them on"
kill -TERM "$(cat "$work/off.sock.pid")" 2>/dev/null

# ---- the numbers, against the tables ----
R=$(request GET /metrics "Bearer $TOKEN")
is "$(status_of <<<"$R")" 200 "GET /metrics with the token: 200"
is "$(header Content-Type <<<"$R")" "text/plain; version=0.0.4; charset=utf-8" \
    "... in the text format, version 0.0.4"
is "$(header X-Statement-Count <<<"$R")" 2 "... read in two statements"
M=$(body_of <<<"$R" | tr -d '\r')
printf '%s\n' "$M" >"$work/metrics.txt"
# sample NAME{LABELS}: its value
# (the key through the environment: awk -v would read its backslashes)
sample() { K=$1 awk 'index($0, ENVIRON["K"] " ") == 1 { print substr($0, length(ENVIRON["K"]) + 2) }' <<<"$M"; }
for b in biz weird; do
    for st in succeeded failed cancelled; do
        is "$(sample "asynctasks_tasks_finished_total{business=\"$b\",outcome=\"$st\"}")" \
            "$(q "SELECT COUNT(*) FROM tasks t JOIN businesses b ON b.id = t.business_id
                  WHERE b.slug = '$b' AND t.state = '$st'")" "$b: finished $st = COUNT(*)"
    done
    is "$(sample "asynctasks_task_retries_total{business=\"$b\"}")" \
        "$(q "SELECT COUNT(*) FROM task_attempts a JOIN businesses b ON b.id = a.business_id
              WHERE b.slug = '$b' AND a.outcome = 'retry'")" "$b: retries = COUNT(*) of retry attempts"
done
attempts=$(q "SELECT COUNT(*) FROM task_attempts")
for h in wait run; do
    is "$(sample "asynctasks_task_${h}_seconds_count")" "$attempts" "$h: _count = every attempt that ran"
    is "$(sample "asynctasks_task_${h}_seconds_bucket{le=\"+Inf\"}")" "$attempts" "$h: le=+Inf = _count"
    vals=$(grep "^asynctasks_task_${h}_seconds_bucket" <<<"$M" | awk '{ print $2 }' | paste -sd' ')
    is "$(tr ' ' '\n' <<<"$vals" | sort -n | paste -sd' ')" "$vals" "$h: the buckets are cumulative"
    is "$(grep -c "^asynctasks_task_${h}_seconds_bucket" <<<"$M")" 13 "$h: 12 bounds and +Inf"
done
# the run time of each attempt is its row's finished_at - started_at
for le in 0.01 0.05 0.1 0.5 1 5; do
    is "$(sample "asynctasks_task_run_seconds_bucket{le=\"$le\"}")" \
        "$(q "SELECT COUNT(*) FROM task_attempts
              WHERE TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) <= $le * 1000000")" \
        "run: le=$le = the attempts that ran at most $le s"
done
is "$(sample asynctasks_task_run_seconds_sum)" \
    "$(q "SELECT CONCAT(FLOOR(s / 1000000), '.', LPAD(s % 1000000, 6, '0')) FROM
          (SELECT SUM(TIMESTAMPDIFF(MICROSECOND, started_at, finished_at)) AS s FROM task_attempts) x")" \
    "run: _sum = the attempts' run times, to the microsecond"
executors_live=$(q "SELECT COUNT(*) FROM executors WHERE heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL 30 SECOND")
is "$(( $(sample 'asynctasks_executors{state="busy"}') + $(sample 'asynctasks_executors{state="idle"}') ))" \
    "$executors_live" "live executors = the executors' rows with a fresh heartbeat ($executors_live)"
is "$(sample 'asynctasks_business_info{business="weird",name="We\"ird \\ \nname"}')" 1 \
    "a business's name with \", \\ and a line feed is escaped in its label"

# ---- the format ----
if OUT=$(promtool check metrics <"$work/metrics.txt" 2>&1); then
    ok 0 "promtool check metrics accepts it"
else
    ok 1 "promtool check metrics accepts it"
    diag "$OUT"
fi
# Every line is a HELP, a TYPE or a sample of the family they announced,
# each family once, with its HELP and TYPE before its samples.
bad=$(awk '
    /^# HELP / { if ($3 in seen) { print "family twice: " $3; next } seen[$3] = 1; fam = $3; help = 1; next }
    /^# TYPE / { if ($3 != fam || !help) { print "TYPE without its HELP: " $0 } type = $4; next }
    /^#/ { print "other comment: " $0; next }
    {
        name = $0; sub(/[{ ].*/, "", name)
        base = name
        if (type == "histogram") sub(/_(bucket|sum|count)$/, "", base)
        if (base != fam) print "sample of another family: " $0
        if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*",?)*\})? [0-9]+(\.[0-9]+)?$/)
            print "not a sample: " $0
    }' "$work/metrics.txt")
is "$bad" "" "each family: HELP, TYPE, then its samples, every sample well-formed"

# ---- the queue now: paused, due and waiting ----
sv_stop
cfg pause user --business biz u@example.com --reason metrics >/dev/null || bail "pause"
enqueue test.nap "ms=1" >/dev/null
enqueue test.nap "ms=1" >/dev/null
cfg enqueue --business weird --user u@example.com --type test.nap --payload "ms=1" >/dev/null
cfg enqueue --business weird --user u@example.com --type test.nap --payload "ms=1" \
    --run-at "2999-01-01 00:00:00" >/dev/null || bail "enqueue --run-at"
sleep 1.2
M=$(request GET /metrics "Bearer $TOKEN" | body_of | tr -d '\r')
for b in biz weird; do
    counts=$(cfg counters show --business "$b" | sed -n 's/^ *queued \([0-9]*\), paused \([0-9]*\), running \([0-9]*\), failed \([0-9]*\),.*/\1 \2 \3 \4/p')
    is "$(sample "asynctasks_tasks{business=\"$b\",state=\"queued\"}") $(sample "asynctasks_tasks{business=\"$b\",state=\"paused\"}") $(sample "asynctasks_tasks{business=\"$b\",state=\"running\"}") $(sample "asynctasks_tasks{business=\"$b\",state=\"failed\"}")" \
        "$counts" "$b: queued, paused, running, failed as the admin's totals ($counts)"
done
is "$(sample 'asynctasks_tasks{business="biz",state="paused"}')" 2 "biz: the 2 tasks of a paused user are paused"
is "$(sample 'asynctasks_tasks{business="weird",state="queued"}')" 2 "weird: 2 queued, one due and one not"
age=$(sample asynctasks_oldest_due_task_age_seconds)
oldest=$(q "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(run_at), UTC_TIMESTAMP(6)) / 1000000 FROM tasks
            WHERE state = 'queued' AND run_at <= UTC_TIMESTAMP(6)")
ok "$(awk -v a="$age" -v o="$oldest" 'BEGIN { exit !(a >= 1 && a <= o) }'; echo $?)" \
    "the oldest due task's age ($age s) is at least the second waited, at most its age by the tasks ($oldest s)"
is "$(sample 'asynctasks_executors{state="busy"}') $(sample 'asynctasks_executors{state="idle"}')" "0 0" \
    "with the supervisor stopped, no executor is live"

# ---- asynctasks stats: the same numbers ----
run --config "$SVCONF" stats --format prometheus
is "$RC" 0 "stats --format prometheus exits 0"
strip_age() { grep -v '^asynctasks_oldest_due_task_age_seconds '; }
is "$(strip_age <<<"$OUT")" "$(strip_age <<<"$M")" "... and prints what GET /metrics serves (the age aside)"
run --config "$SVCONF" stats --format tsv
is "$RC" 0 "stats --format tsv exits 0"
tsv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<<"$OUT"; }
is "$(tsv business.biz.succeeded_total) $(tsv business.biz.failed_total) $(tsv business.biz.retried_total) $(tsv business.biz.paused)" \
    "$(sample 'asynctasks_tasks_finished_total{business="biz",outcome="succeeded"}') $(sample 'asynctasks_tasks_finished_total{business="biz",outcome="failed"}') $(sample 'asynctasks_task_retries_total{business="biz"}') $(sample 'asynctasks_tasks{business="biz",state="paused"}')" \
    "... its values are the metrics' (biz: succeeded, failed, retries, paused)"
is "$(tsv run.count) $(tsv run.le.+Inf) $(tsv run.sum_seconds)" \
    "$(sample asynctasks_task_run_seconds_count) $(sample 'asynctasks_task_run_seconds_bucket{le="+Inf"}') $(sample asynctasks_task_run_seconds_sum)" \
    "... and so are the run histogram's count, +Inf and sum"
run --config "$SVCONF" stats
is "$RC" 0 "stats (a table) exits 0"
like "$OUT" "$(printf 'biz +%s +%s +0 +%s +%s +%s +0 +%s' \
    "$(sample 'asynctasks_tasks{business="biz",state="queued"}')" \
    "$(sample 'asynctasks_tasks{business="biz",state="paused"}')" \
    "$(sample 'asynctasks_tasks{business="biz",state="failed"}')" \
    "$(sample 'asynctasks_tasks_finished_total{business="biz",outcome="succeeded"}')" \
    "$(sample 'asynctasks_tasks_finished_total{business="biz",outcome="failed"}')" \
    "$(sample 'asynctasks_task_retries_total{business="biz"}')")" "... with biz's row of numbers"
like "$OUT" "oldest due task: +due [0-9]+\.[0-9]{3} s ago" "... and the oldest due task's age"
run --config "$SVCONF" stats --format yaml
is "$RC" 64 "stats --format yaml: a usage error (64)"
like "$OUT" "table, tsv or prometheus" "... naming the formats"

# ---- the counters outlive a rebuild of the totals ----
before=$(grep _total <<<"$M")
cfg counters rebuild >/dev/null || bail "counters rebuild"
after=$(request GET /metrics "Bearer $TOKEN" | body_of | tr -d '\r' | grep _total)
is "$after" "$before" "counters rebuild leaves the finished and retry counters as they were"

# ---- the database down, then back ----
bash -c '. "$1/dev/lib.sh" && at_db_stop' stop "$ASYNCTASKS_TEST_ROOT" >"$work/db.log" 2>&1
ok $? "MariaDB stopped"
R=$(request GET /healthz)
is "$(status_of <<<"$R")" 503 "GET /healthz with the database down: 503"
is "$(body_of <<<"$R")" "database unavailable" "... saying so in a line of plain text"
is "$(request GET /metrics "Bearer $TOKEN" | status_of)" 503 "GET /metrics with the database down: 503"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 503 "GET /healthz through nginx: 503"
run --config "$SVCONF" stats
is "$RC" 69 "asynctasks stats with the database down exits 69"
bash -c '. "$1/dev/lib.sh" && at_db_start' start "$ASYNCTASKS_TEST_ROOT" >>"$work/db.log" 2>&1
ok $? "MariaDB started again"
is "$(request GET /healthz | status_of)" 200 "GET /healthz once the database is back: 200"
kill -TERM "$(cat "$SOCK.pid")" 2>/dev/null
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$work/fcgi.log" >/dev/null; then
    ok 1 "no sanitizer report in the app's log"
    grep -E -A5 'AddressSanitizer|LeakSanitizer|runtime error:' "$work/fcgi.log" | head -n 30 | sed 's/^/#   /'
else
    ok 0 "no sanitizer report in the app's log"
fi
sv_log_clean
done_testing
