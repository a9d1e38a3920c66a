#!/usr/bin/env bash
# tests/syslog.sh: log = syslog sends what the supervisor and its executors
# and the FastCGI app log to the system log, with the program's name and
# pid, and nothing to stderr; log = stderr and the supervisor's --syslog
# keep their meaning. A stand-in for the system log (tests/log-sink)
# listens where syslog(3) writes, /dev/log: created for the test when the
# machine has none, else mounted over it in a mount namespace of the
# test's own. (in_ns runs in the background job it replaces, so that $!
# is the program's pid.)
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

SINK=$top_builddir/tests/log-sink
FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$SINK" ] || bail "$SINK is missing (make check builds it)"
if [ "$(id -u)" -ne 0 ]; then
    skip "listening at /dev/log needs root"
    done_testing
    exit
fi

sv_setup syslog svtest
# one test at a time may stand in for the system log
exec 9>"${TMPDIR:-/tmp}/asynctasks-test-devlog.lock"
flock -w 300 9 || bail "cannot lock /dev/log for the test"
OUTF=$SVDIR/syslog.out
if [ -e /dev/log ]; then
    SOCK=$SVDIR/log.sock
    in_ns() { exec unshare -m --propagation private sh -c 'mount --bind "$0" /dev/log && exec "$@"' "$SOCK" "$@" 9>&-; }
else
    SOCK=/dev/log
    in_ns() { exec "$@" 9>&-; }
fi
"$SINK" "$SOCK" >"$OUTF" 2>"$SVDIR/sink.err" 9>&- &
SINKPID=$!
stop_sink() { kill -TERM "$SINKPID" 2>/dev/null; wait "$SINKPID" 2>/dev/null; }
trap 'stop_sink; sv_cleanup; [ "$SOCK" = /dev/log ] && rm -f /dev/log' EXIT
wait_until 10 test -S "$SOCK" || bail "the log sink did not start: $(cat "$SVDIR/sink.err")"
said() { grep -c -- "$1" "$OUTF"; }

# ---- the supervisor and its executors ----
sv_conf log syslog poll_interval_ms 200
in_ns "$SVD" --config "$SVCONF" --pidfile "$SVDIR/asynctasksd.pid" >"$SVDIR/sv.log" 2>&1 &
SVPID=$!
up() { wait_for 20 "SELECT COUNT(*) >= 1 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $SVPID AND e.pid > 0"; }
up
id=$(enqueue test.nap "ms=1")
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = $id"
ok $? "with log = syslog the supervisor runs a task"
sv_stop
wait_until 5 grep -q 'asynctasksd\[[0-9]*\]: .*stopped' "$OUTF"
ok "$( [ "$(said 'asynctasksd\[[0-9]*\]: ')" -ge 2 ]; echo $?)" \
    "its lines reach the system log, named asynctasksd with the pid ($(said 'asynctasksd\[') lines)"
ok "$( [ "$(grep -o 'asynctasksd\[[0-9]*\]' "$OUTF" | sort -u | wc -l)" -ge 2 ]; echo $?)" \
    "the executors' lines too, under their own pids"
is "$(grep -c . "$SVDIR/sv.log")" 0 "and nothing goes to stderr"
grep 'asynctasksd\[' "$OUTF" | head -n 3 | while IFS= read -r l; do diag "$l"; done

# --syslog without the key, and log = stderr
sv_conf log stderr
in_ns "$SVD" --config "$SVCONF" --pidfile "$SVDIR/asynctasksd.pid" --syslog >"$SVDIR/sv2.log" 2>&1 &
SVPID=$!
before=$(said 'asynctasksd\[')
up
sv_stop
wait_until 5 test "$(said 'asynctasksd\[')" -gt "$before"
ok $? "--syslog sends to the system log whatever the configuration says"
sv_start 9>&-
sv_stop
ok "$(grep -q 'asynctasksd\[[0-9]*\] info: ' "$SVDIR/sv.log"; echo $?)" "log = stderr writes to stderr"

# ---- the FastCGI app ----
{
    grep -Ev '^(fcgi_listen|fcgi_processes|log) ' "$SVCONF"
    echo "fcgi_listen = $SVDIR/fcgi.sock"
    echo "fcgi_processes = 1"
    echo "log = syslog"
} >"$SVDIR/fcgi.conf"
before=$(said 'asynctasks-fcgi\[')
in_ns "$FCGI" --config "$SVDIR/fcgi.conf" --pidfile "$SVDIR/fcgi.pid" >"$SVDIR/fcgi.log" 2>&1 &
FPID=$!
wait_until 10 test -S "$SVDIR/fcgi.sock"
ok $? "with log = syslog the FastCGI app listens"
kill -TERM "$FPID"
wait "$FPID"
wait_until 5 test "$(said 'asynctasks-fcgi\[[0-9]*\]: ')" -gt "$before"
ok $? "its lines reach the system log, named asynctasks-fcgi with the pid"
is "$(grep -c . "$SVDIR/fcgi.log")" 0 "and nothing goes to stderr"

# ---- a value that is neither ----
sv_conf log file
"$SVD" --config "$SVCONF" --check >"$SVDIR/check.out" 2>&1
is "$?" 78 "log = file: the configuration is refused (exit 78)"
has "$(cat "$SVDIR/check.out")" "log must be stderr or syslog, not 'file'" "... saying what log takes"
done_testing
