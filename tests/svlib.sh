# tests/svlib.sh: helpers for the tests that run the real supervisor:
# a fresh database with a business, a plugin directory, a configuration,
# starting and stopping asynctasksd, and waiting on database conditions.
# Sourced after tests/lib.sh.

SVD=$top_builddir/supervisor/asynctasksd
[ -x "$top_builddir/supervisor/.libs/asynctasksd" ] && SVD=$top_builddir/supervisor/.libs/asynctasksd

# The built plugins, by name: bundled ones and the test-only ones.
plugin_so() {
    local f
    for f in "$top_builddir/plugins/.libs/$1.so" "$top_builddir/tests/plugins/.libs/$1.so"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    bail "plugin $1 is not built"
}

# sv_setup NAME PLUGIN... : a fresh database asynctasks_test_NAME, migrated,
# with business "biz" and member user "u@example.com"; a plugin directory
# with the named plugins; sets SVCONF, SVDIR, SVDB.
sv_setup() {
    local name=$1 p
    shift
    SVCONF=$(fresh_db "$name") || bail "fresh_db"
    SVDIR=$(dirname -- "$SVCONF")
    SVDB=asynctasks_test_$name
    mkdir -p "$SVDIR/plugins" "$SVDIR/spool"
    for p in "$@"; do
        ln -sf "$(plugin_so "$p")" "$SVDIR/plugins/$p.so"
    done
    sv_conf executors 2
    "$AT" --config "$SVCONF" migrate >/dev/null || bail "migrate"
    "$AT" --config "$SVCONF" business add biz "Biz" >/dev/null || bail "business add"
    "$AT" --config "$SVCONF" user add u@example.com "User One" --no-password >/dev/null || bail "user add"
    "$AT" --config "$SVCONF" member add --business biz --user u@example.com --role member >/dev/null ||
        bail "member add"
}

# sv_conf KEY VALUE... : sets keys of the supervisor's part of SVCONF (the
# database keys stay as fresh_db wrote them).
sv_conf() {
    local base=$SVDIR/base.conf
    [ -f "$base" ] || grep -Ev '^(plugin_dir|executors|spool_dir|log_level|pidfile|user) ' "$SVCONF" >"$base"
    [ -f "$SVDIR/extra.conf" ] || cat >"$SVDIR/extra.conf" <<EOF
plugin_dir = $SVDIR/plugins
spool_dir = $SVDIR/spool
pidfile = $SVDIR/asynctasksd.pid
executors = 2
poll_interval_ms = 10000
heartbeat_interval = 1
retry_backoff = 1
shutdown_grace = 5
cancel_grace = 2
log_level = info
EOF
    while [ $# -ge 2 ]; do
        grep -v "^$1 = " "$SVDIR/extra.conf" >"$SVDIR/extra.tmp"
        echo "$1 = $2" >>"$SVDIR/extra.tmp"
        mv "$SVDIR/extra.tmp" "$SVDIR/extra.conf"
        shift 2
    done
    {
        cat "$base" "$SVDIR/extra.conf"
        # The tests run as whoever runs them; as root the supervisor must be
        # told that root is meant.
        [ "$(id -u)" -ne 0 ] || echo "user = root"
    } >"$SVCONF.tmp"
    mv "$SVCONF.tmp" "$SVCONF"
}

# sv_start [PIDFILE] : starts asynctasksd on SVCONF; sets SVPID. Its log is
# $SVDIR/sv.log (appended).
sv_start() {
    local pidfile=${1:-$SVDIR/asynctasksd.pid}
    "$SVD" --config "$SVCONF" --pidfile "$pidfile" >>"$SVDIR/sv.log" 2>&1 &
    SVPID=$!
    # up when its executors are registered
    wait_for 20 "SELECT COUNT(*) >= 1 FROM executors e JOIN supervisors s ON s.id = e.supervisor_id WHERE s.pid = $SVPID AND e.pid > 0" ||
        { diag "supervisor did not start; log:"; sed 's/^/#   /' "$SVDIR/sv.log" | tail -n 20; }
}

# sv_stop [PID] : SIGTERM, then waits for it.
sv_stop() {
    local pid=${1:-$SVPID}
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# sv_log_clean : a test point: no sanitizer report in the supervisor's log
# (the executors write there too).
sv_log_clean() {
    if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$SVDIR/sv.log" >/dev/null 2>&1; then
        ok 1 "no sanitizer report in the supervisor's log"
        grep -E -A5 'AddressSanitizer|LeakSanitizer|runtime error:' "$SVDIR/sv.log" | head -n 30 |
            sed 's/^/#   /'
    else
        ok 0 "no sanitizer report in the supervisor's log"
    fi
}

# q SQL : one value from the test database.
q() { sql --raw "$SVDB" -e "$1"; }

# wait_for SECONDS SQL : polls until SQL returns 1; fails after SECONDS.
wait_for() {
    local until v
    until=$(($(date +%s) + $1))
    while [ "$(date +%s)" -le "$until" ]; do
        v=$(q "$2" 2>/dev/null)
        [ "$v" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# enqueue TYPE [PAYLOAD] : prints the new task's id.
enqueue() {
    "$AT" --config "$SVCONF" enqueue --business biz --user u@example.com --type "$1" \
        ${2:+--payload "$2"}
}

state_of() { q "SELECT state FROM tasks WHERE id = $1"; }

# The pause storms (tests/storm.sh, tests/storm_platform.sh).
# storm_feed TASKS USERS TYPES SLUG... : the tasks in 20 batches, 0.2 s
# apart, each one enqueue --from spread over the users s1..sUSERS, the
# types test.storm.0..TYPES-1 and the businesses.
storm_feed() {
    local tasks=$1 users=$2 types=$3 b=0 failed=0
    shift 3
    while [ $b -lt 20 ]; do
        awk -v b=$b -v per=$((tasks / 20)) -v users="$users" -v types="$types" -v slugs="$*" \
            'BEGIN { ns = split(slugs, slug, " "); for (s = 1; s <= per; s++)
                printf "%s\ts%d@storm.example\ttest.storm.%d\n", slug[s % ns + 1],
                    (s * 7 + b) % users + 1, (s + b) % types }' |
            "$AT" --config "$SVCONF" enqueue --from - >/dev/null || { echo "feed $b failed" >&2; failed=1; }
        b=$((b + 1))
        sleep 0.2
    done
    return $failed
}

# pause_in_force COLUMN [platform] : how many attempts have COLUMN (a time
# of "t", the task, or "a", the attempt) under a pause of their user or
# type: after a pause's audit entry and before the next resume of the
# same target in the same log. A platform entry (business 0) covers every
# business; a business's Resume All lifts only that business's rules.
# "platform": only the platform's pauses count.
# tests/storm.sh, tests/storm_platform.sh and tests/faults/faults.sh hold
# starts to 0.
pause_in_force() {
    local only=
    [ "${2:-}" = platform ] && only="AND p.business_id = 0"
    q "WITH ev AS (SELECT business_id, action, target_kind, target_id, created_at FROM audit_log
                   WHERE action IN ('pause', 'resume', 'resume_all')),
            iv AS (SELECT p.business_id, p.target_kind, p.target_id, p.created_at AS s,
                          (SELECT MIN(r.created_at) FROM ev r WHERE r.action <> 'pause'
                             AND r.business_id = p.business_id
                             AND r.target_kind = p.target_kind AND r.target_id = p.target_id
                             AND r.created_at > p.created_at) AS e
                   FROM ev p WHERE p.action = 'pause' $only)
       SELECT COUNT(DISTINCT a.task_id, a.attempt) FROM task_attempts a JOIN tasks t ON t.id = a.task_id
       JOIN iv ON (iv.business_id = 0 OR iv.business_id = t.business_id)
              AND ((iv.target_kind = 'user' AND iv.target_id = t.user_id)
               OR (iv.target_kind = 'task_type' AND iv.target_id = t.task_type_id))
       WHERE $1 > iv.s AND (iv.e IS NULL OR $1 <= iv.e)"
}

# Children of a process.
children_of() { ps -o pid= --ppid "$1" | tr -d ' ' | sort; }

sv_cleanup() {
    local p
    for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    # tests/http_lib.sh's scratch directory, whose trap this one replaces
    [ -z "${WORK:-}" ] || rm -rf -- "$WORK"
}
trap sv_cleanup EXIT

# wait_started SECONDS ID : until task ID's handler has started. A task is
# "running" from its claim; its start is known (started_at, and its
# executor's current task) once its supervisor has published it.
wait_started() {
    wait_for "$1" "SELECT started_at IS NOT NULL AND state = 'running' FROM tasks WHERE id = $2"
}

