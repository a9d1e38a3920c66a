#!/usr/bin/env bash
# reload_secret.sh: asynctasksd started as root with user = NAME and a
# db_password_file that only root may read: after it has become NAME, a
# SIGHUP still reloads the configuration, keeping the password it read at
# start from that same file, and says so; its executors, started anew,
# reach the database with it.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/svlib.sh"

[ "$(id -u)" -eq 0 ] || bail "run as root (dev/check does): the test starts asynctasksd as root"
id asynctasks >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin asynctasks

sv_setup reload_secret noop svtest
P=$SVDIR/priv
mkdir -p "$P/plugins" "$P/run"
cp "$(plugin_so noop)" "$(plugin_so svtest)" "$P/plugins/"
chmod 0755 "$P" "$P/plugins" && chmod 0644 "$P/plugins/"*.so
chown asynctasks "$P/run"
chmod 0711 "$SVDIR"
secret_from=$(sed -n 's/^db_password_file = //p' "$SVCONF")
[ -r "$secret_from" ] || bail "the test configuration has no db_password_file"
(umask 077 && cat "$secret_from" >"$P/secret")
{
    grep -Ev '^(user|plugin_dir|pidfile|db_password_file|db_password|executors) ' "$SVCONF"
    echo "user = asynctasks"
    echo "plugin_dir = $P/plugins"
    echo "pidfile = $P/run/sv.pid"
    echo "db_password_file = $P/secret"
    echo "executors = 2"
} >"$P/asynctasks.conf"
chmod 0644 "$P/asynctasks.conf"
ok "$(runuser -u asynctasks -- cat "$P/secret" >/dev/null 2>&1; [ $? -ne 0 ]; echo $?)" \
    "the password file is root's alone (asynctasks cannot read it)"

sock=$(sed -n 's/^db_socket = //p' "$SVCONF")
runuser -u asynctasks -- sh -c 'test -w "$1"' sh "$sock" ||
    bail "the database socket $sock is out of the asynctasks account's reach"
"$SVD" --config "$P/asynctasks.conf" >"$P/log" 2>&1 &
pid=$!
executors() { echo "SELECT COUNT(*) = $1 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $pid AND e.pid > 0"; }
wait_for 20 "$(executors 2)"
ok $? "started as root, running as asynctasks with 2 executors"
is "$(ps -o user= -p "$pid" | tr -d ' ')" asynctasks "the supervisor runs as asynctasks"

# The reload: one executor instead of two.
sed -i 's/^executors = 2$/executors = 1/' "$P/asynctasks.conf"
kill -HUP "$pid"
wait_for 20 "$(executors 1)"
ok $? "after SIGHUP, the reloaded configuration's one executor"
log=$(cat "$P/log")
like "$log" "reload: db_password_file $P/secret is not readable now; keeping the password read at start" \
    "the reload says that it kept the password read at start"
ok "$(printf '%s' "$log" | grep -q 'keeping the old configuration'; [ $? -ne 0 ]; echo $?)" \
    "and did not refuse the new configuration"
t=$(enqueue test.nap "ms=0") || bail "enqueue"
wait_for 20 "SELECT state = 'succeeded' FROM tasks WHERE id = $t"
ok $? "a task runs on the new executor, connected with the kept password"

# A password file that changed place is read anew, and one that cannot be
# read is then an error that keeps the running configuration.
echo "db_password_file = $P/other-secret" >>"$P/asynctasks.conf"
sed -i "\\|^db_password_file = $P/secret\$|d" "$P/asynctasks.conf"
(umask 077 && cat "$secret_from" >"$P/other-secret")
kill -HUP "$pid"
refused() { grep -q "cannot read db_password_file $P/other-secret: Permission denied; keeping the old configuration" "$P/log"; }
wait_for_cmd() { local t=$(($1 * 10)); shift; while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done; return 1; }
wait_for_cmd 20 refused
ok $? "a new password file it cannot read is refused, and the running configuration kept"

sv_stop "$pid"
ok "$( ! kill -0 "$pid" 2>/dev/null; echo $?)" "stops on SIGTERM"
SVDIR=$P
cp "$P/log" "$P/sv.log"
sv_log_clean
done_testing
