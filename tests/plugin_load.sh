#!/usr/bin/env bash
# tests/plugin_load.sh: the plugin loader through `asynctasks plugin`:
# every way a plugin is refused (exit code, the file named, expected and
# found values; a file or directory someone else could change, by owner
# and mode), a directory where bad and duplicate plugins sit among
# good ones, structs longer than the host's, and handlers run once in
# process: parameters and defaults, statuses, the validate hook, refused
# results, init, and a stop by SIGINT. Real .so files, real dlopen.
# shellcheck source=lib.sh
. "${top_srcdir:?}/tests/lib.sh"

unset ASYNCTASKS_CONFIG
PL=$top_builddir/plugins/.libs
TP=$top_builddir/tests/plugins/.libs
for f in "$PL/noop.so" "$PL/sleep.so" "$PL/export.so" "$TP/crash.so" "$TP/behave.so"; do
    [ -f "$f" ] || bail "$f is missing: build with make check"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/at-plugin.XXXXXX") || bail "mktemp"
trap 'rm -rf -- "$WORK"' EXIT

# ---- plugin check: what a good plugin declares ----

run plugin check "$PL/sleep.so"
is "$RC" 0 "check sleep.so: exit 0"
has "$OUT" "plugin $PL/sleep.so" "check names the file"
has "$OUT" "  name: sleep" "check prints the plugin's name"
has "$OUT" "  ABI: 1" "check prints the ABI version"
has "$OUT" "  task type sleep" "check prints the task type"
has "$OUT" "    timeout: 86460 s" "check prints the timeout"
has "$OUT" "    attempts: 1" "check prints the attempts"
has "$OUT" "    parameter seconds: int, required, 0 to 86400" "check prints a required parameter"
has "$OUT" "    parameter ms: int, optional, default '0', 0 to 999" "check prints a default"

run plugin check "$PL/noop.so" "$PL/export.so"
is "$RC" 0 "check of two good plugins: exit 0"
has "$OUT" "  task type noop" "the first is printed"
has "$OUT" "  task type export" "and the second"

# A plugin built with longer structs than this host's: stepped through by
# the sizes it declares, what the host does not know ignored.
run plugin check "$TP/newer.so"
is "$RC" 0 "a plugin with longer structs is accepted"
has "$OUT" "  task type test.newer.a" "its first type is read"
has "$OUT" "  task type test.newer.b" "its second type is read at the plugin's stride"
has "$OUT" "    timeout: 42 s
    attempts: 5" "the second type's own timeout and attempts"
has "$OUT" "    timeout: 300 s
    attempts: 3" "defaults (300 s, 3 attempts) where it gives none"
has "$OUT" "    parameter second: bool, required" "its second parameter is read at the plugin's stride"

# ---- plugin check: refusals ----

# refused FILE NAME ERE...: check refuses FILE (exit 65) with a message
# that names it and matches every ERE.
refused() {
    local file=$1 name=$2
    shift 2
    run plugin check "$file"
    is "$RC" 65 "$name: refused with exit 65"
    has "$OUT" "asynctasks: plugin $file: " "$name: the message names the file"
    for re in "$@"; do
        like "$OUT" "$re" "$name: says /$re/"
    done
}
refused "$TP/badmagic.so" "wrong magic" "wrong magic number \(expected 0x41545350, found 0x12345678\)"
refused "$TP/badabi.so" "wrong ABI" "wrong plugin ABI version \(expected 1, found 2\)" \
    "needs a newer asynctasks"
refused "$TP/smallsize.so" "descriptor too small" \
    "descriptor size too small \(expected at least [0-9]+, found 16\)"
refused "$TP/nodesc.so" "no descriptor" "exports no descriptor 'asynctasks_plugin'" \
    "undefined symbol: asynctasks_plugin"
refused "$TP/badname.so" "bad type name" "task type 'Bad Name' must start with a-z"
refused "$TP/badparam.so" "bad parameter" "parameter 'size': minimum 10 is above maximum 5"
refused "$WORK/missing.so" "missing file" "cannot be loaded: .*No such file"
printf 'not a shared object\n' >"$WORK/text.so"
refused "$WORK/text.so" "not a shared object" "cannot be loaded: .*(invalid ELF header|file too short)"

run plugin check "$PL/noop.so" "$TP/badmagic.so" "$PL/sleep.so"
is "$RC" 65 "check of good and bad plugins: exit 65"
has "$OUT" "  task type noop" "the good one before the bad is printed"
has "$OUT" "  task type sleep" "and the good one after it"
has "$OUT" "plugin $TP/badmagic.so: not an asynctasks plugin" "and the bad one's refusal"

# a bare file name means the file in the current directory, not a search
cp "$PL/noop.so" "$WORK/noop.so"
OUT=$(cd "$WORK" && "$AT" plugin check noop.so 2>&1)
is "$?" 0 "check of a bare file name loads ./noop.so"
has "$OUT" "plugin noop.so" "and names it as given"

# ---- plugin check: who may change the file and its directories ----

# As sshd's StrictModes: the file and every directory up to / belong to
# root or the running user and nobody else may write them.
T=$WORK/trust
mkdir -m 0755 "$T"
cp "$PL/noop.so" "$T/noop.so"
run plugin check "$T/noop.so"
is "$RC" 0 "a plugin of root in root's directories is loaded"
chmod 0666 "$T/noop.so"
refused "$T/noop.so" "a world-writable plugin" "file $T/noop.so is writable by others \(mode 0666\)"
chmod 0664 "$T/noop.so"
refused "$T/noop.so" "a group-writable plugin" "file $T/noop.so is writable by its group \(mode 0664\)"
chmod 0644 "$T/noop.so"
chown nobody "$T/noop.so" || bail "chown nobody: the ownership rule is tested as root"
refused "$T/noop.so" "a plugin owned by nobody" \
    "file $T/noop.so is owned by uid [0-9]+ \(nobody\), not by root or the running user, uid 0 \(root\)"
chown root "$T/noop.so"
ln -s "$T/noop.so" "$WORK/link.so"
chmod 0666 "$T/noop.so"
refused "$WORK/link.so" "a link to a world-writable plugin" "file $T/noop.so is writable by others"
chmod 0644 "$T/noop.so"
chmod 0777 "$T"
refused "$T/noop.so" "a plugin in a world-writable directory" \
    "directory $T is writable by others \(mode 0777\) without the sticky bit"
chmod 0775 "$T"
refused "$T/noop.so" "a plugin in a group-writable directory" "directory $T is writable by its group"
chmod 0755 "$T"
mkdir -m 0755 "$T/sub"
cp "$PL/noop.so" "$T/sub/noop.so"
chown nobody "$T"
refused "$T/sub/noop.so" "a plugin below a directory owned by nobody" \
    "directory $T is owned by uid [0-9]+ \(nobody\), not by root or the running user"
chown root "$T"
chmod 1777 "$T"
run plugin check "$T/sub/noop.so"
is "$RC" 0 "a sticky world-writable directory on the way, as /tmp, is allowed"
chmod 0755 "$T"
# plugin list judges the directory it loads from, sticky or not
cp "$PL/noop.so" "$T/noop.so"
for mode in 0777 1777 0775; do
    chmod "$mode" "$T"
    run plugin list --dir "$T"
    is "$RC" 65 "list of a plugin directory of mode $mode: exit 65"
    like "$OUT" "asynctasks: plugin directory $T: directory $T is writable by (others|its group) \(mode $mode\)" \
        "list of a plugin directory of mode $mode: says which and why"
    ! printf '%s' "$OUT" | grep -q '^noop '
    ok $? "list of a plugin directory of mode $mode: loads nothing from it"
done
chmod 0755 "$T"
chown nobody "$T"
run plugin list --dir "$T"
is "$RC" 65 "list of a plugin directory owned by nobody: exit 65"
has "$OUT" "asynctasks: plugin directory $T: directory $T is owned by uid" \
    "list of a plugin directory owned by nobody: says which and why"
chown root "$T"
chmod 0666 "$T/noop.so"
run plugin list --dir "$T"
is "$RC" 65 "list of a directory with a world-writable plugin: exit 65"
has "$OUT" "asynctasks: refused: plugin $T/noop.so: file $T/noop.so is writable by others" \
    "the world-writable plugin is refused"
run plugin list --dir "$T/sub"
is "$RC" 0 "the build's plugins under it still load"

# ---- plugin list: one bad plugin never stops the others ----

D=$WORK/plugins
mkdir "$D"
ln -s "$TP/badmagic.so" "$D/aa-badmagic.so" # first in name order
ln -s "$PL/noop.so" "$D/noop.so"
cp "$PL/noop.so" "$D/noop2.so" # declares noop again
ln -s "$PL/sleep.so" "$D/sleep.so"
ln -s "$TP/crash.so" "$D/crash.so"
ln -s "$TP/dup.so" "$D/dup.so"           # declares test.crash again
ln -s "$TP/nodesc.so" "$D/zz-nodesc.so" # last
printf 'not a plugin\n' >"$D/README"
run plugin list --dir "$D"
is "$RC" 65 "list of a dir with refusals: exit 65"
for t in noop sleep test.crash; do
    like "$OUT" "^$t +[a-z-]+ +[^ ]+ +$D/" "list shows type $t"
done
has "$OUT" "asynctasks: refused: plugin $D/aa-badmagic.so: not an asynctasks plugin" \
    "the bad plugin first in order is refused"
has "$OUT" "asynctasks: refused: plugin $D/noop2.so: task type 'noop' is already declared by $D/noop.so" \
    "a second plugin declaring noop is refused, naming both files"
has "$OUT" "asynctasks: refused: plugin $D/dup.so: task type 'test.crash' is already declared by $D/crash.so" \
    "a second plugin declaring test.crash is refused, naming both files"
has "$OUT" "asynctasks: refused: plugin $D/zz-nodesc.so: exports no descriptor" \
    "the bad plugin last in order is refused"
is "$(printf '%s\n' "$OUT" | grep -c 'refused:')" 4 "exactly four refusals"
is "$(printf '%s\n' "$OUT" | grep -c "^noop ")" 1 "noop is listed once"
! printf '%s' "$OUT" | grep -q README
ok $? "files not named *.so are not looked at"

mkdir "$WORK/good"
ln -s "$PL/noop.so" "$WORK/good/noop.so"
run plugin list --dir "$WORK/good"
is "$RC" 0 "list of a dir of good plugins: exit 0"
# the configured plugin_dir when no --dir is given
sed "s|^plugin_dir = .*|plugin_dir = $WORK/good|" "$ASYNCTASKS_TEST_CONFIG" >"$WORK/good.conf"
grep -q "^plugin_dir = $WORK/good" "$WORK/good.conf" || echo "plugin_dir = $WORK/good" >>"$WORK/good.conf"
run --config "$WORK/good.conf" plugin list
is "$RC" 0 "list of the configured plugin_dir: exit 0"
has "$OUT" "$WORK/good/noop.so" "it lists the configured dir's plugins"

run plugin list --dir "$WORK/none"
is "$RC" 74 "list of a missing dir: exit 74"
has "$OUT" "cannot read plugin directory $WORK/none" "and says which dir"
mkdir "$WORK/empty"
run plugin list --dir "$WORK/empty"
is "$RC" 0 "list of an empty dir: exit 0"

# ---- plugin run ----

run plugin run "$PL/noop.so" noop
is "$RC" 0 "run noop: exit 0"
is "$OUT" "status: ok
result: ok" "run noop: status and result"

run plugin run "$PL/sleep.so" sleep "seconds=0
ms=150"
is "$RC" 0 "run sleep 150 ms: exit 0"
has "$OUT" "status: ok" "run sleep: ok"
OUT=$(printf 'seconds=0\r\nms=20\r\n' | "$AT" plugin run "$PL/sleep.so" sleep - 2>&1)
is "$?" 0 "run sleep with the payload on standard input, CRLF lines: exit 0"
run plugin run "$PL/sleep.so" sleep "seconds=86401"
is "$RC" 1 "run sleep with seconds out of range: exit 1"
has "$OUT" "status: fail" "the task fails for good"
has "$OUT" "error: payload line 1: parameter 'seconds' must be 0 to 86400, not 86401" \
    "the error names the parameter and its range"
run plugin run "$PL/sleep.so" sleep "ms=5"
has "$OUT" "error: payload: parameter 'seconds' is required" "a missing required parameter"
run plugin run "$PL/sleep.so" sleep "seconds=1
minutes=2"
has "$OUT" "unknown parameter 'minutes' (declared: seconds, ms)" "an undeclared parameter"
run plugin run "$PL/sleep.so" nap "seconds=1"
is "$RC" 64 "run of a type the plugin does not declare: exit 64"
has "$OUT" "declares no task type 'nap'" "and says so"
run plugin run "$TP/badabi.so" test.badabi
is "$RC" 65 "run of a refused plugin: exit 65"
has "$OUT" "expected 1, found 2" "and says why"
run plugin run "$PL/noop.so"
is "$RC" 64 "run without a type: exit 64"

B=$TP/behave.so
run plugin run "$B" test.echo "text=héllo"
is "$RC" 0 "echo: exit 0"
is "$(printf '%s\n' "$OUT" | grep '^result:')" "result: text=héllo
result: n=7
result: flag=(none)
result: undeclared=(none)
result: payload_len=11" "param gives the payload's value, else the default, else nothing"
has "$OUT" "task 0 (test.echo): echo: 11 bytes of payload" "the handler's log line is tagged"
run plugin run "$B" test.echo "text=a"
has "$OUT" "parameter 'text' is too short: 1 characters, at least 2" "string length is checked"
run plugin run "$B" test.status "code=9"
is "$RC" 1 "a status outside the enum: exit 1"
has "$OUT" "status: retry" "counts as retry"
has "$OUT" "handler returned unknown status 9" "with an error saying so"
run plugin run "$B" test.status "code=2"
has "$OUT" "status: fail
error: task type 'test.status' failed without saying why" "a failure without a message gets one"
run plugin run "$B" test.status "code=3
msg=stopped early"
has "$OUT" "status: cancelled
error: stopped early" "the handler's own error message is kept"
run plugin run "$B" test.validate "all good"
is "$OUT" "status: ok
result: all good" "the validate hook lets a good payload through"
run plugin run "$B" test.validate "so bad"
is "$RC" 1 "the validate hook's refusal: exit 1"
has "$OUT" "status: fail
error: payload refused by task type 'test.validate': the payload says 'bad'" \
    "fails for good with the hook's message"
run plugin run "$B" test.result
has "$OUT" "result: too_long=-1 just_fits=0 bad_utf8=-1" \
    "results over 64 KiB or not UTF-8 are refused, 64 KiB is taken"
has "$OUT" "error: not ? UTF-8" "an error message is made valid UTF-8"
run plugin run "$B" test.each
has "$OUT" "status: retry
error: each_task needs the database" "each_task without a database fails with a reason"
run plugin run "$TP/initfail.so" test.initfail
has "$OUT" "status: retry
error: plugin 'test-initfail' ($TP/initfail.so) failed to initialise: init returned 7" \
    "a failing init fails the task, naming the plugin"
run plugin run "$TP/slowinit.so" test.slowinit
is "$RC" 0 "a slow init is waited for"
has "$OUT" "plugin: slowinit: initialised" "init may log without a job"

# should_stop: SIGINT stops a long sleep at once
start=$(date +%s)
"$AT" plugin run "$PL/sleep.so" sleep seconds=60 >"$WORK/stop.out" 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
rc=$?
took=$(($(date +%s) - start))
is "$rc" 1 "sleep stopped by SIGINT: exit 1"
like "$(cat "$WORK/stop.out")" "status: cancelled" "it was cancelled"
like "$(cat "$WORK/stop.out")" "error: stopped after [0-9]+ of 60000 ms" "and says when"
ok "$([ "$took" -lt 10 ]; echo $?)" "within seconds, not a minute (${took}s)"

# ---- usage ----
run plugin
is "$RC" 64 "plugin without a subcommand: exit 64"
run plugin --help
is "$RC" 0 "plugin --help: exit 0"
has "$OUT" "asynctasks plugin check FILE.so..." "help shows check"
run plugin bogus
is "$RC" 64 "unknown subcommand: exit 64"
run plugin check
is "$RC" 64 "check without a file: exit 64"
run --help
has "$OUT" "plugin" "the command list shows plugin"

done_testing
