#!/usr/bin/env bash
# tests/sv_stop.sh: how dev/demo stops the supervisor (at_sv_stop of
# dev/lib.sh, run in a root of its own): a pidfile naming a process that is
# not our asynctasksd leaves that process alone and says so; our
# supervisor, started as root to run as the asynctasks account, cannot
# rewrite the pidfile, is stopped, and leaves no pidfile behind.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"
# shellcheck source=svlib.sh
. "$top_srcdir/tests/svlib.sh"

[ -f "${ASYNCTASKS_TEST_ROOT:-}/dev/lib.sh" ] || bail "ASYNCTASKS_TEST_ROOT is not set: run through dev/check"
[ "$(id -u)" -eq 0 ] || bail "the supervisor's change of user is tested as root"
sv_setup sv_stop noop
chmod 0711 "$SVDIR"
R=$SVDIR/root
mkdir -p "$R/dev" "$R/var/run"
cp "$ASYNCTASKS_TEST_ROOT/dev/lib.sh" "$R/dev/lib.sh"
PIDFILE=$R/var/run/asynctasksd.pid
sleeper=
trap 'kill "$sleeper" 2>/dev/null; rm -rf -- "$SVDIR"' EXIT

# devlib COMMAND...: runs a function of the copied dev/lib.sh; sets OUT, RC.
devlib() {
    OUT=$(bash -c '. "$1"; shift; "$@"' devlib "$R/dev/lib.sh" "$@" 2>&1)
    RC=$?
}

# ---- a pidfile naming another process ----
sleep 300 &
sleeper=$!
echo "$sleeper" >"$PIDFILE"
devlib at_sv_stop
is "$RC" 0 "stop with a pidfile naming a sleep: exit 0"
[ "$(awk '{ print $3 }' "/proc/$sleeper/stat" 2>/dev/null)" = S ]
ok $? "the sleep named by the pidfile is not killed"
has "$OUT" "$PIDFILE names pid $sleeper, which is not our asynctasksd: not signalling it" \
    "and the stop says so"
[ ! -e "$PIDFILE" ]
ok $? "the stale pidfile is removed"
kill "$sleeper"
wait "$sleeper" 2>/dev/null

# ---- our supervisor, run as the asynctasks account ----
id asynctasks >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin asynctasks
sock=$(sed -n 's/^db_socket = //p' "$SVCONF")
runuser -u asynctasks -- sh -c 'test -w "$1"' sh "$sock" ||
    bail "the database socket $sock is out of the asynctasks account's reach"
chown asynctasks "$SVDIR/spool"
{ grep -v '^user = ' "$SVCONF"; echo "user = asynctasks"; } >"$SVDIR/as.conf"
chmod a+r "$SVDIR/as.conf"
devlib at_sv_start "$SVDIR/as.conf" "$SVD"
is "$RC" 0 "at_sv_start: exit 0"
pid=$(cat "$PIDFILE" 2>/dev/null)
is "$(ps -o user= -p "$pid" | tr -d ' ')" asynctasks "the supervisor runs as asynctasks"
is "$(stat -c %U "$PIDFILE")" root "its pidfile stays root's: the account cannot rewrite the pid"
runuser -u asynctasks -- sh -c ': >>"$1"' sh "$PIDFILE" 2>/dev/null
ok "$([ $? -ne 0 ]; echo $?)" "the asynctasks account cannot write the pidfile"
devlib at_sv_stop
is "$RC" 0 "at_sv_stop: exit 0"
# gone, or exited and not reaped yet by whoever inherited it
state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
ok "$([ -z "$state" ] || [ "$state" = Z ]; echo $?)" "the supervisor is gone (state '$state')"
[ ! -e "$PIDFILE" ]
ok $? "no pidfile is left behind"
like "$(cat "$R/var/log/asynctasksd.log")" "stopped" "the supervisor stopped cleanly"
! grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$R/var/log/asynctasksd.log"
ok $? "no sanitizer report in the supervisor's log"

done_testing
