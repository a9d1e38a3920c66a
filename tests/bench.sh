#!/usr/bin/env bash
# tests/bench.sh: every benchmark's quick variant runs on the build under
# test and prints its whole table, with a figure in every cell that holds
# one. How good the figures are is not checked: the machine's load decides
# that.
. "$top_srcdir/tests/lib.sh"

[ -n "${ASYNCTASKS_TEST_ROOT:-}" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run the tests through dev/check"
url_port=${ASYNCTASKS_TEST_URL:-}
url_port=${url_port##*:}
[[ $url_port =~ ^[0-9]+$ ]] || bail "ASYNCTASKS_TEST_URL names no port"
# The benches listen beside the test screen: on its port + 10 and up.
export ASYNCTASKS_BENCH_PORT=$((url_port + 10))
export AT_BENCH_BUILD=$top_builddir
B=$ASYNCTASKS_TEST_ROOT/bench
LOGS=$ASYNCTASKS_TEST_ROOT/var
OUT=$(mktemp -d "${TMPDIR:-/tmp}/at-bench.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$OUT"' EXIT

flush() { sql --raw -e "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit"; }
flush_before=$(flush)

# cell FILE LABEL COLUMN : the trimmed cell COLUMN (1 = the first) of the
# table row whose first cell is LABEL.
cell() {
    awk -F'|' -v l="$2" -v c="$3" '{
        f = $2; gsub(/^ +| +$/, "", f)
        if (f == l) { v = $(c + 1); gsub(/^ +| +$/, "", v); print v; exit }
    }' "$1"
}

# figure FILE LABEL COLUMN NAME : a test point that the cell holds a
# number (with or without " ms").
figure() {
    local v
    v=$(cell "$1" "$2" "$3")
    if [[ $v =~ ^[0-9]+(\.[0-9]+)?( ms)?$ ]]; then
        ok 0 "$4: $v"
    else
        ok 1 "$4"
        diag "the row '$2' reads '$v'"
    fi
}

# bench NAME : runs bench/NAME --quick into $OUT/NAME; a test point for
# its exit status.
bench() {
    "$B/$1" --quick >"$OUT/$1" 2>"$OUT/$1.err"
    local rc=$?
    ok $rc "bench/$1 --quick ran (exit $rc)"
    [ $rc -eq 0 ] || sed 's/^/#   /' "$OUT/$1.err" | tail -n 20
    sed 's/^/#   /' "$OUT/$1"
}

: >"$LOGS/log/fcgi-bench-app.log"
rm -f -- "$LOGS"/log/fcgi-bench-app-*.log # bench/page's, one an instance

# ---- bench/throughput ----
bench throughput
T=$OUT/throughput
figure "$T" "(a)" 3 "throughput (a), tasks/s"
figure "$T" "(b)" 3 "throughput (b), tasks/s"
figure "$T" "(c1)" 3 "throughput (c1), rows/s"
figure "$T" "(c16)" 3 "throughput (c16), rows/s"
figure "$T" "(d)" 3 "throughput (d), jobs/s"
figure "$T" "(e) p50" 3 "throughput (e) p50"
figure "$T" "(e) p99" 3 "throughput (e) p99"
figure "$T" "(f) p50" 3 "throughput (f) p50"
figure "$T" "(f) p99" 3 "throughput (f) p99"
figure "$T" "(g) type" 3 "throughput (g), the pause of a type"
figure "$T" "(g) user" 3 "throughput (g), the pause of a user"
is "$(grep -c '^| (g) held | tasks counted paused after both | 4000 of 4000 |' "$T")" 1 \
    "throughput (g): the counters count every held task as paused"
is "$(grep -c '^| RSS |' "$T")" 2 "throughput has its two RSS rows"
figure "$T" "supervisor RSS, MiB" 2 "throughput: the supervisor's RSS"
figure "$T" "(a)/(c1)" 2 "throughput: the ratio (a)/(c1)"
figure "$T" "(a)/(d)" 2 "throughput: the ratio (a)/(d)"
figure "$T" "(a)/(c16)" 2 "throughput: the ratio (a)/(c16)"
figure "$T" "(b)/(a)" 2 "throughput: the ratio (b)/(a)"
grep -q -E 'innodb_flush_log_at_trx_commit = 1 during the run' "$T"
ok $? "throughput ran with durable commits"

# ---- bench/enqueue ----
bench enqueue
E=$OUT/enqueue
figure "$E" "single HTTP enqueue, req/s" 2 "enqueue: single, req/s"
figure "$E" "single HTTP enqueue, req/s" 5 "enqueue: single against the hello world"
figure "$E" "bulk HTTP enqueue, 1000 a request, tasks/s" 2 "enqueue: bulk, tasks/s"
figure "$E" "bulk HTTP enqueue, 1000 a request, tasks/s" 5 "enqueue: bulk against raw"
figure "$E" "raw multi-row INSERT, rows/s" 2 "enqueue: raw INSERT, rows/s"

# ---- bench/page ----
bench page
P=$OUT/page
for label in "default list" "sort created asc" "sort user desc" "sort user asc" "sort type desc" \
    "sort type asc" "status finished" "status all" "user search, many (e)" \
    "user search, few (alice)" "type search (exp)" "deep page (keyset)" "XML view" \
    "Pause User search (car)" "audit log"; do
    for col in 3 4 5 6 7 8 9; do
        v=$(cell "$P" "$label" "$col")
        [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || break
    done
    [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]]
    ok $? "page '$label': req/s, p99, the hello world's req/s, ratios at both sizes"
done
grep -q -E "^- FastCGI workers' peak RSS .*: [0-9.]+ MiB" "$P"
ok $? "page: the FastCGI workers' RSS"

# ---- bench/bulk ----
bench bulk
K=$OUT/bulk
for label in "list, pending" "list, type search (bulk-bench)" "list, status all"; do
    for col in 2 3 4 5 6; do
        v=$(cell "$K" "$label" "$col")
        [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || break
    done
    [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]]
    ok $? "bulk '$label': req/s and p99 before and during the job, their ratio"
done
figure "$K" "job" 3 "bulk: the job's tasks/s"
is "$(cell "$K" "job" 7)" 1000 "bulk: the job did every task"
grep -q -E '^- the job: .* counters check after: acme: ok$' "$K"
ok $? "bulk: the totals and lanes agree with the tasks after the job"

# ---- bench/soak ----
bench soak
S=$OUT/soak
for label in "FastCGI master" "FastCGI workers" "supervisor 1" "executors of supervisor 1" \
    "supervisor 2" "executors of supervisor 2" "MariaDB"; do
    figure "$S" "$label" 2 "soak: $label, RSS after the warm-up"
    figure "$S" "$label" 3 "soak: $label, RSS half-way"
    figure "$S" "$label" 4 "soak: $label, RSS at the end"
    [[ $(cell "$S" "$label" 5) =~ ^[+-][0-9]+\.[0-9]%$ && $(cell "$S" "$label" 6) =~ ^[+-][0-9]+\.[0-9]%$ ]]
    ok $? "soak: $label, its growth, and since half-way"
done
grep -q -E "^- MariaDB's buffer pool \([0-9]+ MiB\) held [0-9]+ KiB of data pages after the warm-up and [0-9]+ KiB at the end" "$S"
ok $? "soak: the data in MariaDB's buffer pool after the warm-up and at the end"
grep -q -E '^\| [0-9]+ \|( [0-9]+ \|){7}$' "$S"
ok $? "soak: the sizes of the seven kinds of process at each slice"
for label in "supervisors' and executors' logs" "the app's log" "nginx's error log" \
    "API answers not 2xx" "pages not 200" "pauses and resumes failed (not a refusal)"; do
    figure "$S" "$label" 2 "soak: errors, $label"
done
grep -q -E '^\| [0-9]+ \| [0-9]+ \| [0-9]+ \| (flat|NOT FLAT) \|$' "$S"
ok $? "soak: tasks done and pages served per minute, a slice at least"

is "$(flush)" "$flush_before" "the flush setting is back as it was"
if grep -E -l 'Sanitizer|runtime error:' "$LOGS"/bench/*/asynctasksd*.log \
    "$LOGS"/log/fcgi-bench-app*.log 2>/dev/null; then
    ok 1 "no sanitizer report in the benches' logs"
else
    ok 0 "no sanitizer report in the benches' logs"
fi
done_testing
