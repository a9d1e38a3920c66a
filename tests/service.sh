#!/usr/bin/env bash
# service.sh: asynctasks-fcgi as a service: --check, the socket's mode,
# owner and group, workers running as the configured account, the socket
# handed over by socket activation (LISTEN_FDS); and what make install
# puts in place: the systemd units, the tmpfiles.d entry, the example
# configuration and the man pages, with the directories configure chose,
# and the run and spool directories.
. "$top_srcdir/tests/lib.sh"

FCGI=$top_builddir/fcgi/asynctasks-fcgi
[ -x "$top_builddir/fcgi/.libs/asynctasks-fcgi" ] && FCGI=$top_builddir/fcgi/.libs/asynctasks-fcgi
command -v cgi-fcgi >/dev/null || bail "cgi-fcgi is missing (Debian package libfcgi-bin)"
command -v systemd-socket-activate >/dev/null ||
    bail "systemd-socket-activate is missing (Debian package systemd)"
command -v systemd-analyze >/dev/null || bail "systemd-analyze is missing (Debian package systemd)"
[ "$(id -u)" -eq 0 ] || diag "not root: the checks of accounts and ownership are skipped, and count as failed"

work=$(mktemp -d "${TMPDIR:-/tmp}/at-service.XXXXXX") || bail "mktemp"
chmod 0755 "$work"
LOG=$work/fcgi.log
PIDF=$work/fcgi.pid
cleanup() {
    [ -s "$PIDF" ] && kill -KILL "$(cat "$PIDF")" 2>/dev/null
    pkill -KILL -f "$work/" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# The test configuration without the keys each part sets itself.
grep -Ev '^(fcgi_processes|fcgi_listen|fcgi_socket_[a-z]+|user|group) ' "$ASYNCTASKS_TEST_CONFIG" \
    >"$work/base.conf"
echo "fcgi_processes = 2" >>"$work/base.conf"
# conf NAME LINE...: a configuration of the base and LINEs; prints its path.
conf() {
    local f=$work/$1.conf
    shift
    { cat "$work/base.conf"; printf '%s\n' "$@"; } >"$f"
    echo "$f"
}
# check CONF: runs --check; sets OUT and RC.
check() {
    OUT=$(timeout 30 "$FCGI" --config "$1" --check 2>&1)
    RC=$?
}
request() { # request SOCKET PATH: a GET over FastCGI; prints the answer
    env -i PATH="$PATH" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" REQUEST_METHOD=GET \
        DOCUMENT_URI="$2" QUERY_STRING="" HTTP_ACCEPT="text/html" CONTENT_LENGTH=0 \
        REMOTE_ADDR=127.0.0.1 timeout 10 cgi-fcgi -bind -connect "$1" </dev/null 2>&1
}
status_of() { sed -n 's/^Status: \([0-9]*\).*/\1/p' | head -n 1; }
workers_of() { pgrep -P "$1" | sort | tr '\n' ' '; }
logged() { grep -q -- "$1" "$LOG"; }
ROOT_USER=$( [ "$(id -u)" -eq 0 ] && echo "user = root")

# ---- --check ----
check "$(conf good "$ROOT_USER")"
is "$RC" 0 "--check on a good configuration: exit 0"
is "$OUT" "asynctasks-fcgi: $work/good.conf: OK" "... and one line that says OK"
c=$(conf listen "$ROOT_USER" "fcgi_listen = $work/check.sock")
check "$c"
ok "$( [ "$RC" -eq 0 ] && [ ! -e "$work/check.sock" ]; echo $?)" "--check makes no socket"
check "$(conf badmode "$ROOT_USER" "fcgi_socket_mode = 0999")"
is "$RC" 78 "--check: fcgi_socket_mode = 0999 is refused with 78"
has "$OUT" "badmode.conf:" "... naming the file"
like "$OUT" "fcgi_socket_mode must be permission bits in octal from 0 to 0777 \\(as 0660\\), not '0999'" \
    "... and saying what the value must be"
check "$(conf wordmode "$ROOT_USER" "fcgi_socket_mode = rw-rw----")"
is "$RC" 78 "--check: fcgi_socket_mode = rw-rw---- is refused with 78"
check "$(conf badname "$ROOT_USER" "fcgi_socket_owner = bad name!")"
is "$RC" 78 "--check: an owner that cannot be an account name is refused with 78"
like "$OUT" "fcgi_socket_owner must be a name of at most 32 letters" "... saying what a name is"
check "$(conf nogroup "$ROOT_USER" "fcgi_socket_group = no-such-group-here")"
is "$RC" 78 "--check: an unknown fcgi_socket_group is refused with 78"
has "$OUT" "nogroup.conf: fcgi_socket_group: group no-such-group-here: no such group" \
    "... naming the file, the key and the group"
check "$(conf noowner "$ROOT_USER" "fcgi_socket_owner = no-such-account-here")"
is "$RC" 78 "--check: an unknown fcgi_socket_owner is refused with 78"
has "$OUT" "fcgi_socket_owner: user no-such-account-here: no such account" "... and named"
check "$(conf grouponly "group = nogroup")"
is "$RC" 78 "--check: group without user is refused with 78"
like "$OUT" "grouponly.conf:[0-9]+: group is set without user" "... naming the line"
c=$(conf nodb "$ROOT_USER")
sed -i "s|^db_socket = .*|db_socket = $work/no-such-db.sock|" "$c"
check "$c"
is "$RC" 69 "--check: a database that cannot be reached: exit 69"
has "$OUT" "no-such-db.sock" "... and the error names the socket"
if [ "$(id -u)" -eq 0 ]; then
    check "$(conf rootless)"
    is "$RC" 78 "--check as root without user: 78"
    has "$OUT" 'refusing to run as root: set "user = NAME"' "... saying what to set"
    check "$(conf nouser "user = no-such-account-here")"
    is "$RC" 78 "--check as root: an unknown user is refused with 78"
    has "$OUT" "user no-such-account-here: no such account" "... and named"
    out=$(timeout 10 "$FCGI" --config "$work/rootless.conf" --listen "$work/rootless.sock" 2>&1)
    is "$?" 78 "started as root without user: exit 78"
    ok "$( [ ! -e "$work/rootless.sock" ]; echo $?)" "... before making its socket"
else
    for _ in 1 2 3 4 5 6; do skip "root only: the account rule of a start as root"; done
fi

# ---- the socket's mode, owner and group; the workers' account ----
if [ "$(id -u)" -eq 0 ]; then
    id asynctasks >/dev/null 2>&1 ||
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin asynctasks
    uid=$(id -u asynctasks)
    gid=$(getent group nogroup | cut -d: -f3)
    c=$(conf owned "user = asynctasks" "group = nogroup" "fcgi_socket_owner = nobody" \
        "fcgi_socket_group = nogroup" "fcgi_socket_mode = 0640")
    S=$work/owned.sock
    "$FCGI" --config "$c" --listen "$S" --pidfile "$PIDF" >>"$LOG" 2>&1 &
    two() { [ "$(workers_of "$(cat "$PIDF")" | wc -w)" -eq 2 ]; }
    wait_until 10 test -S "$S" && wait_until 10 test -s "$PIDF" && wait_until 10 two
    ok $? "started as root with user, group and the socket's keys"
    is "$(stat -c '%U:%G %a' "$S")" "nobody:nogroup 640" \
        "the socket has fcgi_socket_owner, fcgi_socket_group and fcgi_socket_mode"
    master=$(cat "$PIDF")
    ids=""
    for w in $(workers_of "$master"); do
        ids="$ids$(awk '/^Uid:/ {print $2, $3, $4, $5} /^Gid:/ {print $2, $3, $4, $5}' \
            "/proc/$w/status" | tr '\n' '/')"
    done
    want="$uid $uid $uid $uid/$gid $gid $gid $gid/"
    is "$ids" "$want$want" "both workers run as asynctasks, group nogroup (real, effective, saved)"
    is "$(awk '/^Uid:/ {print $3}' "/proc/$master/status")" 0 \
        "the master stays root (it reloads root's files and removes its socket)"
    is "$(request "$S" /login | status_of)" 200 "a worker answers a page"
    kill -TERM "$master"
    gone() { ! kill -0 "$master" 2>/dev/null; }
    wait_until 10 gone
    ok "$( [ ! -e "$S" ]; echo $?)" "stopped, the master removed the socket"
    out=$(timeout 10 "$FCGI" --config "$work/noowner.conf" --listen "$work/noowner.sock" 2>&1)
    is "$?" 78 "an unknown fcgi_socket_owner at start: exit 78"
    ok "$( [ ! -e "$work/noowner.sock" ]; echo $?)" "... and no socket"
else
    for _ in 1 2 3 4 5 6 7 8; do skip "root only: owner, group and account changes"; done
fi

# ---- socket activation: one listening socket on fd 3 (LISTEN_FDS) ----
# systemd-socket-activate starts the program at the first connection, with
# only the environment it is told to pass on.
SA_ENV=()
for v in LD_LIBRARY_PATH ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
    [ -n "${!v:-}" ] && SA_ENV+=(-E "$v")
done
c=$(conf activated "$ROOT_USER" "fcgi_listen = $work/unused.sock")
A=$work/activated.sock
: >"$LOG"
systemd-socket-activate "${SA_ENV[@]}" -l "$A" "$FCGI" --config "$c" >>"$LOG" 2>&1 &
app=$!
wait_until 10 test -S "$A"
is "$(request "$A" /login | status_of)" 200 \
    "started by socket activation, it answers a page through the socket it was handed"
wait_until 10 logged "listening on fd 3 (socket activation) with 2 workers"
ok $? "... on fd 3, as it logs"
ok "$( [ ! -e "$work/unused.sock" ]; echo $?)" "fcgi_listen of the configuration is left alone"
kill -TERM "$app"
gone() { ! kill -0 "$app" 2>/dev/null; }
wait_until 10 gone
ok $? "stops on SIGTERM"
ok "$( [ -S "$A" ]; echo $?)" "and leaves the socket it was handed where it was"
systemd-socket-activate "${SA_ENV[@]}" -l "$work/a1.sock" -l "$work/a2.sock" "$FCGI" --config "$c" \
    >"$work/two.log" 2>&1 &
two=$!
wait_until 10 test -S "$work/a1.sock"
request "$work/a1.sock" /login >/dev/null
wait "$two"
is "$?" 1 "two sockets handed over: exit 1"
has "$(cat "$work/two.log")" "socket activation passed 2 sockets; asynctasks-fcgi listens on one" \
    "... saying why"

# ---- make install: units, tmpfiles.d, example configuration, man pages ----
# make of the build tree, on its own (not a part of the make running us)
submake() { (cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"); }
mkvar() { # the value make gives a variable of the build
    printf 'at-print-var:\n\t@echo $(%s)\n' "$1" | submake -s -f Makefile -f - at-print-var
}
for v in prefix sbindir sysconfdir pkglibdir mandir at_rundir at_spooldir systemdsystemunitdir tmpfilesdir; do
    printf -v "$v" '%s' "$(mkvar "$v")"
done
ST=$work/stage
submake install DESTDIR="$ST" >"$work/install.log" 2>&1
ok $? "make install DESTDIR=... succeeds" || tail -n 20 "$work/install.log" | sed 's/^/# /'
U=$ST$systemdsystemunitdir
has "$(cat "$U/asynctasksd.service" 2>&1)" \
    "ExecStart=$sbindir/asynctasksd --config $sysconfdir/asynctasks.conf" \
    "asynctasksd.service runs the installed supervisor on the installed configuration"
has "$(cat "$U/asynctasksd.service" 2>&1)" "ReadWritePaths=$at_rundir $at_spooldir" \
    "... and may write the run and spool directories"
has "$(cat "$U/asynctasks-fcgi.service" 2>&1)" \
    "ExecStart=$sbindir/asynctasks-fcgi --config $sysconfdir/asynctasks.conf" \
    "asynctasks-fcgi.service runs the installed app"
has "$(cat "$U/asynctasks-fcgi.socket" 2>&1)" "ListenStream=$at_rundir/fcgi.sock" \
    "asynctasks-fcgi.socket listens where fcgi_listen's default is"
tmpf=$(cat "$ST$tmpfilesdir/asynctasks.conf" 2>&1)
ok "$(grep -q "^d $at_rundir 0755 " <<<"$tmpf" && grep -q "^d $at_spooldir 0750 " <<<"$tmpf"; echo $?)" \
    "the tmpfiles.d entry makes the run and spool directories"
has "$(cat "$ST$sysconfdir/asynctasks.conf.example" 2>&1)" "#fcgi_listen = $at_rundir/fcgi.sock" \
    "the example configuration shows the socket's default path"
has "$(cat "$ST$sysconfdir/asynctasks.conf.example" 2>&1)" "#spool_dir = $at_spooldir" \
    "... the spool's"
has "$(cat "$ST$sysconfdir/asynctasks.conf.example" 2>&1)" "#plugin_dir = $pkglibdir/plugins" \
    "... and the plugins'"
has "$(cat "$ST$mandir/man8/asynctasksd.8" 2>&1)" "$at_rundir/asynctasksd.pid" \
    "asynctasksd(8) names the pidfile's default path"
has "$(cat "$ST$mandir/man8/asynctasks-fcgi.8" 2>&1)" "$at_rundir/fcgi.sock" \
    "asynctasks-fcgi(8) names the socket's default path"
has "$(cat "$ST$mandir/man1/asynctasks.1" 2>&1)" "$sysconfdir/asynctasks.conf" \
    "asynctasks(1) names the configuration's path"
left=$(grep -l '@[a-zA-Z_]*@' "$U"/asynctasks* "$ST$tmpfilesdir/asynctasks.conf" \
    "$ST$sysconfdir/asynctasks.conf.example" "$ST$mandir"/man*/asynctasks* 2>&1)
is "$left" "" "no placeholder is left in an installed file"
ok "$( [ -d "$ST$at_rundir" ] && [ -d "$ST$at_spooldir" ]; echo $?)" \
    "the run and spool directories are made"
# systemd-analyze checks that the programs the units start and the man
# pages they name exist: in a mount namespace of its own, the staged
# prefix is mounted where it would be installed.
if [ "$(id -u)" -eq 0 ]; then
    vout=$(unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && systemd-analyze verify "$@"' sh \
        "$ST$prefix" "$prefix" "$U/asynctasksd.service" "$U/asynctasks-fcgi.service" \
        "$U/asynctasks-fcgi.socket" 2>&1)
    is "$?" 0 "systemd-analyze verify accepts the installed units"
    [ -n "$vout" ] && printf '%s\n' "$vout" | sed 's/^/# /'
else
    skip "root only: systemd-analyze verify with the staged prefix mounted in place"
fi
submake uninstall DESTDIR="$ST" >>"$work/install.log" 2>&1
ok "$( [ ! -e "$U/asynctasksd.service" ] && [ ! -e "$ST$tmpfilesdir/asynctasks.conf" ]; echo $?)" \
    "make uninstall removes the units and the tmpfiles.d entry"
done_testing
