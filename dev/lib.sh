# shellcheck shell=bash
#
# Shared shell plumbing for the developer commands dev/demo and dev/check.
#
# Source it from a bash script (it is safe under `set -euo pipefail`):
#
#     . "$(dirname "$0")/lib.sh"
#
# Functions report problems on stderr and return non-zero rather than
# calling exit, so callers decide how to fail.  Every function is prefixed
# at_.  All state lives under $ROOT/var/ (git-ignored); the only exception
# is a short socket directory under /tmp, used when $ROOT is so deep that
# a socket path inside it would exceed the kernel limit.
#
# The MariaDB server managed here is private to this checkout: it always
# runs with --no-defaults, its own datadir, socket and pidfile, and no TCP
# listener, so a system-wide MariaDB (e.g. one started by the package's
# postinst) is never used, stopped or mistaken for ours.

# Resolved once at source time so that a later `cd` by the caller, or a
# relative path used to source this file, cannot change the answer.
_AT_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)

# Package lists for at_install_packages, used by dev/demo and dev/check.
# shellcheck disable=SC2034
AT_BUILD_PACKAGES=(gcc make autoconf automake libtool pkg-config
    libmariadb-dev libxml2-dev zlib1g-dev libfcgi-dev libcrypt-dev)
# shellcheck disable=SC2034
AT_DB_PACKAGES=(mariadb-server mariadb-client)
# What dev/fuzz builds its targets with: clang and libFuzzer's runtime.
# shellcheck disable=SC2034
AT_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

# Longest path that fits in sockaddr_un.sun_path (108 bytes incl. NUL).
AT_SOCKET_PATH_MAX=107

# Character set used for every database we create.
AT_DB_CHARSET="CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"

# ---------------------------------------------------------------------------
# General helpers

# at_msg TEXT... : progress message on stderr, tagged with the script name.
at_msg() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# at_err TEXT... : error message on stderr.
at_err() {
    printf '%s: error: %s\n' "${0##*/}" "$*" >&2
}

# at_root : print the top directory of the checkout (the parent of dev/).
at_root() {
    printf '%s\n' "$_AT_ROOT"
}

# at_var : print $ROOT/var, creating it if needed.
at_var() {
    mkdir -p -- "$_AT_ROOT/var" || return 1
    printf '%s\n' "$_AT_ROOT/var"
}

# at_tail_since FILE OFFSET [LINES] : print (on stderr) the last lines that
# were appended to FILE after byte OFFSET, so that failure reports show
# this attempt's messages rather than a previous run's.
at_tail_since() {
    local file=$1 offset=$2 lines=${3:-30}
    [[ -r $file ]] || return 0
    printf -- '--- last lines of %s ---\n' "$file" >&2
    tail -c "+$((offset + 1))" -- "$file" | tail -n "$lines" >&2
    printf -- '---\n' >&2
}

# at_file_size FILE : size in bytes, 0 if the file does not exist.
at_file_size() {
    if [[ -e $1 ]]; then stat -c %s -- "$1"; else echo 0; fi
}

# at_check_name KIND NAME : accept only plain identifiers, so that names can
# be pasted into SQL without quoting problems.
at_check_name() {
    if [[ ! $2 =~ ^[A-Za-z0-9_]{1,64}$ ]]; then
        at_err "invalid $1 name '$2' (use letters, digits and _ only)"
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Debian packages

# at_run_logged LOG COMMAND... : run COMMAND with its output appended to
# LOG, preceded by the command line so the log reads as a transcript.
at_run_logged() {
    local log=$1
    shift
    printf '\n$ %s\n' "$*" >>"$log" || return 1
    "$@" </dev/null >>"$log" 2>&1
}

# at_install_packages PKG... : install those of the given Debian packages
# that are not installed yet.  Output goes to var/log/apt.log; on failure
# the tail of that log is shown.
at_install_packages() {
    local pkg status log start
    local -a missing=() sudo=() apt=()

    for pkg in "$@"; do
        # shellcheck disable=SC2016  # ${Status} is a dpkg-query field
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) || status=
        if [[ $status != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi

    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
            at_err "missing packages: ${missing[*]}"
            at_err "not running as root and sudo is not available;" \
                "as root run: apt-get install --no-install-recommends ${missing[*]}"
            return 1
        fi
        sudo=(sudo)
    fi

    log=$(at_var)/log/apt.log || return 1
    mkdir -p -- "${log%/*}" || return 1
    # sudo may reset the environment, hence `env` rather than an export.
    # The lock timeout makes us wait for a concurrent apt/dpkg run instead
    # of failing straight away.
    apt=(at_run_logged "$log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
        apt-get -q -y -o DPkg::Lock::Timeout=300)

    at_msg "installing ${missing[*]} (log: $log)"
    start=$(at_file_size "$log")

    # A freshly provisioned machine may have no package lists at all.
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        if ! "${apt[@]}" update; then
            at_err "apt-get update failed"
            at_tail_since "$log" "$start"
            return 1
        fi
    fi

    if "${apt[@]}" install --no-install-recommends "${missing[@]}"; then
        return 0
    fi

    # Outdated lists show up as unknown packages or 404s on download; only
    # then is an update worth it (an update cannot fix other failures).
    # (No grep -q: exiting early would SIGPIPE tail and, with pipefail,
    # turn a match into a failure.)
    if tail -c "+$((start + 1))" -- "$log" | grep -E >/dev/null \
        'Unable to locate package|has no installation candidate|is not available|404 +Not Found'; then
        at_msg "package lists look outdated; running apt-get update"
        if "${apt[@]}" update &&
            "${apt[@]}" install --no-install-recommends "${missing[@]}"; then
            return 0
        fi
    fi

    at_err "could not install: ${missing[*]}"
    at_tail_since "$log" "$start"
    return 1
}

# ---------------------------------------------------------------------------
# Unix socket paths

# at_socket_path DEFAULT : print DEFAULT if it fits in a unix socket
# address, otherwise a path with the same file name in a short directory
# under /tmp that is unique to this checkout.
at_socket_path() {
    local path=$1 hash
    # Byte length, not character length: the kernel limit is in bytes.
    if (($(printf '%s' "$path" | wc -c) <= AT_SOCKET_PATH_MAX)); then
        printf '%s\n' "$path"
        return 0
    fi
    hash=$(printf '%s' "$_AT_ROOT" | sha256sum | cut -c1-12)
    printf '%s\n' "/tmp/asynctasks-$hash/${path##*/}"
}

# at_socket_dir_ensure SOCKET_PATH : create the directory of a socket path.
# For the shared /tmp directory, refuse one that somebody else created, as
# it could be used to intercept our connections.
at_socket_dir_ensure() {
    local dir=${1%/*}
    if [[ $dir != /tmp/asynctasks-* ]]; then
        mkdir -p -- "$dir"
        return
    fi
    # Failure to create is judged by the ownership test below, which also
    # covers losing a race against another of our own scripts.
    [[ -d $dir ]] || mkdir -m 755 -- "$dir" 2>/dev/null || true
    if [[ -L $dir || ! -d $dir || ! -O $dir ]]; then
        at_err "$dir is not a directory owned by $(id -un); remove it and retry"
        return 1
    fi
}

# ---------------------------------------------------------------------------
# Private MariaDB server

# at_db_dir : print $ROOT/var/mariadb (pidfile, datadir, socket-path).
at_db_dir() {
    printf '%s\n' "$_AT_ROOT/var/mariadb"
}

# at_db_datadir : print the datadir of our server.
at_db_datadir() {
    printf '%s\n' "$_AT_ROOT/var/mariadb/data"
}

# at_db_log : print the path of the server's error log.
at_db_log() {
    printf '%s\n' "$_AT_ROOT/var/log/mariadb.log"
}

# at_db_pidfile : print the path of the server's pidfile.
at_db_pidfile() {
    printf '%s\n' "$_AT_ROOT/var/mariadb/mariadbd.pid"
}

# at_db_socket : print the socket path of our server.  This is the one
# place that decides it; the answer is also recorded in
# var/mariadb/socket-path for tools that are not written in shell.
at_db_socket() {
    local dir sock recorded=
    dir=$(at_db_dir)
    sock=$(at_socket_path "$dir/mysqld.sock") || return 1
    mkdir -p -- "$dir" || return 1
    if [[ -r $dir/socket-path ]]; then
        recorded=$(<"$dir/socket-path")
    fi
    if [[ $recorded != "$sock" ]]; then
        printf '%s\n' "$sock" >"$dir/socket-path" || return 1
    fi
    printf '%s\n' "$sock"
}

# at_db_admin_user : print the MariaDB account we administer the server
# with.  mariadb-install-db gives the OS user that initialised the datadir
# a passwordless, unix-socket-authenticated account of the same name
# (root@localhost when that user is root).
at_db_admin_user() {
    id -un
}

# at_db_mariadbd : print the path of the server binary.  It lives in
# /usr/sbin, which is not in a normal user's PATH on Debian.
at_db_mariadbd() {
    if ! PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v mariadbd; then
        at_err "mariadbd not found (is mariadb-server installed?)"
        return 1
    fi
}

# at_pid_args PID : sets the array AT_ARGS to the command line of PID;
# fails for what is not a pid, a process that is gone, or a zombie (whose
# command line is empty).
at_pid_args() {
    AT_ARGS=()
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    mapfile -d '' -t AT_ARGS 2>/dev/null <"/proc/$1/cmdline" || return 1
    ((${#AT_ARGS[@]} > 0))
}

# at_signal_wait PID IS_OURS SIGNAL TRIES DELAY : sends SIGNAL to PID and
# waits, TRIES times DELAY seconds at most, until the function IS_OURS no
# longer accepts it; fails if it still does.
at_signal_wait() {
    local pid=$1 is_ours=$2 i
    kill -"$3" "$pid" 2>/dev/null || true
    for ((i = 0; i < $4; i++)); do
        "$is_ours" "$pid" || return 0
        sleep "$5"
    done
    ! "$is_ours" "$pid"
}

# at_db_pid_is_ours PID : true if PID is a live mariadbd serving our
# datadir.  Checking the command line guards against a recycled pid and
# against the system server; a zombie has an empty command line, so an
# exited server that has not been reaped yet counts as gone.
at_db_pid_is_ours() {
    local datadir arg
    datadir=$(at_db_datadir)
    at_pid_args "$1" || return 1
    for arg in "${AT_ARGS[@]}"; do
        [[ $arg == "--datadir=$datadir" ]] && return 0
    done
    return 1
}

# at_pidfile_pid PIDFILE IS_OURS : print the pid PIDFILE names if the
# function IS_OURS accepts it, or fail.
at_pidfile_pid() {
    local pidfile=$1 is_ours=$2 pid=
    [[ -r $pidfile ]] || return 1
    read -r pid <"$pidfile" 2>/dev/null || [[ -n $pid ]] || return 1
    "$is_ours" "$pid" || return 1
    printf '%s\n' "$pid"
}

# at_db_pid : print the pid of our running server, or fail if there is none.
at_db_pid() {
    at_pidfile_pid "$(at_db_pidfile)" at_db_pid_is_ours
}

# at_db_ping : true if a server answers on our socket.
at_db_ping() {
    local sock
    sock=$(at_db_socket) || return 1
    [[ -S $sock ]] || return 1
    # The client's default connect timeout is hours; a wedged server must
    # not hang us.
    mariadb-admin --no-defaults --protocol=socket --socket="$sock" \
        --user="$(at_db_admin_user)" --connect-timeout=2 ping \
        >/dev/null 2>&1
}

# at_db_running : true if our server is up and answering.
at_db_running() {
    at_db_pid >/dev/null && at_db_ping
}

# at_db_clean_stale : remove the pidfile and socket left behind by a server
# that is no longer running.  Only call when at_db_pid has failed.
at_db_clean_stale() {
    local sock pidfile
    sock=$(at_db_socket) || return 1
    pidfile=$(at_db_pidfile)
    rm -f -- "$pidfile"
    if [[ -S $sock ]]; then
        if at_db_ping; then
            # Something answers on our socket but it is not the server our
            # pidfile describes; do not pull the socket from under it.
            at_err "a server answers on $sock but $pidfile does not" \
                "name a running mariadbd for $(at_db_datadir); stop it first"
            return 1
        fi
        rm -f -- "$sock"
    fi
}

# at_db_init : create and populate the datadir if that has not been done.
at_db_init() {
    local datadir tmp log start
    datadir=$(at_db_datadir)
    [[ -d $datadir/mysql ]] && return 0
    if [[ -e $datadir ]]; then
        at_err "$datadir exists but is not an initialised datadir" \
            "(no readable mysql/ inside); remove it to start afresh"
        return 1
    fi

    log=$(at_db_log)
    mkdir -p -- "${log%/*}" || return 1
    # Populate a scratch directory and rename it on success, so that an
    # interrupted run never leaves a half-initialised datadir behind.
    tmp=$datadir.tmp
    rm -rf -- "$tmp"
    at_msg "initialising MariaDB datadir $datadir"
    start=$(at_file_size "$log")
    # --user is deliberately not passed: as root, mariadb-install-db would
    # then chown the system's auth_pam_tool_dir to that user, and as a
    # normal user it is not allowed anyway.  Files end up owned by the
    # invoking user either way, and --auth-root-socket-user names the
    # admin account explicitly.
    if ! mariadb-install-db --no-defaults --datadir="$tmp" \
        --auth-root-authentication-method=socket \
        --auth-root-socket-user="$(at_db_admin_user)" \
        --skip-test-db >>"$log" 2>&1; then
        at_err "mariadb-install-db failed"
        at_tail_since "$log" "$start"
        rm -rf -- "$tmp"
        return 1
    fi
    mv -T -- "$tmp" "$datadir"
}

# at_db_start : start our server unless it is already running, initialising
# the datadir on first use.  Returns once the server answers.
at_db_start() {
    local dir
    dir=$(at_db_dir)
    mkdir -p -- "$dir" || return 1
    # Serialise concurrent starts (e.g. dev/demo and dev/check launched at
    # the same time) so that only one of them initialises and launches.
    (
        flock -w 120 9 || {
            at_err "timed out waiting for $dir/start.lock"
            exit 1
        }
        at_db_start_locked
    ) 9>"$dir/start.lock"
}

# at_db_start_locked : the body of at_db_start; expects the lock to be held.
at_db_start_locked() {
    local sock pidfile log datadir mariadbd start pid launcher i died=0
    sock=$(at_db_socket) || return 1
    pidfile=$(at_db_pidfile)
    log=$(at_db_log)
    datadir=$(at_db_datadir)

    mariadbd=$(at_db_mariadbd) || return 1
    if pid=$(at_db_pid); then
        if at_db_ping; then
            return 0 # already running: reuse it
        fi
        # Alive but not answering yet, e.g. still starting or recovering.
        launcher=
    else
        at_db_clean_stale || return 1
        at_db_init || return 1
        at_socket_dir_ensure "$sock" || return 1
        mkdir -p -- "${log%/*}" || return 1

        at_msg "starting MariaDB (socket $sock, log $log)"
        start=$(at_file_size "$log")
        # setsid puts the server in its own session, so Ctrl-C in the
        # calling terminal or the end of the calling script leaves it
        # running.  Descriptors above 2 are closed first: inherited ones
        # (our start.lock, make's jobserver, a pipe to tee) would otherwise
        # stay open for the server's lifetime, holding the lock or keeping
        # a reader waiting for EOF.  setsid -w keeps $! alive exactly as
        # long as the server, whether or not setsid had to fork.
        (
            cd / || exit 1
            # A normal user's soft limit (often 1024) makes the server
            # shrink its table cache; take whatever the hard limit allows.
            ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
            for fd in /proc/self/fd/*; do
                fd=${fd##*/}
                if ((fd > 2)); then
                    eval "exec $fd>&-"
                fi
            done
            exec setsid -w "$mariadbd" --no-defaults \
                --datadir="$datadir" \
                --socket="$sock" \
                --skip-networking \
                --pid-file="$pidfile" \
                --log-error="$log" \
                --user="$(at_db_admin_user)" \
                --character-set-server=utf8mb4 \
                --collation-server=utf8mb4_unicode_520_ci \
                --innodb-buffer-pool-size=1G \
                --innodb-flush-log-at-trx-commit=2 \
                --innodb-log-file-size=512M \
                --max-allowed-packet=64M \
                --skip-log-bin
        ) </dev/null >>"$log" 2>&1 &
        launcher=$!
    fi

    for ((i = 0; i < 120; i++)); do
        if at_db_running; then
            return 0
        fi
        # Give up early if the server died instead of waiting it out.
        if [[ -n $launcher ]]; then
            kill -0 "$launcher" 2>/dev/null || died=1
        else
            at_db_pid_is_ours "$pid" || died=1
        fi
        if ((died)); then
            at_err "mariadbd exited during startup"
            at_tail_since "$log" "${start:-0}"
            return 1
        fi
        sleep 0.5
    done
    at_err "MariaDB did not answer on $sock within 60 s"
    at_tail_since "$log" "${start:-0}"
    return 1
}

# at_db_stop : stop our server if it is running; quiet and successful if
# it is not.
at_db_stop() {
    local pid sock i
    if ! pid=$(at_db_pid); then
        at_db_clean_stale || true
        return 0
    fi
    sock=$(at_db_socket) || return 1

    at_msg "stopping MariaDB (pid $pid)"
    # A clean shutdown first; mariadb-admin waits for the pidfile to go.
    mariadb-admin --no-defaults --protocol=socket --socket="$sock" \
        --user="$(at_db_admin_user)" --connect-timeout=5 \
        --shutdown-timeout=30 shutdown >/dev/null 2>&1 || true

    if at_db_pid_is_ours "$pid"; then
        at_signal_wait "$pid" at_db_pid_is_ours TERM 60 0.5
    fi
    if at_db_pid_is_ours "$pid"; then
        at_msg "mariadbd did not stop within 30 s; killing it"
        at_signal_wait "$pid" at_db_pid_is_ours KILL 20 0.5 || true
    fi
    if at_db_pid_is_ours "$pid"; then
        at_err "could not stop mariadbd (pid $pid)"
        return 1
    fi
    at_db_clean_stale
}

# at_db_admin_sql [SQL] : run SQL (or, without an argument, SQL read from
# stdin) as the admin account.  Output is tab-separated without headers.
at_db_admin_sql() {
    local sock
    sock=$(at_db_socket) || return 1
    # Without a configuration file the client picks its character set
    # from the locale, which gives utf8mb3 under a UTF-8 locale and
    # mangles or rejects 4-byte characters; hence the explicit utf8mb4.
    local -a cmd=(mariadb --no-defaults --protocol=socket --socket="$sock"
        --user="$(at_db_admin_user)" --default-character-set=utf8mb4
        --connect-timeout=10 --batch --skip-column-names)
    if (($#)); then
        "${cmd[@]}" --execute="$1"
    else
        "${cmd[@]}"
    fi
}

# at_sql_string TEXT : print TEXT as a quoted SQL string literal.
at_sql_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\'/\\\'}
    printf "'%s'\n" "$s"
}

# at_password_file_ensure FILE : create FILE holding a random password
# unless it exists already; either way make it private (mode 600).
at_password_file_ensure() {
    local file=$1 pw
    if [[ ! -s $file ]]; then
        mkdir -p -- "$(dirname -- "$file")" || return 1
        pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n') || return 1
        # No trailing newline, so that a reader that takes the whole file
        # as the password gets it right too.  umask keeps the file private
        # from the moment it exists.
        (umask 077 && printf '%s' "$pw" >"$file.tmp.$$") || return 1
        mv -f -- "$file.tmp.$$" "$file" || return 1
    fi
    chmod 600 -- "$file"
}

# at_db_ensure DBNAME USER PASSWORD_FILE : make sure database DBNAME and the
# account USER@localhost exist, the account's password is the one in
# PASSWORD_FILE (generated on first use) and it has all rights on DBNAME.
at_db_ensure() {
    local db=$1 user=$2 pwfile=$3 pw
    at_check_name database "$db" || return 1
    at_check_name user "$user" || return 1
    at_password_file_ensure "$pwfile" || return 1
    pw=$(at_sql_string "$(<"$pwfile")") || return 1
    # Sent on stdin so that the password never shows up in `ps` output.
    # ALTER USER resets the password every time so that a replaced
    # password file takes effect.
    at_db_admin_sql <<EOF
CREATE DATABASE IF NOT EXISTS \`$db\` $AT_DB_CHARSET;
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY $pw;
ALTER USER '$user'@'localhost' IDENTIFIED BY $pw;
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
EOF
}

# at_db_recreate DBNAME : drop DBNAME and create it empty.  Grants on
# DBNAME.* are kept by the server independently of the database, so they
# apply to the new one.
at_db_recreate() {
    local db=$1
    at_check_name database "$db" || return 1
    at_db_admin_sql "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` $AT_DB_CHARSET;"
}

# ---------------------------------------------------------------------------
# asynctasks configuration

# at_write_config FILE DBNAME USER PASSWORD_FILE : write an asynctasks
# configuration file pointing at our server and at this checkout's
# var/ directories, creating those directories.
at_write_config() {
    local file=$1 db=$2 user=$3 pwfile var sock fcgi
    pwfile=$(realpath -m -- "$4") || return 1
    var=$(at_var) || return 1
    mkdir -p -- "$var/run" "$var/spool" "$var/log" "$(dirname -- "$file")" ||
        return 1
    sock=$(at_db_socket) || return 1
    # The FastCGI socket is subject to the same length limit.
    fcgi=$(at_socket_path "$var/run/fcgi.sock") || return 1
    at_socket_dir_ensure "$fcgi" || return 1

    cat >"$file.tmp.$$" <<EOF || return 1
# asynctasks configuration written by dev scripts
db_socket = $sock
db_user = $user
db_password_file = $pwfile
db_name = $db
plugin_dir = $_AT_ROOT/plugins/.libs
executors = 4
fcgi_listen = $fcgi
spool_dir = $var/spool
log_level = info
pidfile = $var/run/asynctasksd.pid
user = $(at_service_user "$var/spool")
EOF
    mv -f -- "$file.tmp.$$" "$file"
}

# at_service_user SPOOL : the account asynctasksd should run as. A normal
# user runs it as themselves. As root: the system account "asynctasks"
# (created when missing) if it can reach the plugins, the database socket
# and SPOOL from here; a checkout under a private home directory is out of
# its reach, and then root it is (the supervisor says so in its log).
at_service_user() {
    local spool=$1 sock
    if [[ $(id -u) -ne 0 ]]; then
        id -un
        return 0
    fi
    if ! id asynctasks >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            asynctasks >/dev/null 2>&1 || {
            echo root
            return 0
        }
    fi
    sock=$(at_db_socket) || return 1
    mkdir -p -- "$spool" && chown asynctasks: "$spool" 2>/dev/null
    if runuser -u asynctasks -- sh -c 'test -x "$1" && test -w "$2" && test -w "$3"' sh \
        "$_AT_ROOT/plugins/.libs" "$sock" "$spool" 2>/dev/null; then
        echo asynctasks
    else
        echo root
    fi
}

# at_sv_pidfile : print the pidfile at_sv_start gives the supervisor.  Its
# directory is root's (or the invoking user's): the account the supervisor
# becomes can neither rewrite the pid in it nor remove it, so at_sv_stop
# removes it once the supervisor is gone.
at_sv_pidfile() {
    printf '%s\n' "$(at_var)/run/asynctasksd.pid"
}

# at_sv_start CONF [BINARY] : starts asynctasksd on CONF in the background
# (pidfile and log under var/), and waits until it has registered.
at_sv_start() {
    local conf=$1 bin=${2:-$_AT_ROOT/supervisor/asynctasksd} var log pidfile
    var=$(at_var) || return 1
    log=$var/log/asynctasksd.log
    pidfile=$(at_sv_pidfile)
    at_sv_stop
    mkdir -p -- "$var/run" "$var/log"
    setsid "$bin" --config "$conf" --pidfile "$pidfile" </dev/null >>"$log" 2>&1 &
    _at_started asynctasksd "$log" $! _at_sv_up "$log"
}

# _at_sv_up LOG : the supervisor holds its pidfile and has said so in LOG.
_at_sv_up() {
    at_sv_pid >/dev/null && grep -q 'supervisor #[0-9]* on ' "$1"
}

# _at_started NAME LOG PID COMMAND... : waits (AT_START_WAIT seconds, 10 by default) until
# COMMAND succeeds, while PID, the program NAME just started, lives; when
# it does not, says so with the end of LOG, and fails.
_at_started() {
    local name=$1 log=$2 pid=$3 i
    shift 3
    for ((i = 0; i < ${AT_START_WAIT:-10} * 10; i++)); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    at_err "$name did not start; the end of $log:"
    tail -n 20 "$log" >&2
    return 1
}

# at_sv_pid_is_ours PID : true if PID is a live asynctasksd started on our
# pidfile: its command line is asynctasksd's (or libtool's lt-asynctasksd)
# with --pidfile naming it, and the file's lock is held, as the supervisor
# holds it for its whole life.  A pid recycled by another process, or one
# written into the file by someone else, is not signalled.
at_sv_pid_is_ours() {
    local pidfile i
    pidfile=$(at_sv_pidfile)
    at_pid_args "$1" || return 1
    [[ ${AT_ARGS[0]##*/} == asynctasksd || ${AT_ARGS[0]##*/} == lt-asynctasksd ]] || return 1
    for ((i = 1; i + 1 < ${#AT_ARGS[@]}; i++)); do
        if [[ ${AT_ARGS[i]} == --pidfile && ${AT_ARGS[i + 1]} == "$pidfile" ]]; then
            ! flock -n -- "$pidfile" true 2>/dev/null
            return
        fi
    done
    return 1
}

# at_sv_pid : print the pid of our running supervisor, or fail.
at_sv_pid() {
    at_pidfile_pid "$(at_sv_pidfile)" at_sv_pid_is_ours
}

# at_sv_stop : stops the supervisor at_sv_start started (quiet when down),
# and removes its pidfile.  A pidfile naming a process that is not our
# supervisor is reported, and that process is not signalled.
at_sv_stop() {
    local pidfile pid
    pidfile=$(at_sv_pidfile)
    [[ -e $pidfile ]] || return 0
    if ! pid=$(at_sv_pid); then
        read -r pid <"$pidfile" 2>/dev/null || true
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            at_err "$pidfile names pid $pid, which is not our asynctasksd: not signalling it"
        fi
        _at_sv_remove_pidfile "$pidfile"
        return 0
    fi
    at_msg "stopping asynctasksd (pid $pid)"
    at_signal_wait "$pid" at_sv_pid_is_ours TERM 400 0.1 ||
        at_signal_wait "$pid" at_sv_pid_is_ours KILL 50 0.1 || true
    _at_sv_remove_pidfile "$pidfile"
}

# _at_sv_remove_pidfile PIDFILE : removes it unless a supervisor holds its
# lock (one started since would be running on it).
_at_sv_remove_pidfile() {
    flock -n -- "$1" rm -f -- "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# Building

# at_build : configure (once) and build this checkout in place, so that
# cli/asynctasks and friends are where the README says.
at_build() {
    local log jobs
    log=$(at_var)/log/build.log
    mkdir -p -- "$(dirname -- "$log")"
    : >"$log"
    jobs=$(nproc 2>/dev/null || echo 2)
    (
        cd -- "$_AT_ROOT" || exit 1
        if [[ ! -x configure || configure.ac -nt configure ]]; then
            at_run_logged "$log" autoreconf -fi || exit 1
        fi
        if [[ ! -f config.status ]]; then
            at_run_logged "$log" ./configure || exit 1
        fi
        at_run_logged "$log" make -j"$jobs" || exit 1
    ) || {
        at_err "build failed; the end of $log:"
        tail -n 40 -- "$log" >&2
        return 1
    }
}

# at_build_sanitize DIR : build a copy of the distributed sources in DIR
# with -fsanitize=address,undefined (the in-place build stays as it is).
at_build_sanitize() {
    local dir=$1 log jobs
    log=$(at_var)/log/build-sanitize.log
    : >"$log"
    jobs=$(nproc 2>/dev/null || echo 2)
    rm -rf -- "$dir"
    mkdir -p -- "$dir"
    (
        cd -- "$_AT_ROOT" || exit 1
        at_run_logged "$log" make distdir distdir="$dir/src" || exit 1
        cd -- "$dir/src" || exit 1
        at_run_logged "$log" ./configure --enable-sanitize || exit 1
        at_run_logged "$log" make -j"$jobs" || exit 1
    ) || {
        at_err "sanitizer build failed; the end of $log:"
        tail -n 40 -- "$log" >&2
        return 1
    }
}

# at_tracked_outputs ROOT : print the files git tracks in ROOT that are
# build outputs, not sources: those its .gitignore names, libtool wrapper
# scripts (their third line says "temporary wrapper script"), and ELF
# objects. Prints nothing when only sources are tracked.
at_tracked_outputs() {
    local root=$1
    {
        git -C "$root" ls-files --cached --ignored --exclude-standard
        (cd -- "$root" && git ls-files -z | LC_ALL=C xargs -0 -r grep -l -m 1 -a \
            -e $'^\x7fELF' -e '^# [^ ]* - temporary wrapper script for \.libs/' -- 2>/dev/null) || true
    } | sort -u
}

# at_count_results DIR : print "N passed, N failed" over every test point
# of the last `make check` in DIR (from the .trs files). Skips count as
# failures: a check that did not run proved nothing.
at_count_results() {
    local dir=$1 pass=0 fail=0 line
    while IFS= read -r line; do
        case $line in
        ":test-result: PASS"* | ":test-result: XFAIL"*) pass=$((pass + 1)) ;;
        ":test-result: "*) fail=$((fail + 1)) ;;
        esac
    done < <(find "$dir" -name '*.trs' -newer "$dir/.check-start" -exec cat {} + 2>/dev/null)
    printf '%d passed, %d failed\n' "$pass" "$fail"
    [[ $fail -eq 0 && $pass -gt 0 ]]
}

# ---------------------------------------------------------------------------
# The web front: asynctasks-fcgi behind a private nginx

# shellcheck disable=SC2034
AT_WEB_PACKAGES=(nginx)
# What the HTTP and browser tests drive the screen with, and the benches
# (tests/bench.sh) measure with; systemd for the service test's socket
# activation and unit checks (systemd-socket-activate, systemd-analyze);
# g++ for tests/symbols.sh, which compiles the installed headers as C++;
# valgrind for tests/valgrind.sh (bench/valgrind --quick).
# shellcheck disable=SC2034
AT_TEST_PACKAGES=(g++ curl libxml2-utils libfcgi-bin spawn-fcgi chromium fonts-dejavu-core wrk beanstalkd prometheus
    systemd valgrind)

# at_node_ready DIR : Node.js (from Debian when missing) and the npm
# packages of DIR's package-lock.json, installed into DIR/node_modules.
at_node_ready() {
    local dir=$1 log
    log=$(at_var)/log/npm.log
    mkdir -p -- "$(dirname -- "$log")" || return 1
    command -v node >/dev/null && command -v npm >/dev/null ||
        at_install_packages nodejs npm || return 1
    if [[ ! -d $dir/node_modules || $dir/package-lock.json -nt $dir/node_modules ]]; then
        (cd -- "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1 || {
            at_err "npm ci in $dir failed; the end of $log:"
            tail -n 20 "$log" >&2
            return 1
        }
        touch -- "$dir/node_modules"
    fi
}

# at_web_dir NAME : the directory of web instance NAME under var/
# ("web" for the demo, "test/web" for the tests).
at_web_dir() {
    printf '%s\n' "$(at_var)/$1"
}

_at_pid_alive() {
    local pidfile=$1 pid
    [[ -s $pidfile ]] || return 1
    # The process may remove its pidfile as it exits, between the test
    # above and this read.
    pid=$(cat -- "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        [[ -n $( { tr -d '\0' <"/proc/$pid/cmdline"; } 2>/dev/null) ]]
}

# at_web_stop NAME : stops instance NAME's nginx and app (quiet when down).
at_web_stop() {
    local dir pidfile pid i
    dir=$(at_web_dir "$1")
    for pidfile in "$dir/nginx.pid" "$dir/fcgi.pid"; do
        _at_pid_alive "$pidfile" || {
            rm -f -- "$pidfile"
            continue
        }
        pid=$(<"$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            _at_pid_alive "$pidfile" || break
            sleep 0.1
        done
        if _at_pid_alive "$pidfile"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f -- "$pidfile"
    done
}

# at_web_app_start NAME CONF [FCGI] : starts instance NAME's app,
# asynctasks-fcgi (this checkout's, or the program FCGI) with configuration
# CONF on the socket in the instance directory, as its service would: a
# stale socket or pidfile left by a killed app is taken over by the app
# itself, or refused while another app listens there (then this fails, as
# a service's start would, and may be tried again). Returns once the app
# holds its pidfile and its socket exists, within AT_WEB_START_WAIT
# seconds (default 10; more under a memory checker); sets AT_WEB_SOCK.
at_web_app_start() {
    local name=$1 conf=$2 fcgi=${3:-$_AT_ROOT/fcgi/asynctasks-fcgi} dir log
    dir=$(at_web_dir "$name")
    log=$(at_var)/log/fcgi-${name//\//-}.log
    mkdir -p -- "$dir" "$(at_var)/log"
    AT_WEB_SOCK=$(at_socket_path "$dir/fcgi.sock") || return 1
    at_socket_dir_ensure "$AT_WEB_SOCK" || return 1
    setsid "$fcgi" --config "$conf" --listen "$AT_WEB_SOCK" \
        --pidfile "$dir/fcgi.pid" </dev/null >>"$log" 2>&1 &
    AT_START_WAIT=${AT_WEB_START_WAIT:-10} _at_started asynctasks-fcgi "$log" $! _at_app_up "$AT_WEB_SOCK" "$dir/fcgi.pid"
}

# _at_app_up SOCKET PIDFILE : the socket exists and the pidfile names a
# live process.
_at_app_up() {
    [[ -S $1 ]] && _at_pid_alive "$2"
}

# at_web_start NAME PORT CONF [FCGI] : (re)starts instance NAME:
# the app (at_web_app_start) on a fresh socket, and nginx on
# 127.0.0.1:PORT serving web/ and passing the rest to the app. The app is
# restarted every time, so that a fresh build is what runs.
at_web_start() {
    local name=$1 port=$2 conf=$3 fcgi=${4:-$_AT_ROOT/fcgi/asynctasks-fcgi} dir sock log user="" i
    dir=$(at_web_dir "$name")
    mkdir -p -- "$dir"/{body,proxy,fastcgi,uwsgi,scgi} "$(at_var)/log"
    log=$(at_var)/log
    at_web_stop "$name"
    sock=$(at_socket_path "$dir/fcgi.sock") || return 1
    rm -f -- "$sock"
    at_web_app_start "$name" "$conf" "$fcgi" || return 1
    # nginx's workers must reach the socket: as root they run as root.
    [[ $(id -u) -eq 0 ]] && user="user root root;"
    sed -e "s|@PREFIX@|$dir|g" -e "s|@LOGDIR@|$log|g" -e "s|@PORT@|$port|g" \
        -e "s|@USER@|$user|g" -e "s|@NGINX@|$_AT_ROOT/nginx|g" \
        "$_AT_ROOT/nginx/asynctasks.conf.in" >"$dir/nginx.conf"
    # the snippet make installs, at the root, for this checkout's files
    sed -e "s|@BASE_PATH@||g" -e "s|@webdir@|$_AT_ROOT/web|g" \
        -e "s|@pkgdatadir@/nginx/|$_AT_ROOT/nginx/|g" \
        -e "s|unix:@at_rundir@/fcgi.sock|unix:$sock|g" \
        "$_AT_ROOT/nginx/asynctasks-location.conf.in" >"$dir/asynctasks-location.conf"
    local nginx
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    if ! "$nginx" -p "$dir" -e "$log/nginx-error.log" -c "$dir/nginx.conf" 2>"$dir/nginx.start"; then
        at_err "nginx did not start on 127.0.0.1:$port:"
        cat "$dir/nginx.start" >&2
        tail -n 5 "$log/nginx-error.log" >&2 2>/dev/null
        return 1
    fi
    for ((i = 0; i < 50; i++)); do
        _at_pid_alive "$dir/nginx.pid" && return 0
        sleep 0.1
    done
    at_err "nginx did not write its pid file"
    return 1
}
