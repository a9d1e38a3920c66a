# shellcheck shell=bash
# bench/lib.sh: what the bench commands share. Source it from a bench
# script; it sources dev/lib.sh (the private MariaDB, the build, the web
# front) and adds:
#   bench_start NAME [PACKAGE...]   a bench run: packages, build, server,
#                                   a database of its own, durable commits
#   bench_on_exit COMMAND           cleanup, run in reverse order at exit
#   bench_sql SQL                   SQL on the bench database
#   bench_settle                    waits until the server has written
#                                   out what a load left dirty
#   bench_facts                     the run's facts, as markdown lines
#   bench_sv_start / bench_sv_stop  asynctasksd on the bench database
#   bench_web_start NAME PORT [FCGI [CONF]]  nginx and a FastCGI program
#   bench_login URL EMAIL PASSWORD  a session; prints the Cookie header
#   bench_wrk SECONDS URL [ARG...]  wrk -c8; prints "req/s p99-ms"
#   bench_pct P                     the P-th percentile of numbers on stdin
#   bench_rss_kib PID               a process's peak resident size
#   bench_rss_reset PID             starts that peak anew
#   bench_ratio A B                 A/B to two decimals, or "n/a"
# Environment: ASYNCTASKS_BENCH_PORT, the first of the ports the benches
# listen on (127.0.0.1 only; default 18090); AT_BENCH_BUILD, a build
# directory to take the programs from instead of building this checkout
# in place (the test suite sets it to the build under test).

. "$(dirname -- "${BASH_SOURCE[0]}")/../dev/lib.sh"

BENCH_PORT=${ASYNCTASKS_BENCH_PORT:-18090}
BENCH_CLEANUP=()

# Runs the cleanups in reverse order; each may fail without stopping
# the others.
bench_cleanup() {
    local i
    trap - EXIT INT TERM
    for ((i = ${#BENCH_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${BENCH_CLEANUP[i]}" || true
    done
    BENCH_CLEANUP=()
}

bench_on_exit() {
    BENCH_CLEANUP+=("$1")
}

# bench_prog PATH : the program at PATH of the build, itself rather than
# libtool's wrapper script around it.
bench_prog() {
    local dir=${1%/*} name=${1##*/}
    if [[ -x $BUILD/$dir/.libs/$name ]]; then
        printf '%s\n' "$BUILD/$dir/.libs/$name"
    else
        printf '%s\n' "$BUILD/$1"
    fi
}

# bench_port_free PORT : fails (with a message) when something listens on
# 127.0.0.1:PORT already.
bench_port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        at_err "127.0.0.1:$1 is in use; set ASYNCTASKS_BENCH_PORT to a free range"
        return 1
    fi
}

# Durable commits for the run: the developer server runs with 2. The value
# found is kept in a file until it is put back, so that a run killed
# before it could restore it is mended by the next one.
bench_flush_durable() {
    local saved=$BENCH_VAR/flush-was
    [[ -s $saved ]] ||
        at_db_admin_sql "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit" >"$saved" || return 1
    bench_on_exit "bench_flush_restore"
    at_db_admin_sql "SET GLOBAL innodb_flush_log_at_trx_commit = 1"
}

bench_flush_restore() {
    local saved=$BENCH_VAR/flush-was v
    [[ -s $saved ]] || return 0
    v=$(<"$saved")
    [[ $v =~ ^[0-2]$ ]] || return 1
    at_db_admin_sql "SET GLOBAL innodb_flush_log_at_trx_commit = $v" && rm -f -- "$saved"
}

# bench_start NAME [PACKAGE...] : installs the packages, builds (unless
# AT_BENCH_BUILD names a build), starts the private MariaDB, takes the
# bench lock (one bench at a time: they share the server and its flush
# setting), makes the database asynctasks_bench_NAME with its
# configuration, and sets durable commits until exit (unless BENCH_DURABLE
# is 0: a check that measures nothing leaves the server as it is). Sets ROOT, BUILD,
# BD (the run's directory), CONF, DB, AT, SVD, FCGI and exports
# LD_LIBRARY_PATH.
bench_start() {
    local name=$1
    shift
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ROOT=$(at_root)
    cd -- "$ROOT" || return 1
    at_install_packages "${AT_BUILD_PACKAGES[@]}" "${AT_DB_PACKAGES[@]}" "$@" || return 1
    if [[ -n ${AT_BENCH_BUILD:-} ]]; then
        BUILD=$(cd -- "$AT_BENCH_BUILD" && pwd -P) || return 1
    else
        at_msg "building (log: var/log/build.log)"
        at_build || return 1
        BUILD=$ROOT
    fi
    at_db_start || return 1
    BENCH_VAR=$(at_var)/bench
    mkdir -p -- "$BENCH_VAR"
    exec 8>"$BENCH_VAR/lock"
    flock -w 1800 8 || {
        at_err "another bench has held $BENCH_VAR/lock for 30 minutes"
        return 1
    }
    BD=$BENCH_VAR/$name
    DB=asynctasks_bench_${name//-/_}
    rm -rf -- "$BD"
    mkdir -p -- "$BD"
    at_db_ensure "$DB" asynctasks_bench "$BENCH_VAR/db-password" >/dev/null || return 1
    at_db_recreate "$DB" || return 1
    bench_on_exit "at_db_admin_sql 'DROP DATABASE IF EXISTS \`$DB\`'"
    CONF=$BD/bench.conf
    at_write_config "$CONF" "$DB" asynctasks_bench "$BENCH_VAR/db-password" || return 1
    export LD_LIBRARY_PATH=$BUILD/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    AT=$(bench_prog cli/asynctasks)
    SVD=$(bench_prog supervisor/asynctasksd)
    FCGI=$(bench_prog fcgi/asynctasks-fcgi)
    "$AT" --config "$CONF" migrate >/dev/null || return 1
    if [[ ${BENCH_DURABLE:-1} != 0 ]]; then
        bench_flush_durable
    fi
}

# bench_conf KEY VALUE... : sets keys in the run's configuration.
bench_conf() {
    while (($# >= 2)); do
        grep -v "^$1 = " "$CONF" >"$CONF.tmp" && printf '%s = %s\n' "$1" "$2" >>"$CONF.tmp" &&
            mv -- "$CONF.tmp" "$CONF" || return 1
        shift 2
    done
}

# bench_plugins NAME... : a plugin directory with the named plugins of the
# build (bundled ones, or the bench plugin "bench"), set in the
# configuration; as root the supervisor is told to stay root, as the
# plugins are in a checkout.
bench_plugins() {
    local p f
    mkdir -p -- "$BD/plugins"
    for p in "$@"; do
        for f in "$BUILD/plugins/.libs/$p.so" "$BUILD/bench/plugins/.libs/$p.so" ""; do
            [[ -z $f || -f $f ]] && break
        done
        [[ -n $f ]] || {
            at_err "plugin $p is not built"
            return 1
        }
        ln -sf -- "$f" "$BD/plugins/$p.so"
    done
    bench_conf plugin_dir "$BD/plugins"
    [[ $(id -u) -ne 0 ]] || bench_conf user root
}

bench_sql() {
    at_db_admin_sql "USE \`$DB\`; $1"
}

# bench_people USERS SLUG... : the businesses, and USERS users
# (user-1@bench.example, ...) who are members of every one of them.
bench_people() {
    local n=$1 slug i
    shift
    for slug in "$@"; do
        "$AT" --config "$CONF" business add "$slug" "Bench $slug" >/dev/null || return 1
    done
    for ((i = 1; i <= n; i++)); do
        "$AT" --config "$CONF" user add "user-$i@bench.example" "Bench User $i" --no-password \
            >/dev/null || return 1
        for slug in "$@"; do
            "$AT" --config "$CONF" member add --business "$slug" --user "user-$i@bench.example" \
                --role member >/dev/null || return 1
        done
    done
}

# bench_types NAME... : registers task types (their plugins' supervisor
# registers them again, with their parameters, when it starts).
bench_types() {
    local t
    for t in "$@"; do
        "$AT" --config "$CONF" type add "$t" --max-attempts 1 >/dev/null || return 1
    done
}

# bench_has_enqueue_from : true when this build's CLI has the bulk
# enqueue "enqueue --from FILE".
bench_has_enqueue_from() {
    "$AT" enqueue --help 2>&1 | grep -q -e '--from'
}

# bench_enqueue_from FILE : enqueues FILE's tab-separated tasks through the
# CLI's bulk enqueue.
bench_enqueue_from() {
    "$AT" --config "$CONF" enqueue --from "$1" >/dev/null
}

# bench_settle : after a bulk load, waits (at most 120 s) until InnoDB has
# written the pages the load left dirty, so that a timed part does not
# share the disk and a core with the loader's aftermath; a part that loaded
# more would otherwise pay for more of it.
bench_settle() {
    local pct i dirty
    pct=$(at_db_admin_sql "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
    at_db_admin_sql "SET GLOBAL innodb_max_dirty_pages_pct = 0"
    for ((i = 0; i < 240; i++)); do
        dirty=$(at_db_admin_sql "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
                                 WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'")
        ((dirty < 64)) && break
        sleep 0.5
    done
    at_db_admin_sql "SET GLOBAL innodb_max_dirty_pages_pct = $pct"
}

bench_facts() {
    local cpu ver flush
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    ver=$(at_db_admin_sql "SELECT VERSION()")
    flush=$(at_db_admin_sql "SELECT @@GLOBAL.innodb_flush_log_at_trx_commit")
    printf -- '- machine: %s CPUs (%s), %s MiB of memory, load average %s\n' "$(nproc)" \
        "${cpu:-unknown}" "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" \
        "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf -- '- MariaDB %s, innodb_flush_log_at_trx_commit = %s during the run\n' "$ver" "$flush"
    printf -- '- build: %s, %s\n' "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
        "$(date -u '+%Y-%m-%d %H:%M UTC')"
}

# bench_sv_start EXECUTORS [NAME [SECONDS]] : asynctasksd on the run's
# configuration, with its pidfile and log in $BD named NAME (asynctasksd);
# waits (20 s, or SECONDS) until its executors are registered. Sets SVPID;
# each one started is stopped at exit.
bench_sv_start() {
    local n=$1 name=${2:-asynctasksd} wait=${3:-20} i
    bench_conf executors "$n"
    "$SVD" --config "$CONF" --pidfile "$BD/$name.pid" >>"$BD/$name.log" 2>&1 &
    SVPID=$!
    bench_on_exit "bench_sv_stop $SVPID"
    for ((i = 0; i < wait * 10; i++)); do
        [[ $(bench_sql "SELECT COUNT(*) FROM executors e JOIN supervisors s ON s.id = e.supervisor_id
                        WHERE s.pid = $SVPID AND e.pid > 0") == "$n" ]] && return 0
        kill -0 "$SVPID" 2>/dev/null || break
        sleep 0.1
    done
    at_err "asynctasksd did not start; the end of $BD/$name.log:"
    tail -n 20 "$BD/$name.log" >&2
    return 1
}

# bench_sv_stop [PID [SECONDS]] : stops a supervisor (the last one
# started): SIGTERM, then SIGKILL after 30 s (or SECONDS).
bench_sv_stop() {
    local pid=${1:-${SVPID:-}} wait=${2:-30} i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [[ $pid != "${SVPID:-}" ]] || SVPID=
}

# The supervisor's executors, one pid a line.
bench_sv_children() {
    ps -o pid= --ppid "$SVPID" | tr -d ' '
}

# bench_web_start NAME PORT [FCGI [CONF]] : nginx on 127.0.0.1:PORT in
# front of the app (or the FastCGI program FCGI) on the run's
# configuration (or CONF), both stopped at exit.
bench_web_start() {
    bench_port_free "$2" || return 1
    bench_on_exit "at_web_stop bench/$1"
    at_web_start "bench/$1" "$2" "${4:-$CONF}" "${3:-$FCGI}"
}

# The FastCGI workers of web instance NAME, one pid a line.
bench_web_workers() {
    ps -o pid= --ppid "$(<"$(at_web_dir "bench/$1")/fcgi.pid")" | tr -d ' '
}

# bench_login URL EMAIL PASSWORD : logs in through the form; prints the
# session's Cookie header value.
bench_login() {
    local url=$1 jar=$BD/cookies tok
    rm -f -- "$jar"
    tok=$(curl -sS -c "$jar" "$url/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' |
        head -n 1)
    curl -sS -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$tok" \
        --data-urlencode "email=$2" --data-urlencode "password=$3" "$url/login" || return 1
    awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$jar"
}

# bench_wrk SECONDS URL [WRK-ARG...] : wrk with 8 connections on 2
# threads; prints "REQ/S P99-MS". Fails when any answer was not 2xx/3xx,
# or nothing was answered: a fast error page measures nothing.
bench_wrk() {
    local secs=$1 url=$2 out
    shift 2
    out=$(wrk -t2 -c8 -d"${secs}s" --timeout 10s --latency "$@" "$url" 2>&1) || {
        at_err "wrk failed on $url: $out"
        return 1
    }
    if grep -q -E 'Non-2xx or 3xx responses|Socket errors' <<<"$out"; then
        at_err "wrk on $url had errors:"
        grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
        return 1
    fi
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            if (v ~ /s$/) return v * 1000
            return v + 0
        }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        END {
            if (rps == "" || p99 == "" || rps + 0 == 0) exit 1
            printf "%.0f %.2f\n", rps, p99
        }' <<<"$out" || {
        at_err "wrk on $url measured nothing: $out"
        return 1
    }
}

# bench_pct P : the P-th percentile (nearest rank) of the numbers on
# stdin; "inf" sorts last and stands for a value never reached.
bench_pct() {
    sort -g | awk -v p="$1" '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1
        print v[i] }'
}

# bench_rss_kib PID : the peak resident size of PID (VmHWM), in KiB.
bench_rss_kib() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bench_rss_reset PID : forgets PID's peak resident size so far (root
# only; elsewhere a no-op), so that bench_rss_kib tells the peak of what
# follows: a login's password hash (yescrypt, 16 MiB for a few ms, by
# design) is not part of a page load.
bench_rss_reset() {
    echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}

# bench_ratio A B : A/B to two decimals ("n/a" when either is not a number
# or B is zero).
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) { print "n/a"; exit }
        printf "%.2f\n", a / b }'
}

# bench_mark VALUE LIMIT [le|ge] : "met" or "missed" for VALUE against LIMIT.
bench_mark() {
    awk -v v="$1" -v l="$2" -v op="${3:-ge}" 'BEGIN {
        if (v !~ /^[0-9.]+$/) { print "not measured"; exit }
        ok = op == "le" ? v + 0 <= l + 0 : v + 0 >= l + 0
        print ok ? "met" : "missed" }'
}
